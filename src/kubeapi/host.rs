//! The DNS-rebinding guard both local servers (this API server and `report sim`'s service) share:
//! a web page can make a browser send requests to 127.0.0.1 under a name the attacker controls,
//! but it cannot make the Host header a loopback name. So only loopback Hosts are answered.

use std::net::{IpAddr, Ipv6Addr};

use axum::http::HeaderMap;
use axum::http::header::HOST;

/// Why a request must be refused: its Host header is missing or names no loopback address.
pub fn foreign_host(headers: &HeaderMap) -> Option<String> {
    let Some(value) = headers.get(HOST) else {
        return Some("the request has no Host header; this server answers only loopback names (127.0.0.1, localhost, [::1])".to_string());
    };
    let host = String::from_utf8_lossy(value.as_bytes());
    if is_loopback_authority(&host) {
        None
    } else {
        Some(format!(
            "Host {host:?} is not a loopback name; this server answers only 127.0.0.0/8, localhost and [::1], with or without a port"
        ))
    }
}

/// `127.x.y.z`, `localhost` (any case) or `[::1]`, each with an optional `:port`.
pub fn is_loopback_authority(authority: &str) -> bool {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        (inside, after)
    } else {
        match authority.find(':') {
            Some(colon) => authority.split_at(colon),
            None => (authority, ""),
        }
    };
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| {
            !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
        });
    if !port_ok {
        return false;
    }
    if authority.starts_with('[') {
        return host.parse::<Ipv6Addr>().is_ok_and(|ip| {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        });
    }
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| matches!(ip, IpAddr::V4(v4) if v4.is_loopback()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn loopback_names_with_and_without_ports() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:8000",
            "127.255.3.4:1",
            "localhost",
            "LocalHost:65535",
            "[::1]",
            "[::1]:6443",
            "[::ffff:127.0.0.1]:80",
        ] {
            assert!(is_loopback_authority(host), "{host}");
        }
        for host in [
            "",
            "evil.example",
            "evil.example:8000",
            "127.0.0.1.nip.io",
            "localhost.evil.example",
            "sub.localhost",
            "128.0.0.1",
            "0.0.0.0",
            "10.0.0.1:80",
            "::1",
            "[::1",
            "[::2]:80",
            "[::1]x",
            "127.0.0.1:",
            "127.0.0.1:80:80",
            "127.0.0.1:8o",
            "localhost:123456",
            "2130706433",
            "0x7f.0.0.1",
        ] {
            assert!(!is_loopback_authority(host), "{host}");
        }
    }

    proptest! {
        /// A name made of letters and dots other than `localhost` is never loopback, whatever
        /// port follows.
        #[test]
        fn other_names_are_refused(name in "[a-z][a-z0-9.-]{0,30}", port in proptest::option::of(0u16..)) {
            prop_assume!(!name.eq_ignore_ascii_case("localhost"));
            let authority = match port {
                Some(p) => format!("{name}:{p}"),
                None => name.clone(),
            };
            prop_assert!(!is_loopback_authority(&authority));
        }

        #[test]
        fn every_127_address_is_accepted(a: u8, b: u8, c: u8, port: u16) {
            let authority = format!("127.{a}.{b}.{c}:{port}");
            prop_assert!(is_loopback_authority(&authority));
        }
    }
}

#[cfg(test)]
mod served {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};

    use crate::kubeapi::{ApiServer, ClusterState};
    use crate::sim::Sim;
    use crate::sim::cluster::ClusterConfig;

    /// The status line of a raw HTTP/1.1 GET with this Host header.
    fn status_for(addr: SocketAddr, path: &str, host: &str) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer.lines().next().unwrap_or_default().to_string()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn both_servers_refuse_foreign_hosts() {
        let api = ApiServer::start(ClusterState::new()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let sim = Sim::start(
            ClusterConfig::default(),
            1.0,
            loopback,
            loopback,
            dir.path(),
        )
        .await
        .unwrap();
        for (addr, path) in [(api.addr(), "/version"), (sim.service_addr, "/health")] {
            let check = move |host: &'static str| {
                tokio::task::spawn_blocking(move || status_for(addr, path, host))
            };
            assert_eq!(
                check("evil.example:80").await.unwrap(),
                "HTTP/1.1 403 Forbidden"
            );
            assert_eq!(
                check("127.0.0.1.nip.io").await.unwrap(),
                "HTTP/1.1 403 Forbidden"
            );
            assert_eq!(check("localhost:1234").await.unwrap(), "HTTP/1.1 200 OK");
            assert_eq!(check("127.0.0.9").await.unwrap(), "HTTP/1.1 200 OK");
            assert_eq!(check("[::1]:80").await.unwrap(), "HTTP/1.1 200 OK");
        }
    }
}
