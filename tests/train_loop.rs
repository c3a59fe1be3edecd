//! The training loop's semantics, by hand on tiny data, and the two gradient paths against each
//! other. (Agreement with JAX on Iris is tests/train_golden.rs.)

use gradlens::data::{Dataset, ScaleKind, Targets};
use gradlens::layers::{Dense, Init, Params, Softmax, serial};
use gradlens::loss::Loss;
use gradlens::model::Model;
use gradlens::train::{
    Activation, Api, Engine, EpochStats, ModelSpec, Observer, Silent, Step, TrainAccuracy, TrainConfig, train, train_on,
};
use gradlens::update::Optimizer;
use ndarray::{Array2, array};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// One feature, two classes: row a (x = 1, class 0), row b (x = 2, class 1).
fn two_rows() -> Dataset {
    Dataset {
        features: array![[1.0], [2.0]].into(),
        feature_names: vec!["x".into()],
        target: Targets::Classes { labels: vec![0, 1], names: vec!["a".into(), "b".into()] },
    }
}

/// serial(Dense(2) without bias, Softmax) with W = 0.
fn zero_model() -> Model {
    Model::new(
        serial([Dense(2).without_bias(), Softmax]),
        Params::Serial(vec![Params::Dense { w_out_in: Array2::zeros((2, 1)), b: None }, Params::None]),
    )
    .unwrap()
}

fn config(batch_size: Option<usize>, api: Api) -> TrainConfig {
    TrainConfig {
        optimizer: Optimizer::sgd(1.0).unwrap(),
        epochs: 1,
        batch_size,
        shuffle: false,
        loss: Loss::default(),
        freeze_bias: false,
        api,
        penalty: gradlens::loss::Penalty::NONE,
        train_accuracy: gradlens::train::TrainAccuracy::AfterEpoch,
    }
}

fn weights(m: &Model) -> Vec<f64> {
    m.params().to_flat()
}

#[test]
fn minibatch_losses_are_taken_before_each_update_and_averaged() {
    for api in [Api::Stax, Api::Custom] {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let r = train(&config(Some(1), api), zero_model(), &two_rows(), None, &mut rng, &mut Silent).unwrap();
        // Step 1, row a with W = 0: ŷ = [½, ½], L = ln 2; ∂L/∂W = (ŷ − y)·x = [−½, ½]·1, so with
        // step size 1, W = [½, −½].
        // Step 2, row b: z = W·2 = [1, −1], ŷ = [σ(2), σ(−2)], L = −ln σ(−2) = ln(1 + e²);
        // ∂L/∂W = (ŷ − y)·2 = [2σ(2), −2σ(2)], so W = [½ − 2σ(2), −½ + 2σ(2)].
        let want_loss = (2f64.ln() + (1.0 + 2f64.exp()).ln()) / 2.0;
        assert!((r.epochs[0].loss - want_loss).abs() < 1e-15, "{api:?}: {}", r.epochs[0].loss);
        let w = weights(&r.model);
        let s2 = sigmoid(2.0);
        assert!((w[0] - (0.5 - 2.0 * s2)).abs() < 1e-15 && (w[1] - (-0.5 + 2.0 * s2)).abs() < 1e-15, "{w:?}");
        // After the epoch, W = [−1.26, 1.26]: both rows score class b higher, so row a is wrong.
        assert_eq!(r.epochs[0].train_accuracy, Some(0.5));
        assert_eq!(r.epochs[0].test_accuracy, None);
        // Counted by the steps instead: step 1 sees z = [0, 0], a tie, which the first class
        // wins (as jnp.argmax): row a, class a, right; step 2 sees z = [1, −1], class a, but row
        // b is class b: wrong. 1 of 2 again, by another count (the next test tells them apart).
        let steps = TrainConfig { train_accuracy: TrainAccuracy::Steps, ..config(Some(1), api) };
        let s = train(&steps, zero_model(), &two_rows(), None, &mut rng, &mut Silent).unwrap();
        assert_eq!(s.epochs[0].train_accuracy, Some(0.5), "{api:?}");
        assert_eq!((s.epochs[0].loss, weights(&s.model)), (r.epochs[0].loss, w), "{api:?}: the same run");
    }
}

/// The training accuracy counted by the steps against the one after the epoch, by hand. Rows
/// (x = 1, class a) and (x = −1, class b); serial(Dense(2) without bias, Softmax) from
/// W = [0, 1]ᵀ; sgd, step size 10; 2 epochs.
///
/// Batches of 1, epoch 1: step 1 (row a) sees z = W·1 = [0, 1]: class b, wrong;
/// ŷ = [1/(1 + e), e/(1 + e)] = [0.2689, 0.7311], ∂L/∂W = (ŷ − y)·x = [−0.7311, 0.7311], so
/// W = [7.311, −6.311]. Step 2 (row b) sees z = W·(−1) = [−7.311, 6.311]: class b, right (and
/// its gradient, of size ŷ_a = 1/(1 + e^13.62) ≈ 1.2e−6, moves W by 1.2e−5). Steps: 1 of 2 =
/// 0.5. After the epoch W ≈ [7.311, −6.311] classes row a as a and row b as b: 1.0. Epoch 2: both
/// steps see that W and class right: 1.0 either way.
///
/// Full batch: epoch 1's only step sees W = [0, 1]: row a [0, 1] → b, wrong; row b [0, −1] → a,
/// wrong: 0.0. The mean gradient ½([−0.7311, 0.7311]·1 + [0.7311, −0.7311]·(−1)) = [−0.7311,
/// 0.7311] gives W = [7.311, −6.311], both right after the epoch: 1.0; epoch 2's step sees that W:
/// 1.0 (with one batch, epoch e + 1's steps count equals epoch e's after-epoch count).
#[test]
fn the_steps_accuracy_counts_each_step_before_its_update_by_hand() {
    let data = Dataset {
        features: array![[1.0], [-1.0]].into(),
        feature_names: vec!["x".into()],
        target: Targets::Classes { labels: vec![0, 1], names: vec!["a".into(), "b".into()] },
    };
    let model = Model::single_dense(array![[0.0], [1.0]], None).unwrap();
    let engines =
        [(Engine::Tape, Api::Stax), (Engine::Tape, Api::Custom), (gradlens::run::train::default_engine(), Api::Stax)];
    for (batch, steps_want, after_want) in [(Some(1), [0.5, 1.0], [1.0, 1.0]), (None, [0.0, 1.0], [1.0, 1.0])] {
        for (engine, api) in engines {
            let base = TrainConfig { optimizer: Optimizer::sgd(10.0).unwrap(), epochs: 2, ..config(batch, api) };
            let accuracies = |train_accuracy| {
                let config = TrainConfig { train_accuracy, ..base.clone() };
                let mut rng = ChaCha8Rng::seed_from_u64(0);
                let r = train_on(engine, &config, model.clone(), &data, None, &mut rng, &mut Silent).unwrap();
                r.epochs.iter().map(|e| e.train_accuracy.unwrap()).collect::<Vec<_>>()
            };
            let what = format!("{} {api:?}, batch {batch:?}", engine.name());
            assert_eq!(accuracies(TrainAccuracy::Steps), steps_want, "{what}: counted by the steps");
            assert_eq!(accuracies(TrainAccuracy::AfterEpoch), after_want, "{what}: after each epoch");
        }
    }
}

#[test]
fn a_full_batch_step_uses_the_mean_gradient() {
    for api in [Api::Stax, Api::Custom] {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let r = train(&config(None, api), zero_model(), &two_rows(), None, &mut rng, &mut Silent).unwrap();
        // W = 0: both rows have ŷ = [½, ½] and L = ln 2, so E = ln 2.
        // ∂E/∂W = ½ Σ (ŷ − y)·x = ½([−½, ½]·1 + [½, −½]·2) = [¼, −¼], so W = [−¼, ¼].
        assert!((r.epochs[0].loss - 2f64.ln()).abs() < 1e-15);
        assert_eq!(weights(&r.model), vec![-0.25, 0.25]);
    }
}

/// A regression step by hand: one feature, one value target, a linear model (Dense(1), no
/// output activation) starting at W = 0, b = 0, full batch, α = 0.1, the quadratic loss.
/// Rows (x = 1, y = 3) and (x = 2, y = 5): ŷ = [0, 0], E = ½(½·3² + ½·5²) = 8.5;
/// ∂E/∂ŷ = (ŷ − y)/m = [−1.5, −2.5], ∂E/∂W = −1.5·1 − 2.5·2 = −6.5, ∂E/∂b = −4;
/// W⁺ = 0 − 0.1·(−6.5) = 0.65, b⁺ = 0 − 0.1·(−4) = 0.4.
#[test]
fn a_regression_step_by_hand_on_every_engine() {
    let data = Dataset {
        features: array![[1.0], [2.0]].into(),
        feature_names: vec!["x".into()],
        target: Targets::Values { values: array![[3.0], [5.0]], names: vec!["y".into()] },
    };
    let model = Model::builder().dense(array![[0.0]], Some(array![[0.0]])).build().unwrap();
    let config = TrainConfig {
        optimizer: Optimizer::sgd(0.1).unwrap(),
        loss: Loss::Quadratic,
        epochs: 1,
        ..TrainConfig::default()
    };
    let engines = [
        (Engine::Tape, Api::Stax),
        (Engine::Tape, Api::Custom),
        (Engine::new(true, gradlens::engine::compiled::Dtype::F64, Some(1)).unwrap(), Api::Stax),
        (Engine::new(true, gradlens::engine::compiled::Dtype::F32, Some(1)).unwrap(), Api::Stax),
    ];
    for (engine, api) in engines {
        let config = TrainConfig { api, ..config.clone() };
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let r = train_on(engine, &config, model.clone(), &data, None, &mut rng, &mut Silent).unwrap();
        let tol = if engine.dtype() == gradlens::engine::compiled::Dtype::F32 { 1e-6 } else { 1e-15 };
        assert!((r.epochs[0].loss - 8.5).abs() < tol, "{engine:?} {api:?}: {}", r.epochs[0].loss);
        let w = weights(&r.model);
        assert!((w[0] - 0.65).abs() < tol && (w[1] - 0.4).abs() < tol, "{engine:?} {api:?}: {w:?}");
        assert_eq!((r.epochs[0].train_accuracy, r.epochs[0].test_accuracy), (None, None));
    }
    // Cross-entropy cannot read values: refused before any step, naming the loss.
    let ce = TrainConfig { loss: Loss::default(), ..config };
    let e = train(&ce, model, &data, None, &mut ChaCha8Rng::seed_from_u64(0), &mut Silent).unwrap_err().to_string();
    assert!(e.contains("loss") && e.contains("need the quadratic loss"), "{e}");
}

/// Records each step's batch.
#[derive(Default)]
struct Batches {
    rows: Vec<Vec<Vec<f64>>>,
    steps: Vec<usize>,
    epochs_seen: Vec<usize>,
}

impl Observer for Batches {
    fn wants_steps(&self) -> bool {
        true
    }
    fn step(&mut self, step: &Step) -> gradlens::Result<()> {
        self.rows.push(step.x.rows().into_iter().map(|r| r.to_vec()).collect());
        self.steps.push(step.step);
        Ok(())
    }
    fn epoch(&mut self, stats: &EpochStats, _model: &Model) -> gradlens::Result<()> {
        self.epochs_seen.push(stats.epoch);
        Ok(())
    }
}

fn iris_model(bias: bool, rng: &mut ChaCha8Rng) -> Model {
    let spec =
        ModelSpec { hidden: vec![], activation: Activation::Tanh, bias, init: Init::UNIFORM, ..ModelSpec::default() };
    spec.build(4, 3, rng).unwrap()
}

#[test]
fn without_shuffling_batches_follow_the_data_and_the_last_is_smaller() {
    let iris = Dataset::iris();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let model = iris_model(true, &mut rng);
    let cfg = TrainConfig { epochs: 2, batch_size: Some(32), ..config(None, Api::Stax) };
    let mut seen = Batches::default();
    train(&cfg, model, &iris, None, &mut rng, &mut seen).unwrap();
    // 150 = 4·32 + 22, twice; the step counter runs on across epochs.
    let sizes: Vec<usize> = seen.rows.iter().map(Vec::len).collect();
    assert_eq!(sizes, [32, 32, 32, 32, 22, 32, 32, 32, 32, 22]);
    assert_eq!(seen.steps, (0..10).collect::<Vec<_>>());
    assert_eq!(seen.epochs_seen, [1, 2]);
    let in_order: Vec<Vec<f64>> = iris.features.f64().rows().into_iter().map(|r| r.to_vec()).collect();
    assert_eq!(seen.rows[..5].concat(), in_order);
    assert_eq!(seen.rows[5..].concat(), in_order);
}

#[test]
fn shuffling_visits_every_row_once_per_epoch_in_a_new_order() {
    let iris = Dataset::iris();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let model = iris_model(true, &mut rng);
    let cfg = TrainConfig { epochs: 2, batch_size: Some(40), shuffle: true, ..config(None, Api::Stax) };
    let mut seen = Batches::default();
    train(&cfg, model, &iris, None, &mut rng, &mut seen).unwrap();
    let sorted = |mut rows: Vec<Vec<f64>>| {
        rows.sort_by(|a, b| a.partial_cmp(b).unwrap());
        rows
    };
    let all = sorted(iris.features.f64().rows().into_iter().map(|r| r.to_vec()).collect());
    let (first, second) = (seen.rows[..4].concat(), seen.rows[4..].concat());
    assert_ne!(first, second, "each epoch draws a new order");
    assert_ne!(first, iris.features.f64().rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>());
    assert_eq!(sorted(first), all);
    assert_eq!(sorted(second), all);
}

/// The whole run from a seed: data split and scaled, model drawn, shuffled minibatches.
fn seeded_run(seed: u64, api: Api, optimizer: Optimizer) -> (Vec<EpochStats>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let prepared = Dataset::iris().prepare(0.2, Some(ScaleKind::Standard), &mut rng).unwrap();
    let model = iris_model(true, &mut rng);
    let cfg = TrainConfig { epochs: 30, batch_size: Some(16), shuffle: true, optimizer, ..config(None, api) };
    let r = train(&cfg, model, &prepared.train, prepared.test.as_ref(), &mut rng, &mut Silent).unwrap();
    (r.epochs, weights(&r.model))
}

#[test]
fn the_same_seed_gives_the_same_run_bit_for_bit() {
    let sgd = Optimizer::sgd(0.1).unwrap();
    let (a, wa) = seeded_run(7, Api::Stax, sgd);
    let (b, wb) = seeded_run(7, Api::Stax, sgd);
    assert_eq!(a, b);
    assert_eq!(wa.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), wb.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    let (c, _) = seeded_run(8, Api::Stax, sgd);
    assert_ne!(a, c, "another seed, another split, model and order");
    assert!(a.iter().all(|e| e.test_accuracy.is_some()));
}

#[test]
fn the_tape_and_the_hand_derived_gradient_train_alike() {
    for optimizer in
        [Optimizer::sgd(0.1).unwrap(), Optimizer::momentum(0.05, 0.9).unwrap(), Optimizer::adam(0.01).unwrap()]
    {
        let (stax, ws) = seeded_run(3, Api::Stax, optimizer);
        let (custom, wc) = seeded_run(3, Api::Custom, optimizer);
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(f64::MIN_POSITIVE);
        for (s, c) in stax.iter().zip(&custom) {
            assert!(rel(s.loss, c.loss) <= 1e-12, "{optimizer:?} epoch {}: {} vs {}", s.epoch, s.loss, c.loss);
            assert_eq!(s.train_accuracy, c.train_accuracy);
        }
        for (a, b) in ws.iter().zip(&wc) {
            assert!(rel(*a, *b) <= 1e-12, "{optimizer:?}: weight {a} vs {b}");
        }
    }
}

#[test]
fn the_default_model_learns_iris() {
    // Not a golden figure: the bar (≥ 0.93 test accuracy; scikit-learn's
    // LogisticRegression gets about 0.97) on the CLI's defaults, seed 0.
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let prepared = Dataset::iris().prepare(0.2, Some(ScaleKind::Standard), &mut rng).unwrap();
    let spec = ModelSpec::default();
    let model = spec.build(4, 3, &mut rng).unwrap();
    let cfg = TrainConfig::default();
    let r = train(&cfg, model, &prepared.train, prepared.test.as_ref(), &mut rng, &mut Silent).unwrap();
    let last = r.epochs.last().unwrap();
    assert!(last.test_accuracy.unwrap() >= 0.93, "{last:?}");
    assert!(last.loss < r.epochs[0].loss);
}

#[test]
fn bad_settings_are_refused_before_training() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let data = two_rows();
    let err = |cfg: TrainConfig, model: Model| {
        train(&cfg, model, &data, None, &mut ChaCha8Rng::seed_from_u64(0), &mut Silent).unwrap_err().to_string()
    };
    assert!(err(TrainConfig { epochs: 0, ..config(None, Api::Stax) }, zero_model()).contains("epochs"));
    assert!(err(config(Some(0), Api::Stax), zero_model()).contains("batch size"));
    let hidden = ModelSpec { hidden: vec![3], activation: Activation::Relu, ..ModelSpec::default() }
        .build(1, 2, &mut rng)
        .unwrap();
    // The hand path takes hidden layers too, and agrees with the tape (to 1e-12 relative).
    let run =
        |api| train(&config(None, api), hidden.clone(), &data, None, &mut ChaCha8Rng::seed_from_u64(0), &mut Silent);
    let (stax, custom) = (run(Api::Stax).unwrap(), run(Api::Custom).unwrap());
    for (a, b) in stax.epochs.iter().zip(&custom.epochs) {
        assert!((a.loss - b.loss).abs() <= 1e-12 * a.loss.abs().max(1e-300), "{} vs {}", a.loss, b.loss);
    }
    let wide = iris_model(false, &mut rng);
    let e = err(config(None, Api::Stax), wide);
    assert!(e.contains("takes 4 inputs but the data has 1 features"), "{e}");
}
