//! The hand engine: the blog's second model, the gradient derived by hand, no tape. Generic over
//! the float type (f32 and f64).
//!
//! For the blog's softmax regression, a batch of m samples (rows of x), weights W
//! (classes×features, `w_out_in`) and an optional bias b:
//! - z = x·Wᵀ + b, ŷ = softmax(z),
//! - E = (1/m) Σ_samples −Σ_k y_k·log_b ŷ_k,
//! - ∂E/∂z = (ŷ − y) / (m·ln b): the softmax Jacobian diag(ŷ) − ŷŷᵀ times ∂E/∂ŷ = −y/(m·ŷ·ln b)
//!   collapses to this because Σ_k y_k = 1,
//! - ∂E/∂W = (∂E/∂z)ᵀ·x (entry ij: Σ_samples ∂E/∂z_i·x_j), ∂E/∂b = Σ_samples ∂E/∂z.
//!
//! With the quadratic cost E = (1/m) Σ ½‖y − ŷ‖² the chain starts at the output instead:
//! ∂E/∂ŷ = (ŷ − y)/m, then back through the output layer (a softmax's Jacobian, an activation's
//! derivative) like any other.
//!
//! Hidden layers continue the same chain by hand: a dense layer passes back δ·W, an activation
//! multiplies by its derivative f′(z) ([`crate::activation::Activation::df`]). The tape and this
//! path share the model, the activations, the losses and the row-wise softmax (`softmax.rs`),
//! nothing of the chain rule: each is checked against the other and against finite differences.
//!
//! # Shapes
//! x: m×n, W: out×in, b: 1×out, y: m×k, z and ŷ: m×k.

use super::Real;
use crate::autodiff::ops::{a_wt, gt_a};
use crate::error::{Error, Result, shape};
use crate::layers::Params;
use crate::loss::Loss;
use crate::model::{Fault, Model, ModelLayer};
use crate::softmax::log_softmax_row;
use ndarray::{Array2, Axis, Zip};

/// What the hand-derived model computes for one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct HandGrad<F = f64> {
    /// The input of the last layer (the logits below a softmax), m×k.
    pub logits: Array2<F>,
    /// The mean loss.
    pub loss: F,
    /// ∂E/∂(logits), m×k.
    pub grad_logits: Array2<F>,
    /// ∂E/∂params, shaped like [`Model::params`].
    pub grads: Params<Array2<F>>,
}

/// Every layer's output, by hand, up to the input of a final softmax: entry i is layer i's
/// output, the last the logits z (or, for a model without a softmax, its output). Shared with
/// prediction, which needs the forward values only; the input is not copied.
///
/// # Shapes
/// `x`: m×in; entry i is m×(layer i's output width), the last m×k.
pub fn forward<F: Real>(model: &Model<Array2<F>>, x: &Array2<F>) -> Result<Vec<Array2<F>>> {
    let mut outs: Vec<Array2<F>> = Vec::with_capacity(model.layers.len());
    for layer in &model.layers {
        let a = outs.last().unwrap_or(x);
        let next = match layer {
            ModelLayer::Dense { w_out_in, b } => {
                if a.ncols() != w_out_in.ncols() {
                    return Err(Error::Shape {
                        op: "hand dense",
                        detail: format!("x {} and W {}", shape(a.dim()), shape(w_out_in.dim())),
                    });
                }
                let z = a_wt(a, w_out_in);
                match b {
                    Some(b) => z + b,
                    None => z,
                }
            }
            ModelLayer::Activation(f) => a.mapv(|z| f.f(z)),
            ModelLayer::Softmax | ModelLayer::LogSoftmax => break,
        };
        outs.push(next);
    }
    Ok(outs)
}

/// The loss of `model` on the batch `x` with targets `y` (one-hot for cross-entropy, any
/// numbers for the quadratic cost), and its gradient, by hand.
pub fn hand_grad<F: Real>(
    model: &Model<Array2<F>>,
    x: &Array2<F>,
    y: &Array2<F>,
    loss_fn: Loss,
) -> Result<HandGrad<F>> {
    let top = model.last();
    loss_fn.check_output(model).map_err(Fault::into_error)?;
    let mut outs = forward(model, x)?;
    let z = outs.last().expect("a model has a dense layer");
    if y.dim() != z.dim() {
        return Err(Error::Shape {
            op: "hand loss",
            detail: format!("targets {} and outputs {}", shape(y.dim()), shape(z.dim())),
        });
    }
    let m = F::from(x.nrows()).expect("a float");
    // What the loss reads: the logits (cross-entropy), or the model's output.
    let read = if loss_fn.reads_logits() { z.clone() } else { output_of(model, z.clone()) };
    let mut grad_read = Array2::zeros(read.dim());
    let mut loss = F::zero();
    for (mut g, (r, t)) in grad_read.rows_mut().into_iter().zip(read.rows().into_iter().zip(y.rows())) {
        loss = loss + loss_fn.row(&r.to_vec(), &t.to_vec(), g.as_slice_mut().expect("a fresh array"));
    }
    let (loss, grad_read) = (loss / m + F::zero(), grad_read / m);
    let grad_logits = if loss_fn.reads_logits() { grad_read } else { through_output(top, &read, grad_read) };

    // Backward through the layers below the softmax: layer i maps its input (x or outs[i − 1])
    // to outs[i].
    let mut grads = vec![Params::None; model.layers.len()];
    let mut delta = grad_logits.clone();
    for i in (0..outs.len()).rev() {
        let (input, out) = (if i == 0 { x } else { &outs[i - 1] }, &outs[i]);
        match &model.layers[i] {
            ModelLayer::Dense { w_out_in, b } => {
                let grad_w = gt_a(&delta, input);
                let grad_b = b.as_ref().map(|_| delta.sum_axis(Axis(0)).insert_axis(Axis(0)));
                grads[i] = Params::Dense { w_out_in: grad_w, b: grad_b };
                delta = delta.dot(w_out_in);
            }
            ModelLayer::Activation(f) => delta = delta * Zip::from(input).and(out).map_collect(|&z, &a| f.df(z, a)),
            ModelLayer::Softmax | ModelLayer::LogSoftmax => unreachable!("forward stops below a softmax"),
        }
    }
    let logits = outs.pop().expect("the logits are there");
    Ok(HandGrad { logits, loss, grad_logits, grads: Params::Serial(grads) })
}

/// ∂E/∂z from ∂E/∂(output) `g` when the loss read the model's output `out`: through a softmax,
/// ŷ ⊙ (g − Σ ŷ·g) (its Jacobian diag(ŷ) − ŷŷᵀ); through a log-softmax, g − ŷ·Σ g; any other
/// last layer is handled with the hidden ones (the output is already its own input's image).
fn through_output<F: Real>(top: &ModelLayer<Array2<F>>, out: &Array2<F>, mut g: Array2<F>) -> Array2<F> {
    for (mut g, o) in g.rows_mut().into_iter().zip(out.rows()) {
        match top {
            ModelLayer::Softmax => {
                let dot = g.iter().zip(o).fold(F::zero(), |s, (&g, &p)| s + g * p);
                g.zip_mut_with(&o, |g, &p| *g = p * (*g - dot));
            }
            ModelLayer::LogSoftmax => {
                let total = g.sum();
                g.zip_mut_with(&o, |g, &ln_p| *g = *g - ln_p.exp() * total);
            }
            ModelLayer::Dense { .. } | ModelLayer::Activation(_) => {}
        }
    }
    g
}

/// The model's output from the input of its last layer: softmax or log-softmax of it when the
/// model ends in one, else that input itself (`forward` stops below a softmax).
///
/// # Shapes
/// m×k → m×k.
pub fn output_of<F: Real>(model: &Model<Array2<F>>, z: Array2<F>) -> Array2<F> {
    match model.last() {
        ModelLayer::Softmax => log_softmax(&z).mapv(F::exp),
        ModelLayer::LogSoftmax => log_softmax(&z),
        ModelLayer::Dense { .. } | ModelLayer::Activation(_) => z,
    }
}

/// ln softmax(z), row by row, exact near certainty (see [`crate::softmax`]).
pub fn log_softmax<F: Real>(z: &Array2<F>) -> Array2<F> {
    let mut out = Array2::zeros(z.dim());
    for (mut o, row) in out.rows_mut().into_iter().zip(z.rows()) {
        log_softmax_row(&row.to_vec(), o.as_slice_mut().expect("a fresh array"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::data::one_hot;
    use ndarray::array;

    /// The blog's update in f32 and f64: loss −ln 0.4794433 = 0.7351296406658168 nats and
    /// ∂L/∂W₁₁ = (0.4794433 − 1)·0.81 = −0.4216509 (spec; JAX golden `blog_ln`), each to the
    /// precision of its type.
    #[test]
    fn the_blog_update_in_f32_and_f64() {
        let w = array![[0.15, 0.29, 0.10, 0.71], [-0.80, 0.97, 0.51, 0.67], [0.14, -0.47, -0.62, 0.21]];
        let model = Model::builder().dense(w, None).softmax().build().unwrap();
        let (x, y) = (array![[0.81, 0.57, 0.28, 0.84]], one_hot(&[0], 3));
        let g64 = hand_grad(&model, &x, &y, Loss::default()).unwrap();
        assert!((g64.loss - 0.7351296406658168).abs() < 1e-15);
        let dw11 = (0.47944329959720844 - 1.0) * 0.81;
        assert!((g64.grads.layer(0).weights().unwrap()[[0, 0]] - dw11).abs() < 1e-15);

        let g32 =
            hand_grad(&model.cast::<f32>(), &x.mapv(|v| v as f32), &y.mapv(|v| v as f32), Loss::default()).unwrap();
        assert!((g32.loss as f64 - 0.7351296406658168).abs() < 4.0 * f32::EPSILON as f64, "{}", g32.loss);
        let w32 = g32.grads.layer(0).weights().unwrap()[[0, 0]] as f64;
        assert!((w32 - dw11).abs() < 4.0 * f32::EPSILON as f64, "{w32}");
    }

    /// A sigmoid output layer with the quadratic cost, f32 against f64: one sample, 2-2-2.
    #[test]
    fn f32_follows_f64_through_hidden_layers() {
        let model = Model::builder()
            .dense_with_bias(array![[0.15, 0.2], [0.25, 0.3]], &[0.35, 0.35])
            .activation(Activation::Sigmoid)
            .dense_with_bias(array![[0.4, 0.45], [0.5, 0.55]], &[0.6, 0.6])
            .activation(Activation::Sigmoid)
            .build()
            .unwrap();
        let (x, y) = (array![[0.05, 0.1]], array![[0.01, 0.99]]);
        let g64 = hand_grad(&model, &x, &y, Loss::Quadratic).unwrap();
        let g32 =
            hand_grad(&model.cast::<f32>(), &x.mapv(|v| v as f32), &y.mapv(|v| v as f32), Loss::Quadratic).unwrap();
        assert!((g32.loss as f64 - g64.loss).abs() < 1e-6 * g64.loss);
        for (a, b) in g64.grads.to_flat().iter().zip(g32.grads.leaves().iter().flat_map(|a| a.iter())) {
            assert!((*b as f64 - a).abs() < 1e-6 * a.abs().max(1e-3), "{a} vs {b}");
        }
    }
}
