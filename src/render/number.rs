//! How numbers are written in text and Markdown.

/// Eight significant digits, trailing zeros dropped: 0.9112 (not 0.91119999…), -0.42165093,
/// 2.5e-9. Enough to compare with the post and with JAX by eye; ASCII minus so a number pasted
/// into code parses.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "∞".into()
        } else {
            "-∞".into()
        };
    }
    let exp = v.abs().log10().floor() as i32;
    if (-5..8).contains(&exp) {
        let decimals = (7 - exp).max(0) as usize;
        trim(format!("{v:.decimals$}"))
    } else {
        let s = format!("{v:.7e}");
        let (mantissa, e) = s.split_once('e').expect("exponent");
        format!("{}e{e}", trim(mantissa.to_string()))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::fmt_num;

    #[test]
    fn eight_significant_digits() {
        // z1 = 0.81·0.15 + 0.57·0.29 + 0.28·0.10 + 0.84·0.71 = 0.9112 (spec), float64 gives 0.91119999…
        assert_eq!(fmt_num(0.81 * 0.15 + 0.57 * 0.29 + 0.28 * 0.10 + 0.84 * 0.71), "0.9112");
        // ∂L/∂W_11 = −0.42165092732626… (JAX golden blog_ln) to 8 significant digits
        assert_eq!(fmt_num(-0.4216509273262612), "-0.42165093");
        assert_eq!(fmt_num(12345.678912), "12345.679");
        assert_eq!(fmt_num(2.5e-9), "2.5e-9");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(f64::NEG_INFINITY), "-∞");
    }
}
