//! `gradlens explain`: options → an [`ExplainRequest`] → an explanation → a renderer.

use super::{check_writable, parse_matrix, parse_numbers, stdout_wants_color, write_output};
use anyhow::Result;
use gradlens::data::Dataset;
use gradlens::explain_options::{ExplainOptions, Target};
use gradlens::loss::LOSS_NAMES;
use gradlens::model::ModelFile;
use gradlens::render::{Format, render};
use gradlens::trace::{ExplainRequest, explain};
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
    /// Base of cross-entropy's logarithm: e, 2, 10 or any positive number other than 1 [default:
    /// e, or the base a saved model was trained with]
    #[arg(long, value_name = "BASE", allow_hyphen_values = true)]
    log_base: Option<String>,
    /// Keep the biases as they are (their gradients are still shown), as Mazur's example does.
    #[arg(long)]
    freeze_bias: bool,
    /// text, markdown, json or html.
    #[arg(long, default_value = "text")]
    format: Format,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    if let Some(path) = &args.output {
        check_writable("--output", path)?;
    }
    let request = request(&args)?;
    let explanation = explain(&request)?;
    let color = args.output.is_none() && args.format == Format::Text && stdout_wants_color();
    write_output(args.output.as_deref(), render(&explanation, args.format, color).as_bytes())
}

/// The option strings parsed into [`ExplainOptions`], which the library checks into a request
/// (the web server's `/api/explain` does the same with its JSON body).
fn request(args: &Args) -> Result<ExplainRequest> {
    let model = args.model.as_deref().map(ModelFile::load).transpose()?;
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
    };
    Ok(options.request(&Dataset::iris(), "Iris")?)
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
