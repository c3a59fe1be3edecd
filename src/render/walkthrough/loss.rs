//! Stage 4 of the walk-through: cross-entropy.

use super::{Ctx, MAX_WORKED_SAMPLES, describe_base, unit};
use crate::loss::LogBase;
use crate::render::doc::{Doc, spans};
use crate::render::math::{self, Math, Sym, cat, eq, neg, over, times};

/// Stage 4: cross-entropy, term by term.
pub(super) fn loss(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    let base = c.base();
    let out = e.layers.len().saturating_sub(1);
    let yhat = c.sym.output(out);
    doc.stage("loss", "The loss: cross-entropy");
    let mut p = spans!["Minus the log of the probability given to each class, weighted by the target, with "];
    p.extend(describe_base(base));
    p.push(". Only the true class's term survives, as the other targets are 0:".into());
    doc.para(p);
    let per_sample = if c.m == 1 { Math::from("L") } else { Math::new("L⁽ˢ⁾", "L^{(s)}") };
    doc.formula(cat!(per_sample, eq(), c.e.loss_function.sample_formula(&c.letters(yhat, "k"))));
    let k = e.probabilities.ncols();
    let log_p = e.log_probabilities.as_ref().expect("cross-entropy has log-probabilities");
    let sample_loss = |s: usize| if c.m == 1 { Math::from("L") } else { Sym::new("L", "L").of_layer(s + 1).whole() };
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let logs =
            Math::sum((0..k).map(|i| {
                cat!(Math::num(e.targets[[s, i]]), times(), math::log(base, Math::num(e.probabilities[[s, i]])))
            }));
        let values =
            Math::sum((0..k).map(|i| cat!(Math::num(e.targets[[s, i]]), times(), Math::factor(log_p[[s, i]]))));
        let value = e.sample_losses.get(s).copied().unwrap_or(e.loss);
        doc.worked(vec![vec![
            sample_loss(s),
            cat!(neg(), logs.bracket()),
            cat!(neg(), values.bracket()),
            cat!(value, unit(base)),
        ]]);
    }
    c.note_unworked_samples(doc);
    let underflow = e.probabilities.indexed_iter().find(|&((s, i), &p)| p == 0.0 && log_p[[s, i]].is_finite());
    if let Some(((_, i), _)) = underflow {
        doc.para(spans![
            "A probability such as ",
            yhat.at(i),
            " is too small for float64 and shows as 0, but its log is computed directly from the logits ",
            "(log-sum-exp), so it stays finite."
        ]);
    }
    if c.m > 1 {
        doc.para(spans![format!("The loss of the batch is the mean over its {} samples:", c.m)]);
        let mut mean = vec![Math::from("L"), over(Math::sum((0..c.m).map(sample_loss)).paren(), Math::num(c.m as f64))];
        if c.m <= 2 * MAX_WORKED_SAMPLES {
            mean.push(over(Math::sum(e.sample_losses.iter().map(|&l| Math::num(l))).paren(), Math::num(c.m as f64)));
        }
        mean.push(cat!(e.loss, unit(base)));
        doc.worked(vec![mean]);
    }
    if let Some(bits) = e.loss_bits {
        doc.para(spans![
            "In bits (",
            math::log_symbol(LogBase::new(2.0).expect("2 is a log base")),
            "), the unit the post quotes: the same loss divided by ln 2,"
        ]);
        doc.worked(vec![vec![
            over(Math::from("L"), Math::new("ln 2", "\\ln 2")),
            over(Math::num(e.loss), Math::new("ln 2", "\\ln 2")),
            cat!(bits, Math::new(" bits", "\\text{ bits}")),
        ]]);
    }
    doc.result("Loss:", spans![cat!("L = ", e.loss, unit(base))]);
}
