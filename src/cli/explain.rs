//! `gradlens explain`: options → an [`ExplainRequest`] → an explanation → a renderer.

use super::output::{self, Content, Plan};
use super::{input, parse_matrix, parse_numbers, stdout_wants_color};
use anyhow::Result;
use gradlens::data::Dataset;
use gradlens::loss::LOSS_NAMES;
use gradlens::model::ModelFile;
use gradlens::render::{Format, render_steps};
use gradlens::run::explain::{ExplainOptions, Target, steps};
use gradlens::trace::ExplainRequest;
use ndarray::Array2;
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
    /// The loss: cross-entropy (softmax output) or quadratic (½‖y − ŷ‖², any output layer)
    /// [default: cross-entropy, or the loss a saved model was trained with]
    #[arg(long, value_parser = LOSS_NAMES)]
    loss: Option<String>,
    /// Base of cross-entropy's logarithm: e, 2, 10 or any number above 1 [default: e, or the
    /// base a saved model was trained with]
    #[arg(long, value_name = "BASE", allow_hyphen_values = true)]
    log_base: Option<String>,
    // Its "[default: …]" is written in by `cli::command_line`, from the library's defaults.
    /// The step's optimizer, as jax.example_libraries.optimizers
    #[arg(long, value_parser = gradlens::update::OPTIMIZER_NAMES)]
    optimizer: Option<String>,
    #[command(flatten)]
    tuning: super::options::TuningArgs,
    /// Keep the biases as they are (their gradients are still shown), as Mazur's example does.
    #[arg(long)]
    freeze_bias: bool,
    /// L2 weight decay: adds λ/2·Σ W² over the weights (not the biases) to the loss, λ·W to each
    /// weight's gradient, shown as its own stage [default: 0]
    #[arg(long, value_name = "LAMBDA", allow_hyphen_values = true)]
    l2: Option<f64>,
    /// L1 weight decay: adds λ·Σ |W| over the weights (not the biases) to the loss, λ·sign(W) to
    /// each weight's gradient (sign 0 = 0) [default: 0]
    #[arg(long, value_name = "LAMBDA", allow_hyphen_values = true)]
    l1: Option<f64>,
    /// Feature inputs computed from each sample's columns (train --help gives the grammar):
    /// x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2). The --x numbers are then the columns, named x1, x2…
    /// (--sample: Iris's names); a --model trained with --features computes its own.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    features: Option<String>,
    /// Take N updates in a row, each from the weights the last one left, and show each (JSON: an
    /// array of steps). The same samples and targets every step.
    #[arg(long, value_name = "N", default_value = "1")]
    steps: usize,
    /// One of the explanation's formats (text, markdown, …), or dot: the step's tape as a
    /// Graphviz graph, every op with its value and gradient (`| dot -Tsvg > tape.svg`).
    #[arg(long, default_value = "text")]
    format: OutputFormat,
    /// Write to this file instead of stdout ('-': stdout). A symlink is written through, a device
    /// or FIFO written as it is; the file may not be the --model file.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `--format`: one of the explanation's formats, or the tape as a graph.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OutputFormat {
    Explanation(Format),
    Dot,
}

impl std::str::FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "dot" => Ok(OutputFormat::Dot),
            other => other
                .parse()
                .map(OutputFormat::Explanation)
                .map_err(|_| format!("'{other}' is not one of {}, dot", Format::NAMES.join(", "))),
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    let mut plan = Plan::default();
    if let Some(path) = &args.model {
        plan.input("--model", path);
    }
    let target = args.output.as_ref().map(|path| plan.output("--output", path, true)).transpose()?;
    let to_stdout = target.as_ref().is_none_or(|t| t.is_stdout());
    let text = match args.format {
        OutputFormat::Dot if args.steps != 1 => anyhow::bail!("--format dot draws one step's tape: leave out --steps"),
        OutputFormat::Dot => gradlens::render::dot::tape_dot(&request(&args)?)?.into_bytes(),
        OutputFormat::Explanation(format) => {
            let explanations = steps(request(&args)?, args.steps)?;
            let color = to_stdout && format == Format::Text && stdout_wants_color();
            render_steps(&explanations, format, color).into_bytes()
        }
    };
    match &target {
        Some(t) => output::commit(vec![(t, Content::Bytes(text))]),
        None => output::print(&text),
    }
}

/// The option strings parsed into [`ExplainOptions`], which the library checks into a request
/// (the web server's `/api/explain` does the same with its JSON body).
fn request(args: &Args) -> Result<ExplainRequest> {
    let model = args.model.as_deref().map(input::read_model_file).transpose()?;
    let options = ExplainOptions {
        x: args.x.iter().map(|x| parse_numbers("--x", x)).collect::<Result<_>>()?,
        target: args.target.iter().map(|t| target(t)).collect::<Result<_>>()?,
        weights: args.weights.as_deref().map(|w| parse_matrix("--weights", w)).transpose()?.map(|w| rows(&w)),
        bias: args.bias.as_deref().map(|b| parse_numbers("--bias", b)).transpose()?,
        model,
        model_path: args.model.clone(),
        sample: args.sample.clone(),
        lr: args.lr,
        loss: args.loss.clone(),
        log_base: args.log_base.as_deref().map(str::parse).transpose()?,
        freeze_bias: args.freeze_bias,
        l2: args.l2,
        l1: args.l1,
        optimizer: args.optimizer.clone(),
        momentum: args.tuning.momentum,
        b1: args.tuning.b1,
        b2: args.tuning.b2,
        eps: args.tuning.eps,
        features: args.features.clone(),
    };
    let iris = Dataset::iris();
    let request = options.request(&iris, "Iris")?;
    warn_unread(args, options.model.as_ref(), &request, &iris);
    Ok(request)
}

/// What the request takes that the user may not expect is said, not silently done: optimizer
/// settings the step does not read, a model's optimizer state the file does not keep, an Iris row given another class than its own, and a
/// lone sample's class taken to be 0.
fn warn_unread(args: &Args, file: Option<&ModelFile>, request: &ExplainRequest, iris: &Dataset) {
    use gradlens::trace::Update;
    if let Update::Run { optimizer, memory } = &request.update {
        args.tuning.warn_unread(optimizer.name());
        // A file saved before the state was kept: the run's optimizer, but from a state of 0.
        let saved = file.and_then(|f| f.training.as_ref()).filter(|t| t.optimizer.name() == optimizer.name());
        if saved.is_some_and(|t| t.state.is_none()) && memory.t == 0 {
            super::warn(&format!(
                "the model file keeps no {} state (saved before the state was kept): the step starts from a state \
                 of 0, t = 0",
                optimizer.name()
            ));
        }
    } else {
        args.tuning.warn_unread("sgd");
    }
    let names = request.class_names.as_deref();
    let name = |c: usize| names.and_then(|n| n.get(c)).map_or(c.to_string(), Clone::clone);
    // An Iris row given another class than its own: allowed (it is a what-if), but said.
    if let (false, false, Some(targets), Some(labels)) =
        (args.sample.is_empty(), args.target.is_empty(), request.targets.labels(), iris.labels())
    {
        for (&row, &target) in args.sample.iter().zip(targets) {
            let label = labels[row];
            if label != target {
                super::warn(&format!(
                    "--target {}: Iris row {row} is labelled {}; the step is taken as if it were {}",
                    name(target),
                    name(label),
                    name(target)
                ));
            }
        }
    }
    if args.target.is_empty() && !args.x.is_empty() && request.inputs.nrows() == 1 {
        let shown = names.and_then(|n| n.first()).map_or("0".to_string(), |n| format!("0 ({n})"));
        super::warn(&format!("--target not given: the sample's class is taken to be {shown}; give --target to choose"));
    }
}

/// `--target` text: numbers when it lists several ("0.01,0.99"), a class index when it is one;
/// anything else is left as text ([`Target::Name`]), read as a number only where the loss and
/// the model take one (a one-output model under the quadratic loss).
fn target(text: &str) -> Result<Target> {
    if text.contains(',') {
        return Ok(Target::Numbers(parse_numbers("--target", text)?));
    }
    Ok(text.parse().map_or_else(|_| Target::Name(text.to_string()), Target::Index))
}

fn rows(m: &Array2<f64>) -> Vec<Vec<f64>> {
    m.rows().into_iter().map(|r| r.to_vec()).collect()
}
