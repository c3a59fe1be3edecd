//! The one symbol table: what every quantity of an explained step is called. The walk-through,
//! the chain panel, the diagram and (through the API's labels) the web page all name a layer's
//! output, its weights and its bias from here, so they cannot disagree: x for the inputs; for a
//! dense layer z, for an activation a, each carrying its dense layer's number ⁽ℓ⁾ when there is
//! more than one; ŷ for the model's output, whatever its last layer is; a second quantity of the
//! same name primed (a′).

use super::math::Sym;
use crate::trace::LayerTrace;
use std::collections::HashMap;

/// The names of one explanation's quantities.
#[derive(Debug, Clone)]
pub struct Symbols {
    /// Each layer's output.
    names: Vec<Sym>,
    /// For each layer, how many dense layers come up to and including it (the ℓ of W⁽ℓ⁾).
    dense_number: Vec<usize>,
    /// More than one dense layer: symbols carry their layer, W⁽¹⁾.
    multi: bool,
    x: Sym,
    y: Sym,
}

impl Symbols {
    /// The names for a model of these layers.
    pub fn new(layers: &[LayerTrace]) -> Symbols {
        let mut dense_number = Vec::with_capacity(layers.len());
        let mut count = 0;
        for layer in layers {
            count += usize::from(matches!(layer, LayerTrace::Dense(_)));
            dense_number.push(count);
        }
        let multi = count > 1;
        let last = layers.len().saturating_sub(1);
        let mut names: Vec<Sym> = Vec::with_capacity(layers.len());
        // How many layers already took each name: the next one is primed that many times.
        let mut taken: HashMap<Sym, usize> = HashMap::new();
        for (i, layer) in layers.iter().enumerate() {
            let is_output = i == last;
            let base = match layer {
                _ if is_output => Sym::new("ŷ", "\\hat{y}"),
                LayerTrace::Dense(_) => Sym::new("z", "z"),
                LayerTrace::Activation(_) | LayerTrace::Softmax(_) | LayerTrace::Logsoftmax(_) => Sym::new("a", "a"),
            };
            let sym = if multi && !is_output { base.of_layer(dense_number[i].max(1)) } else { base };
            let count = taken.entry(sym.clone()).or_insert(0);
            names.push(sym.primed_times(*count));
            *count += 1;
        }
        Symbols { names, dense_number, multi, x: Sym::new("x", "x"), y: Sym::new("y", "y") }
    }

    /// Layer `i`'s output.
    pub fn output(&self, i: usize) -> &Sym {
        &self.names[i]
    }

    /// The model's output, ŷ.
    pub fn y_hat(&self) -> &Sym {
        self.names.last().expect("a model has layers")
    }

    /// Layer `i`'s input: x, or the layer before's output.
    pub fn input_of(&self, i: usize) -> &Sym {
        if i == 0 { &self.x } else { &self.names[i - 1] }
    }

    /// The inputs, x.
    pub fn x(&self) -> &Sym {
        &self.x
    }

    /// The targets, y.
    pub fn y(&self) -> &Sym {
        &self.y
    }

    /// Dense layer `i`'s weights, W or W⁽ℓ⁾.
    pub fn weights_of(&self, i: usize) -> Sym {
        self.of_layer(Sym::new("W", "W"), i)
    }

    /// Dense layer `i`'s bias, b or b⁽ℓ⁾.
    pub fn bias_of(&self, i: usize) -> Sym {
        self.of_layer(Sym::new("b", "b"), i)
    }

    /// `sym` of layer `i`'s dense layer, when the model has several.
    pub fn of_layer(&self, sym: Sym, i: usize) -> Sym {
        if self.multi { sym.of_layer(self.dense_number[i]) } else { sym }
    }

    /// Whether the model has more than one dense layer (symbols carry their layer).
    pub fn multi(&self) -> bool {
        self.multi
    }

    /// How many dense layers come up to and including layer `i`.
    pub fn dense_number(&self, i: usize) -> usize {
        self.dense_number[i]
    }
}

/// The inputs' names as the walk-through writes them, x₁, x₂…: the page labels its input fields
/// with these rather than spelling its own.
pub fn input_labels(layers: &[LayerTrace], inputs: usize) -> Vec<String> {
    let symbols = Symbols::new(layers);
    (0..inputs).map(|j| symbols.x().at(j).text).collect()
}
