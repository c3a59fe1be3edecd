//! gradlens: how a neural network's weights change during backpropagation, number by number.
//!
//! The modules follow one weight update from start to end:
//! - [`data`]: Iris (embedded) or a CSV, scaled and split;
//! - [`autodiff`]: the tape and its primitive ops, one file each;
//! - [`layers`]: stax-style layers, `(init, apply)` pairs and `serial`;
//! - [`activation`]: every elementwise activation, defined once;
//! - [`model`]: a model (a flat list of layers with their parameters) and its JSON file;
//! - [`softmax`]: log-softmax and cross-entropy for one row, exact near certainty;
//! - [`loss`]: cross-entropy in a chosen log base and the quadratic cost, each defined once;
//! - [`engine`]: loss and gradient of a model, by the tape ([`engine::tape`]) and by the blog's
//!   hand-derived gradient ([`engine::hand`], softmax regression and the same chain rule
//!   through hidden layers), a separate path checked against the tape;
//! - [`update`]: optimizers in the manner of `jax.example_libraries.optimizers`;
//! - [`train`]: the training loop, with JAX's batching and step semantics, and its report
//!   ([`train::report`]: data, settings, epochs, final evaluation and model, as one record);
//! - [`predict`]: a model applied to rows without a tape: classes, loss, accuracy;
//! - [`trace`]: one update step as data, every intermediate number;
//! - [`render`]: the trace as text, Markdown, JSON or a self-contained HTML page (SVG diagram,
//!   MathML formulas), and a training report as text;
//! - [`run`]: the application layer, the one pipeline per job (where the rows come from, train,
//!   explain, predict, export) that the CLI, the web server and a Rust caller all call, with
//!   every default once;
//! - [`serve`]: the web server behind `gradlens serve` and its JSON API;
//! - [`plot`]: charts of a training run (loss, accuracy, every weight's path).
//!
//! # Adding a loss, an optimizer or an output format
//! Each is an enum whose every `match` is exhaustive (no `_ =>` arm routes a new variant to
//! another's formula), so the compiler lists the places below that need a word from it.
//!
//! - **A loss** ([`loss::Loss`]), 7 files: `src/loss.rs` (its name in `LOSS_NAMES`, value and
//!   gradient on the tape and per sample, its formulas for the walk-through, the chain and the
//!   trace, which targets and output layers it takes); `src/engine/compiled/plan.rs` (its
//!   gradient at the network's output in the compiled engine, with a kernel in `kernels.rs` if
//!   it is fused); `src/render/chain.rs` (where it meets the model in a parameter's chain);
//!   `src/render/training.rs` (its unit in a training report); `src/render/walkthrough/mod.rs`,
//!   `overview.rs` and `backward.rs`, with a stage file of its own as `quadratic.rs` is. Checked
//!   by a test, not the compiler: the Python type hints (`python/gradlens/__init__.pyi`,
//!   `tests/python_stub.rs`). Not a file to edit: the page's menus, which list `LOSS_NAMES`
//!   (`GET /api/choices`, put in the page by the server; `tests/browser_menus.rs`).
//! - **An optimizer** ([`update::Optimizer`]), 7 files: `src/update.rs` (its name in
//!   `OPTIMIZER_NAMES`, settings, the state it keeps and its names (`state_names`), and its one
//!   step, generic over f32/f64, that the tape and the compiled engine both take);
//!   `src/engine/compiled/optim.rs` (its state's flat buffers); `src/train/report.rs` and
//!   `src/render/training.rs` (its settings in the report); `src/render/state.rs` (its state
//!   table's columns); `src/render/walkthrough/overview.rs` and `update.rs` (its step in the
//!   walk-through). Only if it has a setting of its own: `Tuning` (in `update.rs`),
//!   `src/error.rs` (the setting's name) and `src/cli/options.rs` (its option); only if its
//!   state has a new name: `src/model/saved.rs` (the file's field). Checked by a test: the
//!   Python type hints (`tests/python_stub.rs`). Not a file to edit: the page's menus, which
//!   list `OPTIMIZER_NAMES` (`GET /api/choices`; `tests/browser_menus.rs`).
//! - **An output format** ([`render::Format`]), 2 files: `src/render/mod.rs` (its name in
//!   `Format::NAMES`, media type, and the two dispatches, one step and N steps) and its
//!   renderer's own file in `src/render/`, which frames its own sequence of steps.
//!
//! # The blog's update in ten lines
//! ```
//! use gradlens::{engine::tape::value_and_grad, loss::Loss, model::Model, update::Optimizer};
//! use ndarray::array;
//!
//! // serial(Dense(3) without bias, Softmax), as in the post
//! let w_out_in = array![[0.15, 0.29, 0.10, 0.71], [-0.80, 0.97, 0.51, 0.67], [0.14, -0.47, -0.62, 0.21]];
//! let model = Model::builder().dense(w_out_in, None).softmax().build()?;
//! let (x, y) = (array![[0.81, 0.57, 0.28, 0.84]], array![[1.0, 0.0, 0.0]]);
//! let (loss, grads) = value_and_grad(&model, &x, &y, Loss::default())?;
//! let sgd = Optimizer::sgd(0.25)?;
//! let mut state = sgd.init(&model.params());
//! sgd.update(0, &grads, &mut state);
//! let new_w = sgd.get_params(&state).layer(0).weights().unwrap().clone();
//!
//! // loss = −ln ŷ_1 = −ln 0.4794433 = 0.7351296 nats (spec, JAX golden blog_ln)
//! assert!((loss - 0.7351296406658168).abs() < 1e-12);
//! // ∂L/∂W_11 = (ŷ_1 − 1)·x_1 = (0.4794433 − 1)·0.81 = −0.4216509 (spec)
//! assert!((grads.layer(0).weights().unwrap()[[0, 0]] - (0.47944329959720844 - 1.0) * 0.81).abs() < 1e-12);
//! // W_11 ← 0.15 − 0.25·(−0.4216509) = 0.2554127 (spec, JAX golden blog_ln)
//! assert!((new_w[[0, 0]] - 0.2554127318315653).abs() < 1e-12);
//! # Ok::<(), gradlens::Error>(())
//! ```

#![warn(missing_docs)]

pub mod activation;
pub mod autodiff;
pub mod data;
pub mod engine;
pub mod error;
pub mod layers;
pub mod limits;
pub mod loss;
pub mod model;
pub mod plot;
pub mod predict;
pub mod pretty_json;
pub mod render;
pub mod run;
pub mod safe_text;
pub mod serve;
pub mod softmax;
pub mod strict_json;
pub mod trace;
pub mod train;
pub mod update;

pub use error::{Error, Result};
