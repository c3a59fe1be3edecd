//! Stage 5 of the walk-through: the chain rule from the loss back to every weight.

use super::{
    Ctx, MAX_WORKED_SAMPLES, MAX_WORKED_UNITS, MAX_WORKED_WEIGHTS, input_cols, layer_summary, table, weight_rows,
    worked_rows,
};
use crate::loss::Loss;
use crate::render::doc::{Doc, spans};
use crate::render::math::{
    Math, Sym, Written, cat, d, d_loss, eq, filled, minus, neg, over, plus, sum_over, times, vector,
};
use crate::trace::{ActivationTrace, DenseTrace, LayerTrace};

/// Stage 5: the chain rule from the loss back to every weight.
pub(super) fn backward(doc: &mut Doc, c: &Ctx) {
    doc.stage("backward", "Backward: from the loss to every weight");
    doc.para(spans![
        "The chain rule, from the loss back to each weight. Every gradient below is the tape's ",
        "(reverse-mode autodiff); the formulas show why it has that value."
    ]);
    match c.e.loss_function {
        Loss::CrossEntropy { .. } => backward_output(doc, c),
        Loss::Quadratic => super::quadratic::backward_output(doc, c),
    }
    let hidden = if c.output.is_some() { c.e.layers.len() - 1 } else { c.e.layers.len() };
    for i in (0..hidden).rev() {
        match &c.e.layers[i] {
            LayerTrace::Dense(dense) => backward_dense(doc, c, i, dense),
            layer @ LayerTrace::Activation(a) => backward_activation(doc, c, i, layer, a),
            LayerTrace::Softmax(s) | LayerTrace::Logsoftmax(s) => {
                let name = d_loss(&c.input_of(i).whole());
                c.vector_or_matrix(
                    doc,
                    spans!["Through the inner softmax, ", name.clone(), ":"],
                    c.input_of(i),
                    &s.grad_input,
                );
            }
        }
    }
}

/// ∂L/∂ŷ, the softmax Jacobian, their product, and why it collapses to (ŷ − y)/(m·ln b).
fn backward_output(doc: &mut Doc, c: &Ctx) {
    let Some((sm, log)) = c.output else { return };
    let e = c.e;
    let out = e.layers.len() - 1;
    let (z, yhat, y) = (c.input_of(out), c.sym.output(out), c.sym.y());
    let k = sm.input.ncols();
    let p = |s: usize, i: usize| Math::num(e.probabilities[[s, i]]);
    let t = |s: usize, i: usize| Math::num(e.targets[[s, i]]);
    // What the loss reads off the output layer: ŷ, or ln ŷ after a log-softmax.
    let ln = Math::new("ln ", "\\ln ");
    let seen = |index: Math| if log { cat!(&ln, index).paren() } else { index };
    let seen_at = |i: usize| seen(yhat.at(i));
    let seen_k = seen(yhat.letters("k"));
    let seen_all = if log { cat!(&ln, yhat.whole()) } else { yhat.whole() };
    let kron = Math::from("[k = i]");
    let loss = e.loss_function;
    // The factor 1/(m·ln b) of the mean and the log base, where it is not 1.
    let scaled = c.m > 1 || !c.base().is_natural();

    doc.sub(spans!["The loss's slope in each probability, ", d_loss(&seen_all)]);
    doc.para(spans!["Only the true class's term of the loss depends on its probability:"]);
    doc.formula(cat!(d_loss(&seen_k), eq(), loss.output_slope_formula(&c.letters(yhat, "k"), log)));
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = (0..k)
            .map(|i| {
                let value = loss.output_slope_formula(&c.numbers(t(s, i), p(s, i)), log);
                vec![d_loss(&seen_at(i)), value, Math::num(sm.grad_probabilities[[s, i]])]
            })
            .collect();
        doc.worked(lines);
    }
    c.note_unworked_samples(doc);

    let jacobian = if log {
        Math::new("I − 1ŷᵀ", "I - \\mathbf{1}\\hat{y}^T")
    } else {
        Math::new("diag(ŷ) − ŷŷᵀ", "\\mathrm{diag}(\\hat{y}) - \\hat{y}\\hat{y}^T")
    };
    let moves = if log { "How each log-probability moves" } else { "How each probability moves" };
    doc.sub(spans![moves, " with each logit: the Jacobian ", jacobian]);
    let entry = if log {
        cat!(kron.clone(), minus(), yhat.letters("i"))
    } else {
        cat!(yhat.letters("k"), times(), cat!(kron.clone(), minus(), yhat.letters("i")).paren())
    };
    doc.formula(cat!(d(&seen_k, &z.letters("i")), eq(), entry));
    doc.para(spans!["where ", kron.clone(), " is 1 on the diagonal and 0 elsewhere. For example:"]);
    let example = |i: usize| {
        let same = Math::from(if i == 0 { "1" } else { "0" });
        let value = if log {
            cat!(same, minus(), p(0, i))
        } else {
            cat!(p(0, 0), times(), cat!(same, minus(), p(0, i)).paren())
        };
        vec![d(&seen_at(0), &z.at(i)), value, Math::num(sm.jacobians[0][[0, i]])]
    };
    if sm.jacobians.is_empty() {
        // k² numbers a sample: the form is shown, the numbers summarised (see trace::SoftmaxTrace).
        doc.para(spans![format!(
            "With {k} classes the Jacobian has {} entries a sample; they are not listed, and the chain rule \
             below is summed in its collapsed form.",
            crate::limits::group(k.saturating_mul(k))
        )]);
        for s in 0..c.worked {
            c.sample_heading(doc, s);
            let lines = (0..k).map(|i| vec![d_loss(&z.at(i)), Math::num(sm.jacobian_times_grad[[s, i]])]).collect();
            doc.worked(lines);
        }
    } else {
        doc.worked((0..k.min(2)).map(example).collect());
        for s in 0..c.worked {
            let which =
                if c.m > 1 { format!("Sample {}: row k, column i is ", s + 1) } else { "Row k, column i is ".into() };
            let rows = (0..k).map(|r| spans![seen_at(r)]).collect();
            let cols = (0..k).map(|i| z.at(i)).collect();
            let caption = spans![which, d(&seen_k, &z.letters("i")), ":"];
            doc.matrix(table(caption, rows, cols, &sm.jacobians[s]));
        }

        doc.sub(spans!["The chain rule: ", d_loss(&z.whole()), " is the Jacobian times ", d_loss(&seen_all)]);
        doc.formula(cat!(
            d_loss(&z.letters("i")),
            eq(),
            sum_over('k'),
            " ",
            d_loss(&seen_k),
            times(),
            d(&seen_k, &z.letters("i"))
        ));
        for s in 0..c.worked {
            c.sample_heading(doc, s);
            let lines = (0..k)
                .map(|i| {
                    let terms = (0..k).map(|r| {
                        cat!(
                            Math::factor(sm.grad_probabilities[[s, r]]),
                            times(),
                            Math::factor(sm.jacobians[s][[r, i]])
                        )
                    });
                    vec![d_loss(&z.at(i)), Math::sum(terms), Math::num(sm.jacobian_times_grad[[s, i]])]
                })
                .collect();
            doc.worked(lines);
        }
    }

    doc.sub(spans!["Why it collapses to ", cat!(yhat.whole(), minus(), y.whole())]);
    let sum_y = cat!(sum_over('k'), " ", y.letters("k"));
    let term = if log {
        cat!(cat!(neg(), y.letters("k")).paren(), times(), cat!(kron.clone(), minus(), yhat.letters("i")).paren())
    } else {
        let ratio = cat!(neg(), over(y.letters("k"), yhat.letters("k"))).paren();
        cat!(ratio, times(), yhat.letters("k"), cat!(kron, minus(), yhat.letters("i")).paren())
    };
    let spread = cat!(neg(), y.letters("i"), plus(), yhat.letters("i"), times(), sum_y.clone());
    let mut together =
        spans![format!("Put the two together{}: ", if scaled { " (leaving out the factor for now)" } else { "" })];
    if !log {
        together.extend(spans!["the ", yhat.letters("k"), " cancel and "]);
    }
    together.extend(spans![
        "the sum leaves ",
        spread.clone(),
        ". The target is one-hot, so ",
        cat!(sum_y, " = 1"),
        ":"
    ]);
    doc.para(together);
    let core = cat!(yhat.letters("i"), minus(), y.letters("i"));
    doc.formula(Math::chain([cat!(sum_over('k'), " ", term), spread, core.clone()]));
    let collapsed = |n: &Written| loss.logit_slope_formula(n).expect("cross-entropy collapses at the logits");
    if scaled {
        let mut why = Vec::new();
        if c.m > 1 {
            why.push(format!("1/m for the mean over the {} samples", c.m));
        }
        if !c.base().is_natural() {
            why.push("1/ln b for the log base".to_string());
        }
        doc.para(spans![
            "The factor in ",
            d_loss(&seen_all),
            format!(" carries through unchanged ({}):", why.join(", "))
        ]);
    }
    doc.formula(cat!(d_loss(&z.letters("i")), eq(), collapsed(&c.letters(yhat, "i"))));
    doc.para(spans!["With the numbers, the same values as the long way above:"]);
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = (0..k)
            .map(|i| {
                let value = collapsed(&c.numbers(t(s, i), p(s, i)));
                vec![d_loss(&z.at(i)), value, Math::num(sm.grad_input[[s, i]])]
            })
            .collect();
        doc.worked(lines);
    }
    c.note_unworked_samples(doc);
    let grad = Sym::new(&format!("∂L/∂{}", z.whole().text), &format!("\\partial L/\\partial {}", z.whole().tex));
    if c.m == 1 {
        let value = cat!(grad.whole(), eq(), vector(sm.grad_input.row(0).iter().copied()));
        doc.result("Gradient at the logits:", spans![value]);
    } else {
        c.vector_or_matrix(doc, spans!["The gradient at the logits, one row per sample:"], &grad, &sm.grad_input);
    }
}

fn backward_dense(doc: &mut Doc, c: &Ctx, i: usize, dense: &DenseTrace) {
    let (z, w, b, a) = (c.sym.output(i), c.weights_of(i), c.bias_of(i), c.input_of(i));
    let (units, width) = dense.weights.dim();
    let all = dense.weights.len() <= MAX_WORKED_WEIGHTS;
    if c.sym.multi() {
        doc.sub(spans![format!("Layer {}: dense, the weights ", c.sym.dense_number(i)), w.whole()]);
    } else {
        doc.sub(spans!["The weights"]);
    }
    doc.para(spans![
        "Since ",
        cat!(z.letters("i"), eq(), sum_over('j'), " ", a.letters("j"), times(), w.letters("ij")),
        ", a weight moves its own unit's sum by its input: ",
        cat!(d(&z.letters("i"), &w.letters("ij")), eq(), a.letters("j")),
        ". So each weight's gradient is its row's ",
        d_loss(&z.letters("i")),
        " times its column's input",
        if c.m > 1 { ", summed over the samples (the 1/m of the mean is already inside ∂L/∂z):" } else { ":" }
    ]);
    let rule_rhs = if c.m > 1 {
        let per_sample = |m: Math| Math::new(m.text, format!("{}^{{(s)}}", m.tex));
        let grad = Math::new("∂L/∂", "\\partial L/\\partial ");
        cat!(Math::new("Σₛ ", "\\sum_s "), grad, per_sample(z.letters("i")), times(), per_sample(a.letters("j")))
    } else {
        cat!(d_loss(&z.letters("i")), times(), a.letters("j"))
    };
    doc.formula(cat!(d_loss(&w.letters("ij")), eq(), rule_rhs));
    let lines = worked_rows(units, all)
        .flat_map(|r| (0..width).map(move |j| (r, j)))
        .map(|(r, j)| {
            let mut sides = vec![d_loss(&w.at2(r, j))];
            if c.m <= MAX_WORKED_SAMPLES {
                sides.push(Math::sum((0..c.m).map(|s| {
                    cat!(Math::factor(dense.grad_output[[s, r]]), times(), Math::factor(dense.input[[s, j]]))
                })));
            }
            sides.push(Math::num(dense.grad_weights[[r, j]]));
            sides
        })
        .collect();
    doc.worked(lines);
    if !all {
        doc.para(spans![
            format!(
                "This layer has {} weights: only the first row is written out; every other entry is its row's ",
                dense.weights.len()
            ),
            d_loss(&z.letters("i")),
            " times its column's input, as the matrix shows."
        ]);
    }
    let rows = weight_rows(c, i, units);
    let cols = input_cols(c, i, width);
    doc.matrix(table(
        spans!["The gradient ", d_loss(&w.whole()), ", shaped like ", w.whole(), ":"],
        rows,
        cols,
        &dense.grad_weights,
    ));
    if let Some(grad_bias) = &dense.grad_bias {
        doc.para(spans![
            "A bias is added to its unit's sum as it is, ",
            cat!(d(&z.letters("i"), &b.letters("i")), " = 1"),
            ", so its gradient is the unit's",
            if c.m > 1 { ", summed over the samples:" } else { ":" }
        ]);
        let lines = (0..units)
            .map(|r| {
                let middle = if c.m == 1 {
                    d_loss(&z.at(r))
                } else {
                    Math::sum((0..c.m).map(|s| Math::factor(dense.grad_output[[s, r]])))
                };
                vec![d_loss(&b.at(r)), middle, Math::num(grad_bias[r])]
            })
            .collect();
        doc.worked(lines);
    }
    if i > 0 && c.e.layers[..i].iter().any(|l| matches!(l, LayerTrace::Dense(_))) {
        backward_to_input(doc, c, i, dense);
    }
}

/// ∂L/∂a = ∂L/∂z·W: what a dense layer passes down to the layer below.
fn backward_to_input(doc: &mut Doc, c: &Ctx, i: usize, dense: &DenseTrace) {
    let (z, w, a) = (c.sym.output(i), c.weights_of(i), c.input_of(i));
    let (units, width) = dense.weights.dim();
    doc.para(spans![
        "Passed down to the layer below: each input feeds every unit of this layer, so its gradient sums over them:"
    ]);
    doc.formula(cat!(
        d_loss(&a.letters("j")),
        eq(),
        sum_over('i'),
        " ",
        d_loss(&z.letters("i")),
        times(),
        w.letters("ij")
    ));
    let all = dense.weights.len() <= MAX_WORKED_WEIGHTS;
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = worked_rows(width, all)
            .map(|j| {
                let terms = (0..units).map(|r| {
                    cat!(Math::factor(dense.grad_output[[s, r]]), times(), Math::factor(dense.weights[[r, j]]))
                });
                vec![d_loss(&a.at(j)), Math::sum(terms), Math::num(dense.grad_input[[s, j]])]
            })
            .collect();
        doc.worked(lines);
    }
    c.note_unworked_samples(doc);
    if c.m > 1 || !all {
        let name = Sym::new(&format!("∂L/∂{}", a.whole().text), &format!("\\partial L/\\partial {}", a.whole().tex));
        c.vector_or_matrix(doc, spans!["All of them:"], &name, &dense.grad_input);
    }
}

fn backward_activation(doc: &mut Doc, c: &Ctx, i: usize, layer: &LayerTrace, act: &ActivationTrace) {
    let (a, z) = (c.sym.output(i), c.input_of(i));
    doc.sub(spans![format!("Layer {}: {}, its local derivative", c.sym.dense_number(i), layer_summary(layer))]);
    let f = act.activation;
    let symbol = filled(f.symbol(), &Math::default(), &Math::default());
    let slope_of = |z: &Math, a: &Math| filled(f.derivative_formula(), z, a);
    let derivative = cat!(symbol, Math::new("′", "'"), eq(), slope_of(&Math::from("z"), &Math::from("a")));
    let why = f.derivative_note();
    doc.para(spans![
        "Each unit's gradient is scaled by the slope of the activation at that unit, ",
        derivative,
        ", ",
        why,
        ". Element by element:"
    ]);
    let f_prime = Math::new("f′", "f'");
    doc.formula(cat!(d_loss(&z.whole()), eq(), d_loss(&a.whole()), Math::new(" ⊙ ", " \\odot "), f_prime.clone()));
    doc.formula(cat!(d_loss(&z.letters("j")), eq(), d_loss(&a.letters("j")), times(), f_prime, z.letters("j").paren()));
    let units = act.input.ncols();
    let all = units <= MAX_WORKED_UNITS;
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = worked_rows(units, all)
            .map(|j| {
                let slope = slope_of(&Math::factor(act.input[[s, j]]), &Math::factor(act.output[[s, j]])).paren();
                let g = Math::factor(act.grad_output[[s, j]]);
                vec![
                    d_loss(&z.at(j)),
                    cat!(g.clone(), times(), slope),
                    cat!(g, times(), Math::factor(act.local_derivative[[s, j]])),
                    Math::num(act.grad_input[[s, j]]),
                ]
            })
            .collect();
        doc.worked(lines);
    }
    if !all {
        doc.para(spans![format!("Only the first of the {units} units is written out.")]);
    }
    c.note_unworked_samples(doc);
    if c.m > 1 || !all {
        let name = Sym::new(&format!("∂L/∂{}", z.whole().text), &format!("\\partial L/\\partial {}", z.whole().tex));
        c.vector_or_matrix(doc, spans!["All of them:"], &name, &act.grad_input);
    }
}
