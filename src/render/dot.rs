//! The tape of one explained step as a Graphviz DOT graph (`explain --format dot`), micrograd's
//! `draw_dot` for any model: one box per recorded op (matmul, add, activation, log-softmax, sum,
//! …) with its output value and its gradient ∂L/∂(output), one ellipse per leaf (x, the targets,
//! each weight and bias), and an edge from each input to the op that read it. The edges are
//! written, and numbered, in the order backprop visits them: from the loss back to the inputs
//! (an op the loss does not depend on, dashed and unnumbered).
//!
//! Render it with `gradlens explain --format dot | dot -Tsvg > tape.svg`.

use super::fmt_num;
use crate::autodiff::{Gradients, Var};
use crate::engine::tape::Pass;
use crate::error::Result;
use crate::trace::ExplainRequest;
use ndarray::Array2;
use std::fmt::Write;

/// A value with at most this many numbers is written in full; a larger one by its first row.
pub const MAX_SHOWN_NUMBERS: usize = 12;

/// The graph of `req`'s forward and backward pass on the tape.
pub fn tape_dot(req: &ExplainRequest) -> Result<String> {
    let scaled = req.scaler.as_ref().map(|s| s.transform(&req.inputs));
    let x = scaled.as_ref().unwrap_or(&req.inputs);
    let y = req.targets.matrix();
    let pass = Pass::forward(&req.model, x, &y, req.loss)?;
    let grads = pass.backward();
    Ok(graph(&pass, &grads, &leaf_names(&pass), req.penalty.is_none()))
}

/// The names of the leaves the pass put on the tape: x, y, and each dense layer's W and b.
fn leaf_names(pass: &Pass) -> Vec<(Var, String)> {
    let mut names = vec![(pass.input, "x".to_string()), (pass.targets, "y".to_string())];
    let mut dense = 0;
    for (i, _) in pass.outputs.iter().enumerate() {
        let p = pass.params.layer(i);
        if let Some(w) = p.weights() {
            dense += 1;
            names.push((*w, format!("W{}", subscript(dense))));
            if let Some(b) = p.bias() {
                names.push((*b, format!("b{}", subscript(dense))));
            }
        }
    }
    names
}

fn graph(pass: &Pass, grads: &Gradients, leaves: &[(Var, String)], no_penalty: bool) -> String {
    let tape = &pass.tape;
    let mut out = String::from("digraph tape {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n");
    if !no_penalty {
        out.push_str(
            "  label=\"the data loss's tape; the weight penalty (--l2/--l1) is added to the loss and to each weight's \
             gradient outside it\";\n",
        );
    }
    for i in 0..tape.len() {
        let v = Var(i);
        let value = tape.value(v);
        let grad = grads.of(tape, v);
        match tape.producer(v) {
            Some((op, _)) => {
                let title = if v == pass.loss { format!("{op} = L") } else { op.to_string() };
                let label =
                    format!("{title} {}\\lvalue {}\\l∂L/∂· {}\\l", shape(value), numbers(value), numbers(&grad));
                let _ = writeln!(out, "  op{i} [shape=box, class=\"op\", label=\"{label}\"];");
            }
            None => {
                let name = leaves.iter().find(|(l, _)| *l == v).map_or("leaf", |(_, n)| n.as_str());
                let label = format!("{name} {}\\l{}\\l∂L/∂· {}\\l", shape(value), numbers(value), numbers(&grad));
                let _ = writeln!(out, "  op{i} [shape=ellipse, class=\"leaf\", label=\"{label}\"];");
            }
        }
    }
    // Backprop visits the ops from the last to the first; each hands gradients to its inputs. An
    // op the loss does not read (the softmax's exp, when cross-entropy reads its log) is not
    // visited: its edges are dashed and unnumbered.
    let mut order = 0;
    for i in (0..tape.len()).rev() {
        if let Some((_, inputs)) = tape.producer(Var(i)) {
            for input in inputs {
                if grads.reached(Var(i)) {
                    order += 1;
                    let _ = writeln!(out, "  op{} -> op{i} [label=\"{order}\"];", input.0);
                } else {
                    let _ = writeln!(out, "  op{} -> op{i} [style=dashed];", input.0);
                }
            }
        }
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

fn subscript(n: usize) -> String {
    n.to_string().chars().map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
