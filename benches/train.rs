//! 1,000 epochs on Iris, the speed bar ("well under a second in a release build"):
//! `cargo bench --bench train`. Setup (data, split, model) is outside the timed part; each
//! iteration is one whole `train` call, per-epoch accuracy included.

use criterion::{Criterion, criterion_group, criterion_main};
use gradlens::data::{Dataset, ScaleKind};
use gradlens::loss::Loss;
use gradlens::train::{Activation, Api, ModelSpec, Silent, TrainConfig, train};
use gradlens::update::Optimizer;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

fn thousand_epochs(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let data = Dataset::iris().prepare(0.2, Some(ScaleKind::Standard), &mut rng).expect("iris splits");
    let runs = [
        ("blog model, full batch, sgd", vec![], None, Optimizer::sgd(0.5), Api::Stax),
        ("blog model, full batch, sgd, hand-derived", vec![], None, Optimizer::sgd(0.5), Api::Custom),
        ("blog model, batches of 32, adam", vec![], Some(32), Optimizer::adam(0.01), Api::Stax),
        ("hidden 16 tanh, batches of 32, adam", vec![16], Some(32), Optimizer::adam(0.01), Api::Stax),
    ];
    let mut group = c.benchmark_group("train 1000 epochs on Iris");
    group.sample_size(10);
    for (name, hidden, batch_size, optimizer, api) in runs {
        let spec = ModelSpec { hidden, activation: Activation::Tanh, ..ModelSpec::default() };
        let model = spec.build(4, 3, &mut rng).expect("a model");
        let config = TrainConfig {
            optimizer: optimizer.expect("a valid step size"),
            epochs: 1000,
            batch_size,
            shuffle: true,
            loss: Loss::default(),
            freeze_bias: false,
            api,
            penalty: gradlens::loss::Penalty::NONE,
            train_accuracy: gradlens::train::TrainAccuracy::AfterEpoch,
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut rng = ChaCha8Rng::seed_from_u64(1);
                let result = train(&config, model.clone(), &data.train, data.test.as_ref(), &mut rng, &mut Silent);
                black_box(result.expect("training runs"))
            })
        });
    }
    group.finish();
}

// No HTML plots: plotters is built here with ab_glyph (for gradlens's own charts), which reads
// no system fonts, so criterion's chart text would have no font.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = thousand_epochs
}
criterion_main!(benches);
