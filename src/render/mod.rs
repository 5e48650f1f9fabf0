//! Rendering: report.md through tera, report.html from that Markdown through pulldown-cmark with
//! the charts embedded (one file to mail), and summary.json with every figure.

pub mod context;
pub mod format;
pub mod notes;
pub mod scaling_ctx;
pub mod stress_words;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use base64::Engine;
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};
use tera::Tera;

use crate::analyze::Analysis;
use crate::charts::ChartOutcome;
use context::build_context;

const MD_TEMPLATE: &str = include_str!("../../templates/report.md.tera");
const HTML_TEMPLATE: &str = include_str!("../../templates/report.html.tera");

/// Which documents to write.
#[derive(Debug, Clone, Copy)]
pub struct Outputs {
    pub markdown: bool,
    pub html: bool,
}

/// Loads the built-in templates, replaced by any found in `override_dir`.
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

fn tera_error_chain(e: &tera::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Writes the requested documents and summary.json into `out_dir`; returns the paths written.
pub fn write_report(
    analysis: &Analysis,
    charts: &[ChartOutcome],
    session_dir: &Path,
    out_dir: &Path,
    outputs: Outputs,
    template_dir: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let tera = templates(template_dir)?;
    let ctx = build_context(analysis, charts, &session_dir.display().to_string());
    let tctx = tera::Context::from_serialize(&ctx).context("building the template context")?;
    let markdown = tera
        .render("report.md.tera", &tctx)
        .map_err(|e| anyhow::anyhow!("rendering report.md: {}", tera_error_chain(&e)))?;
    let mut written = Vec::new();
    if outputs.markdown {
        written.push(write(out_dir, "report.md", &markdown)?);
    }
    if outputs.html {
        let body = markdown_to_html(&markdown, out_dir);
        let mut hctx = tctx.clone();
        hctx.insert("body", &body);
        let page = tera
            .render("report.html.tera", &hctx)
            .map_err(|e| anyhow::anyhow!("rendering report.html: {}", tera_error_chain(&e)))?;
        written.push(write(out_dir, "report.html", &page)?);
    }
    let summary = serde_json::json!({
        "generator": format!("report {}", env!("CARGO_PKG_VERSION")),
        "session": analysis.session,
        "session_dir": session_dir.display().to_string(),
        "percentile_method": crate::analyze::stats::PERCENTILE_METHOD,
        "analysis": analysis,
        "charts": charts,
    });
    written.push(write(
        out_dir,
        "summary.json",
        &serde_json::to_string_pretty(&summary)?,
    )?);
    Ok(written)
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Markdown to HTML; local PNG images are embedded as data URIs so the page stands alone.
pub fn markdown_to_html(markdown: &str, image_dir: &Path) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_HEADING_ATTRIBUTES;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let embedded = embed_image(image_dir, &dest_url)
                .map(CowStr::from)
                .unwrap_or(dest_url);
            Event::Start(Tag::Image {
                link_type,
                dest_url: embedded,
                title,
                id,
            })
        }
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, events);
    out
}

fn embed_image(dir: &Path, url: &str) -> Option<String> {
    if url.contains("://") || url.contains("..") || !url.ends_with(".png") {
        return None;
    }
    let bytes = std::fs::read(dir.join(url)).ok()?;
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}
