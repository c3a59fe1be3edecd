//! Stage 1 of the walk-through: inputs, weights and target.

use super::{Ctx, input_cols, table, weight_rows};
use crate::data::{ScaleKind, Scaler};
use crate::render::doc::{Doc, spans};
use crate::render::math::{Math, Sym, cat, vector};
use crate::trace::{DenseTrace, FeatureTrace, LayerTrace, Matrix};

/// Stage 1: the numbers everything starts from.
pub(super) fn inputs(doc: &mut Doc, c: &Ctx) {
    let e = c.e;
    doc.stage("inputs", "Inputs, weights and target");
    let n = e.inputs.ncols();
    let inputs_caption = if c.m == 1 {
        spans![format!("The input, one sample of {n} features:")]
    } else {
        spans![format!("The inputs, {} samples of {n} features (one per row):", c.m)]
    };
    c.vector_or_matrix(doc, inputs_caption, c.sym.x(), &e.inputs);
    if let (Some(raw), Some(scaler)) = (&e.raw_inputs, &e.scaler) {
        scaling(doc, c, raw, scaler);
    }
    if let Some(f) = &e.features {
        feature_inputs(doc, c, f);
    } else if let Some(features) = &e.feature_names {
        let mut p = spans!["The features: "];
        for (j, f) in features.iter().enumerate() {
            p.push(if j == 0 { "".into() } else { ", ".into() });
            p.extend(spans![c.sym.x().at(j), format!(" {f}")]);
        }
        p.push(".".into());
        doc.para(p);
    }
    for (i, layer) in e.layers.iter().enumerate() {
        if let LayerTrace::Dense(dense) = layer {
            weights(doc, c, i, dense);
        }
    }
    let Some(classes) = &e.target_classes else {
        let caption = spans!["The target: the numbers each output should give."];
        if c.m == 1 {
            doc.para(caption);
            doc.worked(vec![vec![c.sym.y().whole(), vector(e.targets.row(0).iter().copied())]]);
        } else {
            let rows = (0..c.m).map(|s| spans![format!("sample {}", s + 1)]).collect();
            let cols = (0..e.targets.ncols()).map(|k| c.sym.y().at(k)).collect();
            doc.matrix(table(caption, rows, cols, &e.targets));
        }
        return;
    };
    let targets_caption = spans!["The target, one-hot: 1 for the true class, 0 elsewhere."];
    if c.m == 1 {
        doc.para(targets_caption);
        let class = c.class(classes.first().copied().unwrap_or_default());
        doc.worked(vec![vec![c.sym.y().whole(), vector(e.targets.row(0).iter().copied())]]);
        doc.para(spans![format!("The true class is {class}.")]);
    } else {
        let rows = (0..c.m)
            .map(|s| spans![format!("sample {} ({})", s + 1, c.class(classes.get(s).copied().unwrap_or(0)))])
            .collect();
        let cols = (0..e.targets.ncols()).map(|k| c.sym.y().at(k)).collect();
        doc.matrix(table(spans!["The targets, one-hot, one row per sample:"], rows, cols, &e.targets));
    }
}

/// Where the inputs came from when they are features computed from the data's columns
/// (`--features`): the columns as measured, and each feature's value, before any scaling.
fn feature_inputs(doc: &mut Doc, c: &Ctx, f: &FeatureTrace) {
    doc.para(spans![format!(
        "The inputs are features computed from the data's columns ({}), one input each: --features {}.",
        f.columns.join(", "),
        f.names.join(",")
    )]);
    let word = |name: &str| {
        let tex: String = name.chars().filter(|ch| !matches!(ch, '\\' | '{' | '}' | '$')).collect();
        Math::new(name, format!("\\text{{{tex}}}"))
    };
    if let Some(measured) = &f.measured {
        let cols = f.columns.iter().map(|n| word(n)).collect();
        doc.matrix(table(spans!["The columns, as measured:"], c.sample_labels(), cols, measured));
    }
    let values = c.e.raw_inputs.as_ref().unwrap_or(&c.e.inputs);
    let cols = f.labels.iter().enumerate().map(|(j, label)| cat!(c.sym.x().at(j), " = ", word(label))).collect();
    let caption = if c.e.raw_inputs.is_some() { "The features, before scaling:" } else { "The features:" };
    doc.matrix(table(spans![caption], c.sample_labels(), cols, values));
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
    // Rows are classes when the targets are classes; with numbers as targets they are outputs.
    let caption = if Some(i) == c.last_dense() && c.e.target_classes.is_some() {
        spans![
            "The weights ",
            w.whole(),
            ", one row per class: row i holds the weights into the logit ",
            c.sym.output(i).letters("i"),
            ":"
        ]
    } else {
        spans![
            format!("Layer {}'s weights ", c.sym.dense_number(i)),
            w.whole(),
            ", one row per unit of ",
            c.sym.output(i).whole(),
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
