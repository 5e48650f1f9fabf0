//! Table cells for figures: the value in its unit, or `n/a [k]`, with every reason and caveat
//! numbered once under the table, so an unavailable figure always says which input was missing.

use serde::Serialize;

use super::escape::Md;
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
    pub fn cell(&mut self, figure: &Figure) -> Md {
        match figure.value {
            Some(v) => {
                let mut text = Md::text(format::with_unit(v, figure.unit));
                if let Some(flag) = &figure.flag {
                    text.push_markup(" ⚠");
                    self.push_mark(&mut text, flag);
                }
                text
            }
            None => self.missing(figure.unavailable.as_deref().unwrap_or("not available")),
        }
    }

    /// A signed percentage change (`+572.6 %`), or `n/a [k]`.
    pub fn change_cell(&mut self, figure: &Figure) -> Md {
        match figure.value {
            Some(v) => Md::text(format::change(v)),
            None => self.cell(figure),
        }
    }

    /// An unavailable cell with a given reason.
    pub fn missing(&mut self, why: &str) -> Md {
        let mut text = Md::markup("n/a ");
        self.push_mark(&mut text, &format!("n/a: {why}"));
        text
    }

    /// `[k]`, the number of `note` in this table's list.
    fn push_mark(&mut self, text: &mut Md, note: &str) {
        text.push_markup("[");
        text.push_count(self.index_of(note));
        text.push_markup("]");
    }

    /// The numbered list printed under a table (Markdown).
    pub fn markdown(&self) -> Md {
        let mut list = Md::default();
        for (i, t) in self.items.iter().enumerate() {
            list.push_markup("[");
            list.push_count(i + 1);
            list.push_markup("] ");
            list.push_text(t);
            list.push_markup("  \n");
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_numbered_once_per_table() {
        let mut n = Notes::default();
        let mut cell = |f: &Figure| n.cell(f).as_str().to_string();
        assert_eq!(
            cell(&Figure::unavailable("s", "not recorded by the test script")),
            "n/a [1]"
        );
        assert_eq!(cell(&Figure::known(3.521, "s", "f")), "3.52 s");
        assert_eq!(
            cell(&Figure::known(0.355, "s", "f").flag("below p95")),
            "0.355 s ⚠[2]"
        );
        assert_eq!(
            cell(&Figure::unavailable("s", "not recorded by the test script")),
            "n/a [1]"
        );
        assert_eq!(
            n.markdown().as_str(),
            "[1] n/a: not recorded by the test script  \n[2] below p95  \n"
        );
        // A reason quoting an input is plain text in the list.
        assert_eq!(n.missing("no `x` in <a|b>").as_str(), "n/a [3]");
        assert_eq!(
            n.markdown().as_str().lines().last(),
            Some("[3] n/a: no \\`x\\` in \\<a\\|b\\>  ")
        );
    }
}
