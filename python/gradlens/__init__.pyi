"""Type stub for gradlens: the functions and keyword arguments, for editors."""

import os
from typing import Any, Literal, Sequence, Union

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
PathLike = Union[str, os.PathLike[str]]
ModelLike = Union["Model", PathLike, dict[str, Any]]
Target = Union[int, str, float, ArrayLike]

class Model:
    """A network: its layers and parameters (weights rows = output units, as the model file)."""

    @staticmethod
    def load(path: PathLike) -> Model: ...
    @staticmethod
    def from_json(text: str) -> Model: ...
    def to_stax_params(self) -> list[tuple[()] | tuple[np.ndarray, np.ndarray | None]]:
        """stax's params: (W, b) with W in×out per Dense, () for every other layer."""
    def to_json(self) -> str: ...
    @property
    def layers(self) -> list[str]: ...
    @property
    def weights(self) -> list[dict[str, np.ndarray | None]]:
        """Each dense layer's {"weights": W (out×in), "bias": b or None}."""

class Explanation:
    """One or more explained update steps."""

    def to_dict(self) -> dict[str, Any] | list[dict[str, Any]]:
        """`explain --format json`: a dict for one step, a list of dicts for several."""
    def text(self) -> str: ...
    def markdown(self) -> str: ...
    def html(self) -> str:
        """One self-contained page (`--format html`), every step in it."""
    def _repr_html_(self) -> str: ...
    def __getitem__(self, k: int) -> Explanation: ...
    def __len__(self) -> int: ...
    @property
    def loss(self) -> float: ...
    @property
    def new_loss(self) -> float: ...
    @property
    def new_model(self) -> Model:
        """The model after the last step."""

def explain(
    model: ModelLike | None = None,
    x: ArrayLike | None = None,
    target: Target | Sequence[Target] | None = None,
    *,
    lr: float | None = None,
    loss: Literal["cross-entropy", "quadratic"] | None = None,
    log_base: float | Literal["e"] | None = None,
    freeze_bias: bool = False,
    steps: int = 1,
    weights: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    sample: int | Sequence[int] | None = None,
    optimizer: Literal["sgd", "momentum", "adam"] | None = None,
    momentum: float | None = None,
    b1: float | None = None,
    b2: float | None = None,
    eps: float | None = None,
    l2: float | None = None,
    l1: float | None = None,
    features: str | Sequence[str] | None = None,
) -> Explanation:
    """One update step, every number of it; no arguments: the blog's example."""

def train(
    data: PathLike | tuple[ArrayLike, ArrayLike] = "iris",
    *,
    labels: PathLike | None = None,
    label: str | None = None,
    targets: Literal["classes", "values"] | None = None,
    points: int | None = None,
    noise: float | None = None,
    model: ModelLike | None = None,
    engine: Literal["compiled", "tape"] = "compiled",
    dtype: Literal["float64", "float32"] = "float64",
    threads: int | None = None,
    # The run's settings; a missing one takes the CLI's default (gradlens::run::defaults).
    hidden: Sequence[int] = ...,
    activation: Literal["identity", "relu", "leaky_relu", "tanh", "sigmoid", "softplus"] = ...,
    output_layer: str = ...,
    bias: bool = ...,
    init: Literal["glorot", "uniform", "zeros"] = ...,
    api: Literal["stax", "custom"] = ...,
    optimizer: Literal["sgd", "momentum", "adam"] = ...,
    lr: float = ...,
    momentum: float = ...,
    epochs: int = ...,
    batch_size: int = ...,
    shuffle: bool = ...,
    seed: int = ...,
    test_fraction: float = ...,
    scale: Literal["standard", "minmax", "none"] = ...,
    loss: Literal["cross-entropy", "quadratic"] = ...,
    log_base: float | Literal["e"] = ...,
    freeze_bias: bool = ...,
    l2: float = ...,
    l1: float = ...,
    # "after-epoch": a pass over the training rows after each epoch; "steps": each step's samples
    # classed right before its update, over the epoch (no pass of its own).
    train_accuracy: Literal["after-epoch", "steps"] = ...,
) -> dict[str, Any]:
    """`train --format json` as a dict, plus "curves" (numpy arrays per epoch) and "weights"."""

def predict(
    model: ModelLike,
    x: ArrayLike,
    *,
    engine: Literal["compiled", "tape"] = "compiled",
    dtype: Literal["float64", "float32"] = "float64",
    threads: int | None = None,
) -> dict[str, Any]:
    """`predict --format json` as a dict, plus "outputs" (rows × outputs: probabilities, the
    model's outputs or its values)."""

def from_stax(layers: Sequence[str], params: Sequence[tuple[()] | tuple[ArrayLike, ArrayLike | None]]) -> Model:
    """A model from stax layer names ("Dense", "Tanh", …) and stax's params (W in×out)."""

def load_model(path: PathLike) -> Model: ...
