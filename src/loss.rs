//! Categorical cross-entropy, averaged over the batch, in a chosen log base:
//! `E = (1/m) Σ_samples −Σ_classes y·log_b(ŷ)`, with `log_b(ŷ) = ln(ŷ)/ln b`.

use crate::autodiff::{Tape, Var};
use crate::error::{Error, Result};
use ndarray::{Array2, Axis};
use std::fmt;
use std::str::FromStr;

/// The base of the loss's logarithm: e (nats, the default), 2 (bits, as the blog quotes), 10 or
/// any positive number other than 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogBase(f64);

impl LogBase {
    pub const E: LogBase = LogBase(std::f64::consts::E);

    pub fn new(b: f64) -> Result<Self> {
        if b.is_finite() && b > 0.0 && b != 1.0 {
            Ok(LogBase(b))
        } else {
            Err(Error::invalid("log base", format!("{b} is not a positive number other than 1")))
        }
    }

    pub fn base(self) -> f64 {
        self.0
    }

    /// ln b: the loss in base b is the natural-log loss divided by this, and so is its gradient.
    pub fn ln(self) -> f64 {
        if self == LogBase::E { 1.0 } else { self.0.ln() }
    }

    pub fn is_natural(self) -> bool {
        self == LogBase::E
    }

    /// The loss's unit in this base, where it has a name: nats (e), bits (2), hartleys (10).
    pub fn unit(self) -> Option<&'static str> {
        if self.is_natural() {
            Some("nats")
        } else if self.0 == 2.0 {
            Some("bits")
        } else if self.0 == 10.0 {
            Some("hartleys")
        } else {
            None
        }
    }
}

impl Default for LogBase {
    fn default() -> Self {
        LogBase::E
    }
}

impl FromStr for LogBase {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "e" => Ok(LogBase::E),
            t => match t.parse::<f64>() {
                Ok(b) => LogBase::new(b),
                Err(_) => Err(Error::invalid("log base", format!("'{s}' is not e, 2, 10 or a number"))),
            },
        }
    }
}

/// "e", or the number as Rust writes it shortest ("2", "10", "1.5").
impl fmt::Display for LogBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_natural() { write!(f, "e") } else { write!(f, "{}", self.0) }
    }
}

impl serde::Serialize for LogBase {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for LogBase {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
            Raw::Number(b) => LogBase::new(b).map_err(serde::de::Error::custom),
        }
    }
}

/// Cross-entropy of probabilities `probs` against one-hot `targets`.
///
/// Takes `log(probs)` on the tape; when `probs` came from a softmax that log folds back to the
/// log-softmax, so the loss is computed through log-sum-exp (see `autodiff/ops/log.rs`).
///
/// # Shapes
/// `probs`, `targets`: m×k → 1×1.
pub fn cross_entropy(tape: &mut Tape, probs: Var, targets: Var, base: LogBase) -> Result<Var> {
    let log_p = tape.log(probs);
    cross_entropy_from_log_probs(tape, log_p, targets, base)
}

/// The same loss from log-probabilities (natural log), for models that end in `LogSoftmax`.
///
/// # Shapes
/// `log_probs`, `targets`: m×k → 1×1.
pub fn cross_entropy_from_log_probs(tape: &mut Tape, log_probs: Var, targets: Var, base: LogBase) -> Result<Var> {
    let m = tape.shape(log_probs).0 as f64;
    let picked = tape.mul(targets, log_probs)?;
    let total = tape.sum(picked);
    Ok(tape.scale(total, -1.0 / (m * base.ln())))
}

/// −Σ_k y_k·ln ŷ_k / ln b for each sample (row), from natural-log probabilities and one-hot
/// targets: the terms the loss averages, for the paths that have no tape (the hand-derived
/// model, prediction, the explanation's per-sample losses).
///
/// # Shapes
/// `log_probs`, `targets`: m×k → m.
pub fn sample_losses(log_probs: &Array2<f64>, targets: &Array2<f64>, base: LogBase) -> Vec<f64> {
    (targets * log_probs).sum_axis(Axis(1)).iter().map(|v| -v / base.ln() + 0.0).collect()
}

/// The mean of [`sample_losses`]: E = (1/m) Σ L.
pub fn mean_loss(log_probs: &Array2<f64>, targets: &Array2<f64>, base: LogBase) -> f64 {
    let losses = sample_losses(log_probs, targets, base);
    losses.iter().sum::<f64>() / losses.len().max(1) as f64
}

/// The cost a model is trained to lower. One type owns each loss's value, gradient, formulas and
/// name; nothing else in the crate branches on which loss it is.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Loss {
    /// E = (1/m) Σ_samples −Σ_k y_k·log_b ŷ_k, ŷ = softmax(z): the blog's. The output layer is
    /// softmax (or log-softmax), and the gradient at the logits is (ŷ − y)/(m·ln b).
    CrossEntropy {
        /// The base of the logarithm.
        #[serde(default)]
        log_base: LogBase,
    },
    /// E = (1/m) Σ_samples ½‖y − ŷ‖²: Nielsen's quadratic cost; for one sample Mazur's E_total.
    /// Any output layer; ∂E/∂ŷ = (ŷ − y)/m.
    Quadratic,
}

impl Default for Loss {
    fn default() -> Self {
        Loss::CrossEntropy { log_base: LogBase::E }
    }
}

impl Loss {
    /// The word on the command line and in files: `cross-entropy` or `quadratic`.
    pub fn name(self) -> &'static str {
        match self {
            Loss::CrossEntropy { .. } => "cross-entropy",
            Loss::Quadratic => "quadratic",
        }
    }
}
