//! A model: a flat list of layers, each holding its own parameters. The engines (tape, hand,
//! compiled) walk this list; stax's `(init, apply)` layers ([`crate::layers`]) only build one.
//!
//! Generic over the parameters' type `T` as [`Params`] is: `Array2<f64>` (the default), another
//! float type for the hand path (`Array2<f32>`, via [`Model::cast`]), or handles on a tape.
//!
//! # Shapes
//! A dense layer's weights are `w_out_in` (out×in, rows = output units, as the blog writes W)
//! and its bias 1×out.

use crate::activation::Activation;
use crate::error::{Error, Result, Setting, shape};
use crate::layers::{Layer, ModelLayer, Params};
use ndarray::Array2;
use num_traits::Float;

/// Layers applied one after another, each with its parameters, checked to chain (see
/// [`Model::from_layers`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Model<T = Array2<f64>> {
    /// In order, input first.
    pub layers: Vec<ModelLayer<T>>,
}

/// Builds a model layer by layer: `Model::builder().dense(w, None).activation(Sigmoid).build()`.
#[derive(Debug, Clone, Default)]
pub struct ModelBuilder {
    layers: Vec<ModelLayer>,
}

impl ModelBuilder {
    /// A dense layer with weights W (out×in) and an optional 1×out bias.
    pub fn dense(mut self, w_out_in: Array2<f64>, b: Option<Array2<f64>>) -> Self {
        self.layers.push(ModelLayer::Dense { w_out_in, b });
        self
    }

    /// A dense layer with its bias given as a row of numbers.
    pub fn dense_with_bias(self, w_out_in: Array2<f64>, b: &[f64]) -> Self {
        let b = Array2::from_shape_vec((1, b.len()), b.to_vec()).expect("1×len");
        self.dense(w_out_in, Some(b))
    }

    /// An elementwise activation.
    pub fn activation(mut self, a: Activation) -> Self {
        self.layers.push(ModelLayer::Activation(a));
        self
    }

    /// A softmax output layer.
    pub fn softmax(mut self) -> Self {
        self.layers.push(ModelLayer::Softmax);
        self
    }

    /// A log-softmax output layer.
    pub fn log_softmax(mut self) -> Self {
        self.layers.push(ModelLayer::LogSoftmax);
        self
    }

    /// The model, held to the rules of [`Model::from_layers`].
    pub fn build(self) -> Result<Model> {
        Model::from_layers(self.layers)
    }
}

/// A rule of a model broken: where (a path such as `layers[2].weights`, as a model file's JSON
/// path would say) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// The JSON-style path of the part at fault.
    pub at: String,
    /// What is wrong with it.
    pub why: String,
}

impl Fault {
    fn new(at: impl Into<String>, why: impl Into<String>) -> Fault {
        Fault { at: at.into(), why: why.into() }
    }

    /// As a library error about a model built in code: `model: layers[1]: …`.
    pub fn into_error(self) -> Error {
        Error::invalid(Setting::Model, format!("{}: {}", self.at, self.why))
    }
}

impl Model {
    /// An empty builder.
    pub fn builder() -> ModelBuilder {
        ModelBuilder::default()
    }

    /// A model from its layers, held to the rules of a model file: each dense layer's weights
    /// non-empty and chaining from the previous dense layer's outputs, its bias 1×out, at least
    /// one dense layer, a softmax or log-softmax only as the last layer. (Which last layer a loss
    /// needs is the loss's rule, [`crate::loss::Loss::check_output`].) The engines and the trace
    /// rely on these without checking again.
    pub fn from_layers(layers: Vec<ModelLayer>) -> Result<Model> {
        Model::checked(layers).map_err(Fault::into_error)
    }

    /// The rules of [`Model::from_layers`], with the fault's place for a file's message.
    pub fn checked(layers: Vec<ModelLayer>) -> std::result::Result<Model, Fault> {
        if layers.is_empty() {
            return Err(Fault::new("layers", "the model has no layers"));
        }
        let mut width: Option<(usize, usize)> = None; // (layer index, its output width)
        for (i, layer) in layers.iter().enumerate() {
            if layer.is_softmax() && i + 1 != layers.len() {
                return Err(Fault::new(format!("layers[{i}]"), "softmax may only be the last layer"));
            }
            let ModelLayer::Dense { w_out_in, b } = layer else { continue };
            let (out, inp) = w_out_in.dim();
            let at_w = format!("layers[{i}].weights");
            if out == 0 || inp == 0 {
                return Err(Fault::new(at_w, format!("the weight matrix is empty {}", shape((out, inp)))));
            }
            if let Some((j, prev)) = width
                && prev != inp
            {
                return Err(Fault::new(at_w, format!("takes {inp} inputs but layers[{j}] gives {prev} outputs")));
            }
            let at_b = format!("layers[{i}].bias");
            match b {
                Some(b) if b.nrows() == 1 && b.ncols() != out => {
                    return Err(Fault::new(
                        at_b,
                        format!("has {} numbers but the weights have {out} rows (output units)", b.ncols()),
                    ));
                }
                Some(b) if b.dim() != (1, out) => {
                    return Err(Fault::new(at_b, format!("is {} but a bias is {}", shape(b.dim()), shape((1, out)))));
                }
                _ => {}
            }
            width = Some((i, out));
        }
        if width.is_none() {
            return Err(Fault::new("layers", "the model has no dense layer"));
        }
        Ok(Model { layers })
    }

    /// A softmax over one output is always 1 (e^z/e^z), so its loss is 0 and its gradient 0 whatever
    /// the weights: training cannot change it, and refuses it with this fault. It is still a
    /// model: `explain` shows why one class cannot learn, a fair question.
    pub fn one_class_softmax(&self) -> Option<Fault> {
        (self.out_width() < 2 && self.last().is_softmax()).then(|| {
            Fault::new(
                format!("layers[{}]", self.layers.len() - 1),
                "a softmax over one class is always 1 and cannot learn: 2 classes at least",
            )
        })
    }

    /// A model from stax's `serial([...])` and its parameters (as `init` gives them): besides
    /// the rules of [`Model::from_layers`], the layers must be flat, each dense layer's weights
    /// must have the rows it declares (`Dense(3)`), a bias exactly when it is declared with one,
    /// and no other layer may have parameters.
    pub fn new(model: Layer, params: Params) -> Result<Model> {
        let (Layer::Serial(layers), Params::Serial(params)) = (model, params) else {
            return Err(Error::invalid(Setting::Model, "a model is serial([...]) with its parameters"));
        };
        if layers.len() != params.len() {
            return Err(Fault::new(
                "layers",
                format!("{} layers but {} parameter entries: one per layer is needed", layers.len(), params.len()),
            )
            .into_error());
        }
        let flat = layers.into_iter().zip(params).enumerate().map(|(i, (layer, p))| {
            let at = format!("layers[{i}]");
            Ok(match (layer, p) {
                (Layer::Dense(d), Params::Dense { w_out_in, b }) => {
                    if d.out != w_out_in.nrows() {
                        let why =
                            format!("has {} rows (output units) but the layer is Dense({})", w_out_in.nrows(), d.out);
                        return Err(Fault::new(format!("{at}.weights"), why));
                    }
                    match (&b, d.bias) {
                        (Some(_), false) => {
                            return Err(Fault::new(
                                format!("{at}.bias"),
                                "the layer is declared without a bias but has one",
                            ));
                        }
                        (None, true) => {
                            return Err(Fault::new(
                                format!("{at}.bias"),
                                "the layer is declared with a bias but has none",
                            ));
                        }
                        _ => {}
                    }
                    ModelLayer::Dense { w_out_in, b }
                }
                (Layer::Dense(_), _) => return Err(Fault::new(at, "a dense layer needs its weights (Params::Dense)")),
                (Layer::Serial(_), _) => {
                    return Err(Fault::new(at, "the layers must be flat: no serial inside the serial"));
                }
                (Layer::Activation(a), Params::None) => ModelLayer::Activation(a),
                (Layer::Softmax, Params::None) => ModelLayer::Softmax,
                (Layer::LogSoftmax, Params::None) => ModelLayer::LogSoftmax,
                (other, _) => {
                    return Err(Fault::new(
                        at,
                        format!("a {} layer has no parameters, but it was given some", other.kind()),
                    ));
                }
            })
        });
        let layers = flat.collect::<std::result::Result<Vec<_>, Fault>>().map_err(Fault::into_error)?;
        Model::from_layers(layers)
    }

    /// The blog's shape of model, `serial(Dense(k), Softmax)`, with these weights (k×n) and an
    /// optional 1×k bias.
    pub fn single_dense(w_out_in: Array2<f64>, b: Option<Array2<f64>>) -> Result<Model> {
        Model::builder().dense(w_out_in, b).softmax().build()
    }

    /// stax's `init` of `model` for `in_width` inputs, kept as a [`Model`].
    pub fn init<R: rand::Rng + ?Sized>(model: Layer, rng: &mut R, in_width: usize) -> Result<Model> {
        let (_, params) = model.init(rng, in_width);
        Model::new(model, params)
    }

    /// Every parameter as stax's tree, `Params::Serial` with one entry per layer: what the
    /// optimizers step and the gradients come back as.
    pub fn params(&self) -> Params {
        Params::Serial(self.layers.iter().map(ModelLayer::params).collect())
    }

    /// The model with other parameters of the same shape (after an update).
    ///
    /// # Panics
    /// If `params` is not shaped like [`Model::params`]: a caller's bug.
    pub fn with_params(&self, params: &Params) -> Model {
        let layers = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, layer)| match (layer, params.layer(i)) {
                (ModelLayer::Dense { .. }, Params::Dense { w_out_in, b }) => {
                    ModelLayer::Dense { w_out_in: w_out_in.clone(), b: b.clone() }
                }
                (ModelLayer::Dense { .. }, _) => panic!("Model::with_params: layer {i} needs dense parameters"),
                (other, _) => other.clone(),
            })
            .collect();
        Model { layers }
    }

    /// The same model with its parameters in another float type (f32 for a fast engine).
    pub fn cast<G: Float + 'static>(&self) -> Model<Array2<G>> {
        Model { layers: self.layers.iter().map(|l| l.map(&mut |a| a.mapv(|v| G::from(v).expect("a float")))).collect() }
    }
}

impl<F> Model<Array2<F>> {
    /// The dense layers' (index, weights, bias), in order.
    pub fn dense_layers(&self) -> impl Iterator<Item = (usize, &Array2<F>, Option<&Array2<F>>)> {
        self.layers.iter().enumerate().filter_map(|(i, l)| match l {
            ModelLayer::Dense { w_out_in, b } => Some((i, w_out_in, b.as_ref())),
            _ => None,
        })
    }

    /// How many numbers one input sample has.
    pub fn in_width(&self) -> usize {
        self.dense_layers().next().map_or(0, |(_, w, _)| w.ncols())
    }

    /// How many outputs (classes, or regression targets) the model has.
    pub fn out_width(&self) -> usize {
        self.dense_layers().last().map_or(0, |(_, w, _)| w.nrows())
    }

    /// The last layer.
    pub fn last(&self) -> &ModelLayer<Array2<F>> {
        self.layers.last().expect("a model has layers")
    }

    /// How many numbers the parameters hold.
    pub fn param_count(&self) -> usize {
        self.dense_layers().map(|(_, w, b)| w.len() + b.map_or(0, Array2::len)).sum()
    }
}
