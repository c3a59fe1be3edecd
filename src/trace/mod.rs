//! One update step as data: every number the explanation shows, produced by the computation
//! itself and serialisable, so every renderer (text, Markdown, JSON, the web page) prints from the
//! same record and no number is computed a second time.
//!
//! # Shapes
//! m samples, n inputs, k classes; matrices rows = samples, except weights (`w_out_in`, rows =
//! output units) and softmax Jacobians (k×k, one per sample).

mod build;
pub mod check;
pub mod graph;
mod matrix;

pub use build::{ExplainRequest, FeatureInputs, Update, explain};
pub use check::GradCheck;
pub use matrix::Matrix;

use crate::activation::Activation;
use crate::data::Scaler;
use crate::loss::Loss;
use crate::update::{Optimizer, OptimizerState};
use serde::Serialize;

/// One update step, every number of it.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The loss, written as `loss_function` and (for cross-entropy) `log_base`.
    #[serde(flatten)]
    pub loss_function: Loss,
    /// α, the optimizer's step size.
    pub learning_rate: f64,
    /// The step taken after the gradient: sgd for `explain`, the run's optimizer in a trace.
    pub optimizer: Optimizer,
    /// m×n: what the network sees, after the model's scaler when it has one.
    pub inputs: Matrix,
    /// m×n, the samples as measured, when a scaler turned them into `inputs`.
    pub raw_inputs: Option<Matrix>,
    /// The scaler fitted in training, `inputs = (raw_inputs − offset) / divisor`.
    pub scaler: Option<Scaler>,
    /// y, m×k: one-hot rows for classes, or the numbers given.
    pub targets: Matrix,
    /// The class index of each sample; `null` for targets given as numbers.
    pub target_classes: Option<Vec<usize>>,
    /// Class names in output order, when known (Iris, a trained model).
    pub class_names: Option<Vec<String>>,
    /// Feature names in input order, when known.
    pub feature_names: Option<Vec<String>>,
    /// How the inputs were computed from the data's columns, when they are feature inputs
    /// (`--features`); `raw_inputs` (or `inputs`, unscaled) hold the features' values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<FeatureTrace>,
    /// The output of the last dense layer, m×k.
    pub logits: Matrix,
    /// ŷ, m×k: the model's output (the probabilities, after a softmax or log-softmax).
    pub probabilities: Matrix,
    /// log_b ŷ, m×k: the terms of cross-entropy; `null` for the quadratic cost.
    pub log_probabilities: Option<Matrix>,
    /// Each sample's loss: −Σ_k y_k·log_b ŷ_k, or ½Σ_k (y_k − ŷ_k)².
    pub sample_losses: Vec<f64>,
    /// The mean of `sample_losses` (in base `log_base` for cross-entropy).
    pub loss: f64,
    /// With natural log, the same loss in bits (the post quotes bits).
    pub loss_bits: Option<f64>,
    /// Whether the biases were kept as they are (their gradients are still shown).
    pub freeze_bias: bool,
    /// One entry per layer of the model, in order.
    pub layers: Vec<LayerTrace>,
    /// The loss on the same batch after the update.
    pub new_loss: f64,
    /// `new_loss − loss`: negative when the step helped.
    pub loss_change: f64,
    /// The gradient checked three ways (the data loss's: the penalty's is its formula).
    pub check: GradCheck,
    /// The weight penalty (`--l2`, `--l1`), when there is one: `loss`, `new_loss`, each
    /// `grad_weights` and the grad check are the data's; this adds the penalty's part, and the
    /// step took the sum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty: Option<PenaltyTrace>,
    /// For a step of momentum or adam, its t (each parameter's state is in its dense layer's
    /// `weights_step` and `bias_step`); absent for sgd, which keeps none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimizer_state: Option<StepState>,
}

/// Feature inputs: which columns, which features, and the columns' values.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureTrace {
    /// The data's columns the features are computed from.
    pub columns: Vec<String>,
    /// Each feature in `--features`'s grammar (`x1^2`), in input order.
    pub names: Vec<String>,
    /// Each feature as the diagram writes it (x₁², sin x₁), in input order.
    pub labels: Vec<String>,
    /// m×c, the columns' values the features were computed from, when known.
    pub measured: Option<Matrix>,
}

/// The penalty L = L_data + λ₂/2·Σ W² + λ₁·Σ |W| (weights only, not biases) of one step.
#[derive(Debug, Clone, Serialize)]
pub struct PenaltyTrace {
    /// λ₂.
    pub l2: f64,
    /// λ₁.
    pub l1: f64,
    /// Σ W² over every weight before the step.
    pub sum_squares: f64,
    /// Σ |W|.
    pub sum_abs: f64,
    /// λ₂/2·Σ W² + λ₁·Σ |W| before the step.
    pub value: f64,
    /// L = `loss` + `value`: what the step lowers.
    pub total_loss: f64,
    /// The penalty after the step.
    pub new_value: f64,
    /// `new_loss` + `new_value`.
    pub new_total_loss: f64,
    /// One entry per dense layer.
    pub gradients: Vec<PenaltyGradient>,
}

/// A dense layer's weights' gradient with the penalty.
#[derive(Debug, Clone, Serialize)]
pub struct PenaltyGradient {
    /// The layer's index in the model.
    pub layer: usize,
    /// λ₂·W + λ₁·sign(W), out×in.
    pub penalty: Matrix,
    /// ∂L/∂W = `grad_weights` + `penalty`, out×in: what the step took.
    pub total: Matrix,
}

impl Explanation {
    /// The optimizer's state after the step, flat as the optimizer keeps it: what the next step
    /// starts from (`explain --steps N`, the page's next step). `None` for sgd.
    pub fn memory_after(&self) -> Option<OptimizerState> {
        let s = self.optimizer_state.as_ref()?;
        let (mut first, mut second) = (Vec::new(), Vec::new());
        for layer in &self.layers {
            let LayerTrace::Dense(d) = layer else { continue };
            for p in d.weights_step.iter().chain(&d.bias_step) {
                first.extend(p.first.iter().copied());
                second.extend(p.second.iter().flat_map(|m| m.iter().copied()));
            }
        }
        Some(OptimizerState { t: s.t, first, second })
    }

    /// The gradient the step took for dense layer `i`'s weights: `grad_weights`, plus the
    /// penalty's part when there is one.
    pub fn step_gradient(&self, i: usize) -> Option<&Matrix> {
        let penalised = self.penalty.as_ref().and_then(|p| p.gradients.iter().find(|g| g.layer == i));
        match (&self.layers[i], penalised) {
            (_, Some(g)) => Some(&g.total),
            (LayerTrace::Dense(d), None) => Some(&d.grad_weights),
            (LayerTrace::Activation(_) | LayerTrace::Softmax(_) | LayerTrace::Logsoftmax(_), None) => None,
        }
    }
}

/// One layer's numbers. In JSON each is an object whose `type` is the layer's name: `dense`, the
/// activation's own name (`tanh`, `relu`, `leaky_relu`, …), `softmax` or `logsoftmax`.
#[derive(Debug, Clone)]
pub enum LayerTrace {
    /// A dense layer.
    Dense(DenseTrace),
    /// An elementwise activation; which one is in the trace.
    Activation(ActivationTrace),
    /// The softmax output layer.
    Softmax(SoftmaxTrace),
    /// The log-softmax output layer.
    Logsoftmax(SoftmaxTrace),
}

impl LayerTrace {
    /// The `type` in JSON and the word in explanations.
    pub fn kind(&self) -> &'static str {
        match self {
            LayerTrace::Dense(_) => "dense",
            LayerTrace::Activation(a) => a.activation.name(),
            LayerTrace::Softmax(_) => "softmax",
            LayerTrace::Logsoftmax(_) => "logsoftmax",
        }
    }
}

/// `{"type": kind, ...fields}`: serde's internal tagging, with the tag read off the value so that
/// every activation shares one variant and still writes its own name.
impl Serialize for LayerTrace {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Tagged<'a, T: Serialize> {
            #[serde(rename = "type")]
            kind: &'a str,
            #[serde(flatten)]
            body: &'a T,
        }
        let kind = self.kind();
        match self {
            LayerTrace::Dense(body) => Tagged { kind, body }.serialize(s),
            LayerTrace::Activation(body) => Tagged { kind, body }.serialize(s),
            LayerTrace::Softmax(body) | LayerTrace::Logsoftmax(body) => Tagged { kind, body }.serialize(s),
        }
    }
}

/// A dense layer, z = a·Wᵀ + b, forward and backward.
#[derive(Debug, Clone, Serialize)]
pub struct DenseTrace {
    /// a, m×in.
    pub input: Matrix,
    /// W, out×in.
    pub weights: Matrix,
    /// b, or none.
    pub bias: Option<Vec<f64>>,
    /// z, m×out.
    pub output: Matrix,
    /// ∂L/∂z, m×out.
    pub grad_output: Matrix,
    /// ∂L/∂a = ∂L/∂z·W, m×in: what the layer below receives.
    pub grad_input: Matrix,
    /// ∂L/∂W_ij = Σ_samples ∂L/∂z_i·a_j, out×in.
    pub grad_weights: Matrix,
    /// ∂L/∂b_i = Σ_samples ∂L/∂z_i.
    pub grad_bias: Option<Vec<f64>>,
    /// W after the step: W − α·∂L/∂W for sgd, the optimizer's own rule for momentum and adam.
    pub new_weights: Matrix,
    /// b after the step (unchanged when the biases are frozen).
    pub new_bias: Option<Vec<f64>>,
    /// The weights' optimizer numbers (momentum and adam; absent for sgd), out×in each (boxed:
    /// an sgd step's layers do not carry their size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights_step: Option<Box<ParamStep>>,
    /// The bias's, 1×out each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bias_step: Option<Box<ParamStep>>,
}

/// One parameter matrix's optimizer numbers in a step: its state before and after, and what the
/// step took off it. Momentum's state is its velocity (`first`); adam's its moments m
/// (`first`) and v (`second`), with the bias-corrected m̂ and v̂ the step divides.
#[derive(Debug, Clone, Serialize)]
pub struct ParamStep {
    /// Momentum's v or adam's m before the step.
    pub first_before: Matrix,
    /// After: mass·v + g, or (1 − b1)·g + b1·m.
    pub first: Matrix,
    /// Adam's v before the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_before: Option<Matrix>,
    /// Adam's v after: (1 − b2)·g² + b2·v.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second: Option<Matrix>,
    /// Adam's m̂ = m/(1 − b1^t).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_hat: Option<Matrix>,
    /// Adam's v̂ = v/(1 − b2^t).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_hat: Option<Matrix>,
    /// What each parameter lost: α·v, or α·m̂/(√v̂ + eps).
    pub step: Matrix,
}

/// The optimizer's step count in a step of momentum or adam.
#[derive(Debug, Clone, Serialize)]
pub struct StepState {
    /// Steps taken before this one.
    pub t_before: usize,
    /// After it: `t_before + 1`, the t of adam's bias correction.
    pub t: usize,
    /// Adam's 1 − b1^t and 1 − b2^t, which m̂ and v̂ divide by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrections: Option<[f64; 2]>,
}

/// An elementwise activation a = f(z), forward and backward.
#[derive(Debug, Clone, Serialize)]
pub struct ActivationTrace {
    /// Which activation (written as the layer's `type`).
    #[serde(skip)]
    pub activation: Activation,
    /// z, m×units.
    pub input: Matrix,
    /// a = f(z).
    pub output: Matrix,
    /// f′(z), as [`Activation::df`] computes it.
    pub local_derivative: Matrix,
    /// ∂L/∂a.
    pub grad_output: Matrix,
    /// ∂L/∂z = ∂L/∂a ⊙ f′(z).
    pub grad_input: Matrix,
}

/// The output layer: softmax (or log-softmax) of the logits, and how the loss's gradient passes
/// through it.
#[derive(Debug, Clone, Serialize)]
pub struct SoftmaxTrace {
    /// z, m×k.
    pub input: Matrix,
    /// The constant c subtracted from each sample's logits before exponentiating (0 unless a logit
    /// is large enough for e^z to overflow; softmax does not change).
    pub shift: Vec<f64>,
    /// e^(z − c), m×k.
    pub exps: Matrix,
    /// Σ_k e^(z_k − c) for each sample.
    pub sums: Vec<f64>,
    /// ŷ (softmax) or ln ŷ (log-softmax), m×k.
    pub output: Matrix,
    /// ∂L/∂ŷ = −y / (m·ŷ·ln b), m×k (zero where y is zero).
    pub grad_probabilities: Matrix,
    /// ∂ŷ/∂z = diag(ŷ) − ŷŷᵀ for each sample, k×k; empty above
    /// [`MAX_SHOWN_JACOBIAN`](crate::limits::MAX_SHOWN_JACOBIAN) classes (k² numbers a sample).
    pub jacobians: Vec<Matrix>,
    /// The Jacobian times ∂L/∂ŷ, sample by sample: ∂L/∂z computed the long way.
    pub jacobian_times_grad: Matrix,
    /// ∂L/∂z from the tape, = (ŷ − y) / (m·ln b).
    pub grad_input: Matrix,
}
