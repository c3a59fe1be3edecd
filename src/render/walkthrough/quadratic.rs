//! The quadratic cost's stages of the walk-through (stage 4, and the start of stage 5), and the
//! note on Mazur's published numbers. Cross-entropy's are in `loss.rs` and `backward.rs`.

use super::{Ctx, MAX_WORKED_SAMPLES, MAX_WORKED_UNITS, worked_rows};
use crate::render::doc::{Block, Doc, Span, spans};
use crate::render::math::{Math, Sym, Written, cat, d_loss, eq, minus, over, times};
use crate::trace::{Explanation, LayerTrace, Matrix};

/// Stage 4 with the quadratic cost: half the squared distance to the target, term by term.
pub(super) fn loss(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    let yhat = c.output_name();
    doc.stage("loss", "The loss: the quadratic cost");
    doc.para(spans![
        "Half the squared distance between each output and its target, summed over the outputs ",
        "(Mazur's E_total; averaged over the samples of a batch, Nielsen's quadratic cost):"
    ]);
    let per_sample = if c.m == 1 { Math::from("L") } else { Math::new("L⁽ˢ⁾", "L^{(s)}") };
    let half = Math::new("½", "\\tfrac{1}{2}");
    let square = Math::new("²", "^2");
    doc.formula(cat!(per_sample, eq(), e.loss_function.sample_formula(&c.letters(yhat, "k"))));
    let k = e.targets.ncols();
    let sample_loss = |s: usize| if c.m == 1 { Math::from("L") } else { Sym::new("L", "L").of_layer(s + 1).whole() };
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let terms = Math::sum((0..k).map(|i| {
            let diff = cat!(Math::num(e.targets[[s, i]]), minus(), Math::factor(e.probabilities[[s, i]])).paren();
            cat!(half.clone(), times(), diff, square.clone())
        }));
        let value = e.sample_losses.get(s).copied().unwrap_or(e.loss);
        doc.worked(vec![vec![sample_loss(s), terms, Math::num(value)]]);
    }
    c.note_unworked_samples(doc);
    if c.m > 1 {
        doc.para(spans![format!("The loss of the batch is the mean over its {} samples:", c.m)]);
        let mut mean = vec![Math::from("L"), over(Math::sum((0..c.m).map(sample_loss)).paren(), Math::num(c.m as f64))];
        if c.m <= 2 * MAX_WORKED_SAMPLES {
            mean.push(over(Math::sum(e.sample_losses.iter().map(|&l| Math::num(l))).paren(), Math::num(c.m as f64)));
        }
        mean.push(Math::num(e.loss));
        doc.worked(vec![mean]);
    }
    doc.result("Loss:", spans![cat!("L = ", e.loss)]);
}

/// The start of stage 5 with the quadratic cost: ∂L/∂ŷ = ŷ − y (÷ m), and through a softmax when
/// the model ends in one. The layers below follow as for any network.
pub(super) fn backward_output(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    let yhat = c.output_name();
    let k = e.targets.ncols();
    doc.sub(spans!["The loss's slope in each output, ", d_loss(&yhat.whole())]);
    doc.para(spans![
        "Each output's share of ½(y − ŷ)² changes at the rate ŷ − y: the output minus its target",
        if c.m > 1 { ", divided by m as the loss is a mean:" } else { ":" }
    ]);
    let slope = |n: &Written| e.loss_function.output_slope_formula(n, false);
    doc.formula(cat!(d_loss(&yhat.letters("k")), eq(), slope(&c.letters(yhat, "k"))));
    let grad = output_gradient(e);
    let all = k <= MAX_WORKED_UNITS;
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = worked_rows(k, all)
            .map(|i| {
                let plugged = slope(&c.numbers(Math::factor(e.targets[[s, i]]), Math::num(e.probabilities[[s, i]])));
                vec![d_loss(&yhat.at(i)), plugged, Math::num(grad[[s, i]])]
            })
            .collect();
        doc.worked(lines);
    }
    c.note_unworked_samples(doc);
    if let Some((sm, _)) = c.output {
        let z = c.input_of(e.layers.len() - 1);
        doc.para(spans![
            "Through the softmax, each logit's gradient is the row ",
            d_loss(&yhat.whole()),
            " times the softmax's Jacobian (stage 3's ∂ŷ/∂z); with the quadratic cost nothing cancels:"
        ]);
        let name = Sym::new(&format!("∂L/∂{}", z.whole().text), &format!("\\partial L/\\partial {}", z.whole().tex));
        c.vector_or_matrix(doc, spans!["All of them:"], &name, &sm.grad_input);
    }
    doc.para(spans![
        "From here the chain rule runs as for any network: an activation multiplies by its derivative ",
        "(for a sigmoid output, δ = (ŷ − y)·σ′), a dense layer's weight gradient is δ times its input, ",
        "and each hidden unit receives the sum of the deltas coming back to it through its weights."
    ]);
}

/// ∂L/∂ŷ as the tape computed it, read off the output layer's trace.
fn output_gradient(e: &Explanation) -> &Matrix {
    match e.layers.last().expect("a model has layers") {
        LayerTrace::Dense(d) => &d.grad_output,
        LayerTrace::Activation(a) => &a.grad_output,
        LayerTrace::Softmax(s) | LayerTrace::Logsoftmax(s) => &s.grad_probabilities,
    }
}

/// Mazur's published numbers next to the exact ones, when this run is his example.
pub(super) fn post_notes(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    if !is_mazur_run(e) {
        return;
    }
    let mut notes = vec![spans![
        "The post says the error after the first round is ",
        Math::from("0.291027924"),
        if e.freeze_bias {
            "; computed exactly, with the biases kept as the post keeps them, it is "
        } else {
            "; the post does not update its biases (see "
        },
    ]];
    if e.freeze_bias {
        // Nine digits, as the post prints: 0.291027774.
        let exact = Math::from(format!("{:.9}", e.new_loss).as_str());
        notes[0].extend(spans![exact, " (the post's last digits are off)."]);
    } else {
        notes[0].extend(spans![
            Span::Code("--freeze-bias".into()),
            "), and with them frozen the exact value is 0.291027774; here the biases moved too, giving ",
            Math::num(e.new_loss),
            "."
        ]);
    }
    notes.push(spans![
        "Its other numbers (out_h1 = 0.593269992, out_o1 = 0.75136507, E_total = 0.298371109, ",
        "∂E/∂w5 = 0.082167041, w5⁺ = 0.35891648, w1⁺ = 0.149780716) agree with the ones above to the digits it prints."
    ]);
    doc.heading("Where the published post is loose");
    doc.para(spans!["This run is Mazur's worked example (\"A Step by Step Backpropagation Example\", 2015):"]);
    doc.push(Block::Bullets(notes));
}

/// This run is Mazur's: his 2-2-2 sigmoid network, inputs, targets, quadratic cost and step 0.5.
fn is_mazur_run(e: &Explanation) -> bool {
    let dense = |l: &LayerTrace, w: [[f64; 2]; 2], b: f64| match l {
        LayerTrace::Dense(d) => d.weights.0 == ndarray::arr2(&w) && d.bias.as_deref() == Some(&[b, b][..]),
        _ => false,
    };
    let sigmoid = |l: &LayerTrace| matches!(l, LayerTrace::Activation(a) if a.activation == crate::activation::Activation::Sigmoid);
    let [h, s1, o, s2] = e.layers.as_slice() else { return false };
    dense(h, [[0.15, 0.2], [0.25, 0.3]], 0.35)
        && sigmoid(s1)
        && dense(o, [[0.4, 0.45], [0.5, 0.55]], 0.6)
        && sigmoid(s2)
        && e.inputs.0 == ndarray::array![[0.05, 0.1]]
        && e.targets.0 == ndarray::array![[0.01, 0.99]]
        && e.loss_function == crate::loss::Loss::Quadratic
        && e.learning_rate == 0.5
}
