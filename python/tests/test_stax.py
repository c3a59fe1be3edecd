"""Your own stax model, explained: a JAX network (jax.example_libraries.stax, float64, fixed
key) handed to `from_stax` gives the loss, gradients and new parameters that `jax.grad` and
`optimizers.sgd` give, to 1e-12 relative."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax.example_libraries import optimizers, stax  # noqa: E402

import gradlens  # noqa: E402

NAMES = ["Dense", "Tanh", "Dense", "Tanh", "Dense", "LogSoftmax"]
LR = 0.3


@pytest.fixture(scope="module")
def network():
    """Two hidden tanh layers (5 and 4 units) with biases, 3 classes, a batch of 4 samples."""
    init, apply = stax.serial(stax.Dense(5), stax.Tanh, stax.Dense(4), stax.Tanh, stax.Dense(3), stax.LogSoftmax)
    _, params = init(jax.random.PRNGKey(0), (-1, 6))
    x = jax.random.normal(jax.random.PRNGKey(1), (4, 6), dtype=jnp.float64)
    labels = np.array([0, 2, 1, 2])

    def loss(params):
        # cross-entropy in nats, the mean over the batch, as gradlens's default loss
        return -jnp.mean(jnp.sum(jax.nn.one_hot(labels, 3) * apply(params, x), axis=1))

    value, grads = jax.value_and_grad(loss)(params)
    opt_init, opt_update, get_params = optimizers.sgd(LR)
    new_params = get_params(opt_update(0, grads, opt_init(params)))
    return params, x, labels, value, grads, new_params


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-12, atol=0)


def test_the_stax_step_equals_jax(network):
    params, x, labels, value, grads, new_params = network
    assert all(np.asarray(w).dtype == np.float64 for w, _ in params[::2])
    e = gradlens.explain(gradlens.from_stax(NAMES, params), x, labels, lr=LR)
    record = e.to_dict()
    close(record["loss"], value)
    dense = [layer for layer in record["layers"] if layer["type"] == "dense"]
    assert len(dense) == 3
    for layer, (gw, gb), (nw, nb) in zip(dense, grads[::2], new_params[::2]):
        # gradlens writes W rows = output units: stax's W transposed
        close(np.array(layer["grad_weights"]).T, gw)
        close(layer["grad_bias"], gb)
        close(np.array(layer["new_weights"]).T, nw)
        close(layer["new_bias"], nb)
    # …and the stepped model hands back stax's params, in stax's layout.
    for (w, b), (nw, nb) in zip(e.new_model.to_stax_params()[::2], new_params[::2]):
        close(w, nw)
        close(b, nb)
    assert e.new_model.to_stax_params()[1] == ()


def test_params_go_there_and_back_unchanged(network):
    params = network[0]
    back = gradlens.from_stax(NAMES, params).to_stax_params()
    assert len(back) == len(params)
    for (w, b), (w0, b0) in zip(back[::2], params[::2]):
        assert np.array_equal(w, np.asarray(w0)) and np.array_equal(b, np.asarray(b0))
    assert gradlens.from_stax(NAMES, params).layers == ["dense", "tanh", "dense", "tanh", "dense", "logsoftmax"]


def test_float32_params_are_taken_exactly(network):
    params = network[0]
    as32 = [tuple(np.asarray(a, dtype=np.float32) for a in p) for p in params]
    back = gradlens.from_stax(NAMES, as32).to_stax_params()
    assert np.array_equal(back[0][0], as32[0][0].astype(np.float64))
