//! The library's jobs (`gradlens::run`) as the Python functions call them, on Rust values only
//! (no Python here, so a run can go on with the GIL released). What is left here is what a face
//! does: read the data it names, and write a job's answer as its JSON record.

use gradlens::data::{Dataset, Targets};
use gradlens::error::{Error, Result, Setting};
use gradlens::model::ModelFile;
use gradlens::run::data::{DataOptions, Reading};
use gradlens::run::explain::{ExplainOptions, steps};
use gradlens::run::predict::{PredictJob, Predictions, Scores};
use gradlens::run::train::{SavedModel, TrainJob, TrainSettings};
use gradlens::trace::Explanation;
use gradlens::train::report::TrainReport;
use gradlens::train::{Engine, Silent};
use ndarray::Array2;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// `n` explained steps in a row, and the model file they started from (the given one, or the
/// blog's model or `weights` as a file).
pub fn explain(options: &ExplainOptions, n: usize) -> Result<(Vec<Explanation>, ModelFile)> {
    let request = options.request(&Dataset::iris(), "Iris")?;
    let start = options.model.clone().unwrap_or_else(|| request.model.to_file());
    Ok((steps(request, n)?, start))
}

/// A [`TrainJob`] on the rows `data` names (or the caller's `arrays`, features and targets),
/// from `start` if given: the report `train --format json` writes.
pub fn train(
    settings: TrainSettings,
    data: &DataOptions,
    arrays: Option<(Array2<f64>, Targets)>,
    start: Option<ModelFile>,
    engine: Engine,
) -> Result<TrainReport> {
    let path = PathBuf::from("model");
    let start = start.map(|file| file.to_model(&path).map(|model| SavedModel { path, model, file })).transpose()?;
    let kind = match &arrays {
        Some((_, target)) => target.kind(),
        None => data.kind()?,
    };
    settings.config(start.as_ref().map(|s| &s.file), kind)?;
    let source = match arrays {
        Some((features, target)) => data.arrays(features, target)?,
        None => data.source()?,
    };
    let data = source.load(settings.seed(), &Reading::default())?;
    let job = TrainJob { settings, data, start, engine, traced: false };
    Ok(job.prepare()?.train(&mut Silent)?.report)
}

/// A [`PredictJob`]: `predict --format json` as a value, and the numbers behind it (probabilities,
/// outputs or values) as a matrix.
pub fn predict(file: ModelFile, rows: Array2<f64>, engine: Engine) -> Result<(Value, Array2<f64>)> {
    let model = file.to_model(Path::new("model"))?;
    // A model trained on feature inputs reads the columns it computes them from.
    let width = file.raw_width(&model);
    if rows.ncols() != width {
        let what = if file.columns.is_some() { "columns" } else { "inputs" };
        return Err(Error::invalid(
            Setting::Inputs,
            format!("{} numbers a row but the model takes {width} {what}", rows.ncols()),
        ));
    }
    let schema = gradlens::run::SCHEMA;
    Ok(match (PredictJob { model, file, rows, engine }).run()? {
        Predictions::Values { names, values } => {
            let rows: Vec<Value> = values
                .rows()
                .into_iter()
                .enumerate()
                .map(|(i, r)| json!({"row": i + 1, "values": r.to_vec()}))
                .collect();
            (json!({"schema": schema, "targets": names, "predictions": rows}), values)
        }
        Predictions::Classes { names, classes, scores } => {
            let (key, numbers) = match scores {
                Scores::Probabilities(p) => ("probabilities", p),
                Scores::Outputs(y) => ("outputs", y),
            };
            let rows: Vec<Value> = classes
                .iter()
                .zip(numbers.rows())
                .enumerate()
                .map(|(i, (&c, r))| json!({"row": i + 1, "class": names[c], "class_index": c, key: r.to_vec()}))
                .collect();
            (json!({"schema": schema, "classes": names, "predictions": rows}), numbers)
        }
    })
}
