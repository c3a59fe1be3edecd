//! The gradient three ways: the tape, the hand-derived formulas (`engine::hand`) and central finite
//! differences of the loss.

use crate::engine::hand::hand_grad;
use crate::engine::tape::Pass;
use crate::error::Result;
use crate::layers::Params;
use crate::loss::Loss;
use crate::model::Model;
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
    /// How many of them were checked by finite differences (all, up to [`MAX_FD_PARAMETERS`]).
    pub fd_parameters: usize,
    /// The largest |tape − hand| over all parameters.
    pub max_diff_tape_hand: f64,
    /// The largest |tape − finite difference| over the parameters checked by finite differences.
    pub max_diff_tape_fd: f64,
    /// The largest |hand − finite difference| over the same parameters.
    pub max_diff_hand_fd: f64,
    /// Every tape gradient within the finite-difference tolerance of its finite difference, and
    /// the hand formula within the relative tolerance of the tape.
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
    let sample = fd_sample(tape.len());
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
        fd_parameters: sample.len(),
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

/// (L(θ + h·e_i) − L(θ − h·e_i)) / 2h for each flat parameter index i in `indices`, with the loss
/// as the tape computes it.
pub fn finite_differences(
    model: &Model,
    x: &Array2<f64>,
    y: &Array2<f64>,
    loss: Loss,
    indices: &[usize],
) -> Result<Vec<f64>> {
    let (params, theta) = (model.params(), model.params().to_flat());
    let loss_at = |flat: &[f64]| -> Result<f64> {
        Ok(Pass::forward(&model.with_params(&params.with_flat(flat)), x, y, loss)?.loss())
    };
    let mut shifted = theta.clone();
    let mut out = Vec::with_capacity(indices.len());
    for &i in indices {
        shifted[i] = theta[i] + FD_STEP;
        let plus = loss_at(&shifted)?;
        shifted[i] = theta[i] - FD_STEP;
        let minus = loss_at(&shifted)?;
        shifted[i] = theta[i];
        out.push((plus - minus) / (2.0 * FD_STEP));
    }
    Ok(out)
}
