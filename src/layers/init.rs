//! Initialisers. Each draws from the generator it is handed, so a seed fixes every weight.

use ndarray::Array2;
use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};

/// How `init` draws a parameter matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// Glorot (Xavier) normal, as stax's default `glorot_normal` (JAX's
    /// `variance_scaling(1, "fan_avg", "truncated_normal")`): a standard normal truncated to
    /// [−2, 2], scaled so the variance is 2/(fan_in + fan_out).
    GlorotNormal,
    /// U[low, high]: the blog draws its weights from U[−1, 1].
    Uniform {
        /// The lower end.
        low: f64,
        /// The upper end.
        high: f64,
    },
    /// N(0, std²): stax's default for biases, with std 0.01.
    Normal {
        /// The standard deviation.
        std: f64,
    },
    /// All zeros.
    Zeros,
}

/// The standard deviation of a standard normal truncated to [−2, 2] (JAX's constant): dividing by
/// it gives the truncated draw the variance asked for.
const TRUNCATED_STD: f64 = 0.879_625_661_034_239_8;

/// A standard normal draw, redrawn until it falls in [−2, 2] (95% do at the first try).
fn truncated_standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    loop {
        let z: f64 = rand_distr::StandardNormal.sample(rng);
        if z.abs() <= 2.0 {
            return z;
        }
    }
}

impl Init {
    /// The blog's initialiser.
    pub const UNIFORM: Init = Init::Uniform { low: -1.0, high: 1.0 };

    /// The initialisers a fresh model may ask for by name: `glorot` (stax's default), `uniform`
    /// (U[−1, 1], the blog's) and `zeros`.
    pub const NAMES: [&str; 3] = ["glorot", "uniform", "zeros"];

    /// The initialiser called `name`, one of [`Init::NAMES`].
    pub fn from_name(name: &str) -> crate::Result<Init> {
        match name {
            "glorot" => Ok(Init::GlorotNormal),
            "uniform" => Ok(Init::UNIFORM),
            "zeros" => Ok(Init::Zeros),
            other => Err(crate::Error::invalid_value(
                crate::error::Setting::Init,
                format!("'{other}'"),
                format!("not an initialiser ({})", Init::NAMES.join(", ")),
            )),
        }
    }

    /// # Shapes
    /// `(out, in)` → out×in; fan_in = in, fan_out = out.
    pub fn sample<R: Rng + ?Sized>(self, rng: &mut R, (out, inp): (usize, usize)) -> Array2<f64> {
        let mut draw = |d: &dyn Fn(&mut R) -> f64| Array2::from_shape_simple_fn((out, inp), || d(rng));
        match self {
            Init::GlorotNormal => {
                let std = (2.0 / (inp + out) as f64).sqrt() / TRUNCATED_STD;
                draw(&|r| std * truncated_standard_normal(r))
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Glorot normal for fan_in = fan_out = 200: variance 2/(200 + 200) = 0.005, and no draw beyond
    /// two of the untruncated normal's standard deviations, 2·√0.005/0.8796 = 0.1608.
    #[test]
    fn glorot_normal_has_the_glorot_variance_and_is_truncated() {
        let w = Init::GlorotNormal.sample(&mut rand_chacha::ChaCha8Rng::seed_from_u64(7), (200, 200));
        let mean = w.mean().unwrap();
        let var = w.mapv(|v| (v - mean) * (v - mean)).mean().unwrap();
        // 40,000 draws: the sample variance's standard error is about 0.7% of 0.005; allow 3%.
        assert!((var - 0.005).abs() < 0.005 * 0.03, "variance {var}");
        assert!(mean.abs() < 0.001, "mean {mean}");
        let bound = 2.0 * 0.005f64.sqrt() / TRUNCATED_STD;
        assert!(w.iter().all(|v| v.abs() <= bound), "a draw beyond {bound}");
        // Without truncation about 4.6% of draws would lie beyond 0.9·bound; truncated, some do.
        assert!(w.iter().any(|v| v.abs() > 0.9 * bound));
    }

    /// The blog's U[−1, 1] and zeros.
    #[test]
    fn uniform_and_zeros() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let u = Init::UNIFORM.sample(&mut rng, (50, 40));
        assert!(u.iter().all(|v| (-1.0..=1.0).contains(v)));
        assert!(u.iter().any(|v| *v < -0.9) && u.iter().any(|v| *v > 0.9));
        assert!(Init::Zeros.sample(&mut rng, (3, 4)).iter().all(|v| *v == 0.0));
    }
}
