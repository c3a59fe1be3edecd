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

use crate::autodiff::ops::{a_wt, gt_a, logsumexp_row, sigmoid};
use crate::error::{Error, Result, shape};
use crate::layers::{Layer, Params};
use crate::loss::{LogBase, mean_loss};
use crate::model::Model;
use ndarray::{Array2, Axis};

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
            Layer::Relu => a.mapv(|v| v.max(0.0)),
            Layer::Tanh => a.mapv(f64::tanh),
            Layer::Sigmoid => a.mapv(sigmoid),
            Layer::Softmax | Layer::LogSoftmax => break,
            Layer::Serial(_) => unreachable!("a Model's layers are flat"),
        };
        outs.push(next);
    }
    Ok(outs)
}

/// The loss of `model` on the batch `x` with one-hot targets `y`, and its gradient, by hand.
pub fn hand_grad(model: &Model, x: &Array2<f64>, y: &Array2<f64>, base: LogBase) -> Result<HandGrad> {
    let mut outs = forward(model, x)?;
    let z = outs.last().expect("a model has a dense layer below its softmax");
    if y.dim() != z.dim() {
        return Err(Error::Shape {
            op: "hand loss",
            detail: format!("targets {} and logits {}", shape(y.dim()), shape(z.dim())),
        });
    }
    let m = x.nrows() as f64;
    let log_p = log_softmax(z);
    let loss = mean_loss(&log_p, y, base);
    let probabilities = log_p.mapv(f64::exp);
    let grad_logits = (&probabilities - y) / (m * base.ln());

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
            Layer::Relu => delta = delta * out.mapv(|a| if a > 0.0 { 1.0 } else { 0.0 }),
            Layer::Tanh => delta = delta * out.mapv(|a| 1.0 - a * a),
            Layer::Sigmoid => delta = delta * out.mapv(|s| s * (1.0 - s)),
            _ => unreachable!("only the last layer is a softmax"),
        }
    }
    let logits = outs.pop().expect("the logits are there");
    Ok(HandGrad { logits, probabilities, loss, grad_logits, grads: Params::Serial(grads) })
}

/// Row-wise z − (max + ln Σ e^{z−max}).
pub fn log_softmax(z: &Array2<f64>) -> Array2<f64> {
    let mut out = z.clone();
    for mut row in out.rows_mut() {
        let lse = logsumexp_row(row.view());
        row.mapv_inplace(|v| v - lse);
    }
    out
}
