//! The page's playground through the router (no socket): the data-set picker's tables are the
//! library's (`train --data SET` trains on the same rows), and training runs on them.

mod common;

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

/// One request to `app` (which keeps its tables and sessions from call to call, as one server
/// does): the status and the JSON body.
async fn send(app: &axum::Router, method: Method, uri: &str, body: Value) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "127.0.0.1:7878")
        .header("content-type", "application/json")
        .body(Body::from(if body.is_null() { String::new() } else { body.to_string() }))
        .expect("a request");
    let response = app.clone().oneshot(request).await.expect("the router answers");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.expect("a body");
    (status, serde_json::from_slice(&bytes).expect("a JSON body"))
}

#[tokio::test]
async fn a_picked_set_is_the_librarys_and_trains_as_the_cli() {
    let app = gradlens::serve::app();
    // Without noise, spiral's rows are exact: row 2k is blue's k-th point and row 2k+1 orange's,
    // at radius k/n (n = 5 points per arm) and angle 1.75 turns · k/n, orange half a turn on:
    // row 7 (orange, k = 3) at radius 3/5, angle 2π·1.75·3/5 + π = 3.1π, so
    // x₁ = 0.6·sin(3.1π) = −0.6·sin(0.1π) = −0.1854102…, x₂ = 0.6·cos(3.1π) = −0.6·cos(0.1π) = −0.5706339…
    let (status, t) = send(&app, Method::POST, "/api/toy", json!({"set": "spiral", "points": 10, "seed": 1})).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["classes"], json!(["blue", "orange"]));
    let p = &t["points"][7];
    let (angle, r) = (0.1 * std::f64::consts::PI, 0.6);
    assert!((p[0].as_f64().unwrap() + r * angle.sin()).abs() < 1e-15, "{p}");
    assert!((p[1].as_f64().unwrap() + r * angle.cos()).abs() < 1e-15, "{p}");
    assert_eq!(p[2], 1);
    // The curve: one feature, y = sin(πx) without noise.
    let (_, c) = send(&app, Method::POST, "/api/toy", json!({"set": "curve", "points": 20})).await;
    assert_eq!(c["kind"], "values");
    for q in c["points"].as_array().unwrap() {
        let (x, y) = (q[0].as_f64().unwrap(), q[1].as_f64().unwrap());
        assert!((y - (std::f64::consts::PI * x).sin()).abs() < 1e-15);
    }

    // Training on a picked set gives `train --data spiral …`'s numbers (one seed for the points,
    // as the CLI's --seed, and the run's seed the same).
    let (_, t) =
        send(&app, Method::POST, "/api/toy", json!({"set": "spiral", "points": 60, "noise": 0.1, "seed": 3})).await;
    let settings = json!({"data": t["id"], "hidden": [6], "epochs": 15, "seed": 3, "lr": 0.3});
    let (status, started) = send(&app, Method::POST, "/api/train", settings).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let id = started["id"].as_str().unwrap();
    let (status, last) = send(&app, Method::GET, &format!("/api/train/{id}?epoch=15&report=true"), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    let cli = common::tape_report(&[
        "--data", "spiral", "--points", "60", "--noise", "0.1", "--seed", "3", "--hidden", "6", "--epochs", "15",
        "--lr", "0.3",
    ]);
    assert_eq!(last["stats"], cli["epochs"]);
    assert_eq!(last["report"]["data"], cli["data"], "the report names the set as the CLI does");
}

#[tokio::test]
async fn a_bad_pick_names_its_field() {
    let app = gradlens::serve::app();
    for (body, words) in [
        (json!({"set": "moons"}), "one of circle, xor"),
        (json!({"set": "xor", "points": 1}), "points"),
        (json!({"set": "xor", "points": 6000}), "5000 at most"),
        (json!({"set": "xor", "noise": -1}), "noise"),
        (json!({"set": "xor", "colour": 1}), "colour"),
    ] {
        let (status, answer) = send(&app, Method::POST, "/api/toy", body.clone()).await;
        assert!(status.is_client_error(), "{body}: {status}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(words), "{body}: {message}");
    }
}

/// Live training: epochs are trained as they are asked for. With nothing changed the run is
/// `train --engine tape --format json`'s to the last digit; a change of α, the penalty and the
/// batch size after epoch 8 is taken from epoch 9 on (the first 8 epochs still the CLI's, the
/// 9th not) and the report says so in `changes`.
#[tokio::test]
async fn a_live_run_is_the_clis_until_its_settings_change() {
    let app = gradlens::serve::app();
    let (_, t) =
        send(&app, Method::POST, "/api/toy", json!({"set": "xor", "points": 80, "noise": 0.1, "seed": 5})).await;
    let settings = json!({"data": t["id"], "hidden": [5], "optimizer": "momentum", "lr": 0.2, "epochs": 20,
                          "batch_size": 16, "seed": 5});
    let cli = common::tape_report(&[
        "--data",
        "xor",
        "--points",
        "80",
        "--noise",
        "0.1",
        "--seed",
        "5",
        "--hidden",
        "5",
        "--optimizer",
        "momentum",
        "--lr",
        "0.2",
        "--epochs",
        "20",
        "--batch-size",
        "16",
    ]);
    let epochs = cli["epochs"].as_array().unwrap();

    // Nothing changed: asked for in three pieces, the same run as the CLI's.
    let (_, started) = send(&app, Method::POST, "/api/train", settings.clone()).await;
    let id = started["id"].as_str().unwrap().to_string();
    let (_, first) = send(&app, Method::GET, &format!("/api/train/{id}?epoch=3"), Value::Null).await;
    assert_eq!(first["stats"].as_array().unwrap().as_slice(), &epochs[..3]);
    let (_, middle) = send(&app, Method::GET, &format!("/api/train/{id}?epoch=11&since=3"), Value::Null).await;
    assert_eq!(middle["stats"].as_array().unwrap().as_slice(), &epochs[3..11]);
    let (status, last) = send(&app, Method::GET, &format!("/api/train/{id}?epoch=20&report=true"), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    assert_eq!(last["report"], cli, "no change: the CLI's report, without `changes`");

    // Changed after epoch 8.
    let (_, started) = send(&app, Method::POST, "/api/train", settings).await;
    let id = started["id"].as_str().unwrap().to_string();
    let (_, eighth) = send(&app, Method::GET, &format!("/api/train/{id}?epoch=8"), Value::Null).await;
    assert_eq!(eighth["stats"].as_array().unwrap().as_slice(), &epochs[..8]);
    let change = json!({"lr": 0.05, "l2": 0.01, "l1": 0.001, "batch_size": 32});
    let (status, changed) = send(&app, Method::POST, &format!("/api/train/{id}/settings"), change).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["from_epoch"], 9);
    let (status, last) = send(&app, Method::GET, &format!("/api/train/{id}?epoch=20&report=true"), Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    let report = &last["report"];
    assert_eq!(
        report["changes"],
        json!([{"epoch": 9, "learning_rate": 0.05, "penalty": {"l2": 0.01, "l1": 0.001}, "batch_size": 32}])
    );
    let stats = report["epochs"].as_array().unwrap();
    assert_eq!(&stats[..8], &epochs[..8], "the epochs before the change are the CLI's");
    assert_ne!(stats[8], epochs[8], "epoch 9 took the new settings");
    assert_eq!(last["settings"]["learning_rate"], 0.05);

    // A bad change names its setting; a session gone is a 404.
    let (status, bad) =
        send(&app, Method::POST, &format!("/api/train/{id}/settings"), json!({"lr": 0.1, "batch_size": null})).await;
    assert!(status.is_client_error() && bad["error"].as_str().unwrap().contains("all its 20 epochs"), "{bad}");
    let (_, started) = send(&app, Method::POST, "/api/train", json!({"epochs": 5})).await;
    let other = started["id"].as_str().unwrap().to_string();
    let (status, bad) =
        send(&app, Method::POST, &format!("/api/train/{other}/settings"), json!({"lr": -1, "batch_size": null})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(bad["error"].as_str().unwrap().contains("learning rate -1"), "{bad}");
    let (status, _) = send(&app, Method::DELETE, &format!("/api/train/{other}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(&app, Method::POST, &format!("/api/train/{other}/settings"), json!({"lr": 0.1})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
