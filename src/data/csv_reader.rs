//! A CSV reader that hands out each record as byte slices of a reused buffer, so a numeric table
//! is parsed straight into its matrix with no string per cell.
//!
//! It reads RFC 4180 CSV as the `csv` crate did for gradlens: commas between fields, `"…"`
//! quoting with `""` for a quote (line breaks allowed inside), LF or CRLF line ends, a UTF-8 BOM
//! skipped, whitespace around each field trimmed, blank lines skipped. Each record knows the
//! line it starts on, counted as a text editor counts lines (from 1), so messages point where the
//! user will look. A record longer than [`MAX_CSV_RECORD`](crate::limits::MAX_CSV_RECORD) is an
//! error, which bounds memory on a file with no line breaks (`/dev/zero`).

use crate::limits::MAX_CSV_RECORD;
use std::io::Read;
use std::ops::Range;

/// Why reading stopped: the reader failed, or a record passed the size bound.
#[derive(Debug)]
pub(super) enum ReadError {
    Io(std::io::Error),
    /// The record starting at this line is longer than the bound.
    TooLong(usize),
}

pub(super) struct Records<R> {
    reader: R,
    buf: Vec<u8>,
    /// `buf[start..end]` is read but not yet handed out.
    start: usize,
    end: usize,
    eof: bool,
    /// The line the next record starts on.
    line: usize,
    /// Unescaped copy of a record that has quotes.
    scratch: Vec<u8>,
    fields: Vec<Range<usize>>,
    first: bool,
}

/// One record: its fields (trimmed, unquoted) and the line it starts on.
pub(super) struct Record<'a> {
    pub line: usize,
    bytes: &'a [u8],
    fields: &'a [Range<usize>],
}

impl<'a> Record<'a> {
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn field(&self, i: usize) -> &'a [u8] {
        &self.bytes[self.fields[i].clone()]
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.fields.iter().map(|r| &self.bytes[r.clone()])
    }

    /// A blank line: one field, empty.
    pub fn is_blank(&self) -> bool {
        self.fields.len() == 1 && self.fields[0].is_empty()
    }
}

const CHUNK: usize = 1 << 20;

impl<R: Read> Records<R> {
    pub fn new(reader: R) -> Self {
        Records {
            reader,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            line: 1,
            scratch: Vec::new(),
            fields: Vec::new(),
            first: true,
        }
    }

    /// Reads more bytes after `end`, moving what is unread to the front (and growing the buffer
    /// when a record fills it). Returns false at the end of the input.
    fn fill(&mut self) -> Result<bool, ReadError> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() > MAX_CSV_RECORD {
                return Err(ReadError::TooLong(self.line));
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
    }

    /// The line the next record starts on.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Skips a UTF-8 byte-order mark at the very start.
    fn skip_bom(&mut self) -> Result<(), ReadError> {
        if self.first {
            self.first = false;
            while self.end < 3 && self.fill()? {}
            if self.buf[..self.end].starts_with(b"\xEF\xBB\xBF") {
                self.start = 3;
            }
        }
        Ok(())
    }

    /// The next line as raw bytes (without its line end), for a caller that can read a plain
    /// line faster than [`Records::next_record`]; `None` at the end of the input. Nothing is
    /// consumed: [`Records::consume_line`] takes it, or `next_record` reads it the careful way.
    pub fn peek_line(&mut self) -> Result<Option<&[u8]>, ReadError> {
        self.skip_bom()?;
        let mut scanned = 0;
        let nl = loop {
            match memchr::memchr(b'\n', &self.buf[self.start + scanned..self.end]) {
                Some(i) => break self.start + scanned + i,
                None => {
                    scanned = self.end - self.start;
                    if !self.fill()? {
                        if self.start == self.end {
                            return Ok(None);
                        }
                        break self.end;
                    }
                }
            }
        };
        let raw = &self.buf[self.start..nl];
        Ok(Some(raw.strip_suffix(b"\r").unwrap_or(raw)))
    }

    /// Takes the line [`Records::peek_line`] gave, which had no quotes (so one line of the file);
    /// returns the line number it was on.
    pub fn consume_line(&mut self) -> usize {
        let nl = memchr::memchr(b'\n', &self.buf[self.start..self.end]).map_or(self.end, |i| self.start + i + 1);
        self.start = nl;
        self.line += 1;
        self.line - 1
    }

    /// The next record, or `None` at the end of the input.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        self.skip_bom()?;
        // Find the record's end: a line break outside quotes. A quote count that is even at a
        // line break means every quoted field so far is closed.
        let mut scan = self.start;
        let mut quotes = 0usize;
        let (rec_end, next) = loop {
            let window = &self.buf[scan..self.end];
            match memchr::memchr(b'\n', window) {
                Some(i) => {
                    let nl = scan + i;
                    quotes += memchr::memchr_iter(b'"', &self.buf[scan..nl]).count();
                    if quotes.is_multiple_of(2) {
                        break (nl, nl + 1);
                    }
                    scan = nl + 1;
                }
                None => {
                    quotes += memchr::memchr_iter(b'"', window).count();
                    // fill() moves the unread bytes to the front: go on from where we stopped,
                    // with the quotes counted so far.
                    let scanned = self.end - self.start;
                    if !self.fill()? {
                        if self.start == self.end {
                            return Ok(None);
                        }
                        break (self.end, self.end);
                    }
                    scan = self.start + scanned;
                }
            }
        };
        let line = self.line;
        let mut raw = &self.buf[self.start..rec_end];
        if raw.last() == Some(&b'\r') {
            raw = &raw[..raw.len() - 1];
        }
        self.line += 1 + memchr::memchr_iter(b'\n', raw).count();
        self.start = next;
        self.fields.clear();
        let bytes: &[u8] = if memchr::memchr(b'"', raw).is_none() {
            split_plain(raw, &mut self.fields);
            raw
        } else {
            split_quoted(raw, &mut self.scratch, &mut self.fields);
            &self.scratch
        };
        Ok(Some(Record { line, bytes, fields: &self.fields }))
    }
}

fn trim(bytes: &[u8], r: Range<usize>) -> Range<usize> {
    let (mut a, mut b) = (r.start, r.end);
    while a < b && bytes[a].is_ascii_whitespace() {
        a += 1;
    }
    while b > a && bytes[b - 1].is_ascii_whitespace() {
        b -= 1;
    }
    a..b
}

fn split_plain(raw: &[u8], fields: &mut Vec<Range<usize>>) {
    let mut from = 0;
    for comma in memchr::memchr_iter(b',', raw) {
        fields.push(trim(raw, from..comma));
        from = comma + 1;
    }
    fields.push(trim(raw, from..raw.len()));
}

/// Unquotes each field into `out`: `"a ""b"", c"` → `a "b", c`. Text after a closing quote is
/// kept, as the `csv` crate does.
fn split_quoted(raw: &[u8], out: &mut Vec<u8>, fields: &mut Vec<Range<usize>>) {
    out.clear();
    let mut i = 0;
    loop {
        let field_start = out.len();
        while i < raw.len() && raw[i] != b',' && raw[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < raw.len() && raw[i] == b'"' {
            i += 1;
            while i < raw.len() {
                if raw[i] == b'"' {
                    if raw.get(i + 1) == Some(&b'"') {
                        out.push(b'"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                out.push(raw[i]);
                i += 1;
            }
        }
        while i < raw.len() && raw[i] != b',' {
            out.push(raw[i]);
            i += 1;
        }
        fields.push(trim(out, field_start..out.len()));
        if i >= raw.len() {
            break;
        }
        i += 1; // the comma
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &[u8]) -> Vec<(usize, Vec<String>)> {
        let mut r = Records::new(text);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push((rec.line, rec.iter().map(|f| String::from_utf8(f.to_vec()).unwrap()).collect()));
        }
        out
    }

    #[test]
    fn fields_lines_quotes_and_line_ends() {
        let got = all(b"\xEF\xBB\xBFa, b ,c\r\n1,\"x,\"\"y\"\"\nz\",3\r\n\r\n4,5,6");
        assert_eq!(
            got,
            vec![
                (1, vec!["a".into(), "b".into(), "c".into()]),
                (2, vec!["1".into(), "x,\"y\"\nz".into(), "3".into()]),
                (4, vec!["".into()]),
                (5, vec!["4".into(), "5".into(), "6".into()]),
            ]
        );
    }

    #[test]
    fn records_across_buffer_refills() {
        // Records longer than the first buffer, and a quoted line break at a chunk boundary.
        let long = "7,".repeat(CHUNK / 2 + 10) + "end";
        let text = format!("h\n{long}\n\"q\nq\"\nlast\n");
        let got = all(text.as_bytes());
        assert_eq!(got.len(), 4);
        assert_eq!(got[1].1.len(), CHUNK / 2 + 11);
        assert_eq!((got[2].0, got[2].1[0].as_str()), (3, "q\nq"));
        assert_eq!(got[3].0, 5);
    }

    #[test]
    fn a_file_without_line_breaks_is_bounded() {
        let mut r = Records::new(std::io::repeat(b'0'));
        assert!(matches!(r.next_record(), Err(ReadError::TooLong(1))));
    }
}
