"""Pieces the optimizers share, written once in torch.optim's order of operations.

Matching torch's float64 numbers means matching its arithmetic order, so each
helper says which torch kernel it mirrors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from gdstudio.engine.optimizers.base import Array, HyperParam, Scalar


def nonzero(value: Scalar) -> bool:
    """True when a (possibly per-runner) hyperparameter is not 0 for some runner."""
    if isinstance(value, (float, int)):  # the common case, without NumPy's overhead
        return value != 0
    # NaN counts as nonzero, as it does for value != 0; count_nonzero is a plain C loop,
    # several times cheaper than the ufunc reduction any() on the few rows of a small race.
    return bool(np.count_nonzero(value))


def per_runner(fn: Callable[..., float], *args: Scalar) -> Scalar:
    """``fn`` of scalar hyperparameters, in Python floats as torch computes it.

    With per-runner (n, 1) arrays, ``fn`` runs once per distinct combination of
    values (a handful of optimizer entries, never once per runner), because
    NumPy's vectorized ``**`` may differ from Python's in the last bit.
    """
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    if not arrays:
        return fn(*args)
    n = arrays[0].shape[0]
    columns = np.column_stack([np.broadcast_to(np.asarray(a, dtype=np.float64).reshape(-1), (n,))
                               for a in args])  # fmt: skip
    unique, inverse = np.unique(columns, axis=0, return_inverse=True)
    values = np.array([fn(*map(float, row)) for row in unique])
    return values[inverse.reshape(-1)][:, None]


# torch's addcdiv(self, t1, t2, value) computes self + (value·t1)/t2, in that order.


def lerp(start: Array, end: Array, weight: Scalar) -> Array:
    """torch.lerp's CPU kernel: ``start + w·(end − start)`` for w < 0.5, else
    ``end − (end − start)·(1 − w)``, chosen per element like torch."""
    diff = end - start
    if not isinstance(weight, np.ndarray):
        if weight < 0.5:
            diff *= weight
            diff += start
            return diff
        diff *= 1 - weight
        return np.subtract(end, diff, out=diff)
    return np.where(weight < 0.5, start + weight * diff, end - diff * (1 - weight))


def ema_sq(avg: Array, grad: Array, beta: Scalar) -> Array:
    """``avg.mul_(beta).addcmul_(grad, grad, value=1 − beta)``."""
    out = (1 - beta) * grad
    out *= grad
    out += avg * beta
    return out


def root_over(v: float, divisor: float, reciprocal: float) -> float:
    """``√v / divisor`` for one element of a compiled kernel, rounded as that division rounds.

    ``reciprocal`` is ``1 / divisor`` (rounded), passed with the step's numbers. Here
    it is unused; the compiled path (:mod:`gdstudio.engine.fused_math`) uses it to
    give the same float without the divider, which bounds Adam's kernel: ``divisor``
    is a step's constant, such as Adam's √(1 − β₂ᵗ) (outside [2⁻⁶⁴, 2⁶⁴] it divides).
    """
    return math.sqrt(v) / divisor


def prepare_grad(grad: Array, params: Array, hp: dict[str, Any], decoupled: bool = False) -> Array:
    """Negate for ``maximize``; add L2 weight decay unless it is decoupled."""
    if hp.get("maximize", False):
        grad = -grad
    wd = hp.get("weight_decay", 0.0)
    if not decoupled and nonzero(wd):
        grad = grad + wd * params
    return grad


def decay_params(params: Array, lr: Scalar, hp: dict[str, Any]) -> Array:
    """Decoupled weight decay (AdamW): ``param.mul_(1 − lr·weight_decay)``."""
    wd = hp.get("weight_decay", 0.0)
    return params * (1 - lr * wd) if nonzero(wd) else params


def step_counts(state: tuple, step: int) -> Array:
    """torch's ``step`` entry of the state: the steps taken, one float per runner."""
    return np.full(len(state[0]), float(step))


def zeros_like_rows(params: Array, width: int = 2) -> Array:
    """A fresh (n, width) float64 state array of zeros."""
    return np.zeros((params.shape[0], width))


# ---------------------------------------------------------------- common hyperparameters
def lr_param(default: float, doc: str = "step size") -> HyperParam:
    """The learning rate, as torch validates it (≥ 0)."""
    return HyperParam("lr", default, low=0.0, doc=f"learning rate: {doc}")


def eps_param(default: float) -> HyperParam:
    """The term added to denominators for numerical stability (≥ 0)."""
    return HyperParam("eps", default, low=0.0, doc="added to the denominator for stability")


def weight_decay_param(default: float = 0.0, decoupled: bool = False) -> HyperParam:
    """L2 penalty (added to the gradient), or decoupled decay when ``decoupled``."""
    doc = "decoupled weight decay (shrinks the weights)" if decoupled else "L2 penalty"
    return HyperParam("weight_decay", default, low=0.0, doc=doc)


def betas_param(default: tuple[float, float] = (0.9, 0.999)) -> HyperParam:
    """Averaging coefficients of the gradient and its square, each in [0, 1)."""
    return HyperParam(
        "betas", default, kind="pair", low=0.0, high=1.0, high_open=True,
        doc="decay rates of the running averages of the gradient and of its square",
    )  # fmt: skip


MAXIMIZE = HyperParam("maximize", False, kind="bool", doc="ascend instead of descend")
