//! The application layer: one pipeline per job, the only thing a face calls. `gradlens`'s
//! subcommands, the web server and a Rust caller (the Python binding) each turn their input into
//! a job here and render what it returns; none of them assembles a pipeline itself, so the
//! faces cannot disagree.
//!
//! - [`data`]: where a run's rows come from ([`data::DataSource`]: Iris, a generated set, a CSV,
//!   numpy files or arrays), the rules of naming them, and the one way to read them;
//! - [`defaults`]: every default of a run, once;
//! - [`train`]: [`train::TrainJob`], data → one fit check → split and scale → model → train →
//!   report;
//! - [`explain`]: `explain`'s options checked into a request, and N steps in a row;
//! - [`predict`]: [`predict::PredictJob`], a saved model on new rows, the engine chosen once;
//! - [`export`]: a trained model as model-file and `.npy` bytes;
//! - [`trace`]: the `--trace` line formats;
//! - [`units`]: every unit's output over a plane of two features (the page's heatmaps).
//!
//! Jobs are plain structs with public fields, return the library's typed [`crate::Error`], and
//! neither print nor exit.

pub mod data;
pub mod defaults;
pub mod explain;
pub mod export;
pub mod predict;
pub mod trace;
pub mod train;
pub mod units;

pub use defaults::SCHEMA;
