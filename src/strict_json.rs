//! JSON read strictly, for any type: a UTF-8 byte-order mark is skipped, a key given twice in
//! one object (`"weights"` twice in a layer) and anything after the top-level value (`cat a.json
//! b.json`) are errors, and every error names its JSON path (`layers[2].weights[0][1]`,
//! `training.optimizer.step_size`).
//!
//! serde keeps the last of two equal keys without a word, and `serde_path_to_error` stops at the
//! end of the value; so a first pass walks the whole text once (duplicates, trailing data), and
//! the second deserialises it with paths.

use crate::error::{Error, Result};
use crate::safe_text::one_line;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::path::Path;

/// Parses `text` as a `T`; errors are [`Error::ModelFile`] naming `path`, the JSON path and why.
pub fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T> {
    parse_at(text).map_err(|(at, why)| Error::ModelFile { path: path.into(), at, why: one_line(&why) })
}

/// (JSON path, why) on failure; the top level is called "top level".
pub fn parse_at<T: DeserializeOwned>(text: &str) -> std::result::Result<T, (String, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let mut path = Vec::new();
    if let Err(e) = (Walk { path: &mut path }).deserialize(&mut de) {
        // The error came from the deepest place the walk reached: the path at that moment.
        return Err((shown(&path), e.to_string()));
    }
    if let Err(e) = de.end() {
        return Err((
            "top level".into(),
            format!(
                "data after the end of the JSON value (line {}, column {}): one value per file",
                e.line(),
                e.column()
            ),
        ));
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let why = e.into_inner().to_string();
        let at = refine(text, &at, &why).unwrap_or(at);
        (if at == "." { "top level".into() } else { at }, why)
    })
}

/// serde reads an internally tagged enum (`{"kind": "sgd", "step_size": …}`) from a buffer, and
/// an error inside it loses the field: the path stops at the object. When the message names the
/// value it could not take (`invalid type: string "big"`) and exactly one field of that object
/// holds that value, the path is extended to it (`training.optimizer.step_size`).
fn refine(text: &str, at: &str, why: &str) -> Option<String> {
    let rest = why.strip_prefix("invalid type: ")?;
    let root: serde_json::Value = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).ok()?;
    let mut node = &root;
    if at != "." {
        for part in at.split('.') {
            let (key, indices) = part.split_once('[').map_or((part, ""), |(k, i)| (k, i));
            if !key.is_empty() {
                node = node.get(key)?;
            }
            for index in indices.split('[').filter(|i| !i.is_empty()) {
                node = node.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
            }
        }
    }
    let wanted = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => {
            rest.starts_with(&format!("string {}", serde_json::to_string(s).unwrap_or_default()))
        }
        serde_json::Value::Number(n) => {
            rest.starts_with(&format!("floating point `{n}`")) || rest.starts_with(&format!("integer `{n}`"))
        }
        serde_json::Value::Bool(b) => rest.starts_with(&format!("boolean `{b}`")),
        serde_json::Value::Null => rest.starts_with("null"),
        serde_json::Value::Array(_) => rest.starts_with("sequence"),
        serde_json::Value::Object(_) => rest.starts_with("map"),
    };
    let mut found = node.as_object()?.iter().filter(|(_, v)| wanted(v));
    let (key, _) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(if at == "." { key.clone() } else { format!("{at}.{key}") })
}

enum Step {
    Key(String),
    Index(usize),
}

fn shown(path: &[Step]) -> String {
    if path.is_empty() {
        return "top level".into();
    }
    let mut s = String::new();
    for step in path {
        match step {
            Step::Key(k) if s.is_empty() => s.push_str(k),
            Step::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Walks one JSON value, checking each object's keys are distinct; `path` is where it is.
struct Walk<'p> {
    path: &'p mut Vec<Step>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let mut i = 0;
        loop {
            self.path.push(Step::Index(i));
            if seq.next_element_seed(Walk { path: self.path })?.is_none() {
                self.path.pop();
                return Ok(());
            }
            self.path.pop();
            i += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                self.path.push(Step::Key(key));
                return Err(serde::de::Error::custom("this key is given twice in one object; give it once"));
            }
            self.path.push(Step::Key(key));
            map.next_value_seed(Walk { path: self.path })?;
            self.path.pop();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct T {
        a: Vec<U>,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct U {
        x: f64,
    }

    #[test]
    fn duplicates_trailing_data_and_bom() {
        let (at, why) = parse_at::<T>(r#"{"a": [{"x": 1}, {"x": 2, "x": 3}]}"#).unwrap_err();
        assert_eq!(at, "a[1].x");
        assert!(why.contains("twice"), "{why}");
        let (at, why) = parse_at::<T>("{\"a\": []}\n{\"a\": []}").unwrap_err();
        assert_eq!(at, "top level");
        assert!(why.contains("line 2, column 1"), "{why}");
        assert!(parse_at::<T>("\u{feff}{\"a\": [{\"x\": 1}]}  \n").is_ok());
        let (at, _) = parse_at::<T>(r#"{"a": [{"x": "one"}]}"#).unwrap_err();
        assert_eq!(at, "a[0].x");
    }

    #[derive(Deserialize, Debug)]
    #[serde(tag = "kind", rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Tagged {
        Sgd { step_size: f64, other: f64 },
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        list: Vec<Tagged>,
    }

    #[test]
    fn an_error_inside_a_tagged_enum_names_its_field() {
        let (at, why) =
            parse_at::<Outer>(r#"{"list": [{"kind": "sgd", "step_size": 1, "other": 2}, {"kind": "sgd", "step_size": "big", "other": 1}]}"#)
                .unwrap_err();
        assert_eq!(at, "list[1].step_size", "{why}");
        // Two fields with the offending value: the path stays at the object rather than guess.
        let (at, _) = parse_at::<Outer>(r#"{"list": [{"kind": "sgd", "step_size": "x", "other": "x"}]}"#).unwrap_err();
        assert_eq!(at, "list[0]");
    }
}
