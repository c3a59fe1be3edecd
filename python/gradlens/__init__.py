"""gradlens: how a neural network's weights change during backpropagation, number by number.

The computation is the Rust library's (``gradlens._native``); this module only turns what a
notebook holds (numpy or JAX arrays, lists, paths, dicts) into the arrays and values the
library takes. Every record is the command line's ``--format json``, as a dict.

>>> import gradlens
>>> gradlens.explain().to_dict()["loss"]  # the blog's example: -ln 0.4794433
0.7351296406658168
"""

from __future__ import annotations

import os

import numpy as np

from ._native import Explanation, Model
from . import _native

__all__ = ["Explanation", "Model", "explain", "from_stax", "load_model", "predict", "train"]


def _float64(keyword, value, ndim):
    """``value`` as a C-ordered float64 array of ``ndim`` dimensions (float32 and JAX arrays
    are converted exactly); ``ndim`` "rows" takes 1-D as one row."""
    try:
        a = np.ascontiguousarray(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError) as e:
        raise ValueError(f"{keyword}: not a table of numbers ({e})") from None
    if ndim == "rows":
        a, ndim = (a.reshape(1, -1) if a.ndim == 1 else a), 2
    if a.ndim != ndim:
        raise ValueError(f"{keyword}: a {ndim}-D array is needed, not {a.ndim}-D of shape {a.shape}")
    return a


def _model(model):
    """A :class:`Model` from a Model, a model file's path, or its content as a dict (what
    ``train()`` reports as ``report["model"]``)."""
    if model is None or isinstance(model, Model):
        return model
    if isinstance(model, (str, os.PathLike)):
        return Model.load(os.fspath(model))
    if isinstance(model, dict):
        import json

        return Model.from_json(json.dumps(model))
    raise ValueError(f"model: a gradlens.Model, a model file's path or its dict, not {type(model).__name__}")


def _targets(target, one_sample):
    """One target per sample: a class (int or name), or that sample's numbers. With one sample
    (``x`` 1-D) a 1-D float array is its numbers; with a batch, one entry per sample."""
    if target is None:
        return []
    if isinstance(target, (str, int, float, np.generic)) and not isinstance(target, bool):
        return [target.item() if isinstance(target, np.generic) else target]
    a = np.asarray(target)
    if a.dtype.kind in "iu":
        return [int(t) for t in a.reshape(-1)]
    if a.dtype.kind == "f":
        if a.ndim == 1 and one_sample:
            return [a.astype(np.float64)]
        if a.ndim == 1:
            return [float(t) for t in a]
        return list(_float64("target", a, 2))
    return list(target)


def explain(
    model=None,
    x=None,
    target=None,
    *,
    lr=None,
    loss=None,
    log_base=None,
    freeze_bias=False,
    steps=1,
    weights=None,
    bias=None,
    sample=None,
    optimizer=None,
    momentum=None,
    b1=None,
    b2=None,
    eps=None,
    l2=None,
    l1=None,
    features=None,
):
    """One update step, every number of it (``gradlens explain``); no arguments: the blog's.

    ``x`` is one sample (1-D) or a batch (2-D, rows = samples); ``target`` is a class (int or
    name), or for the quadratic loss the numbers the outputs should give: one per sample.
    ``optimizer`` (``"sgd"``, ``"momentum"``, ``"adam"``; default: a saved model's own, with its
    state, else sgd) with ``momentum``, ``b1``, ``b2``, ``eps``; ``l2`` and ``l1`` the weight
    penalty; ``features`` the feature inputs computed from the columns (``"x1^2,x2^2"`` or a
    list of such items), as the command line's options.
    """
    number = lambda v: None if v is None else float(v)  # noqa: E731
    step = {
        "optimizer": optimizer,
        "momentum": number(momentum),
        "b1": number(b1),
        "b2": number(b2),
        "eps": number(eps),
        "l2": number(l2),
        "l1": number(l1),
        "features": features if features is None or isinstance(features, str) else ",".join(features),
    }
    xs = None if x is None else _float64("x", x, "rows")
    one_sample = xs is not None and np.asarray(x, dtype=np.float64).ndim == 1
    return _native.explain(
        _model(model),
        xs,
        _targets(target, one_sample),
        None if weights is None else _float64("weights", weights, 2),
        None if bias is None else _float64("bias", bias, 1),
        [] if sample is None else [int(s) for s in np.atleast_1d(sample)],
        None if lr is None else float(lr),
        loss,
        None if log_base is None else str(log_base),
        bool(freeze_bias),
        int(steps),
        step,
    )


def train(data="iris", *, labels=None, label=None, targets=None, points=None, noise=None, model=None,
          engine="compiled", dtype="float64", threads=None, **settings):
    """A training run (``gradlens train``), with the command line's options as keywords.

    ``data`` is ``"iris"``, a generated set (``"circle"``, ``"xor"``, ``"gaussians"``,
    ``"spiral"``, ``"curve"``; ``points=``, ``noise=``), a CSV, ``.npz`` or ``.npy`` path
    (``labels=`` the ``.npy`` of targets), or a pair ``(x, y)`` of arrays: y 1-D integers for
    classes, or floats with ``targets="values"``. The other keywords are the library's run settings (``hidden``,
    ``activation``, ``optimizer``, ``lr``, ``epochs``, ``batch_size``, ``seed``,
    ``train_accuracy`` (``"after-epoch"`` or ``"steps"``), …; a missing one takes the CLI's default). Returns ``train --format json`` as a dict, plus ``curves`` (numpy
    arrays per epoch) and ``weights`` (each dense layer's W, out×in, and b). The GIL is released
    while it trains.
    """
    import json

    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, (np.ndarray, tuple)):
            return [plain(v) for v in value]
        raise TypeError(f"{type(value).__name__} is not a setting")

    given = {k: v for k, v in settings.items() if v is not None}
    if "hidden" in given:
        given["hidden"] = [int(h) for h in np.atleast_1d(given["hidden"])]
    options = dict(label=label, targets=targets, points=points, noise=noise, model=_model(model), engine=engine,
                   dtype=dtype, threads=threads)
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError("data: a pair (x, y) of arrays")
        x, y = data
        values = targets == "values"
        x = _float64("data[0] (x)", x, 2)
        y = np.asarray(y, dtype=np.float64 if values else None)
        if values:
            # One column per target: a 1-D y is one target.
            y = np.ascontiguousarray(y.reshape(-1, 1) if y.ndim == 1 else y)
            if y.ndim != 2:
                raise ValueError("data[1] (y): value targets are a 1-D or 2-D array")
        else:
            if y.dtype.kind not in "iu" or y.ndim != 1:
                raise ValueError("data[1] (y): class labels are a 1-D array of integers (targets='values' learns "
                                 "numbers)")
            y = np.ascontiguousarray(y, dtype=np.int64)
        given["data"] = "arrays"
        return _native.train("arrays", json.dumps(given, default=plain), x=x, y=y, **options)
    path = os.fspath(data)
    given["data"] = path
    labels = None if labels is None else os.fspath(labels)
    return _native.train(path, json.dumps(given, default=plain), labels=labels, **options)


def predict(model, x, **options):
    """Each row's class and probabilities, or its values (``gradlens predict --format json``);
    rows are raw, the model's saved scaler applies. ``outputs`` holds them as an array."""
    xs = _float64("x", x, "rows")
    return _native.predict(_model(model), xs, **options)


def from_stax(layers, params):
    """A model from stax's layer names and params.

    ``layers``: names such as ``["Dense", "Tanh", "Dense", "LogSoftmax"]``; ``params``: stax's
    list, a ``(W, b)`` per Dense with W in×out as stax keeps it, ``()`` for the others.
    ``model.to_stax_params()`` gives them back.
    """
    names = [_stax_name(layer) for layer in layers]
    coerced = []
    for i, p in enumerate(params):
        p = tuple(p)
        if len(p) == 2:
            w, b = p
            coerced.append((_float64(f"params[{i}][0]", w, 2), None if b is None else _float64(f"params[{i}][1]", b, 1)))
        else:
            coerced.append(p)
    return Model.from_stax(names, coerced)


def _stax_name(layer):
    if isinstance(layer, str):
        return layer
    raise ValueError(f"layers: stax layer names such as 'Dense' or 'Tanh', not {type(layer).__name__}")


def load_model(path):
    """A model file, as ``gradlens train --save`` writes it."""
    return Model.load(os.fspath(path))
