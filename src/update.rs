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

/// What an optimizer carries from one step to the next besides the parameters: how many steps
/// it has taken, and momentum's velocity or adam's two moments. Kept by a model file
/// (`training.state`), so that `explain` shows the run's next step and not a fresh one.
///
/// # Shapes
/// `first` and `second` are flat in [`Params::to_flat`]'s order; each is empty where the
/// optimizer keeps no such number (sgd keeps neither, momentum no `second`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OptimizerState {
    /// Steps taken: adam's t. The next step is number t + 1 and divides by 1 − b^(t+1).
    pub t: usize,
    /// Momentum's velocity v, or adam's first moment m.
    pub first: Vec<f64>,
    /// Adam's second moment v.
    pub second: Vec<f64>,
}

impl OptimizerState {
    /// The same state with every bias's numbers 0: a run with frozen biases gives them a zero
    /// gradient, and from a zero state momentum's velocity and adam's step stay 0, so the biases
    /// keep their values even where a saved state had moved them.
    pub fn without_biases(mut self, params: &Params) -> OptimizerState {
        let ones = params.with_flat(&vec![1.0; params.len()]);
        let weight = ones.with_zero_biases().to_flat();
        for moment in [&mut self.first, &mut self.second] {
            for (v, &w) in moment.iter_mut().zip(&weight) {
                if w == 0.0 {
                    *v = 0.0;
                }
            }
        }
        self
    }
}

/// The state's numbers an optimizer keeps: (first, second), whether each is kept.
fn kept(optimizer: &Optimizer) -> (bool, bool) {
    let (first, second) = optimizer.state_names();
    (first.is_some(), second.is_some())
}

/// The parameters and the [`OptimizerState`] between steps.
#[derive(Debug, Clone, PartialEq)]
pub struct OptState {
    /// The parameters' shape, to unflatten into.
    template: Params,
    params: Vec<f64>,
    memory: OptimizerState,
}

impl OptState {
    /// What the optimizer carries to the next step.
    pub fn memory(&self) -> &OptimizerState {
        &self.memory
    }
}

/// One parameter's step, every number of it, as [`Optimizer::element`] computes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElementStep<F> {
    /// Momentum's velocity or adam's m before the step.
    pub first_before: F,
    /// Adam's v before the step.
    pub second_before: F,
    /// Momentum's velocity or adam's m after the step (unchanged, unread, for sgd).
    pub first: F,
    /// Adam's v after the step.
    pub second: F,
    /// Adam's bias-corrected m̂ = m/(1 − b1^t).
    pub first_hat: F,
    /// Adam's bias-corrected v̂ = v/(1 − b2^t).
    pub second_hat: F,
    /// What the parameter loses: α·g, α·v or α·m̂/(√v̂ + eps).
    pub delta: F,
    /// The parameter after the step, w − delta.
    pub w: F,
}

/// The constants of step `step` in the float type: the settings, and adam's bias corrections
/// 1 − b1^(step+1) and 1 − b2^(step+1), computed once per step.
#[derive(Debug, Clone, Copy)]
pub struct StepConstants<F> {
    lr: F,
    mass: F,
    b1: F,
    b2: F,
    one_b1: F,
    one_b2: F,
    eps: F,
    c1: F,
    c2: F,
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

    /// The rules of [`Optimizer::tuned`] for an optimizer read whole (a model file's saved
    /// run): the step size, momentum's mass, adam's b1, b2 and eps. A fault comes with the field it is in.
    pub fn check(&self) -> std::result::Result<(), (&'static str, Error)> {
        check_step_size(self.step_size()).map_err(|e| ("step_size", e))?;
        match *self {
            Optimizer::Sgd { .. } => {}
            Optimizer::Momentum { mass, .. } => Optimizer::check_mass(mass).map_err(|e| ("mass", e))?,
            Optimizer::Adam { b1, b2, eps, .. } => {
                check_decay(Setting::B1, b1).map_err(|e| ("b1", e))?;
                check_decay(Setting::B2, b2).map_err(|e| ("b2", e))?;
                check_eps(eps).map_err(|e| ("eps", e))?;
            }
        }
        Ok(())
    }

    /// Adam with JAX's defaults: b1 0.9, b2 0.999, eps 1e-8.
    pub fn adam(step_size: f64) -> Result<Optimizer> {
        Optimizer::adam_with(step_size, ADAM_B1, ADAM_B2, ADAM_EPS)
    }

    /// Adam with its decays and eps given, each checked: b1 and b2 in [0, 1) (at 1 a moment
    /// never forgets and its bias correction divides by 0), eps a positive finite number (it
    /// keeps m̂/(√v̂ + eps) finite where v̂ is 0).
    pub fn adam_with(step_size: f64, b1: f64, b2: f64, eps: f64) -> Result<Optimizer> {
        check_step_size(step_size)?;
        check_decay(Setting::B1, b1)?;
        check_decay(Setting::B2, b2)?;
        check_eps(eps)?;
        Ok(Optimizer::Adam { step_size, b1, b2, eps })
    }

    /// The optimizer called `name` with step size `step_size` and the other settings of
    /// `tuning`, a missing one taking its default ([`defaults::MOMENTUM`](crate::run::defaults),
    /// JAX's b1, b2, eps); a setting of another optimizer is not read (the face may say so,
    /// [`Tuning::unread_by`]).
    pub fn tuned(name: &str, step_size: f64, tuning: Tuning) -> Result<Optimizer> {
        // A setting given is checked even where the optimizer ignores it.
        tuning.check()?;
        match name {
            "adam" => Optimizer::adam_with(
                step_size,
                tuning.b1.unwrap_or(ADAM_B1),
                tuning.b2.unwrap_or(ADAM_B2),
                tuning.eps.unwrap_or(ADAM_EPS),
            ),
            other => Optimizer::from_name(other, step_size, tuning.mass.unwrap_or(crate::run::defaults::MOMENTUM)),
        }
    }

    /// The settings beside the step size, as [`Optimizer::tuned`] reads them.
    pub fn tuning(&self) -> Tuning {
        match *self {
            Optimizer::Sgd { .. } => Tuning::default(),
            Optimizer::Momentum { mass, .. } => Tuning { mass: Some(mass), ..Tuning::default() },
            Optimizer::Adam { b1, b2, eps, .. } => Tuning { b1: Some(b1), b2: Some(b2), eps: Some(eps), mass: None },
        }
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

    /// The names of the numbers it carries from one step to the next besides the parameters,
    /// as a model file writes them (`training.state`): its first moment's and its second's,
    /// each `None` where it keeps none.
    pub fn state_names(&self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            Optimizer::Sgd { .. } => (None, None),
            Optimizer::Momentum { .. } => (Some("velocity"), None),
            Optimizer::Adam { .. } => (Some("m"), Some("v")),
        }
    }

    /// Whether it carries a state from one step to the next (besides t): a run from a saved
    /// model goes on from it, and `explain` shows it.
    pub fn keeps_state(&self) -> bool {
        self.state_names().0.is_some()
    }

    /// The optimizer of a run that goes on from `saved` (a model file's run), if any: the one
    /// called `name` if given, else the saved run's, else `default_name`; step size `step_size`
    /// if given, else the saved run's, else `default_step`; each other setting as `given`, else
    /// the saved run's when it is the same optimizer, else its default.
    pub fn continuing(
        saved: Option<&Optimizer>,
        name: Option<&str>,
        step_size: Option<f64>,
        given: Tuning,
        (default_name, default_step): (&str, f64),
    ) -> Result<Optimizer> {
        // A setting given is checked even where the optimizer ignores it.
        given.check()?;
        let name = name.or(saved.map(Optimizer::name)).unwrap_or(default_name);
        let from_saved = saved.filter(|o| o.name() == name).map(Optimizer::tuning).unwrap_or_default();
        let tuning = Tuning {
            mass: given.mass.or(from_saved.mass),
            b1: given.b1.or(from_saved.b1),
            b2: given.b2.or(from_saved.b2),
            eps: given.eps.or(from_saved.eps),
        };
        let step_size = step_size.or(saved.map(Optimizer::step_size)).unwrap_or(default_step);
        Optimizer::tuned(name, step_size, tuning)
    }

    /// α, the learning rate every optimizer here scales its step by.
    pub fn step_size(&self) -> f64 {
        match *self {
            Optimizer::Sgd { step_size }
            | Optimizer::Momentum { step_size, .. }
            | Optimizer::Adam { step_size, .. } => step_size,
        }
    }

    /// The state before the first step: t = 0 and every moment 0.
    pub fn init(&self, params: &Params) -> OptState {
        let n = params.len();
        let (first, second) = kept(self);
        let zeros = |kept: bool| if kept { vec![0.0; n] } else { Vec::new() };
        let memory = OptimizerState { t: 0, first: zeros(first), second: zeros(second) };
        OptState { template: params.clone(), params: params.to_flat(), memory }
    }

    /// The state of a run that goes on from `params` with `memory` (a model file's). The lengths
    /// are checked, with what this optimizer keeps; the error says which does not fit.
    pub fn resume(&self, params: &Params, memory: OptimizerState) -> std::result::Result<OptState, String> {
        let n = params.len();
        let (first, second) = kept(self);
        for (name, kept, numbers) in [("first", first, &memory.first), ("second", second, &memory.second)] {
            let want = if kept { n } else { 0 };
            if numbers.len() != want {
                return Err(format!(
                    "{} keeps {want} numbers as its {name} moment but {} are given",
                    self.name(),
                    numbers.len()
                ));
            }
        }
        Ok(OptState { template: params.clone(), params: params.to_flat(), memory })
    }

    /// One step with gradients `grads` (shaped like the parameters); `step` counts from 0
    /// (adam's bias correction reads it), and the state's t becomes `step + 1`.
    pub fn update(&self, step: usize, grads: &Params, state: &mut OptState) {
        let g = grads.to_flat();
        let OptState { params, memory, .. } = state;
        self.step(step, &g, params, &mut memory.first, &mut memory.second);
        memory.t = step + 1;
    }

    /// One step on the flat parameters `w` with gradient `g`, in place, in any float type: the
    /// loop of [`Optimizer::element`] for the tape path ([`Optimizer::update`]) and the compiled
    /// engine's flat step alike. `step` counts from 0; `first` is momentum's velocity or adam's
    /// first moment, `second` adam's second moment, each as long as `w` where the optimizer
    /// keeps it (otherwise unread).
    ///
    /// # Shapes
    /// `g`, `w`: the parameter count.
    pub fn step<F: Float>(&self, step: usize, g: &[F], w: &mut [F], first: &mut [F], second: &mut [F]) {
        let k = self.constants(step);
        // Each arm calls its optimizer's formulas directly: no per-number dispatch in the loop.
        match self {
            Optimizer::Sgd { .. } => {
                for (w, &g) in w.iter_mut().zip(g) {
                    *w = sgd_element(&k, g, *w).w;
                }
            }
            Optimizer::Momentum { .. } => {
                for ((w, v), &g) in w.iter_mut().zip(first.iter_mut()).zip(g) {
                    let e = momentum_element(&k, g, *w, *v);
                    (*w, *v) = (e.w, e.first);
                }
            }
            Optimizer::Adam { .. } => {
                for (((w, m), v), &g) in w.iter_mut().zip(first.iter_mut()).zip(second.iter_mut()).zip(g) {
                    let e = adam_element(&k, g, *w, *m, *v);
                    (*w, *m, *v) = (e.w, e.first, e.second);
                }
            }
        }
    }

    /// The constants of step `step` (from 0) in the float type.
    pub fn constants<F: Float>(&self, step: usize) -> StepConstants<F> {
        let of = |x: f64| F::from(x).expect("an f64 setting converts to the float type");
        let (mass, b1, b2, eps) = match *self {
            Optimizer::Sgd { .. } => (0.0, 0.0, 0.0, 0.0),
            Optimizer::Momentum { mass, .. } => (mass, 0.0, 0.0, 0.0),
            Optimizer::Adam { b1, b2, eps, .. } => (0.0, b1, b2, eps),
        };
        // The bias corrections in f64, then rounded once to the float type (t ≥ 1, so never 0).
        let t = i32::try_from(step + 1).unwrap_or(i32::MAX);
        StepConstants {
            lr: of(self.step_size()),
            mass: of(mass),
            b1: of(b1),
            b2: of(b2),
            one_b1: of(1.0 - b1),
            one_b2: of(1.0 - b2),
            eps: of(eps),
            c1: of(1.0 - b1.powi(t)),
            c2: of(1.0 - b2.powi(t)),
        }
    }

    /// One parameter's step: `first` and `second` are its state before the step (momentum's v;
    /// adam's m and v), unread where not kept. The walk-through shows these numbers.
    pub fn element<F: Float>(&self, k: &StepConstants<F>, g: F, w: F, first: F, second: F) -> ElementStep<F> {
        match self {
            Optimizer::Sgd { .. } => sgd_element(k, g, w),
            Optimizer::Momentum { .. } => momentum_element(k, g, w, first),
            Optimizer::Adam { .. } => adam_element(k, g, w, first, second),
        }
    }

    /// [`Optimizer::update`] for the state's next step (its own t), keeping every parameter's
    /// numbers: what the walk-through shows.
    pub fn update_shown(&self, grads: &Params, state: &mut OptState) -> Vec<ElementStep<f64>> {
        let g = grads.to_flat();
        let OptState { params, memory, .. } = state;
        let k = self.constants(memory.t);
        let (first, second) = kept(self);
        let elements: Vec<ElementStep<f64>> = (0..g.len())
            .map(|i| {
                let moment = |kept: bool, v: &[f64]| if kept { v[i] } else { 0.0 };
                self.element(&k, g[i], params[i], moment(first, &memory.first), moment(second, &memory.second))
            })
            .collect();
        for (i, e) in elements.iter().enumerate() {
            params[i] = e.w;
            if first {
                memory.first[i] = e.first;
            }
            if second {
                memory.second[i] = e.second;
            }
        }
        memory.t += 1;
        elements
    }

    /// Adam's bias corrections 1 − b1^t and 1 − b2^t of the step after `t_before` steps (the
    /// numbers [`Optimizer::step`] divides by); `None` for the others.
    pub fn bias_corrections(&self, t_before: usize) -> Option<[f64; 2]> {
        let k = self.constants::<f64>(t_before);
        match self {
            Optimizer::Adam { .. } => Some([k.c1, k.c2]),
            Optimizer::Sgd { .. } | Optimizer::Momentum { .. } => None,
        }
    }

    /// The parameters the state holds now.
    pub fn get_params(&self, state: &OptState) -> Params {
        state.template.with_flat(&state.params)
    }
}

// Each optimizer's formulas, once, in the order of `jax.example_libraries.optimizers` (so with
// the same roundings).

/// w ← w − α·g.
#[inline(always)]
fn sgd_element<F: Float>(k: &StepConstants<F>, g: F, w: F) -> ElementStep<F> {
    ElementStep::moved(w, k.lr * g)
}

/// v ← mass·v + g; w ← w − α·v.
#[inline(always)]
fn momentum_element<F: Float>(k: &StepConstants<F>, g: F, w: F, v_before: F) -> ElementStep<F> {
    let v = k.mass * v_before + g;
    ElementStep { first_before: v_before, first: v, ..ElementStep::moved(w, k.lr * v) }
}

impl<F: Float> ElementStep<F> {
    /// `w` moved by `delta`, with no state.
    #[inline(always)]
    fn moved(w: F, delta: F) -> ElementStep<F> {
        let zero = F::zero();
        ElementStep {
            first_before: zero,
            second_before: zero,
            first: zero,
            second: zero,
            first_hat: zero,
            second_hat: zero,
            delta,
            w: w - delta,
        }
    }
}

/// m ← (1 − b1)·g + b1·m; v ← (1 − b2)·g² + b2·v; m̂ = m/(1 − b1^t), v̂ = v/(1 − b2^t);
/// w ← w − α·m̂/(√v̂ + eps).
#[inline(always)]
fn adam_element<F: Float>(k: &StepConstants<F>, g: F, w: F, m_before: F, v_before: F) -> ElementStep<F> {
    let m = k.one_b1 * g + k.b1 * m_before;
    let v = k.one_b2 * (g * g) + k.b2 * v_before;
    let (m_hat, v_hat) = (m / k.c1, v / k.c2);
    let delta = k.lr * m_hat / (v_hat.sqrt() + k.eps);
    ElementStep {
        first_before: m_before,
        second_before: v_before,
        first: m,
        second: v,
        first_hat: m_hat,
        second_hat: v_hat,
        delta,
        w: w - delta,
    }
}

/// JAX's adam defaults.
pub const ADAM_B1: f64 = 0.9;
/// The second moment's decay.
pub const ADAM_B2: f64 = 0.999;
/// Added to √v̂.
pub const ADAM_EPS: f64 = 1e-8;

/// The settings beside the step size, each optional: what `--momentum`, `--b1`, `--b2` and
/// `--eps` (or the page's fields) give.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tuning {
    /// Momentum's mass.
    pub mass: Option<f64>,
    /// Adam's first moment's decay.
    pub b1: Option<f64>,
    /// Adam's second moment's decay.
    pub b2: Option<f64>,
    /// Adam's eps.
    pub eps: Option<f64>,
}

impl Tuning {
    /// Each setting given, checked by its rule.
    pub fn check(&self) -> Result<()> {
        if let Some(mass) = self.mass {
            Optimizer::check_mass(mass)?;
        }
        for (setting, decay) in [(Setting::B1, self.b1), (Setting::B2, self.b2)] {
            decay.map(|d| check_decay(setting, d)).transpose()?;
        }
        self.eps.map(check_eps).transpose()?;
        Ok(())
    }

    /// The settings given that optimizer `name` does not read, as [`Setting`]s.
    pub fn unread_by(&self, name: &str) -> Vec<Setting> {
        let mut unread = Vec::new();
        if self.mass.is_some() && name != "momentum" {
            unread.push(Setting::Momentum);
        }
        for (setting, given) in [(Setting::B1, self.b1), (Setting::B2, self.b2), (Setting::Eps, self.eps)] {
            if given.is_some() && name != "adam" {
                unread.push(setting);
            }
        }
        unread
    }
}

fn check_decay(setting: Setting, decay: f64) -> Result<()> {
    if decay.is_finite() && (0.0..1.0).contains(&decay) {
        Ok(())
    } else {
        Err(Error::invalid_value(setting, decay, "a decay must be in [0, 1)"))
    }
}

fn check_eps(eps: f64) -> Result<()> {
    if eps.is_finite() && eps > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid_value(Setting::Eps, eps, "eps must be a positive finite number"))
    }
}

fn check_step_size(step_size: f64) -> Result<()> {
    if step_size.is_finite() && step_size > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid_value(Setting::LearningRate, step_size, "the step size must be a positive finite number"))
    }
}
