//! The optimizer's settings and its saved state: bad values are refused with one line naming the
//! option or the model file's field (exit 2), files saved before the state was kept still load,
//! and the walk-through writes each weight's state and adam's bias-corrected step in every
//! format from the same record. The numbers are JAX's (`tests/golden/optimizer_jax.json`,
//! `tools/jax_optimizer_reference.py`) or worked out by hand beside the test.

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::{Value, json};
use std::path::Path;

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    cargo_bin_cmd!("gradlens").current_dir(dir).args(args).output().expect("the binary runs")
}

/// Exit 2 and one line on stderr that says each of `words`.
fn refused(dir: &Path, args: &[&str], words: &[&str]) {
    let out = run(dir, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: one line: {err}");
    for w in words {
        assert!(err.contains(w), "{args:?}: {err:?} does not say {w:?}");
    }
}

const BLOG_LAYERS: &str = r#"[{"type": "dense", "weights": [[0.15, 0.29, 0.10, 0.71], [-0.80, 0.97, 0.51, 0.67], [0.14, -0.47, -0.62, 0.21]], "bias": null}, {"type": "softmax"}]"#;

#[test]
fn adam_s_decays_and_eps_are_checked_on_every_face() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    refused(d, &["explain", "--optimizer", "adam", "--b1", "1"], &["--b1 1", "[0, 1)"]);
    refused(d, &["explain", "--optimizer", "adam", "--b2", "-0.1"], &["--b2 -0.1", "[0, 1)"]);
    refused(d, &["explain", "--optimizer", "adam", "--eps", "0"], &["--eps 0", "positive"]);
    refused(d, &["explain", "--optimizer", "momentum", "--momentum", "1"], &["--momentum 1", "[0, 1)"]);
    refused(d, &["train", "--optimizer", "adam", "--eps", "-1e-8"], &["--eps -0.00000001", "positive"]);
    refused(d, &["train", "--optimizer", "adam", "--b1", "NaN"], &["--b1", "[0, 1)"]);
    // A model file's saved adam is held to the same rules, named by its field.
    let file = format!(
        r#"{{"layers": {BLOG_LAYERS}, "training": {{"optimizer": {{"kind": "adam", "step_size": 0.1, "b1": 1.5, "b2": 0.999, "eps": 1e-8}}, "loss_function": "cross-entropy", "log_base": "e", "epochs": 1}}}}"#
    );
    std::fs::write(d.join("bad.json"), file).unwrap();
    refused(d, &["explain", "--model", "bad.json"], &["bad.json", "training.optimizer.b1", "[0, 1)"]);
    // A setting of another optimizer is said to be ignored, not silently dropped.
    let out = run(d, &["explain", "--b1", "0.5"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--b1 is ignored: it is a setting of --optimizer adam"));
}

/// Each fault in `training.state` is named by its path in the file.
#[test]
fn a_saved_state_that_does_not_fit_is_refused_by_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let weights = json!([[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5]]);
    let cases = [
        ("adam", json!({"t": 1, "m": [{"weights": weights, "bias": null}]}), "training.state.v", "missing"),
        (
            "adam",
            json!({"t": 1, "m": [{"weights": weights, "bias": null}], "v": [{"weights": weights, "bias": null}], "velocity": []}),
            "training.state.velocity",
            "adam keeps no such state",
        ),
        (
            "adam",
            json!({"t": 1, "m": [{"weights": [[0.1]], "bias": null}], "v": [{"weights": weights, "bias": null}]}),
            "training.state.m[0].weights",
            "3×4",
        ),
        (
            "adam",
            json!({"t": 1, "m": [{"weights": weights, "bias": null}], "v": [{"weights": [[0.1, 0.2, 0.3, -0.4], [0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5]], "bias": null}]}),
            "training.state.v",
            "not negative",
        ),
        (
            "momentum",
            json!({"t": 2, "velocity": [{"weights": weights, "bias": [1.0, 2.0, 3.0]}]}),
            "velocity[0].bias",
            "no bias",
        ),
    ];
    for (kind, state, at, why) in cases {
        let optimizer = match kind {
            "adam" => json!({"kind": "adam", "step_size": 0.1, "b1": 0.9, "b2": 0.999, "eps": 1e-8}),
            _ => json!({"kind": "momentum", "step_size": 0.1, "mass": 0.9}),
        };
        let file = json!({
            "layers": serde_json::from_str::<Value>(BLOG_LAYERS).unwrap(),
            "training": {"optimizer": optimizer, "loss_function": "cross-entropy", "log_base": "e", "epochs": 1, "state": state},
        });
        std::fs::write(d.join("m.json"), file.to_string()).unwrap();
        refused(d, &["explain", "--model", "m.json"], &["m.json", at, why]);
    }
}

/// A file saved before the state was kept (adam's record, no `state`) still loads: its step is
/// adam's first, from a state of 0, and `explain` says so.
#[test]
fn an_old_file_without_state_explains_adam_from_zero_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = format!(
        r#"{{"layers": {BLOG_LAYERS}, "training": {{"optimizer": {{"kind": "adam", "step_size": 0.25, "b1": 0.9, "b2": 0.999, "eps": 1e-8}}, "loss_function": "cross-entropy", "log_base": "e", "epochs": 40}}}}"#
    );
    std::fs::write(d.join("old.json"), file).unwrap();
    let out =
        run(d, &["explain", "--model", "old.json", "--x", "0.81,0.57,0.28,0.84", "--target", "0", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("keeps no adam state"));
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((e["optimizer"]["kind"].as_str(), e["optimizer_state"]["t"].as_u64()), (Some("adam"), Some(1)));
    // Adam's first step from 0 on the blog's example with α = 0.25 (JAX golden blog_adam step 1):
    // W₁₁ ← 0.15 − 0.25·m̂/(√v̂ + 1e-8) with m̂ = g, v̂ = g², so 0.15 + 0.25 − 5.9e-9 = 0.399999994070925.
    let w11 = e["layers"][0]["new_weights"][0][0].as_f64().unwrap();
    assert!((w11 - 0.399999994070925).abs() < 1e-15, "{w11}");
}

/// The update stage of adam's first step on the blog's example, in text, Markdown and HTML:
/// every number is JAX's (golden blog_adam step 1) as `fmt_num` writes it (8 significant digits).
#[test]
fn the_update_stage_writes_each_weight_s_state_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("blog.json"), format!(r#"{{"layers": {BLOG_LAYERS}}}"#)).unwrap();
    let text = |format: &str| {
        let args = ["explain", "--model", "blog.json", "--x", "0.81,0.57,0.28,0.84", "--target", "0"];
        let out = run(d, &[&args[..], &["--optimizer", "adam", "--format", format]].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    // JAX: g₁₁ = −0.4216509273262612, m₁₁ = 0.1·g₁₁ = −0.04216509273262611,
    // v₁₁ = 0.001·g₁₁² = 0.000177789504…, m̂ = m/0.1 = g, v̂ = v/0.001 = g²,
    // W₁₁ = 0.399999994070925 (step 0.15 − 0.399999994… = −0.249999994…).
    let t = text("text");
    for line in [
        "(1 − b1^t): 1 − 0.9¹ = 0.1",
        "m(W₁₁): 0.1·(-0.42165093) + 0.9·0 = -0.042165093",
        "v(W₁₁): 0.001·(-0.42165093)² + 0.999·0 = 0.0001777895",
        "m̂(W₁₁): (-0.042165093)/0.1 = -0.42165093",
        "v̂(W₁₁): 0.0001777895/0.001 = 0.1777895",
    ] {
        assert!(t.contains(line), "text lacks {line:?}:\n{t}");
    }
    assert!(t.contains("= 0.39999999"), "{t}");
    let prose = t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(prose.contains("Its state starts at 0: this is the first step, t = 1."), "{t}");
    assert!(prose.starts_with("gradlens explain: one adam step, number by number"), "{t}");
    let md = text("markdown");
    assert!(md.contains("\\hat{m}(W_{11})") && md.contains("-0.042165093") && md.contains("0.1777895"), "{md}");
    let html = text("html");
    assert!(html.contains("adam&#39;s step") || html.contains("adam's step"), "html lacks the stage");
    assert!(html.contains("-0.042165093") && html.contains("0.1777895"), "html lacks the numbers");
}
