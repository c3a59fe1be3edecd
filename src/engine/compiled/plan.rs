//! A network compiled for batches of up to `capacity` samples: every buffer a step needs,
//! allocated once, and the forward and backward passes as fixed loops over them.
//!
//! # Shapes
//! The data batch is a [`Batch`], a strided in×m view: row-major samples as the data set keeps
//! them (a batch in data order is then a slice of the data, not a copy), or feature-major (the
//! trainer's layout for small data, where it makes the first product a run along contiguous
//! samples). Every other activation and gradient is units×m (a column per sample). Parameters
//! are the flat vector of [`super::spec`].

use super::Real;
use super::direct::DOT_MAX_ROWS;
use super::kernels::{
    BatchOut, ColStats, Gemm, MatRef, Then, argmax_columns, classes_of_logits, first_overflow, softmax_columns,
    softmax_cross_entropy, sum,
};
use super::small::{Checks, LossSum, OneLayer, TINY_IN, TINY_OUT};
use super::spec::{LayerSpec, NetSpec};
use crate::data::Targets;
use crate::error::logits_overflow;
use crate::error::{Error, Result, Setting};
use crate::loss::{Loss, Penalty};

/// Batches smaller than this take the one-layer path sample by sample ([`OneLayer::step`]);
/// larger ones its blocks of 32 samples in vector lanes ([`OneLayer::batch_step`]), or the
/// column kernels for one-layer networks too wide for those blocks (sample by sample, Iris full
/// batch measured about 1.4× slower than the column kernels; batches of 1 about 3× faster).
const TINY_BATCH: usize = 8;

/// m samples of `in` features: feature r of sample j at `data[r·rs + j·cs]`.
#[derive(Clone, Copy)]
pub struct Batch<'a, F> {
    /// The numbers.
    pub data: &'a [F],
    /// Stride between features, in elements.
    pub rs: usize,
    /// Stride between samples, in elements.
    pub cs: usize,
    /// How many samples.
    pub m: usize,
}

impl<'a, F> Batch<'a, F> {
    /// Samples as rows: `data` is m×features, row-major.
    pub fn rows(data: &'a [F], m: usize, features: usize) -> Batch<'a, F> {
        Batch { data, rs: 1, cs: features, m }
    }

    /// Samples as columns of a features×`stride` row-major matrix, starting at `data[0]`.
    pub fn columns(data: &'a [F], m: usize, stride: usize) -> Batch<'a, F> {
        Batch { data, rs: stride, cs: 1, m }
    }

    fn view(&self) -> MatRef<'a, F> {
        MatRef { data: self.data, rs: self.rs, cs: self.cs }
    }

    /// The m×in transpose, as a product reads it.
    fn transposed(&self) -> MatRef<'a, F> {
        MatRef { data: self.data, rs: self.cs, cs: self.rs }
    }
}

/// Which of a data set's rows a batch holds, in order. The plan reads the batch's targets from
/// the data set's own [`Targets`] at these rows: no copy of them in the engine's type.
#[derive(Clone, Copy, Debug)]
pub enum Picked<'a> {
    /// Rows `start..end`, in the data's order.
    Span {
        /// The first row.
        start: usize,
        /// One past the last.
        end: usize,
    },
    /// These rows (a shuffled batch).
    Rows(&'a [usize]),
}

impl<'a> Picked<'a> {
    /// How many rows.
    pub fn len(self) -> usize {
        match self {
            Picked::Span { start, end } => end - start,
            Picked::Rows(rows) => rows.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The data row of the batch's sample `j`.
    fn row(self, j: usize) -> usize {
        match self {
            Picked::Span { start, .. } => start + j,
            Picked::Rows(rows) => rows[j],
        }
    }

    /// The batch's classes, from `all` (the data set's): a slice of it, or gathered into `buf`.
    fn labels<'b>(self, all: &'b [usize], buf: &'b mut Vec<usize>) -> &'b [usize]
    where
        'a: 'b,
    {
        match self {
            Picked::Span { start, end } => &all[start..end],
            Picked::Rows(rows) => {
                buf.clear();
                buf.extend(rows.iter().map(|&i| all[i]));
                buf
            }
        }
    }
}

/// The compiled network.
pub struct Plan<F: Real> {
    spec: NetSpec,
    capacity: usize,
    gemm: Gemm,
    in_width: usize,
    /// Each layer's output width.
    widths: Vec<usize>,
    /// Each dense layer's offsets of its weights and bias in the flat vector.
    offsets: Vec<Option<(usize, Option<usize>)>>,
    /// Each layer's output, units×capacity.
    vals: Vec<Vec<F>>,
    /// The batch transposed (in×capacity), only when the first layer is not dense and so needs
    /// its input a column per sample.
    x_t: Vec<F>,
    /// Scratch for the first layer's forward product when it has more outputs than
    /// [`DOT_MAX_ROWS`]: a batch of row-major samples is transposed into it, each thread a
    /// chunk of its samples at a time, so that the product runs on
    /// [`super::direct::axpy_columns`] ([`Gemm::product`]).
    transposed: Vec<F>,
    /// The gradient at the current layer's output, and the one below it being formed.
    g: Vec<F>,
    g_below: Vec<F>,
    stats: ColStats<F>,
    classes: Vec<usize>,
    /// A shuffled batch's classes, gathered.
    labels: Vec<usize>,
    /// ∂E/∂params after [`Plan::loss_and_grad`], in the flat layout.
    pub grad: Vec<F>,
    first_dense: usize,
    /// The network's output width (classes).
    k: usize,
    /// Cross-entropy on a softmax or log-softmax output: the output layer is fused into the loss.
    fused: bool,
    /// One dense layer of at most [`TINY_IN`]→[`TINY_OUT`] fused into cross-entropy: steps on
    /// batches under [`TINY_BATCH`] take [`OneLayer::step`].
    tiny: Option<OneLayer<F>>,
    ln_base: F,
}

impl<F: Real> Plan<F> {
    /// Compiles `spec` for batches of up to `capacity` samples, its products on `gemm`'s threads.
    pub fn new(spec: NetSpec, capacity: usize, gemm: Gemm) -> Result<Plan<F>> {
        if capacity == 0 {
            return Err(Error::invalid_value(Setting::BatchSize, 0, "a batch needs one row at least"));
        }
        let in_width = spec.in_width();
        let (mut widths, mut offsets, mut width, mut at) = (Vec::new(), Vec::new(), in_width, 0);
        for layer in &spec.layers {
            match *layer {
                LayerSpec::Dense { inputs, outputs, bias } => {
                    offsets.push(Some((at, bias.then_some(at + inputs * outputs))));
                    at += inputs * outputs + if bias { outputs } else { 0 };
                    width = outputs;
                }
                _ => offsets.push(None),
            }
            widths.push(width);
        }
        let widest = widths.iter().copied().chain([in_width]).max().unwrap_or(0);
        // Sizes checked before anything is allocated.
        let units: usize = widths.iter().sum::<usize>() + 3 * widest;
        units.checked_mul(capacity).filter(|n| n.checked_mul(size_of::<F>()).is_some()).ok_or_else(|| {
            Error::invalid_value(
                Setting::BatchSize,
                capacity,
                "batches this large need more memory than can be addressed",
            )
        })?;
        let first_dense = offsets.iter().position(Option::is_some).expect("a model has a dense layer");
        let fused = matches!(spec.loss, Loss::CrossEntropy { .. });
        let ln_base = match spec.loss {
            Loss::CrossEntropy { log_base } => F::of(log_base.ln()),
            Loss::Quadratic => F::one(),
        };
        let classes = spec.out_width();
        let tie_tol = ColStats::<F>::tie_tolerance(classes);
        let tiny = match (fused, spec.layers.len(), spec.layers[0], offsets[0]) {
            (true, 2, LayerSpec::Dense { inputs, outputs, .. }, Some((w_at, b_at)))
                if inputs <= TINY_IN && outputs <= TINY_OUT =>
            {
                Some(OneLayer { inputs, classes: outputs, w_at, b_at, ln_base, tie_tol })
            }
            _ => None,
        };
        let many_outputs = matches!(spec.layers[0], LayerSpec::Dense { outputs, .. } if outputs > DOT_MAX_ROWS);
        Ok(Plan {
            vals: widths.iter().map(|w| vec![F::zero(); w * capacity]).collect(),
            x_t: if first_dense == 0 { Vec::new() } else { vec![F::zero(); in_width * capacity] },
            transposed: if many_outputs { vec![F::zero(); gemm.transposed_len::<F>(in_width)] } else { Vec::new() },
            g: vec![F::zero(); widest * capacity],
            g_below: vec![F::zero(); widest * capacity],
            stats: ColStats::new(capacity, classes.max(widest)),
            classes: vec![0; capacity],
            labels: Vec::with_capacity(capacity),
            grad: vec![F::zero(); spec.param_count()],
            spec,
            capacity,
            gemm,
            in_width,
            widths,
            offsets,
            first_dense,
            k: classes,
            fused,
            tiny,
            ln_base,
        })
    }

    /// Sets the biases' entries of [`Plan::grad`] to 0, so that the optimizer leaves the biases
    /// where they are: `--freeze-bias`, as the tape's loop does with
    /// [`crate::layers::Params::with_zero_biases`].
    pub fn freeze_biases(&mut self) {
        for (offsets, &outputs) in self.offsets.iter().zip(&self.widths) {
            if let Some((_, Some(b_at))) = *offsets {
                self.grad[b_at..b_at + outputs].fill(F::zero());
            }
        }
    }

    /// Adds `penalty`'s gradient to every dense layer's weights' entries of [`Plan::grad`]
    /// (after [`Plan::loss_and_grad`]), and gives its value at `params`: `--l2`/`--l1`, as the
    /// tape's loop does with [`Penalty::apply`].
    pub fn add_penalty(&mut self, penalty: Penalty, params: &[F]) -> f64 {
        let mut total = 0.0;
        for (offsets, layer) in self.offsets.iter().zip(&self.spec.layers) {
            if let (Some((w_at, _)), LayerSpec::Dense { inputs, outputs, .. }) = (*offsets, layer) {
                let range = w_at..w_at + inputs * outputs;
                let part = penalty.add_to(&params[range.clone()], &mut self.grad[range]);
                total += part.to_f64().expect("a float");
            }
        }
        total
    }

    /// The network it runs.
    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }

    /// The most samples a batch may have.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The layers whose outputs the loss (or a class) is read from: the output layer itself is
    /// left out when it is fused into cross-entropy.
    fn computed_layers(&self) -> usize {
        self.spec.layers.len() - usize::from(self.fused)
    }

    /// Layers `0..upto` on the batch `x`.
    fn forward(&mut self, params: &[F], x: Batch<F>, upto: usize) {
        let m = x.m;
        assert!(m <= self.capacity, "batch of {m} rows does not fit the plan");
        if self.first_dense > 0 {
            for r in 0..self.in_width {
                for j in 0..m {
                    self.x_t[r * m + j] = x.data[r * x.rs + j * x.cs];
                }
            }
        }
        // A dense layer whose activation follows within `upto` computes it too, block by block
        // on the product's threads ([`Then`]); the activation's own turn then has nothing to do.
        let mut activated = usize::MAX;
        for i in 0..upto {
            if i == activated {
                continue;
            }
            let (below, rest) = self.vals.split_at_mut(i);
            let (out, after) = rest.split_first_mut().expect("a buffer per layer");
            // The layer's input as units×m: the batch itself for a first dense layer (read
            // transposed through its strides), otherwise a column-per-sample buffer.
            let input: &[F] = match i {
                0 if self.first_dense == 0 => x.data,
                0 => &self.x_t,
                _ => &below[i - 1],
            };
            let in_view = if i == 0 && self.first_dense == 0 { x.view() } else { MatRef { data: input, rs: m, cs: 1 } };
            match self.spec.layers[i] {
                LayerSpec::Dense { inputs, outputs, bias } => {
                    let (w_at, b_at) = self.offsets[i].expect("a dense layer's offsets");
                    let w = MatRef { data: &params[w_at..w_at + outputs * inputs], rs: inputs, cs: 1 };
                    let scratch = (i == 0).then_some(&mut self.transposed[..]);
                    let activation = match (self.spec.layers.get(i + 1), after.first_mut()) {
                        (Some(&LayerSpec::Activation(f)), Some(a)) if i + 1 < upto => {
                            activated = i + 1;
                            Some((f, &mut a[..]))
                        }
                        _ => None,
                    };
                    let bias = b_at.filter(|_| bias).map(|b_at| &params[b_at..b_at + outputs]);
                    self.gemm.product(
                        outputs,
                        inputs,
                        m,
                        w,
                        in_view,
                        F::zero(),
                        out,
                        scratch,
                        Then { bias, activation },
                    );
                }
                LayerSpec::Activation(act) => {
                    let n = self.widths[i] * m;
                    act.f_each(&input[..n], &mut out[..n]);
                }
                LayerSpec::Softmax | LayerSpec::LogSoftmax => {
                    let log = self.spec.layers[i] == LayerSpec::LogSoftmax;
                    softmax_columns(input, self.widths[i], m, log, out, &mut self.stats);
                }
            }
        }
    }

    /// The batch's loss and its gradient in every parameter (into [`Plan::grad`]), and how many
    /// of its samples the parameters given class right.
    ///
    /// # Shapes
    /// `params`: the flat parameters; `x`: m samples of in features (m ≤ capacity); `y`: the data
    /// set's targets, of which `rows` picks the batch's m.
    pub fn loss_and_grad(&mut self, params: &[F], x: Batch<F>, y: &Targets, rows: Picked) -> BatchOut<F> {
        let mut losses = LossSum::immediate();
        let Checks { correct, logits_finite } = self.train_step(params, x, y, rows, &mut losses);
        BatchOut { loss: F::of(losses.finish()), correct, logits_finite }
    }

    /// Whether [`Plan::sgd_sample_step`] takes steps on `y`: a one-layer network on classes.
    pub fn fuses_sgd(&self, y: &Targets) -> bool {
        self.tiny.is_some() && matches!(y, Targets::Classes { .. })
    }

    /// A step on one sample with its sgd update (step size `lr`) made in place
    /// ([`OneLayer::sgd_step`]; [`Plan::grad`] is not written), for a plan that
    /// [`Plan::fuses_sgd`].
    ///
    /// # Shapes
    /// As [`Plan::loss_and_grad`], with m = 1.
    pub fn sgd_sample_step(
        &mut self,
        params: &mut [F],
        x: Batch<F>,
        y: &Targets,
        rows: Picked,
        losses: &mut LossSum<F>,
        lr: F,
    ) -> Checks {
        let (Some(tiny), Targets::Classes { labels, .. }) = (self.tiny, y) else {
            unreachable!("Plan::fuses_sgd is asked first")
        };
        tiny.sgd_step(params, x, labels[rows.row(0)], lr, losses)
    }

    /// [`Plan::loss_and_grad`] with the loss added to `losses` (a training epoch's sum, where a
    /// batch of one sample's logarithm waits to be taken with others').
    ///
    /// # Shapes
    /// As [`Plan::loss_and_grad`].
    pub fn train_step(
        &mut self,
        params: &[F],
        x: Batch<F>,
        y: &Targets,
        rows: Picked,
        losses: &mut LossSum<F>,
    ) -> Checks {
        if let (Some(tiny), Targets::Classes { labels: all, .. }) = (self.tiny, y) {
            assert!(x.m <= self.capacity, "batch of {} rows does not fit the plan", x.m);
            let labels = rows.labels(all, &mut self.labels);
            if x.m < TINY_BATCH {
                return tiny.step(params, x, labels, &mut self.grad, losses);
            }
            if tiny.fits_batches() {
                return tiny.batch_step(params, x, labels, &mut self.grad, losses);
            }
        }
        let (out, cur) = self.loss_at_output(params, x, y, rows);
        self.backward(params, x, x.m, cur);
        losses.add(out.loss);
        Checks { correct: out.correct, logits_finite: out.logits_finite }
    }

    /// The batch's loss and how many of its samples are classed right, without the gradient in
    /// the parameters: the test rows' figures after an epoch.
    ///
    /// # Shapes
    /// As [`Plan::loss_and_grad`].
    pub fn loss(&mut self, params: &[F], x: Batch<F>, y: &Targets, rows: Picked) -> BatchOut<F> {
        self.loss_at_output(params, x, y, rows).0
    }

    /// The forward pass, the loss, and its gradient at the output of layer `cur` (in `self.g`),
    /// where the backward pass starts; returns both.
    fn loss_at_output(&mut self, params: &[F], x: Batch<F>, y: &Targets, rows: Picked) -> (BatchOut<F>, usize) {
        let m = x.m;
        let k = self.k;
        assert_eq!(rows.len(), m, "one target per sample");
        assert_eq!(y.width(), k, "a target per output");
        let layers = self.spec.layers.len();
        self.forward(params, x, self.computed_layers());
        match (self.spec.loss, y) {
            (Loss::CrossEntropy { .. }, Targets::Classes { labels: all, .. }) => {
                let logits = &self.vals[layers - 2];
                let labels = rows.labels(all, &mut self.labels);
                let out = softmax_cross_entropy(logits, k, m, labels, self.ln_base, &mut self.g, &mut self.stats);
                (out, layers - 2)
            }
            (Loss::CrossEntropy { .. }, Targets::Values { .. }) => {
                unreachable!("cross-entropy reads classes: Loss::check_targets refuses values before a run")
            }
            (Loss::Quadratic, y) => {
                let out = self.quadratic_output_grad(y, rows, m);
                (out, if self.fused_free_softmax_last() { layers - 2 } else { layers - 1 })
            }
        }
    }

    /// From the gradient at the output of layer `cur` (in `self.g`) down to the first dense
    /// layer: the gradient in every parameter, into [`Plan::grad`].
    fn backward(&mut self, params: &[F], x: Batch<F>, m: usize, cur: usize) {
        for i in (self.first_dense..=cur).rev() {
            match self.spec.layers[i] {
                LayerSpec::Activation(act) => {
                    let n = self.widths[i] * m;
                    act.times_df_each(&self.vals[i - 1][..n], &self.vals[i][..n], &mut self.g[..n]);
                }
                LayerSpec::Dense { inputs, outputs, bias } => {
                    let (w_at, b_at) = self.offsets[i].expect("a dense layer's offsets");
                    let g = MatRef { data: &self.g[..outputs * m], rs: m, cs: 1 };
                    // inputᵀ, m×in: the batch as it is for a first dense layer, else a buffer read transposed.
                    let input_t = if i == 0 {
                        x.transposed()
                    } else {
                        MatRef { data: &self.vals[i - 1][..inputs * m], rs: 1, cs: m }
                    };
                    // ∂E/∂W = G·inputᵀ (out×in); the sum over samples is the product's inner dimension.
                    self.gemm.product(
                        outputs,
                        m,
                        inputs,
                        g,
                        input_t,
                        F::zero(),
                        &mut self.grad[w_at..w_at + outputs * inputs],
                        None,
                        Then::nothing(),
                    );
                    if let (true, Some(b_at)) = (bias, b_at) {
                        for (db, row) in self.grad[b_at..b_at + outputs].iter_mut().zip(self.g.chunks_exact(m)) {
                            *db = sum(&row[..m]);
                        }
                    }
                    // ∂E/∂input = Wᵀ·G (in×m), only for layers below that have parameters: never
                    // for the data.
                    if i > self.first_dense {
                        let wt = MatRef { data: &params[w_at..w_at + outputs * inputs], rs: 1, cs: inputs };
                        self.gemm.product(
                            inputs,
                            outputs,
                            m,
                            wt,
                            g,
                            F::zero(),
                            &mut self.g_below,
                            None,
                            Then::nothing(),
                        );
                        std::mem::swap(&mut self.g, &mut self.g_below);
                    }
                }
                LayerSpec::Softmax | LayerSpec::LogSoftmax => unreachable!("a model has softmax only last"),
            }
        }
    }

    /// Whether the output layer is a softmax or log-softmax that a quadratic loss differentiates
    /// through (cross-entropy fuses it instead).
    fn fused_free_softmax_last(&self) -> bool {
        !self.fused && matches!(self.spec.layers.last(), Some(LayerSpec::Softmax | LayerSpec::LogSoftmax))
    }

    /// E = (1/m) Σ_samples ½‖y − ŷ‖² and its gradient (ŷ − y)/m at the output, taken back
    /// through a softmax (ŷ ⊙ (g − ⟨g, ŷ⟩)) or log-softmax (g − softmax·Σg) output layer, into
    /// `self.g`.
    fn quadratic_output_grad(&mut self, targets: &Targets, rows: Picked, m: usize) -> BatchOut<F> {
        let layers = self.spec.layers.len();
        let k = self.widths[layers - 1];
        let y_hat = &self.vals[layers - 1];
        let inv_m = F::one() / F::of(m as f64);
        let (half, mut total) = (F::of(0.5), F::zero());
        for c in 0..k {
            for j in 0..m {
                let y = match targets {
                    Targets::Classes { labels, .. } => {
                        if labels[rows.row(j)] == c {
                            F::one()
                        } else {
                            F::zero()
                        }
                    }
                    Targets::Values { values, .. } => F::of(values[[rows.row(j), c]]),
                };
                let d = y_hat[c * m + j] - y;
                total = total + half * d * d;
                self.g[c * m + j] = d * inv_m;
            }
        }
        // Classes are counted right or wrong; values have no "right" (their figures are the loss).
        let correct = match targets {
            Targets::Classes { labels, .. } => {
                argmax_columns(y_hat, k, m, &mut self.classes, &mut self.stats);
                self.classes[..m].iter().enumerate().filter(|&(j, &c)| c == labels[rows.row(j)]).count()
            }
            Targets::Values { .. } => 0,
        };
        let logits_finite = y_hat[..k * m].iter().fold(true, |ok, v| ok & v.is_finite());
        match self.spec.layers[layers - 1] {
            LayerSpec::Softmax => {
                for j in 0..m {
                    let dot = (0..k).fold(F::zero(), |s, c| s + self.g[c * m + j] * y_hat[c * m + j]);
                    for c in 0..k {
                        self.g[c * m + j] = y_hat[c * m + j] * (self.g[c * m + j] - dot);
                    }
                }
            }
            LayerSpec::LogSoftmax => {
                for j in 0..m {
                    let sum = (0..k).fold(F::zero(), |s, c| s + self.g[c * m + j]);
                    for c in 0..k {
                        self.g[c * m + j] = self.g[c * m + j] - y_hat[c * m + j].exp() * sum;
                    }
                }
            }
            LayerSpec::Dense { .. } | LayerSpec::Activation(_) => {}
        }
        BatchOut { loss: total * inv_m + F::zero(), correct, logits_finite }
    }

    /// Each sample's class under `params` into `classes` (m of them), or an error if the
    /// outputs overflow; a forward pass without the loss.
    ///
    /// # Shapes
    /// `x`: m samples (m ≤ capacity); `classes`: m.
    pub fn classify(&mut self, params: &[F], x: Batch<F>, classes: &mut [usize]) -> Result<()> {
        let m = x.m;
        let upto = self.logit_layers();
        self.forward(params, x, upto);
        let k = self.k;
        let out = &self.vals[upto - 1];
        if upto < self.spec.layers.len() {
            classes_of_logits(out, k, m, &mut classes[..m], &mut self.stats)
        } else {
            if out[..k * m].iter().any(|v| !v.is_finite()) {
                return Err(Error::invalid(
                    Setting::Inputs,
                    format!("the outputs overflow {}: the model diverged", F::FLOAT_NAME),
                ));
            }
            argmax_columns(out, k, m, &mut classes[..m], &mut self.stats);
            Ok(())
        }
    }

    /// How many of the samples the parameters class as `labels` say, or an error if the outputs
    /// overflow ([`Plan::classify`]'s): the training accuracy after an epoch. A network on the
    /// one-layer path counts in its vector blocks ([`OneLayer::count_correct`]).
    ///
    /// # Shapes
    /// `x`: m samples (m ≤ capacity); `labels`: m.
    pub fn correct(&mut self, params: &[F], x: Batch<F>, labels: &[usize]) -> Result<usize> {
        if let Some(tiny) = self.tiny.filter(OneLayer::fits_batches) {
            let checks = tiny.count_correct(params, x, labels);
            if checks.logits_finite {
                return Ok(checks.correct);
            }
        }
        // (Overflowing logits come here too, for the error that names the row.)
        let mut classes = std::mem::take(&mut self.classes);
        let counted = self.classify(params, x, &mut classes[..x.m]);
        let right = classes[..x.m].iter().zip(labels).filter(|(c, l)| c == l).count();
        self.classes = classes;
        counted.map(|()| right)
    }

    /// The model's outputs for each sample, into `out` (m×k, rows = samples): what a regression
    /// model predicts. An error names the first row whose outputs overflow (counting from
    /// `first_row` + 1).
    ///
    /// # Shapes
    /// `x`: m samples (m ≤ capacity); `out`: m×k.
    pub fn outputs(&mut self, params: &[F], x: Batch<F>, first_row: usize, out: &mut [F]) -> Result<()> {
        let (m, k, layers) = (x.m, self.k, self.spec.layers.len());
        self.forward(params, x, layers);
        let y_hat = &self.vals[layers - 1];
        if let Some(j) = first_overflow(y_hat, k, m) {
            return Err(logits_overflow(first_row + j + 1, F::FLOAT_NAME));
        }
        for (j, row) in out[..m * k].chunks_exact_mut(k).enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = y_hat[c * m + j];
            }
        }
        Ok(())
    }

    /// The layers up to the logits: all but a softmax or log-softmax output.
    fn logit_layers(&self) -> usize {
        let layers = self.spec.layers.len();
        match self.spec.layers.last() {
            Some(LayerSpec::Softmax | LayerSpec::LogSoftmax) => layers - 1,
            _ => layers,
        }
    }

    /// ln softmax of the logits of each sample, into `out` (m×k, rows = samples): the input of a
    /// softmax or log-softmax output layer, otherwise the outputs themselves (as
    /// [`crate::predict::logits`] reads them); an error names the first row whose logits overflow
    /// (counting from `first_row` + 1).
    ///
    /// # Shapes
    /// `x`: m samples (m ≤ capacity); `out`: m×k.
    pub fn log_probabilities(&mut self, params: &[F], x: Batch<F>, first_row: usize, out: &mut [F]) -> Result<()> {
        let m = x.m;
        let upto = self.logit_layers();
        self.forward(params, x, upto);
        let k = self.k;
        let logits = &self.vals[upto - 1];
        // An infinite logit makes log-softmax ∞ − ∞ = NaN, and NaN would pass for class 0.
        if let Some(j) = first_overflow(logits, k, m) {
            return Err(logits_overflow(first_row + j + 1, F::FLOAT_NAME));
        }
        softmax_columns(logits, k, m, true, &mut self.g, &mut self.stats);
        for (j, row) in out[..m * k].chunks_exact_mut(k).enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = self.g[c * m + j];
            }
        }
        Ok(())
    }
}
