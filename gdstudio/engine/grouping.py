"""Optimizer groups of a race: runners that share one optimizer code path.

A group is every runner whose entry has the same optimizer name and boolean
flags; its numeric hyperparameters may differ per runner (held as (n, 1)
arrays), so one vectorized update steps a whole learning-rate sweep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from gdstudio.engine.optimizers import OPTIMIZERS
from gdstudio.engine.schedules import Schedule

if TYPE_CHECKING:
    from gdstudio.engine.race import Entry

FloatArray = npt.NDArray[np.float64]
Selection = slice | npt.NDArray[np.intp]
"""Runners being stepped: a slice of runner indices or sorted indices."""


@dataclass
class Group:
    """Runners sharing one optimizer code path, with their stacked state.

    ``rows`` are runner indices (sorted); ``hp`` holds floats where every member
    agrees and (n, 1) arrays where they differ; ``entry_of`` maps member -> the
    local index into ``entries`` (the race entries present in this group), and
    ``entry_hp`` holds the hyperparameters per entry, floats where every entry
    agrees and (len(entries), 1) arrays where they differ.
    """

    name: str
    rows: npt.NDArray[np.intp]
    entries: list[int]
    entry_of: npt.NDArray[np.intp]
    hp: dict[str, Any]
    state: tuple
    entry_hp: dict[str, Any]
    block: FloatArray
    """(fields, n, 2): where the state was built (see :func:`state_block`), and where the
    compiled path keeps it."""
    covers_all: bool = False
    per_runner: bool = False
    """Some hyperparameter differs between members (held as an (n, 1) array)."""
    where: slice | npt.NDArray[np.intp] = field(init=False)
    """``rows`` as a slice where they are contiguous: a view, not a copy, of the stepped arrays."""

    def __post_init__(self) -> None:
        rows = self.rows
        contiguous = len(rows) > 0 and int(rows[-1]) - int(rows[0]) == len(rows) - 1
        self.where = slice(int(rows[0]), int(rows[-1]) + 1) if contiguous else rows

    def lr(self, schedules: Sequence[Schedule], k: int, local: Any = None) -> Any:
        """The scheduled learning rate of the members (or members ``local``) at step k."""
        if len(self.entries) == 1:  # the common case, without a list
            return schedules[self.entries[0]].lr_at(k)
        lrs = [schedules[e].lr_at(k) for e in self.entries]
        if all(v == lrs[0] for v in lrs):
            return lrs[0]
        per_member = np.asarray(lrs)[self.entry_of][:, None]
        return per_member if local is None else per_member[local]

    def lr_table(self, schedules: Sequence[Schedule], k: int, count: int) -> FloatArray:
        """The scheduled learning rate of each entry for steps k … k+count−1, (count, entries)."""
        own = [schedules[e] for e in self.entries]
        if all(s.constant for s in own):  # a sweep's thousands of entries: no per-step calls
            return np.tile(np.array([s.base_lr for s in own]), (count, 1))
        return np.array([[s.lr_at(step) for s in own] for step in range(k, k + count)])

    def update(
        self,
        sel: Selection,
        n_runners: int,
        pos: FloatArray,
        grad: FloatArray,
        hess: FloatArray | None,
        new_pos: FloatArray | None,
        schedules: Sequence[Schedule],
        k: int,
    ) -> FloatArray | None:
        """Apply the group's optimizer to its members among the stepped runners ``sel``.

        ``pos``/``grad``/``hess``/``new_pos`` are indexed like the stepped runners.
        Returns ``new_pos`` (allocated here when the group covers every stepped runner).
        """
        spec = OPTIMIZERS[self.name]
        alone = isinstance(sel, slice) and self.covers_all
        if alone:
            where: Any = slice(None)
            local: Any = sel
        elif isinstance(sel, slice) and sel == slice(None):  # every runner steps: no search
            where, local = self.where, slice(None)
        else:
            stepped = np.arange(n_runners)[sel]
            in_group = np.isin(stepped, self.rows)
            if not in_group.any():
                return new_pos
            where = np.flatnonzero(in_group)
            local = np.searchsorted(self.rows, stepped[where])
        whole = isinstance(local, slice) and local == slice(None)
        hp = self.hp if whole or not self.per_runner else {
            key: _take(v, local) for key, v in self.hp.items()}  # fmt: skip
        lr = self.lr(schedules, k, None if whole else local)
        state = self.state if whole else type(self.state)(*(f[local] for f in self.state))
        args = (pos[where], grad[where], state, hp, lr, k + 1)
        if spec.needs_hessian:
            assert hess is not None
            out, new_state = spec.update(*args, hess[where])
        else:
            out, new_state = spec.update(*args)
        if whole:
            self.state = new_state
        else:
            for f, nf in zip(self.state, new_state, strict=True):
                f[local] = nf
        if alone:
            return out
        if new_pos is None:
            new_pos = np.empty_like(pos)
        new_pos[where] = out
        return new_pos


def state_block(init: tuple, n: int) -> tuple[FloatArray, list[FloatArray]]:
    """A (fields, n, 2) block, and copies of an optimizer's initial state fields in it:
    each (n, 2) field is a row of the block, the layout the compiled path reads, so
    that it steps the state where it lies (see ``FusedPlan.home``). (n, 1) fields are
    copied apart (their row is the compiled path's to fill)."""
    block = np.empty((len(init), n, 2))
    fields = []
    for row, f in zip(block, init, strict=True):
        if np.shape(f) == (n, 2):
            row[...] = f
            fields.append(row)
        else:
            fields.append(np.array(f, dtype=np.float64, copy=True))
    return block, fields


def build_groups(
    entries: Sequence[Entry],
    entry_idx: npt.NDArray[np.intp],
    positions: FloatArray,
    carried: dict[int, tuple],
) -> list[Group]:
    """Group runners by optimizer code path; stack hyperparameters and state.

    ``entry_idx[r]`` is runner r's entry and ``positions`` (R, 2) its current
    point. ``carried`` maps runner index -> optimizer state rows kept from before
    a restructure (see :func:`runner_states`); every other runner gets a freshly
    initialized state.
    """
    n = len(entry_idx)
    keys: dict[tuple, list[int]] = {}
    for i, e in enumerate(entries):
        keys.setdefault((e.name, e.flags), []).append(i)
    groups = []
    for (name, _flags), entry_ids in keys.items():
        rows = np.flatnonzero(np.isin(entry_idx, entry_ids))
        local = np.zeros(len(entries), dtype=np.intp)
        local[entry_ids] = np.arange(len(entry_ids))
        entry_of = local[entry_idx[rows]]
        keys = entries[entry_ids[0]].hyperparameters
        entry_hp = {key: _stack_hp([entries[e].hyperparameters[key] for e in entry_ids])
                    for key in keys}  # fmt: skip
        hp = {key: _take(value, entry_of) for key, value in entry_hp.items()}
        init = OPTIMIZERS[name].init(positions[rows], hp)
        block, fields = state_block(init, len(rows))
        for pos, r in enumerate(rows.tolist() if carried else ()):
            if r in carried:
                for f, saved in zip(fields, carried[r], strict=True):
                    f[pos : pos + 1] = saved
        per_runner = any(
            isinstance(v, np.ndarray)
            or (isinstance(v, tuple) and any(isinstance(u, np.ndarray) for u in v))
            for v in hp.values()
        )
        groups.append(Group(name, rows, entry_ids, entry_of, hp, type(init)(*fields), entry_hp, block,
                            len(rows) == n, per_runner))  # fmt: skip
    return groups


def runner_states(groups: Sequence[Group], runners: npt.NDArray[np.intp]) -> dict[int, tuple]:
    """Per runner of ``runners``, its optimizer state rows (a tuple of 1-row arrays)."""
    wanted = set(runners.tolist())
    out: dict[int, tuple] = {}
    for g in groups:
        for pos, r in enumerate(g.rows.tolist()):
            if r in wanted:
                out[r] = tuple(f[pos : pos + 1] for f in g.state)
    return out


def _stack_hp(values: list[Any]) -> Any:
    """One hyperparameter over a group's entries: a float if all agree, else (entries, 1)."""
    first = values[0]
    if isinstance(first, bool):
        return first
    if isinstance(first, tuple):
        return tuple(_stack_hp([v[i] for v in values]) for i in range(len(first)))
    if all(v == first for v in values):
        return float(first)
    return np.asarray(values, dtype=np.float64)[:, None]


def _take(value: Any, sel: npt.NDArray[np.intp]) -> Any:
    """Rows ``sel`` of a per-entry or per-member hyperparameter (floats and bools pass through)."""
    if isinstance(value, np.ndarray):
        return value[sel]
    if isinstance(value, tuple):
        return tuple(_take(v, sel) for v in value)
    return value
