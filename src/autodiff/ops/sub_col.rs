//! `a − c` with the m×1 column `c` taken from every column of `a`: how log-softmax subtracts each
//! sample's log-sum-exp from its logits.

use super::check;
use crate::autodiff::{Op, Tape, Var};
use crate::error::Result;
use ndarray::{Array2, Axis};

impl Tape {
    /// # Shapes
    /// `a`: m×k, `col`: m×1 → m×k.
    pub fn sub_col(&mut self, a: Var, col: Var) -> Result<Var> {
        let (sa, sc) = (self.shape(a), self.shape(col));
        check("sub_col", sc.1 == 1 && sa.0 == sc.0, sa, sc)?;
        let out = self.value(a) - self.value(col);
        Ok(self.push(out, SubCol, vec![a, col]))
    }
}

struct SubCol;

impl Op for SubCol {
    fn name(&self) -> &'static str {
        "sub_col"
    }
    /// Each entry of the column was subtracted across its whole row.
    fn vjp(&self, _inputs: &[&Array2<f64>], _out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![g.clone(), -g.sum_axis(Axis(1)).insert_axis(Axis(1))]
    }
}
