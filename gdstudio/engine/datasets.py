"""Toy datasets for batch mode, and the shared batch sequence.

Every dataset has one feature ``X`` (n,) and a target ``y`` (n,); the model's
two parameters (w, b) are the plane the race runs on. Generation is seeded
through ``numpy.random.default_rng`` so a scenario replays exactly.

:class:`BatchSchedule` cuts each epoch's seeded permutation into consecutive
batches, the last possibly short — a DataLoader with ``shuffle=True`` and
``drop_last=False`` — and gives random access to the batch of any step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.inputs import describe, field_path

Array = npt.NDArray[np.float64]
Rows = npt.NDArray[np.intp]

_WHERE = "surface.dataset"
"""Field path of the dataset in a scenario, the prefix of every error's field."""


def _frozen(values: npt.ArrayLike) -> Array:
    """A read-only float64 copy of ``values`` as a 1-D array."""
    out = np.array(values, dtype=np.float64).reshape(-1)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Dataset:
    """One feature and one target per row; both arrays are read-only float64 (n,)."""

    X: Array
    """The feature, shape (n,)."""
    y: Array
    """The target, shape (n,): real for regression, 0 or 1 for classification."""
    name: str = "inline"
    """The generated kind, or ``inline`` for data given in the scenario."""
    description: str = "data given in the scenario"
    """One line on what the data teach."""

    def __post_init__(self) -> None:
        x, y = _frozen(self.X), _frozen(self.y)
        if x.shape != y.shape or x.size == 0:
            raise ValueError(f"X and y need the same number of rows (>= 1): {x.size}, {y.size}")
        object.__setattr__(self, "X", x)
        object.__setattr__(self, "y", y)

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])


@dataclass(frozen=True)
class DatasetParam:
    """One parameter of a generated dataset, with its default and inclusive bounds."""

    name: str
    default: int | float
    low: int | float
    high: int | float
    doc: str
    integer: bool = False
    """True when only whole numbers are valid."""

    def check(self, value: Any, where: str) -> int | float:
        """``value`` if it is a number within bounds (and whole when needed), else ScenarioError."""
        kind = "whole number" if self.integer else "number"
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and self.integer and isinstance(value, float):
            ok = value.is_integer()
        if not ok or not self.low <= value <= self.high:  # NaN fails the comparison
            raise ScenarioError(
                where,
                f"{self.doc}: must be a {kind} from {self.low} to {self.high}, got {describe(value)}",
            )
        return value


# The generator named as a string: numpy.random loads on first use, not with the app (4 ms).
Draw = Callable[["np.random.Generator", int, float], tuple[Array, Array]]
"""Draws (X, y) from a seeded generator, a row count and a noise level."""


@dataclass(frozen=True)
class DatasetSpec:
    """A generated dataset kind: what it teaches, its parameters and how to make it."""

    name: str
    title: str
    description: str
    task: str
    """``regression`` (real y) or ``classification`` (y in {0, 1})."""
    parameters: tuple[DatasetParam, ...]
    """``n_samples``, ``noise`` and ``seed``, in that order."""
    draw: Draw

    def param(self, name: str) -> DatasetParam:
        """The parameter called ``name`` (KeyError if there is none)."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def generate(
        self, n_samples: int | None = None, noise: float | None = None, seed: int | None = None
    ) -> Dataset:
        """The dataset for these parameters (None: the default); ScenarioError when out of bounds."""
        given = {"n_samples": n_samples, "noise": noise, "seed": seed}
        values = {
            p.name: p.check(p.default if given[p.name] is None else given[p.name],
                            f"{_WHERE}.{p.name}")
            for p in self.parameters
        }  # fmt: skip
        rng = np.random.default_rng(int(values["seed"]))
        x, y = self.draw(rng, int(values["n_samples"]), float(values["noise"]))
        return Dataset(x, y, self.name, self.description)


# ---------------------------------------------------------------- generators
def _linear(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    x = rng.uniform(-2.0, 2.0, n)
    return x, 2.0 * x + 1.0 + noise * rng.standard_normal(n)


def _unscaled(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    # x ≈ 4 ± 2: Hessian 2·[[E x², E x], [E x, 1]] has condition number ~100, a ravine in
    # which gradient descent's zig-zag and its crawl along the floor are both visible (at
    # ~10⁴ the crawl is too slow to see). The line through the data's centre passes near
    # the origin, so the ravine's floor runs from (0, 0) to the optimum (0.5, −2).
    x = 4.0 + 2.0 * rng.standard_normal(n)
    return x, 0.5 * x - 2.0 + noise * rng.standard_normal(n)


def _standardized(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    x, y = _unscaled(rng, n, noise)
    return (x - x.mean()) / x.std(), y


def _logistic(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    # P(y = 1) = sigmoid((2x + 0.5) / noise): a logistic-noise threshold; noise 0 separates.
    x = rng.uniform(-3.0, 3.0, n)
    return x, (2.0 * x + 0.5 + noise * rng.logistic(0.0, 1.0, n) > 0).astype(np.float64)


def _overlap(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    # Alternating labels around centres ∓1; rows 0-3 are fixed so each class has a row at
    # each centre, which makes the classes overlap (a finite optimum) at any noise.
    y = (np.arange(n) % 2).astype(np.float64)
    x = 2.0 * y - 1.0 + noise * rng.standard_normal(n)
    x[:4] = (1.0, -1.0, -1.0, 1.0)
    return x, y


def _separable(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    # Class 0 on x < −0.5, class 1 on x > 0.5: a gap of at least 1 at any noise.
    y = (np.arange(n) % 2).astype(np.float64)
    return (2.0 * y - 1.0) * (0.5 + noise * rng.uniform(size=n)), y


def _params(noise: float, noise_doc: str, min_rows: int = 2) -> tuple[DatasetParam, ...]:
    return (
        DatasetParam("n_samples", 200, min_rows, 100_000, "number of rows", integer=True),
        DatasetParam("noise", noise, 0, 10, noise_doc),
        DatasetParam("seed", 0, 0, 2**32 - 1, "random seed (same seed, same data)", integer=True),
    )


_GAUSS = "standard deviation of the Gaussian noise added to y"

DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in (
        DatasetSpec("linear", "Linear",
                    "y = 2x + 1 plus noise, x in [-2, 2]: a round least-squares bowl",
                    "regression", _params(0.5, _GAUSS), _linear),
        DatasetSpec("unscaled", "Unscaled feature",
                    "y = 0.5x - 2 plus noise with x about 4 ± 2: a large, offset feature "
                    "stretches the loss over (w, b) into a long narrow ravine",
                    "regression", _params(0.5, _GAUSS), _unscaled),
        DatasetSpec("standardized", "Standardized feature",
                    "the unscaled data with x standardized to mean 0, variance 1: "
                    "the ravine becomes a round bowl",
                    "regression", _params(0.5, _GAUSS), _standardized),
        DatasetSpec("logistic", "Logistic",
                    "labels drawn from a logistic model, P(y=1) = sigmoid((2x + 0.5) / noise)",
                    "classification",
                    _params(0.5, "temperature of the label noise (0: separable)"), _logistic),
        DatasetSpec("overlap", "Overlapping classes",
                    "two classes around x = -1 and x = 1 that overlap: "
                    "logistic regression has a finite minimum",
                    "classification",
                    _params(0.8, "standard deviation of each class around its centre", 4),
                    _overlap),
        DatasetSpec("separable", "Separable classes",
                    "two classes a threshold separates: the logistic loss keeps falling "
                    "as the weights grow and has no finite minimum",
                    "classification", _params(0.5, "spread of each class beyond the gap"),
                    _separable),
    )
}  # fmt: skip
"""Every generated dataset kind by name."""


# ---------------------------------------------------------------- scenario input
def make_dataset(config: Mapping[str, Any]) -> Dataset:
    """The dataset a scenario's ``surface.dataset`` describes.

    Either generated, ``{"name": ..., "n_samples": ..., "noise": ..., "seed": ...}``
    with defaults for the omitted parameters, or inline, ``{"X": [[x0], ...],
    "y": [y0, ...]}`` (X may also be a flat list). Errors are ScenarioErrors whose
    field is the offending path, e.g. ``surface.dataset.n_samples``.
    """
    if not isinstance(config, Mapping):
        raise ScenarioError(_WHERE, "must be an object: {'name': ...} or {'X': [...], 'y': [...]}")
    if "name" not in config:
        return _inline(config)
    name = config["name"]
    spec = DATASETS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ScenarioError(
            f"{_WHERE}.name", f"unknown dataset {describe(name)}; valid: {', '.join(DATASETS)}"
        )
    valid = ["name", *(p.name for p in spec.parameters)]
    for key in config:
        if key not in valid:
            raise ScenarioError(
                field_path(_WHERE, key),
                f"unknown parameter {describe(key)}; valid: {', '.join(valid)}",
            )
    return spec.generate(config.get("n_samples"), config.get("noise"), config.get("seed"))


_MAX_INLINE = 1e12
"""Largest magnitude of an inline value (so squares and moments stay far from overflow)."""


def _number(value: Any, where: str) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not abs(value) <= _MAX_INLINE:  # NaN fails the comparison
        raise ScenarioError(where, f"must be a number from -1e12 to 1e12, got {describe(value)}")
    return float(value)


def _inline(config: Mapping[str, Any]) -> Dataset:
    for key in config:
        if key not in ("X", "y"):
            raise ScenarioError(
                field_path(_WHERE, key),
                f"unknown key {describe(key)}; give 'name' ({', '.join(DATASETS)}) or 'X' and 'y'",
            )
    if "X" not in config or "y" not in config:
        raise ScenarioError(_WHERE, "needs 'name' (generated) or both 'X' and 'y' (inline)")
    rows, targets = config["X"], config["y"]
    if not isinstance(rows, list | tuple) or not rows:
        raise ScenarioError(f"{_WHERE}.X", "must be a non-empty list of rows: [[x0], [x1], ...]")
    if not isinstance(targets, list | tuple):
        raise ScenarioError(f"{_WHERE}.y", "must be a list of numbers: [y0, y1, ...]")
    x = []
    for i, row in enumerate(rows):
        if isinstance(row, list | tuple):
            if len(row) != 1:
                raise ScenarioError(
                    f"{_WHERE}.X[{i}]", f"must hold one feature, [x], got {len(row)} values"
                )
            row = row[0]
        x.append(_number(row, f"{_WHERE}.X[{i}]"))
    y = [_number(v, f"{_WHERE}.y[{i}]") for i, v in enumerate(targets)]
    if len(y) != len(x):
        raise ScenarioError(
            f"{_WHERE}.y", f"must have one number per row of X: {len(x)} rows, {len(y)} numbers"
        )
    return Dataset(np.array(x), np.array(y))


# ---------------------------------------------------------------- batches
class BatchSchedule:
    """Which rows each optimizer step uses: seeded per-epoch permutations cut into batches.

    Epoch ``e`` is ``np.random.default_rng([seed, e]).permutation(n_samples)``
    cut into consecutive chunks of ``batch_size``, the last possibly short, so
    step ``k`` (0-based) uses chunk ``k % steps_per_epoch`` of epoch
    ``k // steps_per_epoch``: random access, and the same for every runner.
    In full-batch mode (``batch_size`` None or ≥ n) :meth:`batch` returns None,
    meaning every row, so models can use their precomputed full loss.
    """

    _CACHED_EPOCHS = 4

    def __init__(self, n_samples: int, batch_size: int | None, seed: int) -> None:
        if n_samples < 1:
            raise ValueError(f"n_samples must be at least 1, got {n_samples}")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be None or at least 1, got {batch_size}")
        self.n_samples = int(n_samples)
        """Rows in the dataset."""
        self.batch_size = None if batch_size is None else int(batch_size)
        """Rows per batch as given (None: full batch)."""
        self.seed = int(seed)
        """Seed of the permutations."""
        self.is_full_batch = self.batch_size is None or self.batch_size >= self.n_samples
        """True when every step uses every row."""
        self._size = self.n_samples if self.is_full_batch else int(batch_size)
        self.steps_per_epoch = -(-self.n_samples // self._size)
        """Steps per pass over the data (1 in full-batch mode)."""
        self._cache: dict[int, Rows] = {}

    def permutation(self, epoch: int) -> Rows:
        """The (read-only) row order of ``epoch``; the most recent few epochs are cached."""
        perm = self._cache.get(epoch)
        if perm is None:
            if epoch < 0:
                raise ValueError(f"epoch must be at least 0, got {epoch}")
            perm = np.random.default_rng([self.seed, epoch]).permutation(self.n_samples)
            perm.flags.writeable = False
            if len(self._cache) >= self._CACHED_EPOCHS:
                del self._cache[next(iter(self._cache))]
            self._cache[epoch] = perm
        return perm

    def batch(self, k: int) -> Rows | None:
        """Row indices used by step ``k`` (0-based), or None for all rows (full batch)."""
        if k < 0:
            raise ValueError(f"step must be at least 0, got {k}")
        if self.is_full_batch:
            return None
        epoch, i = divmod(int(k), self.steps_per_epoch)
        return self.permutation(epoch)[i * self._size : (i + 1) * self._size]
