//! The web API without a socket (`tower::ServiceExt::oneshot` on the router): `/api/explain`
//! answers byte for byte what `gradlens explain --format json` prints for the same options (the
//! blog's example and every JAX golden case, whose numbers are checked against JAX too), a
//! training session's report is `gradlens train --format json`'s, and bad input of every kind
//! gets a 4xx with `{"error": …}`.

use assert_cmd::cargo::cargo_bin_cmd;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use tower::ServiceExt;

async fn call(method: Method, uri: &str, body: impl Into<Body>) -> (StatusCode, Vec<u8>) {
    let request = Request::builder().method(method).uri(uri).body(body.into()).expect("a request");
    let response = gradlens::serve::app().oneshot(request).await.expect("the router answers");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.expect("a body");
    (status, bytes.to_vec())
}

async fn post(uri: &str, body: &str) -> (StatusCode, Vec<u8>) {
    call(Method::POST, uri, body.to_string()).await
}

fn cli(args: &[&str]) -> Vec<u8> {
    let out = cargo_bin_cmd!("gradlens").args(args).output().expect("the binary runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A 4xx whose body is `{"error": "…"}` containing `words`.
fn refused(status: StatusCode, body: &[u8], words: &str) {
    assert!(status.is_client_error(), "status {status}: {}", String::from_utf8_lossy(body));
    let v: Value =
        serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)));
    let message = v["error"].as_str().expect("an error message");
    assert!(message.contains(words), "{message:?} does not say {words:?}");
}

#[tokio::test]
async fn the_blogs_example_equals_the_cli() {
    let (status, body) = post("/api/explain", "{}").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        String::from_utf8(body.clone()).unwrap(),
        String::from_utf8(cli(&["explain", "--format", "json"])).unwrap()
    );
    // The spec's numbers (worked-example.md): loss −ln 0.4794433 = 0.7351296, W₁₁ → 0.2554127.
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!((v["loss"].as_f64().unwrap() - 0.7351296406658168).abs() < 1e-12);
    assert!((v["layers"][0]["new_weights"][0][0].as_f64().unwrap() - 0.2554127318315653).abs() < 1e-12);
    // The same options as the CLI's, through both.
    let body = r#"{"sample": [0, 100], "lr": 0.1, "log_base": 2}"#;
    let (status, api) = post("/api/explain", body).await;
    assert_eq!(status, StatusCode::OK);
    let cli_out =
        cli(&["explain", "--format", "json", "--sample", "0", "--sample", "100", "--lr", "0.1", "--log-base", "2"]);
    assert_eq!(api, cli_out);
    let body =
        r#"{"weights": [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]], "bias": [0.1, 0, -0.1], "x": [[1, 2]], "target": [1]}"#;
    let (_, api) = post("/api/explain", body).await;
    let cli_out = cli(&[
        "explain",
        "--format",
        "json",
        "--weights",
        "0.1,0.2;-0.3,0.4;0.5,-0.6",
        "--bias",
        "0.1,0,-0.1",
        "--x",
        "1,2",
        "--target",
        "1",
    ]);
    assert_eq!(api, cli_out);
}

#[tokio::test]
async fn the_jax_goldens_equal_the_cli_and_jax() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(root.join("explain_public.json")).unwrap()).unwrap();
    cases.extend(
        serde_json::from_str::<Vec<Value>>(&std::fs::read_to_string(root.join("explain_jax.json")).unwrap()).unwrap(),
    );
    assert!(cases.len() >= 26);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let body = json!({
            "model": case["model"], "x": case["x"], "target": case["targets"], "lr": case["lr"], "log_base": case["log_base"],
        });
        let (status, api) = post("/api/explain", &body.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{name}: {}", String::from_utf8_lossy(&api));
        // The same case through the binary's options.
        let model_path = dir.path().join(format!("{name}.json"));
        std::fs::write(&model_path, case["model"].to_string()).unwrap();
        let mut args: Vec<String> = vec!["explain".into(), "--format".into(), "json".into(), "--model".into()];
        args.push(model_path.display().to_string());
        for (x, t) in case["x"].as_array().unwrap().iter().zip(case["targets"].as_array().unwrap()) {
            let row: Vec<String> = x.as_array().unwrap().iter().map(|v| format!("{}", v.as_f64().unwrap())).collect();
            args.extend(["--x".into(), row.join(","), "--target".into(), t.to_string()]);
        }
        args.extend(["--lr".into(), format!("{}", case["lr"].as_f64().unwrap())]);
        args.extend(["--log-base".into(), case["log_base"].as_str().unwrap().into()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(String::from_utf8(api.clone()).unwrap(), String::from_utf8(cli(&refs)).unwrap(), "{name}");
        // And JAX's numbers (float64), to 1e-9 relative with a 1e-14 floor as in explain_golden.rs.
        let got: Value = serde_json::from_slice(&api).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-14_f64.max(1e-9 * b.abs());
        for key in ["loss", "new_loss"] {
            let (a, b) = (got[key].as_f64().unwrap(), case["expect"][key].as_f64().unwrap());
            assert!(close(a, b), "{name} {key}: {a} vs JAX {b}");
        }
        for (l, expect) in case["expect"]["layers"].as_array().unwrap().iter().enumerate() {
            let dense = got["layers"].as_array().unwrap().iter().filter(|l| l["type"] == "dense").nth(l).unwrap();
            for (a, b) in dense["new_weights"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap())
                .zip(expect["new_weights"].as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap()))
            {
                assert!(close(a.as_f64().unwrap(), b.as_f64().unwrap()), "{name}: new weight {a} vs JAX {b}");
            }
        }
    }
}

#[tokio::test]
async fn other_formats_are_the_clis_too() {
    for format in ["markdown", "html", "text"] {
        let (status, api) = post(&format!("/api/explain?format={format}"), r#"{"log_base": "2"}"#).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(api, cli(&["explain", "--format", format, "--log-base", "2"]), "{format}");
    }
}

/// Mazur's example ("A Step by Step Backpropagation Example", 2015) through the API with the
/// core's explain options — the quadratic loss, numbers as targets, frozen biases — is the CLI's
/// answer byte for byte, and his printed numbers: E_total = 0.298371109, w5⁺ = 0.35891648.
#[tokio::test]
async fn mazurs_example_with_the_quadratic_loss_equals_the_cli() {
    let model: Value = serde_json::from_str(&std::fs::read_to_string("examples/mazur.json").unwrap()).unwrap();
    let body = json!({
        "model": model, "x": [[0.05, 0.1]], "target": [[0.01, 0.99]], "loss": "quadratic", "lr": 0.5,
        "freeze_bias": true,
    });
    let (status, api) = post("/api/explain", &body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&api));
    let cli_out = cli(&[
        "explain",
        "--format",
        "json",
        "--model",
        "examples/mazur.json",
        "--x",
        "0.05,0.1",
        "--target",
        "0.01,0.99",
        "--loss",
        "quadratic",
        "--lr",
        "0.5",
        "--freeze-bias",
    ]);
    assert_eq!(String::from_utf8(api.clone()).unwrap(), String::from_utf8(cli_out).unwrap());
    let v: Value = serde_json::from_slice(&api).unwrap();
    assert_eq!(v["loss_function"], "quadratic");
    assert_eq!(v["freeze_bias"], true);
    assert!((v["loss"].as_f64().unwrap() - 0.298371109).abs() < 5e-10, "{}", v["loss"]);
    let out = v["layers"].as_array().unwrap().iter().filter(|l| l["type"] == "dense").nth(1).unwrap();
    assert!((out["new_weights"][0][0].as_f64().unwrap() - 0.35891648).abs() < 5e-9, "{}", out["new_weights"]);
    // Numbers as targets are refused under cross-entropy, by the core's rule.
    let (status, body) = post("/api/explain", r#"{"target": [[0, 1, 0]]}"#).await;
    refused(status, &body, "numbers as targets need the quadratic loss");
}

#[tokio::test]
async fn bad_input_gets_a_4xx_naming_it() {
    let cases: &[(&str, &str, &str)] = &[
        ("/api/explain", "{", "body"),
        ("/api/explain", "[1, 2]", "body"),
        ("/api/explain", r#"{"bogus": 1}"#, "unknown field `bogus`"),
        ("/api/explain", r#"{"x": [[1, 2]]}"#, "has 2 numbers but the model takes 4 inputs"),
        ("/api/explain", r#"{"x": [[1, 2, 3, 4], [1]]}"#, "sample 2 has 1 numbers"),
        ("/api/explain", r#"{"lr": -1}"#, "learning rate -1"),
        ("/api/explain", r#"{"lr": 1e999}"#, "body"),
        ("/api/explain", r#"{"log_base": 1}"#, "log base"),
        ("/api/explain", r#"{"target": [7]}"#, "target 7"),
        ("/api/explain", r#"{"target": ["setosa"]}"#, "no class names are known"),
        ("/api/explain", r#"{"sample": [150]}"#, "sample 150"),
        ("/api/explain", r#"{"sample": [1], "x": [[1, 2, 3, 4]]}"#, "not both"),
        ("/api/explain", r#"{"weights": [[1, 2], [3]]}"#, "row 2 has 1 numbers"),
        ("/api/explain", r#"{"weights": [[1, 2]], "bias": [1, 2]}"#, "bias"),
        (
            "/api/explain",
            r#"{"model": {"layers": [{"type": "dense", "weights": [[1]], "bias": null}, {"type": "wobble"}]}}"#,
            "model",
        ),
        ("/api/explain?format=pdf", "{}", "format"),
        ("/api/explain?colour=1", "{}", "query"),
        ("/api/model", r#"{"hidden": [1000]}"#, "1000 units"),
        ("/api/model", r#"{"activation": "swish"}"#, "activation 'swish'"),
        ("/api/train", r#"{"epochs": 1000000}"#, "epochs 1000000"),
        ("/api/train", r#"{"optimizer": "lbfgs"}"#, "optimizer 'lbfgs'"),
        ("/api/train", r#"{"data": "t999"}"#, "no such table"),
        ("/api/data", "a,b\n1,x\n2,x\n", "at least two"),
        ("/api/data", "a,b,class\n1,2,x\n1,oops,y\n", "oops"),
        ("/api/data", "", "upload.csv"),
        ("/api/data?label=y1,y2", "a,y1,y2\n1,2,3\n", "several target columns (regression) are for `gradlens train"),
    ];
    for (uri, body, words) in cases {
        let (status, answer) = post(uri, body).await;
        refused(status, &answer, words);
    }
    // Too many samples: bounded work.
    let rows: Vec<Vec<f64>> = vec![vec![0.1, 0.2, 0.3, 0.4]; 1001];
    let (status, answer) = post("/api/explain", &json!({ "x": rows, "target": vec![0; 1001] }).to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    refused(status, &answer, "1001 samples");
    // A body over the limit.
    let huge = format!("{{\"x\": [[{}]]}}", "1,".repeat(6 * 1024 * 1024));
    let (status, answer) = post("/api/explain", &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    refused(status, &answer, "request body");
    let (status, answer) = call(Method::GET, "/api/nothing", Body::empty()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    refused(status, &answer, "/api/nothing");
    let (status, answer) = call(Method::GET, "/api/train/s999?epoch=1", Body::empty()).await;
    refused(status, &answer, "s999");
}

#[tokio::test]
async fn a_training_session_is_the_clis_run() {
    let settings = r#"{"hidden": [5], "activation": "relu", "optimizer": "adam", "lr": 0.05, "epochs": 40, "batch_size": 16, "seed": 7}"#;
    let app = gradlens::serve::app();
    let send = |method: Method, uri: String, body: String| {
        let app = app.clone();
        async move {
            let request = Request::builder().method(method).uri(uri).body(Body::from(body)).unwrap();
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    let (status, started) = send(Method::POST, "/api/train".into(), settings.into()).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let id = started["id"].as_str().unwrap().to_string();
    assert_eq!(started["epochs"], 40);
    let (status, last) = send(Method::GET, format!("/api/train/{id}?epoch=40&fx=2&fy=3"), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    let cli_report: Value = serde_json::from_slice(&cli(&[
        "train",
        "--format",
        "json",
        "--hidden",
        "5",
        "--activation",
        "relu",
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
        "--epochs",
        "40",
        "--batch-size",
        "16",
        "--seed",
        "7",
    ]))
    .unwrap();
    assert_eq!(last["report"], cli_report);
    // The confusion matrix shown is the final test evaluation's; the curves are the report's.
    assert_eq!(last["confusion"], cli_report["final"]["test"]["confusion"]);
    assert_eq!(last["stats"], cli_report["epochs"]);
    // Epoch 10's curves are the first ten of the run's.
    let (_, tenth) = send(Method::GET, format!("/api/train/{id}?epoch=10"), String::new()).await;
    assert_eq!(tenth["stats"].as_array().unwrap().as_slice(), &cli_report["epochs"].as_array().unwrap()[..10]);
    assert_eq!(tenth["boundary"]["class"].as_array().unwrap().len(), 60);
    let (status, _) = send(Method::DELETE, format!("/api/train/{id}"), String::new()).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn walkthrough_fragments_and_chains() {
    let (status, body) = post("/api/walkthrough", "{}").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).unwrap();
    let stages = v["stages"].as_array().unwrap();
    assert!(stages.len() >= 9, "overview and the eight stages");
    assert!(stages.iter().all(|s| s["html"].as_str().unwrap().contains("<math") || s["title"] == "Overview"));
    // W₁₂'s chain: ∂L/∂W₁₂ = ∂L/∂z₁·x₂ = (−0.5205567)·0.57 = −0.29671732 (issue 8's example;
    // ∂L/∂z₁ = ŷ₁ − 1 = 0.4794433 − 1 from the spec's probabilities).
    let chain = v["chains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "weight" && c["row"] == 0 && c["col"] == 1)
        .unwrap();
    assert_eq!(chain["gradient"], "-0.29671732");
    let html = chain["html"].as_str().unwrap();
    assert!(html.contains("<mn>0.5205567</mn>") && html.contains("<mn>0.57</mn>"), "{html}");
    // The model after the step is the record's new weights.
    assert_eq!(v["new_model"]["layers"][0]["weights"], v["explanation"]["layers"][0]["new_weights"]);
}

mod never_a_5xx {
    use super::*;
    use proptest::prelude::*;

    /// A JSON value of a few kinds, nested a little: what a confused client might send.
    fn junk() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            (0u64..200).prop_map(Value::from),
            "[a-z0-9 ]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
                prop::collection::vec(prop::collection::vec(inner, 0..5).prop_map(Value::from), 0..4)
                    .prop_map(Value::from)
            ]
        })
    }

    fn body() -> impl Strategy<Value = Value> {
        let field = prop_oneof![
            Just("x"),
            Just("target"),
            Just("weights"),
            Just("bias"),
            Just("model"),
            Just("sample"),
            Just("lr"),
            Just("log_base"),
            Just("other"),
        ];
        prop::collection::btree_map(field, junk(), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// Whatever the body, the answer is an explanation or a 4xx naming the problem.
        #[test]
        fn any_body_gets_an_answer_or_a_4xx(body in body(), endpoint in prop_oneof![Just("/api/explain"), Just("/api/walkthrough"), Just("/api/model"), Just("/api/train")]) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (status, answer) = runtime.block_on(post(endpoint, &body.to_string()));
            prop_assert!(status.is_success() || status.is_client_error(), "{endpoint} {body}: {status}");
            if !status.is_success() {
                let v: Value = serde_json::from_slice(&answer).unwrap();
                prop_assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()));
            }
        }
    }
}

/// A request body that sends a few bytes and then nothing, for ever: a stalled upload.
struct Stalled(bool);

impl axum::body::HttpBody for Stalled {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if self.0 {
            std::task::Poll::Pending
        } else {
            self.0 = true;
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(axum::body::Bytes::from_static(b"{\"x\": ")))))
        }
    }
}

#[tokio::test]
async fn a_stalled_upload_gets_a_408() {
    let app = gradlens::serve::app_with_timeout(std::time::Duration::from_millis(300));
    let request = Request::builder().method(Method::POST).uri("/api/explain").body(Body::new(Stalled(false))).unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    refused(status, &bytes, "longer than 0.3 s");
}
