//! `a + b` with the 1×k row `b` added to every row of `a`: the bias of a dense layer.

use super::check;
use crate::autodiff::{Op, Tape, Var};
use crate::error::Result;
use ndarray::{Array2, Axis};

impl Tape {
    /// # Shapes
    /// `a`: m×k, `row`: 1×k → m×k.
    pub fn add_row(&mut self, a: Var, row: Var) -> Result<Var> {
        let (sa, sr) = (self.shape(a), self.shape(row));
        check("add_row", sr.0 == 1 && sa.1 == sr.1, sa, sr)?;
        let out = self.value(a) + self.value(row);
        Ok(self.push(out, AddRow, vec![a, row]))
    }
}

struct AddRow;

impl Op for AddRow {
    fn name(&self) -> &'static str {
        "add_row"
    }
    /// The row was used once per sample, so its gradient is the sum over the samples.
    fn vjp(&self, _inputs: &[&Array2<f64>], _out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![g.clone(), g.sum_axis(Axis(0)).insert_axis(Axis(0))]
    }
}
