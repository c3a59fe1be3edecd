//! Reading a table from CSV. Every problem names the file, the row (lines counted from 1, the
//! header being row 1) and the column.

use super::Dataset;
use crate::error::{Error, Result};
use ndarray::Array2;
use std::io::Read;
use std::path::Path;

/// A CSV read whole: its header and its non-blank records with their row numbers, every record
/// as wide as the header.
struct Table {
    names: Vec<String>,
    rows: Vec<(usize, csv::StringRecord)>,
}

fn fail(file: &Path, row: Option<usize>, column: Option<&str>, why: impl Into<String>) -> Error {
    Error::Data { file: file.into(), row, column: column.map(String::from), why: why.into() }
}

fn read_table(reader: impl Read, file: &Path) -> Result<Table> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).trim(csv::Trim::All).from_reader(reader);
    let headers = rdr.headers().map_err(|e| fail(file, Some(1), None, e.to_string()))?.clone();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(fail(file, None, None, "the file is empty: a header row and data rows are needed"));
    }
    let names: Vec<String> = headers.iter().map(String::from).collect();
    if let Some(c) = names.iter().position(String::is_empty) {
        return Err(fail(file, Some(1), None, format!("column {} has no name in the header", c + 1)));
    }
    // Columns are found by name (the label, a model's features), which must then mean one column.
    for (c, name) in names.iter().enumerate() {
        if let Some(first) = names[..c].iter().position(|n| n == name) {
            return Err(fail(
                file,
                Some(1),
                Some(name),
                format!("columns {} and {} both have this name; each column needs its own", first + 1, c + 1),
            ));
        }
    }
    let mut rows = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| {
            let row = e.position().map(|p| p.line() as usize);
            fail(file, row, None, e.to_string())
        })?;
        let row = record.position().map_or(rows.len() + 2, |p| p.line() as usize);
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        if record.len() != names.len() {
            return Err(fail(
                file,
                Some(row),
                None,
                format!("has {} fields but the header has {}", record.len(), names.len()),
            ));
        }
        rows.push((row, record));
    }
    if rows.is_empty() {
        return Err(fail(file, None, None, "the file has a header but no data rows"));
    }
    Ok(Table { names, rows })
}

fn number(file: &Path, row: usize, column: &str, field: &str) -> Result<f64> {
    if field.is_empty() {
        return Err(fail(file, Some(row), Some(column), "the field is empty, a number is needed"));
    }
    let v: f64 =
        field.parse().map_err(|_| fail(file, Some(row), Some(column), format!("'{field}' is not a number")))?;
    if !v.is_finite() {
        return Err(fail(file, Some(row), Some(column), format!("'{field}' is not a finite number")));
    }
    Ok(v)
}

/// A labelled table: `label` names the class column (default: the last), every other column is
/// a numeric feature.
pub(super) fn parse(reader: impl Read, file: &Path, label: Option<&str>) -> Result<Dataset> {
    let Table { names, rows } = read_table(reader, file)?;
    let label_col = match label {
        None => names.len() - 1,
        Some(l) => names.iter().position(|n| n == l).ok_or_else(|| {
            fail(file, Some(1), Some(l), format!("no such column; the columns are {}", names.join(", ")))
        })?,
    };
    if names.len() < 2 {
        return Err(fail(file, Some(1), None, "a feature column and a label column are needed"));
    }
    let feature_names: Vec<String> =
        names.iter().enumerate().filter(|(i, _)| *i != label_col).map(|(_, n)| n.clone()).collect();

    let mut values = Vec::with_capacity(rows.len() * feature_names.len());
    let mut labels = Vec::with_capacity(rows.len());
    let mut class_names: Vec<String> = Vec::new();
    for (row, record) in &rows {
        for (c, field) in record.iter().enumerate() {
            if c == label_col {
                if field.is_empty() {
                    return Err(fail(file, Some(*row), Some(&names[c]), "the label is empty"));
                }
                let class = match class_names.iter().position(|n| n == field) {
                    Some(k) => k,
                    None => {
                        class_names.push(field.to_string());
                        class_names.len() - 1
                    }
                };
                labels.push(class);
            } else {
                values.push(number(file, *row, &names[c], field)?);
            }
        }
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
    let Table { names, rows } = read_table(reader, file)?;
    let columns: Vec<usize> = match wanted {
        Some(wanted) => wanted
            .iter()
            .map(|w| {
                names.iter().position(|n| n == w).ok_or_else(|| {
                    fail(
                        file,
                        Some(1),
                        Some(w),
                        format!("the model needs this column; the file has {}", names.join(", ")),
                    )
                })
            })
            .collect::<Result<_>>()?,
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
    let mut values = Vec::with_capacity(rows.len() * columns.len());
    for (row, record) in &rows {
        for &c in &columns {
            values.push(number(file, *row, &names[c], &record[c])?);
        }
    }
    Ok(Array2::from_shape_vec((rows.len(), columns.len()), values).expect("rows × columns"))
}
