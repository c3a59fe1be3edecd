//! Plain text for an 80-column terminal, with ANSI colour only when asked for.
//!
//! Widths are counted in characters: the walk-through's symbols (·, −, ∂, ŷ, subscripts) are
//! all one column wide in a monospace font.

use super::doc::{Block, Doc, Span, Table, Tone};
use super::math::Math;
use super::walkthrough::document;
use crate::trace::Explanation;

/// The terminal width every line fits in.
pub const WIDTH: usize = 80;
/// Formulas and matrices sit this far in from the prose.
const INDENT: usize = 2;
/// Keeps a formula in one piece when a paragraph is wrapped.
const NBSP: char = '\u{a0}';

pub fn render(e: &Explanation, color: bool) -> String {
    let doc = document(e);
    let mut out = Out { lines: Vec::new(), color };
    out.doc(&doc);
    let mut text = out.lines.join("\n");
    text.push('\n');
    text
}

/// Several steps, one after another, each under a `════ Step k of n ════` rule; one step as
/// [`render`] writes it.
pub fn render_steps(steps: &[Explanation], color: bool) -> String {
    if let [one] = steps {
        return render(one, color);
    }
    let mut all = String::new();
    for (k, e) in steps.iter().enumerate() {
        all.push_str(&format!("════ Step {} of {} ════\n\n", k + 1, steps.len()));
        all.push_str(&render(e, color));
        all.push('\n');
    }
    all
}

struct Out {
    lines: Vec<String>,
    color: bool,
}

impl Out {
    fn doc(&mut self, doc: &Doc) {
        for (n, block) in doc.blocks.iter().enumerate() {
            if n > 0 {
                self.lines.push(String::new());
            }
            self.block(block);
        }
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Title(title) => self.styled(vec![title.clone()], BOLD_CYAN),
            Block::Heading { title, .. } => {
                let rule = "─".repeat(width(title));
                self.styled(vec![title.clone(), rule], BOLD_CYAN);
            }
            Block::Subheading(spans) => self.styled(wrap_words(&format!("» {}", prose(spans)), WIDTH, 2), BOLD),
            Block::Para(spans) => self.lines.extend(wrap_words(&prose(spans), WIDTH, 0)),
            Block::Formula(m) => self.indented(chain(std::slice::from_ref(m), WIDTH - INDENT)),
            Block::Worked(lines) => {
                for sides in lines {
                    self.indented(chain(sides, WIDTH - INDENT));
                }
            }
            Block::Matrix(t) => {
                self.lines.extend(wrap_words(&prose(&t.caption), WIDTH, 0));
                self.indented(table(t, WIDTH - INDENT));
            }
            Block::Result { label, body, tone } => {
                let style = match tone {
                    Tone::Key => BOLD,
                    Tone::Good => BOLD_GREEN,
                    Tone::Bad => BOLD_RED,
                };
                self.styled(wrap_words(&format!("{label} {}", prose(body)), WIDTH, 2), style);
            }
            Block::Bullets(items) => {
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        self.lines.push(String::new());
                    }
                    self.lines.extend(wrap_words(&format!("• {}", prose(item)), WIDTH, 2));
                }
            }
        }
    }

    fn indented(&mut self, lines: Vec<String>) {
        let pad = " ".repeat(INDENT);
        self.lines.extend(lines.into_iter().map(|l| format!("{pad}{l}")));
    }

    fn styled(&mut self, lines: Vec<String>, style: &str) {
        for line in lines {
            self.lines.push(if self.color { format!("{style}{line}{RESET}") } else { line });
        }
    }
}

const BOLD: &str = "\x1b[1m";
const BOLD_CYAN: &str = "\x1b[1;36m";
const BOLD_GREEN: &str = "\x1b[1;32m";
const BOLD_RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Prose with its formulas and option names made unbreakable.
fn prose(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|span| match span {
            Span::Text(t) => t.clone(),
            Span::Math(m) => m.text.replace(' ', &NBSP.to_string()),
            Span::Code(c) => c.replace(' ', &NBSP.to_string()),
        })
        .collect()
}

/// Greedy word wrap at spaces; lines after the first are indented by `hang`.
fn wrap_words(s: &str, width_limit: usize, hang: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && width(&line) + 1 + width(word) > width_limit {
            lines.push(std::mem::take(&mut line));
            line = " ".repeat(hang);
        }
        if !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| l.replace(NBSP, " ")).collect()
}

/// The sides of `a = b = c` on one line when they fit; otherwise each side after the second on
/// a line of its own, `=` under `=`, and any side still too long broken before a + or −.
fn chain(sides: &[Math], width_limit: usize) -> Vec<String> {
    let texts: Vec<&str> = sides.iter().map(|m| m.text.as_str()).collect();
    let joined = texts.join(" = ");
    if width(&joined) <= width_limit {
        return vec![joined];
    }
    let hang = match joined.find(" = ") {
        Some(byte) if width(&joined[..byte]) < width_limit / 2 => width(&joined[..byte]) + 1,
        _ => 4,
    };
    let (head, rest): (String, &[&str]) = match texts.as_slice() {
        [a, b, rest @ ..] => (format!("{a} = {b}"), rest),
        _ => (joined.clone(), &[]),
    };
    let mut lines = wrap_formula(&head, width_limit, hang);
    for side in rest {
        lines.extend(wrap_formula(&format!("{}= {side}", " ".repeat(hang)), width_limit, hang));
    }
    lines
}

/// Breaks a formula before " + ", " − " and " = ", or after ", ", so no number is split;
/// continuation lines start `hang` columns in.
fn wrap_formula(s: &str, width_limit: usize, hang: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, _) in s.char_indices() {
        let rest = &s[i..];
        let before_op = rest.starts_with(" + ") || rest.starts_with(" − ") || rest.starts_with(" = ");
        let after_comma = i > 0 && s[..i].ends_with(", ");
        if (before_op || after_comma) && i > start && !s[start..i].trim().is_empty() {
            pieces.push(&s[start..i]);
            start = i;
        }
    }
    pieces.push(&s[start..]);
    let mut lines = Vec::new();
    let mut line = String::new();
    for piece in pieces {
        if !line.trim().is_empty() && width(&line) + width(piece) > width_limit {
            lines.push(std::mem::take(&mut line));
            line = format!("{}{}", " ".repeat(hang), piece.trim_start());
        } else {
            line.push_str(piece);
        }
    }
    lines.push(line);
    lines
}

/// A matrix with its labels, numbers aligned on the decimal point, split into column blocks
/// when it is wider than the terminal.
fn table(t: &Table, width_limit: usize) -> Vec<String> {
    let labels: Vec<String> = t.row_labels.iter().map(|l| prose(l).replace(NBSP, " ")).collect();
    let label_w = labels.iter().map(|l| width(l)).max().unwrap_or(0);
    let ncols = t.rows.first().map_or(0, Vec::len);
    let columns: Vec<Column> = (0..ncols)
        .map(|j| {
            let cells = t.rows.iter().map(|r| Math::num(r[j]).text).collect();
            Column::new(cells, t.col_labels.get(j).map(|m| m.text.clone()).unwrap_or_default())
        })
        .collect();
    // label, " [", the cells separated by two spaces, "]"
    let fixed = label_w + 3;
    let mut blocks: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    let mut used = fixed;
    for (j, col) in columns.iter().enumerate() {
        let extra = col.width + if j > start { 2 } else { 0 };
        if j > start && used + extra > width_limit {
            blocks.push(start..j);
            start = j;
            used = fixed + col.width;
        } else {
            used += extra;
        }
    }
    blocks.push(start..ncols);
    let mut lines = Vec::new();
    for block in &blocks {
        if blocks.len() > 1 {
            lines.push(format!("(columns {} to {})", block.start + 1, block.end));
        }
        let head: Vec<String> = columns[block.clone()].iter().map(Column::header).collect();
        lines.push(format!("{}  {}", " ".repeat(label_w), head.join("  ")).trim_end().to_string());
        for (r, label) in labels.iter().enumerate() {
            let cells: Vec<String> = columns[block.clone()].iter().map(|c| c.cell(r)).collect();
            lines.push(format!("{label}{} [{}]", " ".repeat(label_w - width(label)), cells.join("  ")));
        }
    }
    lines
}

/// One column of numbers, aligned on the decimal point (or where it would be).
struct Column {
    cells: Vec<String>,
    label: String,
    /// Widest part before the point, and after it.
    left: usize,
    right: usize,
    /// Where the label starts: after the sign column when a number is negative.
    label_at: usize,
    width: usize,
}

impl Column {
    fn new(cells: Vec<String>, label: String) -> Column {
        let split = |c: &String| c.find(['.', 'e']).map_or(width(c), |b| width(&c[..b]));
        let left = cells.iter().map(split).max().unwrap_or(0);
        let right = cells.iter().map(|c| width(c) - split(c)).max().unwrap_or(0);
        let label_at = usize::from(cells.iter().any(|c| c.starts_with('-')));
        let width = (left + right).max(label_at + width(&label));
        Column { cells, label, left, right, label_at, width }
    }

    fn header(&self) -> String {
        let text = format!("{}{}", " ".repeat(self.label_at), self.label);
        format!("{text}{}", " ".repeat(self.width - width(&text)))
    }

    fn cell(&self, r: usize) -> String {
        let c = &self.cells[r];
        let split = c.find(['.', 'e']).map_or(width(c), |b| width(&c[..b]));
        let text = format!("{}{c}", " ".repeat(self.left - split));
        let _ = self.right;
        format!("{text}{}", " ".repeat(self.width - width(&text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_sums_break_before_an_operator() {
        let sum = "z₁ = 0.81·0.15 + 0.57·0.29 + 0.28·0.1 + 0.84·0.71 + 0.81·0.15 + 0.57·0.29 + 0.28·0.1";
        let lines = wrap_formula(sum, 40, 3);
        assert!(lines.iter().all(|l| width(l) <= 40), "{lines:?}");
        assert!(lines[1].starts_with("   + "), "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), sum.replace(' ', ""));
    }

    #[test]
    fn matrices_align_on_the_point() {
        let t = Table {
            caption: vec![],
            row_labels: vec![vec![Span::Text("a".into())], vec![Span::Text("b".into())]],
            col_labels: vec![Math::from("x"), Math::from("y")],
            rows: vec![vec![0.15, -12.5], vec![-0.8, 3.0]],
        };
        // The labels sit over the first digit, past the sign column.
        assert_eq!(table(&t, 78), vec!["    x      y", "a [ 0.15  -12.5]", "b [-0.8     3  ]"]);
    }
}
