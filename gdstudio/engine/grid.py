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


# Marching squares: corners a = z[i, j], b = z[i+1, j], c = z[i+1, j+1], d = z[i, j+1] add
# 1, 2, 4, 8 to a cell's case when above the level; edges are 0 (a–b), 1 (b–c), 2 (d–c),
# 3 (a–d). Each case crosses two edges, or four (5 and 10, the saddles), or none.
_FIRST = np.array([-1, 3, 0, 3, 1, 3, 0, 3, 2, 0, 0, 1, 1, 0, 0, -1])
_SECOND = np.array([-1, 0, 1, 1, 2, 0, 2, 2, 3, 2, 1, 2, 3, 1, 3, -1])
_SADDLE_FIRST = np.array([-1] * 5 + [1] + [-1] * 4 + [2] + [-1] * 5)
_SADDLE_SECOND = np.array([-1] * 5 + [2] + [-1] * 4 + [3] + [-1] * 5)


def isoline_segments(z: Array, levels: npt.ArrayLike) -> Array:
    """Every isoline of ``z`` at ``levels`` as straight segments, shape (M, 2, 2).

    Coordinates are grid indices (i, j) as floats, interpolated linearly along the
    cells' edges: the same lines as pyqtgraph's ``isocurve``, in one vectorized
    pass per level instead of a Python loop over the cells. Segments touching a
    non-finite height are left out.
    """
    a, b, c, d = z[:-1, :-1], z[1:, :-1], z[1:, 1:], z[:-1, 1:]
    i, j = np.meshgrid(np.arange(z.shape[0] - 1, dtype=np.float64),
                       np.arange(z.shape[1] - 1, dtype=np.float64), indexing="ij")  # fmt: skip
    out = []
    with np.errstate(all="ignore"):
        for level in np.atleast_1d(np.asarray(levels, dtype=np.float64)):
            case = (a > level) * 1 + (b > level) * 2 + (c > level) * 4 + (d > level) * 8
            edges = np.stack([
                np.stack([i + (level - a) / (b - a), j], axis=-1),
                np.stack([i + 1, j + (level - b) / (c - b)], axis=-1),
                np.stack([i + (level - d) / (c - d), j + 1], axis=-1),
                np.stack([i, j + (level - a) / (d - a)], axis=-1),
            ], axis=2)  # fmt: skip
            for first, second in ((_FIRST, _SECOND), (_SADDLE_FIRST, _SADDLE_SECOND)):
                cells = np.nonzero(first[case] >= 0)
                ends = edges[cells]  # (m, 4, 2)
                k = np.arange(len(ends))
                out.append(np.stack([ends[k, first[case][cells]], ends[k, second[case][cells]]],
                                    axis=1))  # fmt: skip
    segments = np.concatenate(out) if out else np.zeros((0, 2, 2))
    return segments[np.isfinite(segments).all(axis=(1, 2))]
