//! `gradlens serve`: the weight update as a page to step through and poke, on a small JSON API.
//!
//! Every number the page shows comes from the library's records (an [`Explanation`], a training
//! run's report); the page's script only lays them out. The page's files are embedded in the
//! binary (`assets.rs`), so it works with no network.
//!
//! Bounds: request bodies of [`BODY_LIMIT`] bytes at most; an explanation of at most
//! [`MAX_SAMPLES`] samples and [`MAX_PARAMETERS`] parameters; training sessions capped in number,
//! size and idle time (`training.rs`). Work runs on tokio's blocking pool, so a slow request does
//! not hold up the others.
//!
//! [`Explanation`]: crate::trace::Explanation

mod api;
mod assets;
mod error;
mod training;

pub use error::ApiError;

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

/// What the handlers share: uploaded tables and training sessions.
#[derive(Default)]
pub struct AppState {
    pub(crate) tables: api::Tables,
    pub(crate) sessions: training::Sessions,
}

/// The longest a request may take, reading its body included: a client that stalls gets a 408
/// rather than holding its connection open.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole application, without a socket (the tests drive it with `tower::ServiceExt`).
pub fn app() -> Router {
    app_with_timeout(REQUEST_TIMEOUT)
}

/// [`app`] with another request timeout (the tests use a short one).
pub fn app_with_timeout(timeout: Duration) -> Router {
    let state = Arc::new(AppState::default());
    Router::new()
        .route("/", get(assets::index))
        .route("/static/{file}", get(assets::file))
        .route("/api/explain", post(api::explain))
        .route("/api/walkthrough", post(api::walkthrough))
        .route("/api/data", post(api::upload))
        .route("/api/data/{id}", get(api::table))
        .route("/api/model", post(api::new_model))
        .route("/api/train", post(training::start))
        .route("/api/train/{id}", get(training::epoch).delete(training::stop))
        .fallback(api::no_route)
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
        .with_state(state)
}

/// How long requests in flight get to finish after Ctrl-C. A client stalled half way through
/// its request would otherwise keep a graceful shutdown waiting for ever.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Serves [`app`] on `addr` until Ctrl-C; `on_listening` gets the address actually bound (with
/// port 0 the system picks one) once the socket listens.
pub async fn serve(addr: SocketAddr, on_listening: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    on_listening(listener.local_addr()?);
    let stop = Arc::new(tokio::sync::Notify::new());
    let signalled = stop.clone();
    let server = axum::serve(listener, app()).with_graceful_shutdown(async move {
        // If the signal cannot be installed, the server runs until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        signalled.notify_one();
    });
    tokio::select! {
        served = server => served,
        () = async {
            stop.notified().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    }
}
