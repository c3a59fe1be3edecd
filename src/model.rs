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
use crate::error::{Error, Result};
use crate::layers::{Dense, Init, Layer, Params};
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
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let at = e.path().to_string();
            Error::ModelFile {
                path: path.into(),
                at: if at == "." { "top level".into() } else { at },
                why: e.into_inner().to_string(),
            }
        })
    }

    /// The model it describes, after checking that the layers chain; `path` is for messages.
    pub fn to_model(&self, path: &Path) -> Result<Model> {
        let fail = |at: String, why: String| Error::ModelFile { path: path.into(), at, why };
        if self.layers.is_empty() {
            return Err(fail("layers".into(), "the model has no layers".into()));
        }
        let mut layers = Vec::new();
        let mut params = Vec::new();
        let mut width: Option<(usize, usize)> = None; // (layer index, its output width)
        for (i, entry) in self.layers.iter().enumerate() {
            let (layer, p) = match entry {
                LayerFile::Dense { weights, bias } => {
                    let w_out_in = matrix(weights).map_err(|why| fail(format!("layers[{i}].weights"), why))?;
                    let (out, inp) = w_out_in.dim();
                    if let Some((j, prev)) = width
                        && prev != inp
                    {
                        return Err(fail(
                            format!("layers[{i}].weights"),
                            format!("takes {inp} inputs but layers[{j}] gives {prev} outputs"),
                        ));
                    }
                    width = Some((i, out));
                    let b = match bias {
                        None => None,
                        Some(b) if b.len() == out => Some(Array2::from_shape_vec((1, out), b.clone()).expect("1×out")),
                        Some(b) => {
                            return Err(fail(
                                format!("layers[{i}].bias"),
                                format!("has {} numbers but the weights have {out} rows (output units)", b.len()),
                            ));
                        }
                    };
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
        if width.is_none() {
            return Err(fail("layers".into(), "the model has no dense layer".into()));
        }
        // A scaler that does not fit the inputs would index out of bounds when applied.
        if let (Some(s), Some(Params::Dense { w_out_in, .. })) =
            (&self.scaler, params.iter().find(|p| p.weights().is_some()))
        {
            s.check(w_out_in.ncols()).map_err(|why| fail("scaler".into(), why))?;
        }
        if !matches!(layers.last(), Some(Layer::Softmax | Layer::LogSoftmax)) {
            return Err(fail(
                format!("layers[{}]", layers.len() - 1),
                "the last layer must be softmax or logsoftmax".into(),
            ));
        }
        if let Some(i) = layers[..layers.len() - 1].iter().position(|l| matches!(l, Layer::Softmax | Layer::LogSoftmax))
        {
            return Err(fail(format!("layers[{i}]"), "softmax may only be the last layer".into()));
        }
        Ok(Model { layers, params: Params::Serial(params) })
    }
}

/// A rectangular, non-empty matrix of finite numbers, or why not.
fn matrix(rows: &[Vec<f64>]) -> std::result::Result<Array2<f64>, String> {
    let cols = rows.first().map_or(0, Vec::len);
    if cols == 0 {
        return Err("the weight matrix is empty".into());
    }
    if let Some(r) = rows.iter().position(|row| row.len() != cols) {
        return Err(format!("row {r} has {} numbers but row 0 has {cols}", rows[r].len()));
    }
    Ok(Array2::from_shape_vec((rows.len(), cols), rows.concat()).expect("rectangular"))
}

impl Model {
    /// A model from `serial([...])` and its parameters (as `init` gives them). The layers must be
    /// flat (no serial inside the serial) and end in softmax or logsoftmax, as in a model file.
    pub fn new(model: Layer, params: Params) -> Result<Model> {
        let (Layer::Serial(layers), Params::Serial(ps)) = (model, params) else {
            return Err(Error::invalid("model", "a model is serial([...]) with its parameters"));
        };
        if layers.len() != ps.len() || layers.iter().any(|l| matches!(l, Layer::Serial(_))) {
            return Err(Error::invalid("model", "the layers must be flat and match their parameters"));
        }
        if !matches!(layers.last(), Some(Layer::Softmax | Layer::LogSoftmax)) {
            return Err(Error::invalid("model", "the last layer must be softmax or logsoftmax"));
        }
        Ok(Model { layers, params: Params::Serial(ps) })
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
        ModelFile { layers, classes: None, features: None, scaler: None }
    }
}
