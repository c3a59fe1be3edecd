//! The tape engine: a model's forward pass recorded on a [`Tape`], its loss, and the gradient of
//! the loss with respect to every parameter by reverse-mode autodiff.
//!
//! [`Pass`] keeps the whole recorded computation (every layer's output and, after
//! [`Pass::backward`], every gradient) because `trace` reads the intermediate numbers off it;
//! [`value_and_grad`] is the short form (the trainer reads the pass itself: its logits give a
//! step's accuracy).

use crate::autodiff::{Gradients, Tape, Var};
use crate::error::Result;
use crate::layers::{ModelLayer, Params, record};
use crate::loss::Loss;
use crate::model::{Fault, Model};
use ndarray::Array2;

/// One forward computation of a model and its loss, recorded on a tape.
pub struct Pass {
    /// The record.
    pub tape: Tape,
    /// x on the tape.
    pub input: Var,
    /// The targets on the tape.
    pub targets: Var,
    /// Every parameter's handle, shaped as [`Model::params`].
    pub params: Params<Var>,
    /// The output of each layer, in order.
    pub outputs: Vec<Var>,
    /// The input of a final softmax or log-softmax (the output itself for any other last layer):
    /// what a sample's class is read from, as [`crate::predict`] reads it.
    pub logits: Var,
    /// The mean loss, 1×1.
    pub loss: Var,
}

impl Pass {
    /// Records `model` applied to `x` and `loss` against `targets`.
    ///
    /// # Shapes
    /// `x`: m×in, `targets`: m×out.
    pub fn forward(model: &Model, x: &Array2<f64>, targets: &Array2<f64>, loss: Loss) -> Result<Pass> {
        loss.check_output(model).map_err(Fault::into_error)?;
        let mut tape = Tape::new();
        let input = tape.leaf(x.clone());
        let targets_var = tape.leaf(targets.clone());
        let layers: Vec<ModelLayer<Var>> = model.layers.iter().map(|l| l.map(&mut |a| tape.leaf(a.clone()))).collect();
        let mut outputs = Vec::with_capacity(layers.len());
        let (mut h, mut logits) = (input, input);
        for layer in &layers {
            h = record(&mut tape, layer, h)?;
            if !matches!(layer, ModelLayer::Softmax | ModelLayer::LogSoftmax) {
                logits = h;
            }
            outputs.push(h);
        }
        let loss = loss.on_tape(&mut tape, h, targets_var)?;
        let params = Params::Serial(layers.iter().map(ModelLayer::params).collect());
        Ok(Pass { tape, input, targets: targets_var, params, outputs, logits, loss })
    }

    /// The loss's value.
    pub fn loss(&self) -> f64 {
        // + 0.0 turns the −0 of a perfectly predicted batch into 0.
        self.tape.value(self.loss)[[0, 0]] + 0.0
    }

    /// ∂loss/∂(everything on the tape).
    pub fn backward(&self) -> Gradients {
        self.tape.backward(self.loss)
    }

    /// ∂loss/∂params, in the parameters' own shape.
    pub fn param_grads(&self, grads: &Gradients) -> Params {
        self.params.map(&mut |v| grads.of(&self.tape, *v))
    }
}

/// The mean loss of the model on the batch and its gradient in the parameters' shape.
///
/// # Shapes
/// `x`: m×in, `targets`: m×out.
pub fn value_and_grad(model: &Model, x: &Array2<f64>, targets: &Array2<f64>, loss: Loss) -> Result<(f64, Params)> {
    let pass = Pass::forward(model, x, targets, loss)?;
    let grads = pass.backward();
    Ok((pass.loss(), pass.param_grads(&grads)))
}
