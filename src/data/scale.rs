//! Feature scaling, fitted on the training rows only and stored with a saved model so prediction
//! scales new rows the same way.

use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleKind {
    /// (x − mean) / population standard deviation, as scikit-learn's StandardScaler.
    Standard,
    /// (x − min) / (max − min), as scikit-learn's MinMaxScaler.
    Minmax,
}

/// x' = (x − offset) / divisor, per feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    pub kind: ScaleKind,
    pub offset: Vec<f64>,
    pub divisor: Vec<f64>,
}

impl Scaler {
    /// Fits on the rows of `features` (m×n). A constant feature gets divisor 1, as scikit-learn
    /// does, so it maps to 0 instead of NaN.
    pub fn fit(kind: ScaleKind, features: &Array2<f64>) -> Scaler {
        let (offset, spread): (Vec<f64>, Vec<f64>) = features
            .axis_iter(Axis(1))
            .map(|col| match kind {
                ScaleKind::Standard => {
                    let mean = col.sum() / col.len() as f64;
                    let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / col.len() as f64;
                    (mean, var.sqrt())
                }
                ScaleKind::Minmax => {
                    let min = col.fold(f64::INFINITY, |a, &b| a.min(b));
                    let max = col.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                    (min, max - min)
                }
            })
            .unzip();
        let divisor = spread.into_iter().map(|s| if s == 0.0 { 1.0 } else { s }).collect();
        Scaler { kind, offset, divisor }
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
        for (j, mut col) in out.axis_iter_mut(Axis(1)).enumerate() {
            col.mapv_inplace(|v| (v - self.offset[j]) / self.divisor[j]);
        }
        out
    }
}
