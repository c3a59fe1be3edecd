//! A fresh model's architecture ([`ModelSpec`]): hidden widths, activation, bias, initialiser
//! and last layer, built into a [`Model`] with stax's initialisers from a seeded generator.

use super::Model;
use crate::activation::Activation;
use crate::error::{Error, Result, Setting};
use crate::layers::{Dense, Init, Layer, Softmax, serial};
use crate::loss::Loss;
use rand::Rng;

/// A fresh model's last layer, after its last dense layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLayer {
    /// Class probabilities (stax's `Softmax`).
    Softmax,
    /// An activation of each output unit; `identity` leaves the dense layer last (linear outputs,
    /// the usual choice for regression).
    Activation(Activation),
}

impl OutputLayer {
    /// What `--output-layer` takes: `softmax` and every activation's name.
    pub fn names() -> Vec<&'static str> {
        std::iter::once("softmax").chain(Activation::ALL.iter().map(|a| a.name())).collect()
    }

    /// The layer called `name`.
    pub fn from_name(name: &str) -> Result<OutputLayer> {
        match name {
            "softmax" => Ok(OutputLayer::Softmax),
            other => other
                .parse()
                .map(OutputLayer::Activation)
                .map_err(|why| Error::invalid_value(Setting::OutputLayer, other, why)),
        }
    }

    /// Its name, as [`OutputLayer::from_name`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            OutputLayer::Softmax => "softmax",
            OutputLayer::Activation(a) => a.name(),
        }
    }

    /// The output a fresh model gets for targets of `kind`: probabilities for classes, the
    /// dense layer's own values (identity) for values.
    pub fn default_for(kind: crate::data::TargetKind) -> OutputLayer {
        match kind {
            crate::data::TargetKind::Classes => OutputLayer::Softmax,
            crate::data::TargetKind::Values => OutputLayer::Activation(Activation::Identity),
        }
    }

    fn layer(self) -> Option<Layer> {
        match self {
            OutputLayer::Softmax => Some(Softmax),
            OutputLayer::Activation(Activation::Identity) => None,
            OutputLayer::Activation(a) => Some(Layer::Activation(a)),
        }
    }
}

/// A fresh model's architecture: `serial(Dense(h1), act, …, Dense(outputs), output)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// Hidden layer widths; empty for the blog's model.
    pub hidden: Vec<usize>,
    /// The hidden layers' activation.
    pub activation: Activation,
    /// A bias in every dense layer (stax's default); the blog's hand calculation has none.
    pub bias: bool,
    /// How the weights are drawn.
    pub init: Init,
    /// The last layer.
    pub output: OutputLayer,
}

/// `gradlens train`'s model with no options: the blog's `serial(Dense(k), Softmax)` with a bias,
/// glorot-initialised (hidden layers, when added, take tanh).
impl Default for ModelSpec {
    fn default() -> Self {
        ModelSpec {
            hidden: Vec::new(),
            activation: Activation::Tanh,
            bias: true,
            init: Init::GlorotNormal,
            output: OutputLayer::Softmax,
        }
    }
}

impl ModelSpec {
    /// The layers for `outputs` outputs (classes or target values), parameters drawn from `rng`
    /// for `in_width` inputs.
    pub fn build<R: Rng + ?Sized>(&self, in_width: usize, outputs: usize, rng: &mut R) -> Result<Model> {
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            let widths: Vec<String> = self.hidden.iter().map(usize::to_string).collect();
            return Err(Error::invalid_value(
                Setting::Hidden,
                widths.join(","),
                format!("layer {} has 0 units", i + 1),
            ));
        }
        let widths: Vec<usize> =
            std::iter::once(in_width).chain(self.hidden.iter().copied()).chain([outputs]).collect();
        crate::limits::dense_chain(&widths, self.bias)?;
        let dense = |out: usize| {
            let d = Dense(out).with_init(self.init);
            if self.bias { d } else { d.without_bias() }
        };
        let mut layers = Vec::new();
        for &h in &self.hidden {
            layers.push(dense(h));
            layers.push(Layer::Activation(self.activation));
        }
        layers.push(dense(outputs));
        layers.extend(self.output.layer());
        Model::init(serial(layers), rng, in_width)
    }

    /// [`ModelSpec::build`] for a run with `loss`: a cross-entropy run needs a softmax output,
    /// and the error names the output layer asked for.
    pub fn build_for<R: Rng + ?Sized>(
        &self,
        in_width: usize,
        outputs: usize,
        loss: Loss,
        rng: &mut R,
    ) -> Result<Model> {
        let model = self.build(in_width, outputs, rng)?;
        loss.check_output(&model).map_err(|f| Error::invalid_value(Setting::OutputLayer, self.output.name(), f.why))?;
        Ok(model)
    }
}
