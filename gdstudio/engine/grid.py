"""Sampling a surface on a grid for drawing, and choosing contour levels.

Pure NumPy: the views get heights, not objectives. Grids are ``ij``-indexed:
``z[i, j] = f(xs[i], ys[j])``, the layout pyqtgraph's surface and image items use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gdstudio.engine.objective import Domain

Array = npt.NDArray[np.float64]
LOG_FLOOR = 1e-4
"""Log heights start this fraction of the range above the minimum: four decades shown."""


@dataclass(frozen=True)
class Grid:
    """Heights of a surface over a rectangular grid."""

    xs: Array  # (nx,)
    ys: Array  # (ny,)
    z: Array  # (nx, ny), non-finite values replaced by the finite maximum

    @property
    def domain(self) -> Domain:
        """((xmin, xmax), (ymin, ymax))."""
        return (float(self.xs[0]), float(self.xs[-1])), (float(self.ys[0]), float(self.ys[-1]))


def sample_grid(value: Callable[[Array], Array], domain: Domain, resolution: int = 200) -> Grid:
    """Evaluate ``value`` on a resolution × resolution grid over ``domain``."""
    (x0, x1), (y0, y1) = domain
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    with np.errstate(all="ignore"):
        z = np.asarray(value(np.column_stack([gx.ravel(), gy.ravel()])), dtype=np.float64)
    z = z.reshape(resolution, resolution)
    finite = np.isfinite(z)
    if not finite.all():
        z = np.where(finite, z, z[finite].max() if finite.any() else 0.0)
    return Grid(xs, ys, z)


def wants_log_scale(z: Array) -> bool:
    """True when a few high walls dwarf the rest, so a linear scale hides the valley.

    The test is max/median of the height above the minimum: about 17 for
    Rosenbrock and over 100 for Beale or Goldstein-Price, under 11 for bowls.
    """
    span = z - z.min()
    median = float(np.median(span))
    return median > 0 and float(span.max()) / median > 12


@dataclass(frozen=True)
class HeightScale:
    """How heights are drawn, fitted once to the domain's grid and applied to anything.

    Linear, or log10 of the height above the domain's minimum (plus a floor of
    :data:`LOG_FLOOR` of its range, so the minimum itself is finite). ``lo`` and
    ``hi`` are the drawn heights' range over the domain: both maps colour by it,
    so one colour bar serves them, and points outside the domain (a wider map, a
    runner off it) are drawn on the same scale.
    """

    log: bool
    zmin: float
    floor: float
    lo: float
    hi: float

    @classmethod
    def fit(cls, z: Array, log: bool) -> HeightScale:
        """The scale of the grid heights ``z`` (finite), linear or log."""
        zmin, zmax = float(z.min()), float(z.max())
        floor = max((zmax - zmin) * LOG_FLOOR, 1e-300)
        if log:
            return cls(
                True, zmin, floor, float(np.log10(floor)), float(np.log10(zmax - zmin + floor))
            )
        return cls(False, zmin, floor, zmin, zmax)

    def __call__(self, values: npt.ArrayLike) -> Array:
        """Heights as drawn; in log scale, values below the domain's minimum sit on the floor."""
        values = np.asarray(values, dtype=np.float64)
        if not self.log:
            return values
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(values - self.zmin, 0.0) + self.floor)

    @property
    def label(self) -> str:
        """What the drawn height is, for a colour bar or an axis."""
        return "log₁₀(f − min f)" if self.log else "f"


def contour_levels(z: Array, count: int = 14) -> Array:
    """``count`` isoline levels: quantile-spaced, so steep and flat regions both get lines."""
    quantiles = np.linspace(0.02, 0.98, count) ** 1.5
    return np.unique(np.quantile(z, quantiles))
