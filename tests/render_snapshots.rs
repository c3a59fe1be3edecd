//! The text and Markdown walk-throughs of `gradlens explain`, as insta snapshots, plus the layout
//! rules (80 columns, no escape codes without colour) and the spec's numbers where the reader
//! sees them.
//!
//! Each snapshot was read against `../shared/spec/worked-example.md` (blog runs) and against JAX
//! float64 (the hidden-layer run: `tools/jax_render_hidden.py`, asserted in
//! `hidden_layer_numbers_are_jax_s`) before it was accepted. To update after an intended change:
//! `INSTA_UPDATE=always cargo test --test render_snapshots`, then read the diff of the `.snap`
//! files.

use gradlens::layers::{Dense, Params, Softmax, Tanh, serial};
use gradlens::loss::{LogBase, Loss};
use gradlens::model::Model;
use gradlens::render::{Format, fmt_num, render};
use gradlens::trace::{ExplainRequest, Explanation, Update, explain};
use ndarray::array;

fn blog(base: LogBase) -> Explanation {
    explain(&ExplainRequest { loss: Loss::CrossEntropy { log_base: base }, ..ExplainRequest::blog() })
        .expect("the blog's example")
}

fn base2() -> LogBase {
    LogBase::new(2.0).expect("2 is a log base")
}

/// 3 inputs → dense(4) with bias → tanh → dense(3) with bias → softmax, two samples of
/// different classes, α = 0.1: every kind of stage the walk-through has beyond the blog's.
fn hidden() -> Explanation {
    let w1 = array![[0.2, -0.4, 0.1], [0.5, 0.3, -0.2], [-0.3, 0.8, 0.6], [0.1, 0.1, -0.7]];
    let b1 = array![[0.05, -0.1, 0.0, 0.2]];
    let w2 = array![[0.3, -0.6, 0.2, 0.4], [-0.5, 0.1, 0.7, -0.2], [0.2, 0.4, -0.3, 0.6]];
    let b2 = array![[0.1, 0.0, -0.1]];
    let params = Params::Serial(vec![
        Params::Dense { w_out_in: w1, b: Some(b1) },
        Params::None,
        Params::Dense { w_out_in: w2, b: Some(b2) },
        Params::None,
    ]);
    let model = Model::new(serial([Dense(4), Tanh, Dense(3), Softmax]), params).expect("a valid model");
    let request = ExplainRequest {
        model,
        inputs: array![[0.5, -1.2, 0.3], [-0.7, 0.4, 1.1]],
        scaler: None,
        targets: gradlens::data::Targets::numbered(vec![2, 0], 3),
        update: Update::Sgd { learning_rate: 0.1 },
        loss: Loss::default(),
        freeze_bias: false,
        class_names: None,
        feature_names: None,
        features: None,
        penalty: gradlens::loss::Penalty::NONE,
    };
    explain(&request).expect("the hidden-layer example")
}

/// The gradient check's largest differences are rounding noise (about 1e-10 for finite
/// differences, 1e-16 between tape and hand formulas) whose last digits follow the platform's
/// `exp` and `ln`; the snapshots keep each line but not its number, which
/// `check_differences_are_the_traces` covers.
fn without_check_noise(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        match line.rfind(" = ").filter(|_| line.contains("max |") || line.contains("\\max \\lvert")) {
            Some(i) => {
                let close = if line.ends_with('$') { "$" } else { "" };
                out.push_str(&format!("{} = [rounding noise]{close}", &line[..i]));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn text(e: &Explanation) -> String {
    render(e, Format::Text, false)
}

fn markdown(e: &Explanation) -> String {
    render(e, Format::Markdown, false)
}

#[test]
fn blog_text() {
    insta::assert_snapshot!("blog_text", without_check_noise(&text(&blog(LogBase::E))));
}

#[test]
fn blog_markdown() {
    insta::assert_snapshot!("blog_markdown", without_check_noise(&markdown(&blog(LogBase::E))));
}

#[test]
fn blog_log2_text() {
    insta::assert_snapshot!("blog_log2_text", without_check_noise(&text(&blog(base2()))));
}

#[test]
fn hidden_layer_bias_batch_text() {
    insta::assert_snapshot!("hidden_text", without_check_noise(&text(&hidden())));
}

#[test]
fn hidden_layer_bias_batch_markdown() {
    insta::assert_snapshot!("hidden_markdown", without_check_noise(&markdown(&hidden())));
}

#[test]
fn text_fits_80_columns_and_has_no_escape_codes_without_colour() {
    for (name, e) in [("blog ln", blog(LogBase::E)), ("blog log2", blog(base2())), ("hidden", hidden())] {
        let out = text(&e);
        assert!(!out.contains('\x1b'), "{name}: an escape code with color=false");
        for (n, line) in out.lines().enumerate() {
            // Every symbol used (·, −, ∂, ŷ, subscripts, box rule) is one column wide.
            assert!(line.chars().count() <= 80, "{name}: line {} is {} columns: {line}", n + 1, line.chars().count());
        }
    }
}

#[test]
fn colour_only_when_asked_for() {
    let e = blog(LogBase::E);
    let coloured = render(&e, Format::Text, true);
    assert!(coloured.contains("\x1b[1;36m1. Inputs, weights and target\x1b[0m"), "headings are coloured");
    // The colour wraps whole lines: stripped of it, the text is the same.
    let stripped =
        coloured.replace("\x1b[1;36m", "").replace("\x1b[1;32m", "").replace("\x1b[1m", "").replace("\x1b[0m", "");
    assert_eq!(stripped, text(&e));
    assert!(!markdown(&e).contains('\x1b'));
}

/// The spec's numbers, in the form the reader meets them (8 significant digits).
#[test]
fn blog_text_shows_the_spec_numbers() {
    let out = text(&blog(LogBase::E));
    let expected = [
        // z1 = 0.81·0.15 + 0.57·0.29 + 0.28·0.10 + 0.84·0.71 = 0.9112 (spec "Forward")
        "z₁ = 0.81·0.15 + 0.57·0.29 + 0.28·0.1 + 0.84·0.71 = 0.9112",
        // z2 = 0.6105, z3 = −0.1517 (spec)
        "= 0.6105\n",
        "= -0.1517\n",
        // softmax(z) = [0.4794433, 0.35493179, 0.16562491] (spec)
        "ŷ = [0.4794433, 0.35493179, 0.16562491]",
        // loss = −log(0.4794433) = 0.73512964 nats (JAX golden blog_ln: 0.7351296406658168)
        "L = −[1·ln(0.4794433) + 0·ln(0.35493179) + 0·ln(0.16562491)]",
        "= 0.73512964 nats",
        // 1.0605679 bits (JAX golden blog_log2: 1.0605678869990596)
        "= 1.0605679 bits",
        // ∂L/∂z1 = ŷ1 − y1 = 0.4794433 − 1 (spec "Backward")
        "∂L/∂z₁ = 0.4794433 − 1 = -0.5205567",
        // ∂L/∂W_11 = (0.4794433 − 1)·0.81 = −0.42165093 (JAX golden blog_ln: −0.4216509273262612)
        "∂L/∂W₁₁ = (-0.5205567)·0.81 = -0.42165093",
        // ∂L/∂W_34 = 0.13912492 (JAX golden blog_ln: 0.13912492230925952)
        "∂L/∂W₃₄ = 0.16562491·0.84 = 0.13912492",
        // W_11 = 0.15 − 0.25·(−0.4216509) = 0.2554127 (spec "Update"; golden 0.2554127318315653)
        "W₁₁: 0.15 − 0.25·(-0.42165093) = 0.25541273",
        // loss after the update 0.5643395 nats (JAX golden blog_ln: 0.5643395044568869)
        "L′ = 0.5643395 nats",
        // The post prints z1 = 0.91119 (spec "Where the published post is loose")
        "It prints z₁ = 0.91119; the exact sum is 0.9112.",
    ];
    for s in expected {
        assert!(out.contains(s), "missing {s:?} in:\n{out}");
    }
    assert!(out.contains("Passed:"), "the gradient check passes on the blog's example");
}

#[test]
fn log2_text_carries_the_factor_one_over_ln_2() {
    let out = text(&blog(base2()));
    let expected = [
        // ∂L/∂z = (ŷ − y)/ln 2 (spec "Backward", base b)
        "∂L/∂zᵢ = (ŷᵢ − yᵢ)/ln 2",
        // ∂L/∂W_11 = −0.6083137 with log₂ (spec; JAX golden blog_log2: −0.6083137018398298)
        "= -0.6083137\n",
        // W_11 → 0.3020784 (spec; JAX golden blog_log2: 0.30207842545995744)
        "W₁₁: 0.15 − 0.25·(-0.6083137) = 0.30207843",
        // loss after the update 0.7200084 bits (spec; JAX golden blog_log2: 0.7200083766133125)
        "L′ = 0.72000838 bits",
        "L = −[1·log₂(0.4794433) + 0·log₂(0.35493179) + 0·log₂(0.16562491)]",
    ];
    for s in expected {
        assert!(out.contains(s), "missing {s:?} in:\n{out}");
    }
    // Bits are the chosen unit here: no second "in bits" line.
    assert!(!out.contains("the unit the post quotes"));
}

#[test]
fn the_post_notes_appear_only_for_the_posts_example() {
    assert!(text(&blog(LogBase::E)).contains("Where the published post is loose"));
    assert!(!text(&hidden()).contains("Where the published post is loose"));
    let other_step = explain(&ExplainRequest { update: Update::Sgd { learning_rate: 0.5 }, ..ExplainRequest::blog() })
        .expect("valid");
    assert!(!text(&other_step).contains("Where the published post is loose"));
}

#[test]
fn check_differences_are_the_traces() {
    for e in [blog(LogBase::E), hidden()] {
        let (out, c) = (text(&e), &e.check);
        assert!(out.contains(&format!("max |tape − hand| = {}\n", fmt_num(c.max_diff_tape_hand))));
        assert!(out.contains(&format!("max |tape − finite difference| = {}\n", fmt_num(c.max_diff_tape_fd))));
        assert!(out.contains(&format!("max |hand − finite difference| = {}\n", fmt_num(c.max_diff_hand_fd))));
    }
}

/// A step of a run with adam (`train --trace`): the update stage states adam's rule and shows the
/// run's new weights, not a plain gradient step's.
#[test]
fn a_run_step_with_adam_shows_the_run_s_update() {
    use gradlens::update::Optimizer;
    let blog = ExplainRequest::blog();
    let adam = Optimizer::adam(0.01).unwrap();
    let memory = adam.init(&blog.model.params()).memory().clone();
    let e = explain(&ExplainRequest { update: Update::Run { optimizer: adam, memory }, ..blog }).unwrap();
    let t = text(&e);
    let prose = t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(prose.contains("Adam (b1 0.9, b2 0.999") && prose.contains("a training run with adam"), "{t}");
    assert!(!t.contains("Plain gradient descent"), "{t}");
    // Adam's first step moves every weight by about α against its gradient's sign:
    // m̂ = g, v̂ = g², so W₁₁ ← 0.15 − 0.01·g/(|g| + 1e-8) ≈ 0.15 + 0.01 = 0.16 (g₁₁ < 0, spec).
    let w11 = e.layers[0].clone();
    let gradlens::trace::LayerTrace::Dense(d) = w11 else { panic!("dense first") };
    assert!((d.new_weights[[0, 0]] - 0.16).abs() < 1e-9, "{}", d.new_weights[[0, 0]]);
    assert!(t.contains("0.16"), "{t}");
}

/// The hidden-layer run's key numbers, against JAX float64 (`python3 tools/jax_render_hidden.py`),
/// and as the walk-through prints them.
#[test]
fn hidden_layer_numbers_are_jax_s() {
    let e = hidden();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
    let gradlens::trace::LayerTrace::Dense(d1) = &e.layers[0] else { panic!("layer 0 is dense") };
    let gradlens::trace::LayerTrace::Dense(d2) = &e.layers[2] else { panic!("layer 2 is dense") };
    // JAX: loss 0.9899095848130857, ∂L/∂W⁽²⁾₁₁ 0.17684450478157124, ∂L/∂W⁽¹⁾₁₁ 0.13961691610735305,
    // loss after α = 0.1: 0.8861700080775078.
    assert!(close(e.loss, 0.9899095848130857), "{}", e.loss);
    assert!(close(d2.grad_weights[[0, 0]], 0.17684450478157124));
    assert!(close(d1.grad_weights[[0, 0]], 0.13961691610735305));
    assert!(close(e.new_loss, 0.8861700080775078), "{}", e.new_loss);
    let t = text(&e);
    for shown in ["0.98990958", "0.1768445", "0.13961692", "0.88617001"] {
        assert!(t.contains(shown), "{shown} in the text");
    }
}
