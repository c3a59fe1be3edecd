//! Every default of a run, once: `gradlens train`'s options, the page's training settings and a
//! Rust caller's [`TrainSettings`](super::train::TrainSettings) all read them from here. The
//! blog's full-batch gradient descent, with a step size and epoch count that take Iris to 1.0
//! test accuracy at seed 0.
//!
//! A leaf module (it imports nothing), so the training loop can read it too.

/// α.
pub const LEARNING_RATE: f64 = 0.5;
/// Passes over the training rows.
pub const EPOCHS: usize = 1000;
/// Momentum's mass, as `jax.example_libraries.optimizers.momentum` is usually given it.
pub const MOMENTUM: f64 = 0.9;
/// The share of each class held out for testing.
pub const TEST_FRACTION: f64 = 0.2;
/// Seeds the split, the initial weights and the shuffles.
pub const SEED: u64 = 0;
/// The optimizer, by name.
pub const OPTIMIZER: &str = "sgd";
/// The feature scaling, by name.
pub const SCALE: &str = "standard";
/// The hidden layers' activation, by name.
pub const ACTIVATION: &str = "tanh";
/// How a fresh model's weights are drawn, by name (stax's default).
pub const INIT: &str = "glorot";
/// Dense layers with a bias (stax's default).
pub const BIAS: bool = true;
/// A new order of the training rows every epoch.
pub const SHUFFLE: bool = true;
/// How many times its first epoch's loss a run's last loss may be before the run counts as
/// diverged (the loss of a run that learns goes down).
pub const DIVERGED_GROWTH: f64 = 1000.0;

/// The version of every JSON document the program writes (`"schema": 1`), so that a later
/// change of fields can be announced.
pub const SCHEMA: u32 = 1;
