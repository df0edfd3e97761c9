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

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Dataset:
    """One feature and one target per row."""

    X: Array
    y: Array
    name: str = "inline"
    description: str = "data given in the scenario"

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])


@dataclass(frozen=True)
class DatasetSpec:
    """A generated dataset kind: what it teaches and how to make it."""

    name: str
    title: str
    description: str
    noise: float
    generate: Callable[[np.random.Generator, int, float], tuple[Array, Array]]
    task: str = "regression"
    """``regression`` (real y) or ``classification`` (y in {0, 1})."""


def _linear(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    x = rng.uniform(-2.0, 2.0, n)
    return x, 2.0 * x + 1.0 + noise * rng.standard_normal(n)


def _unscaled(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    # A feature far from zero and wide: x ~ 5 ± 2 makes the (w, b) bowl a long ravine.
    x = 5.0 + 2.0 * rng.standard_normal(n)
    return x, 0.8 * x - 2.0 + noise * rng.standard_normal(n)


def _standardized(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    x, y = _unscaled(rng, n, noise)
    return (x - x.mean()) / x.std(), y


def _logistic(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    x = rng.uniform(-3.0, 3.0, n)
    p = 1.0 / (1.0 + np.exp(-(2.0 * x + 0.5) / max(noise, 1e-3)))
    return x, (rng.uniform(size=n) < p).astype(np.float64)


def _overlap(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    y = (np.arange(n) % 2).astype(np.float64)
    x = np.where(y == 1, 1.0, -1.0) + noise * rng.standard_normal(n)
    return x, y


def _separable(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    y = (np.arange(n) % 2).astype(np.float64)
    x = np.where(y == 1, 1.0, -1.0) * (0.5 + noise * rng.uniform(size=n))
    return x, y


DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in (
        DatasetSpec("linear", "Linear", "y = 2x + 1 plus noise: a round-ish least-squares bowl",
                    0.5, _linear),
        DatasetSpec("unscaled", "Unscaled feature",
                    "a feature around 5 with spread 2: the loss over (w, b) is a long ravine",
                    0.5, _unscaled),
        DatasetSpec("standardized", "Standardized feature",
                    "the unscaled data with the feature standardized: a round bowl again",
                    0.5, _standardized),
        DatasetSpec("logistic", "Logistic", "labels drawn from a logistic model of x",
                    0.5, _logistic, "classification"),
        DatasetSpec("overlap", "Overlapping classes",
                    "two classes that overlap: logistic regression has a finite minimum",
                    0.8, _overlap, "classification"),
        DatasetSpec("separable", "Separable classes",
                    "two classes a threshold separates: the logistic loss has no finite minimum",
                    0.5, _separable, "classification"),
    )
}  # fmt: skip

_GENERATED_KEYS = ("name", "n_samples", "noise", "seed")


def make_dataset(config: Mapping[str, Any]) -> Dataset:
    """A generated dataset by name (defaults filled), or inline ``X``/``y`` rows."""
    where = "surface.dataset"
    if not isinstance(config, Mapping):
        raise ScenarioError(where, "must be an object: {'name': ...} or {'X': [...], 'y': [...]}")
    if "name" not in config:
        return _inline(config, where)
    for key in config:
        if key not in _GENERATED_KEYS:
            raise ScenarioError(
                f"{where}.{key}", f"unknown key; valid keys: {', '.join(_GENERATED_KEYS)}"
            )
    spec = DATASETS.get(config["name"]) if isinstance(config["name"], str) else None
    if spec is None:
        raise ScenarioError(
            f"{where}.name", f"unknown dataset {config['name']!r}; valid: {', '.join(DATASETS)}"
        )
    n = config.get("n_samples", 200)
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= 100_000:
        raise ScenarioError(
            f"{where}.n_samples", f"must be a whole number from 2 to 100000, got {n!r}"
        )
    noise = config.get("noise", spec.noise)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise <= 100:
        raise ScenarioError(f"{where}.noise", f"must be a number from 0 to 100, got {noise!r}")
    seed = config.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScenarioError(f"{where}.seed", f"must be a whole number >= 0, got {seed!r}")
    x, y = spec.generate(np.random.default_rng(seed), n, float(noise))
    return Dataset(
        np.asarray(x, np.float64), np.asarray(y, np.float64), spec.name, spec.description
    )


def _inline(config: Mapping[str, Any], where: str) -> Dataset:
    for key in config:
        if key not in ("X", "y"):
            raise ScenarioError(f"{where}.{key}", "unknown key; give 'name' or 'X' and 'y'")
    if "X" not in config or "y" not in config:
        raise ScenarioError(where, "needs 'name' (generated) or both 'X' and 'y' (inline)")
    try:
        x = np.asarray(config["X"], dtype=np.float64)
        y = np.asarray(config["y"], dtype=np.float64)
    except (TypeError, ValueError):
        raise ScenarioError(where, "X and y must hold numbers") from None
    if x.ndim == 2 and x.shape[1:] == (1,):
        x = x[:, 0]
    if x.ndim != 1:
        raise ScenarioError(f"{where}.X", "must be one feature per row: [[x0], [x1], ...]")
    if y.ndim != 1 or len(y) != len(x):
        raise ScenarioError(f"{where}.y", f"must have one number per row of X ({len(x)})")
    if len(x) == 0:
        raise ScenarioError(f"{where}.X", "must have at least one row")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ScenarioError(where, "X and y must be finite")
    return Dataset(x, y)


class BatchSchedule:
    """Which rows each step uses: seeded per-epoch permutations cut into batches.

    ``batch(k)`` is the index array of step k (0-based), or None in full-batch
    mode (``batch_size`` None or ≥ n), where the model uses every row.
    """

    def __init__(self, n_samples: int, batch_size: int | None, seed: int) -> None:
        self.n_samples = int(n_samples)
        self.batch_size = batch_size
        self.seed = int(seed)
        self.is_full_batch = batch_size is None or batch_size >= n_samples
        size = self.n_samples if self.is_full_batch else int(batch_size)
        self._size = max(size, 1)
        self.steps_per_epoch = -(-self.n_samples // self._size)
        self._cache: dict[int, npt.NDArray[np.intp]] = {}

    def permutation(self, epoch: int) -> npt.NDArray[np.intp]:
        """The row order of ``epoch`` (cached for the few most recent epochs)."""
        perm = self._cache.get(epoch)
        if perm is None:
            if len(self._cache) > 8:
                self._cache.clear()
            perm = np.random.default_rng([self.seed, epoch]).permutation(self.n_samples)
            self._cache[epoch] = perm
        return perm

    def batch(self, k: int) -> npt.NDArray[np.intp] | None:
        """Rows used by step ``k``; None means all rows (full batch)."""
        if self.is_full_batch:
            return None
        epoch, i = divmod(k, self.steps_per_epoch)
        return self.permutation(epoch)[i * self._size : (i + 1) * self._size]
