//! numpy input: features from a `.npy` file (2-D, float64 or float32) and targets from
//! another, or both from one `.npz` archive (arrays `x` and `y`). The numbers are read as
//! stored, without parsing text. Class labels are 1-D integers and keep numpy's values as class
//! names, in ascending order: label value v is the v-th smallest distinct label. Value targets
//! (regression) are floats, 1-D (one target) or 2-D (a column per target), named y0, y1, ….

use super::{Dataset, Target, TargetKind};
use crate::error::{Error, Result};
use ndarray::{Array1, Array2};
use ndarray_npy::{NpzReader, ReadNpyExt};
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

fn bad(path: &Path, why: impl Into<String>) -> Error {
    at(path, None, None, why)
}

/// A problem at a place in a numpy file: `row` and `column` count from 1 (a `.npy` has no header
/// row, so row 1 is the first sample).
fn at(path: &Path, row: Option<usize>, column: Option<usize>, why: impl Into<String>) -> Error {
    Error::Data { file: path.into(), row, column: column.map(|c| c.to_string()), why: why.into() }
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| Error::Io { path: path.into(), source })
}

/// The product of the `shape` in a `.npy` header, read before anything is allocated, so a file
/// whose header claims more numbers than it holds is refused instead of allocated for.
fn declared_len(path: &Path, file: &mut File) -> Result<u64> {
    let mut head = [0u8; 10];
    file.read_exact(&mut head).map_err(|_| bad(path, "not a .npy file (too short)"))?;
    if &head[..6] != b"\x93NUMPY" {
        return Err(bad(path, "not a .npy file (no \\x93NUMPY magic)"));
    }
    let len = match head[6] {
        1 => u16::from_le_bytes([head[8], head[9]]) as usize,
        _ => {
            let mut more = [0u8; 2];
            file.read_exact(&mut more).map_err(|_| bad(path, "truncated .npy header"))?;
            u32::from_le_bytes([head[8], head[9], more[0], more[1]]) as usize
        }
    };
    if len > 1 << 20 {
        return Err(bad(path, format!("a .npy header of {len} bytes")));
    }
    let mut text = vec![0u8; len];
    file.read_exact(&mut text).map_err(|_| bad(path, "truncated .npy header"))?;
    let text = String::from_utf8_lossy(&text);
    let shape = text
        .split_once("'shape':")
        .and_then(|(_, rest)| rest.split_once('(').and_then(|(_, r)| r.split_once(')')))
        .map(|(inside, _)| inside)
        .ok_or_else(|| bad(path, "the .npy header has no shape"))?;
    let mut n: u64 = 1;
    for dim in shape.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let d: u64 = dim.parse().map_err(|_| bad(path, format!("shape entry '{dim}'")))?;
        n = n.checked_mul(d).ok_or_else(|| bad(path, "the shape's size overflows"))?;
    }
    file.rewind().map_err(|source| Error::Io { path: path.into(), source })?;
    Ok(n)
}

/// Reads a `.npy` array as the first of the element types that fits its descriptor, after
/// checking that the file holds as many bytes as its header promises.
fn read_checked<T: ReadNpyExt>(path: &Path, item: u64) -> Result<std::result::Result<T, String>> {
    let mut file = open(path)?;
    let n = declared_len(path, &mut file)?;
    let size = file.metadata().map_err(|source| Error::Io { path: path.into(), source })?.len();
    if n.saturating_mul(item) > size {
        return Err(bad(path, format!("the header declares {n} numbers but the file has {size} bytes")));
    }
    Ok(T::read_npy(std::io::BufReader::new(file)).map_err(|e| e.to_string()))
}

fn features_npy(path: &Path) -> Result<Array2<f64>> {
    // f32 is only tried when f64 does not fit the descriptor; the size check uses the smaller item.
    match read_checked::<Array2<f64>>(path, 4)? {
        Ok(x) => Ok(x),
        Err(_) => match read_checked::<Array2<f32>>(path, 4)? {
            Ok(x) => Ok(x.mapv(f64::from)),
            Err(e) => Err(bad(path, format!("features must be a 2-D float64 or float32 array: {e}"))),
        },
    }
}

fn labels_npy(path: &Path) -> Result<Vec<i64>> {
    if let Ok(y) = read_checked::<Array1<i64>>(path, 1)? {
        return Ok(y.to_vec());
    }
    if let Ok(y) = read_checked::<Array1<i32>>(path, 1)? {
        return Ok(y.iter().map(|&v| v as i64).collect());
    }
    if let Ok(y) = read_checked::<Array1<u8>>(path, 1)? {
        return Ok(y.iter().map(|&v| v as i64).collect());
    }
    match read_checked::<Array1<f64>>(path, 1)? {
        Ok(y) => y
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if v.fract() == 0.0 && v.abs() < 2f64.powi(53) {
                    Ok(v as i64)
                } else {
                    Err(at(path, Some(i + 1), None, format!("{v} is not a class number")))
                }
            })
            .collect(),
        Err(e) => {
            Err(bad(path, format!("labels must be a 1-D integer array (int64, int32, uint8) or whole float64s: {e}")))
        }
    }
}

/// Value targets: a 2-D float array (n×k), or a 1-D one taken as one column.
fn values_npy(path: &Path) -> Result<Array2<f64>> {
    if let Ok(y) = read_checked::<Array2<f64>>(path, 4)? {
        return Ok(y);
    }
    if let Ok(y) = read_checked::<Array2<f32>>(path, 4)? {
        return Ok(y.mapv(f64::from));
    }
    if let Ok(y) = read_checked::<Array1<f64>>(path, 4)? {
        return Ok(y.insert_axis(ndarray::Axis(1)));
    }
    match read_checked::<Array1<f32>>(path, 4)? {
        Ok(y) => Ok(y.mapv(f64::from).insert_axis(ndarray::Axis(1))),
        Err(e) => Err(bad(path, format!("value targets must be a 1-D or 2-D float64 or float32 array: {e}"))),
    }
}

/// Value targets from an archive's array `y`, as [`values_npy`] reads them.
fn values_npz<R: Read + Seek>(npz: &mut NpzReader<R>, path: &Path) -> Result<Array2<f64>> {
    let names = &["y", "labels"];
    if let Ok(y) = npz_array::<_, f64, ndarray::Ix2>(npz, path, names)? {
        return Ok(y);
    }
    if let Ok(y) = npz_array::<_, f32, ndarray::Ix2>(npz, path, names)? {
        return Ok(y.mapv(f64::from));
    }
    if let Ok(y) = npz_array::<_, f64, ndarray::Ix1>(npz, path, names)? {
        return Ok(y.insert_axis(ndarray::Axis(1)));
    }
    match npz_array::<_, f32, ndarray::Ix1>(npz, path, names)? {
        Ok(y) => Ok(y.mapv(f64::from).insert_axis(ndarray::Axis(1))),
        Err(e) => Err(bad(path, format!("array y must be 1-D or 2-D float64 or float32 for value targets: {e}"))),
    }
}

/// Integer class labels from an archive's array `y`.
fn labels_npz<R: Read + Seek>(npz: &mut NpzReader<R>, path: &Path) -> Result<Vec<i64>> {
    match npz_array::<_, i64, ndarray::Ix1>(npz, path, &["y", "labels"])? {
        Ok(y) => Ok(y.to_vec()),
        Err(_) => Ok(npz_array::<_, i32, ndarray::Ix1>(npz, path, &["y", "labels"])?
            .map_err(|e| bad(path, format!("array y must be 1-D int64 or int32: {e}")))?
            .iter()
            .map(|&v| v as i64)
            .collect()),
    }
}

/// What a file's `y` holds, read by kind.
enum Ys {
    Classes(Vec<i64>),
    Values(Array2<f64>),
}

fn npz_array<R: Read + Seek, T: ndarray_npy::ReadableElement, D: ndarray::Dimension>(
    npz: &mut NpzReader<R>,
    path: &Path,
    names: &[&str],
) -> Result<std::result::Result<ndarray::Array<T, D>, String>> {
    let present = npz.names().map_err(|e| bad(path, e.to_string()))?;
    let name =
        names.iter().flat_map(|n| [n.to_string(), format!("{n}.npy")]).find(|n| present.contains(n)).ok_or_else(
            || bad(path, format!("the archive has no array {} (it has {})", names.join(" or "), present.join(", "))),
        )?;
    Ok(npz.by_name::<ndarray::OwnedRepr<T>, D>(&name).map_err(|e| e.to_string()))
}

impl Dataset {
    /// Features from `data` (`.npy`, n×f) and targets of `kind` from `labels` (`.npy`), or
    /// both from a `.npz` archive `data` holding `x` and `y` (then `labels` is `None`).
    pub fn from_npy(data: &Path, labels: Option<&Path>, kind: TargetKind) -> Result<Dataset> {
        let is_npz = data.extension().is_some_and(|e| e.eq_ignore_ascii_case("npz"));
        let (features, ys) = if is_npz {
            if labels.is_some() {
                return Err(bad(data, "a .npz archive holds its labels (array y): drop --labels"));
            }
            let mut npz = NpzReader::new(open(data)?).map_err(|e| bad(data, e.to_string()))?;
            let x = match npz_array::<_, f64, ndarray::Ix2>(&mut npz, data, &["x", "X"])? {
                Ok(x) => x,
                Err(_) => npz_array::<_, f32, ndarray::Ix2>(&mut npz, data, &["x", "X"])?
                    .map_err(|e| bad(data, format!("array x must be 2-D float64 or float32: {e}")))?
                    .mapv(f64::from),
            };
            let y = match kind {
                TargetKind::Classes => Ys::Classes(labels_npz(&mut npz, data)?),
                TargetKind::Values => Ys::Values(values_npz(&mut npz, data)?),
            };
            (x, y)
        } else {
            let labels = labels.ok_or_else(|| bad(data, "a .npy of features needs --labels y.npy"))?;
            let y = match kind {
                TargetKind::Classes => Ys::Classes(labels_npy(labels)?),
                TargetKind::Values => Ys::Values(values_npy(labels)?),
            };
            (features_npy(data)?, y)
        };
        let (rows, what) = match &ys {
            Ys::Classes(labels) => (labels.len(), "labels"),
            Ys::Values(values) => (values.nrows(), "rows of targets"),
        };
        if features.nrows() != rows {
            return Err(bad(data, format!("{} rows of features but {rows} {what}", features.nrows())));
        }
        if let Some((i, j)) = features.indexed_iter().find(|(_, v)| !v.is_finite()).map(|(ij, _)| ij) {
            return Err(at(data, Some(i + 1), Some(j + 1), "not a finite number"));
        }
        let target = match ys {
            Ys::Classes(values) => {
                let mut distinct = values.clone();
                distinct.sort_unstable();
                distinct.dedup();
                let labels = values.iter().map(|v| distinct.binary_search(v).expect("a label it holds")).collect();
                Target::Classes { labels, names: distinct.iter().map(|v| v.to_string()).collect() }
            }
            Ys::Values(values) => {
                if let Some((i, j)) = values.indexed_iter().find(|(_, v)| !v.is_finite()).map(|(ij, _)| ij) {
                    let file = labels.unwrap_or(data);
                    return Err(at(file, Some(i + 1), Some(j + 1), "the target is not a finite number"));
                }
                let names = (0..values.ncols()).map(|j| format!("y{j}")).collect();
                Target::Values { values: values.as_standard_layout().into_owned(), names }
            }
        };
        // Row-major and contiguous (a Fortran-ordered file is laid out again once).
        let features =
            if features.is_standard_layout() { features } else { features.as_standard_layout().into_owned() };
        Ok(Dataset { feature_names: (0..features.ncols()).map(|j| format!("x{j}")).collect(), features, target })
    }
}
