//! The losses, each defined once ([`Loss`]): categorical cross-entropy in a chosen log base,
//! `E = (1/m) Σ_samples −Σ_classes y·log_b(ŷ)` with `log_b(ŷ) = ln(ŷ)/ln b`, and the quadratic
//! cost `E = (1/m) Σ_samples ½‖y − ŷ‖²`.

mod penalty;

pub use penalty::{Norm, Penalty};

use crate::autodiff::{Tape, Var};
use crate::data::TargetKind;
use crate::error::{Error, Result, Setting};
use crate::model::network::{Fault, Model};
use crate::softmax::cross_entropy_row;
use ndarray::Array2;
use num_traits::Float;
use std::fmt;
use std::str::FromStr;

/// The base of the loss's logarithm: e (nats, the default), 2 (bits, as the blog quotes), 10 or
/// any finite number above 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogBase(f64);

impl LogBase {
    /// e: the loss in nats.
    pub const E: LogBase = LogBase(std::f64::consts::E);

    /// Base `b`, if it is a finite number above 1. Below 1 the logarithm is negative, the loss
    /// with it, and descent would maximise the error.
    pub fn new(b: f64) -> Result<Self> {
        if b.is_finite() && b > 1.0 {
            Ok(LogBase(b))
        } else {
            Err(Error::invalid_value(Setting::LogBase, b, LOG_BASE_RULE))
        }
    }

    /// The number b.
    pub fn base(self) -> f64 {
        self.0
    }

    /// ln b: the loss in base b is the natural-log loss divided by this, and so is its gradient.
    pub fn ln(self) -> f64 {
        if self == LogBase::E { 1.0 } else { self.0.ln() }
    }

    /// Whether b = e.
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

/// What a log base must be, for messages.
const LOG_BASE_RULE: &str = "must be e or a number above 1 (2, 10…); below 1 the loss is negative and gradient descent would maximise the error";

impl FromStr for LogBase {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        // Any failure repeats the text as typed ("1.0", "inf"), not the number it parsed to.
        let bad = || Error::invalid_value(Setting::LogBase, format!("'{s}'"), LOG_BASE_RULE);
        match s.trim() {
            "e" => Ok(LogBase::E),
            t => t.parse::<f64>().ok().and_then(|b| LogBase::new(b).ok()).ok_or_else(bad),
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

/// The cost a model is trained to lower. One type owns each loss's value, gradient, formulas and
/// name; nothing else in the crate branches on which loss it is.
///
/// In JSON (a saved model's `training`, a report's settings, an explanation) it is two fields,
/// `"loss_function": "cross-entropy", "log_base": "e"` or `"loss_function": "quadratic"`; a file
/// without `loss_function` is cross-entropy (files written before the quadratic cost existed).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(into = "LossFields", try_from = "LossFields")]
pub enum Loss {
    /// E = (1/m) Σ_samples −Σ_k y_k·log_b ŷ_k, ŷ = softmax(z): the blog's. The output layer is
    /// softmax (or log-softmax), and the gradient at the logits is (ŷ − y)/(m·ln b).
    CrossEntropy {
        /// The base of the logarithm.
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

/// Every loss's name, in the order `--help` lists them.
pub const LOSS_NAMES: [&str; 2] = ["cross-entropy", "quadratic"];

impl Loss {
    /// The word on the command line and in files: `cross-entropy` or `quadratic`.
    pub fn name(self) -> &'static str {
        match self {
            Loss::CrossEntropy { .. } => LOSS_NAMES[0],
            Loss::Quadratic => LOSS_NAMES[1],
        }
    }

    /// The loss called `name`, with `log_base` where it takes one.
    pub fn from_name(name: &str, log_base: Option<LogBase>) -> Result<Loss> {
        match (name, log_base) {
            ("cross-entropy", base) => Ok(Loss::CrossEntropy { log_base: base.unwrap_or_default() }),
            ("quadratic", None) => Ok(Loss::Quadratic),
            ("quadratic", Some(_)) => Err(Error::invalid(
                Setting::LogBase,
                "the quadratic cost has no logarithm: a log base goes with cross-entropy",
            )),
            (other, _) => Err(Error::invalid_value(
                Setting::Loss,
                format!("'{other}'"),
                format!("not a loss ({})", LOSS_NAMES.join(", ")),
            )),
        }
    }

    /// The loss a step or a run takes: the one `name`d, else the one a saved model was trained
    /// with (`saved`), else cross-entropy; with `log_base` where one is given.
    pub fn chosen(name: Option<&str>, log_base: Option<LogBase>, saved: Option<Loss>) -> Result<Loss> {
        match (name, saved) {
            (None, Some(saved)) if log_base.is_none() => Ok(saved),
            (None, Some(saved)) => Loss::from_name(saved.name(), log_base),
            (name, _) => Loss::from_name(name.unwrap_or(Loss::default().name()), log_base),
        }
    }

    /// The loss a run on `kind` targets takes when none is named or saved: cross-entropy for
    /// classes, the quadratic cost for values (the only one that reads them).
    pub fn default_for(kind: TargetKind) -> Loss {
        match kind {
            TargetKind::Classes => Loss::default(),
            TargetKind::Values => Loss::Quadratic,
        }
    }

    /// Whether this loss reads targets of `kind`: cross-entropy takes a class per sample, the
    /// quadratic cost any numbers (a class as its one-hot row). `setting` is what the error names.
    pub fn check_targets(self, kind: TargetKind, setting: Setting) -> Result<()> {
        match (self, kind) {
            (Loss::CrossEntropy { .. }, TargetKind::Values) => Err(Error::invalid(
                setting,
                format!("{self} takes a class per sample; numbers as targets need the quadratic loss"),
            )),
            (Loss::CrossEntropy { .. }, TargetKind::Classes) | (Loss::Quadratic, _) => Ok(()),
        }
    }

    /// The base of cross-entropy's logarithm; `None` for a loss without one.
    pub fn log_base(self) -> Option<LogBase> {
        match self {
            Loss::CrossEntropy { log_base } => Some(log_base),
            Loss::Quadratic => None,
        }
    }

    /// Whether the loss reads the logits below the output softmax (cross-entropy, which folds the
    /// softmax into itself so that ∂E/∂z = ŷ − y keeps its digits) rather than the model's output.
    pub fn reads_logits(self) -> bool {
        match self {
            Loss::CrossEntropy { .. } => true,
            Loss::Quadratic => false,
        }
    }

    /// Whether `model` may be trained with this loss: cross-entropy needs probabilities (a
    /// softmax or log-softmax last layer), the quadratic cost takes any output. The fault names
    /// the last layer, as a model file's path would.
    pub fn check_output<T>(self, model: &Model<T>) -> std::result::Result<(), Fault> {
        let (i, last) = (model.layers.len() - 1, model.layers.last().expect("a model has layers"));
        match self {
            Loss::CrossEntropy { .. } if !last.is_softmax() => Err(Fault {
                at: format!("layers[{i}]"),
                why: format!(
                    "cross-entropy needs a softmax or logsoftmax last layer, not {} (the quadratic loss takes any)",
                    last.kind()
                ),
            }),
            Loss::CrossEntropy { .. } | Loss::Quadratic => Ok(()),
        }
    }

    /// The mean loss over the batch, recorded on `tape` from the model's `output` (ŷ after a
    /// softmax, ln ŷ after a log-softmax, anything for the quadratic cost).
    ///
    /// For cross-entropy after a softmax the `log` of ŷ folds back to the log-softmax (see
    /// `autodiff/ops/log.rs`), so the loss is computed exactly through `softmax.rs`.
    ///
    /// # Shapes
    /// `output`, `targets`: m×k → 1×1.
    pub fn on_tape(self, tape: &mut Tape, output: Var, targets: Var) -> Result<Var> {
        let m = tape.shape(output).0 as f64;
        match self {
            Loss::CrossEntropy { log_base } => {
                let log_p = match tape.producer(output) {
                    Some(("log_softmax", _)) => output,
                    _ => tape.log(output),
                };
                let picked = tape.mul(targets, log_p)?;
                let total = tape.sum(picked);
                Ok(tape.scale(total, -1.0 / (m * log_base.ln())))
            }
            Loss::Quadratic => {
                let diff = tape.sub(output, targets)?;
                let squares = tape.mul(diff, diff)?;
                let total = tape.sum(squares);
                Ok(tape.scale(total, 0.5 / m))
            }
        }
    }

    /// One sample's loss, and its gradient with respect to what the loss reads (the logits for
    /// cross-entropy, the output otherwise) written into `grad`; not yet divided by m.
    /// Cross-entropy goes through [`crate::softmax::cross_entropy_row`], exact near certainty.
    ///
    /// # Shapes
    /// `read`, `y`, `grad`: k.
    pub fn row<F: Float>(self, read: &[F], y: &[F], grad: &mut [F]) -> F {
        match self {
            Loss::CrossEntropy { log_base } => {
                let ln_b = F::from(log_base.ln()).expect("a float");
                let loss = cross_entropy_row(read, y, grad);
                grad.iter_mut().for_each(|g| *g = *g / ln_b);
                loss / ln_b
            }
            Loss::Quadratic => {
                let half = F::from(0.5).expect("a float");
                let mut loss = F::zero();
                for ((g, &a), &t) in grad.iter_mut().zip(read).zip(y) {
                    *g = a - t;
                    loss = loss + half * *g * *g;
                }
                loss
            }
        }
    }

    /// Each sample's loss (row of `read`, as [`Loss::row`] reads it).
    ///
    /// # Shapes
    /// `read`, `targets`: m×k → m.
    pub fn sample_losses(self, read: &Array2<f64>, targets: &Array2<f64>) -> Vec<f64> {
        let mut grad = vec![0.0; read.ncols()];
        read.rows()
            .into_iter()
            .zip(targets.rows())
            .map(|(r, y)| self.row(&r.to_vec(), &y.to_vec(), &mut grad) + 0.0)
            .collect()
    }

    /// The mean of [`Loss::sample_losses`]: E = (1/m) Σ L.
    pub fn mean(self, read: &Array2<f64>, targets: &Array2<f64>) -> f64 {
        let losses = self.sample_losses(read, targets);
        losses.iter().sum::<f64>() / losses.len().max(1) as f64
    }

    /// One sample's loss, `L = …`'s right side, written in `n`'s letters: −Σₖ yₖ·log_b ŷₖ or
    /// ½Σₖ (yₖ − ŷₖ)². The walk-through's stage 4 shows it.
    pub fn sample_formula<N: Notation>(self, n: &N) -> N::Expr {
        match self {
            Loss::CrossEntropy { log_base } => n.neg(n.sum_classes(n.times(n.target(), n.log(log_base, n.output())))),
            Loss::Quadratic => n.half(n.sum_classes(n.square(n.minus(n.target(), n.output())))),
        }
    }

    /// The loss's slope in one output, ∂L/∂ŷₖ (∂L/∂ln ŷₖ when `log`: the model ends in
    /// log-softmax), for the batch's mean: −yₖ/(m·ŷₖ·ln b) (−yₖ/(m·ln b)), or (ŷₖ − yₖ)/m. The
    /// factors that are 1 (m for one sample, ln b in base e) are left out.
    pub fn output_slope_formula<N: Notation>(self, n: &N, log: bool) -> N::Expr {
        match self {
            Loss::CrossEntropy { log_base } => {
                let factors = [n.batch(), (!log).then(|| n.output()), n.ln_base(log_base)];
                n.neg(n.over(n.target(), factors.into_iter().flatten().collect()))
            }
            Loss::Quadratic => n.over(n.minus(n.output(), n.target()), n.batch().into_iter().collect()),
        }
    }

    /// The slope at the logits below the output softmax, in the form it collapses to when the
    /// loss folds the softmax into itself: (ŷᵢ − yᵢ)/(m·ln b) for cross-entropy. `None` for a
    /// loss whose slope reaches the logits through the softmax's Jacobian (the quadratic cost,
    /// where nothing cancels).
    pub fn logit_slope_formula<N: Notation>(self, n: &N) -> Option<N::Expr> {
        match self {
            Loss::CrossEntropy { log_base } => {
                let factors = [n.batch(), n.ln_base(log_base)];
                Some(n.over(n.minus(n.output(), n.target()), factors.into_iter().flatten().collect()))
            }
            Loss::Quadratic => None,
        }
    }

    /// ∂L/∂ŷ (∂L/∂ln ŷ when `log`) for one output of a batch of `m`, where the tape does not
    /// record it: cross-entropy folds the softmax into itself, so the slope in the probabilities
    /// the walk-through shows is computed here, −y/(m·ŷ·ln b) (−y/(m·ln b)), 0 where y = 0. A
    /// loss that reads the output has this slope on the tape: `None`.
    pub fn folded_slope(self, y: f64, p: f64, m: usize, log: bool) -> Option<f64> {
        match self {
            Loss::CrossEntropy { log_base } => {
                let scale = m as f64 * log_base.ln();
                Some(if y == 0.0 {
                    0.0
                } else if log {
                    -y / scale
                } else {
                    -y / (p * scale)
                })
            }
            Loss::Quadratic => None,
        }
    }

    /// ŷ·∂L/∂ŷ·`factor` for one output of a batch of `m`, computed with ŷ cancelled: where ŷ
    /// underflowed to 0 the slope [`Loss::folded_slope`] is −∞ while its product with the
    /// softmax's Jacobian, ŷ·([a = b] − ŷ_b)·…, is finite. −y·factor/(m·ln b) for cross-entropy;
    /// `None` for a loss whose slope has no ŷ to cancel (the quadratic cost's is finite).
    pub fn cancelled_slope(self, y: f64, factor: f64, m: usize) -> Option<f64> {
        match self {
            Loss::CrossEntropy { log_base } => Some(-y * factor / (m as f64 * log_base.ln())),
            Loss::Quadratic => None,
        }
    }

    /// The loss's unit: nats, bits, hartleys for cross-entropy in base e, 2, 10.
    pub fn unit(self) -> Option<&'static str> {
        self.log_base().and_then(LogBase::unit)
    }
}

/// The letters and operations a loss's formulas are written with. [`Loss`] says what each
/// formula is, once per loss; a view (the walk-through, the chain panel) says how a target, an
/// output, a sum or a fraction is written, with symbols or with one sample's numbers. A new loss
/// that lacks a formula does not compile, and no view can write another loss's.
pub trait Notation {
    /// A written formula (the walk-through's `Math`).
    type Expr;
    /// The target of the output the formula is about, yₖ.
    fn target(&self) -> Self::Expr;
    /// That output, ŷₖ.
    fn output(&self) -> Self::Expr;
    /// The batch's size m, `None` for one sample (the factor 1/m of the mean is left out).
    fn batch(&self) -> Option<Self::Expr>;
    /// ln b, `None` for base e (the factor is 1).
    fn ln_base(&self, base: LogBase) -> Option<Self::Expr>;
    /// log_b `x`.
    fn log(&self, base: LogBase, x: Self::Expr) -> Self::Expr;
    /// Σₖ `x`, over the outputs.
    fn sum_classes(&self, x: Self::Expr) -> Self::Expr;
    /// ½`x`.
    fn half(&self, x: Self::Expr) -> Self::Expr;
    /// `x`².
    fn square(&self, x: Self::Expr) -> Self::Expr;
    /// −`x`.
    fn neg(&self, x: Self::Expr) -> Self::Expr;
    /// `a` − `b`.
    fn minus(&self, a: Self::Expr, b: Self::Expr) -> Self::Expr;
    /// `a`·`b`.
    fn times(&self, a: Self::Expr, b: Self::Expr) -> Self::Expr;
    /// `top` divided by the product of `factors`; `top` itself when there are none.
    fn over(&self, top: Self::Expr, factors: Vec<Self::Expr>) -> Self::Expr;
    /// `a` + `b`.
    fn plus(&self, a: Self::Expr, b: Self::Expr) -> Self::Expr;
    /// A number that is part of the formula itself (the 2 of λ₂/2).
    fn number(&self, v: f64) -> Self::Expr;

    // The weight penalty's letters ([`Penalty`]'s formulas).
    /// The data's loss, L_data, the loss without the penalty.
    fn data_loss(&self) -> Self::Expr;
    /// A penalty's rate, λ₂ or λ₁.
    fn rate(&self, norm: Norm) -> Self::Expr;
    /// The sum over every weight its term takes, Σ W² or Σ |W|.
    fn weights_sum(&self, norm: Norm) -> Self::Expr;
    /// The weight a gradient formula is about, Wᵢⱼ.
    fn weight(&self) -> Self::Expr;
    /// Its sign, sign(Wᵢⱼ) (0 at 0).
    fn weight_sign(&self) -> Self::Expr;
    /// The data loss's slope in it, ∂L_data/∂Wᵢⱼ.
    fn data_slope(&self) -> Self::Expr;
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// [`Loss`] as its JSON fields.
#[derive(serde::Serialize, serde::Deserialize)]
struct LossFields {
    #[serde(default = "cross_entropy_name")]
    loss_function: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    log_base: Option<LogBase>,
}

fn cross_entropy_name() -> String {
    LOSS_NAMES[0].into()
}

impl From<Loss> for LossFields {
    fn from(l: Loss) -> Self {
        LossFields { loss_function: l.name().into(), log_base: l.log_base() }
    }
}

impl TryFrom<LossFields> for Loss {
    type Error = Error;
    fn try_from(f: LossFields) -> Result<Loss> {
        Loss::from_name(&f.loss_function, f.log_base)
    }
}
