//! The walk-through of one update step, stage by stage, as a [`Doc`] both the text and the
//! Markdown renderer lay out. Each stage is one function below, in the order the reader meets it.
//!
//! Every number shown is a field of the [`Explanation`] (or a plain input plugged into a formula
//! for display); nothing is recomputed here.
//!
//! What is written out in full: every product and every update for a dense layer of at most
//! [`MAX_WORKED_WEIGHTS`] weights, every unit of an activation of at most [`MAX_WORKED_UNITS`]
//! units, and the first [`MAX_WORKED_SAMPLES`] samples of a batch. Beyond that the first unit's
//! lines stand for the rest and the matrices show every number.

use super::doc::{Block, Doc, Span, Table, Tone, spans};
use super::fmt_num;
use super::math::{self, Math, Sym, cat, d, d_loss, eq, exp, minus, neg, over, plus, sum_over, times, vector};
use crate::data::{ScaleKind, Scaler};
use crate::loss::LogBase;
use crate::trace::{
    ActivationTrace, DenseTrace, ExplainRequest, Explanation, LayerTrace, Matrix, SoftmaxTrace, Update,
};
use crate::update::Optimizer;

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
    overview(&mut doc, &c);
    inputs(&mut doc, &c);
    forward(&mut doc, &c);
    softmax(&mut doc, &c);
    loss(&mut doc, &c);
    backward(&mut doc, &c);
    update(&mut doc, &c);
    after_update(&mut doc, &c);
    check(&mut doc, &c);
    post_notes(&mut doc, &c);
    doc
}

/// What every stage needs: the explanation and the names of its quantities.
struct Ctx<'a> {
    e: &'a Explanation,
    /// Samples in the batch, and how many are worked out.
    m: usize,
    worked: usize,
    /// More than one dense layer: symbols carry their layer, W⁽¹⁾.
    multi: bool,
    /// The symbol of each layer's output (z, a⁽¹⁾, ŷ, …).
    names: Vec<Sym>,
    /// For each layer, how many dense layers come up to and including it (the ℓ of W⁽ℓ⁾).
    dense_number: Vec<usize>,
    /// The output layer (softmax or log-softmax) and whether it is the log one.
    output: Option<(&'a SoftmaxTrace, bool)>,
    x: Sym,
    y: Sym,
}

impl<'a> Ctx<'a> {
    fn new(e: &'a Explanation) -> Ctx<'a> {
        let m = e.inputs.nrows();
        let mut dense_number = Vec::with_capacity(e.layers.len());
        let mut count = 0;
        for layer in &e.layers {
            count += usize::from(matches!(layer, LayerTrace::Dense(_)));
            dense_number.push(count);
        }
        let multi = count > 1;
        let last = e.layers.len().saturating_sub(1);
        let output = match e.layers.last() {
            Some(LayerTrace::Softmax(s)) => Some((s, false)),
            Some(LayerTrace::Logsoftmax(s)) => Some((s, true)),
            _ => None,
        };
        let mut names: Vec<Sym> = Vec::with_capacity(e.layers.len());
        for (i, layer) in e.layers.iter().enumerate() {
            let is_output = i == last && output.is_some();
            let base = match layer {
                _ if is_output => Sym::new("ŷ", "\\hat{y}"),
                LayerTrace::Dense(_) => Sym::new("z", "z"),
                _ => Sym::new("a", "a"),
            };
            let mut sym = if multi && !is_output { base.of_layer(dense_number[i].max(1)) } else { base };
            while names.contains(&sym) {
                sym = sym.primed();
            }
            names.push(sym);
        }
        Ctx {
            e,
            m,
            worked: m.min(MAX_WORKED_SAMPLES),
            multi,
            names,
            dense_number,
            output,
            x: Sym::new("x", "x"),
            y: Sym::new("y", "y"),
        }
    }

    fn base(&self) -> LogBase {
        self.e.log_base
    }

    /// The symbol of layer `i`'s input.
    fn input_of(&self, i: usize) -> &Sym {
        if i == 0 { &self.x } else { &self.names[i - 1] }
    }

    fn weights_of(&self, i: usize) -> Sym {
        self.of_layer(Sym::new("W", "W"), i)
    }

    fn bias_of(&self, i: usize) -> Sym {
        self.of_layer(Sym::new("b", "b"), i)
    }

    fn of_layer(&self, sym: Sym, i: usize) -> Sym {
        if self.multi { sym.of_layer(self.dense_number[i]) } else { sym }
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

/// The loss gradient's denominator beyond ŷ: m·ln b, or the part of it that is not 1.
fn scale_factor(c: &Ctx, symbolic: bool) -> Option<Math> {
    let m = (c.m > 1).then(|| if symbolic { Math::from("m") } else { Math::num(c.m as f64) });
    let ln_b = (!c.base().is_natural()).then(|| math::ln_of_base(c.base()));
    match (m, ln_b) {
        (Some(m), Some(l)) => Some(cat!(m, times(), l)),
        (Some(m), None) => Some(m),
        (None, Some(l)) => Some(l),
        (None, None) => None,
    }
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
        LayerTrace::Relu(_) => "relu".into(),
        LayerTrace::Tanh(_) => "tanh".into(),
        LayerTrace::Sigmoid(_) => "sigmoid".into(),
        LayerTrace::Softmax(_) => "softmax".into(),
        LayerTrace::Logsoftmax(_) => "log-softmax".into(),
    }
}

fn overview(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    doc.push(Block::Title("gradlens explain: one step of gradient descent, number by number".into()));
    let model: Vec<String> = e.layers.iter().map(layer_summary).collect();
    let mut p = spans![format!("Model: {}. Loss: cross-entropy with ", model.join(" → "))];
    p.extend(describe_base(c.base()));
    p.extend(spans![
        if c.m > 1 { format!(", averaged over {} samples", c.m) } else { ", on one sample".into() },
        match e.optimizer {
            Optimizer::Sgd { .. } => ". Plain gradient descent with step size ",
            Optimizer::Momentum { .. } => ". A step of a training run with momentum, step size ",
            Optimizer::Adam { .. } => ". A step of a training run with adam, step size ",
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

/// Stage 1: the numbers everything starts from.
fn inputs(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    doc.heading("1. Inputs, weights and target");
    let n = e.inputs.ncols();
    let inputs_caption = if c.m == 1 {
        spans![format!("The input, one sample of {n} features:")]
    } else {
        spans![format!("The inputs, {} samples of {n} features (one per row):", c.m)]
    };
    c.vector_or_matrix(doc, inputs_caption, &c.x, &e.inputs);
    if let (Some(raw), Some(scaler)) = (&e.raw_inputs, &e.scaler) {
        scaling(doc, c, raw, scaler);
    }
    if let Some(features) = &e.feature_names {
        let mut p = spans!["The features: "];
        for (j, f) in features.iter().enumerate() {
            p.push(if j == 0 { "".into() } else { ", ".into() });
            p.extend(spans![c.x.at(j), format!(" {f}")]);
        }
        p.push(".".into());
        doc.para(p);
    }
    for (i, layer) in e.layers.iter().enumerate() {
        if let LayerTrace::Dense(dense) = layer {
            weights(doc, c, i, dense);
        }
    }
    let targets_caption = spans!["The target, one-hot: 1 for the true class, 0 elsewhere."];
    if c.m == 1 {
        doc.para(targets_caption);
        let class = c.class(e.target_classes.first().copied().unwrap_or_default());
        doc.worked(vec![vec![c.y.whole(), vector(e.targets.row(0).iter().copied())]]);
        doc.para(spans![format!("The true class is {class}.")]);
    } else {
        let rows = (0..c.m)
            .map(|s| spans![format!("sample {} ({})", s + 1, c.class(e.target_classes.get(s).copied().unwrap_or(0)))])
            .collect();
        let cols = (0..e.targets.ncols()).map(|k| c.y.at(k)).collect();
        doc.matrix(table(spans!["The targets, one-hot, one row per sample:"], rows, cols, &e.targets));
    }
}

/// Where the inputs came from when the model scales what it is given (a trained model's scaler).
fn scaling(doc: &mut Doc, c: &Ctx, raw: &Matrix, scaler: &Scaler) {
    let (how, offset, divisor) = match scaler.kind {
        ScaleKind::Standard => ("standard", "mean", "standard deviation"),
        ScaleKind::Minmax => ("min-max", "minimum", "range (max − min)"),
    };
    doc.para(spans![format!(
        "These are the measured values put through the model's {how} scaler, fitted on its training rows: \
         each feature has its training {offset} taken away and is divided by its training {divisor}."
    )]);
    let raw_name = Sym::new("x_raw", "x^{\\text{raw}}");
    c.vector_or_matrix(doc, spans!["As measured:"], &raw_name, raw);
    doc.worked(vec![
        vec![Math::new(offset, format!("\\text{{{offset}}}")), vector(scaler.offset.iter().copied())],
        vec![Math::new(divisor, format!("\\text{{{divisor}}}")), vector(scaler.divisor.iter().copied())],
    ]);
}

fn weights(doc: &mut Doc, c: &Ctx, i: usize, dense: &DenseTrace) {
    let w = c.weights_of(i);
    let caption = if Some(i) == c.last_dense() {
        spans![
            "The weights ",
            w.whole(),
            ", one row per class: row i holds the weights into the logit ",
            c.names[i].letters("i"),
            ":"
        ]
    } else {
        spans![
            format!("Layer {}'s weights ", c.dense_number[i]),
            w.whole(),
            ", one row per unit of ",
            c.names[i].whole(),
            ":"
        ]
    };
    doc.matrix(table(
        caption,
        weight_rows(c, i, dense.weights.nrows()),
        input_cols(c, i, dense.weights.ncols()),
        &dense.weights,
    ));
    match &dense.bias {
        Some(b) => {
            doc.para(spans!["The bias:"]);
            doc.worked(vec![vec![c.bias_of(i).whole(), vector(b.iter().copied())]]);
        }
        None => doc.para(spans!["No bias."]),
    }
}

/// Row labels of a dense layer's matrices: its output units, with the class for the logits.
fn weight_rows(c: &Ctx, i: usize, rows: usize) -> Vec<Vec<Span>> {
    let last = Some(i) == c.last_dense();
    (0..rows)
        .map(|r| {
            let mut label = spans![c.names[i].at(r)];
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

/// Stage 2: every layer up to the logits.
fn forward(doc: &mut Doc, c: &Ctx) {
    doc.heading(if c.multi { "2. Forward, layer by layer" } else { "2. Forward: the logits" });
    let hidden = if c.output.is_some() { c.e.layers.len() - 1 } else { c.e.layers.len() };
    for (i, layer) in c.e.layers.iter().enumerate().take(hidden) {
        match layer {
            LayerTrace::Dense(dense) => forward_dense(doc, c, i, dense),
            LayerTrace::Relu(a) | LayerTrace::Tanh(a) | LayerTrace::Sigmoid(a) => {
                forward_activation(doc, c, i, layer, a)
            }
            LayerTrace::Softmax(s) | LayerTrace::Logsoftmax(s) => {
                doc.formula(cat!(c.names[i].whole(), " = softmax(", c.input_of(i).whole(), ")"));
                c.vector_or_matrix(doc, spans!["Its output:"], &c.names[i], &s.output);
            }
        }
    }
}

fn forward_dense(doc: &mut Doc, c: &Ctx, i: usize, dense: &DenseTrace) {
    let (z, w, b, a) = (&c.names[i], c.weights_of(i), c.bias_of(i), c.input_of(i));
    let (units, width) = dense.weights.dim();
    if c.multi {
        doc.sub(spans![format!("Layer {}: dense, {width} → {units}", c.dense_number[i])]);
    }
    let mut rule = cat!(z.letters("i"), eq(), sum_over('j'), " ", a.letters("j"), times(), w.letters("ij"));
    if dense.bias.is_some() {
        rule = cat!(rule, plus(), b.letters("i"));
    }
    let last = Some(i) == c.last_dense();
    let what = if last { "Each logit" } else { "Each unit" };
    doc.para(spans![
        format!("{what} is a weighted sum of the inputs, input times weight along its row of "),
        w.whole(),
        ":"
    ]);
    doc.formula(rule);
    let all = dense.weights.len() <= MAX_WORKED_WEIGHTS;
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = worked_rows(units, all)
            .map(|r| {
                let mut terms: Vec<Math> = (0..width)
                    .map(|j| cat!(Math::factor(dense.input[[s, j]]), times(), Math::factor(dense.weights[[r, j]])))
                    .collect();
                if let Some(bias) = &dense.bias {
                    terms.push(Math::factor(bias[r]));
                }
                vec![z.at(r), Math::sum(terms), Math::num(dense.output[[s, r]])]
            })
            .collect();
        doc.worked(lines);
    }
    if !all {
        doc.para(spans![
            format!("This layer has {} weights: only the first unit's sum is written out; ", dense.weights.len()),
            "the others are the same along their own rows."
        ]);
    }
    c.note_unworked_samples(doc);
    let caption = if last { spans!["The logits:"] } else { spans![format!("Layer {}'s output:", c.dense_number[i])] };
    if last && c.m == 1 {
        doc.result("Logits:", spans![cat!(z.whole(), eq(), vector(dense.output.row(0).iter().copied()))]);
    } else if !(c.m == 1 && all) {
        c.vector_or_matrix(doc, caption, z, &dense.output);
    }
}

fn activation_name(layer: &LayerTrace) -> &'static str {
    match layer {
        LayerTrace::Relu(_) => "relu",
        LayerTrace::Tanh(_) => "tanh",
        _ => "σ",
    }
}

fn forward_activation(doc: &mut Doc, c: &Ctx, i: usize, layer: &LayerTrace, act: &ActivationTrace) {
    let (a, z) = (&c.names[i], c.input_of(i));
    let f = activation_name(layer);
    if c.multi {
        doc.sub(spans![format!("Layer {}: {}", c.dense_number[i], layer_summary(layer))]);
    }
    let definition = match layer {
        LayerTrace::Relu(_) => Math::new(", relu(z) = max(0, z)", ",\\ \\mathrm{relu}(z) = \\max(0, z)"),
        LayerTrace::Tanh(_) => Math::default(),
        _ => Math::new(", σ(z) = 1/(1 + e^(−z))", ",\\ \\sigma(z) = 1/(1 + e^{-z})"),
    };
    doc.para(spans!["Applied to each unit on its own:"]);
    doc.formula(cat!(a.letters("j"), eq(), fn_name(f), z.letters("j").paren(), definition));
    let units = act.input.ncols();
    let all = units <= MAX_WORKED_UNITS;
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = worked_rows(units, all)
            .map(|j| {
                vec![a.at(j), cat!(fn_name(f), Math::num(act.input[[s, j]]).paren()), Math::num(act.output[[s, j]])]
            })
            .collect();
        doc.worked(lines);
    }
    if !all {
        doc.para(spans![format!("Only the first of the {units} units is written out.")]);
    }
    c.note_unworked_samples(doc);
    if !(c.m == 1 && all) {
        c.vector_or_matrix(doc, spans!["The layer's output:"], a, &act.output);
    }
}

fn fn_name(f: &str) -> Math {
    match f {
        "σ" => Math::new("σ", "\\sigma"),
        "tanh" => Math::new("tanh", "\\tanh"),
        other => Math::new(other, format!("\\mathrm{{{other}}}")),
    }
}

/// Stage 3: the logits into probabilities.
fn softmax(doc: &mut Doc, c: &Ctx) {
    let Some((sm, log)) = c.output else { return };
    let out = c.e.layers.len() - 1;
    let (z, yhat) = (c.input_of(out), &c.names[out]);
    doc.heading("3. Softmax: the probabilities");
    doc.para(spans![
        "Each logit's exponential, divided by their sum, so the probabilities are positive and add up to 1:"
    ]);
    doc.formula(cat!(
        yhat.letters("i"),
        eq(),
        over(exp(z.letters("i")), cat!(sum_over('k'), " ", exp(z.letters("k"))).paren())
    ));
    if log {
        doc.para(spans![
            "The model ends in log-softmax: it outputs ",
            cat!(
                Math::new("ln ", "\\ln "),
                yhat.letters("i"),
                eq(),
                z.letters("i"),
                minus(),
                Math::new("ln ", "\\ln "),
                sum_over('k'),
                " ",
                exp(z.letters("k"))
            ),
            ", the log of the same probabilities, which the loss uses directly."
        ]);
    }
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let k = sm.input.ncols();
        let shift = sm.shift.get(s).copied().unwrap_or(0.0);
        let power = |i: usize| {
            if shift == 0.0 {
                (exp(z.at(i)), exp(Math::num(sm.input[[s, i]])))
            } else {
                (exp(cat!(z.at(i), minus(), "c")), exp(cat!(Math::num(sm.input[[s, i]]), minus(), Math::num(shift))))
            }
        };
        if shift != 0.0 {
            doc.para(spans![
                "The largest logit would overflow ",
                exp(z.whole()),
                ", so every exponent is shifted by ",
                cat!("c = ", shift),
                ": the factor ",
                exp(Math::from("-c")),
                " cancels between the top and the sum, and the probabilities are the same."
            ]);
        }
        let mut lines: Vec<Vec<Math>> = (0..k)
            .map(|i| {
                let (name, plugged) = power(i);
                vec![name, plugged, Math::num(sm.exps[[s, i]])]
            })
            .collect();
        let sum_name = if shift == 0.0 {
            cat!(sum_over('k'), " ", exp(z.letters("k")))
        } else {
            cat!(sum_over('k'), " ", exp(cat!(z.letters("k"), minus(), "c")))
        };
        lines.push(vec![sum_name, Math::sum((0..k).map(|i| Math::num(sm.exps[[s, i]]))), Math::num(sm.sums[s])]);
        lines.extend((0..k).map(|i| {
            vec![
                yhat.at(i),
                over(Math::num(sm.exps[[s, i]]), Math::num(sm.sums[s])),
                Math::num(c.e.probabilities[[s, i]]),
            ]
        }));
        doc.worked(lines);
    }
    c.note_unworked_samples(doc);
    if c.m == 1 {
        doc.result(
            "Probabilities:",
            spans![cat!(yhat.whole(), eq(), vector(c.e.probabilities.row(0).iter().copied()))],
        );
    } else {
        c.vector_or_matrix(doc, spans!["The probabilities, one row per sample:"], yhat, &c.e.probabilities);
    }
}

/// Stage 4: cross-entropy, term by term.
fn loss(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    let base = c.base();
    let out = e.layers.len().saturating_sub(1);
    let yhat = &c.names[out];
    let log_sym = math::log_symbol(base);
    doc.heading("4. The loss: cross-entropy");
    let mut p = spans!["Minus the log of the probability given to each class, weighted by the target, with "];
    p.extend(describe_base(base));
    p.push(". Only the true class's term survives, as the other targets are 0:".into());
    doc.para(p);
    let per_sample = if c.m == 1 { Math::from("L") } else { Math::new("L⁽ˢ⁾", "L^{(s)}") };
    doc.formula(cat!(
        per_sample,
        eq(),
        neg(),
        sum_over('k'),
        " ",
        c.y.letters("k"),
        times(),
        log_sym,
        " ",
        yhat.letters("k")
    ));
    let k = e.probabilities.ncols();
    let sample_loss = |s: usize| if c.m == 1 { Math::from("L") } else { Sym::new("L", "L").of_layer(s + 1).whole() };
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let logs =
            Math::sum((0..k).map(|i| {
                cat!(Math::num(e.targets[[s, i]]), times(), math::log(base, Math::num(e.probabilities[[s, i]])))
            }));
        let values = Math::sum(
            (0..k).map(|i| cat!(Math::num(e.targets[[s, i]]), times(), Math::factor(e.log_probabilities[[s, i]]))),
        );
        let value = e.sample_losses.get(s).copied().unwrap_or(e.loss);
        doc.worked(vec![vec![
            sample_loss(s),
            cat!(neg(), logs.bracket()),
            cat!(neg(), values.bracket()),
            cat!(value, unit(base)),
        ]]);
    }
    c.note_unworked_samples(doc);
    let underflow =
        e.probabilities.indexed_iter().find(|&((s, i), &p)| p == 0.0 && e.log_probabilities[[s, i]].is_finite());
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

/// Stage 5: the chain rule from the loss back to every weight.
fn backward(doc: &mut Doc, c: &Ctx) {
    doc.heading("5. Backward: from the loss to every weight");
    doc.para(spans![
        "The chain rule, from the loss back to each weight. Every gradient below is the tape's ",
        "(reverse-mode autodiff); the formulas show why it has that value."
    ]);
    backward_output(doc, c);
    let hidden = if c.output.is_some() { c.e.layers.len() - 1 } else { c.e.layers.len() };
    for i in (0..hidden).rev() {
        match &c.e.layers[i] {
            LayerTrace::Dense(dense) => backward_dense(doc, c, i, dense),
            layer @ (LayerTrace::Relu(a) | LayerTrace::Tanh(a) | LayerTrace::Sigmoid(a)) => {
                backward_activation(doc, c, i, layer, a)
            }
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
    let (z, yhat, y) = (c.input_of(out), &c.names[out], &c.y);
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
    let symbolic = scale_factor(c, true);
    let plugged = scale_factor(c, false);
    // −y/(m·ŷ·ln b) for softmax, −y/(m·ln b) for log-softmax, leaving out the factors that are 1.
    let slope = |y: Math, yhat: Option<Math>, symbolic: bool| {
        let m = (c.m > 1).then(|| if symbolic { Math::from("m") } else { Math::num(c.m as f64) });
        let ln_b = (!c.base().is_natural()).then(|| math::ln_of_base(c.base()));
        let parts: Vec<Math> = [m, yhat, ln_b].into_iter().flatten().collect();
        match parts.len() {
            0 => cat!(neg(), y),
            1 => cat!(neg(), over(y, parts[0].clone())),
            _ => cat!(neg(), over(y, Math::join(parts, &times()).paren())),
        }
    };

    doc.sub(spans!["The loss's slope in each probability, ", d_loss(&seen_all)]);
    doc.para(spans!["Only the true class's term of the loss depends on its probability:"]);
    let yhat_k = (!log).then(|| yhat.letters("k"));
    doc.formula(cat!(d_loss(&seen_k), eq(), slope(y.letters("k"), yhat_k, true)));
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = (0..k)
            .map(|i| {
                let value = slope(t(s, i), (!log).then(|| p(s, i)), false);
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
                    cat!(Math::factor(sm.grad_probabilities[[s, r]]), times(), Math::factor(sm.jacobians[s][[r, i]]))
                });
                vec![d_loss(&z.at(i)), Math::sum(terms), Math::num(sm.jacobian_times_grad[[s, i]])]
            })
            .collect();
        doc.worked(lines);
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
    let mut together = spans![format!(
        "Put the two together{}: ",
        if symbolic.is_some() { " (leaving out the factor for now)" } else { "" }
    )];
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
    match (&symbolic, &plugged) {
        (Some(f), Some(_)) => {
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
            let den = if f.text.contains('·') { f.clone().paren() } else { f.clone() };
            doc.formula(cat!(d_loss(&z.letters("i")), eq(), over(core.paren(), den)));
        }
        _ => doc.formula(cat!(d_loss(&z.letters("i")), eq(), core)),
    }
    doc.para(spans!["With the numbers, the same values as the long way above:"]);
    for s in 0..c.worked {
        c.sample_heading(doc, s);
        let lines = (0..k)
            .map(|i| {
                let diff = cat!(p(s, i), minus(), t(s, i));
                let value = match &plugged {
                    Some(f) if f.text.contains('·') => over(diff.paren(), f.clone().paren()),
                    Some(f) => over(diff.paren(), f.clone()),
                    None => diff,
                };
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
    let (z, w, b, a) = (&c.names[i], c.weights_of(i), c.bias_of(i), c.input_of(i));
    let (units, width) = dense.weights.dim();
    let all = dense.weights.len() <= MAX_WORKED_WEIGHTS;
    if c.multi {
        doc.sub(spans![format!("Layer {}: dense, the weights ", c.dense_number[i]), w.whole()]);
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
    let (z, w, a) = (&c.names[i], c.weights_of(i), c.input_of(i));
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
    let (a, z) = (&c.names[i], c.input_of(i));
    doc.sub(spans![format!("Layer {}: {}, its local derivative", c.dense_number[i], layer_summary(layer))]);
    let (derivative, why) = match layer {
        LayerTrace::Relu(_) => (
            Math::new("relu′ = [a > 0]", "\\mathrm{relu}' = [a \\gt 0]"),
            "1 where the unit is on, 0 where it is cut off",
        ),
        LayerTrace::Tanh(_) => (Math::new("tanh′ = 1 − a²", "\\tanh' = 1 - a^2"), "read off the output a itself"),
        _ => (Math::new("σ′ = σ(1 − σ)", "\\sigma' = \\sigma(1 - \\sigma)"), "read off the output σ itself"),
    };
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
                let out = act.output[[s, j]];
                let slope = match layer {
                    LayerTrace::Relu(_) => {
                        Math::new(format!("[{} > 0]", Math::num(out).text), format!("[{} \\gt 0]", Math::num(out).tex))
                    }
                    LayerTrace::Tanh(_) => cat!("1", minus(), Math::factor(out), Math::new("²", "^2")).paren(),
                    _ => cat!(Math::factor(out), times(), cat!("1", minus(), Math::num(out)).paren()).paren(),
                };
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

/// Stage 6: every weight takes a step against its gradient.
fn update(doc: &mut Doc, c: &Ctx) {
    let alpha = c.e.learning_rate;
    if !matches!(c.e.optimizer, Optimizer::Sgd { .. }) {
        return run_update(doc, c);
    }
    doc.heading("6. The update: each weight steps against its gradient");
    doc.para(spans![
        "Plain gradient descent: each weight moves against its gradient, scaled by the step size ",
        cat!(math::alpha(), " = ", alpha),
        ":"
    ]);
    for (i, layer) in c.e.layers.iter().enumerate() {
        let LayerTrace::Dense(dense) = layer else { continue };
        let (w, b) = (c.weights_of(i), c.bias_of(i));
        if c.multi {
            doc.sub(spans![format!("Layer {}", c.dense_number[i])]);
        }
        let step = |name: Math, old: f64, grad: f64, new: f64| {
            vec![cat!(name, ": ", old, minus(), alpha, times(), Math::factor(grad)), Math::num(new)]
        };
        let rule =
            cat!(w.letters("ij"), Math::new(" ← ", " \\leftarrow "), w.letters("ij"), minus(), math::alpha(), times());
        doc.formula(cat!(rule, d_loss(&w.letters("ij"))));
        let (units, width) = dense.weights.dim();
        let all = dense.weights.len() <= MAX_WORKED_WEIGHTS;
        let lines = worked_rows(units, all)
            .flat_map(|r| (0..width).map(move |j| (r, j)))
            .map(|(r, j)| {
                step(w.at2(r, j), dense.weights[[r, j]], dense.grad_weights[[r, j]], dense.new_weights[[r, j]])
            })
            .collect();
        doc.worked(lines);
        if !all {
            doc.para(spans!["Only the first row is written out; the matrix holds every new weight."]);
        }
        if let (Some(old), Some(grad), Some(new)) = (&dense.bias, &dense.grad_bias, &dense.new_bias) {
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

/// Stage 6 for a step of a training run with momentum or adam (`train --trace`): the step also
/// depends on the optimizer's state from earlier steps, which the explanation does not hold, so
/// the rule is stated and the new weights are shown.
fn run_update(doc: &mut Doc, c: &Ctx) {
    doc.heading("6. The update: the optimizer's step");
    let rule = match c.e.optimizer {
        Optimizer::Momentum { mass, .. } => format!(
            "Momentum (mass {}): each weight keeps a velocity v ← {}·v + ∂L/∂W, carried from the run's earlier \
             steps, and steps W ← W − α·v, with α = {}.",
            fmt_num(mass),
            fmt_num(mass),
            fmt_num(c.e.learning_rate)
        ),
        Optimizer::Adam { b1, b2, eps, .. } => format!(
            "Adam (b1 {}, b2 {}, eps {}): each weight keeps running means of its gradient and of its square, \
             carried from the run's earlier steps and corrected for their start at 0, and steps \
             W ← W − α·m̂/(√v̂ + eps), with α = {}.",
            fmt_num(b1),
            fmt_num(b2),
            fmt_num(eps),
            fmt_num(c.e.learning_rate)
        ),
        Optimizer::Sgd { .. } => unreachable!("sgd has its own stage"),
    };
    doc.para(spans![rule, " The new parameters:"]);
    for (i, layer) in c.e.layers.iter().enumerate() {
        if let LayerTrace::Dense(dense) = layer {
            new_parameters(doc, c, i, dense);
        }
    }
}

/// Stage 7: the same batch through the new weights.
fn after_update(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    let unit = unit(c.base());
    doc.heading("7. After the update: the loss again");
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

/// Stage 8: the tape's gradient against the hand formula and finite differences.
fn check(doc: &mut Doc, c: &Ctx) {
    let g = &c.e.check;
    doc.heading("8. Check: the gradient three ways");
    let hand = if c.multi {
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

/// The blog's published numbers next to the exact ones, when this run is the blog's example.
fn post_notes(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    if !is_blog_run(e) {
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
    let blog_w = blog.model.params.layer(0).weights();
    let same_model = match e.layers.as_slice() {
        [LayerTrace::Dense(d), LayerTrace::Softmax(_)] => Some(&d.weights.0) == blog_w && d.bias.is_none(),
        _ => false,
    };
    let Update::Sgd { learning_rate } = blog.update else { unreachable!("the blog's step is plain gradient descent") };
    same_model
        && e.inputs.0 == blog.inputs
        && e.target_classes == blog.targets
        && e.optimizer == Optimizer::Sgd { step_size: learning_rate }
}
