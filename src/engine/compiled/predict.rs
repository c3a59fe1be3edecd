//! Prediction on the compiled engine: the log-probabilities of [`crate::predict::log_probabilities`]
//! and the outputs of [`crate::predict::outputs`] (f64: the same numbers to rounding), in blocks
//! of rows through one [`Plan`].

use super::kernels::Gemm;
use super::plan::Batch;
use super::spec::from_model;
use super::train::EngineOptions;
use super::{Dtype, Plan, Real};
use crate::error::{Error, Result, shape};
use crate::loss::Loss;
use crate::model::Model;
use ndarray::Array2;

/// Rows per block.
const BLOCK: usize = 4096;

/// Natural-log class probabilities ln ŷ of every row of `x`.
///
/// # Shapes
/// `x`: m×in → m×k.
pub fn log_probabilities(options: EngineOptions, model: &Model, x: &Array2<f64>) -> Result<Array2<f64>> {
    predict(options, model, x, Read::LogProbabilities)
}

/// The model's outputs ŷ for every row of `x` (a regression model's predictions).
///
/// # Shapes
/// `x`: m×in → m×k.
pub fn outputs(options: EngineOptions, model: &Model, x: &Array2<f64>) -> Result<Array2<f64>> {
    predict(options, model, x, Read::Outputs)
}

/// What a prediction reads from the network.
#[derive(Clone, Copy)]
enum Read {
    LogProbabilities,
    Outputs,
}

fn predict(options: EngineOptions, model: &Model, x: &Array2<f64>, read: Read) -> Result<Array2<f64>> {
    if x.ncols() != model.in_width() {
        return Err(Error::Shape {
            op: "predict",
            detail: format!("x {} but the model takes {} inputs", shape(x.dim()), model.in_width()),
        });
    }
    match options.dtype {
        Dtype::F64 => run::<f64>(options.threads, model, x, read),
        Dtype::F32 => run::<f32>(options.threads, model, x, read),
    }
}

fn run<F: Real>(threads: usize, model: &Model, x: &Array2<f64>, read: Read) -> Result<Array2<f64>> {
    // Prediction computes no loss. The quadratic one sets no rule for the output layer, so every
    // model the tape predicts with (a sigmoid or linear output too) runs here as well.
    let (spec, flat) = from_model(model, Loss::Quadratic)?;
    let params: Vec<F> = flat.iter().map(|&v| F::of(v)).collect();
    let (m, f, k) = (x.nrows(), x.ncols(), spec.out_width());
    let mut out = Array2::zeros((m, k));
    if m == 0 {
        return Ok(out);
    }
    let mut plan = Plan::<F>::new(spec, m.min(BLOCK), Gemm::new(threads)?)?;
    let rows = x.as_standard_layout();
    let data = rows.as_slice().expect("standard layout");
    let mut block = vec![F::zero(); m.min(BLOCK) * k];
    // f32 rows are rounded a block at a time: never an f32 copy of the whole input.
    let mut rounded = vec![F::zero(); if F::CONVERTS { m.min(BLOCK) * f } else { 0 }];
    for start in (0..m).step_by(BLOCK) {
        let end = (start + BLOCK).min(m);
        let batch = Batch::rows(F::view_f64(&data[start * f..end * f], &mut rounded), end - start, f);
        match read {
            Read::LogProbabilities => plan.log_probabilities(&params, batch, start, &mut block)?,
            Read::Outputs => plan.outputs(&params, batch, start, &mut block)?,
        }
        for (o, &v) in out.slice_mut(ndarray::s![start..end, ..]).iter_mut().zip(&block) {
            *o = v.to_f64().expect("a float");
        }
    }
    Ok(out)
}
