//! What makes a model: the rules `Model::new` enforces for a model built in code, and the same
//! rules (plus what only a file can get wrong) when a model file is read.

use gradlens::layers::{Dense, Layer, Params, Relu, Softmax, Tanh, serial};
use gradlens::loss::Loss;
use gradlens::model::{Model, ModelFile};
use ndarray::{Array2, array};
use std::path::Path;

fn dense(w_out_in: Array2<f64>, b: Option<Array2<f64>>) -> Params {
    Params::Dense { w_out_in, b }
}

/// `Model::new`'s message, or "accepted".
fn new_err(layers: Vec<Layer>, params: Vec<Params>) -> String {
    match Model::new(serial(layers), Params::Serial(params)) {
        Ok(_) => "accepted".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_model_built_in_code_follows_the_rules_of_a_model_file() {
    let w34 = || Array2::<f64>::ones((3, 4));
    // (layers, params, words the message must hold)
    let cases: Vec<(Vec<Layer>, Vec<Params>, &[&str])> = vec![
        // A dense layer without weights: the hand path's `expect("dense params")` would panic.
        (vec![Dense(3), Softmax], vec![Params::None, Params::None], &["layers[0]", "weights"]),
        // Parameters on a layer that has none.
        (
            vec![Dense(3).without_bias(), Tanh, Softmax],
            vec![dense(w34(), None), dense(w34(), None), Params::None],
            &["layers[1]", "tanh"],
        ),
        // No dense layer at all: nothing to learn, and `explain` expects one.
        (vec![Relu, Softmax], vec![Params::None, Params::None], &["no dense layer"]),
        (vec![], vec![], &["no layers"]),
        // Dense(2) gives 2 outputs, the next dense layer's weights take 5.
        (
            vec![Dense(2).without_bias(), Tanh, Dense(3).without_bias(), Softmax],
            vec![dense(Array2::ones((2, 4)), None), Params::None, dense(Array2::ones((3, 5)), None), Params::None],
            &["layers[2].weights", "takes 5 inputs but layers[0] gives 2 outputs"],
        ),
        (
            vec![Dense(3).without_bias(), Softmax],
            vec![dense(Array2::zeros((3, 0)), None), Params::None],
            &["layers[0].weights", "empty"],
        ),
        // A bias is 1×out: 3 outputs, 2 biases.
        (
            vec![Dense(3), Softmax],
            vec![dense(w34(), Some(array![[0.1, 0.2]])), Params::None],
            &["layers[0].bias", "has 2 numbers but the weights have 3 rows"],
        ),
        (vec![Dense(3), Softmax], vec![dense(w34(), Some(Array2::zeros((3, 1)))), Params::None], &["(3×1)", "(1×3)"]),
        // Dense(2) says 2 units, its weights have 3 rows.
        (vec![Dense(2).without_bias(), Softmax], vec![dense(w34(), None), Params::None], &["layers[0]", "Dense(2)"]),
        // A layer declared with a bias, parameters without one.
        (vec![Dense(3), Softmax], vec![dense(w34(), None), Params::None], &["layers[0].bias"]),
        (
            vec![Dense(3).without_bias(), Softmax, Softmax],
            vec![dense(w34(), None), Params::None, Params::None],
            &["layers[1]", "may only be the last layer"],
        ),
        (vec![Dense(3).without_bias(), Softmax], vec![dense(w34(), None)], &["2 layers", "1 parameter"]),
        (
            vec![serial([Dense(3).without_bias()]), Softmax],
            vec![Params::Serial(vec![dense(w34(), None)]), Params::None],
            &["layers[0]", "serial"],
        ),
    ];
    for (layers, params, want) in cases {
        let what = format!("{layers:?}");
        let e = new_err(layers, params);
        assert!(e.starts_with("model: "), "{what}: {e}");
        for w in want {
            assert!(e.contains(w), "{what}: {e:?} lacks {w:?}");
        }
    }
    // A model may end in any layer; the loss says which it needs: cross-entropy a softmax, the
    // quadratic cost anything.
    let tanh_top =
        Model::new(serial([Dense(3).without_bias(), Tanh]), Params::Serial(vec![dense(w34(), None), Params::None]));
    let tanh_top = tanh_top.expect("a model");
    let fault = Loss::default().check_output(&tanh_top).unwrap_err();
    assert_eq!(fault.at, "layers[1]");
    assert!(fault.why.contains("softmax") && fault.why.contains("tanh"), "{}", fault.why);
    assert_eq!(Loss::Quadratic.check_output(&tanh_top), Ok(()));
    // The same shapes, put right, are a model.
    assert_eq!(
        new_err(
            vec![Dense(2), Tanh, Dense(3).without_bias(), Softmax],
            vec![
                dense(Array2::ones((2, 4)), Some(array![[0.1, 0.2]])),
                Params::None,
                dense(Array2::ones((3, 2)), None),
                Params::None
            ],
        ),
        "accepted"
    );
}

/// `ModelFile::to_model`'s message for `json`, or "accepted".
fn file_err(json: &str) -> String {
    let path = Path::new("m.json");
    match ModelFile::parse(json, path).and_then(|f| f.to_model(path)) {
        Ok(_) => "accepted".into(),
        Err(e) => e.to_string(),
    }
}

/// One dense layer, 3 outputs × 2 inputs, then softmax; `extra` adds top-level fields.
fn one_layer(extra: &str) -> String {
    format!(
        r#"{{"layers": [{{"type": "dense", "weights": [[1, 2], [3, 4], [5, 6]], "bias": null}},
                       {{"type": "softmax"}}]{extra}}}"#
    )
}

#[test]
fn a_model_file_s_class_and_feature_names_match_its_widths() {
    assert_eq!(file_err(&one_layer(r#", "classes": ["a", "b", "c"], "features": ["x", "y"]"#)), "accepted");
    // 3 outputs (weight rows), 2 names: prediction would index past the names.
    let e = file_err(&one_layer(r#", "classes": ["a", "b"]"#));
    assert_eq!(e, "model file m.json: classes: 2 names but the model has 3 outputs");
    // 2 inputs (weight columns), 3 names: `predict --data` would read a column the model cannot take.
    let e = file_err(&one_layer(r#", "features": ["x", "y", "z"]"#));
    assert_eq!(e, "model file m.json: features: 3 names but the model takes 2 inputs");
}

#[test]
fn a_model_file_keeps_its_json_paths() {
    let cases: [(&str, &[&str]); 7] = [
        (r#"{"layers": []}"#, &["model file m.json: layers: the model has no layers"]),
        (r#"{"layers": [{"type": "tanh"}, {"type": "softmax"}]}"#, &["layers: the model has no dense layer"]),
        (
            r#"{"layers": [{"type": "dense", "weights": [[1, 2], [3]]}, {"type": "softmax"}]}"#,
            &["layers[0].weights: row 1 has 1 numbers but row 0 has 2"],
        ),
        (
            r#"{"layers": [{"type": "dense", "weights": [[1, 2]], "bias": [1, 2]}, {"type": "softmax"}]}"#,
            &["layers[0].bias: has 2 numbers but the weights have 1 rows"],
        ),
        (r#"{"layers": [{"type": "dense", "weights": [[]]}, {"type": "softmax"}]}"#, &["layers[0].weights", "empty"]),
        (
            r#"{"layers": [{"type": "dense", "weights": [[1], [2]]}, {"type": "tanh"},
                           {"type": "dense", "weights": [[1, 2, 3]]}, {"type": "softmax"}]}"#,
            &["layers[2].weights: takes 3 inputs but layers[0] gives 2 outputs"],
        ),
        (
            r#"{"layers": [{"type": "dense", "weights": [[1]]}, {"type": "softmax"}, {"type": "softmax"}]}"#,
            &["layers[1]", "may only be the last layer"],
        ),
    ];
    for (json, want) in cases {
        let e = file_err(json);
        for w in want {
            assert!(e.contains(w), "{json}: {e:?} lacks {w:?}");
        }
    }
}
