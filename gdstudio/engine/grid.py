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


def quantiles(values: npt.ArrayLike, q: npt.ArrayLike) -> Array:
    """``np.quantile(values, q)`` (its default, linear method) for finite ``values``.

    NumPy's own (like ``np.median`` and ``np.unique``) imports ``numpy.ma`` on its
    first call: a few tens of milliseconds of the app's start.
    """
    ordered = np.sort(np.ravel(values))
    at = np.asarray(q, dtype=np.float64) * (len(ordered) - 1)
    lo = np.floor(at).astype(np.intp)
    a, b, t = ordered[lo], ordered[np.minimum(lo + 1, len(ordered) - 1)], at - lo
    return np.where(t >= 0.5, b - (b - a) * (1 - t), a + (b - a) * t)


def median(values: npt.ArrayLike) -> float:
    """The median of finite ``values`` (see :func:`quantiles`)."""
    return float(quantiles(values, 0.5))


def wants_log_scale(z: Array) -> bool:
    """True when a few high walls dwarf the rest, so a linear scale hides the valley.

    The test is max/median of the height above the minimum: about 17 for
    Rosenbrock and over 100 for Beale or Goldstein-Price, under 11 for bowls.
    """
    span = z - z.min()
    middle = median(span)
    return middle > 0 and float(span.max()) / middle > 12


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
    levels = quantiles(z, np.linspace(0.02, 0.98, count) ** 1.5)
    # Nondecreasing: drop repeats as np.unique would (which imports numpy.ma).
    return levels[np.concatenate([[True], np.diff(levels) > 0])]


def isoline_segments(z: Array, levels: npt.ArrayLike) -> Array:
    """Every isoline of ``z`` at ``levels`` as straight segments, shape (M, 2, 2).

    Coordinates are grid indices (i, j) as floats (``(i, j)`` is the sample
    ``z[i, j]``), interpolated linearly along the cells' edges: the same lines as
    pyqtgraph's ``isocurve``. Marching squares, vectorized: a cell edge whose ends lie
    on either side of a level holds a crossing; a cell with two crossings joins them, a
    saddle cell with four joins them as its centre value decides. Only the cells a level
    crosses are looked at closely, so a fine grid costs little more than a coarse one.
    Segments touching a non-finite height are left out.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.shape[0] < 2 or z.shape[1] < 2:
        return np.zeros((0, 2, 2))
    pieces = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for level in np.atleast_1d(np.asarray(levels, dtype=np.float64)):
            up = z > level
            across_i = up[:-1, :] != up[1:, :]  # the edge from (i, j) to (i + 1, j) is crossed
            across_j = up[:, :-1] != up[:, 1:]  # the edge from (i, j) to (i, j + 1) is crossed
            # A cell's edges: bottom, right, top, left (corners BL, BR, TR, TL).
            edges = (across_i[:, :-1], across_j[1:, :], across_i[:, 1:], across_j[:-1, :])
            ci, cj = np.nonzero(edges[0] | edges[1] | edges[2] | edges[3])
            if not len(ci):
                continue
            bl, br, tr, tl = z[ci, cj], z[ci + 1, cj], z[ci + 1, cj + 1], z[ci, cj + 1]
            points = np.stack(
                [
                    np.stack([ci + (level - bl) / (br - bl), cj + 0.0]),
                    np.stack([ci + 1.0, cj + (level - br) / (tr - br)]),
                    np.stack([ci + (level - tl) / (tr - tl), cj + 1.0]),
                    np.stack([ci + 0.0, cj + (level - bl) / (tl - bl)]),
                ]
            )  # fmt: skip  (edge, coordinate, cell)
            cross = np.stack([e[ci, cj] for e in edges])  # (4, cells)
            count = cross.sum(axis=0)
            first = np.argmax(cross, axis=0)
            last = 3 - np.argmax(cross[::-1], axis=0)
            two = count == 2
            pairs = [(first[two], last[two], two)]
            saddle = count == 4
            if saddle.any():
                # Bottom-left corner on the centre's side: it joins the centre, and the
                # line cuts off the bottom-right and top-left corners; else the other two.
                centre = 0.25 * (bl + br + tr + tl)[saddle]
                joined = (centre > level) == (bl[saddle] > level)
                zero, two_ = np.zeros(len(joined), int), np.full(len(joined), 2)
                pairs += [(zero, np.where(joined, 1, 3), saddle),  # around BR, or BL
                          (np.where(joined, 3, 1), two_, saddle)]  # around TL, or TR  # fmt: skip
            for a, b, where in pairs:
                if not len(a):
                    continue
                cells = np.flatnonzero(where)
                pieces.append(np.stack([points[a, :, cells], points[b, :, cells]], axis=1))
    segments = np.concatenate(pieces) if pieces else np.zeros((0, 2, 2))
    return segments[np.isfinite(segments).all(axis=(1, 2))]
