//! objectives.junit.xml: one test case per objective, for CI systems that read JUnit XML. A
//! failed objective is a `<failure>`, one the inputs cannot answer an `<error>` (never a pass
//! and never `<skipped>`, which CI systems count as green).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::format;
use super::objectives::{limit_text, objective_text};
use crate::analyze::objectives::{ObjectivesReport, Outcome};

pub fn junit_xml(report: &ObjectivesReport, session: &str) -> String {
    let mut suites: BTreeMap<String, Vec<&crate::analyze::objectives::ObjectiveResult>> =
        BTreeMap::new();
    for r in &report.results {
        suites
            .entry(r.run.clone().unwrap_or_else(|| r.test.clone()))
            .or_default()
            .push(r);
    }
    let count = |o| report.count(o);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        attr(&format!("report objectives: {session}")),
        report.results.len(),
        count(Outcome::Fail),
        count(Outcome::NotMeasured)
    );
    for (suite, cases) in &suites {
        let of = |o| cases.iter().filter(|c| c.outcome == o).count();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
            attr(suite),
            cases.len(),
            of(Outcome::Fail),
            of(Outcome::NotMeasured)
        );
        for c in cases {
            let measured = c
                .measured
                .value
                .map(|v| format::with_unit(v, c.measured.unit));
            let name = attr(&objective_text(c));
            let class = attr(&format!("objectives.{}", c.key));
            match (c.outcome, measured) {
                (Outcome::Pass, _) => {
                    let _ = writeln!(xml, "    <testcase classname=\"{class}\" name=\"{name}\"/>");
                }
                (Outcome::Fail, Some(m)) => {
                    let _ = writeln!(
                        xml,
                        "    <testcase classname=\"{class}\" name=\"{name}\">\n      <failure message=\"{}\"/>\n    </testcase>",
                        attr(&format!("measured {m}, objective {}", limit_text(c)))
                    );
                }
                (_, _) => {
                    let why = c.measured.unavailable.as_deref().unwrap_or("not measured");
                    let _ = writeln!(
                        xml,
                        "    <testcase classname=\"{class}\" name=\"{name}\">\n      <error message=\"{}\"/>\n    </testcase>",
                        attr(&format!("not measured: {why}"))
                    );
                }
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// An XML attribute value: the five specials escaped, characters XML 1.0 forbids dropped.
fn attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_cannot_break_out() {
        assert_eq!(
            attr("a\"<b>&'c\u{0}\n"),
            "a&quot;&lt;b&gt;&amp;&apos;c&#10;"
        );
    }
}
