//! `gradlens train` against JAX, through the real binary.
//!
//! Each case of `tests/golden/train_public.json` (given with the task) and
//! `tests/golden/train_jax.json` (made by `tools/jax_train_reference.py`, stax + optimizers in
//! float64) is a run from a fixed initial model on Iris standardised over all 150 rows, batches
//! in the data's order: the binary gets the case's model file and
//! `--epochs E --batch-size B --no-shuffle --scale standard --test-fraction 0 --optimizer …
//! --lr … [--momentum …] --log-base … --format json`, and every epoch's loss and training
//! accuracy, and the final weights, must equal JAX's to 1e-9 relative. The training accuracy is
//! JAX's after each epoch (`train_accuracy_after_epoch`, the default), and with
//! `--train-accuracy steps`, on both engines, JAX's count of each step's samples classed right
//! before its update (`train_accuracy_steps`, in train_jax.json).

mod golden_run;

use serde_json::Value;
use std::path::Path;

const REL: f64 = 1e-9;

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= REL * want.abs().max(1e-12)
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
}

/// How a case runs: the options added to the command (none: the defaults), and the JAX figures
/// its training accuracy is held to.
struct Way {
    options: &'static [&'static str],
    accuracy: &'static str,
}

/// The defaults: the compiled engine, the accuracy after each epoch.
const DEFAULT: Way = Way { options: &[], accuracy: "train_accuracy_after_epoch" };

/// Runs one case and compares; returns a description of every mismatch.
fn check_case(case: &Value, dir: &Path, way: &Way) -> Vec<String> {
    let name = &format!("{} {}", case["name"].as_str().unwrap(), way.options.join(" "));
    let mut cmd = golden_run::train_command(case, dir);
    cmd.args(["--log-base", case.get("log_base").and_then(Value::as_str).unwrap_or("e")]);
    cmd.args(way.options);
    let report = golden_run::report(&mut cmd, name);
    let said = if way.accuracy == "train_accuracy_steps" { "steps" } else { "after-epoch" };
    assert_eq!(report["config"]["train_accuracy"], said, "{name}: the report says how the accuracy was taken");

    let expect = &case["expect"];
    let want_loss = numbers(&expect["epoch_loss"]);
    let want_acc = numbers(&expect[way.accuracy]);
    let epochs = report["epochs"].as_array().unwrap();
    let mut bad = Vec::new();
    if epochs.len() != want_loss.len() {
        bad.push(format!("{name}: {} epochs, JAX has {}", epochs.len(), want_loss.len()));
        return bad;
    }
    for (i, e) in epochs.iter().enumerate() {
        assert_eq!(e["epoch"].as_u64(), Some(i as u64 + 1));
        assert!(e["test_accuracy"].is_null(), "{name}: no test split, so no test accuracy");
        let (loss, acc) = (e["loss"].as_f64().unwrap(), e["train_accuracy"].as_f64().unwrap());
        if !close(loss, want_loss[i]) {
            bad.push(format!("{name} epoch {}: loss {loss} vs JAX {}", i + 1, want_loss[i]));
        }
        if !close(acc, want_acc[i]) {
            bad.push(format!("{name} epoch {}: accuracy {acc} vs JAX {}", i + 1, want_acc[i]));
        }
    }
    let (got_layers, want_layers) =
        (report["model"]["layers"].as_array().unwrap(), expect["final_model"]["layers"].as_array().unwrap());
    assert_eq!(got_layers.len(), want_layers.len(), "{name}");
    for (l, (got, want)) in got_layers.iter().zip(want_layers).enumerate() {
        assert_eq!(got["type"], want["type"], "{name} layer {l}");
        let pairs = [("weights", true), ("bias", false)];
        for (field, matrix) in pairs {
            let (g, w) = (&got[field], &want[field]);
            if w.is_null() || g.is_null() {
                assert_eq!(g.is_null(), w.is_null(), "{name} layer {l} {field}");
                continue;
            }
            let flat = |v: &Value| -> Vec<f64> {
                if matrix { v.as_array().unwrap().iter().flat_map(numbers).collect() } else { numbers(v) }
            };
            for (k, (a, b)) in flat(g).iter().zip(flat(w)).enumerate() {
                // Weights near 0 are compared on the scale of 1, their neighbours' size.
                if (a - b).abs() > REL * b.abs().max(1.0) {
                    bad.push(format!("{name} layer {l} {field}[{k}]: {a} vs JAX {b}"));
                }
            }
        }
    }
    // The saved model carries what prediction needs: the data's names and the fitted scaler.
    assert_eq!(report["model"]["classes"], serde_json::json!(["setosa", "versicolor", "virginica"]), "{name}");
    assert_eq!(report["model"]["scaler"]["kind"], "standard", "{name}");
    bad
}

/// The cases of a golden file (relative to the project's root).
fn cases(file: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check_file(file: &str, way: &Way) {
    let cases = cases(file);
    assert!(!cases.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let bad: Vec<String> = cases.iter().flat_map(|c| check_case(c, dir.path(), way)).collect();
    assert!(bad.is_empty(), "{} mismatches, first ones:\n{}", bad.len(), bad[..bad.len().min(20)].join("\n"));
}

#[test]
fn the_public_run_equals_jax() {
    check_file("tests/golden/train_public.json", &DEFAULT);
}

#[test]
fn momentum_adam_minibatches_and_hidden_layers_equal_jax() {
    let cases = cases("tests/golden/train_jax.json");
    // What the generator promises to cover, so a regenerated file cannot quietly drop a kind.
    let has = |f: &dyn Fn(&Value) -> bool| cases.iter().any(f);
    for opt in ["sgd", "momentum", "adam"] {
        assert!(has(&|c| c["optimizer"] == opt), "no {opt} case");
    }
    assert!(has(&|c| c["batch_size"].as_u64().unwrap() < 150 && 150 % c["batch_size"].as_u64().unwrap() != 0));
    assert!(has(&|c| c["model"]["layers"].as_array().unwrap().len() > 2));
    assert!(has(&|c| c["model"]["layers"].as_array().unwrap().len() == 2));
    check_file("tests/golden/train_jax.json", &DEFAULT);
}

#[test]
fn the_accuracy_counted_by_the_steps_equals_jax_on_both_engines() {
    let cases = cases("tests/golden/train_jax.json");
    let figures = |c: &Value, key: &str| numbers(&c["expect"][key]);
    // The two ways differ (else this test could not tell them apart); with one batch, epoch
    // e + 1's only step sees the parameters epoch e left, so JAX's own figures must agree there.
    assert!(cases.iter().any(|c| figures(c, "train_accuracy_steps") != figures(c, "train_accuracy_after_epoch")));
    for c in cases.iter().filter(|c| c["batch_size"] == 150) {
        let (steps, after) = (figures(c, "train_accuracy_steps"), figures(c, "train_accuracy_after_epoch"));
        assert_eq!(steps[1..], after[..after.len() - 1], "{}: full batch, JAX's own figures", c["name"]);
    }
    let steps = "train_accuracy_steps";
    for options in
        [&["--train-accuracy", "steps", "--engine", "compiled"], &["--train-accuracy", "steps", "--engine", "tape"]]
    {
        check_file("tests/golden/train_jax.json", &Way { options, accuracy: steps });
    }
}
