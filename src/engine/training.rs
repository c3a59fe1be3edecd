//! What a training loop on any engine takes and gives: the settings ([`TrainConfig`]), the
//! observer that watches it ([`Observer`], shown each [`Step`] and each epoch's
//! [`EpochStats`]), and the finished run ([`TrainResult`]). Here, below both loops (the tape's in
//! [`crate::train`], the compiled engine's in `engine::compiled::train`), so that neither engine
//! imports the other's module; [`crate::train`] re-exports them.

use crate::data::Targets;
use crate::error::{Error, Result, Setting};
use crate::loss::{Loss, Penalty};
use crate::model::Model;
use crate::update::{OptState, Optimizer, OptimizerState};
use ndarray::Array2;
use serde::Serialize;

/// How the gradient is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// The stax-style model through the tape (`engine::tape::Pass`).
    Stax,
    /// The blog's hand-derived gradient (`engine::hand::hand_grad`), through hidden layers too.
    Custom,
}

/// How an epoch's training accuracy is taken. The epoch's loss is always the mean of its steps'
/// own losses; the accuracy can be measured two ways, which differ by what they cost and by which
/// parameters they judge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrainAccuracy {
    /// A forward pass over every training row with the parameters after the epoch's last update:
    /// the accuracy of the model the epoch leaves, what an evaluation after each epoch (and the
    /// JAX reference runs, `train_accuracy_after_epoch`) reports. It costs one more forward pass
    /// over the training rows per epoch (a third of the work of a large minibatch run).
    #[default]
    AfterEpoch,
    /// The samples each step's parameters class right *before that step's update*, summed over
    /// the epoch's steps and divided by the rows: Keras's running accuracy, taken like the epoch's
    /// loss from the steps' own forward values, so no pass of its own. It judges a moving model
    /// (early batches by older parameters), so it lags the model the epoch leaves.
    Steps,
}

impl TrainAccuracy {
    /// The names `--train-accuracy` and the API take, in the variants' order.
    pub const NAMES: [&'static str; 2] = ["after-epoch", "steps"];

    /// Its name, one of [`TrainAccuracy::NAMES`].
    pub fn name(self) -> &'static str {
        match self {
            TrainAccuracy::AfterEpoch => Self::NAMES[0],
            TrainAccuracy::Steps => Self::NAMES[1],
        }
    }

    /// The way named `name`, one of [`TrainAccuracy::NAMES`].
    pub fn from_name(name: &str) -> Result<TrainAccuracy> {
        [TrainAccuracy::AfterEpoch, TrainAccuracy::Steps].into_iter().find(|way| way.name() == name).ok_or_else(|| {
            Error::invalid_value(
                Setting::TrainAccuracy,
                format!("'{name}'"),
                format!("not a way to take it ({})", Self::NAMES.join(", ")),
            )
        })
    }
}

/// The error that ends a run whose loss or weights left the float type's range in `epoch`
/// (`float`: "float64" or "float32"): past it every number is NaN or infinite, and a model file
/// cannot hold them. Both engines end a run with it.
pub fn diverged(epoch: usize, float: &str) -> Error {
    Error::invalid(
        Setting::Training,
        format!("diverged in epoch {epoch}: the loss or the weights overflow {float}; try a smaller step size"),
    )
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
    /// L2/L1 weight decay added to the loss (weights only).
    pub penalty: Penalty,
    /// How each epoch's training accuracy is taken.
    pub train_accuracy: TrainAccuracy,
}

/// One epoch's figures, as `--format json` writes them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochStats {
    /// Counting from 1.
    pub epoch: usize,
    /// The mean of the epoch's batch losses, each taken before its own update.
    pub loss: f64,
    /// The share of the training rows classed right, as [`TrainConfig::train_accuracy`] says:
    /// with the parameters after the epoch, or each step's before its update; `None` when the
    /// targets are values.
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
    /// The batch's targets, with their names.
    pub targets: &'a Targets,
    /// The optimizer's state before the step (momentum's velocity, adam's moments).
    pub state: &'a OptState,
}

/// What a live run may change between epochs (the page's live training): the step size, the
/// weight penalty and the batch size. Each field is the whole setting, changed or not.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct LiveSettings {
    /// α.
    pub learning_rate: f64,
    /// λ₂ and λ₁ of the weight penalty.
    pub penalty: Penalty,
    /// Rows per step; `None` for every training row.
    pub batch_size: Option<usize>,
}

impl LiveSettings {
    /// The rules `train`'s options follow: α positive and finite, rates finite and ≥ 0, a batch
    /// of one row at least.
    pub fn check(&self) -> Result<()> {
        Optimizer::sgd(self.learning_rate)?;
        Penalty::new(self.penalty.l2, self.penalty.l1)?;
        if self.batch_size == Some(0) {
            return Err(Error::invalid_value(Setting::BatchSize, 0, "a batch needs one row at least"));
        }
        Ok(())
    }
}

/// A change a live run took: from `epoch` on (counting from 1), `settings`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The first epoch trained with the new settings.
    pub epoch: usize,
    /// The settings from then on.
    #[serde(flatten)]
    pub settings: LiveSettings,
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
    /// Whether [`Observer::epoch`] reads its model. If not, the compiled engine leaves its
    /// flat parameters unwritten until the run ends (W1: 10,000 epochs, 3% of its loop), and the
    /// model handed to [`Observer::epoch`] is the run's starting one.
    fn wants_models(&self) -> bool {
        true
    }
    /// After each epoch, with the model as the epoch left it (if [`Observer::wants_models`]).
    fn epoch(&mut self, _stats: &EpochStats, _model: &Model) -> Result<()> {
        Ok(())
    }
    /// Whether the observer changes settings between epochs ([`Observer::live`]): only the
    /// tape's loop asks, so such a run takes the tape ([`crate::train::Engine::for_run`]).
    fn is_live(&self) -> bool {
        false
    }
    /// Before epoch `epoch` (counting from 1), on the tape's loop: the settings it trains with,
    /// `None` to keep them. It may wait (a page's live run waits to be asked for the epoch).
    fn live(&mut self, _epoch: usize) -> Result<Option<LiveSettings>> {
        Ok(None)
    }
}

/// An observer that watches nothing.
pub struct Silent;

impl Observer for Silent {
    fn wants_models(&self) -> bool {
        false
    }
}

/// A finished run: the trained model and every epoch's figures.
#[derive(Debug, Clone)]
pub struct TrainResult {
    /// The model after the last epoch.
    pub model: Model,
    /// One entry per epoch.
    pub epochs: Vec<EpochStats>,
    /// The optimizer's state after the last step, which a model file keeps (`training.state`).
    pub state: OptimizerState,
    /// The changes a live observer made between epochs, in order (none for other runs).
    pub changes: Vec<Change>,
}

/// The most epochs a run may ask for: a run with `--format json` or a plot keeps one line of
/// figures per epoch (about 40 bytes), and 10⁷ epochs of Iris take hours.
pub const MAX_EPOCHS: usize = 10_000_000;

/// [`crate::run::defaults`]: sgd, full batch, shuffled, cross-entropy in nats, biases trained, by the tape.
impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            optimizer: Optimizer::sgd(crate::run::defaults::LEARNING_RATE).expect("a positive step size"),
            epochs: crate::run::defaults::EPOCHS,
            batch_size: None,
            shuffle: true,
            loss: Loss::default(),
            freeze_bias: false,
            api: Api::Stax,
            penalty: Penalty::NONE,
            train_accuracy: TrainAccuracy::AfterEpoch,
        }
    }
}

impl TrainConfig {
    /// The settings a live run may change, as they are at the start.
    pub fn live(&self) -> LiveSettings {
        LiveSettings { learning_rate: self.optimizer.step_size(), penalty: self.penalty, batch_size: self.batch_size }
    }

    /// The settings' own rules (the optimizer's are checked when it is made); `train::train` checks
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
