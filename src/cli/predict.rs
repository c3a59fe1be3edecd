//! `gradlens predict`: a saved model → each row's class and probabilities, or for a model
//! trained on values (regression) each row's predicted values. Rows are given raw; the model
//! file's scaler (fitted when it was trained) scales them first.

use super::{input, output, parse_numbers};
use anyhow::{Result, anyhow, bail};
use clap::ValueEnum;
use gradlens::data::read_features_from;
use gradlens::run::SCHEMA;
use gradlens::run::predict::{PredictJob, Predictions, Scores};
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
    /// One row's features, comma-separated, unscaled; repeat for more rows. For a model trained
    /// with --features, the columns its features are computed from (the file's `columns`).
    #[arg(long = "x", value_name = "NUMBERS", allow_hyphen_values = true, conflicts_with = "data")]
    x: Vec<String>,
    /// A CSV with a header row ('-': stdin): the model's feature columns (or, for a model trained
    /// with --features, the columns they are computed from) are read by name, others ignored.
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

/// One row's class and the numbers it was chosen from.
#[derive(Serialize)]
struct ClassRow {
    /// Counting from 1: the n-th `--x`, or the n-th data row of the CSV.
    row: usize,
    class: String,
    class_index: usize,
    /// In the order of `classes`, when the model ends in softmax or log-softmax.
    #[serde(skip_serializing_if = "Option::is_none")]
    probabilities: Option<Vec<f64>>,
    /// The model's outputs as they are, when they are not probabilities.
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<Vec<f64>>,
}

#[derive(Serialize)]
struct ValueRow {
    /// Counting from 1, as [`ClassRow::row`].
    row: usize,
    /// In the order of `targets`.
    values: Vec<f64>,
}

#[derive(Serialize)]
struct ValueReport<'a> {
    schema: u32,
    targets: &'a [String],
    predictions: Vec<ValueRow>,
}

#[derive(Serialize)]
struct ClassReport<'a> {
    schema: u32,
    classes: &'a [String],
    predictions: Vec<ClassRow>,
}

pub fn run(args: Args) -> Result<()> {
    let engine = args.engine.engine()?;
    let (model, file) = input::load_model(&args.model)?;
    // A model on feature inputs reads the raw columns it computes them from.
    let width = file.raw_width(&model);
    let takes = if file.columns.is_some() { "columns" } else { "inputs" };
    let rows = if let Some(path) = &args.data {
        let reader = input::open_data("--data", path)?;
        read_features_from(reader, path, file.input_columns(), width).map_err(|e| match e {
            gradlens::Error::Io { path, source } => anyhow!("--data {}: {source}", path.display()),
            e => anyhow!(e),
        })?
    } else if !args.x.is_empty() {
        let rows = args.x.iter().map(|x| parse_numbers("--x", x)).collect::<Result<Vec<_>>>()?;
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != width) {
            bail!("--x '{}': {} numbers but the model takes {width} {takes}", args.x[i], r.len());
        }
        Array2::from_shape_vec((rows.len(), width), rows.concat())?
    } else {
        bail!("give rows to classify: --x NUMBERS (repeatable) or --data FILE.csv");
    };
    let out = match (PredictJob { model, file, rows, engine }).run()? {
        Predictions::Values { names, values } => values_out(&names, &values, args.format)?,
        Predictions::Classes { names, classes, scores } => classes_out(&names, &classes, &scores, args.format)?,
    };
    output::print(out.as_bytes())
}

/// A regression model's predictions: each row's values, named by the model file's targets.
fn values_out(targets: &[String], values: &Array2<f64>, format: FormatArg) -> Result<String> {
    let rows: Vec<ValueRow> =
        values.rows().into_iter().enumerate().map(|(i, r)| ValueRow { row: i + 1, values: r.to_vec() }).collect();
    Ok(match format {
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
            gradlens::pretty_json::to_string(&ValueReport { schema: SCHEMA, targets, predictions: rows })?
        }
        FormatArg::Csv => csv_out(targets, false, rows.iter().map(|r| (r.row, None, r.values.as_slice())))?,
    })
}

/// A classifier's predictions: each row's class and the numbers behind it, probabilities under
/// that name only when the model makes them.
fn classes_out(names: &[String], classes: &[usize], scores: &Scores, format: FormatArg) -> Result<String> {
    let (numbers, probabilities) = match scores {
        Scores::Probabilities(p) => (p, true),
        Scores::Outputs(y) => (y, false),
    };
    // Probabilities are one per class; outputs are the model's own (one for a sigmoid classifier).
    let columns: Vec<String> = if probabilities || numbers.ncols() == names.len() {
        names.to_vec()
    } else {
        (1..=numbers.ncols()).map(|j| j.to_string()).collect()
    };
    let rows: Vec<ClassRow> = classes
        .iter()
        .zip(numbers.rows())
        .enumerate()
        .map(|(i, (&c, r))| ClassRow {
            row: i + 1,
            class: names[c].clone(),
            class_index: c,
            probabilities: probabilities.then(|| r.to_vec()),
            outputs: (!probabilities).then(|| r.to_vec()),
        })
        .collect();
    Ok(match format {
        FormatArg::Text => text(&columns, probabilities, &rows),
        FormatArg::Json => {
            gradlens::pretty_json::to_string(&ClassReport { schema: SCHEMA, classes: names, predictions: rows })?
        }
        FormatArg::Csv => {
            let prefix = if probabilities { "p_" } else { "output_" };
            let columns: Vec<String> = columns.iter().map(|c| format!("{prefix}{c}")).collect();
            let row_numbers = |r: &ClassRow| r.probabilities.clone().or_else(|| r.outputs.clone()).unwrap_or_default();
            let numbers: Vec<Vec<f64>> = rows.iter().map(row_numbers).collect();
            csv_out(
                &columns,
                true,
                rows.iter().zip(&numbers).map(|(r, n)| (r.row, Some(r.class.as_str()), n.as_slice())),
            )?
        }
    })
}

/// Probabilities to 4 places under each class's name; outputs (not probabilities) under
/// `output <name>`, in full.
fn text(columns: &[String], probabilities: bool, rows: &[ClassRow]) -> String {
    let titles: Vec<String> =
        if probabilities { columns.to_vec() } else { columns.iter().map(|c| format!("output {c}")).collect() };
    let widths: Vec<usize> = titles.iter().map(|c| c.chars().count().max(if probabilities { 6 } else { 10 })).collect();
    let class_w = rows.iter().map(|r| r.class.chars().count()).max().unwrap_or(0).max(5);
    let mut s = String::new();
    let _ = write!(s, "{:>4}  {:<class_w$}", "row", "class");
    for (c, w) in titles.iter().zip(&widths) {
        let _ = write!(s, "  {c:>w$}");
    }
    s.push('\n');
    for r in rows {
        let _ = write!(s, "{:>4}  {:<class_w$}", r.row, r.class);
        match (&r.probabilities, &r.outputs) {
            (Some(p), _) => p.iter().zip(&widths).for_each(|(v, w)| {
                let _ = write!(s, "  {v:>w$.4}");
            }),
            (None, Some(y)) => y.iter().zip(&widths).for_each(|(v, w)| {
                let _ = write!(s, "  {:>w$}", gradlens::render::fmt_num(*v));
            }),
            (None, None) => {}
        }
        s.push('\n');
    }
    s
}

/// `row[,class],<columns>…`, numbers at full precision: the shortest round-trip form, with an
/// exponent for tiny values (1.56e-13, not 0.000…0156).
fn csv_out<'a>(
    columns: &[String],
    with_class: bool,
    rows: impl Iterator<Item = (usize, Option<&'a str>, &'a [f64])>,
) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["row".to_string()];
    if with_class {
        header.push("class".to_string());
    }
    header.extend(columns.iter().cloned());
    w.write_record(&header)?;
    for (row, class, numbers) in rows {
        let mut record = vec![row.to_string()];
        record.extend(class.map(str::to_string));
        record.extend(numbers.iter().map(|v| serde_json::to_string(v).expect("a number serialises")));
        w.write_record(&record)?;
    }
    Ok(String::from_utf8(w.into_inner().map_err(|e| anyhow!("{e}"))?)?)
}
