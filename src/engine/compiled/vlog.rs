//! ln(1 + x) over a slice, written so the compiler vectorises it, as [`super::vexp`] is: no
//! branches (selects only), the exponent taken from the bits, plain multiplies and adds (no
//! `mul_add`, so every CPU path gives the same bits).
//!
//! It is the logarithm of the fused softmax cross-entropy, ln ŷ_label = (z_label − max) −
//! ln(1 + s): one per sample of every step. libm's `log1p` took 13% of an Iris full-batch run
//! and 17% of a batch-of-1 run (call, branches, one value at a time); here a batch's (or a block
//! of steps') values are taken eight at a time.
//!
//! # Method
//! fdlibm's `log1p` (as musl has it) without its branches: u = 1 + x rounded, and the rounding
//! error of that sum carried as the correction c/u (c = x − (u − 1), or 1 − (u − x) once u ≥ 2,
//! and 0 once u ≥ 2⁵⁴ where it no longer matters); u = 2^k·(1 + f) with 1 + f in [√2/2, √2);
//! ln(1 + f) = f − f²/2 + s·(f²/2 + R(s²)) with s = f/(2 + f) and R fdlibm's degree-14
//! polynomial in s (error below 2⁻⁵⁸·⁴⁵); then k·ln 2 in a head and a tail. x = ±0 and
//! |x| < 2⁻⁵³ give x itself, x = −1 gives −∞, x < −1 NaN, +∞ and NaN themselves.
//!
//! # Accuracy (tests/engine.rs, `vectorised_log1p_is_within_one_ulp_of_libm`)
//! Against libm (`f64::ln_1p`) from −1 to 10³⁰⁰ and on the subnormals: at most 1 ulp apart. f32
//! is computed in f64 and rounded once, so it is libm's `log1pf` or 1 ulp from it.

/// ln(1 + x) for every x in place (f64).
pub fn ln_1p_f64(xs: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { ln_1p_f64_avx512(xs) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { ln_1p_f64_avx2(xs) };
        return;
    }
    ln_1p_f64_body(xs);
}

/// ln(1 + x) for every x in place (f32): in f64, rounded once.
pub fn ln_1p_f32(xs: &mut [f32]) {
    let mut wide = [0.0; 64];
    for chunk in xs.chunks_mut(64) {
        let wide = &mut wide[..chunk.len()];
        wide.iter_mut().zip(chunk.iter()).for_each(|(w, &x)| *w = f64::from(x));
        ln_1p_f64(wide);
        chunk.iter_mut().zip(wide.iter()).for_each(|(x, &w)| *x = w as f32);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn ln_1p_f64_avx512(xs: &mut [f64]) {
    ln_1p_f64_body(xs)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn ln_1p_f64_avx2(xs: &mut [f64]) {
    ln_1p_f64_body(xs)
}

#[inline(always)]
fn ln_1p_f64_body(xs: &mut [f64]) {
    // ln 2 = head + tail; the head has 11 trailing zero bits (fdlibm's split), so k·head is exact.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.93147180369123816490e-01
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
    // fdlibm's Lg1…Lg7: R(z) = Lg1·z + … + Lg7·z⁷ ≈ 2·atanh(s)/s − 2, z = s².
    const LG1: f64 = f64::from_bits(0x3fe5_5555_5555_5593); // 6.666666666666735130e-01
    const LG2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04); // 3.999999999940941908e-01
    const LG3: f64 = f64::from_bits(0x3fd2_4924_9422_9359); // 2.857142874366239149e-01
    const LG4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af); // 2.222219843214978396e-01
    const LG5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de); // 1.818357216161805012e-01
    const LG6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f); // 1.531383769920937332e-01
    const LG7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244); // 1.479819860511658591e-01
    // The high word of √2/2: subtracting it from u's high word puts 1 + f in [√2/2, √2).
    const SQRT_HALF_HI: u64 = 0x3fe6_a09e;
    for v in xs {
        let x = *v;
        let u = 1.0 + x;
        let bits = u.to_bits();
        let hu = (bits >> 32).wrapping_add(0x3ff0_0000 - SQRT_HALF_HI);
        // k = the exponent of u, rounded so that the mantissa lands in [√2/2, √2); as i32 (its
        // conversion to a float vectorises on every x86-64 with AVX).
        let k = ((hu >> 20) & 0x7ff) as i32 - 0x3ff;
        let c = if k >= 2 { 1.0 - (u - x) } else { x - (u - 1.0) };
        let c = if k < 54 { c / u } else { 0.0 };
        let f = f64::from_bits((((hu & 0x000f_ffff) + SQRT_HALF_HI) << 32) | (bits & 0xffff_ffff)) - 1.0;
        let hfsq = 0.5 * f * f;
        let s = f / (2.0 + f);
        let z = s * s;
        let w = z * z;
        let t1 = w * (LG2 + w * (LG4 + w * LG6));
        let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
        let dk = f64::from(k);
        let y = s * (hfsq + (t2 + t1)) + (dk * LN2_LO + c) - hfsq + f + dk * LN2_HI;
        *v = if x.is_nan() || x == f64::INFINITY || x == 0.0 {
            x
        } else if x < -1.0 {
            f64::NAN
        } else if x == -1.0 {
            f64::NEG_INFINITY
        } else {
            y
        };
    }
}
