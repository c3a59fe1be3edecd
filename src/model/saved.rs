//! The model file: a model's layers with what `train --save` keeps beside them (class or target
//! names, feature names, the fitted scaler, the run's settings), and the one rule that a model
//! fits a data set ([`misfit`]).

use super::{Model, ModelLayer};
use crate::activation::Activation;
use crate::data::{Dataset, Features, Scaler, TargetKind, Targets};
use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::update::{Optimizer, OptimizerState};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The model file as JSON sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(try_from = "FileFields", into = "FileFields")]
pub struct ModelFile {
    /// The layers, input first.
    pub layers: Vec<LayerFile>,
    /// What the outputs are, with their names in output-unit order; written by `train --save`.
    pub head: Option<Head>,
    /// Feature names in input order; written by `train --save`. With `columns`, each is a
    /// feature computed from those columns ([`Features`]'s grammar: `x1^2`, `sin(x1)`).
    pub features: Option<Vec<String>>,
    /// The data's columns the features are computed from, when the model was trained on feature
    /// inputs (`train --features`): what `predict` reads and the fit check compares. Files
    /// without it (every file before it) take the data's columns as they are.
    pub columns: Option<Vec<String>>,
    /// The scaling fitted on the training rows, applied to every input before the first layer.
    pub scaler: Option<Scaler>,
    /// How the model was trained; `explain` takes its step size and loss from here, so
    /// "one more step" is a step of the same run.
    pub training: Option<TrainingRecord>,
}

/// What a model's outputs are: a class each, or a value each (regression), with the names.
#[derive(Debug, Clone, PartialEq)]
pub enum Head {
    /// Class names in output-unit order (the file's `classes`).
    Classes(Vec<String>),
    /// The target columns' names in output-unit order (the file's `targets`).
    Values(Vec<String>),
}

impl Head {
    /// The names, in output-unit order.
    pub fn names(&self) -> &[String] {
        match self {
            Head::Classes(names) | Head::Values(names) => names,
        }
    }

    /// Classes or values.
    pub fn kind(&self) -> TargetKind {
        match self {
            Head::Classes(_) => TargetKind::Classes,
            Head::Values(_) => TargetKind::Values,
        }
    }

    /// Its field in the file.
    fn field(&self) -> &'static str {
        match self {
            Head::Classes(_) => "classes",
            Head::Values(_) => "targets",
        }
    }

    /// The head of a model trained on `target`.
    pub fn of(target: &Targets) -> Head {
        match target {
            Targets::Classes { names, .. } => Head::Classes(names.clone()),
            Targets::Values { names, .. } => Head::Values(names.clone()),
        }
    }
}

/// The file's fields as JSON has them: the head as `classes` or `targets`, one or neither.
#[derive(Serialize, Deserialize)]
struct FileFields {
    layers: Vec<LayerFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    classes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    targets: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    features: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    columns: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scaler: Option<Scaler>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    training: Option<TrainingRecord>,
}

impl TryFrom<FileFields> for ModelFile {
    type Error = String;
    fn try_from(f: FileFields) -> std::result::Result<ModelFile, String> {
        let head = match (f.classes, f.targets) {
            (Some(_), Some(_)) => return Err("a model has classes or targets (values), not both".into()),
            (Some(names), None) => Some(Head::Classes(names)),
            (None, Some(names)) => Some(Head::Values(names)),
            (None, None) => None,
        };
        Ok(ModelFile {
            layers: f.layers,
            head,
            features: f.features,
            columns: f.columns,
            scaler: f.scaler,
            training: f.training,
        })
    }
}

impl From<ModelFile> for FileFields {
    fn from(m: ModelFile) -> FileFields {
        let (classes, targets) = match m.head {
            Some(Head::Classes(names)) => (Some(names), None),
            Some(Head::Values(names)) => (None, Some(names)),
            None => (None, None),
        };
        FileFields {
            layers: m.layers,
            classes,
            targets,
            features: m.features,
            columns: m.columns,
            scaler: m.scaler,
            training: m.training,
        }
    }
}

/// The settings of the run that saved a model (`train --save`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrainingRecord {
    /// The optimizer and its settings.
    pub optimizer: Optimizer,
    /// The loss it lowered: `loss_function` and `log_base` in the file.
    #[serde(flatten)]
    pub loss: Loss,
    /// How many epochs it ran.
    pub epochs: usize,
    /// The optimizer's state after the run's last step (momentum's velocity, adam's m, v and t),
    /// so that `explain` shows the run's next step; absent for sgd, which keeps none, and in
    /// files saved before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateFile>,
}

impl TrainingRecord {
    /// The state a run of `optimizer` on `model` goes on from: the saved run's
    /// (`training.state`, checked) when it is the same optimizer and the file keeps one, else
    /// `None` (a fresh state). A fault names the file (`path`) and the place in it.
    pub fn resumed(&self, optimizer: &Optimizer, model: &Model, path: &Path) -> Result<Option<OptimizerState>> {
        match &self.state {
            Some(state) if self.optimizer.name() == optimizer.name() => {
                state.memory(&self.optimizer, model).map(Some).map_err(|(at, why)| Error::ModelFile {
                    path: path.to_path_buf(),
                    at: format!("training.state.{at}"),
                    why,
                })
            }
            _ => Ok(None),
        }
    }
}

/// An optimizer's state as the file keeps it (`training.state`): t, and each kept moment shaped
/// like the parameters, one entry per dense layer (weights rows = output units, then the bias),
/// so that a reader sees which weight each number belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StateFile {
    /// Steps taken: adam's t.
    pub t: usize,
    /// Momentum's velocity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity: Option<Vec<DenseNumbers>>,
    /// Adam's first moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<Vec<DenseNumbers>>,
    /// Adam's second moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<Vec<DenseNumbers>>,
}

/// One number per parameter of a dense layer, shaped like it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DenseNumbers {
    /// out×in, as the layer's weights.
    pub weights: Vec<Vec<f64>>,
    /// out numbers, or none when the layer has no bias.
    #[serde(default)]
    pub bias: Option<Vec<f64>>,
}

/// A dense layer's shape: weights rows (outputs) and columns (inputs), and its bias's length.
type DenseShape = (usize, usize, Option<usize>);

/// A moment field of [`StateFile`].
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Velocity,
    M,
    V,
}

impl Field {
    const ALL: [Field; 3] = [Field::Velocity, Field::M, Field::V];

    fn name(self) -> &'static str {
        match self {
            Field::Velocity => "velocity",
            Field::M => "m",
            Field::V => "v",
        }
    }
}

/// The fields of [`StateFile`] an optimizer fills: (first moment's, second moment's).
/// The fields of the state `optimizer` keeps ([`Optimizer::state_names`]).
fn state_fields(optimizer: &Optimizer) -> (Option<Field>, Option<Field>) {
    let field = |name: &str| Field::ALL.into_iter().find(|f| f.name() == name);
    let (first, second) = optimizer.state_names();
    (first.and_then(field), second.and_then(field))
}

impl StateFile {
    /// The file's form of `memory`, the state of `optimizer` on `model`'s parameters; `None`
    /// for an optimizer that keeps nothing (sgd).
    pub fn new(optimizer: &Optimizer, model: &Model, memory: &OptimizerState) -> Option<StateFile> {
        let shapes = model.dense_layers().map(|(_, w, b)| (w.nrows(), w.ncols(), b.map(|b| b.len()))).collect();
        StateFile::shaped(optimizer, shapes, memory)
    }

    /// [`StateFile::new`] for dense layers of `shapes` (rows, columns, bias length).
    fn shaped(optimizer: &Optimizer, shapes: Vec<DenseShape>, memory: &OptimizerState) -> Option<StateFile> {
        let (first, second) = state_fields(optimizer);
        first?;
        let shaped = |flat: &[f64]| {
            let mut rest = flat;
            let mut take = |n: usize| {
                let (now, later) = rest.split_at(n);
                rest = later;
                now.to_vec()
            };
            shapes
                .iter()
                .map(|&(rows, cols, bias)| DenseNumbers {
                    weights: (0..rows).map(|_| take(cols)).collect(),
                    bias: bias.map(&mut take),
                })
                .collect::<Vec<_>>()
        };
        let mut file = StateFile { t: memory.t, velocity: None, m: None, v: None };
        *file.slot(first?) = Some(shaped(&memory.first));
        if let Some(second) = second {
            *file.slot(second) = Some(shaped(&memory.second));
        }
        Some(file)
    }

    fn slot(&mut self, field: Field) -> &mut Option<Vec<DenseNumbers>> {
        match field {
            Field::Velocity => &mut self.velocity,
            Field::M => &mut self.m,
            Field::V => &mut self.v,
        }
    }

    fn get(&self, field: Field) -> Option<&Vec<DenseNumbers>> {
        match field {
            Field::Velocity => self.velocity.as_ref(),
            Field::M => self.m.as_ref(),
            Field::V => self.v.as_ref(),
        }
    }

    /// The state of `optimizer` on `model`'s parameters it holds, checked: the fields this
    /// optimizer keeps and no other, one entry per dense layer shaped like it, finite numbers
    /// (adam's v not negative). A fault is (its path below `training.state`, why).
    pub fn memory(
        &self,
        optimizer: &Optimizer,
        model: &Model,
    ) -> std::result::Result<OptimizerState, (String, String)> {
        let (first, second) = state_fields(optimizer);
        for field in Field::ALL {
            let wanted = first == Some(field) || second == Some(field);
            let name = field.name();
            match (wanted, self.get(field).is_some()) {
                (true, false) => return Err((name.into(), format!("{} keeps it: it is missing", optimizer.name()))),
                (false, true) => return Err((name.into(), format!("{} keeps no such state", optimizer.name()))),
                (true, true) | (false, false) => {}
            }
        }
        let flat = |field: Field| -> std::result::Result<Vec<f64>, (String, String)> {
            let name = field.name();
            let layers = self.get(field).expect("checked above");
            let dense: Vec<_> = model.dense_layers().collect();
            if layers.len() != dense.len() {
                let why = format!("{} entries but the model has {} dense layers", layers.len(), dense.len());
                return Err((name.into(), why));
            }
            let mut out: Vec<f64> = Vec::with_capacity(model.param_count());
            for (l, (numbers, (_, w, b))) in layers.iter().zip(dense).enumerate() {
                let at = |part: &str| format!("{name}[{l}].{part}");
                let (rows, cols) = w.dim();
                if numbers.weights.len() != rows || numbers.weights.iter().any(|r| r.len() != cols) {
                    return Err((
                        at("weights"),
                        format!("the layer's weights are {rows}×{cols}: give as many numbers"),
                    ));
                }
                out.extend(numbers.weights.iter().flatten());
                match (&numbers.bias, b) {
                    (Some(bias), Some(b)) if bias.len() == b.len() => out.extend(bias),
                    (None, None) => {}
                    (_, b) => {
                        let why = match b {
                            Some(b) => format!("the layer has {} biases: give as many numbers", b.len()),
                            None => "the layer has no bias: give null".into(),
                        };
                        return Err((at("bias"), why));
                    }
                }
            }
            // Adam's v is a mean of squares: √v̂ of a negative one is NaN.
            let squares = field == Field::V;
            if let Some(v) = out.iter().find(|v| !v.is_finite() || (squares && **v < 0.0)) {
                let rule = if squares { "a finite number, not negative" } else { "a finite number" };
                return Err((name.into(), format!("{v}: every number must be {rule}")));
            }
            Ok(out)
        };
        Ok(OptimizerState {
            t: self.t,
            first: first.map(flat).transpose()?.unwrap_or_default(),
            second: second.map(flat).transpose()?.unwrap_or_default(),
        })
    }
}

/// One layer in the file. Serialised and deserialised by hand (below): its `type` is `dense`,
/// `softmax`, `logsoftmax` or an activation's own name, and an error inside a layer keeps its
/// JSON path.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerFile {
    /// A dense layer, weights rows = output units.
    Dense {
        /// out×in.
        weights: Vec<Vec<f64>>,
        /// out numbers, or none.
        bias: Option<Vec<f64>>,
    },
    /// An elementwise activation, `{"type": "tanh"}`.
    Activation(Activation),
    /// `{"type": "softmax"}`.
    Softmax,
    /// `{"type": "logsoftmax"}`.
    Logsoftmax,
}

/// A layer's `type`.
#[derive(Clone, Copy, PartialEq)]
enum LayerType {
    Dense,
    Activation(Activation),
    Softmax,
    Logsoftmax,
}

impl<'de> Deserialize<'de> for LayerType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(match name.as_str() {
            "dense" => LayerType::Dense,
            "softmax" => LayerType::Softmax,
            "logsoftmax" | "log_softmax" => LayerType::Logsoftmax,
            other => LayerType::Activation(other.parse().map_err(|_| {
                let names: Vec<&str> = Activation::ALL.iter().map(|a| a.name()).collect();
                serde::de::Error::custom(format!(
                    "unknown layer type '{other}': expected dense, softmax, logsoftmax or an activation ({})",
                    names.join(", ")
                ))
            })?),
        })
    }
}

impl Serialize for LayerFile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        match self {
            LayerFile::Dense { weights, bias } => {
                map.serialize_entry("type", "dense")?;
                map.serialize_entry("weights", weights)?;
                map.serialize_entry("bias", bias)?;
            }
            LayerFile::Activation(a) => map.serialize_entry("type", a.name())?,
            LayerFile::Softmax => map.serialize_entry("type", "softmax")?,
            LayerFile::Logsoftmax => map.serialize_entry("type", "logsoftmax")?,
        }
        map.end()
    }
}

/// serde's derive for a `type`-tagged enum buffers the whole layer before reading it, and an error
/// found in the buffer (a string among the weights) loses its path: the message would say
/// `layers[0]`, not `layers[0].weights[0][1]`. Reading the fields one by one keeps the path.
impl<'de> Deserialize<'de> for LayerFile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::{Error as _, IgnoredAny, MapAccess, Visitor};
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = LayerFile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#"a layer such as {"type": "dense", "weights": [[…]], "bias": null} or {"type": "tanh"}"#)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<LayerFile, A::Error> {
                let (mut kind, mut weights, mut bias) = (None, None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "type" => kind = Some(map.next_value::<LayerType>()?),
                        "weights" if matches!(kind, None | Some(LayerType::Dense)) => weights = Some(map.next_value()?),
                        "bias" if matches!(kind, None | Some(LayerType::Dense)) => bias = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?; // unknown fields are ignored
                        }
                    }
                }
                Ok(match kind.ok_or_else(|| A::Error::missing_field("type"))? {
                    LayerType::Dense => {
                        LayerFile::Dense { weights: weights.ok_or_else(|| A::Error::missing_field("weights"))?, bias }
                    }
                    LayerType::Activation(a) => LayerFile::Activation(a),
                    LayerType::Softmax => LayerFile::Softmax,
                    LayerType::Logsoftmax => LayerFile::Logsoftmax,
                })
            }
        }
        d.deserialize_map(Fields)
    }
}

impl ModelFile {
    /// The file after an explained step `e` of its model: the dense layers' new weights and
    /// biases, and for momentum and adam the training record's optimizer and the state after
    /// the step, so that explaining the new file shows the next step (the page's "next step",
    /// Python's `new_model`). After an sgd step the record is kept as it was.
    pub fn stepped(&self, e: &crate::trace::Explanation) -> ModelFile {
        use crate::trace::LayerTrace;
        let mut traces = e.layers.iter().filter_map(|l| match l {
            LayerTrace::Dense(d) => Some(d),
            LayerTrace::Activation(_) | LayerTrace::Softmax(_) | LayerTrace::Logsoftmax(_) => None,
        });
        let layers: Vec<LayerFile> = self
            .layers
            .iter()
            .map(|layer| match layer {
                LayerFile::Dense { .. } => {
                    let d = traces.next().expect("a dense trace per dense layer");
                    LayerFile::Dense {
                        weights: d.new_weights.rows().into_iter().map(|r| r.to_vec()).collect(),
                        bias: d.new_bias.clone(),
                    }
                }
                other => other.clone(),
            })
            .collect();
        let training = match e.memory_after() {
            None => self.training.clone(),
            Some(memory) => {
                let shapes = layers
                    .iter()
                    .filter_map(|l| match l {
                        LayerFile::Dense { weights, bias } => {
                            Some((weights.len(), weights.first().map_or(0, Vec::len), bias.as_ref().map(Vec::len)))
                        }
                        LayerFile::Activation(_) | LayerFile::Softmax | LayerFile::Logsoftmax => None,
                    })
                    .collect();
                Some(TrainingRecord {
                    optimizer: e.optimizer,
                    loss: e.loss_function,
                    epochs: self.training.as_ref().map_or(0, |t| t.epochs),
                    state: StateFile::shaped(&e.optimizer, shapes, &memory),
                })
            }
        };
        ModelFile { layers, training, ..self.clone() }
    }

    /// The feature inputs the model computes from raw rows (`columns` and `features` both
    /// written), or `None` for a model that takes the data's columns as they are; an error is
    /// (the file's field, why).
    pub fn derived(&self) -> std::result::Result<Option<Features>, (String, String)> {
        let Some(columns) = &self.columns else { return Ok(None) };
        let Some(names) = &self.features else {
            return Err(("columns".into(), "columns are given but no features computed from them".into()));
        };
        Features::parse(&names.join(","), columns).map(Some).map_err(|e| {
            let why = match e {
                Error::Invalid { value: Some(v), why, .. } => format!("{v}: {why}"),
                other => other.to_string(),
            };
            ("features".into(), why)
        })
    }

    /// The feature inputs a job on this model (read from `path`) computes: the model's own. The
    /// features a user asks for (`asked`) must be those: the first layer's weights read them.
    pub fn keep_features(&self, path: &Path, asked: Option<Features>) -> Result<Option<Features>> {
        let own = self.derived().map_err(|(at, why)| Error::ModelFile { path: path.into(), at, why })?;
        match asked {
            Some(a) if own.as_ref().is_none_or(|o| o.names() != a.names()) => {
                let why = match own {
                    Some(o) => {
                        format!("the model file was trained on the features {}: leave this out", o.names().join(","))
                    }
                    None => "the model file was trained on the data's columns as they are: leave this out".into(),
                };
                Err(Error::invalid_value(crate::error::Setting::Features, a.names().join(","), why))
            }
            _ => Ok(own),
        }
    }

    /// How many numbers a raw row has for `model` (this file's model): its columns for a model on
    /// feature inputs, else its inputs.
    pub fn raw_width(&self, model: &Model) -> usize {
        self.columns.as_ref().map_or(model.in_width(), Vec::len)
    }

    /// The names of the data columns the model reads, in order: `columns` for a model on
    /// feature inputs, else its feature names.
    pub fn input_columns(&self) -> Option<&[String]> {
        self.columns.as_deref().or(self.features.as_deref())
    }

    /// The class names, when the outputs are classes.
    pub fn classes(&self) -> Option<&[String]> {
        match &self.head {
            Some(Head::Classes(names)) => Some(names),
            Some(Head::Values(_)) | None => None,
        }
    }

    /// The target columns' names, when the outputs are values.
    pub fn targets(&self) -> Option<&[String]> {
        match &self.head {
            Some(Head::Values(names)) => Some(names),
            Some(Head::Classes(_)) | None => None,
        }
    }

    /// Reads and parses a model file; errors name the file and the JSON path at fault.
    pub fn load(path: &Path) -> Result<ModelFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::ModelFile {
            path: path.into(),
            at: "reading".into(),
            why: e.to_string(),
        })?;
        Self::parse(&text, path)
    }

    /// Parses model-file text; `path` is only for messages.
    pub fn parse(text: &str, path: &Path) -> Result<ModelFile> {
        crate::strict_json::parse(text, path)
    }

    /// The model it describes, checked by the rules of [`Model::from_layers`] and against the file's own
    /// fields (scaler, class and feature names); `path` is for messages.
    pub fn to_model(&self, path: &Path) -> Result<Model> {
        let fail = |at: String, why: String| Error::ModelFile { path: path.into(), at, why };
        let mut layers = Vec::new();
        for (i, entry) in self.layers.iter().enumerate() {
            layers.push(match entry {
                LayerFile::Dense { weights, bias } => {
                    let w_out_in = matrix(weights).map_err(|why| fail(format!("layers[{i}].weights"), why))?;
                    // A bias of the wrong length is `Model::checked`'s to find, after the chain.
                    let b = bias.as_ref().map(|b| Array2::from_shape_vec((1, b.len()), b.clone()).expect("1×len"));
                    ModelLayer::Dense { w_out_in, b }
                }
                LayerFile::Activation(a) => ModelLayer::Activation(*a),
                LayerFile::Softmax => ModelLayer::Softmax,
                LayerFile::Logsoftmax => ModelLayer::LogSoftmax,
            });
        }
        let model = Model::checked(layers).map_err(|f| fail(f.at, f.why))?;
        let (inputs, outputs) = (model.in_width(), model.out_width());
        // A scaler that does not fit the inputs would index out of bounds when applied.
        if let Some(s) = &self.scaler {
            s.check(inputs).map_err(|why| fail("scaler".into(), why))?;
        }
        // Names are looked up by index (a class) and by name (a CSV column for each input).
        if let Some(head) = &self.head
            && head.names().len() != outputs
        {
            let why = format!("{} names but the model has {outputs} outputs", head.names().len());
            return Err(fail(head.field().into(), why));
        }
        if let Some(f) = &self.features
            && f.len() != inputs
        {
            return Err(fail("features".into(), format!("{} names but the model takes {inputs} inputs", f.len())));
        }
        self.derived().map_err(|(at, why)| fail(at, why))?;
        // The saved run's optimizer keeps the rules of the options that set it (`explain` takes its
        // step size); a fault is the file's, named by its field, not by an option not given.
        if let Some(t) = &self.training {
            t.optimizer.check().map_err(|(field, e)| {
                let why = match e {
                    Error::Invalid { value: Some(v), why, .. } => format!("{v}: {why}"),
                    other => other.to_string(),
                };
                fail(format!("training.optimizer.{field}"), why)
            })?;
            if let Some(state) = &t.state {
                state.memory(&t.optimizer, &model).map_err(|(at, why)| fail(format!("training.state.{at}"), why))?;
            }
        }
        Ok(model)
    }
}

/// The one rule "this model fits these rows", for every job that puts a model to data
/// (training from a model file, explaining table rows): inputs against features, outputs
/// against targets, and the names the file was saved with (features, classes or target values)
/// against the data's. Run on the raw data, before any scaling: a scaler applied to rows of the
/// wrong width would index out of bounds. `file` is the model's file, when it has one; `data`
/// is called `data_name` in the message ("the data", "Iris"). `None` when it fits, else why not.
pub fn misfit(model: &Model, file: Option<&ModelFile>, data: &Dataset, data_name: &str) -> Option<String> {
    let features = data.feature_names.len();
    // A model on feature inputs reads the columns its features are computed from.
    let columns = file.and_then(|f| f.columns.as_ref());
    if let Some(columns) = columns
        && columns != &data.feature_names
    {
        return Some(format!(
            "the model's features ({}) are computed from the columns {} but {data_name}'s are {}",
            file.and_then(|f| f.features.as_ref()).map(|f| f.join(", ")).unwrap_or_default(),
            columns.join(", "),
            data.feature_names.join(", ")
        ));
    }
    if columns.is_none() && model.in_width() != features {
        return Some(format!(
            "the model takes {} inputs but {data_name} has {features} features ({})",
            model.in_width(),
            data.feature_names.join(", ")
        ));
    }
    if model.out_width() != data.target.width() {
        return Some(format!(
            "the model has {} outputs but {data_name} has {} ({})",
            model.out_width(),
            data.target.phrase(),
            data.target.names().join(", ")
        ));
    }
    let file = file?;
    let (kind, order) = match &data.target {
        Targets::Classes { .. } => ("classes", " of first appearance"),
        Targets::Values { .. } => ("target values", " of --label"),
    };
    match &file.head {
        Some(head) if head.kind() != data.target.kind() => {
            return Some(format!(
                "the model's outputs are {} ({}) but {data_name}'s targets are {kind}",
                if kind == "classes" { "target values" } else { "classes" },
                head.names().join(", ")
            ));
        }
        Some(head) if head.names() != data.target.names() => {
            return Some(format!(
                "the model's {kind} are {} but {data_name}'s are {} (in order{order})",
                head.names().join(", "),
                data.target.names().join(", ")
            ));
        }
        Some(_) | None => {}
    }
    if let Some(names) = &file.features
        && file.columns.is_none()
        && names != &data.feature_names
    {
        return Some(format!(
            "the model's features are {} but {data_name}'s are {}",
            names.join(", "),
            data.feature_names.join(", ")
        ));
    }
    None
}

impl ModelFile {
    /// [`misfit`] for a model read from `path`, as an error naming the file.
    pub fn check_fits(&self, path: &Path, model: &Model, data: &Dataset) -> Result<()> {
        match misfit(model, Some(self), data, "the data") {
            None => Ok(()),
            Some(why) => Err(Error::Misfit { path: path.into(), why }),
        }
    }
}

/// A rectangular matrix, or why not (emptiness is [`Model::checked`]'s to find).
fn matrix(rows: &[Vec<f64>]) -> std::result::Result<Array2<f64>, String> {
    let cols = rows.first().map_or(0, Vec::len);
    if let Some(r) = rows.iter().position(|row| row.len() != cols) {
        return Err(format!("row {r} has {} numbers but row 0 has {cols}", rows[r].len()));
    }
    Ok(Array2::from_shape_vec((rows.len(), cols), rows.concat()).expect("rectangular"))
}

impl Model {
    /// Reads a model file: the model and the file's other fields.
    pub fn load(path: &Path) -> Result<(Model, ModelFile)> {
        let file = ModelFile::load(path)?;
        Ok((file.to_model(path)?, file))
    }

    /// The model file's layers (weights rows = output units).
    pub fn to_file(&self) -> ModelFile {
        let layers = self
            .layers
            .iter()
            .map(|layer| match layer {
                ModelLayer::Dense { w_out_in, b } => LayerFile::Dense {
                    weights: w_out_in.rows().into_iter().map(|r| r.to_vec()).collect(),
                    bias: b.as_ref().map(|b| b.iter().copied().collect()),
                },
                ModelLayer::Activation(a) => LayerFile::Activation(*a),
                ModelLayer::Softmax => LayerFile::Softmax,
                ModelLayer::LogSoftmax => LayerFile::Logsoftmax,
            })
            .collect();
        ModelFile { layers, head: None, features: None, columns: None, scaler: None, training: None }
    }
}
