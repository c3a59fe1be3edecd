"""Mazur's 2-2-2 sigmoid network trained 10,000 rounds on his one sample, written out in numpy
(float64), independent of gradlens: the reference for tests/mazur.rs::ten_thousand_rounds.

Round r computes E = Σₖ ½(targetₖ − outₖ)² with the weights after r − 1 updates, then updates
the weights (step 0.5, biases kept). Prints E of round 10,000 (before its update, what his
post quotes) and E after the 10,000th update.
"""
import numpy as np

x = np.array([0.05, 0.10])
t = np.array([0.01, 0.99])
W1 = np.array([[0.15, 0.20], [0.25, 0.30]])
b1 = np.array([0.35, 0.35])
W2 = np.array([[0.40, 0.45], [0.50, 0.55]])
b2 = np.array([0.60, 0.60])
sig = lambda z: 1.0 / (1.0 + np.exp(-z))


def forward(W1, W2):
    h = sig(W1 @ x + b1)
    o = sig(W2 @ h + b2)
    return h, o, 0.5 * np.sum((t - o) ** 2)


for r in range(1, 10001):
    h, o, e = forward(W1, W2)
    d_o = (o - t) * o * (1 - o)
    d_h = (W2.T @ d_o) * h * (1 - h)
    W2 = W2 - 0.5 * np.outer(d_o, h)
    W1 = W1 - 0.5 * np.outer(d_h, x)
print(f"round 10000: {e!r}")
print(f"after the 10000th update: {forward(W1, W2)[2]!r}")
