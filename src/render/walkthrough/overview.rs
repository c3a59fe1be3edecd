//! The opening paragraphs: the model, the loss and the step, before stage 1.

use super::{Ctx, describe_base, layer_summary};
use crate::loss::Loss;
use crate::render::doc::{Block, Doc, Span, spans};
use crate::render::math::{self, cat};
use crate::update::Optimizer;

pub(super) fn overview(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    let step = match e.optimizer {
        Optimizer::Sgd { .. } => "one step of gradient descent",
        Optimizer::Momentum { .. } => "one step of gradient descent with momentum",
        Optimizer::Adam { .. } => "one adam step",
    };
    doc.push(Block::Title(format!("gradlens explain: {step}, number by number")));
    let model: Vec<String> = e.layers.iter().map(layer_summary).collect();
    let mut p = spans![format!("Model: {}. Loss: ", model.join(" → "))];
    match e.loss_function {
        Loss::CrossEntropy { log_base } => {
            p.push("cross-entropy with ".into());
            p.extend(describe_base(log_base));
        }
        Loss::Quadratic => p.push("the quadratic cost ½‖y − ŷ‖²".into()),
    }
    p.extend(spans![
        if c.m > 1 { format!(", averaged over {} samples", c.m) } else { ", on one sample".into() },
        match e.optimizer {
            Optimizer::Sgd { .. } => ". Plain gradient descent with step size ",
            Optimizer::Momentum { .. } => ". A step of momentum (as in a training run with momentum), step size ",
            Optimizer::Adam { .. } => ". A step of adam (as in a training run with adam), step size ",
        },
        cat!(math::alpha(), " = ", e.learning_rate),
        ".",
    ]);
    doc.para(p);
    doc.para(spans![
        "Subscripts count from 1, as in the post; classes count from 0, as ",
        Span::Code("--target".into()),
        " takes them.",
    ]);
}
