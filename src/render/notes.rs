//! Table cells for figures: the value in its unit, or `n/a [k]`, with every reason and caveat
//! numbered once under the table, so an unavailable figure always says which input was missing.

use serde::Serialize;

use super::format;
use crate::analyze::figure::Figure;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Notes {
    pub items: Vec<String>,
}

impl Notes {
    fn index_of(&mut self, text: &str) -> usize {
        match self.items.iter().position(|t| t == text) {
            Some(i) => i + 1,
            None => {
                self.items.push(text.to_string());
                self.items.len()
            }
        }
    }

    /// `3.52 s`, `0.355 s ⚠[2]`, or `n/a [1]`.
    pub fn cell(&mut self, figure: &Figure) -> String {
        match figure.value {
            Some(v) => {
                let text = format::with_unit(v, figure.unit);
                match &figure.flag {
                    Some(flag) => format!("{text} ⚠[{}]", self.index_of(flag)),
                    None => text,
                }
            }
            None => {
                let why = figure.unavailable.as_deref().unwrap_or("not available");
                format!("n/a [{}]", self.index_of(&format!("n/a: {why}")))
            }
        }
    }

    /// A signed percentage change (`+572.6 %`), or `n/a [k]`.
    pub fn change_cell(&mut self, figure: &Figure) -> String {
        match figure.value {
            Some(v) => format::change(v),
            None => self.cell(figure),
        }
    }

    /// An unavailable cell with a given reason.
    pub fn missing(&mut self, why: &str) -> String {
        format!("n/a [{}]", self.index_of(&format!("n/a: {why}")))
    }

    /// The numbered list printed under a table (Markdown).
    pub fn markdown(&self) -> String {
        self.items
            .iter()
            .enumerate()
            .map(|(i, t)| format!("[{}] {t}  \n", i + 1))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_numbered_once_per_table() {
        let mut n = Notes::default();
        assert_eq!(
            n.cell(&Figure::unavailable("s", "not recorded by the test script")),
            "n/a [1]"
        );
        assert_eq!(n.cell(&Figure::known(3.521, "s", "f")), "3.52 s");
        assert_eq!(
            n.cell(&Figure::known(0.355, "s", "f").flag("below p95")),
            "0.355 s ⚠[2]"
        );
        assert_eq!(
            n.cell(&Figure::unavailable("s", "not recorded by the test script")),
            "n/a [1]"
        );
        assert_eq!(
            n.markdown(),
            "[1] n/a: not recorded by the test script  \n[2] below p95  \n"
        );
    }
}
