//! After stage 8: where the published post's numbers differ from the exact ones.

use super::Ctx;
use crate::loss::LogBase;
use crate::render::doc::{Block, Doc, Span, spans};
use crate::render::math::{self, Math, Sym, cat, d_loss};
use crate::trace::{ExplainRequest, Explanation, LayerTrace, Update};
use crate::update::Optimizer;

/// The blog's published numbers next to the exact ones, when this run is the blog's example.
pub(super) fn post_notes(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    if e.loss_function.log_base().is_none() || !is_blog_run(e) {
        return;
    }
    let base = c.base();
    let (Some(LayerTrace::Dense(dense)), Some(&z1)) = (e.layers.first(), e.logits.first()) else { return };
    let (grad, new) = (dense.grad_weights[[0, 0]], dense.new_weights[[0, 0]]);
    let (w11, z1_sym) = (Sym::new("W", "W").at2(0, 0), Sym::new("z", "z").at(0));
    let post_gradient = Math::new("(ŷ − y)·x", "(\\hat{y} - y) \\cdot x");
    let log2 = math::log_symbol(LogBase::new(2.0).expect("2 is a log base"));
    let quoted = |v: &str| Math::from(v);
    let mut notes =
        vec![spans!["It prints ", cat!(z1_sym, " = ", quoted("0.91119")), "; the exact sum is ", Math::num(z1), "."]];
    if base.is_natural() {
        notes.push(spans![
            "Its loss, ",
            quoted("1.0605678"),
            ", is in bits (",
            log2.clone(),
            "; here ",
            cat!(Math::num(e.loss_bits.unwrap_or(f64::NAN)), Math::new(" bits", "\\text{ bits}")),
            "), but its gradient ",
            post_gradient.clone(),
            " is the natural-log one shown here; a ",
            log2.clone(),
            " loss has ",
            cat!(post_gradient, Math::new("/ln 2", "/\\ln 2")),
            " (see ",
            Span::Code("--log-base 2".into()),
            ")."
        ]);
        notes.push(spans![
            "Its gradients use ",
            Math::new("ŷ", "\\hat{y}"),
            " rounded to 3 digits: ",
            quoted("-0.4220"),
            " for ",
            cat!(d_loss(&w11), " = ", grad),
            ", and its update gives ",
            quoted("0.2555"),
            " for ",
            cat!(w11, " = ", new),
            "."
        ]);
    } else if base.base() == 2.0 {
        notes.push(spans![
            "It computes this ",
            log2,
            " loss (",
            quoted("1.0605678"),
            "; here ",
            cat!(Math::num(e.loss), Math::new(" bits", "\\text{ bits}")),
            ") but pairs it with the natural-log gradient ",
            post_gradient,
            ", without the factor 1/ln 2: ",
            quoted("-0.4220"),
            " where this loss has ",
            cat!(d_loss(&w11), " = ", grad),
            " (",
            Span::Code("--log-base e".into()),
            " shows the pair that belongs together)."
        ]);
    }
    doc.heading("Where the published post is loose");
    doc.para(spans!["This run is the post's example; its published numbers differ from the exact ones here:"]);
    doc.push(Block::Bullets(notes));
}

/// This run is the post's example: its x, W (no bias), class 0 and step size, any log base.
fn is_blog_run(e: &Explanation) -> bool {
    let blog = ExplainRequest::blog();
    let blog_w = blog.model.dense_layers().next().map(|(_, w, _)| w);
    let same_model = match e.layers.as_slice() {
        [LayerTrace::Dense(d), LayerTrace::Softmax(_)] => Some(&d.weights.0) == blog_w && d.bias.is_none(),
        _ => false,
    };
    let Update::Sgd { learning_rate } = blog.update else { unreachable!("the blog's step is plain gradient descent") };
    same_model
        && e.inputs.0 == blog.inputs
        && e.target_classes.as_deref() == blog.targets.labels()
        && e.optimizer == Optimizer::Sgd { step_size: learning_rate }
}
