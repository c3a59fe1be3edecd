//! A model — a flat list of layers, each with its parameters ([`Model`], in `model/network.rs`)
//! — and its JSON file:
//!
//! ```json
//! {"layers": [{"type": "dense", "weights": [[…], …], "bias": […] or null},
//!             {"type": "tanh"}, …, {"type": "softmax"}]}
//! ```
//! Weights are written rows = output units (`w_out_in`, as the blog writes W; JAX's stax keeps
//! the transpose). Unknown fields are ignored, so `train` can add what prediction needs (class
//! and feature names, the fitted scaler) to the same file.

pub(crate) mod network;
mod saved;
mod spec;

pub use crate::layers::ModelLayer;
pub use network::{Fault, Model, ModelBuilder};
pub use saved::{DenseNumbers, Head, LayerFile, ModelFile, StateFile, TrainingRecord, misfit};
pub use spec::{ModelSpec, OutputLayer};
