//! Feature scaling, fitted on the training rows only and stored with a saved model so prediction
//! scales new rows the same way.

use super::feature_matrix::{FeatureMatrix, Number};
use crate::error::{Error, Result, Setting, shape};
use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

/// How features are scaled before training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleKind {
    /// (x − mean) / population standard deviation, as scikit-learn's StandardScaler.
    Standard,
    /// (x − min) / (max − min), as scikit-learn's MinMaxScaler.
    Minmax,
}

impl ScaleKind {
    /// The scalings by name, `none` last (the features as they are).
    pub const NAMES: [&str; 3] = ["standard", "minmax", "none"];

    /// The scaling called `name`, one of [`ScaleKind::NAMES`]; `None` for `none`.
    pub fn from_name(name: &str) -> Result<Option<ScaleKind>> {
        match name {
            "standard" => Ok(Some(ScaleKind::Standard)),
            "minmax" => Ok(Some(ScaleKind::Minmax)),
            "none" => Ok(None),
            other => Err(Error::invalid_value(
                Setting::Scale,
                format!("'{other}'"),
                format!("not a scaling ({})", ScaleKind::NAMES.join(", ")),
            )),
        }
    }
}

/// x' = (x − offset) / divisor, per feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Which scaling.
    pub kind: ScaleKind,
    /// Subtracted from each feature (its mean or its minimum).
    pub offset: Vec<f64>,
    /// Each feature is then divided by this (its standard deviation or its range).
    pub divisor: Vec<f64>,
}

impl Scaler {
    /// Fits on the rows of `features` (m×n), whose columns are called `names`. A constant
    /// feature gets divisor 1, as scikit-learn does, so it maps to 0 instead of NaN.
    ///
    /// A column whose mean, variance or range overflows float64 is refused: a non-finite offset
    /// or divisor maps every value to ±∞ or NaN, and JSON cannot even save it in a model file.
    pub fn fit(kind: ScaleKind, features: &Array2<f64>, names: &[String]) -> Result<Scaler> {
        if names.len() != features.ncols() {
            return Err(Error::Shape {
                op: "scaler fit",
                detail: format!("{} column names for features {}", names.len(), shape(features.dim())),
            });
        }
        let stats = features.axis_iter(Axis(1)).map(|col| match kind {
            ScaleKind::Standard => {
                let mean = col.sum() / col.len() as f64;
                let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / col.len() as f64;
                (mean, var)
            }
            ScaleKind::Minmax => {
                let min = col.fold(f64::INFINITY, |a, &b| a.min(b));
                (min, col.fold(f64::NEG_INFINITY, |a, &b| a.max(b)))
            }
        });
        Scaler::from_stats(kind, stats, names)
    }

    /// [`Scaler::fit`] on features however they are held, read through once per statistic in
    /// blocks of rows (a memory-mapped file is never held whole). The sums run in the order
    /// [`Scaler::fit`]'s do, so the scaler has the same bits as one fitted on the features read
    /// into a float64 matrix.
    pub fn fit_features(kind: ScaleKind, features: &FeatureMatrix, names: &[String]) -> Result<Scaler> {
        if let Some(x) = f64::held(features) {
            return Scaler::fit(kind, x, names);
        }
        let (m, f) = features.dim();
        if names.len() != f {
            return Err(Error::Shape {
                op: "scaler fit",
                detail: format!("{} column names for features {}", names.len(), shape((m, f))),
            });
        }
        let stats: Vec<(f64, f64)> = match kind {
            ScaleKind::Standard => {
                let mut sums = vec![ColumnSum::new(m, f == 1); f];
                features.blocks(|_, block| {
                    for row in block.chunks_exact(f) {
                        sums.iter_mut().zip(row).for_each(|(s, &v)| s.add(v));
                    }
                    true
                });
                let means: Vec<f64> = sums.into_iter().map(|s| s.total() / m as f64).collect();
                // Iterator::sum's order: a fold from −0.0, row by row.
                let mut squares = vec![-0.0; f];
                features.blocks(|_, block| {
                    for row in block.chunks_exact(f) {
                        for ((sq, &v), mean) in squares.iter_mut().zip(row).zip(&means) {
                            *sq += (v - mean).powi(2);
                        }
                    }
                    true
                });
                means.into_iter().zip(squares).map(|(mean, sq)| (mean, sq / m as f64)).collect()
            }
            ScaleKind::Minmax => {
                let mut range = vec![(f64::INFINITY, f64::NEG_INFINITY); f];
                features.blocks(|_, block| {
                    for row in block.chunks_exact(f) {
                        for ((lo, hi), &v) in range.iter_mut().zip(row) {
                            (*lo, *hi) = (lo.min(v), hi.max(v));
                        }
                    }
                    true
                });
                range
            }
        };
        Scaler::from_stats(kind, stats.into_iter(), names)
    }

    /// The scaler of each column's (mean, variance) or (min, max), or an error naming the column
    /// whose statistic overflows.
    fn from_stats(kind: ScaleKind, stats: impl Iterator<Item = (f64, f64)>, names: &[String]) -> Result<Scaler> {
        let mut offset = Vec::with_capacity(names.len());
        let mut divisor = Vec::with_capacity(names.len());
        for ((a, b), name) in stats.zip(names) {
            // (offset, spread, what overflowed if anything)
            let (o, spread, overflow) = match kind {
                ScaleKind::Standard => {
                    let (mean, var) = (a, b);
                    let overflow =
                        if !mean.is_finite() { Some("the mean") } else { (!var.is_finite()).then_some("the variance") };
                    (mean, var.sqrt(), overflow)
                }
                ScaleKind::Minmax => {
                    let range = b - a;
                    (a, range, (!range.is_finite()).then_some("max − min"))
                }
            };
            if let Some(what) = overflow {
                return Err(Error::invalid_value(
                    Setting::Column,
                    format!("'{name}'"),
                    format!("its values are too large to scale ({what} overflows float64)"),
                ));
            }
            offset.push(o);
            divisor.push(if spread == 0.0 { 1.0 } else { spread });
        }
        Ok(Scaler { kind, offset, divisor })
    }

    /// Why this scaler (from a model file, say) cannot scale rows of `width` features, if it
    /// cannot: every feature needs a finite offset and a finite, non-zero divisor.
    pub fn check(&self, width: usize) -> Result<(), String> {
        if self.offset.len() != width || self.divisor.len() != width {
            return Err(format!(
                "the scaler has {} offsets and {} divisors but the model takes {width} inputs",
                self.offset.len(),
                self.divisor.len()
            ));
        }
        if let Some(j) = self.offset.iter().position(|v| !v.is_finite()) {
            return Err(format!("offset {j} is not a finite number"));
        }
        if let Some(j) = self.divisor.iter().position(|v| !v.is_finite() || *v == 0.0) {
            return Err(format!("divisor {j} is not a finite non-zero number"));
        }
        Ok(())
    }

    /// # Shapes
    /// m×n → m×n, n = the number of features fitted on.
    pub fn transform(&self, features: &Array2<f64>) -> Array2<f64> {
        let mut out = features.clone();
        self.apply(&mut out);
        out
    }

    /// Feature `j`'s value in the data's own units for its scaled value `v` (the inverse of
    /// [`Scaler::apply`]): a plot over scaled features is labelled in the units the user knows.
    pub fn unscale(&self, j: usize, v: f64) -> f64 {
        v * self.divisor[j] + self.offset[j]
    }

    /// The rows as measured, from scaled ones ([`Scaler::unscale`] on every column; a picture
    /// of scaled rows is drawn in the data's own units).
    ///
    /// # Shapes
    /// m×n → m×n.
    pub fn invert(&self, scaled: &Array2<f64>) -> Array2<f64> {
        let mut out = scaled.clone();
        for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
            col.mapv_inplace(|v| self.unscale(j, v));
        }
        out
    }

    /// [`Scaler::transform`] in place: a large data set is scaled without a second copy.
    pub fn apply(&self, features: &mut Array2<f64>) {
        for (j, mut col) in features.axis_iter_mut(Axis(1)).enumerate() {
            col.mapv_inplace(|v| (v - self.offset[j]) / self.divisor[j]);
        }
    }
}

/// A column's sum, added to one number at a time in the order `ndarray`'s `sum` takes for a
/// column of `m` numbers: one after another from 0 for a column strided through a matrix, but for
/// a contiguous column (a matrix of one feature) eight running sums over the first ⌊m/8⌋·8 numbers,
/// combined pairwise, then the rest one by one.
#[derive(Debug, Clone)]
struct ColumnSum {
    lanes: Option<[f64; 8]>,
    /// Numbers added so far.
    seen: usize,
    /// The numbers that go through the lanes.
    laned: usize,
    total: f64,
}

impl ColumnSum {
    fn new(m: usize, contiguous: bool) -> ColumnSum {
        ColumnSum { lanes: contiguous.then_some([0.0; 8]), seen: 0, laned: m / 8 * 8, total: 0.0 }
    }

    fn add(&mut self, v: f64) {
        match &mut self.lanes {
            Some(lanes) if self.seen < self.laned => lanes[self.seen % 8] += v,
            Some(lanes) => {
                if self.seen == self.laned {
                    self.total = fold_lanes(lanes);
                }
                self.total += v;
            }
            None => self.total += v,
        }
        self.seen += 1;
    }

    fn total(&self) -> f64 {
        match &self.lanes {
            Some(lanes) if self.seen == self.laned => fold_lanes(lanes),
            _ => self.total,
        }
    }
}

/// ndarray's `unrolled_fold` joining its eight lanes: 0 + (p0 + p4) + (p1 + p5) + (p2 + p6) + (p3 + p7).
fn fold_lanes(p: &[f64; 8]) -> f64 {
    (0..4).fold(0.0, |acc, i| acc + (p[i] + p[i + 4]))
}
