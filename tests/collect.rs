//! `report collect` end to end: the real binary, the real `kube` client, pointed through a
//! kubeconfig file at the project's local Kubernetes API server on 127.0.0.1, whose state the
//! tests change while the recording runs.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use report::kubeapi::workload::{PodState, hpa_status, pod, seed_autoscaled_app};
use report::kubeapi::{ApiServer, ClusterState, KubeUser, NewEvent, Resource};
use report::session::jsonl::read_jsonl;
use report::session::{Manifest, files};
use serde_json::Value;
use tempfile::TempDir;
use tokio::time::{Instant, sleep};

#[path = "collect_support/silent_link.rs"]
mod silent_link;
use silent_link::SilentLink;

const NS: &str = "llm-inference";
const APP: &str = "llm-inference";
const TOKEN: &str = "tok-5f1e2d3c4b5a-do-not-record";
const WAIT: Duration = Duration::from_secs(15);

struct Cluster {
    server: ApiServer,
    dir: TempDir,
}

impl Cluster {
    /// A namespace with Deployment and HPA `llm-inference` and one ready pod, behind a token.
    async fn start() -> Self {
        let state = ClusterState::new();
        seed_autoscaled_app(&state, NS, APP, 1);
        state
            .set_hpa_status(NS, APP, &hpa_status(1, 1, Some((10, "50m"))))
            .unwrap();
        state.set_pod_metrics(
            NS,
            "llm-inference-1",
            &[("app", "250m", "512Mi"), ("sidecar", "7338891n", "14520Ki")],
        );
        state.set_node_metrics("node-1", "1500m", "6Gi");
        state.require_token(Some(TOKEN));
        let server = ApiServer::start(state).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("kubeconfig"),
            server.kubeconfig(NS, &KubeUser::Token(TOKEN.into())),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        Self { server, dir }
    }

    fn state(&self) -> &ClusterState {
        self.server.state()
    }

    fn work_dir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Starts `report collect` for session `name` with a 200 ms interval; `extra` is appended.
    fn collect(&self, name: &str, extra: &[&str]) -> Collector {
        self.collect_with(&self.dir.path().join("kubeconfig"), name, extra)
    }

    fn collect_with(&self, kubeconfig: &Path, name: &str, extra: &[&str]) -> Collector {
        let out = self.dir.path().join(format!("{name}.stdout"));
        let err = self.dir.path().join(format!("{name}.stderr"));
        let child = self
            .command(kubeconfig, name, extra)
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Collector {
            child,
            out,
            err,
            session: self.dir.path().join("data").join(name),
        }
    }

    /// `report collect` with the test's settings, stdout and stderr left to the caller.
    fn command(&self, kubeconfig: &Path, name: &str, extra: &[&str]) -> Command {
        let data = self.dir.path().join("data");
        let hpa: &[&str] = if extra.contains(&"--hpa") {
            &[]
        } else {
            &["--hpa", APP]
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_report"));
        command
            .arg("collect")
            .args(["--kubeconfig", kubeconfig.to_str().unwrap(), "-n", NS])
            .args(hpa)
            .args(["--interval", "200ms", "--session", name])
            .args(["--data-root", data.to_str().unwrap()])
            .args(extra)
            .current_dir(self.work_dir())
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null());
        command
    }

    fn hpa_event(&self, message: &str) {
        self.state().emit_event(&NewEvent {
            namespace: NS,
            involved_kind: "HorizontalPodAutoscaler",
            involved_name: APP,
            reason: "SuccessfulRescale",
            message,
            event_type: "Normal",
            component: "horizontal-pod-autoscaler",
        });
    }

    fn pod_event(&self, pod: &str, reason: &str, message: &str) {
        self.state().emit_event(&NewEvent {
            namespace: NS,
            involved_kind: "Pod",
            involved_name: pod,
            reason,
            message,
            event_type: "Normal",
            component: "kubelet",
        });
    }

    fn set_pod(&self, name: &str, state: &PodState<'_>) {
        self.state()
            .upsert(Resource::Pods, pod(NS, name, APP, state));
    }

    fn set_hpa(&self, current: i32, desired: i32, cpu: i32) {
        let average = format!("{}m", cpu * 5);
        self.state()
            .set_hpa_status(
                NS,
                APP,
                &hpa_status(current, desired, Some((cpu, &average))),
            )
            .unwrap();
    }

    /// Every watched source has its watch open: from here on no change can be missed.
    fn watches_open(&self) -> bool {
        let s = self.state();
        s.request_count("watch", "horizontalpodautoscalers.autoscaling") > 0
            && s.request_count("watch", "events") > 0
            && s.request_count("watch", "pods") > 0
    }
}

struct Collector {
    child: Child,
    out: PathBuf,
    err: PathBuf,
    session: PathBuf,
}

impl Collector {
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn records(&self, file: &str) -> Vec<Value> {
        let path = self.session.join(file);
        if !path.exists() {
            return Vec::new();
        }
        let (records, bad) = read_jsonl::<Value>(&path).unwrap();
        assert!(bad.is_empty(), "{file} has unreadable lines: {bad:?}");
        records
    }

    fn manifest(&self) -> Manifest {
        Manifest::read(&self.session.join(files::MANIFEST)).unwrap()
    }

    fn collector_log(&self, kind: &str, source: &str) -> Vec<String> {
        self.records(files::COLLECTOR_LOG)
            .into_iter()
            .filter(|r| r["kind"] == kind && r["source"] == source)
            .map(|r| r["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Polls `condition` until it holds; fails at once if the collector died meanwhile.
    async fn wait_for(&mut self, what: &str, condition: impl Fn(&Collector) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !condition(self) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "collector exited ({status}) while waiting for {what}; stderr:\n{}",
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; stderr:\n{}",
                self.stderr()
            );
            sleep(Duration::from_millis(25)).await;
        }
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on the child we spawned and have not reaped.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
    }

    async fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "collector did not exit; stderr:\n{}",
                self.stderr()
            );
            sleep(Duration::from_millis(25)).await;
        }
    }

    async fn interrupt_and_wait(&mut self) -> ExitStatus {
        self.signal(libc::SIGINT);
        self.wait_exit().await
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (currentReplicas, desiredReplicas, CPU utilization) of the HPA lines recorded `via`.
fn hpa_timeline(records: &[Value], via: &str) -> Vec<(i64, i64, i64)> {
    records
        .iter()
        .filter(|r| r["via"] == via)
        .map(|r| {
            let status = &r["status"];
            let cpu = status["currentMetrics"][0]["resource"]["current"]["averageUtilization"]
                .as_i64()
                .unwrap_or(-1);
            (
                status["currentReplicas"].as_i64().unwrap(),
                status["desiredReplicas"].as_i64().unwrap(),
                cpu,
            )
        })
        .collect()
}

fn event_lines(records: &[Value]) -> Vec<(String, String, String, i64)> {
    records
        .iter()
        .map(|r| {
            let text = |f: &str| r[f].as_str().unwrap_or_default().to_string();
            (
                text("involved_name"),
                text("reason"),
                text("message"),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn pod_lines(records: &[Value]) -> Vec<(String, String, String, bool)> {
    records
        .iter()
        .map(|r| {
            let text = |f: &str| r[f].as_str().unwrap_or_default().to_string();
            (
                text("change"),
                text("name"),
                text("phase"),
                r["ready"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn owned<const N: usize>(rows: [(&str, &str, &str, i64); N]) -> Vec<(String, String, String, i64)> {
    rows.iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), *d))
        .collect()
}

fn pods<const N: usize>(
    rows: [(&str, &str, &str, bool); N],
) -> Vec<(String, String, String, bool)> {
    rows.iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), *d))
        .collect()
}

/// No credential or server address from the kubeconfig may reach the session folder.
fn assert_no_secrets(session: &Path, server: &ApiServer) {
    let port = server.addr().port().to_string();
    for entry in walk(session) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        assert!(
            !text.contains(TOKEN),
            "{} contains the token",
            entry.display()
        );
        assert!(
            !text.contains(&format!("127.0.0.1:{port}")),
            "{} contains the server address",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

const UP: &str =
    "New size: 3; reason: cpu resource utilization (percentage of request) above target";
const DOWN: &str = "New size: 1; reason: All metrics below target";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_up_then_down_is_recorded_exactly() {
    let cluster = Cluster::start().await;
    let mut collector = cluster.collect("scale", &[]);
    collector
        .wait_for("the watches", |_| cluster.watches_open())
        .await;

    // Load arrives; the HPA scales 1 -> 3; two pods start; load settles.
    cluster.set_hpa(1, 1, 150);
    cluster.set_hpa(1, 3, 150);
    cluster.hpa_event(UP);
    for name in ["llm-inference-2", "llm-inference-3"] {
        cluster.set_pod(name, &PodState::pending());
        cluster.pod_event(
            name,
            "Scheduled",
            &format!("Successfully assigned {NS}/{name} to node-1"),
        );
        cluster.set_pod(name, &PodState::running(false));
        cluster.set_pod(name, &PodState::running(true));
    }
    cluster.set_hpa(3, 3, 60);
    // Load ends; the HPA scales 3 -> 1 and the two pods go.
    cluster.set_hpa(3, 1, 5);
    cluster.hpa_event(DOWN);
    assert!(cluster.state().delete_pod(NS, "llm-inference-2"));
    assert!(cluster.state().delete_pod(NS, "llm-inference-3"));
    cluster.set_hpa(1, 1, 5);
    // A second burst repeats the same rescale: the Event's count goes to 2.
    cluster.set_hpa(1, 3, 140);
    cluster.hpa_event(UP);

    collector
        .wait_for("the last rescale", |c| {
            hpa_timeline(&c.records(files::HPA), "watch").last() == Some(&(1, 3, 140))
        })
        .await;
    collector
        .wait_for("the repeated event", |c| {
            c.records(files::EVENTS).len() == 5
        })
        .await;
    collector
        .wait_for("samples", |c| {
            hpa_timeline(&c.records(files::HPA), "sample").len() >= 3
        })
        .await;
    collector
        .wait_for("pod metrics", |c| !c.records(files::POD_METRICS).is_empty())
        .await;
    let status = collector.interrupt_and_wait().await;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", collector.stderr());

    let hpa = collector.records(files::HPA);
    assert_eq!(
        hpa_timeline(&hpa, "watch"),
        vec![
            (1, 1, 10),
            (1, 1, 150),
            (1, 3, 150),
            (3, 3, 60),
            (3, 1, 5),
            (1, 1, 5),
            (1, 3, 140)
        ]
    );
    assert_eq!(hpa[0]["name"], APP);
    assert_eq!(hpa[0]["spec"]["maxReplicas"], 10);
    assert_eq!(
        event_lines(&collector.records(files::EVENTS)),
        owned([
            (APP, "SuccessfulRescale", UP, 1),
            (
                "llm-inference-2",
                "Scheduled",
                "Successfully assigned llm-inference/llm-inference-2 to node-1",
                1
            ),
            (
                "llm-inference-3",
                "Scheduled",
                "Successfully assigned llm-inference/llm-inference-3 to node-1",
                1
            ),
            (APP, "SuccessfulRescale", DOWN, 1),
            (APP, "SuccessfulRescale", UP, 2),
        ])
    );
    assert_eq!(
        pod_lines(&collector.records(files::PODS)),
        pods([
            ("listed", "llm-inference-1", "Running", true),
            ("added", "llm-inference-2", "Pending", false),
            ("modified", "llm-inference-2", "Running", false),
            ("modified", "llm-inference-2", "Running", true),
            ("added", "llm-inference-3", "Pending", false),
            ("modified", "llm-inference-3", "Running", false),
            ("modified", "llm-inference-3", "Running", true),
            ("deleted", "llm-inference-2", "Running", true),
            ("deleted", "llm-inference-3", "Running", true),
        ])
    );
    // 250m + 7338891n = 257.338891 millicores; 512Mi + 14520Ki = 536870912 + 14868480 bytes.
    // Polled every 200 ms, but metrics-server's one sample is recorded once.
    let usage_lines = collector.records(files::POD_METRICS);
    assert_eq!(usage_lines.len(), 1, "{usage_lines:?}");
    assert!(cluster.state().request_count("list", "pods.metrics.k8s.io") >= 3);
    let usage = &usage_lines[0];
    assert_eq!(usage["pod"], "llm-inference-1");
    assert!((usage["cpu_millicores"].as_f64().unwrap() - 257.338891).abs() < 1e-9);
    assert_eq!(usage["memory_bytes"].as_f64().unwrap(), 551_739_392.0);
    assert_eq!(usage["window_seconds"].as_f64().unwrap(), 15.0);
    let node_lines = collector.records(files::NODE_METRICS);
    assert_eq!(node_lines.len(), 1, "{node_lines:?}");
    let node = &node_lines[0];
    assert_eq!(node["node"], "node-1");
    assert_eq!(node["cpu_millicores"].as_f64().unwrap(), 1500.0);
    assert_eq!(node["memory_bytes"].as_f64().unwrap(), 6_442_450_944.0); // 6 * 1024^3

    let manifest = collector.manifest();
    let cluster_info = manifest.cluster.clone().unwrap();
    assert_eq!(cluster_info.namespace, NS);
    assert_eq!(cluster_info.context.as_deref(), Some("local"));
    assert_eq!(
        cluster_info.target.as_deref(),
        Some("Deployment/llm-inference")
    );
    assert_eq!(
        cluster_info.pod_selector.as_deref(),
        Some("app=llm-inference")
    );
    assert_eq!(
        cluster_info.hpa_spec.unwrap()["metrics"][0]["resource"]["target"]["averageUtilization"],
        70
    );
    assert_no_secrets(&collector.session, &cluster.server);
    // Watches, not polling: one list and one watch per watched source (metrics are polled).
    assert_eq!(cluster.state().request_count("list", "pods"), 1);
    assert_eq!(cluster.state().request_count("watch", "pods"), 1);
    assert_eq!(cluster.state().request_count("list", "events"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_restarts_and_410_relists_add_no_duplicates() {
    let cluster = Cluster::start().await;
    cluster.hpa_event(UP);
    let mut collector = cluster.collect("restarts", &[]);
    collector
        .wait_for("the watches", |_| cluster.watches_open())
        .await;

    let recorded =
        |c: &Collector, n: usize| hpa_timeline(&c.records(files::HPA), "watch").len() == n;
    cluster.set_hpa(1, 2, 120);
    collector
        .wait_for("the first change", |c| recorded(c, 2))
        .await;
    // The connection drops: the watch resumes from its resourceVersion.
    cluster.state().close_watches();
    collector
        .wait_for("the resumed watch", |_| {
            cluster
                .state()
                .request_count("watch", "horizontalpodautoscalers.autoscaling")
                == 2
        })
        .await;
    cluster.set_hpa(2, 2, 80);
    collector
        .wait_for("the change after the resume", |c| recorded(c, 3))
        .await;
    // History compacted: every open watch gets 410 Gone and lists everything again.
    cluster.state().compact_history();
    collector
        .wait_for("the re-list after 410", |_| {
            cluster
                .state()
                .request_count("list", "horizontalpodautoscalers.autoscaling")
                == 2
        })
        .await;
    collector
        .wait_for("the pods and events re-lists", |_| {
            cluster.state().request_count("list", "pods") == 2
                && cluster.state().request_count("list", "events") == 2
        })
        .await;
    cluster.set_hpa(2, 1, 20);
    cluster.hpa_event(DOWN);
    collector
        .wait_for("the last change", |c| c.records(files::EVENTS).len() == 2)
        .await;
    collector
        .wait_for("the last HPA change", |c| {
            hpa_timeline(&c.records(files::HPA), "watch").last() == Some(&(2, 1, 20))
        })
        .await;
    assert_eq!(collector.interrupt_and_wait().await.code(), Some(0));

    assert_eq!(
        hpa_timeline(&collector.records(files::HPA), "watch"),
        vec![(1, 1, 10), (1, 2, 120), (2, 2, 80), (2, 1, 20)]
    );
    assert_eq!(
        event_lines(&collector.records(files::EVENTS)),
        owned([
            (APP, "SuccessfulRescale", UP, 1),
            (APP, "SuccessfulRescale", DOWN, 1)
        ])
    );
    assert_eq!(
        pod_lines(&collector.records(files::PODS)),
        pods([("listed", "llm-inference-1", "Running", true)])
    );
    assert_eq!(
        collector.collector_log("info", "hpa"),
        vec!["watch expired (410 Gone); listing again".to_string()]
    );
    assert!(
        collector.collector_log("gap_start", "hpa").is_empty(),
        "a 410 is not a gap"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_server_outage_is_recorded_as_a_gap_and_recording_resumes() {
    let mut cluster = Cluster::start().await;
    let mut collector = cluster.collect("outage", &[]);
    collector
        .wait_for("the watches", |_| cluster.watches_open())
        .await;

    cluster.server.stop().await;
    for source in ["hpa", "events", "pods", "pod_metrics"] {
        collector
            .wait_for(source, |c| c.collector_log("gap_start", source).len() == 1)
            .await;
    }
    // Meanwhile the cluster goes on: a rescale, a new pod, the pod it replaced deleted.
    cluster.set_hpa(1, 2, 130);
    cluster.hpa_event(
        "New size: 2; reason: cpu resource utilization (percentage of request) above target",
    );
    cluster.set_pod("llm-inference-2", &PodState::running(true));
    cluster.state().delete_pod(NS, "llm-inference-1");
    cluster.server.restart().await.unwrap();
    for source in ["hpa", "events", "pods", "pod_metrics"] {
        collector
            .wait_for(source, |c| c.collector_log("gap_end", source).len() == 1)
            .await;
    }
    collector
        .wait_for("the missed rescale", |c| {
            hpa_timeline(&c.records(files::HPA), "watch").len() == 2
        })
        .await;
    collector
        .wait_for("the pods after the outage", |c| {
            c.records(files::PODS).len() == 3
        })
        .await;
    collector
        .wait_for("the event of the outage", |c| {
            c.records(files::EVENTS).len() == 1
        })
        .await;
    assert_eq!(collector.interrupt_and_wait().await.code(), Some(0));

    assert_eq!(
        hpa_timeline(&collector.records(files::HPA), "watch"),
        vec![(1, 1, 10), (1, 2, 130)]
    );
    assert_eq!(
        pod_lines(&collector.records(files::PODS)),
        pods([
            ("listed", "llm-inference-1", "Running", true),
            ("listed", "llm-inference-2", "Running", true),
            ("deleted", "llm-inference-1", "Running", true),
        ])
    );
    let gap = collector.collector_log("gap_start", "hpa");
    assert!(gap[0].contains("API server unreachable"), "{gap:?}");
    assert!(collector.collector_log("gap_end", "hpa")[0].starts_with("reading again after "));
    // Every gap_start comes before its gap_end.
    let log = collector.records(files::COLLECTOR_LOG);
    let position = |kind: &str| {
        log.iter()
            .position(|r| r["kind"] == kind && r["source"] == "pods")
            .unwrap()
    };
    assert!(position("gap_start") < position("gap_end"));
    assert!(
        collector.stderr().contains("retrying; the gap is recorded"),
        "{}",
        collector.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_metrics_api_is_warned_once_and_the_rest_recorded() {
    let cluster = Cluster::start().await;
    cluster.state().set_metrics_available(false);
    let mut collector = cluster.collect("nometrics", &["--duration", "1500ms"]);
    let status = collector.wait_exit().await;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", collector.stderr());

    let warnings: Vec<Value> = collector
        .records(files::COLLECTOR_LOG)
        .into_iter()
        .filter(|r| r["kind"] == "warning")
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("metrics.k8s.io) is not available")
    );
    assert_eq!(
        collector
            .stderr()
            .matches("Metrics API not available")
            .count(),
        1,
        "{}",
        collector.stderr()
    );
    assert!(!collector.session.join(files::POD_METRICS).exists());
    assert!(hpa_timeline(&collector.records(files::HPA), "sample").len() >= 3);
    assert_eq!(
        collector.manifest().end_reason.as_deref(),
        Some("duration reached")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_watch_names_verb_and_resource_and_recovers_when_granted() {
    let cluster = Cluster::start().await;
    cluster.state().forbid("watch", "events");
    let mut collector = cluster.collect("forbidden", &[]);
    collector
        .wait_for("the events gap", |c| {
            c.collector_log("gap_start", "events").len() == 1
        })
        .await;
    let gap = &collector.collector_log("gap_start", "events")[0];
    assert!(
        gap.contains("cannot watch events in namespace llm-inference"),
        "{gap}"
    );
    // The preflight said it first, before any data.
    let preflight = collector.collector_log("warning", "preflight");
    assert_eq!(preflight.len(), 1, "{preflight:?}");
    assert!(
        preflight[0].contains("permission denied: cannot watch events"),
        "{preflight:?}"
    );
    assert!(
        collector
            .stderr()
            .contains("grant the verb `watch` on `events`"),
        "{}",
        collector.stderr()
    );

    cluster.state().permit("watch", "events");
    collector
        .wait_for("the events gap to end", |c| {
            c.collector_log("gap_end", "events").len() == 1
        })
        .await;
    cluster.hpa_event(UP);
    collector
        .wait_for("the event", |c| c.records(files::EVENTS).len() == 1)
        .await;
    assert_eq!(collector.interrupt_and_wait().await.code(), Some(0));
    assert_eq!(
        event_lines(&collector.records(files::EVENTS)),
        owned([(APP, "SuccessfulRescale", UP, 1)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_hpa_or_unknown_hpa_stops_before_recording() {
    let cluster = Cluster::start().await;
    let mut unknown = cluster.collect("unknown", &["--hpa", "nope"]);
    assert_eq!(unknown.wait_exit().await.code(), Some(2));
    assert!(
        unknown.stderr().contains(
            "HPA \"nope\" not found in namespace llm-inference; its HPAs are: llm-inference"
        ),
        "{}",
        unknown.stderr()
    );
    assert!(!unknown.session.exists());

    cluster
        .state()
        .forbid("get", "horizontalpodautoscalers.autoscaling");
    let mut forbidden = cluster.collect("nohpa", &[]);
    assert_eq!(forbidden.wait_exit().await.code(), Some(2));
    assert!(
        forbidden
            .stderr()
            .contains("cannot get horizontalpodautoscalers.autoscaling in namespace llm-inference"),
        "{}",
        forbidden.stderr()
    );
    assert!(!forbidden.session.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrapped_command_output_timing_and_exit_code_are_kept() {
    let cluster = Cluster::start().await;
    let script = "echo '🚀 first'; sleep 0.4; echo second >&2; sleep 0.4; printf 'third\\nno newline'; exit 7";
    let mut collector =
        cluster.collect("command", &["--linger", "400ms", "--", "sh", "-c", script]);
    let status = collector.wait_exit().await;
    assert_eq!(status.code(), Some(7), "stderr:\n{}", collector.stderr());

    assert_eq!(collector.stdout(), "🚀 first\nthird\nno newline");
    assert!(collector.stderr().contains("second\n"));
    let console = std::fs::read_to_string(collector.session.join(files::CONSOLE_LOG)).unwrap();
    let lines: Vec<(chrono::DateTime<chrono::FixedOffset>, &str)> = console
        .lines()
        .map(|l| {
            let (t, text) = l.split_once('\t').unwrap();
            (chrono::DateTime::parse_from_rfc3339(t).unwrap(), text)
        })
        .collect();
    let texts: Vec<&str> = lines.iter().map(|(_, text)| *text).collect();
    assert_eq!(texts, vec!["🚀 first", "second", "third", "no newline"]);
    let gap_ms = |a: usize, b: usize| (lines[b].0 - lines[a].0).num_milliseconds();
    assert!(
        gap_ms(0, 1) >= 350,
        "lines stamped when they arrive: {console}"
    );
    assert!(gap_ms(1, 2) >= 350, "{console}");

    let manifest = collector.manifest();
    let command = manifest.command.clone().unwrap();
    assert_eq!(command.argv, vec!["sh", "-c", script]);
    assert_eq!(command.exit_code, Some(7));
    let ran = (command.ended_at.unwrap() - command.started_at.unwrap()).num_milliseconds();
    assert!((750..5000).contains(&ran), "ran {ran} ms");
    let lingered = (manifest.ended_at.unwrap() - command.ended_at.unwrap()).num_milliseconds();
    assert!(lingered >= 400, "lingered {lingered} ms");
    assert_eq!(manifest.end_reason.as_deref(), Some("command exited"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_file_written_in_two_chunks_is_stored_only_complete() {
    let cluster = Cluster::start().await;
    let work = cluster.work_dir();
    std::fs::write(
        work.join("advanced_test_results_old.json"),
        "{\"old\": true}",
    )
    .unwrap();
    // Half a file, a pause the collector sees through several polls, the rest; then a second
    // complete version; then the script exits.
    let script = "printf '{\"spike\": {\"baseline' > advanced_test_results_1.json; sleep 1; \
                  printf '_results\": {\"total\": 3}}}' >> advanced_test_results_1.json; sleep 0.6; \
                  printf '{\"spike\": {\"v\": 2}}' > advanced_test_results_1.json; sleep 0.6";
    let mut collector = cluster.collect("results", &["--", "sh", "-c", script]);
    assert_eq!(
        collector.wait_exit().await.code(),
        Some(0),
        "stderr:\n{}",
        collector.stderr()
    );

    let index = collector.records(files::RESULTS_INDEX);
    let stored: Vec<String> = index
        .iter()
        .map(|r| r["stored"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(stored.len(), 2, "{index:?}");
    let read = |name: &str| {
        std::fs::read_to_string(collector.session.join(files::RESULTS_DIR).join(name)).unwrap()
    };
    assert_eq!(
        read(&stored[0]),
        "{\"spike\": {\"baseline_results\": {\"total\": 3}}}"
    );
    assert_eq!(read(&stored[1]), "{\"spike\": {\"v\": 2}}");
    assert!(
        stored
            .iter()
            .all(|s| s.ends_with("__advanced_test_results_1.json")),
        "{stored:?}"
    );
    assert_eq!(index[0]["source"], "advanced_test_results_1.json");
    assert_eq!(index[0]["bytes"], 45);
    let files_in_results: Vec<PathBuf> = walk(&collector.session.join(files::RESULTS_DIR));
    assert_eq!(
        files_in_results.len(),
        2,
        "only complete versions, no leftovers: {files_in_results:?}"
    );
    let leftovers: Vec<PathBuf> = walk(&collector.session)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_flushes_and_writes_the_end() {
    let cluster = Cluster::start().await;
    let mut collector = cluster.collect("sigint", &[]);
    collector
        .wait_for("a few samples", |c| {
            hpa_timeline(&c.records(files::HPA), "sample").len() >= 2
        })
        .await;
    assert_eq!(collector.manifest().ended_at, None, "still running");
    let status = collector.interrupt_and_wait().await;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", collector.stderr());

    let manifest = collector.manifest();
    assert_eq!(manifest.end_reason.as_deref(), Some("interrupted (SIGINT)"));
    assert!(manifest.ended_at.unwrap() > manifest.started_at);
    assert_eq!(
        manifest.created_by,
        format!("report collect {}", env!("CARGO_PKG_VERSION"))
    );
    let last = collector.records(files::COLLECTOR_LOG).pop().unwrap();
    assert_eq!(last["message"], "recording ended: interrupted (SIGINT)");
    assert_no_secrets(&collector.session, &cluster.server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_credential_plugin_supplies_the_token() {
    let cluster = Cluster::start().await;
    let plugin = cluster.dir.path().join("credential-plugin.sh");
    let credential = format!(
        "{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{TOKEN}\"}}}}"
    );
    std::fs::write(&plugin, format!("#!/bin/sh\necho '{credential}'\n")).unwrap();
    let user = KubeUser::Exec {
        command: "sh".into(),
        args: vec![plugin.to_str().unwrap().into()],
    };
    let kubeconfig = cluster.dir.path().join("exec-kubeconfig");
    std::fs::write(&kubeconfig, cluster.server.kubeconfig(NS, &user)).unwrap();

    let mut collector = cluster.collect_with(&kubeconfig, "exec", &["--duration", "800ms"]);
    assert_eq!(
        collector.wait_exit().await.code(),
        Some(0),
        "stderr:\n{}",
        collector.stderr()
    );
    assert_eq!(
        hpa_timeline(&collector.records(files::HPA), "watch"),
        vec![(1, 1, 10)]
    );
    assert_no_secrets(&collector.session, &cluster.server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_leaves_a_readable_session() {
    let cluster = Cluster::start().await;
    let mut collector = cluster.collect("kill9", &[]);
    collector
        .wait_for("a few samples", |c| {
            hpa_timeline(&c.records(files::HPA), "sample").len() >= 2
        })
        .await;
    collector.signal(libc::SIGKILL);
    collector.wait_exit().await;

    assert_eq!(collector.manifest().ended_at, None, "no end was written");
    for file in [
        files::HPA,
        files::PODS,
        files::POD_METRICS,
        files::NODE_METRICS,
    ] {
        let path = collector.session.join(file);
        let (records, bad) = read_jsonl::<Value>(&path).unwrap();
        assert!(!records.is_empty(), "{file} kept its records");
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        // At most the line being written is lost, and only as the last line.
        assert!(
            bad.is_empty() || (bad.len() == 1 && bad[0].line == lines),
            "{file}: {bad:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_reaches_the_command_once_and_its_exit_code_is_returned() {
    let cluster = Cluster::start().await;
    // Only `report collect` is signalled (as with `kill -INT`), so it must pass the signal on.
    let script = "trap 'echo got-int; exit 3' INT; echo ready; sleep 10 & wait";
    let mut collector = cluster.collect("forward", &["--", "sh", "-c", script]);
    collector
        .wait_for("the command", |c| c.stdout().contains("ready"))
        .await;
    let status = collector.interrupt_and_wait().await;
    assert_eq!(status.code(), Some(3), "stderr:\n{}", collector.stderr());
    let console = std::fs::read_to_string(collector.session.join(files::CONSOLE_LOG)).unwrap();
    assert_eq!(console.matches("got-int").count(), 1, "{console}");
    let manifest = collector.manifest();
    assert_eq!(manifest.end_reason.as_deref(), Some("interrupted (SIGINT)"));
    assert_eq!(manifest.command.unwrap().exit_code, Some(3));
}

/// A pseudo-terminal: (the side a program writes to, the side the test reads).
fn pseudo_terminal(columns: u16) -> (std::os::fd::OwnedFd, File) {
    use std::os::fd::FromRawFd;
    let (mut controller, mut terminal) = (0, 0);
    let size = libc::winsize {
        ws_row: 24,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty fills two fds that we then own; the name buffer is not requested.
    let rc = unsafe {
        libc::openpty(
            &mut controller,
            &mut terminal,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty failed");
    // openpty does not set close-on-exec: without it, a process another test starts meanwhile
    // inherits the terminal and holds it open, and the reader never sees it close.
    for fd in [controller, terminal] {
        // SAFETY: fcntl on an fd we own, setting a flag; no memory effects.
        unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
    // SAFETY: both fds were just opened by openpty and are owned by nothing else.
    unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(terminal),
            File::from_raw_fd(controller),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_line_is_drawn_only_when_stderr_is_a_terminal() {
    let cluster = Cluster::start().await;
    let kubeconfig = cluster.dir.path().join("kubeconfig");
    let (status, shown) = on_terminal(
        cluster.command(&kubeconfig, "tty", &["--duration", "2500ms"]),
        200,
    )
    .await;
    assert_eq!(status.code(), Some(0));
    assert!(
        shown.contains("replicas 1/1 · cpu 10%/70% · ready 1/1"),
        "{shown:?}"
    );

    let mut plain = cluster.collect("notty", &["--duration", "500ms"]);
    assert_eq!(plain.wait_exit().await.code(), Some(0));
    assert!(!plain.stderr().contains("replicas"), "{}", plain.stderr());
}

/// The local API server, through the real `kube` client: discovery, paging, selectors, 410,
/// 401, 404 for an absent metrics API, 405 for watching metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_api_server_speaks_the_api_the_kube_client_expects() {
    use futures::StreamExt;
    use k8s_openapi::api::core::v1::{Event, Pod};
    use kube::api::{Api, ListParams, WatchEvent, WatchParams};

    let cluster = Cluster::start().await;
    for n in 2..=5 {
        cluster.set_pod(&format!("llm-inference-{n}"), &PodState::running(true));
    }
    cluster.pod_event("llm-inference-2", "Started", "Started container app");
    cluster.hpa_event(UP);
    let kubeconfig = cluster
        .server
        .kubeconfig(NS, &KubeUser::Token(TOKEN.into()));
    let parsed = kube::config::Kubeconfig::from_yaml(&kubeconfig).unwrap();
    let options = kube::config::KubeConfigOptions::default();
    let config = kube::Config::from_custom_kubeconfig(parsed, &options)
        .await
        .unwrap();
    let client = kube::Client::try_from(config).unwrap();

    let discovery = kube::discovery::Discovery::new(client.clone())
        .run()
        .await
        .unwrap();
    let kinds: Vec<String> = discovery
        .groups()
        .flat_map(|g| g.recommended_resources())
        .map(|(resource, _)| format!("{}/{}", resource.api_version, resource.kind))
        .collect();
    assert!(
        kinds.contains(&"autoscaling/v2/HorizontalPodAutoscaler".to_string()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"metrics.k8s.io/v1beta1/PodMetrics".to_string()),
        "{kinds:?}"
    );

    // Paged list: 5 pods, 2 at a time.
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(2);
    let mut pages = 0;
    loop {
        let page = pods.list(&params).await.unwrap();
        pages += 1;
        names.extend(page.items.iter().filter_map(|p| p.metadata.name.clone()));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        names,
        (1..=5)
            .map(|n| format!("llm-inference-{n}"))
            .collect::<Vec<_>>()
    );

    // Field and label selectors.
    let events: Api<Event> = Api::namespaced(client.clone(), NS);
    let by_kind =
        ListParams::default().fields("involvedObject.kind=Pod,involvedObject.name=llm-inference-2");
    let listed = events.list(&by_kind).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].reason.as_deref(), Some("Started"));
    assert!(
        pods.list(&ListParams::default().labels("app=other"))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // A watch from a compacted resourceVersion gets 410 Gone as a watch event.
    cluster.state().compact_history();
    let mut stream = pods
        .watch(&WatchParams::default(), "1")
        .await
        .unwrap()
        .boxed();
    match stream.next().await {
        Some(Ok(WatchEvent::Error(status))) => assert_eq!(status.code, 410),
        other => panic!("expected 410 Gone, got {other:?}"),
    }

    // metrics.k8s.io: no watch (405); absent (404) when metrics-server is missing.
    let metrics_resource = kube::api::ApiResource {
        group: "metrics.k8s.io".into(),
        version: "v1beta1".into(),
        api_version: "metrics.k8s.io/v1beta1".into(),
        kind: "PodMetrics".into(),
        plural: "pods".into(),
    };
    let pod_metrics: Api<kube::api::DynamicObject> =
        Api::namespaced_with(client.clone(), NS, &metrics_resource);
    let code = |e: kube::Error| match e {
        kube::Error::Api(status) => status.code,
        other => panic!("expected an API error, got {other}"),
    };
    assert_eq!(
        code(
            pod_metrics
                .watch(&WatchParams::default(), "0")
                .await
                .err()
                .unwrap()
        ),
        405
    );
    cluster.state().set_metrics_available(false);
    assert_eq!(
        code(pod_metrics.list(&ListParams::default()).await.unwrap_err()),
        404
    );

    // Without the token: 401.
    cluster.state().require_token(Some("another"));
    assert_eq!(
        code(pods.list(&ListParams::default()).await.unwrap_err()),
        401
    );
}

/// `report collect ARGS` with nothing inherited about cluster access: no KUBECONFIG, a HOME
/// without `~/.kube`, not in a pod; `env` is added.
fn bare_collect(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_report"));
    command
        .arg("collect")
        .args(args)
        .current_dir(home)
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", home)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs to the end (at most WAIT): (exit code, stderr).
async fn finish(mut command: Command) -> (Option<i32>, String) {
    let child = command.spawn().unwrap();
    let output = tokio::time::timeout(
        WAIT,
        tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()),
    )
    .await
    .expect("report collect did not end")
    .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Whether a process still runs (a zombie waiting for its reaper does not).
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let rest = &stat[stat.rfind(')')? + 1..];
            rest.split_whitespace().next().map(|s| s != "Z" && s != "X")
        })
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_api_server_in_the_preflight_gives_way_to_sigterm_and_to_the_read_timeout() {
    let hole = SilentLink::start(None).await;
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    let cluster = Cluster::start().await;
    let text = cluster
        .server
        .kubeconfig(NS, &KubeUser::Token(TOKEN.into()))
        .replace(&cluster.server.addr().to_string(), &hole.addr.to_string());
    std::fs::write(&kubeconfig, text).unwrap();
    let data = home.path().join("data");
    let args = |interval: &'static str| {
        vec![
            "--kubeconfig".to_string(),
            kubeconfig.to_str().unwrap().to_string(),
            "--interval".to_string(),
            interval.to_string(),
            "--data-root".to_string(),
            data.to_str().unwrap().to_string(),
            "--session".to_string(),
            "silent".to_string(),
        ]
    };

    // At 5 s the read timeout is 30 s: SIGTERM after 1 s must end it at once.
    let five: Vec<String> = args("5s");
    let five: Vec<&str> = five.iter().map(String::as_str).collect();
    let child = bare_collect(home.path(), &five, &[]).spawn().unwrap();
    sleep(Duration::from_secs(1)).await;
    let sent = Instant::now();
    // SAFETY: kill(2) on the child we spawned and have not reaped.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let output = tokio::time::timeout(
        WAIT,
        tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()),
    )
    .await
    .expect("SIGTERM during the preflight was ignored")
    .unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(output.status.code(), Some(128 + libc::SIGTERM));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "interrupted (SIGTERM) during the preflight; nothing was recorded\n"
    );
    assert!(!data.join("silent").exists());

    // At 200 ms the read timeout is 2 s: with no signal it fails by itself, saying why.
    let fast: Vec<String> = args("200ms");
    let fast: Vec<&str> = fast.iter().map(String::as_str).collect();
    let started = Instant::now();
    let (code, stderr) = finish(bare_collect(home.path(), &fast, &[])).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains("list horizontalpodautoscalers.autoscaling: API server unreachable")
            && stderr.contains("timed out"),
        "{stderr}"
    );
    assert!(!data.join("silent").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_half_open_watch_is_a_gap_not_a_run_of_stale_samples() {
    let cluster = Cluster::start().await;
    let link = SilentLink::start(Some(cluster.server.addr())).await;
    let kubeconfig = cluster.dir.path().join("silent-kubeconfig");
    let text = cluster
        .server
        .kubeconfig(NS, &KubeUser::Token(TOKEN.into()))
        .replace(&cluster.server.addr().to_string(), &link.addr.to_string());
    std::fs::write(&kubeconfig, text).unwrap();
    let mut collector = cluster.collect_with(&kubeconfig, "halfopen", &[]);
    collector
        .wait_for("watches and samples", |c| {
            cluster.watches_open() && hpa_timeline(&c.records(files::HPA), "sample").len() >= 3
        })
        .await;

    link.freeze(true);
    let frozen_at = chrono::Utc::now();
    collector
        .wait_for("the HPA's gap", |c| {
            !c.collector_log("gap_start", "hpa").is_empty()
        })
        .await;
    // Stay silent a while longer: nothing may be sampled from the dead link meanwhile.
    sleep(Duration::from_secs(2)).await;
    let gap_started = collector
        .records(files::COLLECTOR_LOG)
        .into_iter()
        .find(|r| r["kind"] == "gap_start" && r["source"] == "hpa")
        .map(|r| {
            r["t"]
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
        })
        .unwrap();
    let detected = (gap_started - frozen_at).num_milliseconds();
    // The read timeout at a 200 ms interval is 2 s; a watch renewed every second.
    assert!(
        (0..4000).contains(&detected),
        "gap recorded {detected} ms after the freeze"
    );
    let stale: Vec<String> = collector
        .records(files::HPA)
        .iter()
        .filter_map(|r| r["t"].as_str().map(str::to_string))
        .filter(|t| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap() > gap_started)
        .collect();
    assert_eq!(
        stale,
        Vec::<String>::new(),
        "HPA lines written during the gap"
    );

    link.freeze(false);
    cluster.set_hpa(2, 2, 80);
    collector
        .wait_for("the gap's end and a fresh reading", |c| {
            !c.collector_log("gap_end", "hpa").is_empty()
                && hpa_timeline(&c.records(files::HPA), "watch").contains(&(2, 2, 80))
        })
        .await;
    assert_eq!(collector.collector_log("gap_start", "hpa").len(), 1);
    collector.interrupt_and_wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_command_leaves_running_is_ended_with_the_recording() {
    let cluster = Cluster::start().await;
    // A plan script that starts its load generator in the background and exits.
    let script = "sleep 60 & echo \"grandchild $!\"";
    let mut collector = cluster.collect("leftover", &["--", "sh", "-c", script]);
    assert_eq!(
        collector.wait_exit().await.code(),
        Some(0),
        "{}",
        collector.stderr()
    );
    let pid: i32 = collector
        .stdout()
        .trim()
        .strip_prefix("grandchild ")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        !running(pid),
        "the grandchild {pid} still runs after collect exited"
    );
    let warned = collector.collector_log("warning", "command");
    assert_eq!(
        warned,
        vec![
            "the command left 1 process(es) running in its process group; ended them (SIGTERM, SIGKILL after 10 s)"
        ]
    );

    // SIGTERM to collect alone reaches the whole group, grandchild included.
    let script = "sleep 60 & echo \"grandchild $!\"; wait";
    let mut collector = cluster.collect("group", &["--", "sh", "-c", script]);
    collector
        .wait_for("the grandchild", |c| c.stdout().contains("grandchild"))
        .await;
    let pid: i32 = collector
        .stdout()
        .trim()
        .strip_prefix("grandchild ")
        .unwrap()
        .parse()
        .unwrap();
    assert!(running(pid));
    collector.signal(libc::SIGTERM);
    let status = collector.wait_exit().await;
    assert_eq!(
        status.code(),
        Some(128 + libc::SIGTERM),
        "{}",
        collector.stderr()
    );
    assert!(!running(pid), "the grandchild {pid} still runs");
    assert!(collector.collector_log("warning", "command").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_cannot_start_leaves_no_session() {
    let cluster = Cluster::start().await;
    let mut missing = cluster.collect("missing", &["--", "no-such-load-test", "--rps", "5"]);
    assert_eq!(missing.wait_exit().await.code(), Some(127));
    assert_eq!(
        missing.stderr(),
        "error: cannot run \"no-such-load-test\": not found; check the command after `--` (is it installed and on PATH?); nothing was recorded\n"
    );
    assert!(
        !missing.session.exists(),
        "an empty session was left behind"
    );

    let script = cluster.work_dir().join("plan.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let mut denied = cluster.collect("denied", &["--", script.to_str().unwrap()]);
    assert_eq!(denied.wait_exit().await.code(), Some(126));
    assert!(
        denied
            .stderr()
            .contains("permission denied; is it executable (chmod +x)"),
        "{}",
        denied.stderr()
    );
    assert!(!denied.session.exists());
    assert!(
        !cluster
            .dir
            .path()
            .join("data")
            .read_dir()
            .unwrap()
            .any(|_| true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_urls_are_not_recorded() {
    let cluster = Cluster::start().await;
    let url = "http://bob:hunter2@127.0.0.1:9/chat?api_key=k3y-abc&n=2";
    let script = "echo \"target $1\"";
    let mut collector = cluster.collect("secrets", &["--", "sh", "-c", script, "plan", url]);
    assert_eq!(
        collector.wait_exit().await.code(),
        Some(0),
        "{}",
        collector.stderr()
    );
    // The terminal shows the output as it came; the session keeps it without the secrets.
    assert_eq!(collector.stdout(), format!("target {url}\n"));
    let hidden = "http://***@127.0.0.1:9/chat?api_key=***&n=2";
    let console = std::fs::read_to_string(collector.session.join(files::CONSOLE_LOG)).unwrap();
    assert!(
        console.ends_with(&format!("\ttarget {hidden}\n")),
        "{console}"
    );
    let argv = collector.manifest().command.unwrap().argv;
    assert_eq!(argv, vec!["sh", "-c", script, "plan", hidden]);
    assert_eq!(
        collector.collector_log("info", "command")[0],
        format!("started: sh -c {script} plan {hidden}")
    );
    for file in walk(&collector.session) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            !text.contains("hunter2") && !text.contains("k3y-abc"),
            "{}: {text}",
            file.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_credential_plugin_is_described_without_its_output() {
    let cluster = Cluster::start().await;
    let plugin = cluster.dir.path().join("broken-plugin.sh");
    std::fs::write(
        &plugin,
        "#!/bin/sh\necho 'token: s3cr3t-from-plugin'\necho 'refresh s3cr3t-on-stderr' >&2\nexit 3\n",
    )
    .unwrap();
    let user = KubeUser::Exec {
        command: "sh".into(),
        args: vec![plugin.to_str().unwrap().into()],
    };
    let kubeconfig = cluster.dir.path().join("broken-kubeconfig");
    std::fs::write(&kubeconfig, cluster.server.kubeconfig(NS, &user)).unwrap();
    let mut collector = cluster.collect_with(&kubeconfig, "plugin", &["--duration", "1s"]);
    assert_eq!(collector.wait_exit().await.code(), Some(2));
    let stderr = collector.stderr();
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
    assert!(
        stderr
            .contains("the credential plugin failed (exit status: 3); its output is not recorded"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_mistakes_are_said_once_with_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let os_error = "No such file or directory (os error 2)";

    let (code, stderr) = finish(bare_collect(h, &["--kubeconfig", "/nowhere/kc"], &[])).await;
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!(
            "error: cannot read the kubeconfig /nowhere/kc: {os_error}; check the path given to --kubeconfig\n"
        )
    );

    let (code, stderr) = finish(bare_collect(h, &[], &[("KUBECONFIG", "/nowhere/kc")])).await;
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!(
            "error: cannot read the kubeconfig /nowhere/kc: {os_error}; check the paths in KUBECONFIG\n"
        ),
        "KUBECONFIG is set: not advised to set it"
    );

    let (code, stderr) = finish(bare_collect(h, &[], &[])).await;
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!(
            "error: no cluster configuration found: KUBECONFIG is not set, {}/.kube/config does not exist and this is not a pod with a service account; pass --kubeconfig PATH or set KUBECONFIG\n",
            h.display()
        )
    );

    let cluster = Cluster::start().await;
    cluster.state().upsert(
        Resource::HorizontalPodAutoscalers,
        serde_json::json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                           "metadata": {"name": "chat", "namespace": "staging"}, "spec": {}}),
    );
    let kubeconfig = cluster.dir.path().join("kubeconfig");
    let kc = kubeconfig.to_str().unwrap();
    let (code, stderr) = finish(bare_collect(
        h,
        &["--kubeconfig", kc, "--context", "prod"],
        &[],
    ))
    .await;
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!(
            "error: context \"prod\" is not in the kubeconfig {kc} (--kubeconfig); it has: local (current: local). Pass one of those with --context\n"
        )
    );

    let (code, stderr) = finish(bare_collect(
        h,
        &["--kubeconfig", kc, "-n", "llm-inferense"],
        &[],
    ))
    .await;
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "error: namespace llm-inferense has no HPA; namespaces with an HPA: llm-inference (HPA llm-inference), staging (HPA chat). Choose one with -n\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_line_fits_the_terminal_and_counts_the_linger_down() {
    let cluster = Cluster::start().await;
    let columns = 100;
    let kubeconfig = cluster.dir.path().join("kubeconfig");
    cluster.hpa_event(UP);
    let command = cluster.command(
        &kubeconfig,
        "narrow",
        &["--linger", "2500ms", "--", "sh", "-c", "sleep 1.2"],
    );
    let (status, shown) = on_terminal(command, columns).await;
    assert_eq!(status.code(), Some(0));
    let drawn: Vec<String> = shown
        .split(['\r', '\n'])
        .map(without_escapes)
        .filter(|l| l.contains("replicas"))
        .collect();
    assert!(
        drawn.iter().any(|l| l.contains("· last: SuccessfulRes")),
        "{drawn:#?}"
    );
    for line in &drawn {
        assert!(
            line.trim_end().chars().count() <= usize::from(columns),
            "{} columns: {line:?}",
            line.trim_end().chars().count()
        );
    }
    for left in ["linger 3s left", "linger 2s left", "linger 1s left"] {
        assert!(drawn.iter().any(|l| l.contains(left)), "{left}: {drawn:#?}");
    }
}

/// Runs `command` with its stderr on a terminal `columns` wide: (exit status, what it drew).
async fn on_terminal(mut command: Command, columns: u16) -> (ExitStatus, String) {
    use std::io::Read;
    let (terminal, mut screen) = pseudo_terminal(columns);
    let mut child = command
        .stdout(Stdio::null())
        .stderr(terminal)
        .spawn()
        .unwrap();
    // The command holds its copy of the terminal until dropped: the reader would never see EIO.
    drop(command);
    // Read until the child has exited and closed the terminal (then reads fail with EIO).
    let reader = std::thread::spawn(move || {
        let mut shown = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = screen.read(&mut buffer) {
            if n == 0 {
                break;
            }
            shown.extend_from_slice(&buffer[..n]);
        }
        String::from_utf8_lossy(&shown).into_owned()
    });
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    (status, reader.join().unwrap())
}

/// A terminal line without its control sequences (`ESC [ ... letter`).
fn without_escapes(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
