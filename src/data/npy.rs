//! numpy input: features from a `.npy` file (2-D, float64 or float32) and targets from
//! another, or both from one `.npz` archive (arrays `x` and `y`). The numbers are read as
//! stored, without parsing text. Class labels are 1-D integers and keep numpy's values as class
//! names, in ascending order: label value v is the v-th smallest distinct label. Value targets
//! (regression) are floats, 1-D (one target) or 2-D (a column per target), named y0, y1, ….
//!
//! # Reading hostile files safely, and fast
//! - The header is parsed here, strictly: numpy's three keys, each exactly once. A header that
//!   gives `'shape'` twice is refused, rather than sized by one and read by the other.
//! - The numbers' size is checked before anything is allocated: against the file's length (a
//!   `.npy` on disk), against the archive member's stated size (a `.npz`), against the input
//!   bound ([`NumpyLimits`], `--max-input-size`) and against the memory the machine has free.
//! - A stream (a compressed archive member, a FIFO) is read as it arrives, decompressed
//!   straight into the matrix, which grows with the bytes that really came (within room
//!   reserved at once for a member, whose size was checked), the decompressed bytes counted
//!   against the bound: a decompression bomb stops at the bound instead of filling memory.
//! - A regular file (a `.npy`, or an uncompressed member of a `.npz` as `np.savez` writes it,
//!   at its offset in the archive; its CRC-32 is not checked, as a `.npy` has none) is read by
//!   position, straight into the matrix's memory, in one part per core at once, 256 KiB at a
//!   time (page-cache speed: the time goes to the kernel's copy and the matrix's new pages,
//!   which it is asked to make 2 MiB at a time: `huge_pages`). Numbers in this machine's own type and order
//!   need no decoding; others are decoded chunk by chunk, a float64 file read for an f32 run
//!   rounded as it arrives (never held as float64). Each chunk of features is checked finite
//!   while it is in the cache.
//! - Or the features are memory-mapped ([`Hold`]; a `.npy`, or an uncompressed `.npz` member,
//!   read unaligned if it lies at an odd offset): nothing is read when the file is opened but
//!   its header, and the numbers are checked (finite) in a pass that leaves the pages to the
//!   page cache. A file changed while it is mapped gives training whatever it then holds; one
//!   truncated while mapped ends the process (SIGBUS), as for any program that maps files.
//! - A FIFO that no process opens for writing is given up on after 10 s, as for a CSV.

use super::feature_matrix::{FeatureMatrix, Mapped, MappedKind, Number, first_non_finite};
use super::{Dataset, TargetKind, Targets};
use crate::error::{Error, Result};
use crate::limits;
use ndarray::{Array2, ShapeBuilder};
use std::fs::File;
use std::io::{Read, Seek};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Duration;

/// How long to wait for a writer on a FIFO before giving up (the README's promise for any input).
const FIFO_WAIT: Duration = Duration::from_secs(10);

/// The longest `.npy` header read: numpy writes a few hundred bytes.
const MAX_HEADER: usize = 1 << 20;

/// Bytes decoded per chunk when a file's numbers are not read straight into place: small enough
/// that the chunk stays in the CPU's cache between being read and being decoded.
const CHUNK: usize = 1 << 18;

/// The bound on what numpy input may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumpyLimits {
    /// The most bytes of numbers one file may hold; for an archive, the most bytes it may hold
    /// and the most its members may decompress to, together.
    pub max_bytes: u64,
    /// Whether the user set it (`--max-input-size`), for the message.
    pub user_set: bool,
}

impl Default for NumpyLimits {
    /// The default bound on `--data` ([`limits::DEFAULT_MAX_DATA_BYTES`]).
    fn default() -> Self {
        NumpyLimits { max_bytes: limits::DEFAULT_MAX_DATA_BYTES, user_set: false }
    }
}

impl NumpyLimits {
    fn refuse(&self, path: &Path, what: &str, size: u64) -> Error {
        bad(
            path,
            format!(
                "{what} {}, more than the limit for this input, {} ({})",
                limits::bytes(size),
                limits::bytes(self.max_bytes),
                if self.user_set { "set by --max-input-size" } else { "raise it with --max-input-size" }
            ),
        )
    }
}

/// How a `.npy` file's features are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hold {
    /// Read into memory as float64: what the tape, `explain` and the page read.
    #[default]
    F64,
    /// Read into memory as float32 (a float64 file rounded as it is read): an f32 run's data,
    /// half the memory, never an f64 copy.
    F32,
    /// Memory-mapped when the file allows it (a regular file of float64 or float32 numbers,
    /// row-major, in this machine's byte order, starting at a multiple of their size, as numpy
    /// writes them); else read as float64. Nothing is held in memory but the pages the kernel
    /// keeps in its cache, so a file larger than the memory the process may use trains.
    Map,
    /// What a run on the compiled engine asks for: read as float32 (`f32`) or float64 when that
    /// fits in half the memory available, else mapped.
    Fit {
        /// Whether the run computes in float32.
        f32: bool,
    },
}

impl Hold {
    /// Whether the numbers are held as float32 in memory (an f32 run's data).
    pub fn is_f32(self) -> bool {
        matches!(self, Hold::F32 | Hold::Fit { f32: true })
    }
}

fn bad(path: &Path, why: impl Into<String>) -> Error {
    at(path, None, None, why)
}

/// A problem at a place in a numpy file: `row` and `column` count from 1 (a `.npy` has no header
/// row, so row 1 is the first sample).
fn at(path: &Path, row: Option<usize>, column: Option<usize>, why: impl Into<String>) -> Error {
    Error::Data { file: path.into(), row, column: column.map(|c| c.to_string()), why: why.into() }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.into(), source }
}

/// An input file, opened: a regular file (its length known) or a stream (a FIFO).
enum Opened {
    File(File, u64),
    Stream(File),
}

impl Opened {
    /// The file and a [`Source`] of the array at its start: a regular file is read by position.
    fn source<'a>(&'a self, path: &'a Path, limits: NumpyLimits) -> (&'a File, Source<'a>) {
        match self {
            Opened::File(f, len) => (f, Source { path, limits, holds: Some(*len), file: Some((f, 0)), finite: false }),
            Opened::Stream(f) => (f, Source { path, limits, holds: None, file: None, finite: false }),
        }
    }
}

/// Opens `path`. A FIFO is opened on a helper thread (opening blocks until a writer comes) and
/// given up on after [`FIFO_WAIT`]; the thread stays blocked, the process ends with the error.
fn open(path: &Path) -> Result<Opened> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    if meta.is_dir() {
        return Err(bad(path, "is a folder, not a file"));
    }
    if meta.is_file() {
        return Ok(Opened::File(File::open(path).map_err(io(path))?, meta.len()));
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(File::open(p));
    });
    let file = rx.recv_timeout(FIFO_WAIT).map_err(|_| {
        bad(path, format!("a FIFO that no process opened for writing within {} s", FIFO_WAIT.as_secs()))
    })?;
    Ok(Opened::Stream(file.map_err(io(path))?))
}

/// The element types numpy input may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    F64,
    F32,
    I64,
    I32,
    U8,
}

impl Kind {
    fn size(self) -> usize {
        match self {
            Kind::F64 | Kind::I64 => 8,
            Kind::F32 | Kind::I32 => 4,
            Kind::U8 => 1,
        }
    }
}

/// A `.npy` header, as numpy writes it: `{'descr': '<f8', 'fortran_order': False, 'shape': (n, f), }`.
#[derive(Debug)]
struct Header {
    /// The descriptor as written, for messages.
    descr: String,
    kind: Kind,
    big_endian: bool,
    fortran_order: bool,
    shape: Vec<u64>,
    /// Bytes before the numbers (magic, version, length and the header text).
    len: u64,
}

impl Header {
    /// How many numbers the shape holds, and their bytes, or an error if that overflows.
    fn size(&self, path: &Path) -> Result<(usize, u64)> {
        let overflow = || bad(path, "the shape's size overflows");
        let n = self.shape.iter().try_fold(1u64, |n, &d| n.checked_mul(d)).ok_or_else(overflow)?;
        let bytes = n.checked_mul(self.kind.size() as u64).ok_or_else(overflow)?;
        Ok((usize::try_from(n).map_err(|_| overflow())?, bytes))
    }
}

/// Reads and parses the header at the start of `r`.
fn read_header<R: Read + ?Sized>(r: &mut R, path: &Path) -> Result<Header> {
    let short = |what: &str| bad(path, format!("not a .npy file ({what})"));
    let mut head = [0u8; 10];
    r.read_exact(&mut head).map_err(|_| short("shorter than a .npy header"))?;
    if &head[..6] != b"\x93NUMPY" {
        return Err(short("no \\x93NUMPY magic"));
    }
    let (text_len, len) = match head[6] {
        1 => (u16::from_le_bytes([head[8], head[9]]) as usize, 10),
        2 | 3 => {
            let mut more = [0u8; 2];
            r.read_exact(&mut more).map_err(|_| short("the header is cut off"))?;
            (u32::from_le_bytes([head[8], head[9], more[0], more[1]]) as usize, 12)
        }
        v => return Err(bad(path, format!("a .npy file of format version {v} (known: 1, 2, 3)"))),
    };
    if text_len > MAX_HEADER {
        return Err(bad(path, format!("a .npy header of {text_len} bytes (numpy writes a few hundred)")));
    }
    let mut text = vec![0u8; text_len];
    r.read_exact(&mut text).map_err(|_| short("the header is cut off"))?;
    let mut header = parse_header(&text).map_err(|why| bad(path, format!("the .npy header: {why}")))?;
    header.len = (len + text_len) as u64;
    Ok(header)
}

/// The header's dictionary, parsed strictly: numpy's three keys, each exactly once, nothing else.
fn parse_header(text: &[u8]) -> std::result::Result<Header, String> {
    let mut p = Parser { s: text, i: 0 };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    p.expect(b'{')?;
    loop {
        p.ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.ws();
        p.expect(b':')?;
        p.ws();
        let twice = || format!("it gives '{key}' twice");
        match key.as_str() {
            "descr" => descr.replace(p.string()?).map_or(Ok(()), |_| Err(twice()))?,
            "fortran_order" => fortran.replace(p.boolean()?).map_or(Ok(()), |_| Err(twice()))?,
            "shape" => shape.replace(p.tuple()?).map_or(Ok(()), |_| Err(twice()))?,
            other => return Err(format!("an unknown key '{other}' (numpy writes descr, fortran_order, shape)")),
        }
        p.ws();
        if !p.eat(b',') {
            p.ws();
            p.expect(b'}')?;
            break;
        }
    }
    p.ws();
    if p.i != p.s.len() {
        return Err("text after the dictionary".into());
    }
    let missing = |key: &str| format!("no '{key}'");
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let (order, code) = descr.split_at(descr.len().min(1));
    let big_endian = match order {
        "<" | "|" => false,
        ">" => true,
        "=" => cfg!(target_endian = "big"),
        _ => return Err(format!("the type '{descr}' has no byte order")),
    };
    let kind = match code {
        "f8" => Kind::F64,
        "f4" => Kind::F32,
        "i8" => Kind::I64,
        "i4" => Kind::I32,
        "u1" => Kind::U8,
        _ => return Err(format!("the type '{descr}' (known: float64, float32, int64, int32, uint8)")),
    };
    Ok(Header {
        descr,
        kind,
        big_endian,
        fortran_order: fortran.ok_or_else(|| missing("fortran_order"))?,
        shape: shape.ok_or_else(|| missing("shape"))?,
        len: 0,
    })
}

/// A cursor over a header's text: the Python literals numpy writes.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.s.get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) { Ok(()) } else { Err(format!("expected '{}' at byte {}", c as char, self.i + 1)) }
    }

    /// A quoted string ('…' or "…", no escapes: numpy's keys and type codes have none).
    fn string(&mut self) -> std::result::Result<String, String> {
        let quote = match self.s.get(self.i) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted name at byte {}", self.i + 1)),
        };
        let start = self.i + 1;
        let len = self.s[start..].iter().position(|&c| c == quote).ok_or("an unterminated string")?;
        self.i = start + len + 1;
        String::from_utf8(self.s[start..start + len].to_vec()).map_err(|_| "a name that is not text".into())
    }

    fn boolean(&mut self) -> std::result::Result<bool, String> {
        for (word, value) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Ok(value);
            }
        }
        Err(format!("expected True or False at byte {}", self.i + 1))
    }

    /// A tuple of whole numbers: `()`, `(5,)`, `(40, 3)`.
    fn tuple(&mut self) -> std::result::Result<Vec<u64>, String> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        loop {
            self.ws();
            if self.eat(b')') {
                return Ok(dims);
            }
            let start = self.i;
            while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            let digits = std::str::from_utf8(&self.s[start..self.i]).expect("ASCII digits");
            dims.push(digits.parse().map_err(|_| format!("a shape entry that is not a size at byte {}", start + 1))?);
            self.ws();
            if !self.eat(b',') {
                self.ws();
                self.expect(b')')?;
                return Ok(dims);
            }
        }
    }
}

/// A reader that counts what it gives against a budget shared by an archive's members, and fails
/// past it: a decompression bomb ends at the bound.
struct Budget<'a, R> {
    inner: R,
    left: &'a mut u64,
    over: bool,
}

impl<R: Read> Read for Budget<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let got = self.inner.read(buf)?;
        match self.left.checked_sub(got as u64) {
            Some(left) => *self.left = left,
            None => {
                self.over = true;
                return Err(std::io::Error::other("over the bound"));
            }
        }
        Ok(got)
    }
}

/// One array: its header and its numbers decoded as `T`.
struct Numbers<T> {
    header: Header,
    values: Vec<T>,
}

/// How many numbers a source may give, checked before allocating.
struct Source<'a> {
    path: &'a Path,
    limits: NumpyLimits,
    /// The bytes the source holds after the header, when known: a file's length, an archive
    /// member's stated size. `None` for a FIFO.
    holds: Option<u64>,
    /// The regular file the array is in and the byte where it (its header) starts, when it can
    /// be read by position: then `holds` is certain, the whole matrix is allocated at once and
    /// filled in parts read at once. `None`: a stream (a FIFO, a compressed archive member), read
    /// in order as it arrives.
    file: Option<(&'a File, u64)>,
    /// Whether every number must be finite (features): checked a piece at a time as it
    /// arrives, while the piece is in the CPU's cache, instead of in a pass over the matrix after.
    finite: bool,
}

impl Source<'_> {
    /// Reads the header and the numbers from `r`, each decoded by `decode` (or refused by it);
    /// `accepts` says which element types may be read at all, `wanted` says so in the message.
    fn read<T: Element, R: Read + ?Sized>(
        &self,
        r: &mut R,
        decode: Decode<T>,
        accepts: impl Fn(Kind, usize) -> bool,
        wanted: &str,
    ) -> Result<Numbers<T>> {
        let header = self.header(r, accepts, wanted)?;
        self.numbers(header, r, decode)
    }

    /// Reads the header from `r` and checks it: a type `accepts` takes (else the message says
    /// what is `wanted`), numbers the source holds and the bound allows.
    fn header<R: Read + ?Sized>(
        &self,
        r: &mut R,
        accepts: impl Fn(Kind, usize) -> bool,
        wanted: &str,
    ) -> Result<Header> {
        let path = self.path;
        let header = read_header(r, path)?;
        if !accepts(header.kind, header.shape.len()) {
            return Err(bad(path, format!("{wanted}, not a {}-D '{}' array", header.shape.len(), header.descr)));
        }
        let (n, bytes) = header.size(path)?;
        // The cause first: a header that claims more than the file holds is a broken file, not
        // a big one.
        if let Some(holds) = self.holds
            && holds.saturating_sub(header.len) < bytes
        {
            return Err(bad(
                path,
                format!(
                    "the header declares {n} numbers ({}) but there are {} bytes after it",
                    limits::bytes(bytes),
                    holds.saturating_sub(header.len)
                ),
            ));
        }
        if bytes > self.limits.max_bytes {
            return Err(self.limits.refuse(path, "its numbers take", bytes));
        }
        Ok(header)
    }

    /// The numbers after `header` (read and checked by [`Source::header`]) from `r`, each decoded
    /// by `decode`, in memory checked to be available before it is allocated.
    fn numbers<T: Element, R: Read + ?Sized>(
        &self,
        header: Header,
        r: &mut R,
        decode: Decode<T>,
    ) -> Result<Numbers<T>> {
        let path = self.path;
        let (n, _) = header.size(path)?;
        limits::check_memory("the numbers", (n as u64).saturating_mul(size_of::<T>() as u64))
            .map_err(|why| bad(path, why))?;
        let (kind, big) = (header.kind, header.big_endian);
        let failed = |e: Failed| match e {
            Failed::Cut(got) => bad(path, format!("the file ends after {got} of its {n} numbers")),
            Failed::Refused(i, why) => self.at_index(&header, i, why),
        };
        if let Some((file, start)) = self.file {
            // The length was checked: the matrix is allocated at once (zeroed pages the kernel
            // maps as they are written) and read straight into.
            let mut values = vec![T::default(); n];
            huge_pages(&values);
            read_at(file, start + header.len, (kind, big, decode, self.finite), &mut values).map_err(failed)?;
            return Ok(Numbers { header, values });
        }
        // A stream: the matrix grows with the numbers that really arrived, within room reserved
        // at once when the source's size is known (an archive member: the size was checked, and
        // reserved pages cost nothing until written).
        let mut values = if self.holds.is_some() { Vec::with_capacity(n) } else { Vec::new() };
        let mut buf = Vec::new();
        while values.len() < n {
            let from = values.len();
            let to = (from + STREAM_STEP / kind.size()).min(n);
            values.resize(to, T::default());
            let how = (kind, big, decode, self.finite);
            fill(how, &mut values[from..], from, &mut buf, |raw, _| r.read_exact(raw)).map_err(failed)?;
        }
        Ok(Numbers { header, values })
    }

    /// An error at the `index`-th number in the file's order (row and column for a 2-D array,
    /// laid out by rows or, in Fortran order, by columns).
    fn at_index(&self, header: &Header, index: usize, why: String) -> Error {
        match *header.shape.as_slice() {
            [rows, cols] => {
                let (rows, cols) = (rows as usize, cols as usize);
                let (r, c) =
                    if header.fortran_order { (index % rows, index / rows) } else { (index / cols, index % cols) };
                at(self.path, Some(r + 1), Some(c + 1), why)
            }
            _ => at(self.path, Some(index + 1), None, why),
        }
    }
}

/// Why numbers could not be read: the source ended after this many, or the one at this index
/// was refused by the decoder.
enum Failed {
    Cut(usize),
    Refused(usize, String),
}

/// Bytes a stream's matrix grows by per step: each step is a few chunks.
const STREAM_STEP: usize = 16 << 20;

/// Reads into `values` the numbers of `kind` in `file` from byte `start` on: in parts read by
/// position at once, one per core (a read from the page cache spends its time in the kernel,
/// copying and mapping the matrix's new pages: two cores fill the matrix twice as fast as one).
fn read_at<T: Element>(file: &File, start: u64, how: How<T>, values: &mut [T]) -> std::result::Result<(), Failed> {
    /// Fewer bytes than this per part are read by one thread.
    const PART: usize = 32 << 20;
    let item = how.0.size();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = cores.min(values.len() * item / PART).max(1);
    let per = values.len().div_ceil(parts).max(1);
    std::thread::scope(|s| {
        let readers: Vec<_> = values
            .chunks_mut(per)
            .enumerate()
            .map(|(p, dst)| {
                s.spawn(move || {
                    let at = |raw: &mut [u8], first: usize| file.read_exact_at(raw, start + (first * item) as u64);
                    fill(how, dst, p * per, &mut Vec::new(), at)
                })
            })
            .collect();
        // The first part's error first, as a reading in order would have met it.
        readers.into_iter().try_for_each(|r| r.join().expect("a reading thread does not panic"))
    })
}

/// Asks the kernel to back `values`' memory with 2 MiB pages where it can, before its first
/// write: a large zeroed allocation is a fresh map the kernel fills a page at a time as it is
/// written, and with 4 KiB pages making those pages was nearly all of a read from the page cache
/// (one fault per 4 KiB; 512 times fewer with 2 MiB pages). Only the 2 MiB-aligned interior is
/// advised, and only on Linux, where transparent huge pages are often given only to memory that
/// asks for them (`madvise` mode); elsewhere, and where the kernel declines, pages are 4 KiB.
fn huge_pages<T>(values: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let (start, end) = (values.as_ptr() as usize, values.as_ptr() as usize + size_of_val(values));
        let (from, to) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if from < to {
            // Advice only: the memory's contents are the same either way, and a refusal (a
            // kernel without transparent huge pages) leaves 4 KiB pages.
            // SAFETY: [from, to) lies inside `values`' allocation, which this process owns;
            // MADV_HUGEPAGE changes how its pages are backed, never what they hold.
            let _ = unsafe { libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = values;
}

/// How numbers are stored and checked: their kind, whether big-endian, how they are decoded
/// into `T`, and whether each must be finite.
type How<T> = (Kind, bool, Decode<T>, bool);

/// Fills `dst` with the numbers from index `first` on, `read(bytes, index of their first
/// number)` giving their bytes, a chunk at a time: straight into `dst`'s memory when they are
/// `T`'s own bytes (no decoding, no copy), else through `buf`, decoded; each chunk checked
/// (finite) while it is in the cache.
fn fill<T: Element>(
    (kind, big, decode, finite): How<T>,
    dst: &mut [T],
    first: usize,
    buf: &mut Vec<u8>,
    mut read: impl FnMut(&mut [u8], usize) -> std::io::Result<()>,
) -> std::result::Result<(), Failed> {
    let item = kind.size();
    let native = kind_is_native::<T>(kind, big);
    let per = CHUNK / item;
    if !native {
        buf.resize(per * item, 0);
    }
    for (c, part) in dst.chunks_mut(per).enumerate() {
        let at = first + c * per;
        if native {
            // SAFETY: T is f64, f32 or i64 here (kind_is_native), for which every bit pattern
            // is a value and whose size is `item`; the slice covers exactly `part`'s elements.
            let raw = unsafe { std::slice::from_raw_parts_mut(part.as_mut_ptr().cast::<u8>(), size_of_val(part)) };
            read(raw, at).map_err(|_| Failed::Cut(at))?;
        } else {
            let raw = &mut buf[..part.len() * item];
            read(raw, at).map_err(|_| Failed::Cut(at))?;
            decode(kind, big, raw, part).map_err(|(i, why)| Failed::Refused(at + i, why))?;
        }
        if let Some(i) = T::first_non_finite(part).filter(|_| finite) {
            return Err(Failed::Refused(at + i, "not a finite number".into()));
        }
    }
    Ok(())
}

/// A number numpy input is read as: a float (features, value targets) or a class label.
trait Element: Copy + Default + Send + 'static {
    /// The index of the first number in `xs` that is not finite (none, for a label).
    fn first_non_finite(xs: &[Self]) -> Option<usize>;
}

impl Element for f64 {
    fn first_non_finite(xs: &[f64]) -> Option<usize> {
        first_non_finite(xs)
    }
}

impl Element for f32 {
    fn first_non_finite(xs: &[f32]) -> Option<usize> {
        first_non_finite(xs)
    }
}

impl Element for i64 {
    fn first_non_finite(_: &[i64]) -> Option<usize> {
        None
    }
}

/// Whether numbers of `kind` are `T`'s own bytes on this machine (read in place, no decoding).
fn kind_is_native<T: 'static>(kind: Kind, big_endian: bool) -> bool {
    use std::any::TypeId;
    big_endian == cfg!(target_endian = "big")
        && ((kind == Kind::F64 && TypeId::of::<T>() == TypeId::of::<f64>())
            || (kind == Kind::F32 && TypeId::of::<T>() == TypeId::of::<f32>())
            || (kind == Kind::I64 && TypeId::of::<T>() == TypeId::of::<i64>()))
}

fn bytes8(raw: &[u8], big: bool) -> [u8; 8] {
    let mut b: [u8; 8] = raw.try_into().expect("8 bytes");
    if big {
        b.reverse();
    }
    b
}

fn bytes4(raw: &[u8], big: bool) -> [u8; 4] {
    let mut b: [u8; 4] = raw.try_into().expect("4 bytes");
    if big {
        b.reverse();
    }
    b
}

/// Decodes a chunk of numbers of a kind (and byte order: `true` for big-endian) into `dst`, one
/// number per [`Kind::size`] bytes of `raw`, or says which one (its index in the chunk) is refused.
type Decode<T> = fn(Kind, bool, &[u8], &mut [T]) -> std::result::Result<(), (usize, String)>;

/// `dst[i]` ← `number(raw's i-th N bytes)`: one pass with no bounds check per number, which the
/// compiler turns into vector loads, conversions and stores (the f64 → f32 rounding of a whole
/// file runs at memory speed).
fn each<const N: usize, T>(raw: &[u8], dst: &mut [T], number: impl Fn([u8; N]) -> T) {
    for (d, b) in dst.iter_mut().zip(raw.chunks_exact(N)) {
        *d = number(b.try_into().expect("chunks of N bytes"));
    }
}

const NOT_A_FLOAT: &str = "an integer where a float was expected";

/// Float64s or float32s as f64.
fn float(kind: Kind, big: bool, raw: &[u8], dst: &mut [f64]) -> std::result::Result<(), (usize, String)> {
    match (kind, big) {
        (Kind::F64, false) => each(raw, dst, f64::from_le_bytes),
        (Kind::F64, true) => each(raw, dst, f64::from_be_bytes),
        (Kind::F32, false) => each(raw, dst, |b| f64::from(f32::from_le_bytes(b))),
        (Kind::F32, true) => each(raw, dst, |b| f64::from(f32::from_be_bytes(b))),
        (Kind::I64 | Kind::I32 | Kind::U8, _) => return Err((0, NOT_A_FLOAT.into())),
    }
    Ok(())
}

/// Float64s or float32s as f32 (a float64 rounded to nearest).
fn float32(kind: Kind, big: bool, raw: &[u8], dst: &mut [f32]) -> std::result::Result<(), (usize, String)> {
    match (kind, big) {
        (Kind::F64, false) => each(raw, dst, |b| f64::from_le_bytes(b) as f32),
        (Kind::F64, true) => each(raw, dst, |b| f64::from_be_bytes(b) as f32),
        (Kind::F32, false) => each(raw, dst, f32::from_le_bytes),
        (Kind::F32, true) => each(raw, dst, f32::from_be_bytes),
        (Kind::I64 | Kind::I32 | Kind::U8, _) => return Err((0, NOT_A_FLOAT.into())),
    }
    Ok(())
}

/// FeatureMatrix: a 2-D float array.
fn is_features(kind: Kind, dims: usize) -> bool {
    matches!(kind, Kind::F64 | Kind::F32) && dims == 2
}

/// Value targets: a 1-D or 2-D float array.
fn is_values(kind: Kind, dims: usize) -> bool {
    matches!(kind, Kind::F64 | Kind::F32) && (dims == 1 || dims == 2)
}

/// A class label: an integer, or a float64 holding a whole number.
fn label(kind: Kind, big: bool, raw: &[u8]) -> std::result::Result<i64, String> {
    match kind {
        Kind::I64 => Ok(i64::from_le_bytes(bytes8(raw, big))),
        Kind::I32 => Ok(i64::from(i32::from_le_bytes(bytes4(raw, big)))),
        Kind::U8 => Ok(i64::from(raw[0])),
        Kind::F64 => {
            let v = f64::from_le_bytes(bytes8(raw, big));
            if v.fract() == 0.0 && v.abs() < 2f64.powi(53) {
                Ok(v as i64)
            } else {
                Err(format!("{v} is not a class number"))
            }
        }
        Kind::F32 => Err("a float32 where a class number was expected".into()),
    }
}

/// Class labels, one at a time (labels are few: one per row).
fn class_labels(kind: Kind, big: bool, raw: &[u8], dst: &mut [i64]) -> std::result::Result<(), (usize, String)> {
    for (i, (d, b)) in dst.iter_mut().zip(raw.chunks_exact(kind.size())).enumerate() {
        *d = label(kind, big, b).map_err(|why| (i, why))?;
    }
    Ok(())
}

/// Class labels: a 1-D integer or float64 array.
fn is_label(kind: Kind, dims: usize) -> bool {
    matches!(kind, Kind::I64 | Kind::I32 | Kind::U8 | Kind::F64) && dims == 1
}

const LABELS: &str = "labels must be a 1-D integer array (int64, int32, uint8) or whole float64s";

/// FeatureMatrix: a 2-D float array as a row-major n×f matrix.
fn features_of<T: Number>(numbers: Numbers<T>, what: &str) -> Result<Array2<T>> {
    let Numbers { header, values } = numbers;
    let shape = match header.shape.as_slice() {
        &[r, c] => (r as usize, c as usize),
        s => unreachable!("{what}: a {}-D array passed is_features or is_values", s.len()),
    };
    if header.fortran_order {
        // Column-major on disk: laid out again once, row-major.
        let x = Array2::from_shape_vec(shape.f(), values).expect("the shape's size was read");
        return Ok(x.as_standard_layout().into_owned());
    }
    Ok(Array2::from_shape_vec(shape, values).expect("the shape's size was read"))
}

/// Value targets: 2-D (n×k), or 1-D taken as one column, every one finite (`file` names them in
/// the message).
fn values_of(numbers: Numbers<f64>, file: &Path) -> Result<Targets> {
    let values = match numbers.header.shape.len() {
        1 => {
            let n = numbers.values.len();
            Array2::from_shape_vec((n, 1), numbers.values).expect("n numbers")
        }
        _ => features_of(numbers, "value targets")?,
    };
    Targets::finite_values(values, file)
}

/// Reads a `.npy` file's numbers.
fn read_npy<T: Element>(
    path: &Path,
    limits: NumpyLimits,
    decode: Decode<T>,
    accepts: impl Fn(Kind, usize) -> bool,
    wanted: &str,
) -> Result<Numbers<T>> {
    let opened = open(path)?;
    let (mut file, source) = opened.source(path, limits);
    source.read(&mut file, decode, accepts, wanted)
}

/// An archive (a `.npz`): its members streamed out one at a time, their decompressed bytes
/// counted against one budget.
struct Archive<'a> {
    path: &'a Path,
    zip: zip::ZipArchive<Box<dyn ReadSeek>>,
    limits: NumpyLimits,
    left: u64,
    /// The archive as a regular file (a second handle) and its length: its uncompressed members
    /// are read in place, by position, or mapped. `None`: an archive taken from a stream.
    file: Option<(File, u64)>,
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

impl<'a> Archive<'a> {
    fn open(path: &'a Path, limits: NumpyLimits) -> Result<Archive<'a>> {
        let mut file = None;
        let reader: Box<dyn ReadSeek> = match open(path)? {
            Opened::File(f, len) => {
                if len > limits.max_bytes {
                    return Err(limits.refuse(path, "the archive takes", len));
                }
                file = Some((f.try_clone().map_err(io(path))?, len));
                Box::new(f)
            }
            Opened::Stream(f) => {
                // A zip is read from its end: a stream is taken in whole first, bounded.
                let mut bytes = Vec::new();
                f.take(limits.max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(io(path))?;
                if bytes.len() as u64 > limits.max_bytes {
                    return Err(limits.refuse(path, "the archive takes more than", limits.max_bytes));
                }
                Box::new(std::io::Cursor::new(bytes))
            }
        };
        let zip = zip::ZipArchive::new(reader).map_err(|e| bad(path, format!("not a .npz archive: {e}")))?;
        Ok(Archive { path, zip, limits, left: limits.max_bytes, file })
    }

    /// The member called one of `names` (with or without `.npy`), given to `read` as a
    /// [`Source`] (`finite`: every number must be finite) and a reader at its first byte. An
    /// uncompressed member (`np.savez`) of a regular file is read in place, by position (or
    /// mapped); a compressed one (`np.savez_compressed`) is decompressed as it streams, straight
    /// into the matrix. Either way its bytes are counted against the bound, and a message names
    /// the member.
    fn member<V>(
        &mut self,
        names: &[&str],
        finite: bool,
        read: impl FnOnce(&Source<'_>, &mut dyn Read) -> Result<V>,
    ) -> Result<V> {
        let (path, limits) = (self.path, self.limits);
        let present: Vec<String> = self.zip.file_names().map(str::to_string).collect();
        let name = names
            .iter()
            .flat_map(|n| [n.to_string(), format!("{n}.npy")])
            .find(|n| present.contains(n))
            .ok_or_else(|| {
                bad(path, format!("the archive has no array {} (it has {})", names.join(" or "), present.join(", ")))
            })?;
        let named = |e: Error| match e {
            Error::Data { why, row, column, .. } if !why.starts_with("array ") => {
                Error::Data { file: path.into(), row, column, why: format!("array {name}: {why}") }
            }
            e => e,
        };
        let over = || limits.refuse(path, "its arrays decompress to more than", limits.max_bytes);
        let member = self.zip.by_name(&name).map_err(|e| bad(path, format!("array {name}: {e}")))?;
        let (stated, start) = (member.size(), member.data_start());
        let stored = member.compression() == zip::CompressionMethod::Stored && !member.encrypted();
        match &self.file {
            Some((file, len)) if stored => {
                drop(member);
                if start.checked_add(stated).is_none_or(|end| end > *len) {
                    return Err(bad(path, format!("array {name}: the archive ends inside it")));
                }
                self.left = self.left.checked_sub(stated).ok_or_else(over)?;
                let source = Source { path, limits, holds: Some(stated), file: Some((file, start)), finite };
                let mut at = file;
                at.seek(std::io::SeekFrom::Start(start)).map_err(io(path))?;
                read(&source, &mut at.take(stated)).map_err(named)
            }
            _ => {
                let source = Source { path, limits, holds: Some(stated), file: None, finite };
                let mut counted = Budget { inner: member, left: &mut self.left, over: false };
                let result = read(&source, &mut counted);
                if counted.over {
                    return Err(over());
                }
                result.map_err(named)
            }
        }
    }
}

impl Targets {
    /// Class targets from integer labels, as numpy holds them: the distinct labels in ascending
    /// order are the classes, each named by its number.
    pub fn integer_classes(values: Vec<i64>) -> Targets {
        let mut distinct = values.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let labels = values.iter().map(|v| distinct.binary_search(v).expect("a label it holds")).collect();
        Targets::Classes { labels, names: distinct.iter().map(|v| v.to_string()).collect() }
    }

    /// Value targets (n×k) as numpy holds them, every one finite; `file` names them in the message.
    pub fn finite_values(values: Array2<f64>, file: &Path) -> Result<Targets> {
        if let Some((i, j)) = values.indexed_iter().find(|(_, v)| !v.is_finite()).map(|(ij, _)| ij) {
            return Err(at(file, Some(i + 1), Some(j + 1), "the target is not a finite number"));
        }
        Ok(Targets::unnamed_values(values))
    }
}

/// What features must be, as the message says it.
const FEATURES: &str = "features must be a 2-D float64 or float32 array";

/// The features of a `.npy` file, held as `hold` asks.
fn npy_features(path: &Path, limits: NumpyLimits, hold: Hold) -> Result<FeatureMatrix> {
    let opened = open(path)?;
    let (mut file, mut source) = opened.source(path, limits);
    source.finite = true;
    source.features(&mut file, hold)
}

impl Source<'_> {
    /// Features: the header read from `r` and checked, then the numbers held as `hold` asks:
    /// mapped when `hold` allows it and they lie in place in a regular file ([`Source::file`]) as
    /// row-major floats in this machine's byte order, else read (as float32 for an f32 hold).
    fn features<R: Read + ?Sized>(&self, r: &mut R, hold: Hold) -> Result<FeatureMatrix> {
        let path = self.path;
        let header = self.header(r, is_features, FEATURES)?;
        let (f32, may_map) = match hold {
            Hold::F64 => (false, false),
            Hold::F32 => (true, false),
            Hold::Map => (false, true),
            Hold::Fit { f32 } => {
                let (n, _) = header.size(path)?;
                let in_memory = (n as u64).saturating_mul(if f32 { 4 } else { 8 });
                (f32, limits::available_memory().is_some_and(|free| in_memory > free / 2))
            }
        };
        let mappable = matches!(header.kind, Kind::F64 | Kind::F32)
            && header.big_endian == cfg!(target_endian = "big")
            && !header.fortran_order;
        if let Some((file, start)) = self.file.filter(|_| may_map && mappable) {
            let (rows, cols) = (header.shape[0] as usize, header.shape[1] as usize);
            // SAFETY: the map is read-only; the header check proved the file holds rows × cols
            // numbers after the header. What another process does to the file while it is mapped
            // is said in the module's notes.
            let map = unsafe { memmap2::MmapOptions::new().map(file) }.map_err(io(path))?;
            let kind = if header.kind == Kind::F64 { MappedKind::F64 } else { MappedKind::F32 };
            let features: FeatureMatrix = Mapped::new(map, (start + header.len) as usize, kind, rows, cols).into();
            // Checked in a pass that leaves the pages to the page cache (the map releases them).
            if let Some((i, j)) = features.first_non_finite() {
                return Err(at(path, Some(i + 1), Some(j + 1), "not a finite number"));
            }
            return Ok(features);
        }
        Ok(if f32 {
            features_of(self.numbers(header, r, float32)?, "features")?.into()
        } else {
            features_of(self.numbers(header, r, float)?, "features")?.into()
        })
    }
}

impl Dataset {
    /// FeatureMatrix from `data` (`.npy`, n×f) and targets of `kind` from `labels` (`.npy`), or
    /// both from a `.npz` archive `data` holding `x` and `y` (then `labels` is `None`), within
    /// the default bound on `--data`.
    pub fn from_npy(data: &Path, labels: Option<&Path>, kind: TargetKind) -> Result<Dataset> {
        Dataset::from_npy_within(data, labels, kind, NumpyLimits::default())
    }

    /// [`Dataset::from_npy`] within `limits` (`--max-input-size`).
    pub fn from_npy_within(
        data: &Path,
        labels: Option<&Path>,
        kind: TargetKind,
        limits: NumpyLimits,
    ) -> Result<Dataset> {
        Dataset::from_npy_held(data, labels, kind, limits, Hold::F64)
    }

    /// [`Dataset::from_npy_within`], the features held as `hold` says: in memory as float64 or
    /// float32, or memory-mapped (a `.npz` archive's too when stored uncompressed, as `np.savez`
    /// writes them; a compressed member is decompressed into memory).
    pub fn from_npy_held(
        data: &Path,
        labels: Option<&Path>,
        kind: TargetKind,
        limits: NumpyLimits,
        hold: Hold,
    ) -> Result<Dataset> {
        const VALUES: &str = "value targets must be a 1-D or 2-D float64 or float32 array";
        let is_npz = data.extension().is_some_and(|e| e.eq_ignore_ascii_case("npz"));
        let (features, target) = if is_npz {
            if labels.is_some() {
                return Err(bad(data, "a .npz archive holds its labels (array y): drop --labels"));
            }
            let mut npz = Archive::open(data, limits)?;
            let x = npz.member(&["x", "X"], true, |source, r| source.features(r, hold))?;
            let y = match kind {
                TargetKind::Classes => Targets::integer_classes(
                    npz.member(&["y", "labels"], false, |s, r| s.read(r, class_labels, is_label, LABELS))?.values,
                ),
                TargetKind::Values => {
                    values_of(npz.member(&["y", "labels"], false, |s, r| s.read(r, float, is_values, VALUES))?, data)?
                }
            };
            (x, y)
        } else {
            let labels = labels.ok_or_else(|| bad(data, "a .npy of features needs --labels y.npy"))?;
            let y = match kind {
                TargetKind::Classes => {
                    Targets::integer_classes(read_npy(labels, limits, class_labels, is_label, LABELS)?.values)
                }
                TargetKind::Values => values_of(read_npy(labels, limits, float, is_values, VALUES)?, labels)?,
            };
            (npy_features(data, limits, hold)?, y)
        };
        Dataset::from_features(features, target, data)
    }

    /// Features (n×f) and their targets already in memory, as numpy gives them (a Python
    /// caller's arrays): the columns are called x0, x1…; `name` is for messages.
    pub fn from_arrays(features: Array2<f64>, target: Targets, name: &Path) -> Result<Dataset> {
        // Row-major, as every reader of a data set takes it (numpy's Fortran order is laid out
        // again once; a row-major matrix is kept as it is).
        let features =
            if features.is_standard_layout() { features } else { features.as_standard_layout().into_owned() };
        if let Some((i, j)) = features.indexed_iter().find(|(_, v)| !v.is_finite()).map(|(ij, _)| ij) {
            return Err(at(name, Some(i + 1), Some(j + 1), "not a finite number"));
        }
        Dataset::from_features(features.into(), target, name)
    }

    /// Features however held, every number checked finite as it was read, and their targets,
    /// checked: as many rows as targets; the columns are called x0, x1…; `name` is for messages.
    fn from_features(features: FeatureMatrix, target: Targets, name: &Path) -> Result<Dataset> {
        let what = match target.kind() {
            TargetKind::Classes => "labels",
            TargetKind::Values => "rows of targets",
        };
        if features.nrows() != target.len() {
            return Err(bad(name, format!("{} rows of features but {} {what}", features.nrows(), target.len())));
        }
        Ok(Dataset { feature_names: (0..features.ncols()).map(|j| format!("x{j}")).collect(), features, target })
    }
}
