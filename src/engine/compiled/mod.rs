//! The compiled engine: a model turned once into a fixed step plan over preallocated buffers, for
//! training and prediction at the speed of the matrix products.
//!
//! The tape (`crate::autodiff`) records every operation so that `explain`, `--trace` and the
//! checks can show each number; that bookkeeping (an allocation per op, a gradient for every
//! value, the data input included) is what makes it slow as a trainer. This engine computes the
//! same numbers without it:
//! - the network is described by its own small [`NetSpec`] (dense layers, activations, a softmax
//!   or log-softmax output, a [`crate::loss::Loss`]); [`spec::from_model`] is the one adapter from
//!   [`crate::model::Model`] and [`spec::write_params`] the one back;
//! - [`Plan`] owns every buffer a step needs, sized for the largest batch: activations are kept
//!   units×samples (a column per sample), so the softmax of a batch runs along contiguous rows
//!   of samples, and a step allocates nothing;
//! - softmax + cross-entropy are fused: the gradient at the logits is (ŷ − y)/(m·ln b), with one
//!   `exp` per logit ([`kernels::softmax_cross_entropy`], the column form of
//!   [`crate::softmax::cross_entropy_row`], bit for bit);
//! - no gradient is taken for the data input, and the parameters and optimizer state are flat
//!   buffers updated in place ([`optim::FlatOptimizer`], the semantics of [`crate::update`]);
//! - matrix products read row-major data where it lies ([`direct`]: the forward product of a
//!   layer with few outputs, and every weight gradient), else go through `matrixmultiply`; they
//!   are split over columns of the output (or, in a training step, rows) across a [`team`] of
//!   spinning threads when they are large enough to pay for it ([`kernels::Gemm`]); a split
//!   over the output never splits a sum, so every thread count gives the same bits.
//!
//! - networks of one dense layer into softmax cross-entropy small enough for registers and L1
//!   (Iris, the blog's 4→3) take [`small`]'s path: no buffer between the ops, a batch of one
//!   sample's ln(1 + s) deferred and taken in vectors with other steps', larger batches in one
//!   fused pass of 32-sample blocks.
//!
//! One generic code path serves f32 and f64 ([`Real`]).

pub mod direct;
pub mod kernels;
pub mod optim;
pub mod plan;
pub mod predict;
pub mod small;
#[cfg(target_arch = "x86_64")]
pub mod small_avx512;
pub mod spec;
pub mod team;
pub mod train;
pub mod vexp;
pub mod vlog;
pub mod workloads;

pub use plan::Plan;
pub use spec::{LayerSpec, NetSpec};

/// The float types the engine runs in, f32 and f64: the engines' [`crate::engine::Real`] with
/// what differs between the two here (which GEMM routine multiplies their matrices, which
/// vectorised exp); everything else is written once over [`num_traits::Float`].
pub trait Real: super::Real + Default + direct::Lanes {
    /// C ← α·A·B + β·C, A m×k, B k×n, C m×n, each with a row stride and a column stride (in
    /// elements).
    ///
    /// # Safety
    /// Every pointer must be valid for the strided extent of its matrix, and C must not alias A or B.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );

    /// The value as this type (f64 → f32 rounds to nearest).
    fn of(x: f64) -> Self {
        Self::from(x).expect("every f64 converts to an f32 or f64")
    }

    /// The dtype's name, for reports: `f32` or `f64`.
    const NAME: &'static str;

    /// The type as messages name it: `float32` or `float64`.
    const FLOAT_NAME: &'static str;

    /// e^x for every x, vectorised ([`vexp`]).
    fn exp_slice(xs: &mut [Self]);

    /// ln(1 + x) for every x, vectorised ([`vlog`]).
    fn ln_1p_slice(xs: &mut [Self]);

    /// [`small::OneLayer`]'s blocks by a kernel written for this type and the layer's shape,
    /// if this CPU runs one ([`small_avx512`]: Iris in f64); `None` if not.
    fn one_layer_kernel(
        _layer: &small::OneLayer<Self>,
        _params: &[Self],
        _x: plan::Batch<Self>,
        _labels: &[usize],
        _train: small::Train<Self>,
    ) -> Option<small::Checks> {
        None
    }

    /// Whether f64 data must be converted (into a buffer) to be read as this type.
    const CONVERTS: bool;

    /// f64 numbers as this type: `src` itself for f64, for f32 rounded into `buf`.
    fn view_f64<'a>(src: &'a [f64], buf: &'a mut [Self]) -> &'a [Self];

    /// `dst` ← `src`, copied (f64) or rounded (f32).
    fn fill_from_f64(dst: &mut [Self], src: &[f64]);
}

impl Real for f64 {
    const NAME: &'static str = "f64";
    const FLOAT_NAME: &'static str = "float64";
    fn exp_slice(xs: &mut [f64]) {
        vexp::exp_f64(xs)
    }
    fn ln_1p_slice(xs: &mut [f64]) {
        vlog::ln_1p_f64(xs)
    }
    #[cfg(target_arch = "x86_64")]
    fn one_layer_kernel(
        layer: &small::OneLayer<f64>,
        params: &[f64],
        x: plan::Batch<f64>,
        labels: &[usize],
        train: small::Train<f64>,
    ) -> Option<small::Checks> {
        let fits = (layer.inputs, layer.classes) == (small_avx512::INPUTS, small_avx512::CLASSES);
        // SAFETY: the CPU has the features the kernel needs.
        (fits && small_avx512::available()).then(|| unsafe { small_avx512::blocks(layer, params, x, labels, train) })
    }
    const CONVERTS: bool = false;
    fn view_f64<'a>(src: &'a [f64], _buf: &'a mut [f64]) -> &'a [f64] {
        src
    }
    fn fill_from_f64(dst: &mut [f64], src: &[f64]) {
        dst.copy_from_slice(src)
    }
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: f64,
        a: *const f64,
        rsa: isize,
        csa: isize,
        b: *const f64,
        rsb: isize,
        csb: isize,
        beta: f64,
        c: *mut f64,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { matrixmultiply::dgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
    }
}

impl Real for f32 {
    const NAME: &'static str = "f32";
    const FLOAT_NAME: &'static str = "float32";
    fn exp_slice(xs: &mut [f32]) {
        vexp::exp_f32(xs)
    }
    fn ln_1p_slice(xs: &mut [f32]) {
        vlog::ln_1p_f32(xs)
    }
    const CONVERTS: bool = true;
    fn view_f64<'a>(src: &'a [f64], buf: &'a mut [f32]) -> &'a [f32] {
        let buf = &mut buf[..src.len()];
        Self::fill_from_f64(buf, src);
        buf
    }
    fn fill_from_f64(dst: &mut [f32], src: &[f64]) {
        dst.iter_mut().zip(src).for_each(|(b, &v)| *b = v as f32);
    }
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: f32,
        a: *const f32,
        rsa: isize,
        csa: isize,
        b: *const f32,
        rsb: isize,
        csb: isize,
        beta: f32,
        c: *mut f32,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { matrixmultiply::sgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
    }
}

/// The float type a run computes in (`--dtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// float32: half the memory and bandwidth, losses to about 1e-4 relative of f64's.
    F32,
    /// float64: the tape's numbers (and JAX float64's) to rounding.
    #[default]
    F64,
}
