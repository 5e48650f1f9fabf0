//! The HPA controller's arithmetic, after kubernetes/kubernetes pkg/controller/podautoscaler
//! (replica_calculator.go, horizontal.go), as pure functions of the pods' readings and the
//! controller's remembered recommendations and scale events. Times are simulated seconds.

use serde::{Deserialize, Serialize};

/// No rescale while `|1 - usage/target| <= TOLERANCE` (the controller's default).
pub const TOLERANCE: f64 = 0.1;
/// The legacy (no `behavior`) scale-down stabilization window.
pub const LEGACY_DOWN_WINDOW_S: f64 = 300.0;
/// The metric name in event messages and conditions.
pub const CPU_METRIC: &str = "cpu resource utilization (percentage of request)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyKind {
    Pods,
    Percent,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub kind: PolicyKind,
    pub value: i32,
    pub period_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Select {
    Max,
    Min,
    Disabled,
}

/// One direction of `spec.behavior` (scaleUp or scaleDown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    pub window_s: f64,
    pub select: Select,
    pub policies: Vec<Policy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Behavior {
    pub scale_up: Rules,
    pub scale_down: Rules,
}

impl Default for Behavior {
    /// The API's defaults, which are also the user's deployment.
    fn default() -> Self {
        let policy = |kind, value| Policy {
            kind,
            value,
            period_s: 15.0,
        };
        Self {
            scale_up: Rules {
                window_s: 0.0,
                select: Select::Max,
                policies: vec![
                    policy(PolicyKind::Pods, 4),
                    policy(PolicyKind::Percent, 100),
                ],
            },
            scale_down: Rules {
                window_s: 300.0,
                select: Select::Max,
                policies: vec![policy(PolicyKind::Percent, 100)],
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HpaSpec {
    pub min_replicas: i32,
    pub max_replicas: i32,
    pub target_utilization: i32,
    /// `None`: the legacy path (5 min scale-down window, scale-up to max(2 × current, 4)).
    pub behavior: Option<Behavior>,
}

impl Default for HpaSpec {
    fn default() -> Self {
        Self {
            min_replicas: 1,
            max_replicas: 5,
            target_utilization: 70,
            behavior: Some(Behavior::default()),
        }
    }
}

/// What the controller knows about one pod of the target at a sync.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PodReading {
    /// Not unready (unready: Pending, not Ready, or a young pod's metric from before readiness).
    /// A pod that is not unready but has no `usage_m` is a pod with a missing metric.
    pub ready: bool,
    /// CPU usage from metrics-server, in millicores; `None` when it has no metric yet.
    pub usage_m: Option<f64>,
    pub request_m: f64,
}

/// The replica calculator's answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proposal {
    pub replicas: i32,
    /// `int(100 × sum(usage) / sum(request))` over the ready pods with a metric.
    pub utilization: i32,
    /// Average usage of those pods, in millicores (`currentMetrics[].averageValue`).
    pub average_m: f64,
}

fn within_tolerance(ratio: f64) -> bool {
    (1.0 - ratio).abs() <= TOLERANCE
}

/// Utilization (integer percent) and average usage over `(usage, request)` pairs.
fn utilization(samples: &[(f64, f64)]) -> (i32, f64) {
    let usage: f64 = samples.iter().map(|s| s.0).sum();
    let request: f64 = samples.iter().map(|s| s.1).sum();
    let pct = if request > 0.0 {
        (usage * 100.0 / request).floor() as i32
    } else {
        0
    };
    (pct, usage / samples.len().max(1) as f64)
}

/// GetResourceReplicas: the replicas the CPU metric asks for, or `None` when no ready pod has a
/// metric (the controller then reports FailedGetResourceMetric).
pub fn propose(current: i32, pods: &[PodReading], target: i32) -> Option<Proposal> {
    let ready: Vec<(f64, f64)> = pods
        .iter()
        .filter(|p| p.ready)
        .filter_map(|p| p.usage_m.map(|u| (u, p.request_m)))
        .collect();
    if ready.is_empty() {
        return None;
    }
    let (pct, average_m) = utilization(&ready);
    let ratio = f64::from(pct) / f64::from(target);
    let proposal = |replicas| Proposal {
        replicas,
        utilization: pct,
        average_m,
    };
    let unready = pods.iter().filter(|p| !p.ready).count();
    let missing: Vec<&PodReading> = pods
        .iter()
        .filter(|p| p.ready && p.usage_m.is_none())
        .collect();
    let scale_up_with_unready = unready > 0 && ratio > 1.0;
    if !scale_up_with_unready && missing.is_empty() {
        if within_tolerance(ratio) {
            return Some(proposal(current));
        }
        return Some(proposal((ratio * ready.len() as f64).ceil() as i32));
    }
    // Fill in the pods the first pass left out, always against the direction of the change.
    let mut all = ready.clone();
    for pod in missing {
        let fill = if ratio < 1.0 {
            f64::from(target.max(100)) / 100.0 * pod.request_m
        } else {
            0.0
        };
        all.push((fill, pod.request_m));
    }
    if scale_up_with_unready {
        all.extend(pods.iter().filter(|p| !p.ready).map(|p| (0.0, p.request_m)));
    }
    let (new_pct, _) = utilization(&all);
    let new_ratio = f64::from(new_pct) / f64::from(target);
    if within_tolerance(new_ratio)
        || (ratio < 1.0 && new_ratio > 1.0)
        || (ratio > 1.0 && new_ratio < 1.0)
    {
        return Some(proposal(current));
    }
    let replicas = (new_ratio * all.len() as f64).ceil() as i32;
    let reverses =
        (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current);
    Some(proposal(if reverses { current } else { replicas }))
}

/// A recommendation or a rescale, remembered by the controller with its time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timed {
    pub at_s: f64,
    pub replicas: i32,
}

/// What the controller remembers between syncs for one HPA.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    pub recommendations: Vec<Timed>,
    /// Replicas added by each scale-up, and removed by each scale-down.
    pub scale_up_events: Vec<Timed>,
    pub scale_down_events: Vec<Timed>,
}

/// Why the final count differs from the metric's proposal (the ScalingLimited condition) or
/// why it stayed (AbleToScale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Limit {
    None,
    TooManyReplicas,
    TooFewReplicas,
    ScaleUpLimit,
    ScaleDownLimit,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub desired: i32,
    pub limit: Limit,
    /// A scale-down was held by the stabilization window.
    pub stabilized: bool,
}

/// Sums the changes recorded after `now - period` (strictly after, as upstream).
fn change_in_period(events: &[Timed], now_s: f64, period_s: f64) -> i32 {
    events
        .iter()
        .filter(|e| e.at_s > now_s - period_s)
        .map(|e| e.replicas)
        .sum()
}

/// calculateScaleUpLimitWithScalingRules.
pub fn scale_up_limit(current: i32, events: &[Timed], rules: &Rules, now_s: f64) -> i32 {
    if rules.select == Select::Disabled {
        return current;
    }
    let proposals = rules.policies.iter().map(|p| {
        let start = current - change_in_period(events, now_s, p.period_s);
        match p.kind {
            PolicyKind::Pods => start + p.value,
            PolicyKind::Percent => {
                (f64::from(start) * (1.0 + f64::from(p.value) / 100.0)).ceil() as i32
            }
        }
    });
    match rules.select {
        Select::Min => proposals.min(),
        _ => proposals.max(),
    }
    .unwrap_or(current)
}

/// calculateScaleDownLimitWithBehaviors: Max picks the biggest change, the lowest count.
pub fn scale_down_limit(current: i32, events: &[Timed], rules: &Rules, now_s: f64) -> i32 {
    if rules.select == Select::Disabled {
        return current;
    }
    let proposals = rules.policies.iter().map(|p| {
        let start = current + change_in_period(events, now_s, p.period_s);
        match p.kind {
            PolicyKind::Pods => start - p.value,
            PolicyKind::Percent => {
                (f64::from(start) * (1.0 - f64::from(p.value) / 100.0)).floor() as i32
            }
        }
    });
    match rules.select {
        Select::Min => proposals.max(),
        _ => proposals.min(),
    }
    .unwrap_or(current)
}

/// Stabilization with behaviors: between the lowest recommendation of the scale-up window and
/// the highest of the scale-down window (the new proposal included). Records the proposal.
fn stabilize(
    memory: &mut Memory,
    behavior: &Behavior,
    current: i32,
    proposal: i32,
    now_s: f64,
) -> i32 {
    let mut up = proposal;
    let mut down = proposal;
    for r in &memory.recommendations {
        if r.at_s > now_s - behavior.scale_up.window_s {
            up = up.min(r.replicas);
        }
        if r.at_s > now_s - behavior.scale_down.window_s {
            down = down.max(r.replicas);
        }
    }
    memory.recommendations.push(Timed {
        at_s: now_s,
        replicas: proposal,
    });
    let longest = behavior.scale_up.window_s.max(behavior.scale_down.window_s);
    memory.recommendations.retain(|r| r.at_s > now_s - longest);
    current.max(up).min(down)
}

/// normalizeDesiredReplicasWithBehaviors: stabilize, then apply the rate policies and the bounds.
fn with_behavior(
    spec: &HpaSpec,
    behavior: &Behavior,
    memory: &mut Memory,
    current: i32,
    proposal: i32,
    now_s: f64,
) -> Decision {
    let stabilized = stabilize(memory, behavior, current, proposal, now_s);
    let mut decision = Decision {
        desired: stabilized,
        limit: Limit::None,
        stabilized: stabilized > proposal && stabilized <= current && proposal < current,
    };
    if stabilized > current {
        let rate = scale_up_limit(current, &memory.scale_up_events, &behavior.scale_up, now_s)
            .max(current);
        let (allowed, limit) = if spec.max_replicas > rate {
            (rate, Limit::ScaleUpLimit)
        } else {
            (spec.max_replicas, Limit::TooManyReplicas)
        };
        if stabilized > allowed {
            decision.desired = allowed;
            decision.limit = limit;
        }
    } else if stabilized < current {
        let rate = scale_down_limit(
            current,
            &memory.scale_down_events,
            &behavior.scale_down,
            now_s,
        )
        .min(current);
        let (allowed, limit) = if spec.min_replicas > rate {
            (spec.min_replicas, Limit::TooFewReplicas)
        } else {
            (rate, Limit::ScaleDownLimit)
        };
        if stabilized < allowed {
            decision.desired = allowed;
            decision.limit = limit;
        }
    }
    decision
}

/// normalizeDesiredReplicas (no behavior): the highest recommendation of the last 5 minutes,
/// scale-up at most to max(2 × current, 4), then the bounds.
fn legacy(
    spec: &HpaSpec,
    memory: &mut Memory,
    current: i32,
    proposal: i32,
    now_s: f64,
) -> Decision {
    memory
        .recommendations
        .retain(|r| r.at_s > now_s - LEGACY_DOWN_WINDOW_S);
    let held = memory
        .recommendations
        .iter()
        .map(|r| r.replicas)
        .fold(proposal, i32::max);
    memory.recommendations.push(Timed {
        at_s: now_s,
        replicas: proposal,
    });
    let stabilized = held;
    let up_limit = (2 * current).max(4);
    let (desired, limit) = if stabilized > up_limit {
        (up_limit, Limit::ScaleUpLimit)
    } else {
        (stabilized, Limit::None)
    };
    let (desired, limit) = if desired > spec.max_replicas {
        (spec.max_replicas, Limit::TooManyReplicas)
    } else if desired < spec.min_replicas {
        (spec.min_replicas, Limit::TooFewReplicas)
    } else {
        (desired, limit)
    };
    Decision {
        desired,
        limit,
        stabilized: held > proposal && proposal < current,
    }
}

/// One sync's decision from the metric's proposal, remembering what the next syncs need.
pub fn decide(
    spec: &HpaSpec,
    memory: &mut Memory,
    current: i32,
    proposal: i32,
    now_s: f64,
) -> Decision {
    if current > spec.max_replicas {
        return Decision {
            desired: spec.max_replicas,
            limit: Limit::TooManyReplicas,
            stabilized: false,
        };
    }
    if current < spec.min_replicas {
        return Decision {
            desired: spec.min_replicas,
            limit: Limit::TooFewReplicas,
            stabilized: false,
        };
    }
    let decision = match &spec.behavior {
        Some(behavior) => with_behavior(spec, behavior, memory, current, proposal, now_s),
        None => legacy(spec, memory, current, proposal, now_s),
    };
    record_rescale(memory, current, decision.desired, now_s);
    decision
}

/// storeScaleEvent: the change, for the rate policies of the next syncs.
fn record_rescale(memory: &mut Memory, current: i32, desired: i32, now_s: f64) {
    let event = |replicas| Timed {
        at_s: now_s,
        replicas,
    };
    if desired > current {
        memory.scale_up_events.push(event(desired - current));
    } else if desired < current {
        memory.scale_down_events.push(event(current - desired));
    }
    // Upstream keeps events for the longest policy period; 30 min bounds ours.
    memory.scale_up_events.retain(|e| e.at_s > now_s - 1800.0);
    memory.scale_down_events.retain(|e| e.at_s > now_s - 1800.0);
}

/// The SuccessfulRescale event's reason text.
pub fn rescale_reason(current: i32, desired: i32, spec: &HpaSpec) -> String {
    if current < spec.min_replicas {
        "Current number of replicas below Spec.MinReplicas".into()
    } else if current > spec.max_replicas {
        "Current number of replicas above Spec.MaxReplicas".into()
    } else if desired < current {
        "All metrics below target".into()
    } else {
        format!("{CPU_METRIC} above target")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(pct: f64) -> PodReading {
        PodReading {
            ready: true,
            usage_m: Some(pct * 20.0),
            request_m: 2000.0,
        }
    }

    fn unready() -> PodReading {
        PodReading {
            ready: false,
            usage_m: None,
            request_m: 2000.0,
        }
    }

    #[test]
    fn one_pod_at_140_percent_asks_for_two() {
        let p = propose(1, &[ready(140.0)], 70).unwrap();
        assert_eq!((p.replicas, p.utilization, p.average_m), (2, 140, 2800.0));
    }

    #[test]
    fn within_tolerance_keeps_the_count() {
        assert_eq!(propose(3, &[ready(65.0); 3], 70).unwrap().replicas, 3);
        // 63/70 = 0.9: still within; 62/70 = 0.886: outside, ceil(0.886 × 3) = 3 anyway.
        assert_eq!(propose(3, &[ready(63.0); 3], 70).unwrap().replicas, 3);
        // 30 % on 3 pods: ceil(30/70 × 3) = ceil(1.29) = 2.
        assert_eq!(propose(3, &[ready(30.0); 3], 70).unwrap().replicas, 2);
    }

    #[test]
    fn unready_pods_count_as_idle_when_scaling_up() {
        // 2 ready at 140 %, 2 starting: (280+280)/(4 × 100) = 70 % of request → within tolerance.
        let pods = [ready(140.0), ready(140.0), unready(), unready()];
        assert_eq!(propose(4, &pods, 70).unwrap().replicas, 4);
        // 2 ready at 200 %, 1 starting: 400/300 = 133 % → ratio 1.9 → ceil(1.9 × 3) = 6.
        let pods = [ready(200.0), ready(200.0), unready()];
        assert_eq!(propose(3, &pods, 70).unwrap().replicas, 6);
    }

    #[test]
    fn pods_without_metrics_count_as_full_when_scaling_down() {
        // One ready pod at 10 %, one ready without a metric (counted at 100 %): 55 % → ratio
        // 0.786 → ceil(0.786 × 2) = 2, the current count: no scale-down on a guess.
        let pods = [
            ready(10.0),
            PodReading {
                usage_m: None,
                ..ready(0.0)
            },
        ];
        assert_eq!(propose(2, &pods, 70).unwrap().replicas, 2);
    }

    #[test]
    fn no_ready_metric_is_no_proposal() {
        assert_eq!(propose(1, &[unready()], 70), None);
    }

    #[test]
    fn scale_down_is_held_for_the_window_then_applied() {
        let spec = HpaSpec::default();
        let mut memory = Memory::default();
        assert_eq!(decide(&spec, &mut memory, 1, 3, 0.0).desired, 3);
        let mut t = 15.0;
        // Load gone at 15 s: recommendations of 1 are held by the 3 from t = 0 while it is
        // inside the 300 s window (strictly after now - 300).
        while t < 300.0 {
            let d = decide(&spec, &mut memory, 3, 1, t);
            assert_eq!((d.desired, d.stabilized), (3, true), "at {t} s");
            t += 15.0;
        }
        let d = decide(&spec, &mut memory, 3, 1, 300.0);
        assert_eq!((d.desired, d.limit), (1, Limit::None));
    }

    #[test]
    fn percent_policy_doubles_per_period_then_max_clamps() {
        let mut spec = HpaSpec::default();
        if let Some(b) = spec.behavior.as_mut() {
            b.scale_up
                .policies
                .retain(|p| p.kind == PolicyKind::Percent);
        }
        let mut memory = Memory::default();
        let mut current = 1;
        let mut seen = vec![current];
        for sync in 1..=4 {
            let d = decide(&spec, &mut memory, current, 10, f64::from(sync) * 15.0);
            current = d.desired;
            seen.push(current);
        }
        assert_eq!(seen, vec![1, 2, 4, 5, 5]);
    }

    #[test]
    fn two_rescales_in_one_period_share_its_budget() {
        let mut spec = HpaSpec::default();
        if let Some(b) = spec.behavior.as_mut() {
            b.scale_up.policies = vec![Policy {
                kind: PolicyKind::Percent,
                value: 100,
                period_s: 60.0,
            }];
        }
        let mut memory = Memory::default();
        assert_eq!(decide(&spec, &mut memory, 1, 2, 0.0).desired, 2);
        // 15 s later the period started at 1 replica: at most 2, so the 4 asked is limited.
        let d = decide(&spec, &mut memory, 2, 4, 15.0);
        assert_eq!((d.desired, d.limit), (2, Limit::ScaleUpLimit));
    }

    #[test]
    fn default_behavior_takes_the_pods_policy_when_larger() {
        // From 1: Pods 4 → 5, Percent 100 → 2; Max → 5, also maxReplicas.
        let spec = HpaSpec::default();
        let d = decide(&spec, &mut Memory::default(), 1, 9, 0.0);
        assert_eq!((d.desired, d.limit), (5, Limit::TooManyReplicas));
        let d = decide(&spec, &mut Memory::default(), 1, 4, 0.0);
        assert_eq!((d.desired, d.limit), (4, Limit::None));
    }

    #[test]
    fn legacy_path_limits_scale_up_and_holds_scale_down() {
        let spec = HpaSpec {
            max_replicas: 20,
            behavior: None,
            ..HpaSpec::default()
        };
        let mut memory = Memory::default();
        let d = decide(&spec, &mut memory, 1, 9, 0.0);
        assert_eq!((d.desired, d.limit), (4, Limit::ScaleUpLimit));
        let d = decide(&spec, &mut memory, 4, 9, 15.0);
        assert_eq!((d.desired, d.limit), (8, Limit::ScaleUpLimit));
        // Load gone: the 9s of the last 5 minutes hold it (clamped to 2 × 8 = 16 ≥ 9).
        assert_eq!(decide(&spec, &mut memory, 8, 1, 30.0).desired, 9);
        assert_eq!(decide(&spec, &mut memory, 9, 1, 316.0).desired, 1);
    }

    #[test]
    fn bounds_and_reasons() {
        let spec = HpaSpec::default();
        assert_eq!(decide(&spec, &mut Memory::default(), 7, 7, 0.0).desired, 5);
        assert_eq!(decide(&spec, &mut Memory::default(), 0, 3, 0.0).desired, 1);
        assert_eq!(decide(&spec, &mut Memory::default(), 2, 0, 0.0).desired, 1);
        assert_eq!(rescale_reason(3, 1, &spec), "All metrics below target");
        assert_eq!(
            rescale_reason(1, 2, &spec),
            "cpu resource utilization (percentage of request) above target"
        );
    }
}
