//! Stage 3 of the walk-through: the logits into probabilities.

use super::Ctx;
use crate::render::doc::{Doc, spans};
use crate::render::math::{Math, cat, eq, exp, minus, over, sum_over, vector};

/// Stage 3: the logits into probabilities.
pub(super) fn softmax(doc: &mut Doc, c: &Ctx) {
    let Some((sm, log)) = c.output else { return };
    let out = c.e.layers.len() - 1;
    let (z, yhat) = (c.input_of(out), c.sym.output(out));
    doc.stage("output", "Softmax: the probabilities");
    doc.para(spans![
        "Each logit's exponential, divided by their sum, so the probabilities are positive and add up to 1:"
    ]);
    doc.formula(cat!(
        yhat.letters("i"),
        eq(),
        over(exp(z.letters("i")), cat!(sum_over('k'), " ", exp(z.letters("k"))).paren())
    ));
    if log {
        doc.para(spans![
            "The model ends in log-softmax: it outputs ",
            cat!(
                Math::new("ln ", "\\ln "),
                yhat.letters("i"),
                eq(),
                z.letters("i"),
                minus(),
                Math::new("ln ", "\\ln "),
                sum_over('k'),
                " ",
                exp(z.letters("k"))
            ),
            ", the log of the same probabilities, which the loss uses directly."
        ]);
    }
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let k = sm.input.ncols();
        let shift = sm.shift.get(s).copied().unwrap_or(0.0);
        let power = |i: usize| {
            if shift == 0.0 {
                (exp(z.at(i)), exp(Math::num(sm.input[[s, i]])))
            } else {
                (exp(cat!(z.at(i), minus(), "c")), exp(cat!(Math::num(sm.input[[s, i]]), minus(), Math::num(shift))))
            }
        };
        if shift != 0.0 {
            doc.para(spans![
                "The largest logit would overflow ",
                exp(z.whole()),
                ", so every exponent is shifted by ",
                cat!("c = ", shift),
                ": the factor ",
                exp(Math::from("-c")),
                " cancels between the top and the sum, and the probabilities are the same."
            ]);
        }
        let mut lines: Vec<Vec<Math>> = (0..k)
            .map(|i| {
                let (name, plugged) = power(i);
                vec![name, plugged, Math::num(sm.exps[[s, i]])]
            })
            .collect();
        let sum_name = if shift == 0.0 {
            cat!(sum_over('k'), " ", exp(z.letters("k")))
        } else {
            cat!(sum_over('k'), " ", exp(cat!(z.letters("k"), minus(), "c")))
        };
        lines.push(vec![sum_name, Math::sum((0..k).map(|i| Math::num(sm.exps[[s, i]]))), Math::num(sm.sums[s])]);
        lines.extend((0..k).map(|i| {
            vec![
                yhat.at(i),
                over(Math::num(sm.exps[[s, i]]), Math::num(sm.sums[s])),
                Math::num(c.e.probabilities[[s, i]]),
            ]
        }));
        doc.worked(lines);
    }
    c.note_unworked_samples(doc);
    if c.m == 1 {
        doc.result(
            "Probabilities:",
            spans![cat!(yhat.whole(), eq(), vector(c.e.probabilities.row(0).iter().copied()))],
        );
    } else {
        c.vector_or_matrix(doc, spans!["The probabilities, one row per sample:"], yhat, &c.e.probabilities);
    }
    if c.e.probabilities.ncols() == 1 {
        doc.para(spans![
            "Note: with one class the softmax is ",
            cat!(yhat.at(0), eq(), over(exp(z.at(0)), exp(z.at(0))), eq(), "1"),
            " whatever the logit, so the loss is 0 and every gradient below is 0: one class cannot \
             learn (train refuses such a model; two classes at least give the softmax something to \
             share out)."
        ]);
    }
}
