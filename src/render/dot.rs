//! The tape of one explained step as a Graphviz DOT graph (`explain --format dot`), micrograd's
//! `draw_dot` for any model: one box per recorded op (matmul, add, activation, log-softmax, sum,
//! …) with its output value and its gradient ∂L/∂(output), one ellipse per leaf (x, the targets,
//! each weight and bias), and an edge from each input to the op that read it. The edges are
//! written, and numbered, in the order backprop visits them: from the loss back to the inputs
//! (an op the loss does not depend on, dashed and unnumbered).
//!
//! Render it with `gradlens explain --format dot | dot -Tsvg > tape.svg`.

use super::fmt_num;
use crate::error::Result;
use crate::trace::ExplainRequest;
use crate::trace::graph::{TapeGraph, tape_graph};
use ndarray::Array2;
use std::fmt::Write;

/// A value with at most this many numbers is written in full; a larger one by its first row.
pub const MAX_SHOWN_NUMBERS: usize = 12;

/// The graph of `req`'s forward and backward pass on the tape.
pub fn tape_dot(req: &ExplainRequest) -> Result<String> {
    Ok(dot(&tape_graph(req)?))
}

/// The record as DOT: the page's graph view draws the same record.
pub fn dot(g: &TapeGraph) -> String {
    let mut out = String::from("digraph tape {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n");
    if g.penalised {
        out.push_str(
            "  label=\"the data loss's tape; the weight penalty (--l2/--l1) is added to the loss and to each weight's \
             gradient outside it\";\n",
        );
    }
    for n in &g.nodes {
        let (value, grad) = (numbers(&n.value), numbers(&n.gradient));
        if n.kind == "op" {
            let title = if n.loss { format!("{} = L", n.name) } else { n.name.clone() };
            let label = format!("{title} {}\\lvalue {value}\\l∂L/∂· {grad}\\l", shape(&n.value));
            let _ = writeln!(out, "  op{} [shape=box, class=\"op\", label=\"{label}\"];", n.id);
        } else {
            let label = format!("{} {}\\l{value}\\l∂L/∂· {grad}\\l", n.name, shape(&n.value));
            let _ = writeln!(out, "  op{} [shape=ellipse, class=\"leaf\", label=\"{label}\"];", n.id);
        }
    }
    // Numbered in backprop's order; an edge backprop does not take is dashed.
    for e in &g.edges {
        let _ = match e.order {
            Some(order) => writeln!(out, "  op{} -> op{} [label=\"{order}\"];", e.from, e.to),
            None => writeln!(out, "  op{} -> op{} [style=dashed];", e.from, e.to),
        };
    }
    out.push_str("}\n");
    out
}

/// "(m×n)".
fn shape(a: &Array2<f64>) -> String {
    format!("({}×{})", a.nrows(), a.ncols())
}

/// The numbers of `a`, rows in brackets: all of them up to [`MAX_SHOWN_NUMBERS`], else the first
/// row and "…".
fn numbers(a: &Array2<f64>) -> String {
    let row = |r: usize| {
        let cells: Vec<String> = a.row(r).iter().map(|&v| fmt_num(v)).collect();
        format!("[{}]", cells.join(" "))
    };
    if a.len() <= MAX_SHOWN_NUMBERS {
        (0..a.nrows()).map(row).collect::<Vec<_>>().join(" ")
    } else if a.ncols() <= MAX_SHOWN_NUMBERS {
        format!("{} …", row(0))
    } else {
        "…".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::Var;
    use crate::engine::tape::Pass;

    #[test]
    fn the_blogs_tape_has_a_node_per_entry_and_the_loss_gradient_1() {
        let req = ExplainRequest::blog();
        let dot = tape_dot(&req).unwrap();
        let pass = Pass::forward(&req.model, &req.inputs, &req.targets.matrix(), req.loss).unwrap();
        let ops = (0..pass.tape.len()).filter(|&i| pass.tape.producer(Var(i)).is_some()).count();
        assert_eq!(dot.matches("class=\"op\"").count(), ops);
        assert_eq!(dot.matches("class=\"leaf\"").count(), pass.tape.len() - ops);
        // The loss node: −ln 0.4794433 = 0.7351296 (spec), and ∂L/∂L = 1.
        assert!(dot.contains("value [0.73512964]\\l∂L/∂· [1]"), "{dot}");
        // W's gradient: ∂L/∂W₁₁ = (0.4794433 − 1)·0.81 = −0.42165093 (spec).
        assert!(dot.contains("W₁ (3×4)") && dot.contains("∂L/∂· [-0.42165093"), "{dot}");
    }
}
