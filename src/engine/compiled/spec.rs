//! What the engine knows of a network: a list of [`LayerSpec`]s, a [`Loss`], and the parameters
//! as one flat vector. [`from_model`] and [`write_params`] are the only two places that read or
//! write a [`Model`]; a change to how models are kept touches them and nothing else here.
//!
//! # The flat parameter layout
//! Dense layer by dense layer: the weights `w_out_in` (out×in, row-major, rows = output units),
//! then the bias (out) if the layer has one. This is the order of [`crate::layers::Params::to_flat`],
//! so the flat vector and the optimizer state line up with the tape's.

use crate::activation::Activation;
use crate::error::Result;
use crate::loss::Loss;
use crate::model::{Fault, Model, ModelLayer};

/// One layer of the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayerSpec {
    /// z = W·x + b.
    Dense {
        /// Input width.
        inputs: usize,
        /// Output width (units).
        outputs: usize,
        /// Whether it adds a bias.
        bias: bool,
    },
    /// a = f(z), elementwise.
    Activation(Activation),
    /// ŷ = softmax(z); only last.
    Softmax,
    /// ln softmax(z); only last.
    LogSoftmax,
}

/// A network as the engine runs it. Made only by [`from_model`], from a [`Model`] that holds to
/// [`Model::from_layers`]'s rules and a loss that fits its output layer, so the plan relies on
/// them without a second copy of the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct NetSpec {
    /// In order, input first.
    pub(crate) layers: Vec<LayerSpec>,
    /// The loss it is trained with.
    pub(crate) loss: Loss,
    /// How many parameters the flat vector holds: the model's own count
    /// ([`Model::param_count`]), not a second one.
    params: usize,
}

impl NetSpec {
    /// The layers, input first.
    pub fn layers(&self) -> &[LayerSpec] {
        &self.layers
    }

    /// The loss it is trained with.
    pub fn loss(&self) -> Loss {
        self.loss
    }

    /// How many numbers one sample has.
    pub fn in_width(&self) -> usize {
        self.dense().next().map_or(0, |(i, _, _)| i)
    }

    /// How many outputs the network has (classes).
    pub fn out_width(&self) -> usize {
        self.dense().last().map_or(0, |(_, o, _)| o)
    }

    /// Each dense layer's (inputs, outputs, bias), in order.
    pub fn dense(&self) -> impl Iterator<Item = (usize, usize, bool)> + '_ {
        self.layers.iter().filter_map(|l| match *l {
            LayerSpec::Dense { inputs, outputs, bias } => Some((inputs, outputs, bias)),
            _ => None,
        })
    }

    /// How many parameters the flat vector holds ([`Model::param_count`] of the model it was
    /// made from).
    pub fn param_count(&self) -> usize {
        self.params
    }
}

/// The engine's view of `model` (its layers and its parameters as the flat vector), trained
/// with `loss`. The model's own rules ([`Model::from_layers`]) already hold; the loss's rule for
/// the output layer ([`Loss::check_output`]) is checked here.
pub fn from_model(model: &Model, loss: Loss) -> Result<(NetSpec, Vec<f64>)> {
    loss.check_output(model).map_err(Fault::into_error)?;
    let mut flat = Vec::with_capacity(model.param_count());
    let layers = model
        .layers
        .iter()
        .map(|layer| match layer {
            ModelLayer::Dense { w_out_in, b } => {
                flat.extend(w_out_in.iter().chain(b.iter().flatten()));
                LayerSpec::Dense { inputs: w_out_in.ncols(), outputs: w_out_in.nrows(), bias: b.is_some() }
            }
            ModelLayer::Activation(a) => LayerSpec::Activation(*a),
            ModelLayer::Softmax => LayerSpec::Softmax,
            ModelLayer::LogSoftmax => LayerSpec::LogSoftmax,
        })
        .collect();
    debug_assert_eq!(flat.len(), model.param_count(), "the flat vector holds every parameter");
    Ok((NetSpec { layers, loss, params: model.param_count() }, flat))
}

/// Writes the flat parameters back into `model`'s arrays, in place (no allocation: the trainer
/// does this after every epoch for its observer).
///
/// # Panics
/// If `flat` does not have the model's parameter count: a caller's bug.
pub fn write_params<F: super::Real>(flat: &[F], model: &mut Model) {
    let mut rest = flat;
    for layer in &mut model.layers {
        if let ModelLayer::Dense { w_out_in, b } = layer {
            for a in std::iter::once(w_out_in).chain(b.as_mut()) {
                let (now, later) = rest.split_at(a.len());
                a.iter_mut().zip(now).for_each(|(w, v)| *w = v.to_f64().expect("a float"));
                rest = later;
            }
        }
    }
    assert!(rest.is_empty(), "flat vector longer than the model's parameters");
}
