//! Per-request records (`all_results`), read straight into columns: a soak file can hold millions
//! of them, so no per-record struct is kept and timestamps are parsed once, while reading.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::results::MAX_PLAUSIBLE_LATENCY_S;

/// How far (in days) a request's end time may lie from the median end time of its list: the
/// guide's longest test runs hours and a whole plan a day, so a week away is a broken clock or
/// a typo, never a measurement.
pub const MAX_DAYS_FROM_MEDIAN: i64 = 7;

/// `all_results` as columns. Timestamps are the scripts' zone-less local end times, kept as
/// microseconds since 1970-01-01 of that local clock; the session's UTC offset is applied later.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestColumns {
    pub end_local_us: Vec<Option<i64>>,
    pub latency_s: Vec<Option<f64>>,
    pub success: Vec<bool>,
    pub tokens: Vec<Option<u64>>,
    /// Error text of failed requests (None for successes).
    pub error: Vec<Option<String>>,
    /// Records whose timestamp could not be read (kept, without a time).
    pub bad_timestamps: usize,
    /// Records whose latency was negative, not finite or above a day (kept, without a latency).
    pub bad_latencies: usize,
    /// Items that were not objects with a boolean `success` (dropped).
    pub dropped: usize,
}

impl RequestColumns {
    pub fn len(&self) -> usize {
        self.success.len()
    }

    pub fn is_empty(&self) -> bool {
        self.success.is_empty()
    }

    /// Rows `start..end` as a new set of columns (phases are consecutive blocks of records).
    pub fn slice(&self, start: usize, end: usize) -> RequestColumns {
        let end = end.min(self.len());
        let start = start.min(end);
        RequestColumns {
            end_local_us: self.end_local_us[start..end].to_vec(),
            latency_s: self.latency_s[start..end].to_vec(),
            success: self.success[start..end].to_vec(),
            tokens: self.tokens[start..end].to_vec(),
            error: self.error[start..end].to_vec(),
            ..Default::default()
        }
    }

    /// Leaves out the end time (the record stays, without a time) of every row more than
    /// [`MAX_DAYS_FROM_MEDIAN`] days from the median end time of the list, before any windowing:
    /// a span of centuries would have polars reserve memory for every window in it. Returns the
    /// rows left out with their times.
    pub fn leave_out_implausible_times(&mut self) -> Vec<(usize, i64)> {
        let mut known: Vec<i64> = self.end_local_us.iter().flatten().copied().collect();
        if known.is_empty() {
            return Vec::new();
        }
        let middle = known.len() / 2;
        let median = *known.select_nth_unstable(middle).1;
        let limit = MAX_DAYS_FROM_MEDIAN.unsigned_abs() * 86_400 * 1_000_000;
        let mut left_out = Vec::new();
        for (row, time) in self.end_local_us.iter_mut().enumerate() {
            if let Some(t) = *time
                && t.abs_diff(median) > limit
            {
                left_out.push((row, t));
                *time = None;
            }
        }
        left_out
    }

    /// Adds `other`'s rows after these.
    pub fn append(&mut self, other: RequestColumns) {
        self.end_local_us.extend(other.end_local_us);
        self.latency_s.extend(other.latency_s);
        self.success.extend(other.success);
        self.tokens.extend(other.tokens);
        self.error.extend(other.error);
    }

    fn push(&mut self, row: Row<'_>) {
        let Some(success) = row.success else {
            self.dropped += 1;
            return;
        };
        let ts = row.timestamp.as_deref().and_then(parse_local_timestamp);
        if ts.is_none() {
            self.bad_timestamps += 1;
        }
        let latency = row
            .latency
            .filter(|l| l.is_finite() && (0.0..=MAX_PLAUSIBLE_LATENCY_S).contains(l));
        if row.latency.is_some() && latency.is_none() {
            self.bad_latencies += 1;
        }
        self.end_local_us.push(ts);
        self.latency_s.push(latency);
        self.success.push(success);
        self.tokens.push(row.tokens);
        self.error.push(if success {
            None
        } else {
            Some(row.error.unwrap_or_default())
        });
    }
}

/// Parses `2026-11-26T16:50:05.877537` or `2026-11-26T16:50:05` (Python drops a zero fraction);
/// a space instead of `T` is accepted too.
pub fn parse_local_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    fixed_format_micros(text).or_else(|| {
        let parsed = text
            .parse::<NaiveDateTime>()
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
            .ok()?;
        Some(parsed.and_utc().timestamp_micros())
    })
}

/// The scripts' own form, `YYYY-MM-DDTHH:MM:SS[.ffffff]`, read by position: a million of them
/// are parsed per soak file. Anything else falls back to chrono's general parser.
fn fixed_format_micros(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = chrono::NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    let micros = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=6).contains(&digits.len()) => {
            let value = num(20..b.len())?;
            value * 10u32.pow(6 - digits.len() as u32)
        }
        _ => return None,
    };
    Some(date.and_time(time).and_utc().timestamp_micros() + i64::from(micros))
}

/// One item as written; unknown fields are ignored, wrong types make the item a dropped one.
#[derive(Deserialize)]
struct Row<'a> {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    latency: Option<f64>,
    #[serde(default)]
    tokens: Option<u64>,
    #[serde(default, borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(default)]
    error: Option<String>,
}

/// An item of the list: a record object, or anything else (counted and dropped, never fatal).
/// Read without buffering: a million records must not be copied twice.
struct Item<'a>(Option<Row<'a>>);

impl<'de> Deserialize<'de> for Item<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a per-request record")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Row::deserialize(MapAccessDeserializer::new(map)).map(|row| Item(Some(row)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Item(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Item(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Item(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Item(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Item(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Item(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Item(None))
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
}

impl<'de> Deserialize<'de> for RequestColumns {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ColumnsVisitor;
        impl<'de> Visitor<'de> for ColumnsVisitor {
            type Value = RequestColumns;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of per-request records")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut columns = RequestColumns::default();
                while let Some(Item(row)) = seq.next_element::<Item<'de>>()? {
                    match row {
                        Some(row) => columns.push(row),
                        None => columns.dropped += 1,
                    }
                }
                Ok(columns)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(RequestColumns::default())
            }
        }
        deserializer.deserialize_any(ColumnsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_timestamp_forms_parse_to_the_same_clock() {
        let with = parse_local_timestamp("2026-11-26T16:50:05.500000").unwrap();
        let without = parse_local_timestamp("2026-11-26T16:50:05").unwrap();
        assert_eq!(with - without, 500_000);
        // Days from 1970-01-01 to 2026-11-26, computed with Python's datetime.date.
        let days = 20_783_i64;
        assert_eq!(
            without,
            (days * 86_400 + 16 * 3600 + 50 * 60 + 5) * 1_000_000
        );
    }

    #[test]
    fn the_fast_timestamp_reader_agrees_with_chrono() {
        for text in [
            "2026-11-26T16:50:05.877537",
            "2026-11-26T16:50:05",
            "2024-02-29T23:59:59.5",
            "1999-12-31T00:00:00.000001",
        ] {
            let chrono = text
                .parse::<NaiveDateTime>()
                .unwrap()
                .and_utc()
                .timestamp_micros();
            assert_eq!(fixed_format_micros(text), Some(chrono), "{text}");
        }
        for bad in [
            "2026-13-26T16:50:05",
            "2026-11-26T25:00:00",
            "2026-11-26T16:50:05.1234567",
            "2026-11-26 16:50:05",
            "x",
        ] {
            assert_eq!(fixed_format_micros(bad), None, "{bad}");
        }
        // The space form still parses through the fallback.
        assert!(parse_local_timestamp("2026-11-26 16:50:05").is_some());
    }

    #[test]
    fn end_times_a_week_from_the_median_are_left_out_and_the_rest_kept() {
        let day = 86_400_000_000_i64;
        let base = parse_local_timestamp("2026-11-26T16:50:05").unwrap();
        let year_1 = parse_local_timestamp("0001-01-01T00:00:00").unwrap();
        let year_9999 = parse_local_timestamp("9999-12-31T23:59:59").unwrap();
        let mut c = RequestColumns {
            end_local_us: vec![
                Some(base),
                Some(year_1),
                Some(base + 1_000_000),
                None,
                Some(base + 7 * day),
                Some(base + 7 * day + 1),
                Some(year_9999),
            ],
            ..Default::default()
        };
        // Known times sorted: year 1, base, base+1 s, base+7 d, base+7 d+1 µs, year 9999; the
        // median (index 3 of 6) is base+7 d. base is exactly 7 days from it (kept); years 1 and
        // 9999 are far out.
        assert_eq!(
            c.leave_out_implausible_times(),
            vec![(1, year_1), (6, year_9999)]
        );
        assert_eq!(
            c.end_local_us,
            vec![
                Some(base),
                None,
                Some(base + 1_000_000),
                None,
                Some(base + 7 * day),
                Some(base + 7 * day + 1),
                None
            ]
        );
    }

    #[test]
    fn records_become_columns_and_odd_items_are_counted() {
        let json = r#"[
            {"success": true, "latency": 0.5, "tokens": 10, "timestamp": "2026-11-26T16:50:05"},
            {"success": false, "latency": 60.1, "error": "timeout", "timestamp": "bad"},
            {"success": true, "latency": -3, "tokens": 5, "timestamp": "2026-11-26T16:50:06.25"},
            42,
            {"latency": 1.0}
        ]"#;
        let c: RequestColumns = serde_json::from_str(json).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.success, vec![true, false, true]);
        assert_eq!(c.latency_s, vec![Some(0.5), Some(60.1), None]);
        assert_eq!(c.tokens, vec![Some(10), None, Some(5)]);
        assert_eq!(c.error, vec![None, Some("timeout".to_string()), None]);
        assert_eq!(c.bad_timestamps, 1);
        assert_eq!(c.bad_latencies, 1);
        assert_eq!(c.dropped, 2);
        assert_eq!(
            c.end_local_us[2].unwrap() - c.end_local_us[0].unwrap(),
            1_250_000
        );
    }
}
