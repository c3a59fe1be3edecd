//! Elementwise `tanh a`.

use crate::autodiff::{Op, Tape, Var};
use ndarray::{Array2, Zip};

impl Tape {
    pub fn tanh(&mut self, a: Var) -> Var {
        let out = self.value(a).mapv(f64::tanh);
        self.push(out, Tanh, vec![a])
    }
}

struct Tanh;

impl Op for Tanh {
    fn name(&self) -> &'static str {
        "tanh"
    }
    /// ∂L/∂a = g·tanh′, with tanh′ read off the output.
    fn vjp(&self, _inputs: &[&Array2<f64>], out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![Zip::from(g).and(out).map_collect(|&g, &t| g * tanh_derivative(t))]
    }
}

/// tanh′ = 1 − tanh², read off the output. Also what `trace` shows as the local derivative.
pub fn tanh_derivative(a: f64) -> f64 {
    1.0 - a * a
}
