"""Models over the plane's (w, b): linear and logistic regression on a one-feature dataset.

Both are :class:`~gdstudio.engine.objective.Objective` s vectorized over runners
(points (N, 2) = (w, b)) and rows; ``batch`` None means every row.

* ``linear_regression``: L = mean((w·x + b − y)²), from the rows' means and
  (co)variances: L = (w·x̄ + b − ȳ)² + w²·var x − 2w·cov(x, y) + var y. The full
  data's statistics are computed once, so the full loss costs O(N), and a
  batch's cost O(K + N) instead of O(N·K).
* ``logistic_regression``: L = mean(softplus(z) − y·z) with z = w·x + b, the
  binary cross-entropy of sigmoid(z), written as mean(softplus(±z)) (+ for
  y = 0, − for y = 1) and evaluated as max(t, 0) + log1p(e^(−|t|)), which
  neither overflows nor cancels for any logit.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from gdstudio.engine.datasets import Dataset
from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.inputs import describe
from gdstudio.engine.objective import Domain, Points, guards_its_errors

Array = npt.NDArray[np.float64]
Rows = npt.NDArray[np.intp] | None

_CHUNK = 1 << 16
"""Largest (runners × rows) temporary the logistic loss builds at once (512 kB)."""


@dataclass(frozen=True)
class ModelSpec:
    """A model: its name, loss formula (display text) and lesson."""

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
        "cross-entropy of a sigmoid: convex, flat far out, and without a finite minimum "
        "on separable data",
    ),
}  # fmt: skip
"""Every model by name."""


def sigmoid(z: npt.ArrayLike) -> Array:
    """1 / (1 + e^(−z)) elementwise, without overflow and accurate in both tails."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0, e) / (1.0 + e)


class _Moments(NamedTuple):
    """Means, variances and covariance of (x, y) over some rows (population, 1/K)."""

    mx: float
    my: float
    vxx: float
    cxy: float
    vyy: float


def _moments(x: Array, y: Array) -> _Moments:
    mx, my = x.mean(), y.mean()
    dx, dy = x - mx, y - my
    return _Moments(float(mx), float(my), float(dx @ dx) / len(x), float(dx @ dy) / len(x),
                    float(dy @ dy) / len(x))  # fmt: skip


class ModelObjective(ABC):
    """A model's loss over (w, b) on a dataset; implements Objective.

    Build one with :func:`make_model_objective`. ``minima`` holds the optimum
    (1, 2) when it is finite and unique, else (0, 2); ``domain`` is a box around
    it sized by the Hessian there, so it shows the bowl's shape (a ravine looks
    like one) and contains the origin.
    """

    def __init__(self, spec: ModelSpec, dataset: Dataset) -> None:
        self.model = spec.name
        """The model's name, a key of :data:`MODELS`."""
        self.formula = spec.formula
        """The loss as display text."""
        self.dataset = dataset
        """The data the loss is computed on."""
        self.name = f"{spec.name} on {dataset.name}"
        """Identifier shown in the UI and exports."""
        self.description = f"{spec.description}; data: {dataset.description}"
        """One line on what this surface teaches."""
        self.n_samples: int | None = dataset.n
        """Rows of the dataset."""
        self.minima: Array = self._optimum()
        """The optimum, shape (1, 2), or (0, 2) when there is no finite unique one."""
        self.domain: Domain = (
            self._box_around(self.minima[0]) if len(self.minima) else self._unbounded_domain()
        )
        """Default region to show."""

    # ------------------------------------------------------------------ objective
    @abstractmethod
    def value(self, points: Points, batch: Rows = None) -> Array:
        """Loss per runner on the rows ``batch`` (None: all), shape (N,)."""

    @abstractmethod
    def grad(self, points: Points, batch: Rows = None) -> Array:
        """Exact gradient per runner on the rows ``batch`` (None: all), shape (N, 2)."""

    @abstractmethod
    def hessian(self, points: Points, batch: Rows = None) -> Array:
        """Exact Hessian per runner on the rows ``batch`` (None: all), shape (N, 2, 2)."""

    @abstractmethod
    def value_and_grad(self, points: Points, errors_ignored: bool = False) -> tuple[Array, Array]:
        """Full loss and gradient, sharing the work: (N,), (N, 2) (``errors_ignored``: see
        :meth:`~gdstudio.engine.objective.Objective.value_and_grad`)."""

    @abstractmethod
    def predict(self, points: Points, x_grid: npt.ArrayLike) -> Array:
        """Each runner's model over ``x_grid`` (G,): the line or the sigmoid, shape (N, G)."""

    # ------------------------------------------------------------------ optimum and view
    @abstractmethod
    def _optimum(self) -> Array:
        """The finite unique optimum (1, 2), else an empty (0, 2)."""

    @abstractmethod
    def _unbounded_domain(self) -> Domain:
        """Default region when there is no finite unique optimum."""

    def _box_around(self, center: Array) -> Domain:
        """The box bounding the ellipse {d : dᵀ·H·d ≤ k²} around the optimum, H its Hessian.

        For a quadratic loss that ellipse is the sublevel set L ≤ L* + k²/2, so the
        box shows the bowl's shape (a ravine is a thin diagonal valley). With
        k = 2·max(√(p*ᵀ·H·p*), √(2·L*)) the origin lies well inside (Cauchy–Schwarz),
        and the box does not collapse when the optimum is the origin.
        """
        h = self.hessian(center[None])[0]
        inv = np.linalg.inv(h)
        loss = float(self.value(center[None])[0])
        k = 2.0 * max(math.sqrt(max(center @ h @ center, 0.0)), math.sqrt(2.0 * max(loss, 0.0)))
        half = (k if k > 0 else 2.0) * np.sqrt(np.diag(inv))
        return _nice(center - half, center + half)


def _nice(lo: Array, hi: Array) -> Domain:
    """((x0, x1), (y0, y1)) from corner arrays, rounded outward to two significant digits."""
    out = []
    for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
        e = math.floor(math.log10(b - a)) - 1
        if e < 0:  # divide by an exact power of ten so 0.1-steps print as 0.6, not 0.6000…1
            f = 10.0**-e
            out.append((math.floor(a * f) / f, math.ceil(b * f) / f))
        else:
            f = 10.0**e
            out.append((math.floor(a / f) * f, math.ceil(b / f) * f))
    return (out[0], out[1])


class LinearRegression(ModelObjective):
    """Mean squared error of the line w·x + b, in closed form from the rows' moments."""

    def __init__(self, spec: ModelSpec, dataset: Dataset) -> None:
        self._full = _moments(dataset.X, dataset.y)
        super().__init__(spec, dataset)

    def _stats(self, batch: Rows) -> _Moments:
        if batch is None:
            return self._full
        return _moments(self.dataset.X[batch], self.dataset.y[batch])

    def value(self, points: Points, batch: Rows = None) -> Array:
        """Loss per runner on the rows ``batch`` (None: all), shape (N,)."""
        m = self._stats(batch)
        w, b = points[:, 0], points[:, 1]
        with np.errstate(all="ignore"):
            mean_residual = w * m.mx + b - m.my
            # The spread term is a variance (≥ 0); clip rounding below zero at a perfect fit.
            spread = np.maximum(w * (w * m.vxx - 2.0 * m.cxy) + m.vyy, 0.0)
            return mean_residual * mean_residual + spread

    def grad(self, points: Points, batch: Rows = None) -> Array:
        """Exact gradient per runner on the rows ``batch`` (None: all), shape (N, 2)."""
        m = self._stats(batch)
        w, b = points[:, 0], points[:, 1]
        out = np.empty((points.shape[0], 2))
        with np.errstate(all="ignore"):
            mean_residual = w * m.mx + b - m.my
            out[:, 0] = 2.0 * (mean_residual * m.mx + w * m.vxx - m.cxy)
            out[:, 1] = 2.0 * mean_residual
        return out

    def hessian(self, points: Points, batch: Rows = None) -> Array:
        """Exact Hessian per runner on the rows ``batch`` (None: all), shape (N, 2, 2)."""
        m = self._stats(batch)
        h = 2.0 * np.array([[m.mx * m.mx + m.vxx, m.mx], [m.mx, 1.0]])
        return np.tile(h, (points.shape[0], 1, 1))

    @guards_its_errors
    def value_and_grad(self, points: Points) -> tuple[Array, Array]:
        """Full loss and gradient, sharing the work: (N,), (N, 2)."""
        m = self._full
        w, b = points[:, 0], points[:, 1]
        grad = np.empty((points.shape[0], 2))
        mean_residual = w * m.mx + b - m.my
        spread = np.maximum(w * (w * m.vxx - 2.0 * m.cxy) + m.vyy, 0.0)
        grad[:, 0] = 2.0 * (mean_residual * m.mx + w * m.vxx - m.cxy)
        grad[:, 1] = 2.0 * mean_residual
        return mean_residual * mean_residual + spread, grad

    def predict(self, points: Points, x_grid: npt.ArrayLike) -> Array:
        """Each runner's line over ``x_grid`` (G,), shape (N, G)."""
        x = np.asarray(x_grid, dtype=np.float64)
        with np.errstate(all="ignore"):
            return points[:, 0:1] * x + points[:, 1:2]

    def _optimum(self) -> Array:
        m = self._full
        if m.vxx <= 1e-12 * (m.mx * m.mx + m.vxx):
            return np.zeros((0, 2))  # one distinct x: a whole line of minima
        w = m.cxy / m.vxx
        return np.array([[w, m.my - w * m.mx]])

    def _unbounded_domain(self) -> Domain:
        my = self._full.my  # the minima are the line w·x̄ + b = ȳ; show it and the origin
        return ((-5.0, 5.0), (min(my, 0.0) - 5.0, max(my, 0.0) + 5.0))


class LogisticRegression(ModelObjective):
    """Mean binary cross-entropy of sigmoid(w·x + b), stable for any logit."""

    def __init__(self, spec: ModelSpec, dataset: Dataset) -> None:
        self._sign = 1.0 - 2.0 * dataset.y  # loss of row i = softplus(sign_i · z_i)
        super().__init__(spec, dataset)

    def _rows(self, batch: Rows) -> tuple[Array, Array]:
        if batch is None:
            return self.dataset.X, self._sign
        return self.dataset.X[batch], self._sign[batch]

    def _evaluate(
        self, points: Points, batch: Rows, want_value: bool, want_grad: bool
    ) -> tuple[Array, Array]:
        """Loss (N,) and gradient (N, 2), in chunks of runners to bound memory."""
        x, sign = self._rows(batch)
        n, k = points.shape[0], len(x)
        value, grad = np.empty(n), np.empty((n, 2))
        chunk = max(1, _CHUNK // k)
        with np.errstate(all="ignore"):
            for lo in range(0, n, chunk):
                p = points[lo : lo + chunk]
                t = (p[:, 0:1] * x + p[:, 1:2]) * sign
                e = np.exp(-np.abs(t))
                if want_value:
                    value[lo : lo + chunk] = (np.maximum(t, 0.0) + np.log1p(e)).mean(axis=1)
                if want_grad:
                    residual = sign * (np.where(t >= 0, 1.0, e) / (1.0 + e))  # sigmoid(z) − y
                    grad[lo : lo + chunk, 0] = residual @ x / k
                    grad[lo : lo + chunk, 1] = residual.mean(axis=1)
        return value, grad

    def value(self, points: Points, batch: Rows = None) -> Array:
        """Loss per runner on the rows ``batch`` (None: all), shape (N,)."""
        return self._evaluate(points, batch, True, False)[0]

    def grad(self, points: Points, batch: Rows = None) -> Array:
        """Exact gradient per runner on the rows ``batch`` (None: all), shape (N, 2)."""
        return self._evaluate(points, batch, False, True)[1]

    def value_and_grad(self, points: Points, errors_ignored: bool = False) -> tuple[Array, Array]:
        """Full loss and gradient, sharing the work: (N,), (N, 2) (over the dataset in
        chunks, each under its own error state whatever the caller's)."""
        return self._evaluate(points, None, True, True)

    def hessian(self, points: Points, batch: Rows = None) -> Array:
        """Exact Hessian per runner on the rows ``batch`` (None: all), shape (N, 2, 2)."""
        x, _ = self._rows(batch)
        n, k = points.shape[0], len(x)
        out = np.empty((n, 2, 2))
        chunk = max(1, _CHUNK // k)
        with np.errstate(all="ignore"):
            for lo in range(0, n, chunk):
                p = points[lo : lo + chunk]
                e = np.exp(-np.abs(p[:, 0:1] * x + p[:, 1:2]))
                q = e / ((1.0 + e) * (1.0 + e))  # sigmoid(z)·(1 − sigmoid(z))
                qx = q @ x / k
                out[lo : lo + chunk, 0, 0] = q @ (x * x) / k
                out[lo : lo + chunk, 0, 1] = qx
                out[lo : lo + chunk, 1, 0] = qx
                out[lo : lo + chunk, 1, 1] = q.mean(axis=1)
        return out

    def predict(self, points: Points, x_grid: npt.ArrayLike) -> Array:
        """Each runner's sigmoid(w·x + b) over ``x_grid`` (G,), shape (N, G)."""
        x = np.asarray(x_grid, dtype=np.float64)
        with np.errstate(all="ignore"):
            return sigmoid(points[:, 0:1] * x + points[:, 1:2])

    def _classes(self) -> tuple[Array, Array]:
        x, y = self.dataset.X, self.dataset.y
        return x[y == 1.0], x[y == 0.0]

    def _optimum(self) -> Array:
        pos, neg = self._classes()
        if not len(pos) or not len(neg) or pos.min() >= neg.max() or pos.max() <= neg.min():
            return np.zeros((0, 2))  # (quasi-)separable: the loss has no finite minimum
        # Damped Newton from the origin: the loss is strictly convex here.
        p = np.zeros((1, 2))
        f = self.value(p)[0]
        for _ in range(100):
            step = np.linalg.solve(self.hessian(p)[0], self.grad(p)[0])
            t = 1.0
            while True:
                trial = p - t * step
                f_trial = self.value(trial)[0]
                if f_trial <= f or t < 1e-9:
                    break
                t *= 0.5
            p, f = trial, f_trial
            if np.abs(t * step).max() <= 1e-12 * (1.0 + np.abs(p).max()):
                break
        return p

    def _unbounded_domain(self) -> Domain:
        """A box from the origin along the direction in which the loss falls forever."""
        pos, neg = self._classes()
        if not len(neg) or not len(pos):
            direction = np.array([0.0, 1.0 if len(pos) else -1.0])  # push b to ±∞
        elif pos.min() >= neg.max():  # class 1 on the right of a threshold
            direction = np.array([1.0, -0.5 * (pos.min() + neg.max())])
        else:  # class 1 on the left
            direction = np.array([-1.0, 0.5 * (pos.max() + neg.min())])
        margins = (2.0 * self.dataset.y - 1.0) * (direction[0] * self.dataset.X + direction[1])
        mean_margin = float(margins.mean())
        reach = 8.0 / mean_margin if mean_margin > 0 else 8.0  # far enough for a loss ≈ 0
        end = reach * direction
        pad = np.array([0.25, 0.5]) * reach
        return _nice(np.minimum(end, 0.0) - pad, np.maximum(end, 0.0) + pad)


def make_model_objective(model: str, dataset: Dataset) -> ModelObjective:
    """The loss of ``model`` on ``dataset``; ScenarioError on an unknown model or bad labels."""
    spec = MODELS.get(model) if isinstance(model, str) else None
    if spec is None:
        raise ScenarioError(
            "surface.model", f"unknown model {describe(model)}; valid: {', '.join(MODELS)}"
        )
    if spec.name == "linear_regression":
        return LinearRegression(spec, dataset)
    bad = np.flatnonzero((dataset.y != 0.0) & (dataset.y != 1.0))
    if len(bad):
        raise ScenarioError(
            "surface.dataset.y",
            f"logistic regression needs labels 0 or 1; row {bad[0]} has {dataset.y[bad[0]]:g}",
        )
    return LogisticRegression(spec, dataset)
