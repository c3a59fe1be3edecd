//! Regression from a CSV as a user runs it: `train --label a,b` learns numbers with the
//! quadratic loss, reports each target's error, saves a model that `predict` and `explain` read
//! as values, and refuses what cannot work with one line and exit status 2.
//!
//! The data is written here from a known linear rule, so the weights a run must find are known
//! by hand: y1 = 2a − b + 1 and y2 = a + 0.5, exactly, on a 5×3 grid of (a, b).

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn gradlens() -> Command {
    Command::cargo_bin("gradlens").unwrap()
}

/// The grid a ∈ {−1, −0.5, 0, 0.5, 1}, b ∈ {−1, 0, 1}, with y1 = 2a − b + 1 and y2 = a + 0.5,
/// the target columns between and after the features, as a real file might have them.
fn linear_csv(dir: &Path) -> PathBuf {
    let mut text = String::from("a,y1,b,y2\n");
    for a in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        for b in [-1.0, 0.0, 1.0] {
            text.push_str(&format!("{a},{},{b},{}\n", 2.0 * a - b + 1.0, a + 0.5));
        }
    }
    let path = dir.join("linear.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// Unscaled, every row trained on, full batch: gradient descent on a least-squares problem
/// whose minimum is the rule itself (loss 0).
const FIT: [&str; 8] = ["--label", "y1,y2", "--scale", "none", "--test-fraction", "0", "--epochs", "3000"];

fn run_json(args: &[&str], data: &Path) -> Value {
    let out = gradlens().arg("train").arg("--data").arg(data).args(args).args(["--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn several_label_columns_learn_the_rule_that_made_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = linear_csv(dir.path());
    let report = run_json(&FIT, &data);

    // The targets are named, in the order given; no classes, no accuracy.
    assert_eq!(report["data"]["targets"], serde_json::json!(["y1", "y2"]));
    assert_eq!(report["data"]["features"], serde_json::json!(["a", "b"]));
    assert!(report["data"].get("classes").is_none());
    assert_eq!(report["config"]["loss_function"], "quadratic", "values default to the quadratic loss");
    assert!(report["epochs"][0]["train_accuracy"].is_null());

    // A linear model (no output activation): W = [[2, −1], [1, 0]], b = [1, 0.5] by the rule.
    let layers = report["model"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1, "Dense(2) alone: identity output for values");
    let w: Vec<Vec<f64>> = serde_json::from_value(layers[0]["weights"].clone()).unwrap();
    let b: Vec<f64> = serde_json::from_value(layers[0]["bias"].clone()).unwrap();
    let want_w = [[2.0, -1.0], [1.0, 0.0]];
    for (got, want) in w.iter().flatten().zip(want_w.iter().flatten()).chain(b.iter().zip(&[1.0, 0.5])) {
        assert!((got - want).abs() < 1e-6, "weights {w:?}, bias {b:?}");
    }
    // Fitted to the rule: the loss and each RMSE ≈ 0, R² ≈ 1.
    let fin = &report["final"]["train"];
    assert!(fin["loss"].as_f64().unwrap() < 1e-12, "{fin}");
    for t in 0..2 {
        assert!(fin["rmse"][t].as_f64().unwrap() < 1e-6, "{fin}");
        assert!((fin["r_squared"][t].as_f64().unwrap() - 1.0).abs() < 1e-9, "{fin}");
    }
    assert_eq!(report["model"]["targets"], serde_json::json!(["y1", "y2"]));
}

#[test]
fn the_text_report_shows_losses_and_each_target_s_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = linear_csv(dir.path());
    let out = gradlens().arg("train").arg("--data").arg(&data).args(["--label", "y1,y2"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("2 features, 2 target values: y1, y2"), "{text}");
    assert!(text.contains("Model: serial(Dense(2)), 6 parameters"), "{text}");
    assert!(text.contains("epoch  loss             test loss"), "{text}");
    assert!(text.contains("Per target, test rows (RMSE"), "{text}");
    assert!(!text.contains("accuracy") && !text.contains("Confusion"), "{text}");
}

#[test]
fn a_saved_regression_model_predicts_values() {
    let dir = tempfile::tempdir().unwrap();
    let data = linear_csv(dir.path());
    let model = dir.path().join("model.json");
    gradlens().arg("train").arg("--data").arg(&data).args(FIT).arg("--save").arg(&model).assert().success();

    // x = (a, b) = (0.25, 2), outside the grid: y1 = 2·0.25 − 2 + 1 = −0.5, y2 = 0.25 + 0.5 = 0.75.
    for engine in ["compiled", "tape"] {
        let out = gradlens()
            .args(["predict", "--format", "json", "--x", "0.25,2", "--engine", engine, "--model"])
            .arg(&model)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let p: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(p["targets"], serde_json::json!(["y1", "y2"]));
        let values: Vec<f64> = serde_json::from_value(p["predictions"][0]["values"].clone()).unwrap();
        assert!((values[0] + 0.5).abs() < 1e-5 && (values[1] - 0.75).abs() < 1e-5, "{engine}: {values:?}");
    }
    // CSV: the model's feature columns by name (the targets, if there, ignored); a column per target.
    let out = gradlens().args(["predict", "--format", "csv", "--data"]).arg(&data).arg("--model").arg(&model).output();
    let text = String::from_utf8(out.unwrap().stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("row,y1,y2"));
    // Row 1 of the grid: a = −1, b = −1 → y1 = 2·(−1) + 1 + 1 = 0, y2 = −0.5.
    let first: Vec<f64> = lines.next().unwrap().split(',').skip(1).map(|v| v.parse().unwrap()).collect();
    assert!(first[0].abs() < 1e-5 && (first[1] + 0.5).abs() < 1e-5, "{first:?}");

    // Training on from it keeps its loss (quadratic), and checks the target names.
    let renamed = dir.path().join("renamed.csv");
    std::fs::write(&renamed, std::fs::read_to_string(&data).unwrap().replacen("y2", "z", 1)).unwrap();
    let out = gradlens()
        .args(["train", "--epochs", "1", "--label", "y1,z", "--data"])
        .arg(&renamed)
        .arg("--model")
        .arg(&model)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("the model's target values are y1, y2 but the data's are y1, z"), "{err}");
}

#[test]
fn the_trace_and_explain_show_a_regression_step() {
    let dir = tempfile::tempdir().unwrap();
    let data = linear_csv(dir.path());
    let (trace, model) = (dir.path().join("trace.jsonl"), dir.path().join("model.json"));
    gradlens()
        .arg("train")
        .arg("--data")
        .arg(&data)
        .args(["--label", "y1,y2", "--epochs", "2", "--test-fraction", "0", "--scale", "none", "--trace"])
        .arg(&trace)
        .arg("--save")
        .arg(&model)
        .assert()
        .success();
    let text = std::fs::read_to_string(&trace).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    // The first step's targets are the rows' values: row 1 is (a, b) = (−1, −1) → (0, −0.5).
    let targets = &first["targets"];
    assert_eq!(targets[0], serde_json::json!([0.0, -0.5]), "{targets}");
    // explain reads the saved model's quadratic loss and takes numbers as targets.
    let out = gradlens()
        .args(["explain", "--format", "json", "--x", "1,1", "--target", "2,1.5", "--model"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["loss_function"], "quadratic");
}

fn refused(args: &[&str], data: Option<&Path>, want: &[&str]) {
    let mut cmd = gradlens();
    cmd.arg("train").args(args);
    if let Some(data) = data {
        cmd.arg("--data").arg(data);
    }
    common::refused(cmd.output().unwrap(), &format!("{args:?}"), want);
}

#[test]
fn what_cannot_work_is_refused_with_its_option_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = linear_csv(dir.path());
    let d = Some(data.as_path());
    refused(
        &["--label", "y1,y2", "--loss", "cross-entropy"],
        d,
        &["--loss", "numbers as targets need the quadratic loss"],
    );
    refused(&["--label", "y1,y2", "--targets", "classes"], d, &["--label y1,y2", "classes come from one column"]);
    refused(&["--label", "y1,,y2"], d, &["--label y1,,y2", "a column name is empty"]);
    refused(&["--label", "y1,nope"], d, &["linear.csv", "column 'nope'", "no such column"]);
    refused(&["--targets", "values"], None, &["--data iris", "its targets are classes"]);
    refused(&["--output-layer", "sigmoid"], None, &["--output-layer sigmoid", "cross-entropy needs a softmax"]);
    refused(&["--output-layer", "gelu"], None, &["--output-layer", "gelu"]);
    // A text column as a value target: file, row and column named.
    let words = dir.path().join("words.csv");
    std::fs::write(&words, "a,y1,y2\n1,2,3\n4,5,six\n").unwrap();
    refused(&["--label", "y1,y2"], Some(&words), &["words.csv", "row 3", "column 'y2'", "'six' is not a number"]);
}

#[test]
fn a_sigmoid_output_learns_targets_in_the_unit_interval() {
    // y2 / 2 + 0.5 ∈ [0.25, 1.25] is not all inside (0, 1), so a sigmoid output cannot reach every
    // row; a target column in [0, 1] can be. The rule y = (a + 1)/2 ∈ [0, 1]: the loss falls.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unit.csv");
    let mut text = String::from("a,b,y\n");
    for a in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        for b in [-1.0, 1.0] {
            text.push_str(&format!("{a},{b},{}\n", (a + 1.0) / 2.0));
        }
    }
    std::fs::write(&path, text).unwrap();
    let report = run_json(
        &["--targets", "values", "--output-layer", "sigmoid", "--epochs", "500", "--test-fraction", "0"],
        &path,
    );
    let layers = report["model"]["layers"].as_array().unwrap();
    assert_eq!(layers.last().unwrap()["type"], "sigmoid");
    let epochs = report["epochs"].as_array().unwrap();
    let (first, last) = (epochs[0]["loss"].as_f64().unwrap(), epochs.last().unwrap()["loss"].as_f64().unwrap());
    assert!(last < first / 10.0, "the loss fell from {first} to {last}");
}

#[test]
fn explain_asks_a_regression_model_for_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let data = linear_csv(dir.path());
    let model = dir.path().join("model.json");
    gradlens().arg("train").arg("--data").arg(&data).args(FIT).arg("--save").arg(&model).assert().success();
    // No --target: a classifier would take class 0, but these outputs are numbers.
    let out = gradlens().args(["explain", "--x", "1,1", "--model"]).arg(&model).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--target: the model predicts values (y1, y2)"), "{err}");
}

#[test]
fn a_hand_written_regression_model_is_explained_with_the_quadratic_loss() {
    // A model file with `targets` and no saved run: a linear 1 → 1 model, W = 2, b = 0.
    // x = 1, target 3: ŷ = 2, E = ½(3 − 2)² = 0.5 (the quadratic loss, the one for values).
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("hand.json");
    std::fs::write(&model, r#"{"layers": [{"type": "dense", "weights": [[2.0]], "bias": [0.0]}], "targets": ["y"]}"#)
        .unwrap();
    let out = gradlens()
        .args(["explain", "--format", "json", "--x", "1", "--target", "3", "--model"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["loss_function"], "quadratic");
    assert_eq!(e["loss"].as_f64(), Some(0.5));
}

/// Issue 13 (and 17, item 1): a regression model with one feature, then `train --model` on Iris.
/// The model's saved scaler has one offset and Iris rows have four numbers; the fit check runs
/// before any scaling, so the run is refused with one line naming the file and both widths
/// (it used to panic indexing the scaler).
#[test]
fn a_model_of_another_width_is_refused_before_its_scaler_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("one.csv");
    std::fs::write(&data, "a,y\n0,1\n1,3\n2,5\n3,7\n").unwrap();
    let model = dir.path().join("reg.json");
    gradlens()
        .args(["train", "--label", "y", "--epochs", "2", "--test-fraction", "0", "--data"])
        .arg(&data)
        .arg("--save")
        .arg(&model)
        .assert()
        .success();
    let mut cmd = gradlens();
    cmd.args(["train", "--epochs", "1", "--model"]).arg(&model);
    common::refused(
        cmd.output().unwrap(),
        "train --model reg.json on Iris",
        &["reg.json", "takes 1 inputs", "has 4 features"],
    );
}
