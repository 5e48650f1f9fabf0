//! The real kubectl (the image's /usr/bin/kubectl, and the oldest and newest of the versioned
//! ones beside it) against the local API server: what it prints for known objects is compared,
//! character for character, with what a real cluster prints for the same objects
//! (/work/shared/kubectl-text-samples.txt, copied into the expectations below).
//!
//! Never skipped: a missing kubectl fails (.ci/run makes sure it is there).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use report::kubeapi::workload::{PodState, hpa_status, pod, seed_autoscaled_app};
use report::kubeapi::{ApiServer, ClusterState, KubeUser, Resource};
use serde_json::{Value, json};
use tempfile::TempDir;

const KUBECTL: &str = "/usr/bin/kubectl";
/// Where the image keeps kubectl 1.27–1.33 (`kubectl.1.27`, ...).
const VERSIONED: &str = "/usr/lib/google-cloud-sdk/bin";

/// /usr/bin/kubectl, plus the oldest and newest versioned kubectl when present.
fn kubectls() -> Vec<PathBuf> {
    assert!(
        Path::new(KUBECTL).exists(),
        "{KUBECTL} is missing: install kubectl (.ci/run does)"
    );
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir(VERSIONED)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().to_string();
            let minor = name.strip_prefix("kubectl.1.")?.parse().ok()?;
            Some((minor, entry.path()))
        })
        .collect();
    versioned.sort();
    let mut all = vec![PathBuf::from(KUBECTL)];
    if let (Some(first), Some(last)) = (versioned.first(), versioned.last()) {
        all.push(first.1.clone());
        if last.0 != first.0 {
            all.push(last.1.clone());
        }
    }
    all
}

/// A local API server with a kubeconfig for namespace `namespace`, and a home and discovery
/// cache of its own for every kubectl run.
struct Api {
    server: ApiServer,
    dir: TempDir,
}

impl Api {
    async fn start(state: std::sync::Arc<ClusterState>, namespace: &str) -> Self {
        let server = ApiServer::start(state).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("kubeconfig"),
            server.kubeconfig(namespace, &KubeUser::Anonymous),
        )
        .unwrap();
        Self { server, dir }
    }

    fn state(&self) -> &ClusterState {
        self.server.state()
    }

    fn command(&self, kubectl: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(kubectl);
        command
            .args(args)
            .arg("--cache-dir")
            .arg(self.dir.path().join(format!(
                "cache-{}",
                kubectl.file_name().unwrap().to_string_lossy()
            )))
            .env("KUBECONFIG", self.dir.path().join("kubeconfig"))
            .env("HOME", self.dir.path())
            // describe writes times in the local zone.
            .env("TZ", "UTC")
            .env_remove("KUBECTL_EXTERNAL_DIFF");
        command
    }

    /// Runs kubectl to the end; its stdout, or a panic with its stderr.
    fn run(&self, kubectl: &Path, args: &[&str]) -> String {
        let out = self.command(kubectl, args).output().unwrap_or_else(|e| {
            panic!("cannot run {}: {e}", kubectl.display());
        });
        assert!(
            out.status.success(),
            "{} {args:?} failed: {}",
            kubectl.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn text_at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Ages are printed to the second, from the clock at the moment of printing. So the objects are
/// stamped relative to a second boundary just passed (`seed(now)`) and kubectl runs at once:
/// while it answers within that second, every age is exact. A mismatch after a slower run is
/// retried; a mismatch within the second fails.
fn at_second_start(seed: impl Fn(DateTime<Utc>), print: impl Fn() -> String, expected: &str) {
    let mut last = String::new();
    for _ in 0..5 {
        let now = Utc::now();
        let boundary = now - TimeDelta::nanoseconds(i64::from(now.timestamp_subsec_nanos()))
            + TimeDelta::seconds(1);
        std::thread::sleep((boundary - now).to_std().unwrap() + Duration::from_millis(20));
        seed(boundary);
        last = print();
        if last == expected {
            return;
        }
        if Utc::now() - boundary < TimeDelta::milliseconds(900) {
            break;
        }
    }
    assert_eq!(last, expected);
}

fn utilization_metric(name: &str, target: i64) -> Value {
    json!({"type": "Resource", "resource": {"name": name,
           "target": {"type": "Utilization", "averageUtilization": target}}})
}

fn hpa_object(name: &str, created: &str, spec: Value, status: Value) -> Value {
    json!({"metadata": {"name": name, "namespace": "default", "creationTimestamp": created},
           "spec": spec, "status": status})
}

/// The samples' php-apache HPA: 45 % (90m) of a 70 % target, 3 current / 5 desired, with the
/// default behavior.
fn php_apache(created: &str) -> Value {
    let spec = json!({
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
        "minReplicas": 1, "maxReplicas": 10, "metrics": [utilization_metric("cpu", 70)],
        "behavior": {
            "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                        "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                     {"type": "Percent", "value": 100, "periodSeconds": 15}]},
            "scaleDown": {"selectPolicy": "Max",
                          "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}});
    let status = json!({"currentReplicas": 3, "desiredReplicas": 5,
        "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
                            "current": {"averageUtilization": 45, "averageValue": "90m"}}}],
        "conditions": [
            {"type": "AbleToScale", "status": "True", "reason": "SucceededRescale",
             "message": "the HPA controller was able to update the target scale to 5"},
            {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
             "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"},
            {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange",
             "message": "the desired count is within the acceptable range"}]});
    hpa_object("php-apache", created, spec, status)
}

const GET_HPA: &str = "\
NAME         REFERENCE               TARGETS                               MINPODS   MAXPODS   REPLICAS   AGE
php-apache   Deployment/php-apache   cpu: 45%/70%                          1         10        3          5m12s
web          Deployment/web          cpu: <unknown>/70%, memory: 31%/80%   2         20        2          47s
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_hpa_prints_the_samples_columns_targets_and_unknown() {
    let api = Api::start(ClusterState::new(), "default").await;
    let seed = |now: DateTime<Utc>| {
        api.state().upsert(
            Resource::HorizontalPodAutoscalers,
            php_apache(&text_at(now - TimeDelta::seconds(312))),
        );
        let spec = json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2, "maxReplicas": 20,
            "metrics": [utilization_metric("cpu", 70), utilization_metric("memory", 80)]});
        // No cpu reading yet (its status entry is empty), memory at 31 %.
        let status = json!({"currentReplicas": 2, "desiredReplicas": 2, "currentMetrics": [
            {"type": "Resource"},
            {"type": "Resource", "resource": {"name": "memory", "current": {"averageUtilization": 31}}}]});
        api.state().upsert(
            Resource::HorizontalPodAutoscalers,
            hpa_object("web", &text_at(now - TimeDelta::seconds(47)), spec, status),
        );
    };
    for kubectl in kubectls() {
        at_second_start(seed, || api.run(&kubectl, &["get", "hpa"]), GET_HPA);
        // The long name and -o wide (HPAs have no wide columns) print the same table.
        at_second_start(
            seed,
            || {
                api.run(
                    &kubectl,
                    &["get", "horizontalpodautoscalers.autoscaling", "-o", "wide"],
                )
            },
            GET_HPA,
        );
    }
}

const DESCRIBE_WITH_EVENTS: &str = "\
Name:                                                  php-apache
Namespace:                                             default
Labels:                                                <none>
Annotations:                                           <none>
CreationTimestamp:                                     Wed, 15 Jan 2025 10:00:00 +0000
Reference:                                             Deployment/php-apache
Metrics:                                               ( current / target )
  resource cpu on pods  (as a percentage of request):  45% (90m) / 70%
Min replicas:                                          1
Max replicas:                                          10
Behavior:
  Scale Up:
    Stabilization Window: 0 seconds
    Select Policy: Max
    Policies:
      - Type: Pods     Value: 4    Period: 15 seconds
      - Type: Percent  Value: 100  Period: 15 seconds
  Scale Down:
    Select Policy: Max
    Policies:
      - Type: Percent  Value: 100  Period: 15 seconds
Deployment pods:       3 current / 5 desired
Conditions:
  Type            Status  Reason              Message
  ----            ------  ------              -------
  AbleToScale     True    SucceededRescale    the HPA controller was able to update the target scale to 5
  ScalingActive   True    ValidMetricFound    the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)
  ScalingLimited  False   DesiredWithinRange  the desired count is within the acceptable range
Events:
  Type    Reason             Age                 From                       Message
  ----    ------             ----                ----                       -------
  Normal  SuccessfulRescale  5m                  horizontal-pod-autoscaler  New size: 3; reason: cpu resource utilization (percentage of request) above target
  Normal  SuccessfulRescale  3m12s (x2 over 5m)  horizontal-pod-autoscaler  New size: 2; reason: All metrics below target
  Normal  SuccessfulRescale  12s                 horizontal-pod-autoscaler  New size: 5; reason: cpu resource utilization (percentage of request) above target
";

const DESCRIBE_WITHOUT_EVENTS: &str = "\
Name:                                                  php-apache
Namespace:                                             default
Labels:                                                <none>
Annotations:                                           <none>
CreationTimestamp:                                     Wed, 15 Jan 2025 10:00:00 +0000
Reference:                                             Deployment/php-apache
Metrics:                                               ( current / target )
  resource cpu on pods  (as a percentage of request):  <unknown> / 50%
Min replicas:                                          1
Max replicas:                                          10
Deployment pods:                                       1 current / 0 desired
Conditions:
  Type           Status  Reason                   Message
  ----           ------  ------                   -------
  AbleToScale    True    SucceededGetScale        the HPA controller was able to get the target's current scale
  ScalingActive  False   FailedGetResourceMetric  the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API
Events:          <none>
";

fn hpa_event(
    name: &str,
    uid: &Value,
    message: &str,
    first: String,
    last: String,
    count: i64,
) -> Value {
    json!({"metadata": {"name": name, "namespace": "default"}, "type": "Normal",
           "reason": "SuccessfulRescale", "message": message, "count": count,
           "firstTimestamp": first, "lastTimestamp": last,
           "involvedObject": {"kind": "HorizontalPodAutoscaler", "name": "php-apache",
                              "namespace": "default", "uid": uid, "apiVersion": "autoscaling/v2"},
           "source": {"component": "horizontal-pod-autoscaler"}})
}

/// The samples list the events unsorted; kubectl sorts them by last seen, oldest first, so the
/// expectation has the sample's three lines in that order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_hpa_prints_the_samples_sections_and_its_events() {
    let api = Api::start(ClusterState::new(), "default").await;
    let created = "2025-01-15T10:00:00Z";
    let seed = |now: DateTime<Utc>| {
        let state = api.state();
        state.upsert(Resource::HorizontalPodAutoscalers, php_apache(created));
        let uid = state
            .get(Resource::HorizontalPodAutoscalers, "default", "php-apache")
            .unwrap()["metadata"]["uid"]
            .clone();
        let ago = |s: i64| text_at(now - TimeDelta::seconds(s));
        let up = "cpu resource utilization (percentage of request) above target";
        for event in [
            hpa_event(
                "php-apache.1",
                &uid,
                &format!("New size: 3; reason: {up}"),
                ago(300),
                ago(300),
                1,
            ),
            hpa_event(
                "php-apache.2",
                &uid,
                &format!("New size: 5; reason: {up}"),
                ago(12),
                ago(12),
                1,
            ),
            hpa_event(
                "php-apache.3",
                &uid,
                "New size: 2; reason: All metrics below target",
                ago(300),
                ago(192),
                2,
            ),
        ] {
            state.upsert(Resource::Events, event);
        }
        // Another object's event, which describe must leave out.
        let mut other = hpa_event(
            "web.1",
            &json!("other-uid"),
            "New size: 9; reason: x",
            ago(5),
            ago(5),
            1,
        );
        other["involvedObject"]["name"] = json!("web");
        state.upsert(Resource::Events, other);
    };
    for kubectl in kubectls() {
        at_second_start(
            seed,
            || api.run(&kubectl, &["describe", "hpa", "php-apache"]),
            DESCRIBE_WITH_EVENTS,
        );
    }

    let bare = ClusterState::new();
    let spec = json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
        "minReplicas": 1, "maxReplicas": 10, "metrics": [utilization_metric("cpu", 50)]});
    let status = json!({"currentReplicas": 1, "desiredReplicas": 0, "currentMetrics": null, "conditions": [
        {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale",
         "message": "the HPA controller was able to get the target's current scale"},
        {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
         "message": "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"}]});
    bare.upsert(
        Resource::HorizontalPodAutoscalers,
        hpa_object("php-apache", created, spec, status),
    );
    let api = Api::start(bare, "default").await;
    for kubectl in kubectls() {
        assert_eq!(
            api.run(&kubectl, &["describe", "hpa", "php-apache"]),
            DESCRIBE_WITHOUT_EVENTS
        );
    }
}

/// Lines of a running `kubectl get -w`, read on a thread so a silent kubectl cannot hang the test.
struct Watching {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Watching {
    fn start(api: &Api, kubectl: &Path, args: &[&str]) -> Self {
        let mut child = api
            .command(kubectl, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("kubectl printed no line within 20 s")
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The guide's terminal 2: `kubectl get hpa -w` prints the header and row once, then one row
/// (no header) per change of the HPA; `<unknown>` before the first metric.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_hpa_watch_prints_a_row_per_change() {
    let state = ClusterState::new();
    seed_autoscaled_app(&state, "llm-inference", "llm-inference", 1);
    // Created 47 min 30 s ago: the age reads "47m" for the next 30 s.
    state
        .modify(
            Resource::HorizontalPodAutoscalers,
            "llm-inference",
            "llm-inference",
            |hpa| {
                hpa["metadata"]["creationTimestamp"] =
                    json!(text_at(Utc::now() - TimeDelta::seconds(47 * 60 + 30)));
            },
        )
        .unwrap();
    let api = Api::start(state, "llm-inference").await;
    for kubectl in kubectls() {
        api.state()
            .set_hpa_status("llm-inference", "llm-inference", &hpa_status(1, 1, None))
            .unwrap();
        let watch = Watching::start(&api, &kubectl, &["get", "hpa", "-w"]);
        let header = "NAME            REFERENCE                  TARGETS              MINPODS   MAXPODS   REPLICAS   AGE";
        assert_eq!(watch.next_line(), header);
        assert_eq!(
            watch.next_line(),
            "llm-inference   Deployment/llm-inference   cpu: <unknown>/70%   1         10        1          47m"
        );
        let started = Instant::now();
        api.state()
            .set_hpa_status(
                "llm-inference",
                "llm-inference",
                &hpa_status(1, 3, Some((91, "455m"))),
            )
            .unwrap();
        // The row keeps the first table's column widths.
        assert_eq!(
            watch.next_line(),
            "llm-inference   Deployment/llm-inference   cpu: 91%/70%         1         10        1          47m"
        );
        api.state()
            .set_hpa_status(
                "llm-inference",
                "llm-inference",
                &hpa_status(3, 3, Some((45, "225m"))),
            )
            .unwrap();
        assert_eq!(
            watch.next_line(),
            "llm-inference   Deployment/llm-inference   cpu: 45%/70%         1         10        3          47m"
        );
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}

const TOP_POD: &str = "\
NAME                         CPU(cores)   MEMORY(bytes)   
php-apache-7d9c8f6b5-2xkqp   250m         512Mi           
php-apache-7d9c8f6b5-9hz4l   8m           14Mi            
";

/// Terminal 4 of the soak test: `kubectl top pods`, as in the samples (whose `·` marks a
/// trailing space).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_pods_prints_the_samples_figures() {
    let state = ClusterState::new();
    for (name, cpu, memory) in [
        ("php-apache-7d9c8f6b5-2xkqp", "250m", "512Mi"),
        ("php-apache-7d9c8f6b5-9hz4l", "7800000n", "14336Ki"),
    ] {
        state.upsert(
            Resource::Pods,
            pod("default", name, "php-apache", &PodState::running(true)),
        );
        state.set_pod_metrics("default", name, &[("php-apache", cpu, memory)]);
    }
    let api = Api::start(state, "default").await;
    for kubectl in kubectls() {
        assert_eq!(api.run(&kubectl, &["top", "pods"]), TOP_POD);
        assert_eq!(api.run(&kubectl, &["top", "pod"]), TOP_POD);
    }
}

/// Terminal 1 and `kubectl get events`: pods (ready, starting, restarted) with their wide
/// columns, events, the Deployment and its ReplicaSet, by short names and through `all`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_pods_events_deployments_and_replicasets_by_short_name() {
    let state = ClusterState::new();
    let api = Api::start(state, "llm-inference").await;
    let seed = |now: DateTime<Utc>| {
        let state = api.state();
        let ago = |s: i64| text_at(now - TimeDelta::seconds(s));
        let mut deployment = report::kubeapi::workload::deployment("llm-inference", "web", 3);
        deployment["metadata"]["creationTimestamp"] = json!(ago(3 * 3600));
        deployment["status"] = json!({"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2, "unavailableReplicas": 1});
        state.upsert(Resource::Deployments, deployment);
        let stored = state
            .get(Resource::Deployments, "llm-inference", "web")
            .unwrap();
        let mut replica_set = report::kubeapi::workload::replica_set(&stored, "5d8f7c");
        replica_set["metadata"]["creationTimestamp"] = json!(ago(3 * 3600));
        state.upsert(Resource::ReplicaSets, replica_set);

        let pods = [
            (
                "web-5d8f7c-a",
                PodState::running(true),
                600,
                Some("10.0.0.5"),
            ),
            ("web-5d8f7c-b", PodState::pending(), 75, None),
            (
                "web-5d8f7c-c",
                PodState {
                    restarts: 2,
                    last_termination: Some("OOMKilled"),
                    ..PodState::running(true)
                },
                192,
                Some("10.0.0.6"),
            ),
        ];
        for (name, pod_state, age, ip) in pods {
            let mut object = pod("llm-inference", name, "web", &pod_state);
            object["metadata"]["creationTimestamp"] = json!(ago(age));
            if pod_state.phase == "Running" {
                object["status"]["containerStatuses"][0]["state"] = json!({"running": {}});
            } else {
                object["status"]["containerStatuses"][0]["state"] =
                    json!({"waiting": {"reason": "ContainerCreating"}});
            }
            if let Some(ip) = ip {
                object["status"]["podIP"] = json!(ip);
            }
            if pod_state.restarts > 0 {
                object["status"]["containerStatuses"][0]["lastState"]["terminated"]["finishedAt"] =
                    json!(ago(150));
            }
            state.upsert(Resource::Pods, object);
        }
        let event = |name: &str,
                     kind: &str,
                     object: &str,
                     reason: &str,
                     message: &str,
                     last: i64,
                     count: i64| {
            json!({"metadata": {"name": name, "namespace": "llm-inference"}, "type": "Normal",
                   "reason": reason, "message": message, "count": count,
                   "firstTimestamp": ago(last + 60), "lastTimestamp": ago(last),
                   "involvedObject": {"kind": kind, "name": object, "namespace": "llm-inference",
                                      "uid": state.get(Resource::Pods, "llm-inference", object).map(|p| p["metadata"]["uid"].clone())},
                   "source": {"component": "kubelet"}})
        };
        state.upsert(
            Resource::Events,
            event(
                "a",
                "Pod",
                "web-5d8f7c-b",
                "Scheduled",
                "Successfully assigned llm-inference/web-5d8f7c-b to node-1",
                75,
                1,
            ),
        );
        state.upsert(Resource::Events, event("b", "HorizontalPodAutoscaler", "web", "SuccessfulRescale", "New size: 3; reason: cpu resource utilization (percentage of request) above target", 90, 2));
    };
    let pods = "\
NAME           READY   STATUS              RESTARTS        AGE
web-5d8f7c-a   1/1     Running             0               10m
web-5d8f7c-b   0/1     ContainerCreating   0               75s
web-5d8f7c-c   1/1     Running             2 (2m30s ago)   3m12s
";
    let pods_wide = "\
NAME           READY   STATUS              RESTARTS        AGE     IP         NODE     NOMINATED NODE   READINESS GATES
web-5d8f7c-a   1/1     Running             0               10m     10.0.0.5   node-1   <none>           <none>
web-5d8f7c-b   0/1     ContainerCreating   0               75s     <none>     <none>   <none>           <none>
web-5d8f7c-c   1/1     Running             2 (2m30s ago)   3m12s   10.0.0.6   node-1   <none>           <none>
";
    let events = "\
LAST SEEN   TYPE     REASON              OBJECT                        MESSAGE
75s         Normal   Scheduled           pod/web-5d8f7c-b              Successfully assigned llm-inference/web-5d8f7c-b to node-1
90s         Normal   SuccessfulRescale   horizontalpodautoscaler/web   New size: 3; reason: cpu resource utilization (percentage of request) above target
";
    let deployments = "\
NAME   READY   UP-TO-DATE   AVAILABLE   AGE
web    2/3     3            2           3h
";
    let replica_sets_wide = "\
NAME         DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES             SELECTOR
web-5d8f7c   3         3         2       3h    app          inference:latest   app=web,pod-template-hash=5d8f7c
";
    for kubectl in kubectls() {
        at_second_start(seed, || api.run(&kubectl, &["get", "po"]), pods);
        at_second_start(
            seed,
            || api.run(&kubectl, &["get", "pods", "-o", "wide"]),
            pods_wide,
        );
        at_second_start(seed, || api.run(&kubectl, &["get", "ev"]), events);
        at_second_start(seed, || api.run(&kubectl, &["get", "deploy"]), deployments);
        at_second_start(
            seed,
            || api.run(&kubectl, &["get", "rs", "-o", "wide"]),
            replica_sets_wide,
        );
        // `all` names each type's rows by kind; events are not in it.
        let all = api.run(&kubectl, &["get", "all"]);
        for expected in [
            "pod/web-5d8f7c-a   1/1     Running",
            "deployment.apps/web   2/3     3            2",
            "replicaset.apps/web-5d8f7c   3         3         2",
        ] {
            assert!(all.contains(expected), "{expected:?} not in:\n{all}");
        }
        assert!(!all.contains("Scheduled"), "{all}");
        // -o yaml and -o json give the stored object.
        let json: Value =
            serde_json::from_str(&api.run(&kubectl, &["get", "deploy", "web", "-o", "json"]))
                .unwrap();
        assert_eq!(
            (
                json["kind"].as_str(),
                json["status"]["readyReplicas"].as_i64()
            ),
            (Some("Deployment"), Some(2))
        );
        let yaml = api.run(&kubectl, &["get", "deploy", "-o", "yaml"]);
        assert!(
            yaml.contains("kind: List") && yaml.contains("kind: Deployment"),
            "{yaml}"
        );
        // describe of a pod and a deployment, with their events.
        let described = api.run(&kubectl, &["describe", "pod", "web-5d8f7c-b"]);
        assert!(
            labelled(&described, "Status:") == Some("Pending"),
            "{described}"
        );
        // Its one event, aged from its first time (135 s before the seed, seconds ago).
        assert!(
            described.contains("  Normal  Scheduled  2m1"),
            "{described}"
        );
        assert!(
            described
                .contains("kubelet  Successfully assigned llm-inference/web-5d8f7c-b to node-1"),
            "{described}"
        );
        let described = api.run(&kubectl, &["describe", "deploy", "web"]);
        assert!(
            labelled(&described, "Replicas:")
                == Some("3 desired | 3 updated | 3 total | 2 available | 1 unavailable"),
            "{described}"
        );
        assert!(
            labelled(&described, "NewReplicaSet:") == Some("web-5d8f7c (3/3 replicas created)"),
            "{described}"
        );
    }
}

/// The value of a describe line `Label:   value` (kubectl versions pad it differently).
fn labelled<'a>(described: &'a str, label: &str) -> Option<&'a str> {
    described
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .map(str::trim)
}

/// Aggregated discovery is what kubectl reads: two requests (`/api`, `/apis`) and no per-group
/// ones; the kube client's aggregated discovery agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_is_aggregated_with_short_names() {
    let state = ClusterState::new();
    seed_autoscaled_app(&state, "llm-inference", "llm-inference", 1);
    let api = Api::start(state, "llm-inference").await;
    for kubectl in kubectls() {
        let out = api
            .command(&kubectl, &["get", "hpa", "-v=6"])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        // Older kubectl logs `GET http://...`, newer `verb="GET" url="http://..."`.
        let gets: Vec<&str> = log
            .lines()
            .filter_map(|l| {
                l.split("GET ")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .or_else(|| {
                        l.contains("verb=\"GET\"")
                            .then(|| l.split("url=\"").nth(1)?.split('"').next())?
                    })
            })
            .map(|url| {
                url.split_once("127.0.0.1:")
                    .map_or(url, |(_, rest)| &rest[rest.find('/').unwrap_or(0)..])
            })
            .collect();
        assert_eq!(
            gets,
            vec![
                "/api?timeout=32s",
                "/apis?timeout=32s",
                "/apis/autoscaling/v2/namespaces/llm-inference/horizontalpodautoscalers?limit=500"
            ],
            "{log}"
        );
    }
    let kubeconfig = api.server.kubeconfig("llm-inference", &KubeUser::Anonymous);
    let parsed = kube::config::Kubeconfig::from_yaml(&kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(parsed, &Default::default())
        .await
        .unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let discovery = kube::discovery::Discovery::new(client)
        .run_aggregated()
        .await
        .unwrap();
    let mut kinds: Vec<String> = discovery
        .groups()
        .flat_map(|g| g.recommended_resources())
        .map(|(resource, _)| format!("{}/{}", resource.api_version, resource.plural))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            "apps/v1/deployments",
            "apps/v1/replicasets",
            "authorization.k8s.io/v1/selfsubjectaccessreviews",
            "autoscaling/v2/horizontalpodautoscalers",
            "metrics.k8s.io/v1beta1/nodes",
            "metrics.k8s.io/v1beta1/pods",
            "v1/events",
            "v1/pods"
        ]
    );
}
