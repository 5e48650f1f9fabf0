//! The simulated Deployment: pods that start (scheduled, image pulled, model loaded) and become
//! Ready, each with generation slots whose busy time is its CPU usage; metrics-server's scrapes;
//! the HPA controller's syncs. Every change goes into the kube API state, so `report collect`
//! sees it, and into the ground-truth log.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::clock::SimClock;
use super::hpa::{self, HpaSpec, Limit, Memory, PodReading};
use super::truth::Truth;
use crate::kubeapi::{ClusterState, NewEvent, Resource, workload};

const MIB: f64 = 1024.0 * 1024.0;
/// Upstream's cpu-initialization-period: young pods' metrics must postdate readiness.
const CPU_INITIALIZATION_S: f64 = 300.0;
const NODE: &str = "sim-node-1";
const IMAGE: &str = "codellama-inference:latest";
/// The ReplicaSet's `pod-template-hash`, in its pods' names.
const TEMPLATE_HASH: &str = "7c9d8f6b5";

/// Everything `--config` can set; defaults follow the user's deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    pub namespace: String,
    pub app: String,
    pub initial_replicas: i32,
    pub hpa: HpaSpec,
    pub cpu_request_m: f64,
    pub memory_request_gib: f64,
    /// Start-up, in simulated seconds: scheduling, image pull, model load until Ready.
    pub schedule_s: f64,
    pub pull_s: f64,
    pub load_s: f64,
    /// Generation slots per pod and requests allowed to wait for one (then 503).
    pub slots: usize,
    pub queue_limit: usize,
    /// Generation time: per request plus per output token (simulated seconds).
    pub per_request_s: f64,
    pub per_token_s: f64,
    pub tokens: u32,
    /// Streamed APIs (docs/sim.md): prefill takes `per_request_s` plus this per input token, and
    /// each decode step `per_token_s × (1 + batch_slowdown × (sequences sharing the pod − 1))`.
    pub prefill_per_input_token_s: f64,
    pub batch_slowdown: f64,
    /// CPU burnt by one busy slot, and by an idle pod.
    pub busy_slot_cpu_m: f64,
    pub idle_cpu_m: f64,
    /// Memory once the model is loaded, per busy slot, and a leak per simulated minute.
    pub memory_base_mib: f64,
    pub memory_per_busy_slot_mib: f64,
    pub memory_leak_mib_per_min: f64,
    /// metrics-server's scrape period and its offset from the HPA's syncs.
    pub scrape_s: u64,
    pub scrape_offset_s: u64,
    pub sync_s: u64,
}

impl Default for ClusterConfig {
    /// A CPU-bound 7B model on 2 CPU: 2 slots, 2.5 s a request of 80 tokens.
    fn default() -> Self {
        Self {
            namespace: "llm-inference".into(),
            app: "llm-inference".into(),
            initial_replicas: 1,
            hpa: HpaSpec::default(),
            cpu_request_m: 2000.0,
            memory_request_gib: 4.0,
            schedule_s: 1.0,
            pull_s: 8.0,
            load_s: 12.0,
            slots: 2,
            queue_limit: 6,
            per_request_s: 0.5,
            per_token_s: 0.025,
            tokens: 80,
            prefill_per_input_token_s: 0.002,
            batch_slowdown: 0.1,
            busy_slot_cpu_m: 1000.0,
            idle_cpu_m: 20.0,
            memory_base_mib: 3500.0,
            memory_per_busy_slot_mib: 150.0,
            memory_leak_mib_per_min: 0.0,
            scrape_s: 15,
            scrape_offset_s: 5,
            sync_s: 15,
        }
    }
}

/// A pod's serving side, shared with the requests it is working on (they finish after a delete).
#[derive(Debug)]
pub struct PodRuntime {
    pub slots: Semaphore,
    /// Requests holding a slot or waiting for one.
    pub admitted: AtomicUsize,
    meter: Mutex<BusyMeter>,
}

/// Integrates busy slots over simulated time, so a scrape can average over its window.
#[derive(Debug, Default)]
struct BusyMeter {
    active: usize,
    slot_seconds: f64,
    last_s: f64,
}

impl BusyMeter {
    fn advance(&mut self, now_s: f64) {
        self.slot_seconds += self.active as f64 * (now_s - self.last_s).max(0.0);
        self.last_s = self.last_s.max(now_s);
    }
}

impl PodRuntime {
    fn new(slots: usize, now_s: f64) -> Self {
        Self {
            slots: Semaphore::new(slots.max(1)),
            admitted: AtomicUsize::new(0),
            meter: Mutex::new(BusyMeter {
                last_s: now_s,
                ..BusyMeter::default()
            }),
        }
    }

    fn meter(&self) -> MutexGuard<'_, BusyMeter> {
        self.meter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot starts (`+1`) or stops (`-1`) generating at `now_s`.
    pub fn busy_change(&self, now_s: f64, started: bool) {
        let mut meter = self.meter();
        meter.advance(now_s);
        if started {
            meter.active += 1;
        } else {
            meter.active = meter.active.saturating_sub(1);
        }
    }

    /// Slot-seconds so far, and slots busy now.
    fn reading(&self, now_s: f64) -> (f64, usize) {
        let mut meter = self.meter();
        meter.advance(now_s);
        (meter.slot_seconds, meter.active)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Pending,
    Pulling,
    Starting,
    Ready,
}

#[derive(Debug, Clone, Copy)]
struct MetricSample {
    at_s: f64,
    window_s: f64,
    cpu_m: f64,
}

struct SimPod {
    name: String,
    created_s: f64,
    stage: Stage,
    started_s: Option<f64>,
    ready_s: Option<f64>,
    runtime: Arc<PodRuntime>,
    last_scrape: Option<(f64, f64)>,
    metric: Option<MetricSample>,
}

impl SimPod {
    /// The stage this pod reaches at `now_s`, following the start-up delays.
    fn due_stage(&self, config: &ClusterConfig, now_s: f64) -> Stage {
        let age = now_s - self.created_s + 1e-9;
        if age >= config.schedule_s + config.pull_s + config.load_s {
            Stage::Ready
        } else if age >= config.schedule_s + config.pull_s {
            Stage::Starting
        } else if age >= config.schedule_s {
            Stage::Pulling
        } else {
            Stage::Pending
        }
    }

    /// How the replica calculator groups this pod (groupPods): Pending is unready; a started pod
    /// without a metric is missing; with one, it is ready once Ready and (while young) its
    /// metric was taken a full window after it became Ready.
    fn reading(&self, request_m: f64, now_s: f64) -> PodReading {
        let unready = PodReading {
            ready: false,
            usage_m: None,
            request_m,
        };
        if self.stage < Stage::Starting {
            return unready;
        }
        let Some(metric) = self.metric else {
            return PodReading {
                ready: true,
                ..unready
            };
        };
        let ready = match (self.stage, self.ready_s) {
            (Stage::Ready, Some(ready_s)) => {
                now_s - self.created_s > CPU_INITIALIZATION_S
                    || metric.at_s >= ready_s + metric.window_s
            }
            _ => false,
        };
        PodReading {
            ready,
            usage_m: ready.then_some(metric.cpu_m),
            request_m,
        }
    }
}

struct Inner {
    pods: Vec<SimPod>,
    replicas: i32,
    next_pod: u64,
    memory: Memory,
    last_scale_s: Option<f64>,
    conditions: Vec<Value>,
}

/// The simulated Deployment, its pods, metrics-server and HPA controller.
pub struct Cluster {
    config: ClusterConfig,
    clock: SimClock,
    api: Arc<ClusterState>,
    truth: Truth,
    inner: Mutex<Inner>,
}

impl Cluster {
    /// Seeds the API with the Deployment and HPA and creates the initial pods, already Ready
    /// (the deployment was running before the rehearsal).
    pub fn new(
        config: ClusterConfig,
        clock: SimClock,
        api: Arc<ClusterState>,
        truth: Truth,
    ) -> Self {
        let cluster = Self {
            clock,
            api,
            truth,
            inner: Mutex::new(Inner {
                pods: Vec::new(),
                replicas: config.initial_replicas,
                next_pod: 0,
                memory: Memory::default(),
                last_scale_s: None,
                conditions: Vec::new(),
            }),
            config,
        };
        cluster
            .api
            .upsert(Resource::Deployments, cluster.deployment_object(0, 0));
        cluster
            .api
            .upsert(Resource::HorizontalPodAutoscalers, cluster.hpa_object());
        let mut inner = cluster.lock();
        for _ in 0..cluster.config.initial_replicas {
            cluster.add_pod(&mut inner, Stage::Ready, -1.0e6);
        }
        cluster.publish_deployment(&inner);
        drop(inner);
        cluster
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One simulated second `now_s`: pod start-up, then metrics-server, then the HPA.
    pub fn tick(&self, second: u64) {
        let now_s = second as f64;
        let mut inner = self.lock();
        self.advance_pods(&mut inner, now_s);
        let c = &self.config;
        if second >= c.scrape_offset_s && (second - c.scrape_offset_s).is_multiple_of(c.scrape_s) {
            self.scrape(&mut inner, now_s);
        }
        if second > 0 && second.is_multiple_of(c.sync_s) {
            self.sync_hpa(&mut inner, now_s);
        }
    }

    /// The least busy Ready pod that can still admit a request, if any.
    pub fn pick_pod(&self) -> Option<Arc<PodRuntime>> {
        let inner = self.lock();
        let capacity = self.config.slots + self.config.queue_limit;
        let chosen = inner
            .pods
            .iter()
            .filter(|p| p.stage == Stage::Ready)
            .map(|p| &p.runtime)
            .filter(|r| r.admitted.load(Ordering::SeqCst) < capacity)
            .min_by_key(|r| r.admitted.load(Ordering::SeqCst))?;
        chosen.admitted.fetch_add(1, Ordering::SeqCst);
        Some(chosen.clone())
    }

    pub fn ready_pods(&self) -> usize {
        self.lock()
            .pods
            .iter()
            .filter(|p| p.stage == Stage::Ready)
            .count()
    }

    fn add_pod(&self, inner: &mut Inner, stage: Stage, now_s: f64) {
        inner.next_pod += 1;
        // Kubernetes' five-character suffix; ours counts, in its alphabet's spirit.
        let name = format!(
            "{}-{TEMPLATE_HASH}-{:05x}",
            self.config.app,
            0x8a3c1 + inner.next_pod * 7919
        );
        let ready = stage == Stage::Ready;
        let pod = SimPod {
            name: name.clone(),
            created_s: now_s,
            stage,
            started_s: ready.then_some(now_s),
            ready_s: ready.then_some(now_s),
            runtime: Arc::new(PodRuntime::new(self.config.slots, now_s.max(0.0))),
            // The kubelet's CPU counter starts with the container: the first window opens there.
            last_scrape: ready.then_some((0.0, 0.0)),
            metric: None,
        };
        self.api.upsert(Resource::Pods, self.pod_object(&pod));
        self.event(
            "ReplicaSet",
            &self.replica_set(),
            "SuccessfulCreate",
            &format!("Created pod: {name}"),
            "replicaset-controller",
        );
        self.truth.pod(now_s, &self.clock, &name, None, stage);
        inner.pods.push(pod);
    }

    fn replica_set(&self) -> String {
        format!("{}-{TEMPLATE_HASH}", self.config.app)
    }

    fn advance_pods(&self, inner: &mut Inner, now_s: f64) {
        let mut became_ready = false;
        for pod in inner.pods.iter_mut() {
            let due = pod.due_stage(&self.config, now_s);
            became_ready |= pod.stage < Stage::Ready && due == Stage::Ready;
            while pod.stage < due {
                let next = match pod.stage {
                    Stage::Pending => Stage::Pulling,
                    Stage::Pulling => Stage::Starting,
                    _ => Stage::Ready,
                };
                self.enter_stage(pod, next, now_s);
            }
        }
        // The Deployment's ready count follows its pods, as the controllers keep it.
        if became_ready {
            self.publish_deployment(inner);
        }
    }

    fn enter_stage(&self, pod: &mut SimPod, next: Stage, now_s: f64) {
        let kubelet =
            |reason: &str, message: &str| self.event("Pod", &pod.name, reason, message, "kubelet");
        match next {
            Stage::Pulling => {
                self.event(
                    "Pod",
                    &pod.name,
                    "Scheduled",
                    &format!(
                        "Successfully assigned {}/{} to {NODE}",
                        self.config.namespace, pod.name
                    ),
                    "default-scheduler",
                );
                kubelet("Pulling", &format!("Pulling image \"{IMAGE}\""));
            }
            Stage::Starting => {
                kubelet(
                    "Pulled",
                    &format!(
                        "Successfully pulled image \"{IMAGE}\" in {:.3}s",
                        self.config.pull_s
                    ),
                );
                kubelet("Created", "Created container app");
                kubelet("Started", "Started container app");
                pod.started_s = Some(now_s);
                let (slot_seconds, _) = pod.runtime.reading(now_s);
                pod.last_scrape = Some((now_s, slot_seconds));
            }
            Stage::Ready => pod.ready_s = Some(now_s),
            Stage::Pending => {}
        }
        self.truth
            .pod(now_s, &self.clock, &pod.name, Some(pod.stage), next);
        pod.stage = next;
        self.api.upsert(Resource::Pods, self.pod_object(pod));
    }

    /// metrics-server: per running pod, CPU averaged over the time since its previous scrape.
    fn scrape(&self, inner: &mut Inner, now_s: f64) {
        for pod in inner.pods.iter_mut().filter(|p| p.stage >= Stage::Starting) {
            let (slot_seconds, busy) = pod.runtime.reading(now_s);
            let Some((previous_s, previous_slot_seconds)) =
                pod.last_scrape.replace((now_s, slot_seconds))
            else {
                continue; // no window yet (it opens when the container starts)
            };
            let window_s = now_s - previous_s;
            let busy_fraction = (slot_seconds - previous_slot_seconds) / window_s.max(1e-9);
            let cpu_m = self.config.idle_cpu_m + busy_fraction * self.config.busy_slot_cpu_m;
            let memory = self.memory_bytes(pod, busy, now_s);
            pod.metric = Some(MetricSample {
                at_s: now_s,
                window_s,
                cpu_m,
            });
            self.api.upsert(Resource::PodMetrics, json!({
                "metadata": {"name": pod.name, "namespace": self.config.namespace, "labels": {"app": self.config.app}},
                "timestamp": self.clock.text_at(now_s),
                "window": format!("{}s", window_s / self.clock.speed()),
                "containers": [{"name": "app", "usage": {
                    "cpu": format!("{}n", (cpu_m * 1e6).round() as u64),
                    "memory": format!("{}Ki", (memory / 1024.0).round() as u64)}}],
            }));
        }
    }

    fn memory_bytes(&self, pod: &SimPod, busy: usize, now_s: f64) -> f64 {
        let c = &self.config;
        let loaded = if pod.stage == Stage::Ready {
            c.memory_base_mib
        } else {
            c.memory_base_mib / 4.0
        };
        let age_min = (now_s - pod.started_s.unwrap_or(now_s)).max(0.0) / 60.0;
        (loaded + busy as f64 * c.memory_per_busy_slot_mib + age_min * c.memory_leak_mib_per_min)
            * MIB
    }

    /// One HPA sync: the metric's proposal, the behavior, the rescale, the status and event.
    fn sync_hpa(&self, inner: &mut Inner, now_s: f64) {
        let spec = &self.config.hpa;
        let current = inner.replicas;
        let readings: Vec<PodReading> = inner
            .pods
            .iter()
            .map(|p| p.reading(self.config.cpu_request_m, now_s))
            .collect();
        let Some(proposal) = hpa::propose(current, &readings, spec.target_utilization) else {
            self.metric_missing(inner, now_s);
            return;
        };
        let decision = hpa::decide(spec, &mut inner.memory, current, proposal.replicas, now_s);
        let reason = hpa::rescale_reason(current, decision.desired, spec);
        let rescaled = decision.desired != current;
        self.truth.decision(
            now_s,
            &self.clock,
            &proposal,
            current,
            &decision,
            rescaled.then_some(reason.as_str()),
        );
        if rescaled {
            self.rescale(inner, decision.desired, now_s);
            self.event(
                "HorizontalPodAutoscaler",
                &self.config.app,
                "SuccessfulRescale",
                &format!("New size: {}; reason: {reason}", decision.desired),
                "horizontal-pod-autoscaler",
            );
        }
        let conditions = [
            able_to_scale(rescaled, decision.stabilized, decision.desired),
            (
                "ScalingActive",
                "True",
                "ValidMetricFound",
                format!(
                    "the HPA was able to successfully calculate a replica count from {}",
                    hpa::CPU_METRIC
                ),
            ),
            scaling_limited(decision.limit),
        ];
        self.set_conditions(inner, &conditions, now_s);
        let metric = json!([{"type": "Resource", "resource": {"name": "cpu", "current": {
            "averageUtilization": proposal.utilization,
            "averageValue": format!("{}m", proposal.average_m.round() as i64)}}}]);
        self.publish_status(inner, current, decision.desired, metric);
    }

    fn metric_missing(&self, inner: &mut Inner, now_s: f64) {
        let message = "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API";
        self.hpa_warning("FailedGetResourceMetric", message);
        self.truth.missing(now_s, &self.clock, inner.replicas);
        let conditions = [
            (
                "AbleToScale",
                "True",
                "SucceededGetScale",
                "the HPA controller was able to get the target's current scale".to_string(),
            ),
            (
                "ScalingActive",
                "False",
                "FailedGetResourceMetric",
                format!("the HPA was unable to compute the replica count: {message}"),
            ),
        ];
        self.set_conditions(inner, &conditions, now_s);
        let replicas = inner.replicas;
        self.publish_status(inner, replicas, replicas, json!([]));
    }

    fn rescale(&self, inner: &mut Inner, desired: i32, now_s: f64) {
        let current = inner.replicas;
        inner.replicas = desired;
        inner.last_scale_s = Some(now_s);
        let direction = if desired > current { "up" } else { "down" };
        self.event(
            "Deployment",
            &self.config.app,
            "ScalingReplicaSet",
            &format!(
                "Scaled {direction} replica set {} from {current} to {desired}",
                self.replica_set()
            ),
            "deployment-controller",
        );
        while (inner.pods.len() as i32) < desired {
            self.add_pod(inner, Stage::Pending, now_s);
        }
        while (inner.pods.len() as i32) > desired {
            // The ReplicaSet removes the least advanced, then the youngest pod first.
            let victim = (0..inner.pods.len())
                .min_by(|&a, &b| {
                    let (pa, pb) = (&inner.pods[a], &inner.pods[b]);
                    pa.stage
                        .cmp(&pb.stage)
                        .then(pb.created_s.total_cmp(&pa.created_s))
                })
                .unwrap_or(0);
            let pod = inner.pods.remove(victim);
            self.remove_pod(&pod, now_s);
        }
        self.publish_deployment(inner);
    }

    fn remove_pod(&self, pod: &SimPod, now_s: f64) {
        self.event(
            "ReplicaSet",
            &self.replica_set(),
            "SuccessfulDelete",
            &format!("Deleted pod: {}", pod.name),
            "replicaset-controller",
        );
        self.event(
            "Pod",
            &pod.name,
            "Killing",
            "Stopping container app",
            "kubelet",
        );
        self.api.delete_pod(&self.config.namespace, &pod.name);
        self.api
            .delete(Resource::PodMetrics, &self.config.namespace, &pod.name);
        self.truth
            .pod_deleted(now_s, &self.clock, &pod.name, pod.stage);
    }

    /// Keeps each condition's lastTransitionTime while its status stays the same.
    fn set_conditions(
        &self,
        inner: &mut Inner,
        conditions: &[(&str, &str, &str, String)],
        now_s: f64,
    ) {
        let updated = conditions
            .iter()
            .map(|(kind, status, reason, message)| {
                let since = inner
                    .conditions
                    .iter()
                    .find(|c| c["type"] == *kind && c["status"] == *status)
                    .map(|c| c["lastTransitionTime"].clone())
                    .unwrap_or_else(|| json!(self.clock.text_at(now_s)));
                json!({"type": kind, "status": status, "reason": reason, "message": message, "lastTransitionTime": since})
            })
            .collect();
        inner.conditions = updated;
    }

    fn publish_status(&self, inner: &Inner, current: i32, desired: i32, metrics: Value) {
        let mut status = json!({
            "currentReplicas": current,
            "desiredReplicas": desired,
            "currentMetrics": metrics,
            "conditions": inner.conditions,
        });
        if let Some(at) = inner.last_scale_s {
            status["lastScaleTime"] = json!(self.clock.text_at(at));
        }
        // The HPA object was created in `new`; a missing one would be a bug of ours, not the user's.
        let _ = self.api.modify(
            Resource::HorizontalPodAutoscalers,
            &self.config.namespace,
            &self.config.app,
            |hpa| {
                hpa["status"] = status;
            },
        );
    }

    fn publish_deployment(&self, inner: &Inner) {
        let ready = inner
            .pods
            .iter()
            .filter(|p| p.stage == Stage::Ready)
            .count();
        let mut object = self.deployment_object(inner.pods.len(), ready);
        object["spec"]["replicas"] = json!(inner.replicas);
        self.api.upsert(Resource::Deployments, object);
        // Its ReplicaSet, for `kubectl get rs` and `kubectl describe deployment`.
        let c = &self.config;
        if let Some(stored) = self.api.get(Resource::Deployments, &c.namespace, &c.app) {
            self.api.upsert(
                Resource::ReplicaSets,
                workload::replica_set(&stored, TEMPLATE_HASH),
            );
        }
    }

    fn event(&self, kind: &str, name: &str, reason: &str, message: &str, component: &str) {
        self.emit(kind, name, reason, message, ("Normal", component));
    }

    fn hpa_warning(&self, reason: &str, message: &str) {
        let source = ("Warning", "horizontal-pod-autoscaler");
        self.emit(
            "HorizontalPodAutoscaler",
            &self.config.app,
            reason,
            message,
            source,
        );
    }

    /// `source`: the event's type and reporting component.
    fn emit(&self, kind: &str, name: &str, reason: &str, message: &str, source: (&str, &str)) {
        self.api.emit_event(&NewEvent {
            namespace: &self.config.namespace,
            involved_kind: kind,
            involved_name: name,
            reason,
            message,
            event_type: source.0,
            component: source.1,
        });
    }

    fn deployment_object(&self, replicas: usize, ready: usize) -> Value {
        let c = &self.config;
        json!({
            "metadata": {"name": c.app, "namespace": c.namespace, "labels": {"app": c.app}},
            "spec": {"replicas": c.initial_replicas, "selector": {"matchLabels": {"app": c.app}},
                     "template": {"metadata": {"labels": {"app": c.app}},
                                  "spec": {"containers": [self.container()]}}},
            "status": {"replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready, "availableReplicas": ready},
        })
    }

    fn container(&self) -> Value {
        json!({"name": "app", "image": IMAGE, "resources": {"requests": {
            "cpu": format!("{}m", self.config.cpu_request_m.round() as i64),
            "memory": format!("{}Mi", (self.config.memory_request_gib * 1024.0).round() as i64)}}})
    }

    fn pod_object(&self, pod: &SimPod) -> Value {
        let c = &self.config;
        let ready = pod.stage == Stage::Ready;
        let running = pod.stage >= Stage::Starting;
        let created = self.clock.text_at(pod.created_s.max(0.0));
        let ready_since = pod
            .ready_s
            .or(pod.started_s)
            .unwrap_or(pod.created_s)
            .max(0.0);
        let mut status = json!({
            "phase": if running { "Running" } else { "Pending" },
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" },
                            "lastTransitionTime": self.clock.text_at(ready_since)}],
            "containerStatuses": [{"name": "app", "ready": ready, "restartCount": 0, "image": IMAGE,
                                   "imageID": "", "state": if running { json!({"running": {}}) }
                                   else { json!({"waiting": {"reason": "ContainerCreating"}}) }}],
        });
        if pod.stage >= Stage::Pulling {
            status["startTime"] = json!(created);
        }
        let mut spec = json!({"containers": [self.container()]});
        if pod.stage >= Stage::Pulling {
            spec["nodeName"] = json!(NODE);
        }
        json!({"metadata": {"name": pod.name, "namespace": c.namespace, "labels": {"app": c.app}},
               "spec": spec, "status": status})
    }

    fn hpa_object(&self) -> Value {
        let c = &self.config;
        let mut spec = json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": c.app},
            "minReplicas": c.hpa.min_replicas, "maxReplicas": c.hpa.max_replicas,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": c.hpa.target_utilization}}}],
        });
        if let Some(b) = &c.hpa.behavior {
            spec["behavior"] = json!({"scaleUp": rules_object(&b.scale_up), "scaleDown": rules_object(&b.scale_down)});
        }
        // The speed travels with the HPA so that `report collect` records which clock it ran on.
        let annotations =
            json!({crate::session::manifest::SIM_SPEED_ANNOTATION: self.clock.speed().to_string()});
        json!({"metadata": {"name": c.app, "namespace": c.namespace, "annotations": annotations}, "spec": spec,
               "status": {"currentReplicas": c.initial_replicas, "desiredReplicas": c.initial_replicas}})
    }
}

fn rules_object(rules: &hpa::Rules) -> Value {
    let policies: Vec<Value> = rules
        .policies
        .iter()
        .map(|p| json!({"type": format!("{:?}", p.kind), "value": p.value, "periodSeconds": p.period_s.round() as i64}))
        .collect();
    json!({"stabilizationWindowSeconds": rules.window_s.round() as i64,
           "selectPolicy": format!("{:?}", rules.select), "policies": policies})
}

fn able_to_scale(
    rescaled: bool,
    stabilized: bool,
    desired: i32,
) -> (&'static str, &'static str, &'static str, String) {
    if rescaled {
        (
            "AbleToScale",
            "True",
            "SucceededRescale",
            format!("the HPA controller was able to update the target scale to {desired}"),
        )
    } else if stabilized {
        ("AbleToScale", "True", "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation".into())
    } else {
        (
            "AbleToScale",
            "True",
            "ReadyForNewScale",
            "recommended size matches current size".into(),
        )
    }
}

fn scaling_limited(limit: Limit) -> (&'static str, &'static str, &'static str, String) {
    let (status, reason, message) = match limit {
        Limit::None => (
            "False",
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
        ),
        Limit::TooManyReplicas => (
            "True",
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
        ),
        Limit::TooFewReplicas => (
            "True",
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
        ),
        Limit::ScaleUpLimit => (
            "True",
            "ScaleUpLimit",
            "the desired replica count is increasing faster than the maximum scale rate",
        ),
        Limit::ScaleDownLimit => (
            "True",
            "ScaleDownLimit",
            "the desired replica count is decreasing faster than the maximum scale rate",
        ),
    };
    ("ScalingLimited", status, reason, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth_lines(path: &std::path::Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// One pod with both slots busy from 0 s: 2020m of 2000m at the 5 s scrape (101 %), so the
    /// 15 s sync asks ceil(1.01 / 0.70 × 1) = 2. The new pod is scheduled at 16 s, started at
    /// 24 s, Ready at 36 s; until a metric taken a full window after readiness (65 s) the HPA
    /// counts it as unready at 0 %, which keeps 2 (50 % with it, against 101 % without).
    #[test]
    fn busy_pod_scales_to_two_and_the_new_pod_starts_up() {
        let dir = tempfile::tempdir().unwrap();
        let truth_path = dir.path().join("truth.jsonl");
        let api = ClusterState::new();
        let cluster = Cluster::new(
            ClusterConfig::default(),
            SimClock::start(1.0),
            api.clone(),
            Truth::create(&truth_path).unwrap(),
        );
        let first = cluster.pick_pod().unwrap();
        first.busy_change(0.0, true);
        first.busy_change(0.0, true);
        for second in 1..=75 {
            cluster.tick(second);
        }
        let metrics = api
            .get(
                Resource::PodMetrics,
                "llm-inference",
                &cluster.lock().pods[0].name,
            )
            .unwrap();
        assert_eq!(metrics["containers"][0]["usage"]["cpu"], "2020000000n");
        let hpa = api
            .get(
                Resource::HorizontalPodAutoscalers,
                "llm-inference",
                "llm-inference",
            )
            .unwrap();
        assert_eq!(hpa["status"]["desiredReplicas"], 2);
        assert_eq!(
            hpa["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"],
            51
        );
        let (events, _) = api.list(Resource::Events, Some("llm-inference"));
        let rescale: Vec<&Value> = events
            .iter()
            .map(|e| &e.1)
            .filter(|e| e["reason"] == "SuccessfulRescale")
            .collect();
        assert_eq!(rescale.len(), 1);
        assert_eq!(
            rescale[0]["message"],
            "New size: 2; reason: cpu resource utilization (percentage of request) above target"
        );

        let truth = truth_lines(&truth_path);
        let syncs: Vec<(f64, i64, i64, i64)> = truth
            .iter()
            .filter(|l| l["kind"] == "hpa_sync")
            .map(|l| {
                (
                    l["sim_s"].as_f64().unwrap(),
                    l["cpu_utilization"].as_i64().unwrap(),
                    l["proposed"].as_i64().unwrap(),
                    l["desired"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            syncs,
            vec![
                (15.0, 101, 2, 2),
                (30.0, 101, 2, 2),
                (45.0, 101, 2, 2),
                (60.0, 101, 2, 2),
                (75.0, 51, 2, 2)
            ]
        );
        let second_pod: Vec<(f64, &str)> = truth
            .iter()
            .filter(|l| l["kind"] == "pod" && l["pod"] != truth[0]["pod"])
            .map(|l| (l["sim_s"].as_f64().unwrap(), l["to"].as_str().unwrap()))
            .collect();
        assert_eq!(
            second_pod,
            vec![
                (15.0, "pending"),
                (16.0, "pulling"),
                (24.0, "starting"),
                (36.0, "ready")
            ]
        );
    }
}
