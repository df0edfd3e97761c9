"""Why a runner stops: its status codes and the race's stop rules.

This module is the one source of both. The NumPy path applies :func:`point_ok`
to arrays of points; the compiled path (:mod:`gdstudio.engine.fused`) compiles
the same function and applies it to one point at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt


class Status(IntEnum):
    """Where a runner stands; the names are the result format's status strings."""

    RUNNING = 0
    CONVERGED = 1
    DIVERGED = 2
    MAX_STEPS = 3

    @property
    def label(self) -> str:
        """The status as the result format writes it (``converged``, ...)."""
        return self.name.lower()


@dataclass(frozen=True)
class StopRule:
    """When a runner stops: gradient norm below ``grad_tol`` (0 disables), or blow-up.

    A runner diverges at the first point where ``|x|`` or ``|y|`` exceeds
    ``max_abs``, or where the position, the loss or the gradient is not finite.
    The loss is not compared with ``max_abs``: some surfaces (Goldstein–Price)
    have losses above 1e6 at ordinary points.
    """

    grad_tol: float = 1e-6
    max_abs: float = 1e6

    def __post_init__(self) -> None:
        # point_ok relies on a finite bound to refuse infinite and NaN coordinates too.
        if not 0 < self.max_abs < math.inf:
            raise ValueError(f"max_abs must be positive and finite, got {self.max_abs}")

    def converged_below(self) -> float:
        """The least float ``q`` with ``math.sqrt(q) >= grad_tol``.

        For a sum of squares ``q``, ``q < converged_below()`` exactly when its square
        root, rounded as IEEE arithmetic rounds it, is below ``grad_tol``: the
        compiled path tests convergence without taking the root (see
        :func:`squared_threshold`).
        """
        return squared_threshold(self.grad_tol)

    def ok(self, points: npt.NDArray[np.float64], value: Any, grad_norm: Any) -> Any:
        """Rows of ``points`` (shape (N, 2)) that may be recorded, shape (N,).

        Like :meth:`all_ok`, a step of the race: call it under
        ``np.errstate(invalid="ignore")`` (NaN compares), which it does not set itself.
        """
        return point_ok(points[:, 0], points[:, 1], value, grad_norm, self.max_abs)

    def all_ok(self, points: npt.NDArray[np.float64], value: Any, grad_norm: Any) -> bool:
        """True when every row may be recorded: a fast check for the common case. Call it
        under ``np.errstate(invalid="ignore", over="ignore")`` (its dot product may overflow)."""
        # A NaN anywhere makes the maximum NaN and the comparison False; coordinates within
        # the (finite) bound are finite. An infinite or NaN value or norm makes their dot
        # product infinite or NaN (∞·0 is NaN), as an overflow may, which only sends the
        # step to the exact check, :meth:`ok`: one call instead of two sums.
        largest = float(np.abs(points).max(initial=0.0))
        return largest <= self.max_abs and math.isfinite(np.dot(value, grad_norm))


def squared_threshold(tol: float) -> float:
    """The least float ``q >= 0`` whose correctly rounded square root is at least ``tol``.

    The rounded square root never decreases as ``q`` grows, so ``math.sqrt(q) < tol``
    holds exactly for the ``q`` below this threshold; ``tol * tol`` alone can be one
    float off either way.
    """
    if not tol > 0.0:
        return 0.0
    q = tol * tol
    while math.sqrt(q) < tol:  # at most a step or two from tol²
        q = math.nextafter(q, math.inf)
    while q > 0.0 and math.sqrt(math.nextafter(q, 0.0)) >= tol:
        q = math.nextafter(q, 0.0)
    return q


def point_ok(x: Any, y: Any, value: Any, grad_norm: Any, max_abs: float) -> Any:
    """Whether a point may be recorded: coordinates within ``max_abs``, all finite.

    Works on floats and on arrays alike (elementwise), so the compiled path can
    use it as it is.
    """
    # With max_abs finite, the bound also refuses infinite and NaN coordinates.
    inside = (np.abs(x) <= max_abs) & (np.abs(y) <= max_abs)
    return inside & np.isfinite(value) & np.isfinite(grad_norm)
