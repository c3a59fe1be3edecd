//! Composites: built from the primitives in `ops/`, so their derivatives come from the tape and
//! are never written down a second time.

use super::{Tape, Var};

impl Tape {
    /// `exp(log_softmax(z))`. Written this way (not `eᶻ / Σ eᶻ`) so that the loss's `log` of it
    /// folds back to `log_softmax` (see `ops/log.rs`).
    ///
    /// # Shapes
    /// `z`: m×k → m×k.
    pub fn softmax(&mut self, z: Var) -> Var {
        let log_p = self.log_softmax(z);
        self.exp(log_p)
    }
}
