//! A data set's features as training reads them: an m×n matrix held in memory as float64 or
//! float32, or the rows of a memory-mapped `.npy` file.
//!
//! # Why three ways to hold the same numbers
//! - float64 in memory is what the tape, `explain` and the page read, and what a CSV gives.
//! - float32 in memory is what an `--dtype f32` run trains on: an f32 run never keeps an f64
//!   copy of its data, so it needs half the memory.
//! - A memory map reads the file's own pages: nothing is copied when the data is opened, the
//!   split into training and test rows is a list of row indices over the map (no copy of either
//!   part), and scaling is applied as rows are read (the map is read-only). Every 8 MiB read
//!   in order, and after each row read at random, the pages leave the process's resident memory
//!   (they stay in the page cache, which the kernel drops as it needs), so a data set larger than the memory the process may use
//!   trains, each batch read from the page cache or the disk.
//!
//! Whichever way it is held, a batch is read through [`FeatureMatrix::read_rows`] or
//! [`FeatureMatrix::gather`] as the numbers the same matrix held as float64 and scaled in place would
//! give: the same bits, so a mapped run equals a run that read the file.

use super::Scaler;
use ndarray::{Array2, Axis};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The float types features may be held and read as.
pub trait Number: Copy + Default + Send + Sync + PartialEq + std::fmt::Debug + 'static {
    /// The value as this type (float64 → float32 rounds to nearest).
    fn rounded_from(v: f64) -> Self;
    /// The value as float64 (exact).
    fn widen(self) -> f64;
    /// The features' own numbers when they are held in memory as this type, row-major.
    fn held(features: &FeatureMatrix) -> Option<&Array2<Self>>;
}

impl Number for f64 {
    fn rounded_from(v: f64) -> f64 {
        v
    }
    fn widen(self) -> f64 {
        self
    }
    fn held(features: &FeatureMatrix) -> Option<&Array2<f64>> {
        match &features.held {
            Held::F64(x) => Some(x),
            Held::F32(_) | Held::Mapped(_) => None,
        }
    }
}

impl Number for f32 {
    fn rounded_from(v: f64) -> f32 {
        v as f32
    }
    fn widen(self) -> f64 {
        f64::from(self)
    }
    fn held(features: &FeatureMatrix) -> Option<&Array2<f32>> {
        match &features.held {
            Held::F32(x) => Some(x),
            Held::F64(_) | Held::Mapped(_) => None,
        }
    }
}

/// m×n features (m rows, n features).
#[derive(Clone)]
pub struct FeatureMatrix {
    held: Held,
}

#[derive(Clone)]
enum Held {
    F64(Array2<f64>),
    F32(Array2<f32>),
    Mapped(Mapped),
}

/// The element type of a mapped file's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MappedKind {
    F64,
    F32,
}

/// Rows of a memory-mapped row-major matrix, viewed through a list of row indices and scaled as
/// they are read.
#[derive(Clone)]
pub(super) struct Mapped {
    map: Arc<memmap2::Mmap>,
    /// Where the numbers start in the map: a multiple of their size (checked when mapped).
    offset: usize,
    kind: MappedKind,
    /// The file's rows and columns.
    file_rows: usize,
    cols: usize,
    /// The file rows this view holds, in its order; `None`: every row, in the file's order.
    rows: Option<Arc<[usize]>>,
    /// Applied in order to every number read.
    scalers: Vec<Arc<Scaler>>,
    /// What was read since the pages were last released (shared by the views of one map).
    unreleased: Arc<Unreleased>,
}

/// Reading through a map since its pages were last released.
#[derive(Default)]
struct Unreleased {
    /// Bytes read in order.
    bytes: AtomicUsize,
    /// Whether rows are being read at random ([`Mapped::advise`]).
    random: AtomicBool,
}

/// A map's pages are handed back to the page cache after every this many bytes read through it
/// in order: the process's resident memory stays bounded however large the file. (A release
/// costs a walk of the map's page tables, well under a millisecond for a gigabyte mapped.)
const RELEASE_BYTES: usize = 8 << 20;

/// The largest block of a file the page cache holds as one folio (a 2 MiB huge page), all of
/// which one page fault may map. A row read at random has the blocks it lies in released at
/// once: counted as bytes, 1 MiB of rows read at random mapped 330 MiB (a fault in a 2 MiB folio
/// that read-ahead had made maps the whole folio, with huge pages advised off too).
const FOLIO: usize = 2 << 20;

/// One file row's numbers, as stored.
enum Row<'a> {
    F64(Cow<'a, [f64]>),
    F32(Cow<'a, [f32]>),
}

impl Mapped {
    /// The map's numbers from `offset`: `rows × cols` of `kind`, in this machine's byte order.
    /// The caller has checked that the map holds them.
    pub(super) fn new(map: memmap2::Mmap, offset: usize, kind: MappedKind, rows: usize, cols: usize) -> Mapped {
        let unreleased = Arc::default();
        Mapped { map: Arc::new(map), offset, kind, file_rows: rows, cols, rows: None, scalers: Vec::new(), unreleased }
    }

    fn len(&self) -> usize {
        self.rows.as_ref().map_or(self.file_rows, |r| r.len())
    }

    fn item(&self) -> usize {
        match self.kind {
            MappedKind::F64 => 8,
            MappedKind::F32 => 4,
        }
    }

    /// File row `r`: in place when its numbers are aligned in memory (a `.npy` numpy wrote),
    /// else copied out (an archive member may start anywhere).
    fn row(&self, r: usize) -> Row<'_> {
        let f = self.cols;
        assert!(r < self.file_rows, "row {r} of a map of {} rows", self.file_rows);
        let start = self.offset + r * f * self.item();
        let bytes = &self.map[start..start + f * self.item()];
        // SAFETY: `bytes` lies in the map, which is read-only and lives as long as `self`; every
        // bit pattern is a float; `align_to` gives an empty middle part unless it is aligned.
        let (head, middle, _) = unsafe { bytes.align_to::<f64>() };
        match self.kind {
            MappedKind::F64 if head.is_empty() && middle.len() == f => Row::F64(Cow::Borrowed(middle)),
            MappedKind::F64 => {
                Row::F64(bytes.chunks_exact(8).map(|b| f64::from_ne_bytes(b.try_into().expect("8 bytes"))).collect())
            }
            MappedKind::F32 => {
                // SAFETY: as above.
                let (head, middle, _) = unsafe { bytes.align_to::<f32>() };
                if head.is_empty() && middle.len() == f {
                    Row::F32(Cow::Borrowed(middle))
                } else {
                    Row::F32(
                        bytes.chunks_exact(4).map(|b| f32::from_ne_bytes(b.try_into().expect("4 bytes"))).collect(),
                    )
                }
            }
        }
    }

    /// View row `i` into `dst`, scaled, as `T`; then the pages are released: a row read at
    /// random, the [`FOLIO`]s it lies in; in order, all of them every [`RELEASE_BYTES`].
    fn read<T: Number>(&self, i: usize, dst: &mut [T]) {
        let r = self.rows.as_ref().map_or(i, |rows| rows[i]);
        match self.row(r) {
            Row::F64(src) => convert(&src, dst, &self.scalers),
            Row::F32(src) => convert(&src, dst, &self.scalers),
        }
        let (start, bytes) = (self.offset + r * self.cols * self.item(), self.cols * self.item());
        if self.unreleased.random.load(Ordering::Relaxed) {
            let from = start / FOLIO * FOLIO;
            self.release(from, ((start + bytes).next_multiple_of(FOLIO)).min(self.map.len()) - from);
        } else if self.unreleased.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes >= RELEASE_BYTES {
            self.unreleased.bytes.store(0, Ordering::Relaxed);
            self.release(0, self.map.len());
        }
    }

    /// The view's rows `picked` (indices into this view), in that order.
    fn select(&self, picked: &[usize]) -> Mapped {
        let rows = picked.iter().map(|&i| self.rows.as_ref().map_or(i, |rows| rows[i])).collect();
        Mapped { rows: Some(rows), ..self.clone() }
    }

    /// Tells the kernel how the map will be read: at random (no read-ahead, each fault reads
    /// only its page: batches gathered by a shuffled index) or in order (read-ahead).
    fn advise(&self, random: bool) {
        let advice = if random { memmap2::Advice::Random } else { memmap2::Advice::Normal };
        // Advice only: the numbers read are the same either way.
        let _ = self.map.advise(advice);
        self.unreleased.random.store(random, Ordering::Relaxed);
    }

    /// Tells the kernel this process no longer needs the map's pages in `len` bytes from `from`:
    /// they stay in the page cache (a later read is a minor fault) but leave the process's
    /// resident memory.
    fn release(&self, from: usize, len: usize) {
        // Advice only: if the kernel refuses it, the pages are reclaimed under pressure anyway.
        // SAFETY: the map is read-only and file-backed: dropping its pages loses nothing, and the
        // next read faults them back in from the file.
        let _ = unsafe { self.map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, len) };
    }
}

/// `dst` ← `src`, each number through `scalers` in float64 and rounded back to the stored type
/// after each (as scaling a matrix of that type in place rounds), then as `T`.
fn convert<S: Number, T: Number>(src: &[S], dst: &mut [T], scalers: &[Arc<Scaler>]) {
    match scalers {
        [] => dst.iter_mut().zip(src).for_each(|(d, &s)| *d = T::rounded_from(s.widen())),
        [scaler] => {
            let (offset, divisor) = (&scaler.offset, &scaler.divisor);
            for (j, (d, &s)) in dst.iter_mut().zip(src).enumerate() {
                *d = T::rounded_from(S::rounded_from((s.widen() - offset[j]) / divisor[j]).widen());
            }
        }
        _ => {
            for (j, (d, &s)) in dst.iter_mut().zip(src).enumerate() {
                let v = scalers.iter().fold(s, |v, sc| S::rounded_from((v.widen() - sc.offset[j]) / sc.divisor[j]));
                *d = T::rounded_from(v.widen());
            }
        }
    }
}

impl From<Array2<f64>> for FeatureMatrix {
    fn from(x: Array2<f64>) -> FeatureMatrix {
        FeatureMatrix { held: Held::F64(x) }
    }
}

impl From<Array2<f32>> for FeatureMatrix {
    fn from(x: Array2<f32>) -> FeatureMatrix {
        FeatureMatrix { held: Held::F32(x) }
    }
}

impl From<Mapped> for FeatureMatrix {
    fn from(m: Mapped) -> FeatureMatrix {
        FeatureMatrix { held: Held::Mapped(m) }
    }
}

/// Rows per block when the features are read through in order (a scaler's fit, a copy).
const BLOCK_ROWS: usize = 4096;

impl FeatureMatrix {
    /// (rows, features).
    pub fn dim(&self) -> (usize, usize) {
        match &self.held {
            Held::F64(x) => x.dim(),
            Held::F32(x) => x.dim(),
            Held::Mapped(m) => (m.len(), m.cols),
        }
    }

    /// How many rows.
    pub fn nrows(&self) -> usize {
        self.dim().0
    }

    /// How many features per row.
    pub fn ncols(&self) -> usize {
        self.dim().1
    }

    /// How many numbers (rows × features).
    pub fn len(&self) -> usize {
        let (m, n) = self.dim();
        m * n
    }

    /// Whether there are no numbers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How the numbers are held, for reports and tests: `f64`, `f32` or `mapped`.
    pub fn held_as(&self) -> &'static str {
        match &self.held {
            Held::F64(_) => "f64",
            Held::F32(_) => "f32",
            Held::Mapped(_) => "mapped",
        }
    }

    /// The features as a float64 matrix: the matrix itself when held so, else a copy (what the
    /// tape, `explain` and the page read; the compiled engine reads batches instead).
    pub fn f64(&self) -> Cow<'_, Array2<f64>> {
        match &self.held {
            Held::F64(x) => Cow::Borrowed(x),
            _ => Cow::Owned(self.rows_as(0, self.nrows())),
        }
    }

    /// The features as a float64 matrix, taken: the matrix itself when held so, else a copy.
    pub fn into_f64(self) -> Array2<f64> {
        match self.held {
            Held::F64(x) => x,
            _ => self.rows_as(0, self.nrows()),
        }
    }

    /// The features held in memory as float32 (each number rounded once): what an f32 run
    /// reads as views, at half the memory. Float32 features are returned as they are.
    pub fn into_f32(self) -> FeatureMatrix {
        match self.held {
            Held::F32(_) => self,
            Held::F64(x) => x.mapv(|v| v as f32).into(),
            Held::Mapped(_) => {
                let (m, n) = self.dim();
                let mut x = Array2::<f32>::zeros((m, n));
                self.read_rows(0, m, x.as_slice_mut().expect("a new matrix is row-major"));
                x.into()
            }
        }
    }

    /// Rows `[start, end)` as a float64 matrix.
    pub fn rows_as(&self, start: usize, end: usize) -> Array2<f64> {
        let mut out = Array2::zeros((end - start, self.ncols()));
        self.read_rows(start, end, out.as_slice_mut().expect("a new matrix is row-major"));
        out
    }

    /// Rows `[start, end)` into `dst` (row-major, `(end − start) × n` numbers) as `T`.
    pub fn read_rows<T: Number>(&self, start: usize, end: usize, dst: &mut [T]) {
        let f = self.ncols();
        for (i, row) in (start..end).zip(dst.chunks_exact_mut(f.max(1))) {
            self.read_row(i, row);
        }
    }

    /// The rows `picked`, in that order, into `dst` (row-major) as `T`.
    pub fn gather<T: Number>(&self, picked: &[usize], dst: &mut [T]) {
        let f = self.ncols();
        for (&i, row) in picked.iter().zip(dst.chunks_exact_mut(f.max(1))) {
            self.read_row(i, row);
        }
    }

    fn read_row<T: Number>(&self, i: usize, dst: &mut [T]) {
        let no_scaling: &[Arc<Scaler>] = &[];
        match &self.held {
            Held::F64(x) => convert(x.row(i).as_slice().expect("row-major"), dst, no_scaling),
            Held::F32(x) => convert(x.row(i).as_slice().expect("row-major"), dst, no_scaling),
            Held::Mapped(m) => m.read(i, dst),
        }
    }

    /// Says how rows will be read next: at random (a shuffled order) or in order. A map turns
    /// the kernel's read-ahead off for random reads (else each row read from disk would bring
    /// in pages that are dropped again unread); nothing for numbers in memory.
    pub fn expect_random(&self, random: bool) {
        if let Held::Mapped(m) = &self.held {
            m.advise(random);
        }
    }

    /// Whether the numbers are read from a memory map.
    pub fn is_mapped(&self) -> bool {
        matches!(self.held, Held::Mapped(_))
    }

    /// The rows `rows`, in that order: a copy of them in memory, a list of indices over a map.
    pub fn select(&self, rows: &[usize]) -> FeatureMatrix {
        match &self.held {
            Held::F64(x) => x.select(Axis(0), rows).into(),
            Held::F32(x) => x.select(Axis(0), rows).into(),
            Held::Mapped(m) => m.select(rows).into(),
        }
    }

    /// The rows `train` and the rows `test` (each ascending, together every row once), as two
    /// parts. In memory the rows are permuted within the matrix's own buffer (train rows first,
    /// then test rows), and the test rows are moved out from its end a block at a time, the buffer
    /// shrinking behind them: the data is never held twice. Over a map, two lists of indices.
    pub fn split_rows(self, train: &[usize], test: &[usize]) -> (FeatureMatrix, FeatureMatrix) {
        match self.held {
            Held::F64(x) => {
                let (a, b) = split_rows(x, train, test);
                (a.into(), b.into())
            }
            Held::F32(x) => {
                let (a, b) = split_rows(x, train, test);
                (a.into(), b.into())
            }
            Held::Mapped(m) => (m.select(train).into(), m.select(test).into()),
        }
    }

    /// Scales every feature by `scaler`: in place in memory, as rows are read over a map.
    pub fn scale(&mut self, scaler: &Scaler) {
        match &mut self.held {
            Held::F64(x) => scaler.apply(x),
            Held::F32(x) => {
                for (j, mut col) in x.axis_iter_mut(Axis(1)).enumerate() {
                    let (o, d) = (scaler.offset[j], scaler.divisor[j]);
                    col.mapv_inplace(|v| ((f64::from(v) - o) / d) as f32);
                }
            }
            Held::Mapped(m) => m.scalers.push(Arc::new(scaler.clone())),
        }
    }

    /// The first non-finite number, as (row, column) counting from 0.
    pub fn first_non_finite(&self) -> Option<(usize, usize)> {
        let f = self.ncols().max(1);
        let at = |i: usize| (i / f, i % f);
        match &self.held {
            Held::F64(x) => first_non_finite(x.as_slice().expect("row-major")).map(at),
            Held::F32(x) => first_non_finite(x.as_slice().expect("row-major")).map(at),
            Held::Mapped(_) => {
                let mut found = None;
                self.blocks(|start, block: &[f64]| {
                    found = first_non_finite(block).map(|i| (start + i / f, i % f));
                    found.is_none()
                });
                found
            }
        }
    }

    /// Calls `visit(first row, rows)` for consecutive blocks of rows read as float64 (row-major),
    /// until it returns false. A matrix in memory is passed as it is, anything else in blocks
    /// of `BLOCK_ROWS` (4,096) rows.
    pub fn blocks(&self, mut visit: impl FnMut(usize, &[f64]) -> bool) {
        let (m, f) = self.dim();
        if let Some(x) = f64::held(self) {
            visit(0, x.as_slice().expect("row-major"));
            return;
        }
        let mut buf = vec![0.0; BLOCK_ROWS.min(m) * f];
        for start in (0..m).step_by(BLOCK_ROWS) {
            let end = (start + BLOCK_ROWS).min(m);
            let block = &mut buf[..(end - start) * f];
            self.read_rows(start, end, block);
            if !visit(start, block) {
                break;
            }
        }
    }
}

/// The index of the first number in `xs` that is not finite: each block of numbers is counted
/// without a branch per number (a vectorised pass at memory speed), and only a block that holds
/// one is searched.
pub(super) fn first_non_finite<T: Number>(xs: &[T]) -> Option<usize> {
    const BLOCK: usize = 4096;
    let bad = |v: &T| !v.widen().is_finite();
    xs.chunks(BLOCK).enumerate().find_map(|(b, block)| {
        let count = block.iter().fold(0u32, |n, v| n + u32::from(bad(v)));
        (count > 0).then(|| b * BLOCK + block.iter().position(bad).expect("a block with one"))
    })
}

/// Rows moved out of a matrix per step of [`split_rows`].
const MOVE_ROWS: usize = 1024;

/// `x`'s rows `train` and `test` as two matrices, without a second copy of `x` (see
/// [`FeatureMatrix::split_rows`]).
fn split_rows<T: Number>(x: Array2<T>, train: &[usize], test: &[usize]) -> (Array2<T>, Array2<T>) {
    let (m, f) = x.dim();
    assert_eq!(train.len() + test.len(), m, "the parts hold every row");
    if !x.is_standard_layout() || f == 0 {
        return (x.select(Axis(0), train), x.select(Axis(0), test));
    }
    let (mut numbers, offset) = x.into_raw_vec_and_offset();
    assert_eq!(offset.unwrap_or(0), 0, "an owned row-major matrix starts its buffer");
    // Row p of the permuted matrix is row from[p] of the original: followed cycle by cycle, each
    // row moved once, one row held aside per cycle.
    let from: Vec<usize> = train.iter().chain(test).copied().collect();
    let mut done = vec![false; m];
    let mut aside = vec![T::default(); f];
    for start in 0..m {
        if done[start] || from[start] == start {
            continue;
        }
        aside.copy_from_slice(&numbers[start * f..(start + 1) * f]);
        let mut p = start;
        loop {
            done[p] = true;
            let q = from[p];
            if q == start {
                numbers[p * f..(p + 1) * f].copy_from_slice(&aside);
                break;
            }
            numbers.copy_within(q * f..(q + 1) * f, p * f);
            p = q;
        }
    }
    // The test rows, last block first, into a zeroed buffer (pages the kernel maps as they are
    // written), the data's buffer shrunk behind each block.
    let n_train = train.len();
    let mut tail = vec![T::default(); test.len() * f];
    let mut end = m;
    while end > n_train {
        let start = end.saturating_sub(MOVE_ROWS).max(n_train);
        tail[(start - n_train) * f..(end - n_train) * f].copy_from_slice(&numbers[start * f..end * f]);
        numbers.truncate(start * f);
        numbers.shrink_to_fit();
        end = start;
    }
    let train = Array2::from_shape_vec((n_train, f), numbers).expect("train rows × features");
    (train, Array2::from_shape_vec((test.len(), f), tail).expect("test rows × features"))
}

/// The numbers are compared, however they are held.
impl PartialEq for FeatureMatrix {
    fn eq(&self, other: &FeatureMatrix) -> bool {
        self.dim() == other.dim() && self.f64() == other.f64()
    }
}

impl std::fmt::Debug for FeatureMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.held {
            Held::F64(x) => x.fmt(f),
            _ => {
                let (m, n) = self.dim();
                write!(f, "FeatureMatrix({m}×{n}, {})", self.held_as())
            }
        }
    }
}
