"""What every view computes the same way from the race's arrays: visible prefixes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

DIVERGED = 2
"""Status code of a diverged runner (gdstudio.engine.race.Status.DIVERGED)."""


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
    return (np.asarray(status) == DIVERGED) & (shown >= counts)
