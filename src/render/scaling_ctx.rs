//! Template context of the autoscaling sections: the guide's checklist answered with numbers,
//! the scale-up chains, CPU per pod count, events, pods' memory and the flags.

use serde::Serialize;

use super::context::{NEEDS_COLLECT, Table};
use super::escape::Md;
use super::format;
use super::notes::Notes;
use super::scaling_words;
use crate::analyze::figure::Figure;
use crate::analyze::scaling::ScalingReport;

#[derive(Serialize)]
pub struct ChainCtx {
    pub title: Md,
    pub table: Table,
}

#[derive(Serialize)]
pub struct ScalingCtx {
    pub headline: Md,
    pub bounds: Md,
    pub chains: Vec<ChainCtx>,
    /// The chains' footnotes, once for all of them.
    pub chain_notes: Md,
    pub cpu: Table,
    pub events: Table,
    pub memory: Table,
    pub restarts: Table,
    pub flags: Vec<Md>,
}

/// The guide's "Auto-Scaling Metrics" checklist, each item with a value or the missing recording.
pub fn checklist(scaling: Option<&ScalingReport>) -> Vec<(Md, Md)> {
    let items = [
        "Time to scale up (baseline → spike)",
        "Time to scale down (spike → baseline)",
        "Maximum pods reached",
        "CPU utilization at each pod count",
        "HPA events timeline",
        "Memory growth during the soak test (per pod)",
        "Pod restarts and OOMKills",
    ];
    let Some(s) = scaling else {
        return items
            .iter()
            .map(|i| (Md::text(i), Md::text(format!("n/a: {NEEDS_COLLECT}"))))
            .collect();
    };
    let mut notes = Notes::default();
    let with_reason = |fig: &Figure, notes: &mut Notes| match fig.value {
        Some(_) => notes.cell(fig),
        None => Md::text(format!(
            "n/a: {}",
            fig.unavailable.as_deref().unwrap_or("not available")
        )),
    };
    let max = match (s.max_pods.value, s.time_at_max.value) {
        (Some(m), Some(t)) => Md::text(format!(
            "{m:.0} pods (for {t:.0} s; HPA range {})",
            bounds(s)
        )),
        _ => with_reason(&s.max_pods, &mut notes),
    };
    let cpu = if s.cpu_by_replicas.is_empty() {
        "n/a: no HPA reading with a CPU metric".to_string()
    } else {
        s.cpu_by_replicas
            .iter()
            .map(|c| {
                format!(
                    "{}: {}",
                    format::pods(c.replicas),
                    c.mean_pct.map_or("n/a".into(), |v| format!("{v:.0} %"))
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
            + " (mean; table below)"
    };
    let restarts = if s.restarts.is_empty() {
        "none recorded".to_string()
    } else {
        s.restarts
            .iter()
            .map(|(p, n, r)| format!("{p}: {n} ({r})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let items = items.map(Md::text);
    let [_, _, max_pods, cpu_at, events, memory, restarts_item] = items;
    let test = s.spike_test.as_deref().unwrap_or("no spike");
    let up = Md::text(format!(
        "Time to scale up ({test}: start of the spike phase → HPA decision)"
    ));
    let down = Md::text(format!(
        "Time to scale down ({test}: end of the spike phase → HPA decision back at minimum)"
    ));
    let timed = |fig: &Figure, beside: &Figure, what: (&str, &str), notes: &mut Notes| {
        let mut cell = with_reason(fig, notes);
        if fig.value.is_some() {
            cell.push_text(&format!(": {}", fig.method.as_deref().unwrap_or_default()));
            if let Some(v) = beside.value {
                cell.push_text(&format!("; {} {} {}", what.0, format::seconds(v), what.1));
            }
        }
        cell
    };
    vec![
        (
            up,
            timed(
                &s.time_to_scale_up,
                &s.scale_up_pods_ready,
                ("new pods Ready", "after the spike phase began"),
                &mut notes,
            ),
        ),
        (
            down,
            timed(
                &s.time_to_scale_down,
                &s.scale_down_pods_deleted,
                ("removed pods deleted", "after the spike phase ended"),
                &mut notes,
            ),
        ),
        (max_pods, max),
        (cpu_at, Md::text(cpu)),
        (
            events,
            Md::text(format!(
                "{} event(s), {} scaling decision(s): table below",
                s.events.len(),
                s.decisions.len()
            )),
        ),
        (
            memory,
            with_reason(&s.memory_growth_mib_per_min, &mut notes),
        ),
        (restarts_item, Md::text(restarts)),
    ]
}

fn bounds(s: &ScalingReport) -> String {
    let n = |v: Option<u32>| v.map_or("?".to_string(), |v| v.to_string());
    format!("{}–{}", n(s.min_replicas), n(s.max_replicas))
}

pub fn scaling_ctx(s: &ScalingReport) -> ScalingCtx {
    let mut chain_notes = Notes::default();
    let chains = s
        .chains
        .iter()
        .map(|c| {
            let table = Table::sharing(&c.steps, &mut chain_notes, |st, notes| {
                vec![
                    Md::text(scaling_words::step(st.step)),
                    Md::text(
                        st.at
                            .map_or_else(|| "n/a".to_string(), scaling_words::clock),
                    ),
                    notes.cell(&st.delay),
                ]
            });
            ChainCtx {
                title: Md::text(format!(
                    "{}→{} pods{}",
                    c.from,
                    c.to,
                    c.phase
                        .as_ref()
                        .map_or(String::new(), |p| format!(" during {p}"))
                )),
                table,
            }
        })
        .collect();
    let opt_pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.1} %"));
    let cpu = Table::plain(s.cpu_by_replicas.iter().map(|c| {
        vec![
            c.replicas.to_string(),
            c.samples.to_string(),
            opt_pct(c.mean_pct),
            opt_pct(c.p95_pct),
        ]
    }));
    let events = Table::plain(s.events.iter().map(|e| {
        vec![
            scaling_words::clock(e.at),
            e.kind.clone(),
            e.reason.clone(),
            e.object.clone(),
            e.message.clone(),
            e.count.to_string(),
        ]
    }));
    let memory = Table::plain(s.soak_memory.iter().map(|m| {
        vec![
            m.minute.format("%H:%M").to_string(),
            format::bytes(m.mean_bytes_per_pod),
            m.pods.to_string(),
        ]
    }));
    let restarts = Table::plain(
        s.restarts
            .iter()
            .map(|(p, n, r)| vec![p.clone(), n.to_string(), r.clone()]),
    );
    ScalingCtx {
        headline: Md::text(scaling_words::headline(s)),
        bounds: Md::text(format!(
            "HPA: {} replicas, CPU target {}.",
            bounds(s),
            s.cpu_target_pct
                .map_or("not recorded".to_string(), |t| format!("{t:.0} %"))
        )),
        chains,
        chain_notes: chain_notes.markdown(),
        cpu,
        events,
        memory,
        restarts,
        flags: s
            .flags
            .iter()
            .map(|f| Md::text(scaling_words::flag(f)))
            .collect(),
    }
}
