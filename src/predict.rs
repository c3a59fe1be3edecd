//! A trained model applied to rows: log-probabilities, classes, and how well they match the
//! targets (classes: accuracy and confusion; values: the error per target column).
//!
//! No tape here: prediction runs after every epoch (accuracy) and on user data, and needs only
//! the forward values. The log-probabilities come from the logits through log-sum-exp
//! ([`crate::engine::hand::log_softmax`]), so a confident model's loss stays finite.
//!
//! # Shapes
//! x: m×n (rows = samples), log-probabilities and probabilities m×k.

use crate::data::Targets;
use crate::engine::hand::{forward, log_softmax, output_of};
pub use crate::error::logits_overflow;
use crate::error::{Error, Result, Setting, shape};
use crate::loss::Loss;
use crate::model::Model;
use ndarray::{Array2, ArrayView1};
use serde::Serialize;

/// Natural-log class probabilities, ln ŷ, of every row.
///
/// # Shapes
/// `x`: m×in → m×k.
pub fn log_probabilities(model: &Model, x: &Array2<f64>) -> Result<Array2<f64>> {
    Ok(log_softmax(&logits(model, x)?))
}

/// Rows per block of a forward pass over many rows.
const BLOCK_ROWS: usize = 4096;

/// The input of the output layer (the logits below a softmax, the output itself otherwise), checked
/// to be finite.
///
/// # Shapes
/// `x`: m×in → m×k.
pub fn logits(model: &Model, x: &Array2<f64>) -> Result<Array2<f64>> {
    if x.ncols() != model.in_width() {
        return Err(Error::Shape {
            op: "predict",
            detail: format!("x {} but the model takes {} inputs", shape(x.dim()), model.in_width()),
        });
    }
    // In blocks of rows: the whole data's hidden layers are never held at once (a row's logits
    // do not depend on the other rows, so the numbers are the same).
    let mut logits = Array2::zeros((x.nrows(), model.out_width()));
    for start in (0..x.nrows()).step_by(BLOCK_ROWS) {
        let rows = ndarray::s![start..(start + BLOCK_ROWS).min(x.nrows()), ..];
        let z = forward(model, &x.slice(rows).to_owned())?.pop().expect("forward keeps the logits last");
        logits.slice_mut(rows).assign(&z);
    }
    // An infinite logit makes log-softmax ∞ − ∞ = NaN, and NaN would pass for class 0.
    if let Some(i) = logits.rows().into_iter().position(|row| row.iter().any(|v| !v.is_finite())) {
        return Err(logits_overflow(i + 1, "float64"));
    }
    Ok(logits)
}

/// The model's outputs ŷ: a regression model's predictions (probabilities after a softmax).
///
/// # Shapes
/// `x`: m×in → m×k.
pub fn outputs(model: &Model, x: &Array2<f64>) -> Result<Array2<f64>> {
    Ok(output_of(model, logits(model, x)?))
}

/// ŷ = exp(ln ŷ), for showing: the log-probabilities are what the loss uses.
///
/// # Shapes
/// m×k → m×k.
pub fn probabilities(log_probs: &Array2<f64>) -> Array2<f64> {
    log_probs.mapv(f64::exp)
}

/// The class of each row: the index of its largest probability, the first on a tie (as
/// `jnp.argmax`).
pub fn classes(log_probs: &Array2<f64>) -> Vec<usize> {
    log_probs.rows().into_iter().map(argmax).collect()
}

fn argmax(row: ArrayView1<f64>) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best
}

/// The share of `predicted` equal to `labels`; 0 for no rows.
pub fn accuracy(predicted: &[usize], labels: &[usize]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let right = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
    right as f64 / labels.len() as f64
}

/// How a model does on a set of rows with targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The mean loss against the targets (classes one-hot), e.g. cross-entropy −(1/m) Σ log_b ŷ_label.
    pub loss: f64,
    /// What else the targets let us measure.
    #[serde(flatten)]
    pub fit: Fit,
}

/// The figures beside the loss, by kind of target. Written flat into the evaluation's JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Fit {
    /// Classes.
    Classes {
        /// The share of rows classed right.
        accuracy: f64,
        /// How many rows the model classed right: `accuracy` as a count, for "116/120 right".
        correct: usize,
        /// `confusion[true][predicted]`: how many rows of class `true` the model called `predicted`.
        confusion: Vec<Vec<usize>>,
    },
    /// Values, one figure per target column.
    Values {
        /// √(mean (ŷ − y)²), in the target's own units.
        rmse: Vec<f64>,
        /// R² = 1 − Σ(ŷ − y)² / Σ(y − ȳ)²: the share of the target's variance the model explains;
        /// `None` when the target does not vary over the rows (or there is one row).
        r_squared: Vec<Option<f64>>,
    },
}

impl Evaluation {
    /// The share classed right; `None` for values.
    pub fn accuracy(&self) -> Option<f64> {
        match self.fit {
            Fit::Classes { accuracy, .. } => Some(accuracy),
            Fit::Values { .. } => None,
        }
    }
}

/// Loss and fit of `model` on rows `x` with targets `target` (classes: accuracy and confusion
/// matrix; values: RMSE and R² per column).
///
/// # Shapes
/// `x`: m×in; `target`: m rows of the model's out width.
pub fn evaluate(model: &Model, x: &Array2<f64>, target: &Targets, loss: Loss) -> Result<Evaluation> {
    loss.check_targets(target.kind(), Setting::Targets)?;
    let z = logits(model, x)?;
    let k = z.ncols();
    if target.width() != k || target.len() != z.nrows() {
        return Err(Error::Shape {
            op: "evaluate",
            detail: format!(
                "{} targets of width {} for {} rows of a model with {k} outputs",
                target.len(),
                target.width(),
                z.nrows()
            ),
        });
    }
    match target {
        Targets::Classes { labels, .. } => evaluate_classes(model, z, labels, loss),
        Targets::Values { values, .. } => {
            let y_hat = output_of(model, z);
            Ok(Evaluation { loss: loss.mean(&y_hat, values), fit: value_fit(&y_hat, values) })
        }
    }
}

fn evaluate_classes(model: &Model, z: Array2<f64>, labels: &[usize], loss: Loss) -> Result<Evaluation> {
    let log_p = log_softmax(&z);
    let k = log_p.ncols();
    if let Some(&bad) = labels.iter().find(|&&l| l >= k) {
        return Err(Error::invalid(Setting::Labels, format!("class {bad} does not exist: the model has {k} classes")));
    }
    let predicted = classes(&log_p);
    let read = if loss.reads_logits() { z } else { output_of(model, z) };
    let loss = loss.mean(&read, &crate::data::one_hot(labels, k));
    let mut confusion = vec![vec![0; k]; k];
    for (&t, &p) in labels.iter().zip(&predicted) {
        confusion[t][p] += 1;
    }
    let correct = labels.iter().zip(&predicted).filter(|(t, p)| t == p).count();
    Ok(Evaluation { loss, fit: Fit::Classes { accuracy: accuracy(&predicted, labels), correct, confusion } })
}

/// RMSE and R² of each column of `y_hat` against `y`.
///
/// # Shapes
/// `y_hat`, `y`: m×k → k figures each.
fn value_fit(y_hat: &Array2<f64>, y: &Array2<f64>) -> Fit {
    let m = y.nrows() as f64;
    let (mut rmse, mut r_squared) = (Vec::new(), Vec::new());
    for (col_hat, col) in y_hat.columns().into_iter().zip(y.columns()) {
        let residual: f64 = col_hat.iter().zip(col).map(|(p, t)| (p - t) * (p - t)).sum();
        let mean = col.sum() / m;
        let spread: f64 = col.iter().map(|t| (t - mean) * (t - mean)).sum();
        rmse.push((residual / m).sqrt());
        r_squared.push((spread > 0.0).then(|| 1.0 - residual / spread));
    }
    Fit::Values { rmse, r_squared }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{Dense, Params, Softmax, Tanh, serial};
    use ndarray::array;

    fn classes_target(labels: &[usize]) -> Targets {
        Targets::Classes { labels: labels.to_vec(), names: vec!["a".into(), "b".into(), "c".into()] }
    }

    #[test]
    fn values_are_measured_by_rmse_and_r_squared() {
        // An identity model (no softmax): ŷ = x. Two rows, two target columns:
        // ŷ = [[1, 2], [3, 4]], y = [[1, 0], [5, 4]].
        // Column 1: residuals 0, −2 → RMSE √(4/2) = √2; ȳ = 3, Σ(y − ȳ)² = 4 + 4 = 8, R² = 1 − 4/8 = 0.5.
        // Column 2: residuals 2, 0 → RMSE √2; ȳ = 2, Σ(y − ȳ)² = 8, R² = 0.5.
        // Quadratic loss: ½(0 + 4)/2 + ½(4 + 0)/2 → per row ½‖ŷ − y‖²: ½·4 and ½·4, mean 2.
        let model = Model::builder().dense(array![[1.0, 0.0], [0.0, 1.0]], None).build().unwrap();
        let x = array![[1.0, 2.0], [3.0, 4.0]];
        let target = Targets::Values { values: array![[1.0, 0.0], [5.0, 4.0]], names: vec!["p".into(), "q".into()] };
        let e = evaluate(&model, &x, &target, Loss::Quadratic).unwrap();
        assert_eq!(e.loss, 2.0);
        let Fit::Values { rmse, r_squared } = &e.fit else { panic!("values give a value fit") };
        assert!(rmse.iter().all(|r| (r - 2f64.sqrt()).abs() < 1e-15), "{rmse:?}");
        assert_eq!(r_squared, &vec![Some(0.5), Some(0.5)]);
        assert_eq!(e.accuracy(), None);
        // A column that does not vary has no R²; cross-entropy cannot read values.
        let flat = Targets::Values { values: array![[1.0, 7.0], [5.0, 7.0]], names: vec!["p".into(), "q".into()] };
        let Fit::Values { r_squared, .. } = evaluate(&model, &x, &flat, Loss::Quadratic).unwrap().fit else { panic!() };
        assert_eq!(r_squared[1], None);
        let e = evaluate(&model, &x, &target, Loss::default()).unwrap_err().to_string();
        assert!(e.contains("need the quadratic loss"), "{e}");
    }

    fn blog_model() -> Model {
        // The blog's W (spec, worked-example.md), no bias.
        let w = array![[0.15, 0.29, 0.10, 0.71], [-0.80, 0.97, 0.51, 0.67], [0.14, -0.47, -0.62, 0.21]];
        Model::new(
            serial([Dense(3).without_bias(), Softmax]),
            Params::Serial(vec![Params::Dense { w_out_in: w, b: None }, Params::None]),
        )
        .unwrap()
    }

    #[test]
    fn logits_in_blocks_are_the_whole_pass_numbers() {
        // 2.5 blocks of rows: each block's logits must be the bits of one pass over every row.
        let n = BLOCK_ROWS * 5 / 2;
        let x = Array2::from_shape_fn((n, 4), |(i, j)| ((i * 7 + j * 13) % 29) as f64 / 7.0 - 2.0);
        let whole = forward(&blog_model(), &x).unwrap().pop().unwrap();
        assert_eq!(logits(&blog_model(), &x).unwrap(), whole);
    }

    #[test]
    fn the_blogs_probabilities_and_loss() {
        let x = array![[0.81, 0.57, 0.28, 0.84]];
        let p = probabilities(&log_probabilities(&blog_model(), &x).unwrap());
        // softmax(z) = [0.4794433, 0.35493179, 0.16562491] (spec, z = [0.9112, 0.6105, −0.1517])
        for (got, want) in p.iter().zip([0.4794433, 0.35493179, 0.16562491]) {
            assert!((got - want).abs() < 5e-8, "{got} vs {want}");
        }
        let e = evaluate(&blog_model(), &x, &classes_target(&[0]), Loss::default()).unwrap();
        // −ln 0.4794433 = 0.7351296 nats; −log₂ = 1.0605679 bits (spec)
        assert!((e.loss - 0.7351296).abs() < 5e-8, "{}", e.loss);
        let bits = evaluate(
            &blog_model(),
            &x,
            &classes_target(&[0]),
            Loss::CrossEntropy { log_base: crate::loss::LogBase::new(2.0).unwrap() },
        )
        .unwrap();
        assert!((bits.loss - 1.0605679).abs() < 5e-8, "{}", bits.loss);
        assert_eq!(
            e.fit,
            Fit::Classes { accuracy: 1.0, correct: 1, confusion: vec![vec![1, 0, 0], vec![0; 3], vec![0; 3]] }
        );
    }

    #[test]
    fn hidden_layers_and_bias() {
        // z_h = tanh(x·Wₕᵀ + bₕ), z = z_h·Wᵀ + b, by hand for x = [1, 2]:
        // hidden pre-activations [1·0.5 + 2·(−0.25) + 0.1, 1·1 + 2·1 − 3] = [0.1, 0], tanh → [tanh 0.1, 0];
        // logits [tanh 0.1·2 + 0, tanh 0.1·(−1) + 1] → class 1 (0.9 > 0.2).
        let wh = array![[0.5, -0.25], [1.0, 1.0]];
        let w = array![[2.0, 7.0], [-1.0, 3.0]];
        let model = Model::new(
            serial([Dense(2), Tanh, Dense(2), Softmax]),
            Params::Serial(vec![
                Params::Dense { w_out_in: wh, b: Some(array![[0.1, -3.0]]) },
                Params::None,
                Params::Dense { w_out_in: w, b: Some(array![[0.0, 1.0]]) },
                Params::None,
            ]),
        )
        .unwrap();
        let lp = log_probabilities(&model, &array![[1.0, 2.0]]).unwrap();
        let t = 0.1f64.tanh();
        let (z0, z1) = (2.0 * t, -t + 1.0);
        let lse = (z0.exp() + z1.exp()).ln();
        assert!((lp[[0, 0]] - (z0 - lse)).abs() < 1e-15);
        assert!((lp[[0, 1]] - (z1 - lse)).abs() < 1e-15);
        assert_eq!(classes(&lp), vec![1]);
    }

    #[test]
    fn logits_that_overflow_are_an_error() {
        // x = 1.7e308·[1, 1, 1, 1] on the blog's W: z₁ = 1.7e308·(0.15 + 0.29 + 0.10 + 0.71) =
        // 2.125e308 > f64::MAX ≈ 1.798e308, so z₁ = ∞ and log-softmax gives ∞ − ∞ = NaN.
        let x = array![[0.81, 0.57, 0.28, 0.84], [1.7e308, 1.7e308, 1.7e308, 1.7e308]];
        let e = log_probabilities(&blog_model(), &x).unwrap_err().to_string();
        assert!(e.starts_with("x: row 2: the logits overflow float64"), "{e}");
        // The row is named whichever function asks.
        let e = evaluate(&blog_model(), &x, &classes_target(&[0, 0]), Loss::default()).unwrap_err().to_string();
        assert!(e.contains("row 2"), "{e}");
    }

    #[test]
    fn ties_go_to_the_first_class_and_widths_are_checked() {
        assert_eq!(classes(&array![[0.5f64.ln(), 0.5f64.ln()]]), vec![0]);
        let e = log_probabilities(&blog_model(), &array![[1.0, 2.0]]).unwrap_err().to_string();
        assert!(e.contains("takes 4 inputs"), "{e}");
    }
}
