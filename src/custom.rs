//! The blog's second model: the gradient derived by hand, no tape.
//!
//! For the blog's softmax regression, a batch of m samples (rows of x), weights W
//! (classes×features, `w_out_in`) and an optional bias b:
//! - z = x·Wᵀ + b, ŷ = softmax(z) (through log-sum-exp),
//! - E = (1/m) Σ_samples −Σ_k y_k·log_b ŷ_k,
//! - ∂E/∂z = (ŷ − y) / (m·ln b): the softmax Jacobian diag(ŷ) − ŷŷᵀ times ∂E/∂ŷ = −y/(m·ŷ·ln b)
//!   collapses to this because Σ_k y_k = 1,
//! - ∂E/∂W = (∂E/∂z)ᵀ·x (entry ij: Σ_samples ∂E/∂z_i·x_j), ∂E/∂b = Σ_samples ∂E/∂z.
//!
//! Hidden layers continue the same chain by hand: a dense layer passes back δ·W, an activation
//! multiplies by its local derivative (tanh′ = 1 − a², relu′ = `[a > 0]`, σ′ = σ(1 − σ)), each read
//! off the layer's output. This path shares nothing with the tape but the model's layout, and is
//! checked against it and against finite differences.
//!
//! # Shapes
//! x: m×n, W: out×in, b: 1×out, y: m×k (one-hot), z and ŷ: m×k.

use crate::autodiff::ops::{a_wt, gt_a};
use crate::error::{Error, Result, shape};
use crate::layers::{Layer, Params};
use crate::loss::Loss;
use crate::model::Model;
use crate::softmax::log_softmax_row;
use ndarray::{Array2, Axis, Zip};

/// What the hand-derived model computes for one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct HandGrad {
    /// The softmax's input z, m×k.
    pub logits: Array2<f64>,
    pub probabilities: Array2<f64>,
    pub loss: f64,
    /// ∂E/∂z, m×k.
    pub grad_logits: Array2<f64>,
    /// ∂E/∂params, shaped like the model's parameters.
    pub grads: Params,
}

/// Every layer's output, by hand, up to the softmax: entry i is layer i's output, the last the
/// logits z. Shared with prediction, which needs the forward values only; the input is not copied.
///
/// # Shapes
/// `x`: m×in; entry i is m×(layer i's output width), the last m×k.
pub fn forward(model: &Model, x: &Array2<f64>) -> Result<Vec<Array2<f64>>> {
    let mut outs: Vec<Array2<f64>> = Vec::with_capacity(model.layers.len());
    for (i, layer) in model.layers.iter().enumerate() {
        let a = outs.last().unwrap_or(x);
        let next = match layer {
            Layer::Dense(_) => {
                let p = model.params.layer(i);
                let w = p.weights().expect("dense params");
                if a.ncols() != w.ncols() {
                    return Err(Error::Shape {
                        op: "hand dense",
                        detail: format!("x {} and W {}", shape(a.dim()), shape(w.dim())),
                    });
                }
                let z = a_wt(a, w);
                match p.bias() {
                    Some(b) => z + b,
                    None => z,
                }
            }
            Layer::Activation(f) => a.mapv(|z| f.f(z)),
            Layer::Softmax | Layer::LogSoftmax => break,
            Layer::Serial(_) => unreachable!("a Model's layers are flat"),
        };
        outs.push(next);
    }
    Ok(outs)
}

/// The loss of `model` on the batch `x` with targets `y` (one-hot for cross-entropy, any numbers
/// for the quadratic cost), and its gradient, by hand.
pub fn hand_grad(model: &Model, x: &Array2<f64>, y: &Array2<f64>, loss_fn: Loss) -> Result<HandGrad> {
    let mut outs = forward(model, x)?;
    let top = model.layers.last().expect("a model has layers");
    let below_softmax = matches!(top, Layer::Softmax | Layer::LogSoftmax);
    if !loss_fn.allows_output(below_softmax) {
        return Err(Error::invalid("model", format!("with {loss_fn} the last layer must be softmax or logsoftmax")));
    }
    let z = outs.last().expect("a model has a dense layer");
    if y.dim() != z.dim() {
        return Err(Error::Shape {
            op: "hand loss",
            detail: format!("targets {} and outputs {}", shape(y.dim()), shape(z.dim())),
        });
    }
    let m = x.nrows() as f64;
    let probabilities = log_softmax(z).mapv(f64::exp);
    // What the loss reads: the logits (cross-entropy), or the model's output.
    let read = if loss_fn.reads_logits() { z.clone() } else { output_of(model, z.clone()) };
    let mut grad_read = Array2::zeros(read.dim());
    let mut loss = 0.0;
    for (mut g, (r, t)) in grad_read.rows_mut().into_iter().zip(read.rows().into_iter().zip(y.rows())) {
        loss += loss_fn.row(&r.to_vec(), &t.to_vec(), g.as_slice_mut().expect("standard layout"));
    }
    let (loss, grad_read) = (loss / m + 0.0, grad_read / m);
    // Through the output softmax when the loss read its output: ∂L/∂z = ŷ ⊙ (g − Σ ŷ·g) for
    // softmax, g − ŷ·Σ g for log-softmax.
    let grad_logits = match top {
        _ if loss_fn.reads_logits() => grad_read,
        Layer::Softmax => {
            let mut d = grad_read;
            for (mut d, p) in d.rows_mut().into_iter().zip(probabilities.rows()) {
                let dot: f64 = d.iter().zip(p).map(|(g, p)| g * p).sum();
                d.zip_mut_with(&p, |g, &p| *g = p * (*g - dot));
            }
            d
        }
        Layer::LogSoftmax => {
            let mut d = grad_read;
            for (mut d, p) in d.rows_mut().into_iter().zip(probabilities.rows()) {
                let total = d.sum();
                d.zip_mut_with(&p, |g, &p| *g -= p * total);
            }
            d
        }
        _ => grad_read,
    };

    // Backward through the layers below the softmax: layer i maps its input (x or outs[i − 1])
    // to outs[i].
    let mut grads = vec![Params::None; model.layers.len()];
    let mut delta = grad_logits.clone();
    for i in (0..outs.len()).rev() {
        let (input, out) = (if i == 0 { x } else { &outs[i - 1] }, &outs[i]);
        match &model.layers[i] {
            Layer::Dense(_) => {
                let p = model.params.layer(i);
                let w = p.weights().expect("dense params");
                let grad_w = gt_a(&delta, input);
                let grad_b = p.bias().map(|_| delta.sum_axis(Axis(0)).insert_axis(Axis(0)));
                grads[i] = Params::Dense { w_out_in: grad_w, b: grad_b };
                delta = delta.dot(w);
            }
            Layer::Activation(f) => delta = delta * Zip::from(input).and(out).map_collect(|&z, &a| f.df(z, a)),
            Layer::Softmax | Layer::LogSoftmax | Layer::Serial(_) => unreachable!("only the last layer is a softmax"),
        }
    }
    let logits = outs.pop().expect("the logits are there");
    Ok(HandGrad { logits, probabilities, loss, grad_logits, grads: Params::Serial(grads) })
}

/// The model's output from the input of its last layer: softmax or log-softmax of it when the
/// model ends in one, else that input itself (`forward` stops below a softmax).
///
/// # Shapes
/// m×k → m×k.
pub fn output_of(model: &Model, z: Array2<f64>) -> Array2<f64> {
    match model.layers.last() {
        Some(Layer::Softmax) => log_softmax(&z).mapv(f64::exp),
        Some(Layer::LogSoftmax) => log_softmax(&z),
        _ => z,
    }
}

/// ln softmax(z), row by row, exact near certainty (see [`crate::softmax`]).
pub fn log_softmax(z: &Array2<f64>) -> Array2<f64> {
    let mut out = Array2::zeros(z.dim());
    for (mut o, row) in out.rows_mut().into_iter().zip(z.rows()) {
        log_softmax_row(&row.to_vec(), o.as_slice_mut().expect("standard layout"));
    }
    out
}
