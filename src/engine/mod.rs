//! How a model is trained and applied. [`compiled`]: the fast engine (a fixed step plan over
//! preallocated buffers), the default of `train` and `predict`.

pub mod compiled;
