//! Matt Mazur's "A Step by Step Backpropagation Example" (2015) reproduced number by number
//! (issue 6, §2): a 2-2-2 network, sigmoid hidden and output layers, biases 0.35 and 0.6 that the
//! post never updates, the cost E = Σₖ ½(targetₖ − outₖ)², step size 0.5.
//!
//! His weights w1…w8 are the rows of W as gradlens writes them: h1 = w1·i1 + w2·i2 + b1,
//! h2 = w3·i1 + w4·i2 + b1, o1 = w5·out_h1 + w6·out_h2 + b2, o2 = w7·out_h1 + w8·out_h2 + b2.
//! Every expected number is quoted from the post (to the digits it prints) or, where the post
//! is loose, from mpmath at 30 digits with the formulas written beside it.

use assert_cmd::cargo::cargo_bin_cmd;
use gradlens::activation::Activation::Sigmoid;
use gradlens::data::Targets;
use gradlens::loss::Loss;
use gradlens::model::Model;
use gradlens::trace::{ExplainRequest, LayerTrace, Update, explain};
use ndarray::array;

/// The post's network, written out.
fn mazur() -> ExplainRequest {
    let model = Model::builder()
        .dense_with_bias(array![[0.15, 0.20], [0.25, 0.30]], &[0.35, 0.35]) // w1 w2 / w3 w4, b1
        .activation(Sigmoid)
        .dense_with_bias(array![[0.40, 0.45], [0.50, 0.55]], &[0.60, 0.60]) // w5 w6 / w7 w8, b2
        .activation(Sigmoid)
        .build()
        .unwrap();
    ExplainRequest {
        model,
        inputs: array![[0.05, 0.10]],                           // i1, i2
        targets: Targets::unnamed_values(array![[0.01, 0.99]]), // target_o1, target_o2
        update: Update::Sgd { learning_rate: 0.5 },
        loss: Loss::Quadratic,
        freeze_bias: true, // the post updates only the weights
        ..ExplainRequest::blog()
    }
}

/// `actual` agrees with the post's `printed` number to the digits printed (half a unit in the last).
fn printed(what: &str, actual: f64, printed: &str) {
    let decimals = printed.split('.').nth(1).map_or(0, str::len) as i32;
    let expected: f64 = printed.parse().unwrap();
    let tol = 0.5 * 10f64.powi(-decimals) + 1e-15;
    assert!((actual - expected).abs() <= tol, "{what}: {actual} vs the post's {printed}");
}

#[test]
fn mazurs_numbers() {
    let e = explain(&mazur()).unwrap();
    let [
        LayerTrace::Dense(hidden),
        LayerTrace::Activation(h_out),
        LayerTrace::Dense(out),
        LayerTrace::Activation(o_out),
    ] = e.layers.as_slice()
    else {
        panic!("four layers")
    };
    // "out_h1 = 0.593269992" (forward pass, hidden layer)
    printed("out_h1", h_out.output[[0, 0]], "0.593269992");
    // "out_o1 = 0.75136507" (forward pass, output layer)
    printed("out_o1", o_out.output[[0, 0]], "0.75136507");
    // "E_total = 0.298371109" (calculating the total error)
    printed("E_total", e.loss, "0.298371109");
    // "∂E_total/∂w5 = 0.082167041" (backward pass, output layer)
    printed("∂E/∂w5", out.grad_weights[[0, 0]], "0.082167041");
    // "w5⁺ = 0.35891648" (the update of w5)
    printed("w5+", out.new_weights[[0, 0]], "0.35891648");
    // "w1⁺ = 0.149780716" (backward pass, hidden layer)
    printed("w1+", hidden.new_weights[[0, 0]], "0.149780716");
    // The biases keep their values, their gradients are still there: ∂E/∂b2 of o1 is
    // δ_o1 = (out_o1 − target_o1)·out_o1·(1 − out_o1) = 0.74136507·0.1868156 = 0.138498562 (post).
    assert_eq!(out.new_bias.as_deref(), Some(&[0.6, 0.6][..]));
    printed("δ_o1", out.grad_bias.as_ref().unwrap()[0], "0.138498562");
    // The post's "error after the first round" is 0.291027924; computed exactly with the new
    // weights (mpmath, 30 digits, the formulas above: 0.291027773693599...) it is 0.291027774.
    assert!((e.new_loss - 0.291_027_773_693_599_4).abs() < 1e-15, "{}", e.new_loss);
}

/// The README's one command, and the note that points out the post's loose digit.
#[test]
fn the_readme_command_reproduces_it() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/mazur.json");
    let out = cargo_bin_cmd!("gradlens")
        .args(["explain", "--model", model, "--x", "0.05,0.1", "--target", "0.01,0.99"])
        .args(["--loss", "quadratic", "--lr", "0.5", "--freeze-bias"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in ["0.29837111", "0.082167041", "0.35891648", "0.14978072", "0.291027924", "0.291027774"] {
        assert!(text.contains(want), "the output lacks {want}");
    }
}

/// "After repeating this process 10,000 times, for example, the error plummets to 0.0000351085"
/// (the post): the README's `train` command from examples/mazur.json and examples/mazur.csv.
/// An epoch's loss is measured on the batch before that epoch's update, so epoch 10,000's loss is
/// the error of round 10,000, the post's figure; after the 10,000th update it is 0.0000351019
/// (the run's final loss). Both from `tools/mazur_rounds.py`, the same rounds in numpy float64:
/// 3.510854812251261e-05 and 3.510187782978859e-05.
#[test]
fn ten_thousand_rounds() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let out = cargo_bin_cmd!("gradlens")
        .args(["train", "--model", &format!("{dir}/examples/mazur.json")])
        .args(["--data", &format!("{dir}/examples/mazur.csv"), "--label", "target_o1,target_o2"])
        .args(["--test-fraction", "0", "--scale", "none", "--lr", "0.5", "--freeze-bias", "--epochs", "10000"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let last = &report["epochs"][9999];
    assert_eq!(last["epoch"], 10000);
    let round_10000 = last["loss"].as_f64().unwrap();
    printed("E after 10,000 rounds", round_10000, "0.0000351085");
    let close = |a: f64, b: f64| ((a - b) / b).abs() < 1e-12;
    assert!(close(round_10000, 3.510854812251261e-05), "{round_10000}");
    let after = report["final"]["train"]["loss"].as_f64().unwrap();
    assert!(close(after, 3.510187782978859e-05), "{after}");
}
