//! What `explain` is asked — the command line's options and the web API's body hold the same
//! things — and the one function that checks them and fills in the blog's example for what is
//! not given ([`ExplainOptions::request`]). The CLI parses its option strings into this; the
//! server deserialises its JSON body into it; both then get the same [`ExplainRequest`] and so
//! the same explanation.
//!
//! Messages name the command-line option (`--sample 200: Iris has rows 0 to 149`); the API's
//! fields carry the same names without the dashes.

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::loss::LogBase;
use crate::model::{Model, ModelFile};
use crate::trace::{ExplainRequest, Update};
use ndarray::{Array2, Axis};
use serde::Deserialize;
use std::path::PathBuf;

/// The options, as given: every field may be missing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainOptions {
    /// Samples, one row of inputs each (`--x`, repeated).
    #[serde(default)]
    pub x: Vec<Vec<f64>>,
    /// One class per sample: an index from 0, or a class name when the names are known.
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
    /// Base of the loss's logarithm: "e" or a number.
    pub log_base: Option<LogBase>,
}

/// A class, by index or by name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Target {
    Index(usize),
    Name(String),
}

impl Target {
    /// `--target` text: an index when it reads as one, else a name.
    pub fn parse(text: &str) -> Target {
        text.parse().map_or_else(|_| Target::Name(text.to_string()), Target::Index)
    }
}

fn invalid(what: impl Into<String>, why: impl Into<String>) -> Error {
    Error::invalid(what, why)
}

impl ExplainOptions {
    /// Validates the options into a request; the blog's example fills in what is not given.
    /// `--sample` rows are taken from `table` (Iris for the CLI, an uploaded table for the page),
    /// called `table_name` in messages.
    pub fn request(&self, table: &Dataset, table_name: &str) -> Result<ExplainRequest> {
        let blog = ExplainRequest::blog();
        if let Some(lr) = self.lr.filter(|lr| !(lr.is_finite() && *lr > 0.0)) {
            return Err(invalid(format!("--lr {lr}"), "the step size must be a positive finite number"));
        }
        if self.model.is_some() && (self.weights.is_some() || self.bias.is_some()) {
            return Err(invalid("--model", "give either a model or --weights/--bias, not both"));
        }
        if !self.sample.is_empty() && !self.x.is_empty() {
            return Err(invalid("--sample", "give either --sample rows or --x samples, not both"));
        }
        let model_path = self.model_path.clone().unwrap_or_else(|| PathBuf::from("model"));
        let (model, file) = match (&self.model, &self.weights) {
            (Some(file), _) => (file.to_model(&model_path)?, Some(file)),
            (None, Some(w)) => (single_dense(matrix("--weights", w)?, self.bias.as_deref())?, None),
            (None, None) => match &self.bias {
                Some(b) => (single_dense(blog.model.params.layer(0).weights().expect("dense").clone(), Some(b))?, None),
                None => (blog.model.clone(), None),
            },
        };
        let scaler = file.and_then(|f| f.scaler.clone());
        // A saved model's own run sets the step size and base unless the options say otherwise.
        let trained = file.and_then(|f| f.training.as_ref());
        let learning_rate = self.lr.or(trained.map(|t| t.optimizer.step_size())).unwrap_or(blog_step(&blog));
        let log_base = self.log_base.or(trained.map(|t| t.log_base)).unwrap_or(blog.log_base);
        let mut class_names = file.and_then(|f| f.classes.clone());
        let mut feature_names = file.and_then(|f| f.features.clone());

        // Where the samples come from, for messages: the option the user gave.
        let (inputs, sample_targets, source) = if !self.sample.is_empty() {
            if let Some(&bad) = self.sample.iter().find(|&&s| s >= table.len()) {
                return Err(invalid(
                    format!("--sample {bad}"),
                    format!("{table_name} has rows 0 to {}", table.len() - 1),
                ));
            }
            if let Some(f) = feature_names.as_ref().filter(|f| **f != table.feature_names) {
                return Err(invalid(
                    "--sample",
                    format!(
                        "the model takes {} but {table_name} rows have {}",
                        f.join(", "),
                        table.feature_names.join(", ")
                    ),
                ));
            }
            if let Some(c) = class_names.as_ref().filter(|c| **c != table.class_names) {
                return Err(invalid(
                    "--sample",
                    format!(
                        "the model's classes are {} but {table_name}'s are {}",
                        c.join(", "),
                        table.class_names.join(", ")
                    ),
                ));
            }
            if model.out_width() != table.class_names.len() {
                return Err(invalid(
                    "--sample",
                    format!(
                        "{table_name} has {} classes but the model has {} outputs",
                        table.class_names.len(),
                        model.out_width()
                    ),
                ));
            }
            class_names.get_or_insert(table.class_names.clone());
            feature_names.get_or_insert(table.feature_names.clone());
            let rows = table.select(&self.sample);
            (rows.features, Some(rows.labels), ("--sample", "a table row"))
        } else if !self.x.is_empty() {
            let n = self.x[0].len();
            if let Some(r) = self.x.iter().position(|r| r.len() != n) {
                return Err(invalid(
                    "--x",
                    format!("sample {} has {} numbers but sample 1 has {n}", r + 1, self.x[r].len()),
                ));
            }
            if let Some(v) = self.x.iter().flatten().find(|v| !v.is_finite()) {
                return Err(invalid("--x", format!("{v} is not a finite number")));
            }
            (matrix("--x", &self.x)?, None, ("--x", "a sample"))
        } else {
            (blog.inputs.clone(), Some(blog.targets.clone()), ("--x (not given)", "the post's sample"))
        };
        if inputs.ncols() != model.in_width() {
            return Err(invalid(
                source.0,
                format!(
                    "{} has {} numbers but the model takes {} inputs (the weights have {} columns)",
                    source.1,
                    inputs.ncols(),
                    model.in_width(),
                    model.in_width()
                ),
            ));
        }

        let m = inputs.len_of(Axis(0));
        let classes = model.out_width();
        let targets = if !self.target.is_empty() {
            if self.target.len() != m {
                return Err(invalid(
                    "--target",
                    format!("{} given for {m} samples: give one per sample", self.target.len()),
                ));
            }
            self.target.iter().map(|t| class_index(t, classes, class_names.as_deref())).collect::<Result<Vec<_>>>()?
        } else if let Some(t) = sample_targets.filter(|_| self.x.is_empty()) {
            t
        } else if m == 1 {
            vec![0]
        } else {
            return Err(invalid("--target", format!("give one class per --x ({m} samples)")));
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
}

/// Rows of equal length as a matrix.
fn matrix(option: &str, rows: &[Vec<f64>]) -> Result<Array2<f64>> {
    let cols = rows.first().map_or(0, Vec::len);
    if cols == 0 {
        return Err(invalid(option, "no numbers given"));
    }
    if let Some(r) = rows.iter().position(|r| r.len() != cols) {
        return Err(invalid(option, format!("row {} has {} numbers but row 1 has {cols}", r + 1, rows[r].len())));
    }
    if let Some(v) = rows.iter().flatten().find(|v| !v.is_finite()) {
        return Err(invalid(option, format!("{v} is not a finite number")));
    }
    Array2::from_shape_vec((rows.len(), cols), rows.concat()).map_err(|e| invalid(option, e.to_string()))
}

/// `--weights` and `--bias` as the blog's shape of model, serial(Dense(k), Softmax).
fn single_dense(w_out_in: Array2<f64>, bias: Option<&[f64]>) -> Result<Model> {
    let classes = w_out_in.nrows();
    let b = match bias {
        None => None,
        Some(b) => {
            if b.len() != classes {
                return Err(invalid(
                    "--bias",
                    format!("{} numbers but the weights have {classes} rows (classes)", b.len()),
                ));
            }
            if let Some(v) = b.iter().find(|v| !v.is_finite()) {
                return Err(invalid("--bias", format!("{v} is not a finite number")));
            }
            Some(Array2::from_shape_vec((1, classes), b.to_vec()).map_err(|e| invalid("--bias", e.to_string()))?)
        }
    };
    Model::single_dense(w_out_in, b)
}

/// A class index, or a class name when the names are known.
fn class_index(target: &Target, classes: usize, names: Option<&[String]>) -> Result<usize> {
    match (target, names) {
        (Target::Index(i), _) if *i >= classes => {
            Err(invalid(format!("--target {i}"), format!("the model has {classes} classes, 0 to {}", classes - 1)))
        }
        (Target::Index(i), _) => Ok(*i),
        (Target::Name(text), Some(names)) => names.iter().position(|n| n == text).ok_or_else(|| {
            invalid(format!("--target '{text}'"), format!("no such class; the classes are {}", names.join(", ")))
        }),
        (Target::Name(text), None) => Err(invalid(
            format!("--target '{text}'"),
            format!("not a class index (0 to {}), and no class names are known", classes - 1),
        )),
    }
}

/// The post's step size, α = 0.25.
fn blog_step(blog: &ExplainRequest) -> f64 {
    match blog.update {
        Update::Sgd { learning_rate } => learning_rate,
        Update::Run { .. } => unreachable!("the post's step is plain gradient descent"),
    }
}
