//! e^x over a slice, written so the compiler vectorises it: no branches (selects only), the
//! power of two built from the bits of a rounded float rather than a float-to-int conversion,
//! and plain multiplies and adds (no `mul_add`, so every CPU path gives the same bits).
//!
//! Each function is compiled three times: for the baseline x86-64 (SSE2; and any other CPU),
//! with AVX2 + FMA, and with AVX-512, chosen at run time. All give identical results: Rust never
//! fuses a multiply and an add on its own.
//!
//! # Method
//! x = n·ln 2 + r with n = round(x/ln 2) and |r| ≤ ln 2 / 2 (Cody–Waite: ln 2 split in a head
//! with trailing zeros, so n·head is exact, and a tail); e^r by its Taylor polynomial in Horner
//! form (degree 13 for f64, truncation below 0.05 ulp; degree 7 for f32); e^x = e^r·2^n, with
//! 2^n applied in two halves so results in the subnormal range round once. Below ln of the
//! smallest subnormal the result is 0, above ln of the largest float it is ∞, NaN stays NaN.
//!
//! # Accuracy (tests/engine.rs, `vectorised_exp_is_within_one_ulp_of_libm`)
//! Against libm (`f64::exp`, `f32::exp`) over the range the softmax uses, x ≤ 0, and beyond:
//! at most 1 ulp apart for f64 and for f32.

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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn exp_f64_avx512(xs: &mut [f64]) {
    exp_f64_body(xs)
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

#[inline(always)]
fn exp_f64_body(xs: &mut [f64]) {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    // ln 2 = head + tail; the head has 11 trailing zero bits (fdlibm's split).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 0.693147180369123816490
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
    // 1.5·2⁵²: adding it rounds to an integer held in the low bits of the mantissa.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    const C: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    for v in xs {
        let x0 = *v;
        let x = x0.clamp(-746.0, 710.0);
        let shifted = x * LOG2E + SHIFTER;
        let n = shifted - SHIFTER;
        let r = (x - n * LN2_HI) - n * LN2_LO;
        let mut p = C[11];
        for &c in C[..11].iter().rev() {
            p = p * r + c;
        }
        let p = 1.0 + r * (1.0 + r * p);
        // n in [−1077, 1025] sits in the low bits of `shifted`; 2^n = 2^h·2^(n−h), both normal.
        // (For a NaN x the bits are garbage: wrapping arithmetic, and the NaN is returned below.)
        let ni = (shifted.to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
        // ⌊n/2⌋ by a logical shift of n + 2048 ≥ 0 (AVX2 has no 64-bit arithmetic shift).
        let h = ((ni.wrapping_add(2048) as u64) >> 1) as i64 - 1024;
        let s1 = f64::from_bits(((h + 1023) as u64) << 52);
        let s2 = f64::from_bits((ni.wrapping_sub(h).wrapping_add(1023) as u64) << 52);
        let y = p * s1 * s2;
        *v = if x0.is_nan() {
            x0
        } else if x0 < -745.2 {
            0.0
        } else if x0 > 709.79 {
            f64::INFINITY
        } else {
            y
        };
    }
}

#[inline(always)]
fn exp_f32_body(xs: &mut [f32]) {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = f32::from_bits(0x3f31_8000); // 0.693359375, 9 significant bits
    const LN2_LO: f32 = f32::from_bits(0xb95e_8083); // −2.12194440e-4
    // 1.5·2²³.
    const SHIFTER: f32 = 12_582_912.0;
    const C: [f32; 6] = [1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0];
    for v in xs {
        let x0 = *v;
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
        *v = if x0.is_nan() {
            x0
        } else if x0 < -103.98 {
            0.0
        } else if x0 > 88.73 {
            f32::INFINITY
        } else {
            y
        };
    }
}
