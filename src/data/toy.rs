//! TensorFlow Playground's toy data sets, generated (nothing is downloaded): four 2-D
//! classification sets, circle, xor, two gaussians and spiral, and a 1-D regression curve.
//!
//! Every set lies in the plane's disc or square of radius 1 (Playground's pictures scaled by
//! 1/5), so one noise level means the same thing for all of them: each coordinate (for the curve,
//! each target) moves by `noise·u`, u uniform in [−1, 1], after the class is decided. The points
//! are drawn from the generator the caller passes, so a seed gives the same table everywhere.
//!
//! The two classes are called `blue` and `orange`, as Playground colours them; half the points
//! (the odd one extra) are blue.

use super::{Dataset, TargetKind, Targets};
use crate::error::{Error, Result, Setting};
use ndarray::Array2;
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::StandardNormal;
use std::f64::consts::PI;
use std::fmt;

/// A generated data set's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toy {
    /// Blue inside radius 0.5, orange in the ring from 0.7 to 1.
    Circle,
    /// x₁, x₂ uniform in [−1, 1] (kept 0.06 off the axes): blue where x₁·x₂ > 0.
    Xor,
    /// Two round clusters (standard deviation 0.2), blue at (0.4, 0.4), orange at (−0.4, −0.4).
    Gaussians,
    /// Two interleaved arms, 1.75 turns from the centre to radius 1, orange half a turn behind blue.
    Spiral,
    /// Regression: x uniform in [−1, 1], y = sin(πx).
    Curve,
}

/// The names `--data` takes, in the order `--help` lists them.
pub const TOY_NAMES: [&str; 5] = ["circle", "xor", "gaussians", "spiral", "curve"];

/// The points a generated set has when none is asked for.
pub const DEFAULT_POINTS: usize = 400;
/// The most points a generated set may have (a table of 2²⁰ rows).
pub const MAX_POINTS: usize = 1 << 20;
/// The largest noise accepted: beyond it every set is a blur of its own radius.
pub const MAX_NOISE: f64 = 10.0;

impl Toy {
    /// Every set, in the order of [`TOY_NAMES`].
    pub const ALL: [Toy; 5] = [Toy::Circle, Toy::Xor, Toy::Gaussians, Toy::Spiral, Toy::Curve];

    /// The word on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Toy::Circle => TOY_NAMES[0],
            Toy::Xor => TOY_NAMES[1],
            Toy::Gaussians => TOY_NAMES[2],
            Toy::Spiral => TOY_NAMES[3],
            Toy::Curve => TOY_NAMES[4],
        }
    }

    /// The set called `name`, if it is one (anything else is a file to read).
    pub fn from_name(name: &str) -> Option<Toy> {
        Toy::ALL.into_iter().find(|t| t.name() == name)
    }

    /// What the set's targets are: classes, or values for the curve.
    pub fn kind(self) -> TargetKind {
        match self {
            Toy::Circle | Toy::Xor | Toy::Gaussians | Toy::Spiral => TargetKind::Classes,
            Toy::Curve => TargetKind::Values,
        }
    }

    /// `points` rows of this set with `noise`, drawn from a generator of their own seeded with
    /// `seed`: the same seed gives the same table to `train --data` and to the page, whatever the
    /// run then draws from its own generator.
    pub fn seeded(self, points: usize, noise: f64, seed: u64) -> Result<Dataset> {
        self.generate(points, noise, &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed))
    }

    /// `points` rows of this set with `noise` (see the module's text), drawn from `rng`.
    pub fn generate<R: Rng + ?Sized>(self, points: usize, noise: f64, rng: &mut R) -> Result<Dataset> {
        check(points, noise)?;
        let mut x = Array2::zeros((points, 2));
        let mut labels = Vec::with_capacity(points);
        for i in 0..points {
            // Even rows blue (class 0), odd rows orange (class 1): half each.
            let class = i % 2;
            let (a, b) = match self {
                Toy::Circle => circle(class, rng),
                Toy::Xor => xor(rng),
                Toy::Gaussians => gaussian(class, rng),
                Toy::Spiral => spiral(class, i / 2, points.div_ceil(2)),
                Toy::Curve => (rng.random_range(-1.0..=1.0), 0.0),
            };
            // xor decides its class by where the point fell; the others place it by class.
            let class = if self == Toy::Xor { usize::from(a * b < 0.0) } else { class };
            x[[i, 0]] = a;
            x[[i, 1]] = b;
            labels.push(class);
        }
        if self == Toy::Curve {
            let mut y = Array2::zeros((points, 1));
            for i in 0..points {
                y[[i, 0]] = (PI * x[[i, 0]]).sin() + noise * jitter(rng);
            }
            return Ok(Dataset {
                features: x.slice(ndarray::s![.., 0..1]).to_owned().into(),
                feature_names: vec!["x".into()],
                target: Targets::Values { values: y, names: vec!["y".into()] },
            });
        }
        x.mapv_inplace(|v| v + noise * jitter(rng));
        Ok(Dataset {
            features: x.into(),
            feature_names: vec!["x1".into(), "x2".into()],
            target: Targets::Classes { labels, names: vec!["blue".into(), "orange".into()] },
        })
    }
}

/// The rules for `points` and `noise`, each error naming its option.
fn check(points: usize, noise: f64) -> Result<()> {
    if !(2..=MAX_POINTS).contains(&points) {
        return Err(Error::invalid_value(
            Setting::Points,
            points,
            format!("a generated data set has 2 to {MAX_POINTS} points (one of each class at least)"),
        ));
    }
    if !(noise.is_finite() && (0.0..=MAX_NOISE).contains(&noise)) {
        return Err(Error::invalid_value(
            Setting::Noise,
            noise,
            format!("must be a number from 0 (none) to {MAX_NOISE} (the sets lie within radius 1)"),
        ));
    }
    Ok(())
}

/// u, uniform in [−1, 1].
fn jitter<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    rng.random_range(-1.0..=1.0)
}

/// A point at distance r from the centre, in a uniformly drawn direction.
fn polar<R: Rng + ?Sized>(r: f64, rng: &mut R) -> (f64, f64) {
    let angle = rng.random_range(0.0..2.0 * PI);
    (r * angle.cos(), r * angle.sin())
}

fn circle<R: Rng + ?Sized>(class: usize, rng: &mut R) -> (f64, f64) {
    let r = match class {
        0 => rng.random_range(0.0..=0.5),
        _ => rng.random_range(0.7..=1.0),
    };
    polar(r, rng)
}

fn xor<R: Rng + ?Sized>(rng: &mut R) -> (f64, f64) {
    // Playground's padding (0.3 of 5) keeps the points off the axes, where the class flips.
    let coordinate = |rng: &mut R| {
        let v: f64 = rng.random_range(-1.0..=1.0);
        v + 0.06_f64.copysign(v)
    };
    (coordinate(rng), coordinate(rng))
}

fn gaussian<R: Rng + ?Sized>(class: usize, rng: &mut R) -> (f64, f64) {
    let centre = if class == 0 { 0.4 } else { -0.4 };
    let a: f64 = rng.sample(StandardNormal);
    let b: f64 = rng.sample(StandardNormal);
    (centre + 0.2 * a, centre + 0.2 * b)
}

/// The `i`-th of `n` points of one arm: radius i/n, angle 1.75 turns · i/n (+ half a turn for orange).
fn spiral(class: usize, i: usize, n: usize) -> (f64, f64) {
    let t = i as f64 / n as f64;
    let angle = 1.75 * 2.0 * PI * t + if class == 0 { 0.0 } else { PI };
    (t * angle.sin(), t * angle.cos())
}

impl fmt::Display for Toy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;

    fn make(toy: Toy, points: usize, noise: f64, seed: u64) -> Dataset {
        toy.seeded(points, noise, seed).unwrap()
    }

    #[test]
    fn a_seed_gives_the_same_table_and_another_seed_another() {
        for toy in Toy::ALL {
            assert_eq!(make(toy, 50, 0.1, 3), make(toy, 50, 0.1, 3), "{toy}");
            assert_ne!(make(toy, 50, 0.1, 3).features, make(toy, 50, 0.1, 4).features, "{toy}");
        }
    }

    #[test]
    fn each_class_is_where_its_definition_puts_it() {
        // Without noise: circle's blue within radius 0.5 and orange in [0.7, 1]; xor's class is
        // the sign of x₁·x₂ and no point is within 0.06 of an axis; spiral's points are at
        // radius i/n; the curve's y is sin(πx) exactly.
        let radius = |x: &Array2<f64>, i: usize| x[[i, 0]].hypot(x[[i, 1]]);
        let c = make(Toy::Circle, 200, 0.0, 1);
        let (cx, labels) = (c.features.f64(), c.labels().unwrap());
        for (i, &label) in labels.iter().enumerate() {
            let r = radius(&cx, i);
            assert!(if label == 0 { r <= 0.5 } else { (0.7..=1.0).contains(&r) }, "row {i}: r = {r}");
        }
        assert_eq!(labels.iter().filter(|&&l| l == 0).count(), 100);
        let x = make(Toy::Xor, 200, 0.0, 1);
        let xx = x.features.f64();
        for (i, &label) in x.labels().unwrap().iter().enumerate() {
            let (a, b) = (xx[[i, 0]], xx[[i, 1]]);
            assert!(a.abs() >= 0.06 && b.abs() >= 0.06);
            assert_eq!(label, usize::from(a * b < 0.0));
        }
        let s = make(Toy::Spiral, 10, 0.0, 1);
        // Row 7 is orange's 4th point (i = 3 of n = 5): radius 3/5.
        assert!((radius(&s.features.f64(), 7) - 0.6).abs() < 1e-15);
        let curve = make(Toy::Curve, 30, 0.0, 1);
        let Targets::Values { values, .. } = &curve.target else { panic!("values") };
        let cx = curve.features.f64();
        for i in 0..30 {
            assert!((values[[i, 0]] - (PI * cx[[i, 0]]).sin()).abs() < 1e-15);
        }
    }

    #[test]
    fn noise_moves_each_coordinate_by_at_most_its_level() {
        let (clean, noisy) = (make(Toy::Spiral, 100, 0.0, 2), make(Toy::Spiral, 100, 0.05, 2));
        let moved = (&*noisy.features.f64() - &*clean.features.f64()).mapv(f64::abs);
        assert!(moved.iter().all(|&d| d <= 0.05) && moved.iter().any(|&d| d > 0.01));
    }

    #[test]
    fn bad_sizes_name_their_option() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let e = Toy::Spiral.generate(1, 0.0, &mut rng).unwrap_err();
        assert!(matches!(e, Error::Invalid { setting: Setting::Points, .. }), "{e}");
        let e = Toy::Spiral.generate(10, f64::NAN, &mut rng).unwrap_err();
        assert!(matches!(e, Error::Invalid { setting: Setting::Noise, .. }), "{e}");
        assert_eq!(Toy::from_name("moons"), None);
    }
}
