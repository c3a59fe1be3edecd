//! gradlens: how a neural network's weights change during backpropagation, number by number.
//!
//! The modules follow one weight update from start to end:
//! - [`data`]: Iris (embedded) or a CSV, scaled and split;
//! - [`autodiff`]: the tape and its primitive ops, one file each;
//! - [`layers`]: stax-style layers, `(init, apply)` pairs and `serial`;
//! - [`loss`]: cross-entropy in a chosen log base, through log-sum-exp;
//! - [`backward`]: loss and gradient of a model by the tape;
//! - [`custom`]: the blog's hand-derived softmax regression, a separate path checked against the tape;
//! - [`update`]: optimizers in the manner of `jax.example_libraries.optimizers`;
//! - [`model`]: a model (layers and parameters) and its JSON file;
//! - [`trace`]: one update step as data, every intermediate number;
//! - [`render`]: the trace as text, Markdown or JSON.

pub mod autodiff;
pub mod backward;
pub mod custom;
pub mod data;
pub mod error;
pub mod layers;
pub mod loss;
pub mod model;
pub mod render;
pub mod trace;
pub mod update;

pub use error::{Error, Result};
