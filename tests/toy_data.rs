//! The generated toy data sets through `gradlens train`: the README's spiral run learns, a seed
//! gives the same run, and bad sizes are refused with the option named.

use assert_cmd::cargo::cargo_bin_cmd;

fn train(args: &[&str]) -> std::process::Output {
    cargo_bin_cmd!("gradlens").arg("train").args(args).output().unwrap()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The README's command: a 2-16-16-2 tanh network on 400 spiral points, noise 0.05, seed 3.
const SPIRAL: &[&str] = &[
    "--data",
    "spiral",
    "--points",
    "400",
    "--noise",
    "0.05",
    "--seed",
    "3",
    "--hidden",
    "16,16",
    "--activation",
    "tanh",
    "--optimizer",
    "adam",
    "--lr",
    "0.01",
    "--batch-size",
    "32",
    "--epochs",
    "600",
    "--format",
    "json",
];

#[test]
fn a_two_16_16_two_tanh_network_learns_the_spiral() {
    let report = json(&train(SPIRAL));
    assert_eq!(report["data"]["rows"], 400);
    assert_eq!(report["data"]["test_rows"], 80); // 20% of each class held out
    let accuracy = report["final"]["test"]["accuracy"].as_f64().unwrap();
    assert!(accuracy >= 0.95, "test accuracy {accuracy}");
}

#[test]
fn the_same_seed_draws_the_same_points_and_another_seed_others() {
    let run = |seed: &str| {
        let args = ["--data", "xor", "--points", "60", "--noise", "0.1", "--seed", seed, "--epochs", "3"];
        json(&train(&[&args[..], &["--format", "json"]].concat()))["epochs"][0]["loss"].as_f64().unwrap()
    };
    assert_eq!(run("5"), run("5"));
    assert_ne!(run("5"), run("6"));
}

#[test]
fn every_set_trains_and_the_curve_is_regression() {
    for set in ["circle", "xor", "gaussians", "spiral"] {
        let report = json(&train(&["--data", set, "--points", "40", "--epochs", "2", "--format", "json"]));
        assert_eq!(report["data"]["features"], serde_json::json!(["x1", "x2"]), "{set}");
        assert_eq!(report["data"]["classes"], serde_json::json!(["blue", "orange"]), "{set}");
    }
    let report = json(&train(&["--data", "curve", "--points", "40", "--epochs", "2", "--format", "json"]));
    assert_eq!(report["config"]["loss_function"], "quadratic");
    assert_eq!(report["data"]["targets"], serde_json::json!(["y"]));
}

#[test]
fn bad_sizes_name_their_option() {
    for (args, want) in [
        (&["--data", "spiral", "--points", "1"][..], "--points 1: a generated data set has 2 to"),
        (&["--data", "circle", "--noise", "-1"][..], "--noise -1: must be a number from 0"),
        (&["--data", "spiral", "--label", "x1"][..], "--data spiral: a generated data set has its own targets"),
    ] {
        let out = train(args);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{err}");
    }
    let out = train(&["--points", "50", "--epochs", "1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--points is ignored"));
}
