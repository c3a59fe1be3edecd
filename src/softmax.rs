//! Softmax, log-softmax and the cross-entropy gradient at the logits, for one row of logits,
//! exact near certainty. Generic over the float type: the tape (f64), the hand path and the
//! compiled engine (f32 and f64) all call these, so the numerics live in one place.
//!
//! With `m = max_k z_k` at index `j` and `s = Σ_{k≠j} e^(z_k − m)` (every term ≤ 1, so nothing
//! overflows for any finite logits):
//! - `ln ŷ_j = −ln(1 + s)`, taken as `−log1p(s)`: all its digits survive when s is tiny, where
//!   JAX's `(z − m) − ln Σ e^(z − m)` rounds `1 + s` first and keeps only the digits of s that fit
//!   beside the 1 (for logits (28, 0, −1) and target 0 it is 1e-4 off; this is a few ulp);
//! - `ln ŷ_k = (z_k − m) − log1p(s)` for k ≠ j: finite even where ŷ_k underflows to 0, so a
//!   class that is not the target never makes the loss NaN;
//! - `∂L/∂z_j = ŷ_j − y_j = (1 − y_j) − s/(1 + s)`: on the true class of a nearly certain
//!   prediction this is −s/(1 + s), where `ŷ_j − 1` would cancel to 0 or to an ulp of 1.

use num_traits::Float;

/// What one row of logits gives: its largest entry, where it is, and the sum of the others'
/// exponentials relative to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowStats<F> {
    /// m = max_k z_k.
    pub max: F,
    /// j = the first k with z_k = m.
    pub argmax: usize,
    /// s = Σ_{k≠j} e^(z_k − m).
    pub rest: F,
}

impl<F: Float> RowStats<F> {
    /// # Shapes
    /// `z`: k ≥ 1 logits.
    pub fn of(z: &[F]) -> RowStats<F> {
        let (mut argmax, mut max) = (0, z[0]);
        for (k, &v) in z.iter().enumerate().skip(1) {
            if v > max {
                (argmax, max) = (k, v);
            }
        }
        let rest = z.iter().enumerate().filter(|&(k, _)| k != argmax).fold(F::zero(), |s, (_, &v)| s + (v - max).exp());
        RowStats { max, argmax, rest }
    }

    /// ln Σ_k e^(z_k) = m + log1p(s).
    pub fn logsumexp(&self) -> F {
        self.max + self.rest.ln_1p()
    }

    /// ln ŷ_k for logit z_k (natural log).
    pub fn log_prob(&self, k: usize, z_k: F) -> F {
        if k == self.argmax { -self.rest.ln_1p() } else { (z_k - self.max) - self.rest.ln_1p() }
    }
}

/// ln softmax(z), row by row into `out`.
///
/// # Shapes
/// `z`, `out`: k.
pub fn log_softmax_row<F: Float>(z: &[F], out: &mut [F]) {
    let stats = RowStats::of(z);
    for (k, (o, &v)) in out.iter_mut().zip(z).enumerate() {
        *o = stats.log_prob(k, v);
    }
}

/// softmax(z) into `out`.
///
/// # Shapes
/// `z`, `out`: k.
pub fn softmax_row<F: Float>(z: &[F], out: &mut [F]) {
    let stats = RowStats::of(z);
    let total = F::one() + stats.rest;
    for (k, (o, &v)) in out.iter_mut().zip(z).enumerate() {
        *o = if k == stats.argmax { F::one() / total } else { (v - stats.max).exp() / total };
    }
}

/// Cross-entropy −Σ_k y_k·ln ŷ_k (natural log) of one row and its gradient ŷ − y at the logits,
/// written into `grad`. `y` may be any distribution (one-hot or soft); terms with y_k = 0 add
/// nothing even where ŷ_k underflows.
///
/// # Shapes
/// `z`, `y`, `grad`: k.
pub fn cross_entropy_row<F: Float>(z: &[F], y: &[F], grad: &mut [F]) -> F {
    let stats = RowStats::of(z);
    let total = F::one() + stats.rest;
    let mut loss = F::zero();
    for (k, ((g, &v), &t)) in grad.iter_mut().zip(z).zip(y).enumerate() {
        if t != F::zero() {
            loss = loss - t * stats.log_prob(k, v);
        }
        *g = if k == stats.argmax { (F::one() - t) - stats.rest / total } else { (v - stats.max).exp() / total - t };
    }
    loss
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logits (28, 0, −1), target 0: s = e^(−28) + e^(−29), L = log1p(s). Reference values from
    /// mpmath at 50 digits: s = 9.4580657543171259e-13, log1p(s) = 9.4580657543126532e-13,
    /// −s/(1 + s) = −9.4580657543081804e-13.
    #[test]
    fn loss_near_certainty_keeps_its_digits() {
        let z = [28.0_f64, 0.0, -1.0];
        let mut g = [0.0; 3];
        let loss = cross_entropy_row(&z, &[1.0, 0.0, 0.0], &mut g);
        let exact = 9.458065754312653e-13;
        assert!(((loss - exact) / exact).abs() < 4.0 * f64::EPSILON, "{loss}");
        // ∂L/∂z_1 = −s/(1 + s) (mpmath, above)
        assert!(((g[0] + 9.45806575430818e-13) / 9.45806575430818e-13).abs() < 4.0 * f64::EPSILON, "{}", g[0]);
    }

    /// Logits (700, −700, 0) target 1: ln ŷ_1 = −1400 − log1p(e^(−700) + e^(−1400)) = −1400 exactly
    /// in f64; a softmax that underflows to 0 would give inf.
    #[test]
    fn far_apart_logits_stay_finite() {
        let z = [700.0_f64, -700.0, 0.0];
        let mut g = [0.0; 3];
        let loss = cross_entropy_row(&z, &[0.0, 1.0, 0.0], &mut g);
        assert_eq!(loss, 1400.0);
        // ŷ = (1, e^(−1400) → 0, e^(−700)): ∂L/∂z = ŷ − y.
        assert_eq!(g, [1.0, -1.0, (-700.0_f64).exp()]);
    }
}
