//! Cluster access configured like kubectl: --kubeconfig, KUBECONFIG, ~/.kube/config, --context,
//! exec credential plugins, or the in-cluster service account. Each mistake is said once, with
//! what the kubeconfig offers instead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

pub struct Connection {
    pub client: Client,
    pub namespace: String,
    /// The kubeconfig context used, when one was (not in-cluster).
    pub context: Option<String>,
    pub patience: Patience,
}

/// How long a silent API server is waited for. kube has no read timeout by default, so a server
/// that stops answering without closing the connection (a half-open link) would hang every
/// request, and Ctrl-C would be the only way out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Patience {
    /// No byte for this long on a request or watch: the attempt fails (a gap is recorded).
    pub read: Duration,
    /// Watches are asked to end (`timeoutSeconds`) well within `read`, so a quiet but healthy
    /// watch is renewed before the read timeout could mistake it for a silent one.
    pub watch_seconds: u32,
}

impl Patience {
    /// Six intervals, between 2 s and 60 s (30 s at the default 5 s interval).
    pub fn for_interval(interval: Duration) -> Self {
        let read = (interval * 6).clamp(Duration::from_secs(2), Duration::from_secs(60));
        let watch_seconds = u32::try_from(read.as_secs() / 2).unwrap_or(30).max(1);
        Self {
            read,
            watch_seconds,
        }
    }
}

/// Where the cluster configuration comes from, as kubectl would look for it.
enum Source {
    Flag(PathBuf),
    Env(Vec<PathBuf>),
    Home(PathBuf),
    InCluster,
}

impl Source {
    fn find(flag: Option<&Path>) -> Result<Self> {
        if let Some(path) = flag {
            return Ok(Source::Flag(path.to_path_buf()));
        }
        if let Some(value) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
            let paths: Vec<PathBuf> = std::env::split_paths(&value)
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            if !paths.is_empty() {
                return Ok(Source::Env(paths));
            }
        }
        let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube").join("config"));
        if let Some(path) = home.as_ref().filter(|p| p.exists()) {
            return Ok(Source::Home(path.clone()));
        }
        if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
            return Ok(Source::InCluster);
        }
        let looked = home.map_or("~/.kube/config".to_string(), |p| p.display().to_string());
        bail!(
            "no cluster configuration found: KUBECONFIG is not set, {looked} does not exist and \
             this is not a pod with a service account; pass --kubeconfig PATH or set KUBECONFIG"
        )
    }

    /// For messages: `the kubeconfig /x (from KUBECONFIG)`.
    fn describe(&self) -> String {
        match self {
            Source::Flag(path) => format!("the kubeconfig {} (--kubeconfig)", path.display()),
            Source::Env(paths) => format!("the kubeconfig {} (KUBECONFIG)", joined(paths)),
            Source::Home(path) => format!("the kubeconfig {}", path.display()),
            Source::InCluster => "the in-cluster service account".to_string(),
        }
    }

    /// What to check when the file cannot be read.
    fn advice(&self) -> &'static str {
        match self {
            Source::Flag(_) => "check the path given to --kubeconfig",
            Source::Env(_) => "check the paths in KUBECONFIG",
            Source::Home(_) | Source::InCluster => "check that it is readable",
        }
    }

    fn read(&self) -> Result<Kubeconfig> {
        let paths = match self {
            Source::Flag(path) | Source::Home(path) => std::slice::from_ref(path),
            Source::Env(paths) => paths.as_slice(),
            Source::InCluster => bail!("no kubeconfig to read"),
        };
        let mut merged: Option<Kubeconfig> = None;
        for path in paths {
            let file = Kubeconfig::read_from(path).map_err(|e| {
                anyhow!(
                    "cannot read the kubeconfig {}: {}; {}",
                    path.display(),
                    root_cause(&e),
                    self.advice()
                )
            })?;
            merged = Some(match merged {
                None => file,
                Some(so_far) => so_far
                    .merge(file)
                    .map_err(|e| anyhow!("cannot merge the kubeconfigs {}: {e}", joined(paths)))?,
            });
        }
        merged.context("no kubeconfig to read")
    }
}

fn joined(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(":")
}

/// The innermost error's text: an OS error said once, not once per layer that wrapped it.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = err;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    deepest.to_string()
}

pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    namespace: Option<&str>,
    patience: Patience,
) -> Result<Connection> {
    let source = Source::find(kubeconfig)?;
    let (mut config, context) = match &source {
        Source::InCluster => {
            if let Some(name) = context {
                bail!(
                    "--context {name} needs a kubeconfig, but there is none (this is a pod: pass --kubeconfig PATH)"
                );
            }
            let config = Config::incluster().map_err(|e| {
                anyhow!(
                    "cannot use the in-cluster service account: {}",
                    root_cause(&e)
                )
            })?;
            (config, None)
        }
        _ => {
            let file = source.read()?;
            let used = choose_context(&file, context, &source)?;
            let options = KubeConfigOptions {
                context: Some(used.clone()),
                ..Default::default()
            };
            let config = Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(|e| {
                    anyhow!(
                        "cannot use context {used:?} of {}: {}",
                        source.describe(),
                        super::health::error_chain(&e)
                    )
                })?;
            (config, Some(used))
        }
    };
    config.connect_timeout = Some(patience.read);
    config.read_timeout = Some(patience.read);
    // Counts the read timeout from each request sent, not from when a pooled connection went idle.
    config.reset_reader_on_write = true;
    let namespace = namespace
        .map(str::to_string)
        .unwrap_or_else(|| config.default_namespace.clone());
    // Setting up runs an exec credential plugin, whose failure kube reports with its output.
    let client =
        Client::try_from(config).map_err(|e| match super::health::credential_failure(&e) {
            Some(failure) => anyhow!("cannot set up the Kubernetes client: {failure}"),
            None => anyhow!(
                "cannot set up the Kubernetes client: {}",
                super::health::error_chain(&e)
            ),
        })?;
    Ok(Connection {
        client,
        namespace,
        context,
        patience,
    })
}

/// The context asked for, or the current one; an unknown name lists the ones there are.
fn choose_context(file: &Kubeconfig, asked: Option<&str>, source: &Source) -> Result<String> {
    let names: Vec<&str> = file.contexts.iter().map(|c| c.name.as_str()).collect();
    let listed = || {
        if names.is_empty() {
            "it has no contexts".to_string()
        } else {
            let current = file
                .current_context
                .as_deref()
                .map_or(String::new(), |c| format!(" (current: {c})"));
            format!("it has: {}{current}", names.join(", "))
        }
    };
    match asked.or(file.current_context.as_deref()) {
        Some(name) if names.contains(&name) => Ok(name.to_string()),
        Some(name) if asked.is_some() => bail!(
            "context {name:?} is not in {}; {}. Pass one of those with --context",
            source.describe(),
            listed()
        ),
        Some(name) => bail!(
            "the current context {name:?} of {} does not exist; {}. Pass one with --context",
            source.describe(),
            listed()
        ),
        None => bail!(
            "{} sets no current context; {}. Pass one with --context",
            source.describe(),
            listed()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patience_is_six_intervals_within_bounds_and_watches_end_at_half() {
        let at = |ms| Patience::for_interval(Duration::from_millis(ms));
        assert_eq!(at(5000).read, Duration::from_secs(30));
        assert_eq!(at(5000).watch_seconds, 15);
        assert_eq!(at(200).read, Duration::from_secs(2));
        assert_eq!(at(200).watch_seconds, 1);
        assert_eq!(at(60_000).read, Duration::from_secs(60));
        assert_eq!(at(60_000).watch_seconds, 30);
    }
}
