//! Stage 5b of the walk-through, with `--l2`/`--l1` only: the weight penalty added to the loss
//! and its gradient added to each weight's. The formulas are [`Penalty`]'s; the numbers are the
//! explanation's [`PenaltyTrace`](crate::trace::PenaltyTrace).

use super::{Ctx, MAX_WORKED_WEIGHTS, worked_rows};
use crate::loss::Penalty;
use crate::render::doc::{Doc, spans};
use crate::render::math::{Math, Written, cat, d_loss, eq, plus};
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
    let (loss_formula, gradient_formula) = formulas(p);
    let letters = Written::penalty_letters(Math::new("Wᵢⱼ", "W_{ij}"));
    // Σ W² and Σ |W| with the numbers: any weight's line does (the sums do not depend on it).
    let numbers = Written::penalty_numbers(p, c.e.loss, 0.0, 0.0);
    doc.formula(loss_formula);
    doc.worked(vec![
        vec![
            Math::new("penalty", "\\text{penalty}"),
            rates.formula(&letters),
            rates.formula(&numbers),
            Math::num(p.value),
        ],
        vec![Math::new("L", "L"), cat!(c.e.loss, plus(), p.value), Math::num(p.total_loss)],
    ]);
    doc.formula(gradient_formula);
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
                let sum = gradient_sum(p, c.e.loss, dense.grad_weights[[r, j]], dense.weights[[r, j]]);
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

/// The penalty's two formulas in letters, as the walk-through and the JSON write them:
/// L = L_data + λ₂/2·Σ W² + λ₁·Σ |W| and ∂L/∂Wᵢⱼ = ∂L_data/∂Wᵢⱼ + λ₂·Wᵢⱼ + λ₁·sign(Wᵢⱼ) (the terms
/// whose rate is not 0).
pub(crate) fn formulas(p: &PenaltyTrace) -> (Math, Math) {
    let (rates, letters) = (Penalty { l2: p.l2, l1: p.l1 }, Written::penalty_letters(Math::new("Wᵢⱼ", "W_{ij}")));
    (cat!("L = ", rates.loss_formula(&letters)), cat!(d_loss(&letters.weight), eq(), rates.gradient_formula(&letters)))
}

/// One weight's penalised gradient with its numbers: `g_data + λ₂·w + λ₁·sign(w)` (the terms
/// whose rate is not 0), [`Penalty::gradient_formula`] with the step's numbers. The chain panel
/// writes the same line.
pub(crate) fn gradient_sum(p: &PenaltyTrace, data_loss: f64, g_data: f64, weight: f64) -> Math {
    Penalty { l2: p.l2, l1: p.l1 }.gradient_formula(&Written::penalty_numbers(p, data_loss, g_data, weight))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{ExplainRequest, explain};

    #[test]
    fn the_formulas_in_letters_and_numbers_from_the_penalty() {
        let req = ExplainRequest { penalty: Penalty::new(0.1, 0.01).unwrap(), ..ExplainRequest::blog() };
        let e = explain(&req).unwrap();
        let p = e.penalty.as_ref().unwrap();
        // The formulas of README's "Weight decay" section, both terms.
        let (loss, gradient) = formulas(p);
        assert_eq!(loss.text, "L = L_data + λ₂/2·Σ W² + λ₁·Σ |W|");
        assert_eq!(gradient.text, "∂L/∂Wᵢⱼ = ∂L_data/∂Wᵢⱼ + λ₂·Wᵢⱼ + λ₁·sign(Wᵢⱼ)");
        // One weight's numbers: g_data + λ₂·w + λ₁·sign(w), at w = −2: −0.5 + 0.1·(−2) + 0.01·(−1).
        assert_eq!(gradient_sum(p, e.loss, -0.5, -2.0).text, "-0.5 + 0.1·(-2) + 0.01·(-1)");
        // L2 alone writes its term alone; the JSON prints the walk-through's lines.
        let l2 =
            explain(&ExplainRequest { penalty: Penalty::new(0.1, 0.0).unwrap(), ..ExplainRequest::blog() }).unwrap();
        let json: serde_json::Value = serde_json::from_str(&crate::render::json(&l2)).unwrap();
        assert_eq!(json["penalty_formulas"]["loss"]["text"], "L = L_data + λ₂/2·Σ W²");
        assert_eq!(
            json["penalty_formulas"]["gradient"]["tex"],
            "\\partial L/\\partial W_{ij} = \\partial L_{\\text{data}}/\\partial W_{ij} + \\lambda_2 \\cdot W_{ij}"
        );
        let none: serde_json::Value =
            serde_json::from_str(&crate::render::json(&explain(&ExplainRequest::blog()).unwrap())).unwrap();
        assert!(none.get("penalty_formulas").is_none());
    }
}
