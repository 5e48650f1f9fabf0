//! Latency-over-time charts of each run: their file names and the phase or step boundaries
//! marked on them.

use crate::analyze::Timeline;
use crate::analyze::phases::ClockPhase;

/// One file name per run label, in order: `latency_over_time_<label>.png` with the label in
/// lower-case ASCII letters, digits and `_`; a label with none of those is numbered, and a name
/// already given gets `_2`, `_3`, ….
pub fn timeline_files<'a>(labels: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for (i, label) in labels.into_iter().enumerate() {
        let mut slug = String::new();
        for c in label.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('_') {
                slug.push('_');
            }
        }
        let slug = slug.trim_end_matches('_');
        let stem = if slug.is_empty() {
            format!("latency_over_time_{}", i + 1)
        } else {
            format!("latency_over_time_{slug}")
        };
        let mut file = format!("{stem}.png");
        let mut n = 2;
        while files.contains(&file) {
            file = format!("{stem}_{n}.png");
            n += 1;
        }
        files.push(file);
    }
    files
}

/// Where each phase (or stress step) of the timeline's run began, in seconds from its first
/// window, with the phase's name; only those inside the timeline's span.
pub fn phase_boundaries(t: &Timeline, phases: &[ClockPhase]) -> Vec<(f64, String)> {
    let (Some(first), Some(last)) = (t.windows.first(), t.windows.last()) else {
        return Vec::new();
    };
    let end = last.offset_s + t.window_s as f64;
    let mut marks: Vec<(f64, String)> = phases
        .iter()
        .filter(|p| p.test == t.label)
        .map(|p| {
            let x = (p.start - first.start).num_milliseconds() as f64 / 1000.0;
            (x, p.name.clone())
        })
        .filter(|(x, _)| (0.0..end).contains(x))
        .collect();
    marks.sort_by(|a, b| a.0.total_cmp(&b.0));
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_after_their_test() {
        assert_eq!(
            timeline_files(["Spike", "Stress", "Stress 2 (14:40:11)", "<|`>", "Spike"]),
            [
                "latency_over_time_spike.png",
                "latency_over_time_stress.png",
                "latency_over_time_stress_2_14_40_11.png",
                "latency_over_time_4.png",
                "latency_over_time_spike_2.png",
            ]
        );
    }

    #[test]
    fn step_boundaries_are_the_steps_starts_inside_the_span() {
        use crate::analyze::windows::WindowRow;
        let t0: chrono::DateTime<chrono::Utc> = "2026-11-20T14:00:00Z".parse().unwrap();
        let secs = |s: i64| t0 + chrono::TimeDelta::seconds(s);
        let window = |offset: i64| WindowRow {
            start: secs(offset),
            offset_s: offset as f64,
            requests: 1,
            successful: 1,
            completed_per_s: 0.1,
            avg: None,
            p50: None,
            p95: None,
            p99: None,
        };
        let timeline = Timeline {
            label: "Stress".into(),
            source: String::new(),
            window_s: 10,
            windows: (0..18).map(|i| window(i * 10)).collect(),
        };
        let phase = |test: &str, name: &str, start: i64| ClockPhase {
            test: test.into(),
            name: name.into(),
            start: secs(start),
            end: secs(start + 60),
            target_rps: None,
            source: String::new(),
        };
        let phases = [
            phase("Spike", "Spike", 30),
            phase("Stress", "1 req/s", 0),
            phase("Stress", "2 req/s", 60),
            phase("Stress", "3 req/s", 120),
            // Past the last window (170-180 s): not on this chart.
            phase("Stress", "4 req/s", 180),
        ];
        assert_eq!(
            phase_boundaries(&timeline, &phases),
            [
                (0.0, "1 req/s".to_string()),
                (60.0, "2 req/s".to_string()),
                (120.0, "3 req/s".to_string())
            ]
        );
    }
}
