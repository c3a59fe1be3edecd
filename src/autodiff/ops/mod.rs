//! The primitives: the only ops with a derivative of their own. One file each, forward beside VJP.

mod add_row;
mod exp;
mod log;
mod logsumexp;
mod matmul_nt;
pub use matmul_nt::{a_wt, gt_a};
mod mul;
mod relu;
mod scale;
mod sigmoid;
pub use logsumexp::logsumexp_row;
pub use relu::relu_derivative;
pub use sigmoid::{sigmoid, sigmoid_derivative};
pub use tanh::tanh_derivative;
mod sub_col;
mod sum;
mod tanh;

use crate::error::{Error, shape};

/// The shape check every binary op starts with.
pub(crate) fn check(op: &'static str, ok: bool, a: (usize, usize), b: (usize, usize)) -> Result<(), Error> {
    if ok { Ok(()) } else { Err(Error::Shape { op, detail: format!("{} and {}", shape(a), shape(b)) }) }
}
