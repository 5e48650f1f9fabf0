//! Cluster access configured like kubectl: --kubeconfig, KUBECONFIG, ~/.kube/config, --context,
//! exec credential plugins, or the in-cluster service account.

use std::path::Path;

use anyhow::{Context, Result};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

pub struct Connection {
    pub client: Client,
    pub namespace: String,
    /// The kubeconfig context used, when one was (not in-cluster).
    pub context: Option<String>,
}

const HOW_TO_CONFIGURE: &str = "pass --kubeconfig PATH, set KUBECONFIG, or run inside a pod with a service account (deploy/rbac.yaml)";

pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    namespace: Option<&str>,
) -> Result<Connection> {
    let options = KubeConfigOptions {
        context: context.map(str::to_string),
        ..Default::default()
    };
    let (config, context) = match kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path).with_context(|| {
                format!(
                    "cannot read the kubeconfig {}: check the path given to --kubeconfig",
                    path.display()
                )
            })?;
            let used = options
                .context
                .clone()
                .or_else(|| file.current_context.clone());
            let config = Config::from_custom_kubeconfig(file, &options)
                .await
                .with_context(|| {
                    format!(
                        "cannot use the kubeconfig {} (context {:?})",
                        path.display(),
                        used
                    )
                })?;
            (config, used)
        }
        None if context.is_some() => {
            let config = Config::from_kubeconfig(&options).await.with_context(|| {
                format!(
                    "cannot use context {context:?}; list them with `kubectl config get-contexts`"
                )
            })?;
            (config, options.context.clone())
        }
        None => {
            let used = Kubeconfig::read().ok().and_then(|k| k.current_context);
            let config = Config::infer().await.with_context(|| {
                format!("cannot find a cluster configuration; {HOW_TO_CONFIGURE}")
            })?;
            (config, used)
        }
    };
    let namespace = namespace
        .map(str::to_string)
        .unwrap_or_else(|| config.default_namespace.clone());
    let client = Client::try_from(config).context("cannot set up the Kubernetes client")?;
    Ok(Connection {
        client,
        namespace,
        context,
    })
}
