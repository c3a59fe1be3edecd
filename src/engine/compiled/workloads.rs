//! The benchmark workloads of the engine issue, built in one place so that `cargo bench`, the
//! timing example (`examples/bench_loop.rs`, which `bench/jax_compare.py` runs) and the README
//! measure the same runs:
//!
//! | name | data | model | batches | epochs | optimizer |
//! |---|---|---|---|---|---|
//! | W1 | Iris 150×4, standardised | Dense(3) + bias, softmax | full batch | 10,000 | sgd 0.1 |
//! | W2 | Iris 150×4, standardised | Dense(3) + bias, softmax | 1 row, data order | 1,000 | sgd 0.01 |
//! | W3 | 100,000×784 N(0, 1), 10 classes | Dense(10) + bias, softmax | 128 rows, data order | 1 | sgd 0.01 |
//! | W4 | as W3 | Dense(128) relu Dense(10), biases, softmax | 128 rows, data order | 1 | sgd 0.01 |
//!
//! Every run also measures the training accuracy after each epoch, as `train` reports it by
//! default (`examples/bench_loop.rs` may take it from the steps instead: [`TrainAccuracy`]).

use crate::activation::Activation;
use crate::data::{Dataset, ScaleKind};
use crate::engine::training::{Api, TrainAccuracy, TrainConfig};
use crate::error::{Error, Result, Setting};
use crate::loss::Loss;
use crate::model::Model;
use crate::model::ModelSpec;
use crate::update::Optimizer;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A workload: its data, its starting model and its settings.
pub struct Workload {
    /// The training rows.
    pub data: Dataset,
    /// The starting model.
    pub model: Model,
    /// The run's settings.
    pub config: TrainConfig,
}

/// Rows and features of W3 and W4's synthetic data.
pub const BIG: (usize, usize) = (100_000, 784);

/// Workload `name` (W1…W4); `rows` shrinks W3/W4's data (for `cargo bench`), seeded by `seed`.
pub fn workload(name: &str, rows: Option<usize>, seed: u64) -> Result<Workload> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sgd = |lr| Optimizer::sgd(lr).expect("a positive step size");
    let config = |optimizer, epochs, batch_size| TrainConfig {
        optimizer,
        epochs,
        batch_size,
        shuffle: false,
        loss: Loss::default(),
        freeze_bias: false,
        api: Api::Stax,
        penalty: crate::loss::Penalty::NONE,
        train_accuracy: TrainAccuracy::AfterEpoch,
    };
    let spec = |hidden: Vec<usize>| ModelSpec { hidden, activation: Activation::Relu, ..ModelSpec::default() };
    let (data, hidden, config) = match name {
        "W1" | "W2" => {
            let data = Dataset::iris().prepare(0.0, Some(ScaleKind::Standard), &mut rng)?.train;
            let config = if name == "W1" { config(sgd(0.1), 10_000, None) } else { config(sgd(0.01), 1_000, Some(1)) };
            (data, vec![], config)
        }
        "W3" | "W4" => {
            let (n, f) = (rows.unwrap_or(BIG.0), BIG.1);
            let features: ndarray::Array2<f64> =
                ndarray::Array2::from_shape_simple_fn((n, f), || StandardNormal.sample(&mut rng));
            let labels = (0..n).map(|i| i % 10).collect();
            let data = Dataset {
                features: features.into(),
                feature_names: (0..f).map(|c| format!("x{c}")).collect(),
                target: crate::data::Targets::Classes { labels, names: (0..10).map(|c| c.to_string()).collect() },
            };
            let hidden = if name == "W4" { vec![128] } else { vec![] };
            (data, hidden, config(sgd(0.01), 1, Some(128)))
        }
        other => {
            return Err(Error::invalid_value(
                Setting::TrainingData,
                format!("'{other}'"),
                "not a workload (W1, W2, W3 or W4)",
            ));
        }
    };
    let model = spec(hidden).build(data.features.ncols(), data.target.width(), &mut rng)?;
    Ok(Workload { data, model, config })
}
