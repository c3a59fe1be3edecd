//! A small reverse-mode autodiff: a tape of 2-D float64 arrays.
//!
//! Every value on the tape is a matrix, rows = samples of the batch (a scalar is 1×1), so one
//! op shape covers the whole batch. An op is recorded with the inputs it read; `backward` walks the
//! tape from the end and asks each op for its vector-Jacobian product (VJP): given ∂L/∂output, the
//! ∂L/∂input of each input. Each primitive lives in its own file under `ops/`, its forward (a
//! `Tape` method) beside its VJP, in the manner of micrograd. Composites (softmax, cross-entropy)
//! are built from the primitives elsewhere and never get a VJP of their own, so there is one
//! place to check each derivative.
//!
//! # Shapes
//! `Var` values are `m×n` (`m` samples, `n` units); weights are `w_out_in` (`out×in`).

mod composite;
pub mod ops;

use ndarray::Array2;

/// A handle to a value on a [`Tape`]; cheap to copy, meaningless on another tape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Var(pub(crate) usize);

/// The local derivative of one recorded op.
pub(crate) trait Op {
    /// The op's name, for error messages and for the `log(exp(x))` rewrite.
    fn name(&self) -> &'static str;
    /// ∂L/∂input for each input, in the order the node lists them, given ∂L/∂output.
    fn vjp(&self, inputs: &[&Array2<f64>], output: &Array2<f64>, grad_out: &Array2<f64>) -> Vec<Array2<f64>>;
}

struct Node {
    value: Array2<f64>,
    /// `None` for a leaf (a parameter or a constant).
    op: Option<Box<dyn Op>>,
    inputs: Vec<Var>,
}

/// The record of one forward computation.
#[derive(Default)]
pub struct Tape {
    nodes: Vec<Node>,
}

impl Tape {
    /// An empty tape.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts a value on the tape with no history: a parameter, an input or a target.
    pub fn leaf(&mut self, value: Array2<f64>) -> Var {
        self.nodes.push(Node { value, op: None, inputs: Vec::new() });
        Var(self.nodes.len() - 1)
    }

    /// The value recorded for `v`.
    pub fn value(&self, v: Var) -> &Array2<f64> {
        &self.nodes[v.0].value
    }

    /// How many values are on the tape (leaves and op results); `Var(0)` to `Var(len − 1)`.
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The shape of `v`'s value, (rows, columns).
    pub fn shape(&self, v: Var) -> (usize, usize) {
        self.value(v).dim()
    }

    /// The op that produced `v` and its inputs, `None` for a leaf.
    pub(crate) fn producer(&self, v: Var) -> Option<(&'static str, &[Var])> {
        let node = &self.nodes[v.0];
        node.op.as_ref().map(|op| (op.name(), node.inputs.as_slice()))
    }

    /// Records an op's result; the forward value is computed by the caller (the op's own file).
    pub(crate) fn push(&mut self, value: Array2<f64>, op: impl Op + 'static, inputs: Vec<Var>) -> Var {
        self.nodes.push(Node { value, op: Some(Box::new(op)), inputs });
        Var(self.nodes.len() - 1)
    }

    /// ∂output/∂v for every `v` that `output` depends on. `output` must be a 1×1 scalar.
    pub fn backward(&self, output: Var) -> Gradients {
        let mut grads: Vec<Option<Array2<f64>>> = vec![None; output.0 + 1];
        grads[output.0] = Some(Array2::ones(self.value(output).dim()));
        for i in (0..=output.0).rev() {
            let Some(grad_out) = grads[i].take() else { continue };
            let node = &self.nodes[i];
            if let Some(op) = &node.op {
                let inputs: Vec<&Array2<f64>> = node.inputs.iter().map(|v| self.value(*v)).collect();
                let input_grads = op.vjp(&inputs, &node.value, &grad_out);
                for (input, g) in node.inputs.iter().zip(input_grads) {
                    match &mut grads[input.0] {
                        Some(acc) => *acc += &g,
                        slot => *slot = Some(g),
                    }
                }
            }
            grads[i] = Some(grad_out);
        }
        Gradients { grads }
    }
}

/// The result of [`Tape::backward`].
pub struct Gradients {
    grads: Vec<Option<Array2<f64>>>,
}

impl Gradients {
    /// Whether backprop reached `v`: the loss depends on it (its gradient may still be 0).
    pub(crate) fn reached(&self, v: Var) -> bool {
        matches!(self.grads.get(v.0), Some(Some(_)))
    }

    /// ∂output/∂v, or zeros of `v`'s shape when the output does not depend on `v`.
    pub fn of(&self, tape: &Tape, v: Var) -> Array2<f64> {
        match self.grads.get(v.0) {
            Some(Some(g)) => g.clone(),
            _ => Array2::zeros(tape.shape(v)),
        }
    }
}
