//! Reading a table from CSV. Every problem names the file, the row (lines counted from 1 as a
//! text editor counts them, the header being row 1) and the column.
//!
//! Numbers are parsed from the reader's buffer straight into the matrix (no string per cell):
//! see [`csv_reader`](super::csv_reader) for the format and `benches/csv.rs` for the speed.

use super::csv_reader::{ReadError, Record, Records};
use super::feature_matrix::Number;
use super::{Dataset, FeatureMatrix, TargetColumns, Targets};
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

/// What a column of a data row is for, on the fast path.
#[derive(Clone, Copy)]
enum Column {
    /// A number, stored at this offset of the row's slots.
    Number(usize),
    /// The class label: its bytes are handed back.
    Label,
    /// Not read (a column the model does not use).
    Skip,
}

/// Reads one plain line (no quotes, no spaces around numbers, as wide as `columns`) straight
/// into `row` (one slot per number), returning the label's bytes (empty without a label column);
/// `None` when the line needs the careful path (which then also finds and names any error).
fn fast_row<'a>(raw: &'a [u8], columns: &[Column], row: &mut [f64]) -> Option<&'a [u8]> {
    let mut label: &[u8] = &[];
    let mut i = 0;
    let last = columns.len() - 1;
    for (c, kind) in columns.iter().enumerate() {
        match *kind {
            Column::Number(slot) => {
                let (v, used) = parse_partial(&raw[i..])?;
                if used == 0 || !v.is_finite() {
                    return None;
                }
                row[slot] = v;
                i += used;
            }
            Column::Label | Column::Skip => {
                // A text field ends at the next comma; the last one at the line's end, and a
                // comma there is a field too many, which the careful path names.
                let end = i + memchr::memchr(b',', &raw[i..]).unwrap_or(raw.len() - i);
                if (c == last) != (end == raw.len()) {
                    return None;
                }
                let field = &raw[i..end];
                if memchr::memchr(b'"', field).is_some() {
                    return None;
                }
                if matches!(kind, Column::Label) {
                    label = field.trim_ascii();
                }
                i = end;
            }
        }
        if c < last {
            if raw.get(i) != Some(&b',') {
                return None;
            }
            i += 1;
        } else if i != raw.len() {
            return None;
        }
    }
    Some(label)
}

/// The columns a reader takes from each data row: a number from each of `numbers` (in that
/// order, a column may come twice), the last `trailing` of them kept apart (value targets), and,
/// with `label`, that column's text.
struct Layout<'a> {
    numbers: &'a [usize],
    trailing: usize,
    label: Option<usize>,
}

/// What [`read_rows`] read: the rows' leading numbers (as `T`: features are held in the run's
/// float type) and their trailing ones, each row-major.
struct Rows<T> {
    leading: Vec<T>,
    trailing: Vec<f64>,
    count: usize,
}

/// Every data row after the header, in one loop: each row's numbers are appended to the leading
/// and trailing values, and its label, if the layout has one, is handed to `on_label` with the
/// row's line. A plain line is parsed in place ([`fast_row`]); anything else (quotes, spaces, a
/// field too many or too few, a bad number) is read the careful way, which also names the error.
/// Each row is parsed into a row of float64s, then its leading numbers are appended as `T` (a
/// float32 run's features are rounded as they are read, never held as float64) and its trailing
/// ones as they are: the table is never held twice.
fn read_rows<R: Read, T: Number>(
    records: &mut Records<R>,
    file: &Path,
    names: &[String],
    layout: Layout,
    mut on_label: impl FnMut(usize, &[u8]) -> Result<()>,
) -> Result<Rows<T>> {
    let width = layout.numbers.len();
    let mut kinds = vec![Column::Skip; names.len()];
    for (slot, &c) in layout.numbers.iter().enumerate() {
        kinds[c] = Column::Number(slot);
    }
    if let Some(l) = layout.label {
        kinds[l] = Column::Label;
    }
    // A column asked for twice is read the careful way (the fast path fills one slot a column).
    let distinct = layout.numbers.iter().collect::<std::collections::HashSet<_>>().len() == width;
    let fast_ok = distinct && layout.label.is_none_or(|l| !layout.numbers.contains(&l));
    let lead = width - layout.trailing;
    let (mut leading, mut trailing, mut rows) = (Vec::new(), Vec::new(), 0);
    let mut values = vec![0.0; width];
    loop {
        let line = records.line();
        let fast = match records.peek_line().map_err(|e| read_fail(file, e))? {
            None => break,
            Some(raw) if fast_ok && !raw.is_empty() => match fast_row(raw, &kinds, &mut values) {
                Some(label) => {
                    if layout.label.is_some() {
                        on_label(line, label)?;
                    }
                    true
                }
                None => false,
            },
            Some(_) => false,
        };
        if fast {
            records.consume_line();
        } else {
            let Some(record) = records.next_record().map_err(|e| read_fail(file, e))? else { break };
            let Some(record) = data_record(file, record, names.len())? else { continue };
            for (slot, &c) in values.iter_mut().zip(layout.numbers) {
                *slot = number(file, record.line, &names[c], record.field(c))?;
            }
            if let Some(l) = layout.label {
                on_label(record.line, record.field(l))?;
            }
        }
        leading.extend(values[..lead].iter().map(|&v| T::rounded_from(v)));
        trailing.extend_from_slice(&values[lead..]);
        rows += 1;
    }
    if rows == 0 {
        return Err(fail(file, None, None, "the file has a header but no data rows"));
    }
    Ok(Rows { leading, trailing, count: rows })
}

/// 10⁰ … 10¹⁵, each exact in f64.
const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/// The number at the start of `bytes` and how many bytes it took. A plain decimal of at most 15
/// digits (`-0.123456`, `42`) is m / 10^k with m < 2⁵³ and 10^k ≤ 10¹⁵, both exact in f64, so
/// one IEEE division rounds it correctly (Clinger's fast path, as every correct parser takes);
/// anything else goes to `fast_float2`.
fn parse_partial(bytes: &[u8]) -> Option<(f64, usize)> {
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    let (mut m, mut digits, mut frac) = (0u64, 0usize, 0usize);
    while let Some(&b) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
        m = m * 10 + u64::from(b - b'0');
        digits += 1;
        i += 1;
        if digits > 15 {
            return fallback(bytes);
        }
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&b) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
            m = m * 10 + u64::from(b - b'0');
            digits += 1;
            frac += 1;
            i += 1;
            if digits > 15 {
                return fallback(bytes);
            }
        }
    }
    match bytes.get(i) {
        _ if digits == 0 => fallback(bytes),
        Some(b'e' | b'E' | b'_' | b'+' | b'-' | b'.') => fallback(bytes),
        Some(b) if b.is_ascii_alphanumeric() => fallback(bytes),
        _ => {
            let v = m as f64 / POW10[frac];
            Some((if bytes[0] == b'-' { -v } else { v }, i))
        }
    }
}

fn fallback(bytes: &[u8]) -> Option<(f64, usize)> {
    fast_float2::parse_partial::<f64, _>(bytes).ok()
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

/// Class names in order of first appearance, and a name's index found without a string made.
#[derive(Default)]
struct Classes {
    names: Vec<String>,
    index_of: HashMap<String, usize>,
}

impl Classes {
    fn index(&mut self, file: &Path, row: usize, column: &str, label: &[u8]) -> Result<usize> {
        let name = text(file, row, Some(column), label)?;
        if let Some(&k) = self.index_of.get(name) {
            return Ok(k);
        }
        self.names.push(name.to_string());
        self.index_of.insert(name.to_string(), self.names.len() - 1);
        Ok(self.names.len() - 1)
    }
}

/// A table with targets: the columns `targets` names, every other column a numeric feature,
/// held as `T` (float64, or float32 for an f32 run).
pub(super) fn parse<T: Number>(reader: impl Read, file: &Path, targets: &TargetColumns) -> Result<Dataset>
where
    FeatureMatrix: From<Array2<T>>,
{
    match targets {
        TargetColumns::Class(label) => parse_classes::<T>(reader, file, label.as_deref()),
        TargetColumns::Values(columns) => parse_values::<T>(reader, file, columns),
    }
}

/// The index of the column called `name`, or an error listing the columns there are.
fn column(file: &Path, names: &[String], name: &str) -> Result<usize> {
    names.iter().position(|n| n == name).ok_or_else(|| {
        let why = format!("no such column; the columns are {}", quoted(&names.join(", ")));
        fail(file, Some(1), Some(name), why)
    })
}

/// A labelled table: `label` names the class column (default: the last), every other column is
/// a numeric feature.
fn parse_classes<T: Number>(reader: impl Read, file: &Path, label: Option<&str>) -> Result<Dataset>
where
    FeatureMatrix: From<Array2<T>>,
{
    let (names, mut records) = read_header(reader, file)?;
    let label_col = match label {
        None => names.len() - 1,
        Some(l) => column(file, &names, l)?,
    };
    if names.len() < 2 {
        return Err(fail(file, Some(1), None, "a feature column and a label column are needed"));
    }
    if looks_headerless(&names) {
        return Err(fail(file, Some(1), None, HEADERLESS));
    }
    let feature_names: Vec<String> =
        names.iter().enumerate().filter(|(i, _)| *i != label_col).map(|(_, n)| n.clone()).collect();

    let numbers: Vec<usize> = (0..names.len()).filter(|&c| c != label_col).collect();
    let mut labels = Vec::new();
    let mut classes = Classes::default();
    let label_name = &names[label_col];
    let layout = Layout { numbers: &numbers, trailing: 0, label: Some(label_col) };
    let rows = read_rows::<_, T>(&mut records, file, &names, layout, |row, field| {
        if field.is_empty() {
            return Err(fail(file, Some(row), Some(label_name), "the label is empty"));
        }
        labels.push(classes.index(file, row, label_name, field)?);
        Ok(())
    })?;
    let features = Array2::from_shape_vec((rows.count, feature_names.len()), rows.leading).expect("rows × features");
    Ok(Dataset { features: features.into(), feature_names, target: Targets::Classes { labels, names: classes.names } })
}

/// A regression table: the numeric columns `wanted` (default: the last) are the targets, in that
/// order, and every other column a numeric feature.
fn parse_values<T: Number>(reader: impl Read, file: &Path, wanted: &[String]) -> Result<Dataset>
where
    FeatureMatrix: From<Array2<T>>,
{
    let (names, mut records) = read_header(reader, file)?;
    let target_cols: Vec<usize> = if wanted.is_empty() {
        vec![names.len() - 1]
    } else {
        wanted.iter().map(|w| column(file, &names, w)).collect::<Result<_>>()?
    };
    if let Some(i) = (1..target_cols.len()).find(|&i| target_cols[..i].contains(&target_cols[i])) {
        return Err(fail(file, Some(1), Some(&names[target_cols[i]]), "the column is named twice as a target"));
    }
    if names.len() <= target_cols.len() {
        return Err(fail(file, Some(1), None, "a feature column is needed beside the target columns"));
    }
    if looks_headerless(&names) {
        return Err(fail(file, Some(1), None, HEADERLESS));
    }
    let feature_cols: Vec<usize> = (0..names.len()).filter(|c| !target_cols.contains(c)).collect();
    let (n, k) = (feature_cols.len(), target_cols.len());
    // One slot per column of a row: the features first, then the targets in the order asked for.
    let numbers: Vec<usize> = feature_cols.iter().chain(&target_cols).copied().collect();
    let layout = Layout { numbers: &numbers, trailing: k, label: None };
    let rows = read_rows::<_, T>(&mut records, file, &names, layout, |_, _| Ok(()))?;
    Ok(Dataset {
        features: Array2::from_shape_vec((rows.count, n), rows.leading).expect("rows × features").into(),
        feature_names: feature_cols.iter().map(|&c| names[c].clone()).collect(),
        target: Targets::Values {
            values: Array2::from_shape_vec((rows.count, k), rows.trailing).expect("rows × targets"),
            names: target_cols.iter().map(|&c| names[c].clone()).collect(),
        },
    })
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
    let layout = Layout { numbers: &columns, trailing: 0, label: None };
    let rows = read_rows::<_, f64>(&mut records, file, &names, layout, |_, _| Ok(()))?;
    Ok(Array2::from_shape_vec((rows.count, columns.len()), rows.leading).expect("rows × columns"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn the_fast_path_rounds_as_the_standard_parser_does() {
        // Every shape the fast path takes (up to 15 digits, any split), against std's parser.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
        for _ in 0..200_000 {
            let digits = rng.random_range(1..=15usize);
            let m: u64 = rng.random_range(0..10u64.pow(digits as u32));
            let frac = rng.random_range(0..=digits);
            let text = format!("{:0width$}", m, width = digits);
            let text = if frac == 0 { text } else { format!("{}.{}", &text[..digits - frac], &text[digits - frac..]) };
            let text = if rng.random::<bool>() { format!("-{text}") } else { text };
            let want: f64 = text.parse().unwrap();
            let (got, used) = parse_partial(format!("{text},").as_bytes()).unwrap();
            assert_eq!((got.to_bits(), used), (want.to_bits(), text.len()), "{text}");
        }
        // What it leaves to fast_float2: exponents, long mantissas, words.
        for text in ["1e5", "0.1234567890123456789", "inf", "-nan", "1.5E-3", "12345678901234567"] {
            let want = text.parse::<f64>().ok();
            assert_eq!(parse_partial(text.as_bytes()).map(|(v, _)| v.to_bits()), want.map(f64::to_bits), "{text}");
        }
        // "1.x": the plain digits end at 'x', so fast_float2 reads the number 1 from two bytes.
        assert_eq!(parse_partial(b"1.x"), Some((1.0, 2)));
        assert_eq!(parse_partial(b""), None);
        assert_eq!(parse_partial(b"-"), None);
        assert_eq!(parse_partial(b"."), None);
    }
}
