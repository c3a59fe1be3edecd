//! Feature inputs (`--features`) through the CLI: computed from raw columns in `train`, `explain`
//! and `predict`, saved with the model, and refused with one message naming the item.
//!
//! Every expected number here is computed by this file a second way (products and sines of the
//! raw columns by hand, the model file's scaler and layers applied by hand) or written beside
//! its source.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn gradlens() -> Command {
    Command::cargo_bin("gradlens").unwrap()
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap()
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// 60 points of the plane, class `inner` inside radius 0.6, `outer` outside: a table only
/// feature inputs make linearly separable.
fn raw_rows() -> Vec<(f64, f64, &'static str)> {
    (0..60)
        .map(|i| {
            let (x1, x2) = (((i * 7) % 11) as f64 / 5.0 - 1.0, ((i * 5) % 13) as f64 / 6.0 - 1.0);
            (x1, x2, if x1 * x1 + x2 * x2 < 0.36 { "inner" } else { "outer" })
        })
        .collect()
}

/// Playground's seven features of a row, by hand.
fn seven(x1: f64, x2: f64) -> [f64; 7] {
    [x1, x2, x1 * x1, x2 * x2, x1 * x2, x1.sin(), x2.sin()]
}

const SEVEN: &str = "x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)";

fn write_raw(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("x1,x2,label\n");
    for (x1, x2, c) in raw_rows() {
        text.push_str(&format!("{x1},{x2},{c}\n"));
    }
    let path = dir.join("raw.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_features_values_are_the_hand_computed_ones() {
    let out = gradlens()
        .args(["explain", "--x", "0.5,-2", "--target", "0", "--features", SEVEN, "--format", "json"])
        .args(["--weights", "1,0,0,0,0,0,0;0,1,0,0,0,0,0"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e = json(&out.stdout);
    // x1 = 0.5, x2 = −2: x1² = 0.25, x2² = 4, x1·x2 = −1 (by hand); sin 0.5 = 0.479425538604203,
    // sin(−2) = −0.9092974268256817 (Python's math.sin).
    let want = [0.5, -2.0, 0.25, 4.0, -1.0, 0.479425538604203, -0.9092974268256817];
    let got = nums(&e["inputs"][0]);
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-15, "{got:?}");
    }
    assert_eq!(nums(&e["features"]["measured"][0]), [0.5, -2.0]);
    assert_eq!(e["features"]["columns"], serde_json::json!(["x1", "x2"]));
    let labels: Vec<&str> = e["features"]["labels"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(labels, ["x₁", "x₂", "x₁²", "x₂²", "x₁·x₂", "sin x₁", "sin x₂"]);
    assert_eq!(e["feature_names"][4], "x1*x2");
}

#[test]
fn iris_columns_by_name() {
    let out = gradlens()
        .args(["explain", "--sample", "0", "--features", "sepal_length^2,petal_width*sepal_width", "--format", "json"])
        .args(["--weights", "1,0;0,1;1,1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e = json(&out.stdout);
    // Iris row 0 is 5.1, 3.5, 1.4, 0.2: 5.1² = 26.009999999999998 and 0.2·3.5 = 0.7000000000000001
    // (Python: 5.1**2, 0.2*3.5).
    assert_eq!(nums(&e["inputs"][0]), [26.009999999999998, 0.7000000000000001]);
    assert_eq!(e["target_classes"][0], 0);
}

/// Training with `--features` is training on a table that has those columns already: the same
/// epochs, the same final weights, to the last bit.
#[test]
fn features_train_as_a_table_with_those_columns() {
    let dir = tempfile::tempdir().unwrap();
    let raw = write_raw(dir.path());
    let mut text = String::from("a,b,c,d,e,f,g,label\n");
    for (x1, x2, c) in raw_rows() {
        let f = seven(x1, x2).map(|v| v.to_string());
        text.push_str(&format!("{},{c}\n", f.join(",")));
    }
    let derived = dir.path().join("derived.csv");
    std::fs::write(&derived, text).unwrap();
    let run = |data: &Path, features: Option<&str>| {
        let mut cmd = gradlens();
        cmd.args(["train", "--epochs", "30", "--hidden", "3", "--lr", "0.3", "--batch-size", "16", "--format", "json"]);
        cmd.arg("--data").arg(data);
        if let Some(f) = features {
            cmd.args(["--features", f]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        json(&out.stdout)
    };
    let (with, table) = (run(&raw, Some(SEVEN)), run(&derived, None));
    assert_eq!(with["epochs"], table["epochs"]);
    assert_eq!(with["model"]["layers"], table["model"]["layers"]);
    assert_eq!(with["model"]["scaler"]["offset"], table["model"]["scaler"]["offset"]);
    assert_eq!(with["data"]["columns"], serde_json::json!(["x1", "x2"]));
    assert_eq!(with["model"]["features"][6], "sin(x2)");
}

/// train → save → predict on raw rows: predict computes the features from the raw columns, then
/// scales them; here the same is done by hand from the model file.
#[test]
fn a_saved_model_computes_its_features_from_raw_rows() {
    let dir = tempfile::tempdir().unwrap();
    let raw = write_raw(dir.path());
    let model = dir.path().join("m.json");
    gradlens()
        .args(["train", "--features", "x1^2,x2^2,x1*x2", "--epochs", "300", "--lr", "1", "--format", "json"])
        .arg("--data")
        .arg(&raw)
        .arg("--save")
        .arg(&model)
        .assert()
        .success();
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(file["columns"], serde_json::json!(["x1", "x2"]));
    assert_eq!(file["features"], serde_json::json!(["x1^2", "x2^2", "x1*x2"]));

    // softmax(W·s + b), s = (f − offset)/divisor, f = (x1², x2², x1·x2): by hand.
    let (off, div) = (nums(&file["scaler"]["offset"]), nums(&file["scaler"]["divisor"]));
    let layer = &file["layers"][0];
    let by_hand = |x1: f64, x2: f64| {
        let f = [x1 * x1, x2 * x2, x1 * x2];
        let s: Vec<f64> = (0..3).map(|j| (f[j] - off[j]) / div[j]).collect();
        let z: Vec<f64> = layer["weights"]
            .as_array()
            .unwrap()
            .iter()
            .zip(nums(&layer["bias"]))
            .map(|(w, b)| nums(w).iter().zip(&s).map(|(w, s)| w * s).sum::<f64>() + b)
            .collect();
        let top = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = z.iter().map(|v| (v - top).exp()).sum();
        z.iter().map(|v| (v - top).exp() / sum).collect::<Vec<f64>>()
    };

    let out = gradlens()
        .args(["predict", "--format", "json", "--data"])
        .arg(&raw)
        .arg("--model")
        .arg(&model)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let predictions = json(&out.stdout)["predictions"].as_array().unwrap().clone();
    let mut right = 0;
    for ((x1, x2, class), p) in raw_rows().into_iter().zip(&predictions) {
        let (got, want) = (nums(&p["probabilities"]), by_hand(x1, x2));
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "row ({x1}, {x2}): {got:?} vs {want:?}");
        }
        right += usize::from(p["class"] == class);
    }
    // A circle is a line in (x1², x2²): the features make it learnable without hidden units.
    assert!(right >= 57, "{right} of 60");

    // --x takes the raw columns too, and explain --model computes the same features.
    let out =
        gradlens().args(["predict", "--x", "0.5,-2", "--format", "json", "--model"]).arg(&model).output().unwrap();
    let p = nums(&json(&out.stdout)["predictions"][0]["probabilities"]);
    assert!((p[0] - by_hand(0.5, -2.0)[0]).abs() < 1e-12);
    let out = gradlens()
        .args(["explain", "--x", "0.5,-2", "--target", "1", "--format", "json", "--model"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e = json(&out.stdout);
    // x1² = 0.25, x2² = 4, x1·x2 = −1 (by hand), before the model's scaler.
    assert_eq!(nums(&e["raw_inputs"][0]), [0.25, 4.0, -1.0]);
    assert!((nums(&e["probabilities"][0])[1] - by_hand(0.5, -2.0)[1]).abs() < 1e-12);
}

#[test]
fn bad_features_are_refused_naming_the_item() {
    let refuse = |args: &[&str], want: &[&str]| {
        let out = gradlens().args(args).output().unwrap();
        common::refused(out, &args.join(" "), want);
    };
    refuse(
        &["train", "--data", "circle", "--features", "x1,x3"],
        &["--features item 2 'x3'", "no column 'x3'", "x1, x2"],
    );
    refuse(
        &["train", "--data", "circle", "--features", "x1^2.5"],
        &["item 1 'x1^2.5'", "at character 4", "power '2.5'"],
    );
    refuse(&["train", "--features", "sepal_length^0"], &["item 1", "power '0'", "1 to 9"]);
    refuse(&["train", "--data", "xor", "--features", "x1,sin(x2"], &["item 2 'sin(x2'", "not closed"]);
    refuse(&["train", "--data", "xor", "--features", "x1,,x2"], &["item 2", "is empty"]);
    refuse(&["explain", "--x", "1,2", "--features", "x1*"], &["--features item 1 'x1*'", "missing"]);
    refuse(&["explain", "--x", "1,2", "--features", "tan(x1)"], &["'tan(' is not a function"]);
    refuse(&["explain", "--sample", "3", "--features", "petal^2"], &["no column 'petal'", "sepal_length"]);
}

#[test]
fn a_model_keeps_its_features_and_its_columns() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    gradlens()
        .args(["train", "--data", "circle", "--points", "40", "--epochs", "2", "--features", "x1^2,x2^2", "--save"])
        .arg(&model)
        .assert()
        .success();
    let out =
        gradlens().args(["train", "--data", "circle", "--features", "x1,x2", "--model"]).arg(&model).output().unwrap();
    common::refused(out, "other features", &["--features x1,x2", "trained on the features x1^2,x2^2"]);
    // Iris has other columns than the ones the features read.
    let out = gradlens().args(["train", "--model"]).arg(&model).output().unwrap();
    common::refused(out, "iris", &["computed from the columns x1, x2", "sepal_length"]);
    let out = gradlens().args(["predict", "--x", "1,2,3", "--model"]).arg(&model).output().unwrap();
    common::refused(out, "predict width", &["3 numbers but the model takes 2 columns"]);
    // A file whose features do not parse over its columns names the field.
    let text = std::fs::read_to_string(&model).unwrap().replace("\"x2^2\"", "\"x3^2\"");
    std::fs::write(&model, text).unwrap();
    let out = gradlens().args(["predict", "--x", "1,2", "--model"]).arg(&model).output().unwrap();
    common::refused(out, "bad file", &["features:", "no column 'x3'"]);
    // Training on from the saved model keeps its features without --features.
    let start = dir.path().join("start.json");
    gradlens()
        .args(["train", "--data", "circle", "--points", "40", "--epochs", "2", "--features", "x1*x2", "--save"])
        .arg(&start)
        .assert()
        .success();
    let out = gradlens()
        .args(["train", "--data", "circle", "--epochs", "1", "--format", "json", "--model"])
        .arg(&start)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out.stdout)["model"]["features"], serde_json::json!(["x1*x2"]));
}
