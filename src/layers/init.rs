//! Initialisers. Each draws from the generator it is handed, so a seed fixes every weight.

use ndarray::Array2;
use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// N(0, 2/(fan_in + fan_out)): stax's default for weights.
    GlorotNormal,
    /// U[low, high]: the blog draws its weights from U[−1, 1].
    Uniform {
        low: f64,
        high: f64,
    },
    /// N(0, std²): stax's default for biases, with std 0.01.
    Normal {
        std: f64,
    },
    Zeros,
}

impl Init {
    /// The blog's initialiser.
    pub const UNIFORM: Init = Init::Uniform { low: -1.0, high: 1.0 };

    /// # Shapes
    /// `(out, in)` → out×in; fan_in = in, fan_out = out.
    pub fn sample<R: Rng + ?Sized>(self, rng: &mut R, (out, inp): (usize, usize)) -> Array2<f64> {
        let mut draw = |d: &dyn Fn(&mut R) -> f64| Array2::from_shape_simple_fn((out, inp), || d(rng));
        match self {
            Init::GlorotNormal => {
                let normal = Normal::new(0.0, (2.0 / (inp + out) as f64).sqrt()).expect("positive std");
                draw(&|r| normal.sample(r))
            }
            Init::Uniform { low, high } => {
                let uniform = Uniform::new_inclusive(low, high).expect("low ≤ high");
                draw(&|r| uniform.sample(r))
            }
            Init::Normal { std } => {
                let normal = Normal::new(0.0, std).expect("finite std");
                draw(&|r| normal.sample(r))
            }
            Init::Zeros => Array2::zeros((out, inp)),
        }
    }
}
