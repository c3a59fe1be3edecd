//! `c · a` for a constant `c`: the loss's −1/(m·ln b).

use crate::autodiff::{Op, Tape, Var};
use ndarray::Array2;

impl Tape {
    /// c·a for a constant c.
    pub fn scale(&mut self, a: Var, c: f64) -> Var {
        let out = self.value(a) * c;
        self.push(out, Scale(c), vec![a])
    }
}

struct Scale(f64);

impl Op for Scale {
    fn name(&self) -> &'static str {
        "scale"
    }
    fn vjp(&self, _inputs: &[&Array2<f64>], _out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![g * self.0]
    }
}
