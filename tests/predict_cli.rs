//! `gradlens predict` with a saved model: the class and probabilities of each row, computed here
//! a second way from the model file (scale, dense, softmax) to check them.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn gradlens() -> Command {
    Command::cargo_bin("gradlens").unwrap()
}

/// Trains a small model with a hidden layer and saves it; returns its path and file.
fn saved_model(dir: &Path) -> (PathBuf, Value) {
    let path = dir.join("model.json");
    gradlens()
        .args(["train", "--epochs", "200", "--hidden", "4", "--format", "json", "--save"])
        .arg(&path)
        .assert()
        .success();
    let file = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    (path, file)
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// softmax(W₂·tanh(W₁·s + b₁) + b₂) with s = (x − offset)/divisor, read off the model file.
fn by_hand(model: &Value, x: &[f64]) -> Vec<f64> {
    let (off, div) = (nums(&model["scaler"]["offset"]), nums(&model["scaler"]["divisor"]));
    let mut a: Vec<f64> = x.iter().enumerate().map(|(j, v)| (v - off[j]) / div[j]).collect();
    for layer in model["layers"].as_array().unwrap() {
        a = match layer["type"].as_str().unwrap() {
            "dense" => {
                let b = nums(&layer["bias"]);
                layer["weights"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(b)
                    .map(|(row, b)| nums(row).iter().zip(&a).map(|(w, v)| w * v).sum::<f64>() + b)
                    .collect()
            }
            "tanh" => a.iter().map(|v| v.tanh()).collect(),
            "softmax" => {
                let max = a.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = a.iter().map(|v| (v - max).exp()).collect();
                let s: f64 = e.iter().sum();
                e.iter().map(|v| v / s).collect()
            }
            other => panic!("{other}"),
        };
    }
    a
}

#[test]
fn rows_given_raw_are_scaled_and_classified() {
    let dir = tempfile::tempdir().unwrap();
    let (model, file) = saved_model(dir.path());
    // Iris rows 0, 50 and 100 (setosa, versicolor, virginica).
    let rows = [[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5]];
    let out = gradlens()
        .args(["predict", "--format", "json", "--model"])
        .arg(&model)
        .args(["--x", "5.1,3.5,1.4,0.2", "--x", "7.0,3.2,4.7,1.4", "--x", "6.3,3.3,6.0,2.5"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["classes"], serde_json::json!(["setosa", "versicolor", "virginica"]));
    let predictions = report["predictions"].as_array().unwrap();
    for (i, (p, x)) in predictions.iter().zip(rows).enumerate() {
        let want = by_hand(&file, &x);
        let got = nums(&p["probabilities"]);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "row {i}: {got:?} vs {want:?}");
        }
        let best = (0..3).max_by(|&a, &b| want[a].total_cmp(&want[b])).unwrap();
        assert_eq!(p["class_index"], best);
        assert_eq!(p["row"], i + 1);
    }
    // A trained model gets these three textbook flowers right.
    let classes: Vec<&str> = predictions.iter().map(|p| p["class"].as_str().unwrap()).collect();
    assert_eq!(classes, ["setosa", "versicolor", "virginica"]);
}

#[test]
fn a_csv_is_read_by_feature_name_in_text_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (model, file) = saved_model(dir.path());
    // Columns in another order, and a column the model does not use.
    let data = dir.path().join("new.csv");
    std::fs::write(
        &data,
        "petal_width,note,sepal_length,sepal_width,petal_length\n0.2,a,5.1,3.5,1.4\n2.5,b,6.3,3.3,6.0\n",
    )
    .unwrap();
    let run = |format: &str| {
        let out = gradlens()
            .args(["predict", "--format", format, "--model"])
            .arg(&model)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let csv = run("csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("row,class,p_setosa,p_versicolor,p_virginica"));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&first[..2], ["1", "setosa"]);
    let want = by_hand(&file, &[5.1, 3.5, 1.4, 0.2]);
    for (g, w) in first[2..].iter().zip(&want) {
        assert!((g.parse::<f64>().unwrap() - w).abs() < 1e-12);
    }
    let text = run("text");
    assert!(text.lines().next().unwrap().contains("setosa  versicolor  virginica"), "{text}");
    assert!(text.lines().nth(2).unwrap().contains("virginica"), "{text}");
    let json: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["predictions"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_input_is_one_clear_line_and_exit_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = saved_model(dir.path());
    let short = dir.path().join("short.csv");
    std::fs::write(&short, "sepal_length,sepal_width,petal_length\n1,2,3\n").unwrap();
    let word = dir.path().join("word.csv");
    std::fs::write(&word, "sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n1,2,x,4\n").unwrap();
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    file["scaler"]["offset"] = serde_json::json!([0.0]);
    let bad_scaler = dir.path().join("bad_scaler.json");
    std::fs::write(&bad_scaler, file.to_string()).unwrap();
    let m = model.to_str().unwrap();
    let cases: [(Vec<&str>, &[&str]); 7] = [
        (vec!["--model", bad_scaler.to_str().unwrap(), "--x", "1,2,3,4"], &["bad_scaler.json", "scaler", "1 offsets"]),
        (vec!["--model", m, "--x", "1,2,3"], &["--x '1,2,3'", "3 numbers", "takes 4 inputs"]),
        (vec!["--model", m, "--x", "1,2,3,abc"], &["--x", "'abc' is not a number"]),
        (vec!["--model", m], &["--x", "--data"]),
        (vec!["--model", m, "--data", short.to_str().unwrap()], &["short.csv", "column 'petal_width'"]),
        (vec!["--model", m, "--data", word.to_str().unwrap()], &["word.csv", "row 3", "column 'petal_length'"]),
        (vec!["--model", "absent.json", "--x", "1,2,3,4"], &["absent.json"]),
    ];
    for (args, want) in cases {
        let out = gradlens().arg("predict").args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("gradlens: error: ") && err.trim_end().lines().count() == 1, "{err}");
        for w in want {
            assert!(err.contains(w), "{args:?}: {err:?} lacks {w:?}");
        }
    }
}

#[test]
fn logits_that_overflow_are_an_error_not_nan_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    // The blog's W (spec, worked-example.md), no bias, no scaler.
    let model = dir.path().join("blog.json");
    std::fs::write(
        &model,
        r#"{"layers": [{"type": "dense", "weights": [[0.15, 0.29, 0.10, 0.71], [-0.80, 0.97, 0.51, 0.67],
                                                   [0.14, -0.47, -0.62, 0.21]], "bias": null},
                       {"type": "softmax"}]}"#,
    )
    .unwrap();
    // Row 2 is x = 1.7e308·[1, 1, 1, 1]: z₁ = 1.7e308·(0.15 + 0.29 + 0.10 + 0.71) = 2.125e308 > f64::MAX
    // ≈ 1.798e308, so z₁ = ∞, and softmax(z) = NaN. Row 1 is the blog's x and is fine.
    let out = gradlens()
        .args(["predict", "--model"])
        .arg(&model)
        .args(["--x", "0.81,0.57,0.28,0.84", "--x", "1.7e308,1.7e308,1.7e308,1.7e308"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(err.starts_with("gradlens: error: ") && err.trim_end().lines().count() == 1, "{err}");
    assert!(err.contains("row 2") && err.contains("overflow"), "{err}");
}

/// A classifier whose outputs are not a softmax's (issue 13): its outputs are reported under
/// their own name, never as probabilities, and a one-output sigmoid classifier predicts class 1
/// at 0.5 or above. Numbers by hand: σ(t) = 1/(1 + e^(−t)), checked with mpmath at 40 digits.
#[test]
fn a_sigmoid_classifier_reports_its_outputs_and_its_threshold_class() {
    let dir = tempfile::tempdir().unwrap();
    // serial(Dense(1), Sigmoid): ŷ = σ(2x − 1).
    let one = dir.path().join("one.json");
    std::fs::write(&one, r#"{"layers": [{"type": "dense", "weights": [[2.0]], "bias": [-1.0]}, {"type": "sigmoid"}]}"#)
        .unwrap();
    for engine in ["compiled", "tape"] {
        let p = predict_json(&one, &["--x", "1", "--x", "0", "--engine", engine]);
        let rows = p["predictions"].as_array().unwrap();
        // x = 1: σ(2·1 − 1) = σ(1) = 1/(1 + e^−1) = 0.7310585786300049 ≥ 0.5 → class 1.
        assert_eq!(rows[0]["class"], "1", "{engine}");
        assert!((nums(&rows[0]["outputs"])[0] - 0.7310585786300049).abs() < 1e-12, "{engine}");
        // x = 0: σ(−1) = 1 − σ(1) = 0.2689414213699951 < 0.5 → class 0.
        assert_eq!(rows[1]["class"], "0", "{engine}");
        assert!((nums(&rows[1]["outputs"])[0] - 0.2689414213699951).abs() < 1e-12, "{engine}");
        assert!(rows[0].get("probabilities").is_none(), "a sigmoid's output is not a probability over classes");
    }

    // Two sigmoid outputs with class names (a classifier trained with the quadratic loss): the
    // class is the larger output, and the outputs are shown as they are, not softmax(outputs).
    // Dense W = [[1, 0], [0, 1]], no bias: x = (0.6, −0.2) → ŷ = (σ(0.6), σ(−0.2))
    // = (0.6456563062257954, 0.45016600268752216) → class "a".
    let two = dir.path().join("two.json");
    std::fs::write(
        &two,
        r#"{"layers": [{"type": "dense", "weights": [[1, 0], [0, 1]], "bias": null}, {"type": "sigmoid"}],
            "classes": ["a", "b"]}"#,
    )
    .unwrap();
    let out =
        gradlens().args(["predict", "--format", "json", "--x", "0.6,-0.2", "--model"]).arg(&two).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &p["predictions"][0];
    assert_eq!(row["class"], "a");
    let y = nums(&row["outputs"]);
    assert!((y[0] - 0.6456563062257954).abs() < 1e-12 && (y[1] - 0.45016600268752216).abs() < 1e-12, "{y:?}");
    // The text names them outputs.
    let out = gradlens().args(["predict", "--x", "0.6,-0.2", "--model"]).arg(&two).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().next().unwrap().contains("output a"), "{text}");
}

/// `predict --format json` with `model` and `args`, which must succeed.
fn predict_json(model: &Path, args: &[&str]) -> Value {
    let out = gradlens().args(["predict", "--format", "json"]).args(args).arg("--model").arg(model).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}
