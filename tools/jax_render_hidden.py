#!/usr/bin/env python3
"""JAX (float64) numbers for the hidden-layer walk-through in tests/render_snapshots.rs:
3 inputs -> dense(4)+bias -> tanh -> dense(3)+bias -> softmax, two samples (classes 2 and 0),
one sgd step of 0.1. Prints: loss, dL/dW2_11, dL/dW1_11, loss after the step."""
import jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
w1 = jnp.array([[0.2, -0.4, 0.1], [0.5, 0.3, -0.2], [-0.3, 0.8, 0.6], [0.1, 0.1, -0.7]])
b1 = jnp.array([0.05, -0.1, 0.0, 0.2])
w2 = jnp.array([[0.3, -0.6, 0.2, 0.4], [-0.5, 0.1, 0.7, -0.2], [0.2, 0.4, -0.3, 0.6]])
b2 = jnp.array([0.1, 0.0, -0.1])
x = jnp.array([[0.5, -1.2, 0.3], [-0.7, 0.4, 1.1]])
y = jax.nn.one_hot(jnp.array([2, 0]), 3)
def loss(p):
    w1, b1, w2, b2 = p
    h = jnp.tanh(x @ w1.T + b1)
    probs = jax.nn.softmax(h @ w2.T + b2)
    return -jnp.mean(jnp.sum(y * jnp.log(probs), axis=1))
p = (w1, b1, w2, b2)
l, g = jax.value_and_grad(loss)(p)
newp = tuple(a - 0.1 * b for a, b in zip(p, g))
print(repr(float(l)), repr(float(g[2][0,0])), repr(float(g[0][0,0])), repr(float(loss(newp))))
