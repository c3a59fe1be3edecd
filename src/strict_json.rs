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
        (if at == "." { "top level".into() } else { at }, e.into_inner().to_string())
    })
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
}
