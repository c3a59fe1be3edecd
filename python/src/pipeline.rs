//! The library calls behind `explain`, `train` and `predict`, on Rust values only (no Python
//! here, so a training run can go on with the GIL released). Each follows the CLI's own pipeline
//! step for step, so that the same settings give the same record as `gradlens … --format json`.
//!
//! TEMPORARY: these are the steps `src/cli/{explain,train,predict}.rs` take today. Once the
//! library's application layer (`gradlens::run`, issue 13) lands, each function here becomes a
//! call of its job (TrainJob, the explain job's `steps(n)`, PredictJob).

use gradlens::data::{Dataset, IRIS, Prepared, ScaleKind, Target as DataTarget, TargetColumns, TargetKind};
use gradlens::error::{Error, Result, Setting};
use gradlens::explain_options::ExplainOptions;
use gradlens::layers::Init;
use gradlens::loss::{LogBase, Loss};
use gradlens::model::{Model, ModelFile};
use gradlens::predict::{classes, log_probabilities, outputs, probabilities};
use gradlens::render::fmt_num;
use gradlens::trace::{Explanation, LayerTrace, explain};
use gradlens::train::report::{ConfigReport, DataReport, TrainReport};
use gradlens::train::{
    Activation, Api, EpochStats, ModelSpec, Observer, OutputLayer, TrainConfig, targets_phrase, train_on,
};
use gradlens::update::Optimizer;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::Path;

/// The most steps `steps` takes, as `explain --steps`.
pub const MAX_STEPS: usize = 1000;

/// `steps` updates in a row (1 to [`MAX_STEPS`]), each from the weights the last one left
/// (`explain --steps`), and the model the last one left.
pub fn explain_steps(options: &ExplainOptions, steps: usize) -> Result<(Vec<Explanation>, Model)> {
    let mut request = options.request(&Dataset::iris(), "Iris")?;
    let mut explanations = Vec::with_capacity(steps);
    for _ in 0..steps {
        let explanation = explain(&request)?;
        request.model = request.model.with_params(&request.model.params().with_flat(&new_parameters(&explanation)));
        explanations.push(explanation);
    }
    Ok((explanations, request.model))
}

/// The parameters after an explained step, flat as `Params::to_flat` lays them.
fn new_parameters(e: &Explanation) -> Vec<f64> {
    let mut flat = Vec::new();
    for layer in &e.layers {
        if let LayerTrace::Dense(d) = layer {
            flat.extend(d.new_weights.iter().copied());
            if let Some(b) = &d.new_bias {
                flat.extend(b.iter().copied());
            }
        }
    }
    flat
}

/// Where a run's rows come from: the built-in Iris, a CSV, or numpy files (`.npz`, or `.npy`
/// with `labels`).
pub struct DataSource {
    /// `iris` or a path, as `--data` takes it.
    pub data: String,
    /// `--labels`.
    pub labels: Option<String>,
    /// How the report names the data (a temporary file written from arrays is "arrays").
    pub shown_as: String,
}

/// `gradlens train`'s options, as keyword arguments.
pub struct TrainOptions {
    pub source: DataSource,
    pub label: Option<String>,
    pub targets: Option<TargetKind>,
    pub scale: Option<ScaleKind>,
    pub test_fraction: f64,
    pub seed: u64,
    pub model: Option<ModelFile>,
    pub hidden: Vec<usize>,
    pub activation: Option<Activation>,
    pub output_layer: Option<String>,
    pub bias: bool,
    pub init: Init,
    pub api: Api,
    pub optimizer: String,
    pub lr: f64,
    pub momentum: Option<f64>,
    pub epochs: usize,
    pub batch_size: Option<usize>,
    pub shuffle: bool,
    pub loss: Option<String>,
    pub freeze_bias: bool,
    pub log_base: Option<LogBase>,
    pub compiled: bool,
    pub dtype: gradlens::engine::compiled::Dtype,
    pub threads: Option<usize>,
}

/// The CLI's `train` run without its files: the report `--format json` prints.
pub fn train(o: &TrainOptions) -> Result<TrainReport> {
    let start = o.model.as_ref().map(|f| f.to_model(Path::new("model")).map(|m| (m, f))).transpose()?;
    let saved_loss = start.as_ref().and_then(|(_, f)| f.training.as_ref()).map(|t| t.loss);
    let columns = TargetColumns::new(o.label.as_deref(), o.targets)?;
    let config = config(o, saved_loss, columns.kind())?;
    let engine = gradlens::train::Engine::new(o.compiled, o.dtype, o.threads)?;
    let data = load_data(&o.source, &columns, o.label.as_deref())?;
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    let saved_scaler = start.as_ref().and_then(|(_, f)| f.scaler.clone());
    let scale = if saved_scaler.is_some() { None } else { o.scale };
    let Prepared { train: train_set, test: test_set, scaler, .. } = data.prepare(o.test_fraction, scale, &mut rng)?;
    let (train_set, test_set, scaler) = match saved_scaler {
        Some(s) => (train_set.scaled(&s), test_set.map(|t| t.scaled(&s)), Some(s)),
        None => (train_set, test_set, scaler),
    };
    let model = match start {
        Some((model, file)) => check_start(model, file, &data, config.loss)?,
        None => fresh_model(o, &data, config.loss, &mut rng)?,
    };
    let data_report = DataReport::new(&o.source.shown_as, &data, &train_set, test_set.as_ref());
    let config_report = ConfigReport::new(
        &config,
        scaler.as_ref().map(|s| s.kind),
        o.test_fraction,
        o.seed,
        engine.for_run(&config, false),
    );
    let mut watch = FirstAndLast(None);
    let result = train_on(engine, &config, model, &train_set, test_set.as_ref(), &mut rng, &mut watch)?;
    check_not_diverged(&watch.0, &config)?;
    TrainReport::new(data_report, config_report, &result, &train_set, test_set.as_ref(), scaler)
}

/// Keeps the first and the latest epoch's figures, for the divergence rule.
struct FirstAndLast(Option<(EpochStats, EpochStats)>);

impl Observer for FirstAndLast {
    fn epoch(&mut self, stats: &EpochStats, _model: &Model) -> Result<()> {
        match &mut self.0 {
            None => self.0 = Some((stats.clone(), stats.clone())),
            Some((_, last)) => *last = stats.clone(),
        }
        Ok(())
    }
}

/// The CLI's divergence rule: a loss 1000 times its first epoch's is an error.
fn check_not_diverged(first_and_last: &Option<(EpochStats, EpochStats)>, config: &TrainConfig) -> Result<()> {
    let Some((first, last)) = first_and_last else { return Ok(()) };
    if last.loss > 1000.0 * first.loss.max(f64::MIN_POSITIVE) {
        return Err(Error::invalid(
            Setting::LearningRate,
            format!(
                "training diverged: the loss grew from {} in epoch 1 to {} in epoch {}; try a smaller step size \
                 (now {})",
                fmt_num(first.loss),
                fmt_num(last.loss),
                last.epoch,
                fmt_num(config.optimizer.step_size())
            ),
        ));
    }
    Ok(())
}

fn config(o: &TrainOptions, saved_loss: Option<Loss>, kind: TargetKind) -> Result<TrainConfig> {
    if let Some(mass) = o.momentum {
        Optimizer::check_mass(mass)?;
    }
    let mass = o.momentum.unwrap_or(gradlens::train::defaults::MOMENTUM);
    let optimizer = match o.optimizer.as_str() {
        "sgd" => Optimizer::sgd(o.lr),
        "momentum" => Optimizer::momentum(o.lr, mass),
        "adam" => Optimizer::adam(o.lr),
        other => {
            return Err(Error::invalid_value(Setting::Step, format!("'{other}'"), "optimizer: sgd, momentum or adam"));
        }
    }?;
    let loss = Loss::chosen(o.loss.as_deref(), o.log_base, saved_loss.or(Some(Loss::default_for(kind))))?;
    loss.check_targets(kind, Setting::Loss)?;
    let config = TrainConfig {
        optimizer,
        epochs: o.epochs,
        batch_size: o.batch_size,
        shuffle: o.shuffle,
        loss,
        freeze_bias: o.freeze_bias,
        api: o.api,
    };
    config.check()?;
    Ok(config)
}

fn load_data(source: &DataSource, columns: &TargetColumns, label: Option<&str>) -> Result<Dataset> {
    let lower = source.data.to_ascii_lowercase();
    let numpy = lower.ends_with(".npy") || lower.ends_with(".npz");
    let path = Path::new(&source.data);
    let data = if source.data == IRIS {
        if columns.kind() == TargetKind::Values {
            return Err(Error::invalid(Setting::Label, "Iris's targets are classes; numbers to learn come from a CSV"));
        }
        if let Some(label) = label
            && label != "species"
        {
            return Err(Error::invalid_value(Setting::Label, label, "Iris's class column is 'species'"));
        }
        Dataset::iris()
    } else if numpy {
        if let Some(label) = label {
            return Err(Error::invalid_value(
                Setting::Label,
                label,
                "names a CSV's columns; numpy data keeps its targets in y",
            ));
        }
        Dataset::from_npy(path, source.labels.as_deref().map(Path::new), columns.kind())?
    } else {
        Dataset::from_csv(path, columns)?
    };
    data.check_trainable(path)?;
    gradlens::limits::matrix(Setting::TrainingData, "the targets", data.len(), data.target.width())?;
    Ok(data)
}

/// A model to train on from must fit the data.
fn check_start(model: Model, file: &ModelFile, data: &Dataset, loss: Loss) -> Result<Model> {
    let fault = |why: String| Error::ModelFile { path: "model".into(), at: "layers".into(), why };
    loss.check_output(&model).map_err(|f| Error::ModelFile { path: "model".into(), at: f.at, why: f.why })?;
    let features = data.feature_names.len();
    if model.in_width() != features {
        return Err(fault(format!("the model takes {} inputs but the data has {features} features", model.in_width())));
    }
    if model.out_width() != data.target.width() {
        return Err(fault(format!(
            "the model has {} outputs but the data has {}",
            model.out_width(),
            targets_phrase(&data.target)
        )));
    }
    let saved = match &data.target {
        DataTarget::Classes { .. } => &file.classes,
        DataTarget::Values { .. } => &file.targets,
    };
    if let Some(names) = saved
        && names != data.target.names()
    {
        return Err(fault(format!(
            "the model's outputs are {} but the data's are {}",
            names.join(", "),
            data.target.names().join(", ")
        )));
    }
    Ok(model)
}

fn fresh_model(o: &TrainOptions, data: &Dataset, loss: Loss, rng: &mut ChaCha8Rng) -> Result<Model> {
    let (features, outputs) = (data.feature_names.len(), data.target.width());
    let spec = ModelSpec {
        hidden: o.hidden.clone(),
        activation: o.activation.unwrap_or(Activation::Tanh),
        bias: o.bias,
        init: o.init,
        output: match &o.output_layer {
            Some(name) => OutputLayer::from_name(name)?,
            None => OutputLayer::default_for(data.target.kind()),
        },
    };
    let model = spec.build_for(features, outputs, loss, rng)?;
    let widest = o.hidden.iter().chain([&features, &outputs]).max().copied().unwrap_or(0);
    gradlens::limits::matrix(Setting::Hidden, "one layer's activations for the data", data.len(), widest)?;
    Ok(model)
}

/// One row's class and probabilities, as `predict --format json` writes it.
#[derive(Serialize)]
struct ClassRow {
    row: usize,
    class: String,
    class_index: usize,
    probabilities: Vec<f64>,
}

/// One row's values, for a model trained on values.
#[derive(Serialize)]
struct ValueRow {
    row: usize,
    values: Vec<f64>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Predictions<'a> {
    Classes { classes: &'a [String], predictions: Vec<ClassRow> },
    Values { targets: &'a [String], predictions: Vec<ValueRow> },
}

/// `predict --format json` for raw rows `x` (the model's scaler applies first), and the model's
/// outputs (probabilities for a classifier) as a matrix.
pub fn predict(
    file: &ModelFile,
    raw: ndarray::Array2<f64>,
    compiled: bool,
    dtype: gradlens::engine::compiled::Dtype,
    threads: Option<usize>,
) -> Result<(String, ndarray::Array2<f64>)> {
    let engine = gradlens::train::Engine::new(compiled, dtype, threads)?;
    let model = file.to_model(Path::new("model"))?;
    if raw.ncols() != model.in_width() {
        return Err(Error::invalid(
            Setting::Inputs,
            format!("{} numbers a row but the model takes {} inputs", raw.ncols(), model.in_width()),
        ));
    }
    let x = match &file.scaler {
        Some(s) => s.transform(&raw),
        None => raw,
    };
    let (report, out) = if let Some(targets) = &file.targets {
        let y = match engine {
            gradlens::train::Engine::Compiled(e) => gradlens::engine::compiled::predict::outputs(e, &model, &x)?,
            gradlens::train::Engine::Tape => outputs(&model, &x)?,
        };
        let predictions =
            y.rows().into_iter().enumerate().map(|(i, r)| ValueRow { row: i + 1, values: r.to_vec() }).collect();
        (serde_json::to_string(&Predictions::Values { targets, predictions }), y)
    } else {
        let names: Vec<String> = match &file.classes {
            Some(c) => c.clone(),
            None => (0..model.out_width()).map(|i| i.to_string()).collect(),
        };
        let log_p = match engine {
            gradlens::train::Engine::Compiled(e) => {
                gradlens::engine::compiled::predict::log_probabilities(e, &model, &x)?
            }
            gradlens::train::Engine::Tape => log_probabilities(&model, &x)?,
        };
        let p = probabilities(&log_p);
        let predictions = classes(&log_p)
            .into_iter()
            .enumerate()
            .map(|(i, c)| ClassRow {
                row: i + 1,
                class: names[c].clone(),
                class_index: c,
                probabilities: p.row(i).to_vec(),
            })
            .collect();
        (serde_json::to_string(&Predictions::Classes { classes: &names, predictions }), p)
    };
    Ok((report.expect("predictions serialise"), out))
}
