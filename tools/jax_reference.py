#!/usr/bin/env python3
"""Reference numbers for `gradlens explain`, computed with JAX (float64).

Each case is a model (gradlens's model-file layout: weights rows = output units), a batch, its
targets, a step size and a log base. For each, JAX computes what `tests/explain_golden.rs` checks:
the loss, the probabilities and logits, every dense layer's gradient, one sgd step, and the loss
after it. The model is built with `jax.example_libraries.stax` (`serial(Dense(...), ..., Softmax)`),
the gradient with `jax.grad`, the step with `jax.example_libraries.optimizers.sgd`, so the numbers
come from code that shares nothing with gradlens.

Usage:
    python3 tools/jax_reference.py --check tests/golden/explain_public.json
        recomputes the cases of a golden file and prints the largest relative difference
        (run this first: it shows the script reproduces the published numbers);
    python3 tools/jax_reference.py --out tests/golden/explain_jax.json [--seed 20240611]
        writes the generated cases (see `generated_cases`) with their expected numbers.

The Rust tests never run this script; they read the JSON it wrote.
"""

import argparse
import itertools
import json
import sys

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402  (after the float64 switch, as JAX asks)
import numpy as np  # noqa: E402
from jax.example_libraries import optimizers, stax  # noqa: E402

ACTIVATIONS = {"relu": stax.Relu, "tanh": stax.Tanh, "sigmoid": stax.Sigmoid}
BASES = {"e": np.e, "2": 2.0, "10": 10.0}


def dense_without_bias(out_dim):
    """stax's Dense with the bias left out (the blog's model): params are `(W,)`, W is (in, out)."""

    def init_fun(rng, input_shape):
        raise NotImplementedError("parameters come from the case, not from an initialiser")

    def apply_fun(params, inputs, **kwargs):
        (w,) = params
        return jnp.dot(inputs, w)

    return init_fun, apply_fun


def build(model):
    """The stax layers and their parameters for a gradlens model file (weights transposed to stax's (in, out))."""
    layers, params = [], []
    for layer in model["layers"]:
        kind = layer["type"]
        if kind == "dense":
            w_out_in = np.asarray(layer["weights"], dtype=np.float64)
            out = w_out_in.shape[0]
            if layer.get("bias") is None:
                layers.append(dense_without_bias(out))
                params.append((jnp.asarray(w_out_in.T),))
            else:
                layers.append(stax.Dense(out))
                params.append((jnp.asarray(w_out_in.T), jnp.asarray(layer["bias"], dtype=np.float64)))
        elif kind in ACTIVATIONS:
            layers.append(ACTIVATIONS[kind])
            params.append(())
        elif kind == "softmax":
            layers.append(stax.Softmax)
            params.append(())
        else:
            raise ValueError(f"layer type {kind!r} is not handled here")
    return layers, tuple(params)


def compute(case):
    """The `expect` record of one case."""
    layers, params = build(case["model"])
    _, apply_fun = stax.serial(*layers)
    # The logits: the input of the final softmax, i.e. the model without its last layer.
    _, logits_fun = stax.serial(*layers[:-1])
    x = jnp.asarray(case["x"], dtype=np.float64)
    probs0 = apply_fun(params, x)
    k = probs0.shape[1]
    y = jax.nn.one_hot(jnp.asarray(case["targets"]), k, dtype=np.float64)
    ln_b = jnp.log(BASES[case["log_base"]])

    def loss_fn(p):
        # The loss through the softmax output, as the blog writes it.
        probs = apply_fun(p, x)
        return -jnp.mean(jnp.sum(y * jnp.log(probs), axis=1)) / ln_b

    loss, grads = jax.value_and_grad(loss_fn)(params)
    opt_init, opt_update, get_params = optimizers.sgd(case["lr"])
    new_params = get_params(opt_update(0, grads, opt_init(params)))
    new_loss = loss_fn(new_params)

    logits = logits_fun(params[:-1], x)

    dense_layers = []
    for spec, g, new in zip(case["model"]["layers"], grads, new_params):
        if spec["type"] != "dense":
            continue
        has_bias = spec.get("bias") is not None
        dense_layers.append(
            {
                "grad_weights": np.asarray(g[0]).T.tolist(),
                "grad_bias": np.asarray(g[1]).tolist() if has_bias else None,
                "new_weights": np.asarray(new[0]).T.tolist(),
                "new_bias": np.asarray(new[1]).tolist() if has_bias else None,
            }
        )
    return {
        "loss": float(loss),
        "new_loss": float(new_loss),
        "logits": np.asarray(logits).tolist(),
        "probabilities": np.asarray(probs0).tolist(),
        "layers": dense_layers,
    }


def generated_cases(seed):
    """Every combination of bias (with, without) × log base (e, 2, 10) × hidden layer (none, relu,
    tanh, sigmoid): 24 cases. Shapes cycle through 1–6 features, 2–5 classes and 1–4 samples so
    that the extremes appear; numbers are drawn from one seeded numpy generator."""
    rng = np.random.default_rng(seed)
    combos = list(itertools.product([False, True], ["e", "2", "10"], [None, "relu", "tanh", "sigmoid"]))
    # Shapes chosen so the smallest (1, 2, 1) and the largest (6, 5, 4) both occur.
    shapes = [(1 + i % 6, 2 + (i * 3) % 4, 1 + (i * 5) % 4) for i in range(len(combos))]
    shapes[0], shapes[-1] = (1, 2, 1), (6, 5, 4)
    cases = []
    for (bias, base, hidden), (n, k, m) in zip(combos, shapes):
        layers = []
        width = n
        if hidden is not None:
            h = int(rng.integers(2, 6))
            layers.append(dense(rng, h, width, bias))
            layers.append({"type": hidden})
            width = h
        layers.append(dense(rng, k, width, bias))
        layers.append({"type": "softmax"})
        name = f"n{n}_k{k}_m{m}_{'bias' if bias else 'nobias'}_log{base}_{hidden or 'linear'}"
        cases.append(
            {
                "name": name,
                "model": {"layers": layers},
                "x": rng.uniform(-2.0, 2.0, size=(m, n)).tolist(),
                "targets": rng.integers(0, k, size=m).tolist(),
                "lr": float(rng.uniform(0.05, 1.0)),
                "log_base": base,
            }
        )
    return cases


def dense(rng, out, inp, bias):
    """A dense layer with weights uniform in [−1, 1] (the blog's initialiser), rows = output units."""
    return {
        "type": "dense",
        "weights": rng.uniform(-1.0, 1.0, size=(out, inp)).tolist(),
        "bias": rng.uniform(-1.0, 1.0, size=out).tolist() if bias else None,
    }


def max_rel_diff(a, b, floor=1e-300):
    """The largest |a − b| / max(|a|, |b|) over two nested lists (None must match None)."""
    if a is None or b is None:
        if a is not b:
            raise ValueError(f"{a!r} vs {b!r}")
        return 0.0
    if isinstance(a, dict):
        return max(max_rel_diff(a[key], b[key]) for key in b)
    if isinstance(a, list):
        if len(a) != len(b):
            raise ValueError("lengths differ")
        return max((max_rel_diff(u, v) for u, v in zip(a, b)), default=0.0)
    return abs(a - b) / max(abs(a), abs(b), floor)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", help="a golden file whose expected numbers to recompute")
    parser.add_argument("--out", help="where to write the generated cases")
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args()
    if not (args.check or args.out):
        parser.error("give --check FILE or --out FILE")
    if args.check:
        with open(args.check) as f:
            cases = json.load(f)
        worst = 0.0
        for case in cases:
            d = max_rel_diff(compute(case), case["expect"])
            worst = max(worst, d)
            print(f"{case['name']}: largest relative difference {d:.3e}")
        print(f"all: {worst:.3e}")
        if worst > 1e-14:
            sys.exit(1)
    if args.out:
        cases = generated_cases(args.seed)
        for case in cases:
            case["expect"] = compute(case)
        with open(args.out, "w") as f:
            json.dump(cases, f, indent=1)
            f.write("\n")
        print(f"wrote {len(cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
