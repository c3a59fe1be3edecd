//! Composites: built from the primitives in `ops/`, so their derivatives come from the tape and
//! are never written down a second time.

use super::{Tape, Var};
use crate::error::Result;

impl Tape {
    /// `z − logsumexp(z)` per row: log-probabilities that stay finite for any finite logits.
    ///
    /// # Shapes
    /// `z`: m×k → m×k.
    pub fn log_softmax(&mut self, z: Var) -> Result<Var> {
        let lse = self.logsumexp(z);
        self.sub_col(z, lse)
    }

    /// `exp(log_softmax(z))`. Written this way (not `eᶻ / Σ eᶻ`) so that the loss's `log` of it
    /// folds back to `log_softmax` (see `ops/log.rs`).
    ///
    /// # Shapes
    /// `z`: m×k → m×k.
    pub fn softmax(&mut self, z: Var) -> Result<Var> {
        let log_p = self.log_softmax(z)?;
        Ok(self.exp(log_p))
    }
}
