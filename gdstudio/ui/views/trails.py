"""What every view computes the same way from the race's arrays: visible prefixes and
the grouping of runners into one drawn item per colour."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gdstudio.engine.stop import Status


def shown_counts(counts: npt.NDArray[np.intp], upto_step: int | None) -> npt.NDArray[np.intp]:
    """Points of each runner visible at ``upto_step`` (all of them when None)."""
    counts = np.asarray(counts)
    if upto_step is None:
        return counts
    return np.minimum(counts, int(upto_step) + 1)


def changed_runners(shown: npt.NDArray[np.intp], previous: np.ndarray | None) -> list[int]:
    """Runners whose visible length differs from the last upload (all of them at first).

    Views re-upload only these, so a paused runner costs nothing per frame.
    """
    if previous is None or len(previous) != len(shown):
        return list(range(len(shown)))
    return np.flatnonzero(previous != shown).tolist()


def last_points(trajectory: np.ndarray, shown: npt.NDArray[np.intp]) -> np.ndarray:
    """Each runner's current position at the shown step, shape (R, 2)."""
    if len(shown) == 0:
        return np.zeros((0, 2))
    return trajectory[np.maximum(shown - 1, 0), np.arange(len(shown))]


def diverged_at_end(status: np.ndarray, counts: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Runners drawn as diverged: they diverged and the view shows their last point."""
    return (np.asarray(status) == Status.DIVERGED) & (shown >= counts)


class ColourGroups:
    """Runners that share a colour, drawn as one item per colour.

    Painting costs per item, not per point: a race of 40 starts × 4 optimizers
    paints 4 items per view instead of 160. ``members[g]`` are the runners of
    group g, in runner order; ``colors[g]`` is its colour.
    """

    def __init__(self, colors: Sequence[str]) -> None:
        groups: dict[str, list[int]] = {}
        for r, color in enumerate(colors):
            groups.setdefault(color, []).append(r)
        self.colors = list(groups)
        self.members = list(groups.values())
        self._group_of = np.zeros(len(colors), dtype=np.intp)
        for g, runners in enumerate(self.members):
            self._group_of[runners] = g

    def of_runners(self, runners: Sequence[int]) -> list[int]:
        """The groups that hold any of ``runners``."""
        return sorted({int(g) for g in self._group_of[list(runners)]})


def joined(pieces: Sequence[np.ndarray]) -> np.ndarray:
    """Polylines end to end with a row of NaN between two, where a curve drawn with
    ``connect="finite"`` breaks."""
    gap = np.full((1, *pieces[0].shape[1:]), np.nan)
    parts = [part for piece in pieces for part in (piece, gap)][:-1]
    return np.concatenate(parts)


def segments(points: np.ndarray) -> np.ndarray:
    """A polyline p0, p1, …, pn as the point pairs (p0 p1)(p1 p2)… of GL's line mode."""
    if len(points) < 2:
        return np.zeros((0, points.shape[1]))
    return np.repeat(points, 2, axis=0)[1:-1]


def clip_segments(pairs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Line-mode point pairs (2N, 3) cut to the box [lo, hi] (Liang–Barsky, vectorized).

    A segment inside stays as it is, one that crosses the box's faces is cut at
    them, one wholly outside (or not finite) is dropped: a run that leaves the
    domain ends at the box instead of streaking across the scene.
    """
    if not len(pairs):
        return pairs
    inside = ((pairs >= lo) & (pairs <= hi)).all(axis=1)
    whole = inside[0::2] & inside[1::2]
    if whole.all():
        return pairs  # the usual case, at little cost
    cut = np.flatnonzero(~whole)  # only these segments are clipped; the rest stay as they are
    a, b = pairs[0::2][cut], pairs[1::2][cut]
    d = b - a
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    with np.errstate(divide="ignore", invalid="ignore"):
        for axis in range(a.shape[1]):
            for bound, sign in ((lo[axis], -1.0), (hi[axis], 1.0)):
                p, q = sign * d[:, axis], sign * (bound - a[:, axis])
                t = q / p
                parallel_out = (p == 0) & (q < 0)
                t0 = np.where(p < 0, np.maximum(t0, t), t0)
                t1 = np.where(p > 0, np.minimum(t1, t), t1)
                t1 = np.where(parallel_out, -1.0, t1)
        out = pairs.reshape(-1, 2, pairs.shape[1]).copy()
        out[cut, 0] = a + t0[:, None] * d
        out[cut, 1] = a + t1[:, None] * d
    kept = (t0 <= t1) & np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    keep = whole
    keep[cut] = kept
    return out[keep].reshape(-1, pairs.shape[1])
