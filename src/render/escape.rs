//! Markdown that cannot carry markup from an input: every string taken from a session enters the
//! template context as [`Md`], built by [`Md::text`] (specials escaped) or [`Md::code`] (a code
//! span it cannot leave). There is no way to turn an arbitrary `String` into `Md` unescaped, so
//! forgetting to escape does not compile.

use serde::Serialize;

/// Markdown in which nothing came from an input but plain text and code spans: an input adds no
/// line break, no `|` that splits a table cell, and no construct (link, image, HTML, emphasis,
/// block marker), so each piece is safe in a paragraph, list item, heading, quote or table cell.
/// Line breaks and structure come only from [`Md::markup`] literals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Md(String);

impl Md {
    /// Plain text shown as itself.
    pub fn text(raw: impl AsRef<str>) -> Self {
        let mut md = Self::default();
        md.push_text(raw.as_ref());
        md
    }

    /// Text shown as code. Backticks inside get a longer fence; a `|` closes the span and is
    /// written escaped between two spans, since GFM splits table cells before it sees code spans
    /// (and `\|` inside a span outside a table would show its backslash).
    pub fn code(raw: impl AsRef<str>) -> Self {
        let flat = one_line(raw.as_ref());
        let flat = flat.trim();
        let mut md = Self::default();
        if flat.is_empty() {
            return md;
        }
        for (i, part) in flat.split('|').enumerate() {
            if i > 0 {
                md.0.push_str("\\|");
            }
            if !part.is_empty() {
                push_code_span(&mut md.0, part);
            }
        }
        md
    }

    /// Markdown written in this program, never input.
    pub fn markup(literal: &'static str) -> Self {
        Self(literal.to_string())
    }

    pub fn push_text(&mut self, raw: &str) {
        let flat = one_line(raw);
        let flat = flat.trim();
        let chars: Vec<char> = flat.chars().collect();
        let marker = if self.0.is_empty() {
            block_marker(&chars)
        } else {
            None
        };
        for (i, &c) in chars.iter().enumerate() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            if needs_escape(c, prev, next) || marker == Some(i) {
                self.0.push('\\');
            }
            self.0.push(c);
        }
    }

    pub fn push_markup(&mut self, literal: &'static str) {
        self.0.push_str(literal);
    }

    pub fn push(&mut self, other: &Md) {
        self.0.push_str(&other.0);
    }

    /// A count, e.g. a footnote number.
    pub fn push_count(&mut self, n: usize) {
        self.0.push_str(&n.to_string());
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for Md {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every line break (CR, LF, VT, FF, NEL, U+2028, U+2029) and other control character → a space.
pub fn one_line(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

fn needs_escape(c: char, prev: Option<char>, next: Option<char>) -> bool {
    match c {
        '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '{' | '}' => true,
        // `_` between two letters or digits can neither open nor close emphasis (CommonMark's
        // flanking rules); keeping it bare leaves file names readable in report.md.
        '_' => {
            !(prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric))
        }
        // Only `&name;` / `&#n;` could be read as an entity.
        '&' => next.is_some_and(|n| n == '#' || n.is_ascii_alphanumeric()),
        _ => false,
    }
}

/// Where a list item (`-`, `+`, `1.`, `1)`), thematic break (`---`) or setext (`=`) marker at
/// the start needs its backslash (the text may be placed first in a list item or block quote):
/// before the sign, or before the `.`/`)` of a number (a backslash before a digit is no escape).
fn block_marker(chars: &[char]) -> Option<usize> {
    let ends_marker = |i: usize, same: Option<char>| {
        chars
            .get(i)
            .is_none_or(|n| n.is_whitespace() || Some(*n) == same)
    };
    match chars.first() {
        Some(&c @ ('-' | '+' | '=')) => ends_marker(1, Some(c)).then_some(0),
        Some(c) if c.is_ascii_digit() => {
            let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
            (matches!(chars.get(digits), Some('.' | ')')) && ends_marker(digits + 1, None))
                .then_some(digits)
        }
        _ => None,
    }
}

fn push_code_span(out: &mut String, content: &str) {
    let longest_run = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    // CommonMark strips one space on each side when both are there; pad so a leading or trailing
    // backtick or space survives.
    let pad = content.starts_with(['`', ' ']) || content.ends_with(['`', ' ']);
    out.push_str(&fence);
    if pad {
        out.push(' ');
    }
    out.push_str(content);
    if pad {
        out.push(' ');
    }
    out.push_str(&fence);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markdown_specials() {
        assert_eq!(
            Md::text("<img src=x onerror=alert(1)>").as_str(),
            "\\<img src=x onerror=alert(1)\\>"
        );
        assert_eq!(
            Md::text("[x](javascript:alert(1))").as_str(),
            "\\[x\\](javascript:alert(1))"
        );
        assert_eq!(
            Md::text("![x](/etc/a.png)").as_str(),
            "!\\[x\\](/etc/a.png)"
        );
        assert_eq!(Md::text("a|b").as_str(), "a\\|b");
        assert_eq!(Md::text("`code`").as_str(), "\\`code\\`");
        assert_eq!(
            Md::text("*bold* ~x~ \\").as_str(),
            "\\*bold\\* \\~x\\~ \\\\"
        );
        assert_eq!(Md::text("# title {#id}").as_str(), "\\# title \\{\\#id\\}");
        assert_eq!(Md::text("&lt; & b").as_str(), "\\&lt; & b");
    }

    #[test]
    fn underscores_inside_words_stay_bare() {
        assert_eq!(
            Md::text("advanced_test_results_1.json").as_str(),
            "advanced_test_results_1.json"
        );
        assert_eq!(Md::text("_x_ a_ _b").as_str(), "\\_x\\_ a\\_ \\_b");
    }

    #[test]
    fn every_line_break_becomes_a_space() {
        assert_eq!(
            Md::text("a\nb\r\nc\u{2028}d\u{2029}e\u{85}f\u{0b}g\u{0c}h").as_str(),
            "a b  c d e f g h"
        );
        assert_eq!(Md::text("  \n indented\t").as_str(), "indented");
    }

    #[test]
    fn a_leading_block_marker_is_escaped() {
        assert_eq!(Md::text("- item").as_str(), "\\- item");
        assert_eq!(Md::text("---").as_str(), "\\---");
        assert_eq!(Md::text("+ x").as_str(), "\\+ x");
        assert_eq!(Md::text("=").as_str(), "\\=");
        assert_eq!(Md::text("12. x").as_str(), "12\\. x");
        assert_eq!(Md::text("3) x").as_str(), "3\\) x");
        // Not markers: left as they are.
        assert_eq!(Md::text("-1.0 %").as_str(), "-1.0 %");
        assert_eq!(Md::text("2.5 s").as_str(), "2.5 s");
        assert_eq!(Md::text("a - b").as_str(), "a - b");
        // Only at the very start of the Markdown value.
        let mut md = Md::markup("x ");
        md.push_text("- y");
        assert_eq!(md.as_str(), "x - y");
    }

    #[test]
    fn code_spans_cannot_be_left() {
        assert_eq!(Md::code("a.log").as_str(), "`a.log`");
        assert_eq!(Md::code("a`b").as_str(), "``a`b``");
        assert_eq!(Md::code("``x").as_str(), "``` ``x ```");
        assert_eq!(Md::code("x`").as_str(), "`` x` ``");
        assert_eq!(Md::code("a|b").as_str(), "`a`\\|`b`");
        assert_eq!(Md::code("|").as_str(), "\\|");
        assert_eq!(Md::code("a\nb").as_str(), "`a b`");
        assert_eq!(Md::code("").as_str(), "");
        assert_eq!(Md::code("<script>").as_str(), "`<script>`");
    }
}
