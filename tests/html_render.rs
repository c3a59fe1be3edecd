//! `explain --format html`: one self-contained page (no script, nothing fetched), the same stages
//! as the text output, and every number of the JSON record on it.
//!
//! To update the diagram snapshot after an intended change:
//! `INSTA_UPDATE=always cargo test --test html_render`, then read the `.snap` diff.

use gradlens::render::diagram::{self, Shows};
use gradlens::render::{Format, fmt_num, render};
use gradlens::trace::{ExplainRequest, Explanation, explain};

fn blog() -> Explanation {
    explain(&ExplainRequest::blog()).expect("the blog's example")
}

/// The text a reader sees: tags dropped, MathML's TeX annotations (a copy of the formula's
/// source, not shown) removed, entities and the typographic minus turned back into ASCII.
fn visible_text(html: &str) -> String {
    let mut rest = html;
    let mut kept = String::new();
    while let Some(start) = rest.find("<annotation") {
        kept.push_str(&rest[..start]);
        let end = rest[start..].find("</annotation>").expect("closed annotation") + start;
        rest = &rest[end + "</annotation>".len()..];
    }
    kept.push_str(rest);
    let mut text = String::new();
    let mut in_tag = false;
    for ch in kept.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&").replace('−', "-")
}

fn numbers(v: &serde_json::Value, path: String, out: &mut Vec<(String, f64)>) {
    match v {
        serde_json::Value::Number(n) => out.push((path, n.as_f64().expect("a number"))),
        serde_json::Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| numbers(x, format!("{path}[{i}]"), out)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| numbers(x, format!("{path}.{k}"), out)),
        _ => {}
    }
}

#[test]
fn every_number_of_the_json_is_on_the_page() {
    let e = blog();
    let html = render(&e, Format::Html, false);
    let text = visible_text(&html);
    let record: serde_json::Value = serde_json::from_str(&render(&e, Format::Json, false)).expect("JSON");
    let mut all = Vec::new();
    numbers(&record, String::new(), &mut all);
    assert!(all.len() > 100, "the blog's record has {} numbers", all.len());
    // Written as the text output writes them (8 significant digits), as a reader would search.
    let missing: Vec<String> = all
        .iter()
        .filter(|(_, v)| {
            let written = fmt_num(*v);
            // In a formula an exponent is written ×10ⁿ (MathML: "×10" then the exponent).
            let in_formula = written.split_once('e').map(|(m, exp)| format!("{m}×10{exp}"));
            !text.contains(&written) && !in_formula.is_some_and(|f| text.contains(&f))
        })
        .map(|(p, v)| format!("{p} = {}", fmt_num(*v)))
        .collect();
    assert!(missing.is_empty(), "{} of {} numbers are not on the page: {missing:#?}", missing.len(), all.len());
}

#[test]
fn self_contained_no_script_no_network() {
    let html = render(&blog(), Format::Html, false);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.to_lowercase().contains("<script"), "a script on the page");
    for attr in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(attr), "something fetched: {attr}");
    }
    // The only URLs are XML namespaces, which are names, not fetches.
    let urls = html.matches("http").count();
    let namespaces = html.matches("xmlns=\"http").count();
    assert_eq!(urls, namespaces, "a URL that is not a namespace");
    assert!(html.contains("<style>") && html.contains("<svg"));
    assert!(html.matches("<math").count() > 50, "formulas are MathML");
    assert!(!html.contains("merror"), "TeX the converter did not understand");
}

#[test]
fn same_stages_as_the_text_output() {
    let e = blog();
    let text = render(&e, Format::Text, false);
    let html = render(&e, Format::Html, false);
    // A text stage heading is a line followed by a rule of '─'.
    let lines: Vec<&str> = text.lines().collect();
    let text_stages: Vec<&str> =
        lines.windows(2).filter(|w| w[1].starts_with('─') && w[1].chars().all(|c| c == '─')).map(|w| w[0]).collect();
    let html_stages: Vec<String> =
        html.split("<h2>").skip(1).map(|s| visible_text(&s[..s.find("</h2>").expect("closed h2")])).collect();
    assert!(text_stages.len() >= 8, "{text_stages:?}");
    assert_eq!(html_stages, text_stages);
}

#[test]
fn diagram_edges_follow_sign_and_magnitude() {
    let e = blog();
    let svg = diagram::svg(&e, Shows::Values);
    // The post's W: 0.15 0.29 0.10 0.71 / −0.80 0.97 0.51 0.67 / 0.14 −0.47 −0.62 0.21:
    // 9 positive and 3 negative weights.
    assert_eq!(svg.matches("class=\"edge pos").count(), 9);
    assert_eq!(svg.matches("class=\"edge neg").count(), 3);
    // The thickest edge is the largest |w| (0.97, W₂₂), drawn at the maximum width 7.
    assert!(svg.contains(r#"data-row="1" data-col="1" x1"#));
    let w22 = svg.split("data-row=\"1\" data-col=\"1\"").nth(1).expect("W22");
    assert!(w22[..200].contains("stroke-width=\"7.00\""), "{}", &w22[..200]);
    // The target unit (class 0) is marked.
    assert_eq!(svg.matches("unit st-softmax st-backward target").count(), 1);
    insta::assert_snapshot!("blog_diagram_values", svg.replace("><", ">\n<"));
    let grads = diagram::svg(&e, Shows::Gradients);
    // ∂L/∂W_1j = (ŷ₁ − 1)·x_j < 0 for the target row, > 0 for the other rows (x > 0): 4 negative.
    assert_eq!(grads.matches("class=\"edge neg").count(), 4);
}

#[test]
fn the_cli_writes_the_page() {
    let out = assert_cmd::Command::cargo_bin("gradlens")
        .expect("binary")
        .args(["explain", "--format", "html", "--log-base", "2"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    // log₂: the loss in bits, −log₂ 0.4794433 = 1.0605679 (the post's figure).
    assert!(visible_text(&html).contains("1.0605679"));
}

#[test]
fn each_stage_knows_its_part_of_the_network() {
    let stages = gradlens::render::html::stages(&blog());
    let focus: Vec<&str> = stages.iter().map(|s| s.focus).collect();
    assert_eq!(
        focus,
        ["overview", "inputs", "forward", "output", "loss", "backward", "update", "after", "check", "notes"],
        "{:?}",
        stages.iter().map(|s| &s.title).collect::<Vec<_>>()
    );
}

/// x = (1, 1) into dense(2) without bias, then `activation`, then dense(2) and softmax.
fn hidden(activation: gradlens::layers::Layer, w1: ndarray::Array2<f64>) -> Explanation {
    use gradlens::layers::{Dense, Params, Softmax, serial};
    let params = Params::Serial(vec![
        Params::Dense { w_out_in: w1, b: None },
        Params::None,
        Params::Dense { w_out_in: ndarray::array![[0.3, -0.2], [0.1, 0.4]], b: None },
        Params::None,
    ]);
    let model = gradlens::model::Model::new(
        serial([Dense(2).without_bias(), activation, Dense(2).without_bias(), Softmax]),
        params,
    )
    .expect("a valid model");
    explain(&ExplainRequest {
        model,
        inputs: ndarray::array![[1.0, 1.0]],
        targets: gradlens::data::Targets::numbered(vec![0], 2),
        ..ExplainRequest::blog()
    })
    .expect("the explanation")
}

#[test]
fn dead_and_saturated_units_are_marked() {
    // relu: z = (1 + 1, −5 − 5) = (2, −10); relu′(−10) = 0: unit 2 is dead, unit 1 is not.
    let svg = diagram::svg(&hidden(gradlens::layers::Relu, ndarray::array![[1.0, 1.0], [-5.0, -5.0]]), Shows::Values);
    assert_eq!(svg.matches(" dead\"").count(), 1, "{svg}");
    assert!(svg.contains(r#"dead" data-layer="0" data-unit="1""#));
    assert_eq!(svg.matches(" saturated\"").count(), 0);
    // sigmoid: z₁ = 20 + 0 = 20, σ′(20) = σ(20)(1 − σ(20)) ≈ e^−20 ≈ 2.1e-9 < 1e-3: saturated;
    // z₂ = 0.1 + 0.1 = 0.2, σ′(0.2) ≈ 0.2475: not.
    let svg = diagram::svg(&hidden(gradlens::layers::Sigmoid, ndarray::array![[20.0, 0.0], [0.1, 0.1]]), Shows::Values);
    assert_eq!(svg.matches(" saturated\"").count(), 1, "{svg}");
    assert!(svg.contains(r#"saturated" data-layer="0" data-unit="0""#));
    assert_eq!(svg.matches(" dead\"").count(), 0);
    // tanh: z₁ = 20, tanh(20) rounds to 1 in float64 and tanh′ = 1 − a² to 0: saturated, not
    // dead (a relu is dead when its output is 0 too).
    let svg = diagram::svg(&hidden(gradlens::layers::Tanh, ndarray::array![[20.0, 0.0], [0.1, 0.1]]), Shows::Values);
    assert!(svg.contains(r#"saturated" data-layer="0" data-unit="0""#), "{svg}");
    assert_eq!(svg.matches(" dead\"").count(), 0);
}

#[test]
fn hidden_layers_convert_whole() {
    for layer in [gradlens::layers::Tanh, gradlens::layers::Relu, gradlens::layers::Sigmoid] {
        let e = hidden(layer, ndarray::array![[0.5, -0.3], [0.2, 0.8]]);
        let html = render(&e, Format::Html, false);
        assert!(!html.contains("merror"), "TeX the converter did not understand");
        assert_eq!(html.matches("<svg").count(), 2, "forward and backward diagrams");
        // Every weight (2·2 + 2·2), bias (none) and dense unit (2 + 2) has its chain, and each
        // hidden unit's chain sums the deltas coming back through the layer above.
        let chains = gradlens::render::chain::chains(&e);
        assert_eq!(chains.iter().filter(|c| c.kind == "weight").count(), 8);
        assert_eq!(chains.iter().filter(|c| c.kind == "unit").count(), 4);
        let hidden_unit = chains.iter().find(|c| c.kind == "unit" && c.layer == 0).expect("a hidden unit");
        assert!(hidden_unit.html.contains("\\sum_k"), "{}", hidden_unit.html);
        assert!(!hidden_unit.html.contains("merror"));
    }
}

#[test]
fn the_forward_stage_as_html() {
    // Read against the spec's worked example before it was accepted: z₁ = 0.81·0.15 + 0.57·0.29 +
    // 0.28·0.1 + 0.84·0.71 = 0.9112, z₂ = 0.6105, z₃ = −0.1517.
    let stages = gradlens::render::html::stages(&blog());
    let forward = stages.iter().find(|s| s.focus == "forward").expect("a forward stage");
    assert!(visible_text(&forward.html).contains("0.9112"));
    insta::assert_snapshot!("blog_forward_stage", forward.html.replace("</li>", "</li>\n"));
}
