//! `POST /api/toy`: one of the library's generated data sets ([`Toy`], what `train --data spiral`
//! trains on, from the same seed the same rows) kept as a table, as an upload is, and sent with
//! every point so the page draws the set at once. The server generates nothing its own way.

use super::AppState;
use super::api::{body, summary};
use super::error::{ApiError, parse_body, shorten};
use crate::data::{DEFAULT_POINTS, TOY_NAMES, Targets, Toy};
use crate::run::data::{DataSource, Reading};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The most points a set made on the page may have: every one is drawn, and sent in the answer.
pub const MAX_PAGE_POINTS: usize = 5000;

/// A set to generate, as `train --data SET --points N --noise σ --seed S` names it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToyRequest {
    /// One of [`TOY_NAMES`].
    set: String,
    /// [default: [`DEFAULT_POINTS`]]
    points: Option<usize>,
    /// [default: 0]
    noise: Option<f64>,
    /// [default: 0]
    seed: Option<u64>,
}

/// `POST /api/toy` with `{set, points, noise, seed}`: the table's summary (as `/api/data`
/// answers an upload) and `points`, each row `[x₁, x₂, class]` (the curve's `[x, y]`).
pub async fn generate(
    State(state): State<Arc<AppState>>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let request: ToyRequest = parse_body(&body(bytes)?)?;
    let toy = Toy::from_name(&request.set).ok_or_else(|| {
        ApiError::bad(format!("set '{}': one of {}", shorten(&request.set, 20), TOY_NAMES.join(", ")))
    })?;
    let points = request.points.unwrap_or(DEFAULT_POINTS);
    if points > MAX_PAGE_POINTS {
        return Err(ApiError::too_much(format!(
            "points {points}: the page draws {MAX_PAGE_POINTS} at most (`gradlens train --data {toy}` takes more)"
        )));
    }
    // Through the library's one data source, as `train --data` reads it (and checked as it is).
    let source = DataSource::Toy { toy, points, noise: request.noise.unwrap_or(0.0) };
    let table = source.load(request.seed.unwrap_or(0), &Reading::default())?;
    let rows: Vec<Value> = match &table.target {
        Targets::Classes { labels, .. } => {
            (0..table.len()).map(|r| json!([table.features[[r, 0]], table.features[[r, 1]], labels[r]])).collect()
        }
        Targets::Values { values, .. } => {
            (0..table.len()).map(|r| json!([table.features[[r, 0]], values[[r, 0]]])).collect()
        }
    };
    let mut answer = summary("", &table);
    answer["id"] = json!(state.tables.add(toy.name().to_string(), table));
    answer["set"] = json!(toy.name());
    answer["points"] = json!(rows);
    Ok(Json(answer))
}
