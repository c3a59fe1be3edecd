//! The training loop, with the semantics of a JAX training script written with
//! `jax.example_libraries.stax` and `optimizers`, so that the same initial model, data and
//! batches give JAX's numbers:
//!
//! - each epoch walks the training rows in order (or in a fresh seeded permutation when
//!   shuffling minibatches) in batches of `batch_size`, the last one smaller when the size does not divide
//!   the rows;
//! - each batch's loss and gradient are taken before its own update, and the step counter runs
//!   on across epochs (adam's bias correction reads it);
//! - an epoch's `loss` is the mean of its batch losses (with one batch, the blog's E = 1/m Σ L),
//!   its test accuracy is measured with the parameters after its last update, and its training
//!   accuracy too ([`TrainAccuracy::AfterEpoch`]), or counted from each step's forward values
//!   before its update ([`TrainAccuracy::Steps`]).
//!
//! Progress goes to an [`Observer`], so the library knows nothing of terminals; the trainer asks
//! for a step's details only when the observer wants them (`--trace`). A finished run's record,
//! what `train --format json` writes and the text report prints, is [`report::TrainReport`].

pub mod report;

use crate::data::{Dataset, Targets};
use crate::engine::hand::{hand_grad, log_softmax};
use crate::engine::tape::Pass;
pub use crate::engine::training::{
    Api, Change, EpochStats, LiveSettings, MAX_EPOCHS, Observer, Silent, Step, TrainAccuracy, TrainConfig, TrainResult,
};
use crate::error::{Error, Result, Setting};
use crate::model::{Fault, Model};
use crate::predict::{classes, evaluate_features};
use crate::update::OptimizerState;
use ndarray::Array2;
use rand::Rng;
use rand::seq::SliceRandom;

pub use crate::activation::Activation;
pub use crate::model::{ModelSpec, OutputLayer};

/// Where a run starts: a model, and the optimizer's state after the steps that made it (a saved
/// run's `training.state`: momentum's velocity, adam's m, v and t), or none for a fresh state.
/// A model alone converts into a fresh start.
#[derive(Debug, Clone)]
pub struct Start {
    /// The model before the first step.
    pub model: Model,
    /// The optimizer's state before the first step; `None`: every number 0, t = 0.
    pub memory: Option<OptimizerState>,
}

impl From<Model> for Start {
    fn from(model: Model) -> Start {
        Start { model, memory: None }
    }
}

/// A batch's rows, their targets, and the targets as the loss reads them (classes one-hot);
/// refilled when the order changes.
struct Batch {
    x: Array2<f64>,
    targets: Targets,
    y: Array2<f64>,
}

impl Batch {
    fn new(data: &Dataset, rows: &[usize]) -> Batch {
        let targets = data.target.select(rows);
        Batch { x: data.features.select(rows).into_f64(), y: targets.matrix(), targets }
    }
}

/// Trains `model` on `train` (already scaled), measuring `test` after every epoch too. `rng`
/// draws the shuffles and nothing else.
pub fn train<R: Rng + ?Sized>(
    config: &TrainConfig,
    start: impl Into<Start>,
    train: &Dataset,
    test: Option<&Dataset>,
    rng: &mut R,
    observer: &mut dyn Observer,
) -> Result<TrainResult> {
    let Start { model, memory } = start.into();
    check(config, &model, train, test)?;
    let n = train.len();
    let mut order: Vec<usize> = (0..n).collect();
    let batches_of = |order: &[usize], batch_size: usize| -> Vec<Batch> {
        order.chunks(batch_size).map(|rows| Batch::new(train, rows)).collect()
    };
    let mut batch_size = config.batch_size.unwrap_or(n).min(n);
    let mut batches: Vec<Batch> = batches_of(&order, batch_size);

    // What a live observer may change between epochs (the page's live training).
    let mut settings = config.live();
    let mut opt = config.optimizer;
    let mut changes = Vec::new();
    let params = model.params();
    let mut state = match memory {
        // Frozen biases see a zero gradient; with a zero state too they keep their values.
        Some(m) => opt
            .resume(&params, if config.freeze_bias { m.without_biases(&params) } else { m })
            .map_err(|why| Error::invalid(Setting::Model, format!("the optimizer's saved state: {why}")))?,
        None => opt.init(&params),
    };
    let mut current = model;
    // Steps are counted on from the saved state's (adam's bias correction reads the count).
    let mut step = state.memory().t;
    let mut history = Vec::new();
    let steps_accuracy = config.train_accuracy == TrainAccuracy::Steps;
    for epoch in 1..=config.epochs {
        if let Some(asked) = observer.live(epoch)?
            && asked != settings
        {
            asked.check()?;
            opt = opt.with_step_size(asked.learning_rate)?;
            if asked.batch_size != settings.batch_size {
                batch_size = asked.batch_size.unwrap_or(n).min(n);
                batches = batches_of(&order, batch_size);
            }
            settings = asked;
            changes.push(Change { epoch, settings });
        }
        // One batch holds every row whatever the order: nothing to shuffle.
        if config.shuffle && batches.len() > 1 {
            order.shuffle(rng);
            batches = batches_of(&order, batch_size);
        }
        let diverged = || crate::engine::training::diverged(epoch, "float64");
        // The loss of every step, and (TrainAccuracy::Steps) the samples each classes right.
        let (mut total, mut right) = (0.0, 0);
        for batch in &batches {
            if observer.wants_steps() {
                observer.step(&Step {
                    epoch,
                    step,
                    model: &current,
                    x: &batch.x,
                    targets: &batch.targets,
                    state: &state,
                })?;
            }
            let (loss, grads, step_right) = match config.api {
                Api::Stax => {
                    let pass = Pass::forward(&current, &batch.x, &batch.y, config.loss)?;
                    let step_right =
                        steps_accuracy.then(|| classed_right(pass.tape.value(pass.logits), &batch.targets));
                    (pass.loss(), pass.param_grads(&pass.backward()), step_right)
                }
                Api::Custom => {
                    let hand = hand_grad(&current, &batch.x, &batch.y, config.loss)?;
                    let step_right = steps_accuracy.then(|| classed_right(&hand.logits, &batch.targets));
                    (hand.loss, hand.grads, step_right)
                }
            };
            if let Some(step_right) = step_right {
                right += step_right.ok_or_else(diverged)?;
            }
            let (penalty, grads) = settings.penalty.apply(&current.params(), &grads);
            let loss = loss + penalty;
            total += loss;
            let grads = if config.freeze_bias { grads.with_zero_biases() } else { grads };
            opt.update(step, &grads, &mut state);
            current = current.with_params(&opt.get_params(&state));
            step += 1;
        }
        let loss = total / batches.len() as f64;
        // Past this point every number is NaN or infinite, and a model file cannot hold them.
        if !loss.is_finite()
            || current.dense_layers().any(|(_, w, b)| w.iter().chain(b.into_iter().flatten()).any(|v| !v.is_finite()))
        {
            return Err(diverged());
        }
        // Finite weights can still give logits that overflow: that too is divergence.
        // Accuracy and the run's loss on the rows, from one forward pass (as `predict` evaluates).
        let evaluate_on = |data: &Dataset| -> Result<(Option<f64>, f64)> {
            let e = evaluate_features(&current, &data.features, &data.target, config.loss).map_err(|_| diverged())?;
            Ok((e.accuracy(), e.loss))
        };
        let test_figures = test.map(evaluate_on).transpose()?;
        let train_accuracy = match config.train_accuracy {
            TrainAccuracy::AfterEpoch => evaluate_on(train)?.0,
            TrainAccuracy::Steps => train.labels().map(|_| right as f64 / n as f64),
        };
        let stats = EpochStats {
            epoch,
            loss,
            train_accuracy,
            test_accuracy: test_figures.and_then(|t| t.0),
            test_loss: test_figures.map(|t| t.1),
        };
        observer.epoch(&stats, &current)?;
        if observer.keeps_history() {
            history.push(stats);
        }
    }
    Ok(TrainResult { model: current, epochs: history, state: state.memory().clone(), changes })
}

/// How many of a batch's samples its logits `z` class right (the first largest log-probability,
/// as [`crate::predict::classes`] reads it; 0 for value targets), or `None` if a logit overflows
/// (then the run has diverged).
///
/// # Shapes
/// `z`: m×k, `targets`: m.
fn classed_right(z: &Array2<f64>, targets: &Targets) -> Option<usize> {
    if z.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(match targets {
        Targets::Classes { labels, .. } => classes(&log_softmax(z)).iter().zip(labels).filter(|(c, l)| c == l).count(),
        Targets::Values { .. } => 0,
    })
}

/// Which machinery takes the steps of [`train_on`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The compiled engine (`crate::engine::compiled`): the fast path, and the default.
    Compiled(crate::engine::compiled::train::EngineOptions),
    /// The tape, step by step ([`train`]): what `explain` and `--trace` show.
    Tape,
}

impl Engine {
    /// The engine asked for, its options checked: `compiled` on `threads` threads (`None`: every
    /// core, at least one), or the tape, which computes in f64 only.
    pub fn new(compiled: bool, dtype: crate::engine::compiled::Dtype, threads: Option<usize>) -> Result<Engine> {
        use crate::engine::compiled::{Dtype, kernels::check_threads, train::EngineOptions};
        if let Some(threads) = threads {
            check_threads(threads)?;
        }
        match (compiled, dtype) {
            (true, dtype) => Ok(Engine::Compiled(EngineOptions {
                dtype,
                threads: threads.unwrap_or(EngineOptions::default().threads),
            })),
            (false, Dtype::F64) => Ok(Engine::Tape),
            (false, Dtype::F32) => Err(Error::invalid_value(
                Setting::Dtype,
                "f32",
                "the tape computes in f64 only (use the compiled engine)",
            )),
        }
    }

    /// The engine's name, as `--engine` and the JSON report write it: `compiled` or `tape`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Compiled(_) => "compiled",
            Engine::Tape => "tape",
        }
    }

    /// The engine that takes a run of `config`, `traced` or not: the compiled engine unless
    /// the run needs what only the tape has, a step-by-step observer (`--trace`), a live one
    /// (settings changed between epochs: `traced` too), a run going on from a saved optimizer
    /// state (`traced` too: the compiled engine's flat optimizer starts from 0) or the
    /// hand-derived gradient (`--api custom`).
    pub fn for_run(self, config: &TrainConfig, traced: bool) -> Engine {
        match self {
            Engine::Compiled(_) if !traced && config.api == Api::Stax => self,
            Engine::Compiled(_) | Engine::Tape => Engine::Tape,
        }
    }

    /// How this engine wants a `.npy` file's features held: the compiled engine reads them in its
    /// own float type when that fits in memory, else from a memory map (batches are read as they
    /// are taken); the tape reads float64 in memory.
    pub fn hold(self) -> crate::data::Hold {
        match self {
            Engine::Compiled(options) => {
                crate::data::Hold::Fit { f32: options.dtype == crate::engine::compiled::Dtype::F32 }
            }
            Engine::Tape => crate::data::Hold::F64,
        }
    }

    /// The float type it computes in.
    pub fn dtype(self) -> crate::engine::compiled::Dtype {
        match self {
            Engine::Compiled(options) => options.dtype,
            Engine::Tape => crate::engine::compiled::Dtype::F64,
        }
    }
}

/// [`train`] on the chosen engine, or on the tape where [`Engine::for_run`] says so; a run whose
/// loss grew by orders of magnitude is refused ([`check_not_diverged`]) on every engine.
pub fn train_on<R: Rng + ?Sized>(
    engine: Engine,
    config: &TrainConfig,
    start: impl Into<Start>,
    train_set: &Dataset,
    test: Option<&Dataset>,
    rng: &mut R,
    observer: &mut dyn Observer,
) -> Result<TrainResult> {
    let start = start.into();
    let mut watch = Growth { inner: observer, first: None, last: None };
    let tape_only = watch.wants_steps() || watch.is_live() || start.memory.is_some();
    let result = match engine.for_run(config, tape_only) {
        Engine::Compiled(options) => {
            check(config, &start.model, train_set, test)?;
            crate::engine::compiled::train::train(options, config, start.model, train_set, test, rng, &mut watch)
        }
        Engine::Tape => train(config, start, train_set, test, rng, &mut watch),
    }?;
    if let (Some(first), Some(last)) = (&watch.first, &watch.last) {
        check_not_diverged(first, last, config.optimizer.step_size())?;
    }
    Ok(result)
}

/// How many times its first epoch's loss a run's last loss may be before the run counts as
/// diverged (the loss of a run that learns goes down).
pub const DIVERGED_GROWTH: f64 = 1000.0;

/// A run whose loss grew by orders of magnitude has not learned: it is an error naming the step
/// size, the likely cause. (A loss that overflows is found by the training loop itself.)
pub fn check_not_diverged(first: &EpochStats, last: &EpochStats, step_size: f64) -> Result<()> {
    if last.loss > DIVERGED_GROWTH * first.loss.max(f64::MIN_POSITIVE) {
        let fmt = crate::render::fmt_num;
        return Err(Error::invalid_value(
            Setting::LearningRate,
            fmt(step_size),
            format!(
                "training diverged: the loss grew from {} in epoch 1 to {} in epoch {}; try a smaller step size",
                fmt(first.loss),
                fmt(last.loss),
                last.epoch
            ),
        ));
    }
    Ok(())
}

/// Passes everything on to the run's observer, and keeps the first and latest epoch's figures
/// for [`check_not_diverged`].
struct Growth<'a> {
    inner: &'a mut dyn Observer,
    first: Option<EpochStats>,
    last: Option<EpochStats>,
}

impl Observer for Growth<'_> {
    fn wants_steps(&self) -> bool {
        self.inner.wants_steps()
    }
    fn step(&mut self, step: &Step) -> Result<()> {
        self.inner.step(step)
    }
    fn keeps_history(&self) -> bool {
        self.inner.keeps_history()
    }
    fn wants_models(&self) -> bool {
        self.inner.wants_models()
    }
    fn is_live(&self) -> bool {
        self.inner.is_live()
    }
    fn live(&mut self, epoch: usize) -> Result<Option<LiveSettings>> {
        self.inner.live(epoch)
    }
    fn epoch(&mut self, stats: &EpochStats, model: &Model) -> Result<()> {
        if self.first.is_none() {
            self.first = Some(stats.clone());
        }
        self.last = Some(stats.clone());
        self.inner.epoch(stats, model)
    }
}

fn check(config: &TrainConfig, model: &Model, train: &Dataset, test: Option<&Dataset>) -> Result<()> {
    config.check()?;
    if train.is_empty() {
        return Err(Error::invalid(Setting::TrainingData, "no rows to train on"));
    }
    let (features, outputs) = (train.features.ncols(), train.target.width());
    for (part, data) in std::iter::once(("training", train)).chain(test.map(|t| ("test", t))) {
        if data.features.ncols() != features
            || data.target.kind() != train.target.kind()
            || data.target.width() != outputs
            || data.target.len() != data.len()
        {
            return Err(Error::invalid(
                Setting::TrainingData,
                format!("the {part} rows' features or targets differ from the training rows'"),
            ));
        }
    }
    if model.in_width() != features {
        return Err(Error::invalid(
            Setting::Model,
            format!("takes {} inputs but the data has {features} features", model.in_width()),
        ));
    }
    if model.out_width() != outputs {
        return Err(Error::invalid(
            Setting::Model,
            format!("has {} outputs but the data has {}", model.out_width(), train.target.phrase()),
        ));
    }
    config.loss.check_targets(train.target.kind(), Setting::Loss)?;
    config.loss.check_output(model).map_err(Fault::into_error)
}
