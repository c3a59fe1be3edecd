//! What `explain` is asked — the command line's options and the web API's body hold the same
//! things — and the one function that turns them into a request, filling in the blog's example
//! for what is not given ([`ExplainOptions::request`]). The CLI parses its option strings into
//! this; the server deserialises its JSON body into it; both then get the same
//! [`ExplainRequest`] and so the same explanation.
//!
//! The rules themselves live where the things they are about live (the step size in the
//! optimizer, the loss and its output layer in [`Loss`], a model's shapes in [`Model`], the
//! samples and targets in [`explain`]); this module only reads the options
//! and says which [`Setting`] a problem is about, so the CLI can name its option (`--sample 200:
//! Iris has rows 0 to 149`) and the API its field (`sample 200: …`). [`steps`] takes N updates
//! in a row (`explain --steps N`).
//!
//! # Example
//! ```
//! use gradlens::data::Dataset;
//! use gradlens::run::explain::{ExplainOptions, steps};
//!
//! // Nothing given: the blog's example, two steps in a row.
//! let request = ExplainOptions::default().request(&Dataset::iris(), "Iris")?;
//! let two = steps(request, 2)?;
//! // L = −ln 0.4794433 = 0.7351296 nats, then 0.5643395 from the weights the first step left
//! // (the post; JAX golden blog_ln).
//! assert!((two[0].loss - 0.7351296406658168).abs() < 1e-12);
//! assert!((two[1].loss - 0.5643395).abs() < 1e-7);
//! assert_eq!(two[1].loss, two[0].new_loss);
//! # Ok::<(), gradlens::Error>(())
//! ```

use crate::data::{Dataset, Features, Targets};
use crate::error::{Error, Result, Setting};
use crate::loss::{LogBase, Loss, Penalty};
use crate::model::{Model, ModelFile, ModelLayer, TrainingRecord};
use crate::trace::{ExplainRequest, Explanation, FeatureInputs, LayerTrace, Update, explain};
use crate::update::{Optimizer, Tuning};
use ndarray::Array2;
use serde::Deserialize;
use std::path::PathBuf;

/// The options, as given: every field may be missing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainOptions {
    /// Samples, one row of inputs each (`--x`, repeated).
    #[serde(default)]
    pub x: Vec<Vec<f64>>,
    /// One target per sample: a class (index from 0, or name when the names are known), or with
    /// the quadratic loss the numbers the outputs should give.
    #[serde(default)]
    pub target: Vec<Target>,
    /// A single dense layer's weights, one row per class (`--weights`).
    pub weights: Option<Vec<Vec<f64>>>,
    /// Its bias, one number per class (`--bias`).
    pub bias: Option<Vec<f64>>,
    /// A model file's content (`--model`).
    pub model: Option<ModelFile>,
    /// Where the model file came from, for messages (the CLI's path).
    #[serde(skip)]
    pub model_path: Option<PathBuf>,
    /// Rows of the sample table (Iris for the CLI) with their labels (`--sample`).
    #[serde(default)]
    pub sample: Vec<usize>,
    /// Step size α.
    pub lr: Option<f64>,
    /// The loss by name: `cross-entropy` or `quadratic` (`--loss`).
    pub loss: Option<String>,
    /// Base of cross-entropy's logarithm: "e" or a number.
    pub log_base: Option<LogBase>,
    /// Keep the biases as they are (`--freeze-bias`).
    #[serde(default)]
    pub freeze_bias: bool,
    /// λ₂ of the L2 weight penalty (`--l2`) [default: 0].
    pub l2: Option<f64>,
    /// λ₁ of the L1 weight penalty (`--l1`) [default: 0].
    pub l1: Option<f64>,
    /// The optimizer by name, one of [`OPTIMIZER_NAMES`](crate::update::OPTIMIZER_NAMES)
    /// (`--optimizer`) [default: a saved model's own, else sgd].
    pub optimizer: Option<String>,
    /// Momentum's mass (`--momentum`) [default: a saved momentum run's, else 0.9].
    pub momentum: Option<f64>,
    /// Adam's b1 (`--b1`) [default: a saved adam run's, else 0.9].
    pub b1: Option<f64>,
    /// Adam's b2 (`--b2`) [default: a saved adam run's, else 0.999].
    pub b2: Option<f64>,
    /// Adam's eps (`--eps`) [default: a saved adam run's, else 1e-8].
    pub eps: Option<f64>,
    /// Feature inputs computed from the samples' columns (`--features`, [`Features`]'s
    /// grammar): the samples are then the columns (named by the table, or x1, x2… for `x`)
    /// [default: the columns as they are, or a model file's own features].
    pub features: Option<String>,
}

/// One sample's target as given.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Target {
    /// A class index (or, for a one-output model under the quadratic loss, that number).
    Index(usize),
    /// One number: the target of a one-output model.
    Number(f64),
    /// A number per output (`0.01,0.99`).
    Numbers(Vec<f64>),
    /// A class name (or, where a number is wanted, a number as text: "0.5").
    Name(String),
}

impl Target {
    /// The numbers this target stands for, when it can be read as numbers.
    fn numbers(&self) -> Option<Vec<f64>> {
        match self {
            Target::Index(i) => Some(vec![*i as f64]),
            Target::Number(v) => Some(vec![*v]),
            Target::Numbers(v) => Some(v.clone()),
            Target::Name(text) => text.trim().parse().ok().map(|v| vec![v]),
        }
    }

    /// Whether it can only be numbers (not a class).
    fn is_numbers(&self) -> bool {
        match self {
            Target::Number(_) | Target::Numbers(_) => true,
            Target::Index(_) | Target::Name(_) => false,
        }
    }
}

impl ExplainOptions {
    /// The options as a request; the blog's example fills in what is not given. `--sample` rows
    /// are taken from `table` (Iris for the CLI, an uploaded table for the page), called
    /// `table_name` in messages.
    pub fn request(&self, table: &Dataset, table_name: &str) -> Result<ExplainRequest> {
        let blog = ExplainRequest::blog();
        if self.model.is_some() && (self.weights.is_some() || self.bias.is_some()) {
            return Err(Error::invalid(Setting::Model, "give either a model or weights/bias, not both"));
        }
        if !self.sample.is_empty() && !self.x.is_empty() {
            return Err(Error::invalid(Setting::Sample, "give either table rows or x samples, not both"));
        }
        let model_path = self.model_path.clone().unwrap_or_else(|| PathBuf::from("model"));
        let (model, file) = match (&self.model, &self.weights) {
            (Some(file), _) => (file.to_model(&model_path)?, Some(file)),
            (None, Some(w)) => (single_dense(matrix(Setting::Weights, w, "row")?, self.bias.as_deref())?, None),
            (None, None) => match &self.bias {
                Some(b) => {
                    let w = blog.model.params().layer(0).weights().expect("the post's layer is dense").clone();
                    (single_dense(w, Some(b))?, None)
                }
                None => (blog.model.clone(), None),
            },
        };
        let scaler = file.and_then(|f| f.scaler.clone());
        // A saved model's own run sets the step size and the loss unless the options say otherwise.
        let trained = file.and_then(|f| f.training.as_ref());
        let update = self.update(blog_step(&blog), trained, &model, &model_path)?;
        // A model file naming value targets predicts numbers, and so does one that names no classes
        // and ends in no softmax (a plain regression net: cross-entropy could not read it): without
        // a saved run its loss is the quadratic one, as `train` chooses for values.
        let predicts_values = file.is_some_and(|f| match &f.head {
            Some(head) => head.kind() == crate::data::TargetKind::Values,
            None => !model.last().is_softmax(),
        });
        let kind = if predicts_values { crate::data::TargetKind::Values } else { crate::data::TargetKind::Classes };
        let saved = trained.map(|t| t.loss).unwrap_or(Loss::default_for(kind));
        let loss = Loss::chosen(self.loss.as_deref(), self.log_base, Some(saved))?;
        if let Err(f) = loss.check_output(&model) {
            return Err(match &self.model {
                Some(_) => Error::ModelFile { path: model_path, at: f.at, why: f.why },
                None => f.into_error(),
            });
        }
        let mut class_names = file.and_then(|f| f.classes().map(<[String]>::to_vec));
        let mut feature_names = file.and_then(|f| f.features.clone());
        let columns = self.columns(table, file, &blog);
        let features = self.features(&columns, file, &model_path)?;
        // The fit check reads the table as the model does: its raw columns for a model file's
        // own features, the features asked for otherwise.
        let fit_table = match (&features, file.is_some_and(|f| f.columns.is_some())) {
            (Some(f), false) if !self.sample.is_empty() => std::borrow::Cow::Owned(f.apply_to(table.clone())?),
            _ => std::borrow::Cow::Borrowed(table),
        };

        // Where the samples come from, for messages: the setting the user gave.
        let (inputs, sample_targets, source) = if !self.sample.is_empty() {
            if let Some(&bad) = self.sample.iter().find(|&&s| s >= table.len()) {
                let why = format!("{table_name} has rows 0 to {}", table.len().saturating_sub(1));
                return Err(Error::invalid_value(Setting::Sample, bad, why));
            }
            // The one fit check: widths, and the names a saved model keeps, against the table's.
            if let Some(why) = crate::model::misfit(&model, file, &fit_table, table_name) {
                return Err(Error::invalid(Setting::Sample, why));
            }
            let table_classes = table.class_names().map(<[String]>::to_vec);
            if let Some(names) = table_classes {
                class_names.get_or_insert(names);
            }
            feature_names.get_or_insert(table.feature_names.clone());
            let rows = table.select(&self.sample);
            (rows.features.into_f64(), Some(rows.target), (Setting::Sample, "a table row"))
        } else if !self.x.is_empty() {
            (matrix(Setting::Inputs, &self.x, "sample")?, None, (Setting::Inputs, "a sample"))
        } else {
            let labels = blog.targets.labels().expect("the post's target is a class").to_vec();
            (
                blog.inputs.clone(),
                Some(classes(labels, class_names.as_deref(), model.out_width())),
                (Setting::Inputs, "the post's sample (no x given)"),
            )
        };
        // Feature inputs: the samples are the columns; the model sees the features of them.
        let (inputs, features) = match features {
            Some(f) => {
                if inputs.ncols() != f.columns().len() {
                    let why = format!(
                        "{} has {} numbers but the features are computed from {} columns ({})",
                        source.1,
                        inputs.ncols(),
                        f.columns().len(),
                        f.columns().join(", ")
                    );
                    return Err(Error::invalid(source.0, why));
                }
                feature_names = Some(f.names());
                (f.apply(&inputs)?, Some(FeatureInputs { features: f, measured: Some(inputs) }))
            }
            None => (inputs, None),
        };
        // Checked here as well as in `explain`, to name where the samples came from.
        if inputs.ncols() != model.in_width() {
            let why = format!(
                "{} has {} numbers but the model takes {} inputs (the weights have {} columns)",
                source.1,
                inputs.ncols(),
                model.in_width(),
                model.in_width()
            );
            return Err(Error::invalid(source.0, why));
        }

        let m = inputs.nrows();
        let outputs = model.out_width();
        let targets = if !self.target.is_empty() {
            // Numbers when any target is numbers, or when one output under the quadratic loss
            // makes "1" a number rather than a class.
            let numbers = self.target.iter().any(Target::is_numbers) || (!loss.reads_logits() && outputs == 1);
            if numbers {
                let rows = self.target.iter().map(Target::numbers).collect::<Option<Vec<_>>>().ok_or_else(|| {
                    Error::invalid(
                        Setting::Targets,
                        "give every sample a class, or every sample its numbers, not a mix",
                    )
                })?;
                let values = matrix(Setting::Targets, &rows, "sample")?;
                match file.and_then(ModelFile::targets).filter(|names| names.len() == values.ncols()) {
                    Some(names) => Targets::Values { values, names: names.to_vec() },
                    None => Targets::unnamed_values(values),
                }
            } else {
                let labels = self.target.iter().map(|t| class_index(t, outputs, class_names.as_deref()));
                classes(labels.collect::<Result<Vec<_>>>()?, class_names.as_deref(), outputs)
            }
        } else if let Some(t) = sample_targets.filter(|_| self.x.is_empty()) {
            t
        } else if predicts_values {
            // A regression model's outputs are numbers: there is no class 0 to fall back on.
            let what = match file.and_then(ModelFile::targets) {
                Some(names) => names.join(", "),
                None => format!("it ends in {}, not a softmax, and names no classes", model.last().kind()),
            };
            return Err(Error::invalid(
                Setting::Targets,
                format!("the model predicts values ({what}): give each sample its numbers"),
            ));
        } else if m == 1 {
            classes(vec![0], class_names.as_deref(), outputs)
        } else {
            return Err(Error::invalid(Setting::Targets, format!("give one class per sample ({m} samples)")));
        };
        Ok(ExplainRequest {
            model,
            inputs,
            scaler,
            targets,
            update,
            loss,
            freeze_bias: self.freeze_bias,
            penalty: Penalty::new(self.l2.unwrap_or(0.0), self.l1.unwrap_or(0.0))?,
            class_names,
            feature_names,
            features,
        })
    }

    /// The names of the samples' columns: the model file's raw columns, the table's for
    /// `sample`, else x1, x2… for the numbers of `x` (or of the post's sample).
    fn columns(&self, table: &Dataset, file: Option<&ModelFile>, blog: &ExplainRequest) -> Vec<String> {
        if let Some(columns) = file.and_then(|f| f.columns.clone()) {
            return columns;
        }
        if !self.sample.is_empty() {
            return table.feature_names.clone();
        }
        let n = self.x.first().map_or(blog.inputs.ncols(), Vec::len);
        (1..=n).map(|j| format!("x{j}")).collect()
    }

    /// The feature inputs: a model file's own, or those asked for over `columns`; asking for
    /// other features than a model file was trained on is refused.
    fn features(
        &self,
        columns: &[String],
        file: Option<&ModelFile>,
        path: &std::path::Path,
    ) -> Result<Option<Features>> {
        let asked = self.features.as_deref().map(|text| Features::parse(text, columns)).transpose()?;
        match file {
            Some(f) => f.keep_features(path, asked),
            None => Ok(asked),
        }
    }
}

impl ExplainOptions {
    /// The settings beside the step size that were given.
    pub fn tuning(&self) -> Tuning {
        Tuning { mass: self.momentum, b1: self.b1, b2: self.b2, eps: self.eps }
    }

    /// The step to take: the optimizer asked for, else the saved run's, else sgd, its settings
    /// as [`Optimizer::continuing`] chooses them; the saved state (momentum's velocity, adam's
    /// m, v, t) is taken when the optimizer is the run's, so the step shown is the run's next
    /// one; another optimizer starts from 0. Frozen biases keep a zero state.
    fn update(
        &self,
        default_step: f64,
        trained: Option<&TrainingRecord>,
        model: &Model,
        path: &std::path::Path,
    ) -> Result<Update> {
        let saved = trained.map(|t| t.optimizer);
        let optimizer = Optimizer::continuing(
            saved.as_ref(),
            self.optimizer.as_deref(),
            self.lr,
            self.tuning(),
            ("sgd", default_step),
        )?;
        // Plain gradient descent is the blog's step; any other optimizer steps from its state.
        if let Optimizer::Sgd { step_size } = optimizer {
            return Ok(Update::Sgd { learning_rate: step_size });
        }
        let resumed = trained.map(|t| t.resumed(&optimizer, model, path.as_ref())).transpose()?;
        let params = model.params();
        let memory = resumed.flatten().unwrap_or_else(|| optimizer.init(&params).memory().clone());
        let memory = if self.freeze_bias { memory.without_biases(&params) } else { memory };
        Ok(Update::Run { optimizer, memory })
    }
}

/// Class targets, named as the model's classes when their names are known, else by number.
fn classes(labels: Vec<usize>, names: Option<&[String]>, k: usize) -> Targets {
    match names {
        Some(names) => Targets::Classes { labels, names: names.to_vec() },
        None => Targets::numbered(labels, k),
    }
}

/// Rows of equal length as a matrix; `row` is what a row is called in messages.
fn matrix(setting: Setting, rows: &[Vec<f64>], row: &str) -> Result<Array2<f64>> {
    let cols = rows.first().map_or(0, Vec::len);
    if cols == 0 {
        return Err(Error::invalid(setting, "no numbers given"));
    }
    if let Some(r) = rows.iter().position(|r| r.len() != cols) {
        let why = format!("{row} {} has {} numbers but {row} 1 has {cols}", r + 1, rows[r].len());
        return Err(Error::invalid(setting, why));
    }
    Ok(Array2::from_shape_vec((rows.len(), cols), rows.concat()).expect("rows of equal length"))
}

/// `--weights` and `--bias` as the blog's shape of model, serial(Dense(k), Softmax), checked by
/// the model's own rules; a fault is the weights' or the bias's.
fn single_dense(w_out_in: Array2<f64>, bias: Option<&[f64]>) -> Result<Model> {
    for (setting, numbers) in [(Setting::Weights, w_out_in.as_slice()), (Setting::Bias, bias)] {
        if let Some(v) = numbers.into_iter().flatten().find(|v| !v.is_finite()) {
            return Err(Error::invalid(setting, format!("{v} is not a finite number")));
        }
    }
    let b = bias.map(|b| Array2::from_shape_vec((1, b.len()), b.to_vec()).expect("one row"));
    Model::checked(vec![ModelLayer::Dense { w_out_in, b }, ModelLayer::Softmax]).map_err(|f| {
        let setting = if f.at.ends_with("bias") { Setting::Bias } else { Setting::Weights };
        Error::invalid(setting, f.why)
    })
}

/// A class index, or a class name when the names are known. The index's range is checked by
/// `explain` with the other target rules.
fn class_index(target: &Target, classes: usize, names: Option<&[String]>) -> Result<usize> {
    match (target, names) {
        (Target::Index(i), _) => Ok(*i),
        (Target::Name(text), Some(names)) => names.iter().position(|n| n == text).ok_or_else(|| {
            let why = format!("no such class; the classes are {}", names.join(", "));
            Error::invalid_value(Setting::Targets, format!("'{text}'"), why)
        }),
        (Target::Name(text), None) => Err(Error::invalid_value(
            Setting::Targets,
            format!("'{text}'"),
            format!("not a class index (0 to {}), and no class names are known", classes - 1),
        )),
        (Target::Number(_) | Target::Numbers(_), _) => unreachable!("numbers are read as numbers"),
    }
}

/// The post's step size, α = 0.25.
fn blog_step(blog: &ExplainRequest) -> f64 {
    match blog.update {
        Update::Sgd { learning_rate } => learning_rate,
        Update::Run { .. } => unreachable!("the post's step is plain gradient descent"),
    }
}

/// The most steps [`steps`] takes in a row: each is shown whole.
pub const MAX_STEPS: usize = 1000;

/// `n` updates in a row, each from the weights (and the optimizer's state) the last one left,
/// with the same samples and targets every step (`explain --steps N`).
pub fn steps(mut request: ExplainRequest, n: usize) -> Result<Vec<Explanation>> {
    if !(1..=MAX_STEPS).contains(&n) {
        return Err(Error::invalid_value(Setting::Steps, n, format!("take 1 to {MAX_STEPS} steps")));
    }
    let mut explanations = Vec::with_capacity(n);
    for _ in 0..n {
        let explanation = explain(&request)?;
        request.model = request.model.with_params(&request.model.params().with_flat(&new_parameters(&explanation)));
        // Momentum's velocity and adam's m, v, t carry to the next step.
        if let (Update::Run { memory, .. }, Some(after)) = (&mut request.update, explanation.memory_after()) {
            *memory = after;
        }
        explanations.push(explanation);
    }
    Ok(explanations)
}

/// The parameters after an explained step, flat as `Params::to_flat` lays them: each dense
/// layer's new weights (row by row), then its new bias.
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
