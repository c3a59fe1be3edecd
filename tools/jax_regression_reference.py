#!/usr/bin/env python3
"""Reference regression runs for `gradlens train --label a,b`, computed by JAX (float64).

Writes tests/golden/regression_jax.json: cases in the format of train_jax.json (the initial
model file, the optimizer and its arguments, epochs, batch size) and what JAX computed: the loss
of every epoch (the mean of its minibatch losses, each computed before its own update) and the
final model. The loss is the quadratic cost, per sample ½‖y − ŷ‖², averaged over the batch.

Everything follows the run `gradlens train --data examples/iris_measurements.csv --label
petal_length,petal_width --model FILE --no-shuffle --scale standard --test-fraction 0 ...`
makes: the rows in the file's order; the features (sepal_length, sepal_width) standardised with
their mean and population standard deviation over all 150 rows; the targets as they are (not
scaled); batches in order, the last one smaller when the size does not divide 150; the step
counter running on across epochs.

The model is built with jax.example_libraries.stax and trained with
jax.example_libraries.optimizers. Run from the project root:

    python3 tools/jax_regression_reference.py
"""

import csv
import json
import pathlib

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

# The model-file adapters and the optimizers are the classification reference's, so both
# references read and write gradlens's model file one way.
from jax_train_reference import make_optimizer, model_file, stax_model  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "iris_measurements.csv"
OUT = ROOT / "tests" / "golden" / "regression_jax.json"
TARGETS = ["petal_length", "petal_width"]


def load():
    with open(DATA, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r]
    table = np.array([[float(v) for v in r] for r in body], dtype=np.float64)
    target_cols = [header.index(t) for t in TARGETS]
    feature_cols = [c for c in range(len(header)) if c not in target_cols]
    x, y = table[:, feature_cols], table[:, target_cols]
    # StandardScaler on the features only: mean and population standard deviation (ddof=0).
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x, y


def run(case, x, y):
    apply_fun, params = stax_model(case["model"])

    def loss(params, xb, yb):
        # Nielsen's quadratic cost: ½‖y − ŷ‖² per sample, the mean over the batch.
        return jnp.mean(0.5 * jnp.sum((yb - apply_fun(params, xb)) ** 2, axis=1))

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    opt_init, opt_update, get_params = make_optimizer(case["optimizer"], case["optimizer_args"])
    state = opt_init(params)
    n, bs = x.shape[0], case["batch_size"]
    epoch_loss, step = [], 0
    for _ in range(case["epochs"]):
        losses = []
        for start in range(0, n, bs):
            value, grads = value_and_grad(get_params(state), x[start : start + bs], y[start : start + bs])
            losses.append(float(value))
            state = opt_update(step, grads, state)
            step += 1
        epoch_loss.append(float(np.mean(losses)))
    return epoch_loss, model_file(case["model"], get_params(state))


def initial_model(seed, widths, activation, output):
    """Weights from U[-1, 1] and biases from U[-0.1, 0.1], rounded to 2 decimals; `output` is
    the last layer's activation, or None for a linear output (the dense layer last)."""
    rng = np.random.RandomState(seed)
    layers = []
    for i, (inp, out) in enumerate(zip(widths, widths[1:])):
        w = np.round(rng.uniform(-1, 1, size=(out, inp)), 2)
        b = np.round(rng.uniform(-0.1, 0.1, size=out), 2)
        layers.append({"type": "dense", "weights": [[float(v) for v in r] for r in w], "bias": [float(v) for v in b]})
        last = i == len(widths) - 2
        if not last:
            layers.append({"type": activation})
        elif output is not None:
            layers.append({"type": output})
    return {"layers": layers}


def cases():
    """(name, seed, hidden widths, activation, output, optimizer, args, epochs, batch size)."""
    specs = [
        ("linear_sgd_full", 11, [], None, None, "sgd", {"step_size": 0.1}, 60, 150),
        ("linear_momentum_mb32", 12, [], None, None, "momentum", {"step_size": 0.01, "mass": 0.9}, 30, 32),
        ("tanh8_sgd_mb50", 13, [8], "tanh", None, "sgd", {"step_size": 0.02}, 60, 50),
        ("relu16_adam_mb32", 14, [16], "relu", None, "adam", {"step_size": 0.01}, 40, 32),
        ("sigmoid6_momentum_full", 15, [6], "sigmoid", None, "momentum", {"step_size": 0.01, "mass": 0.9}, 80, 150),
        ("tanh5x4_adam_mb64_relu_out", 16, [5, 4], "tanh", "relu", "adam", {"step_size": 0.02}, 40, 64),
    ]
    for name, seed, hidden, activation, output, opt, args, epochs, bs in specs:
        yield {
            "name": name,
            "model": initial_model(seed, [2, *hidden, 2], activation, output),
            "optimizer": opt,
            "optimizer_args": args,
            "epochs": epochs,
            "batch_size": bs,
        }


def main():
    x, y = load()
    out = []
    for case in cases():
        epoch_loss, final = run(case, x, y)
        case["expect"] = {"epoch_loss": epoch_loss, "final_model": final}
        out.append(case)
        print(f"{case['name']}: loss {epoch_loss[0]:.6f} → {epoch_loss[-1]:.6f}")
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
