//! Stage 6 of the walk-through: the step each weight takes.

use super::{Ctx, MAX_WORKED_WEIGHTS, input_cols, table, weight_rows, worked_rows};
use crate::render::doc::{Doc, Span, spans};
use crate::render::fmt_num;
use crate::render::math::{self, Math, cat, d_loss, minus, over, times, vector};
use crate::trace::{DenseTrace, Explanation, LayerTrace, ParamStep};
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

/// Stage 6 for a step of momentum or adam: each parameter's state before and after (momentum's
/// velocity v; adam's moments m and v, with t), adam's bias-corrected m̂ and v̂, and the step,
/// number by number, from the record's `weights_step` and `bias_step`.
fn run_update(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    let Some(s) = &e.optimizer_state else { return };
    doc.stage("update", &format!("The update: {}'s step", e.optimizer.name()));
    let before = if s.t_before == 0 {
        "Its state starts at 0: this is the first step, ".to_string()
    } else {
        format!("Its state is the run's after {} steps (the model file keeps it): this is step ", s.t_before)
    };
    let t = Math::from("t");
    match e.optimizer {
        Optimizer::Momentum { mass, .. } => {
            doc.para(spans![
                format!("Momentum (mass {}): each parameter keeps a velocity v, its gradients summed with the older ones decayed by the mass, and steps by ", fmt_num(mass)),
                cat!(math::alpha(), times(), "v"),
                format!(". {before}"),
                cat!(&t, " = ", s.t as f64),
                ":"
            ]);
            doc.formula(cat!("v", arrow(), mass, times(), "v + ", d_loss(&Math::from("w"))));
            doc.formula(cat!("w", arrow(), "w", minus(), math::alpha(), times(), "v"));
        }
        Optimizer::Adam { b1, b2, eps, .. } => {
            doc.para(spans![
                format!("Adam (b1 {}, b2 {}, eps {}): each parameter keeps running means of its gradient, m, and of its square, v. ", fmt_num(b1), fmt_num(b2), fmt_num(eps)),
                before,
                cat!(&t, " = ", s.t as f64),
                ". Both means start at 0, so they are divided by 1 − b1^t and 1 − b2^t to undo that start:"
            ]);
            let g = d_loss(&Math::from("w"));
            doc.formula(cat!("m", arrow(), 1.0 - b1, times(), &g, " + ", b1, times(), "m"));
            doc.formula(cat!("v", arrow(), 1.0 - b2, times(), power(g.clone().paren(), 2), " + ", b2, times(), "v"));
            doc.formula(cat!(
                hat("m"),
                " = ",
                over("m".into(), correction("1", &t)),
                Math::new(",  ", ",\\quad "),
                hat("v"),
                " = ",
                over("v".into(), correction("2", &t))
            ));
            doc.formula(cat!(
                "w",
                arrow(),
                "w",
                minus(),
                math::alpha(),
                times(),
                over(hat("m"), cat!(sqrt(hat("v")), " + ", eps_symbol()).paren())
            ));
            if let Some([c1, c2]) = s.corrections {
                doc.worked(vec![
                    vec![cat!(correction("1", &t), ": 1", minus(), power(Math::num(b1), s.t)), Math::num(c1)],
                    vec![cat!(correction("2", &t), ": 1", minus(), power(Math::num(b2), s.t)), Math::num(c2)],
                ]);
            }
        }
        Optimizer::Sgd { .. } => unreachable!("sgd has its own stage"),
    }
    for (i, layer) in e.layers.iter().enumerate() {
        let LayerTrace::Dense(dense) = layer else { continue };
        let (w, b) = (c.weights_of(i), c.bias_of(i));
        if c.sym.multi() {
            doc.sub(spans![format!("Layer {}", c.sym.dense_number(i))]);
        }
        let (units, width) = dense.weights.dim();
        let all = dense.weights.len() <= MAX_WORKED_WEIGHTS;
        let grad = e.step_gradient(i).expect("a dense layer");
        if let Some(p) = &dense.weights_step {
            let lines = worked_rows(units, all)
                .flat_map(|r| (0..width).map(move |j| (r, j)))
                .flat_map(|(r, j)| {
                    let at = [r, j];
                    parameter_lines(e, w.at2(r, j), dense.weights[at], grad[at], dense.new_weights[at], p, at)
                })
                .collect();
            doc.worked(lines);
            if !all {
                doc.para(spans!["Only the first row is written out; the matrices hold every number."]);
            }
            state_tables(doc, c, i, p, units, width);
        }
        if dense.bias.is_some() && e.freeze_bias {
            doc.para(spans![
                "The biases are frozen (",
                Span::Code("--freeze-bias".into()),
                "): the optimizer sees a gradient of 0 for them."
            ]);
        } else if let (Some(old), Some(grad), Some(new), Some(p)) =
            (&dense.bias, &dense.grad_bias, &dense.new_bias, &dense.bias_step)
        {
            doc.para(spans!["The bias steps the same way:"]);
            let lines =
                (0..units).flat_map(|r| parameter_lines(e, b.at(r), old[r], grad[r], new[r], p, [0, r])).collect();
            doc.worked(lines);
        }
        new_parameters(doc, c, i, dense);
    }
}

/// One parameter's lines: its state from before to after the step, then the step (the
/// walk-through's stage 6 and the page's chain panel write the same). `at` is its place in
/// `p`'s matrices.
pub(crate) fn parameter_lines(
    e: &Explanation,
    name: Math,
    old: f64,
    g: f64,
    new: f64,
    p: &ParamStep,
    at: [usize; 2],
) -> Vec<Vec<Math>> {
    let of = |letter: Math| cat!(letter, "(", &name, ")");
    let alpha = e.learning_rate;
    let (first_before, first, delta) = (p.first_before[at], p.first[at], p.step[at]);
    let step_line = |size: Math| {
        vec![cat!(&name, ": ", old, minus(), size), cat!(old, minus(), Math::factor(delta)), Math::num(new)]
    };
    match e.optimizer {
        Optimizer::Momentum { mass, .. } => vec![
            vec![
                cat!(of("v".into()), ": ", mass, times(), Math::factor(first_before), " + ", Math::factor(g)),
                Math::num(first),
            ],
            step_line(cat!(alpha, times(), Math::factor(first))),
        ],
        Optimizer::Adam { b1, b2, eps, .. } => {
            let pick = |m: &Option<crate::trace::Matrix>| m.as_ref().map_or(f64::NAN, |m| m[at]);
            let (second_before, second) = (pick(&p.second_before), pick(&p.second));
            let (m_hat, v_hat) = (pick(&p.first_hat), pick(&p.second_hat));
            let [c1, c2] = e.optimizer_state.as_ref().and_then(|s| s.corrections).unwrap_or([f64::NAN; 2]);
            vec![
                vec![
                    cat!(
                        of("m".into()),
                        ": ",
                        1.0 - b1,
                        times(),
                        Math::factor(g),
                        " + ",
                        b1,
                        times(),
                        Math::factor(first_before)
                    ),
                    Math::num(first),
                ],
                vec![
                    cat!(
                        of("v".into()),
                        ": ",
                        1.0 - b2,
                        times(),
                        power(Math::factor(g), 2),
                        " + ",
                        b2,
                        times(),
                        Math::factor(second_before)
                    ),
                    Math::num(second),
                ],
                vec![cat!(of(hat("m")), ": ", over(Math::factor(first), Math::num(c1))), Math::num(m_hat)],
                vec![cat!(of(hat("v")), ": ", over(Math::factor(second), Math::num(c2))), Math::num(v_hat)],
                step_line(cat!(
                    alpha,
                    times(),
                    over(Math::factor(m_hat), cat!(sqrt(Math::num(v_hat)), " + ", eps).paren())
                )),
            ]
        }
        Optimizer::Sgd { .. } => unreachable!("sgd keeps no state"),
    }
}

/// A layer's state after the step, as matrices (the model file keeps it).
fn state_tables(doc: &mut Doc, c: &Ctx, i: usize, p: &ParamStep, units: usize, width: usize) {
    let w = c.weights_of(i);
    let names: [(&str, Option<&crate::trace::Matrix>); 2] = match c.e.optimizer {
        Optimizer::Momentum { .. } => [("v", Some(&p.first)), ("", None)],
        Optimizer::Adam { .. } => [("m", Some(&p.first)), ("v", p.second.as_ref())],
        Optimizer::Sgd { .. } => unreachable!("sgd keeps no state"),
    };
    for (name, m) in names {
        if let Some(m) = m {
            doc.matrix(table(
                spans![format!("{name} of each weight after the step, for "), w.whole(), ":"],
                weight_rows(c, i, units),
                input_cols(c, i, width),
                m,
            ));
        }
    }
}

/// Adam's eps, as a word in TeX too (not e·p·s).
fn eps_symbol() -> Math {
    Math::new("eps", "\\text{eps}")
}

/// ←.
fn arrow() -> Math {
    Math::new(" ← ", " \\leftarrow ")
}

/// Adam's bias correction of moment `k` ("1" or "2"): (1 − bₖ^t).
fn correction(k: &str, t: &Math) -> Math {
    Math::new(format!("(1 − b{k}^{})", t.text), format!("(1 - b_{k}^{{{}}})", t.tex))
}

/// `x` with a hat: m̂.
fn hat(letter: &str) -> Math {
    Math::new(format!("{letter}\u{302}"), format!("\\hat{{{letter}}}"))
}

/// √`x`.
fn sqrt(x: Math) -> Math {
    Math::new(format!("√{}", x.text), format!("\\sqrt{{{}}}", x.tex))
}

/// `base` to the power `n`.
fn power(base: Math, n: usize) -> Math {
    let digits: String = n.to_string().chars().map(math::superscript_digit).collect();
    Math::new(format!("{}{digits}", base.text), format!("{}^{{{n}}}", base.tex))
}
