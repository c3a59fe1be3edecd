//! sgd, momentum and adam on the flat parameter vector, in place: the semantics of
//! [`crate::update::Optimizer`] (and so of `jax.example_libraries.optimizers`), formula for
//! formula, in the engine's float type.

use super::Real;
use crate::update::Optimizer;

/// An optimizer and its state (momentum's velocity, adam's two moments), sized once.
pub struct FlatOptimizer<F> {
    kind: Optimizer,
    /// Momentum's velocity or adam's first moment.
    first: Vec<F>,
    /// Adam's second moment.
    second: Vec<F>,
}

impl<F: Real> FlatOptimizer<F> {
    /// The state `Optimizer::init` starts from: zeros.
    pub fn new(kind: Optimizer, params: usize) -> FlatOptimizer<F> {
        let (first, second) = match kind {
            Optimizer::Sgd { .. } => (Vec::new(), Vec::new()),
            Optimizer::Momentum { .. } => (vec![F::zero(); params], Vec::new()),
            Optimizer::Adam { .. } => (vec![F::zero(); params], vec![F::zero(); params]),
        };
        FlatOptimizer { kind, first, second }
    }

    /// One step on `w` with gradient `g`; `step` counts from 0 (adam's bias correction reads it).
    ///
    /// # Shapes
    /// `w`, `g`: the parameter count.
    pub fn update(&mut self, step: usize, g: &[F], w: &mut [F]) {
        match self.kind {
            Optimizer::Sgd { step_size } => {
                let lr = F::of(step_size);
                for (w, &g) in w.iter_mut().zip(g) {
                    *w = *w - lr * g;
                }
            }
            Optimizer::Momentum { step_size, mass } => {
                let (lr, mass) = (F::of(step_size), F::of(mass));
                for ((w, v), &g) in w.iter_mut().zip(self.first.iter_mut()).zip(g) {
                    *v = mass * *v + g;
                    *w = *w - lr * *v;
                }
            }
            Optimizer::Adam { step_size, b1, b2, eps } => {
                let t = (step + 1) as i32;
                // The corrections in f64, as `update.rs` takes them, then rounded once.
                let (c1, c2) = (F::of(1.0 - b1.powi(t)), F::of(1.0 - b2.powi(t)));
                let (lr, eps) = (F::of(step_size), F::of(eps));
                let (one_b1, one_b2, b1, b2) = (F::of(1.0 - b1), F::of(1.0 - b2), F::of(b1), F::of(b2));
                for (((w, m), v), &g) in w.iter_mut().zip(self.first.iter_mut()).zip(self.second.iter_mut()).zip(g) {
                    *m = one_b1 * g + b1 * *m;
                    *v = one_b2 * (g * g) + b2 * *v;
                    let (m_hat, v_hat) = (*m / c1, *v / c2);
                    *w = *w - lr * m_hat / (v_hat.sqrt() + eps);
                }
            }
        }
    }
}
