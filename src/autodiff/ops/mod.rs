//! The primitives: the only ops with a derivative of their own. One file each, forward beside VJP.

mod activation;
mod add_row;
mod exp;
mod log;
mod log_softmax;
mod matmul_nt;
pub use matmul_nt::{a_wt, gt_a};
mod mul;
mod scale;
mod sub;
mod sum;

use crate::error::{Error, shape};

/// The shape check every binary op starts with.
pub(crate) fn check(op: &'static str, ok: bool, a: (usize, usize), b: (usize, usize)) -> Result<(), Error> {
    if ok { Ok(()) } else { Err(Error::Shape { op, detail: format!("{} and {}", shape(a), shape(b)) }) }
}
