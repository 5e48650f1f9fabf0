//! Human formatting of figures: `3.52 s`, `98.0 %`, `2.95 req/s`.

pub use crate::units::{plain, seconds, significant};

/// `1 pod`, `3 pods`.
pub fn pods(n: u32) -> String {
    if n == 1 {
        "1 pod".into()
    } else {
        format!("{n} pods")
    }
}

pub fn percent(v: f64) -> String {
    format!("{v:.1} %")
}

/// A value in its unit, for tables.
pub fn with_unit(v: f64, unit: &str) -> String {
    match unit {
        "s" => seconds(v),
        "%" => percent(v),
        "requests" => format!("{v:.0}"),
        "" => significant(v),
        other => format!("{} {other}", significant(v)),
    }
}

/// Bytes in binary units: `6.20 GiB`, `512 MiB`.
pub fn bytes(v: f64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    if v >= GIB {
        format!("{} GiB", significant(v / GIB))
    } else {
        format!("{} MiB", significant(v / (1024.0 * 1024.0)))
    }
}

/// A signed change in percent: `+12.5 %`.
pub fn change(v: f64) -> String {
    format!("{v:+.1} %")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_formats() {
        assert_eq!(seconds(3.5213), "3.52 s");
        assert_eq!(seconds(0.39379), "0.394 s");
        assert_eq!(seconds(12.44), "12.4 s");
        assert_eq!(percent(98.0), "98.0 %");
        assert_eq!(with_unit(2.9526, "req/s"), "2.95 req/s");
        assert_eq!(with_unit(600.0, "requests"), "600");
        assert_eq!(change(572.6), "+572.6 %");
        assert_eq!(plain(100.0), "100");
        assert_eq!(plain(50.0), "50");
        assert_eq!(plain(2.5), "2.5");
        assert_eq!(plain(0.0), "0");
        assert_eq!(plain(1500.0), "1500");
        assert_eq!(bytes(6.2 * 1024.0 * 1024.0 * 1024.0), "6.20 GiB");
        assert_eq!(bytes(512.0 * 1024.0 * 1024.0), "512 MiB");
    }
}
