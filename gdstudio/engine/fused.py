"""Compiled one-pass steps for big races: surface, optimizer and stop rules fused per runner.

The NumPy path of :class:`~gdstudio.engine.race.Race` makes some thirty passes over
the runner arrays per step (one per array operation). For races of many thousands
of runners that is memory traffic, not arithmetic, so the common cases are also
written here as Numba kernels that step a block of runners, evaluate the surface at
the new points, apply the stop rules and record the results in a few passes over
cache-resident arrays, and take each block through many steps before moving on.

These kernels are a second implementation of the same float64 arithmetic, in the
same order of operations as the NumPy code they replace (see the references on
each), with no fast-math: a race gives bit-identical results on either path,
which ``tests/engine/test_fused.py`` checks. Anything not covered here (other
surfaces or optimizers, per-runner hyperparameters, weight decay, batch mode)
takes the NumPy path.

Numba is imported only when a race is big enough to use this module; compiled
kernels are cached on disk (``NUMBA_CACHE_DIR``, by default under the user's cache
directory) so only the first big race on a machine pays for compiling.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from gdstudio.engine import compile_cache, functions
from gdstudio.engine.stop import Status

# Numba reads its cache location when it is imported, so this comes first.
os.environ.setdefault(
    "NUMBA_CACHE_DIR", str(compile_cache.kernel_cache_dir(functions.__file__, __file__))
)
import numba  # after the cache location is set

FloatArray = npt.NDArray[np.float64]
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")

# Status codes as plain ints, which Numba folds into the kernels as constants.
_RUNNING, _CONVERGED, _DIVERGED, _MAX_STEPS = (int(s) for s in Status)

BLOCK = 1024
"""Runners per block: a block's scratch arrays stay in the L1 cache between passes."""


# ---------------------------------------------------------------- surfaces
def _compiled(name: str, part: str) -> Any:
    """A built-in function's NumPy formula (``value`` or ``grad``), compiled for one point.

    Plain arithmetic rounds the same on one point as on an array, so these give
    the NumPy path's numbers; only such formulas are compiled.
    """
    return _jit(getattr(functions.FUNCTIONS[name], part))


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
}
"""Built-in functions with a compiled value and gradient: name -> (code, parameter order)."""


@_jit
def _rosenbrock(xy, sp, f, gx, gy) -> None:
    """Rosenbrock at interleaved points, rounding as ``functions._rosenbrock_value_grad_into``.

    The NumPy version writes into buffers, so it cannot be compiled as it is.
    """
    a, b = sp[0], sp[1]
    for j in range(f.shape[0]):
        x, y = xy[2 * j], xy[2 * j + 1]
        t = y - x * x
        u = a - x
        f[j] = (t * t) * b + u * u
        gx[j] = ((t * (-4.0 * b)) + 2.0) * x - 2.0 * a
        gy[j] = t * (2.0 * b)


@_jit
def _evaluate(code, xy, sp, f, gx, gy) -> None:
    """The surface ``code`` (see :data:`SURFACES`) at interleaved points: f and its gradient."""
    if code == 0:
        _rosenbrock(xy, sp, f, gx, gy)
        return
    for j in range(f.shape[0]):
        x, y = xy[2 * j], xy[2 * j + 1]
        if code == 1:
            f[j], (gx[j], gy[j]) = _quadratic_value(x, y), _quadratic_grad(x, y)
        elif code == 2:
            f[j], (gx[j], gy[j]) = _himmelblau_value(x, y), _himmelblau_grad(x, y)
        elif code == 3:
            f[j], (gx[j], gy[j]) = _booth_value(x, y), _booth_grad(x, y)
        elif code == 4:
            f[j], (gx[j], gy[j]) = _camel3_value(x, y), _camel3_grad(x, y)
        elif code == 5:
            f[j], (gx[j], gy[j]) = _camel6_value(x, y), _camel6_grad(x, y)
        elif code == 6:
            f[j], (gx[j], gy[j]) = _matyas_value(x, y), _matyas_grad(x, y)
        elif code == 7:
            f[j], (gx[j], gy[j]) = _st_value(x, y), _st_grad(x, y)
        elif code == 8:
            f[j], (gx[j], gy[j]) = _saddle_value(x, y), _saddle_grad(x, y)
        elif code == 9:
            f[j], (gx[j], gy[j]) = _monkey_value(x, y), _monkey_grad(x, y)


# ---------------------------------------------------------------- one block
# The drivers below cut the race into blocks and hand each helper views of one block,
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
def _keep(state, new, mask, full) -> None:
    """Store a block's new optimizer state (two per runner) for the stepped runners."""
    if full:
        for e in range(state.shape[0]):
            state[e] = new[e]
        return
    for j in range(mask.shape[0]):
        if mask[j]:
            state[2 * j] = new[2 * j]
            state[2 * j + 1] = new[2 * j + 1]


@_jit
def _record(
    xy, code, sp, mask, full, traj, loss, gnorm, grad, k, status, lim, tol, at_limit, scratch,
) -> None:  # fmt: skip
    """Evaluate a block's new points ``xy`` and record them, as ``Race._step_rows`` does.

    A point whose position, loss or gradient is not finite or exceeds ``lim`` is
    not recorded and its runner stops as diverged; a gradient norm below ``tol``
    stops it as converged, the step limit as max_steps.
    """
    nb = mask.shape[0]
    f, gx, gy, gn = scratch[0, :nb], scratch[1, :nb], scratch[2, :nb], scratch[3, :nb]
    _evaluate(code, xy, sp, f, gx, gy)
    bad = 0
    for j in range(nb):  # one vectorized pass; the branchy loop below runs only when needed
        x, y, fj = xy[2 * j], xy[2 * j + 1], f[j]
        norm = math.sqrt(gx[j] * gx[j] + gy[j] * gy[j])
        gn[j] = norm
        ok = (abs(x) <= lim) & (abs(y) <= lim) & (abs(fj) <= lim) & math.isfinite(norm)
        ok &= math.isfinite(x) & math.isfinite(y) & math.isfinite(fj) & (norm >= tol)
        bad += 0 if ok else 1
    if full and bad == 0 and not at_limit:
        for j in range(nb):
            traj[2 * j] = xy[2 * j]
            traj[2 * j + 1] = xy[2 * j + 1]
            grad[2 * j] = gx[j]
            grad[2 * j + 1] = gy[j]
            loss[j] = f[j]
            gnorm[j] = gn[j]
            k[j] += 1
        return
    for j in range(nb):
        if not mask[j]:
            continue
        x, y, fj, norm = xy[2 * j], xy[2 * j + 1], f[j], gn[j]
        ok = abs(x) <= lim and abs(y) <= lim and abs(fj) <= lim and math.isfinite(norm)
        if not (ok and math.isfinite(x) and math.isfinite(y) and math.isfinite(fj)):
            status[j] = _DIVERGED
            continue
        traj[2 * j], traj[2 * j + 1] = x, y
        grad[2 * j], grad[2 * j + 1] = gx[j], gy[j]
        loss[j] = fj
        gnorm[j] = norm
        k[j] += 1
        if norm < tol:
            status[j] = _CONVERGED
        elif at_limit:
            status[j] = _MAX_STEPS


# ---------------------------------------------------------------- optimizers
@_jit
def _sgd_block(p, g, b, xy, nbuf, lr, momentum, keep, nesterov, first) -> None:
    """SGD's new points (and momentum buffers) for one block, as ``sgd.update`` orders it."""
    heavy = momentum != 0.0
    for e in range(p.shape[0]):
        gi = g[e]
        if heavy:
            bi = gi if first else b[e] * momentum + gi * keep
            nbuf[e] = bi
            gi = gi + bi * momentum if nesterov else bi
        xy[e] = p[e] - lr * gi


@_jit
def _adam_block(
    p, g, m, v, xy, nm, nv, beta1, beta2, step_size, bias_correction2_sqrt, eps
) -> None:
    """Adam's new points and moments for one block, as ``adam._adam_step`` orders it.

    The first moment follows ``transforms.lerp`` (torch's CPU lerp kernel).
    """
    w = 1.0 - beta1
    low = w < 0.5
    c = 1.0 - beta2
    for e in range(p.shape[0]):
        gi, mi = g[e], m[e]
        mm = (gi - mi) * w + mi if low else gi - (gi - mi) * (1.0 - w)
        vv = (c * gi) * gi + v[e] * beta2
        nm[e] = mm
        nv[e] = vv
        denom = math.sqrt(vv) / bias_correction2_sqrt + eps
        xy[e] = ((-step_size) * mm) / denom + p[e]


@_jit
def _run(
    opt, run, mask, traj, loss, gnorm, grad, k, status, code, sp, lim, tol, rows, at_limit,
    state, scalars, flags,
) -> int:  # fmt: skip
    """Up to ``len(at_limit)`` steps of one contiguous run of a group's runners.

    ``opt`` picks the optimizer (0: SGD, 1: Adam). ``run`` is (first runner, end,
    first state row). The race arrays come whole, two-wide ones flattened: ``traj``
    (capacity, 2R), ``loss`` and ``gnorm`` (capacity, R), ``grad`` (2R); step s reads
    history row ``rows[s]`` and writes row ``rows[s + 1]``. ``state`` holds the group's
    state arrays flattened, ``scalars[s]`` and ``flags`` the optimizer's numbers for
    step s. The first step moves the runners in ``mask``, later ones those still
    running. The race is cut into blocks, each taken through every step while it
    sits in the cache. Returns the number of steps during which some runner moved.
    """
    lo0, hi0, state0 = run
    xy = np.empty(2 * BLOCK)
    new_state = np.empty((state.shape[0], 2 * BLOCK))
    scratch = np.empty((4, BLOCK))
    active = np.empty(BLOCK, dtype=np.bool_)
    made = 0
    for lo in range(lo0, hi0, BLOCK):
        hi = min(lo + BLOCK, hi0)
        nb, e0, e1 = hi - lo, 2 * lo, 2 * hi
        s0, s1 = 2 * (lo - lo0 + state0), 2 * (hi - lo0 + state0)
        act = active[:nb]
        for j in range(nb):
            act[j] = mask[lo + j]
        for s in range(at_limit.shape[0]):
            if s > 0:
                for j in range(nb):
                    act[j] = status[lo + j] == _RUNNING
            full = _all_set(act)
            if not full and not np.any(act):
                break
            p, g = traj[rows[s], e0:e1], grad[e0:e1]
            if opt == 0:
                lr, momentum, keep = scalars[s, 0], scalars[s, 1], scalars[s, 2]
                _sgd_block(p, g, state[0, s0:s1], xy, new_state[0], lr, momentum, keep,
                           flags[0], flags[1] and s == 0)  # fmt: skip
                if momentum != 0.0:
                    _keep(state[0, s0:s1], new_state[0], act, full)
            else:
                _adam_block(p, g, state[0, s0:s1], state[1, s0:s1], xy, new_state[0],
                            new_state[1], scalars[s, 0], scalars[s, 1], scalars[s, 2],
                            scalars[s, 3], scalars[s, 4])  # fmt: skip
                _keep(state[0, s0:s1], new_state[0], act, full)
                _keep(state[1, s0:s1], new_state[1], act, full)
            out = rows[s + 1]
            _record(xy, code, sp, act, full, traj[out, e0:e1], loss[out, lo:hi],
                    gnorm[out, lo:hi], g, k[lo:hi], status[lo:hi], lim, tol, at_limit[s],
                    scratch)  # fmt: skip
            made = max(made, s + 1)
    return made


# ---------------------------------------------------------------- plans
SetupResult = tuple[int, FloatArray, npt.NDArray[np.bool_], int]
"""(optimizer code, per-step scalars, flags, number of state fields), as :func:`_run` takes them."""
Setup = Callable[[dict, list[float], int], SetupResult]
"""``setup(hp, lrs, first_step)``: an optimizer's numbers for the steps from ``first_step``."""


def _sgd_setup(hp: dict[str, Any], lrs: list[float], first_step: int) -> SetupResult:
    scalars = np.empty((len(lrs), 5))
    scalars[:, 0] = lrs
    scalars[:, 1] = hp["momentum"]
    scalars[:, 2] = 1.0 - hp["dampening"]
    return 0, scalars, np.array([hp["nesterov"], first_step == 1]), 1


def _adam_setup(hp: dict[str, Any], lrs: list[float], first_step: int) -> SetupResult:
    beta1, beta2 = hp["betas"]
    scalars = np.empty((len(lrs), 5))
    scalars[:, 0], scalars[:, 1], scalars[:, 4] = beta1, beta2, hp["eps"]
    for s, lr in enumerate(lrs):  # Python floats, as adam._adam_step computes them
        step = first_step + s
        scalars[s, 2] = lr / (1 - beta1**step)
        scalars[s, 3] = (1 - beta2**step) ** 0.5
    return 1, scalars, np.zeros(2, dtype=np.bool_), 2


def _sgd_eligible(hp: dict[str, Any]) -> bool:
    return hp["weight_decay"] == 0.0 and not hp["maximize"]


def _adam_eligible(hp: dict[str, Any]) -> bool:
    return hp["weight_decay"] == 0.0 and not hp["maximize"] and not hp["amsgrad"]


_OPTIMIZERS: dict[str, tuple[Callable[[dict], bool], Setup]] = {
    "sgd": (_sgd_eligible, _sgd_setup),
    "adam": (_adam_eligible, _adam_setup),
    "adamw": (_adam_eligible, _adam_setup),
}


class GroupRows(NamedTuple):
    """What :func:`plan` needs of one optimizer group of a race."""

    name: str
    hp: dict[str, Any]
    per_runner: bool
    """Some hyperparameter differs between the group's runners."""
    rows: npt.NDArray[np.intp]
    """The group's runners, sorted (row j of its state is runner rows[j])."""


class RaceArrays(NamedTuple):
    """The race arrays a fused step reads and writes, indexed by runner."""

    traj: FloatArray  # (capacity, R, 2)
    loss: FloatArray  # (capacity, R)
    gnorm: FloatArray  # (capacity, R)
    grad: FloatArray  # (R, 2) gradient at the current point
    k: npt.NDArray[np.intp]  # (R,) steps taken
    status: npt.NDArray[np.int8]  # (R,)


@dataclass(frozen=True)
class FusedPlan:
    """How to step a race in compiled code: the surface, and each group's optimizer."""

    code: int
    surface_params: FloatArray
    groups: tuple[GroupRows, ...]
    runs: tuple[tuple[int, npt.NDArray[np.intp]], ...]
    """Contiguous runs of runners as (group, [first runner, end, first state row])."""

    def advance(
        self,
        arrays: RaceArrays,
        mask: npt.NDArray[np.bool_],
        first_step: int,
        states: list[tuple],
        lrs: list[list[float]],
        rows: npt.NDArray[np.intp],
        at_limit: npt.NDArray[np.bool_],
        stop: tuple[float, float],
    ) -> int:
        """Up to ``len(at_limit)`` steps of the runners in ``mask``; see :func:`_run`.

        ``first_step`` is the 1-based number of the first step; ``states`` are the groups' optimizer states (updated in place), ``lrs[g][s]``
        group g's learning rate at step s. Returns the number of steps made.
        """
        n = arrays.traj.shape[1]
        traj = arrays.traj.reshape(arrays.traj.shape[0], 2 * n)
        grad = arrays.grad.reshape(2 * n)
        made = 0
        for index, group in enumerate(self.groups):
            opt, scalars, flags, n_fields = _OPTIMIZERS[group.name][1](group.hp, lrs[index],
                                                                       first_step)  # fmt: skip
            fields = states[index][:n_fields]
            stacked = np.stack([f.reshape(-1) for f in fields])
            for g, run in self.runs:
                if g == index:
                    made = max(made, _run(opt, run, mask, traj, arrays.loss, arrays.gnorm, grad,
                                          arrays.k, arrays.status, self.code,
                                          self.surface_params, *stop, rows, at_limit, stacked,
                                          scalars, flags))  # fmt: skip
            for f, new in zip(fields, stacked, strict=True):
                f[...] = new.reshape(f.shape)
        return made


def plan(
    surface: str, surface_params: dict[str, float], groups: list[GroupRows]
) -> FusedPlan | None:
    """A :class:`FusedPlan` for a race, or None when some part has no compiled kernel.

    Groups whose hyperparameters differ between runners take the NumPy path.
    """
    if surface not in SURFACES:
        return None
    runs = []
    for index, group in enumerate(groups):
        eligible = _OPTIMIZERS[group.name][0] if group.name in _OPTIMIZERS else None
        if group.per_runner or eligible is None or not eligible(group.hp):
            return None
        breaks = np.flatnonzero(np.diff(group.rows) != 1) + 1
        for first, last in zip(np.r_[0, breaks], np.r_[breaks, len(group.rows)], strict=True):
            run = (int(group.rows[first]), int(group.rows[last - 1]) + 1, int(first))
            runs.append((index, np.array(run, dtype=np.intp)))
    code, names = SURFACES[surface]
    params = np.array([surface_params[n] for n in names], dtype=np.float64)
    return FusedPlan(code, params, tuple(groups), tuple(runs))
