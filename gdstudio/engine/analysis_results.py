"""What basin maps and sweeps report: arrays, and what their codes mean.

The types the analysis commands (:mod:`~gdstudio.engine.basins`,
:mod:`~gdstudio.engine.sweep`) return and the pictures draw: no computation here
beyond reading the arrays, so views may import it as they import ``grid``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gdstudio.engine.objective import Domain
from gdstudio.engine.stop import Status

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

NOWHERE = -1
"""Basin of a runner that ended in no minimum."""
DIVERGED = -2
"""Basin of a runner that diverged."""

METRICS = {
    "final_loss": "final loss",
    "steps_to_converge": "steps to converge",
    "distance_to_min": "distance to the nearest minimum",
}
"""Metric name -> what it measures, as a caption says it."""


@dataclass(frozen=True)
class BasinMap:
    """Where each optimizer took each start of a grid, and which minimum that is.

    Per-pixel arrays are indexed ``[optimizer, row, column]``: row i is y = ``ys[i]``,
    column j is x = ``xs[j]``.
    """

    domain: Domain
    xs: FloatArray
    """(N,) x of each column's pixel centres."""
    ys: FloatArray
    """(N,) y of each row's pixel centres."""
    names: tuple[str, ...]
    """Each optimizer's name (``adam``, ...)."""
    labels: tuple[str, ...]
    """Each optimizer's label, as the legend shows it."""
    end: FloatArray
    """(E, N, N, 2) each runner's last point (its last finite one when it diverged)."""
    status: npt.NDArray[np.int8]
    """(E, N, N) values of :class:`~gdstudio.engine.stop.Status`."""
    steps: IntArray
    """(E, N, N) steps each runner took."""
    basin: IntArray
    """(E, N, N) index into ``minima``, or :data:`NOWHERE`, or :data:`DIVERGED`."""
    minima: FloatArray
    """(M, 2) the minima pixels end in."""
    minima_loss: FloatArray
    """(M,) the loss at each minimum."""
    known_minima: bool
    """True when ``minima`` are the function's known ones, False when clustered."""
    max_steps: int

    @property
    def resolution(self) -> int:
        """N: pixels along each side."""
        return len(self.xs)

    def pixel_of(self, x: float, y: float) -> tuple[int, int] | None:
        """(row, column) of the pixel holding the point (x, y), or None outside the map."""
        (x0, x1), (y0, y1) = self.domain
        n = self.resolution
        col, row = math.floor((x - x0) / (x1 - x0) * n), math.floor((y - y0) / (y1 - y0) * n)
        return (row, col) if 0 <= row < n and 0 <= col < n else None


@dataclass(frozen=True)
class Axis:
    """One swept hyperparameter: ``count`` values from ``low`` to ``high``."""

    name: str
    """A torch.optim name, or ``betas[0]``-style for one element of a pair."""
    low: float
    high: float
    count: int
    log: bool = False

    @property
    def values(self) -> FloatArray:
        """The values, ends included: evenly spaced, or evenly in log scale."""
        if self.log:
            return np.geomspace(self.low, self.high, self.count)
        return np.linspace(self.low, self.high, self.count)

    def text(self) -> str:
        """The axis as the command line writes it: ``lr=0.001:0.1:log:64``."""
        scale = ":log" if self.log else ""
        return f"{self.name}={self.low!r}:{self.high!r}{scale}:{self.count}"


@dataclass(frozen=True)
class SweepResult:
    """Each setting's runners: arrays indexed ``[row, column, start]``, row i being
    ``y.values[i]`` (a single row when there is no y axis) and column j ``x.values[j]``."""

    optimizer: str
    label: str
    x: Axis
    y: Axis | None
    metric: str
    current: tuple[float, float | None]
    """The optimizer's own values of the swept hyperparameters."""
    starts: FloatArray
    """(S, 2) the scenario's starts."""
    end: FloatArray
    """(ny, nx, S, 2) last (finite) points."""
    status: npt.NDArray[np.int8]
    steps: npt.NDArray[np.intp]
    final_loss: FloatArray
    """(ny, nx, S) the loss at the last finite point."""
    values: FloatArray
    """(ny, nx, S) the metric (NaN where it has no value, as steps to converge of a runner
    that did not)."""
    max_steps: int

    @property
    def cells(self) -> FloatArray:
        """(ny, nx) the metric's mean over the starts; NaN if it is NaN for some start."""
        return self.values.mean(axis=2)

    @property
    def diverged(self) -> npt.NDArray[np.bool_]:
        """(ny, nx) True where some start diverged."""
        return (self.status == Status.DIVERGED).any(axis=2)

    @property
    def y_values(self) -> FloatArray:
        """The y axis' values, or an empty array for a one-axis sweep."""
        return self.y.values if self.y is not None else np.zeros(0)
