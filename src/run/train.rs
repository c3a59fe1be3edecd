//! A training run, whichever face asks for it: read data → one fit check (before any scaling)
//! → split and scale → model → train → report. `gradlens train` fills [`TrainSettings`] from its
//! options, the page's training view deserialises its JSON body into it, and a Rust caller
//! fills it by hand; all three get the same [`TrainJob`], so the same numbers and the same
//! report.
//!
//! # Example
//! ```
//! use gradlens::data::Dataset;
//! use gradlens::run::train::{TrainJob, TrainSettings};
//! use gradlens::train::Silent;
//!
//! let settings = TrainSettings { epochs: Some(20), seed: Some(3), ..TrainSettings::default() };
//! let job = TrainJob::new(settings, Dataset::iris());
//! let trained = job.prepare()?.train(&mut Silent)?;
//! // 150 rows, a fifth of each class held out (the default test fraction): 120 to train on.
//! assert_eq!(trained.report.data.train_rows, 120);
//! assert_eq!(trained.report.epochs.len(), 20);
//! # Ok::<(), gradlens::Error>(())
//! ```

use super::defaults;
use crate::data::{Dataset, Features, Prepared, ScaleKind, Scaler, TargetKind};
use crate::engine::compiled::Dtype;
use crate::error::{Error, Result, Setting};
use crate::layers::Init;
use crate::loss::{LogBase, Loss, Penalty};
use crate::model::{Model, ModelFile};
use crate::train::report::{ConfigReport, DataReport, TrainReport};
use crate::train::{
    Activation, Api, Engine, ModelSpec, Observer, OutputLayer, Start, TrainAccuracy, TrainConfig, train_on,
};
use crate::update::{Optimizer, OptimizerState, Tuning};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use std::path::PathBuf;

/// A run's settings as a face gives them: every field may be missing, and a missing one takes
/// its default from [`super::defaults`] (or, for the loss and the scaling, from the model file
/// the run starts from).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSettings {
    /// The data as the user named it (`iris`, a table, a file), for the report; the face reads it.
    pub data: Option<String>,
    /// Hidden layer widths; empty for the blog's model.
    #[serde(default)]
    pub hidden: Vec<usize>,
    /// The hidden layers' activation, by name.
    pub activation: Option<String>,
    /// The last layer, `softmax` or an activation's name [default: softmax for classes, identity
    /// for values].
    pub output_layer: Option<String>,
    /// Dense layers with a bias.
    pub bias: Option<bool>,
    /// How a fresh model's weights are drawn, one of [`Init::NAMES`].
    pub init: Option<String>,
    /// One of [`crate::update::OPTIMIZER_NAMES`].
    pub optimizer: Option<String>,
    /// The step size α.
    pub lr: Option<f64>,
    /// Momentum's mass.
    pub momentum: Option<f64>,
    /// Adam's b1.
    pub b1: Option<f64>,
    /// Adam's b2.
    pub b2: Option<f64>,
    /// Adam's eps.
    pub eps: Option<f64>,
    /// Passes over the training rows.
    pub epochs: Option<usize>,
    /// Rows per step; `None` for the whole training set.
    pub batch_size: Option<usize>,
    /// A new order of the training rows every epoch.
    pub shuffle: Option<bool>,
    /// Seeds the split, the initial weights and the shuffles.
    pub seed: Option<u64>,
    /// The share of the rows held out for testing.
    pub test_fraction: Option<f64>,
    /// One of [`ScaleKind::NAMES`]; a saved model's own scaler replaces it.
    pub scale: Option<String>,
    /// The loss by name [default: the model file's own, else cross-entropy for classes and the
    /// quadratic cost for values].
    pub loss: Option<String>,
    /// Cross-entropy's log base.
    pub log_base: Option<LogBase>,
    /// Keep the biases at their initial values.
    #[serde(default)]
    pub freeze_bias: bool,
    /// How the gradient is taken.
    pub api: Option<Api>,
    /// λ₂ of the L2 penalty on the weights [default: 0].
    pub l2: Option<f64>,
    /// λ₁ of the L1 penalty on the weights [default: 0].
    pub l1: Option<f64>,
    /// How each epoch's training accuracy is taken, one of [`TrainAccuracy::NAMES`] [default:
    /// after-epoch].
    pub train_accuracy: Option<String>,
    /// Feature inputs computed from the data's columns, `x1,x2,x1^2,sin(x1)` ([`Features`]'s
    /// grammar) [default: the columns as they are, or a saved model's own features].
    pub features: Option<String>,
}

impl TrainSettings {
    /// The loop's settings for targets of `kind`, starting from `saved` (a model file) if any:
    /// every setting checked and named. A face may call it before reading any data, so that a
    /// bad option costs nothing.
    pub fn config(&self, saved: Option<&ModelFile>, kind: TargetKind) -> Result<TrainConfig> {
        let tuning = Tuning { mass: self.momentum, b1: self.b1, b2: self.b2, eps: self.eps };
        // A saved run's optimizer and settings carry on (its state too: `TrainJob::prepare`).
        let optimizer = Optimizer::continuing(
            saved.and_then(|f| f.training.as_ref()).map(|t| &t.optimizer),
            self.optimizer.as_deref(),
            self.lr,
            tuning,
            (defaults::OPTIMIZER, defaults::LEARNING_RATE),
        )?;
        let saved_loss = saved.and_then(|f| f.training.as_ref()).map(|t| t.loss);
        let loss = Loss::chosen(self.loss.as_deref(), self.log_base, saved_loss.or(Some(Loss::default_for(kind))))?;
        loss.check_targets(kind, Setting::Loss)?;
        let config = TrainConfig {
            optimizer,
            epochs: self.epochs.unwrap_or(defaults::EPOCHS),
            batch_size: self.batch_size,
            shuffle: self.shuffle.unwrap_or(defaults::SHUFFLE),
            loss,
            freeze_bias: self.freeze_bias,
            api: self.api.unwrap_or(Api::Stax),
            penalty: Penalty::new(self.l2.unwrap_or(0.0), self.l1.unwrap_or(0.0))?,
            train_accuracy: self
                .train_accuracy
                .as_deref()
                .map_or(Ok(TrainAccuracy::default()), TrainAccuracy::from_name)?,
        };
        config.check()?;
        Ok(config)
    }

    /// A fresh model's architecture for targets of `kind`.
    pub fn spec(&self, kind: TargetKind) -> Result<ModelSpec> {
        let activation = self.activation.as_deref().unwrap_or(defaults::ACTIVATION);
        Ok(ModelSpec {
            hidden: self.hidden.clone(),
            activation: activation
                .parse::<Activation>()
                .map_err(|why| Error::invalid_value(Setting::Activation, activation, why))?,
            bias: self.bias.unwrap_or(defaults::BIAS),
            init: Init::from_name(self.init.as_deref().unwrap_or(defaults::INIT))?,
            output: match &self.output_layer {
                Some(name) => OutputLayer::from_name(name)?,
                None => OutputLayer::default_for(kind),
            },
        })
    }

    /// The scaling asked for (`None`: the features as they are).
    pub fn scale(&self) -> Result<Option<ScaleKind>> {
        ScaleKind::from_name(self.scale.as_deref().unwrap_or(defaults::SCALE))
    }

    /// The feature inputs of a run on `data`: the ones asked for, parsed against the data's
    /// columns, or a saved model's own (`saved`), which a run from it keeps (its first layer
    /// reads them); `None` for the columns as they are.
    pub fn features(&self, data: &Dataset, saved: Option<&SavedModel>) -> Result<Option<Features>> {
        let asked = self.features.as_deref().map(|text| Features::parse(text, &data.feature_names)).transpose()?;
        match saved {
            Some(s) => s.file.keep_features(&s.path, asked),
            None => Ok(asked),
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or(defaults::SEED)
    }

    /// The share of rows held out.
    pub fn test_fraction(&self) -> f64 {
        self.test_fraction.unwrap_or(defaults::TEST_FRACTION)
    }
}

/// A model file to start from: its path (for messages), the model and the file's other fields.
#[derive(Debug, Clone)]
pub struct SavedModel {
    /// Where it was read from.
    pub path: PathBuf,
    /// The model it describes.
    pub model: Model,
    /// The file, with its names, scaler and training record.
    pub file: ModelFile,
}

impl SavedModel {
    /// The optimizer state a run of `optimizer` from this model goes on from, checked against
    /// the model: the saved run's when it is the same optimizer and the file keeps one.
    pub fn resumed(&self, optimizer: &Optimizer) -> Result<Option<OptimizerState>> {
        let Some(record) = &self.file.training else { return Ok(None) };
        record.resumed(optimizer, &self.model, &self.path)
    }
}

/// The engine a run takes, and the saved optimizer state it goes on from: the tape when the run
/// is traced or goes on from the model file's state (the compiled engine's flat optimizer starts
/// from 0), and the tape computes in f64 only, so `--dtype f32` is refused there. A face asks
/// this before it reads the data, to hold the data as that engine reads it (and to refuse
/// before reading); [`TrainJob::prepare`] asks it again.
pub fn engine_for(
    engine: Engine,
    config: &TrainConfig,
    start: Option<&SavedModel>,
    traced: bool,
) -> Result<(Engine, Option<OptimizerState>)> {
    let memory = start.map(|s| s.resumed(&config.optimizer)).transpose()?.flatten();
    if memory.is_some() && engine.dtype() == Dtype::F32 {
        let why = format!(
            "the run goes on from the model file's {} state, on the tape, which computes in f64 only",
            config.optimizer.name()
        );
        return Err(Error::invalid_value(Setting::Dtype, "f32", why));
    }
    Ok((engine.for_run(config, traced || memory.is_some()), memory))
}

/// A run to make: the settings, the data (read, not yet split or scaled), the model file to
/// start from if any, and the engine.
#[derive(Debug, Clone)]
pub struct TrainJob {
    /// The settings, missing ones taking their defaults.
    pub settings: TrainSettings,
    /// Every row, as read.
    pub data: Dataset,
    /// A model file to train on from, instead of a fresh model.
    pub start: Option<SavedModel>,
    /// The engine asked for; [`Engine::for_run`] may take the tape instead.
    pub engine: Engine,
    /// Whether an observer will watch every step (a trace): then the tape runs it.
    pub traced: bool,
}

/// A run set up and about to train: everything its header needs is known.
#[derive(Debug, Clone)]
pub struct TrainRun {
    /// The model before the first step.
    pub model: Model,
    /// The training rows, scaled.
    pub train: Dataset,
    /// The test rows, scaled; `None` without a test part.
    pub test: Option<Dataset>,
    /// What scaled them: fitted on the training rows, or the saved model's own.
    pub scaler: Option<Scaler>,
    /// The data's part of the report.
    pub data: DataReport,
    /// The settings' part of the report.
    pub config: ConfigReport,
    /// The optimizer's state the run goes on from (a saved model's), or `None` for a fresh one.
    pub memory: Option<OptimizerState>,
    rng: ChaCha8Rng,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The record `train --format json` writes.
    pub report: TrainReport,
    /// The model before the first step.
    pub initial: Model,
    /// The model after the last.
    pub model: Model,
    /// The training rows, scaled, as it trained on them.
    pub train: Dataset,
    /// The test rows, scaled.
    pub test: Option<Dataset>,
}

/// The engine a run takes when none is asked for: the compiled one, in f64, on every core.
pub fn default_engine() -> Engine {
    Engine::new(true, Dtype::F64, None).expect("f64 on the default threads is a valid engine")
}

impl TrainJob {
    /// A run of `settings` on `data`, from a fresh model, on the default engine.
    pub fn new(settings: TrainSettings, data: Dataset) -> TrainJob {
        TrainJob { settings, data, start: None, engine: default_engine(), traced: false }
    }

    /// Checks the settings and the model against the data, then splits, scales and makes the
    /// model. The fit check comes first: a saved scaler applied to rows of another width would
    /// index out of bounds.
    pub fn prepare(self) -> Result<TrainRun> {
        let TrainJob { settings, data, start, engine, traced } = self;
        let kind = data.target.kind();
        let config = settings.config(start.as_ref().map(|s| &s.file), kind)?;
        if let Some(s) = &start {
            let fault = config.loss.check_output(&s.model).err().or_else(|| s.model.one_class_softmax());
            if let Some(f) = fault {
                return Err(Error::ModelFile { path: s.path.clone(), at: f.at, why: f.why });
            }
            s.file.check_fits(&s.path, &s.model, &data)?;
        }
        // Features are computed from the raw columns, before the split and the scaler, so the
        // scaler is fitted on them as on any column.
        let features = settings.features(&data, start.as_ref())?;
        let columns = features.as_ref().map(|f| f.columns().to_vec());
        let data = match &features {
            Some(f) => f.apply_to(data)?,
            None => data,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed());
        // A saved model keeps the scaling it was trained with: its inputs mean nothing scaled another way.
        let saved_scaler = start.as_ref().and_then(|s| s.file.scaler.clone());
        let scale = if saved_scaler.is_some() { None } else { settings.scale()? };
        // The data is moved into its parts (kept whole, it is the training part: not copied);
        // the report and the model read only its shape and names, which the training part keeps.
        let rows = data.len();
        let Prepared { mut train, mut test, scaler, .. } =
            data.into_prepared(settings.test_fraction(), scale, &mut rng)?;
        let scaler = match saved_scaler {
            Some(s) => {
                train.scale_in_place(&s);
                test.iter_mut().for_each(|t| t.scale_in_place(&s));
                Some(s)
            }
            None => scaler,
        };
        let (ran_on, memory) = engine_for(engine, &config, start.as_ref(), traced)?;
        let model = match start {
            Some(s) => s.model,
            None => fresh_model(&settings, &train, &config, &mut rng)?,
        };
        let source = settings.data.clone().unwrap_or_else(|| crate::data::IRIS.to_string());
        let data_report = DataReport { rows, columns, ..DataReport::new(&source, &train, &train, test.as_ref()) };
        let config_report = ConfigReport::new(
            &config,
            scaler.as_ref().map(|s| s.kind),
            settings.test_fraction(),
            settings.seed(),
            ran_on,
        );
        Ok(TrainRun { model, train, test, scaler, data: data_report, config: config_report, memory, rng })
    }
}

/// A fresh model of the architecture the settings ask for, drawn from `rng`, for a run of `config`.
fn fresh_model(settings: &TrainSettings, data: &Dataset, config: &TrainConfig, rng: &mut ChaCha8Rng) -> Result<Model> {
    let (features, outputs) = (data.feature_names.len(), data.target.width());
    let spec = settings.spec(data.target.kind())?;
    // Each layer's activations for the rows taken at once: a batch, or a block of an evaluation
    // pass. Checked after the library's parameter count (which refuses the widest models before
    // allocating any weight), so a width too large for any data is named by that rule.
    let widest = spec.hidden.iter().chain([&features, &outputs]).max().copied().unwrap_or(0);
    let model = spec.build_for(features, outputs, config.loss, rng)?;
    let n = data.len();
    let batch = config.batch_size.unwrap_or(n).min(n);
    let rows = batch.max(n.min(crate::engine::compiled::train::EVAL_ROWS.max(crate::predict::BLOCK_ROWS)));
    let what = match config.batch_size {
        _ if rows > batch => format!("one layer's activations for a block of {rows} rows of an evaluation pass"),
        Some(_) => format!("one layer's activations for a batch of {batch} rows"),
        None => format!("one layer's activations for a batch of every training row ({n}; --batch-size takes fewer)"),
    };
    crate::limits::matrix(Setting::BatchSize, &what, rows, widest, data.features.len())?;
    Ok(model)
}

impl TrainRun {
    /// Trains, `observer` watching, and makes the report. The report names the engine that
    /// actually ran (the tape, when the observer watches every step).
    pub fn train(self, observer: &mut dyn Observer) -> Result<Trained> {
        let TrainRun { model, train, test, scaler, data, mut config, memory, mut rng } = self;
        let initial = model.clone();
        let tape_only = observer.wants_steps() || observer.is_live() || memory.is_some();
        config.engine = config.engine.for_run(&config.train, tape_only);
        let start = Start { model, memory };
        let result = train_on(config.engine, &config.train, start, &train, test.as_ref(), &mut rng, observer)?;
        let report = TrainReport::new(data, config, &result, &train, test.as_ref(), scaler)?;
        Ok(Trained { report, initial, model: result.model, train, test })
    }

    /// The number of parameters the model trains (weights, and biases where it has them).
    pub fn parameters(&self) -> usize {
        self.model.param_count()
    }
}
