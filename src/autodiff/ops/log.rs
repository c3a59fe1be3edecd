//! Elementwise natural log.
//!
//! `log(exp(x))` is rewritten to `x` before anything is computed. A stax model ends in `Softmax`,
//! which is `exp(log_softmax(z))`, and cross-entropy takes the log of its output; the rewrite hands
//! the loss the log-softmax itself, so a probability that underflows to 0 still has a finite log
//! and the loss and gradients stay finite (log-sum-exp all the way). The rewrite is exact.

use crate::autodiff::{Op, Tape, Var};
use ndarray::Array2;

impl Tape {
    /// ln a, elementwise (or `x` itself when `a` is `exp(x)`).
    pub fn log(&mut self, a: Var) -> Var {
        if let Some(("exp", inputs)) = self.producer(a) {
            return inputs[0];
        }
        let out = self.value(a).mapv(f64::ln);
        self.push(out, Log, vec![a])
    }
}

struct Log;

impl Op for Log {
    fn name(&self) -> &'static str {
        "log"
    }
    /// (ln a)′ = 1/a.
    fn vjp(&self, inputs: &[&Array2<f64>], _out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![g / inputs[0]]
    }
}
