//! Stage 5b of the walk-through, with `--l2`/`--l1` only: the weight penalty added to the loss
//! and its gradient added to each weight's. The formulas are [`Penalty`]'s; the numbers are the
//! explanation's [`PenaltyTrace`](crate::trace::PenaltyTrace).

use super::{Ctx, MAX_WORKED_WEIGHTS, worked_rows};
use crate::loss::Penalty;
use crate::render::doc::{Doc, spans};
use crate::render::math::{Math, cat, d_loss, plus, times};
use crate::trace::{LayerTrace, PenaltyTrace};

/// Stage 5b: L = L_data + λ₂/2·Σ W² + λ₁·Σ |W|, and ∂L/∂Wᵢⱼ = ∂L_data/∂Wᵢⱼ + λ₂·Wᵢⱼ + λ₁·sign(Wᵢⱼ).
pub(super) fn penalty(doc: &mut Doc, c: &Ctx) {
    let Some(p) = &c.e.penalty else { return };
    let rates = Penalty { l2: p.l2, l1: p.l1 };
    doc.heading("5b. The weight penalty: added to the loss and to each weight's gradient");
    doc.para(spans![
        "The step lowers the data's loss plus a penalty on the size of the weights (weight decay). Only the \
         weights count, not the biases: a bias shifts a unit's input and does not make the model more complex. \
         At a weight of exactly 0, |W| has no slope; sign(0) = 0 is taken."
    ]);
    let (text, tex) = rates.formula();
    doc.formula(Math::new(text, tex));
    let l2 = Math::new("λ₂", "\\lambda_2");
    let l1 = Math::new("λ₁", "\\lambda_1");
    let mut terms = Vec::new();
    let mut numbers = Vec::new();
    if p.l2 != 0.0 {
        terms.push(cat!(l2.clone(), "/2", times(), Math::new("Σ W²", "\\sum W^2")));
        numbers.push(cat!(p.l2, "/2", times(), p.sum_squares));
    }
    if p.l1 != 0.0 {
        terms.push(cat!(l1.clone(), times(), Math::new("Σ |W|", "\\sum |W|")));
        numbers.push(cat!(p.l1, times(), p.sum_abs));
    }
    doc.worked(vec![
        vec![
            Math::new("penalty", "\\text{penalty}"),
            Math::join(terms, &plus()),
            Math::join(numbers, &plus()),
            Math::num(p.value),
        ],
        vec![Math::new("L", "L"), cat!(c.e.loss, plus(), p.value), Math::num(p.total_loss)],
    ]);
    let (text, tex) = rates.gradient_formula();
    doc.formula(Math::new(text, tex));
    for g in &p.gradients {
        let LayerTrace::Dense(dense) = &c.e.layers[g.layer] else { continue };
        let w = c.weights_of(g.layer);
        if c.sym.multi() {
            doc.sub(spans![format!("Layer {}", c.sym.dense_number(g.layer))]);
        }
        let (units, width) = dense.weights.dim();
        let all = dense.weights.len() <= MAX_WORKED_WEIGHTS;
        let lines = worked_rows(units, all)
            .flat_map(|r| (0..width).map(move |j| (r, j)))
            .map(|(r, j)| {
                let sum = gradient_sum(p, dense.grad_weights[[r, j]], dense.weights[[r, j]]);
                vec![d_loss(&w.at2(r, j)), sum, Math::num(g.total[[r, j]])]
            })
            .collect();
        doc.worked(lines);
        if !all {
            doc.para(spans!["Only the first row is written out; the step takes every weight's."]);
        }
    }
    doc.para(spans!["The update below steps along these gradients; the biases' are the data's alone."]);
}

/// One weight's penalised gradient with its numbers: `g_data + λ₂·w + λ₁·sign(w)` (the terms
/// whose rate is not 0). The chain panel writes the same line.
pub(crate) fn gradient_sum(p: &PenaltyTrace, g_data: f64, weight: f64) -> Math {
    let mut sum = Math::num(g_data);
    if p.l2 != 0.0 {
        sum.push(&cat!(plus(), p.l2, times(), Math::factor(weight)));
    }
    if p.l1 != 0.0 {
        let sign = if weight == 0.0 { 0.0 } else { weight.signum() };
        sum.push(&cat!(plus(), p.l1, times(), Math::factor(sign)));
    }
    sum
}
