//! Stage 7 of the walk-through: the loss after the step.

use super::Ctx;
use crate::render::doc::{Block, Doc, Tone, spans};
use crate::render::math::{Math, cat, minus};

/// Stage 7: the same batch through the new weights.
pub(super) fn after_update(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    let unit = c.unit();
    doc.stage("after", "After the update: the loss again");
    doc.para(spans![
        "The same batch through the new weights (stages 2 to 4 again); ",
        Math::new("L′", "L'"),
        " is the new loss:"
    ]);
    doc.worked(vec![
        vec![Math::from("L"), cat!(e.loss, &unit)],
        vec![Math::new("L′", "L'"), cat!(e.new_loss, &unit)],
        vec![Math::new("L′ − L", "L' - L"), cat!(e.new_loss, minus(), e.loss), cat!(e.loss_change, &unit)],
    ]);
    if let Some(p) = &e.penalty {
        // What the step lowered is the penalised loss (stage 5b); the lines above are the data's.
        doc.para(spans!["With the weight penalty (stage 5b), the loss the step lowers:"]);
        doc.worked(vec![
            vec![Math::from("L_data + penalty"), cat!(e.loss, " + ", p.value), Math::num(p.total_loss)],
            vec![
                Math::new("L′_data + penalty′", "L'_{data} + penalty'"),
                cat!(e.new_loss, " + ", p.new_value),
                Math::num(p.new_total_loss),
            ],
        ]);
    }
    let (verdict, tone) = if e.loss_change < 0.0 {
        ("the loss went down: the step did what it is for.", Tone::Good)
    } else if e.loss_change > 0.0 {
        ("the loss went up: the step overshot (try a smaller --lr).", Tone::Bad)
    } else {
        ("the loss did not change.", Tone::Key)
    };
    doc.push(Block::Result {
        label: "Change:".into(),
        body: spans![cat!(Math::new("ΔL = ", "\\Delta L = "), e.loss_change, &unit), format!(", {verdict}")],
        tone,
    });
}
