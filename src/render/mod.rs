//! Rendering: report.md through tera, report.html from that Markdown through pulldown-cmark with
//! the charts embedded (one file to mail), and summary.json with every figure.

pub mod compare;
pub mod context;
pub mod errors;
pub mod escape;
pub mod format;
pub mod html;
pub mod junit;
pub mod notes;
pub mod objectives;
pub mod paths;
pub mod scaling_ctx;
pub mod scaling_words;
pub mod soak_words;
pub mod spike_words;
pub mod stress_words;
pub mod tokens;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use tera::Tera;

use crate::analyze::Analysis;
use crate::analyze::objectives::{FileError, ObjectivesReport};
use crate::charts::ChartOutcome;
use context::build_context;

const MD_TEMPLATE: &str = include_str!("../../templates/report.md.tera");
pub(crate) const HTML_TEMPLATE: &str = include_str!("../../templates/report.html.tera");

/// Which documents to write.
#[derive(Debug, Clone, Copy)]
pub struct Outputs {
    pub markdown: bool,
    pub html: bool,
}

/// Loads the built-in templates, replaced by any found in `override_dir`.
///
/// Tera's autoescape is off for both: report.md's context is Markdown already escaped ([`escape::Md`]),
/// and report.html's context is escaped for HTML before rendering ([`html_context`]), except the
/// sanitised body, so a template inserting `{{ body }}` or `{{ body | safe }}` works the same.
fn templates(override_dir: Option<&Path>) -> Result<Tera> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![]);
    for (name, builtin) in [
        ("report.md.tera", MD_TEMPLATE),
        ("report.html.tera", HTML_TEMPLATE),
    ] {
        let custom = override_dir.map(|d| d.join(name)).filter(|p| p.exists());
        let text = match &custom {
            Some(p) => std::fs::read_to_string(p)
                .with_context(|| format!("cannot read template {}", p.display()))?,
            None => builtin.to_string(),
        };
        tera.add_raw_template(name, &text).map_err(|e| {
            let file = custom
                .as_ref()
                .map_or_else(|| format!("built-in {name}"), |p| p.display().to_string());
            anyhow::anyhow!("template {file}: {}", tera_error_chain(&e))
        })?;
    }
    Ok(tera)
}

pub(crate) fn tera_error_chain(e: &tera::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The objectives of the build: none asked for, checked, or a file that could not be read.
#[derive(Debug, Clone, Copy)]
pub enum Objectives<'a> {
    None,
    Checked(&'a ObjectivesReport),
    Invalid(&'a FileError),
}

/// Writes the requested documents and summary.json into `out_dir`; returns the paths written.
pub fn write_report(
    analysis: &Analysis,
    objectives: Objectives,
    charts: &[ChartOutcome],
    session_dir: &Path,
    out_dir: &Path,
    outputs: Outputs,
    template_dir: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let tera = templates(template_dir)?;
    let ctx = build_context(analysis, charts, session_dir);
    let mut tctx = tera::Context::from_serialize(&ctx).context("building the template context")?;
    match objectives {
        Objectives::None => {}
        Objectives::Checked(report) => {
            tctx.insert("objectives", &objectives::objectives_ctx(report));
        }
        Objectives::Invalid(error) => {
            tctx.insert("objectives_error", &escape::Md::text(error.to_string()));
        }
    }
    let markdown = tera
        .render("report.md.tera", &tctx)
        .map_err(|e| anyhow::anyhow!("rendering report.md: {}", tera_error_chain(&e)))?;
    let mut written = Vec::new();
    if outputs.markdown {
        written.push(write(out_dir, "report.md", &markdown)?);
    }
    if outputs.html {
        let page = html_page(&tera, &tctx, &markdown, &analysis.session, charts, out_dir)?;
        written.push(write(out_dir, "report.html", &page)?);
    }
    let summary = serde_json::json!({
        "generator": format!("report {}", env!("CARGO_PKG_VERSION")),
        "session": analysis.session,
        "session_dir": paths::folder_name(session_dir),
        "percentile_method": crate::analyze::stats::PERCENTILE_METHOD,
        "analysis": analysis,
        "streaming": analysis.streaming,
        "objectives": match objectives {
            Objectives::None => serde_json::Value::Null,
            Objectives::Checked(report) => serde_json::to_value(report)?,
            Objectives::Invalid(error) => serde_json::json!({ "error": error.to_string() }),
        },
        "charts": charts,
    });
    if let Objectives::Checked(report) = objectives {
        written.push(write(
            out_dir,
            "objectives.junit.xml",
            &junit::junit_xml(report, &analysis.session),
        )?);
    }
    written.push(write(
        out_dir,
        "summary.json",
        &serde_json::to_string_pretty(&summary)?,
    )?);
    Ok(written)
}

/// The HTML page of `markdown` through report.html.tera: the context escaped for HTML, and only
/// this build's own `charts` embedded.
pub(crate) fn html_page(
    tera: &Tera,
    markdown_ctx: &tera::Context,
    markdown: &str,
    title: &str,
    charts: &[ChartOutcome],
    out_dir: &Path,
) -> Result<String> {
    let images = html::OwnImages {
        dir: out_dir,
        files: charts
            .iter()
            .filter(|c| c.not_drawn.is_none())
            .map(|c| c.file.as_str())
            .collect(),
    };
    let body = html::markdown_to_html(markdown, &images);
    let hctx = html_context(markdown_ctx, title, &body)?;
    tera.render("report.html.tera", &hctx)
        .map_err(|e| anyhow::anyhow!("rendering the HTML page: {}", tera_error_chain(&e)))
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The HTML template's context: every string of the Markdown context escaped for HTML, the
/// session's name as plain text (`session`, `title`), and the sanitised `body`.
fn html_context(markdown_ctx: &tera::Context, session: &str, body: &str) -> Result<tera::Context> {
    fn escape_strings(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => *s = tera::escape_html(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(escape_strings),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(escape_strings),
            _ => {}
        }
    }
    let mut values = markdown_ctx.clone().into_json();
    escape_strings(&mut values);
    let mut ctx = tera::Context::from_value(values).context("building the HTML context")?;
    let title = tera::escape_html(escape::one_line(session).trim());
    ctx.insert("session", &title);
    ctx.insert("title", &title);
    ctx.insert("body", body);
    Ok(ctx)
}
