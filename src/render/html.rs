//! report.md → the body of report.html, made safe to mail whatever the Markdown holds (a user's
//! template included): raw HTML is shown as text, links go only to http(s) pages or to anchors
//! in the page, and images are only the charts this build drew, embedded as data URIs. Headings
//! get stable ids and the page a table of contents; tables scroll inside a wrapper.

use std::collections::HashSet;
use std::path::Path;

use base64::Engine;
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// The charts a Markdown image may show: bare PNG file names in `image_dir`.
pub struct OwnImages<'a> {
    pub dir: &'a Path,
    pub files: HashSet<&'a str>,
}

impl OwnImages<'_> {
    /// The PNG as a data URI, when `url` names one of the charts and it can be read.
    fn embed(&self, url: &str) -> Option<String> {
        let bare =
            !url.contains(['/', '\\', ':']) && !url.starts_with('.') && url.ends_with(".png");
        if !bare || !self.files.contains(url) {
            return None;
        }
        let bytes = std::fs::read(self.dir.join(url)).ok()?;
        Some(format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }
}

/// A link the page may keep: to a web page, or to an anchor of this page.
fn allowed_link(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || url.starts_with('#')
}

struct HeadingEntry {
    level: HeadingLevel,
    id: String,
    text: String,
}

/// Markdown to HTML (see the module doc).
pub fn markdown_to_html(markdown: &str, images: &OwnImages) -> String {
    // No heading attributes: a `{...}` from an input must not become an id or attribute.
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut events: Vec<Event> = Vec::new();
    let mut kept_links: Vec<bool> = Vec::new();
    // Depth inside an image shown as its alt text only.
    let mut dropped_image_depth = 0usize;
    let mut heading_start: Option<usize> = None;
    let mut headings: Vec<HeadingEntry> = Vec::new();
    let mut ids = HashSet::new();
    for event in Parser::new_ext(markdown, options) {
        if dropped_image_depth > 0 {
            match event {
                Event::Start(Tag::Image { .. }) => dropped_image_depth += 1,
                Event::End(TagEnd::Image) => dropped_image_depth -= 1,
                Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                    events.push(Event::Text(t));
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Html(t) | Event::InlineHtml(t) => events.push(Event::Text(t)),
            Event::Start(Tag::HtmlBlock) => events.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => events.push(Event::End(TagEnd::Paragraph)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let keep = allowed_link(&dest_url);
                kept_links.push(keep);
                if keep {
                    events.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }));
                }
            }
            Event::End(TagEnd::Link) => {
                if kept_links.pop().unwrap_or(false) {
                    events.push(Event::End(TagEnd::Link));
                }
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => match images.embed(&dest_url) {
                Some(uri) => events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url: CowStr::from(uri),
                    title,
                    id,
                })),
                None => dropped_image_depth = 1,
            },
            Event::Start(Tag::Heading { level, .. }) => {
                heading_start = Some(events.len());
                events.push(Event::Start(Tag::Heading {
                    level,
                    id: None,
                    classes: Vec::new(),
                    attrs: Vec::new(),
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some(start) = heading_start.take() {
                    let text = plain_text(&events[start + 1..]);
                    let id = unique_id(&slug(&text), &mut ids);
                    events[start] = Event::Start(Tag::Heading {
                        level,
                        id: Some(CowStr::from(id.clone())),
                        classes: Vec::new(),
                        attrs: Vec::new(),
                    });
                    headings.push(HeadingEntry { level, id, text });
                }
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::Table(align)) => {
                events.push(Event::Html(CowStr::Borrowed("<div class=\"table-wrap\">")));
                events.push(Event::Start(Tag::Table(align)));
            }
            Event::End(TagEnd::Table) => {
                events.push(Event::End(TagEnd::Table));
                events.push(Event::Html(CowStr::Borrowed("</div>\n")));
            }
            other => events.push(other),
        }
    }
    let toc = table_of_contents(&headings);
    if !toc.is_empty() {
        let after_title = events
            .iter()
            .position(|e| matches!(e, Event::End(TagEnd::Heading(HeadingLevel::H1))))
            .map_or(0, |i| i + 1);
        events.insert(after_title, Event::Html(CowStr::from(toc)));
    }
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, events.into_iter());
    out
}

/// The text a heading shows.
fn plain_text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect()
}

/// `auto-scaling-metrics` for "Auto-scaling metrics": lower-case letters and digits, the rest
/// one `-`; stable as long as the heading's words are.
fn slug(text: &str) -> String {
    let mut id = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            id.push(c);
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-');
    if id.is_empty() {
        "section".to_string()
    } else {
        id.to_string()
    }
}

/// The slug, or `slug-2`, `slug-3`… when an earlier heading has it.
fn unique_id(slug: &str, taken: &mut HashSet<String>) -> String {
    let mut id = slug.to_string();
    let mut n = 1;
    while !taken.insert(id.clone()) {
        n += 1;
        id = format!("{slug}-{n}");
    }
    id
}

/// Links to the sections (`##`) and their parts (`###`), nested.
fn table_of_contents(headings: &[HeadingEntry]) -> String {
    let mut toc = String::new();
    let mut open_sub = false;
    for h in headings {
        let link = format!("<a href=\"#{}\">{}</a>", h.id, tera::escape_html(&h.text));
        match h.level {
            HeadingLevel::H2 => {
                if open_sub {
                    toc.push_str("</ul>");
                    open_sub = false;
                }
                if !toc.is_empty() {
                    toc.push_str("</li>\n");
                }
                toc.push_str(&format!("<li>{link}"));
            }
            HeadingLevel::H3 if !toc.is_empty() => {
                if !open_sub {
                    toc.push_str("<ul>");
                    open_sub = true;
                }
                toc.push_str(&format!("<li>{link}</li>"));
            }
            _ => {}
        }
    }
    if toc.is_empty() {
        return toc;
    }
    if open_sub {
        toc.push_str("</ul>");
    }
    format!(
        "<nav class=\"toc\" aria-label=\"Contents\"><p><strong>Contents</strong></p>\n<ul>\n{toc}</li>\n</ul></nav>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_images() -> OwnImages<'static> {
        OwnImages {
            dir: Path::new("/nonexistent"),
            files: HashSet::new(),
        }
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        assert_eq!(
            markdown_to_html("a <img src=x onerror=alert(1)> b", &no_images()),
            "<p>a &lt;img src=x onerror=alert(1)&gt; b</p>\n"
        );
        assert_eq!(
            markdown_to_html("<script>alert(1)</script>\n", &no_images()),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;\n</p>\n"
        );
    }

    #[test]
    fn only_web_and_anchor_links_are_kept() {
        assert_eq!(
            markdown_to_html(
                "[x](javascript:alert(1)) [y](https://e.org/a) [z](#charts) [w](file:///etc/passwd)",
                &no_images()
            ),
            "<p>x <a href=\"https://e.org/a\">y</a> <a href=\"#charts\">z</a> w</p>\n"
        );
        assert_eq!(
            markdown_to_html("<javascript:alert(1)>", &no_images()),
            "<p>javascript:alert(1)</p>\n"
        );
    }

    #[test]
    fn only_the_builds_own_charts_are_embedded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.png"), [1u8, 2, 3]).unwrap();
        std::fs::write(dir.path().join("other.png"), [1u8]).unwrap();
        let images = OwnImages {
            dir: dir.path(),
            files: HashSet::from(["a.png", "../a.png", "/etc/a.png"]),
        };
        let html = markdown_to_html(
            "![chart](a.png) ![up](../a.png) ![abs](/etc/a.png) ![not ours](other.png) ![w](https://e.org/a.png)",
            &images,
        );
        assert_eq!(
            html,
            "<p><img src=\"data:image/png;base64,AQID\" alt=\"chart\" /> up abs not ours w</p>\n"
        );
    }

    #[test]
    fn headings_get_ids_and_the_page_a_table_of_contents() {
        let html = markdown_to_html(
            "# Report: <x>\n\n## Auto-scaling metrics\n\n### Scale-up chains {#evil onclick=x}\n\n## Charts\n\n## Charts\n",
            &no_images(),
        );
        assert_eq!(
            html,
            "<h1 id=\"report-x\">Report: &lt;x&gt;</h1>\n\
<nav class=\"toc\" aria-label=\"Contents\"><p><strong>Contents</strong></p>\n<ul>\n\
<li><a href=\"#auto-scaling-metrics\">Auto-scaling metrics</a><ul><li><a href=\"#scale-up-chains-evil-onclick-x\">Scale-up chains {#evil onclick=x}</a></li></ul></li>\n\
<li><a href=\"#charts\">Charts</a></li>\n\
<li><a href=\"#charts-2\">Charts</a></li>\n</ul></nav>\n\
<h2 id=\"auto-scaling-metrics\">Auto-scaling metrics</h2>\n\
<h3 id=\"scale-up-chains-evil-onclick-x\">Scale-up chains {#evil onclick=x}</h3>\n\
<h2 id=\"charts\">Charts</h2>\n\
<h2 id=\"charts-2\">Charts</h2>\n"
        );
    }

    #[test]
    fn tables_scroll_inside_a_wrapper() {
        assert_eq!(
            markdown_to_html("| a |\n|---|\n| 1 |\n", &no_images()),
            "<div class=\"table-wrap\"><table><thead><tr><th>a</th></tr></thead><tbody>\n<tr><td>1</td></tr>\n</tbody></table>\n</div>\n"
        );
    }
}
