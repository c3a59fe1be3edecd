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

use crate::backward::value_and_grad;
use crate::custom::hand_grad;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::layers::{Dense, Init, Layer, Softmax, serial};
use crate::loss::LogBase;
use crate::model::Model;
use crate::predict::{accuracy, classes, log_probabilities};
use crate::update::{OptState, Optimizer};
use ndarray::Array2;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::Serialize;

/// How the gradient is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// The stax-style model through the tape (`backward::value_and_grad`).
    Stax,
    /// The blog's hand-derived gradient (`custom::hand_grad`); a single dense layer only.
    Custom,
}

/// The hidden layers' activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
}

impl Activation {
    pub fn layer(self) -> Layer {
        match self {
            Activation::Relu => Layer::Relu,
            Activation::Tanh => Layer::Tanh,
            Activation::Sigmoid => Layer::Sigmoid,
        }
    }
}

/// A fresh model's architecture: `serial(Dense(h1), act, …, Dense(classes), Softmax)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// Hidden layer widths; empty for the blog's model.
    pub hidden: Vec<usize>,
    pub activation: Activation,
    /// A bias in every dense layer (stax's default); the blog's hand calculation has none.
    pub bias: bool,
    pub init: Init,
}

impl ModelSpec {
    /// The layers for `classes` outputs, parameters drawn from `rng` for `in_width` inputs.
    pub fn build<R: Rng + ?Sized>(&self, in_width: usize, classes: usize, rng: &mut R) -> Result<Model> {
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            return Err(Error::invalid("hidden", format!("layer {} has 0 units", i + 1)));
        }
        let dense = |out: usize| {
            let d = Dense(out).with_init(self.init);
            if self.bias { d } else { d.without_bias() }
        };
        let mut layers = Vec::new();
        for &h in &self.hidden {
            layers.push(dense(h));
            layers.push(self.activation.layer());
        }
        layers.push(dense(classes));
        layers.push(Softmax);
        Model::init(serial(layers), rng, in_width)
    }
}

/// How to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    pub optimizer: Optimizer,
    pub epochs: usize,
    /// Rows per step; `None` for the whole training set (full-batch gradient descent).
    pub batch_size: Option<usize>,
    /// A new seeded order of the training rows every epoch; otherwise the data's order.
    pub shuffle: bool,
    pub log_base: LogBase,
    pub api: Api,
}

/// One epoch's figures, as `--format json` writes them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochStats {
    /// Counting from 1.
    pub epoch: usize,
    /// The mean of the epoch's batch losses, each taken before its own update.
    pub loss: f64,
    /// With the parameters after the epoch.
    pub train_accuracy: f64,
    /// `None` without a test part.
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
    pub model: &'a Model,
    /// The batch's rows, scaled; batch×features.
    pub x: &'a Array2<f64>,
    pub labels: &'a [usize],
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

#[derive(Debug, Clone)]
pub struct TrainResult {
    /// The model after the last epoch.
    pub model: Model,
    pub epochs: Vec<EpochStats>,
}

/// A batch's rows, with its targets one-hot; refilled in place when the order changes.
struct Batch {
    x: Array2<f64>,
    y: Array2<f64>,
    labels: Vec<usize>,
}

impl Batch {
    fn new(rows: usize, features: usize, classes: usize) -> Batch {
        Batch { x: Array2::zeros((rows, features)), y: Array2::zeros((rows, classes)), labels: vec![0; rows] }
    }

    fn fill(&mut self, data: &Dataset, rows: &[usize]) {
        self.y.fill(0.0);
        for (r, &i) in rows.iter().enumerate() {
            self.x.row_mut(r).assign(&data.features.row(i));
            let class = data.labels[i];
            self.y[[r, class]] = 1.0;
            self.labels[r] = class;
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
    let (n, features, k) = (train.len(), train.features.ncols(), train.class_names.len());
    let batch_size = config.batch_size.unwrap_or(n).min(n);
    let mut order: Vec<usize> = (0..n).collect();
    let mut batches: Vec<Batch> = order.chunks(batch_size).map(|rows| Batch::new(rows.len(), features, k)).collect();
    let refill = |batches: &mut [Batch], order: &[usize]| {
        for (batch, rows) in batches.iter_mut().zip(order.chunks(batch_size)) {
            batch.fill(train, rows);
        }
    };
    refill(&mut batches, &order);

    let opt = config.optimizer;
    let mut state = opt.init(&model.params);
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
                    labels: &batch.labels,
                    state: &state,
                })?;
            }
            let (loss, grads) = match config.api {
                Api::Stax => value_and_grad(&current.layers, &current.params, &batch.x, &batch.y, config.log_base)?,
                Api::Custom => {
                    let hand = hand_grad(&current, &batch.x, &batch.y, config.log_base)?;
                    (hand.loss, hand.grads)
                }
            };
            total += loss;
            opt.update(step, &grads, &mut state);
            current.params = opt.get_params(&state);
            step += 1;
        }
        let loss = total / batches.len() as f64;
        // Past this point every number is NaN or infinite, and a model file cannot hold them.
        let diverged = || {
            Error::invalid(
                "training",
                format!("diverged in epoch {epoch}: the loss or the weights overflow float64; try a smaller step size"),
            )
        };
        if !loss.is_finite() || current.params.leaves().iter().any(|a| a.iter().any(|v| !v.is_finite())) {
            return Err(diverged());
        }
        // Finite weights can still give logits that overflow: that too is divergence.
        // Accuracy, and the mean cross-entropy −ln ŷ_label / ln b, from one forward pass.
        let evaluate_on = |data: &Dataset| -> Result<(f64, f64)> {
            let log_p = log_probabilities(&current, &data.features).map_err(|_| diverged())?;
            let total: f64 = data.labels.iter().enumerate().map(|(i, &c)| -log_p[[i, c]]).sum();
            Ok((accuracy(&classes(&log_p), &data.labels), total / (data.len() as f64 * config.log_base.ln())))
        };
        let test_figures = test.map(evaluate_on).transpose()?;
        let stats = EpochStats {
            epoch,
            loss,
            train_accuracy: evaluate_on(train)?.0,
            test_accuracy: test_figures.map(|t| t.0),
            test_loss: test_figures.map(|t| t.1),
        };
        observer.epoch(&stats, &current)?;
        if observer.keeps_history() {
            history.push(stats);
        }
    }
    Ok(TrainResult { model: current, epochs: history })
}

fn check(config: &TrainConfig, model: &Model, train: &Dataset, test: Option<&Dataset>) -> Result<()> {
    if config.epochs == 0 {
        return Err(Error::invalid("epochs", "0: train for one epoch at least"));
    }
    if config.batch_size == Some(0) {
        return Err(Error::invalid("batch size", "0: a batch needs one row at least"));
    }
    if train.is_empty() {
        return Err(Error::invalid("training data", "no rows to train on"));
    }
    let (features, classes) = (train.features.ncols(), train.class_names.len());
    for (part, data) in std::iter::once(("training", train)).chain(test.map(|t| ("test", t))) {
        if data.features.ncols() != features || data.class_names.len() != classes {
            return Err(Error::invalid(
                format!("{part} data"),
                "its features or classes differ from the training data's",
            ));
        }
    }
    if model.in_width() != features {
        return Err(Error::invalid(
            "model",
            format!("takes {} inputs but the data has {features} features", model.in_width()),
        ));
    }
    if model.out_width() != classes {
        return Err(Error::invalid(
            "model",
            format!("has {} outputs but the data has {classes} classes", model.out_width()),
        ));
    }
    let dense = model.dense_layers().count();
    if config.api == Api::Custom && dense != 1 {
        return Err(Error::invalid(
            "api custom",
            format!(
                "the hand-derived model is the blog's single dense layer, but this model has {dense} dense layers; \
                 use the stax api for hidden layers"
            ),
        ));
    }
    Ok(())
}
