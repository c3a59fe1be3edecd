//! The library's jobs (`gradlens::run`) as the Python functions call them, on Rust values only
//! (no Python here, so a run can go on with the GIL released). What is left here is what a face
//! does: read the data it names, and write a job's answer as its JSON record.

use gradlens::data::{DEFAULT_POINTS, Dataset, IRIS, TargetColumns, TargetKind, Toy};
use gradlens::error::{Error, Result, Setting};
use gradlens::model::ModelFile;
use gradlens::run::explain::{ExplainOptions, steps};
use gradlens::run::predict::{PredictJob, Predictions, Scores};
use gradlens::run::train::{SavedModel, TrainJob, TrainSettings};
use gradlens::trace::Explanation;
use gradlens::train::report::TrainReport;
use gradlens::train::{Engine, Silent};
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// `n` explained steps in a row, and the model file they started from (the given one, or the
/// blog's model or `weights` as a file).
pub fn explain(options: &ExplainOptions, n: usize) -> Result<(Vec<Explanation>, ModelFile)> {
    let request = options.request(&Dataset::iris(), "Iris")?;
    let start = options.model.clone().unwrap_or_else(|| request.model.to_file());
    Ok((steps(request, n)?, start))
}

/// Where a run's rows come from, as `train --data`, `--labels`, `--label` and `--targets` name them.
pub struct DataSource {
    /// `iris`, or a CSV, `.npz` or `.npy` path.
    pub data: String,
    /// The `.npy` of targets beside a `.npy` of features.
    pub labels: Option<PathBuf>,
    /// The CSV's target column(s).
    pub label: Option<String>,
    /// Classes or values.
    pub targets: Option<TargetKind>,
    /// A generated set's size and noise (`--points`, `--noise`).
    pub points: Option<usize>,
    pub noise: Option<f64>,
}

/// The rows `source` names, checked as `gradlens train` checks them; a generated set is drawn
/// from `seed`, as the CLI draws it.
fn read(source: &DataSource, seed: u64) -> Result<Dataset> {
    let columns = TargetColumns::new(source.label.as_deref(), source.targets)?;
    let lower = source.data.to_ascii_lowercase();
    let numpy = lower.ends_with(".npy") || lower.ends_with(".npz");
    let path = Path::new(&source.data);
    let data = if let Some(toy) = Toy::from_name(&source.data) {
        if source.label.is_some() || source.targets.is_some() {
            return Err(Error::invalid(Setting::Label, format!("{toy} has its own targets (no label or targets)")));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        toy.generate(source.points.unwrap_or(DEFAULT_POINTS), source.noise.unwrap_or(0.0), &mut rng)?
    } else if source.data == IRIS {
        if columns.kind() == TargetKind::Values {
            return Err(Error::invalid(Setting::Label, "Iris's targets are classes; numbers to learn come from a CSV"));
        }
        if let Some(label) = &source.label
            && label != "species"
        {
            return Err(Error::invalid_value(Setting::Label, label, "Iris's class column is 'species'"));
        }
        Dataset::iris()
    } else if numpy {
        if let Some(label) = &source.label {
            return Err(Error::invalid_value(
                Setting::Label,
                label,
                "names a CSV's columns; numpy data keeps its targets in y",
            ));
        }
        Dataset::from_npy(path, source.labels.as_deref(), columns.kind())?
    } else {
        Dataset::from_csv(path, &columns)?
    };
    data.check_trainable(path)?;
    let what = match data.target.kind() {
        TargetKind::Classes => "the one-hot targets",
        TargetKind::Values => "the targets",
    };
    gradlens::limits::matrix(Setting::TrainingData, what, data.len(), data.target.width(), data.features.len())?;
    Ok(data)
}

/// A [`TrainJob`] on the rows `source` names, from `start` if given: the report `train
/// --format json` writes.
pub fn train(
    settings: TrainSettings,
    source: &DataSource,
    start: Option<ModelFile>,
    engine: Engine,
) -> Result<TrainReport> {
    let path = PathBuf::from("model");
    let start = start.map(|file| file.to_model(&path).map(|model| SavedModel { path, model, file })).transpose()?;
    settings
        .config(start.as_ref().map(|s| &s.file), TargetColumns::new(source.label.as_deref(), source.targets)?.kind())?;
    let data = read(source, settings.seed())?;
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
        return Err(Error::invalid(Setting::Inputs, format!("{} numbers a row but the model takes {width} {what}", rows.ncols())));
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
