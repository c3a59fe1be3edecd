//! Feature scaling, fitted on the training rows only and stored with a saved model so prediction
//! scales new rows the same way.

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
        let mut offset = Vec::with_capacity(names.len());
        let mut divisor = Vec::with_capacity(names.len());
        for (col, name) in features.axis_iter(Axis(1)).zip(names) {
            // (offset, spread, what overflowed if anything)
            let (o, spread, overflow) = match kind {
                ScaleKind::Standard => {
                    let mean = col.sum() / col.len() as f64;
                    let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / col.len() as f64;
                    let overflow =
                        if !mean.is_finite() { Some("the mean") } else { (!var.is_finite()).then_some("the variance") };
                    (mean, var.sqrt(), overflow)
                }
                ScaleKind::Minmax => {
                    let min = col.fold(f64::INFINITY, |a, &b| a.min(b));
                    let max = col.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                    let range = max - min;
                    (min, range, (!range.is_finite()).then_some("max − min"))
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

    /// The rows as measured, from scaled ones: x = x'·divisor + offset (a picture of scaled
    /// rows is drawn in the data's own units).
    ///
    /// # Shapes
    /// m×n → m×n.
    pub fn invert(&self, scaled: &Array2<f64>) -> Array2<f64> {
        let mut out = scaled.clone();
        for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
            col.mapv_inplace(|v| v * self.divisor[j] + self.offset[j]);
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
