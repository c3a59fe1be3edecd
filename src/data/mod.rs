//! The data a model learns from: a table of numeric features and a class label per row.
//!
//! Iris ships inside the binary (`Dataset::iris`); any CSV with a header row reads the same way
//! (`Dataset::from_csv`). Classes keep the order of their first appearance.
//!
//! # Shapes
//! `features`: m×n (m rows, n features); `labels`: m class indices; one-hot targets m×classes.

mod csv_reader;
mod csv_table;
mod npy;
mod scale;
mod split;

pub use scale::{ScaleKind, Scaler};
pub use split::{Split, stratified_split};

use crate::error::{Error, Result, Setting};
use ndarray::Array2;
use rand::Rng;
use std::path::Path;

/// The name `--data` takes for the embedded Iris.
pub const IRIS: &str = "iris";
const IRIS_CSV: &str = include_str!("iris.csv");

/// A table of numeric features with a class per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// m×n.
    pub features: Array2<f64>,
    /// The class index of each row.
    pub labels: Vec<usize>,
    /// Class names, in the order of their first appearance; `labels` index into them.
    pub class_names: Vec<String>,
    /// Feature (column) names, in column order.
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

    /// [`Dataset::from_csv`] from any reader (stdin, a bounded file); `name` is for messages.
    pub fn from_csv_reader(reader: impl std::io::Read, name: &Path, label: Option<&str>) -> Result<Dataset> {
        csv_table::parse(reader, name, label)
    }

    /// CSV text already in memory (an upload to the web page); `name` is for messages.
    pub fn from_csv_bytes(bytes: &[u8], name: &Path, label: Option<&str>) -> Result<Dataset> {
        csv_table::parse(bytes, name, label)
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
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

    /// The same rows with every feature scaled by `scaler`.
    pub fn scaled(&self, scaler: &Scaler) -> Dataset {
        Dataset { features: scaler.transform(&self.features), ..self.clone() }
    }

    /// What training needs beyond a readable table: two classes at least. `source` names the
    /// data in the message.
    pub fn check_trainable(&self, source: &Path) -> Result<()> {
        if self.class_names.len() < 2 {
            let only = self.class_names.first().map_or(String::new(), |c| format!(" ('{c}')"));
            return Err(Error::Data {
                file: source.into(),
                row: None,
                column: None,
                why: format!("every row has the same class{only}: at least two classes are needed to train"),
            });
        }
        Ok(())
    }

    /// Splits the rows into training and test parts (stratified, drawn from `rng`), fits the
    /// scaler on the training rows only, and scales both parts with it. `test_fraction` is in
    /// [0, 1); with 0, or too few rows for any class to give one, there is no test part.
    pub fn prepare<R: Rng + ?Sized>(
        &self,
        test_fraction: f64,
        scale: Option<ScaleKind>,
        rng: &mut R,
    ) -> Result<Prepared> {
        if !(test_fraction.is_finite() && (0.0..1.0).contains(&test_fraction)) {
            return Err(Error::invalid_value(
                Setting::TestFraction,
                test_fraction,
                "must be in [0, 1) (0 trains on every row)",
            ));
        }
        let split = stratified_split(&self.labels, self.class_names.len(), test_fraction, rng);
        let train = self.select(&split.train);
        let test = (!split.test.is_empty()).then(|| self.select(&split.test));
        let scaler = scale.map(|kind| Scaler::fit(kind, &train.features, &train.feature_names)).transpose()?;
        let (train, test) = match &scaler {
            Some(s) => (train.scaled(s), test.map(|t| t.scaled(s))),
            None => (train, test),
        };
        Ok(Prepared { train, test, scaler, split })
    }
}

/// The rows a run trains and tests on, already scaled, and how they were chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The rows to train on.
    pub train: Dataset,
    /// The held-out rows, if the test fraction gave any.
    pub test: Option<Dataset>,
    /// Fitted on `train`'s rows before scaling; `None` for unscaled data.
    pub scaler: Option<Scaler>,
    /// Row indices into the data the parts came from.
    pub split: Split,
}

/// Feature columns of a CSV for prediction: the columns called `names`, in that order (other
/// columns, a label among them, are ignored), or, when no names are known, every column, which
/// must then number `width`.
///
/// # Shapes
/// → m×n, n = `names.len()` or `width`.
pub fn read_features(path: &Path, names: Option<&[String]>, width: usize) -> Result<Array2<f64>> {
    let file = std::fs::File::open(path).map_err(|source| crate::Error::Io { path: path.into(), source })?;
    csv_table::parse_features(file, path, names, width)
}

/// [`read_features`] from any reader (stdin, a bounded file); `name` is for messages.
pub fn read_features_from(
    reader: impl std::io::Read,
    name: &Path,
    names: Option<&[String]>,
    width: usize,
) -> Result<Array2<f64>> {
    csv_table::parse_features(reader, name, names, width)
}

/// m×classes, a 1 at `[i, labels[i]]`.
pub fn one_hot(labels: &[usize], classes: usize) -> Array2<f64> {
    let mut y = Array2::zeros((labels.len(), classes));
    for (i, &c) in labels.iter().enumerate() {
        y[[i, c]] = 1.0;
    }
    y
}
