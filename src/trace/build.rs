//! Produces an [`Explanation`]: one forward pass and one backward pass on the tape, one sgd step,
//! the loss after it, and the gradient check. Every number is read off the computation that
//! produced it; the few shown only for teaching (exponentials, local derivatives, the softmax
//! Jacobian) are computed here, once.

use super::check::grad_check;
use super::matrix::row_vector;
use super::{
    ActivationTrace, DenseTrace, Explanation, FeatureTrace, LayerTrace, Matrix, ParamStep, PenaltyGradient,
    PenaltyTrace, SoftmaxTrace, StepState,
};
use crate::autodiff::{Gradients, Var};
use crate::data::{Features, Scaler, Targets};
use crate::engine::tape::Pass;
use crate::error::{Error, Result, Setting, shape};
use crate::layers::Params;
use crate::loss::{Loss, Penalty};
use crate::model::{Model, ModelLayer};
use crate::update::{ElementStep, Optimizer, OptimizerState};
use ndarray::{Array2, Axis, Zip};

/// Which step the explanation takes after the gradient.
// One per explanation: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Update {
    /// One plain gradient-descent step, w ← w − α·g: the blog's, and what `explain` shows.
    Sgd {
        /// α.
        learning_rate: f64,
    },
    /// A step of an optimizer from its state: the next step of a training run (`train --trace`,
    /// a saved model's `explain`), or a first step with momentum or adam (its state all 0). The
    /// state's t numbers the step (adam's bias correction reads it), so the new weights are
    /// the ones the run goes on with.
    Run {
        /// The optimizer.
        optimizer: Optimizer,
        /// Its state before the step.
        memory: OptimizerState,
    },
}

/// What to explain: a model, a batch and a step.
#[derive(Debug, Clone)]
pub struct ExplainRequest {
    /// The model before the step.
    pub model: Model,
    /// m×n, as measured: `scaler` (if any) is applied by [`explain`].
    pub inputs: Array2<f64>,
    /// The scaling the model was trained with (a saved model's), or none.
    pub scaler: Option<Scaler>,
    /// What each sample should give.
    pub targets: Targets,
    /// The step to take.
    pub update: Update,
    /// The loss the step lowers.
    pub loss: Loss,
    /// Keep the biases as they are (their gradients are still shown), as Mazur's example does.
    pub freeze_bias: bool,
    /// L2/L1 weight decay added to the loss (weights only).
    pub penalty: Penalty,
    /// Class names in output order, when known.
    pub class_names: Option<Vec<String>>,
    /// Feature names in input order, when known.
    pub feature_names: Option<Vec<String>>,
    /// What the inputs are when they are features computed from the data's columns
    /// (`--features`): `inputs` hold the features' values, this says how they were computed.
    pub features: Option<FeatureInputs>,
}

/// Inputs that are features computed from the data's columns.
#[derive(Debug, Clone)]
pub struct FeatureInputs {
    /// The features.
    pub features: Features,
    /// m×c, the columns' values they were computed from, when the caller has them (the page's
    /// training view has only the features).
    pub measured: Option<Array2<f64>>,
}

impl ExplainRequest {
    /// The blog's example: x = [0.81, 0.57, 0.28, 0.84], class 0, α = 0.25, natural log,
    /// `serial(Dense(3) without bias, Softmax)` with the post's W.
    pub fn blog() -> ExplainRequest {
        let w_out_in = ndarray::array![[0.15, 0.29, 0.10, 0.71], [-0.80, 0.97, 0.51, 0.67], [0.14, -0.47, -0.62, 0.21]];
        let model = Model::single_dense(w_out_in, None).expect("the blog's model");
        ExplainRequest {
            model,
            inputs: ndarray::array![[0.81, 0.57, 0.28, 0.84]],
            scaler: None,
            targets: Targets::numbered(vec![0], 3),
            update: Update::Sgd { learning_rate: 0.25 },
            loss: Loss::default(),
            freeze_bias: false,
            penalty: Penalty::NONE,
            class_names: None,
            feature_names: None,
            features: None,
        }
    }

    fn validate(&self) -> Result<()> {
        let (n, k) = (self.model.in_width(), self.model.out_width());
        if self.inputs.ncols() != n {
            return Err(Error::Shape {
                op: "explain",
                detail: format!(
                    "x {} has {} numbers per sample but the weights have {n} columns",
                    shape(self.inputs.dim()),
                    self.inputs.ncols()
                ),
            });
        }
        if let Some(f) = &self.features
            && (f.features.len() != n
                || f.measured.as_ref().is_some_and(|m| m.dim() != (self.inputs.nrows(), f.features.columns().len())))
        {
            return Err(Error::Shape {
                op: "explain",
                detail: format!(
                    "{} features for {n} inputs, or their columns' values of another shape",
                    f.features.len()
                ),
            });
        }
        if let Some(why) = self.scaler.as_ref().and_then(|s| s.check(n).err()) {
            return Err(Error::invalid(Setting::Scaler, why));
        }
        if self.inputs.nrows() == 0 {
            return Err(Error::invalid(Setting::Inputs, "no sample given"));
        }
        if let Some(v) = self.inputs.iter().find(|v| !v.is_finite()) {
            return Err(Error::invalid(Setting::Inputs, format!("{v} is not a finite number")));
        }
        if self.targets.len() != self.inputs.nrows() {
            return Err(Error::invalid(
                Setting::Targets,
                format!("{} given for {} samples: give one per sample", self.targets.len(), self.inputs.nrows()),
            ));
        }
        match &self.targets {
            Targets::Classes { labels, names } => {
                if let Some(t) = labels.iter().find(|&&t| t >= k) {
                    return Err(Error::invalid_value(
                        Setting::Targets,
                        t,
                        format!("the model has {k} classes, 0 to {}", k - 1),
                    ));
                }
                if names.len() != k {
                    return Err(Error::invalid(
                        Setting::Targets,
                        format!("{} classes named but the model has {k} outputs", names.len()),
                    ));
                }
            }
            Targets::Values { values, .. } => {
                if values.ncols() != k {
                    return Err(Error::invalid(
                        Setting::Targets,
                        format!("{} numbers per sample but the model has {k} outputs", values.ncols()),
                    ));
                }
                if let Some(t) = values.iter().find(|t| !t.is_finite()) {
                    return Err(Error::invalid(Setting::Targets, format!("{t} is not a finite number")));
                }
                self.loss.check_targets(crate::data::TargetKind::Values, Setting::Targets)?;
            }
        }
        Ok(())
    }
}

/// One update step explained: forward and backward on the tape, the step, the loss after it and the gradient check.
pub fn explain(req: &ExplainRequest) -> Result<Explanation> {
    req.validate()?;
    let scaled = req.scaler.as_ref().map(|s| s.transform(&req.inputs));
    let (model, x, loss_fn) = (&req.model, scaled.as_ref().unwrap_or(&req.inputs), req.loss);
    let y = req.targets.matrix();

    let pass = Pass::forward(model, x, &y, loss_fn)?;
    // Finite inputs can still overflow a layer (x = 1e308): say so rather than explain NaN.
    let overflows = |v: &Var| pass.tape.value(*v).iter().any(|a| !a.is_finite());
    if let Some(i) = pass.outputs.iter().position(overflows) {
        let kind = model.layers[i].kind();
        return Err(Error::invalid(Setting::Inputs, format!("layers[{i}] ({kind}) overflows float64 on these inputs")));
    }
    if !pass.loss().is_finite() {
        return Err(Error::invalid(
            Setting::Inputs,
            "the loss overflows float64 on these inputs: the logits are too far apart",
        ));
    }
    let grads = pass.backward();
    let param_grads = pass.param_grads(&grads);

    let params = model.params();
    let (optimizer, mut state) = match &req.update {
        Update::Sgd { learning_rate } => {
            let sgd = Optimizer::sgd(*learning_rate)?;
            (sgd, sgd.init(&params))
        }
        Update::Run { optimizer, memory } => {
            let state = optimizer.resume(&params, memory.clone()).map_err(|why| Error::invalid(Setting::Step, why))?;
            (*optimizer, state)
        }
    };
    let t_before = state.memory().t;
    // The penalty's gradient joins the data's (weights only) before the step.
    let (penalty_value, total_grads) = req.penalty.apply(&model.params(), &param_grads);
    // Frozen biases keep their values: the optimizer sees a zero gradient for them (from the
    // first step on, so momentum and adam move them by nothing either).
    let step_grads = if req.freeze_bias { total_grads.with_zero_biases() } else { total_grads.clone() };
    let elements = optimizer.update_shown(&step_grads, &mut state);
    let new_params = optimizer.get_params(&state);
    let new_loss = Pass::forward(&model.with_params(&new_params), x, &y, loss_fn)?.loss();
    if !new_loss.is_finite() || new_params.leaves().iter().any(|a| a.iter().any(|v| !v.is_finite())) {
        return Err(Error::invalid(
            Setting::Step,
            "the update overflows float64: try smaller inputs or a smaller step size",
        ));
    }

    let moments = Moments::of(&optimizer, &params, &elements);
    let layers: Vec<LayerTrace> = (0..model.layers.len())
        .map(|i| {
            let trace = layer_trace(i, &model.layers[i], &pass, &grads, &param_grads, &new_params, &y, loss_fn);
            match (trace, &moments) {
                (LayerTrace::Dense(d), Some(moments)) => LayerTrace::Dense(moments.add_to(i, d)),
                (other, _) => other,
            }
        })
        .collect();
    let optimizer_state = moments.is_some().then(|| StepState {
        t_before,
        t: state.memory().t,
        corrections: optimizer.bias_corrections(t_before),
    });
    let last_dense = model.dense_layers().last().expect("a model has a dense layer").0;
    let logits = pass.tape.value(pass.outputs[last_dense]).clone();
    let output = pass.tape.value(*pass.outputs.last().expect("a model has layers")).clone();
    let ln_p = model.last().is_softmax().then(|| output_log_probabilities(&pass));
    let probabilities = ln_p.as_ref().map_or_else(|| output.clone(), |l| l.mapv(f64::exp));
    let log_probabilities = loss_fn.log_base().zip(ln_p).map(|(b, l)| Matrix(l / b.ln()));
    let read = if loss_fn.reads_logits() { &logits } else { &output };
    let sample_losses = loss_fn.sample_losses(read, &y);
    let loss = pass.loss();
    let check = grad_check(model, x, &y, loss_fn, &param_grads)?;
    let penalty = (!req.penalty.is_none()).then(|| {
        let new_value = req.penalty.value(&new_params);
        let weights = || model.dense_layers().flat_map(|(_, w, _)| w.iter().copied());
        PenaltyTrace {
            sum_squares: weights().map(|w| w * w).sum(),
            sum_abs: weights().map(f64::abs).sum(),
            l2: req.penalty.l2,
            l1: req.penalty.l1,
            value: penalty_value,
            total_loss: loss + penalty_value,
            new_value,
            new_total_loss: new_loss + new_value,
            gradients: model
                .dense_layers()
                .map(|(i, w, _)| PenaltyGradient {
                    layer: i,
                    penalty: Matrix(req.penalty.gradient(w)),
                    total: Matrix(total_grads.layer(i).weights().expect("dense").clone()),
                })
                .collect(),
        }
    });

    Ok(Explanation {
        loss_function: loss_fn,
        learning_rate: optimizer.step_size(),
        optimizer,
        inputs: x.clone().into(),
        raw_inputs: scaled.is_some().then(|| req.inputs.clone().into()),
        scaler: req.scaler.clone(),
        targets: y.into(),
        target_classes: req.targets.labels().map(<[usize]>::to_vec),
        class_names: req.class_names.clone(),
        feature_names: req.feature_names.clone(),
        features: req.features.as_ref().map(|f| FeatureTrace {
            columns: f.features.columns().to_vec(),
            names: f.features.names(),
            labels: f.features.labels(),
            measured: f.measured.clone().map(Matrix),
        }),
        logits: logits.into(),
        probabilities: probabilities.into(),
        log_probabilities,
        sample_losses,
        loss,
        loss_bits: loss_fn.log_base().filter(|b| b.is_natural()).map(|_| loss / std::f64::consts::LN_2),
        freeze_bias: req.freeze_bias,
        layers,
        new_loss,
        loss_change: new_loss - loss,
        check,
        penalty,
        optimizer_state,
    })
}

/// Every parameter's optimizer numbers of one step, each as a tree shaped like the parameters:
/// what the walk-through shows beside each weight. `None` for sgd, which keeps no state.
struct Moments {
    first_before: Params,
    first: Params,
    second_before: Option<Params>,
    second: Option<Params>,
    first_hat: Option<Params>,
    second_hat: Option<Params>,
    delta: Params,
}

impl Moments {
    fn of(optimizer: &Optimizer, params: &Params, elements: &[ElementStep<f64>]) -> Option<Moments> {
        let tree = |f: fn(&ElementStep<f64>) -> f64| params.with_flat(&elements.iter().map(f).collect::<Vec<_>>());
        // What the optimizer keeps, and whether it corrects its moments' bias, are its own to say.
        let (first, second) = optimizer.state_names();
        first?;
        let second = second.is_some();
        let hats = optimizer.bias_corrections(0).is_some();
        Some(Moments {
            first_before: tree(|e| e.first_before),
            first: tree(|e| e.first),
            second_before: second.then(|| tree(|e| e.second_before)),
            second: second.then(|| tree(|e| e.second)),
            first_hat: hats.then(|| tree(|e| e.first_hat)),
            second_hat: hats.then(|| tree(|e| e.second_hat)),
            delta: tree(|e| e.delta),
        })
    }

    /// Dense layer `i`'s trace with its weights' and bias's optimizer numbers.
    fn add_to(&self, i: usize, mut d: DenseTrace) -> DenseTrace {
        let leaf = |p: &Params, bias: bool| {
            let layer = p.layer(i);
            if bias { layer.bias().cloned() } else { layer.weights().cloned() }
        };
        let part = |bias: bool| -> Option<Box<ParamStep>> {
            let opt = |p: &Option<Params>| p.as_ref().and_then(|p| leaf(p, bias)).map(Matrix);
            Some(Box::new(ParamStep {
                first_before: Matrix(leaf(&self.first_before, bias)?),
                first: Matrix(leaf(&self.first, bias)?),
                second_before: opt(&self.second_before),
                second: opt(&self.second),
                first_hat: opt(&self.first_hat),
                second_hat: opt(&self.second_hat),
                step: Matrix(leaf(&self.delta, bias)?),
            }))
        };
        d.weights_step = part(false);
        d.bias_step = part(true);
        d
    }
}

/// ln ŷ (natural log), read off the output layer: a softmax is recorded as exp(log_softmax(z)), so
/// the log-probabilities are the exp's input.
fn output_log_probabilities(pass: &Pass) -> Array2<f64> {
    let out = *pass.outputs.last().expect("a model has layers");
    match pass.tape.producer(out) {
        Some(("exp", inputs)) => pass.tape.value(inputs[0]).clone(),
        _ => pass.tape.value(out).clone(), // log-softmax
    }
}

#[allow(clippy::too_many_arguments)]
fn layer_trace(
    i: usize,
    layer: &ModelLayer,
    pass: &Pass,
    grads: &Gradients,
    param_grads: &Params,
    new_params: &Params,
    y: &Array2<f64>,
    loss: Loss,
) -> LayerTrace {
    let tape = &pass.tape;
    let input_var: Var = if i == 0 { pass.input } else { pass.outputs[i - 1] };
    let output_var = pass.outputs[i];
    let value = |v: Var| Matrix(tape.value(v).clone());
    let grad = |v: Var| Matrix(grads.of(tape, v));
    match layer {
        ModelLayer::Dense { .. } => {
            let p = pass.params.layer(i);
            let (g, new) = (param_grads.layer(i), new_params.layer(i));
            DenseTrace {
                input: value(input_var),
                weights: value(*p.weights().expect("dense")),
                bias: p.bias().map(|b| row_vector(tape.value(*b))),
                output: value(output_var),
                grad_output: grad(output_var),
                grad_input: grad(input_var),
                grad_weights: Matrix(g.weights().expect("dense").clone()),
                grad_bias: g.bias().map(row_vector),
                new_weights: Matrix(new.weights().expect("dense").clone()),
                new_bias: new.bias().map(row_vector),
                weights_step: None,
                bias_step: None,
            }
            .into()
        }
        ModelLayer::Activation(activation) => {
            let (z, a) = (tape.value(input_var), tape.value(output_var));
            LayerTrace::Activation(ActivationTrace {
                activation: *activation,
                input: value(input_var),
                output: value(output_var),
                local_derivative: Matrix(Zip::from(z).and(a).map_collect(|&z, &a| activation.df(z, a))),
                grad_output: grad(output_var),
                grad_input: grad(input_var),
            })
        }
        ModelLayer::Softmax => LayerTrace::Softmax(softmax_trace(
            tape.value(input_var),
            tape.value(output_var),
            grad(input_var),
            grad(output_var),
            y,
            loss,
            false,
        )),
        ModelLayer::LogSoftmax => LayerTrace::Logsoftmax(softmax_trace(
            tape.value(input_var),
            tape.value(output_var),
            grad(input_var),
            grad(output_var),
            y,
            loss,
            true,
        )),
    }
}

impl From<DenseTrace> for LayerTrace {
    fn from(d: DenseTrace) -> Self {
        LayerTrace::Dense(d)
    }
}

/// The output layer's teaching numbers. With cross-entropy, for softmax ∂L/∂ŷ = −y/(m·ŷ·ln b)
/// (the tape folds the log into the log-softmax, so this slope is never on it) and for
/// log-softmax ∂L/∂ln ŷ = −y/(m·ln b); with the quadratic cost the slope is the tape's own,
/// `tape_grad_output`. The Jacobian is ∂ŷ/∂z = diag(ŷ) − ŷŷᵀ, or ∂ln ŷ/∂z = I − 1ŷᵀ.
#[allow(clippy::too_many_arguments)]
fn softmax_trace(
    z: &Array2<f64>,
    output: &Array2<f64>,
    grad_input: Matrix,
    tape_grad_output: Matrix,
    y: &Array2<f64>,
    loss: Loss,
    log: bool,
) -> SoftmaxTrace {
    let (m, k) = z.dim();
    let p = if log { output.mapv(f64::exp) } else { output.clone() };
    let shift: Vec<f64> = z
        .rows()
        .into_iter()
        .map(|r| {
            let max = r.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            if max > 700.0 { max } else { 0.0 }
        })
        .collect();
    let mut exps = z.clone();
    for (mut row, c) in exps.rows_mut().into_iter().zip(&shift) {
        row.mapv_inplace(|v| (v - c).exp());
    }
    let sums = exps.sum_axis(Axis(1)).to_vec();
    // The loss's own slope where the tape folded it away, else the tape's.
    let grad_output = Zip::from(y)
        .and(&p)
        .and(&tape_grad_output.0)
        .map_collect(|&y, &p, &tape| loss.folded_slope(y, p, m, log).unwrap_or(tape));
    // ∂out_a/∂z_b, one entry: the Jacobian is built only where it is shown (k ≤ 16); for more
    // classes it would be k² numbers per sample (3.2 GB for k = 20,000).
    let entry = |s: usize, a: usize, b: usize| {
        if log { f64::from(a == b) - p[[s, b]] } else { f64::from(a == b) * p[[s, a]] - p[[s, a]] * p[[s, b]] }
    };
    let shown = k <= crate::limits::MAX_SHOWN_JACOBIAN;
    let jacobians: Vec<Array2<f64>> = if shown {
        (0..m).map(|s| Array2::from_shape_fn((k, k), |(a, b)| entry(s, a, b))).collect()
    } else {
        Vec::new()
    };
    // ∂L/∂z_b = Σ_a ∂L/∂out_a · ∂out_a/∂z_b, sample by sample: the row ∂L/∂out times the Jacobian.
    // A true class whose probability underflowed to 0 has ∂L/∂ŷ_a = −∞ and a Jacobian row of 0;
    // their product is taken with ŷ_a cancelled (`Loss::cancelled_slope`), which is finite.
    let cancelled = |s: usize, a: usize, factor: f64| loss.cancelled_slope(y[[s, a]], factor, m);
    let term = |s: usize, a: usize, b: usize| {
        let g = grad_output[[s, a]];
        let product = g * entry(s, a, b);
        if g.is_finite() { product } else { cancelled(s, a, f64::from(a == b) - p[[s, b]]).unwrap_or(product) }
    };
    let product = if shown {
        Array2::from_shape_fn((m, k), |(s, b)| (0..k).map(|a| term(s, a, b)).sum())
    } else {
        // The same sum in O(k) a sample: Σ_a term_a = term_b's diagonal part + ŷ_b·Σ_a c_a, where
        // off the diagonal term_a = −g_a·ŷ_a·ŷ_b (softmax), −g_a·ŷ_b (log-softmax), or
        // −ŷ_b times the cancelled slope for an underflowed true class.
        let mut out = Array2::zeros((m, k));
        for s in 0..m {
            let c: f64 = (0..k)
                .map(|a| {
                    let g = grad_output[[s, a]];
                    match (g.is_finite(), log) {
                        (true, true) => -g,
                        (true, false) => -g * p[[s, a]],
                        (false, _) => cancelled(s, a, -1.0).unwrap_or(g),
                    }
                })
                .sum();
            for b in 0..k {
                // The diagonal term, less the part of it already in ŷ_b·c.
                let off_diagonal_part = match (grad_output[[s, b]].is_finite(), log) {
                    (true, true) => -grad_output[[s, b]] * p[[s, b]],
                    (true, false) => -grad_output[[s, b]] * p[[s, b]] * p[[s, b]],
                    (false, _) => cancelled(s, b, -p[[s, b]]).unwrap_or(grad_output[[s, b]]),
                };
                out[[s, b]] = term(s, b, b) - off_diagonal_part + p[[s, b]] * c;
            }
        }
        out
    };
    SoftmaxTrace {
        input: Matrix(z.clone()),
        shift,
        exps: Matrix(exps),
        sums,
        output: Matrix(output.clone()),
        grad_probabilities: Matrix(grad_output),
        jacobians: jacobians.into_iter().map(Matrix).collect(),
        jacobian_times_grad: Matrix(product),
        grad_input,
    }
}
