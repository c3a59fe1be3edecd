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
use num_traits::Float;

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

/// Every optimizer's name, as `--optimizer`, the page and the JSON report write it.
pub const OPTIMIZER_NAMES: [&str; 3] = ["sgd", "momentum", "adam"];

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

    /// The rules of [`Optimizer::from_name`] for an optimizer read whole (a model file's saved
    /// run): the step size, and momentum's mass. A fault comes with the field it is in.
    pub fn check(&self) -> std::result::Result<(), (&'static str, Error)> {
        check_step_size(self.step_size()).map_err(|e| ("step_size", e))?;
        if let Optimizer::Momentum { mass, .. } = self {
            Optimizer::check_mass(*mass).map_err(|e| ("mass", e))?;
        }
        Ok(())
    }

    /// Adam with JAX's defaults: b1 0.9, b2 0.999, eps 1e-8.
    pub fn adam(step_size: f64) -> Result<Optimizer> {
        check_step_size(step_size)?;
        Ok(Optimizer::Adam { step_size, b1: 0.9, b2: 0.999, eps: 1e-8 })
    }

    /// The optimizer called `name` (one of [`OPTIMIZER_NAMES`]) with step size `step_size`;
    /// `mass` is momentum's, unread by the others.
    pub fn from_name(name: &str, step_size: f64, mass: f64) -> Result<Optimizer> {
        match name {
            "sgd" => Optimizer::sgd(step_size),
            "momentum" => Optimizer::momentum(step_size, mass),
            "adam" => Optimizer::adam(step_size),
            other => Err(Error::invalid_value(
                Setting::Optimizer,
                format!("'{other}'"),
                format!("not an optimizer ({})", OPTIMIZER_NAMES.join(", ")),
            )),
        }
    }

    /// Its name, as [`Optimizer::from_name`] reads it.
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd { .. } => OPTIMIZER_NAMES[0],
            Optimizer::Momentum { .. } => OPTIMIZER_NAMES[1],
            Optimizer::Adam { .. } => OPTIMIZER_NAMES[2],
        }
    }

    /// The same optimizer with step size `step_size` (checked as `from_name` checks it): a live
    /// run's change of α between epochs, its state carrying on.
    pub fn with_step_size(self, step_size: f64) -> Result<Optimizer> {
        check_step_size(step_size)?;
        Ok(match self {
            Optimizer::Sgd { .. } => Optimizer::Sgd { step_size },
            Optimizer::Momentum { mass, .. } => Optimizer::Momentum { step_size, mass },
            Optimizer::Adam { b1, b2, eps, .. } => Optimizer::Adam { step_size, b1, b2, eps },
        })
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
        let OptState { params, first, second, .. } = state;
        self.step(step, &g, params, first, second);
    }

    /// One step on the flat parameters `w` with gradient `g`, in place, in any float type: each
    /// optimizer's formulas, once, for the tape path ([`Optimizer::update`]) and the compiled
    /// engine's flat step alike. `step` counts from 0 (adam's bias correction reads it);
    /// `first` is momentum's velocity or adam's first moment, `second` adam's second moment,
    /// each as long as `w` where the optimizer keeps it (otherwise unread).
    ///
    /// # Shapes
    /// `g`, `w`: the parameter count.
    pub fn step<F: Float>(&self, step: usize, g: &[F], w: &mut [F], first: &mut [F], second: &mut [F]) {
        let of = |x: f64| F::from(x).expect("an f64 setting converts to the float type");
        match *self {
            Optimizer::Sgd { step_size } => {
                let lr = of(step_size);
                for (w, &g) in w.iter_mut().zip(g) {
                    *w = *w - lr * g;
                }
            }
            Optimizer::Momentum { step_size, mass } => {
                let (lr, mass) = (of(step_size), of(mass));
                for ((w, v), &g) in w.iter_mut().zip(first.iter_mut()).zip(g) {
                    *v = mass * *v + g;
                    *w = *w - lr * *v;
                }
            }
            Optimizer::Adam { step_size, b1, b2, eps } => {
                let t = (step + 1) as i32;
                // The bias corrections in f64, then rounded once to the float type.
                let (c1, c2) = (of(1.0 - b1.powi(t)), of(1.0 - b2.powi(t)));
                let (lr, eps) = (of(step_size), of(eps));
                let (one_b1, one_b2, b1, b2) = (of(1.0 - b1), of(1.0 - b2), of(b1), of(b2));
                for (((w, m), v), &g) in w.iter_mut().zip(first.iter_mut()).zip(second.iter_mut()).zip(g) {
                    *m = one_b1 * g + b1 * *m;
                    *v = one_b2 * (g * g) + b2 * *v;
                    let (m_hat, v_hat) = (*m / c1, *v / c2);
                    *w = *w - lr * m_hat / (v_hat.sqrt() + eps);
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
