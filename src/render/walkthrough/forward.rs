//! Stage 2 of the walk-through: the forward pass up to the logits.

use super::{Ctx, MAX_WORKED_UNITS, MAX_WORKED_WEIGHTS, layer_summary, worked_rows};
use crate::render::doc::{Doc, spans};
use crate::render::math::{Math, cat, eq, filled, plus, sum_over, times, vector};
use crate::trace::{ActivationTrace, DenseTrace, LayerTrace};

/// Stage 2: every layer up to the logits.
pub(super) fn forward(doc: &mut Doc, c: &Ctx) {
    doc.stage("forward", if c.sym.multi() { "Forward, layer by layer" } else { "Forward: the logits" });
    let hidden = if c.output.is_some() { c.e.layers.len() - 1 } else { c.e.layers.len() };
    for (i, layer) in c.e.layers.iter().enumerate().take(hidden) {
        match layer {
            LayerTrace::Dense(dense) => forward_dense(doc, c, i, dense),
            LayerTrace::Activation(a) => forward_activation(doc, c, i, layer, a),
            LayerTrace::Softmax(s) | LayerTrace::Logsoftmax(s) => {
                doc.formula(cat!(c.sym.output(i).whole(), " = softmax(", c.input_of(i).whole(), ")"));
                c.vector_or_matrix(doc, spans!["Its output:"], c.sym.output(i), &s.output);
            }
        }
    }
}

fn forward_dense(doc: &mut Doc, c: &Ctx, i: usize, dense: &DenseTrace) {
    let (z, w, b, a) = (c.sym.output(i), c.weights_of(i), c.bias_of(i), c.input_of(i));
    let (units, width) = dense.weights.dim();
    if c.sym.multi() {
        doc.sub(spans![format!("Layer {}: dense, {width} → {units}", c.sym.dense_number(i))]);
    }
    let mut rule = cat!(z.letters("i"), eq(), sum_over('j'), " ", a.letters("j"), times(), w.letters("ij"));
    if dense.bias.is_some() {
        rule = cat!(rule, plus(), b.letters("i"));
    }
    let last = Some(i) == c.last_dense();
    let what = if last { "Each logit" } else { "Each unit" };
    doc.para(spans![
        format!("{what} is a weighted sum of the inputs, input times weight along its row of "),
        w.whole(),
        ":"
    ]);
    doc.formula(rule);
    let all = dense.weights.len() <= MAX_WORKED_WEIGHTS;
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = worked_rows(units, all)
            .map(|r| {
                let mut terms: Vec<Math> = (0..width)
                    .map(|j| cat!(Math::factor(dense.input[[s, j]]), times(), Math::factor(dense.weights[[r, j]])))
                    .collect();
                if let Some(bias) = &dense.bias {
                    terms.push(Math::factor(bias[r]));
                }
                vec![z.at(r), Math::sum(terms), Math::num(dense.output[[s, r]])]
            })
            .collect();
        doc.worked(lines);
    }
    if !all {
        doc.para(spans![
            format!("This layer has {} weights: only the first unit's sum is written out; ", dense.weights.len()),
            "the others are the same along their own rows."
        ]);
    }
    c.note_unworked_samples(doc);
    let caption =
        if last { spans!["The logits:"] } else { spans![format!("Layer {}'s output:", c.sym.dense_number(i))] };
    if last && c.m == 1 {
        doc.result("Logits:", spans![cat!(z.whole(), eq(), vector(dense.output.row(0).iter().copied()))]);
    } else if !(c.m == 1 && all) {
        c.vector_or_matrix(doc, caption, z, &dense.output);
    }
}

fn forward_activation(doc: &mut Doc, c: &Ctx, i: usize, layer: &LayerTrace, act: &ActivationTrace) {
    let (a, z) = (c.sym.output(i), c.input_of(i));
    let f = filled(act.activation.symbol(), &Math::default(), &Math::default());
    if c.sym.multi() {
        doc.sub(spans![format!("Layer {}: {}", c.sym.dense_number(i), layer_summary(layer))]);
    }
    // The definition, unless it only repeats the symbol (tanh(z) = tanh(z)).
    let (z_sym, a_sym) = (Math::from("z"), Math::from("a"));
    let rhs = filled(act.activation.formula(), &z_sym, &a_sym);
    let lhs = cat!(f.clone(), z_sym.clone().paren());
    let definition = if rhs == lhs { Math::default() } else { cat!(Math::new(", ", ",\\ "), lhs, eq(), rhs) };
    doc.para(spans!["Applied to each unit on its own:"]);
    doc.formula(cat!(a.letters("j"), eq(), f.clone(), z.letters("j").paren(), definition));
    let units = act.input.ncols();
    let all = units <= MAX_WORKED_UNITS;
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = worked_rows(units, all)
            .map(|j| {
                vec![a.at(j), cat!(f.clone(), Math::num(act.input[[s, j]]).paren()), Math::num(act.output[[s, j]])]
            })
            .collect();
        doc.worked(lines);
    }
    if !all {
        doc.para(spans![format!("Only the first of the {units} units is written out.")]);
    }
    c.note_unworked_samples(doc);
    if !(c.m == 1 && all) {
        c.vector_or_matrix(doc, spans!["The layer's output:"], a, &act.output);
    }
}
