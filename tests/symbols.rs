//! The one symbol table (issue 13): the walk-through, the chain panel and the diagram name every
//! quantity alike, and the walk-through's stages are numbered without gaps for every loss.

use gradlens::activation::Activation::Sigmoid;
use gradlens::data::Targets;
use gradlens::loss::Loss;
use gradlens::model::Model;
use gradlens::render::{Format, chain, render};
use gradlens::trace::{ExplainRequest, Update, explain};
use ndarray::array;

/// Mazur's 2-2-2 sigmoid network (tests/mazur.rs has his numbers).
fn mazur() -> ExplainRequest {
    let model = Model::builder()
        .dense_with_bias(array![[0.15, 0.20], [0.25, 0.30]], &[0.35, 0.35])
        .activation(Sigmoid)
        .dense_with_bias(array![[0.40, 0.45], [0.50, 0.55]], &[0.60, 0.60])
        .activation(Sigmoid)
        .build()
        .unwrap();
    ExplainRequest {
        model,
        inputs: array![[0.05, 0.10]],
        targets: Targets::unnamed_values(array![[0.01, 0.99]]),
        update: Update::Sgd { learning_rate: 0.5 },
        loss: Loss::Quadratic,
        freeze_bias: true,
        ..ExplainRequest::blog()
    }
}

/// The TeX of every chain's lines (each MathML formula carries its TeX as an annotation).
fn chain_tex(html: &str) -> Vec<String> {
    html.split("<annotation encoding=\"application/x-tex\">")
        .skip(1)
        .map(|part| part.split("</annotation>").next().unwrap().to_string())
        .collect()
}

/// Mazur's output weight W⁽²⁾₁₁: its chain names the quantities as the walk-through does. The
/// layer's input is a⁽¹⁾ (the hidden sigmoid's output, not a⁽⁰⁾), and the loss's slope is
/// ∂L/∂ŷ₁ = ŷ₁ − y₁ (one sample: no /m), as stage 4 writes it:
/// ∂L/∂ŷ₁ = 0.75136507 − 0.01 = 0.74136507 (Mazur: "∂E_total/∂out_o1 = 0.74136507").
#[test]
fn the_chain_panel_names_quantities_as_the_walkthrough_does() {
    let e = explain(&mazur()).unwrap();
    let text = render(&e, Format::Text, false);
    assert!(text.contains("∂L/∂ŷ₁ = 0.75136507 − 0.01 = 0.74136507"), "{text}");
    let chains = chain::chains(&e);
    let w = chains.iter().find(|c| c.kind == "weight" && c.layer == 2 && c.row == 0 && c.col == Some(0)).unwrap();
    assert_eq!(w.name, "W⁽²⁾₁₁");
    let tex = chain_tex(&w.html);
    assert!(
        tex.contains(
            &"\\partial L/\\partial W^{(2)}_{11} = \\partial L/\\partial z^{(2)}_{1} \\cdot a^{(1)}_{1}".to_string()
        ),
        "{tex:#?}"
    );
    assert!(tex.contains(&"\\partial L/\\partial \\hat{y}_{1} = \\hat{y}_{1} - y_{1}".to_string()), "{tex:#?}");
    assert!(tex.contains(&"= 0.75136507 - 0.01 = 0.74136507".to_string()), "{tex:#?}");
    for c in &chains {
        assert!(!c.html.contains("a^{(0)}"), "{}: no layer 0", c.name);
    }
    // The hidden layer's units are z⁽¹⁾ (dense) and a⁽¹⁾ (sigmoid), the output layer's z⁽²⁾.
    let names: Vec<&str> = chains.iter().filter(|c| c.kind == "unit").map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["z⁽¹⁾₁", "z⁽¹⁾₂", "z⁽²⁾₁", "z⁽²⁾₂"]);
}

/// The diagram labels each unit by its layer, as the walk-through does: the hidden sigmoid's
/// outputs a⁽¹⁾, the model's outputs ŷ (not both a₁, a₂). Values from Mazur's post:
/// out_h1 = 0.593269992, out_o1 = 0.75136507.
#[test]
fn the_diagram_labels_units_by_layer() {
    let e = explain(&mazur()).unwrap();
    let values = gradlens::render::diagram::svg(&e, gradlens::render::diagram::Shows::Values);
    assert!(values.contains("a⁽¹⁾₁ = 0.59326999"), "hidden unit");
    assert!(values.contains("ŷ₁ = 0.75136507"), "output unit");
    let gradients = gradlens::render::diagram::svg(&e, gradlens::render::diagram::Shows::Gradients);
    assert!(gradients.contains("∂L/∂z⁽²⁾₁ = 0.13849856"), "∂L/∂z⁽²⁾₁ = 0.74136507·0.1868156 (Mazur: 0.138498562)");
}

/// Stages are numbered 1, 2, 3, … whichever stages a walk-through has: Mazur's (no softmax,
/// the quadratic cost) has 7, the blog's (softmax, cross-entropy) 8.
#[test]
fn stages_are_numbered_without_gaps() {
    for (request, stages) in [(mazur(), 7), (ExplainRequest::blog(), 8)] {
        let text = render(&explain(&request).unwrap(), Format::Text, false);
        let numbers: Vec<usize> =
            text.lines().filter_map(|l| l.split_once(". ").and_then(|(n, _)| n.parse().ok())).collect();
        assert_eq!(numbers, (1..=stages).collect::<Vec<_>>(), "{text}");
    }
}
