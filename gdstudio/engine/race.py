"""A race: many optimizers from many start points on one objective, stepped together.

Runners are the product *entries × starts*, kept in entry-major order (all starts
of the first entry, then the second, ...). The whole race is a handful of
arrays with one row per runner; a step advances every running runner at once,
with one vectorized optimizer update per *group* (runners sharing an optimizer
name and boolean flags; their numeric hyperparameters may differ per runner).

History is stored step-major in preallocated arrays that double in capacity
when full: ``trajectory[k, r]`` is runner r's position after k of its own steps.
Runners normally move in lockstep; a runner added or re-run mid-race starts at
step 0 and :meth:`Race.catch_up` brings it level with the others.

Divergence is an ordinary outcome: a point whose position, loss or gradient is
not finite (or whose coordinate or loss exceeds ``max_abs``) is not recorded,
and the runner stops as ``DIVERGED``. Floating-point warnings are silenced.

Races of :data:`FUSED_MIN` runners or more are stepped by the compiled kernels of
:mod:`gdstudio.engine.fused` wherever those cover every group, up to
:data:`FUSED_STEPS` steps a call; the numbers are the same bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gdstudio.engine import compile_cache
from gdstudio.engine.datasets import BatchSchedule
from gdstudio.engine.functions import BuiltinObjective
from gdstudio.engine.objective import Objective
from gdstudio.engine.optimizers import OPTIMIZERS, resolve_hyperparams
from gdstudio.engine.schedules import Schedule, make_schedule, resolve_schedule
from gdstudio.engine.stop import Status, StopRule

FloatArray = npt.NDArray[np.float64]
HISTORY_BUDGET = 2**31
"""Bytes of history preallocated up front; beyond it the arrays grow by doubling."""
CHUNK = 16384
"""Runners stepped together in one chunk of a big race (fits the CPU cache)."""
FUSED_MIN = 4096
"""Races of at least this many runners take the compiled path where one covers them."""
FUSED_STEPS = 64
"""Most steps one call of the compiled path makes (each block of runners goes through
them all while it sits in the cache)."""


@dataclass(frozen=True)
class Entry:
    """One optimizer of a race: a name, its full hyperparameters and an optional schedule."""

    name: str
    hyperparameters: Mapping[str, Any]
    schedule: Mapping[str, Any] | None = None
    batch_size: int | None = None
    """In batch mode, this entry's own batch size (None: the race's)."""

    @classmethod
    def create(
        cls,
        name: str,
        hyperparameters: Mapping[str, Any],
        schedule: Mapping | None = None,
        batch_size: int | None = None,
    ) -> Entry:
        """Validate and fill torch's defaults; raises HyperparameterError on bad input."""
        return cls(
            name,
            resolve_hyperparams(name, hyperparameters),
            resolve_schedule(schedule) if schedule else None,
            batch_size,
        )

    @property
    def flags(self) -> tuple[tuple[str, bool], ...]:
        """The boolean hyperparameters, which select code paths and so split groups."""
        return tuple((k, v) for k, v in self.hyperparameters.items() if isinstance(v, bool))


@dataclass
class _Group:
    """Runners sharing one optimizer code path, with their stacked state.

    ``rows`` are runner indices (sorted); ``hp`` holds floats where every member
    agrees and (n, 1) arrays where they differ; ``entry_of`` maps member -> the
    local index into ``entries`` (the race entries present in this group).
    """

    name: str
    rows: npt.NDArray[np.intp]
    entries: list[int]
    entry_of: npt.NDArray[np.intp]
    hp: dict[str, Any]
    state: tuple
    covers_all: bool = False
    per_runner: bool = False
    """Some hyperparameter differs between members (held as an (n, 1) array)."""


def _stack_hp(values: list[Any], member_entry: npt.NDArray[np.intp]) -> Any:
    """One hyperparameter over a group's members: a float if all agree, else (n, 1)."""
    first = values[0]
    if isinstance(first, bool):
        return first
    if isinstance(first, tuple):
        return tuple(_stack_hp([v[i] for v in values], member_entry) for i in range(len(first)))
    if all(v == first for v in values):
        return float(first)
    return np.asarray(values, dtype=np.float64)[member_entry][:, None]


def _take(value: Any, sel: npt.NDArray[np.intp]) -> Any:
    """Rows ``sel`` of a per-member hyperparameter (floats and bools pass through)."""
    if isinstance(value, np.ndarray):
        return value[sel]
    if isinstance(value, tuple):
        return tuple(_take(v, sel) for v in value)
    return value


class Race:
    """Optimizers racing from start points on an objective, all runners stepped at once.

    Parameters
    ----------
    objective
        The loss (built-in function, formula or batch-mode model).
    entries
        The optimizers (already validated, see :meth:`Entry.create`).
    starts
        Start points, shape (S, 2).
    max_steps
        Steps after which a runner stops as ``MAX_STEPS``.
    stop
        Convergence and divergence thresholds.
    keep_history
        Record every point (the default). Without it only the current point is
        kept: for throughput runs of many runners, where writing the history to
        fresh memory would cost more than the arithmetic.
    batches
        The batch sequence in batch mode, else None. Every runner sees it, except
        those of entries with their own ``batch_size``, which share a sequence cut
        from the same seeded permutations.
    """

    def __init__(
        self,
        objective: Objective,
        entries: Sequence[Entry],
        starts: npt.ArrayLike,
        max_steps: int = 500,
        stop: StopRule | None = None,
        batches: BatchSchedule | None = None,
        keep_history: bool = True,
    ) -> None:
        self.objective = objective
        self.keep_history = keep_history
        self.stop = stop or StopRule()
        self.max_steps = int(max_steps)
        self.batches = batches
        self._entries: list[Entry] = list(entries)
        self._starts = np.asarray(starts, dtype=np.float64).reshape(-1, 2).copy()
        self._rebuild(keep={})

    # ------------------------------------------------------------------ queries
    @property
    def entries(self) -> list[Entry]:
        """The optimizers, in runner order."""
        return list(self._entries)

    @property
    def starts(self) -> FloatArray:
        """Start points, shape (S, 2) (a copy)."""
        return self._starts.copy()

    @property
    def n_runners(self) -> int:
        """Number of runners (entries × starts)."""
        return len(self._entries) * len(self._starts)

    @property
    def counts(self) -> npt.NDArray[np.intp]:
        """Points recorded per runner, shape (R,): steps taken + 1."""
        return self._k + 1

    @property
    def steps_taken(self) -> npt.NDArray[np.intp]:
        """Steps taken per runner, shape (R,)."""
        return self._k.copy()

    @property
    def status(self) -> npt.NDArray[np.int8]:
        """Status per runner, shape (R,), values of :class:`Status`."""
        return self._status.copy()

    @property
    def positions(self) -> FloatArray:
        """Current position per runner, shape (R, 2)."""
        return self._traj[self._row(self._k), np.arange(self.n_runners)]

    @property
    def trajectory(self) -> FloatArray:
        """Recorded positions, shape (capacity, R, 2); rows from ``counts[r]`` on are undefined."""
        return self._traj

    @property
    def loss(self) -> FloatArray:
        """Full loss at each recorded point, shape (capacity, R)."""
        return self._loss

    @property
    def grad_norm(self) -> FloatArray:
        """Full-gradient norm at each recorded point, shape (capacity, R)."""
        return self._gnorm

    @property
    def batch_loss(self) -> FloatArray:
        """Loss on the batch of each step (batch mode), shape (capacity, R); row k is step k."""
        return self._batch_loss

    @property
    def done(self) -> bool:
        """True when no runner is still running."""
        return not bool(np.any(self._status == Status.RUNNING))

    def runner_entry(self, r: int) -> int:
        """Index of the entry (optimizer) that runner ``r`` belongs to."""
        return r // max(len(self._starts), 1)

    def runner_start(self, r: int) -> int:
        """Index of the start point of runner ``r``."""
        return r % max(len(self._starts), 1)

    def lr_at(self, entry: int, k: int) -> float:
        """Learning rate entry ``entry`` uses for its (k+1)-th step."""
        return self._schedules[entry].lr_at(k)

    # ------------------------------------------------------------------ stepping
    def step(self, n: int = 1) -> int:
        """Advance every running runner by up to ``n`` steps; returns steps actually made."""
        made = 0
        while made < n:
            running = self._status == Status.RUNNING
            if not running.any():
                break
            made += self._advance(running, n - made)
        return made

    def catch_up(self) -> None:
        """Step the runners that lag behind the furthest one until they are level."""
        while True:
            running = self._status == Status.RUNNING
            if not running.any():
                return
            target = int(self._k.max())
            lagging = running & (self._k < target)
            if not lagging.any():
                return
            self._advance(lagging)

    def run(self) -> None:
        """Step until every runner has stopped."""
        while not self.done:
            self.step(64)

    def extend(self, max_steps: int) -> None:
        """Raise the step limit; runners stopped by the old limit resume."""
        self.max_steps = int(max_steps)
        resumed = (self._status == Status.MAX_STEPS) & (self._k < self.max_steps)
        self._status[resumed] = Status.RUNNING

    # ------------------------------------------------------------------ editing
    def reset(self) -> None:
        """Put every runner back at its start, as if the race had just been made."""
        self._rebuild(keep={})

    def add_start(self, point: Sequence[float]) -> None:
        """Add a start point; every entry gets a new runner there, at step 0."""
        self.add_starts([point])

    def add_starts(self, points: npt.ArrayLike) -> None:
        """Add start points (shape (S, 2)) at once; each gets a runner of every entry."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        self._restructure(self._entries, np.vstack([self._starts, points]))

    def move_start(self, index: int, point: Sequence[float]) -> None:
        """Move start ``index``; its runners restart from the new point."""
        starts = self._starts.copy()
        starts[index] = point
        self._restructure(self._entries, starts, restart_starts={index})

    def remove_start(self, index: int) -> None:
        """Remove start ``index`` and its runners."""
        keep = [i for i in range(len(self._starts)) if i != index]
        self._restructure(self._entries, self._starts[keep], start_map=keep)

    def add_entry(self, entry: Entry, index: int | None = None) -> None:
        """Insert an optimizer (at the end by default); it gets a runner at every start."""
        index = len(self._entries) if index is None else index
        entries = list(self._entries)
        entries.insert(index, entry)
        entry_map = list(range(len(self._entries)))
        entry_map.insert(index, -1)
        self._restructure(entries, self._starts, entry_map=entry_map)

    def replace_entry(self, index: int, entry: Entry) -> None:
        """Swap optimizer ``index`` for ``entry``; only its runners restart."""
        entries = list(self._entries)
        entries[index] = entry
        self._restructure(entries, self._starts, restart_entries={index})

    def remove_entry(self, index: int) -> None:
        """Remove optimizer ``index`` and its runners."""
        entries = [e for i, e in enumerate(self._entries) if i != index]
        keep = [i for i in range(len(self._entries)) if i != index]
        self._restructure(entries, self._starts, entry_map=keep)

    # ------------------------------------------------------------------ internals
    def _restructure(
        self,
        entries: list[Entry],
        starts: FloatArray,
        *,
        entry_map: list[int] | None = None,
        start_map: list[int] | None = None,
        restart_entries: set[int] = frozenset(),  # type: ignore[assignment]
        restart_starts: set[int] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        """Rebuild the arrays for new entries/starts, keeping surviving runners' history.

        ``entry_map[i]``/``start_map[j]`` give the old index of new entry i / start j
        (identity where omitted and the old index exists); runners whose entry or
        start is new, or listed in ``restart_*``, start afresh.
        """
        old_s = len(self._starts)
        n_old_entries = len(self._entries)
        emap = entry_map or [i if i < n_old_entries else -1 for i in range(len(entries))]
        smap = start_map or [j if j < old_s else -1 for j in range(len(starts))]
        keep: dict[int, int] = {}
        for i, oi in enumerate(emap):
            for j, oj in enumerate(smap):
                if oi < 0 or oj < 0 or i in restart_entries or j in restart_starts:
                    continue
                keep[i * len(starts) + j] = oi * old_s + oj
        self._entries = list(entries)
        self._starts = np.asarray(starts, dtype=np.float64).reshape(-1, 2)
        self._rebuild(keep)

    def _rebuild(self, keep: dict[int, int]) -> None:
        """Allocate arrays for the current entries × starts.

        ``keep`` maps new runner index -> old runner index for runners whose
        history and optimizer state carry over; all others start at step 0.
        """
        n_e, n_s = len(self._entries), len(self._starts)
        n = n_e * n_s
        # Enough rows for the whole race when it fits the budget, so nothing is copied later.
        per_step = n * 8 * (5 if self.batches is not None else 4)
        cap = max(64, min(self.max_steps + 1, HISTORY_BUDGET // max(per_step, 1)))
        cap = max(cap, self._traj.shape[0] if keep else 0) if self.keep_history else 2
        traj = np.empty((cap, n, 2))
        loss = np.empty((cap, n))
        gnorm = np.empty((cap, n))
        batch_loss = np.empty((cap if self.batches is not None else 0, n))
        k = np.zeros(n, dtype=np.intp)
        status = np.full(n, Status.RUNNING, dtype=np.int8)
        grad = np.zeros((n, 2))
        new_idx = np.fromiter(keep.keys(), dtype=np.intp, count=len(keep))
        old_idx = np.fromiter(keep.values(), dtype=np.intp, count=len(keep))
        if len(keep):
            rows = slice(0, self._traj.shape[0])
            traj[rows, new_idx] = self._traj[:, old_idx]
            loss[rows, new_idx] = self._loss[:, old_idx]
            gnorm[rows, new_idx] = self._gnorm[:, old_idx]
            batch_loss[rows, new_idx] = self._batch_loss[:, old_idx]
            k[new_idx] = self._k[old_idx]
            status[new_idx] = self._status[old_idx]
            grad[new_idx] = self._grad[old_idx]
        old_states = self._runner_states(old_idx) if len(keep) else {}

        fresh = np.setdiff1d(np.arange(n), new_idx)
        traj[0, fresh] = np.tile(self._starts, (n_e, 1))[fresh]
        self._traj, self._loss, self._gnorm, self._batch_loss = traj, loss, gnorm, batch_loss
        self._k, self._status, self._grad = k, status, grad
        self._entry_idx = np.repeat(np.arange(n_e), n_s)
        self._schedules: list[Schedule] = [
            make_schedule(e.schedule, float(e.hyperparameters["lr"])) for e in self._entries
        ]
        self._batch_sets: list[BatchSchedule] = []
        self._runner_batches = np.zeros(n, dtype=np.intp)
        if self.batches is not None:
            sizes: dict[int | None, int] = {}
            for i, e in enumerate(self._entries):
                b = sizes.setdefault(e.batch_size, len(sizes))
                self._runner_batches[i * n_s : (i + 1) * n_s] = b
            self._batch_sets = [self._batches_for(size) for size in sizes]
        if len(fresh):
            self._record_start(fresh)
        self._build_groups({new: old_states[old] for new, old in keep.items()})

    def _batches_for(self, batch_size: int | None) -> BatchSchedule:
        """The race's batch sequence, or one with another batch size and the same seed."""
        base = self.batches
        assert base is not None
        if batch_size is None:
            return base
        return BatchSchedule(base.n_samples, batch_size, base.seed)

    def runner_batches(self, r: int) -> BatchSchedule | None:
        """The batch sequence runner ``r`` uses, or None outside batch mode."""
        return self._batch_sets[self._runner_batches[r]] if self._batch_sets else None

    def _runner_states(self, old_idx: npt.NDArray[np.intp]) -> dict[int, tuple]:
        """Per old runner, its optimizer state rows (as a tuple of 1-row arrays)."""
        wanted = set(old_idx.tolist())
        out: dict[int, tuple] = {}
        for g in self._groups:
            for pos, r in enumerate(g.rows.tolist()):
                if r in wanted:
                    out[r] = tuple(f[pos : pos + 1] for f in g.state)
        return out

    def _build_groups(self, carried: dict[int, tuple]) -> None:
        """Group runners by optimizer code path; stack hyperparameters and state.

        ``carried`` maps runner index -> optimizer state rows kept from before a
        restructure; every other runner gets a freshly initialized state.
        """
        n = self.n_runners
        keys: dict[tuple, list[int]] = {}
        for i, e in enumerate(self._entries):
            keys.setdefault((e.name, e.flags), []).append(i)
        self._groups: list[_Group] = []
        self._needs_hessian = any(OPTIMIZERS[e.name].needs_hessian for e in self._entries)
        for (name, _flags), entry_ids in keys.items():
            rows = np.flatnonzero(np.isin(self._entry_idx, entry_ids))
            local = {e: i for i, e in enumerate(entry_ids)}
            entry_of = np.array([local[int(e)] for e in self._entry_idx[rows]], dtype=np.intp)
            hp = {
                key: _stack_hp([self._entries[e].hyperparameters[key] for e in entry_ids], entry_of)
                for key in self._entries[entry_ids[0]].hyperparameters
            }
            init = OPTIMIZERS[name].init(self._traj[self._row(self._k[rows]), rows], hp)
            fields = [np.array(f, dtype=np.float64, copy=True) for f in init]
            for pos, r in enumerate(rows.tolist()):
                if r in carried:
                    for f, saved in zip(fields, carried[r], strict=True):
                        f[pos : pos + 1] = saved
            per_runner = any(
                isinstance(v, np.ndarray) or (isinstance(v, tuple) and any(
                    isinstance(u, np.ndarray) for u in v))
                for v in hp.values()
            )  # fmt: skip
            self._groups.append(_Group(name, rows, entry_ids, entry_of, hp, type(init)(*fields),
                                       len(rows) == n, per_runner))  # fmt: skip
        self._fused = self._fused_plan()

    def _fused_plan(self) -> Any:
        """The compiled plan (:class:`~gdstudio.engine.fused.FusedPlan`) for a big race, or None.

        Small races stay on the NumPy path, which needs no compiler and whose
        per-step overhead is lower for a handful of runners.
        """
        obj = self.objective
        if self.n_runners < FUSED_MIN or self._batch_sets or self._needs_hessian:
            return None
        if not isinstance(obj, BuiltinObjective):
            return None
        try:
            from gdstudio.engine import fused
        except (ImportError, OSError, RuntimeError) as exc:
            # No Numba, its LLVM library does not load, or it cannot cache (no source on
            # disk): the NumPy path gives the same numbers, and the log says why.
            compile_cache.record_fallback(exc)
            return None
        groups = [fused.GroupRows(g.name, g.hp, g.per_runner, g.rows) for g in self._groups]
        return fused.plan(obj.name, obj.params, groups)

    def _record_start(self, rows: npt.NDArray[np.intp]) -> None:
        """Evaluate and record the start points of ``rows``; check stop rules there."""
        pts = self._traj[0, rows]
        with np.errstate(all="ignore"):
            value, grad = self.objective.value_and_grad(pts)
            gn = np.sqrt(grad[:, 0] * grad[:, 0] + grad[:, 1] * grad[:, 1])
        self._loss[0, rows] = value
        self._gnorm[0, rows] = gn
        self._grad[rows] = grad
        bad = ~self._finite_ok(pts, value, gn)
        self._status[rows[bad]] = Status.DIVERGED
        self._status[rows[~bad & (gn < self.stop.grad_tol)]] = Status.CONVERGED
        if self.max_steps <= 0:
            self._status[rows[self._status[rows] == Status.RUNNING]] = Status.MAX_STEPS

    def _finite_ok(self, pts: FloatArray, value: FloatArray, gn: FloatArray) -> np.ndarray:
        """Rows whose position, loss and gradient are finite and within ``max_abs``."""
        lim = self.stop.max_abs
        with np.errstate(invalid="ignore"):
            ok = (np.abs(pts[:, 0]) <= lim) & (np.abs(pts[:, 1]) <= lim)
            ok &= np.abs(value) <= lim
            ok &= np.isfinite(gn)
            if not np.isfinite(lim):
                ok &= np.isfinite(pts).all(axis=1) & np.isfinite(value)
        return ok

    def _row(self, k: Any) -> Any:
        """History row of step ``k``: k itself, or k mod 2 when no history is kept."""
        return k if self.keep_history else k & 1

    def _ensure_capacity(self, k_needed: int) -> None:
        cap = self._traj.shape[0]
        if k_needed < cap or not self.keep_history:
            return
        new_cap = max(2 * cap, k_needed + 1)

        def grow(a: np.ndarray) -> np.ndarray:
            if not len(a):  # batch_loss outside batch mode stays empty
                return a
            out = np.empty((new_cap, *a.shape[1:]))
            out[:cap] = a
            return out

        self._traj = grow(self._traj)
        self._loss = grow(self._loss)
        self._gnorm = grow(self._gnorm)
        self._batch_loss = grow(self._batch_loss)

    def _advance(self, mask: npt.NDArray[np.bool_], count: int = 1) -> int:
        """Step the runners in ``mask``; returns how many steps were made.

        Runners at different step numbers are stepped once, grouped by their step
        number. Runners all at one step number take the compiled path if there is
        one, which may make up to ``count`` steps (the later ones for the runners
        still running), else one step.
        """
        ks = self._k if bool(mask.all()) else self._k[mask]
        k_lo, k_hi = int(ks.min()), int(ks.max())
        if k_lo == k_hi and self._fused is not None:
            made = self._step_fused(mask, k_lo, min(count, FUSED_STEPS, self.max_steps - k_lo))
            if made:
                return made
        self._ensure_capacity(k_hi + 1)
        if k_lo == k_hi:
            self._advance_at(mask, k_lo)
            return 1
        for k in np.unique(ks).tolist():
            self._advance_at(mask & (self._k == k), int(k))
        return 1

    def _advance_at(self, mask: npt.NDArray[np.bool_], k: int) -> None:
        """Step runners ``mask``, all of which have taken exactly ``k`` steps.

        A big race of one optimizer group is stepped in cache-sized chunks of
        runners: every temporary then stays in the CPU cache, which makes the
        NumPy arithmetic several times faster than on whole arrays.
        """
        n = self.n_runners
        if bool(mask.all()):
            if len(self._groups) == 1 and n > CHUNK:
                for start in range(0, n, CHUNK):
                    self._step_rows(slice(start, min(start + CHUNK, n)), k)
            else:
                self._step_rows(slice(None), k)
        else:
            self._step_rows(np.flatnonzero(mask), k)

    def _step_fused(self, mask: npt.NDArray[np.bool_], k: int, count: int) -> int:
        """Up to ``count`` steps from step k in compiled code; 0 if it cannot take them."""
        steps = range(k, k + max(count, 1))
        lrs = [[self._group_lr(g, s, None) for s in steps] for g in self._groups]
        if not all(isinstance(lr, float) for group in lrs for lr in group):
            return 0  # schedules differ within a group
        self._ensure_capacity(steps[-1] + 1)
        from gdstudio.engine.fused import RaceArrays  # loaded with the plan

        arrays = RaceArrays(self._traj, self._loss, self._gnorm, self._grad, self._k, self._status)
        rows = np.array([self._row(s) for s in range(k, steps[-1] + 2)], dtype=np.intp)
        at_limit = np.array([s + 1 >= self.max_steps for s in steps])
        stop = (float(self.stop.max_abs), float(self.stop.grad_tol))
        states = [g.state for g in self._groups]
        return self._fused.advance(arrays, mask, k + 1, states, lrs, rows, at_limit, stop)

    def _step_rows(self, sel: slice | npt.NDArray[np.intp], k: int) -> None:
        """One step for runners ``sel`` (a slice or sorted indices), all at step k."""
        obj = self.objective
        pos = self._traj[self._row(k), sel]
        with np.errstate(all="ignore"):
            grad, hess = self._step_derivatives(sel, pos, k)
            new_pos = None
            for g in self._groups:
                new_pos = self._update_group(g, sel, pos, grad, hess, new_pos, k)
            value, new_grad = obj.value_and_grad(new_pos)
            gx, gy = new_grad[:, 0], new_grad[:, 1]
            gn = np.sqrt(gx * gx + gy * gy)
        idx: Any = sel
        if not self._all_ok(new_pos, value, gn):
            ok = self._finite_ok(new_pos, value, gn)
            stepped = np.arange(self.n_runners)[sel]
            self._status[stepped[~ok]] = Status.DIVERGED
            idx = stepped[ok]
            new_pos, value, gn, new_grad = new_pos[ok], value[ok], gn[ok], new_grad[ok]
        row = self._row(k + 1)
        self._traj[row, idx] = new_pos
        self._loss[row, idx] = value
        self._gnorm[row, idx] = gn
        self._grad[idx] = new_grad
        self._k[idx] += 1
        converged = gn < self.stop.grad_tol
        if converged.any():
            self._status[np.arange(self.n_runners)[idx][converged]] = Status.CONVERGED
        if k + 1 >= self.max_steps:
            recorded = np.arange(self.n_runners)[idx]
            still = recorded[self._status[recorded] == Status.RUNNING]
            self._status[still] = Status.MAX_STEPS

    def _all_ok(self, pts: FloatArray, value: FloatArray, gn: FloatArray) -> bool:
        """Fast check that no runner diverged (NaN makes the maxima fail the test)."""
        lim = self.stop.max_abs
        with np.errstate(invalid="ignore"):
            return bool(
                np.abs(pts).max() <= lim
                and np.abs(value).max() <= lim
                and np.isfinite(gn.sum())
                and np.isfinite(lim)
            )

    def _step_derivatives(
        self, sel: slice | npt.NDArray[np.intp], pos: FloatArray, k: int
    ) -> tuple[FloatArray, FloatArray | None]:
        """Gradient (and Hessian, if an optimizer needs it) that step k uses.

        Outside batch mode this is the full gradient cached at the current point;
        in batch mode it is taken on each runner's batch k, whose loss is recorded.
        """
        obj = self.objective
        need_hess = self._needs_hessian
        if not self._batch_sets:
            return self._grad[sel], obj.hessian(pos) if need_hess else None
        stepped = np.arange(self.n_runners)[sel]
        which = self._runner_batches[sel]
        grad = np.empty_like(pos)
        hess = np.empty((len(pos), 2, 2)) if need_hess else None
        for b, schedule in enumerate(self._batch_sets):
            part = np.flatnonzero(which == b)
            if not len(part):
                continue
            batch = schedule.batch(k)
            p = pos[part]
            if batch is None:  # full batch: the batch loss is the full loss
                grad[part] = self._grad[stepped[part]]
                here = self._row(k)
                self._batch_loss[here, stepped[part]] = self._loss[here, stepped[part]]
            else:
                grad[part] = obj.grad(p, batch)
                self._batch_loss[self._row(k), stepped[part]] = obj.value(p, batch)
            if hess is not None:
                hess[part] = obj.hessian(p, batch)
        return grad, hess

    def _update_group(
        self,
        g: _Group,
        sel: slice | npt.NDArray[np.intp],
        pos: FloatArray,
        grad: FloatArray,
        hess: FloatArray | None,
        new_pos: FloatArray | None,
        k: int,
    ) -> FloatArray | None:
        """Apply group ``g``'s optimizer to its members among the stepped runners ``sel``.

        ``pos``/``grad``/``new_pos`` are indexed like the stepped runners. Returns
        ``new_pos`` (allocated here when the group covers every stepped runner).
        """
        spec = OPTIMIZERS[g.name]
        if isinstance(sel, slice) and g.covers_all:
            where: Any = slice(None)
            local: Any = sel
        elif isinstance(sel, slice) and sel == slice(None):  # every runner steps: no search
            where, local = g.rows, slice(None)
        else:
            stepped = np.arange(self.n_runners)[sel]
            in_group = np.isin(stepped, g.rows)
            if not in_group.any():
                return new_pos
            where = np.flatnonzero(in_group)
            local = np.searchsorted(g.rows, stepped[where])
        whole = isinstance(local, slice) and local == slice(None)
        hp = g.hp if whole or not g.per_runner else {k: _take(v, local) for k, v in g.hp.items()}
        lr = self._group_lr(g, k, None if whole else local)
        h = hess[where] if spec.needs_hessian and hess is not None else None
        state = g.state if whole else type(g.state)(*(f[local] for f in g.state))
        out, new_state = spec.update(pos[where], grad[where], state, hp, lr, k + 1, h)
        if whole:
            g.state = new_state
        else:
            for f, nf in zip(g.state, new_state, strict=True):
                f[local] = nf
        if isinstance(where, slice):
            return out
        if new_pos is None:
            new_pos = np.empty_like(pos)
        new_pos[where] = out
        return new_pos

    def _group_lr(self, g: _Group, k: int, local: npt.NDArray[np.intp] | None) -> Any:
        """The scheduled learning rate for the group's members at step k."""
        lrs = [self._schedules[e].lr_at(k) for e in g.entries]
        if len(lrs) == 1 or all(v == lrs[0] for v in lrs):
            return lrs[0]
        per_member = np.asarray(lrs)[g.entry_of][:, None]
        return per_member if local is None else per_member[local]
