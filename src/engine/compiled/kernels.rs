//! The engine's inner loops: the matrix product (split over threads when large), the fused
//! softmax + cross-entropy of a batch kept classes×samples, and the per-sample argmax.
//!
//! # Layout
//! A batch of activations is units×samples, row-major: row `c` holds unit c for every sample, so
//! every loop below runs along contiguous samples and the compiler can vectorise it.

use super::Real;
use super::direct::{self, DOT_MAX_ROWS};
use super::team::Team;
use crate::activation::Activation;
use crate::error::{Error, Result, Setting};
use crate::softmax::RowStats;

/// Products with fewer multiply-adds than this run on the calling thread: a hand-off to the
/// [`Team`] costs a cache-line transfer each way and the split's bookkeeping, more than Iris's
/// whole step (W1, W2 of the benchmarks).
const PARALLEL_MIN_FLOPS: usize = 1 << 17;

/// Rows of C each thread must get for a product on the direct kernels to be split by rows
/// ([`Gemm::keeping_rows`]): fewer, and the threads would share tiles of rows.
const MIN_ROWS_PER_THREAD: usize = 32;

/// Columns per thread below which a split is not worth it (matrixmultiply packs 4–8 columns at a time).
const MIN_COLUMNS_PER_THREAD: usize = 16;

/// Numbers below which an elementwise pass ([`Gemm::each`]) stays on the calling thread: waking
/// the other costs a few microseconds, the pass over a few thousand numbers less.
const ELEMENTWISE_MIN: usize = 1 << 15;

/// Products with fewer multiply-adds than this are plain loops: matrixmultiply packs its
/// operands first, which for Iris's 3×4 weights costs more than the product.
const SMALL_FLOPS: usize = 1 << 12;

/// Columns of B a thread transposes at a time for [`Gemm::product`]'s transposed route: the
/// chunk (784 features × 64 samples: 400 KiB in f64) stays in L2 while the product reads it,
/// where a whole block of an evaluation pass's 1,024 samples would not.
const TRANSPOSED_COLUMNS: usize = 64;

/// Elements of one thread's chunk of transposed columns: k rows of [`TRANSPOSED_COLUMNS`] and
/// a pad ([`direct::transpose_pad`]).
fn transposed_chunk<F>(k: usize) -> usize {
    k * (TRANSPOSED_COLUMNS + direct::transpose_pad::<F>())
}

/// A strided read-only matrix: element (r, c) at `data[r·rs + c·cs]`.
#[derive(Clone, Copy)]
pub struct MatRef<'a, F> {
    /// The numbers.
    pub data: &'a [F],
    /// Row stride, in elements.
    pub rs: usize,
    /// Column stride, in elements.
    pub cs: usize,
}

/// Matrix products on a fixed number of threads (clones share the threads). The threads are
/// started by the first product large enough to be split: Iris-sized runs never start one.
#[derive(Clone)]
pub struct Gemm {
    /// `None` inside once starting the threads failed: the products then run on the caller's
    /// thread, with the same bits.
    pool: std::sync::Arc<std::sync::OnceLock<Option<Team>>>,
    threads: usize,
    /// Whether a product with many rows on the direct kernels is split by rows of C
    /// ([`Gemm::keeping_rows`]) rather than by columns.
    by_rows: bool,
}

/// Threads allowed per core of the machine ([`check_threads`]).
pub const THREADS_PER_CORE: usize = 4;

/// The rule for a thread count, `--threads`: one thread at least, and at most
/// [`THREADS_PER_CORE`] per core. The products are pure arithmetic, so threads beyond the cores
/// only take turns on them (the same bits, no sooner), while each costs a stack and its start:
/// 100,000 threads turned a 0.5 s run into a minute and kept SIGTERM waiting. Four per core
/// leaves room to measure oversubscription without letting a typo start thousands.
pub fn check_threads(threads: usize) -> Result<usize> {
    if threads == 0 {
        return Err(Error::invalid_value(Setting::Threads, 0, "one thread at least"));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let most = THREADS_PER_CORE * cores;
    if threads > most {
        return Err(Error::invalid_value(
            Setting::Threads,
            threads,
            format!(
                "at most {most} on this machine ({THREADS_PER_CORE} per core, {cores} cores): more threads than \
                 cores only take turns, and each costs memory and start-up time"
            ),
        ));
    }
    Ok(threads)
}

/// Which kernel a product runs on: [`super::direct`]'s for the shapes it reads in place or
/// transposed into scratch, else matrixmultiply's packed one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Dot,
    Axpy,
    /// B's columns copied as rows into scratch, then [`direct::axpy_columns`].
    Transposed,
    Packed,
}

/// What [`Gemm::product`] does to each block of C (of columns, or of rows) right after computing it, on the
/// thread that computed it, while the block is still in that core's cache: a dense layer's bias
/// and activation. Done after the product on the calling thread instead, they were two passes
/// over the whole output on one core while the others waited (an evaluation pass's 4,096 samples
/// × 128 units: 4 MiB each way).
pub struct Then<'a, F> {
    /// b_i added to every element of row i of C.
    pub bias: Option<&'a [F]>,
    /// Then a = f(C), into this m×n buffer (C keeps z).
    pub activation: Option<(Activation, &'a mut [F])>,
}

impl<F> Then<'_, F> {
    /// Nothing after the product.
    pub fn nothing() -> Self {
        Then { bias: None, activation: None }
    }
}

/// A pointer handed to another thread; each thread writes a disjoint block of columns of C.
#[derive(Clone, Copy)]
struct SendPtr<F>(*mut F);
// SAFETY: the blocks written through it are disjoint (see `Gemm::product`), and the matrices
// outlive the scope the threads run in.
unsafe impl<F> Send for SendPtr<F> {}
unsafe impl<F> Sync for SendPtr<F> {}

impl Gemm {
    /// `threads` ≥ 1 ([`check_threads`]).
    pub fn new(threads: usize) -> Result<Gemm> {
        Ok(Gemm { pool: Default::default(), threads: check_threads(threads)?, by_rows: false })
    }

    /// A clone (on the same threads) for a training step's products: those with many rows of
    /// C on the direct kernels are split by rows, so a thread computes the same rows of a
    /// layer's output and of its weight gradient step after step, and keeps them in its own
    /// cache. The optimizer's update ([`Gemm::each`]) is split into equal flat blocks, which
    /// for a wide first layer fall close to the same rows (W4: the caller's block is W1's rows
    /// 0–63 and 709 numbers of row 64, the product's block rows 0–63). Split by columns, each
    /// thread read every row of the weights the other had just updated, through the shared
    /// cache: W4 f32, 2 threads, median 294 → 241 ms with [`super::team`] (quiet machine,
    /// 2026-12-06). Evaluation passes stay split by columns:
    /// their weights do not change between products, and a row split would have every thread
    /// transpose every sample.
    pub fn keeping_rows(&self) -> Gemm {
        Gemm { by_rows: true, ..self.clone() }
    }

    /// How many threads a large product is split over.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The scratch [`Gemm::product`] needs to run a B of k rows with contiguous columns
    /// transposed: a chunk of `TRANSPOSED_COLUMNS` (64) columns per thread.
    pub fn transposed_len<F>(&self, k: usize) -> usize {
        transposed_chunk::<F>(k) * self.threads
    }

    /// The threads besides the caller's (which takes a block of every split product itself).
    fn pool(&self) -> Option<&Team> {
        self.pool.get_or_init(|| Team::start(self.threads)).as_ref()
    }

    /// Into how many blocks work on `len` numbers, one pass over each, is split
    /// ([`Gemm::each`]): one per thread from `ELEMENTWISE_MIN` (32,768) numbers on, else one.
    pub fn elementwise_parts(&self, len: usize) -> usize {
        if len >= ELEMENTWISE_MIN { self.threads } else { 1 }
    }

    /// `work` on every part, the first on the calling thread and the others on the team's (at
    /// most one part a thread): the optimizer's update of W4's 101,770 parameters, 5% of a step
    /// on the caller alone while the other thread waited for the next product.
    pub fn each<T: Send>(&self, parts: Vec<T>, work: impl Fn(T) + Sync) {
        let slots: Vec<std::sync::Mutex<Option<T>>> =
            parts.into_iter().map(|p| std::sync::Mutex::new(Some(p))).collect();
        let block = |i: usize| {
            let part = slots[i].lock().unwrap_or_else(|e| e.into_inner()).take();
            part.into_iter().for_each(&work);
        };
        match (slots.len(), if slots.len() > 1 { self.pool() } else { None }) {
            (0, _) => {}
            (2.., Some(team)) => team.run(slots.len(), &block),
            _ => (0..slots.len()).for_each(block),
        }
    }

    /// C ← A·B + β·C, with C m×n row-major and contiguous.
    ///
    /// Large products are split into blocks of columns of C, one per thread, or of rows
    /// ([`Gemm::keeping_rows`]). Every element of C is then still one dot product taken in the
    /// same order on one thread, so the result has the same bits at any thread count and either
    /// split.
    ///
    /// `scratch`, of at least [`Gemm::transposed_len`] elements, lets a product whose B has contiguous
    /// columns and whose A has many rows (a first layer's forward product on row-major samples)
    /// run on [`direct::axpy_columns`]: each thread copies its own block of B's columns (all of
    /// them, when split by rows) into it as rows, a chunk at a time, so that they are still in
    /// the thread's cache when the product reads them.
    ///
    /// `then` runs on each block as soon as it is computed ([`Then`]).
    ///
    /// # Shapes
    /// `a`: m×k, `b`: k×n, `c`: m×n; `then`'s bias m, its activation's buffer m×n.
    #[allow(clippy::too_many_arguments)]
    pub fn product<F: Real>(
        &self,
        m: usize,
        k: usize,
        n: usize,
        a: MatRef<F>,
        b: MatRef<F>,
        beta: F,
        c: &mut [F],
        scratch: Option<&mut [F]>,
        then: Then<F>,
    ) {
        let extent = |x: &MatRef<F>, r: usize, col: usize| {
            if r == 0 || col == 0 { 0 } else { (r - 1) * x.rs + (col - 1) * x.cs + 1 }
        };
        assert!(
            extent(&a, m, k) <= a.data.len() && extent(&b, k, n) <= b.data.len() && m * n <= c.len(),
            "gemm operands too short"
        );
        if m == 0 || n == 0 {
            return;
        }
        let bias = then.bias.inspect(|b| assert!(b.len() >= m, "bias shorter than the product's rows"));
        let activation = then.activation.map(|(f, out)| {
            assert!(out.len() >= m * n, "activation buffer shorter than the product");
            (f, SendPtr(out.as_mut_ptr()))
        });
        let c_at = SendPtr(c.as_mut_ptr());
        // Columns j0..j1 of rows i0..i1: + bias, then the activation.
        let finish = move |i0: usize, i1: usize, j0: usize, j1: usize| {
            if bias.is_none() && activation.is_none() {
                return;
            }
            let (c_at, activation) = (c_at, activation);
            for i in i0..i1 {
                // SAFETY: (i, j0..j1) lies in C and in the activation's buffer (lengths checked
                // above); the caller of `finish` owns these columns, no other thread touches them.
                let z = unsafe { std::slice::from_raw_parts_mut(c_at.0.add(i * n + j0), j1 - j0) };
                if let Some(bias) = bias {
                    let b = bias[i];
                    z.iter_mut().for_each(|z| *z = *z + b);
                }
                if let Some((f, out)) = activation {
                    // SAFETY: as above.
                    let a = unsafe { std::slice::from_raw_parts_mut(out.0.add(i * n + j0), j1 - j0) };
                    f.f_each(z, a);
                }
            }
        };
        if m * k * n < SMALL_FLOPS {
            small_product(m, k, n, a, b, beta, c);
            finish(0, m, 0, n);
            return;
        }
        let split = self.threads > 1 && m * k * n >= PARALLEL_MIN_FLOPS;
        let scratch = scratch.filter(|s| s.len() >= self.transposed_len::<F>(k));
        let route = match () {
            _ if beta != F::zero() || !direct::available() => Route::Packed,
            _ if a.cs == 1 && b.rs == 1 && m <= DOT_MAX_ROWS => Route::Dot,
            _ if b.cs == 1 => Route::Axpy,
            _ if b.rs == 1 && scratch.is_some() => Route::Transposed,
            _ => Route::Packed,
        };
        let by_rows = split
            && self.by_rows
            && matches!(route, Route::Axpy | Route::Transposed)
            && m >= MIN_ROWS_PER_THREAD * self.threads;
        let parts = match (split, by_rows) {
            (false, _) => 1,
            (true, true) => self.threads,
            (true, false) => self.threads.min(n / MIN_COLUMNS_PER_THREAD).max(1),
        };
        let (ap, bp, cp) = (SendPtr(a.data.as_ptr() as *mut F), SendPtr(b.data.as_ptr() as *mut F), c_at);
        let sp = SendPtr(scratch.map_or(std::ptr::null_mut(), |s| s.as_mut_ptr()));
        // Blocks of whole panels of the kernel (16 columns, or [`direct::panel_width`]), the
        // ragged rest going to the last block: the first is the caller's, which has the serial
        // work between products to do too (W4's weight gradient: 384 + 400 columns, where 400 +
        // 384 gave the caller 12 panels and two narrow ones).
        let unit = match route {
            Route::Axpy | Route::Transposed => direct::panel_width::<F>(),
            Route::Dot | Route::Packed => 16,
        };
        let even = n / parts;
        let per = if even >= unit { even / unit * unit } else { (even / 16 * 16).max(1) };
        let span = |part: usize| (part * per, if part + 1 == parts { n } else { (part + 1) * per });
        let (a_len, b_len) = (a.data.len(), b.data.len());
        // Split by rows: as even as can be (W4's 128 hidden units: 64 + 64, each 10 tiles of 6
        // rows and one of 4 in `direct::axpy_columns`).
        let row_span = |part: usize| (part * m / parts, (part + 1) * m / parts);
        let block = |part: usize| {
            let ((i0, i1), (j0, j1)) = if by_rows { (row_span(part), (0, n)) } else { ((0, m), span(part)) };
            // Whole wrappers, not their fields, are captured: the closure must be Send.
            let (ap, bp, cp, sp) = (ap, bp, cp, sp);
            match route {
                Route::Dot | Route::Axpy | Route::Transposed => {
                    // SAFETY: the pointers come from slices of these lengths that outlive the
                    // call, and A and B are only read.
                    let (a, b) = unsafe {
                        (
                            MatRef { data: std::slice::from_raw_parts(ap.0 as *const F, a_len), rs: a.rs, cs: a.cs },
                            MatRef { data: std::slice::from_raw_parts(bp.0 as *const F, b_len), rs: b.rs, cs: b.cs },
                        )
                    };
                    // SAFETY: the CPU has AVX-512 (`direct::available`); C holds m×n elements
                    // (checked above) and aliases neither A nor B; each block writes only its
                    // own columns [j0, j1).
                    #[cfg(target_arch = "x86_64")]
                    unsafe {
                        // Rows i0..i1 of C (all of them unless split by rows): A and C from
                        // row i0 on.
                        let o = direct::Operands {
                            m: i1 - i0,
                            k,
                            n,
                            a: MatRef { data: &a.data[i0 * a.rs..], ..a },
                            b,
                            c: cp.0.add(i0 * n),
                        };
                        match route {
                            Route::Dot => direct::dot_columns(o, j0, j1),
                            Route::Axpy => direct::axpy_columns(o, j0, j1),
                            Route::Transposed => {
                                // The block's own region of scratch (`Gemm::transposed_len` holds
                                // one per thread), written by no other block; chunk by chunk of
                                // samples, C is passed from the chunk's first column on.
                                let region = std::slice::from_raw_parts_mut(
                                    sp.0.add(part * transposed_chunk::<F>(k)),
                                    transposed_chunk::<F>(k),
                                );
                                for c0 in (j0..j1).step_by(TRANSPOSED_COLUMNS) {
                                    let c1 = (c0 + TRANSPOSED_COLUMNS).min(j1);
                                    let rows = direct::transpose_columns(k, b, c0, c1, region);
                                    direct::axpy_columns(direct::Operands { b: rows, c: o.c.add(c0), ..o }, 0, c1 - c0);
                                    // Each chunk while it is in cache.
                                    finish(i0, i1, c0, c1);
                                }
                            }
                            Route::Packed => unreachable!("the packed route is the arm below"),
                        }
                        if route != Route::Transposed {
                            finish(i0, i1, j0, j1);
                        }
                    }
                    #[cfg(not(target_arch = "x86_64"))]
                    unreachable!("direct::available is false off x86-64: {:?}", (a.rs, b.rs))
                }
                // SAFETY: the extents were checked above; [j0, j1) is this call's own block of
                // columns of C, and C is a &mut slice that aliases neither A nor B.
                Route::Packed => unsafe {
                    F::gemm(
                        m,
                        k,
                        j1 - j0,
                        F::one(),
                        ap.0,
                        a.rs as isize,
                        a.cs as isize,
                        bp.0.add(j0 * b.cs),
                        b.rs as isize,
                        b.cs as isize,
                        beta,
                        cp.0.add(j0),
                        n as isize,
                        1,
                    );
                    finish(0, m, j0, j1);
                },
            }
        };
        match (if parts > 1 { self.pool() } else { None }, parts) {
            (Some(team), p) if p > 1 => team.run(p, &block),
            _ => block(0),
        }
    }
}

/// C ← A·B + β·C for small shapes, by plain loops laid out for whichever operand is contiguous:
/// - rows of B contiguous: C's row i accumulates a_ip·(row p of B) over p in order, a run along
///   contiguous memory the compiler vectorises;
/// - rows of A and columns of B contiguous: each element a dot product in 8 lanes ([`dot`]);
/// - otherwise a plain dot product per element.
///
/// Which loop runs depends on the shapes and strides only, never on the thread count.
fn small_product<F: Real>(m: usize, k: usize, n: usize, a: MatRef<F>, b: MatRef<F>, beta: F, c: &mut [F]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has the features the copy is compiled for.
        return unsafe { small_product_avx2(m, k, n, a, b, beta, c) };
    }
    small_product_body(m, k, n, a, b, beta, c)
}

/// [`small_product`] compiled with AVX2: the same operations in the same order, the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn small_product_avx2<F: Real>(m: usize, k: usize, n: usize, a: MatRef<F>, b: MatRef<F>, beta: F, c: &mut [F]) {
    small_product_body(m, k, n, a, b, beta, c)
}

#[inline(always)]
fn small_product_body<F: Real>(m: usize, k: usize, n: usize, a: MatRef<F>, b: MatRef<F>, beta: F, c: &mut [F]) {
    for i in 0..m {
        let row = &mut c[i * n..(i + 1) * n];
        if b.cs == 1 {
            if beta == F::zero() {
                row.fill(F::zero());
            } else {
                row.iter_mut().for_each(|v| *v = beta * *v);
            }
            for p in 0..k {
                let a_ip = a.data[i * a.rs + p * a.cs];
                let b_row = &b.data[p * b.rs..p * b.rs + n];
                row.iter_mut().zip(b_row).for_each(|(v, &x)| *v = *v + a_ip * x);
            }
        } else {
            for (j, v) in row.iter_mut().enumerate() {
                let d = if a.cs == 1 && b.rs == 1 {
                    dot(&a.data[i * a.rs..i * a.rs + k], &b.data[j * b.cs..j * b.cs + k])
                } else {
                    (0..k).fold(F::zero(), |s, p| s + a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs])
                };
                *v = if beta == F::zero() { d } else { d + beta * *v };
            }
        }
    }
}

/// Σ x_i·y_i in 8 interleaved partial sums, added pairwise at the end: eight independent
/// chains instead of one, so the adds overlap; the order is fixed by the length alone.
pub fn dot<F: Real>(x: &[F], y: &[F]) -> F {
    let mut lanes = [F::zero(); 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for l in 0..8 {
            lanes[l] = lanes[l] + xs[l] * ys[l];
        }
    }
    for (l, (&a, &b)) in xr.iter().zip(yr).enumerate() {
        lanes[l] = lanes[l] + a * b;
    }
    ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))
}

/// Σ x_i in 8 interleaved partial sums (as [`dot`]).
pub fn sum<F: Real>(x: &[F]) -> F {
    let mut lanes = [F::zero(); 8];
    let xc = x.chunks_exact(8);
    let xr = xc.remainder();
    for xs in xc {
        for l in 0..8 {
            lanes[l] = lanes[l] + xs[l];
        }
    }
    for (l, &a) in xr.iter().enumerate() {
        lanes[l] = lanes[l] + a;
    }
    ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))
}

/// Per-sample scratch for the softmax kernels: each column's largest logit, where it is, and
/// the sum of the other exponentials relative to it (a [`RowStats`] per column).
pub struct ColStats<F> {
    /// Each sample's largest logit.
    pub max: Vec<F>,
    /// Where it is (the first, on a tie).
    pub argmax: Vec<usize>,
    /// Σ exp(z − max) over the other logits.
    pub rest: Vec<F>,
    /// 1 + s, s/(1 + s) and ln(1 + s) per sample.
    total: Vec<F>,
    log1p_rest: Vec<F>,
    rest_share: Vec<F>,
    /// Each sample's argmax and label as floats.
    argmax_f: Vec<F>,
    label_f: Vec<F>,
    /// One column, gathered, for the rare sample whose class needs the exact log-probabilities.
    column: Vec<F>,
}

impl<F: Real> ColStats<F> {
    /// Scratch for up to `samples` samples of `classes` logits.
    pub fn new(samples: usize, classes: usize) -> ColStats<F> {
        ColStats {
            max: vec![F::zero(); samples],
            argmax: vec![0; samples],
            rest: vec![F::zero(); samples],
            total: vec![F::zero(); samples],
            log1p_rest: vec![F::zero(); samples],
            rest_share: vec![F::zero(); samples],
            argmax_f: vec![F::zero(); samples],
            label_f: vec![F::zero(); samples],
            column: vec![F::zero(); classes],
        }
    }

    /// The gap below the largest logit within which `ColStats::class_of` must look closer.
    pub fn tie_tolerance(k: usize) -> F {
        F::epsilon() * F::of(4.0 * (k as f64).ln().max(1.0))
    }

    /// The max and first argmax of each column of `z`.
    ///
    /// # Shapes
    /// `z`: k×m.
    fn find_max(&mut self, z: &[F], k: usize, m: usize) {
        let (max, arg) = (&mut self.max[..m], &mut self.argmax[..m]);
        max.copy_from_slice(&z[..m]);
        arg.fill(0);
        for c in 1..k {
            for ((mx, a), &v) in max.iter_mut().zip(arg.iter_mut()).zip(&z[c * m..(c + 1) * m]) {
                if v > *mx {
                    *mx = v;
                    *a = c;
                }
            }
        }
    }

    /// The class of sample j as [`crate::predict::classes`] gives it: the first largest
    /// log-probability. That is the first largest logit unless an earlier logit is so close
    /// below the largest that its log-probability (z_c − max) − ln(1 + s) rounds to the
    /// largest's −ln(1 + s); since ln(1 + s) ≤ ln k, a gap over 4·ε·max(ln k, 1) rules that
    /// out, and only then are the exact log-probabilities needed.
    fn class_of(&mut self, z: &[F], k: usize, m: usize, j: usize, tol: F) -> usize {
        let (mx, arg) = (self.max[j], self.argmax[j]);
        if (0..arg).all(|c| mx - z[c * m + j] > tol) {
            return arg;
        }
        for (c, v) in self.column[..k].iter_mut().enumerate() {
            *v = z[c * m + j];
        }
        first_largest_log_prob(&RowStats::of(&self.column[..k]), &self.column[..k])
    }
}

/// The first class with the largest log-probability, from the logits `z` of one sample and
/// their [`RowStats`]: the exact rule of [`crate::predict::classes`], for samples whose largest
/// logits are too close to tell apart by the logits alone (see [`ColStats::tie_tolerance`]).
pub fn first_largest_log_prob<F: Real>(stats: &RowStats<F>, z: &[F]) -> usize {
    let mut best = (0, stats.log_prob(0, z[0]));
    for (c, &v) in z.iter().enumerate().skip(1) {
        let lp = stats.log_prob(c, v);
        if lp > best.1 {
            best = (c, lp);
        }
    }
    best.0
}

/// e ← exp(e) elementwise: the only `exp` of a training step (one per logit).
pub fn exp_in_place<F: Real>(e: &mut [F]) {
    F::exp_slice(e)
}

/// What the fused kernel hands back for a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchOut<F> {
    /// The mean loss E = −(1/m) Σ_j log_b ŷ_{j, label j}.
    pub loss: F,
    /// How many samples the model (before this step's update) classes right.
    pub correct: usize,
    /// Whether every logit (output) was finite: if not, the classes are undefined.
    pub logits_finite: bool,
}

/// Softmax + cross-entropy over a batch of logits, fused: the loss, and the gradient at the
/// logits (ŷ − y)/(m·ln b) written into `grad`, with one `exp` per logit.
///
/// Column by column this is [`crate::softmax::cross_entropy_row`]: the same max, the same order
/// of the sum s, the same formulas for ln ŷ and for ŷ − y (exact near certainty); only the
/// exponentials and the ln(1 + s) are the vectorised ones of [`super::vexp`] and
/// [`super::vlog`], within 1 ulp of libm's.
///
/// # Shapes
/// `z`, `grad`: k×m (classes×samples), `labels`: m.
pub fn softmax_cross_entropy<F: Real>(
    z: &[F],
    k: usize,
    m: usize,
    labels: &[usize],
    ln_base: F,
    grad: &mut [F],
    stats: &mut ColStats<F>,
) -> BatchOut<F> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has the features the copy is compiled for.
        return unsafe { softmax_cross_entropy_avx2(z, k, m, labels, ln_base, grad, stats) };
    }
    softmax_cross_entropy_body(z, k, m, labels, ln_base, grad, stats)
}

/// The kernel compiled with AVX2 enabled: the same operations in the same order (no fused
/// multiply-add is ever formed), so the same bits, in wider vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn softmax_cross_entropy_avx2<F: Real>(
    z: &[F],
    k: usize,
    m: usize,
    labels: &[usize],
    ln_base: F,
    grad: &mut [F],
    stats: &mut ColStats<F>,
) -> BatchOut<F> {
    softmax_cross_entropy_body(z, k, m, labels, ln_base, grad, stats)
}

#[inline(always)]
fn softmax_cross_entropy_body<F: Real>(
    z: &[F],
    k: usize,
    m: usize,
    labels: &[usize],
    ln_base: F,
    grad: &mut [F],
    stats: &mut ColStats<F>,
) -> BatchOut<F> {
    let (z, grad) = (&z[..k * m], &mut grad[..k * m]);
    let logits_finite = z.iter().fold(true, |ok, v| ok & v.is_finite());
    stats.find_max(z, k, m);
    // e_cj = exp(z_cj − max_j): the one exp per logit, kept in `grad` until the gradient replaces it.
    for c in 0..k {
        let (zr, er) = (&z[c * m..(c + 1) * m], &mut grad[c * m..(c + 1) * m]);
        for ((e, &v), &mx) in er.iter_mut().zip(zr).zip(&stats.max[..m]) {
            *e = v - mx;
        }
    }
    exp_in_place(grad);
    // s_j = Σ_{c≠argmax} e_cj, in ascending c as RowStats sums it (adding an exact 0 for the
    // argmax changes no bit).
    let rest = &mut stats.rest[..m];
    rest.fill(F::zero());
    for c in 0..k {
        for ((s, &e), &a) in rest.iter_mut().zip(&grad[c * m..(c + 1) * m]).zip(&stats.argmax[..m]) {
            *s = *s + if a == c { F::zero() } else { e };
        }
    }
    let log1p_rest = &mut stats.log1p_rest[..m];
    log1p_rest.copy_from_slice(&stats.rest[..m]);
    F::ln_1p_slice(log1p_rest);
    let mut sum_log_p = F::zero();
    let mut correct = 0;
    let tol = ColStats::<F>::tie_tolerance(k);
    for (j, &t) in labels[..m].iter().enumerate() {
        let (mx, a, s) = (stats.max[j], stats.argmax[j], stats.rest[j]);
        stats.total[j] = F::one() + s;
        stats.rest_share[j] = s / stats.total[j];
        // Class numbers as floats: the gradient loop below then compares floats, which every
        // x86-64 vectorises (64-bit integer compares need SSE4.1).
        (stats.argmax_f[j], stats.label_f[j]) = (F::of(a as f64), F::of(t as f64));
        let l1p = stats.log1p_rest[j];
        sum_log_p = sum_log_p + if t == a { -l1p } else { (z[t * m + j] - mx) - l1p };
        if stats.class_of(z, k, m, j, tol) == t {
            correct += 1;
        }
    }
    let scale = F::one() / (F::of(m as f64) * ln_base);
    let per_sample =
        stats.argmax_f[..m].iter().zip(&stats.total[..m]).zip(&stats.rest_share[..m]).zip(&stats.label_f[..m]);
    for c in 0..k {
        let cf = F::of(c as f64);
        // Both branches are computed and one is kept: a select the compiler vectorises.
        for (g, (((&a, &total), &share), &t)) in grad[c * m..(c + 1) * m].iter_mut().zip(per_sample.clone()) {
            let y = if t == cf { F::one() } else { F::zero() };
            let d = if a == cf { (F::one() - y) - share } else { *g / total - y };
            *g = d * scale;
        }
    }
    // As the tape scales the summed log-probabilities: by −1/(m·ln b); + 0 turns −0 into 0.
    let loss = sum_log_p * (-F::one() / (F::of(m as f64) * ln_base)) + F::zero();
    BatchOut { loss, correct, logits_finite }
}

/// softmax (or ln softmax with `log`) of each column of `z` into `out`, as
/// [`crate::softmax::softmax_row`] / [`crate::softmax::log_softmax_row`] give each row.
///
/// # Shapes
/// `z`, `out`: k×m.
pub fn softmax_columns<F: Real>(z: &[F], k: usize, m: usize, log: bool, out: &mut [F], stats: &mut ColStats<F>) {
    stats.find_max(z, k, m);
    let out = &mut out[..k * m];
    for c in 0..k {
        for ((e, &v), &mx) in out[c * m..(c + 1) * m].iter_mut().zip(&z[c * m..(c + 1) * m]).zip(&stats.max[..m]) {
            *e = v - mx;
        }
    }
    let rest = &mut stats.rest[..m];
    rest.fill(F::zero());
    for c in 0..k {
        for (j, s) in rest.iter_mut().enumerate() {
            if stats.argmax[j] != c {
                *s = *s + out[c * m + j].exp();
            }
        }
    }
    for c in 0..k {
        for (j, o) in out[c * m..(c + 1) * m].iter_mut().enumerate() {
            let (a, s) = (stats.argmax[j], stats.rest[j]);
            *o = match (log, a == c) {
                (true, true) => -s.ln_1p(),
                (true, false) => *o - s.ln_1p(),
                (false, true) => F::one() / (F::one() + s),
                (false, false) => o.exp() / (F::one() + s),
            };
        }
    }
}

/// Each sample's class from its logits `z` (as [`crate::predict::classes`] gives it from the
/// log-probabilities) into `classes`, or an error if a logit is not finite: past that the
/// probabilities are undefined (the model diverged).
///
/// # Shapes
/// `z`: k×m, `classes`: m.
pub fn classes_of_logits<F: Real>(
    z: &[F],
    k: usize,
    m: usize,
    classes: &mut [usize],
    stats: &mut ColStats<F>,
) -> Result<()> {
    if let Some(j) = first_overflow(z, k, m) {
        return Err(crate::error::logits_overflow(j + 1, F::FLOAT_NAME));
    }
    stats.find_max(z, k, m);
    let tol = ColStats::<F>::tie_tolerance(k);
    for (j, class) in classes[..m].iter_mut().enumerate() {
        *class = stats.class_of(z, k, m, j, tol);
    }
    Ok(())
}

/// The first sample (column of `z`, k×m) with a logit that is not finite.
pub fn first_overflow<F: Real>(z: &[F], k: usize, m: usize) -> Option<usize> {
    (0..k).filter_map(|c| z[c * m..(c + 1) * m].iter().position(|v| !v.is_finite())).min()
}

/// Each sample's first largest output (for outputs that are not logits: a quadratic loss's).
///
/// # Shapes
/// `out`: k×m, `classes`: m.
pub fn argmax_columns<F: Real>(out: &[F], k: usize, m: usize, classes: &mut [usize], stats: &mut ColStats<F>) {
    stats.find_max(out, k, m);
    classes[..m].copy_from_slice(&stats.argmax[..m]);
}
