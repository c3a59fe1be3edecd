//! The tape of one explained step as a graph record, micrograd's `draw_dot` for any model: one
//! node per value on the tape (an op's result, or a leaf: x, the targets, each weight and bias)
//! with its value and its gradient ∂L/∂(value), and one edge per input an op read, in the order
//! backprop visits them. `explain --format dot` ([`crate::render::dot`]) and the page's graph
//! view (`POST /api/graph`) both print this record, so the two cannot disagree.

use super::{ExplainRequest, Matrix};
use crate::autodiff::{Gradients, Var};
use crate::engine::tape::Pass;
use crate::error::Result;
use serde::Serialize;

/// The forward and backward pass of one step on the tape.
#[derive(Debug, Clone, Serialize)]
pub struct TapeGraph {
    /// Every value on the tape, in the order it was recorded (`id` = position).
    pub nodes: Vec<GraphNode>,
    /// Every input an op read: first the edges backprop follows, in its order (`order` 1, 2, …),
    /// then those it does not (an op the loss does not read), `order` `null`.
    pub edges: Vec<GraphEdge>,
    /// Whether a weight penalty (`--l2`/`--l1`) was asked for: it is added to the loss and to
    /// each weight's gradient outside the tape, so the graph shows the data loss's.
    pub penalised: bool,
}

/// One value on the tape.
#[derive(Debug, Clone, Serialize)]
pub struct GraphNode {
    /// Its position on the tape.
    pub id: usize,
    /// `op` (a recorded op's result) or `leaf`.
    pub kind: &'static str,
    /// The op's name (`matmul_nt`, `add_row`, `tanh`, `log_softmax`, `sum`, …) or the leaf's
    /// (`x`, `y`, `W₁`, `b₁`, …; `leaf` for one without a name).
    pub name: String,
    /// Whether this is the loss L (the last op, where backprop starts with ∂L/∂L = 1).
    pub loss: bool,
    /// Whether backprop reached it (the loss depends on it).
    pub reached: bool,
    /// Its value, rows = samples (weights: rows = output units).
    pub value: Matrix,
    /// ∂L/∂(this value), the same shape; zeros where backprop did not reach.
    pub gradient: Matrix,
}

/// An op reading one of its inputs: gradient flows back along it from `to` to `from`.
#[derive(Debug, Clone, Serialize)]
pub struct GraphEdge {
    /// The input's node.
    pub from: usize,
    /// The op's node.
    pub to: usize,
    /// Its place in backprop's walk, from 1; `null` when backprop does not take it.
    pub order: Option<usize>,
}

/// The graph of `req`'s forward and backward pass: the inputs scaled as the explanation scales
/// them, the data loss (no penalty) on the tape.
pub fn tape_graph(req: &ExplainRequest) -> Result<TapeGraph> {
    let scaled = req.scaler.as_ref().map(|s| s.transform(&req.inputs));
    let x = scaled.as_ref().unwrap_or(&req.inputs);
    let y = req.targets.matrix();
    let pass = Pass::forward(&req.model, x, &y, req.loss)?;
    let grads = pass.backward();
    Ok(graph(&pass, &grads, &leaf_names(&pass), !req.penalty.is_none()))
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

fn graph(pass: &Pass, grads: &Gradients, leaves: &[(Var, String)], penalised: bool) -> TapeGraph {
    let tape = &pass.tape;
    let nodes = (0..tape.len())
        .map(|i| {
            let v = Var(i);
            let (kind, name) = match tape.producer(v) {
                Some((op, _)) => ("op", op.to_string()),
                None => ("leaf", leaves.iter().find(|(l, _)| *l == v).map_or("leaf", |(_, n)| n.as_str()).to_string()),
            };
            GraphNode {
                id: i,
                kind,
                name,
                loss: v == pass.loss,
                reached: grads.reached(v),
                value: Matrix(tape.value(v).clone()),
                gradient: Matrix(grads.of(tape, v)),
            }
        })
        .collect();
    // Backprop visits the ops from the last to the first; each hands gradients to its inputs, in
    // the order the op lists them. An op the loss does not read (the softmax's exp, when
    // cross-entropy reads its log) is not visited: its edges come last, without an order.
    let (mut visited, mut skipped) = (Vec::new(), Vec::new());
    for i in (0..tape.len()).rev() {
        if let Some((_, inputs)) = tape.producer(Var(i)) {
            for input in inputs {
                if grads.reached(Var(i)) {
                    visited.push(GraphEdge { from: input.0, to: i, order: Some(visited.len() + 1) });
                } else {
                    skipped.push(GraphEdge { from: input.0, to: i, order: None });
                }
            }
        }
    }
    visited.extend(skipped);
    TapeGraph { nodes, edges: visited, penalised }
}

fn subscript(n: usize) -> String {
    n.to_string().chars().map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blogs_tape_one_node_per_entry_and_backprops_order() {
        let req = ExplainRequest::blog();
        let g = tape_graph(&req).unwrap();
        let pass = Pass::forward(&req.model, &req.inputs, &req.targets.matrix(), req.loss).unwrap();
        assert_eq!(g.nodes.len(), pass.tape.len());
        // The blog's model: matmul_nt; the softmax as log_softmax and exp; cross-entropy's mul,
        // sum, scale: 6 ops; leaves x, y, W₁.
        assert_eq!(g.nodes.iter().filter(|n| n.kind == "op").count(), 6);
        let loss = g.nodes.iter().find(|n| n.loss).unwrap();
        // L = −ln 0.4794433 = 0.7351296 nats (spec, JAX golden blog_ln), ∂L/∂L = 1.
        assert!((loss.value[[0, 0]] - 0.7351296406658168).abs() < 1e-12);
        assert_eq!(loss.gradient[[0, 0]], 1.0);
        // ∂L/∂W₁₁ = (ŷ₁ − 1)·x₁ = (0.4794433 − 1)·0.81 (spec).
        let w = g.nodes.iter().find(|n| n.name == "W₁").unwrap();
        assert!((w.gradient[[0, 0]] - (0.47944329959720844 - 1.0) * 0.81).abs() < 1e-12);
        // Backprop starts at the loss: the first edge ends there; orders count 1, 2, … and the
        // exp the loss does not read has the one edge without an order, last.
        assert_eq!(g.edges[0].to, loss.id);
        let orders: Vec<usize> = g.edges.iter().filter_map(|e| e.order).collect();
        assert_eq!(orders, (1..=orders.len()).collect::<Vec<_>>());
        assert_eq!(g.edges.iter().filter(|e| e.order.is_none()).count(), 1);
        assert!(g.edges.last().unwrap().order.is_none());
    }
}
