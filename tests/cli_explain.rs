//! `gradlens explain` as a user runs it: every bad input of issue 2, section 8, and the options
//! that must work as typed.
//!
//! A failed run must: exit with status 2; print exactly one line, `gradlens: error: …`, naming
//! the problem; print nothing on stdout; not panic; create no `--output` file (and leave no
//! temporary file beside it); and leave an existing `--output` file as it was.

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn args<S: AsRef<std::ffi::OsStr>>(list: &[S]) -> Vec<OsString> {
    list.iter().map(|a| a.as_ref().to_os_string()).collect()
}

/// Runs `gradlens explain ARGS` and checks the failure contract, with no `--output`.
fn fails_once(explain_args: &[OsString], keys: &[&str]) -> String {
    let out = cargo_bin_cmd!("gradlens").arg("explain").args(explain_args).output().expect("run gradlens");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let shown = format!("gradlens explain {:?}", explain_args);
    assert_eq!(out.status.code(), Some(2), "{shown}: exit status; stderr: {stderr}");
    assert!(out.stdout.is_empty(), "{shown}: stdout should be empty, got {}", String::from_utf8_lossy(&out.stdout));
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{shown}: panic: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{shown}: one line on stderr, got: {stderr}");
    assert!(stderr.starts_with("gradlens: error: "), "{shown}: {stderr}");
    for key in keys {
        assert!(stderr.contains(key), "{shown}: the message should mention {key:?}: {stderr}");
    }
    stderr
}

/// The failure contract with no `--output`, with a new `--output` file (not created, nothing left
/// in its folder) and with an existing one (not touched).
fn fails<S: AsRef<std::ffi::OsStr>>(explain_args: &[S], keys: &[&str]) {
    let explain_args = args(explain_args);
    fails_once(&explain_args, keys);

    let dir = tempfile::tempdir().expect("temp dir");
    let new_file = dir.path().join("out.txt");
    let mut with_output = explain_args.clone();
    with_output.extend(args(&[OsString::from("--output"), new_file.clone().into_os_string()]));
    fails_once(&with_output, keys);
    assert!(!new_file.exists(), "{:?}: a failed run created --output", explain_args);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{:?}: a failed run left a file", explain_args);

    let old = dir.path().join("old.txt");
    std::fs::write(&old, "the previous run's output\n").unwrap();
    let mut with_existing = explain_args.clone();
    with_existing.extend(args(&[OsString::from("--output"), old.clone().into_os_string()]));
    fails_once(&with_existing, keys);
    assert_eq!(
        std::fs::read_to_string(&old).unwrap(),
        "the previous run's output\n",
        "{:?}: overwritten",
        explain_args
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "{:?}: a failed run left a file", explain_args);
}

/// A model file with `text` in a fresh folder (kept alive by the returned guard).
fn model_file(text: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("model.json");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn with_model(path: &Path, rest: &[&str]) -> Vec<OsString> {
    let mut a = args(&[OsString::from("--model"), path.as_os_str().to_os_string()]);
    a.extend(args(rest));
    a
}

/// dense 2 → 2, tanh, dense 2 → 3, softmax: a valid two-input model to break one piece at a time.
const TWO_LAYER: &str = r#"{"layers": [
    {"type": "dense", "weights": [[0.1, 0.2], [0.3, 0.4]], "bias": null},
    {"type": "tanh"},
    {"type": "dense", "weights": [[0.5, -0.6], [0.7, 0.8], [-0.9, 1.0]], "bias": [0.1, 0.2, 0.3]},
    {"type": "softmax"}]}"#;

fn run_json(explain_args: &[&str]) -> Value {
    let out = cargo_bin_cmd!("gradlens").arg("explain").args(explain_args).args(["--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{explain_args:?}: {}", String::from_utf8_lossy(&out.stderr));
    // Warnings (a relabelled Iris row, a target not given) may be said; nothing else.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.lines().all(|l| l.starts_with("gradlens: warning: ")), "{explain_args:?}: {stderr}");
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

// ---------------------------------------------------------------------------------------------
// Wrong lengths.
// ---------------------------------------------------------------------------------------------

#[test]
fn x_shorter_than_the_weight_columns() {
    // The default weights are the blog's 3×4.
    fails(&["--x", "0.1,0.2,0.3"], &["--x", "3 numbers", "4 inputs"]);
}

#[test]
fn x_longer_than_a_model_files_inputs() {
    let (_dir, path) = model_file(TWO_LAYER.as_bytes());
    fails(&with_model(&path, &["--x", "1,2,3", "--target", "0"]), &["--x", "3 numbers", "2 inputs"]);
}

#[test]
fn samples_of_different_lengths() {
    fails(&["--x", "1,2,3,4", "--x", "1,2,3", "--target", "0", "--target", "1"], &["--x", "sample 2", "3 numbers"]);
}

#[test]
fn target_beyond_the_classes() {
    fails(&["--target", "3"], &["--target 3", "3 classes"]);
}

#[test]
fn fewer_targets_than_samples() {
    fails(&["--x", "1,2,3,4", "--x", "4,3,2,1", "--target", "0"], &["--target", "1 given for 2 samples"]);
}

#[test]
fn more_targets_than_samples() {
    fails(&["--x", "1,2,3,4", "--target", "0", "--target", "1"], &["--target", "2 given for 1 samples"]);
}

#[test]
fn ragged_weight_rows() {
    fails(&["--weights", "1,2;3", "--x", "1,2"], &["--weights", "row 2 has 1 numbers", "row 1 has 2"]);
}

#[test]
fn ragged_weight_rows_in_a_model_file() {
    let (_dir, path) = model_file(br#"{"layers": [{"type": "dense", "weights": [[1, 2], [3]]}, {"type": "softmax"}]}"#);
    fails(&with_model(&path, &["--x", "1,2"]), &["model file", "layers[0].weights", "row 1 has 1 numbers"]);
}

#[test]
fn bias_of_the_wrong_length() {
    fails(&["--bias", "1,2"], &["--bias", "2 numbers", "3 rows"]);
    let (_dir, path) = model_file(
        br#"{"layers": [{"type": "dense", "weights": [[1, 2], [3, 4]], "bias": [1]}, {"type": "softmax"}]}"#,
    );
    fails(&with_model(&path, &["--x", "1,2"]), &["layers[0].bias", "1 numbers", "2 rows"]);
}

// ---------------------------------------------------------------------------------------------
// Text where a number belongs; NaN and infinity.
// ---------------------------------------------------------------------------------------------

#[test]
fn text_in_x() {
    fails(&["--x", "0.81,abc,0.28,0.84"], &["--x", "'abc' is not a number"]);
}

#[test]
fn a_missing_number_in_x() {
    fails(&["--x", "0.81,,0.28,0.84"], &["--x", "number 2 is missing"]);
}

#[test]
fn text_in_weights_and_bias() {
    fails(&["--weights", "0.1,0.2;0.3,zero", "--x", "1,2"], &["--weights", "'zero' is not a number"]);
    fails(&["--bias", "0.1,b,0.3"], &["--bias", "'b' is not a number"]);
}

#[test]
fn text_as_the_step_size_or_sample() {
    fails(&["--lr", "fast"], &["--lr", "'fast'"]);
    fails(&["--sample", "first"], &["--sample", "'first'"]);
}

#[test]
fn text_in_a_model_file() {
    let (_dir, path) = model_file(br#"{"layers": [{"type": "dense", "weights": [[0.1, "x"]]}, {"type": "softmax"}]}"#);
    fails(&with_model(&path, &["--x", "1,2"]), &["model file", "layers[0].weights[0][1]", "string"]);
}

#[test]
fn nan_or_infinity_in_x() {
    fails(&["--x", "0.81,NaN,0.28,0.84"], &["--x", "'NaN' is not a finite number"]);
    fails(&["--x", "0.81,0.57,inf,0.84"], &["--x", "'inf' is not a finite number"]);
    fails(&["--x", "-infinity,0.57,0.28,0.84"], &["--x", "'-infinity' is not a finite number"]);
}

#[test]
fn nan_or_infinity_in_weights_and_bias() {
    fails(&["--weights", "0.1,-inf;0.3,0.4", "--x", "1,2"], &["--weights", "'-inf' is not a finite number"]);
    fails(&["--bias", "0.1,nan,0.3"], &["--bias", "'nan' is not a finite number"]);
}

#[test]
fn infinity_in_a_model_file() {
    // JSON has no infinity; a number too large for float64 is the way to write one.
    let (_dir, path) =
        model_file(br#"{"layers": [{"type": "dense", "weights": [[0.1, 1e999]]}, {"type": "softmax"}]}"#);
    fails(&with_model(&path, &["--x", "1,2"]), &["model file", "layers[0].weights[0][1]", "out of range"]);
}

// ---------------------------------------------------------------------------------------------
// Step size and log base.
// ---------------------------------------------------------------------------------------------

#[test]
fn step_size_zero_negative_nan_or_infinite() {
    for lr in ["0", "-0.25", "NaN", "inf", "-0"] {
        fails(&["--lr", lr], &["--lr", "positive finite"]);
    }
}

#[test]
fn log_base_not_above_one() {
    // Below 1, ln b < 0: the loss is negative and descent would maximise the error (issue 7).
    for base in ["0", "-2", "1", "1.0", "0.5"] {
        fails(&["--log-base", base], &["--log-base", base, "above 1"]);
    }
}

#[test]
fn log_base_not_a_number() {
    fails(&["--log-base", "two"], &["--log-base", "'two'"]);
    fails(&["--log-base", "inf"], &["--log-base", "'inf'"]);
}

// ---------------------------------------------------------------------------------------------
// Classes and Iris samples.
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_class_name() {
    fails(
        &["--sample", "0", "--target", "rose"],
        &["--target 'rose'", "no such class", "setosa, versicolor, virginica"],
    );
}

#[test]
fn class_name_without_class_names() {
    fails(&["--x", "1,2,3,4", "--target", "setosa"], &["--target 'setosa'", "no class names"]);
}

#[test]
fn sample_index_out_of_range() {
    fails(&["--sample", "150"], &["--sample 150", "0 to 149"]);
    fails(&["--sample", "3", "--sample", "999"], &["--sample 999", "0 to 149"]);
}

// ---------------------------------------------------------------------------------------------
// Model files: missing, unreadable, malformed, not a model.
// ---------------------------------------------------------------------------------------------

#[test]
fn missing_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-model.json");
    fails(&with_model(&path, &[]), &["model file", "no-such-model.json", "reading"]);
}

#[test]
fn unreadable_model_file() {
    // A folder, and bytes that are not UTF-8 text: neither can be read as a model file. (Permission
    // bits would not do: the tests may run as root.)
    let dir = tempfile::tempdir().unwrap();
    fails(&with_model(dir.path(), &[]), &["model file", "reading"]);
    let (_dir, path) = model_file(b"\xff\xfe\x00binary");
    fails(&with_model(&path, &[]), &["model file", "model.json", "reading", "UTF-8"]);
}

#[test]
fn malformed_model_file() {
    let (_dir, path) = model_file(br#"{"layers": [{"type": "dense", "weights": [[1, 2]]},"#);
    fails(&with_model(&path, &[]), &["model file", "layers", "EOF", "line 1"]);
    let (_dir, path) = model_file(b"weights: [[1, 2]]");
    fails(&with_model(&path, &[]), &["model file", "line 1 column 1"]);
    let (_dir, path) = model_file(br#"{"layers": {"type": "dense"}}"#);
    fails(&with_model(&path, &[]), &["model file", "layers", "expected a sequence"]);
    let (_dir, path) = model_file(br#"{"layers": [{"type": "dense"}, {"type": "softmax"}]}"#);
    fails(&with_model(&path, &[]), &["model file", "layers[0]", "missing field `weights`"]);
    let (_dir, path) = model_file(br#"{"layers": [{"weights": [[1, 2]]}, {"type": "softmax"}]}"#);
    fails(&with_model(&path, &[]), &["model file", "layers[0]", "missing field `type`"]);
    let (_dir, path) = model_file(br#"{"layers": [{"type": "dense", "weights": [[1, 2]], "bias": [1, "b"]}]}"#);
    fails(&with_model(&path, &[]), &["model file", "layers[0].bias[1]"]);
}

#[test]
fn layers_whose_shapes_do_not_chain() {
    let text = TWO_LAYER.replace("[[0.5, -0.6], [0.7, 0.8], [-0.9, 1.0]]", "[[0.5, -0.6, 1], [0.7, 0.8, 1]]");
    let (_dir, path) = model_file(text.as_bytes());
    fails(&with_model(&path, &["--x", "1,2"]), &["model file", "layers[2].weights", "3 inputs", "layers[0] gives 2"]);
}

#[test]
fn unknown_layer_type() {
    let (_dir, path) = model_file(TWO_LAYER.replace(r#""tanh""#, r#""conv2d""#).as_bytes());
    fails(&with_model(&path, &["--x", "1,2"]), &["model file", "layers[1].type", "conv2d"]);
}

#[test]
fn model_without_a_softmax_on_top() {
    // It predicts values (issue 17, item 19): no class 0 is assumed, and cross-entropy is not
    // asked for; with numbers as targets it is explained under the quadratic loss.
    let (_dir, path) = model_file(br#"{"layers": [{"type": "dense", "weights": [[1, 2], [3, 4]]}]}"#);
    fails(&with_model(&path, &["--x", "1,2"]), &["--target", "predicts values", "not a softmax", "its numbers"]);
    fails(
        &with_model(&path, &["--x", "1,2", "--loss", "cross-entropy", "--target", "0"]),
        &["model file", "layers[0]", "softmax"],
    );
}

// ---------------------------------------------------------------------------------------------
// --output.
// ---------------------------------------------------------------------------------------------

#[test]
fn output_in_a_missing_folder() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing").join("out.txt");
    let a = args(&[OsString::from("--output"), target.clone().into_os_string()]);
    fails_once(&a, &["--output", "missing", "does not exist"]);
    assert!(!dir.path().join("missing").exists(), "the folder must not be created");
}

#[test]
fn output_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("explain.json");
    std::fs::write(&target, "old content").unwrap();
    let out =
        cargo_bin_cmd!("gradlens").args(["explain", "--format", "json", "--output"]).arg(&target).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let written = std::fs::read_to_string(&target).unwrap();
    let stdout = cargo_bin_cmd!("gradlens").args(["explain", "--format", "json"]).output().unwrap().stdout;
    assert_eq!(written.as_bytes(), stdout.as_slice(), "--output holds what stdout would have shown");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left beside it");
}

// ---------------------------------------------------------------------------------------------
// Options that must work as typed.
// ---------------------------------------------------------------------------------------------

#[test]
fn negative_values_work_as_typed() {
    let json = run_json(&[
        "--x",
        "-0.5,0.3,0.1,0.2",
        "--weights",
        "-0.8,0.97,0.51,0.67;0.15,0.29,0.1,0.71;0.14,-0.47,-0.62,0.21",
        "--bias",
        "-0.1,0.2,-0.3",
        "--target",
        "2",
    ]);
    assert_eq!(json["inputs"], serde_json::json!([[-0.5, 0.3, 0.1, 0.2]]));
    assert_eq!(json["layers"][0]["weights"][0], serde_json::json!([-0.8, 0.97, 0.51, 0.67]));
    assert_eq!(json["layers"][0]["weights"][2], serde_json::json!([0.14, -0.47, -0.62, 0.21]));
    assert_eq!(json["layers"][0]["bias"], serde_json::json!([-0.1, 0.2, -0.3]));
    assert_eq!(json["targets"], serde_json::json!([[0.0, 0.0, 1.0]]));
    // z₃ = 0.14·(−0.5) + (−0.47)·0.3 + (−0.62)·0.1 + 0.21·0.2 + (−0.3) = −0.531.
    let z3 = json["logits"][0][2].as_f64().unwrap();
    assert!((z3 - (0.14 * -0.5 + -0.47 * 0.3 + -0.62 * 0.1 + 0.21 * 0.2 - 0.3)).abs() < 1e-15, "{z3}");
    assert!((z3 - -0.531).abs() < 1e-12, "{z3}");
}

#[test]
fn a_batch_of_samples_with_their_targets() {
    let json = run_json(&["--x", "0.81,0.57,0.28,0.84", "--x", "-1,0,1,2", "--target", "0", "--target", "2"]);
    assert_eq!(json["inputs"], serde_json::json!([[0.81, 0.57, 0.28, 0.84], [-1.0, 0.0, 1.0, 2.0]]));
    assert_eq!(json["targets"], serde_json::json!([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]));
    // z for sample 2, class 1: −0.80·(−1) + 0.97·0 + 0.51·1 + 0.67·2 = 2.65.
    assert!((json["logits"][1][1].as_f64().unwrap() - 2.65).abs() < 1e-12);
}

/// Iris row 0 is (5.1, 3.5, 1.4, 0.2), setosa; rows 50 and 100 are (7.0, 3.2, 4.7, 1.4),
/// versicolor, and (6.3, 3.3, 6.0, 2.5), virginica (Fisher's data, scikit-learn's order).
#[test]
fn sample_uses_the_iris_row_and_its_label() {
    let json = run_json(&["--sample", "0"]);
    assert_eq!(json["inputs"], serde_json::json!([[5.1, 3.5, 1.4, 0.2]]));
    assert_eq!(json["targets"], serde_json::json!([[1.0, 0.0, 0.0]]));
    // z₁ = 5.1·0.15 + 3.5·0.29 + 1.4·0.10 + 0.2·0.71 with the blog's weights.
    let z1 = 5.1 * 0.15 + 3.5 * 0.29 + 1.4 * 0.10 + 0.2 * 0.71;
    assert!((json["logits"][0][0].as_f64().unwrap() - z1).abs() < 1e-14);

    let named = run_json(&["--sample", "0", "--target", "setosa"]);
    assert_eq!(named["targets"], json["targets"]);
    assert_eq!(named["loss"], json["loss"]);

    let batch = run_json(&["--sample", "50", "--sample", "100"]);
    assert_eq!(batch["inputs"], serde_json::json!([[7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5]]));
    assert_eq!(batch["targets"], serde_json::json!([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]));
    let renamed = run_json(&["--sample", "50", "--sample", "100", "--target", "virginica", "--target", "setosa"]);
    assert_eq!(renamed["targets"], serde_json::json!([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]));
}

/// Logits of ±1e4 (x = 1, W = [1e4; −1e4; 0]) and true class 1: ŷ₁ underflows to exactly 0, yet
/// the loss is finite: logsumexp(z) − z₁ = 1e4 − (−1e4) = 2e4.
#[test]
fn huge_logits_through_the_cli() {
    let json = run_json(&["--weights", "10000;-10000;0", "--x", "1", "--target", "1"]);
    assert_eq!(json["probabilities"][0][1].as_f64(), Some(0.0));
    assert!((json["loss"].as_f64().unwrap() - 2e4).abs() <= 1e-12 * 2e4, "{}", json["loss"]);
    assert!(json["new_loss"].as_f64().is_some_and(f64::is_finite));
    // ∂L/∂W = (ŷ − y)ᵀ·x = [1, −1, 0]ᵀ.
    assert_eq!(json["layers"][0]["grad_weights"], serde_json::json!([[1.0], [-1.0], [0.0]]));
}

// ---------------------------------------------------------------------------------------------
// Pipes and colour.
// ---------------------------------------------------------------------------------------------

fn gradlens_path() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("gradlens")
}

/// `gradlens explain | head -1`: a reader that goes away is not an error.
#[test]
fn closed_pipe_is_not_an_error() {
    for format in ["text", "json", "markdown"] {
        // The reader closes before gradlens writes anything: the write fails with EPIPE for sure.
        let mut child = Command::new(gradlens_path())
            .args(["explain", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{format}: {}", String::from_utf8_lossy(&out.stderr));

        // As `head -1` does it: read one line, then close.
        let mut child = Command::new(gradlens_path())
            .args(["explain", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert!(!first.trim().is_empty(), "{format}: a first line");
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(0), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
    // Through a real shell pipeline, with the pipeline's status taken from gradlens.
    let script = format!("set -o pipefail; '{}' explain 2>&1 | head -1 >/dev/null", gradlens_path().display());
    let status = Command::new("bash").args(["-c", &script]).status().unwrap();
    assert!(status.success(), "gradlens explain | head -1 exited {status}");
}

/// No escape codes when stdout is not a terminal, whatever NO_COLOR says (and with it set).
#[test]
fn no_colour_off_a_terminal_or_with_no_color() {
    for format in ["text", "markdown", "json"] {
        for no_color in [None, Some("1")] {
            let mut cmd = cargo_bin_cmd!("gradlens");
            cmd.args(["explain", "--format", format]);
            match no_color {
                Some(v) => cmd.env("NO_COLOR", v),
                None => cmd.env_remove("NO_COLOR"),
            };
            let out = cmd.output().unwrap();
            assert!(out.status.success());
            assert!(!out.stdout.is_empty());
            assert!(!out.stdout.contains(&0x1b), "{format}, NO_COLOR={no_color:?}: escape codes in the output");
        }
    }
}

/// A saved model's scaler turns the measured --x into what the network sees; the JSON keeps both.
#[test]
fn a_model_scaler_is_applied_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    std::fs::write(
        &model,
        r#"{"layers": [{"type": "dense", "weights": [[1, 0], [0, 1]], "bias": null}, {"type": "softmax"}],
            "scaler": {"kind": "standard", "offset": [1, 2], "divisor": [2, 4]}}"#,
    )
    .unwrap();
    let out = cargo_bin_cmd!("gradlens")
        .args(["explain", "--model"])
        .arg(&model)
        .args(["--x", "3,-6", "--target", "0", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // x = (raw − offset)/divisor = ((3 − 1)/2, (−6 − 2)/4) = (1, −2), by hand
    assert_eq!(v["inputs"], serde_json::json!([[1.0, -2.0]]));
    assert_eq!(v["raw_inputs"], serde_json::json!([[3.0, -6.0]]));
    // W = I, so the logits are the scaled inputs: z = (1, −2)
    assert_eq!(v["logits"], serde_json::json!([[1.0, -2.0]]));

    let text = cargo_bin_cmd!("gradlens")
        .args(["explain", "--model"])
        .arg(&model)
        .args(["--x", "3,-6", "--target", "0"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("standard scaler") && text.contains("x_raw = [3, -6]"), "{text}");
}

/// Finite inputs too large for float64: one clear line, not a walk-through of NaN.
#[test]
fn inputs_that_overflow() {
    // z = 1e308·(1.25, 1.35, −0.74): finite, but z₃ − max z = −2.09e308 overflows, so does the loss.
    fails(&["--x", "1e308,1e308,1e308,1e308"], &["x", "the loss overflows float64"]);
    // z₁ = 1e308·(0.15·2 + 0.29·2 + 0.1·2 + 0.71·2) = 2.5e308 > f64::MAX.
    fails(&["--x", "2e308,2e308,2e308,2e308"], &["'2e308' is not a finite number"]);
    fails(&["--x", "1.7e308,1.7e308,1.7e308,1.7e308"], &["x", "layers[0] (dense) overflows float64"]);
}

/// `--target -1` is read as a value, and refused as one.
#[test]
fn a_negative_target() {
    fails(&["--target", "-1"], &["--target", "-1"]);
}

/// `explain --steps N` in each format is one document framed by that format (issue 13): one
/// HTML page (one `<!DOCTYPE>`, one `<html>`, a link to each step and the step it points to, no
/// text-format rule), one Markdown document with a `# Step k of N` section per step and every
/// step's own headings a level down, the text format's rules as before.
#[test]
fn several_steps_are_one_document_in_each_format() {
    let run = |format: &str| {
        let out = cargo_bin_cmd!("gradlens").args(["explain", "--steps", "2", "--format", format]).output().unwrap();
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let html = run("html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert_eq!(html.matches("<!DOCTYPE").count(), 1);
    assert_eq!(html.matches("<html").count(), 1);
    assert_eq!(html.matches("</html>").count(), 1);
    assert!(!html.contains("════"));
    for k in 1..=2 {
        assert!(html.contains(&format!("href=\"#step-{k}\"")), "a link to step {k}");
        assert_eq!(html.matches(&format!("id=\"step-{k}\"")).count(), 1, "step {k}'s target, once");
        assert!(html.contains(&format!("Step {k} of 2")));
    }
    let markdown = run("markdown");
    let h1: Vec<&str> = markdown.lines().filter(|l| l.starts_with("# ")).collect();
    assert_eq!(h1, ["# Step 1 of 2", "# Step 2 of 2"], "one top-level section per step");
    let text = run("text");
    assert!(text.starts_with("════ Step 1 of 2 ════"));
    assert_eq!(text.matches("════ Step").count(), 2);
}
