//! `gradlens train`: options → data, model and config → `gradlens::train::train` → a
//! [`TrainReport`], printed by `gradlens::render::training` or as JSON, and the files asked for.
//! Every output path is checked before training starts, and every file is written whole (or not
//! at all) after it ends.

use super::input;
use super::output::{self, Content, Plan, Stream, Target};
use anyhow::{Context, Result, anyhow, bail};
use clap::ValueEnum;
use gradlens::data::{Dataset, Hold, IRIS, ScaleKind, TOY_NAMES, TargetKind};
use gradlens::error::Setting;
use gradlens::layers::Init;
use gradlens::loss::LOSS_NAMES;
use gradlens::model::Model;
use gradlens::plot::{ImageFormat, training_curves, weight_panels, weight_paths};
use gradlens::render::fmt_num;
use gradlens::render::training::{epoch_line, header, loss_unit, summary, write_json};
use gradlens::run::data::{DataOptions, DataSource, Reading};
use gradlens::run::defaults;
use gradlens::run::export::{model_json, npy_files, npy_names};
use gradlens::run::trace::TraceFormat;
use gradlens::run::train::{SavedModel, TrainJob, TrainRun, TrainSettings, engine_for};
use gradlens::train::{Activation, Api, EpochStats, Observer, OutputLayer, Step, TrainAccuracy};
use gradlens::update::OPTIMIZER_NAMES;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(after_help = "With no options: the blog's model, serial(Dense(3), Softmax) with a bias, trained on \
                        Iris (standardised, 20% held out for testing) by full-batch gradient descent.")]
pub struct Args {
    /// `iris` (built in); a generated toy set, `circle`, `xor`, `gaussians`, `spiral` (two classes
    /// in the plane) or `curve` (y = sin πx, regression), drawn from --seed; a CSV file with a
    /// header row (./spiral for a file of that name), or '-' (a CSV on stdin).
    #[arg(long, value_name = "iris|circle|xor|gaussians|spiral|curve|FILE", default_value = IRIS)]
    data: String,
    /// How many points a generated --data set has [default: 400]
    #[arg(long, value_name = "N")]
    points: Option<usize>,
    /// A generated --data set's noise: each coordinate (the curve's y) moves by up to this much,
    /// uniformly, in a plane where the sets lie within radius 1 [default: 0]
    #[arg(long, value_name = "F", allow_hyphen_values = true)]
    noise: Option<f64>,
    /// The CSV's target column (default: the last), a class per row; several, a,b, are numbers
    /// to learn (regression, with the quadratic loss).
    #[arg(long, value_name = "COLUMN[,COLUMN…]")]
    label: Option<String>,
    /// What the targets hold: classes (one --label column, or numpy's integer y) or values
    /// (numbers: one or more columns, or numpy's float y) [default: classes for one column,
    /// values for several]
    #[arg(long, value_enum)]
    targets: Option<TargetsArg>,
    /// With --data X.npy: the targets, a .npy of class labels (1-D integers) or, with --targets
    /// values, of numbers (1-D or 2-D floats); a .npz holds x and y itself.
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// Feature scaling, fitted on the training rows only.
    #[arg(long, value_parser = ScaleKind::NAMES, default_value = defaults::SCALE)]
    scale: String,
    /// The share of the rows held out for testing (of each class, for classes), in [0, 1); 0
    /// trains on every row.
    #[arg(long, value_name = "F", default_value_t = defaults::TEST_FRACTION, allow_hyphen_values = true)]
    test_fraction: f64,
    /// Feature inputs computed from the data's columns, one model input each, comma-separated:
    /// products (*), whole powers (^1 to ^9) and sines (sin(…)) of columns by name, brackets
    /// allowed; a name with spaces or * ^ ( ) , in quotes ("sepal length"). TensorFlow
    /// Playground's seven: x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2). Saved with the model, so
    /// predict computes them from raw columns [default: the columns as they are]
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    features: Option<String>,
    /// Seeds every random choice (split, initial weights, shuffles): the same seed, the same run.
    #[arg(long, value_name = "N", default_value_t = defaults::SEED)]
    seed: u64,

    /// Start from this model file (architecture and weights) instead of a fresh model; the scaler
    /// saved with it (train --save) is kept, and --scale does not apply.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["hidden", "no_bias", "init", "activation", "output_layer"])]
    model: Option<PathBuf>,
    /// Hidden layer widths, e.g. 16,8 (default: none, the blog's model).
    #[arg(long, value_name = "WIDTHS")]
    hidden: Option<String>,
    /// The hidden layers' activation [default: tanh]
    #[arg(long, value_parser = Activation::ALL.map(Activation::name))]
    activation: Option<String>,
    /// The last layer: softmax, or an activation (identity: the dense layer's values as they are)
    /// [default: softmax for classes, identity for values]
    #[arg(long, value_name = "LAYER", value_parser = OutputLayer::names())]
    output_layer: Option<String>,
    /// Dense layers without a bias, as in the blog's hand calculation.
    #[arg(long)]
    no_bias: bool,
    /// Initial weights: glorot (normal, stax's default), uniform (U[−1, 1], the blog's) or zeros.
    #[arg(long, value_parser = Init::NAMES, default_value = defaults::INIT)]
    init: String,
    /// stax: the gradient by the tape; custom: the blog's hand-derived gradient (any model).
    #[arg(long, value_enum, default_value = "stax")]
    api: ApiArg,

    // Its "[default: …]" is written in by `cli::command_line`, from the library's defaults.
    /// As jax.example_libraries.optimizers: momentum with --momentum, adam with b1 0.9, b2 0.999, eps 1e-8
    #[arg(long, value_parser = OPTIMIZER_NAMES)]
    optimizer: Option<String>,
    // As --optimizer, its "[default: …]" is written in by `cli::command_line`.
    /// Step size
    #[arg(long, value_name = "ALPHA", allow_hyphen_values = true)]
    lr: Option<f64>,
    #[command(flatten)]
    tuning: super::options::TuningArgs,
    /// Passes over the training rows.
    #[arg(long, value_name = "N", default_value_t = defaults::EPOCHS)]
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
    /// The loss: cross-entropy (softmax output) or quadratic (½‖y − ŷ‖², any output layer)
    /// [default: a --model file's own, else cross-entropy for classes, quadratic for values]
    #[arg(long, value_parser = LOSS_NAMES)]
    loss: Option<String>,
    /// L2 weight decay: adds λ/2·Σ W² over the weights (not the biases) to the loss, λ·W to each
    /// weight's gradient [default: 0]
    #[arg(long, value_name = "LAMBDA", allow_hyphen_values = true)]
    l2: Option<f64>,
    /// L1 weight decay: adds λ·Σ |W| over the weights (not the biases) to the loss, λ·sign(W) to
    /// each weight's gradient (sign 0 = 0) [default: 0]
    #[arg(long, value_name = "LAMBDA", allow_hyphen_values = true)]
    l1: Option<f64>,
    /// Keep the biases at their initial values (their gradients are still computed).
    #[arg(long)]
    freeze_bias: bool,
    /// Base of cross-entropy's logarithm: e, 2, 10 or any positive number other than 1 [default: e]
    #[arg(long, value_name = "BASE")]
    log_base: Option<String>,
    /// How each epoch's training accuracy is taken: after-epoch, a pass over the training rows
    /// with the weights the epoch leaves; steps, the samples each step classes right before its
    /// update, over the epoch (as the epoch's loss is taken; no pass of its own, so faster)
    #[arg(long, value_name = "WAY", value_parser = TrainAccuracy::NAMES, default_value = TrainAccuracy::NAMES[0])]
    train_accuracy: String,
    /// Print a line every N epochs (default: about ten lines).
    #[arg(long, value_name = "N")]
    every: Option<usize>,

    /// text, or json (the per-epoch figures, the final evaluation and the model).
    #[arg(long, value_enum, default_value = "text")]
    format: FormatArg,
    /// Save the trained model (with its class or target names, feature names and scaler) to this
    /// JSON file.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Save every weight and bias as a .npy file in this folder (made if missing); layer*_weights.npy
    /// and layer*_bias.npy files of an earlier model that the new one does not have are removed.
    #[arg(long, value_name = "DIR")]
    save_npy: Option<PathBuf>,
    /// Plot the loss (and, for classes, the accuracy) per epoch (.svg or .png).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Plot every weight's path over the epochs (.svg or .png).
    #[arg(long, value_name = "FILE")]
    plot_weights: Option<PathBuf>,
    /// Write every step's explanation, one JSON object per line. A warning comes
    /// first when it will pass 100 MB.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Trace every N-th step only (steps counted from 0 across epochs, as the optimizer counts).
    #[arg(long, value_name = "N", requires = "trace")]
    trace_every: Option<usize>,
    /// A compact trace: each line holds the step's loss and each dense layer's weights, gradients
    /// and new weights, without the per-sample intermediates.
    #[arg(long, requires = "trace")]
    trace_compact: bool,

    #[command(flatten)]
    engine: super::engine::EngineArgs,
}

/// The most snapshots `--plot-weights` keeps: a longer run is sampled every few epochs.
const MAX_WEIGHT_SNAPSHOTS: usize = 1000;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TargetsArg {
    Classes,
    Values,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ApiArg {
    Stax,
    Custom,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

pub fn run(args: Args) -> Result<()> {
    // Everything the user gave is checked before any work: a bad option costs nothing. A model
    // file is read first because its run's loss is the default.
    let start = args
        .model
        .as_ref()
        .map(|path| input::load_model(path).map(|(model, file)| SavedModel { path: path.clone(), model, file }))
        .transpose()?;
    let data_options = data_options(&args);
    let settings = settings(&args)?;
    let config = settings.config(start.as_ref().map(|s| &s.file), data_options.kind()?)?;
    args.tuning.warn_unread(config.optimizer.name());
    let engine = args.engine.engine()?;
    let source = data_options.source()?;
    for setting in data_options.unread() {
        let option = if setting == Setting::Points { "--points" } else { "--noise" };
        super::warn(&format!("{option} is ignored: it sizes a generated --data set ({})", TOY_NAMES.join(", ")));
    }
    let mut plan = Plan::default();
    for (setting, path) in source.files() {
        plan.input(if setting == Setting::LabelsFile { "--labels" } else { "--data" }, path);
    }
    if let Some(path) = &args.model {
        plan.input("--model", path);
    }
    let outputs = Outputs::check(&args, &mut plan)?;
    let (ran_on, _) = engine_for(engine, &config, start.as_ref(), args.trace.is_some())?;
    let data = load_data(&args, source, ran_on.hold())?;
    let job = TrainJob { settings, data, start, engine, traced: args.trace.is_some() };
    let run = job.prepare()?;

    // The .npy files are known once the model is: each is checked now, before training.
    let mut npy = match &args.save_npy {
        Some(dir) => Some(NpyFiles::check(dir, &npy_names(&run.model), &mut plan)?),
        None => None,
    };
    let text = args.format == FormatArg::Text;
    if text && !super::quiet() {
        // A reader that has gone (`| head -1`) ends the printing, not the run: the files are saved.
        output::print(header(&run.data, &run.config, &run.model).as_bytes())?;
    }
    // Everything is checked: what was said about the options comes before the long part.
    super::flush_warnings();
    let mut observer = Watch::new(&args, &run, text, &outputs)?;
    let trained = run.train(&mut observer);
    // The bar goes whether training ended well or not; a failed run's trace is dropped unwritten.
    let trace = observer.finish();
    let trained = trained?;
    let report = &trained.report;

    // Render every file in memory first, so a failure leaves the user's files as they were.
    let mut files: Vec<(&Target, Content)> = Vec::new();
    if let Some(target) = &outputs.save {
        files.push((target, Content::Bytes(model_json(&report.model))));
    }
    if let Some(npy) = &npy {
        for ((target, _), bytes) in npy.targets.iter().zip(npy_files(&trained.model)?) {
            files.push((target, Content::Bytes(bytes)));
        }
    }
    if let Some((target, format)) = &outputs.plot {
        let unit = loss_unit(report.config.train.loss);
        files.push((target, Content::Bytes(training_curves(&report.epochs, &unit, *format)?)));
    }
    if let Some((target, format)) = &outputs.plot_weights {
        let mut history = std::mem::take(&mut observer.params_history);
        history.insert(0, trained.initial.params().to_flat());
        let train = &trained.train;
        let mut panels = weight_panels(&trained.model, &history, &train.feature_names, train.target.names());
        for panel in &mut panels {
            panel.every = observer.params_every;
        }
        files.push((target, Content::Bytes(weight_paths(&panels, *format)?)));
    }
    if let (Some(stream), Some(target)) = (trace, &outputs.trace) {
        files.push((target, Content::Stream(stream)));
    }
    output::commit_then(files, || npy.as_ref().map_or(Ok(()), NpyFiles::remove_stale))?;
    if let Some(made) = npy.as_mut().and_then(|n| n.made.take()) {
        made.keep(); // the folder is the user's now
    }

    match args.format {
        FormatArg::Text => output::print(summary(report).as_bytes()),
        FormatArg::Json => output::print_with(|out| write_json(report, out)),
    }
}

/// The options as the library's settings; what this face alone has (warnings about options
/// the chosen mode does not read, `--every`, `--trace-every`) is checked here.
fn settings(args: &Args) -> Result<TrainSettings> {
    if args.activation.is_some() && args.hidden.as_deref().is_none_or(|h| h.trim().is_empty()) {
        super::warn("--activation is ignored: the model has no hidden layers (give --hidden)");
    }
    if args.every.is_some() && args.format == FormatArg::Json {
        super::warn("--every is ignored: --format json has every epoch");
    }
    if args.trace_every == Some(0) {
        bail!("--trace-every 0: trace every 1 step or more");
    }
    if args.every == Some(0) {
        bail!("--every 0: print every 1 epoch or more");
    }
    Ok(TrainSettings {
        data: Some(args.data.clone()),
        hidden: hidden(args.hidden.as_deref())?,
        activation: args.activation.clone(),
        output_layer: args.output_layer.clone(),
        bias: Some(!args.no_bias),
        init: Some(args.init.clone()),
        optimizer: args.optimizer.clone(),
        lr: args.lr,
        momentum: args.tuning.momentum,
        b1: args.tuning.b1,
        b2: args.tuning.b2,
        eps: args.tuning.eps,
        epochs: Some(args.epochs),
        batch_size: args.batch_size,
        shuffle: Some(!args.no_shuffle),
        seed: Some(args.seed),
        test_fraction: Some(args.test_fraction),
        scale: Some(args.scale.clone()),
        loss: args.loss.clone(),
        log_base: args.log_base.as_deref().map(str::parse).transpose()?,
        freeze_bias: args.freeze_bias,
        l2: args.l2,
        l1: args.l1,
        features: args.features.clone(),
        train_accuracy: Some(args.train_accuracy.clone()),
        api: Some(match args.api {
            ApiArg::Stax => Api::Stax,
            ApiArg::Custom => Api::Custom,
        }),
    })
}

/// `--hidden 16,8`: the widths.
fn hidden(text: Option<&str>) -> Result<Vec<usize>> {
    match text {
        None => Ok(Vec::new()),
        Some(text) if text.trim().is_empty() => Ok(Vec::new()),
        Some(text) => text
            .split(',')
            .map(|w| match w.trim().parse::<usize>() {
                Ok(n) => Ok(n),
                Err(_) => bail!("--hidden {text}: '{}' is not a number of units", w.trim()),
            })
            .collect(),
    }
}

/// The data options as the library's.
fn data_options(args: &Args) -> DataOptions {
    DataOptions {
        data: args.data.clone(),
        labels: args.labels.clone(),
        label: args.label.clone(),
        targets: args.targets.map(|t| match t {
            TargetsArg::Classes => TargetKind::Classes,
            TargetsArg::Values => TargetKind::Values,
        }),
        points: args.points,
        noise: args.noise,
    }
}

/// The checked output paths, with the image format each plot's name asks for.
struct Outputs {
    save: Option<Target>,
    plot: Option<(Target, ImageFormat)>,
    plot_weights: Option<(Target, ImageFormat)>,
    trace: Option<Target>,
}

impl Outputs {
    /// Every output is checked against the inputs and each other (by the file it names) and for
    /// a writable folder, before any data is read.
    fn check(args: &Args, plan: &mut Plan) -> Result<Outputs> {
        let save = args.save.as_ref().map(|p| plan.output("--save", p, false)).transpose()?;
        let mut image = |option: &str, path: &Option<PathBuf>| -> Result<Option<(Target, ImageFormat)>> {
            let Some(path) = path else { return Ok(None) };
            let format = ImageFormat::from_path(path)
                .with_context(|| format!("{option} {}: the name must end in .svg or .png", path.display()))?;
            Ok(Some((plan.output(option, path, false)?, format)))
        };
        let plot = image("--plot", &args.plot)?;
        let plot_weights = image("--plot-weights", &args.plot_weights)?;
        // Not '-': stdout carries the report, and the two would interleave.
        let trace = args.trace.as_ref().map(|p| plan.output("--trace", p, false)).transpose()?;
        if let Some(dir) = &args.save_npy
            && dir.exists()
            && !dir.is_dir()
        {
            bail!("--save-npy {}: is a file, not a folder", dir.display());
        }
        Ok(Outputs { save, plot, plot_weights, trace })
    }
}

/// `--save-npy DIR`: one checked target per file, and whether this run made the folder.
///
/// Files `layer<N>_weights.npy` / `layer<N>_bias.npy` left in the folder by an earlier, deeper
/// model are removed once the new files are in place, so the folder always holds one model;
/// other files in it are never touched.
struct NpyFiles {
    dir: PathBuf,
    /// The folder, if this run made it: taken away again by a failed or interrupted run.
    made: Option<output::MadeDir>,
    targets: Vec<(Target, String)>,
}

impl NpyFiles {
    fn check(dir: &Path, names: &[String], plan: &mut Plan) -> Result<NpyFiles> {
        let made = if dir.exists() {
            None
        } else {
            let made = output::MadeDir::create(dir);
            Some(made.with_context(|| format!("--save-npy {}: cannot make the folder", dir.display()))?)
        };
        let mut npy = NpyFiles { dir: dir.to_path_buf(), made, targets: Vec::new() };
        for name in names {
            npy.targets.push((plan.output("--save-npy", &dir.join(name), false)?, name.clone()));
        }
        Ok(npy)
    }

    fn remove_stale(&self) -> Result<()> {
        for entry in std::fs::read_dir(&self.dir).with_context(|| format!("--save-npy {}", self.dir.display()))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if output::is_layer_npy(&name)
                && !self.targets.iter().any(|(_, n)| *n == name)
                && entry.file_type().is_ok_and(|t| t.is_file())
            {
                std::fs::remove_file(entry.path())
                    .with_context(|| format!("--save-npy: removing the earlier model's {name}"))?;
            }
        }
        Ok(())
    }
}

/// The data the options name, read through the library's one data source, with this face's
/// own file reading (`-` is stdin, bounded by `--max-input-size`); a `.npy` file's features held
/// as `hold` says (the engine's choice).
fn load_data(args: &Args, source: DataSource, hold: Hold) -> Result<Dataset> {
    let csv = matches!(source, DataSource::Csv { .. });
    let reading = Reading { open_csv: input::data_reader, numpy: input::numpy_limits(), hold };
    source.load(args.seed, &reading).map_err(|e| match e {
        gradlens::Error::Io { path, source } if csv => anyhow!("--data {}: {source}", path.display()),
        e => anyhow!(e),
    })
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
    /// Keep the parameters after every this many epochs for `--plot-weights`.
    params_every: usize,
    /// Whether the run keeps every epoch's figures: only `--format json` and `--plot` use them.
    keep_history: bool,
    trace: Option<TraceWriter>,
}

/// The trace file, the library's line format, and the size warning's figures.
struct TraceWriter {
    out: Stream,
    format: TraceFormat,
    /// Lines the trace will hold, for the size warning after its first line.
    lines: u64,
    warned: bool,
}

impl Watch {
    fn new(args: &Args, run: &TrainRun, text: bool, outputs: &Outputs) -> Result<Watch> {
        let config = &run.config.train;
        let bar = (std::io::stderr().is_terminal() && !super::quiet()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(config.epochs as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:40.cyan/blue} epoch {pos}/{len} {msg} [{elapsed_precise}]")
                    .expect("a valid template"),
            );
            bar
        });
        let trace = match &outputs.trace {
            None => None,
            Some(target) => {
                let format = TraceFormat {
                    optimizer: config.optimizer,
                    loss: config.loss,
                    freeze_bias: config.freeze_bias,
                    penalty: config.penalty,
                    class_names: run.train.class_names().map(<[String]>::to_vec),
                    feature_names: run.train.feature_names.clone(),
                    every: args.trace_every.unwrap_or(1),
                    compact: args.trace_compact,
                };
                let rows = run.train.len();
                let per_epoch = rows.div_ceil(config.batch_size.unwrap_or(rows).max(1)) as u64;
                let lines = format.lines(per_epoch * config.epochs as u64);
                Some(TraceWriter { out: Stream::open(target)?, format, lines, warned: false })
            }
        };
        let every = (text && !super::quiet()).then(|| args.every.unwrap_or((config.epochs / 10).max(1)));
        let record_params = outputs.plot_weights.is_some();
        let params_every = config.epochs.div_ceil(MAX_WEIGHT_SNAPSHOTS).max(1);
        let keep_history = !text || outputs.plot.is_some();
        Ok(Watch {
            bar,
            every,
            epochs: config.epochs,
            params_history: Vec::new(),
            record_params,
            params_every,
            keep_history,
            trace,
        })
    }

    /// Ends the bar, and hands back the trace to be committed with the other files.
    fn finish(&mut self) -> Option<Stream> {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.trace.take().map(|t| t.out)
    }
}

impl Observer for Watch {
    fn wants_steps(&self) -> bool {
        self.trace.is_some()
    }

    fn step(&mut self, step: &Step) -> gradlens::Result<()> {
        let Some(t) = &mut self.trace else { return Ok(()) };
        let Some(bytes) = t.format.line(step)? else { return Ok(()) };
        let name = t.out.name();
        if !t.warned {
            // The first line's size times the lines to come: warn before the bulk is written.
            t.warned = true;
            let total = (bytes.len() as u64).saturating_mul(t.lines);
            if total > gradlens::limits::TRACE_WARN_BYTES && !super::quiet() {
                eprintln!(
                    "gradlens: warning: {name} will be about {} ({} lines of {}); --trace-every N or \
                     --trace-compact make it smaller",
                    gradlens::limits::bytes(total),
                    gradlens::limits::group(t.lines as usize),
                    gradlens::limits::bytes(bytes.len() as u64)
                );
            }
        }
        t.out.write_all(&bytes).map_err(|source| gradlens::Error::Io { path: name.into(), source })
    }

    fn keeps_history(&self) -> bool {
        self.keep_history
    }

    fn wants_models(&self) -> bool {
        self.record_params
    }

    fn epoch(&mut self, stats: &EpochStats, model: &Model) -> gradlens::Result<()> {
        if self.record_params && stats.epoch.is_multiple_of(self.params_every) {
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
