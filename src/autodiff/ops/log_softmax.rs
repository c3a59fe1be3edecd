//! Row-wise `ln softmax(z)`, exact near certainty: the forward is [`crate::softmax`]'s
//! `(z_k − max) − log1p(Σ_{others} e^(z − max))`, which keeps every digit of a nearly certain
//! class's tiny loss and stays finite for any finite logits (±700, gaps of 1400).

use crate::autodiff::{Op, Tape, Var};
use crate::softmax::{RowStats, log_softmax_row};
use ndarray::{Array2, Zip};

impl Tape {
    /// # Shapes
    /// `z`: m×k → m×k.
    pub fn log_softmax(&mut self, z: Var) -> Var {
        let mut out = Array2::zeros(self.shape(z));
        for (mut o, row) in out.rows_mut().into_iter().zip(self.value(z).rows()) {
            log_softmax_row(&row.to_vec(), o.as_slice_mut().expect("a fresh array is standard layout"));
        }
        self.push(out, LogSoftmax, vec![z])
    }
}

struct LogSoftmax;

impl Op for LogSoftmax {
    fn name(&self) -> &'static str {
        "log_softmax"
    }
    /// ∂L/∂z_k = g_k − ŷ_k·G with G = Σ_i g_i. On the largest logit j that is written
    /// −Σ_{i≠j} g_i + G·s/(1 + s) (1 − ŷ_j = s/(1 + s), s as in `softmax.rs`): for a nearly
    /// certain prediction g_j − ŷ_j·G would cancel to nothing, this keeps the digits of s.
    fn vjp(&self, inputs: &[&Array2<f64>], out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        let mut grad = Array2::zeros(g.dim());
        Zip::from(grad.rows_mut()).and(inputs[0].rows()).and(out.rows()).and(g.rows()).for_each(
            |mut grad, z, ln_p, g| {
                let stats = RowStats::of(&z.to_vec());
                let total: f64 = g.sum();
                for k in 0..g.len() {
                    grad[k] = if k == stats.argmax {
                        -(total - g[k]) + total * (stats.rest / (1.0 + stats.rest))
                    } else {
                        g[k] - ln_p[k].exp() * total
                    };
                }
            },
        );
        vec![grad]
    }
}
