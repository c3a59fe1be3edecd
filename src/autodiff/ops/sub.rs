//! `a − b`, elementwise, same shapes: the quadratic cost's ŷ − y.

use super::check;
use crate::autodiff::{Op, Tape, Var};
use crate::error::Result;
use ndarray::Array2;

impl Tape {
    /// # Shapes
    /// `a`, `b`: m×n → m×n.
    pub fn sub(&mut self, a: Var, b: Var) -> Result<Var> {
        let (sa, sb) = (self.shape(a), self.shape(b));
        check("sub", sa == sb, sa, sb)?;
        let out = self.value(a) - self.value(b);
        Ok(self.push(out, Sub, vec![a, b]))
    }
}

struct Sub;

impl Op for Sub {
    fn name(&self) -> &'static str {
        "sub"
    }
    /// ∂(a − b)/∂a = 1, ∂(a − b)/∂b = −1.
    fn vjp(&self, _inputs: &[&Array2<f64>], _out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![g.clone(), -g]
    }
}
