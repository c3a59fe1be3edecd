//! JSON as gradlens writes it (reports, model files, predictions): serde_json's pretty layout,
//! two spaces a level, and a final newline.
//!
//! serde_json's `PrettyFormatter` writes a line's indentation one level at a time, a call each;
//! a `train --format json` report of 10,000 epochs (W1: 1.6 MB, seven lines an epoch at depth
//! 2–3) is mostly indentation. `Layout` writes the same bytes, each line break with its
//! indentation in one call: 10,000 epochs measured 2.95–3.05 ms with `to_string_pretty`,
//! 2.67–2.79 ms with `Layout` into a `Vec` and 2.57–2.64 ms through a 64 KiB `BufWriter` (the
//! best of 30, three rounds, 2026-12-06, one vCPU of this project's machine). The rest is
//! serde_json's own work (keys escaped, numbers formatted).

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};
use std::io;

/// `value` as pretty JSON with a final newline: the bytes of `serde_json::to_string_pretty`
/// and a `\n`.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    to_writer(&mut out, value)?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// [`to_string`]'s bytes written to `w` as they are formed: a report printed this way is never
/// held whole (W1's is 1.6 MB).
pub fn to_writer<W: io::Write, T: Serialize + ?Sized>(mut w: W, value: &T) -> serde_json::Result<()> {
    value.serialize(&mut Serializer::with_formatter(&mut w, Layout::default()))?;
    w.write_all(b"\n").map_err(serde_json::Error::io)
}

/// A comma, a line break and the indentation of [`DEEPEST`] levels: a line break is a slice of
/// it (without the comma after a first value).
const BREAKS: &[u8; 2 + 2 * DEEPEST] = &{
    let mut b = [b' '; 2 + 2 * DEEPEST];
    (b[0], b[1]) = (b',', b'\n');
    b
};
/// The deepest level [`BREAKS`] indents in one write (deeper ones take a write per level).
const DEEPEST: usize = 32;

/// serde_json's `PrettyFormatter` with a two-space indent, its line breaks written whole.
#[derive(Default)]
struct Layout {
    /// Levels of the current line's indentation.
    depth: usize,
    /// Whether the array or object being written has a value yet (its closing bracket then
    /// goes on a line of its own).
    has_value: bool,
}

impl Layout {
    /// A line break (after a comma if `comma`) and the indentation of the current depth.
    fn line_break<W: ?Sized + io::Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        let start = usize::from(!comma);
        if self.depth <= DEEPEST {
            return w.write_all(&BREAKS[start..2 + 2 * self.depth]);
        }
        w.write_all(&BREAKS[start..2])?;
        (0..self.depth).try_for_each(|_| w.write_all(b"  "))
    }

    /// An array's or object's opening bracket: one level deeper, no value yet.
    fn open<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// Its closing bracket, on a line of its own if it has values.
    fn close<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line_break(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for Layout {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line_break(w, !first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line_break(w, !first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// The same bytes as serde_json's own pretty printer (and a newline), for values of every
    /// kind: empty and nested arrays and objects, escaped strings, non-finite numbers (null),
    /// and nesting past the depth written in one call.
    #[test]
    fn the_layout_is_serde_jsons_pretty_one() {
        let mut deep = json!([1, {"a": []}]);
        for level in 0..40 {
            deep = if level % 2 == 0 { json!([deep, level]) } else { json!({"k": deep, "e": {}}) };
        }
        let values = [
            json!(null),
            json!(1.5),
            json!([]),
            json!({}),
            json!([[], {}, [[]], {"x": {}}]),
            json!({"epochs": [{"epoch": 1, "loss": 0.75, "test": null}, {"epoch": 2, "loss": f64::NAN}], "name": "a \"q\"\n\\ é"}),
            deep,
        ];
        for value in values {
            let want = serde_json::to_string_pretty(&value).unwrap() + "\n";
            assert_eq!(super::to_string(&value).unwrap(), want);
            let mut written = Vec::new();
            super::to_writer(&mut written, &value).unwrap();
            assert_eq!(written, want.as_bytes());
        }
    }
}
