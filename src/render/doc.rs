//! The walk-through as a document independent of the output format: headings, prose with
//! formulas, worked lines and matrices. [`super::walkthrough`] builds it from an explanation;
//! the text and Markdown renderers only lay it out.

use super::math::Math;

#[derive(Debug, Default)]
pub struct Doc {
    pub blocks: Vec<Block>,
    /// Stages so far: the next is numbered one more, so the numbers have no gaps whichever
    /// stages a model's walk-through has.
    stages: usize,
}

#[derive(Debug)]
pub enum Block {
    Title(String),
    /// A stage (numbered) or a note after them, with the part of the network it is about (the
    /// page highlights it): inputs, forward, output, loss, backward, update, after, check, or
    /// notes.
    Heading {
        title: String,
        focus: &'static str,
    },
    /// A part of a stage (a layer, a sample).
    Subheading(Vec<Span>),
    Para(Vec<Span>),
    /// A general rule, displayed on its own.
    Formula(Math),
    /// Numbers plugged into a rule, one equation per line; each equation is the sides of a chain
    /// `a = b = c` (the text renderer breaks a long chain before an `=`).
    Worked(Vec<Vec<Math>>),
    Matrix(Table),
    /// A key result; `tone` picks its colour in a terminal.
    Result {
        label: String,
        body: Vec<Span>,
        tone: Tone,
    },
    Bullets(Vec<Vec<Span>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Key,
    Good,
    Bad,
}

#[derive(Debug, Clone)]
pub enum Span {
    Text(String),
    Math(Math),
    /// An option or command, as typed.
    Code(String),
}

/// A matrix with labelled rows and columns.
#[derive(Debug)]
pub struct Table {
    pub caption: Vec<Span>,
    pub row_labels: Vec<Vec<Span>>,
    pub col_labels: Vec<Math>,
    pub rows: Vec<Vec<f64>>,
}

impl From<&str> for Span {
    fn from(s: &str) -> Span {
        Span::Text(s.into())
    }
}

impl From<String> for Span {
    fn from(s: String) -> Span {
        Span::Text(s)
    }
}

impl From<Math> for Span {
    fn from(m: Math) -> Span {
        Span::Math(m)
    }
}

impl From<&Math> for Span {
    fn from(m: &Math) -> Span {
        Span::Math(m.clone())
    }
}

/// A run of prose: `spans!["The loss ", math, " fell."]`.
macro_rules! spans {
    ($($part:expr),* $(,)?) => {
        vec![$($crate::render::doc::Span::from($part)),*]
    };
}
pub(crate) use spans;

impl Doc {
    pub fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }

    /// A heading after the stages, not numbered.
    pub fn heading(&mut self, title: impl Into<String>) {
        self.push(Block::Heading { title: title.into(), focus: "notes" });
    }

    /// The next numbered stage, about `focus`.
    pub fn stage(&mut self, focus: &'static str, title: &str) {
        self.stages += 1;
        self.push(Block::Heading { title: format!("{}. {title}", self.stages), focus });
    }

    pub fn sub(&mut self, spans: Vec<Span>) {
        self.push(Block::Subheading(spans));
    }

    pub fn para(&mut self, spans: Vec<Span>) {
        self.push(Block::Para(spans));
    }

    pub fn formula(&mut self, m: Math) {
        self.push(Block::Formula(m));
    }

    /// Worked lines; nothing when there are none.
    pub fn worked(&mut self, lines: Vec<Vec<Math>>) {
        if !lines.is_empty() {
            self.push(Block::Worked(lines));
        }
    }

    pub fn matrix(&mut self, table: Table) {
        self.push(Block::Matrix(table));
    }

    pub fn result(&mut self, label: impl Into<String>, body: Vec<Span>) {
        self.push(Block::Result { label: label.into(), body, tone: Tone::Key });
    }
}
