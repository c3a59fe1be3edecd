//! Elementwise `a ⊙ b`: how cross-entropy picks the true class's log-probability with the one-hot
//! target.

use super::check;
use crate::autodiff::{Op, Tape, Var};
use crate::error::Result;
use ndarray::Array2;

impl Tape {
    /// # Shapes
    /// `a`, `b`: m×k → m×k.
    pub fn mul(&mut self, a: Var, b: Var) -> Result<Var> {
        let (sa, sb) = (self.shape(a), self.shape(b));
        check("mul", sa == sb, sa, sb)?;
        let out = self.value(a) * self.value(b);
        Ok(self.push(out, Mul, vec![a, b]))
    }
}

struct Mul;

impl Op for Mul {
    fn name(&self) -> &'static str {
        "mul"
    }
    fn vjp(&self, inputs: &[&Array2<f64>], _out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![g * inputs[1], g * inputs[0]]
    }
}
