//! Kubernetes quantities (`90m`, `2`, `1.5`, `7338891n`, `512Mi`, `14520Ki`, `1G`, `1e3`) and Go
//! durations (`30s`, `1m0s`, `15.02s`), as metrics.k8s.io and HPA statuses write them.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
#[error("{text:?} is not a Kubernetes quantity ({why})")]
pub struct QuantityError {
    pub text: String,
    pub why: &'static str,
}

/// The value of a quantity in base units (cores for CPU, bytes for memory).
pub fn parse_quantity(text: &str) -> Result<f64, QuantityError> {
    let fail = |why| QuantityError {
        text: text.to_string(),
        why,
    };
    let trimmed = text.trim();
    let split = number_end(trimmed);
    let (number, suffix) = trimmed.split_at(split);
    if number.is_empty() || number == "+" || number == "-" {
        return Err(fail("no number"));
    }
    let value: f64 = number.parse().map_err(|_| fail("bad number"))?;
    let scale = suffix_scale(suffix).ok_or_else(|| fail("unknown suffix"))?;
    let result = value * scale;
    if result.is_finite() {
        Ok(result)
    } else {
        Err(fail("out of range"))
    }
}

/// CPU in millicores: `90m` -> 90, `2` -> 2000, `7338891n` -> 7.338891.
pub fn cpu_millicores(text: &str) -> Result<f64, QuantityError> {
    parse_quantity(text).map(|cores| cores * 1000.0)
}

/// Memory in bytes: `512Mi` -> 536870912, `1G` -> 1e9.
pub fn memory_bytes(text: &str) -> Result<f64, QuantityError> {
    parse_quantity(text)
}

/// Length of the leading `[+-]digits[.digits][(e|E)[+-]digits]`; an `E` not followed by an
/// exponent is the exa suffix, not part of the number.
fn number_end(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
        i += 1;
    }
    if i < bytes.len() && matches!(bytes[i], b'e' | b'E') {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let digits_start = j;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        if j > digits_start {
            return j;
        }
    }
    i
}

fn suffix_scale(suffix: &str) -> Option<f64> {
    const KI: f64 = 1024.0;
    Some(match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => KI,
        "Mi" => KI * KI,
        "Gi" => KI * KI * KI,
        "Ti" => KI.powi(4),
        "Pi" => KI.powi(5),
        "Ei" => KI.powi(6),
        _ => return None,
    })
}

/// A Go `time.Duration` string in seconds: `30s`, `1m0s`, `15.02s`, `1h2m3.5s`, `500ms`.
pub fn go_duration_seconds(text: &str) -> Option<f64> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    if rest == "0" {
        return Some(0.0);
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn cpu_forms_in_millicores() {
        assert!(close(cpu_millicores("90m").unwrap(), 90.0));
        assert!(close(cpu_millicores("2").unwrap(), 2000.0));
        assert!(close(cpu_millicores("1.5").unwrap(), 1500.0));
        // 7338891 nanocores = 7.338891 millicores
        assert!(close(cpu_millicores("7338891n").unwrap(), 7.338891));
        assert!(close(cpu_millicores("250000u").unwrap(), 250.0));
        assert!(close(cpu_millicores("1e3").unwrap(), 1_000_000.0));
        assert!(close(cpu_millicores("0").unwrap(), 0.0));
    }

    #[test]
    fn memory_forms_in_bytes() {
        assert_eq!(memory_bytes("512Mi").unwrap(), 536_870_912.0); // 512 * 1024 * 1024
        assert_eq!(memory_bytes("14520Ki").unwrap(), 14_868_480.0); // 14520 * 1024
        assert_eq!(memory_bytes("1G").unwrap(), 1_000_000_000.0);
        assert_eq!(memory_bytes("1Gi").unwrap(), 1_073_741_824.0);
        assert_eq!(memory_bytes("123456789").unwrap(), 123_456_789.0);
        assert_eq!(memory_bytes("1e3").unwrap(), 1000.0);
        assert_eq!(memory_bytes("2E").unwrap(), 2e18); // exa, not an exponent
        assert_eq!(memory_bytes("1E3").unwrap(), 1000.0);
        assert_eq!(memory_bytes("128k").unwrap(), 128_000.0);
    }

    #[test]
    fn malformed_quantities_are_errors() {
        for bad in [
            "", "m", "Mi", "12x", "1.2.3", "--1", "1e", "1Kii", "abc", "1 m",
        ] {
            assert!(parse_quantity(bad).is_err(), "{bad:?} should be refused");
        }
        let err = parse_quantity("12x").unwrap_err().to_string();
        assert!(err.contains("\"12x\""), "{err}");
    }

    #[test]
    fn go_durations_in_seconds() {
        assert_eq!(go_duration_seconds("30s"), Some(30.0));
        assert_eq!(go_duration_seconds("1m0s"), Some(60.0));
        assert!(close(go_duration_seconds("15.02s").unwrap(), 15.02));
        assert!(close(go_duration_seconds("1h2m3.5s").unwrap(), 3723.5));
        assert!(close(go_duration_seconds("500ms").unwrap(), 0.5));
        assert_eq!(go_duration_seconds("0"), Some(0.0));
        assert_eq!(go_duration_seconds("10"), None);
        assert_eq!(go_duration_seconds("5x"), None);
        assert_eq!(go_duration_seconds(""), None);
    }

    proptest! {
        #[test]
        fn quantity_parsing_never_panics(text in ".{0,24}") {
            let _ = parse_quantity(&text);
            let _ = go_duration_seconds(&text);
        }

        #[test]
        fn numeric_looking_strings_never_panic(text in "[-+]?[0-9.]{0,6}([eE][-+]?[0-9]{0,3})?(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|µs|ms|s)?") {
            let _ = parse_quantity(&text);
            let _ = go_duration_seconds(&text);
        }
    }
}
