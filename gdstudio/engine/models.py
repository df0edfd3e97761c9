"""Models over the plane's (w, b): linear and logistic regression on a one-feature dataset.

Both are :class:`~gdstudio.engine.objective.Objective` s vectorized over runners
(points (N, 2) = (w, b)) and rows. ``batch`` None means every row.

* ``linear_regression``: L = mean((w·x + b − y)²), computed from the batch's
  sufficient statistics (means of x, x², xy, y, y²), so it costs O(K + N).
* ``logistic_regression``: L = mean(softplus(z) − y·z) with z = w·x + b, the
  binary cross-entropy of sigmoid(z) written stably from the logits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gdstudio.engine.datasets import Dataset
from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.objective import Domain

Array = npt.NDArray[np.float64]
Rows = npt.NDArray[np.intp] | None


@dataclass(frozen=True)
class ModelSpec:
    """A model: its name, loss formula and lesson."""

    name: str
    title: str
    formula: str
    description: str


MODELS: dict[str, ModelSpec] = {
    "linear_regression": ModelSpec(
        "linear_regression", "Linear regression", "mean((w·x + b − y)²)",
        "mean squared error of a line: a quadratic bowl over (w, b)",
    ),
    "logistic_regression": ModelSpec(
        "logistic_regression", "Logistic regression", "mean(BCE(sigmoid(w·x + b), y))",
        "cross-entropy of a sigmoid: convex, but flat far out and unbounded below on separable data",
    ),
}  # fmt: skip


def sigmoid(z: Array) -> Array:
    """1 / (1 + e^(−z)) without overflow, via tanh."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass
class ModelObjective:
    """A model's loss over (w, b) on a dataset (implements Objective)."""

    model: str
    dataset: Dataset
    name: str = ""
    description: str = ""
    domain: Domain = ((-1.0, 1.0), (-1.0, 1.0))
    minima: Array = field(default_factory=lambda: np.zeros((0, 2)))
    n_samples: int | None = None

    def __post_init__(self) -> None:
        spec = MODELS[self.model]
        self.name = f"{self.model} on {self.dataset.name}"
        self.description = spec.description
        self.n_samples = self.dataset.n
        self.minima = self._optimum()
        self.domain = self._default_domain()

    # ------------------------------------------------------------------ rows
    def _xy(self, batch: Rows) -> tuple[Array, Array]:
        d = self.dataset
        return (d.X, d.y) if batch is None else (d.X[batch], d.y[batch])

    def _stats(self, batch: Rows) -> tuple[float, float, float, float, float]:
        x, y = self._xy(batch)
        return x.mean(), (x * x).mean(), (x * y).mean(), y.mean(), (y * y).mean()

    # ------------------------------------------------------------------ objective
    def value(self, points: Array, batch: Rows = None) -> Array:
        """Loss per runner, shape (N,)."""
        w, b = points[:, 0], points[:, 1]
        with np.errstate(all="ignore"):
            if self.model == "linear_regression":
                sx, sxx, sxy, sy, syy = self._stats(batch)
                return w * w * sxx + 2 * w * b * sx + b * b - 2 * w * sxy - 2 * b * sy + syy
            x, y = self._xy(batch)
            z = w[:, None] * x + b[:, None]
            return (np.logaddexp(0.0, z) - y * z).mean(axis=1)

    def grad(self, points: Array, batch: Rows = None) -> Array:
        """Gradient per runner, shape (N, 2)."""
        w, b = points[:, 0], points[:, 1]
        out = np.empty((points.shape[0], 2))
        with np.errstate(all="ignore"):
            if self.model == "linear_regression":
                sx, sxx, sxy, sy, _ = self._stats(batch)
                out[:, 0] = 2 * (w * sxx + b * sx - sxy)
                out[:, 1] = 2 * (w * sx + b - sy)
                return out
            x, y = self._xy(batch)
            r = sigmoid(w[:, None] * x + b[:, None]) - y
            out[:, 0] = (r * x).mean(axis=1)
            out[:, 1] = r.mean(axis=1)
            return out

    def value_and_grad(self, points: Array) -> tuple[Array, Array]:
        """Full loss and gradient."""
        return self.value(points), self.grad(points)

    def hessian(self, points: Array, batch: Rows = None) -> Array:
        """Hessian per runner, shape (N, 2, 2)."""
        n = points.shape[0]
        out = np.empty((n, 2, 2))
        with np.errstate(all="ignore"):
            if self.model == "linear_regression":
                sx, sxx, *_ = self._stats(batch)
                out[:] = [[2 * sxx, 2 * sx], [2 * sx, 2.0]]
                return out
            x, _ = self._xy(batch)
            s = sigmoid(points[:, 0:1] * x + points[:, 1:2])
            q = s * (1 - s)
            out[:, 0, 0] = (q * x * x).mean(axis=1)
            out[:, 0, 1] = out[:, 1, 0] = (q * x).mean(axis=1)
            out[:, 1, 1] = q.mean(axis=1)
            return out

    def predict(self, points: Array, x_grid: Array) -> Array:
        """Each runner's model over ``x_grid``: the line, or the sigmoid; shape (N, G)."""
        with np.errstate(all="ignore"):
            z = points[:, 0:1] * x_grid + points[:, 1:2]
            return z if self.model == "linear_regression" else sigmoid(z)

    # ------------------------------------------------------------------ optimum and view
    def _optimum(self) -> Array:
        x, y = self.dataset.X, self.dataset.y
        if self.model == "linear_regression":
            h = self.hessian(np.zeros((1, 2)))[0]
            if abs(np.linalg.det(h)) < 1e-12:
                return np.zeros((0, 2))
            return np.linalg.solve(h, -self.grad(np.zeros((1, 2)))[0])[None]
        pos, neg = x[y == 1], x[y == 0]
        if len(pos) == 0 or len(neg) == 0 or pos.min() > neg.max() or pos.max() < neg.min():
            return np.zeros((0, 2))  # separable: the loss has no finite minimum
        p = np.zeros((1, 2))
        for _ in range(100):
            step = np.linalg.solve(self.hessian(p)[0], self.grad(p)[0])
            p = p - step
            if np.abs(step).max() < 1e-13:
                break
        return p

    def _default_domain(self) -> Domain:
        if len(self.minima) == 0:
            return ((-4.0, 12.0), (-6.0, 6.0))
        cw, cb = self.minima[0]
        hw, hb = max(5.0, 1.5 * abs(cw)), max(5.0, 1.5 * abs(cb))
        return ((cw - hw, cw + hw), (cb - hb, cb + hb))


def make_model_objective(model: str, dataset: Dataset) -> ModelObjective:
    """The loss of ``model`` on ``dataset``; ScenarioError on an unknown model or bad labels."""
    if model not in MODELS:
        raise ScenarioError("surface.model", f"unknown model {model!r}; valid: {', '.join(MODELS)}")
    if model == "logistic_regression" and not np.isin(dataset.y, (0.0, 1.0)).all():
        raise ScenarioError("surface.dataset.y", "logistic regression needs labels 0 or 1")
    return ModelObjective(model, dataset)
