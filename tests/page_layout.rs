//! The report of data/sample as a reader meets it: report.html in a 1400 px wide headless
//! Chromium window (no table pushes the page wider; a table too wide scrolls inside its wrapper
//! and its Source column can be scrolled to and read), and report.md's scale-up chains, whose
//! footnotes are said once for all the chains.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

mod common;
use common::chromium_eval;

/// `report build data/sample` into a temporary folder.
fn build_sample() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_report"))
        .arg("build")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample"))
        .args(["--out", out.path().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    out
}

/// Measures every table after the load event. A table that does not fit is scrolled to its end
/// inside its wrapper to see whether its Source column (else its last) comes into view.
const LAYOUT: &str = r#"<script>
window.addEventListener('load', () => {
  const root = document.documentElement;
  const vw = root.clientWidth;
  const inside = (r, l, rt) => r.left >= l - 0.5 && r.right <= rt + 0.5;
  const tables = [...document.querySelectorAll('table')].map((t, i) => {
    const heads = [...t.querySelectorAll('thead th')].map(h => h.textContent.trim());
    const parent = t.parentElement;
    const wrap = parent.classList.contains('table-wrap') ? parent : null;
    const col = heads.indexOf('Source') >= 0 ? heads.indexOf('Source') : heads.length - 1;
    const head = t.querySelector('thead th:nth-child(' + (col + 1) + ')');
    const out = {
      index: i,
      heads: heads.join(' | '),
      width: Math.round(t.getBoundingClientRect().width),
      fits: inside(t.getBoundingClientRect(), 0, vw),
      source_width: Math.round(head.getBoundingClientRect().width),
      has_source: heads.includes('Source'),
    };
    if (!out.fits && wrap) {
      const overflow = getComputedStyle(wrap).overflowX;
      out.scrolls = overflow === 'auto' || overflow === 'scroll';
      out.wrapper_fits = inside(wrap.getBoundingClientRect(), 0, vw);
      wrap.scrollLeft = wrap.scrollWidth;
      const w = wrap.getBoundingClientRect();
      out.source_reachable = inside(head.getBoundingClientRect(), w.left, w.right);
      wrap.scrollLeft = 0;
    }
    return out;
  });
  const pre = document.createElement('pre');
  pre.id = 'report-check';
  pre.textContent = JSON.stringify({ viewport: vw, document_width: root.scrollWidth, tables });
  document.body.appendChild(pre);
});
</script>"#;

#[test]
fn wide_tables_are_readable_in_a_1400_px_window() {
    let out = build_sample();
    let seen = chromium_eval(
        &out.path().join("sample/report.html"),
        LAYOUT,
        &["--window-size=1400,1000", "--hide-scrollbars"],
    );
    let viewport = seen["viewport"].as_u64().unwrap();
    assert!(
        (1380..=1400).contains(&viewport),
        "window not 1400 px: {seen}"
    );
    assert!(
        seen["document_width"].as_u64().unwrap() <= viewport,
        "the page is wider than the window: {seen}"
    );
    let tables = seen["tables"].as_array().unwrap();
    assert!(tables.len() > 20, "{seen}");
    for t in tables {
        if t["fits"] != true {
            assert_eq!(t["scrolls"], true, "does not fit and does not scroll: {t}");
            assert_eq!(
                t["wrapper_fits"], true,
                "its wrapper is wider than the page: {t}"
            );
            assert_eq!(
                t["source_reachable"], true,
                "Source cannot be scrolled to: {t}"
            );
        }
        // A Source column squeezed to a few characters per line is not readable.
        if t["has_source"] == true {
            assert!(
                t["source_width"].as_u64().unwrap() >= 120,
                "Source column too narrow: {t}"
            );
        }
    }
    // The first table, every scenario with its Failed and Timed out beside p99, fits whole.
    let first = &tables[0];
    assert!(
        first["heads"]
            .as_str()
            .unwrap()
            .starts_with("Test | Scenario"),
        "{first}"
    );
    assert_eq!(first["fits"], true, "{first}");
}

#[test]
fn chain_footnotes_are_said_once_for_all_chains() {
    let out = build_sample();
    let md = std::fs::read_to_string(out.path().join("sample/report.md")).unwrap();
    let start = md.find("### Scale-up chains").unwrap();
    let end = start + md[start..].find("### CPU utilization").unwrap();
    let section = &md[start..end];
    let chains = section.matches("\n#### ").count();
    assert!(chains >= 5, "{section}");
    // Footnote lines `[k] text`, and the marks `[k]` used in the chains' cells.
    let notes: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with('[') && l.contains("] "))
        .collect();
    let texts: BTreeSet<&str> = notes
        .iter()
        .map(|l| l.split_once("] ").unwrap().1.trim_end())
        .collect();
    assert_eq!(
        texts.len(),
        notes.len(),
        "a footnote said twice: {notes:#?}"
    );
    let marks: BTreeSet<String> = section
        .lines()
        .filter(|l| l.starts_with('|'))
        .flat_map(|l| {
            l.match_indices("n/a [")
                .map(|(i, _)| l[i + 4..].split(']').next().unwrap().to_string() + "]")
                .collect::<Vec<_>>()
        })
        .collect();
    let numbered: BTreeSet<String> = notes
        .iter()
        .map(|l| l.split_once(' ').unwrap().0.to_string())
        .collect();
    assert_eq!(marks, numbered, "{section}");
    // Every note comes after the last chain, in one block.
    let last_chain = section.rfind("\n#### ").unwrap();
    for n in &notes {
        assert!(section.find(n).unwrap() > last_chain, "{n}");
    }
}
