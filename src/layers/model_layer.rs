//! One layer of a model with its parameters ([`ModelLayer`]), and what each kind computes on
//! the tape ([`record`]). Here, with the layers, because both stax's `apply` and the tape
//! engine's forward pass record through it, and a [`crate::model::Model`] is a list of them.

use super::Params;
use crate::activation::Activation;
use crate::autodiff::{Tape, Var};
use crate::error::Result;
use ndarray::Array2;

/// One layer of a model with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelLayer<T = Array2<f64>> {
    /// z = a·Wᵀ + b.
    Dense {
        /// W, out×in.
        w_out_in: T,
        /// b, 1×out, or none.
        b: Option<T>,
    },
    /// a = f(z), unit by unit.
    Activation(Activation),
    /// ŷ = softmax(z), row by row.
    Softmax,
    /// ln softmax(z), row by row.
    LogSoftmax,
}

impl<T> ModelLayer<T> {
    /// The word in model files and explanations: `dense`, the activation's name, `softmax`,
    /// `logsoftmax`.
    pub fn kind(&self) -> &'static str {
        match self {
            ModelLayer::Dense { .. } => "dense",
            ModelLayer::Activation(a) => a.name(),
            ModelLayer::Softmax => "softmax",
            ModelLayer::LogSoftmax => "logsoftmax",
        }
    }

    /// Whether this is a softmax or log-softmax layer.
    pub fn is_softmax(&self) -> bool {
        matches!(self, ModelLayer::Softmax | ModelLayer::LogSoftmax)
    }

    /// The same layer with every parameter replaced by `f(parameter)`, weights before bias.
    pub fn map<U>(&self, f: &mut impl FnMut(&T) -> U) -> ModelLayer<U> {
        match self {
            ModelLayer::Dense { w_out_in, b } => ModelLayer::Dense { w_out_in: f(w_out_in), b: b.as_ref().map(f) },
            ModelLayer::Activation(a) => ModelLayer::Activation(*a),
            ModelLayer::Softmax => ModelLayer::Softmax,
            ModelLayer::LogSoftmax => ModelLayer::LogSoftmax,
        }
    }

    /// The layer's parameters as a [`Params`] node (`Params::None` for a layer without any).
    pub fn params(&self) -> Params<T>
    where
        T: Clone,
    {
        match self {
            ModelLayer::Dense { w_out_in, b } => Params::Dense { w_out_in: w_out_in.clone(), b: b.clone() },
            _ => Params::None,
        }
    }
}

/// One layer's forward computation, recorded on `tape`: the one place that says what each kind
/// of layer computes on the tape (stax's `apply` comes here too).
///
/// # Shapes
/// `x`: m×in → m×out.
pub fn record(tape: &mut Tape, layer: &ModelLayer<Var>, x: Var) -> Result<Var> {
    match layer {
        ModelLayer::Dense { w_out_in, b } => {
            let z = tape.matmul_nt(x, *w_out_in)?;
            match b {
                Some(b) => tape.add_row(z, *b),
                None => Ok(z),
            }
        }
        ModelLayer::Activation(a) => Ok(tape.activation(*a, x)),
        ModelLayer::Softmax => Ok(tape.softmax(x)),
        ModelLayer::LogSoftmax => Ok(tape.log_softmax(x)),
    }
}
