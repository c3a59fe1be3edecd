//! Elementwise `max(a, 0)`.

use crate::autodiff::{Op, Tape, Var};
use ndarray::{Array2, Zip};

impl Tape {
    pub fn relu(&mut self, a: Var) -> Var {
        let out = self.value(a).mapv(|v| v.max(0.0));
        self.push(out, Relu, vec![a])
    }
}

struct Relu;

impl Op for Relu {
    fn name(&self) -> &'static str {
        "relu"
    }
    /// ∂L/∂a = g·relu′, with relu′ read off the output.
    fn vjp(&self, _inputs: &[&Array2<f64>], out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![Zip::from(g).and(out).map_collect(|&g, &a| g * relu_derivative(a))]
    }
}

/// relu′ = `[a > 0]`; at exactly 0 it is 0, as in JAX. Also what `trace` shows as the local derivative.
pub fn relu_derivative(a: f64) -> f64 {
    if a > 0.0 { 1.0 } else { 0.0 }
}
