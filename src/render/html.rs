//! One self-contained HTML page for an explanation: inline CSS, the network as inline SVG, the
//! formulas as MathML, no script and nothing fetched — a file to mail or attach. It lays out the
//! same walk-through document (`Doc`) as the text and Markdown renderers, so the stages and numbers are theirs; the web
//! server sends the same stages as fragments ([`stages`]).

use super::diagram::{self, Shows};
use super::doc::{Block, Doc, Span, Table, Tone};
use super::math::Math;
use super::mathml::mathml;
use super::walkthrough::document;
use crate::trace::Explanation;
use serde::Serialize;

/// The page's style: also served to the web page, so both look alike.
pub const CSS: &str = include_str!("../../static/walkthrough.css");

/// One stage of the walk-through as an HTML fragment. The blocks before the first stage (title
/// and overview) are stage 0, "Overview".
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    /// The stage's heading, as the text output writes it.
    pub title: String,
    /// The part of the network the stage is about, by its number in the walk-through
    /// (inputs, forward, output, loss, backward, update, after, check), or "overview"/"notes".
    pub focus: &'static str,
    /// The stage's blocks, as HTML with MathML.
    pub html: String,
}

/// The whole page.
pub fn render(e: &Explanation) -> String {
    render_steps(std::slice::from_ref(e))
}

/// One page for one step or several: several steps are articles `Step k of n` after a list of
/// links to each, in the one document (one `<!DOCTYPE>`, one `<head>`).
pub fn render_steps(steps: &[Explanation]) -> String {
    let docs: Vec<Doc> = steps.iter().map(document).collect();
    let title = docs
        .first()
        .and_then(|doc| doc.blocks.iter().find_map(|b| if let Block::Title(t) = b { Some(t.clone()) } else { None }))
        .unwrap_or_else(|| "gradlens: one weight update".into());
    let mut out = String::with_capacity(64 * 1024 * steps.len());
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n", escape(&title)));
    let many = steps.len() > 1;
    if many {
        let links: String = (1..=steps.len()).map(|k| format!("<li><a href=\"#step-{k}\">Step {k}</a></li>")).collect();
        out.push_str(&format!("<nav aria-label=\"Steps\"><ol class=\"steps\">{links}</ol></nav>\n"));
    }
    for (k, (e, doc)) in steps.iter().zip(&docs).enumerate() {
        if many {
            out.push_str(&format!(
                "<article id=\"step-{}\">\n<p class=\"step\"><strong>Step {} of {}</strong></p>\n",
                k + 1,
                k + 1,
                steps.len()
            ));
        }
        step_html(e, doc, &mut out);
        if many {
            out.push_str("</article>\n");
        }
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// One step's sections, with the forward diagram after the overview and the backward one after
/// the backward stage.
fn step_html(e: &Explanation, doc: &Doc, out: &mut String) {
    for (n, stage) in stages_of(doc).iter().enumerate() {
        out.push_str(&format!("<section>\n{}</section>\n", stage.html));
        if n == 0 {
            out.push_str("<figure class=\"diagram\">\n");
            out.push_str(&diagram::svg(e, Shows::Values));
            out.push_str(
                "\n<figcaption>Forward: each unit's value; edges are weights (blue positive, vermillion negative, \
             thicker for larger |w|).</figcaption>\n</figure>\n",
            );
        }
        if stage.focus == "backward" {
            out.push_str("<figure class=\"diagram\">\n");
            out.push_str(&diagram::svg(e, Shows::Gradients));
            out.push_str(
                "\n<figcaption>Backward: each unit's ∂L/∂z; edges are ∂L/∂w (blue positive, vermillion \
                 negative, thicker for larger magnitude).</figcaption>\n</figure>\n",
            );
        }
    }
}

/// The walk-through's stages as HTML fragments, for the web page.
pub fn stages(e: &Explanation) -> Vec<Stage> {
    stages_of(&document(e))
}

fn stages_of(doc: &Doc) -> Vec<Stage> {
    let mut stages = vec![Stage { title: "Overview".into(), focus: "overview", html: String::new() }];
    for block in &doc.blocks {
        if let Block::Heading { title, focus } = block {
            stages.push(Stage { title: title.clone(), focus, html: String::new() });
        }
        let html = &mut stages.last_mut().expect("one stage at least").html;
        html.push_str(&block_html(block));
        html.push('\n');
    }
    stages.retain(|s| !s.html.is_empty());
    stages
}

fn block_html(block: &Block) -> String {
    match block {
        Block::Title(title) => format!("<h1>{}</h1>", escape(title)),
        Block::Heading { title, .. } => format!("<h2>{}</h2>", escape(title)),
        Block::Subheading(spans) => format!("<h3>{}</h3>", inline(spans)),
        Block::Para(spans) => format!("<p>{}</p>", inline(spans)),
        Block::Formula(m) => format!("<div class=\"formula\">{}</div>", mathml(m.tex.trim(), true)),
        Block::Worked(lines) => {
            let items: String = lines
                .iter()
                .map(|sides| format!("<li>{}</li>", mathml(Math::chain(sides.iter().cloned()).tex.trim(), false)))
                .collect();
            format!("<ul class=\"worked\">{items}</ul>")
        }
        Block::Matrix(t) => format!("<p>{}</p>\n{}", inline(&t.caption), table(t)),
        Block::Result { label, body, tone } => {
            let tone = match tone {
                Tone::Key => "key",
                Tone::Good => "good",
                Tone::Bad => "bad",
            };
            format!("<p class=\"result {tone}\"><strong>{}</strong> {}</p>", escape(label), inline(body))
        }
        Block::Bullets(items) => {
            let items: String = items.iter().map(|i| format!("<li>{}</li>", inline(i))).collect();
            format!("<ul>{items}</ul>")
        }
    }
}

fn inline(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|span| match span {
            Span::Text(t) => escape(t),
            Span::Math(m) => mathml(m.tex.trim(), false),
            Span::Code(c) => format!("<code>{}</code>", escape(c)),
        })
        .collect()
}

/// Rows labelled, numbers right-aligned and written as the text output writes them.
fn table(t: &Table) -> String {
    let head: String =
        t.col_labels.iter().map(|m| format!("<th scope=\"col\">{}</th>", mathml(m.tex.trim(), false))).collect();
    let body: String = t
        .row_labels
        .iter()
        .zip(&t.rows)
        .map(|(label, row)| {
            let cells: String = row.iter().map(|&v| format!("<td>{}</td>", escape(&Math::num(v).text))).collect();
            format!("<tr><th scope=\"row\">{}</th>{cells}</tr>", inline(label))
        })
        .collect();
    format!("<table class=\"matrix\"><thead><tr><td></td>{head}</tr></thead><tbody>{body}</tbody></table>")
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}
