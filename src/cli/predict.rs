//! `gradlens predict`: a saved model → each row's class and probabilities, or for a model
//! trained on values (regression) each row's predicted values. Rows are given raw; the model
//! file's scaler (fitted when it was trained) scales them first.

use super::{input, output, parse_numbers};
use anyhow::{Result, anyhow, bail};
use clap::ValueEnum;
use gradlens::data::read_features_from;
use gradlens::predict::{classes, log_probabilities, outputs, probabilities};
use gradlens::train::Engine;
use ndarray::Array2;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(after_help = "Example: gradlens predict --model model.json --x 5.1,3.5,1.4,0.2 --x 6.7,3.0,5.2,2.3")]
pub struct Args {
    /// A model file, as `train --save` writes it.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// One row's features, comma-separated, unscaled; repeat for more rows.
    #[arg(long = "x", value_name = "NUMBERS", allow_hyphen_values = true, conflicts_with = "data")]
    x: Vec<String>,
    /// A CSV with a header row ('-': stdin): the model's feature columns are read by name, others ignored.
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// text, json (each row's class, class index and probabilities; or its values) or csv.
    #[arg(long, value_enum, default_value = "text")]
    format: FormatArg,

    #[command(flatten)]
    engine: super::engine::EngineArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    Csv,
}

#[derive(Serialize)]
struct Prediction {
    /// Counting from 1: the n-th `--x`, or the n-th data row of the CSV.
    row: usize,
    class: String,
    class_index: usize,
    /// In the order of `classes`.
    probabilities: Vec<f64>,
}

#[derive(Serialize)]
struct ValueRow {
    /// Counting from 1, as [`Prediction::row`].
    row: usize,
    /// In the order of `targets`.
    values: Vec<f64>,
}

#[derive(Serialize)]
struct ValueReport<'a> {
    targets: &'a [String],
    predictions: Vec<ValueRow>,
}

#[derive(Serialize)]
struct Report<'a> {
    classes: &'a [String],
    predictions: Vec<Prediction>,
}

pub fn run(args: Args) -> Result<()> {
    let engine = args.engine.engine()?;
    let (model, file) = input::load_model(&args.model)?;
    let width = model.in_width();
    // Loading checked that the names, if any, number the model's outputs and inputs.
    let class_names: Vec<String> = match &file.classes {
        Some(c) => c.clone(),
        None => (0..model.out_width()).map(|i| i.to_string()).collect(),
    };

    let raw = if let Some(path) = &args.data {
        let reader = input::open_data("--data", path)?;
        read_features_from(reader, path, file.features.as_deref(), width).map_err(|e| match e {
            gradlens::Error::Io { path, source } => anyhow!("--data {}: {source}", path.display()),
            e => anyhow!(e),
        })?
    } else if !args.x.is_empty() {
        let rows = args.x.iter().map(|x| parse_numbers("--x", x)).collect::<Result<Vec<_>>>()?;
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != width) {
            bail!("--x '{}': {} numbers but the model takes {width} inputs", args.x[i], r.len());
        }
        Array2::from_shape_vec((rows.len(), width), rows.concat())?
    } else {
        bail!("give rows to classify: --x NUMBERS (repeatable) or --data FILE.csv");
    };
    let x = match &file.scaler {
        Some(s) => s.transform(&raw),
        None => raw,
    };
    if let Some(targets) = &file.targets {
        return predict_values(engine, &model, &x, targets, args.format);
    }
    let log_p = match engine {
        Engine::Compiled(options) => gradlens::engine::compiled::predict::log_probabilities(options, &model, &x)?,
        Engine::Tape => log_probabilities(&model, &x)?,
    };
    let p = probabilities(&log_p);
    let predictions: Vec<Prediction> = classes(&log_p)
        .into_iter()
        .enumerate()
        .map(|(i, c)| Prediction {
            row: i + 1,
            class: class_names[c].clone(),
            class_index: c,
            probabilities: p.row(i).to_vec(),
        })
        .collect();

    let out = match args.format {
        FormatArg::Text => text(&class_names, &predictions),
        FormatArg::Json => {
            let mut s = serde_json::to_string_pretty(&Report { classes: &class_names, predictions })?;
            s.push('\n');
            s
        }
        FormatArg::Csv => csv(&class_names, &predictions)?,
    };
    output::print(out.as_bytes())
}

/// A regression model's predictions: each row's values, named by the model file's targets.
fn predict_values(
    engine: Engine,
    model: &gradlens::model::Model,
    x: &Array2<f64>,
    targets: &[String],
    format: FormatArg,
) -> Result<()> {
    let y_hat = match engine {
        Engine::Compiled(options) => gradlens::engine::compiled::predict::outputs(options, model, x)?,
        Engine::Tape => outputs(model, x)?,
    };
    let rows: Vec<ValueRow> =
        y_hat.rows().into_iter().enumerate().map(|(i, r)| ValueRow { row: i + 1, values: r.to_vec() }).collect();
    let out = match format {
        FormatArg::Text => {
            let widths: Vec<usize> = targets.iter().map(|c| c.chars().count().max(10)).collect();
            let mut s = format!("{:>4}", "row");
            for (t, w) in targets.iter().zip(&widths) {
                let _ = write!(s, "  {t:>w$}");
            }
            s.push('\n');
            for r in &rows {
                let _ = write!(s, "{:>4}", r.row);
                for (v, w) in r.values.iter().zip(&widths) {
                    let _ = write!(s, "  {:>w$}", gradlens::render::fmt_num(*v));
                }
                s.push('\n');
            }
            s
        }
        FormatArg::Json => {
            let mut s = serde_json::to_string_pretty(&ValueReport { targets, predictions: rows })?;
            s.push('\n');
            s
        }
        FormatArg::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(std::iter::once("row").chain(targets.iter().map(String::as_str)))?;
            for r in &rows {
                let mut record = vec![r.row.to_string()];
                record.extend(r.values.iter().map(|v| serde_json::to_string(v).expect("a number serialises")));
                w.write_record(&record)?;
            }
            String::from_utf8(w.into_inner().map_err(|e| anyhow!("{e}"))?)?
        }
    };
    output::print(out.as_bytes())
}

fn text(classes: &[String], predictions: &[Prediction]) -> String {
    let widths: Vec<usize> = classes.iter().map(|c| c.chars().count().max(6)).collect();
    let class_w = classes.iter().map(|c| c.chars().count()).max().unwrap_or(0).max(5);
    let mut s = String::new();
    let _ = write!(s, "{:>4}  {:<class_w$}", "row", "class");
    for (c, w) in classes.iter().zip(&widths) {
        let _ = write!(s, "  {c:>w$}");
    }
    s.push('\n');
    for p in predictions {
        let _ = write!(s, "{:>4}  {:<class_w$}", p.row, p.class);
        for (v, w) in p.probabilities.iter().zip(&widths) {
            let _ = write!(s, "  {v:>w$.4}");
        }
        s.push('\n');
    }
    s
}

/// `row,class,p_<class>…`, probabilities at full precision.
fn csv(classes: &[String], predictions: &[Prediction]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["row".to_string(), "class".to_string()];
    header.extend(classes.iter().map(|c| format!("p_{c}")));
    w.write_record(&header)?;
    for p in predictions {
        let mut record = vec![p.row.to_string(), p.class.clone()];
        // Shortest round-trip form with an exponent for tiny values (1.56e-13, not 0.000…0156).
        record.extend(p.probabilities.iter().map(|v| serde_json::to_string(v).expect("a number serialises")));
        w.write_record(&record)?;
    }
    Ok(String::from_utf8(w.into_inner().map_err(|e| anyhow!("{e}"))?)?)
}
