//! The small-model path: a network of one dense layer into softmax cross-entropy whose
//! parameters fit in registers and L1 (the blog's 4→3, Iris's 4→3), stepped sample by sample
//! on small batches; and the sum of an epoch's losses, whose logarithms wait to be taken in
//! vectors.
//!
//! Iris with batches of 1 (the engine issue's W2) is 150,000 steps of 24 multiply-adds, two
//! `exp` and one ln(1 + s). At that size what costs is everything around the arithmetic: a
//! buffer between two ops, a dispatch per op, a loop whose bounds are not known, a libm call. So
//! a step here keeps a sample's logits and exponentials in registers, and is compiled once more
//! for Iris's exact shape (4 inputs, 3 classes), where every loop is unrolled; and the step's
//! ln(1 + s), which only the reported loss needs (the gradient does not), is taken later as
//! the logarithm of a product with other steps' ([`LossSum`], [`super::vlog`]).
//!
//! Batches of 8 rows or more (Iris full batch, W1) take [`OneLayer::batch_step`] instead: 32
//! samples at a time in vector lanes, every op of the step fused in one pass over the batch;
//! for Iris's shape in f64 on an AVX-512 CPU, a kernel written with intrinsics that holds a
//! block of 8 samples and the gradient's accumulators in registers ([`super::small_avx512`],
//! the same bits, chosen through [`Real::one_layer_kernel`]).

use super::Real;
use super::kernels::{first_largest_log_prob, sum};
use super::plan::Batch;
use crate::softmax::RowStats;

/// The widest input and output of a network that takes this path: a sample, its logits and a
/// row of weights then live in registers and L1.
pub const TINY_IN: usize = 64;
/// See [`TINY_IN`].
pub const TINY_OUT: usize = 16;

/// Lanes of [`LossSum`]'s products: single sample i goes to lane i mod 32, and the lanes'
/// logarithms are taken as four vectors.
const PRODUCT_LANES: usize = 32;
/// Samples per lane before the lanes' logarithms are taken: each factor 1 + s is at most the
/// class count ≤ [`TINY_OUT`] = 2⁴, so a lane's product stays below 2¹⁶ in any float, and its
/// rounding (3 per factor) below 12 ulp.
const PRODUCT_DEPTH: usize = 4;

/// An epoch's losses summed (in f64, as the trainer reports them): each batch's loss and its
/// penalty. Every term is ≥ 0, so the order of the sum changes only its rounding.
///
/// A batch of one sample adds its loss in parts, (offset − ln(1 + rest))·scale with offset =
/// z_label − max (0 when the label is the argmax) and rest = s of its [`RowStats`]: the offsets
/// are summed, and Σ ln(1 + rest) is taken as ln Π (1 + rest), each lane's product kept as
/// q = Π − 1 (q ← q + rest + q·rest: every term ≥ 0, so a tiny rest keeps its digits where
/// 1 + rest would lose them); one vectorised logarithm per lane every 128 samples instead of
/// one per sample. The sum is the one the steps' own losses give, to the products' rounding
/// (below 12 ulp per lane) and the 1 ulp of the vectorised logarithm.
pub struct LossSum<F> {
    total: f64,
    /// Whether single-sample losses wait (a training epoch) or are settled at once.
    defer: bool,
    /// Σ offset of the waiting samples.
    offset: f64,
    /// Each lane's Π (1 + rest) − 1 over its waiting samples.
    q: [F; PRODUCT_LANES],
    waiting: usize,
    scale: F,
}

impl<F: Real> LossSum<F> {
    /// A sum whose single-sample losses wait for their logarithms: a training epoch's.
    pub fn deferred() -> LossSum<F> {
        LossSum { defer: true, ..LossSum::immediate() }
    }

    /// A sum that takes every logarithm at once (libm's): one batch's loss.
    pub fn immediate() -> LossSum<F> {
        LossSum { total: 0.0, defer: false, offset: 0.0, q: [F::zero(); PRODUCT_LANES], waiting: 0, scale: F::zero() }
    }

    /// Adds a batch's loss.
    pub fn add(&mut self, loss: F) {
        self.total += loss.to_f64().expect("a float");
    }

    /// Adds a one-sample batch's loss (offset − ln(1 + rest))·scale (+ 0, so that −0 is 0).
    #[inline]
    pub fn add_sample(&mut self, offset: F, rest: F, scale: F) {
        if !self.defer {
            return self.add((offset - rest.ln_1p()) * scale + F::zero());
        }
        if scale != self.scale || self.waiting == PRODUCT_LANES * PRODUCT_DEPTH {
            self.settle();
            self.scale = scale;
        }
        self.offset += offset.to_f64().expect("a float");
        let q = &mut self.q[self.waiting % PRODUCT_LANES];
        *q = (*q + rest) + *q * rest;
        self.waiting += 1;
    }

    /// Adds the penalty of the batch just added.
    pub fn add_penalty(&mut self, value: f64) {
        self.total += value;
    }

    /// The waiting losses added.
    fn settle(&mut self) {
        if self.waiting == 0 {
            return;
        }
        F::ln_1p_slice(&mut self.q);
        let logs = self.q.iter().fold(0.0, |sum, log| sum + log.to_f64().expect("a float"));
        let scale = self.scale.to_f64().expect("a float");
        self.total += (self.offset - logs) * scale + 0.0;
        (self.offset, self.q, self.waiting) = (0.0, [F::zero(); PRODUCT_LANES], 0);
    }

    /// The sum of everything added since the last call; the sum starts again from 0.
    pub fn finish(&mut self) -> f64 {
        self.settle();
        std::mem::take(&mut self.total)
    }
}

/// What a step found besides the loss and the gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// How many of the batch's samples the parameters (before the step's update) class right.
    pub correct: usize,
    /// Whether every logit was finite: if not, the classes are undefined.
    pub logits_finite: bool,
}

/// The one dense layer of a network on this path, and its loss's constants.
#[derive(Debug, Clone, Copy)]
pub struct OneLayer<F> {
    /// Inputs (≤ [`TINY_IN`]) and classes (≤ [`TINY_OUT`]).
    pub inputs: usize,
    /// See `inputs`.
    pub classes: usize,
    /// Where the weights (classes×inputs, row-major) and the bias sit in the flat parameters.
    pub w_at: usize,
    /// See `w_at`.
    pub b_at: Option<usize>,
    /// ln of the cross-entropy's base.
    pub ln_base: F,
    /// [`super::kernels::ColStats::tie_tolerance`] for the classes.
    pub tie_tol: F,
}

impl<F: Real> OneLayer<F> {
    /// The batch's loss (into `losses`) and its gradient in every parameter (into `grad`, the
    /// flat layout), sample by sample: a sample's logits, their [`RowStats`] (the max, the first
    /// argmax, s = Σ_{c≠argmax} e^(z_c − max) in ascending c, libm's exp), its loss term and
    /// (ŷ − y)/(m·ln b) as [`crate::softmax::cross_entropy_row`] forms them, then its outer
    /// product with the sample added into ∂E/∂W. No buffer between the ops, no dispatch per op,
    /// no allocation.
    ///
    /// The sums over samples run in sample order (the general path's products sum in 8 lanes),
    /// so the two agree to rounding, as both agree with the tape.
    ///
    /// # Shapes
    /// `params`, `grad`: the flat parameters; `x`: m samples of `inputs` features; `labels`: m.
    pub fn step(&self, params: &[F], x: Batch<F>, labels: &[usize], grad: &mut [F], losses: &mut LossSum<F>) -> Checks {
        // Iris's shape with constant bounds: the same code, its loops unrolled.
        match (self.inputs, self.classes) {
            (4, 3) => self.step_body(4, 3, params, x, labels, grad, losses),
            (f, k) => self.step_body(f, k, params, x, labels, grad, losses),
        }
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn step_body(
        &self,
        f: usize,
        k: usize,
        params: &[F],
        x: Batch<F>,
        labels: &[usize],
        grad: &mut [F],
        losses: &mut LossSum<F>,
    ) -> Checks {
        let m = x.m;
        assert!(f <= TINY_IN && k <= TINY_OUT && labels.len() == m, "batch of {m} rows does not fit the plan");
        let w = &params[self.w_at..self.w_at + k * f];
        let b = self.b_at.map(|at| &params[at..at + k]);
        let (dw, db) = grad.split_at_mut(k * f);
        let db = &mut db[..if b.is_some() { k } else { 0 }];
        dw.fill(F::zero());
        db.fill(F::zero());
        let scale = F::one() / (F::of(m as f64) * self.ln_base);
        let loss_scale = -F::one() / (F::of(m as f64) * self.ln_base);
        let mut xj = [F::zero(); TINY_IN];
        let (mut sum_log_p, mut correct, mut logits_finite) = (F::zero(), 0, true);
        for (j, &t) in labels.iter().enumerate() {
            for (p, v) in xj[..f].iter_mut().enumerate() {
                *v = x.data[p * x.rs + j * x.cs];
            }
            let sample = self.sample(f, k, w, b, &xj[..f]);
            let Sample { z, argmax: a, max: mx, rest: s, .. } = sample;
            let z = &z[..k];
            logits_finite &= z.iter().all(|v| v.is_finite());
            // ln ŷ_t = offset − ln(1 + s) (offset − … is −… exactly when offset is 0).
            let offset = if t == a { F::zero() } else { z[t] - mx };
            if m == 1 {
                losses.add_sample(offset, s, loss_scale);
            } else {
                sum_log_p = sum_log_p + (offset - s.ln_1p());
            }
            correct += usize::from(self.class(z, a, mx, s) == t);
            for c in 0..k {
                let g = sample.logit_grad(c, t, scale);
                for (d, &xv) in dw[c * f..(c + 1) * f].iter_mut().zip(&xj[..f]) {
                    *d = *d + g * xv;
                }
                if let Some(d) = db.get_mut(c) {
                    *d = *d + g;
                }
            }
        }
        if m > 1 {
            losses.add(sum_log_p * loss_scale + F::zero());
        }
        Checks { correct, logits_finite }
    }
}

/// One sample's forward pass on the path ([`OneLayer::sample`]).
struct Sample<F> {
    /// The logits (the first k).
    z: [F; TINY_OUT],
    /// The first largest logit's class.
    argmax: usize,
    /// The largest logit.
    max: F,
    /// s = Σ_{c≠argmax} e^(z_c − max), in ascending c.
    rest: F,
    /// e^(z_c − max) of the classes other than the argmax.
    e: [F; TINY_OUT],
}

impl<F: Real> Sample<F> {
    /// (ŷ_c − y_c)·`scale` for label `t`: the loss's gradient at logit c, with ŷ from the
    /// [`RowStats`] as [`crate::softmax::cross_entropy_row`] forms it (the argmax's 1 − s/(1 + s),
    /// the others' e_c/(1 + s)). [`OneLayer::step`] and [`OneLayer::sgd_step`] both take it.
    #[inline(always)]
    fn logit_grad(&self, c: usize, t: usize, scale: F) -> F {
        let total = F::one() + self.rest;
        let y = if c == t { F::one() } else { F::zero() };
        let d = if c == self.argmax { (F::one() - y) - self.rest / total } else { self.e[c] / total - y };
        d * scale
    }
}

impl<F: Real> OneLayer<F> {
    /// The logits z = W·x + b of one sample (each a dot product in input order, the small
    /// product's order), their max and first argmax, and the exponentials (libm's) and their
    /// sum of the [`RowStats`]: what [`OneLayer::step`] and [`OneLayer::sgd_step`] compute
    /// before the gradient.
    #[inline(always)]
    fn sample(&self, f: usize, k: usize, w: &[F], b: Option<&[F]>, xj: &[F]) -> Sample<F> {
        let mut z = [F::zero(); TINY_OUT];
        for (c, zc) in z[..k].iter_mut().enumerate() {
            let dot = w[c * f..(c + 1) * f].iter().zip(&xj[..f]).fold(F::zero(), |acc, (&wv, &xv)| acc + wv * xv);
            *zc = b.map_or(dot, |b| dot + b[c]);
        }
        let (mut argmax, mut max) = (0, z[0]);
        for (c, &v) in z[..k].iter().enumerate().skip(1) {
            if v > max {
                (argmax, max) = (c, v);
            }
        }
        let (mut rest, mut e) = (F::zero(), [F::zero(); TINY_OUT]);
        for c in 0..k {
            if c != argmax {
                e[c] = (z[c] - max).exp();
                rest = rest + e[c];
            }
        }
        Sample { z, argmax, max, rest, e }
    }

    /// A sample's class from its logits `z` and [`RowStats`]: the argmax, unless an earlier
    /// logit is within the tie tolerance of the max (then the exact log-probabilities decide).
    #[inline(always)]
    fn class(&self, z: &[F], argmax: usize, max: F, rest: F) -> usize {
        if (0..argmax).all(|c| max - z[c] > self.tie_tol) {
            argmax
        } else {
            first_largest_log_prob(&RowStats { max, argmax, rest }, z)
        }
    }

    /// [`OneLayer::step`] on one sample with sgd's update w ← w − lr·∂E/∂w made as each entry
    /// of the gradient is formed: no gradient buffer zeroed, written and read back, no
    /// optimizer pass. The same operations as the step and then [`crate::update::Optimizer`]'s
    /// sgd (∂E/∂w = 0 + g·x is g·x), so the same bits. Batches of one sample (the engine
    /// issue's W2: 150,000 steps) are a chain of steps, each needing the last one's weights.
    ///
    /// # Shapes
    /// `params`: the flat parameters; `x`: one sample of `inputs` features; `label` < classes.
    pub fn sgd_step(&self, params: &mut [F], x: Batch<F>, label: usize, lr: F, losses: &mut LossSum<F>) -> Checks {
        match (self.inputs, self.classes) {
            (4, 3) => self.sgd_body(4, 3, params, x, label, lr, losses),
            (f, k) => self.sgd_body(f, k, params, x, label, lr, losses),
        }
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn sgd_body(
        &self,
        f: usize,
        k: usize,
        params: &mut [F],
        x: Batch<F>,
        t: usize,
        lr: F,
        losses: &mut LossSum<F>,
    ) -> Checks {
        assert!(f <= TINY_IN && k <= TINY_OUT && x.m == 1, "a sample the plan does not take");
        // The step's constants for m = 1.
        let scale = F::one() / (F::one() * self.ln_base);
        let loss_scale = -F::one() / (F::one() * self.ln_base);
        let mut xj = [F::zero(); TINY_IN];
        for (p, v) in xj[..f].iter_mut().enumerate() {
            *v = x.data[p * x.rs];
        }
        let xj = &xj[..f];
        let (w, b) = params.split_at_mut(self.w_at + k * f);
        let w = &mut w[self.w_at..];
        let b = self.b_at.map(|at| &mut b[at - self.w_at - k * f..][..k]);
        let sample = self.sample(f, k, w, b.as_deref(), xj);
        let Sample { z, argmax: a, max: mx, rest: s, .. } = sample;
        let z = &z[..k];
        let logits_finite = z.iter().all(|v| v.is_finite());
        losses.add_sample(if t == a { F::zero() } else { z[t] - mx }, s, loss_scale);
        let class = self.class(z, a, mx, s);
        let mut b = b;
        for c in 0..k {
            let g = sample.logit_grad(c, t, scale);
            for (wv, &xv) in w[c * f..(c + 1) * f].iter_mut().zip(xj) {
                *wv = *wv - lr * (g * xv);
            }
            if let Some(b) = b.as_mut() {
                b[c] = b[c] - lr * g;
            }
        }
        Checks { correct: usize::from(class == t), logits_finite }
    }
}

/// Samples [`OneLayer::batch_step`] takes at once: four vectors of eight, so that the
/// vectorised exp and ln(1 + s) run whole (their loops take 32 numbers at a time; on 8 they
/// fall to a scalar remainder).
const BLOCK_SAMPLES: usize = 32;
/// Lanes of the gradient's accumulators: one vector.
const ACC: usize = 8;

/// Where a training pass of [`OneLayer::batch_step`] puts its gradient and its loss (none for
/// a count of the classes).
pub type Train<'a, F> = Option<(&'a mut [F], &'a mut LossSum<F>)>;
/// The widest network [`OneLayer::batch_step`] takes: its gradient's accumulators (a lane per
/// weight and sample) then stay within a few KiB of stack.
pub const BATCH_IN: usize = 16;
/// See [`BATCH_IN`].
pub const BATCH_OUT: usize = 8;

impl<F: Real> OneLayer<F> {
    /// Whether [`OneLayer::batch_step`] takes this network.
    pub fn fits_batches(&self) -> bool {
        self.inputs <= BATCH_IN && self.classes <= BATCH_OUT
    }

    /// [`OneLayer::step`] for a batch of any size, `BLOCK_SAMPLES` (32) samples at a time, a lane
    /// each: the logits, their max and argmax, the k − 1 exponentials other than the argmax's
    /// ([`super::vexp`]), the loss, the class check, the gradient at the logits and its products
    /// with the samples, in one pass over the batch with the block in L1 and the gradient's
    /// accumulators in registers (the column kernels make five passes over buffers of the whole
    /// batch, and exponentiate the argmax too). The sums over samples run in eight lanes added
    /// at the end, as [`super::kernels::sum`] adds them.
    ///
    /// Two things differ from the tape by rounding only (1 ulp, well within its 1e-12): ŷ_c is
    /// e_c·(1/(1 + s)), one division per sample rather than one per class; and the loss's
    /// Σ ln(1 + s_j) is taken as ln Π (1 + s_j), one logarithm per lane and batch rather than
    /// one per sample (measured: ln(1 + s) took 8% of an Iris full-batch run, now 2%).
    ///
    /// Measured on Iris full batch (W1, 150 rows): the whole `train` process about 1.4× faster
    /// than through the column kernels.
    ///
    /// # Shapes
    /// As [`OneLayer::step`], with at most [`BATCH_IN`] inputs and [`BATCH_OUT`] classes.
    pub fn batch_step(
        &self,
        params: &[F],
        x: Batch<F>,
        labels: &[usize],
        grad: &mut [F],
        losses: &mut LossSum<F>,
    ) -> Checks {
        self.blocks(params, x, labels, Some((grad, losses)))
    }

    /// How many of the samples the parameters class as `labels` say (the first largest
    /// log-probability, as [`crate::predict::classes`] gives it), and whether every logit was
    /// finite (if not, the count means nothing): [`OneLayer::batch_step`]'s forward pass alone,
    /// the training accuracy after an epoch.
    ///
    /// # Shapes
    /// As [`OneLayer::batch_step`].
    pub fn count_correct(&self, params: &[F], x: Batch<F>, labels: &[usize]) -> Checks {
        self.blocks(params, x, labels, None)
    }

    /// The blocks of [`OneLayer::batch_step`], with its gradient and loss when `train` is given.
    fn blocks(&self, params: &[F], x: Batch<F>, labels: &[usize], mut train: Train<F>) -> Checks {
        assert!(self.fits_batches() && labels.len() == x.m, "a batch this network does not take");
        let lent = train.as_mut().map(|(grad, losses)| (&mut **grad, &mut **losses));
        if let Some(checks) = F::one_layer_kernel(self, params, x, labels, lent) {
            return checks;
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            // SAFETY: the CPU has the features the copy is compiled for.
            return unsafe { self.blocks_avx512(params, x, labels, train) };
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { self.blocks_avx2(params, x, labels, train) };
        }
        self.blocks_shaped(params, x, labels, train)
    }

    /// [`OneLayer::batch_step`] compiled with AVX-512: the same operations in the same order (no
    /// fused multiply-add is formed), the same bits, in vectors of eight samples (DQ converts
    /// the labels to floats in vectors).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl")]
    fn blocks_avx512(&self, params: &[F], x: Batch<F>, labels: &[usize], train: Train<F>) -> Checks {
        self.blocks_shaped(params, x, labels, train)
    }

    /// [`OneLayer::batch_step`] compiled with AVX2 (the same bits).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn blocks_avx2(&self, params: &[F], x: Batch<F>, labels: &[usize], train: Train<F>) -> Checks {
        self.blocks_shaped(params, x, labels, train)
    }

    /// The generic blocks as this copy's CPU features compile them (the blocks
    /// [`super::small_avx512`] is checked against, to the bit).
    #[inline(always)]
    pub(super) fn blocks_shaped(&self, params: &[F], x: Batch<F>, labels: &[usize], train: Train<F>) -> Checks {
        // Iris's shape with constant bounds, as in `step`, and its arrays sized to it.
        match (self.inputs, self.classes) {
            (4, 3) => self.blocks_body::<4, 3>(4, 3, params, x, labels, train),
            (f, k) => self.blocks_body::<BATCH_IN, BATCH_OUT>(f, k, params, x, labels, train),
        }
    }

    /// The blocks for `f` ≤ `FM` inputs and `k` ≤ `KM` classes (arrays sized by `FM` and `KM`,
    /// loops bounded by `f` and `k`).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn blocks_body<const FM: usize, const KM: usize>(
        &self,
        f: usize,
        k: usize,
        params: &[F],
        x: Batch<F>,
        labels: &[usize],
        train: Train<F>,
    ) -> Checks {
        const B: usize = BLOCK_SAMPLES;
        let (m, training) = (x.m, train.is_some());
        let w = &params[self.w_at..self.w_at + k * f];
        let b = self.b_at.map(|at| &params[at..at + k]);
        let scale = F::one() / (F::of(m as f64) * self.ln_base);
        let loss_scale = -F::one() / (F::of(m as f64) * self.ln_base);
        let tol = self.tie_tol;
        let (zero, acc_zero) = ([F::zero(); B], [F::zero(); ACC]);
        let (mut acc_w, mut acc_b) = ([[acc_zero; FM]; KM], [acc_zero; KM]);
        // The loss in parts: Σ (z_label − max), and Σ ln(1 + s) as the logarithm of a product
        // (below), each in eight lanes.
        let (mut acc_offset, mut acc_log, mut q) = (acc_zero, acc_zero, acc_zero);
        let (mut xs, mut z, mut e) = ([zero; FM], [zero; KM], [zero; KM]);
        let (mut correct, mut logits_finite) = (0, true);
        for (block, j0) in (0..m).step_by(B).enumerate() {
            let n = (m - j0).min(B);
            // The block's samples, a lane each; lanes past the batch's end hold zeros and a
            // label no class has, and their gradient and loss are set to 0 below.
            for (p, lanes) in xs[..f].iter_mut().enumerate() {
                let from = p * x.rs + j0 * x.cs;
                if n == B && x.cs == 1 {
                    lanes.copy_from_slice(&x.data[from..from + B]);
                } else {
                    for (l, v) in lanes.iter_mut().enumerate() {
                        *v = if l < n { x.data[from + l * x.cs] } else { F::zero() };
                    }
                }
            }
            // The block read from its copy: the compiler otherwise reads the data where it lies,
            // and pairs the features (strided) into vectors by gathers instead of the samples.
            let xs = std::hint::black_box(&xs);
            let mut t = [-F::one(); B];
            if n == B {
                // A whole block's labels converted in vectors (a loop of unknown length is not).
                let block: &[usize; B] = labels[j0..j0 + B].try_into().expect("a block of labels");
                t = block.map(|c| F::of(c as f64));
            } else {
                for (l, tl) in t[..n].iter_mut().enumerate() {
                    *tl = F::of(labels[j0 + l] as f64);
                }
            }
            // z = W·x + b, each a dot product in input order (as `step` forms it).
            for c in 0..k {
                let mut zc = zero;
                for (p, lanes) in xs[..f].iter().enumerate() {
                    let wv = w[c * f + p];
                    for l in 0..B {
                        zc[l] = zc[l] + wv * lanes[l];
                    }
                }
                if let Some(b) = b {
                    zc.iter_mut().for_each(|v| *v = *v + b[c]);
                }
                z[c] = zc;
            }
            let z = &z[..k];
            logits_finite &= z.iter().fold(true, |ok, zc| zc[..n].iter().fold(ok, |ok, v| ok & v.is_finite()));
            // The max and first argmax (as a float: compares and selects of floats vectorise).
            let (mut mx, mut a) = (z[0], zero);
            for (c, zc) in z.iter().enumerate().skip(1) {
                let cf = F::of(c as f64);
                for l in 0..B {
                    if zc[l] > mx[l] {
                        (mx[l], a[l]) = (zc[l], cf);
                    }
                }
            }
            // The class is the argmax, unless an earlier logit is within the tie tolerance of the
            // max (then the exact log-probabilities decide, rarely; NaN gaps count as near).
            let mut near = [false; B];
            for (c, zc) in z.iter().enumerate() {
                let cf = F::of(c as f64);
                for l in 0..B {
                    let apart = mx[l] - zc[l] > tol;
                    near[l] |= cf < a[l] && !apart;
                }
            }
            let mut hits = [0u32; B];
            for l in 0..B {
                hits[l] = u32::from(a[l] == t[l] && !near[l]);
            }
            correct += hits.iter().sum::<u32>() as usize;
            if near.contains(&true) {
                correct += self.near_classes(k, z, &near[..n], &labels[j0..j0 + n]);
            }
            if !training {
                continue;
            }
            // e^(z_c − max) for the k − 1 classes other than the argmax (its own is 1): row r
            // holds class r below the argmax, class r + 1 from it on. The rows exponentiated
            // in one call (one dispatch and setup rather than one per row).
            for (r, er) in e[..k - 1].iter_mut().enumerate() {
                let rf = F::of(r as f64);
                for l in 0..B {
                    // Both differences formed, then one picked: a pick between two loads
                    // compiles to a gather of their addresses.
                    let (below, above) = (z[r][l] - mx[l], z[r + 1][l] - mx[l]);
                    er[l] = if rf < a[l] { below } else { above };
                }
            }
            F::exp_slice(e[..k - 1].as_flattened_mut());
            // s = Σ_{c≠argmax} e^(z_c − max) in ascending c.
            let mut s = zero;
            for er in &e[..k - 1] {
                for l in 0..B {
                    s[l] = s[l] + er[l];
                }
            }
            // (0 in the lanes past the end.)
            for (l, sl) in s.iter_mut().enumerate() {
                *sl = if l < n { *sl } else { F::zero() };
            }
            // ln ŷ_t = (z_t − max) − ln(1 + s), with z_t − max read as 0 for the argmax.
            let mut offset = zero;
            for (c, zc) in z.iter().enumerate() {
                let cf = F::of(c as f64);
                for l in 0..B {
                    if t[l] == cf && a[l] != cf {
                        offset[l] = zc[l] - mx[l];
                    }
                }
            }
            add_lanes(&mut acc_offset, &offset);
            // Σ ln(1 + s_j) = ln Π (1 + s_j), the product kept as q = Π − 1 (q ← q + s + q·s:
            // every term ≥ 0, so q keeps its digits where every s is tiny and 1 + s would lose
            // them). Each factor is at most k ≤ 8 (s sums k − 1 numbers ≤ 1) and a lane takes
            // 4 per block, so 8 blocks (≤ 2⁹⁶) fit any float; then the lanes' logarithms are
            // taken.
            for chunk in s.chunks_exact(ACC) {
                for (qi, &sl) in q.iter_mut().zip(chunk) {
                    *qi = (*qi + sl) + *qi * sl;
                }
            }
            if block % 8 == 7 {
                settle_product(&mut q, &mut acc_log);
            }
            // (ŷ − y)/(m·ln b), and its products with the samples: ŷ_c = e_c·(1/(1 + s)), one
            // division per sample.
            let (mut inv, mut share) = (zero, zero);
            for l in 0..B {
                inv[l] = F::one() / (F::one() + s[l]);
                share[l] = s[l] * inv[l];
            }
            for c in 0..k {
                let cf = F::of(c as f64);
                let mut g = zero;
                for l in 0..B {
                    let y = if t[l] == cf { F::one() } else { F::zero() };
                    // Class c's exponential: row c below the argmax, row c − 1 above it.
                    // (Both products formed, then one picked, as above.)
                    let (below, above) = (e[c][l] * inv[l], e[c.max(1) - 1][l] * inv[l]);
                    let p = if cf < a[l] { below } else { above };
                    let d = if a[l] == cf { (F::one() - y) - share[l] } else { p - y };
                    g[l] = if l < n { d * scale } else { F::zero() };
                }
                add_lanes(&mut acc_b[c], &g);
                for (p, lanes) in xs[..f].iter().enumerate() {
                    let mut product = zero;
                    for l in 0..B {
                        product[l] = g[l] * lanes[l];
                    }
                    add_lanes(&mut acc_w[c][p], &product);
                }
            }
        }
        if let Some((grad, losses)) = train {
            settle_product(&mut q, &mut acc_log);
            let (dw, db) = grad.split_at_mut(k * f);
            for (c, row) in dw.chunks_exact_mut(f).enumerate() {
                for (d, acc) in row.iter_mut().zip(&acc_w[c]) {
                    *d = sum(acc);
                }
            }
            if b.is_some() {
                for (d, acc) in db[..k].iter_mut().zip(&acc_b[..k]) {
                    *d = sum(acc);
                }
            }
            losses.add((sum(&acc_offset) - sum(&acc_log)) * loss_scale + F::zero());
        }
        Checks { correct, logits_finite }
    }

    /// How many of a block's samples flagged `near` (an earlier logit within the tie tolerance
    /// of the max) are classed as `labels` say by their exact log-probabilities: out of line,
    /// as it is rarely taken.
    ///
    /// # Shapes
    /// `z`: k rows of a block's logits; `near`, `labels`: the block's samples.
    #[inline(never)]
    pub(super) fn near_classes<const N: usize>(
        &self,
        k: usize,
        z: &[[F; N]],
        near: &[bool],
        labels: &[usize],
    ) -> usize {
        let mut correct = 0;
        for (l, &t) in labels.iter().enumerate().filter(|&(l, _)| near[l]) {
            let column: [F; TINY_OUT] = std::array::from_fn(|c| if c < k { z[c][l] } else { F::zero() });
            let class = first_largest_log_prob(&RowStats::of(&column[..k]), &column[..k]);
            correct += usize::from(class == t);
        }
        correct
    }
}

/// Adds a block's values to the accumulator's lanes, sample j into lane j mod [`ACC`], in
/// sample order: a vector add per [`ACC`] samples.
#[inline(always)]
fn add_lanes<F: Real>(acc: &mut [F; ACC], values: &[F; BLOCK_SAMPLES]) {
    for chunk in values.chunks_exact(ACC) {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a = *a + v;
        }
    }
}

/// Adds ln(1 + q) of each lane to `logs` and starts the products `q` again.
pub(super) fn settle_product<F: Real>(q: &mut [F; ACC], logs: &mut [F; ACC]) {
    F::ln_1p_slice(q);
    for (log, q) in logs.iter_mut().zip(q.iter_mut()) {
        *log = *log + *q;
        *q = F::zero();
    }
}
