//! The `--trace` line formats: each traced step as one JSON line, the full explanation or a
//! compact one (loss and each dense layer's parameters, gradients and new parameters).

use crate::error::{Error, Result};
use crate::loss::{Loss, Penalty};
use crate::trace::{ExplainRequest, Explanation, LayerTrace, Matrix, Update, explain};
use crate::train::Step;
use crate::update::{Optimizer, OptimizerState};
use serde::Serialize;

/// What every line of a run's trace shares: the run's settings and names, and which steps.
#[derive(Debug, Clone)]
pub struct TraceFormat {
    /// The run's optimizer, whose state each step continues.
    pub optimizer: Optimizer,
    /// The run's loss.
    pub loss: Loss,
    /// Whether the run keeps its biases.
    pub freeze_bias: bool,
    /// The run's weight penalty.
    pub penalty: Penalty,
    /// The class names, when the targets are classes.
    pub class_names: Option<Vec<String>>,
    /// The feature names.
    pub feature_names: Vec<String>,
    /// Trace every this many steps (from step 0).
    pub every: usize,
    /// The compact form.
    pub compact: bool,
}

/// One `--trace-compact` line: where the step is, its loss, and each dense layer's parameters,
/// gradients and new parameters.
#[derive(Serialize)]
struct CompactLine<'a> {
    schema: u32,
    epoch: usize,
    step: usize,
    loss: f64,
    new_loss: f64,
    layers: Vec<CompactLayer<'a>>,
}

#[derive(Serialize)]
struct CompactLayer<'a> {
    /// The dense layer's number, from 1, as explain's "Layer 1" and the .npy files count.
    layer: usize,
    weights: &'a Matrix,
    bias: &'a Option<Vec<f64>>,
    grad_weights: &'a Matrix,
    grad_bias: &'a Option<Vec<f64>>,
    new_weights: &'a Matrix,
    new_bias: &'a Option<Vec<f64>>,
}

/// One `--trace` line: the step's explanation, with where it falls in the run.
#[derive(Serialize)]
struct TraceLine<'a> {
    schema: u32,
    epoch: usize,
    step: usize,
    #[serde(flatten)]
    explanation: &'a Explanation,
}

impl TraceFormat {
    /// The line for `step`, newline included; `None` for a step not traced.
    pub fn line(&self, step: &Step) -> Result<Option<Vec<u8>>> {
        if !step.step.is_multiple_of(self.every.max(1)) {
            return Ok(None);
        }
        let explanation = explain(&ExplainRequest {
            model: step.model.clone(),
            inputs: step.x.clone(),
            scaler: None,
            targets: step.targets.clone(),
            update: Update::Run {
                optimizer: self.optimizer,
                memory: OptimizerState { t: step.step, ..step.state.memory().clone() },
            },
            loss: self.loss,
            freeze_bias: self.freeze_bias,
            penalty: self.penalty,
            class_names: self.class_names.clone(),
            feature_names: Some(self.feature_names.clone()),
            features: None,
        })?;
        let bytes = if self.compact {
            let layers = explanation
                .layers
                .iter()
                .filter_map(|l| match l {
                    LayerTrace::Dense(d) => Some(d),
                    _ => None,
                })
                .enumerate()
                .map(|(i, d)| CompactLayer {
                    layer: i + 1,
                    weights: &d.weights,
                    bias: &d.bias,
                    grad_weights: &d.grad_weights,
                    grad_bias: &d.grad_bias,
                    new_weights: &d.new_weights,
                    new_bias: &d.new_bias,
                })
                .collect();
            let line = CompactLine {
                schema: super::SCHEMA,
                epoch: step.epoch,
                step: step.step,
                loss: explanation.loss,
                new_loss: explanation.new_loss,
                layers,
            };
            serde_json::to_vec(&line)
        } else {
            serde_json::to_vec(&TraceLine {
                schema: super::SCHEMA,
                epoch: step.epoch,
                step: step.step,
                explanation: &explanation,
            })
        };
        let mut bytes = bytes.map_err(|e| Error::Io { path: "trace".into(), source: std::io::Error::other(e) })?;
        bytes.push(b'\n');
        Ok(Some(bytes))
    }

    /// How many lines a run of `steps` steps writes.
    pub fn lines(&self, steps: u64) -> u64 {
        steps.div_ceil(self.every.max(1) as u64)
    }
}
