//! The gradient three ways: the tape, the hand-derived formulas (`engine::hand`) and central finite
//! differences of the loss.

use crate::engine::hand::{forward, hand_grad};
use crate::engine::tape::Pass;
use crate::error::Result;
use crate::layers::Params;
use crate::loss::Loss;
use crate::model::{Model, ModelLayer};
use ndarray::Array2;
use serde::Serialize;

/// The finite-difference step, small enough for the O(h²) error of a central difference and
/// large enough that float64 cancellation stays below it.
pub const FD_STEP: f64 = 1e-6;
/// A tape gradient a passes against its finite difference n when |a − n| ≤ abs + rel·|n|: the
/// central difference's truncation and cancellation error at [`FD_STEP`] stays below this.
pub const FD_TOLERANCE_ABS: f64 = 1e-6;
/// The relative part of the finite-difference tolerance.
pub const FD_TOLERANCE_REL: f64 = 1e-5;
/// The hand formulas do the same arithmetic as the tape in another order: they agree to rounding.
pub const HAND_TOLERANCE_REL: f64 = 1e-12;
/// Finite differences cost two forward passes per parameter; past this many parameters an evenly
/// spread sample of this size is checked, so a large model's explanation stays quick.
pub const MAX_FD_PARAMETERS: usize = 200;

/// The gradient three ways: the tape, the hand formulas, finite differences.
#[derive(Debug, Clone, Serialize)]
pub struct GradCheck {
    /// h in (L(θ + h) − L(θ − h))/2h.
    pub fd_step: f64,
    /// The finite-difference test: |tape − fd| ≤ abs + rel·|fd| (shown with the result).
    pub fd_tolerance_abs: f64,
    /// The relative part of the finite-difference tolerance.
    pub fd_tolerance_rel: f64,
    /// The hand-formula test: |tape − hand| ≤ rel·max(|tape|, |hand|).
    pub hand_tolerance_rel: f64,
    /// How many numbers the model has (each checked against the hand formulas).
    pub parameters: usize,
    /// How many of them were sampled for finite differences (all, up to [`MAX_FD_PARAMETERS`]);
    /// those at a kink ([`GradCheck::fd_at_kink`]) are then left out.
    pub fd_parameters: usize,
    /// The largest |tape − hand| over all parameters.
    pub max_diff_tape_hand: f64,
    /// The largest |tape − finite difference| over the parameters checked by finite differences.
    pub max_diff_tape_fd: f64,
    /// The largest |hand − finite difference| over the same parameters.
    pub max_diff_hand_fd: f64,
    /// How many of the parameters checked by finite differences move a relu or leaky_relu input
    /// across its kink between θ − h and θ + h (an input at exactly 0 does): there the central
    /// difference averages the slopes on both sides, so it is not compared (the check is not
    /// meaningful at a kink) and the differences above leave them out.
    pub fd_at_kink: usize,
    /// Every tape gradient within the finite-difference tolerance of its finite difference (where
    /// that is meaningful), and the hand formula within the relative tolerance of the tape.
    pub passed: bool,
}

/// Checks `tape_grads`, the tape's gradient of `model`'s loss on (x, y).
pub fn grad_check(
    model: &Model,
    x: &Array2<f64>,
    y: &Array2<f64>,
    loss: Loss,
    tape_grads: &Params,
) -> Result<GradCheck> {
    let tape = tape_grads.to_flat();
    let hand = hand_grad(model, x, y, loss)?.grads.to_flat();
    let all = fd_sample(tape.len());
    let kinked = straddles_kink(model, x, &all)?;
    let sample: Vec<usize> = all.iter().zip(&kinked).filter(|&(_, &k)| !k).map(|(&i, _)| i).collect();
    let numeric = finite_differences(model, x, y, loss, &sample)?;
    let (tape_s, hand_s): (Vec<f64>, Vec<f64>) = sample.iter().map(|&i| (tape[i], hand[i])).unzip();
    let max_diff = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let fd_ok =
        tape_s.iter().zip(&numeric).all(|(a, n)| (a - n).abs() <= FD_TOLERANCE_ABS + FD_TOLERANCE_REL * n.abs());
    let hand_ok = tape
        .iter()
        .zip(&hand)
        .all(|(a, h)| (a - h).abs() <= HAND_TOLERANCE_REL * a.abs().max(h.abs()).max(1e-300) + 1e-15);
    Ok(GradCheck {
        fd_step: FD_STEP,
        fd_tolerance_abs: FD_TOLERANCE_ABS,
        fd_tolerance_rel: FD_TOLERANCE_REL,
        hand_tolerance_rel: HAND_TOLERANCE_REL,
        parameters: tape.len(),
        fd_parameters: all.len(),
        fd_at_kink: all.len() - sample.len(),
        max_diff_tape_hand: max_diff(&tape, &hand),
        max_diff_tape_fd: max_diff(&tape_s, &numeric),
        max_diff_hand_fd: max_diff(&hand_s, &numeric),
        passed: fd_ok && hand_ok,
    })
}

/// The flat indices finite differences check: all of them, or [`MAX_FD_PARAMETERS`] spread evenly
/// from the first to the last (so every layer is sampled).
pub fn fd_sample(n: usize) -> Vec<usize> {
    if n <= MAX_FD_PARAMETERS {
        (0..n).collect()
    } else {
        (0..MAX_FD_PARAMETERS).map(|k| k * (n - 1) / (MAX_FD_PARAMETERS - 1)).collect()
    }
}

/// f′ at every relu and leaky_relu input of the forward pass on `x`: which side of its kink each
/// input is on.
fn kink_sides(model: &Model, x: &Array2<f64>) -> Result<Vec<f64>> {
    let outs = forward(model, x)?;
    let mut sides = Vec::new();
    for (i, layer) in model.layers.iter().enumerate() {
        if let ModelLayer::Activation(f) = layer
            && f.has_kink()
        {
            let z = if i == 0 { x } else { &outs[i - 1] };
            sides.extend(z.iter().map(|&z| f.df(z, f.f(z))));
        }
    }
    Ok(sides)
}

/// For each flat parameter index in `indices`: whether some relu or leaky_relu input is on
/// different sides of its kink at θ − h and θ + h (the central difference then straddles it).
fn straddles_kink(model: &Model, x: &Array2<f64>, indices: &[usize]) -> Result<Vec<bool>> {
    if !model.layers.iter().any(|l| matches!(l, ModelLayer::Activation(f) if f.has_kink())) {
        return Ok(vec![false; indices.len()]);
    }
    let sides = at_both_sides(model, indices, |m| kink_sides(m, x))?;
    Ok(sides.into_iter().map(|(plus, minus)| plus != minus).collect())
}

/// (L(θ + h·e_i) − L(θ − h·e_i)) / 2h for each flat parameter index i in `indices`, with the loss
/// as the tape computes it.
pub fn finite_differences(
    model: &Model,
    x: &Array2<f64>,
    y: &Array2<f64>,
    loss: Loss,
    indices: &[usize],
) -> Result<Vec<f64>> {
    let losses = at_both_sides(model, indices, |m| Ok(Pass::forward(m, x, y, loss)?.loss()))?;
    Ok(losses.into_iter().map(|(plus, minus)| (plus - minus) / (2.0 * FD_STEP)).collect())
}

/// `f` of the model moved to θ + h·e_i and to θ − h·e_i, for each flat parameter index i in
/// `indices`.
fn at_both_sides<T>(model: &Model, indices: &[usize], f: impl Fn(&Model) -> Result<T>) -> Result<Vec<(T, T)>> {
    let (params, theta) = (model.params(), model.params().to_flat());
    let at = |flat: &[f64]| f(&model.with_params(&params.with_flat(flat)));
    let mut shifted = theta.clone();
    let mut out = Vec::with_capacity(indices.len());
    for &i in indices {
        shifted[i] = theta[i] + FD_STEP;
        let plus = at(&shifted)?;
        shifted[i] = theta[i] - FD_STEP;
        let minus = at(&shifted)?;
        shifted[i] = theta[i];
        out.push((plus, minus));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::engine::tape::value_and_grad;
    use ndarray::array;

    /// A hidden unit whose input is exactly 0: z₁ = 1·0.5 − 1·0.5 = 0, z₂ = 0.5·0.5 + 0.25·0.5 = 0.375.
    /// Moving W1₁₁ or W1₁₂ by ±h moves z₁ to ±h/2, across the kink: the central difference is then
    /// half the active side's slope, the tape's one side (relu′(0) = 0, leaky_relu′(0) = 1), so a
    /// comparison would fail although both are right. Those two are not compared; the other six are.
    #[test]
    fn finite_differences_are_not_compared_at_a_kink() {
        for act in [Activation::Relu, Activation::LeakyRelu] {
            let model = Model::builder()
                .dense(array![[1.0, -1.0], [0.5, 0.25]], None)
                .activation(act)
                .dense(array![[0.3, -0.2], [0.1, 0.4]], None)
                .softmax()
                .build()
                .unwrap();
            let (x, y) = (array![[0.5, 0.5]], array![[1.0, 0.0]]);
            let loss = Loss::default();
            let (_, grads) = value_and_grad(&model, &x, &y, loss).unwrap();
            let check = grad_check(&model, &x, &y, loss, &grads).unwrap();
            assert_eq!((check.fd_parameters, check.fd_at_kink), (8, 2), "{act}");
            assert!(check.passed, "{act}: {check:?}");
            // Compared anyway, W1₁₁'s difference would be off by far more than the tolerance.
            let straddling = finite_differences(&model, &x, &y, loss, &[0]).unwrap()[0];
            let tape = grads.to_flat()[0];
            assert!((straddling - tape).abs() > 1e-3, "{act}: fd {straddling} vs tape {tape}");
        }
    }
}
