//! Load on `gradlens serve`'s API: 50 concurrent clients on loopback, each asking for Iris
//! explanations (`POST /api/explain`, one Iris row, or a batch of ten rows every fifth request)
//! until 4,000 requests are answered; prints p50, p99 and the slowest latency and the errors.
//! Goal (issue 8): p99 < 20 ms, 0 errors.
//!
//! `cargo bench --bench serve_load` (optimised build). The server runs in this process on
//! 127.0.0.1 with a port the system picks; nothing leaves the machine, and the run ends by itself
//! (each request times out after 5 s).

use axum::body::{Body, to_bytes};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
const REQUESTS: usize = 4000;
const TIMEOUT: Duration = Duration::from_secs(5);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, gradlens::serve::app()).await.expect("serves") });
    let client: Client<HttpConnector, Body> = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let url = format!("http://{addr}/api/explain");

    // Warm up: the first requests pay for connections and the blocking pool's threads.
    for k in 0..CLIENTS {
        let _ = ask(&client, &url, k).await;
    }
    // One client alone: the time a request takes with no queue, for comparison.
    let mut alone = Vec::new();
    for k in 0..500 {
        let t = Instant::now();
        if ask(&client, &url, k).await.is_ok() {
            alone.push(t.elapsed());
        }
    }
    alone.sort();
    println!(
        "serve_load: 1 client, {} requests one after another: p50 {:.3} ms, p99 {:.3} ms",
        alone.len(),
        alone[alone.len() / 2].as_secs_f64() * 1e3,
        alone[alone.len() * 99 / 100].as_secs_f64() * 1e3
    );

    let started = Instant::now();
    let mut tasks = Vec::with_capacity(CLIENTS);
    for c in 0..CLIENTS {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = Vec::new();
            for i in 0..REQUESTS / CLIENTS {
                let t = Instant::now();
                match ask(&client, &url, c * 1000 + i).await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(e) => errors.push(e),
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        let (l, e) = t.await.expect("a client finished");
        latencies.extend(l);
        errors.extend(e);
    }
    let wall = started.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        latencies.get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default()
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "serve_load: {CLIENTS} clients, {} requests answered in {:.2} s ({:.0}/s): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} errors",
        latencies.len(),
        wall.as_secs_f64(),
        latencies.len() as f64 / wall.as_secs_f64(),
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
        errors.len()
    );
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    println!(
        "goal p99 < 20 ms, 0 errors: {}",
        if ms(pct(0.99)) < 20.0 && errors.is_empty() { "met" } else { "NOT met" }
    );
}

/// One explanation: Iris row `k % 150` with the blog's model, or ten rows from it every fifth time.
async fn ask(client: &Client<HttpConnector, Body>, url: &str, k: usize) -> Result<(), String> {
    let body = if k % 5 == 4 {
        let rows: Vec<usize> = (0..10).map(|j| (k + 15 * j) % 150).collect();
        format!(r#"{{"sample": {rows:?}, "lr": 0.1}}"#)
    } else {
        format!(r#"{{"sample": [{}], "lr": 0.1}}"#, k % 150)
    };
    let request = axum::http::Request::post(url)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .map_err(|e| e.to_string())?;
    let response = tokio::time::timeout(TIMEOUT, client.request(request))
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = to_bytes(Body::new(response.into_body()), usize::MAX).await.map_err(|e| e.to_string())?;
    if !status.is_success() || !bytes.starts_with(b"{") {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(200)])));
    }
    Ok(())
}
