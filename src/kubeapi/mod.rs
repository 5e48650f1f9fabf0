//! A local Kubernetes API server: enough of the real API (discovery, paged lists, watches with
//! resourceVersion, bookmarks and 410 Gone, field and label selectors, 401/403/404 Status
//! bodies, SelfSubjectAccessReview) for the real `kube` client and its `watcher` to work against
//! it, for pods, events, deployments, autoscaling/v2 HPAs and metrics.k8s.io/v1beta1.
//!
//! It holds no controllers: tests (and the stand-in cluster) change [`ClusterState`] over time.
//! It serves plain HTTP on loopback; [`ApiServer::kubeconfig`] writes the file that points a
//! client at it.

mod discovery;
mod handlers;
pub mod host;
mod media;
pub mod resources;
pub mod selectors;
pub mod state;
mod table;
mod watch;
pub mod workload;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch as signal;
use tokio::task::JoinHandle;

pub use resources::Resource;
pub use state::{ClusterState, NewEvent};

/// How a generated kubeconfig authenticates.
#[derive(Debug, Clone, PartialEq)]
pub enum KubeUser {
    Anonymous,
    Token(String),
    /// An exec credential plugin (`client.authentication.k8s.io/v1`), as cloud providers use.
    Exec {
        command: String,
        args: Vec<String>,
    },
}

struct Running {
    stop: signal::Sender<bool>,
    task: JoinHandle<()>,
}

/// A running (or stopped) server on a fixed loopback port; its state outlives restarts.
pub struct ApiServer {
    state: Arc<ClusterState>,
    addr: SocketAddr,
    running: Option<Running>,
}

impl ApiServer {
    /// Starts on a free loopback port.
    pub async fn start(state: Arc<ClusterState>) -> io::Result<Self> {
        Self::start_at(state, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_at(state: Arc<ClusterState>, addr: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let running = serve(state.clone(), listener);
        Ok(Self {
            state,
            addr,
            running: Some(running),
        })
    }

    pub fn state(&self) -> &Arc<ClusterState> {
        &self.state
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Stops listening and ends every open connection and watch: clients see an outage.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop.send_replace(true);
            let abort = running.task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), running.task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    /// Serves again on the same port, with the same state (the outage is over).
    pub async fn restart(&mut self) -> io::Result<()> {
        self.stop().await;
        let listener = bind_with_retries(self.addr).await?;
        self.running = Some(serve(self.state.clone(), listener));
        Ok(())
    }

    /// A kubeconfig whose current context points at this server with `namespace` as default.
    pub fn kubeconfig(&self, namespace: &str, user: &KubeUser) -> String {
        let user_entry = match user {
            KubeUser::Anonymous => "  user: {}\n".to_string(),
            KubeUser::Token(token) => format!("  user:\n    token: {token}\n"),
            // JSON strings are valid YAML scalars: no quoting rules of our own.
            KubeUser::Exec { command, args } => format!(
                "  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      \
                 command: {}\n      args: {}\n      interactiveMode: Never\n",
                serde_json::Value::from(command.as_str()),
                serde_json::Value::from(args.clone()),
            ),
        };
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: local\nclusters:\n- name: local\n  cluster:\n    server: {url}\n\
             contexts:\n- name: local\n  context:\n    cluster: local\n    namespace: {namespace}\n    user: local\n\
             users:\n- name: local\n{user_entry}",
            url = self.url(),
        )
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.stop.send_replace(true);
            running.task.abort();
        }
    }
}

fn serve(state: Arc<ClusterState>, listener: TcpListener) -> Running {
    let (stop, stopped) = signal::channel(false);
    let app = handlers::AppState {
        cluster: state,
        shutdown: stopped.clone(),
    };
    let router = handlers::router(app);
    let task = tokio::spawn(async move {
        let mut stopped = stopped;
        let shutdown = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
    });
    Running { stop, task }
}

/// The old socket may linger for a moment after a stop; rebinding the same port is retried.
async fn bind_with_retries(addr: SocketAddr) -> io::Result<TcpListener> {
    let mut last = None;
    for _ in 0..50 {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last.unwrap_or_else(|| io::Error::other("cannot rebind")))
}
