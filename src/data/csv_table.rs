//! Reading a table from CSV. Every problem names the file, the row (lines counted from 1 as a
//! text editor counts them, the header being row 1) and the column.
//!
//! Numbers are parsed from the reader's buffer straight into the matrix (no string per cell):
//! see [`csv_reader`](super::csv_reader) for the format and `benches/csv.rs` for the speed.

use super::Dataset;
use super::csv_reader::{ReadError, Record, Records};
use crate::error::{Error, Result};
use crate::safe_text::quoted;
use ndarray::Array2;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

fn fail(file: &Path, row: Option<usize>, column: Option<&str>, why: impl Into<String>) -> Error {
    Error::Data { file: file.into(), row, column: column.map(quoted), why: why.into() }
}

fn read_fail(file: &Path, e: ReadError) -> Error {
    match e {
        ReadError::Io(source) => Error::Io { path: file.into(), source },
        ReadError::TooLong(row) => fail(
            file,
            Some(row),
            None,
            format!(
                "the row is longer than {} (the limit for one row): is this a CSV file?",
                crate::limits::bytes(crate::limits::MAX_CSV_RECORD as u64)
            ),
        ),
    }
}

fn text<'a>(file: &Path, row: usize, column: Option<&str>, field: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(field).map_err(|_| fail(file, Some(row), column, "the field is not UTF-8 text"))
}

/// A CSV's header (its column names, checked to be there, named and distinct) and the reader
/// positioned at the first data row.
fn read_header<R: Read>(reader: R, file: &Path) -> Result<(Vec<String>, Records<R>)> {
    let mut records = Records::new(reader);
    let names: Vec<String> = loop {
        match records.next_record().map_err(|e| read_fail(file, e))? {
            None => return Err(fail(file, None, None, "the file is empty: a header row and data rows are needed")),
            Some(r) if r.is_blank() => continue,
            Some(r) => {
                let line = r.line;
                break r.iter().map(|f| text(file, line, None, f).map(String::from)).collect::<Result<_>>()?;
            }
        }
    };
    if let Some(c) = names.iter().position(String::is_empty) {
        return Err(fail(file, Some(1), None, format!("column {} has no name in the header", c + 1)));
    }
    // Columns are found by name (the label, a model's features), which must then mean one column.
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (c, name) in names.iter().enumerate() {
        if let Some(first) = seen.insert(name, c) {
            return Err(fail(
                file,
                Some(1),
                Some(name),
                format!("columns {} and {} both have this name; each column needs its own", first + 1, c + 1),
            ));
        }
    }
    Ok((names, records))
}

/// Whether every header name reads as a number: the file probably has no header row.
fn looks_headerless(names: &[String]) -> bool {
    names.iter().all(|n| fast_float2::parse::<f64, _>(n).is_ok())
}

const HEADERLESS: &str = "row 1 looks like data, not a header (every field is a number): the file needs a header \
                          row naming its columns";

/// Checks a data record's width; `None` for a blank line.
fn data_record<'r>(file: &Path, record: Record<'r>, width: usize) -> Result<Option<Record<'r>>> {
    if record.is_blank() {
        return Ok(None);
    }
    if record.len() != width {
        return Err(fail(
            file,
            Some(record.line),
            None,
            format!("has {} fields but the header has {width}", record.len()),
        ));
    }
    Ok(Some(record))
}

fn number(file: &Path, row: usize, column: &str, field: &[u8]) -> Result<f64> {
    match fast_float2::parse::<f64, _>(field) {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(fail(
            file,
            Some(row),
            Some(column),
            format!("'{}' is not a finite number", quoted(&String::from_utf8_lossy(field))),
        )),
        Err(_) if field.is_empty() => {
            Err(fail(file, Some(row), Some(column), "the field is empty, a number is needed"))
        }
        Err(_) => Err(fail(
            file,
            Some(row),
            Some(column),
            format!("'{}' is not a number", quoted(&String::from_utf8_lossy(field))),
        )),
    }
}

/// A labelled table: `label` names the class column (default: the last), every other column is
/// a numeric feature.
pub(super) fn parse(reader: impl Read, file: &Path, label: Option<&str>) -> Result<Dataset> {
    let (names, mut records) = read_header(reader, file)?;
    let label_col = match label {
        None => names.len() - 1,
        Some(l) => names.iter().position(|n| n == l).ok_or_else(|| {
            let why = format!("no such column; the columns are {}", quoted(&names.join(", ")));
            fail(file, Some(1), Some(l), why)
        })?,
    };
    if names.len() < 2 {
        return Err(fail(file, Some(1), None, "a feature column and a label column are needed"));
    }
    if looks_headerless(&names) {
        return Err(fail(file, Some(1), None, HEADERLESS));
    }
    let feature_names: Vec<String> =
        names.iter().enumerate().filter(|(i, _)| *i != label_col).map(|(_, n)| n.clone()).collect();

    let mut values: Vec<f64> = Vec::new();
    let mut labels = Vec::new();
    let mut class_names: Vec<String> = Vec::new();
    let mut class_of: HashMap<String, usize> = HashMap::new();
    while let Some(record) = records.next_record().map_err(|e| read_fail(file, e))? {
        let Some(record) = data_record(file, record, names.len())? else { continue };
        let row = record.line;
        for (c, field) in record.iter().enumerate() {
            if c != label_col {
                values.push(number(file, row, &names[c], field)?);
            }
        }
        let field = record.field(label_col);
        if field.is_empty() {
            return Err(fail(file, Some(row), Some(&names[label_col]), "the label is empty"));
        }
        let name = text(file, row, Some(&names[label_col]), field)?;
        let class = match class_of.get(name) {
            Some(&k) => k,
            None => {
                class_names.push(name.to_string());
                class_of.insert(name.to_string(), class_names.len() - 1);
                class_names.len() - 1
            }
        };
        labels.push(class);
    }
    if labels.is_empty() {
        return Err(fail(file, None, None, "the file has a header but no data rows"));
    }
    let features = Array2::from_shape_vec((labels.len(), feature_names.len()), values).expect("rows × features");
    Ok(Dataset { features, labels, class_names, feature_names })
}

/// The numeric columns `wanted` (by name, in that order; other columns are ignored), or, when
/// no names are known, every column, which must then number `width`.
pub(super) fn parse_features(
    reader: impl Read,
    file: &Path,
    wanted: Option<&[String]>,
    width: usize,
) -> Result<Array2<f64>> {
    let (names, mut records) = read_header(reader, file)?;
    let columns: Vec<usize> = match wanted {
        Some(wanted) => wanted
            .iter()
            .map(|w| {
                names.iter().position(|n| n == w).ok_or_else(|| {
                    let mut why = format!("the model needs this column; the file has {}", quoted(&names.join(", ")));
                    if looks_headerless(&names) {
                        why = format!("{why} ({HEADERLESS})");
                    }
                    fail(file, Some(1), Some(w), why)
                })
            })
            .collect::<Result<_>>()?,
        None if looks_headerless(&names) => return Err(fail(file, Some(1), None, HEADERLESS)),
        None if names.len() == width => (0..width).collect(),
        None => {
            return Err(fail(
                file,
                Some(1),
                None,
                format!(
                    "has {} columns but the model takes {width} inputs and names none of them \
                     (a model saved by `train --save` does)",
                    names.len()
                ),
            ));
        }
    };
    let mut values = Vec::new();
    let mut rows = 0;
    while let Some(record) = records.next_record().map_err(|e| read_fail(file, e))? {
        let Some(record) = data_record(file, record, names.len())? else { continue };
        for &c in &columns {
            values.push(number(file, record.line, &names[c], record.field(c))?);
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(fail(file, None, None, "the file has a header but no data rows"));
    }
    Ok(Array2::from_shape_vec((rows, columns.len()), values).expect("rows × columns"))
}
