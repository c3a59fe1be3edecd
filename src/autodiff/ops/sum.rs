//! The sum of every entry, as a 1×1 scalar.

use crate::autodiff::{Op, Tape, Var};
use ndarray::Array2;

impl Tape {
    /// The sum of every entry, 1×1.
    pub fn sum(&mut self, a: Var) -> Var {
        let out = Array2::from_elem((1, 1), self.value(a).sum());
        self.push(out, Sum, vec![a])
    }
}

struct Sum;

impl Op for Sum {
    fn name(&self) -> &'static str {
        "sum"
    }
    /// Every entry counts once.
    fn vjp(&self, inputs: &[&Array2<f64>], _out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![Array2::from_elem(inputs[0].dim(), g[[0, 0]])]
    }
}
