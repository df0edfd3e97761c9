"""The one interface the race needs from a loss: value, gradient and Hessian.

Built-in functions, user formulas and batch-mode models all implement
:class:`Objective`. Points are float64 arrays of shape ``(N, 2)``; results are
``(N,)`` for values, ``(N, 2)`` for gradients and ``(N, 2, 2)`` for Hessians.
Non-finite results (overflow, NaN) are allowed: the race turns them into a
``diverged`` status, so implementations must not raise or warn on them.

``batch`` is ``None`` for the full loss, or a 1-D int array of row indices in
batch mode; objectives that are not data-driven ignore it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from gdstudio.engine.inputs import describe

Points = npt.NDArray[np.float64]
"""Float64 array of shape (N, 2): one (x, y) per row."""

Domain = tuple[tuple[float, float], tuple[float, float]]
"""((xmin, xmax), (ymin, ymax)): the region shown by default."""

DOMAIN_LIMIT = 1e12
"""Largest magnitude of a domain bound: the views' grids, contour levels and float32
OpenGL vertices stay exact well inside it."""
MIN_SPAN = 1e-9
"""Narrowest domain axis, relative to its largest bound (and absolute below 1), so a
200-point grid has 200 distinct coordinates."""


def axis_problem(low: float, high: float) -> str | None:
    """What is wrong with one axis of a domain, or None when it can be drawn."""
    if not (abs(low) <= DOMAIN_LIMIT and abs(high) <= DOMAIN_LIMIT):  # NaN fails too
        return f"bounds must lie within ±{DOMAIN_LIMIT:g}, got [{describe(low)}, {describe(high)}]"
    if not low < high:
        return f"min {low!r} must be less than max {high!r}"
    if high - low < MIN_SPAN * max(1.0, abs(low), abs(high)):
        return f"[{low!r}, {high!r}] is too narrow to draw (span at least {MIN_SPAN:g} × its size)"
    return None


@runtime_checkable
class Objective(Protocol):
    """A differentiable loss over the plane, vectorized over points."""

    name: str
    """Short identifier, e.g. ``rosenbrock`` or the formula text."""
    description: str
    """One line on what this surface teaches (used in tooltips)."""
    domain: Domain
    """Default region to show."""
    minima: npt.NDArray[np.float64]
    """Known global minima, shape (M, 2); M may be 0 when unknown or none exists."""
    n_samples: int | None
    """Rows of the dataset in batch mode, else None."""

    def value(self, points: Points, batch: npt.NDArray[np.intp] | None = None) -> np.ndarray:
        """Loss at each point, shape (N,)."""
        ...

    def grad(self, points: Points, batch: npt.NDArray[np.intp] | None = None) -> np.ndarray:
        """Exact gradient at each point, shape (N, 2)."""
        ...

    def hessian(self, points: Points, batch: npt.NDArray[np.intp] | None = None) -> np.ndarray:
        """Exact Hessian at each point, shape (N, 2, 2)."""
        ...

    def value_and_grad(
        self, points: Points, errors_ignored: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full loss and gradient together (shared work computed once): (N,), (N, 2).

        ``errors_ignored``: the caller already runs under ``np.errstate(all="ignore")``
        (a race's step), so none is entered here; entering one costs the step of a small
        race about 5 %. :func:`guards_its_errors` adds the keyword to an implementation;
        an objective of one's own may leave it out (see :func:`quiet_value_and_grad`).
        """
        ...


ValueAndGrad = Callable[[Any, Points], tuple[np.ndarray, np.ndarray]]


def guards_its_errors(value_and_grad: ValueAndGrad) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """Decorate an objective's ``value_and_grad(self, points)``: it runs under
    ``np.errstate(all="ignore")`` unless the caller says, with ``errors_ignored=True``, that
    it already does (see :meth:`Objective.value_and_grad`)."""

    @functools.wraps(value_and_grad)
    def method(self: Any, points: Points, errors_ignored: bool = False):
        if errors_ignored:
            return value_and_grad(self, points)
        with np.errstate(all="ignore"):
            return value_and_grad(self, points)

    return method


def quiet_value_and_grad(objective: Objective) -> Callable[[Points], tuple[np.ndarray, np.ndarray]]:
    """``objective.value_and_grad`` for a caller that already ignores floating-point errors:
    told so when it takes ``errors_ignored``, called as it is when it does not (an
    objective written before the keyword, or without it)."""
    method = objective.value_and_grad
    try:
        parameters = inspect.signature(method, follow_wrapped=False).parameters
        takes = "errors_ignored" in parameters
    except (TypeError, ValueError):  # no signature to read (a builtin, say)
        takes = False
    return functools.partial(method, errors_ignored=True) if takes else method
