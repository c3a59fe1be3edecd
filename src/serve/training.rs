//! Training sessions, trained live: the page sets up a run and the server trains it epoch by
//! epoch as the page asks (run, pause, one epoch), on a thread of the session's own that waits
//! between the epochs asked for. Between epochs the page may change the step size, the weight
//! penalty and the batch size (`POST /api/train/{id}/settings`): the epochs after take them
//! without a reset, and the report says from which epoch (`changes`). The run is `gradlens
//! train`'s (the same [`TrainJob`], the same library calls in the same order, the same seed) on
//! the tape, the engine whose loop takes changes between epochs: with nothing changed, the numbers
//! of `train --engine tape --format json` (the compiled engine, `train`'s default, agrees with it
//! to about 1e-12, as both agree with JAX). The model after every epoch is kept, so going back
//! shows an earlier epoch again; each epoch's curves, confusion matrix and decision map are
//! asked for as it is shown.
//!
//! Bounds: a run of at most [`MAX_EPOCHS`] epochs, [`MAX_WORK`] row-parameter products in all and
//! [`MAX_SNAPSHOT`] stored numbers; how many sessions are kept and trained at once is
//! `sessions.rs`'s (epochs are trained during a request's turn). A session dropped (closed, idle,
//! or the least recently used when room is needed) stops its thread.

use super::AppState;
use super::api::{body, check_hidden};
use super::error::{ApiError, parse_body};
use crate::data::{Dataset, Features, Scaler};
use crate::loss::Loss;
use crate::loss::Penalty;
use crate::model::Model;
use crate::predict::{Fit, evaluate, outputs};
use crate::render::diagram;
use crate::run::defaults;
use crate::run::train::{TrainJob, TrainSettings};
use crate::run::units::{Plane, Point, decision_map, in_data_units};
use crate::trace::{ExplainRequest, FeatureInputs, Update, explain};
use crate::train::{EpochStats, LiveSettings, Observer};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

pub const MAX_EPOCHS: usize = 5000;
/// epochs × training rows × parameters.
pub const MAX_WORK: f64 = 2e9;
/// epochs × parameters kept (every epoch's model): 16 MB of numbers per session.
pub const MAX_SNAPSHOT: usize = 2_000_000;
/// Cells per side of the decision map.
pub const GRID: usize = 60;

/// A run being trained, and every epoch's model so far.
pub struct Session {
    live: Arc<Live>,
    /// The epochs the run has.
    total: usize,
    /// The training rows, scaled.
    pub(super) train: Dataset,
    /// The test rows, scaled.
    pub(super) test: Option<Dataset>,
    /// What scaled them (the unit maps and the decision map are drawn in the data's own units).
    pub(super) scaler: Option<Scaler>,
    loss: Loss,
    /// The feature inputs the run computed from the data's columns, if any: the diagram names
    /// its input units by them.
    features: Option<Features>,
    /// The decision map's plane for the features last asked for. It depends on the data alone,
    /// and finding it puts every row back in the data's units, so a poll reuses it.
    plane: Mutex<Option<Plane>>,
}

/// What the requests and the session's training thread share.
struct Live {
    progress: Mutex<Progress>,
    /// Rung on every change of `progress`.
    changed: Condvar,
}

struct Progress {
    /// Every epoch's figures so far.
    epochs: Vec<EpochStats>,
    /// The model before training, then after each epoch trained.
    models: Vec<Model>,
    /// The thread trains up to this epoch, then waits.
    target: usize,
    /// What the next epoch trains with.
    settings: LiveSettings,
    /// The report (as `train --format json` writes it) once the run is over, or why it stopped.
    end: Option<Result<Value, String>>,
    /// The session is gone: the thread stops at its next epoch.
    closed: bool,
}

impl Live {
    fn progress(&self) -> MutexGuard<'_, Progress> {
        // A thread that panicked holding the lock left numbers no worse than before: go on.
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, Progress>) -> MutexGuard<'a, Progress> {
        self.changed.wait(guard).unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.live.progress().closed = true;
        self.live.changed.notify_all();
    }
}

/// The training thread's observer: before each epoch it waits until the page asks for it and
/// takes the settings as they are then; after it, it keeps the epoch's figures and model.
struct Watch {
    live: Arc<Live>,
}

impl Observer for Watch {
    fn is_live(&self) -> bool {
        true
    }

    fn live(&mut self, epoch: usize) -> crate::Result<Option<LiveSettings>> {
        let mut p = self.live.progress();
        while p.target < epoch && !p.closed {
            p = self.live.wait(p);
        }
        if p.closed {
            return Err(crate::Error::invalid(crate::error::Setting::Training, "the session was closed"));
        }
        Ok(Some(p.settings))
    }

    fn epoch(&mut self, stats: &EpochStats, model: &Model) -> crate::Result<()> {
        let mut p = self.live.progress();
        p.epochs.push(stats.clone());
        p.models.push(model.clone());
        drop(p);
        self.live.changed.notify_all();
        Ok(())
    }
}

/// The run, as `gradlens train` makes it: the same [`TrainJob`], so the same defaults,
/// parameter count, divergence rule and report. The session's bounds are checked once the
/// model is made; its thread then waits for the first epoch to be asked for.
fn run(settings: TrainSettings, data: Dataset) -> Result<Session, ApiError> {
    check_hidden(&settings.hidden)?;
    let epochs = settings.epochs.unwrap_or(defaults::EPOCHS);
    if epochs == 0 || epochs > MAX_EPOCHS {
        return Err(ApiError::too_much(format!("epochs {epochs}: from 1 to {MAX_EPOCHS} on the page")));
    }
    let rows = data.len();
    let run = TrainJob::new(settings, data).prepare()?;
    let parameters = run.parameters();
    let work = epochs as f64 * rows as f64 * parameters as f64;
    if work > MAX_WORK || epochs * parameters > MAX_SNAPSHOT {
        return Err(ApiError::too_much(format!(
            "{epochs} epochs × {rows} rows × {parameters} parameters is more than one session may train; use `gradlens train`"
        )));
    }
    // The run's feature inputs, as its model file will keep them (names over the raw columns).
    let features = match &run.data.columns {
        Some(columns) => Some(Features::parse(&run.data.features.join(","), columns)?),
        None => None,
    };
    let live = Arc::new(Live {
        progress: Mutex::new(Progress {
            epochs: Vec::new(),
            models: vec![run.model.clone()],
            target: 0,
            settings: run.config.train.live(),
            end: None,
            closed: false,
        }),
        changed: Condvar::new(),
    });
    let session = Session {
        live: live.clone(),
        total: epochs,
        train: run.train.clone(),
        test: run.test.clone(),
        scaler: run.scaler.clone(),
        loss: run.config.train.loss,
        features,
        plane: Mutex::new(None),
    };
    std::thread::Builder::new()
        .name("gradlens-session".into())
        .spawn(move || {
            let mut watch = Watch { live: live.clone() };
            let end = run
                .train(&mut watch)
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::to_value(&t.report).map_err(|e| format!("report: {e}")));
            live.progress().end = Some(end);
            live.changed.notify_all();
        })
        .map_err(|e| ApiError::bad(format!("the training thread could not start: {e}")))?;
    Ok(session)
}

impl Session {
    /// The plane over features `fxy`, `cells` per side, that the decision map and the unit maps
    /// share: the other features at the training rows' mean, the ranges taking in the test rows
    /// too (in the data's units). It depends on the data alone, and finding it puts every row
    /// back in the data's units, so it is kept for the features last asked for.
    pub(super) fn plane(&self, fxy: (usize, usize), cells: usize) -> Result<Plane, ApiError> {
        let mut cached = self.plane.lock().unwrap_or_else(|p| p.into_inner());
        let plane = match cached.take() {
            Some(plane) if (plane.fx, plane.fy) == fxy => plane,
            _ => {
                let train = in_data_units(&self.train.features.f64(), self.scaler.as_ref());
                let test = self.test.as_ref().map(|t| in_data_units(&t.features.f64(), self.scaler.as_ref()));
                Plane::spanning(&train, &test.iter().collect::<Vec<_>>(), fxy, cells)?
            }
        };
        *cached = Some(plane.clone());
        Ok(Plane { cells, ..plane })
    }

    /// Every row's point on `plane`, in the data's units: the training rows, then the test rows.
    pub(super) fn points(&self, plane: &Plane) -> Vec<Point> {
        std::iter::once(("train", &self.train))
            .chain(self.test.as_ref().map(|t| ("test", t)))
            .flat_map(|(part, d)| {
                plane.place(&in_data_units(&d.features.f64(), self.scaler.as_ref()), d.target.labels(), part)
            })
            .collect()
    }

    /// The model after `epoch` (trained now if it is not yet), for a picture of it.
    pub(super) fn model_at(&self, epoch: usize) -> Result<Model, ApiError> {
        if epoch > self.total {
            return Err(ApiError::bad(format!("epoch {epoch}: the run has epochs 0 to {}", self.total)));
        }
        Ok(reach(&self.live, epoch, false)?.models[epoch].clone())
    }
}

/// Trains up to `epoch` (the report too, if `report`) and waits for it; the run's error if it
/// stopped before (diverged).
fn reach(live: &Live, epoch: usize, report: bool) -> Result<MutexGuard<'_, Progress>, ApiError> {
    let mut p = live.progress();
    if p.target < epoch {
        p.target = epoch;
        live.changed.notify_all();
    }
    while p.epochs.len() < epoch || (report && p.end.is_none()) {
        if let Some(Err(why)) = &p.end {
            return Err(ApiError::bad(why.clone()));
        }
        p = live.wait(p);
    }
    Ok(p)
}

/// `POST /api/train`: trains the run and opens a session on it.
pub async fn start(
    State(state): State<Arc<AppState>>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let settings: TrainSettings = parse_body(&body(bytes)?)?;
    // Room is made before training, not found missing after it; runs then take turns.
    state.sessions.make_room()?;
    let turn = state.sessions.turn().await;
    let st = state.clone();
    let session = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let (data, name) = st.tables.named(settings.data.as_deref())?;
        // The report names the data as the user knows it (a generated set's name, an upload's
        // file name), not by the id the page holds.
        let mut settings = settings;
        if settings.data.as_deref().is_some_and(|id| id != super::api::IRIS) {
            settings.data = Some(name);
        }
        run(settings, Dataset::clone(&data))
    })
    .await
    .unwrap_or_else(|_| Err(ApiError::bad("the run could not be computed")))?;
    let (epochs, features, classes) =
        (session.total, session.train.feature_names.clone(), session.train.target.names().to_vec());
    let id = state.sessions.add(session)?;
    Ok(Json(json!({ "id": id, "epochs": epochs, "features": features, "classes": classes })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochQuery {
    /// 0 (before training) to the run's last epoch.
    epoch: usize,
    /// The curves' epochs the page has already: only those after it are sent (default 0, all).
    #[serde(default)]
    since: usize,
    /// Send the model file too (default: no, the page draws the diagram it is sent).
    #[serde(default)]
    model: bool,
    /// Send the rows' points on the map too (default: no; they change only with `fx` and `fy`).
    #[serde(default)]
    points: bool,
    /// Send the network's diagram (default: yes; a run's page leaves it out while it is off
    /// screen: a 4-32-16-3 network's is 250 KB a poll).
    #[serde(default = "yes")]
    diagram: bool,
    /// Send the whole report at the last epoch (default: no; it repeats every epoch's curves).
    #[serde(default)]
    report: bool,
    /// The boundary map's features (column indices), default 0 and 1.
    #[serde(default)]
    fx: usize,
    #[serde(default = "one")]
    fy: usize,
}

fn one() -> usize {
    1
}

fn yes() -> bool {
    true
}

/// `GET /api/train/{id}?epoch=N&since=M&fx=…&fy=…[&model=true][&points=true][&report=true][&diagram=false]`:
/// the curves' epochs M+1 to N, the model after epoch N (its diagram, with the values of the
/// first training row, unless left out; its file if asked), its confusion matrix on the test rows (training rows
/// without a test part) and its decision map over two features, the others held at their
/// training mean (the rows' points if asked). At the last epoch, if asked, the whole report
/// `train --format json` prints. A poll sends only what changed: 0.9 MB at epoch 3,000 before.
pub async fn epoch(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    query: Result<Query<EpochQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let session = state.sessions.get(&id)?;
    // Epochs not yet trained are trained now, in a turn (as many runs train at once as before).
    let turn = state.sessions.turn().await;
    tokio::task::spawn_blocking(move || {
        let s = session.lock().map_err(|_| ApiError::bad("session unavailable"))?;
        let total = s.total;
        if q.epoch > total {
            return Err(ApiError::bad(format!("epoch {}: the run has epochs 0 to {total}", q.epoch)));
        }
        if q.since > q.epoch {
            return Err(ApiError::bad(format!("since {}: at most the epoch asked for ({})", q.since, q.epoch)));
        }
        let p = reach(&s.live, q.epoch, q.report && q.epoch == total)?;
        drop(turn);
        let model = &p.models[q.epoch];
        let eval_on = s.test.as_ref().unwrap_or(&s.train);
        let eval_x = eval_on.features.f64();
        let evaluation = evaluate(model, &eval_x, &eval_on.target, s.loss)?;
        // Classes: the confusion matrix and the decision map. Values: each epoch's RMSE and R²
        // (since `since`, as the curves) and the predicted-against-true pairs.
        let (confusion, map, fits, pairs) = match evaluation.fit {
            Fit::Classes { confusion, .. } => {
                let map = boundary(model, &s, (q.fx, q.fy), q.points)?;
                (json!(confusion), map, Value::Null, Value::Null)
            }
            Fit::Values { .. } => {
                let mut fits = Vec::new();
                for m in &p.models[q.since + 1..=q.epoch] {
                    if let Fit::Values { rmse, r_squared } = evaluate(m, &eval_x, &eval_on.target, s.loss)?.fit {
                        fits.push(json!({ "rmse": rmse, "r_squared": r_squared }));
                    }
                }
                let predicted = outputs(model, &eval_x)?;
                let truth = eval_on.target.matrix();
                let pairs: Vec<Vec<[f64; 2]>> = (0..truth.ncols())
                    .map(|k| (0..truth.nrows()).map(|r| [truth[[r, k]], predicted[[r, k]]]).collect())
                    .collect();
                (Value::Null, Value::Null, json!(fits), json!(pairs))
            }
        };
        // The network as it stands at this epoch, its values for the first training row (only
        // if asked: a playing page leaves it out while it is off screen).
        let diagram_of = |model: &Model| ExplainRequest {
            model: model.clone(),
            inputs: s.train.features.rows_as(0, 1),
            scaler: None,
            targets: s.train.target.select(&[0]),
            update: Update::Sgd { learning_rate: p.settings.learning_rate },
            loss: s.loss,
            freeze_bias: false,
            penalty: crate::loss::Penalty::NONE,
            class_names: s.train.class_names().map(<[String]>::to_vec),
            feature_names: Some(s.train.feature_names.clone()),
            features: s.features.clone().map(|features| FeatureInputs { features, measured: None }),
        };
        let network = match q.diagram {
            true => Some(diagram::svg(&explain(&diagram_of(model))?, diagram::Shows::Values)),
            false => None,
        };
        Ok(Json(json!({
            "epoch": q.epoch,
            "total": total,
            "since": q.since,
            "stats": &p.epochs[q.since..q.epoch],
            "evaluated_on": if s.test.is_some() { "test" } else { "train" },
            "confusion": confusion,
            "boundary": map,
            "fits": fits,
            "pairs": pairs,
            "model": if q.model { serde_json::to_value(model.to_file()).unwrap_or(Value::Null) } else { Value::Null },
            "diagram": network,
            "report": match &p.end {
                Some(Ok(report)) if q.report && q.epoch == total => report.clone(),
                _ => Value::Null,
            },
            // Where the next epoch trained stands: the settings it takes.
            "settings": p.settings,
        })))
    })
    .await
    .unwrap_or_else(|_| Err(ApiError::bad("the epoch could not be computed")))
}

/// The decision map over features `fx` and `fy` ([`decision_map`], in the data's units) on the
/// session's [`Session::plane`]; and every row's point if asked.
fn boundary(model: &Model, s: &Session, fxy: (usize, usize), with_points: bool) -> Result<Value, ApiError> {
    let plane = s.plane(fxy, GRID)?;
    let map = decision_map(model, s.scaler.as_ref(), &plane)?;
    let points = if with_points { s.points(&plane) } else { Vec::new() };
    // The map's shading only: to 0.001 (full digits were three quarters of a poll).
    let confidence: Vec<Vec<f64>> =
        map.probability.iter().map(|r| r.iter().map(|p| (p * 1000.0).round() / 1000.0).collect()).collect();
    Ok(json!({
        "fx": plane.fx, "fy": plane.fy, "x": plane.x, "y": plane.y,
        "class": map.class, "confidence": confidence, "points": points,
    }))
}

/// The settings a running session may change, all of them (`train`'s names): the step size,
/// the weight penalty's rates and the batch size (absent: every training row).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    lr: f64,
    #[serde(default)]
    l2: f64,
    #[serde(default)]
    l1: f64,
    batch_size: Option<usize>,
}

/// `POST /api/train/{id}/settings` with a [`Change`]: the epochs trained from now on take it
/// (the report's `changes` says from which). Answers `{from_epoch}`: the next epoch to train.
pub async fn change(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let c: Change = parse_body(&body(bytes)?)?;
    let settings =
        LiveSettings { learning_rate: c.lr, penalty: Penalty { l2: c.l2, l1: c.l1 }, batch_size: c.batch_size };
    settings.check()?;
    let session = state.sessions.get(&id)?;
    // The session is locked while an epoch is trained: the change waits for it, off the runtime,
    // and so lands between epochs, on the next one.
    tokio::task::spawn_blocking(move || {
        let s = session.lock().map_err(|_| ApiError::bad("session unavailable"))?;
        let mut p = s.live.progress();
        if p.epochs.len() == s.total {
            return Err(ApiError::bad(format!("the run has trained all its {} epochs: set it up again", s.total)));
        }
        p.settings = settings;
        Ok(Json(json!({ "from_epoch": p.epochs.len() + 1, "settings": settings })))
    })
    .await
    .unwrap_or_else(|_| Err(ApiError::bad("the change could not be made")))
}

/// `DELETE /api/train/{id}`.
pub async fn stop(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    if state.sessions.remove(&id) {
        Ok(Json(json!({ "stopped": id })))
    } else {
        Err(ApiError::not_found(format!("training session '{}': none", super::error::shorten(&id, 40))))
    }
}
