//! The walk-through of one update step, stage by stage, as a [`Doc`] both the text and the
//! Markdown renderer lay out. Each stage is a file of this folder named after it; [`document`]
//! lists them in the order the reader meets them. What several stages share (the `Ctx` with the
//! names of the quantities, and the helpers below) is here; a helper only one stage uses is in its file.
//!
//! Every number shown is a field of the [`Explanation`] (or a plain input plugged into a formula
//! for display); nothing is recomputed here.
//!
//! What is written out in full: every product and every update for a dense layer of at most
//! [`MAX_WORKED_WEIGHTS`] weights, every unit of an activation of at most [`MAX_WORKED_UNITS`]
//! units, and the first [`MAX_WORKED_SAMPLES`] samples of a batch. Beyond that the first unit's
//! lines stand for the rest and the matrices show every number.

use super::doc::{Doc, Span, Table, spans};
use super::math::{self, Math, Sym, Written, vector};
use super::symbols::Symbols;
use crate::loss::{LogBase, Loss};
use crate::trace::{Explanation, LayerTrace, Matrix, SoftmaxTrace};

mod after_update;
mod backward;
mod check;
mod forward;
mod inputs;
mod loss;
mod overview;
pub(crate) mod penalty;
mod post_notes;
mod quadratic;
mod softmax;
pub(crate) mod update;

/// A dense layer with more weights than this shows its first unit's products, and the matrices.
pub const MAX_WORKED_WEIGHTS: usize = 40;
/// An activation (or a gradient passed down) with more units than this shows its first unit.
pub const MAX_WORKED_UNITS: usize = 12;
/// A batch larger than this shows the first samples worked out, and the matrices.
pub const MAX_WORKED_SAMPLES: usize = 4;

/// The whole walk-through.
pub fn document(e: &Explanation) -> Doc {
    let c = Ctx::new(e);
    let mut doc = Doc::default();
    overview::overview(&mut doc, &c);
    inputs::inputs(&mut doc, &c);
    forward::forward(&mut doc, &c);
    softmax::softmax(&mut doc, &c);
    match e.loss_function {
        Loss::CrossEntropy { .. } => loss::loss(&mut doc, &c),
        Loss::Quadratic => quadratic::loss(&mut doc, &c),
    }
    backward::backward(&mut doc, &c);
    penalty::penalty(&mut doc, &c);
    update::update(&mut doc, &c);
    after_update::after_update(&mut doc, &c);
    check::check(&mut doc, &c);
    post_notes::post_notes(&mut doc, &c);
    quadratic::post_notes(&mut doc, &c);
    doc
}

/// What every stage needs: the explanation and the names of its quantities.
struct Ctx<'a> {
    e: &'a Explanation,
    /// Samples in the batch, and how many are worked out.
    m: usize,
    worked: usize,
    /// The names of the quantities, from the one symbol table.
    sym: Symbols,
    /// The output layer (softmax or log-softmax) and whether it is the log one.
    output: Option<(&'a SoftmaxTrace, bool)>,
}

impl<'a> Ctx<'a> {
    fn new(e: &'a Explanation) -> Ctx<'a> {
        let m = e.inputs.nrows();
        let output = match e.layers.last() {
            Some(LayerTrace::Softmax(s)) => Some((s, false)),
            Some(LayerTrace::Logsoftmax(s)) => Some((s, true)),
            _ => None,
        };
        Ctx { e, m, worked: m.min(MAX_WORKED_SAMPLES), sym: Symbols::new(&e.layers), output }
    }

    /// The symbol of the model's output, ŷ.
    fn output_name(&self) -> &Sym {
        self.sym.y_hat()
    }

    /// The loss's unit after a number: nats, bits, hartleys for cross-entropy, none for the
    /// quadratic cost.
    fn unit(&self) -> Math {
        self.e.loss_function.log_base().map(unit).unwrap_or_default()
    }

    /// Cross-entropy's log base: read by the cross-entropy stages only.
    fn base(&self) -> LogBase {
        self.e.loss_function.log_base().expect("a cross-entropy explanation")
    }

    /// The loss's formulas about output `index` (k, i) in symbols: yₖ, ŷₖ, m for a batch.
    fn letters(&self, yhat: &Sym, index: &str) -> Written {
        let batch = (self.m > 1).then(|| Math::from("m"));
        Written { target: self.sym.y().letters(index), output: yhat.letters(index), batch, ..Written::default() }
    }

    /// The loss's formulas with one output's `target` and `output` values, and the batch's size.
    fn numbers(&self, target: Math, output: Math) -> Written {
        Written { target, output, batch: (self.m > 1).then(|| Math::num(self.m as f64)), ..Written::default() }
    }

    /// The symbol of layer `i`'s input.
    fn input_of(&self, i: usize) -> &Sym {
        self.sym.input_of(i)
    }

    fn weights_of(&self, i: usize) -> Sym {
        self.sym.weights_of(i)
    }

    fn bias_of(&self, i: usize) -> Sym {
        self.sym.bias_of(i)
    }

    fn last_dense(&self) -> Option<usize> {
        self.e.layers.iter().rposition(|l| matches!(l, LayerTrace::Dense(_)))
    }

    fn class(&self, c: usize) -> String {
        match self.e.class_names.as_ref().and_then(|names| names.get(c)) {
            Some(name) => format!("class {c}, {name}"),
            None => format!("class {c}"),
        }
    }

    /// "Sample s" headings, only when there is more than one sample.
    fn sample_heading(&self, doc: &mut Doc, s: usize) {
        if self.m > 1 {
            doc.sub(spans![format!("Sample {}", s + 1)]);
        }
    }

    /// Says so when a batch is larger than what is worked out.
    fn note_unworked_samples(&self, doc: &mut Doc) {
        if self.m > self.worked {
            let rest = if self.m == self.worked + 1 {
                format!("Sample {} works", self.m)
            } else {
                format!("Samples {} to {} work", self.worked + 1, self.m)
            };
            doc.para(spans![format!("{rest} the same way; the matrix holds them all.")]);
        }
    }

    fn sample_labels(&self) -> Vec<Vec<Span>> {
        (0..self.m).map(|s| spans![format!("sample {}", s + 1)]).collect()
    }

    /// A vector for one sample (`name = [..]`), or the m×k matrix for a batch.
    fn vector_or_matrix(&self, doc: &mut Doc, caption: Vec<Span>, name: &Sym, values: &Matrix) {
        if self.m == 1 {
            doc.para(caption);
            doc.worked(vec![vec![name.whole(), vector(values.row(0).iter().copied())]]);
        } else {
            let cols = (0..values.ncols()).map(|k| name.at(k)).collect();
            doc.matrix(table(caption, self.sample_labels(), cols, values));
        }
    }
}

fn table(caption: Vec<Span>, row_labels: Vec<Vec<Span>>, col_labels: Vec<Math>, m: &Matrix) -> Table {
    let rows = m.rows().into_iter().map(|r| r.to_vec()).collect();
    Table { caption, row_labels, col_labels, rows }
}

/// The rows written out for a layer: all, or the first when there are too many.
fn worked_rows(rows: usize, worked_all: bool) -> std::ops::Range<usize> {
    0..if worked_all { rows } else { rows.min(1) }
}

fn unit(base: LogBase) -> Math {
    base.unit().map(|u| Math::new(format!(" {u}"), format!("\\text{{ {u}}}"))).unwrap_or_default()
}

fn describe_base(base: LogBase) -> Vec<Span> {
    let unit = |u: Option<&str>| u.map(|u| format!(" (the loss is in {u})")).unwrap_or_default();
    if base.is_natural() {
        spans!["the natural log", unit(base.unit())]
    } else if base.base() == 2.0 {
        spans![math::log_symbol(base), unit(base.unit())]
    } else {
        spans!["log base ", Math::num(base.base()), unit(base.unit())]
    }
}

fn layer_summary(layer: &LayerTrace) -> String {
    match layer {
        LayerTrace::Dense(d) => format!(
            "dense {} → {}{}",
            d.weights.ncols(),
            d.weights.nrows(),
            if d.bias.is_none() { " (no bias)" } else { " with bias" }
        ),
        LayerTrace::Activation(a) => a.activation.name().into(),
        LayerTrace::Softmax(_) => "softmax".into(),
        LayerTrace::Logsoftmax(_) => "log-softmax".into(),
    }
}

/// Row labels of a dense layer's matrices: its output units, with the class for the logits.
fn weight_rows(c: &Ctx, i: usize, rows: usize) -> Vec<Vec<Span>> {
    let last = Some(i) == c.last_dense() && c.e.target_classes.is_some();
    (0..rows)
        .map(|r| {
            let mut label = spans![c.sym.output(i).at(r)];
            if last {
                label.push(format!(" ({})", c.class(r)).into());
            }
            label
        })
        .collect()
}

fn input_cols(c: &Ctx, i: usize, cols: usize) -> Vec<Math> {
    (0..cols).map(|j| c.input_of(i).at(j)).collect()
}
