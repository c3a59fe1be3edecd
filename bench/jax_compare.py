#!/usr/bin/env python3
"""gradlens against JAX on the engine issue's workloads W1-W4, in one run, interleaved.

    python3 bench/jax_compare.py [--reps 5] [--only W1,W3] [--accuracy after-epoch,steps]

Needs `python3 -c "import jax"` (pip install jax) and a release build (`cargo build --release
--examples`; binaries are taken from $CARGO_TARGET_DIR, else ./target, and copied to a temporary
folder at the start, so a rebuild during the run does not change what is timed). For each workload and
float type it alternates a gradlens run and a run of each JAX program `reps` times and prints the
medians and the ratios (gradlens / JAX: below 1 means gradlens is faster).

The JAX programs (see src/engine/compiled/workloads.rs for the runs), all stax (Dense, Relu,
LogSoftmax) + `optimizers.sgd`, the whole run in one `jit`, compile time excluded
(`.lower().compile()` first), data already on the device:
- "fastest": each epoch a `lax.scan` over batch indices taking the batch by dynamic index,
  `jax.grad` only; the fastest JAX program we know, the one the README's ratios are against.
- "fastest + eval pass": the same plus one evaluation pass per epoch (loss and accuracy over the
  training rows after the epoch): the information a gradlens epoch reports.
- "stacked, accuracy" / "stacked, loss only": a `lax.scan` over the stacked batches with
  `value_and_grad`, every step's loss collected, with and without the accuracy pass (the
  programs earlier versions of this README compared against).
- gradlens W1/W2: `gradlens train` as a whole process (start-up, Iris, JSON report included),
  as the issue measured them; W3/W4: the library loop (`examples/bench_loop.rs`: `train_on`
  with the data in memory), like JAX's. Each is timed two ways (`--accuracy` picks): the
  training accuracy after each epoch (`--train-accuracy after-epoch`, a forward pass over the
  training rows: the information of "fastest + eval pass"), and counted by the steps
  (`--train-accuracy steps`, no pass of its own: as "fastest", which computes no epoch figures,
  does no accuracy pass). The matched pairs are steps / fastest and after-epoch / fastest + eval
  pass, each also against the quickest JAX program in the run that does at least the same work
  (`PEERS`); every other ratio is printed too.
Peak memory (max RSS) of the 100k×784 runs: `gradlens train --data X.npy --labels y.npy` as a
whole process, and a JAX process that builds the same data and runs W3/W4.
"""
import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
GRADLENS = os.path.join(TARGET, "release", "gradlens")
LOOP = os.path.join(TARGET, "release", "examples", "bench_loop")

import numpy as np  # noqa: E402
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402
from jax.example_libraries import optimizers, stax  # noqa: E402

N_BIG, F_BIG = 100_000, 784


def iris_data():
    """Iris as gradlens embeds it (src/data/iris.csv), standardised over all 150 rows."""
    rows = []
    with open(os.path.join(ROOT, "src", "data", "iris.csv")) as f:
        header = f.readline()
        names = []
        for line in f:
            parts = line.strip().split(",")
            if len(parts) < 5:
                continue
            rows.append([float(v) for v in parts[:4]])
            names.append(parts[4])
    x = np.array(rows)
    x = (x - x.mean(0)) / x.std(0)
    classes = list(dict.fromkeys(names))
    y = np.array([classes.index(n) for n in names])
    return x, y


def big_data(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N_BIG, F_BIG)).astype(dtype)
    y = np.arange(N_BIG) % 10
    return x, y


def stax_model(x, y, hidden, lr, dtype):
    """The run's network (stax Dense/Relu layers, LogSoftmax out) with its initial parameters in
    `dtype`, and optimizers.sgd(lr): (classes, apply_fun, params, (init, update, get_params))."""
    k = int(y.max()) + 1
    layers = []
    for h in hidden:
        layers += [stax.Dense(h), stax.Relu]
    layers += [stax.Dense(k), stax.LogSoftmax]
    init_fun, apply_fun = stax.serial(*layers)
    _, params = init_fun(jax.random.PRNGKey(0), (-1, x.shape[1]))
    params = jax.tree_util.tree_map(lambda a: a.astype(dtype), params)
    return k, apply_fun, params, optimizers.sgd(lr)


def jax_runner(x, y, hidden, lr, epochs, batch, dtype, accuracy=True):
    """The whole loop as one compiled function (lax.scan over epochs and over batches: faster here
    than fori_loop with dynamic slices); returns a call that runs it and waits for the result.
    With `accuracy`, each epoch also measures the training accuracy after it (as gradlens does)."""
    k, apply_fun, params, (opt_init, opt_update, get_params) = stax_model(x, y, hidden, lr, dtype)
    n, f = x.shape
    full, rest = divmod(n, batch)
    nb = full + (1 if rest else 0)
    X = jnp.asarray(x, dtype=dtype)
    Y = jax.nn.one_hot(jnp.asarray(y), k, dtype=dtype)
    XB = X[: full * batch].reshape(full, batch, f)
    YB = Y[: full * batch].reshape(full, batch, k)
    labels = jnp.asarray(y)

    def loss(p, xb, yb):
        return -jnp.mean(jnp.sum(apply_fun(p, xb) * yb, axis=1))

    grad_loss = jax.value_and_grad(loss)

    def step(i, state, xb, yb):
        value, g = grad_loss(get_params(state), xb, yb)
        return opt_update(i, g, state), value

    def epoch(state, e):
        def body(c, xy):
            state, i = c
            state, value = step(i, state, *xy)
            return (state, i + 1), value

        (state, _), values = lax.scan(body, (state, e * nb), (XB, YB))
        total = values.sum()
        if rest:
            state, value = step(e * nb + full, state, X[full * batch:], Y[full * batch:])
            total = total + value
        acc = jnp.mean(jnp.argmax(apply_fun(get_params(state), X), axis=1) == labels) if accuracy else 0.0
        return state, (total / nb, acc)

    @jax.jit
    def train(p):
        state, per_epoch = lax.scan(epoch, opt_init(p), jnp.arange(epochs))
        return get_params(state), per_epoch

    compiled = train.lower(params).compile()

    def call():
        out = compiled(params)
        jax.block_until_ready(out)
        return float(out[1][0][-1])

    return call


def jax_fastest(x, y, hidden, lr, epochs, batch, dtype, eval_pass=False):
    """JAX's fastest program we know for the run: the whole run in one `jax.jit`, each epoch a
    `lax.scan` over batch *indices* taking the batch by dynamic index (`lax.dynamic_slice`),
    `jax.grad` only (no per-step loss value), sgd from `jax.example_libraries.optimizers`; data
    passed in as arguments (on the device), compile time excluded. With `eval_pass`, one
    evaluation pass per epoch after it (loss and accuracy over the training rows): the same
    information as a gradlens epoch report, the equal-information anchor."""
    k, apply_fun, params, (opt_init, opt_update, get_params) = stax_model(x, y, hidden, lr, dtype)
    n, f = x.shape
    full, rest = divmod(n, batch)
    nb = full + (1 if rest else 0)
    X = jax.device_put(jnp.asarray(x, dtype=dtype))
    Y = jax.device_put(jax.nn.one_hot(jnp.asarray(y), k, dtype=dtype))
    labels = jax.device_put(jnp.asarray(y))

    def loss(p, xb, yb):
        return -jnp.mean(jnp.sum(apply_fun(p, xb) * yb, axis=1))

    grad = jax.grad(loss)

    @jax.jit
    def train(p, X, Y, labels):
        def epoch(state, e):
            def body(state, b):
                xb = lax.dynamic_slice_in_dim(X, b * batch, batch)
                yb = lax.dynamic_slice_in_dim(Y, b * batch, batch)
                return opt_update(e * nb + b, grad(get_params(state), xb, yb), state), None

            state, _ = lax.scan(body, state, jnp.arange(full))
            if rest:
                p = get_params(state)
                state = opt_update(e * nb + full, grad(p, X[full * batch:], Y[full * batch:]), state)
            if eval_pass:
                out = apply_fun(get_params(state), X)
                figures = (-jnp.mean(jnp.sum(out * Y, axis=1)), jnp.mean(jnp.argmax(out, axis=1) == labels))
            else:
                figures = (jnp.zeros((), dtype), jnp.zeros((), dtype))
            return state, figures

        state, per_epoch = lax.scan(epoch, opt_init(p), jnp.arange(epochs))
        return get_params(state), per_epoch

    compiled = train.lower(params, X, Y, labels).compile()

    def call():
        out = compiled(params, X, Y, labels)
        jax.block_until_ready(out)
        return float(out[1][0][-1])

    return call


def timed(f):
    start = time.perf_counter()
    value = f()
    return time.perf_counter() - start, value


# How gradlens takes an epoch's training accuracy (`--train-accuracy`), and the JAX program each
# is matched with: the same information, or (steps, fastest) no accuracy pass on either side.
MODES = {"after-epoch": "fastest + eval pass", "steps": "fastest"}
# The JAX programs that do at least the work of each gradlens mode: the summary also quotes the
# quickest of them in the run, since on a noisy machine the program named "fastest" is not always
# the quickest (W4 f32 on 2026-12-06: "stacked, loss only" 286 ms against "fastest" 317 ms).
PEERS = {"after-epoch": ["fastest + eval pass", "stacked, accuracy"],
         "steps": ["fastest", "fastest + eval pass", "stacked, accuracy", "stacked, loss only"]}


def gradlens_cli(args):
    """`gradlens train ARGS` as a whole process, the accuracy taken as `mode` says."""
    def make(mode):
        def run():
            subprocess.run([GRADLENS, "train", *args, "--train-accuracy", mode, "--format", "json"], check=True,
                           stdout=subprocess.DEVNULL)
        return run
    return make


def gradlens_loop(name, dtype, threads):
    """The library loop (examples/bench_loop.rs), its own timing, the accuracy taken as `mode` says."""
    def make(mode):
        def run():
            out = subprocess.run([LOOP, name, dtype, str(threads), "1", mode], check=True, capture_output=True,
                                 text=True)
            return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
        return run
    return make


def max_rss_of(cmd):
    """Peak resident memory (MiB) of one process, by GNU time's %M (getrusage over all children
    would report the largest child so far)."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], check=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    return int(out.stderr.strip().splitlines()[-1]) / 1024


def freeze_binaries():
    """Copies the gradlens binaries this run times to a temporary folder (removed at exit) and
    times the copies: a rebuild while the benchmark runs (cargo replaces the files in the target
    folder) does not change what is measured halfway through."""
    global GRADLENS, LOOP
    folder = tempfile.mkdtemp(prefix="gradlens-bench-")
    atexit.register(shutil.rmtree, folder, True)
    copies = []
    for path in (GRADLENS, LOOP):
        if not os.path.exists(path):
            copies.append(path)
            continue
        copy = os.path.join(folder, os.path.basename(path))
        shutil.copy2(path, copy)
        built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(path)))
        print(f"timing a copy of {path} (built {built})")
        copies.append(copy)
    GRADLENS, LOOP = copies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="W1,W2,W3,W4")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--memory", action="store_true", help="also measure peak memory of the 100k×784 runs")
    ap.add_argument("--memory-only", action="store_true", help="only the peak memory")
    ap.add_argument("--accuracy", default=",".join(MODES),
                    help="how gradlens takes the training accuracy, one or both of " + ", ".join(MODES))
    opts = ap.parse_args()
    modes = opts.accuracy.split(",")
    if not modes or any(m not in MODES for m in modes):
        ap.error(f"--accuracy {opts.accuracy}: one or both of {', '.join(MODES)}")
    freeze_binaries()
    only = opts.only.split(",")
    print(f"jax {jax.__version__}, {jax.devices()}, {os.cpu_count()} CPUs, gradlens threads {opts.threads}")
    rows = []
    ix, iy = iris_data()
    # (workload, dtype, the run's arguments for the JAX programs, gradlens's run, how it is timed)
    cases = [
        ("W1", "f64", lambda: (ix, iy, [], 0.1, 10_000, 150, jnp.float64),
         gradlens_cli(["--epochs", "10000", "--lr", "0.1", "--test-fraction", "0", "--threads", str(opts.threads)]), "process"),
        ("W2", "f64", lambda: (ix, iy, [], 0.01, 1_000, 1, jnp.float64),
         gradlens_cli(["--epochs", "1000", "--lr", "0.01", "--batch-size", "1", "--no-shuffle", "--test-fraction", "0",
                       "--threads", str(opts.threads)]), "process"),
    ]
    for name, hidden in [("W3", []), ("W4", [128])]:
        for dt, npdt, jdt in [("f64", np.float64, jnp.float64), ("f32", np.float32, jnp.float32)]:
            cases.append((name, dt, (lambda h=hidden, npdt=npdt, jdt=jdt: (*big_data(npdt), h, 0.01, 1, 128, jdt)),
                          gradlens_loop(name, dt, opts.threads), "loop"))
    # The JAX programs, fastest first: the ratios against "fastest" are the ones the README quotes.
    programs = [
        ("fastest", lambda a: jax_fastest(*a, eval_pass=False)),
        ("fastest + eval pass", lambda a: jax_fastest(*a, eval_pass=True)),
        ("stacked, accuracy", lambda a: jax_runner(*a, accuracy=True)),
        ("stacked, loss only", lambda a: jax_runner(*a, accuracy=False)),
    ]
    for name, dt, make_args, ours, how in cases:
        if name not in only or opts.memory_only:
            continue
        args = make_args()
        runs = [make(args) for _, make in programs]
        del args
        mine = [ours(mode) for mode in modes]
        gs, js = [[] for _ in modes], [[] for _ in programs]
        for _ in range(opts.reps):
            for times, run in zip(gs, mine):
                times.append(timed(run)[0] if how == "process" else run())
            for times, run in zip(js, runs):
                times.append(timed(run)[0])
        del runs
        gms, jms = [statistics.median(t) for t in gs], [statistics.median(t) for t in js]
        rows.append((name, dt, how, gms, jms))
        print(f"{name} {dt} ({how}): gradlens " + ", ".join(f"{m} {gm * 1e3:.1f} ms" for m, gm in zip(modes, gms))
              + "; JAX " + ", ".join(f"{label} {jm * 1e3:.1f} ms" for (label, _), jm in zip(programs, jms)), flush=True)
        for m, gm in zip(modes, gms):
            print(f"    gradlens {m} / JAX: "
                  + ", ".join(f"{label} {gm / jm:.2f}x" for (label, _), jm in zip(programs, jms)), flush=True)
    labels = [label for label, _ in programs]
    print()
    print(f"medians of {opts.reps} interleaved runs; ratio = gradlens / JAX (below 1: gradlens is faster)")
    print("The matched pairs: gradlens counting the accuracy by the steps against JAX's fastest (neither makes an "
          "accuracy pass), gradlens measuring it after each epoch against JAX's fastest + eval pass (the same "
          "information).")
    print("The quickest: against whichever JAX program doing at least the same work was quickest in this run.")
    print("| workload | dtype | " + " | ".join(f"gradlens {m} / JAX {MODES[m]} | / quickest" for m in modes) + " |")
    print("|---|---|" + "---|---|" * len(modes))
    for name, dt, how, gms, jms in rows:
        quickest = [min(jms[labels.index(p)] for p in PEERS[m]) for m in modes]
        print(f"| {name} | {dt} | "
              + " | ".join(f"{gm / jms[labels.index(MODES[m])]:.2f}× | {gm / q:.2f}×"
                           for m, gm, q in zip(modes, gms, quickest)) + " |")
    print()
    print("Every time and ratio:")
    print("| workload | dtype | gradlens accuracy | gradlens | " + " | ".join(f"JAX {l} | ratio" for l in labels) + " |")
    print("|---|---|---|---|" + "---|---|" * len(programs))
    for name, dt, how, gms, jms in rows:
        for m, gm in zip(modes, gms):
            print(f"| {name} | {dt} | {m} | {gm * 1e3:.1f} ms ({how}) | "
                  + " | ".join(f"{jm * 1e3:.1f} ms | {gm / jm:.2f}×" for jm in jms) + " |")

    if opts.memory or opts.memory_only:
        with tempfile.TemporaryDirectory() as d:
            x, y = big_data(np.float64)
            xp, yp = os.path.join(d, "X.npy"), os.path.join(d, "y.npy")
            np.save(xp, x)
            np.save(yp, y.astype(np.int64))
            data_mib = x.nbytes / 2**20
            del x
            for hidden, name in [([], "W3"), (["--hidden", "128", "--activation", "relu"], "W4")]:
                for dt in ["f64", "f32"]:
                    cmd = [GRADLENS, "train", "--data", xp, "--labels", yp, *hidden, "--epochs", "1", "--batch-size", "128",
                           "--no-shuffle", "--scale", "none", "--test-fraction", "0", "--lr", "0.01", "--dtype", dt,
                           "--format", "json"]
                    rss = max_rss_of(cmd)
                    print(f"peak memory, gradlens train {name} {dt} (.npy in): {rss:.0f} MiB = {rss / data_mib:.2f}× the "
                          f"data as f64 ({data_mib:.0f} MiB)")
            for hidden, name in [([], "W3"), ([128], "W4")]:
                code = ("import sys; sys.argv=['x']; sys.path.insert(0, %r); import jax_compare as b; import numpy as np; "
                        "import jax.numpy as jnp; b.jax_runner(*b.big_data(np.float64), %r, 0.01, 1, 128, jnp.float64)()"
                        % (os.path.dirname(os.path.abspath(__file__)), hidden))
                rss = max_rss_of([sys.executable, "-c", code])
                print(f"peak memory, JAX {name} f64 process (numpy data made in it): {rss:.0f} MiB = "
                      f"{rss / data_mib:.2f}× the data as f64")


if __name__ == "__main__":
    main()
