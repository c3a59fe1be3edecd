//! Weight decay: the L2 and L1 penalties added to a loss, defined once here. Every engine (the
//! tape, the hand-derived gradient, the compiled engine) and every explanation takes its value
//! and its gradient from [`Penalty`].
//!
//! L = L_data + λ₂/2·Σ W² + λ₁·Σ |W|, over the dense layers' weights only: a bias shifts a unit's
//! input and does not make the model more complex, so it is not penalised (as in Playground and
//! most texts). ∂L/∂W = ∂L_data/∂W + λ₂·W + λ₁·sign(W), with sign(0) = 0: at W = 0 |W| has no
//! derivative, and 0 is the smallest subgradient, the one that leaves a zero weight at zero (as
//! PyTorch's `abs` does). JAX's `jax.grad(jnp.abs)(0.0)` is 1; the JAX reference
//! (`tools/jax_penalty_reference.py`) writes |W| as W·sign(W) to take sign(0) = 0.

use crate::error::{Error, Result, Setting};
use crate::layers::Params;
use crate::loss::Notation;
use ndarray::Array2;
use num_traits::Float;

/// The rates λ₂ (`--l2`) and λ₁ (`--l1`); both 0 is no penalty.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Penalty {
    /// λ₂, the rate of λ₂/2·Σ W².
    pub l2: f64,
    /// λ₁, the rate of λ₁·Σ |W|.
    pub l1: f64,
}

impl Penalty {
    /// No penalty.
    pub const NONE: Penalty = Penalty { l2: 0.0, l1: 0.0 };

    /// The rates, each a finite number ≥ 0.
    pub fn new(l2: f64, l1: f64) -> Result<Penalty> {
        for (setting, rate) in [(Setting::L2, l2), (Setting::L1, l1)] {
            if !(rate.is_finite() && rate >= 0.0) {
                return Err(Error::invalid_value(setting, rate, "a penalty's rate is a finite number ≥ 0 (0: none)"));
            }
        }
        Ok(Penalty { l2, l1 })
    }

    /// Whether both rates are 0.
    pub fn is_none(self) -> bool {
        self.l2 == 0.0 && self.l1 == 0.0
    }

    /// One weight's share of the penalty: λ₂/2·w² + λ₁·|w|.
    pub fn of<F: Float>(self, w: F) -> F {
        let (l2, l1) = (F::from(self.l2).expect("a float"), F::from(self.l1).expect("a float"));
        l2 / (F::one() + F::one()) * w * w + l1 * w.abs()
    }

    /// Its derivative: λ₂·w + λ₁·sign(w), sign(0) = 0.
    pub fn slope<F: Float>(self, w: F) -> F {
        let (l2, l1) = (F::from(self.l2).expect("a float"), F::from(self.l1).expect("a float"));
        let sign = if w == F::zero() { F::zero() } else { w.signum() };
        l2 * w + l1 * sign
    }

    /// Adds the slope of each weight of `w` to its gradient in `g`, and gives the weights' share of
    /// the penalty. The compiled engine calls it on each dense layer's slice of its flat vector.
    ///
    /// # Shapes
    /// `w`, `g`: the same length.
    pub fn add_to<F: Float>(self, w: &[F], g: &mut [F]) -> F {
        let mut total = F::zero();
        for (&w, g) in w.iter().zip(g) {
            *g = *g + self.slope(w);
            total = total + self.of(w);
        }
        total
    }

    /// The penalty of a model's parameters (weights only).
    pub fn value(self, params: &Params) -> f64 {
        weights(params).into_iter().map(|w| w.iter().map(|&v| self.of(v)).sum::<f64>()).sum()
    }

    /// The gradient of the data loss, `grads`, with the penalty's added to every weight; the
    /// penalty's value beside it.
    pub fn apply(self, params: &Params, grads: &Params) -> (f64, Params) {
        if self.is_none() {
            return (0.0, grads.clone());
        }
        (self.value(params), with_weights(params, grads, &mut |w, g| g + &self.gradient(w)))
    }

    /// The penalty's gradient for one weight matrix: λ₂·W + λ₁·sign(W).
    pub fn gradient(self, w: &Array2<f64>) -> Array2<f64> {
        w.mapv(|v| self.slope(v))
    }

    /// The penalty's terms whose rate is not 0, written in `n`'s letters: λ₂/2·Σ W² + λ₁·Σ |W|
    /// (0 for no penalty).
    pub fn formula<N: Notation>(self, n: &N) -> N::Expr {
        let l2 = || n.times(n.over(n.rate(Norm::L2), vec![n.number(2.0)]), n.weights_sum(Norm::L2));
        let l1 = || n.times(n.rate(Norm::L1), n.weights_sum(Norm::L1));
        self.terms(n, l2, l1)
    }

    /// The loss the step lowers, L = `L_data + penalty`'s right side.
    pub fn loss_formula<N: Notation>(self, n: &N) -> N::Expr {
        n.plus(n.data_loss(), self.formula(n))
    }

    /// One weight's gradient, ∂L/∂Wᵢⱼ = `∂L_data/∂Wᵢⱼ + λ₂·Wᵢⱼ + λ₁·sign(Wᵢⱼ)`'s right side (the
    /// terms whose rate is not 0).
    pub fn gradient_formula<N: Notation>(self, n: &N) -> N::Expr {
        let l2 = || n.times(n.rate(Norm::L2), n.weight());
        let l1 = || n.times(n.rate(Norm::L1), n.weight_sign());
        n.plus(n.data_slope(), self.terms(n, l2, l1))
    }

    /// The L2 term and the L1 term, each where its rate is not 0, added.
    fn terms<N: Notation>(self, n: &N, l2: impl FnOnce() -> N::Expr, l1: impl FnOnce() -> N::Expr) -> N::Expr {
        match (self.l2 != 0.0, self.l1 != 0.0) {
            (true, true) => n.plus(l2(), l1()),
            (true, false) => l2(),
            (false, true) => l1(),
            (false, false) => n.number(0.0),
        }
    }
}

/// Which of the two terms: λ₂/2·Σ W² or λ₁·Σ |W|.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Norm {
    /// The sum of squares, `--l2`.
    L2,
    /// The sum of absolute values, `--l1`.
    L1,
}

/// Every dense layer's weight matrix, in order.
fn weights(params: &Params) -> Vec<&Array2<f64>> {
    match params {
        Params::None => Vec::new(),
        Params::Dense { w_out_in, .. } => vec![w_out_in],
        Params::Serial(ps) => ps.iter().flat_map(weights).collect(),
    }
}

/// `grads` with each weight matrix g replaced by `f(w, g)` (w the matching weights), biases as they are.
fn with_weights(
    params: &Params,
    grads: &Params,
    f: &mut impl FnMut(&Array2<f64>, &Array2<f64>) -> Array2<f64>,
) -> Params {
    match (params, grads) {
        (Params::Dense { w_out_in: w, .. }, Params::Dense { w_out_in: g, b }) => {
            Params::Dense { w_out_in: f(w, g), b: b.clone() }
        }
        (Params::Serial(ps), Params::Serial(gs)) => {
            Params::Serial(ps.iter().zip(gs).map(|(p, g)| with_weights(p, g, f)).collect())
        }
        (_, g) => g.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn value_and_gradient_by_hand() {
        // W = [[0.5, −2], [0, 1]], λ₂ = 0.1, λ₁ = 0.01:
        // penalty = 0.1/2·(0.25 + 4 + 0 + 1) + 0.01·(0.5 + 2 + 0 + 1) = 0.2625 + 0.035 = 0.2975;
        // gradient = 0.1·W + 0.01·sign(W) = [[0.06, −0.21], [0 (sign 0 = 0), 0.11]].
        let p = Penalty::new(0.1, 0.01).unwrap();
        let params = Params::Serial(vec![
            Params::Dense { w_out_in: array![[0.5, -2.0], [0.0, 1.0]], b: Some(array![[7.0, 7.0]]) },
            Params::None,
        ]);
        let zero = params.map(&mut |a: &Array2<f64>| Array2::zeros(a.dim()));
        let (value, g) = p.apply(&params, &zero);
        assert!((value - 0.2975).abs() < 1e-15, "{value}");
        let want = array![[0.06, -0.21], [0.0, 0.11]];
        assert!(g.layer(0).weights().unwrap().iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-15));
        // The bias is not penalised: its gradient stays 0.
        assert_eq!(g.layer(0).bias().unwrap(), &array![[0.0, 0.0]]);
    }

    #[test]
    fn a_negative_or_infinite_rate_is_refused() {
        assert!(Penalty::new(-0.1, 0.0).is_err());
        assert!(Penalty::new(0.0, f64::INFINITY).is_err());
        assert!(Penalty::new(0.0, 0.0).unwrap().is_none());
    }
}
