//! The data a model learns from: a table of numeric features and, per row, a target: a class
//! (classification) or a vector of real numbers (regression, e.g. `--label a,b`).
//!
//! Iris ships inside the binary (`Dataset::iris`); any CSV with a header row reads the same way
//! (`Dataset::from_csv`). Classes keep the order of their first appearance.
//!
//! # Shapes
//! `features`: m×n (m rows, n features); classes: m indices, taken one-hot as m×classes;
//! values: m×k. Either way the targets the loss reads are m×[`Targets::width`].

mod csv_reader;
mod csv_table;
mod feature_matrix;
mod features;
mod npy;
mod scale;
mod split;
mod toy;

pub use feature_matrix::{FeatureMatrix, Number};
pub use features::{Features, MAX_POWER};
pub use npy::{Hold, NumpyLimits};
pub use scale::{ScaleKind, Scaler};
pub use split::{Split, stratified_split};
pub use toy::{DEFAULT_POINTS, MAX_NOISE, MAX_POINTS, TOY_NAMES, Toy};

use crate::error::{Error, Result, Setting};
use ndarray::Array2;
use rand::Rng;
use std::path::Path;

/// The name `--data` takes for the embedded Iris.
pub const IRIS: &str = "iris";
const IRIS_CSV: &str = include_str!("iris.csv");

/// A table of numeric features with a target per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// m×n, held in memory (float64 or float32) or read from a memory-mapped file.
    pub features: FeatureMatrix,
    /// Feature (column) names, in column order.
    pub feature_names: Vec<String>,
    /// What each row should give.
    pub target: Targets,
}

/// What rows should give, with the names of what they give: the one spelling of "classes or
/// values" in the library. A table's rows, a batch of a training run, the samples of an
/// explanation and a training step all hold their targets as this. Which one a table has decides
/// what training can measure: accuracy and a confusion matrix need classes, cross-entropy needs
/// classes, and values are learned with the quadratic loss.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// A class per row.
    Classes {
        /// The class index of each row.
        labels: Vec<usize>,
        /// Class names, in the order of their first appearance; `labels` index into them.
        names: Vec<String>,
    },
    /// A vector of real numbers per row (regression).
    Values {
        /// m×k, a row per sample.
        values: Array2<f64>,
        /// The k target columns' names.
        names: Vec<String>,
    },
}

/// Which kind of target: what `train --targets` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A class per row.
    Classes,
    /// Real numbers per row.
    Values,
}

impl Targets {
    /// Classes known only by their number: class c is called "c" (as a numpy file's integer
    /// labels are), for `k` classes.
    pub fn numbered(labels: Vec<usize>, k: usize) -> Targets {
        Targets::Classes { labels, names: (0..k).map(|c| c.to_string()).collect() }
    }

    /// Values whose columns have no names of their own: column j is called "y{j}" (as a numpy
    /// file's are).
    pub fn unnamed_values(values: Array2<f64>) -> Targets {
        let names = (0..values.ncols()).map(|j| format!("y{j}")).collect();
        Targets::Values { values, names }
    }

    /// "3 classes" or "2 target values", for messages about a model's outputs.
    pub fn phrase(&self) -> String {
        match self {
            Targets::Classes { names, .. } => format!("{} classes", names.len()),
            Targets::Values { names, .. } if names.len() == 1 => "1 target value".to_string(),
            Targets::Values { names, .. } => format!("{} target values", names.len()),
        }
    }

    /// The model's output width these targets need: the classes, or the value columns.
    pub fn width(&self) -> usize {
        self.names().len()
    }

    /// The class names, or the value columns' names.
    pub fn names(&self) -> &[String] {
        match self {
            Targets::Classes { names, .. } | Targets::Values { names, .. } => names,
        }
    }

    /// Which kind.
    pub fn kind(&self) -> TargetKind {
        match self {
            Targets::Classes { .. } => TargetKind::Classes,
            Targets::Values { .. } => TargetKind::Values,
        }
    }

    /// The class of each row; `None` for values.
    pub fn labels(&self) -> Option<&[usize]> {
        match self {
            Targets::Classes { labels, .. } => Some(labels),
            Targets::Values { .. } => None,
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        match self {
            Targets::Classes { labels, .. } => labels.len(),
            Targets::Values { values, .. } => values.nrows(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// m×k: classes one-hot, values as they are.
    pub fn matrix(&self) -> Array2<f64> {
        match self {
            Targets::Classes { labels, names } => one_hot(labels, names.len()),
            Targets::Values { values, .. } => values.clone(),
        }
    }

    /// The rows `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Targets {
        match self {
            Targets::Classes { labels, names } => {
                Targets::Classes { labels: rows.iter().map(|&r| labels[r]).collect(), names: names.clone() }
            }
            Targets::Values { values, names } => {
                Targets::Values { values: values.select(ndarray::Axis(0), rows), names: names.clone() }
            }
        }
    }
}

/// Which columns of a CSV are its targets, and how they are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetColumns {
    /// One column of class names (`None`: the last column).
    Class(Option<String>),
    /// Numeric columns, one target each (empty: the last column).
    Values(Vec<String>),
}

impl Default for TargetColumns {
    /// The last column, as classes.
    fn default() -> Self {
        TargetColumns::Class(None)
    }
}

impl TargetColumns {
    /// The kind of target these columns give, known before any row is read.
    pub fn kind(&self) -> TargetKind {
        match self {
            TargetColumns::Class(_) => TargetKind::Classes,
            TargetColumns::Values(_) => TargetKind::Values,
        }
    }

    /// From `--label` (a column, or several separated by commas) and `--targets`: one column is
    /// a class unless `kind` says values; several are values, and cannot be classes.
    pub fn new(label: Option<&str>, kind: Option<TargetKind>) -> Result<TargetColumns> {
        let names: Vec<String> = match label {
            None => Vec::new(),
            Some(list) => list.split(',').map(|n| n.trim().to_string()).collect(),
        };
        if names.iter().any(String::is_empty) {
            return Err(Error::invalid_value(
                Setting::Label,
                label.unwrap_or_default(),
                "a column name is empty (name the target columns separated by commas: a,b)",
            ));
        }
        match (kind, names.len()) {
            (Some(TargetKind::Values), _) => Ok(TargetColumns::Values(names)),
            (_, 0) => Ok(TargetColumns::Class(None)),
            (_, 1) => Ok(TargetColumns::Class(names.into_iter().next())),
            (None, _) => Ok(TargetColumns::Values(names)),
            (Some(TargetKind::Classes), _) => Err(Error::invalid_value(
                Setting::Label,
                label.unwrap_or_default(),
                "classes come from one column; several target columns are values (regression)",
            )),
        }
    }
}

impl Dataset {
    /// Fisher's Iris as scikit-learn ships it: 150 rows, 4 features, 3 classes.
    pub fn iris() -> Dataset {
        csv_table::parse::<f64>(IRIS_CSV.as_bytes(), Path::new("iris (embedded)"), &TargetColumns::default())
            .expect("the embedded Iris parses")
    }

    /// A CSV with a header row; `targets` names the target columns (by default the last, as a
    /// class), every other column must be numeric.
    pub fn from_csv(path: &Path, targets: &TargetColumns) -> Result<Dataset> {
        let file = std::fs::File::open(path).map_err(|source| crate::Error::Io { path: path.into(), source })?;
        csv_table::parse::<f64>(file, path, targets)
    }

    /// [`Dataset::from_csv`] from any reader (stdin, a bounded file); `name` is for messages.
    pub fn from_csv_reader(reader: impl std::io::Read, name: &Path, targets: &TargetColumns) -> Result<Dataset> {
        csv_table::parse::<f64>(reader, name, targets)
    }

    /// [`Dataset::from_csv_reader`], the features held as `hold` says: as float32 for an f32
    /// hold (each number rounded as its row is read: an f32 run never holds the table as
    /// float64), else as float64 (a CSV is never mapped).
    pub fn from_csv_reader_held(
        reader: impl std::io::Read,
        name: &Path,
        targets: &TargetColumns,
        hold: Hold,
    ) -> Result<Dataset> {
        if hold.is_f32() {
            csv_table::parse::<f32>(reader, name, targets)
        } else {
            csv_table::parse::<f64>(reader, name, targets)
        }
    }

    /// CSV text already in memory (an upload to the web page); `name` is for messages.
    pub fn from_csv_bytes(bytes: &[u8], name: &Path, targets: &TargetColumns) -> Result<Dataset> {
        csv_table::parse::<f64>(bytes, name, targets)
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.features.nrows()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The class of each row; `None` when the targets are values.
    pub fn labels(&self) -> Option<&[usize]> {
        self.target.labels()
    }

    /// The class names (`None` for values): what a classifier's outputs are called.
    pub fn class_names(&self) -> Option<&[String]> {
        match &self.target {
            Targets::Classes { names, .. } => Some(names),
            Targets::Values { .. } => None,
        }
    }

    /// The rows `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Dataset {
        Dataset {
            features: self.features.select(rows),
            feature_names: self.feature_names.clone(),
            target: self.target.select(rows),
        }
    }

    /// m×k targets as the loss reads them: classes one-hot, values as they are.
    pub fn targets(&self) -> Array2<f64> {
        self.target.matrix()
    }

    /// The index of the class called `name`; `None` also for values.
    pub fn class_index(&self, name: &str) -> Option<usize> {
        self.class_names()?.iter().position(|c| c == name)
    }

    /// The same rows with every feature scaled by `scaler`.
    pub fn scaled(&self, scaler: &Scaler) -> Dataset {
        let mut scaled = self.clone();
        scaled.scale_in_place(scaler);
        scaled
    }

    /// What training needs beyond a readable table: two classes at least (values need nothing
    /// more). `source` names the data in the message.
    pub fn check_trainable(&self, source: &Path) -> Result<()> {
        if let Some(names) = self.class_names()
            && names.len() < 2
        {
            let only = names.first().map_or(String::new(), |c| format!(" ('{c}')"));
            return Err(Error::Data {
                file: source.into(),
                row: None,
                column: None,
                why: format!("every row has the same class{only}: at least two classes are needed to train"),
            });
        }
        Ok(())
    }

    /// Splits the rows into training and test parts (stratified by class, or for values at
    /// random, drawn from `rng`), fits the scaler on the training rows only, and scales both
    /// parts' features with it (value targets are not scaled: the loss reads them as given).
    /// `test_fraction` is in [0, 1); with 0, or too few rows for any class to give one, there
    /// is no test part.
    pub fn prepare<R: Rng + ?Sized>(
        &self,
        test_fraction: f64,
        scale: Option<ScaleKind>,
        rng: &mut R,
    ) -> Result<Prepared> {
        let split = self.split(test_fraction, rng)?;
        let test = (!split.test.is_empty()).then(|| self.select(&split.test));
        Prepared::scaled(self.select(&split.train), test, scale, split)
    }

    /// [`Dataset::prepare`], taking the data: the training part is the data's own buffer (all of
    /// it when there is no test part; else its rows permuted in place, the test rows moved out of
    /// its end as it shrinks), scaled in place. A large data set is never held twice; a
    /// memory-mapped one is never copied at all (each part is a list of row indices over the map).
    pub fn into_prepared<R: Rng + ?Sized>(
        self,
        test_fraction: f64,
        scale: Option<ScaleKind>,
        rng: &mut R,
    ) -> Result<Prepared> {
        let split = self.split(test_fraction, rng)?;
        if split.test.is_empty() {
            return Prepared::scaled(self, None, scale, split);
        }
        let Dataset { features, feature_names, target } = self;
        let (train, test) = features.split_rows(&split.train, &split.test);
        let train =
            Dataset { features: train, feature_names: feature_names.clone(), target: target.select(&split.train) };
        let test = Dataset { features: test, feature_names, target: target.select(&split.test) };
        Prepared::scaled(train, Some(test), scale, split)
    }

    /// The stratified split of [`Dataset::prepare`].
    fn split<R: Rng + ?Sized>(&self, test_fraction: f64, rng: &mut R) -> Result<Split> {
        if !(test_fraction.is_finite() && (0.0..1.0).contains(&test_fraction)) {
            return Err(Error::invalid_value(
                Setting::TestFraction,
                test_fraction,
                "must be in [0, 1) (0 trains on every row)",
            ));
        }
        Ok(match &self.target {
            Targets::Classes { labels, names } => stratified_split(labels, names.len(), test_fraction, rng),
            // Values have no strata: one stratum, every row, split at random.
            Targets::Values { .. } => stratified_split(&vec![0; self.len()], 1, test_fraction, rng),
        })
    }

    /// Scales the features by `scaler`, in place (over a memory map: as rows are read).
    pub fn scale_in_place(&mut self, scaler: &Scaler) {
        self.features.scale(scaler);
    }
}

impl Prepared {
    /// The parts, with the scaler of `scale` fitted on `train` and applied to both in place.
    fn scaled(
        mut train: Dataset,
        mut test: Option<Dataset>,
        scale: Option<ScaleKind>,
        split: Split,
    ) -> Result<Prepared> {
        let scaler = scale.map(|kind| Scaler::fit_features(kind, &train.features, &train.feature_names)).transpose()?;
        if let Some(s) = &scaler {
            train.scale_in_place(s);
            test.iter_mut().for_each(|t| t.scale_in_place(s));
        }
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

/// m×classes, a 1 at `[i, labels[i]]`: classes as the loss reads them. The one one-hot of the
/// library ([`Targets::matrix`] calls it).
pub fn one_hot(labels: &[usize], classes: usize) -> Array2<f64> {
    let mut y = Array2::zeros((labels.len(), classes));
    for (mut row, &c) in y.rows_mut().into_iter().zip(labels) {
        row[c] = 1.0;
    }
    y
}
