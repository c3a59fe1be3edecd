//! A saved model applied to new rows: the rows are scaled by the model's own scaler, the engine
//! is chosen here once, and the answer says what the numbers are. Probabilities only where the
//! model's last layer makes them (softmax, log-softmax); any other output is shown as what it
//! is, its outputs, and a one-output sigmoid classifier predicts class 1 at 0.5 or above, as a
//! user of such a model expects.
//!
//! # Example
//! ```
//! use gradlens::activation::Activation;
//! use gradlens::model::Model;
//! use gradlens::run::predict::{PredictJob, Predictions, Scores};
//! use ndarray::array;
//!
//! // serial(Dense(1), Sigmoid): ŷ = σ(2·x₁ − 1); x₁ = 1 gives σ(1) = 0.7310586 → class 1.
//! let model = Model::builder().dense_with_bias(array![[2.0]], &[-1.0]).activation(Activation::Sigmoid).build()?;
//! let file = model.to_file();
//! let job = PredictJob::new(model, file, array![[1.0]]);
//! let Predictions::Classes { classes, scores: Scores::Outputs(y), .. } = job.run()? else { panic!() };
//! assert_eq!(classes, vec![1]);
//! assert!((y[[0, 0]] - 0.7310585786300049).abs() < 1e-15);
//! # Ok::<(), gradlens::Error>(())
//! ```

use crate::activation::Activation;
use crate::engine::compiled;
use crate::error::{Error, Result};
use crate::model::{Model, ModelFile, ModelLayer};
use crate::run::train::default_engine;
use crate::train::Engine;
use ndarray::Array2;

/// Rows to predict, with the model file they go through.
#[derive(Debug, Clone)]
pub struct PredictJob {
    /// The model.
    pub model: Model,
    /// Its file: names, features and scaler.
    pub file: ModelFile,
    /// The rows, unscaled: m×inputs, or for a model on feature inputs m×columns (the raw
    /// columns its features are computed from).
    pub rows: Array2<f64>,
    /// The engine that runs the model.
    pub engine: Engine,
}

/// What a model says about rows, by what its outputs are.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// A class per row.
    Classes {
        /// Every class's name, by index.
        names: Vec<String>,
        /// Each row's class.
        classes: Vec<usize>,
        /// The numbers the class was chosen from.
        scores: Scores,
    },
    /// Numbers per row (a model trained on values).
    Values {
        /// The target columns' names.
        names: Vec<String>,
        /// Each row's values (m×targets).
        values: Array2<f64>,
    },
}

/// The numbers behind each row's class.
#[derive(Debug, Clone, PartialEq)]
pub enum Scores {
    /// Class probabilities (m×classes): the model ends in softmax or log-softmax.
    Probabilities(Array2<f64>),
    /// The model's outputs as they are (m×outputs): no probabilities, so none are claimed.
    Outputs(Array2<f64>),
}

/// A classifier whose one output is a sigmoid: class 1 at this output or above.
pub const THRESHOLD: f64 = 0.5;

/// How a classifier's outputs name a class, by its last layer: the one rule that `predict` and
/// the page's decision map share, so that they never disagree on a model's class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Softmax or log-softmax: the class of highest probability.
    Probabilities,
    /// One sigmoid output: class 1 at [`THRESHOLD`] or above ([`by_threshold`]).
    Threshold,
    /// Any other outputs: the largest output's class, and no probabilities claimed.
    Largest,
}

impl Reading {
    /// How `model`'s outputs are read.
    pub fn of(model: &Model) -> Reading {
        match model.last() {
            ModelLayer::Softmax | ModelLayer::LogSoftmax => Reading::Probabilities,
            ModelLayer::Activation(Activation::Sigmoid) if model.out_width() == 1 => Reading::Threshold,
            ModelLayer::Dense { .. } | ModelLayer::Activation(_) => Reading::Largest,
        }
    }
}

/// A one-output sigmoid classifier's class for its output `y`, and that class's probability:
/// class 1 with probability `y` at [`THRESHOLD`] or above, class 0 with probability 1 − `y` below.
pub fn by_threshold(y: f64) -> (usize, f64) {
    if y >= THRESHOLD { (1, y) } else { (0, 1.0 - y) }
}

impl PredictJob {
    /// `rows` through `model`, whose file is `file`, on the default engine.
    pub fn new(model: Model, file: ModelFile, rows: Array2<f64>) -> PredictJob {
        PredictJob { model, file, rows, engine: default_engine() }
    }

    /// Computes the model's features from the rows (when it has any), scales them, runs the
    /// model once, and reads its outputs as what they are.
    pub fn run(&self) -> Result<Predictions> {
        let derived = self.file.derived().map_err(|(at, why)| Error::ModelFile { path: "model".into(), at, why })?;
        let inputs = match &derived {
            Some(f) => f.apply(&self.rows)?,
            None => self.rows.clone(),
        };
        let x = match &self.file.scaler {
            Some(s) => s.transform(&inputs),
            None => inputs,
        };
        if let Some(names) = self.file.targets() {
            return Ok(Predictions::Values { names: names.to_vec(), values: self.outputs(&x)? });
        }
        let reading = Reading::of(&self.model);
        let (classes, scores) = match reading {
            Reading::Probabilities => {
                let log_p = match self.engine {
                    Engine::Compiled(options) => compiled::predict::log_probabilities(options, &self.model, &x)?,
                    Engine::Tape => crate::predict::log_probabilities(&self.model, &x)?,
                };
                (crate::predict::classes(&log_p), Scores::Probabilities(crate::predict::probabilities(&log_p)))
            }
            Reading::Threshold => {
                let y = self.outputs(&x)?;
                (y.column(0).iter().map(|&v| by_threshold(v).0).collect(), Scores::Outputs(y))
            }
            Reading::Largest => {
                let y = self.outputs(&x)?;
                (crate::predict::classes(&y), Scores::Outputs(y))
            }
        };
        let width = if reading == Reading::Threshold { 2 } else { self.model.out_width() };
        let names = match self.file.classes() {
            Some(names) if names.len() == width => names.to_vec(),
            _ => (0..width).map(|i| i.to_string()).collect(),
        };
        Ok(Predictions::Classes { names, classes, scores })
    }

    fn outputs(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        match self.engine {
            Engine::Compiled(options) => compiled::predict::outputs(options, &self.model, x),
            Engine::Tape => crate::predict::outputs(&self.model, x),
        }
    }
}
