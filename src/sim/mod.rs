//! Simulated services for tests, benchmarks and demonstrations (`report sim`): a stand-in
//! cluster (Deployment, pods, metrics-server, HPA controller) behind the local Kubernetes API,
//! and the inference service spread over its Ready pods.

pub mod clock;
pub mod cluster;
mod front;
pub mod hpa;
pub mod service;
mod stream;
pub mod truth;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::cli::SimArgs;
use crate::cli::invocation::{self_command, shell_word};
use crate::kubeapi::{ApiServer, ClusterState, KubeUser};
use crate::units::duration_text;
use clock::SimClock;
use cluster::{Cluster, ClusterConfig};
use truth::Truth;

pub const KUBECONFIG_FILE: &str = "kubeconfig";
pub const TRUTH_FILE: &str = "ground_truth.jsonl";

/// A running simulation; dropping it stops the clock and both servers.
pub struct Sim {
    pub api: ApiServer,
    pub service_addr: SocketAddr,
    pub kubeconfig: PathBuf,
    pub truth: PathBuf,
    pub cluster: Arc<Cluster>,
    tasks: Vec<JoinHandle<()>>,
}

impl Sim {
    /// Starts the API on `api_addr` and the service on `service_addr` (port 0: any free one),
    /// writing the kubeconfig and the ground truth into `dir`.
    pub async fn start(
        config: ClusterConfig,
        speed: f64,
        api_addr: SocketAddr,
        service_addr: SocketAddr,
        dir: &Path,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let state = ClusterState::new();
        let api = ApiServer::start_at(state.clone(), api_addr)
            .await
            .with_context(|| format!("cannot serve the Kubernetes API on {api_addr}"))?;
        let kubeconfig = dir.join(KUBECONFIG_FILE);
        std::fs::write(
            &kubeconfig,
            api.kubeconfig(&config.namespace, &KubeUser::Anonymous),
        )
        .with_context(|| format!("cannot write {}", kubeconfig.display()))?;
        let truth_path = dir.join(TRUTH_FILE);
        let clock = SimClock::start(speed);
        let cluster = Arc::new(Cluster::new(
            config,
            clock,
            state,
            Truth::create(&truth_path)?,
        ));
        let listener = TcpListener::bind(service_addr).await.with_context(|| {
            format!("cannot serve the inference service on {service_addr}; choose another --port")
        })?;
        let service_addr = listener.local_addr()?;
        let app = front::router(cluster.clone());
        let service = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let driver = tokio::spawn(drive(cluster.clone()));
        Ok(Self {
            api,
            service_addr,
            kubeconfig,
            truth: truth_path,
            cluster,
            tasks: vec![service, driver],
        })
    }

    pub fn service_url(&self) -> String {
        format!("http://{}", self.service_addr)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Ticks the cluster once per simulated second, on a schedule fixed to the start (no drift).
async fn drive(cluster: Arc<Cluster>) {
    for second in 1u64.. {
        tokio::time::sleep_until(cluster.clock().instant_at(second as f64)).await;
        cluster.tick(second);
    }
}

/// Reads `--config`: a JSON object with any of [`ClusterConfig`]'s fields.
pub fn read_config(path: &Path) -> Result<ClusterConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the sim config {}", path.display()))?;
    let config: ClusterConfig = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: line {}, column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    check_config(&config).with_context(|| format!("in {}", path.display()))?;
    Ok(config)
}

fn check_config(c: &ClusterConfig) -> Result<()> {
    let h = &c.hpa;
    if h.min_replicas < 1 || h.max_replicas < h.min_replicas {
        bail!(
            "hpa: need 1 <= min_replicas <= max_replicas (got {} and {})",
            h.min_replicas,
            h.max_replicas
        );
    }
    if h.target_utilization < 1 {
        bail!("hpa.target_utilization must be at least 1 (percent)");
    }
    if c.slots == 0 || c.cpu_request_m <= 0.0 || c.scrape_s == 0 || c.sync_s == 0 {
        bail!("slots, cpu_request_m, scrape_s and sync_s must be positive");
    }
    if !(1..=h.max_replicas).contains(&c.initial_replicas) {
        bail!("initial_replicas must be between 1 and hpa.max_replicas");
    }
    Ok(())
}

/// `report sim`: serves until Ctrl-C.
pub fn run(args: &SimArgs) -> Result<std::process::ExitCode> {
    if !(args.speed.is_finite() && args.speed > 0.0 && args.speed <= 1000.0) {
        bail!("--speed {} must be above 0 and at most 1000", args.speed);
    }
    let config = match &args.config {
        Some(path) => read_config(path)?,
        None => ClusterConfig::default(),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let sim = Sim::start(
            config,
            args.speed,
            loopback(args.api_port),
            loopback(args.port),
            &args.dir,
        )
        .await?;
        print_instructions(&sim, args.speed);
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        Ok(std::process::ExitCode::SUCCESS)
    })
}

fn print_instructions(sim: &Sim, speed: f64) {
    let c = sim.cluster.config();
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    println!(
        "Kubernetes API: {}  (namespace {}, HPA {})",
        sim.api.url(),
        c.namespace,
        c.app
    );
    println!("inference service: {}", sim.service_url());
    println!("ground truth: {}", absolute(&sim.truth).display());
    println!(
        "simulated time runs {speed}x faster than real time: rates x{speed}, durations /{speed}; \
         `report collect` records the speed (its HPA says it) and the report names the clock."
    );
    println!();
    println!(
        "export KUBECONFIG={}",
        shell_word(&absolute(&sim.kubeconfig).to_string_lossy())
    );
    println!(
        "{}",
        rehearsal_line(&self_command(), &c.namespace, &sim.service_url(), speed)
    );
}

/// The `collect ... -- run spike ...` line to paste, with the guide's spike (0.5 req/s baseline,
/// 4 req/s spike for 60 s, 30 s phases, 6 min linger) converted to real time at `speed`.
pub fn rehearsal_line(program: &str, namespace: &str, url: &str, speed: f64) -> String {
    // At speed X a simulated rate is X times the real one, and a duration X times shorter.
    let rate = |sim_rps: f64| crate::run::console::rate_text(sim_rps * speed);
    let span = |sim_s: f64| duration_text(std::time::Duration::from_secs_f64(sim_s / speed));
    format!(
        "{program} collect -n {namespace} --interval {interval} --linger {linger} -- {program} run spike --url {url} --baseline {b} --rps {r} --baseline-duration {d} --duration {d2} --recovery-duration {d}",
        interval = span(5.0),
        linger = span(360.0),
        b = rate(0.5),
        r = rate(4.0),
        d = span(30.0),
        d2 = span(60.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_from(text: &str) -> Result<ClusterConfig> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("sim.json");
        std::fs::write(&path, text)?;
        read_config(&path)
    }

    #[test]
    fn the_rehearsal_line_runs_as_pasted_with_durations_as_typed() {
        assert_eq!(
            rehearsal_line(
                "cargo run --release --",
                "llm-inference",
                "http://127.0.0.1:8000",
                1.0
            ),
            "cargo run --release -- collect -n llm-inference --interval 5s --linger 6m -- cargo run \
             --release -- run spike --url http://127.0.0.1:8000 --baseline 0.5 --rps 4 \
             --baseline-duration 30s --duration 1m --recovery-duration 30s"
        );
        assert_eq!(
            rehearsal_line("/opt/report", "ns", "http://127.0.0.1:1", 20.0),
            "/opt/report collect -n ns --interval 250ms --linger 18s -- /opt/report run spike \
             --url http://127.0.0.1:1 --baseline 10 --rps 80 --baseline-duration 1.5s --duration 3s \
             --recovery-duration 1.5s"
        );
    }

    #[test]
    fn config_keeps_defaults_for_missing_fields() {
        let config =
            config_from(r#"{"hpa": {"max_replicas": 8, "behavior": null}, "slots": 4}"#).unwrap();
        assert_eq!(
            (
                config.hpa.max_replicas,
                config.hpa.min_replicas,
                config.slots
            ),
            (8, 1, 4)
        );
        assert_eq!(config.hpa.behavior, None);
        assert_eq!(config.pull_s, ClusterConfig::default().pull_s);
    }

    #[test]
    fn config_errors_name_the_file_and_place() {
        let err = config_from("{\n  \"slots\": \"two\"\n}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sim.json: line 2, column"), "{err}");
        let err = config_from(r#"{"hpa": {"min_replicas": 3, "max_replicas": 2}}"#).unwrap_err();
        assert!(
            format!("{err:#}").contains("min_replicas <= max_replicas"),
            "{err:#}"
        );
    }
}
