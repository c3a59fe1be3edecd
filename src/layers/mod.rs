//! Layers in the manner of `jax.example_libraries.stax`.
//!
//! # The contract
//! Every layer is a pair of functions:
//! - `init(rng, in_width) -> (out_width, params)`: given the width of its input, a layer says the
//!   width of its output and draws its parameters from the generator it is handed;
//! - `apply(tape, params, x) -> y`: records the layer's forward computation on a [`Tape`].
//!
//! Constructors are CamelCase as in stax (`Dense(3)`, `Relu`, `Softmax`), combinators snake_case
//! (`serial`). Parameters come back as a [`Params`] tree shaped like the model, and so do their
//! gradients (see `engine::tape`). A [`crate::model::Model`] is the flat list these build.
//!
//! # Shapes
//! Activations are m×n (m samples); a dense layer's weights are `w_out_in` (out×in, rows = output
//! units, as the blog writes W) and its bias `b` is 1×out.
//!
//! ```
//! use gradlens::layers::{serial, Dense, Softmax, Init};
//! use rand::SeedableRng;
//! let model = serial([Dense(3).without_bias().with_init(Init::UNIFORM), Softmax]);
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let (out_width, params) = model.init(&mut rng, 4);
//! assert_eq!(out_width, 3);
//! assert_eq!(params.layer(0).weights().unwrap().dim(), (3, 4));
//! ```

mod init;
mod model_layer;
mod params;

pub use Layer::{LogSoftmax, Softmax};
pub use init::Init;
pub use model_layer::{ModelLayer, record};
pub use params::Params;

use crate::activation::Activation;
use crate::autodiff::{Tape, Var};
use crate::error::{Error, Result, Setting};
use rand::Rng;

/// One layer of a model.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// A fully connected layer; see [`Dense`].
    Dense(DenseLayer),
    /// An elementwise activation; every one is defined in [`crate::activation`].
    Activation(Activation),
    /// ŷ = softmax(z), row by row: the probabilities.
    Softmax,
    /// ln softmax(z): the log-probabilities.
    LogSoftmax,
    /// Layers one after another (stax's `serial`); a [`crate::model::Model`] keeps them flat.
    Serial(Vec<Layer>),
}

/// A dense layer's settings: its width, whether it has a bias, and how `init` draws them.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseLayer {
    /// Output units.
    pub out: usize,
    /// Whether the layer adds a bias.
    pub bias: bool,
    /// How `init` draws the weights.
    pub w_init: Init,
    /// How `init` draws the bias.
    pub b_init: Init,
}

/// A fully connected layer with `out` units: `x·Wᵀ + b`. With a bias, as in stax; the blog's
/// hand calculation uses `.without_bias()`.
#[allow(non_snake_case)]
pub fn Dense(out: usize) -> Layer {
    Layer::Dense(DenseLayer { out, bias: true, w_init: Init::GlorotNormal, b_init: Init::Normal { std: 1e-2 } })
}

/// stax's `Relu`.
#[allow(non_upper_case_globals)]
pub const Relu: Layer = Layer::Activation(Activation::Relu);
/// stax's `LeakyRelu` (slope 0.01 below 0).
#[allow(non_upper_case_globals)]
pub const LeakyRelu: Layer = Layer::Activation(Activation::LeakyRelu);
/// stax's `Tanh`.
#[allow(non_upper_case_globals)]
pub const Tanh: Layer = Layer::Activation(Activation::Tanh);
/// stax's `Sigmoid`.
#[allow(non_upper_case_globals)]
pub const Sigmoid: Layer = Layer::Activation(Activation::Sigmoid);
/// stax's `Softplus`.
#[allow(non_upper_case_globals)]
pub const Softplus: Layer = Layer::Activation(Activation::Softplus);
/// stax's `Identity`: a linear layer after a dense one.
#[allow(non_upper_case_globals)]
pub const Identity: Layer = Layer::Activation(Activation::Identity);

/// Layers applied one after another, the output of each the input of the next.
pub fn serial(layers: impl IntoIterator<Item = Layer>) -> Layer {
    Layer::Serial(layers.into_iter().collect())
}

impl Layer {
    /// A dense layer without its bias; any other layer is returned as it is.
    pub fn without_bias(self) -> Layer {
        match self {
            Layer::Dense(d) => Layer::Dense(DenseLayer { bias: false, ..d }),
            other => other,
        }
    }

    /// A dense layer drawing its weights from `init` (and its bias too, unless `init` is glorot,
    /// which is defined for matrices only: the bias then keeps stax's N(0, 0.01²)); any other
    /// layer is returned as it is.
    pub fn with_init(self, init: Init) -> Layer {
        match self {
            Layer::Dense(d) => {
                let b_init = if init == Init::GlorotNormal { d.b_init } else { init };
                Layer::Dense(DenseLayer { w_init: init, b_init, ..d })
            }
            other => other,
        }
    }

    /// The lower-case name used in model files and explanations.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "dense",
            Layer::Activation(a) => a.name(),
            Layer::Softmax => "softmax",
            Layer::LogSoftmax => "logsoftmax",
            Layer::Serial(_) => "serial",
        }
    }

    /// stax's `init_fun`.
    pub fn init<R: Rng + ?Sized>(&self, rng: &mut R, in_width: usize) -> (usize, Params) {
        match self {
            Layer::Dense(d) => {
                let w_out_in = d.w_init.sample(rng, (d.out, in_width));
                let b = d.bias.then(|| d.b_init.sample(rng, (1, d.out)));
                (d.out, Params::Dense { w_out_in, b })
            }
            Layer::Serial(layers) => {
                let mut width = in_width;
                let params = layers
                    .iter()
                    .map(|layer| {
                        let (out, p) = layer.init(rng, width);
                        width = out;
                        p
                    })
                    .collect();
                (width, Params::Serial(params))
            }
            _ => (in_width, Params::None),
        }
    }

    /// stax's `apply_fun`, recorded on `tape` by [`record`].
    ///
    /// # Shapes
    /// `x`: m×in → m×out.
    pub fn apply(&self, tape: &mut Tape, params: &Params<Var>, x: Var) -> Result<Var> {
        let mismatch = || {
            Error::invalid(
                Setting::Model,
                format!("a {} layer's parameters do not have the layer's structure", self.kind()),
            )
        };
        let layer = match (self, params) {
            (Layer::Serial(layers), Params::Serial(ps)) if layers.len() == ps.len() => {
                return layers.iter().zip(ps).try_fold(x, |h, (layer, p)| layer.apply(tape, p, h));
            }
            (Layer::Dense(_), Params::Dense { w_out_in, b }) => ModelLayer::Dense { w_out_in: *w_out_in, b: *b },
            (Layer::Activation(a), Params::None) => ModelLayer::Activation(*a),
            (Layer::Softmax, Params::None) => ModelLayer::Softmax,
            (Layer::LogSoftmax, Params::None) => ModelLayer::LogSoftmax,
            _ => return Err(mismatch()),
        };
        record(tape, &layer, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use rand::SeedableRng;

    /// As JAX's stax tests do: for every kind of layer, the width `init` announces is the width
    /// `apply` gives, on a batch of 2 samples of 4 inputs.
    #[test]
    fn init_announces_the_width_apply_gives() {
        let mut kinds = vec![Dense(3), Dense(3).without_bias(), Softmax, LogSoftmax];
        kinds.extend(Activation::ALL.map(Layer::Activation));
        kinds.push(serial([Dense(5), Tanh, Dense(2), Softmax]));
        for layer in kinds {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
            let (width, params) = layer.init(&mut rng, 4);
            let mut tape = Tape::new();
            let x = tape.leaf(ndarray::Array2::from_elem((2, 4), 0.5));
            let params = params.map(&mut |a| tape.leaf(a.clone()));
            let y = layer.apply(&mut tape, &params, x).expect("apply");
            assert_eq!(tape.shape(y), (2, width), "{}", layer.kind());
        }
    }
}
