"""What a race remembers of each runner: its recorded points and where it stands.

History is stored step-major in preallocated arrays that double in capacity
when full: ``trajectory[k, r]`` is runner r's position after k of its own steps.
Without ``keep`` only the last two rows exist (for throughput runs of many
runners, where writing history to fresh memory would cost more than the
arithmetic), and step k lives in row ``k mod 2``. Only each runner's current
row is kept whole: the compiled path leaves the gradient norms of the steps in
between untaken, and may write a diverged runner's rejected point in the other row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gdstudio.engine.stop import Status

FloatArray = npt.NDArray[np.float64]
RUNNING = int(Status.RUNNING)
"""``Status.RUNNING`` as a plain int: NumPy compares an array with it several times
faster than with the enum member, which it first probes for the array protocols."""
HISTORY_BUDGET = 2**31
"""Bytes of history preallocated up front; beyond it the arrays grow by doubling."""


class History:
    """Recorded points of R runners, plus each runner's step count, status and gradient.

    Attributes
    ----------
    traj, loss, gnorm
        (capacity, R, 2), (capacity, R), (capacity, R): position, full loss and
        full-gradient norm at each recorded point.
    batch_loss
        (capacity, R) in batch mode (row k: the loss on the batch of step k), else (0, R).
    k
        (R,) steps taken by each runner.
    status
        (R,) values of :class:`~gdstudio.engine.stop.Status`.
    grad
        (R, 2) full gradient at each runner's current point.
    """

    def __init__(self, n: int, capacity: int, batch_mode: bool, keep: bool = True) -> None:
        self.keep = keep
        cap = capacity if keep else 2
        # np.empty, not np.zeros: NumPy backs big empty arrays with huge pages, and filling
        # a recorded race's history page by page costs over twice as much in small ones.
        self.traj = np.empty((cap, n, 2))
        self.loss = np.empty((cap, n))
        self.gnorm = np.empty((cap, n))
        self.batch_loss = np.empty((cap if batch_mode else 0, n))
        self.k = np.zeros(n, dtype=np.intp)
        self.status = np.full(n, Status.RUNNING, dtype=np.int8)
        self.grad = np.zeros((n, 2))

    def running(self) -> npt.NDArray[np.bool_]:
        """(R,) True for the runners still running."""
        return self.status == RUNNING

    @staticmethod
    def capacity_for(n: int, max_steps: int, batch_mode: bool) -> int:
        """Rows for the whole race when that fits :data:`HISTORY_BUDGET`, so nothing is copied later."""
        per_step = n * 8 * (5 if batch_mode else 4)
        return max(64, min(max_steps + 1, HISTORY_BUDGET // max(per_step, 1)))

    @property
    def capacity(self) -> int:
        """Rows allocated."""
        return self.traj.shape[0]

    def carry(
        self, old: History, new_idx: npt.NDArray[np.intp], old_idx: npt.NDArray[np.intp]
    ) -> None:
        """Copy runners ``old_idx`` of ``old`` (its history and standing) to runners ``new_idx``."""
        rows = slice(0, old.capacity)
        self.traj[rows, new_idx] = old.traj[:, old_idx]
        self.loss[rows, new_idx] = old.loss[:, old_idx]
        self.gnorm[rows, new_idx] = old.gnorm[:, old_idx]
        self.batch_loss[rows, new_idx] = old.batch_loss[:, old_idx]
        self.k[new_idx] = old.k[old_idx]
        self.status[new_idx] = old.status[old_idx]
        self.grad[new_idx] = old.grad[old_idx]

    def row(self, k: Any) -> Any:
        """History row of step ``k``: k itself, or k mod 2 when no history is kept."""
        return k if self.keep else k & 1

    def positions(self) -> FloatArray:
        """Each runner's current position, shape (R, 2)."""
        return self.traj[self.row(self.k), np.arange(self.traj.shape[1])]

    def ensure_capacity(self, k_needed: int) -> None:
        """Grow (by doubling) so that row ``k_needed`` exists."""
        cap = self.capacity
        if k_needed < cap or not self.keep:
            return
        new_cap = max(2 * cap, k_needed + 1)

        def grow(a: np.ndarray) -> np.ndarray:
            if not len(a):  # batch_loss outside batch mode stays empty
                return a
            out = np.empty((new_cap, *a.shape[1:]))
            out[:cap] = a
            return out

        self.traj = grow(self.traj)
        self.loss = grow(self.loss)
        self.gnorm = grow(self.gnorm)
        self.batch_loss = grow(self.batch_loss)

    def record(self, idx: Any, k: int, pos: FloatArray, value: FloatArray, gn: FloatArray,
               grad: FloatArray) -> None:  # fmt: skip
        """Record step k+1 of runners ``idx``: their new point, loss, gradient and its norm."""
        row = self.row(k + 1)
        self.traj[row, idx] = pos
        self.loss[row, idx] = value
        self.gnorm[row, idx] = gn
        self.grad[idx] = grad
        self.k[idx] += 1
