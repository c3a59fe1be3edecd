//! The loss of a model on a batch and its gradient with respect to every parameter, by the tape.
//!
//! [`Pass`] keeps the whole recorded computation (every layer's output and, after
//! [`Pass::backward`], every gradient) because `trace` reads the intermediate numbers off it;
//! [`value_and_grad`] is the short form the trainer uses.

use crate::autodiff::{Gradients, Tape, Var};
use crate::error::{Error, Result};
use crate::layers::{Layer, Params};
use crate::loss::Loss;
use ndarray::Array2;

/// One forward computation of a serial model and its loss, recorded on a tape.
pub struct Pass {
    pub tape: Tape,
    pub input: Var,
    pub targets: Var,
    pub params: Params<Var>,
    /// The output of each layer of the serial model, in order.
    pub outputs: Vec<Var>,
    pub loss: Var,
}

impl Pass {
    /// Records `layers` applied to `x` and the cross-entropy against the one-hot `targets`.
    ///
    /// The last layer must be `Softmax` (its output is the probabilities) or `LogSoftmax` (its
    /// output is their natural log).
    ///
    /// # Shapes
    /// `x`: m×in, `targets`: m×classes; `params` as `Layer::init` of `serial(layers)` gives them.
    pub fn forward(
        layers: &[Layer],
        params: &Params,
        x: &Array2<f64>,
        targets: &Array2<f64>,
        loss: Loss,
    ) -> Result<Pass> {
        let mut tape = Tape::new();
        let input = tape.leaf(x.clone());
        let targets_var = tape.leaf(targets.clone());
        let param_vars = params.map(&mut |a| tape.leaf(a.clone()));
        let Params::Serial(layer_params) = &param_vars else {
            return Err(Error::invalid("model", "parameters are not those of a serial model"));
        };
        if layer_params.len() != layers.len() {
            return Err(Error::invalid(
                "model",
                format!("{} layers but {} parameter sets", layers.len(), layer_params.len()),
            ));
        }
        let mut outputs = Vec::with_capacity(layers.len());
        let mut h = input;
        for (layer, p) in layers.iter().zip(layer_params) {
            h = layer.apply(&mut tape, p, h)?;
            outputs.push(h);
        }
        let last_is_softmax = matches!(layers.last(), Some(Layer::Softmax | Layer::LogSoftmax));
        if !loss.allows_output(last_is_softmax) {
            return Err(Error::invalid("model", format!("with {loss} the last layer must be softmax or logsoftmax")));
        }
        let loss = loss.on_tape(&mut tape, h, targets_var)?;
        Ok(Pass { tape, input, targets: targets_var, params: param_vars, outputs, loss })
    }

    pub fn loss(&self) -> f64 {
        // + 0.0 turns the −0 of a perfectly predicted batch into 0.
        self.tape.value(self.loss)[[0, 0]] + 0.0
    }

    pub fn backward(&self) -> Gradients {
        self.tape.backward(self.loss)
    }

    /// ∂loss/∂params, in the parameters' own shape.
    pub fn param_grads(&self, grads: &Gradients) -> Params {
        self.params.map(&mut |v| grads.of(&self.tape, *v))
    }
}

/// The mean loss of the serial model on the batch and its gradient in the parameters' shape.
///
/// # Shapes
/// `x`: m×in, `targets`: m×classes (one-hot).
pub fn value_and_grad(
    layers: &[Layer],
    params: &Params,
    x: &Array2<f64>,
    targets: &Array2<f64>,
    loss: Loss,
) -> Result<(f64, Params)> {
    let pass = Pass::forward(layers, params, x, targets, loss)?;
    let grads = pass.backward();
    Ok((pass.loss(), pass.param_grads(&grads)))
}
