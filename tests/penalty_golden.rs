//! `--l2` and `--l1` against JAX: `tests/golden/penalty_jax.json`, made by
//! `tools/jax_penalty_reference.py` (the regularised loss L = L_data + λ₂/2·Σ W² + λ₁·Σ |W|
//! written in JAX, weights only, differentiated by jax.grad in float64; sign(0) = 0 at a zero
//! weight). One explained step and 20-epoch training runs, on every engine, equal to 1e-12
//! relative.

mod golden_run;

use assert_cmd::Command;
use gradlens::data::Targets;
use gradlens::loss::{Loss, Penalty};
use gradlens::model::ModelFile;
use gradlens::trace::{ExplainRequest, LayerTrace, Update, explain};
use ndarray::Array2;
use serde_json::Value;
use std::path::Path;

const REL: f64 = 1e-12;

fn golden() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/penalty_jax.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
}

fn flat(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|r| if r.is_array() { numbers(r) } else { vec![r.as_f64().unwrap()] })
        .collect()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().unwrap().iter().map(numbers).collect();
    Array2::from_shape_vec((rows.len(), rows[0].len()), rows.concat()).unwrap()
}

/// `got` equals `want` to [`REL`] relative, each number; a mismatch is described in `bad`.
fn compare(bad: &mut Vec<String>, what: &str, got: &[f64], want: &[f64]) {
    if got.len() != want.len() {
        bad.push(format!("{what}: {} numbers, JAX has {}", got.len(), want.len()));
        return;
    }
    for (k, (a, b)) in got.iter().zip(want).enumerate() {
        if (a - b).abs() > REL * b.abs() {
            bad.push(format!("{what}[{k}]: {a} vs JAX {b} ({:.1e} relative)", ((a - b) / b).abs()));
        }
    }
}

#[test]
fn an_explained_step_with_a_penalty_equals_jax() {
    let mut bad = Vec::new();
    for case in golden()["explain"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let model = ModelFile::parse(&case["model"].to_string(), Path::new(name)).unwrap().to_model(Path::new(name));
        let y = matrix(&case["y"]);
        let loss = Loss::from_name(case["loss_function"].as_str().unwrap(), None).unwrap();
        let targets = match loss {
            Loss::Quadratic => Targets::unnamed_values(y),
            Loss::CrossEntropy { .. } => Targets::numbered(
                y.rows().into_iter().map(|r| r.iter().position(|&v| v == 1.0).unwrap()).collect(),
                y.ncols(),
            ),
        };
        let e = explain(&ExplainRequest {
            model: model.unwrap(),
            inputs: matrix(&case["x"]),
            targets,
            update: Update::Sgd { learning_rate: case["lr"].as_f64().unwrap() },
            loss,
            penalty: Penalty::new(case["l2"].as_f64().unwrap(), case["l1"].as_f64().unwrap()).unwrap(),
            ..ExplainRequest::blog()
        })
        .unwrap();
        let want = &case["expect"];
        let p = e.penalty.as_ref().expect("a penalty stage");
        let one = |x: f64| [x];
        compare(&mut bad, &format!("{name} data loss"), &one(e.loss), &one(want["data_loss"].as_f64().unwrap()));
        compare(&mut bad, &format!("{name} penalty"), &one(p.value), &one(want["penalty"].as_f64().unwrap()));
        compare(&mut bad, &format!("{name} L"), &one(p.total_loss), &one(want["total_loss"].as_f64().unwrap()));
        let after = one(want["new_total_loss"].as_f64().unwrap());
        compare(&mut bad, &format!("{name} L after"), &one(p.new_total_loss), &after);
        let dense: Vec<_> =
            e.layers.iter().filter_map(|l| if let LayerTrace::Dense(d) = l { Some(d) } else { None }).collect();
        let jax = want["dense"].as_array().unwrap();
        assert_eq!(dense.len(), jax.len(), "{name}");
        assert_eq!(p.gradients.len(), jax.len(), "{name}");
        for (l, ((d, g), w)) in dense.iter().zip(&p.gradients).zip(jax).enumerate() {
            let total: Vec<f64> = g.total.iter().copied().collect();
            compare(&mut bad, &format!("{name} layer {l} ∂L/∂W"), &total, &flat(&w["grad_weights"]));
            // The penalty's part is λ₂·W + λ₁·sign(W) exactly; the data's part is grad_weights.
            let sum: Vec<f64> = d.grad_weights.iter().zip(g.penalty.iter()).map(|(a, b)| a + b).collect();
            compare(&mut bad, &format!("{name} layer {l} data + penalty"), &sum, &flat(&w["grad_weights"]));
            if let (Some(b), false) = (&d.grad_bias, w["grad_bias"].is_null()) {
                // Biases are not penalised: their gradient is the data's alone.
                compare(&mut bad, &format!("{name} layer {l} ∂L/∂b"), b, &numbers(&w["grad_bias"]));
            }
            let new: Vec<f64> = d.new_weights.iter().copied().collect();
            compare(&mut bad, &format!("{name} layer {l} new W"), &new, &flat(&w["new_weights"]));
        }
    }
    assert!(bad.is_empty(), "{} mismatches:\n{}", bad.len(), bad.join("\n"));
}

/// The same step through `gradlens explain --l2 0.1 --format json` (the blog's example).
#[test]
fn explain_json_has_the_penalty() {
    let out =
        Command::cargo_bin("gradlens").unwrap().args(["explain", "--l2", "0.1", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    let case = &golden()["explain"][0];
    assert_eq!(case["name"], "blog_l2");
    let mut bad = Vec::new();
    compare(
        &mut bad,
        "L",
        &[e["penalty"]["total_loss"].as_f64().unwrap()],
        &[case["expect"]["total_loss"].as_f64().unwrap()],
    );
    compare(
        &mut bad,
        "new W",
        &flat(&e["layers"][0]["new_weights"]),
        &flat(&case["expect"]["dense"][0]["new_weights"]),
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Each case of the file through `gradlens train`, on the compiled engine, the tape and the
/// hand-derived gradient: every epoch's loss (the penalised one) and the final weights.
#[test]
fn twenty_epochs_with_a_penalty_equal_jax_on_every_engine() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = Vec::new();
    let cases = golden()["train"].as_array().unwrap().clone();
    assert!(
        cases.iter().any(|c| c["l1"].as_f64().unwrap() > 0.0) && cases.iter().any(|c| c["l2"].as_f64().unwrap() > 0.0)
    );
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        for engine in [&["--engine", "compiled"][..], &["--engine", "tape"], &["--api", "custom"]] {
            let mut cmd = golden_run::train_command(case, dir.path());
            cmd.args(["--l2", &case["l2"].to_string(), "--l1", &case["l1"].to_string()]).args(engine);
            let report = golden_run::report(&mut cmd, name);
            let what = format!("{name} {}", engine.join(" "));
            let losses: Vec<f64> =
                report["epochs"].as_array().unwrap().iter().map(|e| e["loss"].as_f64().unwrap()).collect();
            compare(&mut bad, &format!("{what} epoch loss"), &losses, &numbers(&case["expect"]["epoch_loss"]));
            let layers = |m: &Value| -> Vec<f64> {
                m["layers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|l| l["type"] == "dense")
                    .flat_map(|l| flat(&l["weights"]))
                    .collect()
            };
            compare(
                &mut bad,
                &format!("{what} final W"),
                &layers(&report["model"]),
                &layers(&case["expect"]["final_model"]),
            );
        }
    }
    assert!(bad.is_empty(), "{} mismatches, first ones:\n{}", bad.len(), bad[..bad.len().min(20)].join("\n"));
}

/// The walk-through's stage 5b and the chain panel, with the numbers of JAX golden blog_l2:
/// L_data = 0.7351296406658168, penalty = 0.1/2·Σ W² = 0.05·3.5796 = 0.17898 (Σ W² of the blog's
/// W, 0.15² + 0.29² + … + 0.21² = 3.5796), L = 0.9141096406658168; ∂L/∂W₁₁ = ∂L_data/∂W₁₁ + 0.1·0.15
/// = (0.4794433 − 1)·0.81 + 0.015 = −0.4216509 + 0.015 = −0.4066509 (spec, as the crate doc's example).
#[test]
fn the_walk_through_and_the_chain_panel_show_the_penalty_with_numbers() {
    let out =
        Command::cargo_bin("gradlens").unwrap().args(["explain", "--l2", "0.1", "--color", "never"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "5b. The weight penalty",
        "penalty = λ₂/2·Σ W² = 0.1/2·3.5796 = 0.17898",
        "L = 0.73512964 + 0.17898 = 0.91410964",
        "∂L/∂W₁₁ = -0.42165093 + 0.1·0.15 = -0.40665093",
        // Stage 6 steps along the penalised gradient: 0.15 − 0.25·(−0.40665093) = 0.25166273.
        "W₁₁: 0.15 − 0.25·(-0.40665093) = 0.25166273",
    ] {
        assert!(text.contains(want), "the walk-through lacks {want}");
    }
    let e = explain(&ExplainRequest { penalty: Penalty::new(0.1, 0.0).unwrap(), ..ExplainRequest::blog() }).unwrap();
    let chains = gradlens::render::chain::chains(&e);
    let w11 = chains.iter().find(|c| c.kind == "weight" && c.layer == 0 && c.row == 0 && c.col == Some(0)).unwrap();
    assert_eq!(w11.gradient, "-0.40665093");
    assert!(w11.html.contains("-0.42165093") && w11.html.contains("0.25166273"), "{}", w11.html);
}
