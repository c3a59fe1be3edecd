//! Reading a labelled table from CSV. Every problem names the file, the row (lines counted from 1,
//! the header being row 1) and the column.

use super::Dataset;
use crate::error::{Error, Result};
use ndarray::Array2;
use std::io::Read;
use std::path::Path;

pub(super) fn parse(reader: impl Read, file: &Path, label: Option<&str>) -> Result<Dataset> {
    let fail = |row: Option<usize>, column: Option<&str>, why: String| Error::Data {
        file: file.into(),
        row,
        column: column.map(String::from),
        why,
    };
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).trim(csv::Trim::All).from_reader(reader);
    let headers = rdr.headers().map_err(|e| fail(Some(1), None, e.to_string()))?.clone();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(fail(None, None, "the file is empty: a header row and data rows are needed".into()));
    }
    let names: Vec<String> = headers.iter().map(String::from).collect();
    let label_col = match label {
        None => names.len() - 1,
        Some(l) => names
            .iter()
            .position(|n| n == l)
            .ok_or_else(|| fail(Some(1), Some(l), format!("no such column; the columns are {}", names.join(", "))))?,
    };
    if names.len() < 2 {
        return Err(fail(Some(1), None, "a feature column and a label column are needed".into()));
    }
    let feature_names: Vec<String> =
        names.iter().enumerate().filter(|(i, _)| *i != label_col).map(|(_, n)| n.clone()).collect();

    let mut values = Vec::new();
    let mut labels = Vec::new();
    let mut class_names: Vec<String> = Vec::new();
    for (i, record) in rdr.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| fail(Some(row), None, e.to_string()))?;
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        if record.len() != names.len() {
            return Err(fail(
                Some(row),
                None,
                format!("has {} fields but the header has {}", record.len(), names.len()),
            ));
        }
        for (c, field) in record.iter().enumerate() {
            if c == label_col {
                let class = match class_names.iter().position(|n| n == field) {
                    Some(k) => k,
                    None => {
                        class_names.push(field.to_string());
                        class_names.len() - 1
                    }
                };
                labels.push(class);
            } else {
                let v: f64 = field
                    .parse()
                    .map_err(|_| fail(Some(row), Some(&names[c]), format!("'{field}' is not a number")))?;
                if !v.is_finite() {
                    return Err(fail(Some(row), Some(&names[c]), format!("'{field}' is not a finite number")));
                }
                values.push(v);
            }
        }
    }
    if labels.is_empty() {
        return Err(fail(None, None, "the file has a header but no data rows".into()));
    }
    let features = Array2::from_shape_vec((labels.len(), feature_names.len()), values).expect("rows × features");
    Ok(Dataset { features, labels, class_names, feature_names })
}
