"""Compiled steps for big races: surface, optimizer and stop rules per block of runners.

The NumPy path of :class:`~gdstudio.engine.race.Race` makes some thirty passes over
the runner arrays per step (one per array operation). For races of many thousands
of runners that is memory traffic, not arithmetic, so this module steps a block of
runners at a time through a few passes over cache-resident arrays: the optimizer's
kernel, the surface at the new points, the stop rules, the record; and it takes
each block through many steps before moving on.

Nothing here is a second copy of a formula. Each optimizer's kernel lives beside
its NumPy update (``OptimizerSpec.compiled``, see
:class:`~gdstudio.engine.optimizers.base.CompiledStep`) and is called through a
function pointer, so one compiled driver serves them all; the surfaces are the
NumPy formulas of :mod:`~gdstudio.engine.functions` and the stop rule is
:func:`gdstudio.engine.stop.point_ok`, each compiled for one point. Plain
arithmetic with no fast-math rounds the same on one point as on an array: a race
gives bit-identical results on either path, which ``tests/engine/test_fused.py``
checks. Hyperparameters and schedules may differ between a group's entries (a
sweep): each entry is then a *setting* with its own numbers, and its runners a run
of their own. Newton (which needs the Hessian), formulas, datasets and the
built-ins not listed in :data:`SURFACES` take the NumPy path.

Numba is imported only when a race is big enough to use this module; compiled
kernels are cached on disk (``NUMBA_CACHE_DIR``, by default under the user's cache
directory) so only the first big race on a machine pays for compiling.
"""

from __future__ import annotations

import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from gdstudio.engine import compile_cache, functions, stop
from gdstudio.engine.history import History
from gdstudio.engine.optimizers import OPTIMIZERS
from gdstudio.engine.stop import Status, StopRule

# Numba reads its settings when it is imported, so this comes first.
compile_cache.prepare_numba(
    functions.__file__, stop.__file__, __file__, Path(__file__).with_name("fused_math.py")
)
import numba  # noqa: E402
from numba import types  # noqa: E402

from gdstudio.engine import fused_math  # noqa: E402, F401  (the kernels' compiled root_over)

FloatArray = npt.NDArray[np.float64]
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")

# Status codes as plain ints, which Numba folds into the kernels as constants.
_RUNNING, _CONVERGED, _DIVERGED, _MAX_STEPS = (int(s) for s in Status)

BLOCK = 2048
"""Runners per block. A block's arrays stay in the L2 cache between passes, and each
step of a block pays some bookkeeping (views, calls): 2048 runners spread it thin,
4.8 -> 4.3 ns a point-step for Adam against blocks of 512 (measured here)."""

_vector, _matrix = types.float64[::1], types.float64[:, ::1]
_parts = types.uintp[:, ::1]  # unsigned: Numba then knows indices are never negative
KERNEL_SIGNATURE = types.void(_vector, _vector, _matrix, _matrix, _vector, _matrix, _parts)
"""``kernel(p, g, state, new_state, out, numbers, parts)``, see ``CompiledStep``."""

_point_ok = _jit(stop.point_ok)


# ---------------------------------------------------------------- surfaces
def _compiled(name: str, part: str) -> Any:
    """A built-in function's NumPy formula (``value``, ``grad``, ``value_grad``) for one point."""
    return _jit(getattr(functions.FUNCTIONS[name], part))


_rosenbrock = _compiled("rosenbrock", "value_grad")
_quadratic_value, _quadratic_grad = _compiled("quadratic", "value"), _compiled("quadratic", "grad")
_himmelblau_value, _himmelblau_grad = (
    _compiled("himmelblau", "value"),
    _compiled("himmelblau", "grad"),
)
_booth_value, _booth_grad = _compiled("booth", "value"), _compiled("booth", "grad")
_camel3_value, _camel3_grad = (
    _compiled("three_hump_camel", "value"),
    _compiled("three_hump_camel", "grad"),
)
_camel6_value, _camel6_grad = (
    _compiled("six_hump_camel", "value"),
    _compiled("six_hump_camel", "grad"),
)
_matyas_value, _matyas_grad = _compiled("matyas", "value"), _compiled("matyas", "grad")
_st_value, _st_grad = _compiled("styblinski_tang", "value"), _compiled("styblinski_tang", "grad")
_saddle_value, _saddle_grad = _compiled("saddle", "value"), _compiled("saddle", "grad")
_monkey_value, _monkey_grad = (
    _compiled("monkey_saddle", "value"),
    _compiled("monkey_saddle", "grad"),
)
_well_value, _well_grad = _compiled("double_well", "value"), _compiled("double_well", "grad")
_ill_value, _ill_grad = _compiled("ill_conditioned", "value"), _compiled("ill_conditioned", "grad")

SURFACES = {
    "rosenbrock": (0, ("a", "b")),
    "quadratic": (1, ()),
    "himmelblau": (2, ()),
    "booth": (3, ()),
    "three_hump_camel": (4, ()),
    "six_hump_camel": (5, ()),
    "matyas": (6, ()),
    "styblinski_tang": (7, ()),
    "saddle": (8, ()),
    "monkey_saddle": (9, ()),
    "double_well": (10, ()),
    "ill_conditioned": (11, ("kappa",)),
}
"""Built-in functions with a compiled value and gradient: name -> (code, parameter order)."""


@_jit
def _evaluate(code, xy, sp, f, g) -> None:
    """The surface ``code`` (see :data:`SURFACES`) at interleaved points ``xy``: f, and
    its gradient into ``g``, interleaved too.

    Rosenbrock, the benchmarks' surface, has a loop of its own: without the other
    surfaces' branches in it, it vectorizes.
    """
    if code == 0:
        a, b = sp[0], sp[1]
        for j in range(f.shape[0]):
            f[j], g[2 * j], g[2 * j + 1] = _rosenbrock(xy[2 * j], xy[2 * j + 1], a, b)
        return
    for j in range(f.shape[0]):
        x, y = xy[2 * j], xy[2 * j + 1]
        if code == 1:
            f[j], (g[2 * j], g[2 * j + 1]) = _quadratic_value(x, y), _quadratic_grad(x, y)
        elif code == 2:
            f[j], (g[2 * j], g[2 * j + 1]) = _himmelblau_value(x, y), _himmelblau_grad(x, y)
        elif code == 3:
            f[j], (g[2 * j], g[2 * j + 1]) = _booth_value(x, y), _booth_grad(x, y)
        elif code == 4:
            f[j], (g[2 * j], g[2 * j + 1]) = _camel3_value(x, y), _camel3_grad(x, y)
        elif code == 5:
            f[j], (g[2 * j], g[2 * j + 1]) = _camel6_value(x, y), _camel6_grad(x, y)
        elif code == 6:
            f[j], (g[2 * j], g[2 * j + 1]) = _matyas_value(x, y), _matyas_grad(x, y)
        elif code == 7:
            f[j], (g[2 * j], g[2 * j + 1]) = _st_value(x, y), _st_grad(x, y)
        elif code == 8:
            f[j], (g[2 * j], g[2 * j + 1]) = _saddle_value(x, y), _saddle_grad(x, y)
        elif code == 9:
            f[j], (g[2 * j], g[2 * j + 1]) = _monkey_value(x, y), _monkey_grad(x, y)
        elif code == 10:
            f[j], (g[2 * j], g[2 * j + 1]) = _well_value(x, y), _well_grad(x, y)
        elif code == 11:
            f[j], (g[2 * j], g[2 * j + 1]) = _ill_value(x, y, sp[0]), _ill_grad(x, y, sp[0])


@_jit
def _evaluate_checked(code, xy, sp, f, g, lim, below) -> int:
    """:func:`_evaluate`, then the stop rules at every point: how many points fail
    :func:`~gdstudio.engine.stop.point_ok` or lie below the convergence threshold
    ``below`` (see ``StopRule.converged_below``). Rosenbrock does both in one pass."""
    bad = 0
    if code == 0:
        a, b = sp[0], sp[1]
        for j in range(f.shape[0]):
            x, y = xy[2 * j], xy[2 * j + 1]
            fj, gx, gy = _rosenbrock(x, y, a, b)
            f[j], g[2 * j], g[2 * j + 1] = fj, gx, gy
            bad += 0 if _passes(x, y, fj, gx, gy, lim, below) else 1
        return bad
    _evaluate(code, xy, sp, f, g)
    for j in range(f.shape[0]):
        ok = _passes(xy[2 * j], xy[2 * j + 1], f[j], g[2 * j], g[2 * j + 1], lim, below)
        bad += 0 if ok else 1
    return bad


@_jit
def _squared_norm(gx, gy) -> float:
    """The gradient's squared norm, summed as ``Race`` sums it (its root is the recorded norm)."""
    return gx * gx + gy * gy


@_jit
def _passes(x, y, f, gx, gy, lim, below) -> bool:
    """Whether a new point is recorded and its runner keeps running."""
    q = _squared_norm(gx, gy)
    # The root is finite exactly when its square is: point_ok may take either.
    return _point_ok(x, y, f, q, lim) & (q >= below)


# ---------------------------------------------------------------- one block
# The driver below cuts the race into blocks and hands each helper views of one block,
# indexed from 0 by plain loops: that is the shape LLVM vectorizes (an offset index, a
# slice assignment or a tuple of arrays each kept it from doing so). Two-wide arrays
# are flat views with x and y interleaved.


@_jit
def _all_set(mask) -> bool:
    count = 0
    for j in range(mask.shape[0]):
        count += 1 if mask[j] else 0
    return count == mask.shape[0]


@_jit
def _keep(state, new, mask) -> None:
    """Store a block's new optimizer state (two numbers per runner and field) for the stepped runners."""
    for f in range(state.shape[0]):
        for j in range(mask.shape[0]):
            if mask[j]:
                state[f, 2 * j] = new[f, 2 * j]
                state[f, 2 * j + 1] = new[f, 2 * j + 1]


@_jit
def _prepare(p, g, prep, parts, p_out, g_out):
    """Positions and gradient as the optimizer sees them (``transforms.prepare_grad``,
    ``decay_params``): negated for maximize, plus coupled weight decay, positions
    shrunk by decoupled decay, each part by its setting's row of ``prep`` (maximize,
    coupled decay, shrink factor). Returns ``p``/``g`` themselves where nothing applies."""
    maximize = prep[0, 0] != 0.0  # a flag: the same for the whole group
    decay, shrink = maximize, False
    for part in range(parts.shape[0]):
        decay |= prep[parts[part, 2], 1] != 0.0
        shrink |= prep[parts[part, 2], 2] != 1.0
    if decay:
        for part in range(parts.shape[0]):
            coupled = prep[parts[part, 2], 1]
            for e in range(parts[part, 0], parts[part, 1]):
                gi = -g[e] if maximize else g[e]
                g_out[e] = gi + coupled * p[e] if coupled != 0.0 else gi
        g = g_out
    if shrink:
        for part in range(parts.shape[0]):
            factor = prep[parts[part, 2], 2]
            for e in range(parts[part, 0], parts[part, 1]):
                p_out[e] = p[e] * factor
        p = p_out
    return p, g


@_jit
def _cut(entry_of, first, count):
    """The parts of a block whose state rows start at ``first``: (element start, end,
    setting) for each stretch of runners of one entry, as the kernels take them."""
    bounds = [0]
    for j in range(1, count):
        if entry_of[first + j] != entry_of[first + j - 1]:
            bounds.append(j)
    bounds.append(count)
    parts = np.empty((len(bounds) - 1, 3), dtype=np.uintp)
    for i in range(len(bounds) - 1):
        parts[i, 0], parts[i, 1] = 2 * bounds[i], 2 * bounds[i + 1]
        parts[i, 2] = entry_of[first + bounds[i]]
    return parts


@_jit
def _norms(gnorm, g) -> None:
    """Gradient norms of interleaved gradients ``g``, as the NumPy path takes them."""
    for j in range(gnorm.shape[0]):
        gnorm[j] = math.sqrt(_squared_norm(g[2 * j], g[2 * j + 1]))


@_jit
def _commit(
    xy, old, code, sp, mask, full, f, g, traj, loss, gnorm, grad, k, pending, status, lim, below,
    keep, at_limit, scratch,
) -> None:  # fmt: skip
    """Record a block's evaluated new points ``xy`` (loss ``f``, gradients ``g``) runner by
    runner, as ``Race._step_rows`` does, when some runner stops or sat the step out.

    A point that fails :func:`~gdstudio.engine.stop.point_ok` is not recorded and
    its runner stops as diverged; a squared gradient norm below ``below`` (see
    ``StopRule.converged_below``) stops it as converged, the step limit as max_steps.
    After a ``full`` step the points, loss and gradient already lie in their rows
    (``xy`` is ``traj``, ``f`` is ``loss``, ``g`` is ``grad``): a point that is not
    recorded only fills rows past its runner's count, and its runner's gradient is
    evaluated again at its last point ``old``. ``pending`` steps owed to every
    runner's count are paid here. Without ``keep`` the norms are left to
    :func:`_finish_norms`.
    """
    nb = mask.shape[0]
    for j in range(nb):
        k[j] += pending
    for j in range(nb):
        if not mask[j]:
            continue
        x, y, fj = xy[2 * j], xy[2 * j + 1], f[j]
        q = _squared_norm(g[2 * j], g[2 * j + 1])
        if not _point_ok(x, y, fj, q, lim):
            status[j] = _DIVERGED
            if full:  # the gradient at its last point, as it was
                _evaluate(code, old[2 * j : 2 * j + 2], sp, scratch[0, :1], grad[2 * j : 2 * j + 2])
            continue
        traj[2 * j], traj[2 * j + 1] = x, y
        grad[2 * j], grad[2 * j + 1] = g[2 * j], g[2 * j + 1]
        loss[j] = fj
        if keep:
            gnorm[j] = math.sqrt(q)
        k[j] += 1
        if q < below:
            status[j] = _CONVERGED
        elif at_limit:
            status[j] = _MAX_STEPS


@_jit
def _finish_norms(gnorm, grad, k, mask, lo, hi) -> None:
    """Without history, the gradient norm at the last point of runners lo … hi−1 that
    stepped (row k mod 2). ``grad`` holds the gradient there, so the norm comes out
    as a recorded step would have written it."""
    for r in range(lo, hi):
        if mask[r]:
            gnorm[k[r] & 1, r] = math.sqrt(_squared_norm(grad[2 * r], grad[2 * r + 1]))


@_jit
def _run(
    kernel, spans, state, entry_of, mask, traj, loss, gnorm, grad, k, status, code, sp, lim,
    below, keep, rows, at_limit, prep, numbers,
) -> int:  # fmt: skip
    """Up to ``len(at_limit)`` steps of one group's runners.

    ``kernel`` is the group's optimizer (see ``CompiledStep``); ``spans`` is (R, 3):
    first runner, end and first state row of each contiguous stretch of the
    group's runners, and ``entry_of[j]`` the setting (entry) of state row j. The
    race arrays come whole, two-wide ones flattened: ``traj`` (capacity, 2R),
    ``loss`` and ``gnorm`` (capacity, R), ``grad`` (2R); step s reads history row
    ``rows[s]`` and writes row ``rows[s + 1]``; ``keep`` tells whether the history
    keeps every row (else rows are k mod 2). ``state`` holds the group's state
    fields flattened, (F, 2n); ``prep[s]`` is (settings, 3), per setting (maximize,
    coupled weight decay, decoupled shrink factor), and ``numbers[s]`` the kernel's
    numbers per setting for step s. The first step moves the runners in ``mask``,
    later ones those still running. Each block is taken through every step while
    it sits in the cache. Returns the number of steps during which some runner moved.
    """
    n_fields = state.shape[0]
    made = 0
    # Scratch for one block, sliced to each block's size.
    # (Zeros: see History. A stopped runner's numbers here are computed and thrown away.)
    xy_, p_prep_, g_prep_ = np.zeros(2 * BLOCK), np.zeros(2 * BLOCK), np.zeros(2 * BLOCK)
    cur_, new_ = np.zeros(n_fields * 2 * BLOCK), np.zeros(n_fields * 2 * BLOCK)
    scratch_, act_ = np.zeros(2 * 2 * BLOCK), np.empty(BLOCK, dtype=np.bool_)
    for r in range(spans.shape[0]):
        lo0, hi0, state0 = spans[r, 0], spans[r, 1], spans[r, 2]
        for lo in range(lo0, hi0, BLOCK):
            hi = min(lo + BLOCK, hi0)
            nb, e0, e1 = hi - lo, 2 * lo, 2 * hi
            first = lo - lo0 + state0
            parts = _cut(entry_of, first, nb)
            xy, p_prep, g_prep = xy_[: 2 * nb], p_prep_[: 2 * nb], g_prep_[: 2 * nb]
            size = n_fields * 2 * nb  # the kernels take C-contiguous (fields, 2nb) arrays
            cur, new = (
                cur_[:size].reshape((n_fields, 2 * nb)),
                new_[:size].reshape((n_fields, 2 * nb)),
            )
            for f in range(n_fields):
                for e in range(2 * nb):
                    cur[f, e] = state[f, 2 * first + e]
            scratch, act = scratch_[: 2 * 2 * nb].reshape((2, 2 * nb)), act_[:nb]
            for j in range(nb):
                act[j] = mask[lo + j]
            full = _all_set(act)
            pending = 0
            for s in range(at_limit.shape[0]):
                if s > 0 and not full:  # some runner stopped: step those still running
                    for j in range(nb):
                        act[j] = status[lo + j] == _RUNNING
                    full = _all_set(act)
                if not full and not np.any(act):
                    break
                g, old = grad[e0:e1], traj[rows[s], e0:e1]
                p, g_opt = _prepare(old, g, prep[s], parts, p_prep, g_prep)
                out = rows[s + 1]
                # Every runner steps: the new points, their loss and gradient go straight
                # into their rows, and the new state is the state (nothing to copy).
                moved = traj[out, e0:e1] if full else xy
                kernel(p, g_opt, cur, new, moved, numbers[s], parts)
                f_new, g_new = (loss[out, lo:hi], g) if full else (scratch[0, :nb], scratch[1])
                bad = _evaluate_checked(code, moved, sp, f_new, g_new, lim, below)
                if full:
                    cur, new = new, cur
                else:
                    _keep(cur, new, act)
                if full and bad == 0 and not at_limit[s]:  # the common case
                    if keep:
                        _norms(gnorm[out, lo:hi], g)
                    pending += 1  # paid to the step counts at the end
                else:
                    _commit(moved, old, code, sp, act, full, f_new, g_new, traj[out, e0:e1],
                            loss[out, lo:hi], gnorm[out, lo:hi], g, k[lo:hi], pending,
                            status[lo:hi], lim, below, keep, at_limit[s], scratch)  # fmt: skip
                    pending, full = 0, False
                made = max(made, s + 1)
            for j in range(lo, hi):
                k[j] += pending
            if not keep:
                _finish_norms(gnorm, grad, k, mask, lo, hi)
            for f in range(n_fields):
                for e in range(2 * nb):
                    state[f, 2 * first + e] = cur[f, e]
    return made


# ---------------------------------------------------------------- plans
_KERNELS: dict[str, Any] = {}
_POOL: ThreadPoolExecutor | None = None


def threads() -> int:
    """Threads that step a big race: every core (``GDSTUDIO_THREADS`` overrides)."""
    wanted = os.environ.get("GDSTUDIO_THREADS", "")
    return max(1, int(wanted)) if wanted.isdigit() else max(1, os.cpu_count() or 1)


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=threads(), thread_name_prefix="gdstudio-race")
    return _POOL


def _split(run: npt.NDArray[np.intp], parts: int) -> list[npt.NDArray[np.intp]]:
    """A run of runners cut into up to ``parts`` runs of nearly equal length, one per
    thread, and into no more runs than it fills blocks: the threads finish together."""
    first, end, state_row = (int(v) for v in run)
    parts = max(1, min(parts, -(-(end - first) // BLOCK)))
    cuts = [first + (end - first) * i // parts for i in range(parts + 1)]
    return [np.array([lo, hi, state_row + lo - first], dtype=np.intp)
            for lo, hi in itertools.pairwise(cuts)]  # fmt: skip


def _kernel(name: str) -> Any:
    """Optimizer ``name``'s kernel, compiled (once) as a function the driver calls by address."""
    if name not in _KERNELS:
        compile_kernel = numba.cfunc(KERNEL_SIGNATURE, cache=True, error_model="numpy")
        _KERNELS[name] = compile_kernel(OPTIMIZERS[name].compiled.kernel)
    return _KERNELS[name]


def _lives_in(field: FloatArray, row: FloatArray) -> bool:
    """Whether a state field is ``row`` of a stack itself, seen as (n, 2): nothing to copy."""
    return field.shape == (row.shape[0] // 2, 2) and field.ctypes.data == row.ctypes.data


def _run_task(task: tuple) -> int:
    """One stretch of a group's runners through :func:`_run`.

    ``task`` is (kernel, part, state fields, stacked, the rest of _run's arguments).
    A field that does not live in its row of the stack (see :meth:`FusedPlan.home`)
    has the task's own rows moved into the stacked layout the kernels read and
    back, so the threads share that copying too.
    """
    kernel, part, fields, stacked, common = task
    lo, hi, first = (int(v) for v in part[0])
    rows = slice(first, first + hi - lo)
    apart = [(row, f) for row, f in zip(stacked, fields, strict=True) if not _lives_in(f, row)]
    for row, f in apart:
        row.reshape(-1, 2)[rows] = f[rows]  # (n, 1) fields (NAdam's μ product) fill both columns
    made = _run(kernel, part, stacked, *common)
    for row, f in apart:
        f[rows] = row.reshape(-1, 2)[rows, : f.shape[1]]
    return made


class GroupRows(NamedTuple):
    """What :func:`plan` needs of one optimizer group of a race."""

    name: str
    hp: dict[str, Any]
    """Hyperparameters per entry of the group: floats, or (entries, 1) arrays where they differ."""
    rows: npt.NDArray[np.intp]
    """The group's runners, sorted (row j of its state is runner rows[j])."""
    entry_of: npt.NDArray[np.intp]
    """The entry (setting) of each of the group's runners."""
    block: FloatArray
    """(fields, n, 2): where the group's state lives (``Group.block``); the kernels read
    it as (fields, 2n)."""


def _step_numbers(
    group: GroupRows, lrs: FloatArray, first_step: int
) -> tuple[FloatArray, FloatArray]:
    """A group's ``prep`` and kernel ``numbers`` (see :func:`_run`) for the steps from
    ``first_step``, given its entries' learning rates ``lrs`` (steps, entries)."""
    compiled = OPTIMIZERS[group.name].compiled
    hp = group.hp
    count, n_entries = lrs.shape
    wd = np.broadcast_to(np.reshape(hp.get("weight_decay", 0.0), -1), (n_entries,))
    decoupled = compiled.decoupled_decay(hp)
    prep = np.empty((count, n_entries, 3))
    prep[..., 0] = float(hp.get("maximize", False))
    prep[..., 1] = 0.0 if decoupled else wd
    # 1 − lr·wd elementwise, as decay_params computes it; 1 leaves positions alone.
    prep[..., 2] = np.where(decoupled & (wd != 0.0), 1 - lrs * wd, 1.0)
    alike = (lrs == lrs[:, :1]).all(axis=1).tolist()
    rows = [compiled.numbers(hp, float(lr[0]) if same else lr[:, None], first_step + s)
            for s, (lr, same) in enumerate(zip(lrs, alike, strict=True))]  # fmt: skip
    # Alike rows have alike types, so the first tells whether any holds an array.
    if all(alike) and not any(isinstance(value, np.ndarray) for value in rows[0]):
        # One setting's numbers (the usual race): a single conversion for every step.
        return prep, np.repeat(np.array(rows, dtype=np.float64)[:, None, :], n_entries, axis=1)
    numbers = np.empty((count, n_entries, len(rows[0])))
    for s, row in enumerate(rows):
        for i, value in enumerate(row):
            numbers[s, :, i] = np.reshape(value, -1)  # a number for all settings, or one each
    return prep, numbers


def _spans(group: GroupRows) -> npt.NDArray[np.intp]:
    """The group's runners cut into contiguous stretches, as :func:`_run` takes them."""
    rows = group.rows
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    first, end = np.r_[0, breaks], np.r_[breaks, len(rows)]
    return np.ascontiguousarray(np.column_stack([rows[first], rows[end - 1] + 1, first]),
                                dtype=np.intp)  # fmt: skip


@dataclass(frozen=True)
class FusedPlan:
    """How to step a race in compiled code: the surface, and each group's optimizer."""

    code: int
    surface_params: FloatArray
    groups: tuple[GroupRows, ...]
    spans: tuple[npt.NDArray[np.intp], ...]
    """Per group, its contiguous stretches of runners (see :func:`_run`)."""

    def _stack(self, index: int) -> FloatArray:
        """Group ``index``'s state block as the kernels read it, (fields, 2n): a view."""
        fields, n, _ = self.groups[index].block.shape
        return self.groups[index].block.reshape(fields, 2 * n)

    def home(self, index: int, fields: tuple) -> tuple:
        """Group ``index``'s state ``fields`` with each (n, 2) field moved into its row of
        the stack, as a view: the kernels then read and write the state itself, and a
        step copies nothing. Fields already there come back as they are; (n, 1) fields
        (a number per runner, which the stack holds twice) stay apart."""
        stack = self._stack(index)
        homed = []
        for row, f in zip(stack, fields, strict=True):
            if f.shape[1] == 2 and not _lives_in(f, row):
                view = row.reshape(-1, 2)
                view[...] = f
                f = view
            homed.append(f)
        return type(fields)(*homed)

    def advance(
        self,
        history: History,
        mask: npt.NDArray[np.bool_],
        first_step: int,
        states: list[tuple],
        lrs: list[FloatArray],
        rows: npt.NDArray[np.intp],
        at_limit: npt.NDArray[np.bool_],
        rule: StopRule,
    ) -> int:
        """Up to ``len(at_limit)`` steps of the runners in ``mask``; see :func:`_run`.

        ``first_step`` is the 1-based number of the first step; ``states`` are the
        groups' optimizer states (updated in place), ``lrs[g]`` group g's learning
        rates, (steps, entries). Returns the number of steps made.
        """
        n = history.traj.shape[1]
        traj = history.traj.reshape(history.traj.shape[0], 2 * n)
        grad = history.grad.reshape(2 * n)
        tasks = []
        for index, group in enumerate(self.groups):
            prep, numbers = _step_numbers(group, lrs[index], first_step)
            fields = states[index]
            stack = self._stack(index)
            common = (group.entry_of, mask, traj, history.loss, history.gnorm, grad, history.k,
                      history.status, self.code, self.surface_params, float(rule.max_abs),
                      rule.converged_below(), history.keep, rows, at_limit, prep, numbers)  # fmt: skip
            kernel = _kernel(group.name)
            tasks += [(kernel, part[None], fields, stack, common)
                      for span in self.spans[index] for part in _split(span, threads())]  # fmt: skip
        if len(tasks) == 1:
            return _run_task(tasks[0])
        return max(_pool().map(_run_task, tasks))  # disjoint runners; _run lets go of the GIL


def plan(
    surface: str, surface_params: dict[str, float], groups: list[GroupRows]
) -> FusedPlan | None:
    """A :class:`FusedPlan` for a race, or None when some part has no compiled kernel."""
    if surface not in SURFACES:
        return None
    if any(OPTIMIZERS[group.name].compiled is None for group in groups):
        return None
    code, names = SURFACES[surface]
    params = np.array([surface_params[n] for n in names], dtype=np.float64)
    return FusedPlan(code, params, tuple(groups), tuple(_spans(g) for g in groups))
