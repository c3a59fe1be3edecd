//! `gradlens explain`: options → an [`ExplainRequest`] → an explanation → a renderer.

use super::output::{self, Content, Plan};
use super::{input, parse_matrix, parse_numbers, stdout_wants_color};
use anyhow::{Context, Result, bail};
use gradlens::data::Dataset;
use gradlens::loss::LogBase;
use gradlens::model::Model;
use gradlens::render::{Format, render};
use gradlens::trace::{ExplainRequest, Update, explain};
use ndarray::{Array2, Axis};
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(
    after_help = "With no options: the blog's example (x = 0.81,0.57,0.28,0.84, class 0, α = 0.25, no bias, natural log)."
)]
pub struct Args {
    /// One sample's inputs, comma-separated; repeat for a batch.
    #[arg(long = "x", value_name = "NUMBERS", allow_hyphen_values = true)]
    x: Vec<String>,
    /// Each sample's class: an index from 0, or a class name when the names are known (Iris
    /// samples, a trained model). One per sample.
    #[arg(long, value_name = "CLASS", allow_hyphen_values = true)]
    target: Vec<String>,
    /// The weights, one row per class: "w11,w12,…;w21,…;…".
    #[arg(long, value_name = "ROWS", allow_hyphen_values = true, conflicts_with = "model")]
    weights: Option<String>,
    /// A bias for the single dense layer, one number per class.
    #[arg(long, value_name = "NUMBERS", allow_hyphen_values = true, conflicts_with = "model")]
    bias: Option<String>,
    /// A model file (JSON, as `train --save` writes it).
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// An Iris row (0 to 149) with its label, as the sample; repeatable.
    #[arg(long, value_name = "N", conflicts_with = "x")]
    sample: Vec<usize>,
    /// Step size α [default: 0.25, or the step size a saved model was trained with]
    #[arg(long, value_name = "ALPHA", allow_hyphen_values = true)]
    lr: Option<f64>,
    /// Base of the loss's logarithm: e, 2, 10 or any number above 1 [default: e, or
    /// the base a saved model was trained with]
    #[arg(long, value_name = "BASE", allow_hyphen_values = true)]
    log_base: Option<String>,
    /// Take N updates in a row, each from the weights the last one left, and show each (JSON: an
    /// array of steps). The same samples and targets every step.
    #[arg(long, value_name = "N", default_value = "1")]
    steps: usize,
    /// text, markdown or json.
    #[arg(long, default_value = "text")]
    format: Format,
    /// Write to this file instead of stdout ('-': stdout). A symlink is written through, a device
    /// or FIFO written as it is; the file may not be the --model file.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let mut plan = Plan::default();
    if let Some(path) = &args.model {
        plan.input("--model", path);
    }
    let target = args.output.as_ref().map(|path| plan.output("--output", path, true)).transpose()?;
    if !(1..=MAX_STEPS).contains(&args.steps) {
        bail!("--steps {}: take 1 to {MAX_STEPS} steps", args.steps);
    }
    let mut request = request(&args)?;
    let mut explanations = Vec::with_capacity(args.steps);
    for _ in 0..args.steps {
        let explanation = explain(&request)?;
        request.model = request.model.with_params(request.model.params.with_flat(&new_parameters(&explanation)));
        explanations.push(explanation);
    }
    let to_stdout = target.as_ref().is_none_or(|t| t.is_stdout());
    let color = to_stdout && args.format == Format::Text && stdout_wants_color();
    let text = match (explanations.as_slice(), args.format) {
        ([one], format) => render(one, format, color),
        (many, Format::Json) => {
            let parts: Vec<String> =
                many.iter().map(|e| render(e, Format::Json, false).trim_end().to_string()).collect();
            format!("[\n{}\n]\n", parts.join(",\n"))
        }
        (many, format) => {
            let mut all = String::new();
            for (k, e) in many.iter().enumerate() {
                let heading = format!("Step {} of {}", k + 1, many.len());
                all.push_str(&match format {
                    Format::Markdown => format!("# {heading}\n\n"),
                    _ => format!("════ {heading} ════\n\n"),
                });
                all.push_str(&render(e, format, color));
                all.push('\n');
            }
            all
        }
    }
    .into_bytes();
    match &target {
        Some(t) => output::commit(vec![(t, Content::Bytes(text))]),
        None => output::print(&text),
    }
}

/// The most steps `--steps` takes: each is shown whole.
const MAX_STEPS: usize = 1000;

/// The parameters after an explained step, flat as `Params::to_flat` lays them: each dense
/// layer's new weights (row by row), then its new bias.
fn new_parameters(e: &gradlens::trace::Explanation) -> Vec<f64> {
    let mut flat = Vec::new();
    for layer in &e.layers {
        if let gradlens::trace::LayerTrace::Dense(d) = layer {
            flat.extend(d.new_weights.iter().copied());
            if let Some(b) = &d.new_bias {
                flat.extend(b.iter().copied());
            }
        }
    }
    flat
}

/// Validates the options into a request; the blog's example fills in what is not given.
fn request(args: &Args) -> Result<ExplainRequest> {
    let blog = ExplainRequest::blog();
    let log_base: Option<LogBase> = args.log_base.as_deref().map(super::parse_log_base).transpose()?;
    if let Some(lr) = args.lr.filter(|lr| !(lr.is_finite() && *lr > 0.0)) {
        bail!("--lr {lr}: the step size must be a positive finite number");
    }
    let (model, file) = match (&args.model, &args.weights) {
        (Some(path), _) => {
            let (model, file) = input::load_model(path)?;
            (model, Some(file))
        }
        (None, Some(w)) => (single_dense(parse_matrix("--weights", w)?, args.bias.as_deref())?, None),
        (None, None) => match &args.bias {
            Some(b) => (single_dense(blog.model.params.layer(0).weights().expect("dense").clone(), Some(b))?, None),
            None => (blog.model.clone(), None),
        },
    };
    let scaler = file.as_ref().and_then(|f| f.scaler.clone());
    // A saved model's own run sets the step size and base unless the options say otherwise.
    let trained = file.as_ref().and_then(|f| f.training.as_ref());
    let learning_rate = args.lr.or(trained.map(|t| t.optimizer.step_size())).unwrap_or(blog_step(&blog));
    // The model file keeps the run's optimizer but not its state (momentum's velocity, adam's
    // moments): the step shown is plain gradient descent with the run's step size, and says so.
    if let Some(t) = trained
        && !matches!(t.optimizer, gradlens::update::Optimizer::Sgd { .. })
    {
        use gradlens::update::Optimizer;
        let name = match t.optimizer {
            Optimizer::Sgd { .. } => "sgd",
            Optimizer::Momentum { .. } => "momentum",
            Optimizer::Adam { .. } => "adam",
        };
        super::warn(&format!(
            "the model was trained with {name}, whose state the model file does not keep: the step shown is \
             plain gradient descent with step size {learning_rate}"
        ));
    }
    let log_base = log_base.or(trained.map(|t| t.log_base)).unwrap_or(blog.log_base);
    let mut class_names = file.as_ref().and_then(|f| f.classes.clone());
    let mut feature_names = file.as_ref().and_then(|f| f.features.clone());

    // Where the samples come from, for messages: the option the user gave.
    let (raw_inputs, sample_targets, source) = if !args.sample.is_empty() {
        let iris = Dataset::iris();
        if let Some(&bad) = args.sample.iter().find(|&&s| s >= iris.len()) {
            bail!("--sample {bad}: Iris has rows 0 to {}", iris.len() - 1);
        }
        if let Some(f) = feature_names.as_ref().filter(|f| **f != iris.feature_names) {
            bail!("--sample: the model takes {} but Iris rows have {}", f.join(", "), iris.feature_names.join(", "));
        }
        if let Some(c) = class_names.as_ref().filter(|c| **c != iris.class_names) {
            bail!("--sample: the model's classes are {} but Iris's are {}", c.join(", "), iris.class_names.join(", "));
        }
        if model.out_width() != iris.class_names.len() {
            bail!(
                "--sample: Iris has {} classes but the model has {} outputs",
                iris.class_names.len(),
                model.out_width()
            );
        }
        class_names.get_or_insert(iris.class_names.clone());
        feature_names.get_or_insert(iris.feature_names.clone());
        let rows = iris.select(&args.sample);
        (rows.features, Some(rows.labels), "--sample: an Iris row")
    } else if !args.x.is_empty() {
        let rows = args.x.iter().map(|x| parse_numbers("--x", x)).collect::<Result<Vec<_>>>()?;
        let n = rows[0].len();
        if let Some(r) = rows.iter().position(|r| r.len() != n) {
            bail!("--x: sample {} has {} numbers but sample 1 has {n}", r + 1, rows[r].len());
        }
        (Array2::from_shape_vec((rows.len(), n), rows.concat())?, None, "--x: a sample")
    } else {
        (blog.inputs.clone(), Some(blog.targets.clone()), "--x (not given): the post's sample")
    };
    if raw_inputs.ncols() != model.in_width() {
        bail!(
            "{source} has {} numbers but the model takes {} inputs (the weights have {} columns)",
            raw_inputs.ncols(),
            model.in_width(),
            model.in_width()
        );
    }
    let inputs = raw_inputs;

    let m = inputs.len_of(Axis(0));
    let classes = model.out_width();
    let targets = if !args.target.is_empty() {
        if args.target.len() != m {
            bail!("--target: {} given for {m} samples: give one per sample", args.target.len());
        }
        let targets =
            args.target.iter().map(|t| parse_target(t, classes, class_names.as_deref())).collect::<Result<Vec<_>>>()?;
        // An Iris row given another class than its own: allowed (it is a what-if), but said.
        if let Some(labels) = sample_targets.as_ref().filter(|_| !args.sample.is_empty()) {
            for ((row, &label), &target) in args.sample.iter().zip(labels).zip(&targets) {
                if label != target {
                    let name =
                        |c: usize| class_names.as_ref().and_then(|n| n.get(c)).map_or(c.to_string(), Clone::clone);
                    super::warn(&format!(
                        "--target {}: Iris row {row} is labelled {}; the step is taken as if it were {}",
                        name(target),
                        name(label),
                        name(target)
                    ));
                }
            }
        }
        targets
    } else if let Some(t) = sample_targets.filter(|_| args.x.is_empty()) {
        t
    } else if m == 1 {
        let name = class_names.as_ref().and_then(|n| n.first()).map_or("0".to_string(), |n| format!("0 ({n})"));
        super::warn(&format!("--target not given: the sample's class is taken to be {name}; give --target to choose"));
        vec![0]
    } else {
        bail!("--target: give one class per --x ({m} samples)");
    };
    Ok(ExplainRequest {
        model,
        inputs,
        scaler,
        targets,
        update: Update::Sgd { learning_rate },
        log_base,
        class_names,
        feature_names,
    })
}

/// `--weights` and `--bias` as the blog's shape of model, serial(Dense(k), Softmax).
fn single_dense(w_out_in: Array2<f64>, bias: Option<&str>) -> Result<Model> {
    let classes = w_out_in.nrows();
    let b = match bias {
        None => None,
        Some(text) => {
            let b = parse_numbers("--bias", text)?;
            if b.len() != classes {
                bail!("--bias: {} numbers but the weights have {classes} rows (classes)", b.len());
            }
            Some(Array2::from_shape_vec((1, classes), b)?)
        }
    };
    Ok(Model::single_dense(w_out_in, b)?)
}

/// A class index, or a class name when the names are known.
fn parse_target(text: &str, classes: usize, names: Option<&[String]>) -> Result<usize> {
    if let Ok(i) = text.parse::<usize>() {
        if i >= classes {
            bail!("--target {i}: the model has {classes} classes, 0 to {}", classes - 1);
        }
        return Ok(i);
    }
    match names {
        Some(names) => names
            .iter()
            .position(|n| n == text)
            .with_context(|| format!("--target '{text}': no such class; the classes are {}", names.join(", "))),
        None => bail!("--target '{text}': not a class index (0 to {}), and no class names are known", classes - 1),
    }
}

/// The post's step size, α = 0.25.
fn blog_step(blog: &ExplainRequest) -> f64 {
    match blog.update {
        Update::Sgd { learning_rate } => learning_rate,
        Update::Run { .. } => unreachable!("the post's step is plain gradient descent"),
    }
}
