//! Renderers: each turns an [`Explanation`] into one output format, and [`training`] a training
//! run's report into text. They only format; every number they print is a field of the record.

pub mod chain;
pub mod diagram;
mod doc;
pub mod dot;
pub mod html;
mod markdown;
mod math;
mod mathml;
mod number;
pub mod state;
mod symbols;
pub use symbols::input_labels;
mod text;
pub mod training;
pub(crate) mod walkthrough;

pub use number::fmt_num;

use crate::trace::Explanation;
use std::str::FromStr;

/// An explanation's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For an 80-column terminal; colour optional.
    Text,
    /// GitHub-flavoured Markdown with `$…$` math.
    Markdown,
    /// The contract other tools read: the explanation as it is.
    Json,
    /// One self-contained page: inline CSS, SVG diagram, MathML formulas, no script.
    Html,
}

impl Format {
    /// Every format's name, as `--format` and the API's `format` take it (`md` is Markdown's
    /// short name too).
    pub const NAMES: [&str; 4] = ["text", "markdown", "json", "html"];

    /// Its name in [`Format::NAMES`].
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => Format::NAMES[0],
            Format::Markdown => Format::NAMES[1],
            Format::Json => Format::NAMES[2],
            Format::Html => Format::NAMES[3],
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "html" => Ok(Format::Html),
            _ => Err(format!("'{s}' is not one of {}", Format::NAMES.join(", "))),
        }
    }
}

impl Format {
    /// Its media type, as the server labels an answer in it.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Json => "application/json",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// The explanation in `format`; `color` (ANSI escapes) applies to text only.
pub fn render(explanation: &Explanation, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(explanation, color),
        Format::Markdown => markdown::render(explanation),
        Format::Json => json(explanation),
        Format::Html => html::render(explanation),
    }
}

/// Several explained steps in a row (`explain --steps N`) as one document in `format`: each
/// format frames its own sequence (text rules, Markdown sections, one HTML page with a link per
/// step, a JSON array); one step is exactly [`render`]'s output.
pub fn render_steps(steps: &[Explanation], format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render_steps(steps, color),
        Format::Markdown => markdown::render_steps(steps),
        Format::Json => json_steps(steps),
        Format::Html => html::render_steps(steps),
    }
}

/// One step as [`json`] writes it; several as an array of them.
fn json_steps(steps: &[Explanation]) -> String {
    if let [one] = steps {
        return json(one);
    }
    let parts: Vec<String> = steps.iter().map(|e| json(e).trim_end().to_string()).collect();
    format!("[\n{}\n]\n", parts.join(",\n"))
}

/// Pretty-printed JSON with a final newline. Non-finite numbers (a gradient of an underflowed
/// probability) become null, as JSON has no infinity.
pub fn json(explanation: &Explanation) -> String {
    /// The explanation's fields after the document's version.
    #[derive(serde::Serialize)]
    struct Versioned<'a> {
        schema: u32,
        #[serde(flatten)]
        explanation: &'a Explanation,
        /// With a weight penalty, its formulas as the walk-through writes them (Unicode and TeX).
        #[serde(skip_serializing_if = "Option::is_none")]
        penalty_formulas: Option<PenaltyFormulas>,
    }
    #[derive(serde::Serialize)]
    struct PenaltyFormulas {
        /// L = L_data + λ₂/2·Σ W² + λ₁·Σ |W| (the terms whose rate is not 0).
        loss: math::Math,
        /// ∂L/∂Wᵢⱼ = ∂L_data/∂Wᵢⱼ + λ₂·Wᵢⱼ + λ₁·sign(Wᵢⱼ).
        gradient: math::Math,
    }
    let penalty_formulas = explanation.penalty.as_ref().map(|p| {
        let (loss, gradient) = walkthrough::penalty::formulas(p);
        PenaltyFormulas { loss, gradient }
    });
    let versioned = Versioned { schema: crate::run::defaults::SCHEMA, explanation, penalty_formulas };
    crate::pretty_json::to_string(&versioned).expect("an explanation serialises")
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn every_format_name_reads_back_as_its_format() {
        for name in Format::NAMES {
            let format: Format = name.parse().unwrap();
            assert_eq!(format.name(), name);
        }
        assert!("dot".parse::<Format>().unwrap_err().contains("text, markdown, json, html"));
    }
}
