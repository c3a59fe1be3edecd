//! The engines: the ways gradlens computes a model's loss and its gradient, side by side.
//!
//! - [`tape`]: reverse-mode autodiff on a recorded tape, float64. It keeps every intermediate
//!   value, so `explain` and the training trace read their numbers off it.
//! - [`hand`]: the chain rule written out by hand, no tape, generic over the float type (f32 and
//!   f64). `--api custom` trains with it; prediction and accuracy use its forward pass.
//! - [`compiled`]: the fast engine (a fixed step plan over preallocated buffers), the default of
//!   `train` and `predict`.
//! - [`training`]: what a training loop on any engine takes and gives (settings, observer,
//!   result).
//!
//! All read the model ([`crate::model::Model`]), its activations ([`crate::activation`]) and its
//! loss ([`crate::loss::Loss`]) from the same definitions, and are checked against each other
//! and against finite differences (`tests/gradients.rs`, `tests/engine.rs`).

pub mod compiled;
pub mod hand;
pub mod tape;
pub mod training;

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::Float;
use std::fmt::Debug;

/// A float type an engine computes in: f32 or f64.
pub trait Real: Float + LinalgScalar + ScalarOperand + Debug + Send + Sync + 'static {}

impl Real for f32 {}
impl Real for f64 {}
