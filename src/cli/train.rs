//! `gradlens train`: options → data, model and config → `gradlens::train::train` → a
//! [`TrainReport`], printed by `gradlens::render::training` or as JSON, and the files asked for.
//! Every output path is checked before training starts, and every file is written whole (or not
//! at all) after it ends.

use super::{check_writable, parent_dir, temp_file_in, write_all_atomic};
use anyhow::{Context, Result, anyhow, bail};
use clap::ValueEnum;
use gradlens::data::{Dataset, IRIS, Prepared, ScaleKind};
use gradlens::layers::Init;
use gradlens::loss::{LOSS_NAMES, LogBase, Loss};
use gradlens::model::{Model, ModelFile};
use gradlens::plot::{ImageFormat, training_curves, weight_panels, weight_paths};
use gradlens::render::fmt_num;
use gradlens::render::training::{epoch_line, header, json, loss_unit, summary};
use gradlens::trace::{ExplainRequest, Targets, Update, explain};
use gradlens::train::report::{ConfigReport, DataReport, TrainReport};
use gradlens::train::{Activation, Api, EpochStats, ModelSpec, Observer, Step, TrainConfig, train_on};
use gradlens::update::Optimizer;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(after_help = "With no options: the blog's model, serial(Dense(3), Softmax) with a bias, trained on \
                        Iris (standardised, 20% held out for testing) by full-batch gradient descent.")]
pub struct Args {
    /// `iris` (built in) or a CSV file with a header row.
    #[arg(long, value_name = "iris|FILE", default_value = IRIS)]
    data: String,
    /// The CSV's class column (default: the last).
    #[arg(long, value_name = "COLUMN")]
    label: Option<String>,
    /// With --data X.npy: the class labels, a 1-D integer .npy (a .npz holds x and y itself).
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// Feature scaling, fitted on the training rows only.
    #[arg(long, value_enum, default_value = "standard")]
    scale: ScaleArg,
    /// The share of each class held out for testing, in [0, 1); 0 trains on every row.
    #[arg(long, value_name = "F", default_value = "0.2", allow_hyphen_values = true)]
    test_fraction: f64,
    /// Seeds every random choice (split, initial weights, shuffles): the same seed, the same run.
    #[arg(long, value_name = "N", default_value = "0")]
    seed: u64,

    /// Start from this model file (architecture and weights) instead of a fresh model; the scaler
    /// saved with it (train --save) is kept, and --scale does not apply.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["hidden", "no_bias", "init", "activation"])]
    model: Option<PathBuf>,
    /// Hidden layer widths, e.g. 16,8 (default: none, the blog's model).
    #[arg(long, value_name = "WIDTHS")]
    hidden: Option<String>,
    /// The hidden layers' activation.
    #[arg(long, default_value = "tanh", value_parser = activation_names())]
    activation: Activation,
    /// Dense layers without a bias, as in the blog's hand calculation.
    #[arg(long)]
    no_bias: bool,
    /// Initial weights: glorot (normal, stax's default), uniform (U[−1, 1], the blog's) or zeros.
    #[arg(long, value_enum, default_value = "glorot")]
    init: InitArg,
    /// stax: the gradient by the tape; custom: the blog's hand-derived gradient (any model).
    #[arg(long, value_enum, default_value = "stax")]
    api: ApiArg,

    /// As jax.example_libraries.optimizers: momentum with --momentum, adam with b1 0.9, b2 0.999, eps 1e-8.
    #[arg(long, value_enum, default_value = "sgd")]
    optimizer: OptimizerArg,
    /// Step size.
    #[arg(long, value_name = "ALPHA", default_value = "0.5", allow_hyphen_values = true)]
    lr: f64,
    /// Momentum's mass, in [0, 1).
    #[arg(long, value_name = "MASS", default_value = "0.9", allow_hyphen_values = true)]
    momentum: f64,
    /// Passes over the training rows.
    #[arg(long, value_name = "N", default_value = "1000")]
    epochs: usize,
    /// Rows per update (default: the whole training set).
    #[arg(long, value_name = "N")]
    batch_size: Option<usize>,
    /// A new random order of the training rows every epoch (the default).
    #[arg(long, overrides_with = "no_shuffle")]
    shuffle: bool,
    /// Batches in the data's order, the last one smaller when the batch size does not divide it.
    #[arg(long, overrides_with = "shuffle")]
    no_shuffle: bool,
    /// The loss: cross-entropy (softmax output) or quadratic (½‖y − ŷ‖², any output layer).
    #[arg(long, default_value = "cross-entropy", value_parser = LOSS_NAMES)]
    loss: String,
    /// Keep the biases at their initial values (their gradients are still computed).
    #[arg(long)]
    freeze_bias: bool,
    /// Base of cross-entropy's logarithm: e, 2, 10 or any positive number other than 1 [default: e]
    #[arg(long, value_name = "BASE")]
    log_base: Option<String>,
    /// Print a line every N epochs (default: about ten lines).
    #[arg(long, value_name = "N")]
    every: Option<usize>,

    /// text, or json (the per-epoch figures, the final evaluation and the model).
    #[arg(long, value_enum, default_value = "text")]
    format: FormatArg,
    /// Save the trained model (with its class and feature names and scaler) to this JSON file.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Save every weight and bias as a .npy file in this folder (made if missing).
    #[arg(long, value_name = "DIR")]
    save_npy: Option<PathBuf>,
    /// Plot loss and accuracy per epoch (.svg or .png).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Plot every weight's path over the epochs (.svg or .png).
    #[arg(long, value_name = "FILE")]
    plot_weights: Option<PathBuf>,
    /// Write every step's explanation, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,

    #[command(flatten)]
    engine: super::engine::EngineArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScaleArg {
    Standard,
    Minmax,
    None,
}

/// `--activation`: every name in [`Activation::ALL`], so a new activation needs nothing here.
fn activation_names() -> impl clap::builder::TypedValueParser<Value = Activation> {
    use clap::builder::TypedValueParser;
    let names = Activation::ALL.map(Activation::name);
    clap::builder::PossibleValuesParser::new(names).map(|name| name.parse::<Activation>().expect("a listed name"))
}

#[derive(Clone, Copy, ValueEnum)]
enum InitArg {
    Glorot,
    Uniform,
    Zeros,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ApiArg {
    Stax,
    Custom,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OptimizerArg {
    Sgd,
    Momentum,
    Adam,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

pub fn run(args: Args) -> Result<()> {
    // Everything the user gave is checked before any work: a bad option costs nothing.
    let config = config(&args)?;
    let engine = args.engine.engine()?;
    let outputs = Outputs::check(&args)?;
    let (data, source) = load_data(&args)?;
    let start =
        args.model.as_ref().map(|path| Model::load(path).map(|(model, file)| (path, model, file))).transpose()?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    // A saved model keeps the scaling it was trained with: its inputs mean nothing scaled another way.
    let saved_scaler = start.as_ref().and_then(|(_, _, file)| file.scaler.clone());
    let scale = if saved_scaler.is_some() { None } else { scale_kind(args.scale) };
    let Prepared { train: train_set, test: test_set, scaler, .. } =
        data.prepare(args.test_fraction, scale, &mut rng).with_context(|| format!("--data {source}"))?;
    let (train_set, test_set, scaler) = match saved_scaler {
        Some(s) => (train_set.scaled(&s), test_set.map(|t| t.scaled(&s)), Some(s)),
        None => (train_set, test_set, scaler),
    };
    let model = match start {
        Some((path, model, file)) => check_start(path, model, &file, &data, config.loss)?,
        None => fresh_model(&args, &data, &mut rng)?,
    };

    let data_report = DataReport::new(&source, &data, &train_set, test_set.as_ref());
    let ran_on = engine.for_run(&config, args.trace.is_some());
    let config_report =
        ConfigReport::new(&config, scaler.as_ref().map(|s| s.kind), args.test_fraction, args.seed, ran_on);
    let text = args.format == FormatArg::Text;
    if text {
        // Not print!: it panics when the reader has gone (`gradlens train | head -1`).
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(header(&data_report, &config_report, &model).as_bytes())?;
        stdout.flush()?;
    }
    let mut observer = Watch::new(&args, &config, &data, text, &outputs)?;
    let initial = model.clone();
    let result = train_on(engine, &config, model, &train_set, test_set.as_ref(), &mut rng, &mut observer);
    // The bar goes whether training ended well or not; a failed run's trace is dropped unwritten.
    let trace = observer.finish();
    let (result, trace) = (result?, trace?);
    let report = TrainReport::new(data_report, config_report, &result, &train_set, test_set.as_ref(), scaler)?;

    // Render every file in memory first, so a failure leaves the user's files as they were.
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    if let Some(path) = &args.save {
        files.push((path.clone(), model_json(&report.model)));
    }
    if let Some(dir) = &args.save_npy {
        files.extend(npy_files(&result.model, dir)?);
    }
    if let Some((path, format)) = &outputs.plot {
        files.push((path.clone(), training_curves(&report.epochs, &loss_unit(config.loss), *format)?));
    }
    if let Some((path, format)) = &outputs.plot_weights {
        let mut history = observer.params_history;
        history.insert(0, initial.params().to_flat());
        let panels = weight_panels(&result.model, &history, &data.feature_names, &data.class_names);
        files.push((path.clone(), weight_paths(&panels, *format)?));
    }
    let made_npy_dir = match &args.save_npy {
        Some(dir) if !dir.is_dir() => {
            std::fs::create_dir(dir)
                .with_context(|| format!("--save-npy {}: cannot make the folder", dir.display()))?;
            Some(dir)
        }
        _ => None,
    };
    let staged: Vec<(&Path, &[u8])> = files.iter().map(|(p, b)| (p.as_path(), b.as_slice())).collect();
    if let Err(e) = write_all_atomic(&staged) {
        if let Some(dir) = made_npy_dir {
            let _ = std::fs::remove_dir(dir); // only if still empty: nothing of the user's
        }
        return Err(e);
    }
    if let Some((tmp, path)) = trace {
        tmp.persist(&path).map_err(|e| anyhow!("--trace {}: {}", path.display(), e.error))?;
    }

    let out = match args.format {
        FormatArg::Text => summary(&report),
        FormatArg::Json => json(&report),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// The optimisation settings, each checked and named by its option.
fn config(args: &Args) -> Result<TrainConfig> {
    // The library checks every setting and names it; `options.rs` turns the name into the option.
    let optimizer = match args.optimizer {
        OptimizerArg::Sgd => Optimizer::sgd(args.lr),
        OptimizerArg::Momentum => Optimizer::momentum(args.lr, args.momentum),
        OptimizerArg::Adam => Optimizer::adam(args.lr),
    }?;
    if args.every == Some(0) {
        bail!("--every 0: print every 1 epoch or more");
    }
    let log_base: Option<LogBase> = args.log_base.as_deref().map(str::parse).transpose()?;
    let loss = Loss::from_name(&args.loss, log_base)?;
    let config = TrainConfig {
        optimizer,
        epochs: args.epochs,
        batch_size: args.batch_size,
        shuffle: !args.no_shuffle,
        loss,
        freeze_bias: args.freeze_bias,
        api: match args.api {
            ApiArg::Stax => Api::Stax,
            ApiArg::Custom => Api::Custom,
        },
    };
    config.check()?;
    Ok(config)
}

fn scale_kind(s: ScaleArg) -> Option<ScaleKind> {
    match s {
        ScaleArg::Standard => Some(ScaleKind::Standard),
        ScaleArg::Minmax => Some(ScaleKind::Minmax),
        ScaleArg::None => None,
    }
}

/// The checked output paths, with the image format each plot's name asks for.
struct Outputs {
    plot: Option<(PathBuf, ImageFormat)>,
    plot_weights: Option<(PathBuf, ImageFormat)>,
}

impl Outputs {
    fn check(args: &Args) -> Result<Outputs> {
        if let Some(path) = &args.save {
            check_writable("--save", path)?;
        }
        if let Some(path) = &args.trace {
            check_writable("--trace", path)?;
        }
        if let Some(dir) = &args.save_npy {
            if dir.exists() && !dir.is_dir() {
                bail!("--save-npy {}: is a file, not a folder", dir.display());
            }
            if !dir.exists() {
                // The folder is made after training; its parent must be there now.
                check_writable("--save-npy", dir)?;
            }
        }
        let image = |option: &str, path: &Option<PathBuf>| -> Result<Option<(PathBuf, ImageFormat)>> {
            let Some(path) = path else { return Ok(None) };
            check_writable(option, path)?;
            let format = ImageFormat::from_path(path)
                .with_context(|| format!("{option} {}: the name must end in .svg or .png", path.display()))?;
            Ok(Some((path.clone(), format)))
        };
        let outputs =
            Outputs { plot: image("--plot", &args.plot)?, plot_weights: image("--plot-weights", &args.plot_weights)? };
        let mut paths: Vec<(&str, &Path)> = Vec::new();
        for (option, path) in [
            ("--save", &args.save),
            ("--plot", &args.plot),
            ("--plot-weights", &args.plot_weights),
            ("--trace", &args.trace),
        ] {
            if let Some(p) = path {
                if let Some((other, _)) = paths.iter().find(|(_, q)| *q == p.as_path()) {
                    bail!("{option} {}: the same file as {other}", p.display());
                }
                paths.push((option, p));
            }
        }
        Ok(outputs)
    }
}

/// The data, and how to name it in messages and reports.
fn load_data(args: &Args) -> Result<(Dataset, String)> {
    let numpy = [".npy", ".npz"].iter().any(|ext| args.data.to_ascii_lowercase().ends_with(ext));
    if let (Some(labels), false) = (&args.labels, numpy) {
        bail!("--labels {}: only with --data X.npy (a CSV names its class column with --label)", labels.display());
    }
    let data = if args.data == IRIS {
        if let Some(label) = &args.label
            && label != "species"
        {
            bail!("--label {label}: Iris's class column is 'species'");
        }
        Dataset::iris()
    } else if numpy {
        Dataset::from_npy(Path::new(&args.data), args.labels.as_deref()).map_err(|e| match e {
            gradlens::Error::Io { path, source } => anyhow!("{}: {source}", path.display()),
            e => anyhow!(e),
        })?
    } else {
        Dataset::from_csv(Path::new(&args.data), args.label.as_deref()).map_err(|e| match e {
            gradlens::Error::Io { path, source } => anyhow!("--data {}: {source}", path.display()),
            e => anyhow!(e),
        })?
    };
    data.check_trainable(Path::new(&args.data))?;
    Ok((data, args.data.clone()))
}

/// A model file to train on from: it must fit the data (inputs, outputs, and the names it was
/// saved with).
fn check_start(path: &Path, model: Model, file: &ModelFile, data: &Dataset, loss: Loss) -> Result<Model> {
    let (features, classes) = (data.feature_names.len(), data.class_names.len());
    let at = path.display();
    if let Err(f) = loss.check_output(&model) {
        return Err(gradlens::Error::ModelFile { path: path.into(), at: f.at, why: f.why }.into());
    }
    if model.in_width() != features {
        bail!(
            "--model {at}: the model takes {} inputs but the data has {features} features ({})",
            model.in_width(),
            data.feature_names.join(", ")
        );
    }
    if model.out_width() != classes {
        bail!(
            "--model {at}: the model has {} outputs but the data has {classes} classes ({})",
            model.out_width(),
            data.class_names.join(", ")
        );
    }
    if let Some(names) = &file.classes
        && names != &data.class_names
    {
        bail!(
            "--model {at}: the model's classes are {} but the data's are {} (in order of first appearance)",
            names.join(", "),
            data.class_names.join(", ")
        );
    }
    if let Some(names) = &file.features
        && names != &data.feature_names
    {
        bail!(
            "--model {at}: the model's features are {} but the data's are {}",
            names.join(", "),
            data.feature_names.join(", ")
        );
    }
    Ok(model)
}

/// A fresh model of the architecture the options ask for, drawn from `rng`.
fn fresh_model(args: &Args, data: &Dataset, rng: &mut ChaCha8Rng) -> Result<Model> {
    let (features, classes) = (data.feature_names.len(), data.class_names.len());
    let hidden = match &args.hidden {
        None => Vec::new(),
        Some(text) if text.trim().is_empty() => Vec::new(),
        Some(text) => text
            .split(',')
            .map(|w| match w.trim().parse::<usize>() {
                Ok(n) => Ok(n),
                Err(_) => bail!("--hidden {text}: '{}' is not a number of units", w.trim()),
            })
            .collect::<Result<_>>()?,
    };
    let spec = ModelSpec {
        hidden,
        activation: args.activation,
        bias: !args.no_bias,
        init: match args.init {
            InitArg::Glorot => Init::GlorotNormal,
            InitArg::Uniform => Init::UNIFORM,
            InitArg::Zeros => Init::Zeros,
        },
    };
    Ok(spec.build(features, classes, rng)?)
}

/// What the run reports while it trains: a progress bar on a terminal's stderr, a line every
/// few epochs, the parameters after each epoch for `--plot-weights`, and the trace.
struct Watch {
    bar: Option<ProgressBar>,
    /// Print a line at these epochs (text format only).
    every: Option<usize>,
    epochs: usize,
    params_history: Vec<Vec<f64>>,
    record_params: bool,
    trace: Option<TraceWriter>,
}

struct TraceWriter {
    path: PathBuf,
    out: BufWriter<tempfile::NamedTempFile>,
    optimizer: Optimizer,
    loss: Loss,
    freeze_bias: bool,
    class_names: Vec<String>,
    feature_names: Vec<String>,
}

/// One `--trace` line: the step's explanation, with where it falls in the run.
#[derive(Serialize)]
struct TraceLine<'a> {
    epoch: usize,
    step: usize,
    #[serde(flatten)]
    explanation: &'a gradlens::trace::Explanation,
}

impl Watch {
    fn new(args: &Args, config: &TrainConfig, data: &Dataset, text: bool, outputs: &Outputs) -> Result<Watch> {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(config.epochs as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:40.cyan/blue} epoch {pos}/{len} {msg} [{elapsed_precise}]")
                    .expect("a valid template"),
            );
            bar
        });
        let trace = match &args.trace {
            None => None,
            Some(path) => {
                let dir = parent_dir(path);
                let tmp = temp_file_in(dir)
                    .with_context(|| format!("--trace {}: cannot write in {}", path.display(), dir.display()))?;
                Some(TraceWriter {
                    path: path.clone(),
                    out: BufWriter::new(tmp),
                    optimizer: config.optimizer,
                    loss: config.loss,
                    freeze_bias: config.freeze_bias,
                    class_names: data.class_names.clone(),
                    feature_names: data.feature_names.clone(),
                })
            }
        };
        let every = text.then(|| args.every.unwrap_or((config.epochs / 10).max(1)));
        let record_params = outputs.plot_weights.is_some();
        Ok(Watch { bar, every, epochs: config.epochs, params_history: Vec::new(), record_params, trace })
    }

    /// Ends the bar, and hands back the finished trace's temporary file and its destination.
    fn finish(&mut self) -> Result<Option<(tempfile::NamedTempFile, PathBuf)>> {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let Some(trace) = self.trace.take() else { return Ok(None) };
        let tmp = trace.out.into_inner().map_err(|e| anyhow!("--trace {}: {}", trace.path.display(), e.error()))?;
        Ok(Some((tmp, trace.path)))
    }
}

impl Observer for Watch {
    fn wants_steps(&self) -> bool {
        self.trace.is_some()
    }

    fn step(&mut self, step: &Step) -> gradlens::Result<()> {
        let Some(t) = &mut self.trace else { return Ok(()) };
        let explanation = explain(&ExplainRequest {
            model: step.model.clone(),
            inputs: step.x.clone(),
            scaler: None,
            targets: Targets::Classes(step.labels.to_vec()),
            update: Update::Run { optimizer: t.optimizer, state: step.state.clone(), step: step.step },
            loss: t.loss,
            freeze_bias: t.freeze_bias,
            class_names: Some(t.class_names.clone()),
            feature_names: Some(t.feature_names.clone()),
        })?;
        let line = TraceLine { epoch: step.epoch, step: step.step, explanation: &explanation };
        let io = |source: std::io::Error| gradlens::Error::Io { path: t.path.clone(), source };
        serde_json::to_writer(&mut t.out, &line).map_err(|e| io(std::io::Error::other(e)))?;
        t.out.write_all(b"\n").map_err(io)
    }

    fn epoch(&mut self, stats: &EpochStats, model: &Model) -> gradlens::Result<()> {
        if self.record_params {
            self.params_history.push(model.params().to_flat());
        }
        if let Some(every) = self.every
            && (stats.epoch == 1 || stats.epoch.is_multiple_of(every) || stats.epoch == self.epochs)
        {
            let line = epoch_line(stats);
            let print = || {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(line.as_bytes()).and_then(|_| out.flush());
            };
            match &self.bar {
                Some(bar) => bar.suspend(print),
                None => print(),
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_position(stats.epoch as u64);
            // The bar redraws a few times a second at most: format its loss about 200 times a run.
            if stats.epoch.is_multiple_of((self.epochs / 200).max(1)) {
                bar.set_message(format!("loss {}", fmt_num(stats.loss)));
            }
        }
        Ok(())
    }
}

fn model_json(file: &ModelFile) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(file).expect("a model file serialises");
    s.push('\n');
    s.into_bytes()
}

/// `layer{i}_weights.npy` (out×in, rows = output units, as in the model file) and
/// `layer{i}_bias.npy` (out) for each dense layer i of the model file.
fn npy_files(model: &Model, dir: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    use ndarray_npy::WriteNpyExt;
    let mut files = Vec::new();
    for (i, w, b) in model.dense_layers() {
        let mut bytes = Vec::new();
        w.write_npy(&mut bytes)?;
        files.push((dir.join(format!("layer{i}_weights.npy")), bytes));
        if let Some(b) = b {
            let mut bytes = Vec::new();
            b.row(0).to_owned().write_npy(&mut bytes)?;
            files.push((dir.join(format!("layer{i}_bias.npy")), bytes));
        }
    }
    Ok(files)
}
