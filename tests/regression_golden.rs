//! `gradlens train --label a,b` (regression) against JAX, through the real binary.
//!
//! Each case of `tests/golden/regression_jax.json` (made by `tools/jax_regression_reference.py`:
//! stax + optimizers in float64, the quadratic cost ½‖y − ŷ‖² averaged over the batch) is a run
//! from a fixed initial model on `examples/iris_measurements.csv`, predicting petal_length and
//! petal_width from the standardised sepal measurements, batches in the data's order. The binary
//! gets the case's model file and `--label petal_length,petal_width --epochs E --batch-size B
//! --no-shuffle --scale standard --test-fraction 0 --optimizer … --lr … [--momentum …]`, on the
//! compiled engine and on the tape; every epoch's loss and the final weights must equal JAX's to
//! 1e-9 relative.

mod golden_run;

use serde_json::Value;
use std::path::Path;

const REL: f64 = 1e-9;

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
}

fn check_case(case: &Value, dir: &Path, engine: &str) -> Vec<String> {
    let name = format!("{} ({engine})", case["name"].as_str().unwrap());
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/iris_measurements.csv");
    let mut cmd = golden_run::train_command(case, dir);
    cmd.arg("--data").arg(&data).args(["--label", "petal_length,petal_width", "--engine", engine]);
    let report = golden_run::report(&mut cmd, &name);
    assert_eq!(report["config"]["loss_function"], "quadratic", "{name}: values default to the quadratic cost");
    assert_eq!(report["config"]["engine"], engine, "{name}");

    let expect = &case["expect"];
    let want_loss = numbers(&expect["epoch_loss"]);
    let epochs = report["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), want_loss.len(), "{name}");
    let mut bad = Vec::new();
    for (i, (e, want)) in epochs.iter().zip(&want_loss).enumerate() {
        assert!(e["train_accuracy"].is_null(), "{name}: values have no accuracy");
        let loss = e["loss"].as_f64().unwrap();
        if (loss - want).abs() > REL * want.abs() {
            bad.push(format!("{name} epoch {}: loss {loss} vs JAX {want}", i + 1));
        }
    }
    let (got_layers, want_layers) =
        (report["model"]["layers"].as_array().unwrap(), expect["final_model"]["layers"].as_array().unwrap());
    assert_eq!(got_layers.len(), want_layers.len(), "{name}");
    for (l, (got, want)) in got_layers.iter().zip(want_layers).enumerate() {
        assert_eq!(got["type"], want["type"], "{name} layer {l}");
        if want["type"] != "dense" {
            continue;
        }
        let got_w: Vec<f64> =
            got["weights"].as_array().unwrap().iter().flat_map(numbers).chain(numbers(&got["bias"])).collect();
        let want_w: Vec<f64> =
            want["weights"].as_array().unwrap().iter().flat_map(numbers).chain(numbers(&want["bias"])).collect();
        assert_eq!(got_w.len(), want_w.len(), "{name} layer {l}: as many parameters as JAX's");
        for (k, (a, b)) in got_w.iter().zip(&want_w).enumerate() {
            // Parameters near 0 are compared on the scale of 1, their neighbours' size.
            if (a - b).abs() > REL * b.abs().max(1.0) {
                bad.push(format!("{name} layer {l} parameter {k}: {a} vs JAX {b}"));
            }
        }
    }
    assert_eq!(report["model"]["targets"], serde_json::json!(["petal_length", "petal_width"]), "{name}");
    bad
}

#[test]
fn regression_runs_equal_jax_on_both_engines() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/regression_jax.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cases.len(), 6);
    let dir = tempfile::tempdir().unwrap();
    let bad: Vec<String> = ["compiled", "tape"]
        .iter()
        .flat_map(|engine| cases.iter().flat_map(|c| check_case(c, dir.path(), engine)).collect::<Vec<_>>())
        .collect();
    assert!(bad.is_empty(), "{} mismatches, first ones:\n{}", bad.len(), bad[..bad.len().min(20)].join("\n"));
}
