//! Row-wise `ln Σ_k e^{a_k}`, computed as `max + ln Σ e^{a_k − max}` so no exponential overflows:
//! logits of ±1e4 give a finite result.

use crate::autodiff::{Op, Tape, Var};
use ndarray::{Array2, ArrayView1, Axis};

impl Tape {
    /// # Shapes
    /// `a`: m×k → m×1.
    pub fn logsumexp(&mut self, a: Var) -> Var {
        let out = self.value(a).map_axis(Axis(1), logsumexp_row).insert_axis(Axis(1));
        self.push(out, LogSumExp, vec![a])
    }
}

struct LogSumExp;

impl Op for LogSumExp {
    fn name(&self) -> &'static str {
        "logsumexp"
    }
    /// ∂lse/∂a_k = e^{a_k − lse} = softmax(a)_k.
    fn vjp(&self, inputs: &[&Array2<f64>], out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        let softmax = (inputs[0] - out).mapv(f64::exp);
        vec![softmax * g]
    }
}

/// `max + ln Σ e^{v − max}` of one row; also the hand path's log-softmax (`custom`).
pub fn logsumexp_row(row: ArrayView1<f64>) -> f64 {
    let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    max + row.mapv(|v| (v - max).exp()).sum().ln()
}
