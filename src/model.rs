//! A model — a serial stack of layers with its parameters — and its JSON file:
//!
//! ```json
//! {"layers": [{"type": "dense", "weights": [[…], …], "bias": […] or null},
//!             {"type": "tanh"}, …, {"type": "softmax"}]}
//! ```
//! Weights are written rows = output units (`w_out_in`, as the blog writes W; JAX's stax keeps
//! the transpose). Unknown fields are ignored, so `train` can add what prediction needs (class
//! and feature names, the fitted scaler) to the same file.

use crate::data::Scaler;
use crate::error::{Error, Result, shape};
use crate::layers::{Dense, Init, Layer, Params, Softmax, serial};
use crate::loss::LogBase;
use crate::update::Optimizer;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The layers of a serial model and their parameters, checked to chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub layers: Vec<Layer>,
    /// `Params::Serial`, one entry per layer.
    pub params: Params,
}

/// The model file as JSON sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelFile {
    pub layers: Vec<LayerFile>,
    /// Class names in output-unit order; written by `train --save`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
    /// Feature names in input order; written by `train --save`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// The scaling fitted on the training rows, applied to every input before the first layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaler: Option<Scaler>,
    /// How the model was trained; `explain` takes its step size and log base from here, so
    /// "one more step" is a step of the same run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingRecord>,
}

/// The settings of the run that saved a model (`train --save`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrainingRecord {
    pub optimizer: Optimizer,
    pub log_base: LogBase,
    pub epochs: usize,
}

/// Deserialised by hand (below) so that an error inside a layer keeps its JSON path.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum LayerFile {
    Dense { weights: Vec<Vec<f64>>, bias: Option<Vec<f64>> },
    Relu,
    Tanh,
    Sigmoid,
    Softmax,
    Logsoftmax,
}

/// A layer's `type`.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum LayerType {
    Dense,
    Relu,
    Tanh,
    Sigmoid,
    Softmax,
    #[serde(alias = "log_softmax")]
    Logsoftmax,
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
                    LayerType::Relu => LayerFile::Relu,
                    LayerType::Tanh => LayerFile::Tanh,
                    LayerType::Sigmoid => LayerFile::Sigmoid,
                    LayerType::Softmax => LayerFile::Softmax,
                    LayerType::Logsoftmax => LayerFile::Logsoftmax,
                })
            }
        }
        d.deserialize_map(Fields)
    }
}

impl ModelFile {
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

    /// The model it describes, checked by the rules of [`Model::new`] and against the file's own
    /// fields (scaler, class and feature names); `path` is for messages.
    pub fn to_model(&self, path: &Path) -> Result<Model> {
        let fail = |at: String, why: String| Error::ModelFile { path: path.into(), at, why };
        let mut layers = Vec::new();
        let mut params = Vec::new();
        for (i, entry) in self.layers.iter().enumerate() {
            let (layer, p) = match entry {
                LayerFile::Dense { weights, bias } => {
                    let w_out_in = matrix(weights).map_err(|why| fail(format!("layers[{i}].weights"), why))?;
                    let out = w_out_in.nrows();
                    // A bias of the wrong length is `Model::checked`'s to find, after the chain.
                    let b = bias.as_ref().map(|b| Array2::from_shape_vec((1, b.len()), b.clone()).expect("1×len"));
                    let layer = Dense(out).with_init(Init::Zeros);
                    let layer = if b.is_some() { layer } else { layer.without_bias() };
                    (layer, Params::Dense { w_out_in, b })
                }
                LayerFile::Relu => (Layer::Relu, Params::None),
                LayerFile::Tanh => (Layer::Tanh, Params::None),
                LayerFile::Sigmoid => (Layer::Sigmoid, Params::None),
                LayerFile::Softmax => (Layer::Softmax, Params::None),
                LayerFile::Logsoftmax => (Layer::LogSoftmax, Params::None),
            };
            layers.push(layer);
            params.push(p);
        }
        let model = Model::checked(layers, params).map_err(|f| fail(f.at, f.why))?;
        let (inputs, outputs) = (model.in_width(), model.out_width());
        // A scaler that does not fit the inputs would index out of bounds when applied.
        if let Some(s) = &self.scaler {
            s.check(inputs).map_err(|why| fail("scaler".into(), why))?;
        }
        // Names are looked up by index (a class) and by name (a CSV column for each input).
        if let Some(c) = &self.classes
            && c.len() != outputs
        {
            return Err(fail("classes".into(), format!("{} names but the model has {outputs} outputs", c.len())));
        }
        if let Some(f) = &self.features
            && f.len() != inputs
        {
            return Err(fail("features".into(), format!("{} names but the model takes {inputs} inputs", f.len())));
        }
        Ok(model)
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

/// A rule of a model broken: where (a path such as `layers[2].weights`, as a model file's JSON
/// path would say) and why.
struct Fault {
    at: String,
    why: String,
}

impl Model {
    /// A model from `serial([...])` and its parameters (as `init` gives them), held to the rules
    /// of a model file: flat layers, each dense layer with weights that chain from the previous
    /// dense layer's outputs (and a 1×out bias if declared with one), no parameters on other
    /// layers, at least one dense layer, softmax or logsoftmax last and only last. The hand path
    /// and the trace rely on these without checking again.
    pub fn new(model: Layer, params: Params) -> Result<Model> {
        let (Layer::Serial(layers), Params::Serial(ps)) = (model, params) else {
            return Err(Error::invalid("model", "a model is serial([...]) with its parameters"));
        };
        Model::checked(layers, ps).map_err(|f| Error::invalid(format!("model: {}", f.at), f.why))
    }

    /// The rules of [`Model::new`], for models built in code and read from files alike.
    fn checked(layers: Vec<Layer>, params: Vec<Params>) -> std::result::Result<Model, Fault> {
        let fault = |at: String, why: String| Fault { at, why };
        if layers.is_empty() {
            return Err(fault("layers".into(), "the model has no layers".into()));
        }
        if layers.len() != params.len() {
            return Err(fault(
                "layers".into(),
                format!("{} layers but {} parameter entries: one per layer is needed", layers.len(), params.len()),
            ));
        }
        let mut width: Option<(usize, usize)> = None; // (layer index, its output width)
        for (i, (layer, p)) in layers.iter().zip(&params).enumerate() {
            match (layer, p) {
                (Layer::Dense(d), Params::Dense { w_out_in, b }) => {
                    let (out, inp) = w_out_in.dim();
                    let at_w = format!("layers[{i}].weights");
                    if out == 0 || inp == 0 {
                        return Err(fault(at_w, format!("the weight matrix is empty {}", shape((out, inp)))));
                    }
                    if let Some((j, prev)) = width
                        && prev != inp
                    {
                        return Err(fault(at_w, format!("takes {inp} inputs but layers[{j}] gives {prev} outputs")));
                    }
                    if d.out != out {
                        return Err(fault(
                            at_w,
                            format!("has {out} rows (output units) but the layer is Dense({})", d.out),
                        ));
                    }
                    let at_b = format!("layers[{i}].bias");
                    match b {
                        Some(b) if b.nrows() == 1 && b.ncols() != out => {
                            return Err(fault(
                                at_b,
                                format!("has {} numbers but the weights have {out} rows (output units)", b.ncols()),
                            ));
                        }
                        Some(b) if b.dim() != (1, out) => {
                            return Err(fault(
                                at_b,
                                format!("is {} but a bias is {}", shape(b.dim()), shape((1, out))),
                            ));
                        }
                        Some(_) if !d.bias => {
                            return Err(fault(at_b, "the layer is declared without a bias but has one".into()));
                        }
                        None if d.bias => {
                            return Err(fault(at_b, "the layer is declared with a bias but has none".into()));
                        }
                        _ => {}
                    }
                    width = Some((i, out));
                }
                (Layer::Dense(_), _) => {
                    return Err(fault(
                        format!("layers[{i}]"),
                        "a dense layer needs its weights (Params::Dense)".into(),
                    ));
                }
                (Layer::Serial(_), _) => {
                    return Err(fault(
                        format!("layers[{i}]"),
                        "the layers must be flat: no serial inside the serial".into(),
                    ));
                }
                (_, Params::None) => {}
                (other, _) => {
                    return Err(fault(
                        format!("layers[{i}]"),
                        format!("a {} layer has no parameters, but it was given some", other.kind()),
                    ));
                }
            }
        }
        if width.is_none() {
            return Err(fault("layers".into(), "the model has no dense layer".into()));
        }
        if !matches!(layers.last(), Some(Layer::Softmax | Layer::LogSoftmax)) {
            return Err(fault(
                format!("layers[{}]", layers.len() - 1),
                "the last layer must be softmax or logsoftmax".into(),
            ));
        }
        if let Some(i) = layers[..layers.len() - 1].iter().position(|l| matches!(l, Layer::Softmax | Layer::LogSoftmax))
        {
            return Err(fault(format!("layers[{i}]"), "softmax may only be the last layer".into()));
        }
        Ok(Model { layers, params: Params::Serial(params) })
    }

    /// The blog's shape of model, `serial(Dense(k), Softmax)`, with these weights (k×n) and an
    /// optional 1×k bias.
    pub fn single_dense(w_out_in: Array2<f64>, b: Option<Array2<f64>>) -> Result<Model> {
        let k = w_out_in.nrows();
        let dense = if b.is_some() { Dense(k) } else { Dense(k).without_bias() };
        Model::new(serial([dense, Softmax]), Params::Serial(vec![Params::Dense { w_out_in, b }, Params::None]))
    }

    /// `model.init(rng, in_width)`, kept as a [`Model`].
    pub fn init<R: rand::Rng + ?Sized>(model: Layer, rng: &mut R, in_width: usize) -> Result<Model> {
        let (_, params) = model.init(rng, in_width);
        Model::new(model, params)
    }

    /// Reads a model file: the model and the file's other fields.
    pub fn load(path: &Path) -> Result<(Model, ModelFile)> {
        let file = ModelFile::load(path)?;
        Ok((file.to_model(path)?, file))
    }

    /// The dense layers' (index, weights, bias), in order.
    pub fn dense_layers(&self) -> impl Iterator<Item = (usize, &Array2<f64>, Option<&Array2<f64>>)> {
        (0..self.layers.len()).filter_map(|i| {
            let p = self.params.layer(i);
            p.weights().map(|w| (i, w, p.bias()))
        })
    }

    /// How many numbers one input sample has.
    pub fn in_width(&self) -> usize {
        self.dense_layers().next().map_or(0, |(_, w, _)| w.ncols())
    }

    /// How many classes the model tells apart.
    pub fn out_width(&self) -> usize {
        self.dense_layers().last().map_or(0, |(_, w, _)| w.nrows())
    }

    /// The model with other parameters of the same shape (after an update).
    pub fn with_params(&self, params: Params) -> Model {
        Model { layers: self.layers.clone(), params }
    }

    /// The model file's layers (weights rows = output units).
    pub fn to_file(&self) -> ModelFile {
        let layers = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, layer)| match layer {
                Layer::Dense(_) => {
                    let p = self.params.layer(i);
                    let w = p.weights().expect("dense params");
                    LayerFile::Dense {
                        weights: w.rows().into_iter().map(|r| r.to_vec()).collect(),
                        bias: p.bias().map(|b| b.iter().copied().collect()),
                    }
                }
                Layer::Relu => LayerFile::Relu,
                Layer::Tanh => LayerFile::Tanh,
                Layer::Sigmoid => LayerFile::Sigmoid,
                Layer::Softmax => LayerFile::Softmax,
                Layer::LogSoftmax => LayerFile::Logsoftmax,
                Layer::Serial(_) => unreachable!("Model::new keeps the layers flat"),
            })
            .collect();
        ModelFile { layers, classes: None, features: None, scaler: None, training: None }
    }
}
