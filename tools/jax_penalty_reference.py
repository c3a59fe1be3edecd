#!/usr/bin/env python3
"""Reference numbers for `--l2` and `--l1` (weight decay), computed by JAX (float64).

The regularised loss is written in JAX and differentiated by jax.grad:

    L = L_data + λ₂/2·Σ W² + λ₁·Σ |W|     (every dense layer's weights; biases are not penalised)

At W = 0, |W| has no derivative; gradlens takes the subgradient sign(0) = 0 (the smallest one,
which leaves a zero weight at zero). jax.grad of jnp.abs at 0 gives 1 (JAX 0.10.2:
jax.grad(jnp.abs)(0.0) == 1.0), so this script writes |W| as W·sign(W): the same value
everywhere, and jax.grad gives sign(W) + W·0 = sign(W), 0 at W = 0. The explain cases include a
zero weight to pin that down.

Writes tests/golden/penalty_jax.json:
- "explain": one sgd step of a model on given samples: the data loss, the penalty, the total,
  ∂L/∂W and ∂L/∂b of the regularised loss, the new parameters and the penalised loss after the
  step (the blog's model, and a 2-3-2 tanh model with biases under the quadratic loss);
- "train": 20-epoch runs in the format of train_jax.json (tools/jax_train_reference.py, whose
  helpers this script reuses), with `l2` and `l1` beside each case: every epoch's loss is the
  mean of its batches' penalised losses, each before its own update.

Run from the project root:

    python3 tools/jax_penalty_reference.py
"""

import json
import pathlib
import sys

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from jax_train_reference import initial_model, load_iris, run, stax_model  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "golden" / "penalty_jax.json"


def penalty(params, l2, l1):
    """λ₂/2·Σ W² + λ₁·Σ |W| over the weights: params[i][0] of each dense layer (stax's layout)."""
    total = 0.0
    for p in params:
        if len(p) > 0:
            w = p[0]
            # |w| as w·sign(w): jax.grad then gives sign(0) = 0 at a zero weight (see the docstring).
            total = total + l2 / 2 * jnp.sum(w**2) + l1 * jnp.sum(w * jnp.sign(w))
    return total


def data_loss(apply_fun, params, x, y, loss):
    out = apply_fun(params, x)
    if loss == "quadratic":
        return jnp.mean(0.5 * jnp.sum((out - y) ** 2, axis=1))
    return -jnp.mean(jnp.sum(y * jnp.log(out), axis=1))


def explain_case(name, model, x, y, loss, lr, l2, l1):
    apply_fun, params = stax_model(model)
    x, y = jnp.asarray(x, dtype=jnp.float64), jnp.asarray(y, dtype=jnp.float64)

    def total(params):
        return data_loss(apply_fun, params, x, y, loss) + penalty(params, l2, l1)

    grads = jax.grad(total)(params)
    new = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
    layers = []
    for p, g, n in zip(params, grads, new):
        if len(p) == 0:
            continue
        layers.append(
            {
                "grad_weights": np.asarray(g[0]).T.tolist(),
                "grad_bias": None if len(g) == 1 else np.asarray(g[1]).tolist(),
                "new_weights": np.asarray(n[0]).T.tolist(),
            }
        )
    return {
        "name": name,
        "model": model,
        "x": np.asarray(x).tolist(),
        "y": np.asarray(y).tolist(),
        "loss_function": loss,
        "lr": lr,
        "l2": l2,
        "l1": l1,
        "expect": {
            "data_loss": float(data_loss(apply_fun, params, x, y, loss)),
            "penalty": float(penalty(params, l2, l1)),
            "total_loss": float(total(params)),
            "new_total_loss": float(total(new)),
            "dense": layers,
        },
    }


def train_case(case, x, labels, classes):
    epoch_loss, accuracy, final = run(case, x, labels, classes, penalty=lambda p: penalty(p, case["l2"], case["l1"]))
    case["expect"] = {"epoch_loss": epoch_loss, "train_accuracy_after_epoch": accuracy, "final_model": final}
    return case


def main():
    blog = {
        "layers": [
            {"type": "dense", "weights": [[0.15, 0.29, 0.10, 0.71], [-0.80, 0.97, 0.51, 0.67], [0.14, -0.47, -0.62, 0.21]]},
            {"type": "softmax"},
        ]
    }
    # A zero weight (W₁₂ of the hidden layer) pins down L1's sign(0) = 0.
    small = {
        "layers": [
            {"type": "dense", "weights": [[0.3, 0.0], [-0.4, 0.2], [0.5, -0.6]], "bias": [0.1, -0.2, 0.05]},
            {"type": "tanh"},
            {"type": "dense", "weights": [[0.7, -0.3, 0.2], [-0.5, 0.4, 0.1]], "bias": [0.0, 0.3]},
            {"type": "sigmoid"},
        ]
    }
    explain = [
        explain_case("blog_l2", blog, [[0.81, 0.57, 0.28, 0.84]], [[1, 0, 0]], "cross-entropy", 0.25, 0.1, 0.0),
        explain_case("blog_l1", blog, [[0.81, 0.57, 0.28, 0.84]], [[1, 0, 0]], "cross-entropy", 0.25, 0.0, 0.05),
        explain_case(
            "tanh_quadratic_l2_l1_zero_weight",
            small,
            [[0.5, -1.0], [1.5, 0.25]],
            [[0.2, 0.9], [0.7, 0.1]],
            "quadratic",
            0.5,
            0.03,
            0.02,
        ),
    ]
    x, labels, classes = load_iris()
    specs = [
        ("iris_sgd_l2_full", 11, [], None, True, "sgd", {"step_size": 0.1}, 150, 0.05, 0.0),
        ("iris_sgd_tanh8_l1_mb32", 12, [8], "tanh", True, "sgd", {"step_size": 0.1}, 32, 0.0, 0.01),
        ("iris_adam_relu6_l2_l1_mb50", 13, [6], "relu", True, "adam", {"step_size": 0.01}, 50, 0.01, 0.002),
        ("iris_momentum_nobias_l2_mb40", 14, [], None, False, "momentum", {"step_size": 0.05, "mass": 0.9}, 40, 0.1, 0.0),
    ]
    train = []
    for name, seed, hidden, activation, bias, opt, args, bs, l2, l1 in specs:
        case = {
            "name": name,
            "model": initial_model(seed, [4, *hidden, 3], activation, bias),
            "optimizer": opt,
            "optimizer_args": args,
            "epochs": 20,
            "batch_size": bs,
            "log_base": "e",
            "l2": l2,
            "l1": l1,
        }
        train.append(train_case(case, x, labels, classes))
        print(f"{name}: loss {case['expect']['epoch_loss'][0]:.6f} → {case['expect']['epoch_loss'][-1]:.6f}")
    OUT.write_text(json.dumps({"explain": explain, "train": train}, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
