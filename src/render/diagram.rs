//! The network of one explanation as an SVG picture: input, hidden and output units with their
//! values, the loss, and the weights as edges coloured by sign and drawn thicker with |w| (or,
//! for the backward pass, with ∂L/∂w). The HTML file and the web page both show this picture;
//! the page finds its parts by their `data-` attributes and `st-…` classes (which stage lights
//! them up) and never draws a number itself.
//!
//! The layers are read through the explanation's JSON (`layers[i].type` and its fields), the
//! same contract the page reads: `"dense"`, `"softmax"`/`"logsoftmax"`, and anything else an
//! elementwise activation with `input`, `output` and `local_derivative`. So a new activation
//! needs nothing here.
//!
//! # Shapes
//! Values are the first sample's (row 0 of each m×· matrix); weights out×in.

use super::fmt_num;
use super::symbols::Symbols;
use crate::trace::Explanation;
use serde_json::Value;
use std::fmt::Write;

/// What the edges and units show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shows {
    /// w on the edges, forward values (z, a, ŷ) on the units.
    Values,
    /// ∂L/∂w on the edges, ∂L/∂z on the units.
    Gradients,
}

/// A unit whose activation's derivative is below this is marked saturated; one whose output
/// and derivative are both 0 (relu below 0) dead.
pub const SATURATED_BELOW: f64 = 1e-3;

/// Positive weights (Okabe–Ito blue) and negative ones (Okabe–Ito vermillion): told apart with
/// any of the common colour-vision deficiencies.
pub const POSITIVE: &str = "#0072B2";
/// See [`POSITIVE`].
pub const NEGATIVE: &str = "#D55E00";

const UNIT_W: f64 = 168.0;
const UNIT_H: f64 = 30.0;
/// The most characters a unit's label shows at their own width in a box of [`UNIT_W`].
const UNIT_CHARS: usize = 20;
const COL_GAP: f64 = 262.0;
const MARGIN: f64 = 20.0;
const HEADER: f64 = 34.0;
/// The least the diagram is scaled down to fit a narrow window (a phone): its 13-px text
/// (walkthrough.css) then reads at 11.5 CSS px; a narrower frame scrolls instead. Written on the
/// SVG as its `min-width`, so the script-free HTML page and the web page both keep to it.
const MIN_SCALE: f64 = 11.5 / 13.0;
/// A layer with more weights than this is drawn without its edges (the page would crawl).
pub const MAX_EDGES: usize = 2000;
/// Thickest edge, for the largest |w| of its layer.
const MAX_STROKE: f64 = 7.0;

struct Unit {
    /// Shown in the box: "z₁ = 0.91".
    label: String,
    /// Tooltip: every number of the unit.
    title: String,
    /// Extra classes: saturated, dead, target.
    marks: Vec<&'static str>,
}

struct Column {
    /// Heading above the column ("inputs x", "dense 1", "softmax ŷ").
    name: String,
    /// The layer it belongs to (for the page's data attributes), none for the inputs.
    layer: Option<usize>,
    /// Which stages light it up, space-separated.
    stage: &'static str,
    units: Vec<Unit>,
}

struct Edges {
    /// Dense layer index in `layers`.
    layer: usize,
    from: usize,
    to: usize,
    /// out×in, the number each edge shows and its tooltip.
    values: Vec<Vec<f64>>,
    titles: Vec<Vec<String>>,
    /// One-to-one (softmax) rather than a full matrix.
    one_to_one: bool,
}

/// The SVG element (no XML prolog), to be placed inline in HTML.
pub fn svg(e: &Explanation, shows: Shows) -> String {
    let record = serde_json::to_value(e).expect("an explanation serialises");
    let (columns, edges) = layout(&record, &Symbols::new(&e.layers), shows);
    draw(&columns, &edges, e, shows)
}

fn row0(v: &Value) -> Vec<f64> {
    v.get(0).and_then(Value::as_array).map(|r| r.iter().map(num).collect()).unwrap_or_default()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .map(|rows| {
            rows.iter().map(|r| r.as_array().map(|r| r.iter().map(num).collect()).unwrap_or_default()).collect()
        })
        .unwrap_or_default()
}

fn sub(i: usize) -> String {
    (i + 1).to_string().chars().map(|c| char::from_u32('₀' as u32 + c.to_digit(10).unwrap_or(0)).unwrap_or(c)).collect()
}

/// The columns and edges; every unit is named from the symbol table, as the walk-through names it.
fn layout(record: &Value, symbols: &Symbols, shows: Shows) -> (Vec<Column>, Vec<Edges>) {
    let name = |i: usize, r: usize| symbols.output(i).at(r).text;
    let names: Option<Vec<String>> =
        record["feature_names"].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect());
    // Feature inputs (`--features`) are drawn by what they are: x₁², sin x₁.
    let labels: Option<Vec<String>> = record["features"]["labels"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect());
    let input_name = |j: usize| match labels.as_ref().and_then(|l| l.get(j)) {
        Some(label) => label.clone(),
        None => format!("x{}", sub(j)),
    };
    let inputs = row0(&record["inputs"]);
    // ∂L/∂x: what the first layer passes down, shown on the inputs during the backward pass.
    let grad_inputs = row0(&record["layers"][0]["grad_input"]);
    let mut columns = vec![Column {
        name: "inputs x".into(),
        layer: None,
        stage: "inputs forward backward",
        units: inputs
            .iter()
            .enumerate()
            .map(|(j, &x)| Unit {
                label: match (shows, grad_inputs.get(j)) {
                    (Shows::Gradients, Some(&g)) => format!("∂L/∂x{} = {}", sub(j), fmt_num(g)),
                    _ => format!("{} = {}", input_name(j), fmt_num(x)),
                },
                title: match (labels.is_some(), names.as_ref().and_then(|n| n.get(j))) {
                    (true, _) => format!("x{} = {} = {}", sub(j), input_name(j), fmt_num(x)),
                    (false, Some(name)) => format!("x{} ({name}) = {}", sub(j), fmt_num(x)),
                    (false, None) => format!("x{} = {}", sub(j), fmt_num(x)),
                },
                marks: vec![],
            })
            .collect(),
    }];
    let mut edges = Vec::new();
    let layers = record["layers"].as_array().cloned().unwrap_or_default();
    let mut dense_count = 0;
    for (i, layer) in layers.iter().enumerate() {
        let kind = layer["type"].as_str().unwrap_or("?");
        match kind {
            "dense" => {
                dense_count += 1;
                let z = row0(&layer["output"]);
                let dz = row0(&layer["grad_output"]);
                let bias: Option<Vec<f64>> = layer["bias"].as_array().map(|b| b.iter().map(num).collect());
                let w = matrix(&layer["weights"]);
                let gw = matrix(&layer["grad_weights"]);
                let nw = matrix(&layer["new_weights"]);
                let units = (0..z.len())
                    .map(|r| {
                        let z_r = name(i, r);
                        let shown = match shows {
                            Shows::Values => format!("{z_r} = {}", fmt_num(z[r])),
                            Shows::Gradients => format!("∂L/∂{z_r} = {}", fmt_num(dz[r])),
                        };
                        let mut title = format!("{z_r} = {}, ∂L/∂{z_r} = {}", fmt_num(z[r]), fmt_num(dz[r]));
                        if let Some(b) = &bias {
                            let _ = write!(title, ", {} = {}", symbols.bias_of(i).at(r).text, fmt_num(b[r]));
                        }
                        Unit { label: shown, title, marks: vec![] }
                    })
                    .collect();
                let from = columns.len() - 1;
                columns.push(Column {
                    name: if bias.is_some() {
                        format!("dense {dense_count} (+ b)")
                    } else {
                        format!("dense {dense_count}")
                    },
                    layer: Some(i),
                    stage: "forward backward",
                    units,
                });
                let titles = w
                    .iter()
                    .enumerate()
                    .map(|(r, row)| {
                        row.iter()
                            .enumerate()
                            .map(|(c, &wv)| {
                                let g = gw.get(r).and_then(|g| g.get(c)).copied().unwrap_or(f64::NAN);
                                let n = nw.get(r).and_then(|g| g.get(c)).copied().unwrap_or(f64::NAN);
                                let w_rc = symbols.weights_of(i).at2(r, c).text;
                                format!("{w_rc} = {}, ∂L/∂W = {}, new {}", fmt_num(wv), fmt_num(g), fmt_num(n))
                            })
                            .collect()
                    })
                    .collect();
                let values = match shows {
                    Shows::Values => w,
                    Shows::Gradients => gw,
                };
                edges.push(Edges { layer: i, from, to: from + 1, values, titles, one_to_one: false });
            }
            "softmax" | "logsoftmax" => {
                let out = row0(&layer["output"]);
                let target = record["target_classes"].get(0).and_then(Value::as_u64).map(|t| t as usize);
                let symbol = if kind == "softmax" { "ŷ" } else { "ln ŷ" };
                let units = (0..out.len())
                    .map(|k| {
                        let mut marks = vec![];
                        if Some(k) == target {
                            marks.push("target");
                        }
                        Unit {
                            label: format!("{symbol}{} = {}", sub(k), fmt_num(out[k])),
                            title: format!(
                                "{symbol}{} = {}{}",
                                sub(k),
                                fmt_num(out[k]),
                                if Some(k) == target { " (target)" } else { "" }
                            ),
                            marks,
                        }
                    })
                    .collect();
                let from = columns.len() - 1;
                columns.push(Column { name: kind.to_string(), layer: Some(i), stage: "softmax backward", units });
                edges.push(Edges { layer: i, from, to: from + 1, values: vec![], titles: vec![], one_to_one: true });
            }
            activation => {
                // Elementwise: the same units as the dense layer before, now showing a = f(z).
                let a = row0(&layer["output"]);
                let z = row0(&layer["input"]);
                let local = row0(&layer["local_derivative"]);
                let da = row0(&layer["grad_output"]);
                if let Some(col) = columns.last_mut() {
                    col.name = format!("{} → {activation}", col.name);
                    for (u, unit) in col.units.iter_mut().enumerate() {
                        let (Some(&av), Some(&zv), Some(&d)) = (a.get(u), z.get(u), local.get(u)) else { continue };
                        if shows == Shows::Values {
                            unit.label = format!("{} = {}", name(i, u), fmt_num(av));
                        }
                        let _ = write!(
                            unit.title,
                            "; {activation}: z = {}, a = {}, f′(z) = {}, ∂L/∂a = {}",
                            fmt_num(zv),
                            fmt_num(av),
                            fmt_num(d),
                            fmt_num(da.get(u).copied().unwrap_or(f64::NAN))
                        );
                        // Dead: off, with no slope (relu below 0). Saturated: on a flat part
                        // (tanh or σ far from 0), whatever the output.
                        if d == 0.0 && av == 0.0 {
                            unit.marks.push("dead");
                            unit.title.push_str(" — dead: no gradient passes");
                        } else if d.abs() < SATURATED_BELOW {
                            unit.marks.push("saturated");
                            unit.title.push_str(" — saturated: the gradient nearly vanishes");
                        }
                    }
                }
            }
        }
    }
    let loss = num(&record["loss"]);
    columns.push(Column {
        name: "loss".into(),
        layer: None,
        stage: "loss backward",
        units: vec![Unit {
            label: format!("L = {}", fmt_num(loss)),
            title: format!("L = {}, after the update {}", fmt_num(loss), fmt_num(num(&record["new_loss"]))),
            marks: vec![],
        }],
    });
    (columns, edges)
}

fn unit_y(n: usize, u: usize, height: f64) -> f64 {
    let step = ((height - HEADER - MARGIN) / n.max(1) as f64).min(UNIT_H + 16.0);
    let used = step * n as f64;
    HEADER + (height - HEADER - used) / 2.0 + step * u as f64 + step / 2.0
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn draw(columns: &[Column], edges: &[Edges], e: &Explanation, shows: Shows) -> String {
    let tallest = columns.iter().map(|c| c.units.len()).max().unwrap_or(1);
    let height = (HEADER + MARGIN + tallest as f64 * (UNIT_H + 16.0)).clamp(200.0, 900.0);
    let width = MARGIN * 2.0 + UNIT_W + COL_GAP * (columns.len() - 1) as f64;
    let x_of = |c: usize| MARGIN + COL_GAP * c as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="network shows-{}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" style="min-width: {min_width:.0}px" role="img" aria-label="The network: units with their values, weights as lines (blue positive, vermillion negative, thicker for larger magnitude)">"#,
        match shows {
            Shows::Values => "values",
            Shows::Gradients => "gradients",
        },
        min_width = (width * MIN_SCALE).ceil()
    );
    // Edges first, so the unit boxes sit on top.
    for group in edges {
        let (from, to) = (&columns[group.from], &columns[group.to]);
        let (x1, x2) = (x_of(group.from) + UNIT_W, x_of(group.to));
        if group.one_to_one {
            for u in 0..to.units.len().min(from.units.len()) {
                let (y1, y2) = (unit_y(from.units.len(), u, height), unit_y(to.units.len(), u, height));
                let _ = write!(s, r#"<line class="link st-softmax" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>"#);
            }
            continue;
        }
        if group.values.iter().map(Vec::len).sum::<usize>() > MAX_EDGES {
            let _ = write!(
                s,
                r#"<text class="note" x="{:.1}" y="{:.1}" text-anchor="middle">(over {MAX_EDGES} weights: not drawn)</text>"#,
                (x1 + x2) / 2.0,
                height / 2.0
            );
            continue;
        }
        let largest = group.values.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
        for (r, row) in group.values.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                let (y1, y2) = (unit_y(from.units.len(), c, height), unit_y(to.units.len(), r, height));
                let stroke =
                    if largest > 0.0 && v.is_finite() { 0.5 + (MAX_STROKE - 0.5) * v.abs() / largest } else { 0.5 };
                let colour = if v < 0.0 { NEGATIVE } else { POSITIVE };
                let sign = if v < 0.0 { "neg" } else { "pos" };
                let title = group.titles.get(r).and_then(|t| t.get(c)).map(String::as_str).unwrap_or("");
                let _ = write!(
                    s,
                    r#"<line class="edge {sign} st-forward st-backward st-update" data-layer="{}" data-row="{r}" data-col="{c}" x1="{x1}" y1="{y1:.1}" x2="{x2}" y2="{y2:.1}" stroke="{colour}" stroke-width="{stroke:.2}"><title>{}</title></line>"#,
                    group.layer,
                    escape(title)
                );
            }
        }
    }
    // Every output feeds the loss.
    if let [.., out, loss] = columns {
        let (c_out, c_loss) = (columns.len() - 2, columns.len() - 1);
        let loss_y = unit_y(loss.units.len(), 0, height);
        for u in 0..out.units.len() {
            let y = unit_y(out.units.len(), u, height);
            let _ = write!(
                s,
                r#"<line class="link st-loss" x1="{}" y1="{y:.1}" x2="{}" y2="{loss_y:.1}"/>"#,
                x_of(c_out) + UNIT_W,
                x_of(c_loss)
            );
        }
    }
    for (ci, col) in columns.iter().enumerate() {
        let x = x_of(ci);
        let stages: Vec<String> = col.stage.split(' ').map(|s| format!("st-{s}")).collect();
        let stages = stages.join(" ");
        let _ = write!(
            s,
            r#"<text class="colname {stages}" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x + UNIT_W / 2.0,
            HEADER - 14.0,
            escape(&col.name)
        );
        for (u, unit) in col.units.iter().enumerate() {
            let y = unit_y(col.units.len(), u, height) - UNIT_H / 2.0;
            let layer = col.layer.map(|l| format!(r#" data-layer="{l}""#)).unwrap_or_default();
            let marks = unit.marks.join(" ");
            // A long label (a tiny gradient's digits) is squeezed into the box rather than
            // running over its edges and the lines beside it.
            let fit = if unit.label.chars().count() > UNIT_CHARS {
                format!(r#" textLength="{}" lengthAdjust="spacingAndGlyphs""#, UNIT_W - 12.0)
            } else {
                String::new()
            };
            let _ = write!(
                s,
                r#"<g class="unit {stages} {marks}"{layer} data-unit="{u}"><title>{}</title><rect x="{x}" y="{y:.1}" width="{UNIT_W}" height="{UNIT_H}" rx="6"/><text x="{:.1}" y="{:.1}" text-anchor="middle"{fit}>{}</text></g>"#,
                escape(&unit.title),
                x + UNIT_W / 2.0,
                y + UNIT_H / 2.0 + 4.5,
                escape(&unit.label)
            );
        }
    }
    if e.inputs.nrows() > 1 {
        let _ = write!(
            s,
            r#"<text class="note" x="{MARGIN}" y="{:.1}">values of sample 1 of {}; edges are the whole batch's</text>"#,
            height - 6.0,
            e.inputs.nrows()
        );
    }
    s.push_str("</svg>");
    s
}
