//! Matrix products read straight from their operands, with no packing, for the two shapes a
//! training step on row-major data has:
//! - [`dot_columns`]: C = A·B where rows of A and columns of B are contiguous and A has few
//!   rows: the forward product W·xᵀ of a layer with few outputs (W3's 10 classes), each element
//!   a dot product of a weight row with a sample;
//! - [`axpy_columns`]: C = A·B where rows of B are contiguous: the weight gradient G·x (the sum
//!   over samples of a unit's gradient times a sample row), any number of rows; and, after
//!   [`transpose_columns`] has copied a chunk of samples into rows, the forward product of a
//!   layer with many outputs (W4's 128).
//!
//! matrixmultiply copies both operands into panels on every call; for these shapes that copy
//! (the whole batch, twice per step) took longer than the arithmetic (measured: `pack_avx512`
//! 25% of W3 against 19% in the kernel). Here the batch is read where it lies (or, for W4's first
//! layer, transposed a chunk at a time by the thread that multiplies it), in tiles of AVX-512
//! accumulators that stay in registers: up to 10 rows × 2 samples in [`dot_columns`], 6 rows × 4 vectors in
//! [`axpy_columns`]. On W4's first layer, streaming 64-sample batches from memory on one core,
//! transpose + [`axpy_columns`] measured 52–55 GFLOP/s in f64 and 87–93 in f32, against
//! matrixmultiply's 39–43 and 78–84 (both including their copies). Written with the intrinsics (through
//! [`Lanes`], once for f32 and f64): left to the compiler, the generic loops stayed scalar, 10×
//! slower. On a CPU without AVX-512 [`available`] is false and the products stay packed.
//!
//! # Same bits on any split
//! Every element of C is computed by one fixed sequence of fused multiply-adds that depends only
//! on k (never on where the element's block starts or which thread takes it): in
//! [`dot_columns`], p goes to lane p mod L, each lane sums in p order, and the lanes are added
//! in one fixed tree; in [`axpy_columns`], each element is Σ_p in p order (its blocks over p
//! carry the running sum through C, so they change no rounding). So a block of columns (or, in
//! [`axpy_columns`], of rows: A and C taken from the block's first row) of C gives the same bits
//! whoever computes it, and the thread count changes nothing.

use super::Real;
use super::kernels::MatRef;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// The most rows of A [`dot_columns`] takes: past that, every block of samples would read all
/// of A again from L2, and packing pays.
pub const DOT_MAX_ROWS: usize = 16;

/// Whether this CPU runs the kernels (AVX-512 with FMA).
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// One AVX-512 register of the float type and the five operations the kernels use.
///
/// # Safety
/// Every method needs AVX-512F; pointers must be valid for [`Lanes::L`] elements.
pub trait Lanes: Copy {
    /// The register.
    #[cfg(target_arch = "x86_64")]
    type V: Copy;
    /// Elements per register.
    const L: usize;
    /// 0 in every lane.
    ///
    /// # Safety
    /// As the trait's.
    #[cfg(target_arch = "x86_64")]
    unsafe fn vzero() -> Self::V;
    /// L elements from `p`.
    ///
    /// # Safety
    /// As the trait's.
    #[cfg(target_arch = "x86_64")]
    unsafe fn load(p: *const Self) -> Self::V;
    /// `x` in every lane.
    ///
    /// # Safety
    /// As the trait's.
    #[cfg(target_arch = "x86_64")]
    unsafe fn splat(x: Self) -> Self::V;
    /// a·b + c, rounded once.
    ///
    /// # Safety
    /// As the trait's.
    #[cfg(target_arch = "x86_64")]
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// The register into L elements at `p`.
    ///
    /// # Safety
    /// As the trait's.
    #[cfg(target_arch = "x86_64")]
    unsafe fn store(p: *mut Self, v: Self::V);
    /// An 8×8 block transposed: elements 0..8 of each `src[s]` become element s of the 8
    /// rows `dst`, `dst + stride`, …, `dst + 7·stride`, in shuffles of whole registers
    /// (one element at a time, the copy took 4 instructions a number).
    ///
    /// # Safety
    /// AVX-512F; every `src[s]` valid for 8 reads, `dst + r·stride` for 8 writes, r < 8.
    #[cfg(target_arch = "x86_64")]
    unsafe fn transpose8(src: [*const Self; 8], dst: *mut Self, stride: usize);
}

/// [`Lanes`] for a float type from its AVX-512 register type and intrinsics.
macro_rules! lanes {
    ($t:ty, $v:ident, $l:expr, $zero:ident, $load:ident, $set1:ident, $fmadd:ident, $store:ident, $transpose8:ident) => {
        impl Lanes for $t {
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn transpose8(src: [*const $t; 8], dst: *mut $t, stride: usize) {
                // SAFETY: the caller's contract.
                unsafe { $transpose8(src, dst, stride) }
            }
            #[cfg(target_arch = "x86_64")]
            type V = $v;
            const L: usize = $l;
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn vzero() -> $v {
                $zero()
            }
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn load(p: *const $t) -> $v {
                // SAFETY: the caller's contract.
                unsafe { $load(p) }
            }
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn splat(x: $t) -> $v {
                $set1(x)
            }
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn fma(a: $v, b: $v, c: $v) -> $v {
                $fmadd(a, b, c)
            }
            #[cfg(target_arch = "x86_64")]
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn store(p: *mut $t, v: $v) {
                // SAFETY: the caller's contract.
                unsafe { $store(p, v) }
            }
        }
    };
}

lanes!(
    f64,
    __m512d,
    8,
    _mm512_setzero_pd,
    _mm512_loadu_pd,
    _mm512_set1_pd,
    _mm512_fmadd_pd,
    _mm512_storeu_pd,
    transpose8_f64
);
lanes!(
    f32,
    __m512,
    16,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_set1_ps,
    _mm512_fmadd_ps,
    _mm512_storeu_ps,
    transpose8_f32
);

/// [`Lanes::transpose8`] for f64, 8 numbers a register: pairs interleaved, then 128-bit lanes
/// gathered twice (`shuffle_f64x2`: 0x88 takes lanes 0 and 2 of each input, 0xDD lanes 1 and 3).
///
/// # Safety
/// As [`Lanes::transpose8`].
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn transpose8_f64(src: [*const f64; 8], dst: *mut f64, stride: usize) {
    // SAFETY: the caller's contract.
    unsafe {
        let r: [__m512d; 8] = std::array::from_fn(|s| _mm512_loadu_pd(src[s]));
        // t[2i] = (r[2i][0], r[2i+1][0], r[2i][2], r[2i+1][2], …), t[2i+1] the odd elements.
        let t: [__m512d; 8] = std::array::from_fn(|i| {
            let (a, b) = (r[i & !1], r[i | 1]);
            if i % 2 == 0 { _mm512_unpacklo_pd(a, b) } else { _mm512_unpackhi_pd(a, b) }
        });
        // u[0] = elements 0, 4 of rows 0–3; u[1] = 2, 6; u[2] = 1, 5; u[3] = 3, 7; u[4..8] rows 4–7.
        let u: [__m512d; 8] = std::array::from_fn(|i| {
            let (half, pick) = (i / 4 * 4, i % 4);
            let (a, b) = (t[half + pick / 2], t[half + pick / 2 + 2]);
            if pick % 2 == 0 { _mm512_shuffle_f64x2::<0x88>(a, b) } else { _mm512_shuffle_f64x2::<0xDD>(a, b) }
        });
        // Element e of every row: from u[pick] (rows 0–3) and u[pick + 4] (rows 4–7).
        for (e, pick, hi) in [
            (0, 0, false),
            (4, 0, true),
            (2, 1, false),
            (6, 1, true),
            (1, 2, false),
            (5, 2, true),
            (3, 3, false),
            (7, 3, true),
        ] {
            let (a, b) = (u[pick], u[pick + 4]);
            let v = if hi { _mm512_shuffle_f64x2::<0xDD>(a, b) } else { _mm512_shuffle_f64x2::<0x88>(a, b) };
            _mm512_storeu_pd(dst.add(e * stride), v);
        }
    }
}

/// [`Lanes::transpose8`] for f32, in 256-bit registers (8 numbers): pairs interleaved, quads
/// gathered, then 128-bit halves (`permute2f128`: 0x20 the low halves, 0x31 the high).
///
/// # Safety
/// As [`Lanes::transpose8`].
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn transpose8_f32(src: [*const f32; 8], dst: *mut f32, stride: usize) {
    // SAFETY: the caller's contract.
    unsafe {
        let r: [__m256; 8] = std::array::from_fn(|s| _mm256_loadu_ps(src[s]));
        // t[2i] = (r[2i][0], r[2i+1][0], r[2i][1], r[2i+1][1] | the same of 4, 5), t[2i+1] of 2, 3 | 6, 7.
        let t: [__m256; 8] = std::array::from_fn(|i| {
            let (a, b) = (r[i & !1], r[i | 1]);
            if i % 2 == 0 { _mm256_unpacklo_ps(a, b) } else { _mm256_unpackhi_ps(a, b) }
        });
        // q[e] for e < 4 = element e | e + 4 of rows 0–3; q[e + 4] of rows 4–7.
        let q: [__m256; 8] = std::array::from_fn(|i| {
            let (half, e) = (i / 4 * 4, i % 4);
            let (a, b) = (t[half + e / 2], t[half + e / 2 + 2]);
            if e % 2 == 0 { _mm256_shuffle_ps::<0x44>(a, b) } else { _mm256_shuffle_ps::<0xEE>(a, b) }
        });
        for e in 0..4 {
            _mm256_storeu_ps(dst.add(e * stride), _mm256_permute2f128_ps::<0x20>(q[e], q[e + 4]));
            _mm256_storeu_ps(dst.add((e + 4) * stride), _mm256_permute2f128_ps::<0x31>(q[e], q[e + 4]));
        }
    }
}

/// One product C ← A·B as the kernels take it (each kernel computes a range of C's columns).
///
/// # Shapes
/// `a`: m×k, `b`: k×n, `c`: m×n.
#[derive(Clone, Copy)]
pub struct Operands<'a, F> {
    /// Rows of A and of C.
    pub m: usize,
    /// Columns of A, rows of B: the sum's length.
    pub k: usize,
    /// Columns of B and of C, and C's row stride.
    pub n: usize,
    /// A, m×k.
    pub a: MatRef<'a, F>,
    /// B, k×n.
    pub b: MatRef<'a, F>,
    /// C, m×n row-major (stride n): written, never read except where a kernel left it.
    pub c: *mut F,
}

/// Columns j0..j1 of C ← A·B (C m×n row-major, stride n), A m×k with contiguous rows
/// (`a.cs == 1`), B k×n with contiguous columns (`b.rs == 1`); m ≤ [`DOT_MAX_ROWS`].
///
/// Each block of samples is multiplied by every row of A in one pass (two passes past 10 rows),
/// so it is read from memory once and never again from L1: tiles of 4 rows × 4 samples took the
/// samples three times for W3's 10 classes, and computed 12 rows of which 2 were dropped (W3's
/// forward product, one core, f32 / f64: 51 / 92 ms an epoch in 4×4 tiles, 38 / 66 ms in 10×2).
///
/// # Safety
/// [`available`] must hold; `c` must be valid for writes of m×n elements. Only columns j0..j1
/// are written, so calls on disjoint column ranges may run at once.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
pub unsafe fn dot_columns<F: Real>(o: Operands<F>, j0: usize, j1: usize) {
    debug_assert!(o.a.cs == 1 && o.b.rs == 1 && o.m <= DOT_MAX_ROWS && j0 < j1);
    let passes = o.m.div_ceil(DOT_PASS_ROWS);
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        match o.m.div_ceil(passes) {
            ..=4 => dot_tiles::<F, 4, 4>(o, j0, j1),
            5..=6 => dot_tiles::<F, 6, 3>(o, j0, j1),
            7..=8 => dot_tiles::<F, 8, 2>(o, j0, j1),
            _ => dot_tiles::<F, DOT_PASS_ROWS, 2>(o, j0, j1),
        }
    }
}

/// The most rows of A [`dot_columns`] multiplies a block of samples by in one pass: 10 rows × 2
/// samples are 20 accumulators, with the 2 samples' vectors and a row's in registers too.
const DOT_PASS_ROWS: usize = 10;

/// Samples ahead of the block being multiplied that [`dot_columns`] asks memory for: the batch
/// is first read there (one core, W3's forward product: 4 samples ahead 1.3× faster than the next
/// block of 2, and faster than 8 ahead).
const DOT_AHEAD: usize = 4;

/// [`dot_columns`] in tiles of R rows × S samples: each element of a tile is one chain of fused
/// multiply-adds, lane p mod L taking p in order, then its lanes added by [`reduce`]: the same
/// bits whatever R and S are.
///
/// # Safety
/// As [`dot_columns`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
#[allow(clippy::needless_range_loop)]
unsafe fn dot_tiles<F: Real, const R: usize, const S: usize>(o: Operands<F>, j0: usize, j1: usize) {
    let Operands { m, k, n, a, b, c } = o;
    let l = F::L;
    let full = k / l * l;
    let mut lanes = [F::zero(); 16];
    // A tile past the edge repeats the last row or column: its sums are computed and dropped.
    let column = |j: usize| {
        let j = j.min(j1 - 1);
        &b.data[j * b.cs..j * b.cs + k]
    };
    for jb in (j0..j1).step_by(S) {
        let cols: [&[F]; S] = std::array::from_fn(|s| column(jb + s));
        let ahead: [&[F]; S] = std::array::from_fn(|s| column(jb + DOT_AHEAD + s));
        for ib in (0..m).step_by(R) {
            let rows: [&[F]; R] = std::array::from_fn(|o| {
                let i = (ib + o).min(m - 1);
                &a.data[i * a.rs..i * a.rs + k]
            });
            // SAFETY: AVX-512 is there (the caller's contract); every load reads L elements of a
            // row or column at p < full ≤ k, within the slices above.
            unsafe {
                let mut acc = [[F::vzero(); S]; R];
                for p in (0..full).step_by(l) {
                    if ib == 0 {
                        for ahead in ahead {
                            _mm_prefetch::<_MM_HINT_T0>(ahead.as_ptr().add(p) as *const i8);
                        }
                    }
                    let x: [F::V; S] = std::array::from_fn(|s| F::load(cols[s].as_ptr().add(p)));
                    // Indexed, not iterated: iterating over `acc` kept it on the stack, stored
                    // back at every step (20% slower in f64).
                    for o in 0..R {
                        let w = F::load(rows[o].as_ptr().add(p));
                        for s in 0..S {
                            acc[o][s] = F::fma(w, x[s], acc[o][s]);
                        }
                    }
                }
                for o in 0..R.min(m - ib) {
                    for s in 0..S.min(j1 - jb) {
                        F::store(lanes.as_mut_ptr(), acc[o][s]);
                        // The tail p ≥ full goes to lanes 0.., in p order, as a vector's would.
                        for (lane, p) in (full..k).enumerate() {
                            lanes[lane] = rows[o][p].mul_add(cols[s][p], lanes[lane]);
                        }
                        *c.add((ib + o) * n + jb + s) = reduce(&mut lanes[..l]);
                    }
                }
            }
        }
    }
}

/// The lanes of a dot product added in one fixed tree (halves added pairwise).
#[inline(always)]
fn reduce<F: Real>(v: &mut [F]) -> F {
    let mut half = v.len() / 2;
    while half > 0 {
        for l in 0..half {
            v[l] = v[l] + v[l + half];
        }
        half /= 2;
    }
    v[0]
}

/// Rows of A per tile of [`axpy_columns`]: with [`TILE_VECTORS`] vectors of columns, 24
/// accumulators, the 4 vectors of B's row and a broadcast fill 29 of the 32 registers.
const TILE_ROWS: usize = 6;
/// Rows of the last tile of [`axpy_columns`] when no more are left (see [`axpy_panel`]).
const EDGE_ROWS: usize = 4;
/// Vectors of columns of C per tile of [`axpy_columns`].
const TILE_VECTORS: usize = 4;
/// Steps of the inner dimension per pass of the tiles over a block of B: KC rows of
/// [`TILE_VECTORS`] vectors, 16 KiB in f64 and in f32, stay in L1 while every tile of rows of A
/// passes over them (measured on W4's first layer, f64: 74 GFLOP/s a core against 53 unblocked).
const KC: usize = 64;

/// Columns j0..j1 of C ← A·B (C m×n row-major, stride n), B k×n with contiguous rows
/// (`b.cs == 1`), A any strides.
///
/// # Safety
/// As [`dot_columns`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
pub unsafe fn axpy_columns<F: Real>(o: Operands<F>, j0: usize, j1: usize) {
    let Operands { m, k, n, a, b, c } = o;
    debug_assert!(b.cs == 1 && j0 < j1);
    let l = F::L;
    let mut j = j0;
    // Panels of TILE_VECTORS vectors, then of two, then of one, then single columns: each element
    // is the same Σ_p in p order, one fused multiply-add at a time, in all of them.
    // SAFETY: AVX-512 is there and C is valid (the caller's contract).
    unsafe {
        while j + TILE_VECTORS * l <= j1 {
            axpy_panel::<F, TILE_VECTORS>(o, j);
            j += TILE_VECTORS * l;
        }
        // A rest of two vectors (f64's 16 columns) in one pass: one vector at a time, each
        // tile would load a vector and broadcast 6 numbers for 6 multiply-adds.
        while j + 2 * l <= j1 {
            axpy_panel::<F, 2>(o, j);
            j += 2 * l;
        }
        while j + l <= j1 {
            axpy_panel::<F, 1>(o, j);
            j += l;
        }
    }
    for j in j..j1 {
        for i in 0..m {
            let v = (0..k).fold(F::zero(), |s, p| a.data[i * a.rs + p * a.cs].mul_add(b.data[p * b.rs + j], s));
            // SAFETY: (i, j) is in C and in this call's columns.
            unsafe { *c.add(i * n + j) = v };
        }
    }
}

/// Columns j..j + Q·L of every row of C, in blocks of [`KC`] steps of p: each tile of rows
/// takes its accumulators back from C where the block before left them, so every element is
/// still one chain of fused multiply-adds in p order (the same bits as without blocks).
///
/// Tiles are [`TILE_ROWS`] rows, the last [`EDGE_ROWS`] when at most that many are left: a
/// thread's 64 rows of W4's hidden layer are then 10 tiles of 6 and one of 4, where tiles of 6
/// alone computed 66 rows and dropped 2.
///
/// # Safety
/// As [`axpy_columns`], and j + Q·L ≤ n.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn axpy_panel<F: Real, const Q: usize>(o: Operands<F>, j: usize) {
    let k = o.k;
    for p0 in (0..k).step_by(KC) {
        let p1 = (p0 + KC).min(k);
        let mut ib = 0;
        while ib < o.m {
            // SAFETY: forwarded from the caller's contract.
            unsafe {
                if o.m - ib <= EDGE_ROWS {
                    axpy_tile::<F, Q, EDGE_ROWS>(o, j, ib, p0, p1);
                    ib += EDGE_ROWS;
                } else {
                    axpy_tile::<F, Q, TILE_ROWS>(o, j, ib, p0, p1);
                    ib += TILE_ROWS;
                }
            }
        }
    }
}

/// Rows ib..ib + R (those below m) of columns j..j + Q·L of C, over steps p0..p1 of the sum:
/// R rows × Q vectors of accumulators in registers, taken from C when p0 > 0.
///
/// # Safety
/// As [`axpy_panel`], and ib < m.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
#[inline]
unsafe fn axpy_tile<F: Real, const Q: usize, const R: usize>(
    o: Operands<F>,
    j: usize,
    ib: usize,
    p0: usize,
    p1: usize,
) {
    let Operands { m, n, a, b, c, .. } = o;
    let l = F::L;
    // A tile past the last row repeats it: its sums are computed and dropped.
    let rows: [*const F; R] = std::array::from_fn(|o| a.data[(ib + o).min(m - 1) * a.rs..].as_ptr());
    let live = R.min(m - ib);
    // SAFETY: rows i < m of A hold elements p·cs for p < k from their start (the extent the
    // caller checked); row p of B holds n ≥ j + Q·L elements from p·rs; C's rows likewise.
    unsafe {
        let mut acc = [[F::vzero(); Q]; R];
        if p0 > 0 {
            for (o, acc) in acc.iter_mut().enumerate().take(live) {
                for (q, v) in acc.iter_mut().enumerate() {
                    *v = F::load(c.add((ib + o) * n + j + q * l));
                }
            }
        }
        for p in p0..p1 {
            let row = b.data.as_ptr().add(p * b.rs + j);
            let x: [F::V; Q] = std::array::from_fn(|q| F::load(row.add(q * l)));
            for (acc, row_a) in acc.iter_mut().zip(rows) {
                let g = F::splat(*row_a.add(p * a.cs));
                for (v, &x) in acc.iter_mut().zip(&x) {
                    *v = F::fma(g, x, *v);
                }
            }
        }
        for (o, acc) in acc.iter().enumerate().take(live) {
            for (q, &v) in acc.iter().enumerate() {
                F::store(c.add((ib + o) * n + j + q * l), v);
            }
        }
    }
}

/// Columns of C per full panel of [`axpy_columns`] (32 in f64, 64 in f32): a split into blocks of
/// whole panels leaves no thread a narrow one it need not have.
pub fn panel_width<F: Lanes>() -> usize {
    TILE_VECTORS * F::L
}

/// Elements a row of [`transpose_columns`]'s output holds past the n columns: one cache line,
/// so that rows n·size apart (a power of two for batches of 128 or 1,024) do not all fall into
/// the same few sets of L1 and evict each other while [`axpy_columns`] reads a block of them
/// (measured on W4's first layer, f64: 40 GFLOP/s unpadded, 69 padded).
pub fn transpose_pad<F>() -> usize {
    64 / size_of::<F>()
}

/// Columns j0..j1 of B (k×n, contiguous columns: `b.rs == 1`) written as the rows of `dst`
/// (k rows of stride j1 − j0 + [`transpose_pad`]) and handed back as the (j1 − j0)-column
/// matrix they form: the packing that lets [`axpy_columns`] run the forward product of a layer
/// with many outputs on a batch of row-major samples. Columns are read 8 at a time from end to
/// end, 8 sequential streams the prefetcher follows: the batch comes from memory here, and this
/// order measured 1.1–1.3× faster than 16×16 tiles (W4's batches, f64 and f32). Each 8×8 block
/// goes through registers ([`Lanes::transpose8`]).
///
/// # Safety
/// [`available`] must hold.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn transpose_columns<'a, F: Real>(
    k: usize,
    b: MatRef<F>,
    j0: usize,
    j1: usize,
    dst: &'a mut [F],
) -> MatRef<'a, F> {
    const S: usize = 8;
    let stride = j1 - j0 + transpose_pad::<F>();
    assert!(j1 - j0 <= stride && (k == 0 || (k - 1) * stride + j1 - j0 <= dst.len()), "transpose scratch too short");
    let column = |j: usize| &b.data[j * b.cs..j * b.cs + k];
    let mut j = j0;
    let blocks = k / S * S;
    while j + S <= j1 {
        let columns: [&[F]; S] = std::array::from_fn(|s| column(j + s));
        for p in (0..blocks).step_by(S) {
            // SAFETY: AVX-512 is there (the caller's contract); each column holds k ≥ p + 8
            // numbers, and rows p..p + 8 of `dst` hold columns j − j0..j − j0 + 8 (asserted above).
            unsafe {
                F::transpose8(
                    std::array::from_fn(|s| columns[s][p..].as_ptr()),
                    dst[p * stride + j - j0..].as_mut_ptr(),
                    stride,
                )
            };
        }
        for p in blocks..k {
            for (s, c) in columns.iter().enumerate() {
                dst[p * stride + j - j0 + s] = c[p];
            }
        }
        j += S;
    }
    for j in j..j1 {
        for (p, &v) in column(j).iter().enumerate() {
            dst[p * stride + j - j0] = v;
        }
    }
    MatRef { data: dst, rs: stride, cs: 1 }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// Every number lands at its transposed place, for blocks of 8 and the ragged edges (k and
    /// the column count not multiples of 8), in both float types.
    fn transposes<F: Real>() {
        if !available() {
            return;
        }
        let (k, n, j0, j1) = (19, 29, 3, 28);
        // Column j of B (k×n, contiguous columns) holds j·100 + p at row p: every number distinct.
        let data: Vec<F> = (0..n * k).map(|i| F::of(((i / k) * 100 + i % k) as f64)).collect();
        let b = MatRef { data: &data, rs: 1, cs: k };
        let mut dst = vec![F::zero(); k * (j1 - j0 + transpose_pad::<F>())];
        // SAFETY: `available` holds.
        let rows = unsafe { transpose_columns(k, b, j0, j1, &mut dst) };
        for p in 0..k {
            for j in j0..j1 {
                assert_eq!(rows.data[p * rows.rs + j - j0], F::of((j * 100 + p) as f64), "row {p}, column {j}");
            }
        }
    }

    #[test]
    fn transpose_columns_puts_every_number_in_its_place() {
        transposes::<f64>();
        transposes::<f32>();
    }

    /// Σ_p a_p·b_p in the order the module's notes give: p into lane p mod L, each lane one chain
    /// of fused multiply-adds in p order, the lanes added in halves pairwise.
    fn dot_in_lanes<F: Real>(a: &[F], b: &[F]) -> F {
        let mut lanes = vec![F::zero(); F::L];
        for (p, (&x, &y)) in a.iter().zip(b).enumerate() {
            lanes[p % F::L] = x.mul_add(y, lanes[p % F::L]);
        }
        reduce(&mut lanes)
    }

    /// Every number of rows up to DOT_MAX_ROWS (each tile shape, and rows past the last tile),
    /// a length with a tail past the last vector, and blocks of columns that split the tiles
    /// of samples: each element is the documented sum, to the bit.
    fn dot_columns_sum_in_lane_order<F: Real>() {
        let (k, n) = (37, 11);
        let value = |i: usize| F::of(((i * 7919) % 1009) as f64 / 97.0 - 5.0);
        let a: Vec<F> = (0..DOT_MAX_ROWS * k).map(value).collect();
        let b: Vec<F> = (0..n * k).map(|i| value(i + 5)).collect();
        for m in 1..=DOT_MAX_ROWS {
            let mut c = vec![F::nan(); m * n];
            let o = Operands {
                m,
                k,
                n,
                a: MatRef { data: &a[..m * k], rs: k, cs: 1 },
                b: MatRef { data: &b, rs: 1, cs: k },
                c: c.as_mut_ptr(),
            };
            for (j0, j1) in [(0, 3), (3, 4), (4, n)] {
                // SAFETY: `available` holds; C holds m×n elements.
                unsafe { dot_columns(o, j0, j1) };
            }
            for i in 0..m {
                for j in 0..n {
                    let want = dot_in_lanes(&a[i * k..(i + 1) * k], &b[j * k..(j + 1) * k]);
                    assert_eq!(c[i * n + j].to_f64(), want.to_f64(), "{} m = {m}, C[{i}][{j}]", F::NAME);
                }
            }
        }
    }

    /// Every row count from 1 to 14 (tiles of 6, the edge tile of 4, rows past the last tile),
    /// a sum long enough to cross [`KC`] blocks, and columns that leave a panel of each width
    /// and single columns: each element is Σ_p a_ip·b_pj, one fused multiply-add at a time in
    /// p order, to the bit.
    fn axpy_columns_sum_in_p_order<F: Real>() {
        let (k, n) = (150, 4 * F::L + 2 * F::L + F::L + 3);
        let value = |i: usize| F::of(((i * 7919) % 1009) as f64 / 97.0 - 5.0);
        let a: Vec<F> = (0..14 * k).map(value).collect();
        let b: Vec<F> = (0..k * n).map(|i| value(i + 3)).collect();
        for m in 1..=14 {
            let mut c = vec![F::nan(); m * n];
            let o = Operands {
                m,
                k,
                n,
                a: MatRef { data: &a[..m * k], rs: k, cs: 1 },
                b: MatRef { data: &b, rs: n, cs: 1 },
                c: c.as_mut_ptr(),
            };
            // SAFETY: `available` holds; C holds m×n elements.
            unsafe { axpy_columns(o, 0, n) };
            for i in 0..m {
                for j in 0..n {
                    let want = (0..k).fold(F::zero(), |s, p| a[i * k + p].mul_add(b[p * n + j], s));
                    assert_eq!(c[i * n + j].to_f64(), want.to_f64(), "{} m = {m}, C[{i}][{j}]", F::NAME);
                }
            }
        }
    }

    #[test]
    fn axpy_columns_gives_the_documented_sum_for_every_row_count() {
        if !available() {
            return;
        }
        axpy_columns_sum_in_p_order::<f64>();
        axpy_columns_sum_in_p_order::<f32>();
    }

    #[test]
    fn dot_columns_gives_the_documented_sum_for_every_row_count() {
        if !available() {
            return;
        }
        dot_columns_sum_in_lane_order::<f64>();
        dot_columns_sum_in_lane_order::<f32>();
    }
}
