//! The data a model learns from: a table of numeric features and a class label per row.
//!
//! Iris ships inside the binary (`Dataset::iris`); any CSV with a header row reads the same way
//! (`Dataset::from_csv`). Classes keep the order of their first appearance.
//!
//! # Shapes
//! `features`: m×n (m rows, n features); `labels`: m class indices; one-hot targets m×classes.

mod csv_table;
mod scale;
mod split;

pub use scale::{ScaleKind, Scaler};
pub use split::{Split, stratified_split};

use crate::error::Result;
use ndarray::Array2;
use std::path::Path;

/// The name `--data` takes for the embedded Iris.
pub const IRIS: &str = "iris";
const IRIS_CSV: &str = include_str!("iris.csv");

#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// m×n.
    pub features: Array2<f64>,
    /// The class index of each row.
    pub labels: Vec<usize>,
    pub class_names: Vec<String>,
    pub feature_names: Vec<String>,
}

impl Dataset {
    /// Fisher's Iris as scikit-learn ships it: 150 rows, 4 features, 3 classes.
    pub fn iris() -> Dataset {
        csv_table::parse(IRIS_CSV.as_bytes(), Path::new("iris (embedded)"), None).expect("the embedded Iris parses")
    }

    /// A CSV with a header row; `label` names the class column (default: the last), every other
    /// column must be numeric.
    pub fn from_csv(path: &Path, label: Option<&str>) -> Result<Dataset> {
        let file = std::fs::File::open(path).map_err(|source| crate::Error::Io { path: path.into(), source })?;
        csv_table::parse(file, path, label)
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The rows `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Dataset {
        Dataset {
            features: self.features.select(ndarray::Axis(0), rows),
            labels: rows.iter().map(|&r| self.labels[r]).collect(),
            class_names: self.class_names.clone(),
            feature_names: self.feature_names.clone(),
        }
    }

    /// m×classes, a 1 in each row's class column.
    pub fn one_hot(&self) -> Array2<f64> {
        one_hot(&self.labels, self.class_names.len())
    }

    /// The index of the class called `name`.
    pub fn class_index(&self, name: &str) -> Option<usize> {
        self.class_names.iter().position(|c| c == name)
    }
}

/// m×classes, a 1 at `[i, labels[i]]`.
pub fn one_hot(labels: &[usize], classes: usize) -> Array2<f64> {
    let mut y = Array2::zeros((labels.len(), classes));
    for (i, &c) in labels.iter().enumerate() {
        y[[i, c]] = 1.0;
    }
    y
}
