//! Elementwise logistic `σ(a) = 1 / (1 + e^{−a})`.

use crate::autodiff::{Op, Tape, Var};
use ndarray::{Array2, Zip};

/// Shared with the hand-derived model so both paths round the same way.
pub fn sigmoid(a: f64) -> f64 {
    1.0 / (1.0 + (-a).exp())
}

impl Tape {
    pub fn sigmoid(&mut self, a: Var) -> Var {
        let out = self.value(a).mapv(sigmoid);
        self.push(out, Sigmoid, vec![a])
    }
}

struct Sigmoid;

impl Op for Sigmoid {
    fn name(&self) -> &'static str {
        "sigmoid"
    }
    /// ∂L/∂a = g·sigmoid′, with sigmoid′ read off the output.
    fn vjp(&self, _inputs: &[&Array2<f64>], out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![Zip::from(g).and(out).map_collect(|&g, &s| g * sigmoid_derivative(s))]
    }
}

/// σ′ = σ(1 − σ), read off the output. Also what `trace` shows as the local derivative.
pub fn sigmoid_derivative(a: f64) -> f64 {
    a * (1.0 - a)
}
