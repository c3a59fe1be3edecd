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
    /// tanh′ = 1 − tanh², read off the output.
    fn vjp(&self, _inputs: &[&Array2<f64>], out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![Zip::from(g).and(out).map_collect(|&g, &t| g * (1.0 - t * t))]
    }
}
