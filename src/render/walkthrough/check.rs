//! Stage 8 of the walk-through: the gradient checked three ways.

use super::Ctx;
use crate::render::doc::{Block, Doc, Tone, spans};
use crate::render::math::{Math, Sym, cat, d_loss, eq, minus, plus};

/// Stage 8: the tape's gradient against the hand formula and finite differences.
pub(super) fn check(doc: &mut Doc, c: &Ctx) {
    let g = &c.e.check;
    doc.stage("check", "Check: the gradient three ways");
    let hand = if c.sym.multi() {
        spans!["the hand-derived formulas of the custom model (no tape: the chain above, layer by layer)"]
    } else {
        let grad_z =
            cat!(d_loss(&Math::from("z")), eq(), cat!(Sym::new("ŷ", "\\hat{y}").whole(), minus(), "y").paren());
        spans![
            "the hand-derived formulas of the custom model (no tape: ",
            cat!(grad_z, Math::new("/(m·ln b)", "/(m \\cdot \\ln b)")),
            ", then ",
            cat!(d_loss(&Math::from("W")), eq(), d_loss(&Math::from("z")), Math::new("ᵀ·x", "^T \\cdot x")),
            ")"
        ]
    };
    let mut p = spans![format!("All {} parameters' gradients, three independent ways: the tape above ", g.parameters)];
    p.push("(reverse-mode autodiff); ".into());
    p.extend(hand);
    p.extend(spans![
        "; and central finite differences ",
        Math::new("(L(θ + h) − L(θ − h))/2h", "(L(\\theta + h) - L(\\theta - h))/2h"),
        ", one parameter at a time, with ",
        cat!("h = ", g.fd_step),
    ]);
    if g.fd_parameters < g.parameters {
        p.push(
            format!(
                " (for {} of the {} parameters, spread evenly over the layers: each costs two forward passes)",
                g.fd_parameters, g.parameters
            )
            .into(),
        );
    }
    if g.fd_at_kink > 0 {
        p.push(
            format!(
                "; {} of them move a relu or leaky_relu input across 0 between θ − h and θ + h (an input at \
                 exactly 0 does), where the central difference averages the slopes on both sides: the check \
                 is not meaningful at a kink, so those are compared with the hand formulas only",
                g.fd_at_kink
            )
            .into(),
        );
    }
    p.push(". The largest differences:".into());
    doc.para(p);
    let abs = |a: &str, b: &str| {
        Math::new(format!("max |{a} − {b}|"), format!("\\max \\lvert \\text{{{a}}} - \\text{{{b}}} \\rvert"))
    };
    doc.worked(vec![
        vec![abs("tape", "hand"), Math::num(g.max_diff_tape_hand)],
        vec![abs("tape", "finite difference"), Math::num(g.max_diff_tape_fd)],
        vec![abs("hand", "finite difference"), Math::num(g.max_diff_hand_fd)],
    ]);
    let fd_test = cat!(
        Math::new("|tape − fd| ≤ ", "\\lvert \\text{tape} - \\text{fd} \\rvert \\le "),
        g.fd_tolerance_abs,
        plus(),
        g.fd_tolerance_rel,
        Math::new("·|fd|", " \\cdot \\lvert \\text{fd} \\rvert")
    );
    let hand_test = spans!["the hand formulas agree with the tape to ", Math::num(g.hand_tolerance_rel), " relative"];
    let (label, tone, mut body) = if g.passed {
        ("Passed:", Tone::Good, spans![fd_test, " for every parameter checked, and "])
    } else {
        ("FAILED:", Tone::Bad, spans!["not every parameter has ", fd_test, " or "])
    };
    body.extend(hand_test);
    body.push(if g.passed { ".".into() } else { ": please report this run.".into() });
    doc.push(Block::Result { label: label.into(), body, tone });
}
