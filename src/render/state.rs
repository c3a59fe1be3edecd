//! The optimizer's state after a step of momentum or adam as a table, for the page's state panel:
//! each parameter's name from the one symbol table and its numbers as the walk-through writes
//! them (every number a field of the record's `weights_step` and `bias_step`).

use super::fmt_num;
use super::symbols::Symbols;
use crate::trace::{Explanation, LayerTrace, Matrix, ParamStep};
use crate::update::Optimizer;
use serde::Serialize;

/// The most parameters the table lists; the walk-through's matrices hold the rest.
pub const MAX_ROWS: usize = 60;

/// The state a step carried to the next.
#[derive(Debug, Clone, Serialize)]
pub struct StateTable {
    /// "momentum" or "adam".
    pub optimizer: &'static str,
    /// Steps taken before this one, and after it (the t the next step goes on from).
    pub t_before: usize,
    /// After the step.
    pub t: usize,
    /// The columns' headings, after the parameter's name.
    pub columns: Vec<&'static str>,
    /// One row per parameter, in the model file's order, at most [`MAX_ROWS`].
    pub rows: Vec<StateRow>,
    /// How many parameters are not listed.
    pub more: usize,
}

/// One parameter's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct StateRow {
    /// Its name (W₁₂, b⁽²⁾₁).
    pub name: String,
    /// As [`fmt_num`] writes them, one per column.
    pub values: Vec<String>,
}

/// The table of a step of momentum or adam; `None` for sgd, which keeps no state.
pub fn state_table(e: &Explanation) -> Option<StateTable> {
    let s = e.optimizer_state.as_ref()?;
    let columns = match e.optimizer {
        Optimizer::Momentum { .. } => vec!["v before", "v after", "step α·v"],
        Optimizer::Adam { .. } => vec!["m before", "m after", "v before", "v after", "m̂", "v̂", "step α·m̂/(√v̂ + eps)"],
        Optimizer::Sgd { .. } => return None,
    };
    let symbols = Symbols::new(&e.layers);
    let mut rows = Vec::new();
    let mut count = 0;
    for (i, layer) in e.layers.iter().enumerate() {
        let LayerTrace::Dense(d) = layer else { continue };
        let (w, b) = (symbols.weights_of(i), symbols.bias_of(i));
        let (units, width) = d.weights.dim();
        let mut add = |name: String, p: &ParamStep, at: [usize; 2]| {
            count += 1;
            if rows.len() < MAX_ROWS {
                rows.push(StateRow { name, values: values(e, p, at) });
            }
        };
        if let Some(p) = &d.weights_step {
            for r in 0..units {
                for c in 0..width {
                    add(w.at2(r, c).text, p, [r, c]);
                }
            }
        }
        if let Some(p) = &d.bias_step {
            for r in 0..units {
                add(b.at(r).text, p, [0, r]);
            }
        }
    }
    let more = count - rows.len();
    Some(StateTable { optimizer: e.optimizer.name(), t_before: s.t_before, t: s.t, columns, rows, more })
}

/// A parameter's numbers in the columns' order.
fn values(e: &Explanation, p: &ParamStep, at: [usize; 2]) -> Vec<String> {
    let of = |m: &Matrix| fmt_num(m[at]);
    let opt = |m: &Option<Matrix>| m.as_ref().map_or_else(String::new, of);
    match e.optimizer {
        Optimizer::Momentum { .. } => vec![of(&p.first_before), of(&p.first), of(&p.step)],
        Optimizer::Adam { .. } => vec![
            of(&p.first_before),
            of(&p.first),
            opt(&p.second_before),
            opt(&p.second),
            opt(&p.first_hat),
            opt(&p.second_hat),
            of(&p.step),
        ],
        Optimizer::Sgd { .. } => Vec::new(),
    }
}
