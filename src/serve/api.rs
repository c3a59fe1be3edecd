//! The JSON API the page uses. `POST /api/explain` answers exactly what
//! `gradlens explain --format json` prints for the same options (both go through
//! [`ExplainOptions::request`] and [`render::json`]); the other endpoints serve the page.

use super::error::{ApiError, parse_body, shorten};
use super::{AppState, MAX_ANSWER, MAX_EXPLAIN_WORK, MAX_PARAMETERS, MAX_SAMPLES};
use crate::data::{Dataset, TargetColumns, TargetKind, Targets};
use crate::model::Head;
use crate::model::ModelFile;
use crate::render::{self, Format, diagram, fmt_num, html};
use crate::run::explain::ExplainOptions;
use crate::run::train::{TrainJob, TrainSettings};
use crate::trace::{ExplainRequest, Explanation, explain as explain_step};
use crate::train::Activation;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The name of the built-in table.
pub const IRIS: &str = "iris";
/// Uploaded tables kept at once; the oldest goes first.
pub const MAX_TABLES: usize = 16;
/// Rows of a table sent to the page for picking samples.
pub const PREVIEW_ROWS: usize = 500;

/// Uploaded tables by id (128 random bits: another page cannot guess one), oldest first.
#[derive(Default)]
pub struct Tables {
    /// (id, name for messages, table).
    inner: Mutex<Vec<(String, String, Arc<Dataset>)>>,
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
            .ok_or_else(|| ApiError::not_found(format!("data '{}': no such table (upload it again)", shorten(id, 40))))
    }

    pub(crate) fn add(&self, name: String, table: Dataset) -> String {
        let id = super::random_id('t');
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

    pub(crate) fn named(&self, id: Option<&str>) -> Result<(Arc<Dataset>, String), ApiError> {
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

/// The request a body of [`ExplainOptions`] makes, bounded in size, and the body's model file
/// if it sent one.
pub(super) fn bounded_request(
    state: &AppState,
    bytes: &[u8],
    data: Option<&str>,
) -> Result<(ExplainRequest, Option<ModelFile>), ApiError> {
    let options: ExplainOptions = parse_body(bytes)?;
    let (table, name) = state.tables.named(data)?;
    let request = options.request(&table, &name)?;
    let m = request.inputs.nrows();
    if m > MAX_SAMPLES {
        return Err(ApiError::too_much(format!("{m} samples: one explanation takes {MAX_SAMPLES} at most")));
    }
    let parameters = request.model.param_count();
    if parameters > MAX_PARAMETERS {
        return Err(ApiError::too_much(format!(
            "the model has {parameters} parameters: an explanation takes {MAX_PARAMETERS} at most"
        )));
    }
    if m * parameters > MAX_EXPLAIN_WORK {
        return Err(ApiError::too_much(format!(
            "{m} samples × {parameters} parameters: one explanation takes {MAX_EXPLAIN_WORK} sample-parameters at \
             most (fewer samples, or `gradlens explain` on the command line)"
        )));
    }
    Ok((request, options.model))
}

/// The explanation for a body of [`ExplainOptions`], bounded in size, and the model it started
/// from as a model file (the body's own, or the one its weights or the blog's example make).
fn explanation(state: &AppState, bytes: &[u8], data: Option<&str>) -> Result<(Explanation, ModelFile), ApiError> {
    let (request, file) = bounded_request(state, bytes, data)?;
    let file = match file {
        Some(file) => file,
        None => {
            let mut file = request.model.to_file();
            file.head = request.class_names.clone().map(Head::Classes);
            file.features = request.feature_names.clone();
            file
        }
    };
    Ok((explain_step(&request)?, file))
}

/// Runs `work` on the blocking pool: a large explanation does not stall the other requests.
pub(super) async fn blocking<T: Send + 'static>(
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
        let answer = render::render(&e, format, false);
        bounded(answer.len())?;
        Ok(([(header::CONTENT_TYPE, format.media_type())], answer).into_response())
    })
    .await
}

/// What the page shows for one step: the record, the walk-through's stages as HTML with MathML,
/// the diagram forward and backward, each parameter's chain, and the model before and after.
///
/// A larger model's walk-through (more than [`INLINE_CHAINS`] chains) sends only what the page
/// shows first: the first stage's text, the forward diagram, no chains (`on_demand`); the page
/// asks for the rest as it is shown (`/api/part`, `/api/chain`). A 4-32-16-3 model's was 5.7 MB.
#[derive(Serialize)]
struct Walkthrough {
    explanation: Explanation,
    stages: Vec<PageStage>,
    diagram: Diagrams,
    /// Every parameter's and unit's chain for a small model; empty for a larger one.
    chains: Vec<render::chain::Chain>,
    on_demand: bool,
    model: Value,
    new_model: Value,
    /// The losses as the walk-through writes them, for the page's header and history.
    text: Summary,
    /// The inputs' names from the symbol table (x₁, x₂…), for the page's input fields.
    inputs: Vec<String>,
    /// Momentum's or adam's state after the step, each parameter's numbers as the walk-through
    /// writes them (absent for sgd): the page's state panel.
    #[serde(skip_serializing_if = "Option::is_none")]
    optimizer_state: Option<render::state::StateTable>,
}

#[derive(Serialize)]
struct Summary {
    loss: String,
    new_loss: String,
    loss_change: String,
    /// With a weight penalty: its value and the total L = L_data + penalty, before and after
    /// the step (the record's `penalty`, as the walk-through writes numbers).
    penalty: Option<PenaltySummary>,
}

#[derive(Serialize)]
struct PenaltySummary {
    value: String,
    total: String,
    new_value: String,
    new_total: String,
}

#[derive(Serialize)]
struct Diagrams {
    values: String,
    /// `None` when sent on demand.
    gradients: Option<String>,
}

/// A stage as the page gets it: its text (`None` when sent on demand).
#[derive(Serialize)]
struct PageStage {
    title: String,
    focus: &'static str,
    html: Option<String>,
}

/// An answer of `bytes` bytes, or the refusal of one over [`MAX_ANSWER`].
pub(super) fn bounded(bytes: usize) -> Result<(), ApiError> {
    if bytes > MAX_ANSWER {
        return Err(ApiError::too_much(format!(
            "the answer would be {} MB, more than the {} MB one request may get: ask for fewer samples",
            bytes >> 20,
            MAX_ANSWER >> 20
        )));
    }
    Ok(())
}

/// `POST /api/walkthrough[?data=…]`, same body as `/api/explain`.
pub async fn walkthrough(
    State(state): State<Arc<AppState>>,
    query: Result<Query<ExplainQuery>, axum::extract::rejection::QueryRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let bytes = body(bytes)?;
    blocking(move || {
        let (e, file) = explanation(&state, &bytes, query.data.as_deref())?;
        let model = serde_json::to_value(&file).map_err(|e| ApiError::bad(format!("model: {e}")))?;
        let new_model = serde_json::to_value(file.stepped(&e)).map_err(|e| ApiError::bad(format!("model: {e}")))?;
        let mut chains = render::chain::chains(&e);
        let on_demand = chains.len() > INLINE_CHAINS;
        if on_demand {
            chains.clear();
        }
        let stages = html::stages(&e)
            .into_iter()
            .enumerate()
            .map(|(i, s)| PageStage { title: s.title, focus: s.focus, html: (i == 0 || !on_demand).then_some(s.html) })
            .collect();
        let page = Walkthrough {
            stages,
            diagram: Diagrams {
                values: diagram::svg(&e, diagram::Shows::Values),
                gradients: (!on_demand).then(|| diagram::svg(&e, diagram::Shows::Gradients)),
            },
            chains,
            on_demand,
            model,
            new_model,
            text: Summary {
                loss: fmt_num(e.loss),
                new_loss: fmt_num(e.new_loss),
                loss_change: fmt_num(e.loss_change),
                penalty: e.penalty.as_ref().map(|p| PenaltySummary {
                    value: fmt_num(p.value),
                    total: fmt_num(p.total_loss),
                    new_value: fmt_num(p.new_value),
                    new_total: fmt_num(p.new_total_loss),
                }),
            },
            inputs: render::input_labels(&e.layers, e.inputs.ncols()),
            optimizer_state: render::state::state_table(&e),
            explanation: e,
        };
        let answer =
            serde_json::to_vec(&page).map_err(|e| ApiError::bad(format!("the answer could not be written: {e}")))?;
        bounded(answer.len())?;
        Ok(([(header::CONTENT_TYPE, "application/json")], answer).into_response())
    })
    .await
}

/// Chains sent with the walk-through when there are at most this many (the blog's and Mazur's
/// models have under 30); a larger model's come one at a time from [`chain`]: a 4-32-16-3
/// model's 800 chains were most of its 5.7 MB walk-through.
pub const INLINE_CHAINS: usize = 120;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainQuery {
    /// The table `sample` rows come from (default: Iris).
    data: Option<String>,
    /// weight, bias or unit.
    kind: String,
    layer: usize,
    row: usize,
    col: Option<usize>,
}

/// `POST /api/chain?kind=…&layer=…&row=…[&col=…][&data=…]`, same body as `/api/walkthrough`: one
/// parameter's or unit's chain.
pub async fn chain(
    State(state): State<Arc<AppState>>,
    query: Result<Query<ChainQuery>, axum::extract::rejection::QueryRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Json<render::chain::Chain>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let bytes = body(bytes)?;
    blocking(move || {
        let (e, _) = explanation(&state, &bytes, q.data.as_deref())?;
        render::chain::chains(&e)
            .into_iter()
            .find(|c| c.kind == q.kind && c.layer == q.layer && c.row == q.row && c.col == q.col)
            .map(Json)
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "no chain for {} {} of layer {}{} (or the model is too large for chains)",
                    shorten(&q.kind, 20),
                    q.row,
                    q.layer,
                    q.col.map(|c| format!(", input {c}")).unwrap_or_default()
                ))
            })
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartQuery {
    /// The table `sample` rows come from (default: Iris).
    data: Option<String>,
    /// A stage's index in the walk-through's list.
    stage: Option<usize>,
    /// `values` or `gradients`.
    diagram: Option<String>,
}

/// `POST /api/part?stage=N` or `?diagram=values|gradients` (and `&data=…`), same body as
/// `/api/walkthrough`: `{html}` of one stage or `{svg}` of one diagram, for a walk-through sent
/// on demand.
pub async fn part(
    State(state): State<Arc<AppState>>,
    query: Result<Query<PartQuery>, axum::extract::rejection::QueryRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let bytes = body(bytes)?;
    blocking(move || {
        let (e, _) = explanation(&state, &bytes, q.data.as_deref())?;
        match (q.stage, q.diagram.as_deref()) {
            (Some(i), None) => {
                let stages = html::stages(&e);
                let count = stages.len();
                let stage = stages.into_iter().nth(i);
                stage.map(|s| Json(json!({ "html": s.html }))).ok_or_else(|| {
                    ApiError::not_found(format!("stage {i}: the walk-through has stages 0 to {}", count - 1))
                })
            }
            (None, Some("values")) => Ok(Json(json!({ "svg": diagram::svg(&e, diagram::Shows::Values) }))),
            (None, Some("gradients")) => Ok(Json(json!({ "svg": diagram::svg(&e, diagram::Shows::Gradients) }))),
            (None, Some(other)) => Err(ApiError::bad(format!("diagram '{}': values or gradients", shorten(other, 20)))),
            _ => Err(ApiError::bad("part: ask for one stage=N or one diagram=values|gradients")),
        }
    })
    .await
}

/// A table as the page's set-up shows it: its classes, or its target columns (values).
pub(crate) fn summary(id: &str, t: &Dataset) -> Value {
    let rows = 0..t.len().min(PREVIEW_ROWS);
    // Only the rows shown, read once (a float32 or mapped table is not converted whole).
    let x = t.features.rows_as(0, rows.end);
    let (kind, preview): (&str, Vec<Value>) = match &t.target {
        Targets::Classes { labels, .. } => {
            ("classes", rows.map(|r| json!({ "row": r, "values": x.row(r).to_vec(), "class": labels[r] })).collect())
        }
        Targets::Values { values, .. } => (
            "values",
            rows.map(|r| json!({ "row": r, "values": x.row(r).to_vec(), "target": values.row(r).to_vec() })).collect(),
        ),
    };
    json!({
        "id": id,
        "rows": t.len(),
        "features": t.feature_names,
        "kind": kind,
        "classes": t.class_names().unwrap_or_default(),
        "targets": t.target.names(),
        "preview": preview,
    })
}

/// A class column of numbers with more distinct values than this is not taken as classes
/// without asking: it is more likely a measurement (petal_width's 22 values).
pub const MAX_NUMBER_CLASSES: usize = 10;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The target column (default: the last), or several, comma-separated (values).
    label: Option<String>,
    /// `classes` or `values`; by default classes for one column, values for several, and a
    /// question for a column of many different numbers.
    targets: Option<String>,
    /// The file's name, for messages.
    name: Option<String>,
}

/// `POST /api/data[?label=…&name=…]` with CSV text: checked by `train`'s rules, kept for
/// sampling and training.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let bytes = body(bytes)?;
    blocking(move || {
        let name = std::path::PathBuf::from(query.name.as_deref().unwrap_or("upload.csv"));
        let label = query.label.clone();
        let several = label.as_ref().is_some_and(|l| l.contains(','));
        let columns = |l: &Option<String>| {
            l.as_deref().map(|l| l.split(',').map(|c| c.trim().to_string()).collect()).unwrap_or_default()
        };
        let (target_columns, asked) = match query.targets.as_deref() {
            Some("values") => (TargetColumns::Values(columns(&label)), true),
            Some("classes") => (TargetColumns::Class(label.clone()), true),
            Some(other) => {
                return Err(ApiError::bad(format!("targets '{}': classes or values", shorten(other, 20))));
            }
            None if several => (TargetColumns::Values(columns(&label)), false),
            None => (TargetColumns::Class(label.clone()), false),
        };
        let table = Dataset::from_csv_bytes(&bytes, &name, &target_columns)?;
        table.check_trainable(&name)?;
        // A column of many different numbers is not made into classes without asking.
        if let (Targets::Classes { names, .. }, false) = (&table.target, asked)
            && names.len() > MAX_NUMBER_CLASSES
            && names.iter().all(|n| n.trim().parse::<f64>().is_ok())
        {
            let column = label.unwrap_or_else(|| "the last column".into());
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({
                    "error": format!(
                        "{}: {} holds {} different numbers: are they values to predict (regression) or {} classes?",
                        name.display(),
                        shorten(&column, 40),
                        names.len(),
                        names.len()
                    ),
                    "choose": ["values", "classes"],
                })),
            )
                .into_response());
        }
        let mut s = summary("", &table);
        let id = state.tables.add(name.display().to_string(), table);
        s["id"] = json!(id);
        Ok(Json(s).into_response())
    })
    .await
}

/// `GET /api/data/{id}` (`iris` for the built-in table).
pub async fn table(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let (t, _) = state.tables.get(&id)?;
    Ok(Json(summary(&id, &t)))
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
    /// The last layer: softmax (the default), or an activation's name (sigmoid, identity, …).
    #[serde(default)]
    output: Option<String>,
    /// The loss it will be trained with (`train`'s default for the table when not given).
    #[serde(default)]
    loss: Option<String>,
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
    // The model `gradlens train --seed S` starts from, with the scaler it fits on its training
    // rows: the step view then explains rows as training sees them (raw values beside).
    let settings = TrainSettings {
        hidden: spec.hidden,
        activation: Some(activation(&spec.activation)?.name().to_string()),
        output_layer: spec.output,
        bias: Some(spec.bias),
        seed: Some(spec.seed),
        loss: spec.loss,
        ..TrainSettings::default()
    };
    let run = TrainJob::new(settings, Dataset::clone(&table)).prepare()?;
    let mut file: ModelFile = run.model.to_file();
    file.scaler = run.scaler;
    let names = table.target.names().to_vec();
    file.head = Some(match table.target.kind() {
        TargetKind::Classes => Head::Classes(names),
        TargetKind::Values => Head::Values(names),
    });
    file.features = Some(table.feature_names.clone());
    Ok(Json(serde_json::to_value(file).map_err(|e| ApiError::bad(format!("model: {e}")))?))
}

/// Anything else.
pub async fn no_route(uri: Uri) -> ApiError {
    ApiError::not_found(format!("{}: no such page or endpoint", shorten(uri.path(), 80)))
}

/// A known path asked with a method it does not take.
pub async fn no_method(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: format!("{method} {}: this endpoint does not take {method}", shorten(uri.path(), 80)),
    }
}
