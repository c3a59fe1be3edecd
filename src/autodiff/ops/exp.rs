//! Elementwise `eᵃ`.

use crate::autodiff::{Op, Tape, Var};
use ndarray::Array2;

impl Tape {
    /// eᵃ, elementwise.
    pub fn exp(&mut self, a: Var) -> Var {
        let out = self.value(a).mapv(f64::exp);
        self.push(out, Exp, vec![a])
    }
}

struct Exp;

impl Op for Exp {
    fn name(&self) -> &'static str {
        "exp"
    }
    /// (eᵃ)′ = eᵃ, which is the output.
    fn vjp(&self, _inputs: &[&Array2<f64>], out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![g * out]
    }
}
