//! Content negotiation on `Accept`: kubectl asks for alternative shapes of the same answer
//! (`application/json;as=Table;v=v1;g=meta.k8s.io`, aggregated discovery) before plain JSON.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT;

/// The first of `versions` that the Accept header asks for as `as=<shape>;g=<group>;v=<version>`
/// in its order of preference, if any.
pub(crate) fn wanted_version(
    headers: &HeaderMap,
    shape: &str,
    group: &str,
    versions: &[&'static str],
) -> Option<&'static str> {
    let accept = headers.get(ACCEPT)?.to_str().ok()?;
    accept.split(',').find_map(|range| {
        let mut parts = range.split(';').map(str::trim);
        if !parts.next()?.eq_ignore_ascii_case("application/json") {
            return None;
        }
        let (mut as_, mut g, mut v) = (None, None, None);
        for parameter in parts {
            let (key, value) = parameter.split_once('=')?;
            match key.trim() {
                "as" => as_ = Some(value.trim()),
                "g" => g = Some(value.trim()),
                "v" => v = Some(value.trim()),
                _ => {}
            }
        }
        if as_ != Some(shape) || g != Some(group) {
            return None;
        }
        versions.iter().copied().find(|known| v == Some(*known))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(text: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(text).unwrap());
        headers
    }

    #[test]
    fn kubectls_accept_headers() {
        let get = accept(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
        );
        assert_eq!(
            wanted_version(&get, "Table", "meta.k8s.io", &["v1", "v1beta1"]),
            Some("v1")
        );
        let old = accept("application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json");
        assert_eq!(
            wanted_version(&old, "Table", "meta.k8s.io", &["v1", "v1beta1"]),
            Some("v1beta1")
        );
        let discovery = accept(
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
        );
        let shapes = ["v2", "v2beta1"];
        assert_eq!(
            wanted_version(
                &discovery,
                "APIGroupDiscoveryList",
                "apidiscovery.k8s.io",
                &shapes
            ),
            Some("v2")
        );
        assert_eq!(
            wanted_version(&discovery, "Table", "meta.k8s.io", &["v1"]),
            None
        );
        assert_eq!(
            wanted_version(
                &accept("application/json, */*"),
                "Table",
                "meta.k8s.io",
                &["v1"]
            ),
            None
        );
        assert_eq!(
            wanted_version(&HeaderMap::new(), "Table", "meta.k8s.io", &["v1"]),
            None
        );
    }
}
