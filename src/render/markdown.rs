//! GitHub-flavoured Markdown with `$…$` and `$$…$$` math, which GitHub and Jupyter both render.
//!
//! Worked lines become a bulleted list of inline formulas rather than one aligned display block:
//! GitHub's Markdown pass mangles the `\\` line breaks of a multi-line block, a list does not
//! need them.

use super::doc::{Block, Doc, Span, Table};
use super::math::Math;
use super::walkthrough::document;
use crate::trace::Explanation;

pub fn render(e: &Explanation) -> String {
    render_steps(std::slice::from_ref(e))
}

/// One document: a single step as it is; several as sections `# Step k of n`, each step's own
/// headings one level down, so the document has one outline.
pub fn render_steps(steps: &[Explanation]) -> String {
    let mut out: Vec<String> = Vec::new();
    let depth = usize::from(steps.len() > 1);
    for (k, e) in steps.iter().enumerate() {
        if depth > 0 {
            out.push(format!("# Step {} of {}", k + 1, steps.len()));
        }
        render_doc(&document(e), depth, &mut out);
    }
    let mut text = out.join("\n\n");
    text.push('\n');
    text
}

/// `level` `#`s, one more for each level the document sits under.
fn hashes(level: usize, depth: usize) -> String {
    "#".repeat((level + depth).min(6))
}

fn render_doc(doc: &Doc, depth: usize, out: &mut Vec<String>) {
    for block in &doc.blocks {
        out.push(match block {
            Block::Title(title) => format!("{} {}", hashes(1, depth), escape(title)),
            Block::Heading { title, .. } => format!("{} {}", hashes(2, depth), escape(title)),
            Block::Subheading(spans) => format!("{} {}", hashes(4, depth), inline(spans)),
            Block::Para(spans) => inline(spans),
            Block::Formula(m) => format!("$$\n{}\n$$", m.tex.trim()),
            Block::Worked(lines) => lines
                .iter()
                .map(|sides| format!("- ${}$", Math::chain(sides.iter().cloned()).tex.trim()))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Matrix(t) => format!("{}\n\n{}", inline(&t.caption), table(t)),
            Block::Result { label, body, .. } => format!("**{}** {}", escape(label), inline(body)),
            Block::Bullets(items) => items.iter().map(|i| format!("- {}", inline(i))).collect::<Vec<_>>().join("\n"),
        });
    }
}

fn inline(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|span| match span {
            Span::Text(t) => escape(t),
            Span::Math(m) => format!("${}$", m.tex.trim()),
            Span::Code(c) => format!("`{c}`"),
        })
        .collect()
}

/// Prose characters Markdown would read as markup.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '$' | '~' | '#') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// A pipe table: the row labels first, numbers right-aligned.
fn table(t: &Table) -> String {
    let mut lines = Vec::with_capacity(t.rows.len() + 2);
    let head: Vec<String> = t.col_labels.iter().map(|m| format!("${}$", m.tex.trim())).collect();
    lines.push(format!("| | {} |", head.join(" | ")));
    lines.push(format!("|---|{}", "---:|".repeat(head.len())));
    for (label, row) in t.row_labels.iter().zip(&t.rows) {
        let cells: Vec<String> = row.iter().map(|&v| Math::num(v).text).collect();
        lines.push(format!("| {} | {} |", inline(label), cells.join(" | ")));
    }
    lines.join("\n")
}
