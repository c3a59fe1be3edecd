//! A training run as one record: the data it learned from, its settings, its epochs, the final
//! model's evaluation and the model file. `train --format json` writes it as it is, and
//! [`crate::render::training`] prints it as text, so every view of a run reads the same numbers.
//!
//! The data and settings are known before the first epoch (the text header prints them then);
//! the rest is added by [`TrainReport::new`] once the run has ended.

use super::{Api, Engine, EpochStats, TrainAccuracy, TrainConfig, TrainResult};
use crate::data::{Dataset, ScaleKind, Scaler};
use crate::engine::compiled::Dtype;
use crate::error::Result;
use crate::loss::Loss;
use crate::model::{ModelFile, TrainingRecord};
use crate::predict::{Evaluation, evaluate_features};
use crate::update::Optimizer;
use serde::{Serialize, Serializer};

/// A finished run: what `train --format json` writes, and what the text report prints from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainReport {
    /// The JSON document's version ([`crate::run::defaults::SCHEMA`]).
    pub schema: u32,
    /// Where the rows came from.
    pub data: DataReport,
    /// The run's settings.
    pub config: ConfigReport,
    /// Every epoch's figures.
    pub epochs: Vec<EpochStats>,
    /// A live run's changes between epochs (the page's): from which epoch which step size,
    /// penalty and batch size; left out when none were made.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<crate::engine::training::Change>,
    /// The trained model on each part.
    #[serde(rename = "final")]
    pub final_: Final,
    /// The trained model as `train --save` writes it: the report and the file cannot disagree.
    pub model: ModelFile,
}

/// The rows a run saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataReport {
    /// The data as the user named it: `iris` or a CSV's path.
    pub source: String,
    /// Rows in the data.
    pub rows: usize,
    /// Rows trained on.
    pub train_rows: usize,
    /// 0 when there is no test part.
    pub test_rows: usize,
    /// Feature names: the model's inputs (with `columns`, features computed from them).
    pub features: Vec<String>,
    /// The data's columns the features are computed from (`--features`); `None` when the
    /// features are the columns themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// Class names, when the targets are classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
    /// The target columns' names, when the targets are values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
}

/// A run's settings: the loop's ([`TrainConfig`]) and those that chose and scaled its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigReport {
    /// The training settings.
    pub train: TrainConfig,
    /// The scaling the run used: fitted on its training rows, or a saved model's own (`--model`).
    pub scale: Option<ScaleKind>,
    /// The share of each class held out.
    pub test_fraction: f64,
    /// Seeds the split, the initial weights and the shuffles.
    pub seed: u64,
    /// The engine that ran the steps (after [`super::Engine::for_run`]).
    pub engine: Engine,
}

/// The final model on each part of the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Final {
    /// On the training rows.
    pub train: Evaluation,
    /// `None` without a test part.
    pub test: Option<Evaluation>,
}

impl DataReport {
    /// `data` is every row; `train` and `test` are the parts it was split into.
    pub fn new(source: &str, data: &Dataset, train: &Dataset, test: Option<&Dataset>) -> DataReport {
        DataReport {
            source: source.to_string(),
            rows: data.len(),
            train_rows: train.len(),
            test_rows: test.map_or(0, Dataset::len),
            features: data.feature_names.clone(),
            columns: None,
            classes: data.class_names().map(<[String]>::to_vec),
            targets: match &data.target {
                crate::data::Targets::Values { names, .. } => Some(names.clone()),
                crate::data::Targets::Classes { .. } => None,
            },
        }
    }
}

impl ConfigReport {
    /// The report of these settings.
    pub fn new(
        train: &TrainConfig,
        scale: Option<ScaleKind>,
        test_fraction: f64,
        seed: u64,
        engine: Engine,
    ) -> ConfigReport {
        ConfigReport { train: train.clone(), scale, test_fraction, seed, engine }
    }
}

/// Flat, as the JSON has always been: the optimizer by name, with its step size and momentum's
/// mass beside it (adam's b1, b2 and eps are JAX's defaults, not settings of the run).
impl Serialize for ConfigReport {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat {
            optimizer: &'static str,
            learning_rate: f64,
            momentum: Option<f64>,
            epochs: usize,
            batch_size: Option<usize>,
            shuffle: bool,
            #[serde(flatten)]
            loss: Loss,
            freeze_bias: bool,
            api: Api,
            /// λ₂ and λ₁ of the weight penalty (0: none).
            #[serde(flatten)]
            penalty: crate::loss::Penalty,
            /// How the epochs' `train_accuracy` was taken.
            train_accuracy: TrainAccuracy,
            scale: Option<ScaleKind>,
            test_fraction: f64,
            seed: u64,
            engine: &'static str,
            dtype: Dtype,
        }
        let t = &self.train;
        let momentum = match t.optimizer {
            Optimizer::Momentum { mass, .. } => Some(mass),
            Optimizer::Sgd { .. } | Optimizer::Adam { .. } => None,
        };
        Flat {
            optimizer: t.optimizer.name(),
            learning_rate: t.optimizer.step_size(),
            momentum,
            epochs: t.epochs,
            batch_size: t.batch_size,
            shuffle: t.shuffle,
            loss: t.loss,
            freeze_bias: t.freeze_bias,
            api: t.api,
            penalty: t.penalty,
            train_accuracy: t.train_accuracy,
            scale: self.scale,
            test_fraction: self.test_fraction,
            seed: self.seed,
            engine: self.engine.name(),
            dtype: self.engine.dtype(),
        }
        .serialize(s)
    }
}

impl TrainReport {
    /// The report of a finished run: `result` is what [`super::train`] returned for `train` and
    /// `test` (scaled, as it trained on them) and `scaler` what scaled them. The final model is
    /// evaluated on both parts, and its file carries the data's names, the scaler and the run's
    /// settings, so that `predict` and `explain` can use it alone.
    pub fn new(
        data: DataReport,
        config: ConfigReport,
        result: &TrainResult,
        train: &Dataset,
        test: Option<&Dataset>,
        scaler: Option<Scaler>,
    ) -> Result<TrainReport> {
        let loss = config.train.loss;
        let final_ = Final {
            train: evaluate_features(&result.model, &train.features, &train.target, loss)?,
            test: test.map(|t| evaluate_features(&result.model, &t.features, &t.target, loss)).transpose()?,
        };
        let mut model = result.model.to_file();
        model.head = Some(crate::model::Head::of(&train.target));
        model.features = Some(data.features.clone());
        model.columns = data.columns.clone();
        model.scaler = scaler;
        let t = &config.train;
        let state = crate::model::StateFile::new(&t.optimizer, &result.model, &result.state);
        model.training = Some(TrainingRecord { optimizer: t.optimizer, loss: t.loss, epochs: t.epochs, state });
        Ok(TrainReport {
            schema: crate::run::defaults::SCHEMA,
            data,
            config,
            epochs: result.epochs.clone(),
            changes: result.changes.clone(),
            final_,
            model,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::predict::Fit;
    use ndarray::{Array2, array};

    /// Two classes, identity weights: a row's logits are its features.
    fn identity_model() -> Model {
        Model::single_dense(array![[1.0, 0.0], [0.0, 1.0]], None).unwrap()
    }

    fn part(rows: Array2<f64>, labels: Vec<usize>) -> Dataset {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Dataset {
            features: rows.into(),
            feature_names: names(&["x1", "x2"]),
            target: crate::data::Targets::Classes { labels, names: names(&["a", "b"]) },
        }
    }

    fn sgd_config() -> TrainConfig {
        TrainConfig {
            optimizer: Optimizer::sgd(0.5).unwrap(),
            epochs: 1,
            batch_size: None,
            shuffle: true,
            loss: Loss::default(),
            freeze_bias: false,
            api: Api::Stax,
            penalty: crate::loss::Penalty::NONE,
            train_accuracy: TrainAccuracy::AfterEpoch,
        }
    }

    #[test]
    fn a_report_evaluates_each_part_and_its_model_file_carries_the_run() {
        let all = part(array![[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [0.0, 2.0]], vec![0, 1, 1, 1]);
        let train = part(array![[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]], vec![0, 1, 1]);
        let test = part(array![[0.0, 2.0]], vec![1]);
        let config = ConfigReport::new(&sgd_config(), Some(ScaleKind::Standard), 0.25, 3, Engine::Tape);
        let stats = EpochStats {
            epoch: 1,
            loss: 0.5,
            train_accuracy: Some(2.0 / 3.0),
            test_accuracy: Some(1.0),
            test_loss: Some(0.3),
        };
        let result = TrainResult {
            model: identity_model(),
            epochs: vec![stats.clone()],
            state: Default::default(),
            changes: Vec::new(),
        };
        let scaler = Scaler::fit(ScaleKind::Minmax, &train.features.f64(), &train.feature_names).unwrap();
        let data = DataReport::new("tiny.csv", &all, &train, Some(&test));
        let report = TrainReport::new(data, config, &result, &train, Some(&test), Some(scaler.clone())).unwrap();

        assert_eq!((report.data.rows, report.data.train_rows, report.data.test_rows), (4, 3, 1));
        assert_eq!(report.epochs, vec![stats]);
        // Logits (2, 0): −ln softmax = ln(1 + e^∓2), e^−2 when the label is the larger logit's.
        let (right, wrong) = ((-2.0f64).exp().ln_1p(), 2.0f64.exp().ln_1p());
        let train_eval = &report.final_.train;
        assert!((train_eval.loss - (2.0 * right + wrong) / 3.0).abs() < 1e-12, "{}", train_eval.loss);
        // Row 3, (2, 0) of class b, is called a.
        assert_eq!(
            train_eval.fit,
            Fit::Classes { accuracy: 2.0 / 3.0, correct: 2, confusion: vec![vec![1, 0], vec![1, 1]] }
        );
        let test_eval = report.final_.test.as_ref().unwrap();
        assert!((test_eval.loss - right).abs() < 1e-12, "{}", test_eval.loss);
        assert_eq!(test_eval.fit, Fit::Classes { accuracy: 1.0, correct: 1, confusion: vec![vec![0, 0], vec![0, 1]] });

        let file = &report.model;
        assert_eq!(file.classes(), Some(&["a".to_string(), "b".to_string()][..]));
        assert_eq!(file.features.as_deref(), Some(&["x1".to_string(), "x2".to_string()][..]));
        assert_eq!(file.scaler.as_ref(), Some(&scaler));
        let record = file.training.as_ref().unwrap();
        assert_eq!(
            (record.optimizer, record.loss, record.epochs),
            (Optimizer::Sgd { step_size: 0.5 }, Loss::default(), 1)
        );
        assert_eq!(file.layers, identity_model().to_file().layers);
    }

    #[test]
    fn without_a_test_part_there_is_no_test_evaluation() {
        let train = part(array![[2.0, 0.0], [0.0, 2.0]], vec![0, 1]);
        let result =
            TrainResult { model: identity_model(), epochs: Vec::new(), state: Default::default(), changes: Vec::new() };
        let config = ConfigReport::new(&sgd_config(), None, 0.0, 0, Engine::Tape);
        let report =
            TrainReport::new(DataReport::new("t", &train, &train, None), config, &result, &train, None, None).unwrap();
        assert_eq!(report.data.test_rows, 0);
        assert_eq!(report.final_.test, None);
        assert_eq!(report.model.scaler, None);
    }

    #[test]
    fn the_config_is_flat_json_with_the_optimizer_by_name() {
        let momentum = TrainConfig {
            optimizer: Optimizer::momentum(0.1, 0.8).unwrap(),
            batch_size: Some(16),
            shuffle: false,
            loss: Loss::CrossEntropy { log_base: "2".parse().unwrap() },
            train_accuracy: TrainAccuracy::Steps,
            ..sgd_config()
        };
        let compiled = Engine::new(true, Dtype::F32, Some(1)).unwrap();
        let json =
            serde_json::to_string(&ConfigReport::new(&momentum, Some(ScaleKind::Minmax), 0.2, 7, compiled)).unwrap();
        assert_eq!(
            json,
            r#"{"optimizer":"momentum","learning_rate":0.1,"momentum":0.8,"epochs":1,"batch_size":16,"shuffle":false,"#
                .to_owned()
                + r#""loss_function":"cross-entropy","log_base":"2","freeze_bias":false,"api":"stax","l2":0.0,"l1":0.0,"train_accuracy":"steps","scale":"minmax","test_fraction":0.2,"seed":7,"#
                + r#""engine":"compiled","dtype":"f32"}"#
        );
        // Adam's b1, b2 and eps are JAX's fixed defaults: only its step size is written, and no mass.
        let adam = TrainConfig { optimizer: Optimizer::adam(0.01).unwrap(), api: Api::Custom, ..sgd_config() };
        let json = serde_json::to_value(ConfigReport::new(&adam, None, 0.0, 0, Engine::Tape)).unwrap();
        assert_eq!(
            (&json["optimizer"], &json["learning_rate"], &json["momentum"]),
            (&"adam".into(), &0.01.into(), &serde_json::Value::Null)
        );
        assert_eq!((&json["api"], &json["scale"]), (&"custom".into(), &serde_json::Value::Null));
        assert_eq!((&json["engine"], &json["dtype"]), (&"tape".into(), &"f64".into()));
        assert_eq!(json["train_accuracy"], "after-epoch");
    }
}
