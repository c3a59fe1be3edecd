//! The parameters of a model, as a tree shaped like the model (stax's nested tuples).
//!
//! Generic over the leaf so one tree type carries values (`Array2<f64>`), their handles on a tape
//! (`Var`) and their gradients, converted with [`Params::map`].

use ndarray::Array2;

/// A parameter tree: a layer's weights and bias, or a serial model's list of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Params<T = Array2<f64>> {
    /// A layer without parameters.
    None,
    /// # Shapes
    /// `w_out_in`: out×in, `b`: 1×out.
    Dense {
        /// W, out×in.
        w_out_in: T,
        /// b, 1×out, or none.
        b: Option<T>,
    },
    /// One entry per layer of a serial model.
    Serial(Vec<Params<T>>),
}

impl<T> Params<T> {
    /// The same tree with every leaf replaced by `f(leaf)`, in the order of [`Params::leaves`].
    pub fn map<U>(&self, f: &mut impl FnMut(&T) -> U) -> Params<U> {
        match self {
            Params::None => Params::None,
            Params::Dense { w_out_in, b } => Params::Dense { w_out_in: f(w_out_in), b: b.as_ref().map(f) },
            Params::Serial(ps) => Params::Serial(ps.iter().map(|p| p.map(f)).collect()),
        }
    }

    /// Every leaf, layer by layer, weights before bias.
    pub fn leaves(&self) -> Vec<&T> {
        let mut out = Vec::new();
        self.collect_leaves(&mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, out: &mut Vec<&'a T>) {
        match self {
            Params::None => {}
            Params::Dense { w_out_in, b } => {
                out.push(w_out_in);
                out.extend(b);
            }
            Params::Serial(ps) => ps.iter().for_each(|p| p.collect_leaves(out)),
        }
    }

    /// The parameters of layer `i` of a serial model.
    ///
    /// # Panics
    /// If `self` is not `Serial` or has no layer `i`: a caller's bug, not a user's input.
    pub fn layer(&self, i: usize) -> &Params<T> {
        match self {
            Params::Serial(ps) => &ps[i],
            _ => panic!("Params::layer on a non-serial tree"),
        }
    }

    /// A dense node's weights.
    pub fn weights(&self) -> Option<&T> {
        match self {
            Params::Dense { w_out_in, .. } => Some(w_out_in),
            _ => None,
        }
    }

    /// A dense node's bias, if it has one.
    pub fn bias(&self) -> Option<&T> {
        match self {
            Params::Dense { b, .. } => b.as_ref(),
            _ => None,
        }
    }
}

impl Params {
    /// Every number in the tree, in the order of [`Params::leaves`], each leaf row-major: the
    /// flat vector the optimizers step (all their updates are elementwise).
    pub fn to_flat(&self) -> Vec<f64> {
        self.leaves().into_iter().flat_map(|a| a.iter().copied()).collect()
    }

    /// The tree of the same shape holding the numbers of `flat` (as [`Params::to_flat`] lays them).
    ///
    /// # Panics
    /// If `flat` has a different length: a caller's bug.
    pub fn with_flat(&self, flat: &[f64]) -> Params {
        let mut rest = flat;
        let out = self.map(&mut |a: &Array2<f64>| {
            let (now, later) = rest.split_at(a.len());
            rest = later;
            Array2::from_shape_vec(a.dim(), now.to_vec()).expect("same shape")
        });
        assert!(rest.is_empty(), "flat vector longer than the parameters");
        out
    }

    /// The same tree with every bias set to zero: the gradient an optimizer sees when the biases
    /// are frozen.
    pub fn with_zero_biases(&self) -> Params {
        match self {
            Params::None => Params::None,
            Params::Dense { w_out_in, b } => {
                Params::Dense { w_out_in: w_out_in.clone(), b: b.as_ref().map(|b| Array2::zeros(b.dim())) }
            }
            Params::Serial(ps) => Params::Serial(ps.iter().map(Params::with_zero_biases).collect()),
        }
    }

    /// How many numbers the tree holds.
    pub fn len(&self) -> usize {
        self.leaves().iter().map(|a| a.len()).sum()
    }

    /// Whether the tree holds no numbers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
