//! The application layer's training job is the CLI's run (issue 13): a Rust caller (the page,
//! the Python binding) that fills `TrainSettings` gets, field for field, the report
//! `gradlens train --format json` prints for the same settings.

use assert_cmd::cargo::cargo_bin_cmd;
use gradlens::data::Dataset;
use gradlens::run::train::{TrainJob, TrainSettings};
use gradlens::train::Silent;
use serde_json::Value;

#[test]
fn a_rust_callers_job_is_the_clis_run() {
    let settings = TrainSettings {
        hidden: vec![4],
        activation: Some("sigmoid".into()),
        bias: Some(false),
        optimizer: Some("momentum".into()),
        lr: Some(0.2),
        momentum: Some(0.5),
        epochs: Some(25),
        batch_size: Some(30),
        seed: Some(11),
        scale: Some("minmax".into()),
        ..TrainSettings::default()
    };
    let trained = TrainJob::new(settings, Dataset::iris()).prepare().unwrap().train(&mut Silent).unwrap();
    let job: Value = serde_json::to_value(&trained.report).unwrap();
    let out = cargo_bin_cmd!("gradlens")
        .args(["train", "--format", "json", "--hidden", "4", "--activation", "sigmoid", "--no-bias"])
        .args(["--optimizer", "momentum", "--lr", "0.2", "--momentum", "0.5", "--epochs", "25"])
        .args(["--batch-size", "30", "--seed", "11", "--scale", "minmax"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(job, cli);
    assert_eq!(cli["schema"], 1);
    // 4·4 + 4·3 weights, no biases: the parameter count the page's work cap reads.
    assert_eq!(
        TrainJob::new(
            TrainSettings { hidden: vec![4], bias: Some(false), ..TrainSettings::default() },
            Dataset::iris()
        )
        .prepare()
        .unwrap()
        .parameters(),
        4 * 4 + 4 * 3
    );
}
