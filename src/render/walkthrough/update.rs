//! Stage 6 of the walk-through: the step each weight takes.

use super::{Ctx, MAX_WORKED_WEIGHTS, input_cols, table, weight_rows, worked_rows};
use crate::render::doc::{Doc, Span, spans};
use crate::render::fmt_num;
use crate::render::math::{self, Math, cat, d_loss, minus, times, vector};
use crate::trace::{DenseTrace, LayerTrace};
use crate::update::Optimizer;

/// Stage 6: every weight takes a step against its gradient.
pub(super) fn update(doc: &mut Doc, c: &Ctx) {
    let alpha = c.e.learning_rate;
    if !matches!(c.e.optimizer, Optimizer::Sgd { .. }) {
        return run_update(doc, c);
    }
    doc.stage("update", "The update: each weight steps against its gradient");
    doc.para(spans![
        "Plain gradient descent: each weight moves against its gradient, scaled by the step size ",
        cat!(math::alpha(), " = ", alpha),
        ":"
    ]);
    for (i, layer) in c.e.layers.iter().enumerate() {
        let LayerTrace::Dense(dense) = layer else { continue };
        let (w, b) = (c.weights_of(i), c.bias_of(i));
        if c.sym.multi() {
            doc.sub(spans![format!("Layer {}", c.sym.dense_number(i))]);
        }
        let step = |name: Math, old: f64, grad: f64, new: f64| {
            vec![cat!(name, ": ", old, minus(), alpha, times(), Math::factor(grad)), Math::num(new)]
        };
        let rule =
            cat!(w.letters("ij"), Math::new(" ← ", " \\leftarrow "), w.letters("ij"), minus(), math::alpha(), times());
        doc.formula(cat!(rule, d_loss(&w.letters("ij"))));
        let (units, width) = dense.weights.dim();
        let all = dense.weights.len() <= MAX_WORKED_WEIGHTS;
        // With a penalty the step takes ∂L/∂W = ∂L_data/∂W + the penalty's part (stage 5b).
        let grad = c.e.step_gradient(i).expect("a dense layer");
        let lines = worked_rows(units, all)
            .flat_map(|r| (0..width).map(move |j| (r, j)))
            .map(|(r, j)| step(w.at2(r, j), dense.weights[[r, j]], grad[[r, j]], dense.new_weights[[r, j]]))
            .collect();
        doc.worked(lines);
        if !all {
            doc.para(spans!["Only the first row is written out; the matrix holds every new weight."]);
        }
        if dense.bias.is_some() && c.e.freeze_bias {
            doc.para(spans![
                "The biases are frozen (",
                Span::Code("--freeze-bias".into()),
                "): they keep their values, whatever their gradients ",
                d_loss(&b.letters("i")),
                " above say."
            ]);
        } else if let (Some(old), Some(grad), Some(new)) = (&dense.bias, &dense.grad_bias, &dense.new_bias) {
            doc.para(spans!["The bias steps the same way:"]);
            doc.worked((0..units).map(|r| step(b.at(r), old[r], grad[r], new[r])).collect());
        }
        new_parameters(doc, c, i, dense);
    }
}

/// A dense layer's weights and bias after the step, as matrices.
fn new_parameters(doc: &mut Doc, c: &Ctx, i: usize, dense: &DenseTrace) {
    let (w, b) = (c.weights_of(i), c.bias_of(i));
    let (units, width) = dense.weights.dim();
    doc.matrix(table(
        spans!["The new weights ", w.whole(), ":"],
        weight_rows(c, i, units),
        input_cols(c, i, width),
        &dense.new_weights,
    ));
    if let Some(new) = &dense.new_bias {
        doc.worked(vec![vec![b.whole(), vector(new.iter().copied())]]);
    }
}

/// Stage 6 for a step of a training run with momentum or adam (`train --trace`): the step also
/// depends on the optimizer's state from earlier steps, which the explanation does not hold, so
/// the rule is stated and the new weights are shown.
fn run_update(doc: &mut Doc, c: &Ctx) {
    doc.stage("update", "The update: the optimizer's step");
    let rule = match c.e.optimizer {
        Optimizer::Momentum { mass, .. } => format!(
            "Momentum (mass {}): each weight keeps a velocity v ← {}·v + ∂L/∂W, carried from the run's earlier \
             steps, and steps W ← W − α·v, with α = {}.",
            fmt_num(mass),
            fmt_num(mass),
            fmt_num(c.e.learning_rate)
        ),
        Optimizer::Adam { b1, b2, eps, .. } => format!(
            "Adam (b1 {}, b2 {}, eps {}): each weight keeps running means of its gradient and of its square, \
             carried from the run's earlier steps and corrected for their start at 0, and steps \
             W ← W − α·m̂/(√v̂ + eps), with α = {}.",
            fmt_num(b1),
            fmt_num(b2),
            fmt_num(eps),
            fmt_num(c.e.learning_rate)
        ),
        Optimizer::Sgd { .. } => unreachable!("sgd has its own stage"),
    };
    doc.para(spans![rule, " The new parameters:"]);
    for (i, layer) in c.e.layers.iter().enumerate() {
        if let LayerTrace::Dense(dense) = layer {
            new_parameters(doc, c, i, dense);
        }
    }
}
