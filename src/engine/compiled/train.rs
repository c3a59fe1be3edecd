//! The training loop on the compiled engine: the semantics of [`crate::train::train`] (the same
//! batches from the same random draws, each batch's loss before its update, the step counter
//! running across epochs, the training accuracy taken as [`TrainAccuracy`] says, the same
//! divergence errors), with the steps taken by a [`Plan`].
//!
//! Accuracy after an epoch ([`TrainAccuracy::AfterEpoch`]) costs no second pass when there is one
//! batch: the next step's forward pass computes the logits of exactly those parameters on exactly
//! those rows, so epoch e is reported during step e + 1, before its update (and the last epoch
//! after one forward pass). With minibatches a forward-only pass over the training rows (no loss,
//! no exp) gives it. The steps' accuracy ([`TrainAccuracy::Steps`]) is counted by the steps
//! themselves ([`Plan::train_step`]'s `correct`), and no pass over the training rows is made.

use super::kernels::Gemm;
use super::optim::FlatOptimizer;
use super::plan::{Batch, Picked};
use super::small::LossSum;
use super::spec::{from_model, write_params};
use super::{Dtype, Plan, Real};
use crate::data::{Dataset, FeatureMatrix, Number, Targets};
use crate::engine::training::{EpochStats, Observer, TrainAccuracy, TrainConfig, TrainResult};
use crate::error::{Error, Result};
use crate::model::Model;
use rand::Rng;
use rand::seq::SliceRandom;

/// The most rows an accuracy pass takes at once.
pub const EVAL_ROWS: usize = 4096;

/// How the engine runs: its float type and its threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// The float type.
    pub dtype: Dtype,
    /// Threads for the matrix products, ≥ 1.
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

/// Data sets up to this many numbers are kept feature-major (a transposed copy): the first
/// product then runs along contiguous samples. Larger ones are read as they are, batches as views.
const TRANSPOSE_MAX: usize = 1 << 20;

/// A data set's features as the plan reads them.
enum Store<'a, F> {
    /// Small data: a feature-major copy (features×n) in the engine's type.
    Columns(Vec<F>),
    /// Large data held in memory in the engine's type, row-major: batches are views of it.
    Rows(&'a [F]),
    /// Large data held otherwise (float64 for an f32 run, a memory-mapped file): each batch is
    /// read into a batch buffer, converted and scaled as it is read (no copy of the whole set:
    /// less memory, and the batch is hot in cache for the product).
    Read(&'a FeatureMatrix),
}

struct Rows<'a, F> {
    store: Store<'a, F>,
    n: usize,
    features: usize,
}

impl<'a, F: Real + Number> Rows<'a, F> {
    fn of(data: &'a Dataset) -> Rows<'a, F> {
        let x = &data.features;
        let (n, features) = x.dim();
        let store = if n * features <= TRANSPOSE_MAX {
            let mut rows = vec![F::zero(); n * features];
            x.read_rows(0, n, &mut rows);
            Store::Columns((0..features).flat_map(|r| rows.iter().skip(r).step_by(features.max(1)).copied()).collect())
        } else if let Some(held) = F::held(x) {
            Store::Rows(held.as_slice().expect("held row-major"))
        } else {
            Store::Read(x)
        };
        Rows { store, n, features }
    }

    /// Whether batches need a buffer of their own (data read into one, or any gathered batch).
    fn needs_buffer(&self) -> bool {
        matches!(self.store, Store::Read(_))
    }

    /// Says whether the next rows are read at random (gathered in a shuffled order) or in order.
    fn expect_random(&self, random: bool) {
        if let Store::Read(x) = &self.store {
            x.expect_random(random);
        }
    }

    /// Rows [start, end): a view, or their reading into `buf`.
    fn batch<'b>(&'b self, start: usize, end: usize, buf: &'b mut [F]) -> Batch<'b, F> {
        let (m, f) = (end - start, self.features);
        match &self.store {
            Store::Columns(data) => Batch::columns(&data[start..], m, self.n),
            Store::Rows(src) => Batch::rows(&src[start * f..end * f], m, f),
            Store::Read(x) => {
                x.read_rows(start, end, &mut buf[..m * f]);
                Batch::rows(&buf[..m * f], m, f)
            }
        }
    }

    /// The rows `picked` copied into `buf`, as a batch.
    fn gather<'b>(&self, picked: &[usize], buf: &'b mut [F]) -> Batch<'b, F> {
        let (m, f) = (picked.len(), self.features);
        match &self.store {
            Store::Columns(data) => {
                for r in 0..f {
                    let src = &data[r * self.n..(r + 1) * self.n];
                    for (dst, &i) in buf[r * m..(r + 1) * m].iter_mut().zip(picked) {
                        *dst = src[i];
                    }
                }
                return Batch::columns(&buf[..m * f], m, m);
            }
            Store::Rows(src) => {
                for (dst, &i) in buf.chunks_exact_mut(f).zip(picked) {
                    dst.copy_from_slice(&src[i * f..(i + 1) * f]);
                }
            }
            Store::Read(x) => {
                x.gather(picked, &mut buf[..m * f]);
            }
        }
        Batch::rows(&buf[..m * f], m, f)
    }
}

fn run<F: Real + Number, R: Rng + ?Sized>(
    threads: usize,
    config: &TrainConfig,
    model: Model,
    train: &Dataset,
    test: Option<&Dataset>,
    rng: &mut R,
    observer: &mut dyn Observer,
) -> Result<TrainResult> {
    let (spec, flat) = from_model(&model, config.loss)?;
    let (n, features) = (train.len(), train.features.ncols());
    let batch_size = config.batch_size.unwrap_or(n).min(n);
    let batches = n.div_ceil(batch_size);
    let xs = Rows::<F>::of(train);
    let test_xs = test.map(Rows::<F>::of);
    let classes_given = train.labels().is_some();

    let mut params: Vec<F> = flat.iter().map(|&v| F::of(v)).collect();
    // The steps count their own accuracy: then only a test part is read by evaluation passes.
    let after_epoch = config.train_accuracy == TrainAccuracy::AfterEpoch;
    let evaluated = if after_epoch { n } else { 0 };
    // The accuracy passes run forward only, in blocks of up to EVAL_ROWS rows: a plan of its own,
    // so that minibatches of 1 do not mean a pass of n forward calls.
    let eval_rows = evaluated.max(test.map_or(0, Dataset::len)).clamp(1, EVAL_ROWS);
    let gemm = Gemm::new(threads)?;
    let mut eval = Plan::<F>::new(spec.clone(), eval_rows, gemm.clone())?;
    let mut plan = Plan::<F>::new(spec, batch_size, gemm.keeping_rows())?;
    let mut opt = FlatOptimizer::<F>::new(config.optimizer, params.len());
    // One batch holds every row whatever the order: nothing to shuffle (as the tape's loop).
    let shuffled = config.shuffle && batches > 1;
    // Single samples under plain sgd: the update is made as the gradient is formed (several
    // batches, so no step's forward pass stands for an epoch's accuracy after the update).
    let fused_sgd = opt
        .sgd_rate()
        .filter(|_| batch_size == 1 && batches > 1 && config.penalty.is_none() && !config.freeze_bias)
        .filter(|_| plan.fuses_sgd(&train.target));
    let mut order: Vec<usize> = (0..n).collect();
    let mut xb = if shuffled || xs.needs_buffer() { vec![F::zero(); batch_size * features] } else { Vec::new() };
    let needs_eval_buffer = (after_epoch && xs.needs_buffer()) || test_xs.as_ref().is_some_and(Rows::needs_buffer);
    let mut eval_buf = if needs_eval_buffer { vec![F::zero(); eval_rows * features] } else { Vec::new() };

    let mut current = model;
    // Every epoch's figures, when kept: sized once (W1: 10,000), not grown by copying.
    let mut history = Vec::with_capacity(if observer.keeps_history() { config.epochs.min(1 << 16) } else { 0 });
    // Full batch: epoch e's figures wait for step e + 1's forward pass to give its accuracy.
    let mut waiting: Option<EpochStats> = None;
    let mut losses = LossSum::deferred();
    let mut step = 0;
    for epoch in 1..=config.epochs {
        // The samples this epoch's steps class right before their updates (TrainAccuracy::Steps).
        let mut right = 0;
        if shuffled {
            order.shuffle(rng);
        }
        xs.expect_random(shuffled);
        for b in 0..batches {
            let (start, end) = (b * batch_size, ((b + 1) * batch_size).min(n));
            let (x, rows): (Batch<F>, Picked) = if shuffled {
                (xs.gather(&order[start..end], &mut xb), Picked::Rows(&order[start..end]))
            } else {
                (xs.batch(start, end, &mut xb), Picked::Span { start, end })
            };
            let out = match fused_sgd {
                Some(lr) => plan.sgd_sample_step(&mut params, x, &train.target, rows, &mut losses, lr),
                None => plan.train_step(&params, x, &train.target, rows, &mut losses),
            };
            if !after_epoch {
                // The steps' accuracy needs finite logits, as an evaluation pass would.
                if !out.logits_finite {
                    return Err(diverged::<F>(epoch));
                }
                right += out.correct;
            }
            if let Some(mut stats) = waiting.take() {
                if !out.logits_finite {
                    return Err(diverged::<F>(stats.epoch));
                }
                stats.train_accuracy = classes_given.then(|| out.correct as f64 / n as f64);
                finish_epoch(stats, &params, &mut current, observer, &mut history)?;
            }
            if fused_sgd.is_some() {
                opt.count(step);
                step += 1;
                continue;
            }
            if !config.penalty.is_none() {
                losses.add_penalty(plan.add_penalty(config.penalty, &params));
            }
            if config.freeze_bias {
                plan.freeze_biases();
            }
            opt.update(step, &plan.grad, &mut params, &gemm);
            step += 1;
        }
        let loss = losses.finish() / batches as f64;
        // Past this point every number is NaN or infinite, and a model file cannot hold them.
        if !loss.is_finite() || params.iter().any(|v| !v.is_finite()) {
            return Err(diverged::<F>(epoch));
        }
        // The evaluation passes read the rows in order.
        xs.expect_random(false);
        let test_figures = match (&test_xs, test) {
            (Some(x), Some(t)) => Some(
                loss_and_accuracy(&mut eval, &params, x, &t.target, &mut eval_buf)
                    .ok_or_else(|| diverged::<F>(epoch))?,
            ),
            _ => None,
        };
        let stats = EpochStats {
            epoch,
            loss,
            train_accuracy: None,
            test_accuracy: test_figures.and_then(|t| t.1),
            test_loss: test_figures.map(|t| t.0),
        };
        if !after_epoch {
            let train_accuracy = classes_given.then(|| right as f64 / n as f64);
            finish_epoch(EpochStats { train_accuracy, ..stats }, &params, &mut current, observer, &mut history)?;
        } else if batches == 1 && epoch < config.epochs {
            waiting = Some(stats);
        } else {
            let train_accuracy = match &train.target {
                Targets::Classes { labels, .. } => {
                    Some(accuracy(&mut eval, &params, &xs, labels, &mut eval_buf).map_err(|_| diverged::<F>(epoch))?)
                }
                // No accuracy to measure, but outputs that overflow are still divergence.
                Targets::Values { .. } => {
                    loss_and_accuracy(&mut eval, &params, &xs, &train.target, &mut eval_buf)
                        .ok_or_else(|| diverged::<F>(epoch))?;
                    None
                }
            };
            finish_epoch(EpochStats { train_accuracy, ..stats }, &params, &mut current, observer, &mut history)?;
        }
    }
    write_params(&params, &mut current);
    Ok(TrainResult { model: current, epochs: history, state: opt.memory(), changes: Vec::new() })
}

/// Hands the epoch's figures and model (if it reads models) to the observer and keeps them.
fn finish_epoch<F: Real>(
    stats: EpochStats,
    params: &[F],
    current: &mut Model,
    observer: &mut dyn Observer,
    history: &mut Vec<EpochStats>,
) -> Result<()> {
    if observer.wants_models() {
        write_params(params, current);
    }
    observer.epoch(&stats, current)?;
    if observer.keeps_history() {
        history.push(stats);
    }
    Ok(())
}

/// The run's loss on the rows (their mean, as the tape's evaluation takes it) and, for classes,
/// the share classed right, from forward passes in blocks the plan holds; `None` if the outputs
/// overflow.
fn loss_and_accuracy<F: Real + Number>(
    plan: &mut Plan<F>,
    params: &[F],
    x: &Rows<F>,
    y: &Targets,
    buf: &mut [F],
) -> Option<(f64, Option<f64>)> {
    let accuracy = |right: usize| y.labels().is_some().then(|| right as f64 / x.n.max(1) as f64);
    if x.n == 0 {
        return Some((0.0, accuracy(0)));
    }
    let (mut total, mut right) = (0.0, 0);
    for start in (0..x.n).step_by(plan.capacity()) {
        let end = (start + plan.capacity()).min(x.n);
        let out = plan.loss(params, x.batch(start, end, buf), y, Picked::Span { start, end });
        if !out.logits_finite {
            return None;
        }
        total += out.loss.to_f64().expect("a float") * (end - start) as f64;
        right += out.correct;
    }
    Some((total / x.n as f64, accuracy(right)))
}

/// The share of the rows classed as `labels` say, in blocks the plan holds; an error if the
/// outputs overflow.
fn accuracy<F: Real + Number>(
    plan: &mut Plan<F>,
    params: &[F],
    x: &Rows<F>,
    labels: &[usize],
    buf: &mut [F],
) -> Result<f64> {
    if labels.is_empty() {
        return Ok(0.0);
    }
    let mut right = 0;
    for start in (0..x.n).step_by(plan.capacity()) {
        let end = (start + plan.capacity()).min(x.n);
        right += plan.correct(params, x.batch(start, end, buf), &labels[start..end])?;
    }
    Ok(right as f64 / labels.len() as f64)
}

fn diverged<F: Real>(epoch: usize) -> Error {
    crate::engine::training::diverged(epoch, F::FLOAT_NAME)
}
