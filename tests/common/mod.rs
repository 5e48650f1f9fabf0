//! Helpers shared by the end-to-end tests.
// Each test binary uses a part of them.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Every line of a JSON Lines file, as JSON values.
pub fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A JSON string holding an RFC 3339 time.
pub fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// Opens report.html in headless Chromium (Debian's `chromium`, installed by .ci/run) with a
/// probe script appended, and reads what the browser saw after the load event.
pub fn chromium_probe(html: &Path) -> Value {
    chromium_eval(html, PROBE, &[])
}

const PROBE: &str = r#"<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const pre = document.createElement('pre');
  pre.id = 'report-check';
  pre.textContent = JSON.stringify({
    images: imgs.length,
    loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    widths: [...new Set(imgs.map(i => i.naturalWidth))],
    alts: imgs.map(i => i.alt),
    tables: document.querySelectorAll('table').length,
    title: document.title,
    // What a payload from an input would change: a mark on the page, handlers, scripts, links.
    marked: document.body.hasAttribute('data-pwned'),
    handlers: [...document.querySelectorAll('*')]
      .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
    scripts: document.scripts.length,
    links: [...document.links].map(a => a.href),
    text: document.body.innerText,
  });
  document.body.appendChild(pre);
});
</script>"#;

/// Opens `html` in headless Chromium (with `args`, e.g. a window size) with `probe` appended: a
/// script that, after the load event, puts its findings as JSON in `<pre id="report-check">`.
pub fn chromium_eval(html: &Path, probe: &str, args: &[&str]) -> Value {
    let page = std::fs::read_to_string(html)
        .unwrap()
        .replace("</body>", &format!("{probe}</body>"));
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("probe.html");
    std::fs::write(&copy, page).unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .args(args)
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("file://{}", copy.display()))
        .output()
        .expect("chromium must be installed (apt-get install chromium; .ci/run does it)");
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom
        .find("<pre id=\"report-check\">")
        .unwrap_or_else(|| panic!("probe did not run: {dom}"));
    let json = &dom[start + "<pre id=\"report-check\">".len()..];
    // The DOM dump writes the text node with `&`, `<`, `>` and U+00A0 as entities.
    let text = json[..json.find("</pre>").unwrap()]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap()
}
