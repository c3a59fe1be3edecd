//! The JSON API the page uses. `POST /api/explain` answers exactly what
//! `gradlens explain --format json` prints for the same options (both go through
//! [`ExplainOptions::request`] and [`render::json`]); the other endpoints serve the page.

use super::error::{ApiError, parse_body};
use super::{AppState, MAX_PARAMETERS, MAX_SAMPLES};
use crate::data::{Dataset, Target, TargetColumns};
use crate::model::ModelFile;
use crate::render::{self, Format, diagram, fmt_num, html};
use crate::run::explain::ExplainOptions;
use crate::trace::{Explanation, explain as explain_step};
use crate::train::{Activation, ModelSpec};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The name of the built-in table.
pub const IRIS: &str = "iris";
/// Uploaded tables kept at once; the oldest goes first.
pub const MAX_TABLES: usize = 16;
/// Rows of a table sent to the page for picking samples.
pub const PREVIEW_ROWS: usize = 500;

/// Uploaded tables by id, oldest first.
#[derive(Default)]
pub struct Tables {
    /// (id, name for messages, table).
    inner: Mutex<Vec<(String, String, Arc<Dataset>)>>,
    next: Mutex<u64>,
}

impl Tables {
    /// The table and its name for messages.
    fn get(&self, id: &str) -> Result<(Arc<Dataset>, String), ApiError> {
        if id == IRIS {
            // Parsed once: every request that names no table samples from it.
            static IRIS_TABLE: std::sync::LazyLock<Arc<Dataset>> =
                std::sync::LazyLock::new(|| Arc::new(Dataset::iris()));
            return Ok((IRIS_TABLE.clone(), "Iris".into()));
        }
        let tables = self.inner.lock().expect("tables lock");
        tables
            .iter()
            .find(|(k, _, _)| k == id)
            .map(|(_, name, t)| (t.clone(), name.clone()))
            .ok_or_else(|| ApiError::not_found(format!("data '{id}': no such table (upload it again)")))
    }

    fn add(&self, name: String, table: Dataset) -> String {
        let id = {
            let mut next = self.next.lock().expect("id lock");
            *next += 1;
            format!("t{}", *next)
        };
        let mut tables = self.inner.lock().expect("tables lock");
        if tables.len() >= MAX_TABLES {
            tables.remove(0);
        }
        tables.push((id.clone(), name, Arc::new(table)));
        id
    }

    pub(crate) fn table(&self, id: Option<&str>) -> Result<Arc<Dataset>, ApiError> {
        self.get(id.unwrap_or(IRIS)).map(|(t, _)| t)
    }

    fn named(&self, id: Option<&str>) -> Result<(Arc<Dataset>, String), ApiError> {
        self.get(id.unwrap_or(IRIS))
    }
}

/// A body as bytes, or the refusal (413 for one over the limit) as JSON.
pub fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|r| ApiError { status: r.status(), message: format!("request body: {}", r.body_text()) })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainQuery {
    /// json (default), markdown, html or text.
    format: Option<String>,
    /// The table `sample` rows come from (default: Iris).
    data: Option<String>,
}

/// The explanation for a body of [`ExplainOptions`], bounded in size, and the model it started
/// from as a model file (the body's own, or the one its weights or the blog's example make).
fn explanation(state: &AppState, bytes: &[u8], data: Option<&str>) -> Result<(Explanation, ModelFile), ApiError> {
    let options: ExplainOptions = parse_body(bytes)?;
    let (table, name) = state.tables.named(data)?;
    let request = options.request(&table, &name)?;
    let m = request.inputs.nrows();
    if m > MAX_SAMPLES {
        return Err(ApiError::too_much(format!("{m} samples: one explanation takes {MAX_SAMPLES} at most")));
    }
    let parameters: usize = request.model.dense_layers().map(|(_, w, b)| w.len() + b.map_or(0, |b| b.len())).sum();
    if parameters > MAX_PARAMETERS {
        return Err(ApiError::too_much(format!(
            "the model has {parameters} parameters: an explanation takes {MAX_PARAMETERS} at most"
        )));
    }
    let file = match options.model {
        Some(file) => file,
        None => {
            let mut file = request.model.to_file();
            file.classes = request.class_names.clone();
            file.features = request.feature_names.clone();
            file
        }
    };
    Ok((explain_step(&request)?, file))
}

/// Runs `work` on the blocking pool: a large explanation does not stall the other requests.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|_| Err(ApiError::bad("the request could not be computed")))
}

/// `POST /api/explain[?format=…][&data=…]`: the explanation as `explain --format …` prints it.
pub async fn explain(
    State(state): State<Arc<AppState>>,
    query: Result<Query<ExplainQuery>, axum::extract::rejection::QueryRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let format: Format = match query.format.as_deref() {
        None => Format::Json,
        Some(f) => f.parse().map_err(|e: String| ApiError::bad(format!("format: {e}")))?,
    };
    let bytes = body(bytes)?;
    blocking(move || {
        let (e, _) = explanation(&state, &bytes, query.data.as_deref())?;
        let mime = match format {
            Format::Json => "application/json",
            Format::Html => "text/html; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Text => "text/plain; charset=utf-8",
        };
        Ok(([(header::CONTENT_TYPE, mime)], render::render(&e, format, false)).into_response())
    })
    .await
}

/// What the page shows for one step: the record, the walk-through's stages as HTML with MathML,
/// the diagram forward and backward, each parameter's chain, and the model before and after.
#[derive(Serialize)]
struct Walkthrough {
    explanation: Explanation,
    stages: Vec<html::Stage>,
    diagram: Diagrams,
    chains: Vec<render::chain::Chain>,
    model: Value,
    new_model: Value,
    /// The losses as the walk-through writes them, for the page's header and history.
    text: Summary,
}

#[derive(Serialize)]
struct Summary {
    loss: String,
    new_loss: String,
    loss_change: String,
}

#[derive(Serialize)]
struct Diagrams {
    values: String,
    gradients: String,
}

/// `POST /api/walkthrough[?data=…]`, same body as `/api/explain`.
pub async fn walkthrough(
    State(state): State<Arc<AppState>>,
    query: Result<Query<ExplainQuery>, axum::extract::rejection::QueryRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let bytes = body(bytes)?;
    blocking(move || {
        let (e, file) = explanation(&state, &bytes, query.data.as_deref())?;
        let model = serde_json::to_value(file).map_err(|e| ApiError::bad(format!("model: {e}")))?;
        let new_model = stepped(&model, &e);
        let page = Walkthrough {
            stages: html::stages(&e),
            diagram: Diagrams {
                values: diagram::svg(&e, diagram::Shows::Values),
                gradients: diagram::svg(&e, diagram::Shows::Gradients),
            },
            chains: render::chain::chains(&e),
            model,
            new_model,
            text: Summary { loss: fmt_num(e.loss), new_loss: fmt_num(e.new_loss), loss_change: fmt_num(e.loss_change) },
            explanation: e,
        };
        serde_json::to_value(page).map(Json).map_err(|e| ApiError::bad(format!("the answer could not be written: {e}")))
    })
    .await
}

/// The model file after the step: each dense layer's weights and bias replaced by the record's
/// `new_weights` and `new_bias` (read through the JSON, whatever the other layers are).
fn stepped(model: &Value, e: &Explanation) -> Value {
    let record = serde_json::to_value(&e.layers).unwrap_or(Value::Null);
    let mut next = model.clone();
    if let (Some(layers), Some(traces)) = (next["layers"].as_array_mut(), record.as_array()) {
        for (layer, trace) in layers.iter_mut().zip(traces) {
            if layer["type"] == "dense" {
                layer["weights"] = trace["new_weights"].clone();
                layer["bias"] = trace["new_bias"].clone();
            }
        }
    }
    next
}

/// The classes of a table the page uses, with their names. The page reads every table with a
/// class column ([`upload`]); a table of values has nothing it can show.
pub fn classes(t: &Dataset) -> Result<(&[usize], &[String]), ApiError> {
    match &t.target {
        Target::Classes { labels, names } => Ok((labels, names)),
        Target::Values { .. } => {
            Err(ApiError::bad("the page trains classifiers: this table's targets are values (use `gradlens train`)"))
        }
    }
}

/// A table as the page's set-up shows it.
fn summary(id: &str, t: &Dataset) -> Result<Value, ApiError> {
    let (labels, names) = classes(t)?;
    let rows: Vec<Value> = (0..t.len().min(PREVIEW_ROWS))
        .map(|r| json!({ "row": r, "values": t.features.row(r).to_vec(), "class": labels[r] }))
        .collect();
    Ok(json!({
        "id": id,
        "rows": t.len(),
        "features": t.feature_names,
        "classes": names,
        "preview": rows,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The class column (default: the last).
    label: Option<String>,
    /// The file's name, for messages.
    name: Option<String>,
}

/// `POST /api/data[?label=…&name=…]` with CSV text: checked by `train`'s rules, kept for
/// sampling and training.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let bytes = body(bytes)?;
    blocking(move || {
        let name = std::path::PathBuf::from(query.name.as_deref().unwrap_or("upload.csv"));
        // One class column: the page trains classifiers. Several columns are a regression, which
        // `train` does; a column whose name holds a comma is still found by its whole name.
        let label = query.label.clone();
        let table = match Dataset::from_csv_bytes(&bytes, &name, &TargetColumns::Class(label.clone())) {
            Err(crate::Error::Data { column: Some(_), row: Some(1), .. })
                if label.as_ref().is_some_and(|l| l.contains(',')) =>
            {
                return Err(ApiError::bad(format!(
                    "label {}: the page trains classifiers on one class column; several target columns \
                     (regression) are for `gradlens train --label a,b`",
                    label.unwrap_or_default()
                )));
            }
            other => other?,
        };
        table.check_trainable(&name)?;
        let s = summary("", &table)?;
        let id = state.tables.add(name.display().to_string(), table);
        let mut s = s;
        s["id"] = json!(id);
        Ok(Json(s))
    })
    .await
}

/// `GET /api/data/{id}` (`iris` for the built-in table).
pub async fn table(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let (t, _) = state.tables.get(&id)?;
    Ok(Json(summary(&id, &t)?))
}

/// A fresh model for the step view.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewModel {
    /// The table whose features and classes it fits (default: Iris).
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    hidden: Vec<usize>,
    /// relu, tanh or sigmoid.
    #[serde(default = "default_activation")]
    activation: String,
    #[serde(default = "yes")]
    bias: bool,
    #[serde(default)]
    seed: u64,
}

fn default_activation() -> String {
    "tanh".into()
}

fn yes() -> bool {
    true
}

/// The most hidden layers and units per layer a fresh model may have.
pub const MAX_HIDDEN_LAYERS: usize = 8;
pub const MAX_HIDDEN_WIDTH: usize = 256;

/// The hidden layers' activation by name: any of [`Activation::ALL`], as `train --activation`.
pub fn activation(name: &str) -> Result<Activation, ApiError> {
    name.parse().map_err(|why: String| ApiError::bad(format!("activation {why}")))
}

/// Hidden widths within the caps.
pub fn check_hidden(hidden: &[usize]) -> Result<(), ApiError> {
    if hidden.len() > MAX_HIDDEN_LAYERS {
        return Err(ApiError::too_much(format!("{} hidden layers: {MAX_HIDDEN_LAYERS} at most", hidden.len())));
    }
    if let Some(&w) = hidden.iter().find(|&&w| w > MAX_HIDDEN_WIDTH) {
        return Err(ApiError::too_much(format!("a hidden layer of {w} units: {MAX_HIDDEN_WIDTH} at most")));
    }
    Ok(())
}

/// `POST /api/model`: a model file drawn with the seed (stax's initialisers, as `train`).
pub async fn new_model(
    State(state): State<Arc<AppState>>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let spec: NewModel = parse_body(&body(bytes)?)?;
    check_hidden(&spec.hidden)?;
    let table = state.tables.table(spec.data.as_deref())?;
    let model_spec = ModelSpec {
        hidden: spec.hidden,
        activation: activation(&spec.activation)?,
        bias: spec.bias,
        ..ModelSpec::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let (_, class_names) = classes(&table)?;
    let model = model_spec.build(table.feature_names.len(), class_names.len(), &mut rng)?;
    let mut file: ModelFile = model.to_file();
    file.classes = Some(class_names.to_vec());
    file.features = Some(table.feature_names.clone());
    Ok(Json(serde_json::to_value(file).map_err(|e| ApiError::bad(format!("model: {e}")))?))
}

/// Anything else.
pub async fn no_route(uri: Uri) -> ApiError {
    ApiError::not_found(format!("{}: no such page or endpoint", uri.path()))
}
