//! The web API without a socket (`tower::ServiceExt::oneshot` on the router): `/api/explain`
//! answers byte for byte what `gradlens explain --format json` prints for the same options (the
//! blog's example and every JAX golden case, whose numbers are checked against JAX too), a
//! training session's report is `gradlens train --format json`'s, and bad input of every kind
//! gets a 4xx with `{"error": …}`.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use tower::ServiceExt;

/// A request as the page sends it: to this server's name, a JSON body.
fn request(method: Method, uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "127.0.0.1:7878")
        .header("content-type", "application/json")
        .body(body.into())
        .expect("a request")
}

async fn call(method: Method, uri: &str, body: impl Into<Body>) -> (StatusCode, Vec<u8>) {
    let request = request(method, uri, body);
    let response = gradlens::serve::app().oneshot(request).await.expect("the router answers");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.expect("a body");
    (status, bytes.to_vec())
}

/// One request to `app`, which keeps its state (tables, sessions) from call to call as one server
/// does: the status and the JSON body.
async fn call_json(app: axum::Router, method: Method, uri: String, body: String) -> (StatusCode, Value) {
    let response = app.oneshot(request(method, &uri, body)).await.expect("the router answers");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.expect("a body");
    (status, serde_json::from_slice(&bytes).expect("a JSON body"))
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
        ("/api/explain", r#"{"lr": 1e999}"#, "lr: number out of range"),
        ("/api/explain", r#"{"x": [[1, "abc", 3, 4]]}"#, "x, item 1, item 2: 'abc' is not a number"),
        ("/api/explain", r#"{"x": [[1, null, 3, 4]]}"#, "x, item 1, item 2: null is not a number"),
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
        ("/api/train", r#"{"epochs": 1000000}"#, "epochs 1000000: from 1 to 5000"),
        ("/api/train", r#"{"optimizer": "lbfgs"}"#, "optimizer 'lbfgs'"),
        ("/api/train", r#"{"train_accuracy": "after"}"#, "training accuracy 'after': not a way"),
        ("/api/train", r#"{"data": "t999"}"#, "no such table"),
        ("/api/data", "a,b\n1,x\n2,x\n", "at least two"),
        ("/api/data", "a,b,class\n1,2,x\n1,oops,y\n", "oops"),
        ("/api/data", "", "upload.csv"),
        ("/api/data?targets=both", "a,b,class\n1,2,x\n2,1,y\n", "targets 'both': classes or values"),
    ];
    for (uri, body, words) in cases {
        let (status, answer) = post(uri, body).await;
        refused(status, &answer, words);
    }
    // Too many samples: bounded work.
    let rows: Vec<Vec<f64>> = vec![vec![0.1, 0.2, 0.3, 0.4]; 1001];
    let (status, answer) = post("/api/explain", &json!({ "x": rows, "target": vec![0; 1001] }).to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    refused(status, &answer, "1001 samples");
    // Too many epochs is a request the page may not make (422), not a body too large (413).
    let (status, _) = post("/api/train", r#"{"epochs": 5001}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
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
    // A method an endpoint does not take: 405 with a JSON body naming it.
    let (status, answer) = call(Method::PUT, "/api/explain", "{}").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    refused(status, &answer, "PUT /api/explain");
    // Every message is one line, whatever the request held.
    let (status, answer) = call(Method::GET, "/api/data/a%0Ab", Body::empty()).await;
    refused(status, &answer, "a\\nb");
}

#[tokio::test]
async fn a_training_session_is_the_clis_run() {
    let settings = r#"{"hidden": [5], "activation": "relu", "optimizer": "adam", "lr": 0.05, "epochs": 40, "batch_size": 16, "seed": 7}"#;
    let app = gradlens::serve::app();
    let send = |method: Method, uri: String, body: String| call_json(app.clone(), method, uri, body);
    let (status, started) = send(Method::POST, "/api/train".into(), settings.into()).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let id = started["id"].as_str().unwrap().to_string();
    assert_eq!(started["epochs"], 40);
    let (status, last) =
        send(Method::GET, format!("/api/train/{id}?epoch=40&fx=2&fy=3&report=true&points=true"), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    // A session trains live on the tape (its loop takes changes between epochs).
    let cli_report: Value = common::tape_report(&[
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
    ]);
    assert_eq!(last["report"], cli_report);
    // The confusion matrix shown is the final test evaluation's; the curves are the report's.
    assert_eq!(last["confusion"], cli_report["final"]["test"]["confusion"]);
    assert_eq!(last["stats"], cli_report["epochs"]);
    // Epoch 10's curves are the first ten of the run's.
    let (_, tenth) = send(Method::GET, format!("/api/train/{id}?epoch=10"), String::new()).await;
    assert_eq!(tenth["stats"].as_array().unwrap().as_slice(), &cli_report["epochs"].as_array().unwrap()[..10]);
    assert_eq!(tenth["boundary"]["class"].as_array().unwrap().len(), 60);
    // A poll sends only the epochs after `since`, and the model file only when asked.
    let (_, later) = send(Method::GET, format!("/api/train/{id}?epoch=12&since=10"), String::new()).await;
    assert_eq!(later["stats"].as_array().unwrap().as_slice(), &cli_report["epochs"].as_array().unwrap()[10..12]);
    assert!(later["model"].is_null());
    // The rows' points and the whole report come only when asked (they do not change per epoch).
    assert_eq!(later["boundary"]["points"], json!([]));
    assert_eq!(last["boundary"]["points"].as_array().unwrap().len(), 150, "every Iris row, train and test");
    let (_, end) = send(Method::GET, format!("/api/train/{id}?epoch=40&since=40"), String::new()).await;
    assert!(end["report"].is_null());
    let (_, model) = send(Method::GET, format!("/api/train/{id}?epoch=12&since=12&model=true"), String::new()).await;
    assert_eq!(model["stats"], json!([]));
    assert!(model["model"]["layers"].as_array().is_some_and(|l| !l.is_empty()), "{model}");
    let (status, body) = send(Method::GET, format!("/api/train/{id}?epoch=10&since=11"), String::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = send(Method::DELETE, format!("/api/train/{id}"), String::new()).await;
    assert_eq!(status, StatusCode::OK);
}

/// A session takes `train`'s `train_accuracy` too: counted by the steps, its report is
/// `train --engine tape --train-accuracy steps`'s.
#[tokio::test]
async fn a_session_counts_the_training_accuracy_by_the_steps_as_the_cli_does() {
    let settings = r#"{"epochs": 8, "batch_size": 16, "seed": 3, "train_accuracy": "steps"}"#;
    let app = gradlens::serve::app();
    let (status, started) = call_json(app.clone(), Method::POST, "/api/train".into(), settings.into()).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let id = started["id"].as_str().unwrap();
    let uri = format!("/api/train/{id}?epoch=8&fx=0&fy=1&report=true");
    let (status, last) = call_json(app, Method::GET, uri, String::new()).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    let cli = common::tape_report(&["--epochs", "8", "--batch-size", "16", "--seed", "3", "--train-accuracy", "steps"]);
    assert_eq!(cli["config"]["train_accuracy"], "steps");
    assert_eq!(last["report"], cli);
}

/// Sessions never lock a user out: twelve runs set up in a row (a page reloaded twelve times,
/// each leaving its session behind) all train; the cap of 8 is kept by dropping the least
/// recently used, so the first is gone and the last answers.
#[tokio::test]
async fn twelve_reloads_still_train() {
    let app = gradlens::serve::app();
    let mut ids = Vec::new();
    for k in 0..12 {
        let response =
            app.clone().oneshot(request(Method::POST, "/api/train", r#"{"epochs": 2, "hidden": [2]}"#)).await.unwrap();
        let status = response.status();
        let v: Value = serde_json::from_slice(&to_bytes(response.into_body(), usize::MAX).await.unwrap()).unwrap();
        assert_eq!(status, StatusCode::OK, "run {k}: {v}");
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let epoch = |id: &str| {
        let app = app.clone();
        let uri = format!("/api/train/{id}?epoch=1");
        async move { app.oneshot(request(Method::GET, &uri, Body::empty())).await.unwrap().status() }
    };
    assert_eq!(epoch(&ids[0]).await, StatusCode::NOT_FOUND, "the least recently used was dropped");
    assert_eq!(epoch(&ids[11]).await, StatusCode::OK);
    // Ids are 128 random bits, not a counter.
    assert!(ids.iter().all(|id| id.len() == 33 && id.starts_with('s')), "{ids:?}");
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 12);
}

#[tokio::test]
async fn walkthrough_fragments_and_chains() {
    let (status, body) = post("/api/walkthrough", "{}").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).unwrap();
    let stages = v["stages"].as_array().unwrap();
    assert!(stages.len() >= 9, "overview and the eight stages");
    assert!(stages.iter().all(|s| s["html"].as_str().unwrap().contains("<math") || s["title"] == "Overview"));
    // The page's input fields are named by the symbol table, as the walk-through names them.
    let inputs: Vec<&str> = v["inputs"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    assert_eq!(inputs.first(), Some(&"x₁"));
    assert_eq!(inputs.len(), v["explanation"]["inputs"][0].as_array().unwrap().len());
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
    let response = app.oneshot(request(Method::POST, "/api/explain", Body::new(Stalled(false)))).await.unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    refused(status, &bytes, "longer than 0.3 s");
}

/// The server as `gradlens serve` runs it (its own runtime, a real socket on loopback), stopped
/// when dropped.
struct Served {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    fn start(options: gradlens::serve::ServeOptions) -> Served {
        let (bound, addr) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            let any_port = "127.0.0.1:0".parse().unwrap();
            let until = async {
                let _ = stopped.await;
            };
            runtime
                .block_on(gradlens::serve::serve_until(any_port, options, move |a| bound.send(a).unwrap(), until))
                .expect("serves");
        });
        Served { addr: addr.recv().expect("the server listens"), stop: Some(stop), thread: Some(thread) }
    }

    /// One exchange: `head` (request line and headers, each ending in CRLF) and `body`; the
    /// status and the answer's body.
    fn ask(&self, head: &str, body: &str) -> (u16, String) {
        let mut stream = std::net::TcpStream::connect(self.addr).expect("connects");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(120))).unwrap();
        let text = format!("{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        stream.write_all(text.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("an answer");
        let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status: {answer}"));
        (status, answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        let _ = self.thread.take().map(|t| t.join());
    }
}

use std::io::{Read, Write};

/// A refusal on the wire: this status and a JSON `error` containing `words`.
fn refused_raw((status, body): (u16, String), want: u16, words: &str) {
    assert_eq!(status, want, "{body}");
    refused(StatusCode::from_u16(status).unwrap(), body.as_bytes(), words);
}

/// Issue 17.10, DNS rebinding: a page elsewhere that points its own name at 127.0.0.1 sends that
/// name as Host; the server answers only to loopback names, its bound address and `--allow-host`
/// names. Table ids are unguessable (they were t1, t2, …).
#[test]
fn the_host_must_name_this_server() {
    let server =
        Served::start(gradlens::serve::ServeOptions { allow_hosts: vec!["gradlens.lan".into()], ..Default::default() });
    let port = server.addr.port();
    refused_raw(server.ask("GET /api/data/iris HTTP/1.1\r\nHost: evil.example\r\n", ""), 403, "Host 'evil.example'");
    refused_raw(server.ask("GET / HTTP/1.1\r\nHost: evil.example:80\r\n", ""), 403, "--allow-host evil.example");
    refused_raw(server.ask("GET / HTTP/1.0\r\n", ""), 400, "no Host");
    for host in
        [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("LOCALHOST:{port}"), "gradlens.lan".into()]
    {
        let (status, body) = server.ask(&format!("GET /api/data/iris HTTP/1.1\r\nHost: {host}\r\n"), "");
        assert_eq!(status, 200, "{host}: {body}");
    }
    // An uploaded table's id is 128 random bits.
    let upload = |server: &Served| {
        let head =
            format!("POST /api/data?name=t.csv HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/csv\r\n");
        let (status, body) = server.ask(&head, "a,b,class\n1,2,x\n2,1,y\n3,3,x\n");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()["id"].as_str().unwrap().to_string()
    };
    let (one, two) = (upload(&server), upload(&server));
    assert!(one.len() == 33 && one.starts_with('t') && one != two, "{one} {two}");
    let (status, _) = server.ask(&format!("GET /api/data/t1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"), "");
    assert_eq!(status, 404);
}

/// Issue 17.11, cross-site requests: any page can post `text/plain` without a preflight, so a
/// POST must be declared JSON (CSV for an upload), and an API request from another origin is
/// refused whatever its method; this server's own page still gets through.
#[test]
fn other_origins_and_simple_bodies_are_refused() {
    let server = Served::start(gradlens::serve::ServeOptions::default());
    let host = format!("127.0.0.1:{}", server.addr.port());
    let train = |headers: &str| {
        server.ask(&format!("POST /api/train HTTP/1.1\r\nHost: {host}\r\n{headers}"), r#"{"epochs": 5}"#)
    };
    refused_raw(
        train("Origin: http://evil.example\r\nContent-Type: text/plain\r\n"),
        403,
        "Origin 'http://evil.example'",
    );
    refused_raw(train("Content-Type: text/plain\r\n"), 415, "application/json");
    refused_raw(train("Content-Type: application/x-www-form-urlencoded\r\n"), 415, "application/json");
    refused_raw(train(""), 415, "Content-Type ''");
    refused_raw(train("Origin: http://evil.example\r\nContent-Type: application/json\r\n"), 403, "Origin");
    refused_raw(train("Origin: null\r\nContent-Type: application/json\r\n"), 403, "Origin 'null'");
    // Another port on this machine is another origin.
    refused_raw(train("Origin: http://127.0.0.1:1\r\nContent-Type: application/json\r\n"), 403, "Origin");
    refused_raw(train("Sec-Fetch-Site: cross-site\r\nContent-Type: application/json\r\n"), 403, "cross-site");
    // Reading data is refused to other origins too.
    let read =
        server.ask(&format!("GET /api/data/iris HTTP/1.1\r\nHost: {host}\r\nOrigin: http://evil.example\r\n"), "");
    refused_raw(read, 403, "Origin");
    // The page's own requests: same origin, JSON.
    let (status, body) = train(&format!(
        "Origin: http://{host}\r\nContent-Type: application/json; charset=utf-8\r\nSec-Fetch-Site: same-origin\r\n"
    ));
    assert_eq!(status, 200, "{body}");
    // The page itself may be opened from anywhere (a link), with the right Host.
    let (status, _) = server.ask(&format!("GET / HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: cross-site\r\n"), "");
    assert_eq!(status, 200);
}

/// Issue 17.12: 1,000 samples of a 1,000×100 model are in each bound alone (samples, body,
/// parameters) but took 17 s and answered 342 MB; the product of samples and parameters is
/// bounded, and refused before any work.
#[test]
fn one_explanation_is_bounded_in_work() {
    let server = Served::start(gradlens::serve::ServeOptions::default());
    let host = format!("127.0.0.1:{}", server.addr.port());
    let weights = vec![vec![0.001; 1000]; 100];
    let model = json!({ "layers": [{ "type": "dense", "weights": weights, "bias": null }, { "type": "softmax" }] });
    let x = vec![vec![0.5; 1000]; 1000];
    let body = json!({ "model": model, "x": x, "target": vec![0; 1000] }).to_string();
    let head = format!("POST /api/explain HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n");
    refused_raw(server.ask(&head, &body), 422, "1000 samples × 100000 parameters");

    // The same model with 2 samples is explained.
    let x = vec![vec![0.5; 1000]; 2];
    let body = json!({ "model": model, "x": x, "target": vec![0; 2] }).to_string();
    let (status, answer) = server.ask(&head, &body);
    assert_eq!(status, 200, "{}", &answer[..answer.len().min(300)]);
}

/// Issue 17.13: a client trickling its request head is cut after the header timeout, and idle
/// connections are closed after it too, so a crowd of them cannot lock other clients out.
#[test]
fn a_trickled_head_and_idle_connections_are_cut() {
    let timeout = std::time::Duration::from_millis(600);
    let server = Served::start(gradlens::serve::ServeOptions {
        header_timeout: timeout,
        max_connections: 4,
        ..Default::default()
    });
    let host = format!("127.0.0.1:{}", server.addr.port());
    // Four idle connections fill every slot.
    let idle: Vec<std::net::TcpStream> = (0..4).map(|_| std::net::TcpStream::connect(server.addr).unwrap()).collect();
    // A trickler: one byte of its head every 100 ms, for ever unless cut.
    let mut trickler = std::net::TcpStream::connect(server.addr).unwrap();
    let started = std::time::Instant::now();
    let mut cut = false;
    for byte in format!("GET / HTTP/1.1\r\nHost: {host}\r\nX-Slow: {}", "a".repeat(200)).bytes() {
        if trickler.write_all(&[byte]).is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        let mut probe = [0u8; 1];
        trickler.set_nonblocking(true).unwrap();
        let read = trickler.read(&mut probe);
        trickler.set_nonblocking(false).unwrap();
        if matches!(read, Ok(0)) || matches!(&read, Err(e) if e.kind() != std::io::ErrorKind::WouldBlock) {
            cut = true;
            break;
        }
    }
    assert!(cut, "the trickling client was never cut");
    // Cut within a few timeouts (it was never cut at all before): it waited for a slot, then
    // sent its head too slowly.
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "{:?}", started.elapsed());
    // The idle connections were closed, and a new client is served.
    for mut c in idle {
        c.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 64];
        assert!(matches!(c.read(&mut buf), Ok(0) | Err(_)), "an idle connection stayed open");
    }
    let (status, _) = server.ask(&format!("GET / HTTP/1.1\r\nHost: {host}\r\n"), "");
    assert_eq!(status, 200);
}

/// Issue 17.14: the API reads JSON as strictly as model files: nothing after the value, no key
/// given twice (the last one won: `weights`, a layer's `type`).
#[tokio::test]
async fn the_api_reads_json_as_strictly_as_model_files() {
    let (status, body) = post("/api/explain", r#"{"lr": 0.1} {"lr": 0.2}"#).await;
    refused(status, &body, "data after the end of the JSON value");
    let (status, body) =
        post("/api/explain", r#"{"weights": [[1, 2, 3, 4]], "weights": [[1, 2, 3, 4], [5, 6, 7, 8]]}"#).await;
    refused(status, &body, "weights: this key is given twice");
    let model =
        r#"{"model": {"layers": [{"type": "dense", "type": "softmax", "weights": [[1, 2, 3, 4]], "bias": null}]}}"#;
    let (status, body) = post("/api/explain", model).await;
    refused(status, &body, "given twice");
    let (status, body) = post("/api/train", r#"{"epochs": 5, "epochs": 6}"#).await;
    refused(status, &body, "given twice");
}

/// Issue 14's light API: the walk-through of a 4-32-16-3 model is under 500 KB (it was 5.66 MB):
/// its chains are left out and asked for one at a time, each the same as the record's gradient.
#[tokio::test]
async fn a_larger_models_walkthrough_is_light() {
    let (status, model) = post("/api/model", r#"{"hidden": [32, 16], "seed": 3}"#).await;
    assert_eq!(status, StatusCode::OK);
    let model: Value = serde_json::from_slice(&model).unwrap();
    let body = json!({ "model": model, "sample": [0] }).to_string();
    let (status, page) = post("/api/walkthrough", &body).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.len() < 500_000, "the walk-through is {} bytes", page.len());
    let v: Value = serde_json::from_slice(&page).unwrap();
    assert_eq!(v["on_demand"], true);
    assert_eq!(v["chains"], json!([]));
    assert!(v["stages"][0]["html"].is_string() && v["stages"][5]["html"].is_null());
    assert!(v["diagram"]["values"].is_string() && v["diagram"]["gradients"].is_null());
    // The parts left out come on demand.
    let (status, stage) = post("/api/part?stage=5", &body).await;
    assert_eq!(status, StatusCode::OK);
    let stage: Value = serde_json::from_slice(&stage).unwrap();
    assert!(stage["html"].as_str().unwrap().contains("<math"), "{stage}");
    let (status, svg) = post("/api/part?diagram=gradients", &body).await;
    assert_eq!(status, StatusCode::OK);
    let svg: Value = serde_json::from_slice(&svg).unwrap();
    assert!(svg["svg"].as_str().unwrap().contains("shows-gradients"));
    let (status, answer) = post("/api/part?stage=99", &body).await;
    refused(status, &answer, "stage 99");
    let (status, chain) = post("/api/chain?kind=weight&layer=2&row=3&col=5", &body).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&chain));
    let chain: Value = serde_json::from_slice(&chain).unwrap();
    let g = v["explanation"]["layers"][2]["grad_weights"][3][5].as_f64().unwrap();
    assert_eq!(chain["gradient"], json!(gradlens::render::fmt_num(g)));
    let (status, answer) = post("/api/chain?kind=weight&layer=2&row=99&col=0", &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    refused(status, &answer, "no chain for weight 99 of layer 2");
    // The blog's small model still gets every chain with its walk-through.
    let (_, blog) = post("/api/walkthrough", "{}").await;
    let blog: Value = serde_json::from_slice(&blog).unwrap();
    assert_eq!(blog["on_demand"], false);
    assert!(!blog["chains"].as_array().unwrap().is_empty());
}

/// Regression on the page: several target columns are values; a column of many different
/// numbers is not made into classes without asking; a fresh model for values ends linear with
/// the columns as targets; a session trains it as `gradlens train` does, with RMSE and R² per
/// epoch and the predicted-against-true pairs.
#[tokio::test]
async fn regression_uploads_models_and_sessions() {
    let csv = std::fs::read_to_string("examples/iris_measurements.csv").unwrap();
    let app = gradlens::serve::app();
    let send = |method: Method, uri: String, body: String| call_json(app.clone(), method, uri, body);
    let (status, asked) = send(Method::POST, "/api/data?label=petal_width".into(), csv.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{asked}");
    assert!(asked["error"].as_str().unwrap().contains("22 different numbers"), "{asked}");
    assert_eq!(asked["choose"], json!(["values", "classes"]));
    let (status, classes) = send(Method::POST, "/api/data?label=petal_width&targets=classes".into(), csv.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(classes["classes"].as_array().unwrap().len(), 22);
    let (status, table) = send(Method::POST, "/api/data?label=petal_length,petal_width".into(), csv.clone()).await;
    assert_eq!(status, StatusCode::OK, "{table}");
    assert_eq!(table["kind"], "values");
    assert_eq!(table["targets"], json!(["petal_length", "petal_width"]));
    // Row 0 of the file: 5.1, 3.5, 1.4, 0.2.
    assert_eq!(table["preview"][0], json!({ "row": 0, "values": [5.1, 3.5], "target": [1.4, 0.2] }));
    let id = table["id"].as_str().unwrap().to_string();
    let (status, model) =
        send(Method::POST, "/api/model".into(), json!({ "data": id, "hidden": [3] }).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{model}");
    assert_eq!(model["targets"], json!(["petal_length", "petal_width"]));
    assert_eq!(model["layers"].as_array().unwrap().last().unwrap()["type"], "dense", "a linear last layer");
    let (status, _) =
        send(Method::POST, "/api/walkthrough".into(), json!({ "model": model, "sample": [0] }).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "without data=, row 0 is Iris's, which this model does not fit");
    let (status, step) =
        send(Method::POST, format!("/api/walkthrough?data={id}"), json!({ "model": model, "sample": [0] }).to_string())
            .await;
    assert_eq!(status, StatusCode::OK, "{step}");
    assert_eq!(step["explanation"]["targets"], json!([[1.4, 0.2]]));
    assert_eq!(step["explanation"]["loss_function"], "quadratic");
    // A session: the CLI's run (same defaults), RMSE and R² per epoch, pairs per target.
    let (status, started) =
        send(Method::POST, "/api/train".into(), json!({ "data": id, "epochs": 20 }).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let sid = started["id"].as_str().unwrap();
    let (status, last) = send(Method::GET, format!("/api/train/{sid}?epoch=20&report=true"), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    let cli_report: Value = common::tape_report(&[
        "--data",
        "examples/iris_measurements.csv",
        "--label",
        "petal_length,petal_width",
        "--epochs",
        "20",
    ]);
    assert_eq!(last["stats"], cli_report["epochs"]);
    let fits = last["fits"].as_array().unwrap();
    assert_eq!(fits.len(), 20);
    assert_eq!(fits[19]["rmse"], cli_report["final"]["test"]["rmse"], "{}", cli_report["final"]);
    assert_eq!(fits[19]["r_squared"], cli_report["final"]["test"]["r_squared"]);
    let pairs = last["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[0].as_array().unwrap().len(), cli_report["data"]["test_rows"].as_u64().unwrap() as usize);
}

/// "New model" is the model `gradlens train --seed S` starts from, with the scaler it fits on its
/// training rows, so the step view explains rows as training scales them (issue 14.7: a fresh
/// tanh model on raw Iris rows started saturated).
#[tokio::test]
async fn a_new_model_is_trains_first_model_with_its_scaler() {
    let (status, model) = post("/api/model", r#"{"hidden": [3], "seed": 5}"#).await;
    assert_eq!(status, StatusCode::OK);
    let model: Value = serde_json::from_slice(&model).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("m.json");
    cli(&["train", "--hidden", "3", "--seed", "5", "--epochs", "1", "--save", saved.to_str().unwrap()]);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert!(model["scaler"].is_object(), "{model}");
    assert_eq!(model["scaler"], saved["scaler"]);
    // Row 0 is explained scaled, its raw values kept beside.
    let (status, step) = post("/api/walkthrough", &json!({ "model": model, "sample": [0] }).to_string()).await;
    assert_eq!(status, StatusCode::OK);
    let step: Value = serde_json::from_slice(&step).unwrap();
    assert_eq!(step["explanation"]["raw_inputs"], json!([[5.1, 3.5, 1.4, 0.2]]));
    let mean = saved["scaler"]["offset"][0].as_f64().unwrap();
    let std = saved["scaler"]["divisor"][0].as_f64().unwrap();
    let scaled = step["explanation"]["inputs"][0][0].as_f64().unwrap();
    assert!((scaled - (5.1 - mean) / std).abs() < 1e-12, "{scaled} vs (5.1 − {mean})/{std}");
}

/// The page's menus read the names from `GET /api/choices`: exactly the library's lists.
#[tokio::test]
async fn the_choices_are_the_library_s_names() {
    use gradlens::{activation::Activation, data::ScaleKind, layers::Init};
    let (status, c) = call_json(gradlens::serve::app(), Method::GET, "/api/choices".into(), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["losses"], json!(gradlens::loss::LOSS_NAMES));
    assert_eq!(c["optimizers"], json!(gradlens::update::OPTIMIZER_NAMES));
    assert_eq!(c["activations"], json!(Activation::ALL.map(Activation::name)));
    assert_eq!(c["inits"], json!(Init::NAMES));
    assert_eq!(c["scales"], json!(ScaleKind::NAMES));
    assert_eq!(c["toys"], json!(gradlens::data::TOY_NAMES));
    assert_eq!(c["outputs"], json!(gradlens::model::OutputLayer::names()));
    assert_eq!(c["optimizers"], json!(["sgd", "momentum", "adam"]), "and the ones the README describes");
    // The output layers `--output-layer` takes: softmax, then every activation (identity among them).
    let outputs = c["outputs"].as_array().unwrap();
    assert_eq!(outputs[0], json!("softmax"));
    assert!(outputs.contains(&json!("identity")) && outputs.contains(&json!("sigmoid")), "{c}");
    assert_eq!(c["defaults"]["outputs"], json!("softmax"), "a fresh model for classes ends in softmax");
    // Where a fresh menu starts: the library's defaults, the ones `gradlens train` takes.
    use gradlens::run::defaults;
    assert_eq!(c["defaults"]["activations"], json!(defaults::ACTIVATION));
    assert_eq!(c["defaults"]["optimizers"], json!(defaults::OPTIMIZER));
    assert_eq!(c["defaults"]["inits"], json!(defaults::INIT));
    assert_eq!(c["defaults"]["scales"], json!(defaults::SCALE));
}
