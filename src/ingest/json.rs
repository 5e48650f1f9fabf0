//! Reading one results file: Python's non-standard number tokens, syntax errors with line and
//! column, shape errors with the JSON path, then the value checks of [`super::results`].

use std::path::Path;

use super::Parsed;
use super::problem::Problem;
use super::results::{AdvancedFile, BasicScenario};

/// Python's `json.dump` writes `NaN`, `Infinity` and `-Infinity` for non-finite floats; JSON has
/// no such tokens. They are turned into `null` outside strings, and counted.
pub fn replace_python_non_finite(text: &str) -> (String, usize) {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut replaced = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    let mut copied_to = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        let token = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|t| bytes[i..].starts_with(t.as_bytes()));
        if let Some(token) = token {
            out.push_str(&text[copied_to..i]);
            out.push_str("null");
            i += token.len();
            copied_to = i;
            replaced += 1;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[copied_to..]);
    (out, replaced)
}

/// Why a JSON file that is no results file is left alone, with what a results file looks like.
const NOT_RESULTS: &str = "not a results file of the test scripts (benchmark_results.json is a list of scenario objects with `scenario`, `total_requests`, ...; advanced_test_results_*.json an object with a `spike`, `stress` or `soak` key); ignored";

/// Reads one `.json` file of the session. `Ok(None)` when it is JSON but not a results file of
/// the scripts (reported as a note); `Err` with the file and place when it cannot be used.
pub(super) fn read_results_file(
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Result<Option<Parsed>, Box<Problem>> {
    let bytes = std::fs::read(path)
        .map_err(|e| Box::new(Problem::skipped(path, "", format!("cannot read: {e}"))))?;
    parse_results_bytes(path, bytes, problems)
}

/// Parses the bytes of a results file named `path` (see [`read_results_file`]).
pub(super) fn parse_results_bytes(
    path: &Path,
    bytes: Vec<u8>,
    problems: &mut Vec<Problem>,
) -> Result<Option<Parsed>, Box<Problem>> {
    let text = String::from_utf8(bytes).map_err(|e| {
        Box::new(Problem::skipped(
            path,
            format!("byte {}", e.utf8_error().valid_up_to()),
            "not UTF-8 text",
        ))
    })?;
    // Most files have no such token: skip the copying scan (two fast substring searches).
    let has = |token: &str| memchr::memmem::find(text.as_bytes(), token.as_bytes()).is_some();
    let (text, replaced) = if has("NaN") || has("Infinity") {
        replace_python_non_finite(&text)
    } else {
        (text, 0)
    };
    if replaced > 0 {
        problems.push(Problem::note(
            path,
            "",
            format!("{replaced} NaN/Infinity value(s) written by Python read as missing"),
        ));
    }
    let shape = text.trim_start().as_bytes().first().copied();
    let parsed = match shape {
        Some(b'[') => {
            let mut scenarios = parse::<Vec<BasicScenario>>(path, &text)?;
            // Any list of objects parses (every field is optional): one whose objects hold none
            // of the scripts' keys is some other file.
            if !scenarios.is_empty() && scenarios.iter().all(|s| *s == BasicScenario::default()) {
                problems.push(Problem::note(path, "", NOT_RESULTS));
                return Ok(None);
            }
            scenarios.retain_mut(|s| {
                let place = format!("$[{}]", s.scenario.as_deref().unwrap_or("?"));
                s.validate(path, &place, problems)
            });
            Parsed::Basic(scenarios)
        }
        Some(b'{') => {
            let mut file = parse::<AdvancedFile>(path, &text)?;
            if file.spike.is_none() && file.stress.is_none() && file.soak.is_none() {
                problems.push(Problem::note(path, "", NOT_RESULTS));
                return Ok(None);
            }
            validate_advanced(&mut file, path, problems);
            Parsed::Advanced(Box::new(file))
        }
        _ => {
            return Err(Box::new(Problem::skipped(
                path,
                "line 1, column 1",
                if text.trim().is_empty() {
                    "empty file".to_string()
                } else {
                    "not JSON: expected `[` or `{`".to_string()
                },
            )));
        }
    };
    Ok(Some(parsed))
}

/// Parses on the fast path; only a file that fails is read again with path tracking, which
/// names the JSON path of the problem but costs time on every value.
fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, Box<Problem>> {
    serde_json::from_str::<T>(text).map_err(|_| Box::new(explain::<T>(path, text)))
}

/// The problem of a file that failed to parse, with its line, column and JSON path.
fn explain<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Problem {
    let mut de = serde_json::Deserializer::from_str(text);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => e,
        Ok(_) => {
            let (place, what) = match de.end() {
                Err(e) => (
                    format!("line {}, column {}", e.line(), e.column()),
                    "text after the JSON value",
                ),
                Ok(()) => (String::new(), "cannot be read"),
            };
            return Problem::skipped(path, place, what);
        }
    };
    let inner = error.inner();
    let place = format!("line {}, column {}", inner.line(), inner.column());
    let what = if inner.is_eof() {
        "truncated JSON (the file ends early; was it still being written?)".to_string()
    } else if inner.is_syntax() {
        format!("not valid JSON: {inner}")
    } else {
        let json_path = match error.path().to_string() {
            p if p == "." => "$".to_string(),
            p if p.starts_with('[') => format!("${p}"),
            p => format!("$.{p}"),
        };
        format!("at {json_path}: {}", plain_shape_error(inner))
    };
    Problem::skipped(path, place, what)
}

/// serde's "invalid type: string \"many\", expected u64 at line 1 column 47" in the user's terms:
/// `the text "many" where a whole number (0 or more) was expected`.
fn plain_shape_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    // serde_json appends the place, which the problem already names.
    let text = text
        .rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i]);
    let Some((found, expected)) = text
        .strip_prefix("invalid type: ")
        .or_else(|| text.strip_prefix("invalid value: "))
        .and_then(|rest| rest.split_once(", expected "))
    else {
        return text.to_string();
    };
    format!(
        "{} where {} was expected",
        found_in_words(found),
        expected_in_words(expected)
    )
}

fn found_in_words(found: &str) -> String {
    let literal = |prefix: &str| found.strip_prefix(prefix).map(|v| v.trim_matches('`'));
    if let Some(v) = literal("integer ").or_else(|| literal("floating point ")) {
        format!("the number {v}")
    } else if let Some(v) = found.strip_prefix("string ") {
        format!("the text {v}")
    } else if let Some(v) = literal("boolean ") {
        format!("the value {v}")
    } else {
        match found {
            "map" => "an object".into(),
            "sequence" => "a list".into(),
            "null" | "unit value" => "null".into(),
            other => other.into(),
        }
    }
}

fn expected_in_words(expected: &str) -> &'static str {
    match expected {
        "u64" | "u32" | "usize" => "a whole number (0 or more)",
        "i64" | "i32" => "a whole number",
        "f64" | "f32" => "a number",
        "a boolean" | "bool" => "true or false",
        "a string" => "text in quotes",
        "struct BasicScenario" => {
            "a scenario object of benchmark_results.json ({\"scenario\": ..., \"total_requests\": ..., ...})"
        }
        "struct Analysis" => {
            "an analysis object ({\"total\": ..., \"successful\": ..., \"avg_latency\": ..., ...})"
        }
        "struct AdvancedFile" => "an object with a spike, stress or soak key",
        "struct SpikeResult" | "struct StressResult" | "struct SoakResult" => {
            "an object of the test's results"
        }
        "a sequence" | "a list of per-request records" => "a list",
        other if other.starts_with("struct ") || other.starts_with("a ") => {
            "an object of another shape"
        }
        _ => "another kind of value",
    }
}

fn validate_advanced(file: &mut AdvancedFile, path: &Path, problems: &mut Vec<Problem>) {
    if let Some(spike) = file.spike.as_mut() {
        for (key, analysis) in [
            ("baseline_results", &mut spike.baseline_results),
            ("spike_results", &mut spike.spike_results),
            ("recovery_results", &mut spike.recovery_results),
        ] {
            if let Some(a) = analysis.as_mut() {
                a.validate(path, &format!("$.spike.{key}"), problems);
            }
        }
        note_records(
            &mut spike.all_results,
            path,
            "$.spike.all_results",
            problems,
        );
    }
    if let Some(stress) = file.stress.as_mut() {
        note_records(
            &mut stress.all_results,
            path,
            "$.stress.all_results",
            problems,
        );
    }
    if let Some(soak) = file.soak.as_mut() {
        if let Some(a) = soak.overall_analysis.as_mut() {
            a.validate(path, "$.soak.overall_analysis", problems);
        }
        for (i, chunk) in soak.per_minute_chunks.iter_mut().enumerate() {
            chunk.validate(path, &format!("$.soak.per_minute_chunks[{i}]"), problems);
        }
        note_records(&mut soak.all_results, path, "$.soak.all_results", problems);
    }
}

fn note_records(
    records: &mut super::records::RequestColumns,
    path: &Path,
    place: &str,
    problems: &mut Vec<Problem>,
) {
    let left_out = records.leave_out_implausible_times();
    if let Some((row, _)) = left_out.first() {
        problems.push(Problem::value_ignored(
            path,
            format!("{place}[{row}].timestamp"),
            implausible_times_message(&left_out),
        ));
    }
    for (count, what) in [
        (
            records.dropped,
            "item(s) without a boolean `success` dropped",
        ),
        (
            records.bad_timestamps,
            "record(s) with an unreadable timestamp kept without a time",
        ),
        (
            records.bad_latencies,
            "record(s) with a negative, non-finite or above-a-day latency kept without a latency",
        ),
    ] {
        if count > 0 {
            problems.push(Problem::value_ignored(
                path,
                place,
                format!("{count} {what}"),
            ));
        }
    }
}

/// `2 record(s) with an end time more than 7 days from the median ...: [5] 0001-01-01 00:00:00, ...`
pub(super) fn implausible_times_message(left_out: &[(usize, i64)]) -> String {
    let shown: Vec<String> = left_out
        .iter()
        .take(3)
        .map(|(row, t)| {
            let when = chrono::DateTime::from_timestamp_micros(*t)
                .map_or_else(|| format!("{t} µs"), |d| d.naive_utc().to_string());
            format!("[{row}] {when}")
        })
        .collect();
    let more = if left_out.len() > 3 { ", ..." } else { "" };
    format!(
        "{} record(s) with an end time more than {} days from the median end time of the list kept without a time: {}{more}",
        left_out.len(),
        super::records::MAX_DAYS_FROM_MEDIAN,
        shown.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_non_finite_tokens_become_null_outside_strings_only() {
        let (out, n) = replace_python_non_finite(
            r#"{"a": NaN, "b": "NaN \" Infinity", "c": [-Infinity, Infinity]}"#,
        );
        assert_eq!(
            out,
            r#"{"a": null, "b": "NaN \" Infinity", "c": [null, null]}"#
        );
        assert_eq!(n, 3);
    }

    #[test]
    fn multibyte_text_outside_strings_does_not_panic() {
        // Found by the property test: slicing text at a byte inside a UTF-8 character.
        let (out, n) = replace_python_non_finite("é NaN ü");
        assert_eq!((out.as_str(), n), ("é null ü", 1));
    }

    fn problem_for(text: &str) -> Problem {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("advanced_test_results_x.json");
        std::fs::write(&path, text).unwrap();
        match read_results_file(&path, &mut Vec::new()) {
            Err(p) => *p,
            Ok(_) => panic!("expected a problem for {text:?}"),
        }
    }

    #[test]
    fn syntax_truncation_and_shape_errors_name_the_place() {
        let p = problem_for("{\n  \"spike\": {\n    \"baseline_results\": {\"total\": 5,,}\n");
        // Column 37 is the second comma: 4 spaces, "baseline_results" (18), `: {` (3), "total" (7), `: 5,` (4).
        assert_eq!(p.place, "line 3, column 37");
        assert!(p.message.starts_with("not valid JSON"), "{}", p.message);

        let p = problem_for("{\"spike\": {\"baseline_results\": {\"total\": 5");
        assert!(p.message.starts_with("truncated JSON"), "{}", p.message);

        let p = problem_for("{\"spike\": {\"baseline_results\": {\"total\": \"many\"}}}");
        assert!(
            p.message.contains("$.spike.baseline_results.total")
                || p.message.contains("spike.baseline_results.total"),
            "{}",
            p.message
        );

        let p = problem_for("");
        assert_eq!(p.message, "empty file");
    }

    #[test]
    fn shape_errors_are_told_in_the_users_terms_not_serdes() {
        let p = problem_for("{\"spike\": {\"baseline_results\": {\"total\": \"many\"}}}");
        assert_eq!(p.place, "line 1, column 47");
        assert_eq!(
            p.message,
            "at $.spike.baseline_results.total: the text \"many\" where a whole number (0 or more) was expected"
        );
        let p = problem_for("[1, 2]");
        assert_eq!(
            p.message,
            "at $[0]: the number 1 where a scenario object of benchmark_results.json ({\"scenario\": ..., \"total_requests\": ..., ...}) was expected"
        );
        let p = problem_for("{\"soak\": {\"per_minute_chunks\": [true]}}");
        assert_eq!(
            p.message,
            "at $.soak.per_minute_chunks[0]: the value true where an analysis object ({\"total\": ..., \"successful\": ..., \"avg_latency\": ..., ...}) was expected"
        );
    }
}
