//! e^x over a slice, written so the compiler vectorises it: no branches (selects only), the
//! power of two built from the bits of a rounded float rather than a float-to-int conversion,
//! and plain multiplies and adds (no `mul_add`, so every CPU path gives the same bits).
//!
//! Each function is compiled three times: for the baseline x86-64 (SSE2; and any other CPU),
//! with AVX2 + FMA, and with AVX-512, chosen at run time. All give identical results: Rust never
//! fuses a multiply and an add on its own. The f64 AVX-512 copy is the same steps written with
//! intrinsics on one register (`exp_f64_zmm`), which a caller holding its numbers in
//! registers inlines ([`super::small_avx512`]).
//!
//! # Method
//! f64: x = (16n + j)·ln 2/16 + r with m = 16n + j = round(16x/ln 2), 0 ≤ j < 16 and
//! |r| ≤ ln 2/32 (Cody–Waite: ln 2/16 split in a head with trailing zeros, so m·head is exact,
//! and a tail); e^x = 2^n·2^(j/16)·e^r, with 2^(j/16) from a 16-entry table held as head + tail
//! and e^r − 1 by its Taylor polynomial of degree 7 (truncation below 0.01 ulp) in Estrin's
//! scheme; the sum 2^(j/16)·e^r = hi + (hi·(e^r − 1) + lo) rounds once, so the table's own
//! rounding adds nothing. The table is read by loads, or in the AVX-512 copy by two register
//! permutes (the same entries, so the same bits). Against the former reduction by ln 2 alone
//! (degree 13 in Horner form) this is about half the operations on a dependency chain half as
//! long: W1's exponentials took 27% of the process, now 17% (interleaved `perf record`).
//! f32: x = n·ln 2 + r, |r| ≤ ln 2/2, degree 7 in Horner form.
//! Both: e^x = e^r·2^n with 2^n applied in two halves so results in the subnormal range round
//! once. Below ln of the smallest subnormal the result is 0, above ln of the largest float it
//! is ∞, NaN stays NaN.
//!
//! # Accuracy (tests/engine.rs, `vectorised_exp_is_within_one_ulp_of_libm`)
//! Against libm (`f64::exp`, `f32::exp`) over the range the softmax uses, x ≤ 0, and beyond:
//! at most 1 ulp apart for f64 and for f32. Every CPU path gives the same bits (the unit test
//! `every_cpu_path_gives_the_same_bits`).

/// e^x for every x in place (f64).
pub fn exp_f64(xs: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { exp_f64_avx512(xs) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { exp_f64_avx2(xs) };
        return;
    }
    exp_f64_body(xs);
}

/// e^x for every x in place (f32).
pub fn exp_f32(xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: as above.
        unsafe { exp_f32_avx512(xs) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: as above.
        unsafe { exp_f32_avx2(xs) };
        return;
    }
    exp_f32_body(xs);
}

/// The AVX-512 copy: [`exp_f64_zmm`] on each eight numbers, the last ≤ 7 by masked loads and
/// stores.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn exp_f64_avx512(xs: &mut [f64]) {
    use std::arch::x86_64::{_mm512_loadu_pd, _mm512_mask_storeu_pd, _mm512_maskz_loadu_pd, _mm512_storeu_pd};
    let mut eights = xs.chunks_exact_mut(8);
    for eight in &mut eights {
        // SAFETY: `eight` holds 8 f64.
        unsafe { _mm512_storeu_pd(eight.as_mut_ptr(), exp_f64_zmm::<false>(_mm512_loadu_pd(eight.as_ptr()))) };
    }
    let rest = eights.into_remainder();
    if !rest.is_empty() {
        let live = (1u8 << rest.len()) - 1;
        // SAFETY: only the `rest.len()` lanes in `live` are read and written.
        unsafe {
            let y = exp_f64_zmm::<false>(_mm512_maskz_loadu_pd(live, rest.as_ptr()));
            _mm512_mask_storeu_pd(rest.as_mut_ptr(), live, y);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn exp_f32_avx512(xs: &mut [f32]) {
    exp_f32_body(xs)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn exp_f64_avx2(xs: &mut [f64]) {
    exp_f64_body(xs)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn exp_f32_avx2(xs: &mut [f32]) {
    exp_f32_body(xs)
}

/// 2^(j/16) for j = 0..16 as a head (the nearest f64) and a tail (the nearest f64 to the rest),
/// by mpmath at 300 bits: `hi = float(mpf(2)**(mpf(j)/16)); lo = float(mpf(2)**(mpf(j)/16) - hi)`.
const TABLE_HI: [f64; 16] = [
    1.0,
    1.0442737824274138,
    1.0905077326652577,
    1.1387886347566916,
    1.189207115002721,
    1.241857812073484,
    1.2968395546510096,
    1.3542555469368927,
    std::f64::consts::SQRT_2, // 1.4142135623730951
    1.4768261459394993,
    1.5422108254079407,
    1.6104903319492543,
    1.681792830507429,
    1.7562521603732995,
    1.8340080864093424,
    1.9152065613971474,
];
/// See [`TABLE_HI`].
const TABLE_LO: [f64; 16] = [
    0.0,
    8.551889705537965e-17,
    -3.046782079812471e-17,
    8.912812676025408e-17,
    3.982015231465646e-17,
    4.658027591836937e-17,
    2.5382502794888315e-17,
    7.70094837980299e-17,
    -9.667293313452913e-17,
    -3.483994556892796e-17,
    7.949834809697621e-17,
    2.4707192569797888e-17,
    8.199010020581497e-17,
    2.960140695448873e-17,
    3.283107224245627e-17,
    -1.0619946056195963e-16,
];

/// How many numbers [`exp_f64_body`] takes at a time (its buffers' length).
const CHUNK: usize = 64;

/// The table's entries for the indices (their low four bits) by plain loads, eight at a time:
/// what every copy but the AVX-512 one uses (that one permutes two registers, [`exp_f64_zmm`]).
#[inline(always)]
fn table_loads(m: &[i64; 8], hi: &mut [f64; 8], lo: &mut [f64; 8]) {
    for ((&j, h), l) in m.iter().zip(hi).zip(lo) {
        (*h, *l) = (TABLE_HI[(j & 15) as usize], TABLE_LO[(j & 15) as usize]);
    }
}

/// The slice `CHUNK` numbers at a time, in three loops over the chunk (the first and last
/// vectorised by the compiler, the table read between them eight lanes at a time by
/// [`table_loads`]): the baseline and AVX2 copies.
#[inline(always)]
fn exp_f64_body(xs: &mut [f64]) {
    for chunk in xs.chunks_mut(CHUNK) {
        let (mut r, mut m) = ([0.0; CHUNK], [0i64; CHUNK]);
        for ((&x0, r), m) in chunk.iter().zip(&mut r).zip(&mut m) {
            (*r, *m) = reduce_f64(x0);
        }
        let (mut t_hi, mut t_lo) = ([0.0; CHUNK], [0.0; CHUNK]);
        let eights = m.as_chunks::<8>().0.iter().zip(t_hi.as_chunks_mut::<8>().0).zip(t_lo.as_chunks_mut::<8>().0);
        for ((m, hi), lo) in eights.take(chunk.len().div_ceil(8)) {
            table_loads(m, hi, lo);
        }
        for ((((v, &r), &m), &hi), &lo) in chunk.iter_mut().zip(&r).zip(&m).zip(&t_hi).zip(&t_lo) {
            *v = rebuild_f64(*v, r, m, hi, lo);
        }
    }
}

/// 16/ln 2 (a power-of-two multiple of log2 e, so as exact as it).
const SIXTEEN_LOG2E: f64 = 16.0 * std::f64::consts::LOG2_E;
/// ln 2 / 16 = head + tail: fdlibm's split of ln 2 over 16, the head with 11 trailing zero
/// bits, so m·head is exact for |m| < 2¹⁵.
const LN2_16_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000) / 16.0;
/// See [`LN2_16_HI`].
const LN2_16_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76) / 16.0;
/// 1.5·2⁵²: adding it rounds to an integer held in the low bits of the mantissa.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// e^r − 1 − r = r²·(C2 + C3·r + … + C7·r⁵), Taylor's coefficients.
const TAYLOR: [f64; 6] = [1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0];
/// x is clamped to [`CLAMP`] before it is reduced (so that m fits its bits), and the result is
/// 0 below [`UNDERFLOW`], ∞ above [`OVERFLOW`].
const CLAMP: (f64, f64) = (-746.0, 710.0);
/// See [`CLAMP`].
const UNDERFLOW: f64 = -745.2;
/// See [`CLAMP`].
const OVERFLOW: f64 = 709.79;

/// e^x of the eight numbers of one AVX-512 register, for a caller that holds its numbers in
/// registers ([`super::small_avx512`]: a call to [`exp_f64`] would send them through memory).
/// The steps of `reduce_f64` and `rebuild_f64` one for one, as intrinsics (separate
/// multiplies and adds, never fused), the table read by permutes as in [`exp_f64`]'s AVX-512
/// copy: the same bits (the unit test `the_register_exp_gives_the_slices_bits`).
///
/// `NONPOSITIVE`: every x is ≤ 0 or NaN (a softmax's z − max), so the steps that only x > 0
/// needs (the clamp at 710, the overflow to ∞) are left out: the same bits for those x.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn exp_f64_zmm<const NONPOSITIVE: bool>(x0: std::arch::x86_64::__m512d) -> std::arch::x86_64::__m512d {
    use std::arch::x86_64::*;
    const C: [f64; 6] = TAYLOR;
    let (add, sub, mul, splat) = (_mm512_add_pd, _mm512_sub_pd, _mm512_mul_pd, _mm512_set1_pd);
    // reduce_f64: x0.clamp(−746, 710) (a NaN lane's value is replaced at the end).
    let x = if NONPOSITIVE { x0 } else { _mm512_min_pd(x0, splat(CLAMP.1)) };
    let x = _mm512_max_pd(x, splat(CLAMP.0));
    let shifted = add(mul(x, splat(SIXTEEN_LOG2E)), splat(SHIFTER));
    let mf = sub(shifted, splat(SHIFTER));
    let r = sub(sub(x, mul(mf, splat(LN2_16_HI))), mul(mf, splat(LN2_16_LO)));
    let m = _mm512_sub_epi64(_mm512_castpd_si512(shifted), _mm512_set1_epi64(SHIFTER.to_bits() as i64));
    // The table's entries for m mod 16: each table's sixteen entries in two registers, an
    // entry picked per lane by one permute (its index's low four bits), not a gather of eight
    // loads.
    // SAFETY: each pointer is to 8 f64 in bounds.
    let (hi, lo) = unsafe {
        let entry =
            |t: &[f64; 16]| _mm512_permutex2var_pd(_mm512_loadu_pd(t.as_ptr()), m, _mm512_loadu_pd(t[8..].as_ptr()));
        (entry(&TABLE_HI), entry(&TABLE_LO))
    };
    // rebuild_f64.
    let r2 = mul(r, r);
    let (a, b, c) = (
        add(splat(C[0]), mul(splat(C[1]), r)),
        add(splat(C[2]), mul(splat(C[3]), r)),
        add(splat(C[4]), mul(splat(C[5]), r)),
    );
    let p = add(a, mul(r2, add(b, mul(r2, c))));
    let q = add(r, mul(r2, p));
    let e = add(hi, add(mul(hi, q), lo));
    let biased = _mm512_add_epi64(m, _mm512_set1_epi64(1 << 15));
    let n = _mm512_sub_epi64(_mm512_srli_epi64::<4>(biased), _mm512_set1_epi64(2048));
    let h = _mm512_sub_epi64(_mm512_srli_epi64::<5>(biased), _mm512_set1_epi64(1024));
    let s1 = _mm512_castsi512_pd(_mm512_slli_epi64::<52>(_mm512_add_epi64(h, _mm512_set1_epi64(1023))));
    let s2 = _mm512_sub_epi64(n, h);
    let s2 = _mm512_castsi512_pd(_mm512_slli_epi64::<52>(_mm512_add_epi64(s2, _mm512_set1_epi64(1023))));
    let y = mul(mul(e, s1), s2);
    let y = _mm512_mask_blend_pd(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(x0, splat(UNDERFLOW)), y, _mm512_setzero_pd());
    let y = if NONPOSITIVE {
        y
    } else {
        _mm512_mask_blend_pd(_mm512_cmp_pd_mask::<_CMP_GT_OQ>(x0, splat(OVERFLOW)), y, splat(f64::INFINITY))
    };
    _mm512_mask_blend_pd(_mm512_cmp_pd_mask::<_CMP_UNORD_Q>(x0, x0), y, x0)
}

/// The first step of e^x (f64): x = m·ln 2/16 + r, returned as (r, m).
#[inline(always)]
fn reduce_f64(x0: f64) -> (f64, i64) {
    let x = x0.clamp(CLAMP.0, CLAMP.1);
    let shifted = x * SIXTEEN_LOG2E + SHIFTER;
    let mf = shifted - SHIFTER;
    let r = (x - mf * LN2_16_HI) - mf * LN2_16_LO;
    // m in [−17221, 16389] sits in the low bits of `shifted` (for a NaN x the bits are
    // garbage: wrapping arithmetic, and the NaN is returned by `rebuild_f64`).
    (r, (shifted.to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64))
}

/// The last step of e^x (f64): 2^(m/16)·e^r from r, m and the table's entries for m mod 16,
/// with x0's special cases.
#[inline(always)]
fn rebuild_f64(x0: f64, r: f64, m: i64, hi: f64, lo: f64) -> f64 {
    const C: [f64; 6] = TAYLOR;
    // Estrin's scheme: three independent pairs, then r² and r⁴.
    let r2 = r * r;
    let (a, b, c) = (C[0] + C[1] * r, C[2] + C[3] * r, C[4] + C[5] * r);
    let p = a + r2 * (b + r2 * c);
    let q = r + r2 * p;
    // 2^(j/16)·e^r = hi + (hi·(e^r − 1) + lo): the tail enters beside the small term, so the
    // table's rounding costs nothing and the sum rounds once.
    let e = hi + (hi * q + lo);
    // 2^n with n = ⌊m/16⌋ in [−1077, 1025], applied as 2^h·2^(n−h) (both normal) with
    // h = ⌊n/2⌋: results in the subnormal range round once. The floors by logical shifts of
    // m + 2¹⁵ ≥ 0 (AVX2 has no 64-bit arithmetic shift).
    let biased = m.wrapping_add(1 << 15) as u64;
    let n = (biased >> 4) as i64 - 2048;
    let h = (biased >> 5) as i64 - 1024;
    let s1 = f64::from_bits(((h + 1023) as u64) << 52);
    let s2 = f64::from_bits((n.wrapping_sub(h).wrapping_add(1023) as u64) << 52);
    let y = e * s1 * s2;
    if x0.is_nan() {
        x0
    } else if x0 < UNDERFLOW {
        0.0
    } else if x0 > OVERFLOW {
        f64::INFINITY
    } else {
        y
    }
}

#[inline(always)]
fn exp_f32_body(xs: &mut [f32]) {
    for v in xs {
        *v = exp_f32_one(*v);
    }
}

/// e^x of one f32, every step branch-free but the special cases' selects.
#[inline(always)]
fn exp_f32_one(x0: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = f32::from_bits(0x3f31_8000); // 0.693359375, 9 significant bits
    const LN2_LO: f32 = f32::from_bits(0xb95e_8083); // −2.12194440e-4
    // 1.5·2²³.
    const SHIFTER: f32 = 12_582_912.0;
    const C: [f32; 6] = [1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0];
    let x = x0.clamp(-104.0, 89.0);
    let shifted = x * LOG2E + SHIFTER;
    let n = shifted - SHIFTER;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = C[5];
    for &c in C[..5].iter().rev() {
        p = p * r + c;
    }
    let p = 1.0 + r * (1.0 + r * p);
    let ni = (shifted.to_bits() as i32).wrapping_sub(SHIFTER.to_bits() as i32);
    let h = ((ni.wrapping_add(256) as u32) >> 1) as i32 - 128;
    let s1 = f32::from_bits(((h + 127) as u32) << 23);
    let s2 = f32::from_bits((ni.wrapping_sub(h).wrapping_add(127) as u32) << 23);
    let y = p * s1 * s2;
    if x0.is_nan() {
        x0
    } else if x0 < -103.98 {
        0.0
    } else if x0 > 88.73 {
        f32::INFINITY
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x from below underflow to past overflow, densely around 0, and the special values: 320,009
    /// numbers (odd, so that a slice's last lanes are a partial vector).
    fn sweep() -> Vec<f64> {
        let mut xs: Vec<f64> = (0..300_001).map(|i| -750.0 + 1465.0 * i as f64 / 300_000.0).collect();
        xs.extend((0..20_001).map(|i| -1.0 + i as f64 / 10_000.0));
        xs.extend([f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 5e-324]);
        xs
    }

    /// [`exp_f64_zmm`] gives the baseline copy's bits eight at a time, and its `NONPOSITIVE`
    /// form the same for every x ≤ 0 or NaN.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_register_exp_gives_the_slices_bits() {
        use std::arch::x86_64::{_mm512_loadu_pd, _mm512_storeu_pd};
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let xs = sweep();
        let mut want = xs.clone();
        exp_f64_body(&mut want);
        for (chunk, want) in xs.chunks_exact(8).zip(want.chunks_exact(8)) {
            let (mut got, mut nonpositive) = ([0.0; 8], [0.0; 8]);
            // SAFETY: the CPU has AVX-512F; every pointer is to 8 f64.
            unsafe {
                let x = _mm512_loadu_pd(chunk.as_ptr());
                _mm512_storeu_pd(got.as_mut_ptr(), exp_f64_zmm::<false>(x));
                _mm512_storeu_pd(nonpositive.as_mut_ptr(), exp_f64_zmm::<true>(x));
            }
            for ((g, n), (w, x)) in got.iter().zip(nonpositive).zip(want.iter().zip(chunk)) {
                assert_eq!(g.to_bits(), w.to_bits(), "e^x for x = {x}");
                if x.is_nan() || *x <= 0.0 {
                    assert_eq!(n.to_bits(), w.to_bits(), "e^x for x = {x} ≤ 0 or NaN");
                }
            }
        }
    }

    /// Every copy the CPU can run gives the same bits as the baseline one (the AVX-512 copy
    /// reads its table by permutes, the others by loads) over the sweep, whose length leaves a
    /// partial last vector.
    #[test]
    fn every_cpu_path_gives_the_same_bits() {
        let xs = sweep();
        let mut base = xs.clone();
        exp_f64_body(&mut base);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                let mut v = xs.clone();
                // SAFETY: the CPU has the feature.
                unsafe { exp_f64_avx512(&mut v) };
                assert!(bits(&v) == bits(&base), "AVX-512 differs from the baseline");
            }
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                let mut v = xs.clone();
                // SAFETY: the CPU has the features.
                unsafe { exp_f64_avx2(&mut v) };
                assert!(bits(&v) == bits(&base), "AVX2 differs from the baseline");
            }
        }
    }
}
