//! `train --model M.json` goes on from the run that saved M: its optimizer, that optimizer's
//! settings and its state (momentum's velocity, adam's m, v and t). N epochs saved, then M more
//! from the file, are the N + M epochs of one run to the last bit; frozen biases stay where they
//! are even when the saved state would move them. (JAX's numbers for the same resumption:
//! `tests/optimizer_golden.rs`, `train_saves_the_state_jax_reaches`.)

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;
use std::path::Path;

/// `gradlens train ARGS` in `dir` (rows in order, batches of 16), which must succeed: its JSON
/// report.
fn train(dir: &Path, args: &[&str]) -> Value {
    let out = cargo_bin_cmd!("gradlens")
        .current_dir(dir)
        .args(["train", "--format", "json", "--no-shuffle", "--batch-size", "16", "--seed", "3"])
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

fn read(dir: &Path, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap()
}

#[test]
fn n_epochs_then_m_more_from_the_file_are_one_run_of_n_plus_m() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (optimizer, lr) in [("adam", "0.01"), ("momentum", "0.05")] {
        let given = ["--hidden", "4", "--engine", "tape", "--optimizer", optimizer, "--lr", lr];
        // The reference: five epochs in one run.
        train(d, &[&given[..], &["--epochs", "5", "--save", "five.json"]].concat());
        train(d, &[&given[..], &["--epochs", "3", "--save", "three.json"]].concat());
        // Two more from the file: no optimizer option, the file's run carries on (on the engine
        // chosen by default: a saved state is taken on by the tape).
        let report = train(d, &["--model", "three.json", "--epochs", "2", "--save", "resumed.json"]);
        assert_eq!(report["config"]["optimizer"], optimizer);
        assert_eq!(report["config"]["engine"], "tape", "the report names the engine that ran");
        let (five, resumed) = (read(d, "five.json"), read(d, "resumed.json"));
        assert_eq!(resumed["layers"], five["layers"], "{optimizer}: 3 + 2 epochs are 5, to the bit");
        assert_eq!(resumed["training"]["state"], five["training"]["state"], "{optimizer}: the state after");
        // 120 training rows (Iris less the 20% test part), batches of 16: 8 steps an epoch.
        assert_eq!(five["training"]["state"]["t"], 40);
        // The test can fail: the same two epochs from the weights without their state differ.
        let mut stateless = read(d, "three.json");
        stateless["training"].as_object_mut().unwrap().remove("state");
        std::fs::write(d.join("stateless.json"), stateless.to_string()).unwrap();
        train(d, &["--model", "stateless.json", "--epochs", "2", "--save", "fresh.json"]);
        assert_ne!(read(d, "fresh.json")["layers"], five["layers"], "{optimizer}: a fresh state is another run");
    }
}

/// Biases frozen on a run from a file whose state moves them (saved by a run that trained
/// them): a zero gradient is not enough under momentum and adam, whose saved velocity or m
/// would go on moving them; the biases keep their values, the weights move.
#[test]
fn frozen_biases_do_not_move_under_a_saved_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for optimizer in ["adam", "momentum"] {
        train(d, &["--hidden", "4", "--optimizer", optimizer, "--lr", "0.05", "--epochs", "2", "--save", "start.json"]);
        let start = read(d, "start.json");
        let first_bias_state =
            &start["training"]["state"][if optimizer == "adam" { "m" } else { "velocity" }][0]["bias"];
        assert!(
            first_bias_state.as_array().unwrap().iter().any(|v| v.as_f64().unwrap() != 0.0),
            "{optimizer}: the saved state would move the biases"
        );
        train(d, &["--model", "start.json", "--freeze-bias", "--epochs", "2", "--save", "frozen.json"]);
        let frozen = read(d, "frozen.json");
        let layers = |f: &Value| f["layers"].as_array().unwrap().clone();
        let (start_layers, frozen_layers) = (layers(&start), layers(&frozen));
        let dense: Vec<_> = start_layers.iter().zip(&frozen_layers).filter(|(l, _)| l["type"] == "dense").collect();
        assert_eq!(dense.len(), 2, "{optimizer}: both dense layers are checked");
        for (before, after) in dense {
            assert_eq!(after["bias"], before["bias"], "{optimizer}: a frozen bias keeps its value");
            assert_ne!(after["weights"], before["weights"], "{optimizer}: the weights train");
        }
        // `explain` of the same file with frozen biases: the step leaves them too.
        let out = cargo_bin_cmd!("gradlens")
            .current_dir(d)
            .args(["explain", "--model", "start.json", "--freeze-bias", "--sample", "0", "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let e: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(e["optimizer"]["kind"], optimizer);
        let dense: Vec<&Value> = e["layers"].as_array().unwrap().iter().filter(|l| l["type"] == "dense").collect();
        assert_eq!(dense.len(), 2);
        for layer in dense {
            assert_eq!(layer["new_bias"], layer["bias"], "{optimizer}: explain's step keeps a frozen bias");
        }
    }
}
