//! The compiled engine on the workloads (`gradlens::engine::compiled::workloads`):
//! `cargo bench --bench engine`. W1 and W2 in full; W3 and W4 on 10,000 of their 100,000 rows
//! so a bench run stays short (bench/jax_compare.py times them in full, against JAX). Each
//! iteration is one whole training run, per-epoch accuracy included; the data and the model are
//! made outside the timed part.

use criterion::{Criterion, criterion_group, criterion_main};
use gradlens::engine::compiled::Dtype;
use gradlens::engine::compiled::train::EngineOptions;
use gradlens::engine::compiled::workloads::workload;
use gradlens::train::{Engine, Silent, train_on};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

fn workloads(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    for (name, rows) in [("W1", None), ("W2", None), ("W3", Some(10_000)), ("W4", Some(10_000))] {
        let w = workload(name, rows, 0).expect("a workload");
        for (dtype, label) in [(Dtype::F64, "f64"), (Dtype::F32, "f32")] {
            for threads in [1, 2] {
                let engine = Engine::Compiled(EngineOptions { dtype, threads });
                group.bench_function(format!("{name} {label} {threads} thread(s)"), |b| {
                    b.iter(|| {
                        let mut rng = ChaCha8Rng::seed_from_u64(1);
                        black_box(train_on(engine, &w.config, w.model.clone(), &w.data, None, &mut rng, &mut Silent))
                            .expect("training runs")
                    })
                });
            }
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = workloads
}
criterion_main!(benches);
