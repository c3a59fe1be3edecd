//! sgd, momentum and adam on the flat parameter vector, in place, in the engine's float type:
//! the state is sized once here, the formulas are [`crate::update::Optimizer::step`]'s (and so
//! `jax.example_libraries.optimizers`').

use super::Real;
use super::kernels::Gemm;
use crate::update::{Optimizer, OptimizerState};

/// An optimizer and its state (momentum's velocity, adam's two moments), sized once.
pub struct FlatOptimizer<F> {
    kind: Optimizer,
    /// Momentum's velocity or adam's first moment.
    first: Vec<F>,
    /// Adam's second moment.
    second: Vec<F>,
    /// Steps taken.
    t: usize,
}

impl<F: Real> FlatOptimizer<F> {
    /// The state `Optimizer::init` starts from: zeros.
    pub fn new(kind: Optimizer, params: usize) -> FlatOptimizer<F> {
        let (first, second) = match kind {
            Optimizer::Sgd { .. } => (Vec::new(), Vec::new()),
            Optimizer::Momentum { .. } => (vec![F::zero(); params], Vec::new()),
            Optimizer::Adam { .. } => (vec![F::zero(); params], vec![F::zero(); params]),
        };
        FlatOptimizer { kind, first, second, t: 0 }
    }

    /// One step on `w` with gradient `g`; `step` counts from 0 (adam's bias correction reads it).
    /// The formulas are [`Optimizer::step`]'s, the one definition of each optimizer.
    ///
    /// # Shapes
    /// `w`, `g`: the parameter count.
    ///
    /// Each number's update reads only that number's gradient and state, so the vector is split
    /// into one block a thread of `gemm` ([`Gemm::each`]): the same bits at any thread count.
    pub fn update(&mut self, step: usize, g: &[F], w: &mut [F], gemm: &Gemm) {
        let parts = gemm.elementwise_parts(w.len());
        self.t = step + 1;
        if parts == 1 {
            // Iris-sized: no parts to hand out, nothing to allocate on the step's path.
            return self.kind.step(step, g, w, &mut self.first, &mut self.second);
        }
        let per = w.len().div_ceil(parts);
        let (mut first, mut second) = (self.first.chunks_mut(per), self.second.chunks_mut(per));
        let parts: Vec<_> = g
            .chunks(per)
            .zip(w.chunks_mut(per))
            .map(|(g, w)| (g, w, first.next().unwrap_or_default(), second.next().unwrap_or_default()))
            .collect();
        let kind = self.kind;
        gemm.each(parts, |(g, w, first, second)| kind.step(step, g, w, first, second));
    }

    /// The step size, if this is sgd: its update w ← w − α·g can then be made as the gradient
    /// is formed ([`super::small::OneLayer::sgd_step`]), the step counted with
    /// [`FlatOptimizer::count`].
    pub fn sgd_rate(&self) -> Option<F> {
        match self.kind {
            Optimizer::Sgd { step_size } => Some(F::of(step_size)),
            Optimizer::Momentum { .. } | Optimizer::Adam { .. } => None,
        }
    }

    /// Counts step `step` (from 0) as taken by the caller.
    pub fn count(&mut self, step: usize) {
        self.t = step + 1;
    }

    /// The state a run goes on with, in f64 (a model file keeps it).
    pub fn memory(&self) -> OptimizerState {
        let f64s = |v: &[F]| v.iter().map(|x| x.to_f64().expect("a float")).collect();
        OptimizerState { t: self.t, first: f64s(&self.first), second: f64s(&self.second) }
    }
}
