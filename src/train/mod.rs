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
//!   its accuracies are measured with the parameters after its last update.
//!
//! Progress goes to an [`Observer`], so the library knows nothing of terminals; the trainer asks
//! for a step's details only when the observer wants them (`--trace`). A finished run's record,
//! what `train --format json` writes and the text report prints, is [`report::TrainReport`].

pub mod report;

use crate::data::Dataset;
use crate::engine::hand::hand_grad;
use crate::engine::tape::value_and_grad;
use crate::error::{Error, Result, Setting};
use crate::layers::{Dense, Init, Layer, Softmax, serial};
use crate::loss::Loss;
use crate::model::{Fault, Model};
use crate::predict::evaluate;
use crate::update::{OptState, Optimizer};
use ndarray::Array2;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::Serialize;

/// How the gradient is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// The stax-style model through the tape (`engine::tape::value_and_grad`).
    Stax,
    /// The blog's hand-derived gradient (`engine::hand::hand_grad`), through hidden layers too.
    Custom,
}

pub use crate::activation::Activation;

/// A fresh model's last layer, after its last dense layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLayer {
    /// Class probabilities (stax's `Softmax`).
    Softmax,
    /// An activation of each output unit; `identity` leaves the dense layer last (linear outputs,
    /// the usual choice for regression).
    Activation(Activation),
}

impl OutputLayer {
    /// What `--output-layer` takes: `softmax` and every activation's name.
    pub fn names() -> Vec<&'static str> {
        std::iter::once("softmax").chain(Activation::ALL.iter().map(|a| a.name())).collect()
    }

    /// The layer called `name`.
    pub fn from_name(name: &str) -> Result<OutputLayer> {
        match name {
            "softmax" => Ok(OutputLayer::Softmax),
            other => other
                .parse()
                .map(OutputLayer::Activation)
                .map_err(|why| Error::invalid_value(Setting::OutputLayer, other, why)),
        }
    }

    /// Its name, as [`OutputLayer::from_name`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            OutputLayer::Softmax => "softmax",
            OutputLayer::Activation(a) => a.name(),
        }
    }

    /// The output a fresh model gets for targets of `kind`: probabilities for classes, the
    /// dense layer's own values (identity) for values.
    pub fn default_for(kind: crate::data::TargetKind) -> OutputLayer {
        match kind {
            crate::data::TargetKind::Classes => OutputLayer::Softmax,
            crate::data::TargetKind::Values => OutputLayer::Activation(Activation::Identity),
        }
    }

    fn layer(self) -> Option<Layer> {
        match self {
            OutputLayer::Softmax => Some(Softmax),
            OutputLayer::Activation(Activation::Identity) => None,
            OutputLayer::Activation(a) => Some(Layer::Activation(a)),
        }
    }
}

/// A fresh model's architecture: `serial(Dense(h1), act, …, Dense(outputs), output)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// Hidden layer widths; empty for the blog's model.
    pub hidden: Vec<usize>,
    /// The hidden layers' activation.
    pub activation: Activation,
    /// A bias in every dense layer (stax's default); the blog's hand calculation has none.
    pub bias: bool,
    /// How the weights are drawn.
    pub init: Init,
    /// The last layer.
    pub output: OutputLayer,
}

/// `gradlens train`'s model with no options: the blog's `serial(Dense(k), Softmax)` with a bias,
/// glorot-initialised (hidden layers, when added, take tanh).
impl Default for ModelSpec {
    fn default() -> Self {
        ModelSpec {
            hidden: Vec::new(),
            activation: Activation::Tanh,
            bias: true,
            init: Init::GlorotNormal,
            output: OutputLayer::Softmax,
        }
    }
}

impl ModelSpec {
    /// The layers for `outputs` outputs (classes or target values), parameters drawn from `rng`
    /// for `in_width` inputs.
    pub fn build<R: Rng + ?Sized>(&self, in_width: usize, outputs: usize, rng: &mut R) -> Result<Model> {
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            let widths: Vec<String> = self.hidden.iter().map(usize::to_string).collect();
            return Err(Error::invalid_value(
                Setting::Hidden,
                widths.join(","),
                format!("layer {} has 0 units", i + 1),
            ));
        }
        let widths: Vec<usize> =
            std::iter::once(in_width).chain(self.hidden.iter().copied()).chain([outputs]).collect();
        crate::limits::dense_chain(&widths, self.bias)?;
        let dense = |out: usize| {
            let d = Dense(out).with_init(self.init);
            if self.bias { d } else { d.without_bias() }
        };
        let mut layers = Vec::new();
        for &h in &self.hidden {
            layers.push(dense(h));
            layers.push(Layer::Activation(self.activation));
        }
        layers.push(dense(outputs));
        layers.extend(self.output.layer());
        Model::init(serial(layers), rng, in_width)
    }

    /// [`ModelSpec::build`] for a run with `loss`: a cross-entropy run needs a softmax output,
    /// and the error names the output layer asked for.
    pub fn build_for<R: Rng + ?Sized>(
        &self,
        in_width: usize,
        outputs: usize,
        loss: Loss,
        rng: &mut R,
    ) -> Result<Model> {
        let model = self.build(in_width, outputs, rng)?;
        loss.check_output(&model).map_err(|f| Error::invalid_value(Setting::OutputLayer, self.output.name(), f.why))?;
        Ok(model)
    }
}

/// `gradlens train`'s defaults, which the CLI, the web page's training view and the tests all
/// read from here: the blog's full-batch gradient descent, with a step size and epoch count
/// that take Iris to 1.0 test accuracy at seed 0.
pub mod defaults {
    /// α.
    pub const LEARNING_RATE: f64 = 0.5;
    /// Passes over the training rows.
    pub const EPOCHS: usize = 1000;
    /// Momentum's mass, as `jax.example_libraries.optimizers.momentum` is usually given it.
    pub const MOMENTUM: f64 = 0.9;
    /// The share of each class held out for testing.
    pub const TEST_FRACTION: f64 = 0.2;
}

/// How to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// The optimizer and its settings.
    pub optimizer: Optimizer,
    /// How many passes over the training rows.
    pub epochs: usize,
    /// Rows per step; `None` for the whole training set (full-batch gradient descent).
    pub batch_size: Option<usize>,
    /// A new seeded order of the training rows every epoch; otherwise the data's order.
    pub shuffle: bool,
    /// The loss to lower.
    pub loss: Loss,
    /// Keep the biases at their initial values: the optimizer sees a zero gradient for them.
    pub freeze_bias: bool,
    /// Which engine takes the gradient.
    pub api: Api,
}

/// One epoch's figures, as `--format json` writes them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochStats {
    /// Counting from 1.
    pub epoch: usize,
    /// The mean of the epoch's batch losses, each taken before its own update.
    pub loss: f64,
    /// With the parameters after the epoch; `None` when the targets are values.
    pub train_accuracy: Option<f64>,
    /// `None` without a test part, or when the targets are values.
    pub test_accuracy: Option<f64>,
    /// The mean loss on the test rows after the epoch (`None` without a test part): beside the
    /// training loss it shows overfitting.
    pub test_loss: Option<f64>,
}

/// One step about to be taken: the model before the update and the batch it learns from.
pub struct Step<'a> {
    /// Counting from 1.
    pub epoch: usize,
    /// Counting from 0 across epochs, as the optimizer counts.
    pub step: usize,
    /// The model before the step.
    pub model: &'a Model,
    /// The batch's rows, scaled; batch×features.
    pub x: &'a Array2<f64>,
    /// The batch's targets as the loss reads them (classes one-hot); batch×outputs.
    pub y: &'a Array2<f64>,
    /// The batch's classes, when the targets are classes.
    pub labels: Option<&'a [usize]>,
    /// The optimizer's state before the step (momentum's velocity, adam's moments).
    pub state: &'a OptState,
}

/// Watches a run. Every method may stop it with an error (a trace that cannot be written).
pub trait Observer {
    /// Whether [`Observer::step`] should be called: building a step's view costs nothing, but
    /// what an observer does with it (a trace) does.
    fn wants_steps(&self) -> bool {
        false
    }
    /// Called before each step, when [`Observer::wants_steps`] says so.
    fn step(&mut self, _step: &Step) -> Result<()> {
        Ok(())
    }
    /// Whether the run's [`TrainResult::epochs`] should keep every epoch's figures: an observer
    /// that does not need them (text output) keeps memory flat however many epochs are asked for.
    fn keeps_history(&self) -> bool {
        true
    }
    /// After each epoch, with the model as the epoch left it.
    fn epoch(&mut self, _stats: &EpochStats, _model: &Model) -> Result<()> {
        Ok(())
    }
}

/// An observer that watches nothing.
pub struct Silent;

impl Observer for Silent {}

/// A finished run: the trained model and every epoch's figures.
#[derive(Debug, Clone)]
pub struct TrainResult {
    /// The model after the last epoch.
    pub model: Model,
    /// One entry per epoch.
    pub epochs: Vec<EpochStats>,
}

/// A batch's rows, with their targets as the loss reads them (classes one-hot); refilled in
/// place when the order changes.
struct Batch {
    x: Array2<f64>,
    y: Array2<f64>,
    /// The class of each row, when the targets are classes.
    labels: Option<Vec<usize>>,
}

impl Batch {
    fn new(rows: usize, features: usize, data: &Dataset) -> Batch {
        Batch {
            x: Array2::zeros((rows, features)),
            y: Array2::zeros((rows, data.target.width())),
            labels: data.labels().map(|_| vec![0; rows]),
        }
    }

    fn fill(&mut self, data: &Dataset, rows: &[usize]) {
        for (r, &i) in rows.iter().enumerate() {
            self.x.row_mut(r).assign(&data.features.row(i));
            data.target.write_row(i, self.y.row_mut(r).as_slice_mut().expect("a row-major batch"));
            if let (Some(labels), Some(all)) = (&mut self.labels, data.labels()) {
                labels[r] = all[i];
            }
        }
    }
}

/// Trains `model` on `train` (already scaled), measuring `test` after every epoch too. `rng`
/// draws the shuffles and nothing else.
pub fn train<R: Rng + ?Sized>(
    config: &TrainConfig,
    model: Model,
    train: &Dataset,
    test: Option<&Dataset>,
    rng: &mut R,
    observer: &mut dyn Observer,
) -> Result<TrainResult> {
    check(config, &model, train, test)?;
    let (n, features) = (train.len(), train.features.ncols());
    let batch_size = config.batch_size.unwrap_or(n).min(n);
    let mut order: Vec<usize> = (0..n).collect();
    let mut batches: Vec<Batch> =
        order.chunks(batch_size).map(|rows| Batch::new(rows.len(), features, train)).collect();
    let refill = |batches: &mut [Batch], order: &[usize]| {
        for (batch, rows) in batches.iter_mut().zip(order.chunks(batch_size)) {
            batch.fill(train, rows);
        }
    };
    refill(&mut batches, &order);

    let opt = config.optimizer;
    let mut state = opt.init(&model.params());
    let mut current = model;
    let mut step = 0;
    let mut history = Vec::new();
    for epoch in 1..=config.epochs {
        // One batch holds every row whatever the order: nothing to shuffle.
        if config.shuffle && batches.len() > 1 {
            order.shuffle(rng);
            refill(&mut batches, &order);
        }
        let mut total = 0.0;
        for batch in &batches {
            if observer.wants_steps() {
                observer.step(&Step {
                    epoch,
                    step,
                    model: &current,
                    x: &batch.x,
                    y: &batch.y,
                    labels: batch.labels.as_deref(),
                    state: &state,
                })?;
            }
            let (loss, grads) = match config.api {
                Api::Stax => value_and_grad(&current, &batch.x, &batch.y, config.loss)?,
                Api::Custom => {
                    let hand = hand_grad(&current, &batch.x, &batch.y, config.loss)?;
                    (hand.loss, hand.grads)
                }
            };
            total += loss;
            let grads = if config.freeze_bias { grads.with_zero_biases() } else { grads };
            opt.update(step, &grads, &mut state);
            current = current.with_params(&opt.get_params(&state));
            step += 1;
        }
        let loss = total / batches.len() as f64;
        // Past this point every number is NaN or infinite, and a model file cannot hold them.
        let diverged = || {
            Error::invalid(
                Setting::Training,
                format!("diverged in epoch {epoch}: the loss or the weights overflow float64; try a smaller step size"),
            )
        };
        if !loss.is_finite()
            || current.dense_layers().any(|(_, w, b)| w.iter().chain(b.into_iter().flatten()).any(|v| !v.is_finite()))
        {
            return Err(diverged());
        }
        // Finite weights can still give logits that overflow: that too is divergence.
        // Accuracy and the run's loss on the rows, from one forward pass (as `predict` evaluates).
        let evaluate_on = |data: &Dataset| -> Result<(Option<f64>, f64)> {
            let e = evaluate(&current, &data.features, &data.target, config.loss).map_err(|_| diverged())?;
            Ok((e.accuracy(), e.loss))
        };
        let test_figures = test.map(evaluate_on).transpose()?;
        let stats = EpochStats {
            epoch,
            loss,
            train_accuracy: evaluate_on(train)?.0,
            test_accuracy: test_figures.and_then(|t| t.0),
            test_loss: test_figures.map(|t| t.1),
        };
        observer.epoch(&stats, &current)?;
        if observer.keeps_history() {
            history.push(stats);
        }
    }
    Ok(TrainResult { model: current, epochs: history })
}

/// The most epochs a run may ask for: a run with `--format json` or a plot keeps one line of
/// figures per epoch (about 40 bytes), and 10⁷ epochs of Iris take hours.
pub const MAX_EPOCHS: usize = 10_000_000;

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
    /// the run needs what only the tape has, a step-by-step observer (`--trace`) or the
    /// hand-derived gradient (`--api custom`).
    pub fn for_run(self, config: &TrainConfig, traced: bool) -> Engine {
        match self {
            Engine::Compiled(_) if !traced && config.api == Api::Stax => self,
            Engine::Compiled(_) | Engine::Tape => Engine::Tape,
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

/// [`train`] on the chosen engine, or on the tape where [`Engine::for_run`] says so.
pub fn train_on<R: Rng + ?Sized>(
    engine: Engine,
    config: &TrainConfig,
    model: Model,
    train_set: &Dataset,
    test: Option<&Dataset>,
    rng: &mut R,
    observer: &mut dyn Observer,
) -> Result<TrainResult> {
    match engine.for_run(config, observer.wants_steps()) {
        Engine::Compiled(options) => {
            check(config, &model, train_set, test)?;
            crate::engine::compiled::train::train(options, config, model, train_set, test, rng, observer)
        }
        Engine::Tape => train(config, model, train_set, test, rng, observer),
    }
}

/// [`defaults`]: sgd, full batch, shuffled, cross-entropy in nats, biases trained, by the tape.
impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            optimizer: Optimizer::sgd(defaults::LEARNING_RATE).expect("a positive step size"),
            epochs: defaults::EPOCHS,
            batch_size: None,
            shuffle: true,
            loss: Loss::default(),
            freeze_bias: false,
            api: Api::Stax,
        }
    }
}

impl TrainConfig {
    /// The settings' own rules (the optimizer's are checked when it is made); [`train`] checks
    /// them again with the model and the data, and a caller may check early with this.
    pub fn check(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(Error::invalid_value(Setting::Epochs, 0, "train for one epoch at least"));
        }
        if self.epochs > MAX_EPOCHS {
            return Err(Error::invalid_value(
                Setting::Epochs,
                self.epochs,
                format!("more than the limit of {} epochs", crate::limits::group(MAX_EPOCHS)),
            ));
        }
        if self.batch_size == Some(0) {
            return Err(Error::invalid_value(Setting::BatchSize, 0, "a batch needs one row at least"));
        }
        Ok(())
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
            format!("has {} outputs but the data has {}", model.out_width(), targets_phrase(&train.target)),
        ));
    }
    config.loss.check_targets(train.target.kind(), Setting::Loss)?;
    config.loss.check_output(model).map_err(Fault::into_error)
}

/// "3 classes" or "2 target values", for messages about the model's outputs.
pub fn targets_phrase(target: &crate::data::Target) -> String {
    match target {
        crate::data::Target::Classes { names, .. } => format!("{} classes", names.len()),
        crate::data::Target::Values { names, .. } if names.len() == 1 => "1 target value".to_string(),
        crate::data::Target::Values { names, .. } => format!("{} target values", names.len()),
    }
}
