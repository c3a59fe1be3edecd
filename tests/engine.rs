//! The compiled engine against the tape, finite differences and its own kernels' references.
//!
//! - f64: every JAX golden training run (tests/golden/train_*.json) and random models (proptest)
//!   (every activation, both losses, frozen biases or not) give the tape's per-epoch losses and
//!   final weights to 1e-12 relative, and their training accuracies (after each epoch or counted
//!   by the steps);
//! - f32: the golden runs' losses agree with f64 to 1e-4 relative, and Iris at the CLI's
//!   defaults still reaches 0.93 test accuracy;
//! - any thread count gives the same bits;
//! - the fused softmax + cross-entropy kernel gives `softmax::cross_entropy_row`'s bits, the
//!   one-layer path its numbers, and an epoch's deferred logarithms the steps' losses;
//! - the plan's gradients, every activation and output layer under both losses, against central
//!   finite differences.

use gradlens::activation::Activation as Act;
use gradlens::data::{Dataset, ScaleKind, Targets};
use gradlens::engine::compiled::kernels::{ColStats, Gemm, softmax_cross_entropy};
use gradlens::engine::compiled::plan::{Batch, Picked};
use gradlens::engine::compiled::spec::{from_model, write_params};
use gradlens::engine::compiled::train::EngineOptions;
use gradlens::engine::compiled::{Dtype, LayerSpec, Plan};
use gradlens::layers::{Dense, Init, Layer, LogSoftmax, Softmax, serial};
use gradlens::loss::{LogBase, Loss};
use gradlens::model::{Model, ModelFile};
use gradlens::softmax::cross_entropy_row;
use gradlens::train::{Activation, Api, Engine, ModelSpec, Silent, TrainAccuracy, TrainConfig, TrainResult, train_on};
use gradlens::update::Optimizer;
use ndarray::Array2;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::path::Path;

fn compiled(dtype: Dtype, threads: usize) -> Engine {
    Engine::Compiled(EngineOptions { dtype, threads })
}

fn run(engine: Engine, config: &TrainConfig, model: &Model, train: &Dataset, test: Option<&Dataset>) -> TrainResult {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    train_on(engine, config, model.clone(), train, test, &mut rng, &mut Silent).expect("training runs")
}

/// |a − b| ≤ rel·scale, with `scale` the larger magnitude of the pair or, for a vector of
/// weights, of the whole vector (a weight that happens to be near 0 is held to the others' scale).
fn assert_close(what: &str, got: &[f64], want: &[f64], rel: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= rel * scale, "{what}[{i}]: {g} vs {w} (rel {:e})", (g - w).abs() / scale);
    }
}

fn losses(r: &TrainResult) -> Vec<f64> {
    r.epochs.iter().map(|e| e.loss).collect()
}

/// The golden cases, with Iris standardised over all 150 rows in data order (as the JAX script).
fn golden_cases() -> Vec<(String, TrainConfig, Model)> {
    let mut out = Vec::new();
    for file in ["tests/golden/train_public.json", "tests/golden/train_jax.json"] {
        let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for case in cases {
            let name = case["name"].as_str().unwrap().to_string();
            let text = serde_json::to_string(&case["model"]).unwrap();
            let model = ModelFile::parse(&text, Path::new(&name)).unwrap().to_model(Path::new(&name)).unwrap();
            let args = &case["optimizer_args"];
            let lr = args["step_size"].as_f64().unwrap();
            let optimizer = match case["optimizer"].as_str().unwrap() {
                "sgd" => Optimizer::sgd(lr),
                "momentum" => Optimizer::momentum(lr, args["mass"].as_f64().unwrap()),
                "adam" => Optimizer::adam(lr),
                other => panic!("optimizer {other}"),
            }
            .unwrap();
            let config = TrainConfig {
                optimizer,
                epochs: case["epochs"].as_u64().unwrap() as usize,
                batch_size: Some(case["batch_size"].as_u64().unwrap() as usize),
                shuffle: false,
                loss: Loss::CrossEntropy {
                    log_base: case.get("log_base").and_then(Value::as_str).unwrap_or("e").parse().unwrap(),
                },
                freeze_bias: false,
                api: Api::Stax,
                penalty: gradlens::loss::Penalty::NONE,
                train_accuracy: TrainAccuracy::AfterEpoch,
            };
            out.push((name, config, model));
        }
    }
    out
}

fn iris_all() -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    Dataset::iris().prepare(0.0, Some(ScaleKind::Standard), &mut rng).unwrap().train
}

#[test]
fn f64_engine_equals_the_tape_on_every_golden_run() {
    let data = iris_all();
    let cases = golden_cases();
    assert!(cases.len() >= 9, "the golden files hold the runs");
    for (name, config, model) in cases {
        let tape = run(Engine::Tape, &config, &model, &data, None);
        let fast = run(compiled(Dtype::F64, 2), &config, &model, &data, None);
        assert_close(&format!("{name} losses"), &losses(&fast), &losses(&tape), 1e-12);
        assert_close(&format!("{name} weights"), &fast.model.params().to_flat(), &tape.model.params().to_flat(), 1e-12);
        let acc = |r: &TrainResult| r.epochs.iter().map(|e| e.train_accuracy).collect::<Vec<_>>();
        assert_eq!(acc(&fast), acc(&tape), "{name}: accuracies");
    }
}

#[test]
fn small_batches_equal_the_tape_on_every_golden_model() {
    // Batches under 8 rows of a one-layer softmax model (the golden 4→3 runs) take the plan's
    // sample-by-sample path; the others the column kernels. Each golden model and optimizer with
    // batches of 1 and of 5 (shuffled), 3 epochs: the tape's numbers to 1e-12.
    let data = iris_all();
    for (name, config, model) in golden_cases() {
        for batch in [1, 5] {
            let config = TrainConfig { batch_size: Some(batch), epochs: 3, shuffle: true, ..config.clone() };
            let tape = run(Engine::Tape, &config, &model, &data, None);
            let fast = run(compiled(Dtype::F64, 1), &config, &model, &data, None);
            let what = format!("{name}, batches of {batch}");
            assert_close(&format!("{what}: losses"), &losses(&fast), &losses(&tape), 1e-12);
            assert_close(
                &format!("{what}: weights"),
                &fast.model.params().to_flat(),
                &tape.model.params().to_flat(),
                1e-12,
            );
            let acc = |r: &TrainResult| r.epochs.iter().map(|e| e.train_accuracy).collect::<Vec<_>>();
            assert_eq!(acc(&fast), acc(&tape), "{what}: accuracies");
        }
    }
}

/// The training accuracy counted by the steps (each before its update, `TrainAccuracy::Steps`):
/// on every golden model and optimizer, with the case's own batches (full batch or minibatches in
/// order), full batch, shuffled batches of 5 and batches of 1, 3 epochs, the engine counts what
/// the tape counts, and its losses and weights are the tape's to 1e-12 and its own run's
/// `AfterEpoch` bits (the way of counting changes no step). And the two ways differ on some runs
/// (otherwise this test could not tell them apart).
#[test]
fn the_steps_accuracy_equals_the_tape_on_every_golden_model() {
    let data = iris_all();
    let acc = |r: &TrainResult| r.epochs.iter().map(|e| e.train_accuracy).collect::<Vec<_>>();
    let mut differ = 0;
    for (name, config, model) in golden_cases() {
        let batchings = [(config.batch_size, false), (None, false), (Some(5), true), (Some(1), false)];
        for (batch_size, shuffle) in batchings {
            let after = TrainConfig { batch_size, shuffle, epochs: 3, ..config.clone() };
            let steps = TrainConfig { train_accuracy: TrainAccuracy::Steps, ..after.clone() };
            let tape = run(Engine::Tape, &steps, &model, &data, None);
            let fast = run(compiled(Dtype::F64, 2), &steps, &model, &data, None);
            let what = format!("{name}, batches of {batch_size:?}, shuffled {shuffle}");
            assert_eq!(acc(&fast), acc(&tape), "{what}: accuracies counted by the steps");
            assert!(acc(&fast).iter().all(Option::is_some), "{what}: classes have an accuracy");
            assert_close(&format!("{what}: losses"), &losses(&fast), &losses(&tape), 1e-12);
            let weights = |r: &TrainResult| r.model.params().to_flat();
            assert_close(&format!("{what}: weights"), &weights(&fast), &weights(&tape), 1e-12);
            let fast_after = run(compiled(Dtype::F64, 2), &after, &model, &data, None);
            assert_eq!(losses(&fast), losses(&fast_after), "{what}: the same steps");
            assert_eq!(weights(&fast), weights(&fast_after), "{what}: the same steps");
            differ += usize::from(acc(&fast) != acc(&fast_after));
        }
    }
    assert!(differ > 0, "the steps' count never differed from the count after the epoch");
}

#[test]
fn f32_losses_agree_with_f64_on_every_golden_run() {
    let data = iris_all();
    for (name, config, model) in golden_cases() {
        let f64_run = run(compiled(Dtype::F64, 1), &config, &model, &data, None);
        let f32_run = run(compiled(Dtype::F32, 1), &config, &model, &data, None);
        for (e, (a, b)) in losses(&f32_run).iter().zip(losses(&f64_run)).enumerate() {
            assert!((a - b).abs() <= 1e-4 * b.abs(), "{name} epoch {}: f32 {a} vs f64 {b}", e + 1);
        }
    }
}

/// The CLI's defaults: the blog's model with a bias, glorot, sgd 0.5, 1,000 full-batch epochs,
/// Iris standardised with 20% held out, seed 0.
#[test]
fn f32_reaches_the_iris_accuracy_bar_at_defaults() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let data = Dataset::iris().prepare(0.2, Some(ScaleKind::Standard), &mut rng).unwrap();
    let spec = ModelSpec::default();
    let model = spec.build(4, 3, &mut rng).unwrap();
    let config = TrainConfig::default();
    let r = train_on(compiled(Dtype::F32, 1), &config, model, &data.train, data.test.as_ref(), &mut rng, &mut Silent)
        .unwrap();
    let test = r.epochs.last().unwrap().test_accuracy.unwrap();
    assert!(test >= 0.93, "f32 test accuracy {test}");
}

/// A product large enough to be split (128 samples × 64 inputs × 40 units > 2¹⁷ multiply-adds)
/// gives the same bits on 1, 2 and 3 threads: on small data (kept feature-major, products
/// through `direct::axpy_columns` or matrixmultiply) and on data past the transpose limit (read
/// row-major: the forward product of the 12-unit layer through `direct::dot_columns`, that of
/// the 40-unit layer through `direct::axpy_columns` on each thread's block of the batch
/// transposed, split 48 + 48 + 32 samples on 3 threads, and every weight gradient through
/// `direct::axpy_columns`, where the CPU has AVX-512). The 100-unit layer is tall enough for a
/// training step's products to be split by rows instead (`Gemm::keeping_rows`): 50 + 50 rows on
/// 2 threads, 33 + 33 + 34 on 3, each thread transposing the whole batch; its evaluation passes
/// stay split by columns.
#[test]
fn any_thread_count_gives_the_same_bits() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for (n, f, k, hidden) in [(300, 64, 5, 40), (2100, 500, 4, 12), (2100, 500, 4, 40), (2100, 500, 4, 100)] {
        let features = ndarray::Array2::from_shape_fn((n, f), |_| rng.random_range(-1.0..1.0));
        let labels = (0..n).map(|_| rng.random_range(0..k)).collect();
        let data = Dataset {
            features: features.into(),
            feature_names: (0..f).map(|c| c.to_string()).collect(),
            target: Targets::Classes { labels, names: (0..k).map(|c| c.to_string()).collect() },
        };
        let spec = ModelSpec { hidden: vec![hidden], activation: Activation::Relu, ..ModelSpec::default() };
        let model = spec.build(f, k, &mut rng).unwrap();
        let config = TrainConfig {
            optimizer: Optimizer::adam(0.01).unwrap(),
            epochs: 3,
            batch_size: Some(128),
            shuffle: true,
            loss: Loss::default(),
            freeze_bias: false,
            api: Api::Stax,
            penalty: gradlens::loss::Penalty::NONE,
            train_accuracy: TrainAccuracy::AfterEpoch,
        };
        for dtype in [Dtype::F64, Dtype::F32] {
            let one = run(compiled(dtype, 1), &config, &model, &data, None);
            for threads in [2, 3] {
                let many = run(compiled(dtype, threads), &config, &model, &data, None);
                assert_eq!(losses(&one), losses(&many), "{dtype:?} losses on {threads} threads, {n}×{f}");
                assert_eq!(
                    one.model.params().to_flat(),
                    many.model.params().to_flat(),
                    "{dtype:?} weights on {threads} threads, {n}×{f}"
                );
            }
        }
    }
}

/// Column j of the kernel's gradient is `cross_entropy_row` of logit column j, times 1/m (m = 8,
/// a power of two, so the scaling itself is exact), and the loss is −(1/m) Σ ln ŷ_label. The
/// formulas and the order of the sums are the same; the exponentials are the vectorised ones
/// (≤ 1 ulp from libm's), and no entry of ŷ − y cancels (the largest class's is (1 − y) − s/(1 + s)
/// with s/(1 + s) ≤ (k−1)/k), so every entry is within a few ulp: 8 allowed.
#[test]
fn fused_kernel_computes_the_row_kernels_numbers() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (k, m) = (5, 8);
    for spread in [0.1, 3.0, 40.0, 700.0] {
        let z: Vec<f64> = (0..k * m).map(|_| rng.random_range(-spread..spread)).collect();
        let labels: Vec<usize> = (0..m).map(|_| rng.random_range(0..k)).collect();
        let mut grad = vec![0.0; k * m];
        let mut stats = ColStats::new(m, k);
        let out = softmax_cross_entropy(&z, k, m, &labels, 1.0, &mut grad, &mut stats);
        let mut total = 0.0;
        for j in 0..m {
            let col: Vec<f64> = (0..k).map(|c| z[c * m + j]).collect();
            let y: Vec<f64> = (0..k).map(|c| if c == labels[j] { 1.0 } else { 0.0 }).collect();
            let mut g = vec![0.0; k];
            total += cross_entropy_row(&col, &y, &mut g);
            for c in 0..k {
                let want = g[c] / m as f64;
                assert!(
                    (grad[c * m + j] - want).abs() <= 8.0 * f64::EPSILON * want.abs(),
                    "spread {spread} class {c} sample {j}: {} vs {want}",
                    grad[c * m + j]
                );
            }
        }
        assert!(
            (out.loss - total / m as f64).abs() <= 4.0 * f64::EPSILON * out.loss.abs(),
            "{} vs {}",
            out.loss,
            total
        );
    }
}

/// The one-layer path (`small::OneLayer`: Iris-sized networks, sample by sample under 8 rows,
/// in blocks of 32 samples above) against `cross_entropy_row` sample by sample: logits z = Wx + b
/// (a dot product in input order), ∂E/∂W = (1/m) Σ_j (ŷ_j − y_j)·x_jᵀ, ∂E/∂b = (1/m) Σ_j (ŷ_j −
/// y_j), E = (1/m) Σ_j −ln ŷ_j,label and the count of samples whose first largest logit is their
/// label; batches of 5 (sample by sample), 37 and 150 (whole blocks and a remainder), samples as
/// rows and as columns. The sums over samples run in another order (eight lanes), so each entry
/// is compared with 1e-13 of the sum of its terms' magnitudes.
#[test]
fn one_layer_path_computes_the_row_kernels_numbers() {
    use gradlens::engine::compiled::small::{LossSum, OneLayer};
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let (f, k) = (4, 3);
    for (m, spread) in [(5, 1.0), (37, 3.0), (150, 1.0), (150, 30.0)] {
        let params: Vec<f64> = (0..k * f + k).map(|_| rng.random_range(-spread..spread)).collect();
        let x: Vec<f64> = (0..m * f).map(|_| rng.random_range(-2.0..2.0)).collect();
        let labels: Vec<usize> = (0..m).map(|_| rng.random_range(0..k)).collect();
        let (mut want, mut size, mut loss, mut right) = (vec![0.0; k * f + k], vec![0.0; k * f + k], 0.0, 0);
        for (j, &t) in labels.iter().enumerate() {
            let xj = &x[j * f..(j + 1) * f];
            let z: Vec<f64> =
                (0..k).map(|c| (0..f).fold(0.0, |s, p| s + params[c * f + p] * xj[p]) + params[k * f + c]).collect();
            let y: Vec<f64> = (0..k).map(|c| if c == t { 1.0 } else { 0.0 }).collect();
            let mut g = vec![0.0; k];
            loss += cross_entropy_row(&z, &y, &mut g) / m as f64;
            let class = (1..k).fold(0, |best, c| if z[c] > z[best] { c } else { best });
            right += usize::from(class == t);
            for c in 0..k {
                for p in 0..f {
                    want[c * f + p] += g[c] * xj[p] / m as f64;
                    size[c * f + p] += (g[c] * xj[p] / m as f64).abs();
                }
                want[k * f + c] += g[c] / m as f64;
                size[k * f + c] += (g[c] / m as f64).abs();
            }
        }
        let layer = OneLayer {
            inputs: f,
            classes: k,
            w_at: 0,
            b_at: Some(k * f),
            ln_base: 1.0,
            tie_tol: ColStats::<f64>::tie_tolerance(k),
        };
        let x_t: Vec<f64> = (0..f).flat_map(|p| (0..m).map(move |j| (p, j))).map(|(p, j)| x[j * f + p]).collect();
        for batch in [Batch::rows(&x, m, f), Batch::columns(&x_t, m, m)] {
            let (mut grad, mut losses) = (vec![0.0; k * f + k], LossSum::immediate());
            let checks = if m < 8 {
                layer.step(&params, batch, &labels, &mut grad, &mut losses)
            } else {
                layer.batch_step(&params, batch, &labels, &mut grad, &mut losses)
            };
            for i in 0..grad.len() {
                assert!(
                    (grad[i] - want[i]).abs() <= 1e-13 * size[i],
                    "m = {m}, parameter {i}: {} vs {}",
                    grad[i],
                    want[i]
                );
            }
            let got = losses.finish();
            assert!((got - loss).abs() <= 1e-13 * loss, "m = {m}: loss {got} vs {loss}");
            assert_eq!((checks.correct, checks.logits_finite), (right, true), "m = {m}");
        }
    }
}

/// The one-layer path's fused sgd step (`OneLayer::sgd_step`: the update made as each entry of
/// the gradient is formed) gives the bits of its step followed by the optimizer's sgd update
/// (`OneLayer::step`, then `Optimizer::step`), and the same loss and class check: 200 random
/// samples, models and step sizes, with and without a bias, 4→3 (the unrolled shape) and 5→2.
#[test]
fn fused_sgd_step_gives_the_steps_bits() {
    use gradlens::engine::compiled::small::{LossSum, OneLayer};
    let mut rng = ChaCha8Rng::seed_from_u64(29);
    for trial in 0..200 {
        let ((f, k), bias) = ([(4, 3), (5, 2)][trial % 2], trial % 3 != 0);
        let n = k * f + if bias { k } else { 0 };
        let params: Vec<f64> = (0..n).map(|_| rng.random_range(-3.0..3.0)).collect();
        let x: Vec<f64> = (0..f).map(|_| rng.random_range(-2.0..2.0)).collect();
        let label = rng.random_range(0..k);
        let lr = rng.random_range(0.001..1.0);
        let layer = OneLayer {
            inputs: f,
            classes: k,
            w_at: 0,
            b_at: bias.then_some(k * f),
            ln_base: 1.0,
            tie_tol: ColStats::<f64>::tie_tolerance(k),
        };
        let batch = Batch::rows(&x, 1, f);
        let (mut want, mut grad, mut want_loss) = (params.clone(), vec![0.0; n], LossSum::immediate());
        let want_checks = layer.step(&params, batch, &[label], &mut grad, &mut want_loss);
        Optimizer::sgd(lr).unwrap().step(0, &grad, &mut want, &mut [], &mut []);
        let (mut got, mut got_loss) = (params.clone(), LossSum::immediate());
        let got_checks = layer.sgd_step(&mut got, batch, label, lr, &mut got_loss);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "trial {trial}: parameters");
        assert_eq!(got_loss.finish().to_bits(), want_loss.finish().to_bits(), "trial {trial}: loss");
        assert_eq!(got_checks, want_checks, "trial {trial}: checks");
    }
}

/// An epoch's loss summed with the logarithms of its single-sample steps deferred
/// (`LossSum::deferred`: Σ ln(1 + s) as ln Π (1 + s), 32 lanes of up to 4 factors each, their
/// logarithms vectorised) equals the sum with each step's taken by libm as it comes
/// (`LossSum::immediate`), over 3,000 steps with penalties and whole-batch losses among them.
/// Every term is positive (offset ≤ 0, scale −1), so nothing cancels: a lane's product carries
/// at most 3 roundings per factor (12 ulp, 1.3e-15 relative), its logarithm 1 ulp, libm's
/// 1 ulp; and the deferred sum adds in another order (the offsets apart, the logarithms by
/// lane), so each side's rounding of a 3,000-term f64 sum (≈ √3000·2⁻⁵³ ≈ 6e-15 relative,
/// typically) is in the difference too: within 1e-14 relative.
#[test]
fn deferred_logarithms_give_the_steps_losses() {
    use gradlens::engine::compiled::small::LossSum;
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let (mut deferred, mut immediate) = (LossSum::<f64>::deferred(), LossSum::<f64>::immediate());
    for step in 0..3000 {
        let (offset, rest) = (-rng.random_range(0.0..5.0), rng.random_range(0.0..2.0));
        if step % 97 == 0 {
            let loss = rng.random_range(0.0..1.0);
            deferred.add(loss);
            immediate.add(loss);
        } else {
            deferred.add_sample(offset, rest, -1.0);
            immediate.add_sample(offset, rest, -1.0);
        }
        if step % 5 == 0 {
            let penalty = rng.random_range(0.0..0.1);
            deferred.add_penalty(penalty);
            immediate.add_penalty(penalty);
        }
    }
    let (got, want) = (deferred.finish(), immediate.finish());
    assert!((got - want).abs() <= 1e-14 * want, "{got} vs {want}");
    assert_eq!(deferred.finish(), 0.0, "finish starts the sum again");
}

/// The loss of `spec` with flat `params` on (x, y), by the plan.
fn plan_loss(plan: &mut Plan<f64>, params: &[f64], x: &[f64], m: usize, y: &Targets) -> f64 {
    plan.loss_and_grad(params, Batch::rows(x, m, x.len() / m), y, Picked::Span { start: 0, end: m }).loss
}

/// Every gradient the plan gives equals the central difference (h = 1e-6) of its loss to 1e-6
/// (relative to the gradient's largest entry): every activation, softmax, log-softmax and plain
/// outputs, both losses; the quadratic one on classes and on real-valued targets.
#[test]
fn gradients_match_central_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (n_in, hidden, k, m) = (3, 4, 3, 6);
    let x: Vec<f64> = (0..m * n_in).map(|_| rng.random_range(-1.0..1.0)).collect();
    let labels: Vec<usize> = (0..m).map(|_| rng.random_range(0..k)).collect();
    let values: Vec<f64> = (0..m * k).map(|_| rng.random_range(-1.5..1.5)).collect();
    let outputs = [
        (Loss::CrossEntropy { log_base: LogBase::new(2.0).unwrap() }, Some(LayerSpec::Softmax)),
        (Loss::CrossEntropy { log_base: LogBase::E }, Some(LayerSpec::LogSoftmax)),
        (Loss::Quadratic, Some(LayerSpec::Softmax)),
        (Loss::Quadratic, Some(LayerSpec::LogSoftmax)),
        (Loss::Quadratic, Some(LayerSpec::Activation(Act::Sigmoid))),
        (Loss::Quadratic, None),
    ];
    for act in Act::ALL {
        for ((loss, output), by_value) in outputs.into_iter().flat_map(|o| [(o, false), (o, true)]) {
            if by_value && loss != Loss::Quadratic {
                continue;
            }
            let y = &if by_value {
                Targets::unnamed_values(Array2::from_shape_vec((m, k), values.clone()).unwrap())
            } else {
                Targets::numbered(labels.clone(), k)
            };
            let all = Picked::Span { start: 0, end: m };
            let body = Model::builder()
                .dense(Array2::zeros((hidden, n_in)), Some(Array2::zeros((1, hidden))))
                .activation(act)
                .dense(Array2::zeros((k, hidden)), None);
            let model = match output {
                Some(LayerSpec::Softmax) => body.softmax(),
                Some(LayerSpec::LogSoftmax) => body.log_softmax(),
                Some(LayerSpec::Activation(a)) => body.activation(a),
                Some(LayerSpec::Dense { .. }) => unreachable!("not an output above"),
                None => body,
            }
            .build()
            .unwrap();
            let (spec, _) = from_model(&model, loss).unwrap();
            let mut plan = Plan::<f64>::new(spec.clone(), m, Gemm::new(1).unwrap()).unwrap();
            let mut params: Vec<f64> = (0..spec.param_count()).map(|_| rng.random_range(-1.0..1.0)).collect();
            plan.loss_and_grad(&params, Batch::rows(&x, m, n_in), y, all);
            let grad = plan.grad.clone();
            // The same batch feature-major (the trainer's layout for small data).
            let x_t: Vec<f64> =
                (0..n_in).flat_map(|r| (0..m).map(move |j| (r, j))).map(|(r, j)| x[j * n_in + r]).collect();
            plan.loss_and_grad(&params, Batch::columns(&x_t, m, m), y, all);
            assert_close("feature-major batch", &plan.grad, &grad, 1e-14);
            let h = 1e-6;
            let fd: Vec<f64> = (0..params.len())
                .map(|i| {
                    let w = params[i];
                    params[i] = w + h;
                    let up = plan_loss(&mut plan, &params, &x, m, y);
                    params[i] = w - h;
                    let down = plan_loss(&mut plan, &params, &x, m, y);
                    params[i] = w;
                    (up - down) / (2.0 * h)
                })
                .collect();
            assert_close(&format!("{act} {loss:?} {output:?} values {by_value}"), &grad, &fd, 1e-6);
        }
    }
}

/// A random dataset: n rows of f features in [−2, 2], and k classes, or with `values` k
/// real-valued targets in [−1, 1].
fn random_data(rng: &mut ChaCha8Rng, n: usize, f: usize, k: usize, values: bool) -> Dataset {
    let features = ndarray::Array2::from_shape_fn((n, f), |_| rng.random_range(-2.0..2.0));
    let target = if values {
        Targets::Values {
            values: ndarray::Array2::from_shape_fn((n, k), |_| rng.random_range(-1.0..1.0)),
            names: (0..k).map(|c| format!("y{c}")).collect(),
        }
    } else {
        Targets::Classes {
            labels: (0..n).map(|i| if i < k { i } else { rng.random_range(0..k) }).collect(),
            names: (0..k).map(|c| format!("c{c}")).collect(),
        }
    };
    Dataset { features: features.into(), feature_names: (0..f).map(|c| format!("f{c}")).collect(), target }
}

/// Dense layers of `hidden` units with `act` between them, a dense output layer of `k`, and the
/// `last` layer if any.
fn random_model(
    rng: &mut ChaCha8Rng,
    f: usize,
    k: usize,
    hidden: &[usize],
    act: Act,
    bias: bool,
    last: Option<Layer>,
) -> Model {
    let dense = |out: usize| if bias { Dense(out) } else { Dense(out).without_bias() };
    let mut layers = Vec::new();
    for &h in hidden {
        layers.push(dense(h).with_init(Init::UNIFORM));
        layers.push(Layer::Activation(act));
    }
    layers.push(dense(k).with_init(Init::UNIFORM));
    layers.extend(last);
    Model::init(serial(layers), rng, f).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random models through the tape and the engine: depths 0–3, every activation, every
    /// optimizer, with and without bias, frozen biases or not, full batch and minibatches,
    /// shuffled or not; cross-entropy (natural log or base 2) after a softmax or log-softmax, and
    /// the quadratic loss after a softmax, a log-softmax, an activation or the dense layer itself,
    /// on classes or on real-valued targets (regression); the training accuracy after each epoch
    /// or counted by the steps (none for values either way).
    #[test]
    fn f64_engine_equals_the_tape_on_random_models(
        seed in 0u64..1_000_000,
        depth in 0usize..=3,
        act in prop::sample::select(Act::ALL.to_vec()),
        bias in any::<bool>(),
        freeze_bias in any::<bool>(),
        opt in 0usize..3,
        batch in prop::option::of(1usize..12),
        shuffle in any::<bool>(),
        head in 0usize..7,
        values in any::<bool>(),
        steps_accuracy in any::<bool>(),
    ) {
        let (loss, last) = match head {
            0 => (Loss::CrossEntropy { log_base: LogBase::E }, Some(Softmax)),
            1 => (Loss::CrossEntropy { log_base: LogBase::new(2.0).unwrap() }, Some(Softmax)),
            2 => (Loss::CrossEntropy { log_base: LogBase::E }, Some(LogSoftmax)),
            3 => (Loss::Quadratic, Some(Softmax)),
            4 => (Loss::Quadratic, Some(LogSoftmax)),
            5 => (Loss::Quadratic, Some(Layer::Activation(act))),
            _ => (Loss::Quadratic, None),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (n, f, k) = (rng.random_range(4..25), rng.random_range(1..6), rng.random_range(2..5));
        let values = values && loss == Loss::Quadratic;
        let data = random_data(&mut rng, n, f, k, values);
        let hidden: Vec<usize> = (0..depth).map(|_| rng.random_range(1..7)).collect();
        let model = random_model(&mut rng, f, k, &hidden, act, bias, last);
        // The quadratic loss on ln ŷ or an unbounded output, and deep stacks of the activations
        // that are (nearly) linear, have far larger gradients than the rest: smaller steps keep
        // their runs from exploding, where rounding is amplified past any tolerance.
        let steep = loss == Loss::Quadratic || matches!(act, Act::Identity | Act::LeakyRelu | Act::Softplus);
        let scale = if steep { 0.1 } else { 1.0 };
        let optimizer = match opt {
            0 => Optimizer::sgd(0.3 * scale),
            1 => Optimizer::momentum(0.1 * scale, 0.9),
            _ => Optimizer::adam(0.05 * scale),
        }
        .unwrap();
        let config = TrainConfig {
            optimizer,
            epochs: 3,
            batch_size: batch,
            shuffle,
            loss,
            freeze_bias,
            api: Api::Stax,
            penalty: gradlens::loss::Penalty::NONE,
            train_accuracy: if steps_accuracy { TrainAccuracy::Steps } else { TrainAccuracy::AfterEpoch },
        };
        let test = random_data(&mut rng, 5, f, k, values);
        // A quadratic loss on an unbounded output (ln ŷ, identity) can diverge: then both must,
        // in the same epoch.
        let attempt = |engine| {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            train_on(engine, &config, model.clone(), &data, Some(&test), &mut rng, &mut Silent)
        };
        let (tape, fast) = match (attempt(Engine::Tape), attempt(compiled(Dtype::F64, 2))) {
            (Ok(tape), Ok(fast)) => (tape, fast),
            (Err(t), Err(f)) => {
                prop_assert_eq!(t.to_string(), f.to_string());
                return Ok(());
            }
            (t, f) => panic!("tape {:?}, engine {:?}", t.map(|r| losses(&r)), f.map(|r| losses(&r))),
        };
        if freeze_bias {
            let biases = |m: &Model| m.dense_layers().flat_map(|(_, _, b)| b.into_iter().flatten().copied()).collect::<Vec<_>>();
            prop_assert_eq!(biases(&fast.model), biases(&model));
        }
        assert_close("losses", &losses(&fast), &losses(&tape), 1e-12);
        assert_close("weights", &fast.model.params().to_flat(), &tape.model.params().to_flat(), 1e-12);
        // The test rows' loss: the engine's forward pass against the tape's evaluation (predict).
        let test_losses = |r: &TrainResult| r.epochs.iter().map(|e| e.test_loss.expect("a test set")).collect::<Vec<_>>();
        assert_close("test losses", &test_losses(&fast), &test_losses(&tape), 1e-12);
        let acc = |r: &TrainResult| r.epochs.iter().map(|e| (e.train_accuracy, e.test_accuracy)).collect::<Vec<_>>();
        prop_assert_eq!(acc(&fast), acc(&tape));
        prop_assert!(fast.epochs.iter().all(|e| e.train_accuracy.is_some() != values && e.test_accuracy.is_some() != values));
    }
}

/// The adapter round trip: a model's parameters through the engine's flat layout and back.
#[test]
fn parameters_survive_the_adapter() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let model = random_model(&mut rng, 4, 3, &[5, 2], Act::Tanh, true, Some(Softmax));
    let (spec, flat) = from_model(&model, Loss::default()).unwrap();
    assert_eq!(spec.param_count(), flat.len());
    let mut copy = model.with_params(&model.params().map(&mut |a| a.mapv(|_| 0.0)));
    write_params(&flat, &mut copy);
    assert_eq!(copy, model);
}

/// The vectorised exp against libm: at most 1 ulp apart, over the softmax's range (x ≤ 0, down
/// past underflow), the positive range up to overflow, and the special values.
#[test]
fn vectorised_exp_is_within_one_ulp_of_libm() {
    use gradlens::engine::compiled::vexp::{exp_f32, exp_f64};
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let ulps64 = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).abs();
    let ulps32 = |a: f32, b: f32| (a.to_bits() as i32 - b.to_bits() as i32).abs();
    let mut xs: Vec<f64> = (0..200_000).map(|_| rng.random_range(-750.0..0.0)).collect();
    xs.extend((0..100_000).map(|_| rng.random_range(-1.0..1.0)));
    xs.extend((0..100_000).map(|_| rng.random_range(0.0..709.7)));
    xs.extend((0..50_000).map(|_| rng.random_range(-1e-6..1e-6)));
    // A dense even sweep of the softmax's range down past underflow (steps of 7.46e-4, about
    // 1/40 of the table's spacing ln 2/16), so every table entry is met near both ends of its
    // reduced range.
    xs.extend((0..=1_000_000).map(|i| -746.0 * i as f64 / 1e6));
    xs.extend([0.0, -0.0, 1.0, -1.0, 709.78, -708.4, -745.1, -745.2, -746.0, 710.0]);
    let mut e = xs.clone();
    exp_f64(&mut e);
    let worst = xs.iter().zip(&e).map(|(&x, &y)| (ulps64(y, x.exp()), x)).max_by_key(|p| p.0).unwrap();
    assert!(worst.0 <= 1, "f64: {} ulp at x = {}", worst.0, worst.1);
    // −NaN (sign bit set, as 0·∞ − … gives) too: its bits once overflowed the exponent arithmetic.
    let mut special = [f64::NEG_INFINITY, f64::INFINITY, -1e300, 1e300, f64::NAN, -f64::NAN];
    exp_f64(&mut special);
    assert_eq!(&special[..4], &[0.0, f64::INFINITY, 0.0, f64::INFINITY]);
    assert!(special[4].is_nan() && special[5].is_nan());

    let xs32: Vec<f32> = xs.iter().map(|&x| (x as f32).clamp(-110.0, 88.7)).collect();
    let mut e32 = xs32.clone();
    exp_f32(&mut e32);
    let worst = xs32.iter().zip(&e32).map(|(&x, &y)| (ulps32(y, x.exp()), x)).max_by_key(|p| p.0).unwrap();
    assert!(worst.0 <= 1, "f32: {} ulp at x = {}", worst.0, worst.1);
    let mut special = [f32::NEG_INFINITY, f32::INFINITY, f32::NAN, -f32::NAN];
    exp_f32(&mut special);
    assert_eq!(&special[..2], &[0.0, f32::INFINITY]);
    assert!(special[2].is_nan() && special[3].is_nan());
}

/// The vectorised ln(1 + x) (`vlog`) against libm's `ln_1p`: at most 1 ulp apart over what
/// the loss gives it (s in [0, 15]), below (−1, 0), near 0 and up to 1e300, and the special
/// values exactly (±0 kept, −1 → −∞, below −1 NaN, ∞ and NaN themselves); f32 through f64.
#[test]
fn vectorised_log1p_is_within_one_ulp_of_libm() {
    use gradlens::engine::compiled::vlog::{ln_1p_f32, ln_1p_f64};
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let ulps64 = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).abs();
    let mut xs: Vec<f64> = (0..200_000).map(|_| rng.random_range(0.0..15.0)).collect();
    xs.extend((0..100_000).map(|_| rng.random_range(-0.999_999..1.0)));
    xs.extend((0..100_000).map(|_| rng.random_range(-1e-6..1e-6)));
    xs.extend((0..100_000).map(|_| 10f64.powf(rng.random_range(-320.0..300.0))));
    xs.extend([1e-300, 5e-324, f64::MIN_POSITIVE, 2f64.powi(53), 2f64.powi(54), 2f64.powi(55), f64::MAX]);
    let mut y = xs.clone();
    ln_1p_f64(&mut y);
    let worst = xs.iter().zip(&y).map(|(&x, &v)| (ulps64(v, x.ln_1p()), x)).max_by_key(|p| p.0).unwrap();
    assert!(worst.0 <= 1, "f64: {} ulp at x = {:e}", worst.0, worst.1);
    let mut special = [0.0, -0.0, -1.0, -2.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
    ln_1p_f64(&mut special);
    assert_eq!(special[0].to_bits(), 0f64.to_bits());
    assert_eq!(special[1].to_bits(), (-0f64).to_bits());
    assert_eq!(&special[2..3], &[f64::NEG_INFINITY]);
    assert!(special[3].is_nan() && special[5].is_nan() && special[6].is_nan());
    assert_eq!(special[4], f64::INFINITY);

    let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).filter(|x| x.is_finite() && *x > -1.0).collect();
    let mut y32 = xs32.clone();
    ln_1p_f32(&mut y32);
    let ulps32 = |a: f32, b: f32| (a.to_bits() as i32 - b.to_bits() as i32).abs();
    let worst = xs32.iter().zip(&y32).map(|(&x, &v)| (ulps32(v, x.ln_1p()), x)).max_by_key(|p| p.0).unwrap();
    assert!(worst.0 <= 1, "f32: {} ulp at x = {:e}", worst.0, worst.1);
}

/// Prediction on the engine gives the log-probabilities of `predict::log_probabilities` (f64 to
/// 1e-12, f32 to 1e-5 relative to the largest), in blocks past 4,096 rows, for a sigmoid output
/// too (a model trained with the quadratic loss), and names the row whose logits overflow.
#[test]
fn engine_prediction_equals_the_old_path() {
    use gradlens::engine::compiled::predict::log_probabilities as engine_log_p;
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let model = random_model(&mut rng, 4, 3, &[6], Act::Sigmoid, true, Some(Softmax));
    let x = ndarray::Array2::from_shape_fn((5000, 4), |(i, j)| ((i * 31 + j * 17) % 97) as f64 / 20.0 - 2.4);
    let want = gradlens::predict::log_probabilities(&model, &x).unwrap();
    for (dtype, rel) in [(Dtype::F64, 1e-12), (Dtype::F32, 1e-5)] {
        let got = engine_log_p(EngineOptions { dtype, threads: 2 }, &model, &x).unwrap();
        assert_close(&format!("{dtype:?} log-probabilities"), got.as_slice().unwrap(), want.as_slice().unwrap(), rel);
    }
    // Outputs that are not probabilities: ln softmax of the outputs, as the tape's path gives.
    let sigmoid_out = random_model(&mut rng, 4, 3, &[5], Act::Tanh, true, Some(Layer::Activation(Act::Sigmoid)));
    let want = gradlens::predict::log_probabilities(&sigmoid_out, &x).unwrap();
    let got = engine_log_p(EngineOptions { dtype: Dtype::F64, threads: 1 }, &sigmoid_out, &x).unwrap();
    assert_close("sigmoid output", got.as_slice().unwrap(), want.as_slice().unwrap(), 1e-12);
    let mut x_bad = x.clone();
    x_bad[[4321, 2]] = f64::INFINITY; // any non-zero weight makes its logits ±∞ or NaN
    let wide = random_model(&mut rng, 4, 3, &[], Act::Relu, false, Some(Softmax));
    let err = engine_log_p(EngineOptions { dtype: Dtype::F64, threads: 1 }, &wide, &x_bad).unwrap_err().to_string();
    assert!(err.contains("row 4322"), "{err}");
}

/// Data past the engine's transpose limit (2¹⁰·2¹⁰ numbers) is read row-major as it is (f64
/// batches as views of it, f32 batches rounded as they are taken): the same runs as the tape,
/// shuffled or not, and f32 within 1e-4 of f64. The 8-unit layer's forward product reads the
/// batch in place (`direct::dot_columns`); the 40-unit layer's transposes each thread's block of
/// samples first (`direct::transpose_columns`, then `direct::axpy_columns`), where the CPU has
/// AVX-512.
#[test]
fn large_data_read_row_major_gives_the_same_runs() {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let data = random_data(&mut rng, 2100, 500, 4, false);
    assert!(data.features.len() > 1 << 20);
    for (hidden, shuffle) in [(8, false), (8, true), (40, false), (40, true)] {
        let model = random_model(&mut rng, 500, 4, &[hidden], Act::Tanh, true, Some(Softmax));
        let config = TrainConfig {
            optimizer: Optimizer::momentum(0.01, 0.9).unwrap(),
            epochs: 2,
            batch_size: Some(256),
            shuffle,
            loss: Loss::default(),
            freeze_bias: false,
            api: Api::Stax,
            penalty: gradlens::loss::Penalty::NONE,
            train_accuracy: TrainAccuracy::AfterEpoch,
        };
        // The accuracy counted by the steps on the shuffled runs (gathered batches), after the
        // epoch on the others.
        let config = TrainConfig {
            train_accuracy: if shuffle { TrainAccuracy::Steps } else { TrainAccuracy::AfterEpoch },
            ..config
        };
        let tape = run(Engine::Tape, &config, &model, &data, None);
        let fast = run(compiled(Dtype::F64, 2), &config, &model, &data, None);
        assert_close("losses", &losses(&fast), &losses(&tape), 1e-12);
        assert_close("weights", &fast.model.params().to_flat(), &tape.model.params().to_flat(), 1e-12);
        let acc = |r: &TrainResult| r.epochs.iter().map(|e| e.train_accuracy).collect::<Vec<_>>();
        assert_eq!(acc(&fast), acc(&tape), "{:?} accuracies", config.train_accuracy);
        let single = run(compiled(Dtype::F32, 2), &config, &model, &data, None);
        for (a, b) in losses(&single).iter().zip(losses(&fast)) {
            assert!((a - b).abs() <= 1e-4 * b.abs(), "f32 {a} vs f64 {b}");
        }
    }
}

/// Classes from logits equal `predict::classes` of the log-probabilities, near-ties included
/// (an earlier logit within rounding of the largest, where the exact log-probabilities decide),
/// with scratch sized for wider layers than the output (as a plan sizes it); and the one-layer
/// path counts them right.
#[test]
fn classes_from_logits_settle_near_ties_as_predict_does() {
    use gradlens::engine::compiled::kernels::classes_of_logits;
    let (k, m) = (3, 6);
    let big = 1e17_f64; // one ulp of 1e17 is 16
    // Columns: samples. 0: a clear winner; 1: an exact tie, the first wins; 2, 3: huge logits an
    // ulp apart (the gap is far above rounding of ln(1 + s) ≤ ln 3); 4: a clear winner among
    // small ones; 5: 0.3 one ulp below 0.30000000000000004, so their log-probabilities
    // (z − max) − ln(1 + s) both round to −ln(1 + s): a tie, which the first (0.3) wins.
    let rows = [
        [0.0, 1.0, big, big - 16.0, 0.1, 0.3],
        [2.0, 1.0, big, big, 0.2, 0.30000000000000004],
        [1.0, 1.0, big - 16.0, big, 0.1, 0.1],
    ];
    let z: Vec<f64> = rows.iter().flatten().copied().collect();
    let logits = ndarray::Array2::from_shape_fn((m, k), |(j, c)| rows[c][j]);
    let want = gradlens::predict::classes(&gradlens::engine::hand::log_softmax(&logits));
    let mut stats = ColStats::new(m, 50);
    let mut got = vec![0; m];
    classes_of_logits(&z, k, m, &mut got, &mut stats).unwrap();
    assert_eq!(want, [1, 0, 0, 1, 1, 0], "predict's classes, as argued above");
    assert_eq!(got, want);
    // The one-layer path's count, through an identity layer (z = 1·x + 0 + 0, exactly x): every
    // sample right against predict's classes, none against the next class.
    use gradlens::engine::compiled::small::OneLayer;
    let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let layer = OneLayer {
        inputs: k,
        classes: k,
        w_at: 0,
        b_at: None,
        ln_base: 1.0,
        tie_tol: ColStats::<f64>::tie_tolerance(k),
    };
    let x: Vec<f64> = (0..m).flat_map(|j| rows.iter().map(move |r| r[j])).collect();
    let count = |labels: &[usize]| layer.count_correct(&identity, Batch::rows(&x, m, k), labels).correct;
    assert_eq!(count(&want), m);
    assert_eq!(count(&want.iter().map(|c| (c + 1) % k).collect::<Vec<_>>()), 0);
}
