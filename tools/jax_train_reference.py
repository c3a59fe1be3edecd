#!/usr/bin/env python3
"""Reference training runs for `gradlens train`, computed by JAX (float64).

Writes tests/golden/train_jax.json: a list of cases in the format of train_public.json —
the initial model (gradlens's model file, weights rows = output units), the optimizer and its
arguments, epochs, batch size, log base, and what JAX computed: the loss of every epoch (the
mean of that epoch's minibatch losses, each computed before its own update), the training
accuracy after every epoch (`train_accuracy_after_epoch`: the parameters after the epoch on every
row), the training accuracy counted by the steps (`train_accuracy_steps`: the samples each step's
parameters, before its update, class right on its batch, summed over the epoch and divided by the
rows, as `gradlens train --train-accuracy steps` reports it), and the final model.

Everything follows the run `gradlens train --model FILE --no-shuffle --scale standard
--test-fraction 0 ...` makes: the Iris rows in the file's order (src/data/iris.csv, the copy
the binary embeds), every feature standardised with its mean and population standard deviation
over all 150 rows, batches taken in order (the last one smaller when the batch size does not
divide 150), the step counter running on across epochs (adam's bias correction reads it).

The model is built with jax.example_libraries.stax and trained with
jax.example_libraries.optimizers; a dense layer without bias is the one layer stax lacks, so it
is written here in stax's (init_fun, apply_fun) form. Run from the project root:

    python3 tools/jax_train_reference.py
"""

import csv
import json
import pathlib

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.example_libraries import optimizers, stax  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
IRIS = ROOT / "src" / "data" / "iris.csv"
OUT = ROOT / "tests" / "golden" / "train_jax.json"


def load_iris():
    with open(IRIS, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r]
    x = np.array([[float(v) for v in r[:-1]] for r in body], dtype=np.float64)
    classes = []
    for r in body:
        if r[-1] not in classes:
            classes.append(r[-1])
    labels = np.array([classes.index(r[-1]) for r in body])
    # StandardScaler: mean and population standard deviation (ddof=0).
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x, labels, len(classes)


def DenseNoBias(out_dim):
    """stax.Dense without the bias: x @ W, W of shape (in, out)."""

    def init_fun(rng, input_shape):
        raise NotImplementedError("parameters come from the model file")

    def apply_fun(params, inputs, **kwargs):
        (w,) = params
        return jnp.dot(inputs, w)

    return init_fun, apply_fun


ACTIVATIONS = {"relu": stax.Relu, "tanh": stax.Tanh, "sigmoid": stax.Sigmoid, "softmax": stax.Softmax}


def stax_model(model_file):
    """(apply_fun, params) from gradlens's model file; stax keeps W as (in, out): the transpose."""
    layers, params = [], []
    for layer in model_file["layers"]:
        if layer["type"] == "dense":
            w_out_in = np.array(layer["weights"], dtype=np.float64)
            if layer.get("bias") is None:
                layers.append(DenseNoBias(w_out_in.shape[0]))
                params.append((jnp.asarray(w_out_in.T),))
            else:
                layers.append(stax.Dense(w_out_in.shape[0]))
                params.append((jnp.asarray(w_out_in.T), jnp.asarray(layer["bias"], dtype=jnp.float64)))
        else:
            layers.append(ACTIVATIONS[layer["type"]])
            params.append(())
    _, apply_fun = stax.serial(*layers)
    return apply_fun, params


def model_file(template, params):
    """The model file of `template`'s architecture holding `params` (stax's layout)."""
    out = []
    for layer, p in zip(template["layers"], params):
        if layer["type"] == "dense":
            w = np.asarray(p[0]).T
            b = None if len(p) == 1 else [float(v) for v in np.asarray(p[1])]
            out.append({"type": "dense", "weights": [[float(v) for v in row] for row in w], "bias": b})
        else:
            out.append({"type": layer["type"]})
    return {"layers": out}


def make_optimizer(name, args):
    if name == "sgd":
        return optimizers.sgd(args["step_size"])
    if name == "momentum":
        return optimizers.momentum(args["step_size"], mass=args["mass"])
    if name == "adam":
        # JAX's defaults, which gradlens's adam uses: b1 0.9, b2 0.999, eps 1e-8.
        return optimizers.adam(args["step_size"])
    raise ValueError(name)


def run(case, x, labels, classes, penalty=None):
    """`penalty(params)`, when given, is added to the loss (tools/jax_penalty_reference.py).
    The epochs' losses, their accuracies after the epoch, and the final model."""
    epoch_loss, accuracy, _, final = run_counted(case, x, labels, classes, penalty)
    return epoch_loss, accuracy, final


def run_counted(case, x, labels, classes, penalty=None):
    """`run`, and the epochs' accuracies counted by the steps: each batch classed by the
    parameters before its update (the first largest probability, jnp.argmax), the samples right
    summed over the epoch's steps, over the rows."""
    apply_fun, params = stax_model(case["model"])
    y = jax.nn.one_hot(labels, classes, dtype=jnp.float64)
    ln_base = 1.0 if case["log_base"] == "e" else float(np.log(float(case["log_base"])))

    def loss(params, xb, yb):
        probs = apply_fun(params, xb)
        data = -jnp.mean(jnp.sum(yb * jnp.log(probs), axis=1)) / ln_base
        return data if penalty is None else data + penalty(params)

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    predict = jax.jit(apply_fun)
    opt_init, opt_update, get_params = make_optimizer(case["optimizer"], case["optimizer_args"])
    state = opt_init(params)
    n, bs = x.shape[0], case["batch_size"]
    epoch_loss, accuracy, steps_accuracy, step = [], [], [], 0
    for _ in range(case["epochs"]):
        losses, right = [], 0
        for start in range(0, n, bs):
            xb, yb = x[start : start + bs], y[start : start + bs]
            value, grads = value_and_grad(get_params(state), xb, yb)
            losses.append(float(value))
            before = np.asarray(jnp.argmax(predict(get_params(state), xb), axis=1))
            right += int(np.sum(before == labels[start : start + bs]))
            state = opt_update(step, grads, state)
            step += 1
        epoch_loss.append(float(np.mean(losses)))
        steps_accuracy.append(right / n)
        predicted = np.asarray(jnp.argmax(predict(get_params(state), x), axis=1))
        accuracy.append(float(np.mean(predicted == labels)))
    return epoch_loss, accuracy, steps_accuracy, model_file(case["model"], get_params(state))


def initial_model(seed, widths, activation, bias):
    """Weights drawn from U[-1, 1] (the blog's initialiser) and rounded to 2 decimals, so the
    file is readable; biases from U[-0.1, 0.1], rounded likewise."""
    rng = np.random.RandomState(seed)
    layers = []
    for i, (inp, out) in enumerate(zip(widths, widths[1:])):
        w = np.round(rng.uniform(-1, 1, size=(out, inp)), 2)
        b = np.round(rng.uniform(-0.1, 0.1, size=out), 2) if bias else None
        layers.append(
            {
                "type": "dense",
                "weights": [[float(v) for v in row] for row in w],
                "bias": None if b is None else [float(v) for v in b],
            }
        )
        layers.append({"type": "softmax" if i == len(widths) - 2 else activation})
    return {"layers": layers}


def cases():
    """(name, seed, hidden widths, activation, bias, optimizer, args, epochs, batch size, log base)."""
    specs = [
        ("iris_momentum_bias_full", 1, [], None, True, "momentum", {"step_size": 0.05, "mass": 0.9}, 100, 150, "e"),
        ("iris_adam_bias_mb32", 2, [], None, True, "adam", {"step_size": 0.01}, 60, 32, "e"),
        ("iris_sgd_nobias_mb32_log2", 3, [], None, False, "sgd", {"step_size": 0.1}, 50, 32, "2"),
        ("iris_momentum_nobias_mb40", 4, [], None, False, "momentum", {"step_size": 0.02, "mass": 0.5}, 40, 40, "e"),
        ("iris_sgd_tanh8_bias_mb50", 5, [8], "tanh", True, "sgd", {"step_size": 0.1}, 100, 50, "e"),
        ("iris_adam_relu16_bias_mb32", 6, [16], "relu", True, "adam", {"step_size": 0.005}, 60, 32, "e"),
        ("iris_momentum_sigmoid6_bias_full", 7, [6], "sigmoid", True, "momentum", {"step_size": 0.1, "mass": 0.9}, 80, 150, "e"),
        ("iris_adam_tanh8x6_nobias_mb64_log2", 8, [8, 6], "tanh", False, "adam", {"step_size": 0.01}, 50, 64, "2"),
        ("iris_sgd_relu5_bias_full", 9, [5], "relu", True, "sgd", {"step_size": 0.2}, 150, 150, "e"),
    ]
    for name, seed, hidden, activation, bias, opt, args, epochs, bs, base in specs:
        yield {
            "name": name,
            "model": initial_model(seed, [4, *hidden, 3], activation, bias),
            "optimizer": opt,
            "optimizer_args": args,
            "epochs": epochs,
            "batch_size": bs,
            "log_base": base,
        }


def check_public(x, labels, classes):
    """The generator must reproduce the run given with the task (tests/golden/train_public.json)
    before its own cases are trusted."""
    public = json.loads((ROOT / "tests" / "golden" / "train_public.json").read_text())
    for case in public:
        case = {**case, "log_base": case.get("log_base", "e")}
        epoch_loss, accuracy, final = run(case, x, labels, classes)
        want = case["expect"]
        worst = max(abs(a - b) / abs(b) for a, b in zip(epoch_loss, want["epoch_loss"]))
        assert worst <= 1e-12, f"{case['name']}: loss differs by {worst:.2e} relative"
        assert accuracy == want["train_accuracy_after_epoch"], case["name"]
        print(f"{case['name']} (public): reproduced, largest relative loss difference {worst:.1e}")


def main():
    x, labels, classes = load_iris()
    check_public(x, labels, classes)
    out = []
    for case in cases():
        epoch_loss, accuracy, steps_accuracy, final = run_counted(case, x, labels, classes)
        case["expect"] = {
            "epoch_loss": epoch_loss,
            "train_accuracy_after_epoch": accuracy,
            "train_accuracy_steps": steps_accuracy,
            "final_model": final,
        }
        out.append(case)
        print(f"{case['name']}: loss {epoch_loss[0]:.6f} → {epoch_loss[-1]:.6f}, accuracy {accuracy[-1]:.4f}")
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
