//! What the JAX golden training tests share: one case of a `tests/golden/*_jax.json` file
//! replayed through `gradlens train` with the settings the reference scripts in `tools/` use.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// `gradlens train --model CASE.json` as the reference ran it: the case's epochs, batch size,
/// optimizer with its step size (and momentum's mass), rows in order, no test split, standard
/// scaling, the JSON report. The case's model is written into `dir`; callers add what their cases
/// differ by (data, engine, log base, penalty), then run it with [`report`].
pub fn train_command(case: &Value, dir: &Path) -> Command {
    let name = case["name"].as_str().unwrap();
    let model_path = dir.join(format!("{name}.json"));
    std::fs::write(&model_path, serde_json::to_string(&case["model"]).unwrap()).unwrap();
    let args = &case["optimizer_args"];
    let mut cmd = Command::cargo_bin("gradlens").unwrap();
    cmd.arg("train")
        .arg("--model")
        .arg(&model_path)
        .args(["--epochs", &case["epochs"].to_string(), "--batch-size", &case["batch_size"].to_string()])
        .args(["--no-shuffle", "--scale", "standard", "--test-fraction", "0", "--format", "json"])
        .args(["--optimizer", case["optimizer"].as_str().unwrap(), "--lr", &args["step_size"].to_string()]);
    if let Some(mass) = args.get("mass") {
        cmd.args(["--momentum", &mass.to_string()]);
    }
    cmd
}

/// Runs the command; its JSON report (a failed run fails the test with its message).
pub fn report(cmd: &mut Command, what: &str) -> Value {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}
