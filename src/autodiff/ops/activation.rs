//! Elementwise `a = f(z)` for any [`Activation`]: its forward is the activation's `f`, its VJP
//! multiplies by the activation's `df`. One op for all of them, so a new activation needs nothing
//! here.

use crate::activation::Activation;
use crate::autodiff::{Op, Tape, Var};
use ndarray::{Array2, Zip};

impl Tape {
    /// # Shapes
    /// `z`: m×n → m×n.
    pub fn activation(&mut self, activation: Activation, z: Var) -> Var {
        let out = self.value(z).mapv(|v| activation.f(v));
        self.push(out, Elementwise(activation), vec![z])
    }
}

struct Elementwise(Activation);

impl Op for Elementwise {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    /// ∂L/∂z = g ⊙ f′(z), with f′ read off z or a, whichever the activation keeps exact.
    fn vjp(&self, inputs: &[&Array2<f64>], out: &Array2<f64>, g: &Array2<f64>) -> Vec<Array2<f64>> {
        vec![Zip::from(g).and(inputs[0]).and(out).map_collect(|&g, &z, &a| g * self.0.df(z, a))]
    }
}
