//! The spike test's headline in words, from its phases' figures.

use super::format::seconds;
use crate::analyze::spike::SpikeReport;

/// `During the spike the average latency rose 3.9× (2.51 s → 9.80 s) with 77.2 % of requests
/// successful.`, or why it cannot be said.
pub fn headline(spike: &SpikeReport) -> String {
    let find = |n: &str| spike.phases.iter().find(|p| p.name == n);
    let (Some(base), Some(peak)) = (find("Baseline"), find("Spike")) else {
        return "Incomplete spike test: the baseline or spike phase is missing.".into();
    };
    match (
        base.row.avg.value,
        peak.row.avg.value,
        peak.row.success_rate.value,
    ) {
        (Some(b), Some(s), Some(ok)) if b > 0.0 => format!(
            "During the spike the average latency rose {:.1}× ({} → {}) with {ok:.1} % of requests successful.",
            s / b,
            seconds(b),
            seconds(s),
        ),
        _ => {
            "The spike's latency change cannot be computed: a phase has no latency figures.".into()
        }
    }
}
