//! `gradlens serve`: the weight update as a page to step through and poke, on a small JSON API.
//!
//! Every number the page shows comes from the library's records (an [`Explanation`], a training
//! run's report); the page's script only lays them out. The page's files are embedded in the
//! binary (`assets.rs`), so it works with no network.
//!
//! Bounds: request bodies of [`BODY_LIMIT`] bytes at most; an explanation of at most
//! [`MAX_SAMPLES`] samples, [`MAX_PARAMETERS`] parameters and [`MAX_EXPLAIN_WORK`] sample ×
//! parameter products, its answer at most [`MAX_ANSWER`] bytes; training sessions capped in
//! number, size and idle time (`training.rs`). Work runs on tokio's blocking pool, so a slow
//! request does not hold up the others. A connection must send its request head within
//! [`ServeOptions::header_timeout`] (an idle one is closed after it too), and at most
//! [`ServeOptions::max_connections`] are served at once.
//!
//! Other web pages are kept out by `guard.rs` (Host, Origin, Content-Type), and the ids of
//! uploaded tables and training sessions are 128 random bits, not a counter another page could
//! guess.
//!
//! [`Explanation`]: crate::trace::Explanation

mod api;
mod assets;
mod choices;
mod error;
mod guard;
mod sessions;
mod toy;
mod training;
mod views;

pub use error::ApiError;
pub use guard::Guard;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The largest request body, in bytes (an uploaded CSV, a model file).
pub const BODY_LIMIT: usize = 10 * 1024 * 1024;
/// The most samples one explanation may take.
pub const MAX_SAMPLES: usize = 1000;
/// The most parameters (weights and biases) a model may have for an explanation.
pub const MAX_PARAMETERS: usize = 100_000;
/// The most samples × parameters one explanation may take: its time and the size of its record
/// grow with that product (1,000 samples of a 100,000-parameter model took 17 s and answered
/// 342 MB).
pub const MAX_EXPLAIN_WORK: usize = 2_000_000;
/// The largest answer one request may get, in bytes.
pub const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// A fresh random id (128 bits from the operating system's generator through `rand`'s thread
/// generator), with a letter saying what it names: unguessable by another page.
pub(crate) fn random_id(kind: char) -> String {
    format!("{kind}{:032x}", rand::random::<u128>())
}

/// What the handlers share: uploaded tables and training sessions.
#[derive(Default)]
pub struct AppState {
    pub(crate) tables: api::Tables,
    pub(crate) sessions: sessions::Sessions<training::Session>,
}

/// The longest a request may take, reading its body included: a client that stalls gets a 408
/// rather than holding its connection open.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole application, without a socket, answering to loopback names (the tests drive it
/// with `tower::ServiceExt`).
pub fn app() -> Router {
    app_with(Guard::loopback(), REQUEST_TIMEOUT)
}

/// [`app`] with another request timeout (the tests use a short one).
pub fn app_with_timeout(timeout: Duration) -> Router {
    app_with(Guard::loopback(), timeout)
}

/// The application answering to `guard`'s host names, each request cut after `timeout`.
pub fn app_with(guard: Guard, timeout: Duration) -> Router {
    let state = Arc::new(AppState::default());
    Router::new()
        .route("/", get(assets::index))
        .route("/static/{file}", get(assets::file))
        // GET: the blog's step as a page of its own, the link for a browser without script.
        .route("/api/explain", get(api::explain).post(api::explain))
        .route("/api/walkthrough", post(api::walkthrough))
        .route("/api/chain", post(api::chain))
        .route("/api/part", post(api::part))
        .route("/api/data", post(api::upload))
        .route("/api/data/{id}", get(api::table))
        .route("/api/model", post(api::new_model))
        .route("/api/toy", post(toy::generate))
        .route("/api/train", post(training::start))
        .route("/api/train/{id}", get(training::epoch).delete(training::stop))
        .route("/api/train/{id}/units", get(views::units))
        .route("/api/graph", post(views::graph))
        .route("/api/train/{id}/settings", post(training::change))
        .route("/api/choices", get(choices::choices))
        .fallback(api::no_route)
        .method_not_allowed_fallback(api::no_method)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(move |request: Request, next: Next| async move {
            match tokio::time::timeout(timeout, next.run(request)).await {
                Ok(response) => response,
                Err(_) => ApiError {
                    status: StatusCode::REQUEST_TIMEOUT,
                    message: format!("the request took longer than {} s (a stalled upload?)", timeout.as_secs_f64()),
                }
                .into_response(),
            }
        }))
        .layer(middleware::from_fn_with_state(guard, guard::check))
        .with_state(state)
}

/// How the server takes connections.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Host names to answer to besides loopback's and the bound address (`--allow-host`).
    pub allow_hosts: Vec<String>,
    /// The longest a client may take to send a request's head, and the longest a kept-alive
    /// connection may sit idle: a client trickling header bytes, or one of a thousand idle
    /// connections, is cut after it.
    pub header_timeout: Duration,
    /// The longest a request may take once its head is in ([`REQUEST_TIMEOUT`]).
    pub request_timeout: Duration,
    /// Connections served at once; more wait in the system's queue until one closes (well under
    /// the usual limit of 1,024 open files).
    pub max_connections: usize,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            allow_hosts: Vec::new(),
            header_timeout: Duration::from_secs(10),
            request_timeout: REQUEST_TIMEOUT,
            max_connections: 256,
        }
    }
}

/// How long requests in flight get to finish after Ctrl-C. A client stalled half way through
/// its request would otherwise keep a graceful shutdown waiting for ever.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Serves [`app`] on `addr` until Ctrl-C; `on_listening` gets the address actually bound (with
/// port 0 the system picks one) once the socket listens.
pub async fn serve(
    addr: SocketAddr,
    options: ServeOptions,
    on_listening: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let ctrl_c = async {
        // If the signal cannot be installed, the server runs until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    serve_until(addr, options, on_listening, ctrl_c).await
}

/// [`serve`] until `stop` completes; requests in flight then get [`SHUTDOWN_GRACE`] to finish.
pub async fn serve_until(
    addr: SocketAddr,
    options: ServeOptions,
    on_listening: impl FnOnce(SocketAddr),
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = app_with(Guard::new(Some(bound.ip()), &options.allow_hosts), options.request_timeout);
    on_listening(bound);
    let slots = Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1)));
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut stop = std::pin::pin!(stop);
    loop {
        let accepted = async {
            let slot = slots.clone().acquire_owned().await;
            (slot, listener.accept().await)
        };
        let (slot, stream) = tokio::select! {
            () = &mut stop => break,
            (slot, accepted) = accepted => match (slot, accepted) {
                (Ok(slot), Ok((stream, _))) => (slot, stream),
                // Out of file descriptors, a connection reset before it was taken: try again.
                _ => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(app.clone());
        let mut closed = closed.clone();
        let header_timeout = options.header_timeout;
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = closed.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    let _ = closing.send(true);
    // Every slot back means every connection closed; a client stalled half way through its
    // request would otherwise keep the shutdown waiting, so it gets SHUTDOWN_GRACE at most.
    let all = u32::try_from(options.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await;
    Ok(())
}
