//! The API behind two of the page's pictures, each a library record sent as it is:
//! - `POST /api/graph`: the tape of the step being explained ([`crate::trace::graph`]), the
//!   record `explain --format dot` prints;
//! - `GET /api/train/{id}/units`: every unit's output over two features at one epoch of a
//!   training session ([`crate::run::units`]), asked for only while the page shows them.

use super::AppState;
use super::api::{blocking, body, bounded, bounded_request};
use super::error::ApiError;
use crate::run::units::unit_maps;
use crate::trace::graph::tape_graph;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Cells per side of the unit maps when the page asks for no number: Playground's small maps
/// are 10×10; 20×20 keeps a 2-16-16-2 model's 34 maps near 250 kB.
pub const UNIT_CELLS: usize = 20;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphQuery {
    /// The table `sample` rows come from (default: Iris).
    data: Option<String>,
}

/// `POST /api/graph[?data=…]`, the body of `/api/explain`: the tape of the step as a graph,
/// every node's value and gradient, the edges in backprop's order.
pub async fn graph(
    State(state): State<Arc<AppState>>,
    query: Result<Query<GraphQuery>, QueryRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let bytes = body(bytes)?;
    blocking(move || {
        let (request, _) = bounded_request(&state, &bytes, query.data.as_deref())?;
        let answer = serde_json::to_vec(&tape_graph(&request)?)
            .map_err(|e| ApiError::bad(format!("the answer could not be written: {e}")))?;
        bounded(answer.len())?;
        Ok(([(header::CONTENT_TYPE, "application/json")], answer).into_response())
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitsQuery {
    /// 0 (before training) to the run's last epoch.
    epoch: usize,
    /// The features across and up (column indices), default 0 and 1.
    #[serde(default)]
    fx: usize,
    #[serde(default = "one")]
    fy: usize,
    /// Cells per side (default [`UNIT_CELLS`]).
    cells: Option<usize>,
    /// Send the rows too, in data units, with their class and part (default: no; they change
    /// only with `fx` and `fy`).
    #[serde(default)]
    points: bool,
}

fn one() -> usize {
    1
}

/// `GET /api/train/{id}/units?epoch=N&fx=…&fy=…[&cells=…][&points=true]`: every hidden unit's
/// and every output's value over features `fx` and `fy` in the data's units, the others at the
/// training rows' mean, for the model after epoch N.
pub async fn units(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    query: Result<Query<UnitsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let session = state.sessions.get(&id)?;
    // An epoch not yet trained is trained now, in a turn, as the epoch's own request does.
    let turn = state.sessions.turn().await;
    blocking(move || {
        let s = session.lock().map_err(|_| ApiError::bad("session unavailable"))?;
        let model = s.model_at(q.epoch)?;
        drop(turn);
        // The decision map's plane (the same axes), with the unit maps' cells.
        let plane = s.plane((q.fx, q.fy), q.cells.unwrap_or(UNIT_CELLS))?;
        let maps = unit_maps(&model, s.scaler.as_ref(), &plane)?;
        let points = if q.points { s.points(&plane) } else { Vec::new() };
        let answer = serde_json::to_vec(&json!({ "epoch": q.epoch, "maps": maps, "points": points }))
            .map_err(|e| ApiError::bad(format!("the answer could not be written: {e}")))?;
        bounded(answer.len())?;
        Ok(([(header::CONTENT_TYPE, "application/json")], answer).into_response())
    })
    .await
}
