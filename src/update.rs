//! Optimizers in the manner of `jax.example_libraries.optimizers`.
//!
//! # The contract
//! Every optimizer is a triple:
//! - `init(params) -> state`;
//! - `update(step, grads, state)`: one step, `step` counting from 0 (adam's bias correction
//!   uses it);
//! - `get_params(state) -> params`.
//!
//! Every update is elementwise, so the state keeps the parameters as one flat vector
//! (`Params::to_flat`) and the tree's shape is restored by `get_params`.

use crate::error::{Error, Result, Setting};
use crate::layers::Params;

/// An optimizer and its settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Optimizer {
    /// w ← w − lr·g.
    Sgd {
        /// α.
        step_size: f64,
    },
    /// v ← mass·v + g; w ← w − lr·v.
    Momentum {
        /// α.
        step_size: f64,
        /// How much of the velocity carries over.
        mass: f64,
    },
    /// m ← (1−b1)·g + b1·m; v ← (1−b2)·g² + b2·v; m̂ = m/(1−b1^(t+1)); v̂ = v/(1−b2^(t+1));
    /// w ← w − lr·m̂/(√v̂ + eps).
    Adam {
        /// α.
        step_size: f64,
        /// The first moment's decay.
        b1: f64,
        /// The second moment's decay.
        b2: f64,
        /// Added to √v̂ so the step stays finite.
        eps: f64,
    },
}

/// What an optimizer carries from one step to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct OptState {
    /// The parameters' shape, to unflatten into.
    template: Params,
    params: Vec<f64>,
    /// Momentum's velocity or adam's first moment.
    first: Vec<f64>,
    /// Adam's second moment.
    second: Vec<f64>,
}

impl Optimizer {
    /// Plain gradient descent, with a check that the step size is a positive finite number.
    pub fn sgd(step_size: f64) -> Result<Optimizer> {
        check_step_size(step_size)?;
        Ok(Optimizer::Sgd { step_size })
    }

    /// Momentum, with a check of the step size and of the mass (in [0, 1)).
    pub fn momentum(step_size: f64, mass: f64) -> Result<Optimizer> {
        check_step_size(step_size)?;
        Optimizer::check_mass(mass)?;
        Ok(Optimizer::Momentum { step_size, mass })
    }

    /// Momentum's rule for its mass, [0, 1): at 1 or above the velocity never decays.
    pub fn check_mass(mass: f64) -> Result<()> {
        if mass.is_finite() && (0.0..1.0).contains(&mass) {
            Ok(())
        } else {
            Err(Error::invalid_value(Setting::Momentum, mass, "the mass must be in [0, 1)"))
        }
    }

    /// Adam with JAX's defaults: b1 0.9, b2 0.999, eps 1e-8.
    pub fn adam(step_size: f64) -> Result<Optimizer> {
        check_step_size(step_size)?;
        Ok(Optimizer::Adam { step_size, b1: 0.9, b2: 0.999, eps: 1e-8 })
    }

    /// α, the learning rate every optimizer here scales its step by.
    pub fn step_size(&self) -> f64 {
        match *self {
            Optimizer::Sgd { step_size }
            | Optimizer::Momentum { step_size, .. }
            | Optimizer::Adam { step_size, .. } => step_size,
        }
    }

    /// The state before the first step.
    pub fn init(&self, params: &Params) -> OptState {
        let flat = params.to_flat();
        let zeros = vec![0.0; flat.len()];
        OptState { template: params.clone(), first: zeros.clone(), second: zeros, params: flat }
    }

    /// One step with gradients `grads` (shaped like the parameters).
    pub fn update(&self, step: usize, grads: &Params, state: &mut OptState) {
        let g = grads.to_flat();
        let OptState { params: w, first, second, .. } = state;
        match *self {
            Optimizer::Sgd { step_size } => {
                for (w, g) in w.iter_mut().zip(&g) {
                    *w -= step_size * g;
                }
            }
            Optimizer::Momentum { step_size, mass } => {
                for ((w, v), g) in w.iter_mut().zip(first.iter_mut()).zip(&g) {
                    *v = mass * *v + g;
                    *w -= step_size * *v;
                }
            }
            Optimizer::Adam { step_size, b1, b2, eps } => {
                let t = (step + 1) as i32;
                let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
                for (((w, m), v), g) in w.iter_mut().zip(first.iter_mut()).zip(second.iter_mut()).zip(&g) {
                    *m = (1.0 - b1) * g + b1 * *m;
                    *v = (1.0 - b2) * (g * g) + b2 * *v;
                    let (m_hat, v_hat) = (*m / c1, *v / c2);
                    *w -= step_size * m_hat / (v_hat.sqrt() + eps);
                }
            }
        }
    }

    /// The parameters the state holds now.
    pub fn get_params(&self, state: &OptState) -> Params {
        state.template.with_flat(&state.params)
    }
}

fn check_step_size(step_size: f64) -> Result<()> {
    if step_size.is_finite() && step_size > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid_value(Setting::LearningRate, step_size, "the step size must be a positive finite number"))
    }
}
