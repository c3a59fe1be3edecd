//! `a · wᵀ`: the dense layer's product, and the one place in gradlens where a transpose happens.
//! Weights are stored `w_out_in` (rows = output units, as the blog and the model file write
//! them), inputs `m×in`, so the logits `m×out` are `a · wᵀ`. The hand engine (`engine/hand.rs`)
//! calls the two products below too, so the layout is turned in this file only.

use super::check;
use crate::autodiff::{Op, Tape, Var};
use crate::error::Result;
use ndarray::{Array2, LinalgScalar};

impl Tape {
    /// # Shapes
    /// `a`: m×in, `w_out_in`: out×in → m×out.
    pub fn matmul_nt(&mut self, a: Var, w_out_in: Var) -> Result<Var> {
        let (sa, sw) = (self.shape(a), self.shape(w_out_in));
        check("matmul_nt", sa.1 == sw.1, sa, sw)?;
        let out = a_wt(self.value(a), self.value(w_out_in));
        Ok(self.push(out, MatmulNt, vec![a, w_out_in]))
    }
}

struct MatmulNt;

impl Op for MatmulNt {
    fn name(&self) -> &'static str {
        "matmul_nt"
    }
    /// z_ik = Σ_j a_ij·w_kj, so ∂L/∂a = g·w and ∂L/∂w = gᵀ·a.
    fn vjp(&self, inputs: &[&Array2<f64>], _out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        let (a, w) = (inputs[0], inputs[1]);
        vec![g.dot(w), gt_a(g, a)]
    }
}

/// `a · wᵀ`.
///
/// # Shapes
/// `a`: m×in, `w_out_in`: out×in → m×out.
pub fn a_wt<F: LinalgScalar>(a: &Array2<F>, w_out_in: &Array2<F>) -> Array2<F> {
    a.dot(&w_out_in.t())
}

/// `gᵀ · a`: entry (i, j) is Σ_samples g_si·a_sj, the weight gradient summed over the batch.
///
/// # Shapes
/// `g`: m×out, `a`: m×in → out×in (`w_out_in`'s layout).
pub fn gt_a<F: LinalgScalar>(g: &Array2<F>, a: &Array2<F>) -> Array2<F> {
    g.t().dot(a)
}
