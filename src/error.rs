//! The library's one error type. Every variant names where the problem is (the op and its
//! shapes, the file and row and column, the JSON path), because the CLI prints it as the whole
//! message a user sees.

use std::path::PathBuf;

/// Two shapes, written the way the docs write them: `(rows×cols)`.
pub fn shape(s: (usize, usize)) -> String {
    format!("({}×{})", s.0, s.1)
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An op got operands whose shapes do not fit together.
    #[error("{op}: shapes do not fit: {detail}")]
    Shape { op: &'static str, detail: String },

    /// A value the user gave (an option, a layer setting) is out of its domain.
    #[error("{what}: {why}")]
    Invalid { what: String, why: String },

    /// A model file that is missing, unreadable or does not describe a model.
    #[error("model file {}: {at}: {why}", path.display())]
    ModelFile { path: PathBuf, at: String, why: String },

    /// A data file with a problem at a known place; `row` counts lines of the file from 1
    /// (the header is row 1).
    #[error("{}{}: {why}", file.display(), location(*row, column.as_deref()))]
    Data { file: PathBuf, row: Option<usize>, column: Option<String>, why: String },

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn location(row: Option<usize>, column: Option<&str>) -> String {
    match (row, column) {
        (Some(r), Some(c)) => format!(", row {r}, column '{c}'"),
        (Some(r), None) => format!(", row {r}"),
        (None, Some(c)) => format!(", column '{c}'"),
        (None, None) => String::new(),
    }
}

impl Error {
    pub fn invalid(what: impl Into<String>, why: impl Into<String>) -> Self {
        Error::Invalid { what: what.into(), why: why.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
