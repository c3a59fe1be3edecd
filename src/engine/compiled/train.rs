//! The training loop on the compiled engine: the semantics of [`crate::train::train`] (the same
//! batches from the same random draws, each batch's loss before its update, the step counter
//! running across epochs, accuracies with the parameters after the epoch, the same divergence
//! errors), with the steps taken by a [`Plan`].
//!
//! Accuracy after an epoch costs no second pass when there is one batch: the next step's forward
//! pass computes the logits of exactly those parameters on exactly those rows, so epoch e is
//! reported during step e + 1, before its update (and the last epoch after one forward pass).
//! With minibatches a forward-only pass over the training rows (no loss, no exp) gives it.

use super::kernels::Gemm;
use super::optim::FlatOptimizer;
use super::spec::{from_model, write_params};
use super::{Dtype, Plan, Real};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::model::Model;
use crate::train::{EpochStats, Observer, TrainConfig, TrainResult};
use rand::Rng;
use rand::seq::SliceRandom;

/// How the engine runs: its float type and its threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    pub dtype: Dtype,
    /// ≥ 1.
    pub threads: usize,
}

impl Default for EngineOptions {
    /// f64 on every core.
    fn default() -> Self {
        EngineOptions { dtype: Dtype::F64, threads: std::thread::available_parallelism().map_or(1, |n| n.get()) }
    }
}

/// Trains `model` on `train` (scaled), measuring `test` after every epoch; `rng` draws the
/// shuffles and nothing else. The caller has checked the config against the model and data
/// (`crate::train::train_on` does).
pub fn train<R: Rng + ?Sized>(
    options: EngineOptions,
    config: &TrainConfig,
    model: Model,
    train: &Dataset,
    test: Option<&Dataset>,
    rng: &mut R,
    observer: &mut dyn Observer,
) -> Result<TrainResult> {
    match options.dtype {
        Dtype::F64 => run::<f64, R>(options.threads, config, model, train, test, rng, observer),
        Dtype::F32 => run::<f32, R>(options.threads, config, model, train, test, rng, observer),
    }
}

/// A data set's rows as one row-major slice (a copy only if its array is not laid out so).
fn rows(data: &Dataset) -> std::borrow::Cow<'_, [f64]> {
    match data.features.as_slice() {
        Some(s) => s.into(),
        None => data.features.iter().copied().collect::<Vec<f64>>().into(),
    }
}

fn run<F: Real, R: Rng + ?Sized>(
    threads: usize,
    config: &TrainConfig,
    model: Model,
    train: &Dataset,
    test: Option<&Dataset>,
    rng: &mut R,
    observer: &mut dyn Observer,
) -> Result<TrainResult> {
    let (spec, flat) = from_model(&model, Loss::CrossEntropy { log_base: config.log_base })?;
    let (n, features) = (train.len(), train.features.ncols());
    let batch_size = config.batch_size.unwrap_or(n).min(n);
    let batches = n.div_ceil(batch_size);
    let train_rows = rows(train);
    let xs = F::from_f64_slice(&train_rows);
    let test_rows = test.map(rows);
    let test_xs = test_rows.as_deref().map(F::from_f64_slice);

    let mut params: Vec<F> = flat.iter().map(|&v| F::of(v)).collect();
    let mut plan = Plan::<F>::new(spec, batch_size, Gemm::new(threads)?)?;
    let mut opt = FlatOptimizer::<F>::new(config.optimizer, params.len());
    // One batch holds every row whatever the order: nothing to shuffle (as the tape's loop).
    let shuffled = config.shuffle && batches > 1;
    let mut order: Vec<usize> = (0..n).collect();
    let (mut xb, mut lb) =
        if shuffled { (vec![F::zero(); batch_size * features], vec![0; batch_size]) } else { (Vec::new(), Vec::new()) };
    let mut classes = vec![0; batch_size];

    let mut current = model;
    let mut history = Vec::with_capacity(config.epochs);
    // Full batch: epoch e's figures wait for step e + 1's forward pass to give its accuracy.
    let mut waiting: Option<EpochStats> = None;
    let mut step = 0;
    for epoch in 1..=config.epochs {
        if shuffled {
            order.shuffle(rng);
        }
        let mut total = 0.0;
        for b in 0..batches {
            let (start, end) = (b * batch_size, ((b + 1) * batch_size).min(n));
            let (x, labels): (&[F], &[usize]) = if shuffled {
                for (r, &i) in order[start..end].iter().enumerate() {
                    xb[r * features..(r + 1) * features].copy_from_slice(&xs[i * features..(i + 1) * features]);
                    lb[r] = train.labels[i];
                }
                (&xb[..(end - start) * features], &lb[..end - start])
            } else {
                (&xs[start * features..end * features], &train.labels[start..end])
            };
            let out = plan.loss_and_grad(&params, x, labels);
            if let Some(mut stats) = waiting.take() {
                if !out.logits_finite {
                    return Err(diverged::<F>(stats.epoch));
                }
                stats.train_accuracy = out.correct as f64 / n as f64;
                finish_epoch(stats, &params, &mut current, observer, &mut history)?;
            }
            total += out.loss.to_f64().expect("a float");
            opt.update(step, &plan.grad, &mut params);
            step += 1;
        }
        let loss = total / batches as f64;
        // Past this point every number is NaN or infinite, and a model file cannot hold them.
        if !loss.is_finite() || params.iter().any(|v| !v.is_finite()) {
            return Err(diverged::<F>(epoch));
        }
        let test_accuracy = match (&test_xs, test) {
            (Some(x), Some(t)) => {
                Some(accuracy(&mut plan, &params, x, &t.labels, &mut classes).map_err(|_| diverged::<F>(epoch))?)
            }
            _ => None,
        };
        let stats = EpochStats { epoch, loss, train_accuracy: f64::NAN, test_accuracy };
        if batches == 1 && epoch < config.epochs {
            waiting = Some(stats);
        } else {
            let train_accuracy =
                accuracy(&mut plan, &params, &xs, &train.labels, &mut classes).map_err(|_| diverged::<F>(epoch))?;
            finish_epoch(EpochStats { train_accuracy, ..stats }, &params, &mut current, observer, &mut history)?;
        }
    }
    Ok(TrainResult { model: current, epochs: history })
}

/// Hands the epoch's figures and model to the observer and keeps them.
fn finish_epoch<F: Real>(
    stats: EpochStats,
    params: &[F],
    current: &mut Model,
    observer: &mut dyn Observer,
    history: &mut Vec<EpochStats>,
) -> Result<()> {
    write_params(params, current);
    observer.epoch(&stats, current)?;
    history.push(stats);
    Ok(())
}

/// The share of rows `x` (row-major) classed as `labels` say, in batches the plan holds; an
/// error if the outputs overflow.
fn accuracy<F: Real>(
    plan: &mut Plan<F>,
    params: &[F],
    x: &[F],
    labels: &[usize],
    classes: &mut [usize],
) -> Result<f64> {
    if labels.is_empty() {
        return Ok(0.0);
    }
    let features = x.len() / labels.len();
    let mut right = 0;
    for (xs, ls) in x.chunks(plan.capacity() * features).zip(labels.chunks(plan.capacity())) {
        let classes = &mut classes[..ls.len()];
        plan.classify(params, xs, classes)?;
        right += classes.iter().zip(ls).filter(|(c, l)| c == l).count();
    }
    Ok(right as f64 / labels.len() as f64)
}

fn diverged<F: Real>(epoch: usize) -> Error {
    let ty = if F::NAME == "f32" { "float32" } else { "float64" };
    Error::invalid(
        "training",
        format!("diverged in epoch {epoch}: the loss or the weights overflow {ty}; try a smaller step size"),
    )
}
