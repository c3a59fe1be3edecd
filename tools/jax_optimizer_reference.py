#!/usr/bin/env python3
"""Reference numbers for momentum and adam steps, computed by JAX (float64).

Three steps in a row of `jax.example_libraries.optimizers.adam` and `.momentum`, each on the same
batch, from the optimizers' own initial state (t = 0, every moment 0), on two models:

- "blog": the post's serial(Dense(3) without bias, Softmax), x = [0.81, 0.57, 0.28, 0.84],
  class 0, cross-entropy in nats;
- "hidden": a 2-3-2 network with biases, tanh in the hidden layer and a softmax output, a batch of
  two samples of classes 0 and 1, cross-entropy in nats.

The loss is the blog's, `-mean(sum(y * log(softmax(z))))`, differentiated by `jax.grad`. The
parameters are a list of per-layer tuples (W, b) with W as out×in (rows = output units, as the
model file writes them), so JAX's flat order of the leaves is the model file's: each dense layer's
weights row by row, then its bias.

For every step the file keeps: t after the step, the loss before it, each layer's gradient, the
optimizer's state after the step (adam's m and v, momentum's velocity; read from the
`OptimizerState`'s packed per-leaf tuples), the parameters after it, and the loss after it.

Writes tests/golden/optimizer_jax.json. Run from the project root:

    python3 tools/jax_optimizer_reference.py
"""

import json
import pathlib

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
from jax.example_libraries import optimizers  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "golden" / "optimizer_jax.json"
STEPS = 3

MODELS = {
    "blog": {
        "layers": [
            {
                "type": "dense",
                "weights": [[0.15, 0.29, 0.10, 0.71], [-0.80, 0.97, 0.51, 0.67], [0.14, -0.47, -0.62, 0.21]],
                "bias": None,
            },
            {"type": "softmax"},
        ],
        "x": [[0.81, 0.57, 0.28, 0.84]],
        "target": [0],
    },
    "hidden": {
        "layers": [
            {
                "type": "dense",
                "weights": [[0.15, -0.40], [0.62, 0.21], [-0.33, 0.58]],
                "bias": [0.10, -0.20, 0.05],
            },
            {"type": "tanh"},
            {"type": "dense", "weights": [[0.45, -0.71, 0.30], [-0.52, 0.38, 0.66]], "bias": [0.02, -0.04]},
            {"type": "softmax"},
        ],
        "x": [[0.5, -1.2], [1.5, 0.3]],
        "target": [0, 1],
    },
}

# (model, optimizer settings as the model file's `training.optimizer` writes them)
CASES = [
    ("blog", {"kind": "adam", "step_size": 0.25, "b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    ("blog", {"kind": "momentum", "step_size": 0.25, "mass": 0.9}),
    ("hidden", {"kind": "adam", "step_size": 0.05, "b1": 0.8, "b2": 0.99, "eps": 1e-7}),
    ("hidden", {"kind": "momentum", "step_size": 0.1, "mass": 0.5}),
]


def params_of(layers):
    """[(W,) or (W, b)] per dense layer, W out×in."""
    out = []
    for layer in layers:
        if layer["type"] == "dense":
            w = jnp.array(layer["weights"], dtype=jnp.float64)
            out.append((w,) if layer["bias"] is None else (w, jnp.array(layer["bias"], dtype=jnp.float64)))
    return out


def loss_fn(layers):
    def loss(params, x, y):
        a, dense = x, iter(params)
        for layer in layers:
            if layer["type"] == "dense":
                p = next(dense)
                a = a @ p[0].T + (p[1] if len(p) > 1 else 0.0)
            elif layer["type"] == "tanh":
                a = jnp.tanh(a)
            elif layer["type"] == "softmax":
                a = jax.nn.softmax(a, axis=1)
            else:
                raise ValueError(layer["type"])
        return -jnp.mean(jnp.sum(y * jnp.log(a), axis=1))

    return loss


def make_optimizer(settings):
    if settings["kind"] == "adam":
        return optimizers.adam(settings["step_size"], b1=settings["b1"], b2=settings["b2"], eps=settings["eps"])
    return optimizers.momentum(settings["step_size"], mass=settings["mass"])


def as_lists(p):
    return [[float(v) for v in row] for row in p] if p.ndim == 2 else [float(v) for v in p]


def per_layer(leaves, params):
    """Flat leaves (JAX's order) back into [{weights, bias}] per dense layer."""
    it, out = iter(leaves), []
    for p in params:
        w = next(it)
        out.append({"weights": as_lists(w), "bias": as_lists(next(it)) if len(p) > 1 else None})
    return out


def case(model_name, settings):
    m = MODELS[model_name]
    layers = m["layers"]
    x = jnp.array(m["x"], dtype=jnp.float64)
    classes = len(layers[-2]["weights"]) if layers[-1]["type"] == "softmax" else None
    y = jax.nn.one_hot(jnp.array(m["target"]), classes, dtype=jnp.float64)
    loss = loss_fn(layers)
    opt_init, opt_update, get_params = make_optimizer(settings)
    state = opt_init(params_of(layers))
    steps = []
    for i in range(STEPS):
        params = get_params(state)
        value, grads = jax.value_and_grad(loss)(params, x, y)
        state = opt_update(i, grads, state)
        new = get_params(state)
        # packed_state: one tuple per leaf, (x, m, v) for adam, (x, velocity) for momentum.
        packed = state.packed_state
        record = {
            "t": i + 1,
            "loss": float(value),
            "grads": per_layer(jax.tree_util.tree_leaves(grads), params),
            "new_params": per_layer(jax.tree_util.tree_leaves(new), params),
            "new_loss": float(loss(new, x, y)),
        }
        if settings["kind"] == "adam":
            record["m"] = per_layer([leaf[1] for leaf in packed], params)
            record["v"] = per_layer([leaf[2] for leaf in packed], params)
        else:
            record["velocity"] = per_layer([leaf[1] for leaf in packed], params)
        steps.append(record)
    return {
        "name": f"{model_name}_{settings['kind']}",
        "model": {"layers": layers},
        "x": m["x"],
        "target": m["target"],
        "optimizer": settings,
        "steps": steps,
    }


def main():
    golden = {
        "about": "tools/jax_optimizer_reference.py: jax.example_libraries.optimizers adam and momentum, "
        f"{STEPS} steps on one batch, float64, JAX {jax.__version__}",
        "cases": [case(m, s) for m, s in CASES],
    }
    OUT.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
