//! Feature inputs, as TensorFlow Playground offers them (x₁², x₂², x₁x₂, sin x₁, sin x₂) but for
//! any table: products, whole powers and sines of the data's columns, by name. A model trained on
//! features keeps their text in its file (with the columns they read), so `predict` and `explain`
//! compute them from raw rows exactly as training did.
//!
//! # Grammar
//! A list of items separated by commas; each item is one input of the model:
//!
//! ```text
//! item    := product
//! product := power ('*' power)*
//! power   := atom ('^' N)?            N a whole number from 1 to MAX_POWER
//! atom    := 'sin(' product ')' | '(' product ')' | column
//! column  := a column's name, as the data's header writes it (no spaces, commas, * ^ ( ) or ")
//!          | '"' any name '"'
//! ```
//!
//! Spaces around the symbols are ignored. `x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)` is Playground's
//! seven; `sepal_length*petal_width` and `sin(x1*x2)^2` are features too. An item may appear once.
//!
//! # Shapes
//! [`Features::apply`]: m×c (the columns [`Features::columns`] names, in that order) → m×n (n items).

use super::Dataset;
use crate::error::{Error, Result, Setting};
use ndarray::Array2;
use std::fmt;

/// The largest power an item may raise to: beyond it a feature of unscaled data overflows too
/// easily to be a useful input.
pub const MAX_POWER: u32 = 9;

/// A parsed list of features over named columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    columns: Vec<String>,
    items: Vec<Expr>,
}

/// One feature: a column, a product, a power or a sine. Columns are indices into the list's
/// columns.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Column(usize),
    Product(Vec<Expr>),
    Power(Box<Expr>, u32),
    Sin(Box<Expr>),
}

impl Features {
    /// Parses `text` (the grammar above) against the data's `columns`. A fault names the item by
    /// its number and text and says at which character of it the parser stopped.
    pub fn parse(text: &str, columns: &[String]) -> Result<Features> {
        let mut items = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        for (k, item) in split_items(text).into_iter().enumerate() {
            let fail = |at: usize, why: String| {
                let place = if at == 0 { String::new() } else { format!("at character {at}, ") };
                Error::invalid_value(
                    Setting::Features,
                    format!("item {} '{}'", k + 1, item.trim()),
                    format!("{place}{why}"),
                )
            };
            if item.trim().is_empty() {
                return Err(Error::invalid_value(
                    Setting::Features,
                    format!("item {}", k + 1),
                    "is empty (separate the features by single commas: x1,x2,x1^2)",
                ));
            }
            let mut p = Parser { chars: item.chars().collect(), at: 0, columns };
            let expr = p.product().map_err(|(at, why)| fail(at + 1, why))?;
            p.skip_spaces();
            if p.at < p.chars.len() {
                return Err(fail(p.at + 1, format!("'{}' is not part of a feature here", p.chars[p.at])));
            }
            let canonical = Shown { expr: &expr, columns, style: Style::Text }.to_string();
            if let Some(first) = texts.iter().position(|t| *t == canonical) {
                return Err(fail(0, format!("repeats item {} ('{canonical}'): each input once", first + 1)));
            }
            texts.push(canonical);
            items.push(expr);
        }
        Ok(Features { columns: columns.to_vec(), items })
    }

    /// The columns the features read, in the order [`Features::apply`] takes them.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// How many features: the model's inputs.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the list is empty (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Each feature as text in the grammar (`x1^2`, `sin(x1)`, `x1*x2`): the model's input names,
    /// what the model file keeps and parses back.
    pub fn names(&self) -> Vec<String> {
        self.items.iter().map(|e| Shown { expr: e, columns: &self.columns, style: Style::Text }.to_string()).collect()
    }

    /// Each feature as the diagram and the walk-through write it: x₁², sin x₁, x₁·x₂ (a column
    /// called a letter and digits gets the digits as a subscript).
    pub fn labels(&self) -> Vec<String> {
        self.items.iter().map(|e| Shown { expr: e, columns: &self.columns, style: Style::Label }.to_string()).collect()
    }

    /// The features of each row of `raw` (m×c, c = the columns): m×n. A value that overflows
    /// float64 (a large column to a high power) is named by its row (from 1) and item.
    pub fn apply(&self, raw: &Array2<f64>) -> Result<Array2<f64>> {
        if raw.ncols() != self.columns.len() {
            return Err(Error::Shape {
                op: "features",
                detail: format!("{} columns given but the features read {}", raw.ncols(), self.columns.len()),
            });
        }
        let mut out = Array2::zeros((raw.nrows(), self.items.len()));
        for (r, row) in raw.rows().into_iter().enumerate() {
            let row = row.to_vec();
            for (j, item) in self.items.iter().enumerate() {
                let v = item.eval(&row);
                if !v.is_finite() && row.iter().all(|x| x.is_finite()) {
                    let name = Shown { expr: item, columns: &self.columns, style: Style::Text }.to_string();
                    return Err(Error::invalid_value(
                        Setting::Features,
                        format!("item {} '{name}'", j + 1),
                        format!("overflows float64 on row {}", r + 1),
                    ));
                }
                out[[r, j]] = v;
            }
        }
        Ok(out)
    }

    /// The data with the features as its columns (named by [`Features::names`]), the targets as
    /// they were. The data's columns must be the ones the features were parsed against.
    pub fn apply_to(&self, data: Dataset) -> Result<Dataset> {
        if data.feature_names != self.columns {
            return Err(Error::invalid(
                Setting::Features,
                format!(
                    "the features read the columns {} but the data has {}",
                    self.columns.join(", "),
                    data.feature_names.join(", ")
                ),
            ));
        }
        Ok(Dataset { features: self.apply(&data.features)?, feature_names: self.names(), target: data.target })
    }
}

impl Expr {
    fn eval(&self, row: &[f64]) -> f64 {
        match self {
            Expr::Column(c) => row[*c],
            Expr::Product(factors) => factors.iter().map(|f| f.eval(row)).product(),
            Expr::Power(base, n) => base.eval(row).powi(*n as i32),
            Expr::Sin(arg) => arg.eval(row).sin(),
        }
    }
}

/// The list split at its top-level commas (a comma inside quotes or brackets is part of an item,
/// and the item's parser says what is wrong with it).
fn split_items(text: &str) -> Vec<&str> {
    let (mut items, mut start, mut depth, mut quoted) = (Vec::new(), 0, 0i32, false);
    for (i, ch) in text.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth <= 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

/// A recursive-descent parser over one item; errors are (character index from 0, why).
struct Parser<'a> {
    chars: Vec<char>,
    at: usize,
    columns: &'a [String],
}

type Parsed<T> = std::result::Result<T, (usize, String)>;

/// Characters that end an unquoted column name.
fn ends_name(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '*' | '^' | '(' | ')' | '"')
}

impl Parser<'_> {
    fn skip_spaces(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_spaces();
        if self.chars.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn product(&mut self) -> Parsed<Expr> {
        let mut factors = vec![self.power()?];
        while self.eat('*') {
            factors.push(self.power()?);
        }
        Ok(if factors.len() == 1 { factors.pop().expect("one factor") } else { Expr::Product(factors) })
    }

    fn power(&mut self) -> Parsed<Expr> {
        let base = self.atom()?;
        if !self.eat('^') {
            return Ok(base);
        }
        self.skip_spaces();
        let start = self.at;
        while self.chars.get(self.at).is_some_and(|&c| !ends_name(c)) {
            self.at += 1;
        }
        let text: String = self.chars[start..self.at].iter().collect();
        let bad = || (start, format!("the power '{text}' is not a whole number from 1 to {MAX_POWER}"));
        if text.is_empty() {
            return Err((start, format!("a power is missing after '^' (a whole number from 1 to {MAX_POWER})")));
        }
        let n: u32 = text.parse().map_err(|_| bad())?;
        if !(1..=MAX_POWER).contains(&n) {
            return Err(bad());
        }
        Ok(Expr::Power(Box::new(base), n))
    }

    fn atom(&mut self) -> Parsed<Expr> {
        self.skip_spaces();
        let start = self.at;
        match self.chars.get(self.at) {
            None => Err((start, "a column, sin(…) or (…) is missing here".into())),
            Some('(') => {
                self.at += 1;
                let inner = self.product()?;
                self.close(start)?;
                Ok(inner)
            }
            Some('"') => {
                let end = self.chars[start + 1..].iter().position(|&c| c == '"').map(|p| start + 1 + p);
                let end = end.ok_or_else(|| (start, "a quoted column name has no closing '\"'".to_string()))?;
                self.at = end + 1;
                let name: String = self.chars[start + 1..end].iter().collect();
                self.column(&name, start)
            }
            Some(&c) if ends_name(c) => Err((start, format!("'{c}' where a column, sin(…) or (…) should be"))),
            Some(_) => {
                while self.chars.get(self.at).is_some_and(|&c| !ends_name(c)) {
                    self.at += 1;
                }
                let name: String = self.chars[start..self.at].iter().collect();
                let called = self.chars.get(self.at) == Some(&'(');
                match name.as_str() {
                    "sin" if called => {
                        self.at += 1;
                        let inner = self.product()?;
                        self.close(start + 3)?;
                        Ok(Expr::Sin(Box::new(inner)))
                    }
                    _ if called => Err((start, format!("'{name}(' is not a function: sin(…) is the one there is"))),
                    _ => self.column(&name, start),
                }
            }
        }
    }

    fn close(&mut self, open: usize) -> Parsed<()> {
        if self.eat(')') { Ok(()) } else { Err((open, "this '(' is not closed".into())) }
    }

    fn column(&self, name: &str, at: usize) -> Parsed<Expr> {
        match self.columns.iter().position(|c| c == name) {
            Some(c) => Ok(Expr::Column(c)),
            None => Err((at, format!("no column '{name}'; the data's columns are {}", self.columns.join(", ")))),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// The grammar's own text.
    Text,
    /// Subscripts, superscripts and a centred dot, for people.
    Label,
}

/// An expression written out in a style; brackets only where the grammar needs them.
struct Shown<'a> {
    expr: &'a Expr,
    columns: &'a [String],
    style: Style,
}

impl Shown<'_> {
    fn of<'b>(&'b self, expr: &'b Expr) -> Shown<'b> {
        Shown { expr, columns: self.columns, style: self.style }
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let label = self.style == Style::Label;
        match self.expr {
            Expr::Column(c) => {
                let name = &self.columns[*c];
                match self.style {
                    Style::Label => f.write_str(&subscripted(name)),
                    Style::Text if name.is_empty() || name.chars().any(ends_name) => write!(f, "\"{name}\""),
                    Style::Text => f.write_str(name),
                }
            }
            Expr::Product(factors) => {
                for (i, factor) in factors.iter().enumerate() {
                    if i > 0 {
                        f.write_str(if label { "·" } else { "*" })?;
                    }
                    write!(f, "{}", self.of(factor))?;
                }
                Ok(())
            }
            Expr::Power(base, n) => {
                let sine = matches!(**base, Expr::Sin(_));
                let bracket = matches!(**base, Expr::Product(_) | Expr::Power(..));
                let base = self.of(base);
                let base = if bracket { format!("({base})") } else { base.to_string() };
                match self.style {
                    // sin x₁² would read as sin(x₁²): a power of a sine is written sin² x₁.
                    Style::Label if sine => write!(f, "sin{}{}", superscript(*n), &base["sin".len()..]),
                    Style::Label => write!(f, "{base}{}", superscript(*n)),
                    Style::Text => write!(f, "{base}^{n}"),
                }
            }
            Expr::Sin(arg) => match (self.style, &**arg) {
                (Style::Label, Expr::Column(_)) => write!(f, "sin {}", self.of(arg)),
                _ => write!(f, "sin({})", self.of(arg)),
            },
        }
    }
}

/// `x12` → x₁₂: a name of letters then digits takes the digits as a subscript; any other name is
/// written as it is.
fn subscripted(name: &str) -> String {
    let split = name.find(|c: char| c.is_ascii_digit()).unwrap_or(name.len());
    let (letters, digits) = name.split_at(split);
    let simple = !letters.is_empty()
        && letters.chars().all(|c| c.is_alphabetic())
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit());
    if !simple {
        return name.to_string();
    }
    let sub: String =
        digits.chars().map(|d| char::from_u32('₀' as u32 + d.to_digit(10).unwrap_or(0)).unwrap_or(d)).collect();
    format!("{letters}{sub}")
}

fn superscript(n: u32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    n.to_string().chars().map(|d| DIGITS[d.to_digit(10).unwrap_or(0) as usize]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn xy() -> Vec<String> {
        vec!["x1".into(), "x2".into()]
    }

    #[test]
    fn playgrounds_seven_by_hand() {
        let f = Features::parse("x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)", &xy()).unwrap();
        let out = f.apply(&array![[0.5, -2.0]]).unwrap();
        // x1 = 0.5, x2 = −2: x1² = 0.25, x2² = 4, x1·x2 = −1 (by hand);
        // sin 0.5 = 0.479425538604203, sin(−2) = −0.9092974268256817 (Python's math.sin).
        let want = [0.5, -2.0, 0.25, 4.0, -1.0, 0.479425538604203, -0.9092974268256817];
        for (got, want) in out.row(0).iter().zip(want) {
            assert!((got - want).abs() <= 1e-15 * want.abs().max(1.0), "{got} vs {want}");
        }
        assert_eq!(f.names(), ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]);
        assert_eq!(f.labels(), ["x₁", "x₂", "x₁²", "x₂²", "x₁·x₂", "sin x₁", "sin x₂"]);
    }

    #[test]
    fn nested_and_spaced_items() {
        let f = Features::parse(" sin( x1 * x2 ) ^ 2 , (x1*x2)^3, x2*x2*x1", &xy()).unwrap();
        assert_eq!(f.names(), ["sin(x1*x2)^2", "(x1*x2)^3", "x2*x2*x1"]);
        assert_eq!(f.labels(), ["sin²(x₁·x₂)", "(x₁·x₂)³", "x₂·x₂·x₁"]);
        let out = f.apply(&array![[0.5, -2.0]]).unwrap();
        // sin(−1)² = 0.7080734182735712 (Python: math.sin(-1)**2); (−1)³ = −1; (−2)·(−2)·0.5 = 2.
        assert!((out[[0, 0]] - 0.7080734182735712).abs() < 1e-15);
        assert_eq!(out[[0, 1]], -1.0);
        assert_eq!(out[[0, 2]], 2.0);
    }

    #[test]
    fn names_parse_back_to_the_same_features() {
        let cols = vec!["sepal length".to_string(), "w".to_string()];
        let f = Features::parse("\"sepal length\"^2,sin(w)^3", &cols).unwrap();
        assert_eq!(f.names(), ["\"sepal length\"^2", "sin(w)^3"]);
        assert_eq!(Features::parse(&f.names().join(","), &cols).unwrap(), f);
        assert_eq!(f.labels(), ["sepal length²", "sin³ w"]);
    }

    #[test]
    fn faults_name_the_item_and_where() {
        let fault = |text: &str| Features::parse(text, &xy()).unwrap_err().to_string();
        assert_eq!(
            fault("x1,x3^2"),
            "features item 2 'x3^2': at character 1, no column 'x3'; the data's columns are x1, x2"
        );
        assert_eq!(
            fault("x1,x1^0.5"),
            "features item 2 'x1^0.5': at character 4, the power '0.5' is not a whole number from 1 to 9"
        );
        assert_eq!(
            fault("x1^10"),
            "features item 1 'x1^10': at character 4, the power '10' is not a whole number from 1 to 9"
        );
        assert_eq!(
            fault("x1^-1"),
            "features item 1 'x1^-1': at character 4, the power '-1' is not a whole number from 1 to 9"
        );
        assert_eq!(fault("sin(x1"), "features item 1 'sin(x1': at character 4, this '(' is not closed");
        assert_eq!(fault("x1*"), "features item 1 'x1*': at character 4, a column, sin(…) or (…) is missing here");
        assert_eq!(fault("x1 x2"), "features item 1 'x1 x2': at character 4, 'x' is not part of a feature here");
        assert_eq!(
            fault("cos(x1)"),
            "features item 1 'cos(x1)': at character 1, 'cos(' is not a function: sin(…) is the one there is"
        );
        assert_eq!(fault("x1,,x2"), "features item 2: is empty (separate the features by single commas: x1,x2,x1^2)");
        assert_eq!(fault("x1,x2,x1"), "features item 3 'x1': repeats item 1 ('x1'): each input once");
    }

    #[test]
    fn an_overflow_is_named() {
        let f = Features::parse("x1^9", &xy()).unwrap();
        let e = f.apply(&array![[1.0, 0.0], [1e40, 0.0]]).unwrap_err().to_string();
        assert_eq!(e, "features item 1 'x1^9': overflows float64 on row 2");
    }
}
