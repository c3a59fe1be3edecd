//! The TeX half of a [`Math`](super::math::Math) as MathML, for the HTML page and the web
//! server's fragments. The conversion is `pulldown-latex`'s (MathML Core, which browsers render
//! natively: no script, no font download); this file only fixes how it is called.

use pulldown_latex::config::DisplayMode;
use pulldown_latex::{Parser, RenderConfig, Storage, push_mathml};

/// `tex` as one `<math>` element, inline or on its own line. The TeX source rides along as an
/// annotation, so a reader can copy it.
pub fn mathml(tex: &str, display: bool) -> String {
    let storage = Storage::new();
    let parser = Parser::new(tex, &storage);
    let config = RenderConfig {
        display_mode: if display { DisplayMode::Block } else { DisplayMode::Inline },
        annotation: Some(tex),
        ..RenderConfig::default()
    };
    let mut out = String::new();
    // Writing into a String cannot fail; TeX the parser does not know is rendered as an inline
    // error element (the tests check the walk-through produces none).
    push_mathml(&mut out, parser, config).expect("writing MathML into a String");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walkthroughs_constructs_convert() {
        // One of each construct the walk-through's TeX uses (render/math.rs and the stages).
        for tex in [
            "\\partial L/\\partial W_{11}",
            "\\hat{y}_{1} = e^{z_{1}}/\\sum_k e^{z_k}",
            "\\ln(0.4794433) \\cdot 0.25 \\times 10^{-9}",
            "\\log_{10}(x) + \\log_2(y) - \\alpha",
            "\\left[0.1, -0.2\\right]",
            "z^{(2)}_{1}",
            "a'",
            "\\lvert g \\rvert \\le 10 \\gt 1",
            "\\mathrm{tanh}(z) \\odot \\sigma(z) \\max(0, z) \\tanh(z)",
            "\\text{ nats} \\Delta \\theta \\leftarrow \\mathbf{W} \\infty",
            "x^{\\text{raw}},\\ \\mathrm{diag}(\\hat{y}) - \\hat{y}\\hat{y}^T, I - \\mathbf{1}\\hat{y}^T",
            "(L(\\theta + h) - L(\\theta - h))/2h, 1 \\text{ if } z > 0 \\text{, else } 0.01",
        ] {
            let m = mathml(tex, false);
            assert!(m.starts_with("<math") && m.ends_with("</math>"), "{tex}: {m}");
            assert!(!m.contains("merror") && !m.contains("color:"), "{tex} did not convert: {m}");
        }
    }

    #[test]
    fn numbers_and_operators_are_marked_up() {
        let m = mathml("0.25 \\cdot (-0.42)", true);
        assert!(m.contains("display=\"block\""), "{m}");
        assert!(m.contains("<mn>0.25</mn>") && m.contains("<mn>0.42</mn>"), "{m}");
        assert!(m.contains("⋅") || m.contains("&#x22c5;") || m.contains("·"), "{m}");
    }
}
