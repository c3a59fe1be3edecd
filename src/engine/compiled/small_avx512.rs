//! [`OneLayer::batch_step`]'s blocks for Iris's shape (4 inputs, 3 classes) in f64, written
//! with AVX-512 intrinsics: the engine issue's W1 (Iris full batch, 10,000 epochs) is this
//! function 10,000 times over, 19 blocks of 8 samples each.
//!
//! The generic blocks ([`OneLayer`]'s `blocks_body`) take 32 samples at a time in arrays the
//! compiler vectorises, and exponentiate through a call: the block lived on the stack, and the
//! call clobbered every vector register (perf: a flat profile of loads and stores around the
//! arithmetic). Here a block is one register of eight samples, and the gradient's 12 + 3
//! accumulators, the loss's 2 and a block's working values stay in AVX-512's 32 registers; the
//! exponential is `vexp::exp_f64_zmm`, inlined (its arguments z_c − max are ≤ 0 or NaN).
//!
//! # Same bits
//! Every number is formed by the generic blocks' operations in their order (a multiply and an
//! add stay two roundings: no fused multiply-add is written), and each lane of an accumulator
//! takes the samples j ≡ lane (mod 8) in sample order, as the generic blocks' lanes do: the
//! gradient, loss and counts are the same bits (the unit test
//! `the_register_kernel_gives_the_generic_bits`), whichever path a CPU takes.

use super::plan::Batch;
use super::small::{Checks, LossSum, OneLayer, settle_product};
use super::vexp::exp_f64_zmm;
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

/// Inputs and classes of the shape this kernel is written for.
pub const INPUTS: usize = 4;
/// See [`INPUTS`].
pub const CLASSES: usize = 3;
/// Samples per block: one register.
const L: usize = 8;
/// Blocks whose factors of the loss's product a lane takes before its logarithm is taken (256
/// samples, as the generic blocks settle).
const SETTLE_BLOCKS: usize = 32;

/// Whether this CPU runs [`blocks`].
pub fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("popcnt")
}

/// [`OneLayer::batch_step`] (with `train`) or [`OneLayer::count_correct`] (without) for a layer
/// of [`INPUTS`] inputs and [`CLASSES`] classes.
///
/// # Shapes
/// `params`: the flat parameters; `x`: m samples of 4 features; `labels`: m.
///
/// # Safety
/// The CPU must have AVX-512F and DQ ([`available`]).
#[target_feature(enable = "avx512f,avx512dq,popcnt")]
pub unsafe fn blocks(
    layer: &OneLayer<f64>,
    params: &[f64],
    x: Batch<f64>,
    labels: &[usize],
    train: Option<(&mut [f64], &mut LossSum<f64>)>,
) -> Checks {
    const F: usize = INPUTS;
    const K: usize = CLASSES;
    assert!((layer.inputs, layer.classes) == (F, K) && labels.len() == x.m, "a batch this kernel does not take");
    let (m, training) = (x.m, train.is_some());
    let (add, sub, mul, splat) = (_mm512_add_pd, _mm512_sub_pd, _mm512_mul_pd, _mm512_set1_pd);
    let (zero, one) = (_mm512_setzero_pd(), splat(1.0));
    // (Loops, not `array::from_fn`: its closures were not inlined, and took their registers
    // through memory.)
    let (mut w, mut b, mut class) = ([[zero; F]; K], [zero; K], [zero; K]);
    for c in 0..K {
        for p in 0..F {
            w[c][p] = splat(params[layer.w_at + c * F + p]);
        }
        b[c] = splat(layer.b_at.map_or(0.0, |at| params[at + c]));
        class[c] = splat(c as f64);
    }
    let scale = splat(1.0 / (m as f64 * layer.ln_base));
    let loss_scale = -1.0 / (m as f64 * layer.ln_base);
    let tol = splat(layer.tie_tol);
    let (mut acc_w, mut acc_b) = ([[zero; F]; K], [zero; K]);
    let (mut acc_offset, mut acc_log, mut q) = (zero, zero, zero);
    // z − z summed over the live lanes: NaN at the end exactly when a logit was not finite.
    let mut logit_gaps = zero;
    let mut correct = 0;
    // A chunk's samples and gradients at the logits, kept from the first pass to the second.
    let mut chunk_x = [MaybeUninit::<[__m512d; F]>::uninit(); SETTLE_BLOCKS];
    let mut chunk_g = [MaybeUninit::<[__m512d; K]>::uninit(); SETTLE_BLOCKS];
    for c0 in (0..m).step_by(L * SETTLE_BLOCKS) {
        let blocks_here = (m - c0).div_ceil(L).min(SETTLE_BLOCKS);
        for i in 0..blocks_here {
            let j0 = c0 + i * L;
            let n = (m - j0).min(L);
            // The lanes holding samples; the others hold zeros and the label −1, which no class has.
            let live: __mmask8 = if n == L { 0xff } else { (1u8 << n) - 1 };
            let mut xs = [zero; F];
            for (p, xp) in xs.iter_mut().enumerate() {
                let from = p * x.rs + j0 * x.cs;
                *xp = if x.cs == 1 {
                    assert!(from + n <= x.data.len(), "a block past the batch's end");
                    // SAFETY: the live lanes' n numbers are in bounds (above); the others are not read.
                    unsafe { _mm512_maskz_loadu_pd(live, x.data.as_ptr().add(from)) }
                } else {
                    let mut lanes = [0.0; L];
                    for (l, v) in lanes[..n].iter_mut().enumerate() {
                        *v = x.data[from + l * x.cs];
                    }
                    // SAFETY: `lanes` holds 8 f64.
                    unsafe { _mm512_loadu_pd(lanes.as_ptr()) }
                };
            }
            let block_labels = &labels[j0..j0 + n];
            // SAFETY: the live lanes' n labels are in bounds (a slice of n); the others are not read.
            let t = unsafe { _mm512_maskz_loadu_epi64(live, block_labels.as_ptr().cast()) };
            let t = _mm512_mask_blend_pd(live, splat(-1.0), _mm512_cvtepu64_pd(t));
            // z = W·x + b, each a dot product in input order (0 + w·x first, as the generic sum).
            let mut z = [zero; K];
            for c in 0..K {
                for p in 0..F {
                    z[c] = add(z[c], mul(w[c][p], xs[p]));
                }
                if layer.b_at.is_some() {
                    z[c] = add(z[c], b[c]);
                }
            }
            for zc in z {
                logit_gaps = add(logit_gaps, _mm512_maskz_sub_pd(live, zc, zc));
            }
            // The max and first argmax (a float), the class's tie check, the hits.
            let (mut mx, mut a) = (z[0], zero);
            for c in 1..K {
                let above = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(z[c], mx);
                (mx, a) = (_mm512_mask_blend_pd(above, mx, z[c]), _mm512_mask_blend_pd(above, a, class[c]));
            }
            // (The last class is never below the argmax.)
            let mut near: __mmask8 = 0;
            for c in 0..K - 1 {
                let apart = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(sub(mx, z[c]), tol);
                near |= _mm512_cmp_pd_mask::<_CMP_LT_OQ>(class[c], a) & !apart;
            }
            let hits = _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(a, t) & !near;
            correct += hits.count_ones() as usize;
            if near & live != 0 {
                correct += near_classes(layer, z, near, block_labels);
            }
            if !training {
                continue;
            }
            chunk_x[i].write(xs);
            // e^(z_c − max) for the classes other than the argmax: row r holds class r below the
            // argmax, class r + 1 from it on.
            let mut e = [zero; K - 1];
            // s = Σ_{c≠argmax} e^(z_c − max) in ascending c, 0 in the lanes past the end.
            let mut s = zero;
            for r in 0..K - 1 {
                let below_argmax = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(class[r], a);
                e[r] = exp_f64_zmm::<true>(_mm512_mask_blend_pd(below_argmax, sub(z[r + 1], mx), sub(z[r], mx)));
                s = add(s, e[r]);
            }
            let s = _mm512_maskz_mov_pd(live, s);
            // ln ŷ_t = (z_t − max) − ln(1 + s), with z_t − max read as 0 for the argmax.
            let mut offset = zero;
            for c in 0..K {
                let labelled =
                    _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(t, class[c]) & _mm512_cmp_pd_mask::<_CMP_NEQ_UQ>(a, class[c]);
                offset = _mm512_mask_blend_pd(labelled, offset, sub(z[c], mx));
            }
            acc_offset = add(acc_offset, offset);
            // Σ ln(1 + s_j) = ln Π (1 + s_j), the product kept as q = Π − 1 (see the generic blocks).
            q = add(add(q, s), mul(q, s));
            if i == SETTLE_BLOCKS - 1 {
                (q, acc_log) = settle(q, acc_log);
            }
            // (ŷ − y)/(m·ln b) with ŷ_c = e_c·(1/(1 + s)).
            let inv = _mm512_div_pd(one, add(one, s));
            let share = mul(s, inv);
            let mut g = [zero; K];
            for c in 0..K {
                let y = _mm512_mask_blend_pd(_mm512_cmp_pd_mask::<_CMP_EQ_OQ>(t, class[c]), zero, one);
                // Class c's exponential: row c below the argmax, row c − 1 above it (class K − 1
                // is never below the argmax).
                let below = if c < K - 1 { mul(e[c], inv) } else { zero };
                let above = mul(e[c.max(1) - 1], inv);
                let p = _mm512_mask_blend_pd(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(class[c], a), above, below);
                let is_argmax = _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(a, class[c]);
                let d = _mm512_mask_blend_pd(is_argmax, sub(p, y), sub(sub(one, y), share));
                g[c] = _mm512_maskz_mul_pd(live, d, scale);
            }
            chunk_g[i].write(g);
        }
        // The second pass: the gradient's products with the samples (its 15 accumulators in
        // registers, which the first pass's working values would crowd out).
        if training {
            for (xs, g) in chunk_x[..blocks_here].iter().zip(&chunk_g[..blocks_here]) {
                // SAFETY: the first pass wrote both for each of the chunk's blocks when training.
                let (xs, g) = unsafe { (xs.assume_init(), g.assume_init()) };
                for c in 0..K {
                    acc_b[c] = add(acc_b[c], g[c]);
                    for p in 0..F {
                        acc_w[c][p] = add(acc_w[c][p], mul(g[c], xs[p]));
                    }
                }
            }
        }
    }
    let logits_finite = lanes(logit_gaps).iter().all(|v| !v.is_nan());
    if let Some((grad, losses)) = train {
        (_, acc_log) = settle(q, acc_log);
        let (dw, db) = grad.split_at_mut(K * F);
        for (c, row) in dw.chunks_exact_mut(F).enumerate() {
            for (d, &acc) in row.iter_mut().zip(&acc_w[c]) {
                *d = sum(acc);
            }
        }
        if layer.b_at.is_some() {
            for (d, &acc) in db[..K].iter_mut().zip(&acc_b) {
                *d = sum(acc);
            }
        }
        losses.add((sum(acc_offset) - sum(acc_log)) * loss_scale + 0.0);
    }
    Checks { correct, logits_finite }
}

/// [`OneLayer::near_classes`] for the lanes `near` flags among the block's `labels`, out of
/// line (rarely taken).
#[inline(never)]
#[target_feature(enable = "avx512f")]
fn near_classes(layer: &OneLayer<f64>, z: [__m512d; CLASSES], near: __mmask8, labels: &[usize]) -> usize {
    let z = [lanes(z[0]), lanes(z[1]), lanes(z[2])];
    let near: [bool; L] = std::array::from_fn(|l| near >> l & 1 == 1);
    layer.near_classes(CLASSES, &z, &near[..labels.len()], labels)
}

/// The lanes' sum in [`super::kernels::sum`]'s order, ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 +
/// l7)), by two shuffles of halves and three adds (the slice function is a call and a loop).
#[inline]
#[target_feature(enable = "avx512f")]
fn sum(v: __m512d) -> f64 {
    // Lanes 4–7 onto 0–3: lane l holds l_l + l_(l+4).
    let v = _mm512_add_pd(v, _mm512_shuffle_f64x2::<0b01_00_11_10>(v, v));
    // Lanes 2–3 onto 0–1: lane 0 holds (l0 + l4) + (l2 + l6), lane 1 (l1 + l5) + (l3 + l7).
    let v = _mm512_add_pd(v, _mm512_shuffle_f64x2::<0b00_00_00_01>(v, v));
    _mm512_cvtsd_f64(_mm512_add_pd(v, _mm512_permute_pd::<0b01>(v)))
}

/// A register's eight numbers.
#[inline]
#[target_feature(enable = "avx512f")]
fn lanes(v: __m512d) -> [f64; L] {
    let mut out = [0.0; L];
    // SAFETY: `out` holds 8 f64.
    unsafe { _mm512_storeu_pd(out.as_mut_ptr(), v) };
    out
}

/// The generic blocks' `settle_product` on registers: ln(1 + q) of each lane added to `logs`,
/// the products started again.
#[target_feature(enable = "avx512f")]
fn settle(q: __m512d, logs: __m512d) -> (__m512d, __m512d) {
    let (mut q, mut logs) = (lanes(q), lanes(logs));
    settle_product(&mut q, &mut logs);
    // SAFETY: both hold 8 f64.
    unsafe { (_mm512_loadu_pd(q.as_ptr()), _mm512_loadu_pd(logs.as_ptr())) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compiled::kernels::ColStats;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The register kernel against the generic blocks on the same inputs: the gradient, the
    /// loss and the checks to the bit. Batches of 1…600 samples (a partial last block; 256 and
    /// more take the loss's product settled mid-batch), samples as columns (contiguous) and as
    /// rows, with and without a bias, natural and base-2 logarithms, logits from small to large
    /// (near-ties, and exponentials that underflow), weights with two equal rows (exact ties:
    /// the out-of-line class check), an infinite weight (logits not finite), and the count of
    /// the classes alone.
    #[test]
    fn the_register_kernel_gives_the_generic_bits() {
        if !available() {
            return;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (f, k) = (INPUTS, CLASSES);
        let bits = |v: &[f64]| v.iter().map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() }).collect::<Vec<_>>();
        let (mut cases, mut near) = (0, 0);
        for m in [1, 2, 7, 8, 9, 31, 150, 255, 256, 257, 300, 511, 512, 600] {
            for (spread, tie, infinite) in [
                (1.0, false, false),
                (40.0, false, false),
                (400.0, false, false),
                (1.0, true, false),
                (1.0, false, true),
            ] {
                for (bias, ln_base) in [(true, 1.0), (false, std::f64::consts::LN_2)] {
                    let x: Vec<f64> = (0..m * f).map(|_| rng.random_range(-2.0..2.0)).collect();
                    let mut params: Vec<f64> = (0..k * f + k).map(|_| rng.random_range(-spread..spread)).collect();
                    if tie {
                        // Class 1's weights a rounding above class 0's: its logit is the max by
                        // a rounding error or so, within the tie tolerance of class 0's.
                        for p in 0..f {
                            params[f + p] = params[p] * (1.0 + 4.0 * f64::EPSILON);
                        }
                        if bias {
                            params[k * f + 1] = params[k * f];
                        }
                        // The samples whose class the near-tie check decides, by its definition.
                        let tol = ColStats::<f64>::tie_tolerance(k);
                        near += (0..m)
                            .filter(|&j| {
                                let z: Vec<f64> = (0..k)
                                    .map(|c| {
                                        let dot = (0..f).fold(0.0, |s, p| s + params[c * f + p] * x[j * f + p]);
                                        if bias { dot + params[k * f + c] } else { dot }
                                    })
                                    .collect();
                                let a = (1..k).fold(0, |a, c| if z[c] > z[a] { c } else { a });
                                (0..a).any(|c| (z[a] - z[c]).partial_cmp(&tol) != Some(std::cmp::Ordering::Greater))
                            })
                            .count();
                    }
                    if infinite {
                        params[5] = f64::INFINITY;
                    }
                    let x_t: Vec<f64> =
                        (0..f).flat_map(|p| (0..m).map(move |j| (p, j))).map(|(p, j)| x[j * f + p]).collect();
                    let labels: Vec<usize> = (0..m).map(|_| rng.random_range(0..k)).collect();
                    let layer = OneLayer {
                        inputs: f,
                        classes: k,
                        w_at: 0,
                        b_at: bias.then_some(k * f),
                        ln_base,
                        tie_tol: ColStats::<f64>::tie_tolerance(k),
                    };
                    for batch in [Batch::columns(&x_t, m, m), Batch::rows(&x, m, f)] {
                        let run = |kernel: bool, train: bool| {
                            let (mut grad, mut losses) = (vec![0.0; k * f + k], LossSum::immediate());
                            let given = train.then_some((&mut grad[..], &mut losses));
                            let checks = if kernel {
                                // SAFETY: `available` said the CPU has the features.
                                unsafe { blocks(&layer, &params, batch, &labels, given) }
                            } else {
                                layer.blocks_shaped(&params, batch, &labels, given)
                            };
                            (checks, bits(&grad), losses.finish().to_bits())
                        };
                        for train in [true, false] {
                            assert_eq!(
                                run(true, train),
                                run(false, train),
                                "m = {m}, spread {spread}, tie {tie}, infinite {infinite}, bias {bias}, train {train}"
                            );
                            cases += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 14 * 5 * 2 * 2 * 2);
        assert!(near > 100, "only {near} samples took the class check's near-tie path");
    }
}
