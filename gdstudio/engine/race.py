"""A race: many optimizers from many start points on one objective, stepped together.

Runners are the product *entries × starts*, kept in entry-major order (all starts
of the first entry, then the second, ...). The race is put together from parts
with one job each: :mod:`~gdstudio.engine.history` records every runner's points,
:mod:`~gdstudio.engine.grouping` steps runners that share an optimizer code path
with one vectorized update, and :mod:`~gdstudio.engine.stop` says when a runner
stops. This module edits the race (starts and optimizers added, moved, removed,
only the runners concerned re-run) and steps it.

Runners normally move in lockstep; a runner added or re-run mid-race starts at
step 0 and :meth:`Race.catch_up` brings it level with the others. Divergence is
an ordinary outcome (see :class:`~gdstudio.engine.stop.StopRule`); floating-point
warnings are silenced.

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
from gdstudio.engine.grouping import Group, Selection, build_groups, runner_states
from gdstudio.engine.history import History
from gdstudio.engine.objective import Objective, quiet_value_and_grad
from gdstudio.engine.optimizers import OPTIMIZERS, resolve_hyperparams
from gdstudio.engine.schedules import Schedule, make_schedule, resolve_schedule
from gdstudio.engine.stop import Status, StopRule

FloatArray = npt.NDArray[np.float64]
CHUNK = 16384
"""Runners stepped together in one chunk of a big race (fits the CPU cache)."""
FUSED_MIN = 4096
"""Races of at least this many runners take the compiled path where one covers them."""
FUSED_STEPS = 128
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
        kept (see :mod:`~gdstudio.engine.history`).
    compile_small
        Take the compiled path wherever one covers the race, however few its
        runners (the analysis commands, which race many settings or starts).
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
        compile_small: bool = False,
    ) -> None:
        self.objective = objective
        self._value_and_grad = quiet_value_and_grad(objective)
        """The objective's value and gradient, for calls inside the step's own error state."""
        self.keep_history = keep_history
        self.compile_small = compile_small
        self.stop = stop or StopRule()
        self.max_steps = int(max_steps)
        self.batches = batches
        self._entries: list[Entry] = list(entries)
        self._starts = np.asarray(starts, dtype=np.float64).reshape(-1, 2).copy()
        self._history: History | None = None
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
        return self._history.k + 1

    @property
    def steps_taken(self) -> npt.NDArray[np.intp]:
        """Steps taken per runner, shape (R,)."""
        return self._history.k.copy()

    @property
    def status(self) -> npt.NDArray[np.int8]:
        """Status per runner, shape (R,), values of :class:`Status`."""
        return self._history.status.copy()

    @property
    def positions(self) -> FloatArray:
        """Current position per runner, shape (R, 2)."""
        return self._history.positions()

    @property
    def current_loss(self) -> FloatArray:
        """Full loss at each runner's current point, shape (R,)."""
        h = self._history
        return h.loss[h.row(h.k), np.arange(self.n_runners)]

    @property
    def gradients(self) -> FloatArray:
        """Full gradient at each runner's current point, shape (R, 2) (a copy)."""
        return self._history.grad.copy()

    @property
    def trajectory(self) -> FloatArray:
        """Recorded positions, shape (capacity, R, 2); rows from ``counts[r]`` on are undefined."""
        return self._history.traj

    @property
    def loss(self) -> FloatArray:
        """Full loss at each recorded point, shape (capacity, R)."""
        return self._history.loss

    @property
    def grad_norm(self) -> FloatArray:
        """Full-gradient norm at each recorded point, shape (capacity, R)."""
        return self._history.gnorm

    @property
    def batch_loss(self) -> FloatArray:
        """Loss on the batch of each step (batch mode), shape (capacity, R); row k is step k."""
        return self._history.batch_loss

    @property
    def groups(self) -> list[Group]:
        """The optimizer groups, each stepped by one vectorized update."""
        return list(self._groups)

    @property
    def compiled(self) -> bool:
        """True when the race is big enough for, and covered by, the compiled path."""
        return self._fused is not None

    @property
    def done(self) -> bool:
        """True when no runner is still running."""
        return not self._history.running().any()

    def runner_entry(self, r: int) -> int:
        """Index of the entry (optimizer) that runner ``r`` belongs to."""
        return r // max(len(self._starts), 1)

    def runner_start(self, r: int) -> int:
        """Index of the start point of runner ``r``."""
        return r % max(len(self._starts), 1)

    def lr_at(self, entry: int, k: int) -> float:
        """Learning rate entry ``entry`` uses for its (k+1)-th step."""
        return self._schedules[entry].lr_at(k)

    def runner_batches(self, r: int) -> BatchSchedule | None:
        """The batch sequence runner ``r`` uses, or None outside batch mode."""
        return self._batch_sets[self._runner_batches[r]] if self._batch_sets else None

    # ------------------------------------------------------------------ stepping
    def step(self, n: int = 1) -> int:
        """Advance every running runner by up to ``n`` steps; returns steps actually made."""
        made = 0
        while made < n:
            running = self._history.running()
            count = np.count_nonzero(running)
            if not count:
                break
            made += self._advance(running, n - made, count == len(running))
        return made

    def catch_up(self) -> None:
        """Step the runners that lag behind the furthest one until they are level."""
        h = self._history
        while True:
            running = h.running()
            if not running.any():
                return
            lagging = running & (h.k < int(h.k.max()))
            if not lagging.any():
                return
            self._advance(lagging)

    def run(self) -> None:
        """Step until every runner has stopped."""
        while not self.done:
            self.step(FUSED_STEPS)

    def extend(self, max_steps: int) -> None:
        """Raise the step limit; runners stopped by the old limit resume."""
        self.max_steps = int(max_steps)
        h = self._history
        h.status[(h.status == Status.MAX_STEPS) & (h.k < self.max_steps)] = Status.RUNNING

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

    # ------------------------------------------------------------------ building
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
        """Allocate the history for the current entries × starts and group the runners.

        ``keep`` maps new runner index -> old runner index for runners whose
        history and optimizer state carry over; all others start at step 0.
        """
        n_e, n_s = len(self._entries), len(self._starts)
        n = n_e * n_s
        batch_mode = self.batches is not None
        old = self._history
        cap = History.capacity_for(n, self.max_steps, batch_mode)
        if keep and old is not None:
            cap = max(cap, old.capacity)
        history = History(n, cap, batch_mode, self.keep_history)
        new_idx = np.fromiter(keep.keys(), dtype=np.intp, count=len(keep))
        old_idx = np.fromiter(keep.values(), dtype=np.intp, count=len(keep))
        carried: dict[int, tuple] = {}
        if len(keep) and old is not None:
            history.carry(old, new_idx, old_idx)
            states = runner_states(self._groups, old_idx)
            carried = {new: states[o] for new, o in keep.items()}
        fresh = np.setdiff1d(np.arange(n), new_idx) if len(keep) else np.arange(n)
        history.traj[0, fresh] = np.tile(self._starts, (n_e, 1))[fresh]
        self._history = history
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
        self._needs_hessian = any(OPTIMIZERS[e.name].needs_hessian for e in self._entries)
        self._groups = build_groups(self._entries, self._entry_idx, history.positions(), carried)
        self._fused = self._fused_plan()

    def _batches_for(self, batch_size: int | None) -> BatchSchedule:
        """The race's batch sequence, or one with another batch size and the same seed."""
        base = self.batches
        assert base is not None
        if batch_size is None:
            return base
        return BatchSchedule(base.n_samples, batch_size, base.seed)

    def _fused_plan(self) -> Any:
        """The compiled plan (:class:`~gdstudio.engine.fused.FusedPlan`) for a big race, or None.

        Small races stay on the NumPy path, which needs no compiler and whose
        per-step overhead is lower for a handful of runners.
        """
        obj = self.objective
        small = self.n_runners < FUSED_MIN and not self.compile_small
        if small or self._batch_sets or self._needs_hessian:
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
        groups = [fused.GroupRows(g.name, g.entry_hp, g.rows, g.entry_of, g.block)
                  for g in self._groups]  # fmt: skip
        return fused.plan(obj.name, obj.params, groups)

    def _record_start(self, rows: npt.NDArray[np.intp]) -> None:
        """Evaluate and record the start points of ``rows``; check stop rules there."""
        h = self._history
        pts = h.traj[0, rows]
        with np.errstate(all="ignore"):
            value, grad = self._value_and_grad(pts)
            gn = np.sqrt(grad[:, 0] * grad[:, 0] + grad[:, 1] * grad[:, 1])
            bad = ~self.stop.ok(pts, value, gn)
        h.loss[0, rows] = value
        h.gnorm[0, rows] = gn
        h.grad[rows] = grad
        h.status[rows[bad]] = Status.DIVERGED
        h.status[rows[~bad & (gn < self.stop.grad_tol)]] = Status.CONVERGED
        if self.max_steps <= 0:
            h.status[rows[h.status[rows] == Status.RUNNING]] = Status.MAX_STEPS

    # ------------------------------------------------------------------ one step
    def _advance(
        self, mask: npt.NDArray[np.bool_], count: int = 1, whole: bool | None = None
    ) -> int:
        """Step the runners in ``mask`` (``whole``: every runner, when the caller knows);
        returns how many steps were made.

        Runners at different step numbers are stepped once, grouped by their step
        number. Runners all at one step number take the compiled path if there is
        one, which may make up to ``count`` steps (the later ones for the runners
        still running), else one step.
        """
        h = self._history
        whole = bool(mask.all()) if whole is None else whole
        ks = h.k if whole else h.k[mask]
        k_lo = k_hi = int(ks[0])
        if np.count_nonzero(ks != k_lo):  # runners at different steps (rare)
            k_lo, k_hi = int(ks.min()), int(ks.max())
        if k_lo == k_hi and self._fused is not None:
            made = self._step_fused(mask, k_lo, min(count, FUSED_STEPS, self.max_steps - k_lo))
            if made:
                return made
        h.ensure_capacity(k_hi + 1)
        if k_lo == k_hi:
            self._advance_at(mask, k_lo, whole)
            return 1
        for k in np.unique(ks).tolist():
            self._advance_at(mask & (h.k == k), int(k), False)
        return 1

    def _advance_at(self, mask: npt.NDArray[np.bool_], k: int, whole: bool) -> None:
        """Step runners ``mask`` (``whole``: every runner), all of which have taken exactly
        ``k`` steps.

        A big race of one optimizer group is stepped in cache-sized chunks of
        runners: every temporary then stays in the CPU cache, which makes the
        NumPy arithmetic several times faster than on whole arrays.
        """
        n = self.n_runners
        if whole:
            if len(self._groups) == 1 and n > CHUNK:
                for start in range(0, n, CHUNK):
                    self._step_rows(slice(start, min(start + CHUNK, n)), k)
            else:
                self._step_rows(slice(None), k)
        else:
            self._step_rows(np.flatnonzero(mask), k)

    def _step_fused(self, mask: npt.NDArray[np.bool_], k: int, count: int) -> int:
        """Up to ``count`` steps from step k in compiled code; 0 if it cannot take them."""
        h = self._history
        steps = range(k, k + max(count, 1))
        lrs = [g.lr_table(self._schedules, k, len(steps)) for g in self._groups]
        h.ensure_capacity(steps[-1] + 1)
        rows = np.array([h.row(s) for s in range(k, steps[-1] + 2)], dtype=np.intp)
        at_limit = np.array([s + 1 >= self.max_steps for s in steps])
        for index, g in enumerate(self._groups):  # after a NumPy step, the state is new arrays
            g.state = self._fused.home(index, g.state)
        states = [g.state for g in self._groups]
        return self._fused.advance(h, mask, k + 1, states, lrs, rows, at_limit, self.stop)

    def _step_rows(self, sel: Selection, k: int) -> None:
        """One step for runners ``sel`` (a slice or sorted indices), all at step k."""
        h = self._history
        pos = h.traj[h.row(k), sel]
        with np.errstate(all="ignore"):
            grad, hess = self._step_derivatives(sel, pos, k)
            new_pos = None
            for g in self._groups:
                new_pos = g.update(sel, self.n_runners, pos, grad, hess, new_pos,
                                   self._schedules, k)  # fmt: skip
            value, new_grad = self._value_and_grad(new_pos)
            gx, gy = new_grad[:, 0], new_grad[:, 1]
            gn = np.sqrt(gx * gx + gy * gy)
            # Which points may be recorded, where some may not (None: every point).
            ok = None if self.stop.all_ok(new_pos, value, gn) else self.stop.ok(new_pos, value, gn)
        idx: Any = sel
        if ok is not None:
            stepped = np.arange(self.n_runners)[sel]
            h.status[stepped[~ok]] = Status.DIVERGED
            idx = stepped[ok]
            new_pos, value, gn, new_grad = new_pos[ok], value[ok], gn[ok], new_grad[ok]
        h.record(idx, k, new_pos, value, gn, new_grad)
        converged = gn < self.stop.grad_tol
        if np.count_nonzero(converged):  # count_nonzero: a C loop, no ufunc reduction
            h.status[np.arange(self.n_runners)[idx][converged]] = Status.CONVERGED
        if k + 1 >= self.max_steps:
            recorded = np.arange(self.n_runners)[idx]
            h.status[recorded[h.status[recorded] == Status.RUNNING]] = Status.MAX_STEPS

    def _step_derivatives(
        self, sel: Selection, pos: FloatArray, k: int
    ) -> tuple[FloatArray, FloatArray | None]:
        """Gradient (and Hessian, if an optimizer needs it) that step k uses.

        Outside batch mode this is the full gradient cached at the current point;
        in batch mode it is taken on each runner's batch k, whose loss is recorded.
        """
        obj, h = self.objective, self._history
        need_hess = self._needs_hessian
        if not self._batch_sets:
            return h.grad[sel], obj.hessian(pos) if need_hess else None
        stepped = np.arange(self.n_runners)[sel]
        which = self._runner_batches[sel]
        grad = np.empty_like(pos)
        hess = np.empty((len(pos), 2, 2)) if need_hess else None
        here = h.row(k)
        for b, schedule in enumerate(self._batch_sets):
            part = np.flatnonzero(which == b)
            if not len(part):
                continue
            batch = schedule.batch(k)
            p = pos[part]
            if batch is None:  # full batch: the batch loss is the full loss
                grad[part] = h.grad[stepped[part]]
                h.batch_loss[here, stepped[part]] = h.loss[here, stepped[part]]
            else:
                grad[part] = obj.grad(p, batch)
                h.batch_loss[here, stepped[part]] = obj.value(p, batch)
            if hess is not None:
                hess[part] = obj.hessian(p, batch)
        return grad, hess
