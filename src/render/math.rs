//! Formulas written twice at once, in Unicode for a terminal and in TeX for Markdown, so a stage
//! of the walk-through is built once and each renderer picks its half.
//!
//! Conventions the renderers rely on: in the Unicode half a binary operator is surrounded by
//! spaces (" + ", " − ", " = ") and a number's own sign is the ASCII '-', so a line can be wrapped
//! before an operator without splitting a number. The TeX half avoids a backslash before
//! punctuation (GitHub's Markdown would eat it) and `*`, `|` (Markdown emphasis, table cells).

use super::fmt_num;
use crate::activation::Template;
use crate::loss::{LogBase, Norm};

/// An activation's formula template with `{z}` and `{a}` filled in, in both halves.
pub fn filled(t: Template, z: &Math, a: &Math) -> Math {
    Math { text: t.text_with(&z.text, &a.text), tex: t.tex_with(&z.tex, &a.tex) }
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Math {
    pub text: String,
    pub tex: String,
}

/// Concatenates pieces (`Math`, `&str` (the same in both halves) or `f64`) into one formula.
macro_rules! cat {
    ($($part:expr),* $(,)?) => {{
        let mut m = $crate::render::math::Math::default();
        $( m.push(&$crate::render::math::Math::from($part)); )*
        m
    }};
}
pub(crate) use cat;

impl Math {
    pub fn new(text: impl Into<String>, tex: impl Into<String>) -> Math {
        Math { text: text.into(), tex: tex.into() }
    }

    /// A number as [`fmt_num`] writes it; in TeX an exponent becomes ×10ⁿ.
    pub fn num(v: f64) -> Math {
        let text = fmt_num(v);
        let tex = match text.split_once('e') {
            Some((mantissa, exp)) => format!("{mantissa} \\times 10^{{{exp}}}"),
            None => text.replace('∞', "\\infty "),
        };
        Math { text, tex }
    }

    /// A number as a factor of a product or the operand after a minus: in parentheses when
    /// negative, so `0.25·(-0.42)` does not read as a subtraction.
    pub fn factor(v: f64) -> Math {
        let n = Math::num(v);
        if n.text.starts_with('-') { n.paren() } else { n }
    }

    pub fn push(&mut self, other: &Math) {
        self.text.push_str(&other.text);
        self.tex.push_str(&other.tex);
    }

    pub fn paren(self) -> Math {
        Math { text: format!("({})", self.text), tex: format!("({})", self.tex) }
    }

    pub fn bracket(self) -> Math {
        Math { text: format!("[{}]", self.text), tex: format!("\\left[{}\\right]", self.tex) }
    }

    pub fn join(parts: impl IntoIterator<Item = Math>, sep: &Math) -> Math {
        let mut out = Math::default();
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                out.push(sep);
            }
            out.push(&part);
        }
        out
    }

    /// `a + b + c`.
    pub fn sum(terms: impl IntoIterator<Item = Math>) -> Math {
        Math::join(terms, &plus())
    }

    /// The sides of a chain of equalities, `a = b = c`.
    pub fn chain(sides: impl IntoIterator<Item = Math>) -> Math {
        Math::join(sides, &eq())
    }
}

impl From<&str> for Math {
    fn from(s: &str) -> Math {
        Math::new(s, s)
    }
}

impl From<f64> for Math {
    fn from(v: f64) -> Math {
        Math::num(v)
    }
}

impl From<&Math> for Math {
    fn from(m: &Math) -> Math {
        m.clone()
    }
}

pub fn eq() -> Math {
    Math::from(" = ")
}

pub fn plus() -> Math {
    Math::from(" + ")
}

pub fn minus() -> Math {
    Math::new(" − ", " - ")
}

/// The unary minus in front of a bracket or a fraction.
pub fn neg() -> Math {
    Math::new("−", "-")
}

pub fn alpha() -> Math {
    Math::new("α", "\\alpha")
}

pub fn times() -> Math {
    Math::new("·", " \\cdot ")
}

/// `a/b` (in TeX too: a stacked fraction would make a line of plugged-in numbers hard to read).
pub fn over(a: Math, b: Math) -> Math {
    cat!(a, "/", b)
}

/// ∂L/∂`wrt`.
pub fn d_loss(wrt: &Math) -> Math {
    cat!(Math::new("∂L/∂", "\\partial L/\\partial "), wrt)
}

/// ∂`of`/∂`wrt`.
pub fn d(of: &Math, wrt: &Math) -> Math {
    cat!(Math::new("∂", "\\partial "), of, "/", Math::new("∂", "\\partial "), wrt)
}

/// Σ with an index below: `Σₖ` / `\sum_k`.
pub fn sum_over(index: char) -> Math {
    Math::new(format!("Σ{}", sub_letter(index)), format!("\\sum_{index} "))
}

/// log_b(`arg`) written as the post writes it: ln, log₂, log₁₀, or log_b with the number.
pub fn log(base: LogBase, arg: Math) -> Math {
    cat!(log_name(base), arg.paren())
}

fn log_name(base: LogBase) -> Math {
    if base.is_natural() {
        Math::new("ln", "\\ln")
    } else if base.base() == 2.0 {
        Math::new("log₂", "\\log_2")
    } else if base.base() == 10.0 {
        Math::new("log₁₀", "\\log_{10}")
    } else {
        let b = Math::num(base.base());
        Math::new(format!("log_{}", b.text), format!("\\log_{{{}}}", b.tex))
    }
}

/// The symbol of the general formula: log_b, or ln / log₂ / log₁₀ when the base is one of those.
pub fn log_symbol(base: LogBase) -> Math {
    if base.is_natural() || base.base() == 2.0 || base.base() == 10.0 {
        log_name(base)
    } else {
        Math::new("log_b", "\\log_b")
    }
}

/// `ln b` with the base's number, the factor a non-natural base brings to the loss's gradient.
pub fn ln_of_base(base: LogBase) -> Math {
    let b = Math::num(base.base());
    Math::new(format!("ln {}", b.text), format!("\\ln {}", b.tex))
}

/// e to the power `exponent`.
pub fn exp(exponent: Math) -> Math {
    let simple = !exponent.text.contains(' ') && !exponent.text.starts_with('-');
    let text = if simple { format!("e^{}", exponent.text) } else { format!("e^({})", exponent.text) };
    Math::new(text, format!("e^{{{}}}", exponent.tex))
}

/// `[v1, v2, …]`.
pub fn vector(values: impl IntoIterator<Item = f64>) -> Math {
    Math::join(values.into_iter().map(Math::num), &Math::from(", ")).bracket()
}

/// A named quantity (x, W, z, ŷ, …), possibly of a layer (W⁽²⁾), written with indices counted
/// from 1 as in the post.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sym {
    text: String,
    tex: String,
}

impl Sym {
    pub fn new(text: &str, tex: &str) -> Sym {
        Sym { text: text.into(), tex: tex.into() }
    }

    /// The quantity of layer `layer` (1-based): z⁽¹⁾.
    pub fn of_layer(self, layer: usize) -> Sym {
        let digits: String = layer.to_string().chars().map(superscript_digit).collect();
        Sym { text: format!("{}⁽{digits}⁾", self.text), tex: format!("{}^{{({layer})}}", self.tex) }
    }

    /// A second symbol for the same layer: a′.
    pub fn primed(self) -> Sym {
        Sym { text: format!("{}′", self.text), tex: format!("{}'", self.tex) }
    }

    /// The `n`-th other symbol for the same layer: a, a′, a′′, a′′′, then a′⁴, a′⁵, … so that a
    /// name's length does not grow with a model's depth.
    pub fn primed_times(self, n: usize) -> Sym {
        match n {
            0..=3 => (0..n).fold(self, |s, _| s.primed()),
            _ => {
                let digits: String = n.to_string().chars().map(superscript_digit).collect();
                Sym { text: format!("{}′{digits}", self.text), tex: format!("{}'_{{{n}}}", self.tex) }
            }
        }
    }

    /// The whole vector or matrix.
    pub fn whole(&self) -> Math {
        Math::new(self.text.clone(), self.tex.clone())
    }

    /// One entry, `index` counted from 0 (written from 1).
    pub fn at(&self, index: usize) -> Math {
        self.indexed(&[index])
    }

    /// Entry (row, column) of a matrix, counted from 0.
    pub fn at2(&self, row: usize, col: usize) -> Math {
        self.indexed(&[row, col])
    }

    fn indexed(&self, indices: &[usize]) -> Math {
        let ones: Vec<usize> = indices.iter().map(|i| i + 1).collect();
        let wide = ones.iter().any(|&i| i > 9);
        let text_sep = if wide { "," } else { "" };
        let text_idx: Vec<String> =
            ones.iter().map(|i| i.to_string().chars().map(|c| sub_letter(c).to_string()).collect()).collect();
        let tex_idx: Vec<String> = ones.iter().map(usize::to_string).collect();
        Math::new(
            format!("{}{}", self.text, text_idx.join(text_sep)),
            format!("{}_{{{}}}", self.tex, tex_idx.join(if wide { "," } else { "" })),
        )
    }

    /// An entry with letter indices, for a general formula: Wᵢⱼ.
    pub fn letters(&self, indices: &str) -> Math {
        let text: String = indices.chars().map(sub_letter).collect();
        Math::new(format!("{}{text}", self.text), format!("{}_{{{indices}}}", self.tex))
    }
}

/// The Unicode subscript of a digit or of the index letters the walk-through uses.
fn sub_letter(c: char) -> char {
    match c {
        '0'..='9' => char::from_u32('₀' as u32 + c.to_digit(10).expect("digit")).expect("subscript digit"),
        'i' => 'ᵢ',
        'j' => 'ⱼ',
        'k' => 'ₖ',
        's' => 'ₛ',
        'm' => 'ₘ',
        other => other,
    }
}

/// The Unicode superscript of a digit.
pub fn superscript_digit(c: char) -> char {
    match c {
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '0' | '4'..='9' => char::from_u32('⁰' as u32 + c.to_digit(10).expect("digit")).expect("superscript digit"),
        other => other,
    }
}

/// A loss's formulas ([`crate::loss::Notation`]) written as the walk-through writes them, about
/// one output: `target` and `output` are its symbols (yₖ, ŷₖ) or one sample's numbers, `batch` is
/// m (a letter or the number) when the batch has more than one sample. The weight penalty's
/// formulas are about one weight: its letters ([`Written::penalty_letters`]) or numbers
/// ([`Written::penalty_numbers`]); a view of the loss alone leaves them empty.
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub target: Math,
    pub output: Math,
    pub batch: Option<Math>,
    pub data_loss: Math,
    /// λ₂ and λ₁.
    pub rates: [Math; 2],
    /// Σ W² and Σ |W|.
    pub sums: [Math; 2],
    pub weight: Math,
    pub weight_sign: Math,
    pub data_slope: Math,
}

impl Written {
    /// The penalty's letters, about weight `w` (Wᵢⱼ).
    pub fn penalty_letters(w: Math) -> Written {
        let data = Math::new("L_data", "L_{\\text{data}}");
        Written {
            data_slope: cat!(Math::new("∂", "\\partial "), &data, "/", Math::new("∂", "\\partial "), &w),
            data_loss: data,
            rates: [Math::new("λ₂", "\\lambda_2"), Math::new("λ₁", "\\lambda_1")],
            sums: [Math::new("Σ W²", "\\sum W^2"), Math::new("Σ |W|", "\\sum |W|")],
            weight_sign: cat!(Math::new("sign", "\\operatorname{sign}"), w.clone().paren()),
            weight: w,
            ..Written::default()
        }
    }

    /// The penalty's numbers: the step's `p`, the data loss's slope `g_data` in a weight of value `w`.
    pub fn penalty_numbers(p: &crate::trace::PenaltyTrace, data_loss: f64, g_data: f64, w: f64) -> Written {
        Written {
            data_loss: Math::num(data_loss),
            rates: [Math::num(p.l2), Math::num(p.l1)],
            sums: [Math::num(p.sum_squares), Math::num(p.sum_abs)],
            weight: Math::factor(w),
            weight_sign: Math::factor(if w == 0.0 { 0.0 } else { w.signum() }),
            data_slope: Math::num(g_data),
            ..Written::default()
        }
    }
}

fn norm_index(norm: Norm) -> usize {
    match norm {
        Norm::L2 => 0,
        Norm::L1 => 1,
    }
}

impl crate::loss::Notation for Written {
    type Expr = Math;
    fn target(&self) -> Math {
        self.target.clone()
    }
    fn output(&self) -> Math {
        self.output.clone()
    }
    fn batch(&self) -> Option<Math> {
        self.batch.clone()
    }
    fn ln_base(&self, base: LogBase) -> Option<Math> {
        (!base.is_natural()).then(|| ln_of_base(base))
    }
    fn log(&self, base: LogBase, x: Math) -> Math {
        cat!(log_symbol(base), " ", x)
    }
    fn sum_classes(&self, x: Math) -> Math {
        cat!(sum_over('k'), " ", x)
    }
    fn half(&self, x: Math) -> Math {
        cat!(Math::new("½", "\\tfrac{1}{2}"), x)
    }
    fn square(&self, x: Math) -> Math {
        cat!(x.paren(), Math::new("²", "^2"))
    }
    fn neg(&self, x: Math) -> Math {
        cat!(neg(), x)
    }
    fn minus(&self, a: Math, b: Math) -> Math {
        cat!(a, minus(), b)
    }
    fn times(&self, a: Math, b: Math) -> Math {
        cat!(a, times(), b)
    }
    /// A difference on top is bracketed, `(ŷₖ − yₖ)/m`; several factors below too, `/(m·ln 2)`.
    fn over(&self, top: Math, factors: Vec<Math>) -> Math {
        let top = if factors.is_empty() || !top.text.contains(' ') { top } else { top.paren() };
        match factors.len() {
            0 => top,
            1 => over(top, factors.into_iter().next().expect("one factor")),
            _ => over(top, Math::join(factors, &times()).paren()),
        }
    }
    fn plus(&self, a: Math, b: Math) -> Math {
        cat!(a, plus(), b)
    }
    fn number(&self, v: f64) -> Math {
        Math::num(v)
    }
    fn data_loss(&self) -> Math {
        self.data_loss.clone()
    }
    fn rate(&self, norm: Norm) -> Math {
        self.rates[norm_index(norm)].clone()
    }
    fn weights_sum(&self, norm: Norm) -> Math {
        self.sums[norm_index(norm)].clone()
    }
    fn weight(&self) -> Math {
        self.weight.clone()
    }
    fn weight_sign(&self) -> Math {
        self.weight_sign.clone()
    }
    fn data_slope(&self) -> Math {
        self.data_slope.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_halves() {
        // W₁₁ / W_{11}: indices written from 1, as the post numbers weights
        assert_eq!(Sym::new("W", "W").at2(0, 0), Math::new("W₁₁", "W_{11}"));
        assert_eq!(Sym::new("W", "W").at2(9, 2).text, "W₁₀,₃");
        assert_eq!(Sym::new("z", "z").of_layer(2).at(0), Math::new("z⁽²⁾₁", "z^{(2)}_{1}"));
        assert_eq!(cat!(0.25, times(), Math::factor(-0.5)), Math::new("0.25·(-0.5)", "0.25 \\cdot (-0.5)"));
        assert_eq!(Math::num(2.5e-9).tex, "2.5 \\times 10^{-9}");
        assert_eq!(log(LogBase::new(2.0).unwrap(), Math::num(0.5)).text, "log₂(0.5)");
        assert_eq!(exp(Math::num(-0.1517)).text, "e^(-0.1517)");
    }
}
