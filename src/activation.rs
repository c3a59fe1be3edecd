//! Elementwise activations, each defined once: its function, its derivative, its name and its
//! formulas. The tape, the hand-derived path, the compiled engine, the trace and every renderer
//! read them from here, so adding an activation is a change to this file (a variant, an arm in
//! each `match` below, an entry in [`Activation::ALL`]) and to nothing else.
//!
//! Every `match` here lists every variant: there is no `_` arm through which a new activation could
//! inherit another's formula.
//!
//! # The contract
//! - `f(z)`: the function, generic over the float type (f32 and f64);
//! - `df(z, a)`: its derivative at `z`, given `a = f(z)` too, so that each activation can read it
//!   off whichever is exact: tanh′ = 1 − a² off the output while |a| ≤ ½ and 4e^(−2|z|)/(1 + e^(−2|z|))²
//!   off the input beyond, σ′ = σ(z)·σ(−z) off the input (1 − a² and σ(1 − σ) read off an output
//!   that rounds near 1 lose every digit of the difference);
//! - `name`: the word in model files, `--activation` and explanations;
//! - formulas for f and f′, in Unicode and in TeX, as templates: `{z}` stands for the input and
//!   `{a}` for the output, so a renderer writes the formula with symbols or with the numbers.

use num_traits::Float;
use std::fmt;
use std::str::FromStr;

/// An elementwise activation `a = f(z)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// f(z) = z: a linear output layer (regression with the quadratic cost).
    Identity,
    /// max(z, 0): the usual hidden unit.
    Relu,
    /// max(z, 0.01·z): relu that keeps a small gradient for negative inputs. Its derivative at
    /// exactly 0 is 1, as JAX's `jnp.where(x >= 0, x, 0.01·x)` gives (stax's choice).
    LeakyRelu,
    /// tanh z: zero-centred, saturating at ±1.
    Tanh,
    /// σ(z) = 1/(1 + e^(−z)): Mazur's units, saturating at 0 and 1.
    Sigmoid,
    /// ln(1 + eᶻ): a smooth relu.
    Softplus,
}

/// A formula in two notations, with `{z}` (the input) and `{a}` (the output) as placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// Unicode, for a terminal.
    pub text: &'static str,
    /// TeX, for Markdown and the web page.
    pub tex: &'static str,
}

/// The slope of [`Activation::LeakyRelu`] below 0.
pub const LEAKY_SLOPE: f64 = 0.01;

impl Activation {
    /// Every activation, in the order `--help` lists them.
    pub const ALL: [Activation; 6] = [
        Activation::Identity,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Softplus,
    ];

    /// The word in model files, on the command line and in explanations.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky_relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Softplus => "softplus",
        }
    }

    /// a = f(z).
    pub fn f<F: Float>(self, z: F) -> F {
        match self {
            Activation::Identity => z,
            Activation::Relu => z.max(F::zero()),
            Activation::LeakyRelu => {
                if z > F::zero() {
                    z
                } else {
                    z * F::from(LEAKY_SLOPE).expect("a float")
                }
            }
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => sigmoid(z),
            // ln(1 + eᶻ) = max(z, 0) + ln(1 + e^(−|z|)): no overflow for large z, all digits for
            // very negative z.
            Activation::Softplus => z.max(F::zero()) + (-z.abs()).exp().ln_1p(),
        }
    }

    /// f′(z), given z and a = f(z).
    pub fn df<F: Float>(self, z: F, a: F) -> F {
        match self {
            Activation::Identity => F::one(),
            // At exactly 0 the derivative is taken as 0, as JAX does.
            Activation::Relu => {
                if z > F::zero() {
                    F::one()
                } else {
                    F::zero()
                }
            }
            // At exactly 0 the derivative is 1: JAX's leaky_relu is `jnp.where(x >= 0, x, 0.01·x)`,
            // whose gradient at 0 takes the `x` branch.
            Activation::LeakyRelu => {
                if z >= F::zero() {
                    F::one()
                } else {
                    F::from(LEAKY_SLOPE).expect("a float")
                }
            }
            Activation::Tanh => tanh_derivative(z, a),
            // σ(z)·(1 − σ(z)) with 1 − σ(z) = σ(−z) computed as itself: no cancellation when σ ≈ 1.
            Activation::Sigmoid => a * sigmoid(-z),
            // softplus′ = σ(z).
            Activation::Softplus => sigmoid(z),
        }
    }

    /// a_i ← f(z_i) for every i. The `match` is taken once for the slice rather than once per
    /// number: behind a per-number jump table the compiled engine's relu stayed scalar (5% of
    /// W4's time on the thread every other waits for); with each arm a loop of its own, the
    /// arms without a libm call compile to vector instructions. The same `f`, the same bits.
    #[inline]
    pub fn f_each<F: Float>(self, z: &[F], a: &mut [F]) {
        #[inline(always)]
        fn each<F: Float>(z: &[F], a: &mut [F], f: impl Fn(F) -> F) {
            a.iter_mut().zip(z).for_each(|(a, &z)| *a = f(z));
        }
        match self {
            Activation::Identity => each(z, a, |z| Activation::Identity.f(z)),
            Activation::Relu => each(z, a, |z| Activation::Relu.f(z)),
            Activation::LeakyRelu => each(z, a, |z| Activation::LeakyRelu.f(z)),
            Activation::Tanh => each(z, a, |z| Activation::Tanh.f(z)),
            Activation::Sigmoid => each(z, a, |z| Activation::Sigmoid.f(z)),
            Activation::Softplus => each(z, a, |z| Activation::Softplus.f(z)),
        }
    }

    /// g_i ← g_i·f′(z_i) (given a_i = f(z_i)) for every i: the gradient taken back through the
    /// activation, with the `match` once for the slice as in [`Activation::f_each`] (relu′, a
    /// branch per number on random signs, mispredicted half the time, becomes a select).
    #[inline]
    pub fn times_df_each<F: Float>(self, z: &[F], a: &[F], g: &mut [F]) {
        #[inline(always)]
        fn each<F: Float>(z: &[F], a: &[F], g: &mut [F], df: impl Fn(F, F) -> F) {
            g.iter_mut().zip(z).zip(a).for_each(|((g, &z), &a)| *g = *g * df(z, a));
        }
        match self {
            Activation::Identity => each(z, a, g, |z, a| Activation::Identity.df(z, a)),
            Activation::Relu => each(z, a, g, |z, a| Activation::Relu.df(z, a)),
            Activation::LeakyRelu => each(z, a, g, |z, a| Activation::LeakyRelu.df(z, a)),
            Activation::Tanh => each(z, a, g, |z, a| Activation::Tanh.df(z, a)),
            Activation::Sigmoid => each(z, a, g, |z, a| Activation::Sigmoid.df(z, a)),
            Activation::Softplus => each(z, a, g, |z, a| Activation::Softplus.df(z, a)),
        }
    }

    /// The function's symbol, e.g. `σ` (`\sigma`): written before its argument, and primed
    /// for its derivative.
    pub fn symbol(self) -> Template {
        match self {
            Activation::Identity => Template { text: "id", tex: "\\mathrm{id}" },
            Activation::Relu => Template { text: "relu", tex: "\\mathrm{relu}" },
            Activation::LeakyRelu => Template { text: "leaky_relu", tex: "\\mathrm{leaky\\_relu}" },
            Activation::Tanh => Template { text: "tanh", tex: "\\tanh" },
            Activation::Sigmoid => Template { text: "σ", tex: "\\sigma" },
            Activation::Softplus => Template { text: "softplus", tex: "\\mathrm{softplus}" },
        }
    }

    /// The function, e.g. `tanh({z})`.
    pub fn formula(self) -> Template {
        match self {
            Activation::Identity => Template { text: "{z}", tex: "{z}" },
            Activation::Relu => Template { text: "max(0, {z})", tex: "\\max(0, {z})" },
            Activation::LeakyRelu => Template { text: "max(0.01·{z}, {z})", tex: "\\max(0.01 \\cdot {z}, {z})" },
            Activation::Tanh => Template { text: "tanh({z})", tex: "\\tanh({z})" },
            Activation::Sigmoid => Template { text: "1/(1 + e^(−{z}))", tex: "1/(1 + e^{-{z}})" },
            Activation::Softplus => Template { text: "ln(1 + e^{z})", tex: "\\ln(1 + e^{{z}})" },
        }
    }

    /// The derivative, e.g. `1 − {a}²`.
    pub fn derivative_formula(self) -> Template {
        match self {
            Activation::Identity => Template { text: "1", tex: "1" },
            Activation::Relu => Template { text: "[{z} > 0]", tex: "[{z} \\gt 0]" },
            Activation::LeakyRelu => {
                Template { text: "1 if {z} ≥ 0, else 0.01", tex: "1 \\text{ if } {z} \\ge 0 \\text{, else } 0.01" }
            }
            Activation::Tanh => Template { text: "1 − {a}²", tex: "1 - {a}^2" },
            Activation::Sigmoid => Template { text: "{a}·(1 − {a})", tex: "{a} \\cdot (1 - {a})" },
            Activation::Softplus => Template { text: "1/(1 + e^(−{z}))", tex: "1/(1 + e^{-{z}})" },
        }
    }

    /// Where the derivative is read from, for the walk-through's prose.
    pub fn derivative_note(self) -> &'static str {
        match self {
            Activation::Identity => "a linear unit passes the gradient through unchanged",
            Activation::Relu => "1 where the unit is active, 0 where it is not (a dead unit passes nothing back)",
            Activation::LeakyRelu => "1 where the unit is active, 0.01 where it is not",
            Activation::Tanh => "read off the output a itself (from z as 1/cosh²(z) where a is near ±1)",
            Activation::Sigmoid => "read off the output a itself (computed as σ(z)·σ(−z), exact when σ rounds to 1)",
            Activation::Softplus => "the logistic function of the input",
        }
    }

    /// Whether f′ jumps (relu's and leaky_relu's kink at 0): a central difference whose two points
    /// lie on either side of the jump averages two slopes and says nothing about either.
    pub fn has_kink(self) -> bool {
        match self {
            Activation::Relu | Activation::LeakyRelu => true,
            Activation::Identity | Activation::Tanh | Activation::Sigmoid | Activation::Softplus => false,
        }
    }

    /// Whether a unit with this input and output passes back almost nothing (|f′| < 1e-3): a
    /// saturated sigmoid or tanh, a dead relu. That is where gradients vanish.
    pub fn is_saturated(self, z: f64, a: f64) -> bool {
        self.df(z, a).abs() < 1e-3
    }
}

/// tanh′(z) = 1 − a² = 1/cosh²(z). Read off the output while |a| ≤ ½, where 1 − a² ≥ ¾ keeps its
/// digits (an error of an ulp in a moves it by at most an ulp); beyond, 1 − a² is a difference of
/// nearly equal numbers (4% off at z = 18, 0 at z = −19.5 where the exact value is 4.6e-17), so it
/// is taken from z as 4e/(1 + e)² with e = e^(−2|z|) ≤ e^(−1.09): no cancellation, no overflow,
/// within a few ulp (one exp, one square, one division).
fn tanh_derivative<F: Float>(z: F, a: F) -> F {
    let half = F::from(0.5).expect("a float");
    if a.abs() <= half {
        F::one() - a * a
    } else {
        let two = F::one() + F::one();
        let e = (-two * z.abs()).exp();
        let d = F::one() + e;
        (two + two) * e / (d * d)
    }
}

/// σ(z) = 1/(1 + e^(−z)), computed so that neither branch overflows and σ(−z) keeps its digits
/// for large z (e^(−z) is tiny there, not 1 − something).
pub fn sigmoid<F: Float>(z: F) -> F {
    if z >= F::zero() {
        F::one() / (F::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (F::one() + e)
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let names: Vec<&str> = Activation::ALL.iter().map(|a| a.name()).collect();
        Activation::ALL
            .into_iter()
            .find(|a| a.name() == s || (s == "leaky-relu" && *a == Activation::LeakyRelu))
            .ok_or_else(|| format!("'{s}' is not an activation ({})", names.join(", ")))
    }
}

impl Template {
    /// The Unicode formula with `{z}` and `{a}` replaced.
    pub fn text_with(&self, z: &str, a: &str) -> String {
        self.text.replace("{z}", z).replace("{a}", a)
    }

    /// The TeX formula with `{z}` and `{a}` replaced.
    pub fn tex_with(&self, z: &str, a: &str) -> String {
        self.tex.replace("{z}", z).replace("{a}", a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f′ against a central difference of f, for every activation, away from relu's kink.
    #[test]
    fn derivative_matches_central_difference() {
        for act in Activation::ALL {
            for &z in &[-3.0, -0.7, 0.3, 1.1, 2.5] {
                let h = 1e-6;
                let fd = (act.f(z + h) - act.f(z - h)) / (2.0 * h);
                let df = act.df(z, act.f(z));
                assert!((fd - df).abs() < 1e-8, "{act} at {z}: fd {fd} vs df {df}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for act in Activation::ALL {
            assert_eq!(act.name().parse::<Activation>(), Ok(act));
        }
    }

    /// leaky_relu′(0) = 1, as JAX: `jax.grad(jax.nn.leaky_relu)(0.0)` is 1.0, since its definition
    /// `jnp.where(x >= 0, x, negative_slope * x)` takes the `x` branch at 0. relu′(0) = 0, as JAX's.
    #[test]
    fn kinks_take_jax_s_side() {
        assert_eq!(Activation::LeakyRelu.df(0.0_f64, 0.0), 1.0);
        assert_eq!(Activation::LeakyRelu.df(-0.0_f64, 0.0), 1.0);
        assert_eq!(Activation::LeakyRelu.df(0.0_f32, 0.0), 1.0);
        assert_eq!(Activation::LeakyRelu.df(-1e-300_f64, -1e-302), 0.01);
        assert_eq!(Activation::Relu.df(0.0_f64, 0.0), 0.0);
        assert!(Activation::LeakyRelu.has_kink() && Activation::Relu.has_kink() && !Activation::Tanh.has_kink());
    }

    /// tanh′(z) = 1/cosh²(z), correctly rounded to a few ulp everywhere, saturation included.
    /// Reference values: mpmath at 50 digits, `float(mp.sech(mp.mpf(z))**2)` (the f64 nearest the
    /// exact value); 1 − tanh(z)² in f64 gives the values in the comments.
    #[test]
    fn tanh_derivative_keeps_digits_when_saturated() {
        let cases = [
            (18.0, 9.278091320974273e-16),    // 1 − a²: 8.881784197001252e-16, 4% off
            (-19.5, 4.6192896692063144e-17),  // 1 − a²: 0
            (300.0, 1.0601586212017243e-260), // 1 − a²: 0
            (10.0, 8.244614455767397e-09),    // 1 − a²: 8.244614546626394e-09
            (3.0, 0.00986603716544019),       // 1 − a²: 0.009866037165440211
            (1.0, 0.4199743416140261),        // 1 − a²: 0.41997434161402614
            (0.6, 0.7115777625872228),
            (-0.4, 0.8556387860811777),
        ];
        for (z, exact) in cases {
            let d = Activation::Tanh.df(z, z.tanh());
            assert!(((d - exact) / exact).abs() <= 4.0 * f64::EPSILON, "tanh′({z}) = {d:e}, exact {exact:e}");
        }
        // Far out the exact value underflows to 0, as 4e^(−2|z|) does.
        assert_eq!(Activation::Tanh.df(400.0_f64, 1.0), 0.0);
        assert!(Activation::Tanh.df(18.0_f32, 1.0) > 0.0);
    }

    /// σ′(40) = e^(−40)/(1 + e^(−40))² = 4.2483542552915890e-18 (mpmath, 50 digits); σ(1 − σ)
    /// read off the output would give exactly 0, since σ(40) rounds to 1.
    #[test]
    fn sigmoid_derivative_keeps_digits_when_saturated() {
        let z = 40.0_f64;
        let d = Activation::Sigmoid.df(z, sigmoid(z));
        let exact = 4.248354255291589e-18;
        assert!(((d - exact) / exact).abs() < 4.0 * f64::EPSILON, "{d}");
    }
}
