//! Gradients against central finite differences, and the two gradient paths against each other
//! (issue 2, sections 2 and 4):
//! - every tape primitive and composite on random inputs;
//! - property tests: the tape (`engine::tape::value_and_grad`) and the hand-derived model
//!   (`engine::hand::hand_grad`) agree to 1e-12 relative and both match finite differences, on random
//!   shapes, values, bias or not, bases e, 2, 10, with or without one hidden layer;
//! - numerics: logits of ±1e4 and a probability of exactly 0 on the true class;
//! - the `log(exp(x))` rewrite is exact.
//!
//! Finite differences: (f(θ + h) − f(θ − h)) / 2h with h = 1e-6, and an analytic gradient a passes
//! against the numeric n when |a − n| ≤ 1e-6 + 1e-5·|n| (the tolerance issue 2 sets).

use gradlens::activation::Activation;
use gradlens::autodiff::{Tape, Var};
use gradlens::data::one_hot;
use gradlens::engine::hand::hand_grad;
use gradlens::engine::tape::{Pass, value_and_grad};
use gradlens::layers::{Dense, Layer, Params, Softmax, Tanh, serial};
use gradlens::loss::{LogBase, Loss};
use gradlens::model::Model;
use gradlens::trace::{ExplainRequest, Update, explain};
use ndarray::{Array2, array};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const H: f64 = 1e-6;

/// Cross-entropy in base `b`.
fn ce(log_base: LogBase) -> Loss {
    Loss::CrossEntropy { log_base }
}

fn fd_ok(a: f64, n: f64) -> bool {
    (a - n).abs() <= 1e-6 + 1e-5 * n.abs()
}

fn random(rng: &mut ChaCha8Rng, shape: (usize, usize), low: f64, high: f64) -> Array2<f64> {
    Array2::from_shape_simple_fn(shape, || rng.random_range(low..high))
}

// ---------------------------------------------------------------------------------------------
// (a) Each primitive and composite against finite differences.
// ---------------------------------------------------------------------------------------------

/// Checks the tape's gradient of `op` with respect to each of `inputs`.
///
/// A non-scalar output is reduced to the scalar Σ out ⊙ R with a random constant R, so every
/// entry of the output's gradient is exercised with a different weight; a 1×1 output is used as
/// it is. The numeric side evaluates the same reduction with plain ndarray, off the tape.
fn check_op(name: &str, rng: &mut ChaCha8Rng, inputs: &[Array2<f64>], op: impl Fn(&mut Tape, &[Var]) -> Var) {
    let run = |values: &[Array2<f64>]| -> (Tape, Vec<Var>, Var) {
        let mut tape = Tape::new();
        let vars: Vec<Var> = values.iter().map(|v| tape.leaf(v.clone())).collect();
        let out = op(&mut tape, &vars);
        (tape, vars, out)
    };
    let out_shape = {
        let (tape, _, out) = run(inputs);
        tape.shape(out)
    };
    let weights = if out_shape == (1, 1) { Array2::ones((1, 1)) } else { random(rng, out_shape, -1.0, 1.0) };
    let scalar = |values: &[Array2<f64>]| -> f64 {
        let (tape, _, out) = run(values);
        (tape.value(out) * &weights).sum()
    };

    let (mut tape, vars, out) = run(inputs);
    let loss = if out_shape == (1, 1) {
        out
    } else {
        let r = tape.leaf(weights.clone());
        let weighted = tape.mul(out, r).expect("same shape");
        tape.sum(weighted)
    };
    let grads = tape.backward(loss);

    let mut shifted = inputs.to_vec();
    for (i, var) in vars.iter().enumerate() {
        let analytic = grads.of(&tape, *var);
        assert_eq!(analytic.dim(), inputs[i].dim(), "{name}: gradient of input {i} has the input's shape");
        for idx in ndarray::indices(inputs[i].dim()) {
            let v = inputs[i][idx];
            shifted[i][idx] = v + H;
            let plus = scalar(&shifted);
            shifted[i][idx] = v - H;
            let minus = scalar(&shifted);
            shifted[i][idx] = v;
            let numeric = (plus - minus) / (2.0 * H);
            let a = analytic[idx];
            assert!(fd_ok(a, numeric), "{name}: ∂/∂input{i}{idx:?}: tape {a}, finite difference {numeric}");
        }
    }
}

#[test]
fn primitives_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (m, n, k) = (3, 4, 5);
    let a = random(&mut rng, (m, n), -2.0, 2.0);
    let w = random(&mut rng, (k, n), -1.0, 1.0);
    let row = random(&mut rng, (1, n), -1.0, 1.0);
    let b = random(&mut rng, (m, n), -2.0, 2.0);
    let positive = random(&mut rng, (m, n), 0.2, 3.0);
    // relu's kink at 0 has no derivative: keep every entry at least 0.1 away from it.
    let off_kink = random(&mut rng, (m, n), 0.1, 2.0).mapv(|v| if rng.random_range(0..2) == 0 { v } else { -v });
    let c: f64 = rng.random_range(-2.0..2.0);

    check_op("matmul_nt", &mut rng, &[a.clone(), w], |t, v| t.matmul_nt(v[0], v[1]).unwrap());
    check_op("add_row", &mut rng, &[a.clone(), row], |t, v| t.add_row(v[0], v[1]).unwrap());
    check_op("mul", &mut rng, &[a.clone(), b], |t, v| t.mul(v[0], v[1]).unwrap());
    check_op("exp", &mut rng, std::slice::from_ref(&a), |t, v| t.exp(v[0]));
    check_op("log", &mut rng, &[positive], |t, v| t.log(v[0]));
    for act in Activation::ALL {
        // relu's and leaky relu's kink at 0 has no derivative: they get inputs away from it.
        let input = if matches!(act, Activation::Relu | Activation::LeakyRelu) { &off_kink } else { &a };
        check_op(act.name(), &mut rng, std::slice::from_ref(input), |t, v| t.activation(act, v[0]));
    }
    check_op("sum", &mut rng, std::slice::from_ref(&a), |t, v| t.sum(v[0]));
    check_op("scale", &mut rng, std::slice::from_ref(&a), |t, v| t.scale(v[0], c));
    check_op("softmax", &mut rng, std::slice::from_ref(&a), |t, v| t.softmax(v[0]));
    check_op("log_softmax", &mut rng, &[a], |t, v| t.log_softmax(v[0]));
}

/// The chain through several primitives at once, as a dense layer and its loss use them.
#[test]
fn a_dense_layer_and_its_loss_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let x = random(&mut rng, (4, 3), -2.0, 2.0);
    let w = random(&mut rng, (5, 3), -1.0, 1.0);
    let b = random(&mut rng, (1, 5), -1.0, 1.0);
    let y = one_hot(&[0, 4, 2, 2], 5);
    check_op("dense + softmax + cross-entropy", &mut rng, &[x, w, b], |t, v| {
        let z = t.matmul_nt(v[0], v[1]).unwrap();
        let z = t.add_row(z, v[2]).unwrap();
        let p = t.softmax(z);
        let log_p = t.log(p);
        let targets = t.leaf(y.clone());
        let picked = t.mul(targets, log_p).unwrap();
        let total = t.sum(picked);
        t.scale(total, -0.25)
    });
}

/// relu′ at exactly 0 is 0, as stax's `Relu` (`jax.nn.relu`) gives it at that point (checked in JAX).
#[test]
fn relu_gradient_at_zero_is_zero() {
    let mut tape = Tape::new();
    let a = tape.leaf(array![[0.0, 1.0, -1.0]]);
    let r = tape.activation(Activation::Relu, a);
    let s = tape.sum(r);
    assert_eq!(tape.backward(s).of(&tape, a), array![[0.0, 1.0, 0.0]]);
}

// ---------------------------------------------------------------------------------------------
// (b) The tape and the hand-derived model agree, and both match finite differences.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Hidden {
    None,
    /// One hidden layer of this width with this activation.
    Layer(Activation, usize),
}

#[derive(Debug, Clone)]
struct Case {
    features: usize,
    classes: usize,
    hidden: Hidden,
    bias: bool,
    base: LogBase,
    x: Array2<f64>,
    targets: Vec<usize>,
    /// Every parameter, in `Params::to_flat` order.
    flat: Vec<f64>,
}

impl Case {
    fn model(&self) -> Model {
        let dense = |out: usize| if self.bias { Dense(out) } else { Dense(out).without_bias() };
        let layers = match self.hidden {
            Hidden::None => vec![dense(self.classes), Softmax],
            Hidden::Layer(f, h) => vec![dense(h), Layer::Activation(f), dense(self.classes), Softmax],
        };
        // Any initialiser gives the shapes; the case's own numbers replace its draws.
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let model = Model::init(serial(layers), &mut rng, self.features).expect("a valid model");
        let params = model.params().with_flat(&self.flat);
        model.with_params(&params)
    }

    /// The smallest |pre-activation| of a relu hidden layer over the batch (∞ without one).
    fn relu_margin(&self, model: &Model) -> f64 {
        let Hidden::Layer(Activation::Relu | Activation::LeakyRelu, _) = self.hidden else { return f64::INFINITY };
        let p = model.params();
        let p = p.layer(0);
        let mut z = gradlens::autodiff::ops::a_wt(&self.x, p.weights().unwrap());
        if let Some(b) = p.bias() {
            z += b;
        }
        z.iter().fold(f64::INFINITY, |m, v| m.min(v.abs()))
    }
}

fn param_count(n: usize, k: usize, hidden: Hidden, bias: bool) -> usize {
    let dense = |out: usize, inp: usize| out * inp + if bias { out } else { 0 };
    match hidden {
        Hidden::None => dense(k, n),
        Hidden::Layer(_, h) => dense(h, n) + dense(k, h),
    }
}

fn cases() -> impl Strategy<Value = Case> {
    let hidden = prop_oneof![
        Just(Hidden::None),
        (prop::sample::select(Activation::ALL.to_vec()), 2..=5usize).prop_map(|(f, h)| Hidden::Layer(f, h)),
    ];
    let base = prop_oneof![Just(LogBase::E), Just(LogBase::new(2.0).unwrap()), Just(LogBase::new(10.0).unwrap())];
    (1..=6usize, 2..=5usize, 1..=4usize, hidden, any::<bool>(), base).prop_flat_map(
        |(features, classes, samples, hidden, bias, base)| {
            let x = prop::collection::vec(-2.0..2.0f64, samples * features);
            let flat = prop::collection::vec(-1.5..1.5f64, param_count(features, classes, hidden, bias));
            let targets = prop::collection::vec(0..classes, samples);
            (x, flat, targets).prop_map(move |(x, flat, targets)| Case {
                features,
                classes,
                hidden,
                bias,
                base,
                x: Array2::from_shape_vec((samples, features), x).unwrap(),
                targets,
                flat,
            })
        },
    )
}

/// Central finite differences of the tape's loss with respect to every parameter.
fn finite_differences(model: &Model, x: &Array2<f64>, y: &Array2<f64>, base: LogBase) -> Vec<f64> {
    finite_differences_of(model, x, y, ce(base))
}

/// The same for any loss.
fn finite_differences_of(model: &Model, x: &Array2<f64>, y: &Array2<f64>, loss_fn: Loss) -> Vec<f64> {
    let (params, theta) = (model.params(), model.params().to_flat());
    let loss = |flat: &[f64]| Pass::forward(&model.with_params(&params.with_flat(flat)), x, y, loss_fn).unwrap().loss();
    let mut shifted = theta.clone();
    (0..theta.len())
        .map(|i| {
            shifted[i] = theta[i] + H;
            let plus = loss(&shifted);
            shifted[i] = theta[i] - H;
            let minus = loss(&shifted);
            shifted[i] = theta[i];
            (plus - minus) / (2.0 * H)
        })
        .collect()
}

/// a and b within 1e-12 relative. The floor 1e-15 stands for float64 rounding of the O(1)
/// quantities the gradients are made from: (ŷ − y) with ŷ ≈ 1 is computed as ŷ/(m·ln b) − y/(m·ln b)
/// by the tape and as (ŷ − y)/(m·ln b) by hand, which agree to a few 1e-16 absolute, not relative.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) + 1e-15
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: RngSeed::Fixed(4), ..ProptestConfig::default() })]

    #[test]
    fn tape_and_hand_agree_and_match_finite_differences(case in cases()) {
        let model = case.model();
        // A relu pre-activation within reach of ±h would make the finite difference straddle the kink.
        prop_assume!(case.relu_margin(&model) > 1e-3);
        let y = one_hot(&case.targets, case.classes);

        let (tape_loss, tape_grads) = value_and_grad(&model, &case.x, &y, ce(case.base)).unwrap();
        let hand = hand_grad(&model, &case.x, &y, ce(case.base)).unwrap();
        prop_assert!(same(tape_loss, hand.loss), "loss: tape {} hand {}", tape_loss, hand.loss);

        let tape = tape_grads.to_flat();
        let by_hand = hand.grads.to_flat();
        prop_assert_eq!(tape.len(), model.param_count());
        prop_assert_eq!(by_hand.len(), tape.len());
        let numeric = finite_differences(&model, &case.x, &y, case.base);
        for (i, ((a, h), n)) in tape.iter().zip(&by_hand).zip(&numeric).enumerate() {
            prop_assert!(same(*a, *h), "parameter {}: tape {} hand {}", i, a, h);
            prop_assert!(fd_ok(*a, *n), "parameter {}: tape {} finite difference {}", i, a, n);
            prop_assert!(fd_ok(*h, *n), "parameter {}: hand {} finite difference {}", i, h, n);
        }
    }
}

/// The quadratic cost with every kind of output layer (issue 6, §2): tape, hand and finite
/// differences agree, on a 3-4-k model with tanh hidden units and real-valued targets.
#[derive(Debug, Clone, Copy)]
enum Output {
    Softmax,
    LogSoftmax,
    Linear,
    Act(Activation),
}

fn quadratic_cases() -> impl Strategy<Value = (Output, usize, Vec<f64>, Vec<f64>, Vec<f64>)> {
    let output = prop_oneof![
        Just(Output::Softmax),
        Just(Output::LogSoftmax),
        Just(Output::Linear),
        prop::sample::select(Activation::ALL.to_vec()).prop_map(Output::Act),
    ];
    (output, 1..=3usize, 2..=3usize).prop_flat_map(|(output, m, k)| {
        let params = prop::collection::vec(-1.5..1.5f64, 4 * 3 + 4 + k * 4 + k);
        let x = prop::collection::vec(-2.0..2.0f64, m * 3);
        let y = prop::collection::vec(-1.0..1.0f64, m * k);
        (Just(output), Just(k), params, x, y)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, rng_seed: RngSeed::Fixed(6), ..ProptestConfig::default() })]

    #[test]
    fn quadratic_cost_with_any_output_layer((output, k, flat, x, y) in quadratic_cases()) {
        let mut layers = vec![Dense(4), Tanh, Dense(k)];
        match output {
            Output::Softmax => layers.push(Softmax),
            Output::LogSoftmax => layers.push(gradlens::layers::LogSoftmax),
            Output::Linear => {}
            Output::Act(f) => layers.push(Layer::Activation(f)),
        }
        let model = Model::init(serial(layers), &mut ChaCha8Rng::seed_from_u64(0), 3).unwrap();
        let model = model.with_params(&model.params().with_flat(&flat));
        let m = x.len() / 3;
        let (x, y) = (Array2::from_shape_vec((m, 3), x).unwrap(), Array2::from_shape_vec((m, k), y).unwrap());
        if let Output::Act(Activation::Relu | Activation::LeakyRelu) = output {
            // Keep the finite differences off the kink at 0.
            let z = gradlens::engine::hand::forward(&model, &x).unwrap();
            prop_assume!(z[2].iter().all(|v| v.abs() > 1e-3));
        }
        let (tape_loss, tape_grads) = value_and_grad(&model, &x, &y, Loss::Quadratic).unwrap();
        let hand = hand_grad(&model, &x, &y, Loss::Quadratic).unwrap();
        prop_assert!(same(tape_loss, hand.loss), "loss: tape {} hand {}", tape_loss, hand.loss);
        let numeric = finite_differences_of(&model, &x, &y, Loss::Quadratic);
        for (i, ((a, h), n)) in tape_grads.to_flat().iter().zip(hand.grads.to_flat()).zip(&numeric).enumerate() {
            prop_assert!(same(*a, h), "parameter {}: tape {} hand {}", i, a, h);
            prop_assert!(fd_ok(*a, *n), "parameter {}: tape {} finite difference {}", i, a, n);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (c) Numerics: huge logits, a probability of exactly 0.
// ---------------------------------------------------------------------------------------------

/// x = [1], W = [[1e4], [−1e4], [0]] (no bias): z = [1e4, −1e4, 0].
fn huge_logits_model() -> Model {
    let params = Params::Serial(vec![Params::Dense { w_out_in: array![[1e4], [-1e4], [0.0]], b: None }, Params::None]);
    Model::new(serial([Dense(3).without_bias(), Softmax]), params).unwrap()
}

#[test]
fn huge_logits_give_a_finite_loss_and_gradients() {
    let model = huge_logits_model();
    let x = array![[1.0]];
    // True class 0 (z = 1e4): ŷ = [1, e^−2e4, e^−1e4] = [1, 0, 0] in float64; loss = ln(1 + e^−1e4 +
    // e^−2e4) = 0; ∂L/∂W = (ŷ − y)ᵀ·x = 0.
    // True class 1 (z = −1e4): ŷ₁ is exactly 0; loss = logsumexp(z) − z₁ = 1e4 − (−1e4) = 2e4;
    // ∂L/∂W = (ŷ − y)ᵀ·x = [1, −1, 0]ᵀ.
    for (target, loss, grad) in [(0, 0.0, [0.0, 0.0, 0.0]), (1, 2e4, [1.0, -1.0, 0.0])] {
        let y = one_hot(&[target], 3);
        let (tape_loss, tape_grads) = value_and_grad(&model, &x, &y, Loss::default()).unwrap();
        let hand = hand_grad(&model, &x, &y, Loss::default()).unwrap();
        for (who, l, g) in [("tape", tape_loss, tape_grads.to_flat()), ("hand", hand.loss, hand.grads.to_flat())] {
            assert!(l.is_finite() && (l - loss).abs() <= 1e-12 * loss, "{who}, class {target}: loss {l}, want {loss}");
            assert_eq!(g, grad.to_vec(), "{who}, class {target}: gradient");
        }
    }
    // All logits −1e4: the shift keeps e^z from underflowing to 0/0; ŷ = 1/3 each, loss = ln 3.
    let flat = Params::Serial(vec![Params::Dense { w_out_in: array![[-1e4], [-1e4], [-1e4]], b: None }, Params::None]);
    let (l, g) =
        value_and_grad(&model.with_params(&flat), &x, &one_hot(&[2], 3), ce(LogBase::new(2.0).unwrap())).unwrap();
    // In bits: log₂ 3. lse = −1e4 + ln 3 is held to float64's spacing near 1e4 (1.8e-12), and the
    // loss lse − z₁ inherits that absolute error.
    assert!((l - 3f64.log2()).abs() <= 4e-12, "{l}");
    assert!(g.to_flat().iter().all(|v| v.is_finite()));
}

/// Logits (28, 0, −1) with target class 0 (issue 6, §3): x = [1], W = [[28], [0], [−1]], no bias.
/// With s = e^(−28) + e^(−29), the exact loss is ln(1 + s) and ∂L/∂W₁₁ = (ŷ₁ − 1)·1 = −s/(1 + s).
/// Reference values from mpmath at 50 digits (`mp.dps = 50; s = exp(-28) + exp(-29)`):
/// log1p(s) = 9.4580657543126532e-13, −s/(1 + s) = −9.4580657543081804e-13. JAX's
/// `z − logsumexp(z)` gives the loss 1e-4 relative off; both gradlens paths are within a few ulp.
#[test]
fn a_nearly_certain_prediction_keeps_its_digits_on_both_paths() {
    let params = Params::Serial(vec![Params::Dense { w_out_in: array![[28.0], [0.0], [-1.0]], b: None }, Params::None]);
    let model = Model::new(serial([Dense(3).without_bias(), Softmax]), params).unwrap();
    let (x, y) = (array![[1.0]], one_hot(&[0], 3));
    let (loss, dw) = (9.458065754312653e-13, -9.45806575430818e-13);
    let (tape_loss, tape_grads) = value_and_grad(&model, &x, &y, Loss::default()).unwrap();
    let hand = hand_grad(&model, &x, &y, Loss::default()).unwrap();
    let ulps = |a: f64, b: f64| ((a - b) / b).abs() / f64::EPSILON;
    for (who, l, g) in [("tape", tape_loss, tape_grads.to_flat()), ("hand", hand.loss, hand.grads.to_flat())] {
        assert!(ulps(l, loss) < 4.0, "{who}: loss {l:e}, exact {loss:e}");
        assert!(ulps(g[0], dw) < 4.0, "{who}: ∂L/∂W₁₁ {:e}, exact {dw:e}", g[0]);
        // ∂L/∂W₂₁ = ŷ₂ = e^(−28)/(1 + s), ∂L/∂W₃₁ = ŷ₃ = e^(−29)/(1 + s) (mpmath:
        // 6.9144001069336633e-13, 2.5436656473745171e-13).
        assert!(ulps(g[1], 6.914400106933663e-13) < 4.0 && ulps(g[2], 2.543665647374517e-13) < 4.0, "{who}: {g:?}");
    }
}

/// `explain` on the case where the true class's probability is exactly 0: finite loss (2e4 nats),
/// finite gradients and update, and JSON that still parses.
#[test]
fn explain_with_a_zero_probability_on_the_true_class() {
    let request = ExplainRequest {
        model: huge_logits_model(),
        inputs: array![[1.0]],
        scaler: None,
        targets: gradlens::data::Targets::numbered(vec![1], 3),
        update: Update::Sgd { learning_rate: 0.25 },
        loss: Loss::default(),
        freeze_bias: false,
        class_names: None,
        feature_names: None,
        features: None,
        penalty: gradlens::loss::Penalty::NONE,
    };
    let e = explain(&request).unwrap();
    assert_eq!(e.probabilities[[0, 1]], 0.0, "e^−2e4 underflows: the premise of this test");
    assert!((e.loss - 2e4).abs() <= 1e-12 * 2e4, "loss {}", e.loss);
    assert!(e.new_loss.is_finite());
    let gradlens::trace::LayerTrace::Dense(d) = &e.layers[0] else { panic!("layer 0 is dense") };
    assert!(d.grad_weights.iter().chain(d.new_weights.iter()).all(|v| v.is_finite()));
    // W ← W − 0.25·[1, −1, 0]ᵀ.
    assert_eq!(d.new_weights.column(0).to_vec(), vec![1e4 - 0.25, -1e4 + 0.25, 0.0]);
    let json: serde_json::Value = serde_json::from_str(&gradlens::render::json(&e)).expect("valid JSON");
    assert_eq!(json["loss"].as_f64(), Some(e.loss));
    // The long way through the softmax Jacobian must not turn (−∞)·0 into NaN: with ŷ₁ cancelled,
    // ∂L/∂z_b = −([1 = b] − ŷ_b) = ŷ_b − y_b = [1, −1, 0] (ŷ = [1, 0, 0], y = [0, 1, 0]).
    let gradlens::trace::LayerTrace::Softmax(sm) = &e.layers[1] else { panic!("layer 1 is softmax") };
    assert_eq!(sm.jacobian_times_grad.row(0).to_vec(), vec![1.0, -1.0, 0.0]);
    assert!(!json["layers"][1]["jacobian_times_grad"].to_string().contains("null"), "no NaN in the JSON");
}

/// A model too large to check every parameter by finite differences: the check samples
/// `MAX_FD_PARAMETERS` of them, spread over every layer, and still passes.
#[test]
fn a_large_model_checks_a_sample_by_finite_differences() {
    use gradlens::trace::check::{MAX_FD_PARAMETERS, fd_sample};
    // 4 → 60 → 3 with biases: 4·60 + 60 + 60·3 + 3 = 483 parameters.
    let model =
        Model::init(serial([Dense(60), Tanh, Dense(3), Softmax]), &mut ChaCha8Rng::seed_from_u64(3), 4).unwrap();
    let request = ExplainRequest {
        model,
        inputs: array![[0.81, 0.57, 0.28, 0.84]],
        scaler: None,
        targets: gradlens::data::Targets::numbered(vec![2], 3),
        update: Update::Sgd { learning_rate: 0.25 },
        loss: Loss::default(),
        freeze_bias: false,
        class_names: None,
        feature_names: None,
        features: None,
        penalty: gradlens::loss::Penalty::NONE,
    };
    let e = explain(&request).unwrap();
    assert_eq!(e.check.parameters, 483);
    assert_eq!(e.check.fd_parameters, MAX_FD_PARAMETERS);
    assert!(e.check.passed, "{:?}", e.check);
    let sample = fd_sample(483);
    assert_eq!((sample[0], *sample.last().unwrap()), (0, 482), "first and last parameter are in");
    assert!(sample.windows(2).all(|w| w[0] < w[1]), "distinct, in order");
    assert_eq!(fd_sample(12), (0..12).collect::<Vec<_>>(), "a small model is checked whole");
}

// ---------------------------------------------------------------------------------------------
// (d) The log(exp(x)) rewrite.
// ---------------------------------------------------------------------------------------------

/// `log(exp(x))` is `x` itself: the same value bit for bit, even where e^x under- or overflows
/// (ln(e^−1e4) would be −∞, ln(e^1e3) +∞), and the gradient passes through unchanged.
#[test]
fn log_of_exp_is_rewritten_exactly() {
    let x_value = array![[-1e4, -745.5, 0.3, 1e3], [1e-300, -0.0, 7.0, -36.7]];
    let mut tape = Tape::new();
    let x = tape.leaf(x_value.clone());
    let e = tape.exp(x);
    let l = tape.log(e);
    assert_eq!(l, x, "log(exp(x)) hands back x's own node");
    assert_eq!(tape.value(l), &x_value);
    let r_value = array![[0.5, -1.0, 2.0, 3.0], [-0.25, 1.5, 0.0, 4.0]];
    let r = tape.leaf(r_value.clone());
    let weighted = tape.mul(l, r).unwrap();
    let s = tape.sum(weighted);
    assert_eq!(tape.backward(s).of(&tape, x), r_value);

    // A log of anything else is computed.
    let p = tape.leaf(array![[0.5, 2.0]]);
    let lp = tape.log(p);
    assert_ne!(lp, p);
    assert_eq!(tape.value(lp), &array![[0.5f64.ln(), 2f64.ln()]]);
}

/// Through a whole model: the loss of a softmax model (log taken of its exp output) equals the
/// loss of the same model ending in log-softmax, exactly.
#[test]
fn softmax_and_log_softmax_models_give_the_same_loss() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let x = random(&mut rng, (3, 4), -2.0, 2.0);
    let y = one_hot(&[2, 0, 1], 3);
    let params = Params::Serial(vec![
        Params::Dense { w_out_in: random(&mut rng, (3, 4), -1.0, 1.0), b: Some(random(&mut rng, (1, 3), -1.0, 1.0)) },
        Params::None,
    ]);
    let soft = Model::new(serial([Dense(3), Softmax]), params.clone()).unwrap();
    let log_soft = Model::new(serial([Dense(3), gradlens::layers::LogSoftmax]), params).unwrap();
    let base = LogBase::new(10.0).unwrap();
    let (a, ga) = value_and_grad(&soft, &x, &y, ce(base)).unwrap();
    let (b, gb) = value_and_grad(&log_soft, &x, &y, ce(base)).unwrap();
    assert_eq!(a, b);
    assert_eq!(ga, gb);
}
