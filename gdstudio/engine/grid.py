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


def display_heights(z: Array, log_scale: bool) -> Array:
    """Heights as drawn: as they are, or log10 of the height above the minimum."""
    if not log_scale:
        return z
    span = z - z.min()
    floor = max(float(span.max()) * LOG_FLOOR, 1e-300)
    return np.log10(span + floor)


def contour_levels(z: Array, count: int = 14) -> Array:
    """``count`` isoline levels: quantile-spaced, so steep and flat regions both get lines."""
    quantiles = np.linspace(0.02, 0.98, count) ** 1.5
    return np.unique(np.quantile(z, quantiles))
