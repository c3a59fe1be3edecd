//! A matrix that serialises as a list of rows, the layout every matrix in gradlens's JSON uses.

use ndarray::Array2;
use serde::{Serialize, Serializer};
use std::ops::Deref;

/// A matrix that serialises as a list of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix(pub Array2<f64>);

impl Deref for Matrix {
    type Target = Array2<f64>;
    fn deref(&self) -> &Array2<f64> {
        &self.0
    }
}

impl From<Array2<f64>> for Matrix {
    fn from(a: Array2<f64>) -> Self {
        Matrix(a)
    }
}

impl Serialize for Matrix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.rows().into_iter().map(|r| r.to_vec()))
    }
}

/// A 1×k bias row as the plain list `[b1, …, bk]` the model file uses.
pub fn row_vector(b: &Array2<f64>) -> Vec<f64> {
    b.iter().copied().collect()
}
