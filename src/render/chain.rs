//! One parameter's whole story, for the page's "click a weight": its gradient by the chain rule
//! with the record's numbers plugged in, where the ∂L/∂z it uses came from, and its update —
//! e.g. ∂L/∂W₁₂ = ∂L/∂z₁·x₂ = (−0.5205567)·0.57 = −0.29671732, W₁₂ ← 0.29 − 0.25·(−0.29671732).
//!
//! Like [`super::diagram`], it reads the layers through the explanation's JSON: `"dense"`,
//! `"softmax"`/`"logsoftmax"`, and anything else an elementwise activation.
//!
//! # Shapes
//! Per-sample matrices m×units; weights out×in. Sums over samples show the first
//! [`SHOWN_SAMPLES`] terms.

use super::fmt_num;
use super::math::{Math, Written, alpha, cat, d_loss, minus, times};
use super::mathml::mathml;
use super::symbols::Symbols;
use crate::loss::Loss;
use crate::trace::{Explanation, LayerTrace};
use serde::Serialize;
use serde_json::Value;

/// Terms of a sum over samples written out; the rest are "…".
pub const SHOWN_SAMPLES: usize = 4;
/// Chains are made for models up to this many parameters (the page explains larger ones without).
pub const MAX_CHAINS: usize = 2000;

/// One parameter's or unit's chain.
#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    /// "weight", "bias" or "unit".
    pub kind: &'static str,
    /// The layer in `layers`.
    pub layer: usize,
    /// The output unit (a weight's or bias's row, a unit's index).
    pub row: usize,
    /// The input of a weight.
    pub col: Option<usize>,
    /// Its name in plain text (W₁₂, b₁, z₁).
    pub name: String,
    /// ∂L/∂(it), as the text output writes the number.
    pub gradient: String,
    /// The lines, as HTML with MathML.
    pub html: String,
}

struct Layer<'a> {
    v: &'a Value,
    kind: &'a str,
}

fn at(v: &Value, s: usize, u: usize) -> f64 {
    v[s][u].as_f64().unwrap_or(f64::NAN)
}

fn line(sides: Vec<Math>) -> String {
    format!("<li>{}</li>", mathml(Math::chain(sides).tex.trim(), false))
}

/// A rule `a = b` on one line and its numbers `= c = d` on the next, so a narrow panel holds both.
fn worked(rule: Vec<Math>, numbers: Vec<Math>) -> String {
    let mut next = vec![Math::default()];
    next.extend(numbers);
    format!("{}{}", line(rule), line(next))
}

/// Every parameter's and unit's chain, or none for a model larger than [`MAX_CHAINS`].
pub fn chains(e: &Explanation) -> Vec<Chain> {
    let record = serde_json::to_value(&e.layers).unwrap_or(Value::Null);
    let inputs = serde_json::to_value(&e.inputs).unwrap_or(Value::Null);
    let layers: Vec<Layer> = record
        .as_array()
        .map(|a| a.iter().map(|v| Layer { v, kind: v["type"].as_str().unwrap_or("?") }).collect())
        .unwrap_or_default();
    let denses: Vec<usize> = (0..layers.len()).filter(|&i| layers[i].kind == "dense").collect();
    let size: usize = denses
        .iter()
        .map(|&i| layers[i].v["weights"].as_array().map_or(0, |w| w.len() * (w[0].as_array().map_or(0, Vec::len) + 2)))
        .sum();
    if size > MAX_CHAINS {
        return Vec::new();
    }
    let symbols = Symbols::new(&e.layers);
    let m = e.inputs.nrows();
    let shown = m.min(SHOWN_SAMPLES);
    let lr = e.learning_rate;
    let mut out = Vec::new();
    for &i in &denses {
        let d = layers[i].v;
        // The layer's input, named as the walk-through names it: x, or the layer before's output.
        let a_sym = symbols.input_of(i);
        let a_vals = if i == 0 { &inputs } else { &layers[i - 1].v["output"] };
        let (z, w_sym, b_sym) = (symbols.output(i), symbols.weights_of(i), symbols.bias_of(i));
        let weights = &d["weights"];
        let rows = weights.as_array().map_or(0, Vec::len);
        let cols = weights[0].as_array().map_or(0, Vec::len);
        for r in 0..rows {
            let origin = delta_origin(e, &layers, &symbols, i, r);
            // The unit itself.
            let gz: Vec<f64> = (0..m).map(|s| at(&d["grad_output"], s, r)).collect();
            let mut unit_html = String::from("<ul class=\"worked\">");
            unit_html.push_str(&line(vec![z.at(r), Math::num(at(&d["output"], 0, r))]));
            unit_html.push_str(&origin);
            unit_html.push_str("</ul>");
            out.push(Chain {
                kind: "unit",
                layer: i,
                row: r,
                col: None,
                name: z.at(r).text,
                gradient: fmt_num(gz[0]),
                html: unit_html,
            });
            for c in 0..cols {
                let w = weights[r][c].as_f64().unwrap_or(f64::NAN);
                let g = d["grad_weights"][r][c].as_f64().unwrap_or(f64::NAN);
                let new = d["new_weights"][r][c].as_f64().unwrap_or(f64::NAN);
                let name = w_sym.at2(r, c);
                let rule = if m == 1 {
                    cat!(d_loss(&z.at(r)), times(), a_sym.at(c))
                } else {
                    cat!(Math::new("Σₛ ", "\\sum_s "), d_loss(&z.at(r)), times(), a_sym.at(c))
                };
                let mut terms: Vec<Math> =
                    (0..shown).map(|s| cat!(Math::factor(gz[s]), times(), Math::factor(at(a_vals, s, c)))).collect();
                if m > shown {
                    terms.push(Math::from("…"));
                }
                // With --l2/--l1 the step takes the data's gradient plus the penalty's (stage 5b).
                let penalised = e.penalty.as_ref().and_then(|p| {
                    let total = p.gradients.iter().find(|pg| pg.layer == i)?.total[[r, c]];
                    Some((super::walkthrough::penalty::gradient_sum(p, e.loss, g, w), total))
                });
                let g_step = penalised.as_ref().map_or(g, |p| p.1);
                let run = optimizer_lines(e, i, false, &name, [r, c], (w, g_step, new));
                let html = parameter(&name, rule, terms, g, &origin, w, Some(lr), new, penalised, run);
                let g = g_step;
                out.push(Chain {
                    kind: "weight",
                    layer: i,
                    row: r,
                    col: Some(c),
                    name: name.text,
                    gradient: fmt_num(g),
                    html,
                });
            }
            if let Some(b) = d["bias"].as_array() {
                let bv = b[r].as_f64().unwrap_or(f64::NAN);
                let g = d["grad_bias"][r].as_f64().unwrap_or(f64::NAN);
                let new = d["new_bias"][r].as_f64().unwrap_or(f64::NAN);
                let name = b_sym.at(r);
                let mut terms: Vec<Math> = (0..shown).map(|s| Math::factor(gz[s])).collect();
                if m > shown {
                    terms.push(Math::from("…"));
                }
                let rule =
                    if m == 1 { d_loss(&z.at(r)) } else { cat!(Math::new("Σₛ ", "\\sum_s "), d_loss(&z.at(r))) };
                // A frozen bias keeps its value: its update line would be a false equation.
                let lr = if e.freeze_bias { None } else { Some(lr) };
                let run = optimizer_lines(e, i, true, &name, [0, r], (bv, g, new));
                let html = parameter(&name, rule, terms, g, &origin, bv, lr, new, None, run);
                out.push(Chain {
                    kind: "bias",
                    layer: i,
                    row: r,
                    col: None,
                    name: name.text,
                    gradient: fmt_num(g),
                    html,
                });
            }
        }
    }
    out
}

/// A weight's or a bias's lines: its gradient by `rule` with the numbers (`terms`), where the
/// ∂L/∂z it uses came from, and its update `old − α·g = new`.
#[allow(clippy::too_many_arguments)]
/// `lr` is `None` for a frozen bias, which keeps `old`; `penalised` is a weight's gradient with
/// the weight penalty (its numbers, and the sum the step takes); `run` the lines of a step of
/// momentum or adam, which replace the plain `old − α·g`.
fn parameter(
    name: &Math,
    rule: Math,
    terms: Vec<Math>,
    g: f64,
    origin: &str,
    old: f64,
    lr: Option<f64>,
    new: f64,
    penalised: Option<(Math, f64)>,
    run: Option<Vec<Vec<Math>>>,
) -> String {
    let mut html = String::from("<ul class=\"worked\">");
    let data = match penalised {
        Some(_) => cat!(Math::new("∂L_data/∂", "\\partial L_{\\text{data}}/\\partial "), name),
        None => d_loss(name),
    };
    html.push_str(&worked(vec![data, rule], vec![Math::sum(terms), Math::num(g)]));
    html.push_str(origin);
    // The weight penalty's part, and the gradient the step takes.
    let g = match penalised {
        Some((sum, total)) => {
            html.push_str(&line(vec![d_loss(name), sum, Math::num(total)]));
            total
        }
        None => g,
    };
    match (lr, run) {
        (Some(_), Some(lines)) => lines.into_iter().for_each(|sides| html.push_str(&line(sides))),
        (Some(lr), None) => {
            let step = cat!(name, Math::new(" ← ", " \\leftarrow "), name, minus(), alpha(), times(), d_loss(name));
            html.push_str(&line(vec![step]));
            html.push_str(&line(vec![
                cat!(Math::num(old), minus(), Math::num(lr), times(), Math::factor(g)),
                Math::num(new),
            ]));
        }
        (None, _) => {
            html.push_str("<li class=\"why\">the biases are frozen: it keeps its value</li>");
            html.push_str(&line(vec![name.clone(), Math::num(old)]));
        }
    }
    html.push_str("</ul>");
    html
}

/// A parameter's lines of a step of momentum or adam (its state before and after, the step), as
/// stage 6 writes them; `None` for sgd. `at` is its place in its `weights_step` or `bias_step`,
/// `numbers` its (old value, gradient the step took, new value).
fn optimizer_lines(
    e: &Explanation,
    i: usize,
    bias: bool,
    name: &Math,
    at: [usize; 2],
    numbers: (f64, f64, f64),
) -> Option<Vec<Vec<Math>>> {
    let LayerTrace::Dense(d) = &e.layers[i] else { return None };
    let p = if bias { d.bias_step.as_ref() } else { d.weights_step.as_ref() }?;
    let (old, g, new) = numbers;
    Some(super::walkthrough::update::parameter_lines(e, name.clone(), old, g, new, p, at))
}

/// Where ∂L/∂z_r of dense layer `i` came from (first sample): the output layer's (ŷ − y)
/// rule, or the deltas of the layer above summed back through its weights and multiplied by
/// the activation's slope.
fn delta_origin(e: &Explanation, layers: &[Layer], symbols: &Symbols, i: usize, r: usize) -> String {
    let (z, m) = (symbols.output(i), e.inputs.nrows());
    let d = layers[i].v;
    let gz = at(&d["grad_output"], 0, r);
    let sample = if m > 1 { " (sample 1)" } else { "" };
    let Some(next) = layers.get(i + 1) else {
        return String::new();
    };
    let softmax_next = next.kind == "softmax" || next.kind == "logsoftmax";
    let (y_hat, y_sym) = (symbols.y_hat(), symbols.y());
    // The loss's formulas about output r, in symbols and with the first sample's numbers.
    let batch = |n: Math| (m > 1).then_some(n);
    let letters = |r: usize| Written {
        target: y_sym.at(r),
        output: y_hat.at(r),
        batch: batch(Math::from("m")),
        ..Written::default()
    };
    let numbers = |r: usize| Written {
        target: Math::num(e.targets[[0, r]]),
        output: Math::num(e.probabilities[[0, r]]),
        batch: batch(Math::num(m as f64)),
        ..Written::default()
    };
    // Each loss's own rule where it meets the model; a new loss must say what it writes here.
    match (e.loss_function, softmax_next) {
        (Loss::CrossEntropy { .. }, true) => {
            let collapsed = |n: &Written| e.loss_function.logit_slope_formula(n).expect("cross-entropy collapses");
            let mut html = format!("<li class=\"why\">where{sample}</li>");
            html.push_str(&worked(
                vec![d_loss(&z.at(r)), collapsed(&letters(r))],
                vec![collapsed(&numbers(r)), Math::num(gz)],
            ));
            return html;
        }
        // Cross-entropy reads a softmax's output only (`Loss::check_output`): below the top the
        // chain runs through the layers as for any loss.
        (Loss::CrossEntropy { .. }, false) | (Loss::Quadratic, _) => {}
    }
    // The quadratic cost through a softmax couples every output: its Jacobian is the forward
    // stage's, not one line here.
    if next.kind == "dense" || softmax_next {
        return String::new();
    }
    // An activation, then the next dense layer.
    let act = next.v;
    let a = symbols.output(i + 1);
    let da = at(&act["grad_output"], 0, r);
    let slope = at(&act["local_derivative"], 0, r);
    let mut html = format!("<li class=\"why\">where{sample}, through {}:</li>", next.kind);
    html.push_str(&worked(
        vec![
            d_loss(&z.at(r)),
            cat!(d_loss(&a.at(r)), times(), Math::new("f′", "f'"), Math::from("("), z.at(r), Math::from(")")),
        ],
        vec![cat!(Math::factor(da), times(), Math::factor(slope)), Math::num(gz)],
    ));
    if layers.get(i + 2).is_none() {
        match e.loss_function {
            Loss::Quadratic => {
                // The activation is the output ŷ: the loss's slope ∂L/∂ŷ, as the walk-through writes it.
                let slope = |n: &Written| e.loss_function.output_slope_formula(n, false);
                let (rule, numbers) = (slope(&letters(r)), slope(&numbers(r)));
                html.push_str(&worked(vec![d_loss(&a.at(r)), rule], vec![numbers, Math::num(da)]));
            }
            // Cross-entropy's output is a softmax's (`Loss::check_output`), never an activation's.
            Loss::CrossEntropy { .. } => {}
        }
    }
    if let Some(above) = layers.get(i + 2).filter(|l| l.kind == "dense") {
        let (w_above, z_above) = (symbols.weights_of(i + 2), symbols.output(i + 2));
        let rows = above.v["weights"].as_array().map_or(0, Vec::len);
        let terms: Vec<Math> = (0..rows)
            .map(|k| {
                cat!(
                    Math::factor(at(&above.v["grad_output"], 0, k)),
                    times(),
                    Math::factor(above.v["weights"][k][r].as_f64().unwrap_or(f64::NAN))
                )
            })
            .collect();
        html.push_str(&worked(
            vec![
                d_loss(&a.at(r)),
                cat!(
                    Math::new("Σₖ ", "\\sum_k "),
                    d_loss(&z_above.letters("k")),
                    times(),
                    w_above.letters(&format!("k{}", r + 1))
                ),
            ],
            vec![Math::sum(terms), Math::num(da)],
        ));
    }
    html
}
