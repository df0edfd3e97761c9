"""Per-coordinate adaptive step sizes: AdaGrad, RMSprop and Adadelta (torch.optim).

AdaGrad::

    clr ← lr / (1 + (t − 1)·lr_decay);  s ← s + g²;  θ ← θ − clr·g / (√s + eps)

RMSprop::

    v ← α·v + (1 − α)·g²;  (centered: ḡ ← lerp(ḡ, g, 1 − α), v̂ = v − ḡ²)
    d ← √v̂ + eps;  momentum: b ← μ·b + g/d, θ ← θ − lr·b;  else θ ← θ − lr·g/d

Adadelta::

    v ← ρ·v + (1 − ρ)·g²;  Δ ← √(u + eps)/√(v + eps)·g;  u ← ρ·u + (1 − ρ)·Δ²;  θ ← θ − lr·Δ
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from gdstudio.engine.optimizers.base import (
    Anatomy,
    Array,
    CompiledStep,
    HyperParam,
    OptimizerSpec,
    Scalar,
)
from gdstudio.engine.optimizers.transforms import (
    MAXIMIZE,
    ema_sq,
    eps_param,
    lerp,
    lr_param,
    nonzero,
    prepare_grad,
    step_counts,
    weight_decay_param,
    zeros_like_rows,
)


class AdagradState(NamedTuple):
    """State of AdaGrad."""

    sum: Array  # (n, 2) running sum of squared gradients


def adagrad_init(params: Array, hp: dict[str, Any]) -> AdagradState:
    """The accumulator starts at ``initial_accumulator_value``."""
    return AdagradState(zeros_like_rows(params) + hp["initial_accumulator_value"])


def adagrad_update(
    params: Array, grad: Array, state: AdagradState, hp: dict[str, Any], lr: Any, step: int,
) -> tuple[Array, AdagradState]:  # fmt: skip
    """One torch.optim.Adagrad step."""
    g = prepare_grad(grad, params, hp)
    clr = lr / (1 + (step - 1) * hp["lr_decay"])
    total = state.sum + g * g
    std = np.sqrt(total) + hp["eps"]
    return params + (-clr) * g / std, AdagradState(total)


class RMSpropState(NamedTuple):
    """State of RMSprop."""

    square_avg: Array  # (n, 2)
    grad_avg: Array  # (n, 2); used when centered
    momentum_buffer: Array  # (n, 2); used when momentum > 0


def rmsprop_init(params: Array, hp: dict[str, Any]) -> RMSpropState:
    """Zero averages and buffer."""
    return RMSpropState(*(zeros_like_rows(params) for _ in range(3)))


def rmsprop_update(
    params: Array, grad: Array, state: RMSpropState, hp: dict[str, Any], lr: Any, step: int,
) -> tuple[Array, RMSpropState]:  # fmt: skip
    """One torch.optim.RMSprop step."""
    g = prepare_grad(grad, params, hp)
    alpha = hp["alpha"]
    square_avg = ema_sq(state.square_avg, g, alpha)
    grad_avg = state.grad_avg
    if hp["centered"]:
        grad_avg = lerp(grad_avg, g, 1 - alpha)
        avg = np.sqrt(square_avg + (-1) * grad_avg * grad_avg)
    else:
        avg = np.sqrt(square_avg)
    avg = avg + hp["eps"]
    momentum = hp["momentum"]
    buf = state.momentum_buffer

    def plain() -> Array:
        return params + (-lr) * g / avg

    if not nonzero(momentum):
        return plain(), RMSpropState(square_avg, grad_avg, buf)
    new_buf = buf * momentum + g / avg
    moved = params - lr * new_buf
    if isinstance(momentum, np.ndarray):  # rows with momentum 0 step as without, as in torch
        still = momentum == 0
        moved, new_buf = np.where(still, plain(), moved), np.where(still, buf, new_buf)
    return moved, RMSpropState(square_avg, grad_avg, new_buf)


class AdadeltaState(NamedTuple):
    """State of Adadelta."""

    square_avg: Array  # (n, 2) running average of squared gradients
    acc_delta: Array  # (n, 2) running average of squared updates


def adadelta_init(params: Array, hp: dict[str, Any]) -> AdadeltaState:
    """Zero averages."""
    return AdadeltaState(zeros_like_rows(params), zeros_like_rows(params))


def adadelta_update(
    params: Array, grad: Array, state: AdadeltaState, hp: dict[str, Any], lr: Any, step: int,
) -> tuple[Array, AdadeltaState]:  # fmt: skip
    """One torch.optim.Adadelta step."""
    g = prepare_grad(grad, params, hp)
    rho, eps = hp["rho"], hp["eps"]
    square_avg = ema_sq(state.square_avg, g, rho)
    std = np.sqrt(square_avg + eps)
    delta = np.sqrt(state.acc_delta + eps) / std * g
    acc_delta = ema_sq(state.acc_delta, delta, rho)
    return params + (-lr) * delta, AdadeltaState(square_avg, acc_delta)


# ---------------------------------------------------------------- anatomy and torch's state


def _rescaled(factor: Array, g: Array) -> Anatomy:
    """A step −factor·g whose factor differs per coordinate."""
    return Anatomy({"gradient, rescaled": -factor * g}, factor)


def adagrad_anatomy(
    params: Array, grad: Array, state: AdagradState, hp: dict[str, Any], lr: Any, step: int,
) -> Anatomy:  # fmt: skip
    """AdaGrad's step: −lrₜ·g/(√Σg² + eps), a factor that only ever shrinks."""
    g = prepare_grad(grad, params, hp)
    clr = lr / (1 + (step - 1) * hp["lr_decay"])
    return _rescaled(clr / (np.sqrt(state.sum + g * g) + hp["eps"]), g)


def rmsprop_anatomy(
    params: Array, grad: Array, state: RMSpropState, hp: dict[str, Any], lr: Any, step: int,
) -> Anatomy:  # fmt: skip
    """RMSprop's step: −lr·g/(√v̂ + eps), plus −lr·μ·b' with momentum."""
    g = prepare_grad(grad, params, hp)
    alpha = hp["alpha"]
    square_avg = ema_sq(state.square_avg, g, alpha)
    if hp["centered"]:
        grad_avg = lerp(state.grad_avg, g, 1 - alpha)
        square_avg = square_avg - grad_avg * grad_avg
    own = _rescaled(lr / (np.sqrt(square_avg) + hp["eps"]), g)
    if not nonzero(hp["momentum"]):
        return own
    return Anatomy({**own.arrows, "momentum": -lr * hp["momentum"] * state.momentum_buffer},
                   own.effective_lr)  # fmt: skip


def adadelta_anatomy(
    params: Array, grad: Array, state: AdadeltaState, hp: dict[str, Any], lr: Any, step: int,
) -> Anatomy:  # fmt: skip
    """Adadelta's step: −lr·√(u + eps)/√(v + eps)·g, u the average of past squared steps."""
    g = prepare_grad(grad, params, hp)
    square_avg = ema_sq(state.square_avg, g, hp["rho"])
    factor = np.sqrt(state.acc_delta + hp["eps"]) / np.sqrt(square_avg + hp["eps"])
    return _rescaled(lr * factor, g)


def adagrad_torch_state(state: AdagradState, hp: dict[str, Any], step: int) -> dict[str, Array]:
    """torch.optim.Adagrad's state: step, sum."""
    return {"step": step_counts(state, step), "sum": state.sum}


def rmsprop_torch_state(state: RMSpropState, hp: dict[str, Any], step: int) -> dict[str, Array]:
    """torch.optim.RMSprop's state: step, square_avg (+ momentum_buffer, grad_avg)."""
    out = {"step": step_counts(state, step), "square_avg": state.square_avg}
    if nonzero(hp["momentum"]):
        out["momentum_buffer"] = state.momentum_buffer
    if hp["centered"]:
        out["grad_avg"] = state.grad_avg
    return out


def adadelta_torch_state(state: AdadeltaState, hp: dict[str, Any], step: int) -> dict[str, Array]:
    """torch.optim.Adadelta's state: step, square_avg, acc_delta."""
    return {"step": step_counts(state, step), "square_avg": state.square_avg,
            "acc_delta": state.acc_delta}  # fmt: skip


# ---------------------------------------------------------------- compiled kernels
# Each is its NumPy twin above for one block of the compiled path (see CompiledStep),
# in the same order of operations.


def adagrad_kernel(p, g, state, new_state, out, numbers, parts) -> None:
    """:func:`adagrad_update` for one block."""
    total = state[0]
    for part in range(parts.shape[0]):
        c = numbers[parts[part, 2]]
        clr, eps = c[0], c[1]
        for e in range(parts[part, 0], parts[part, 1]):
            gi = g[e]
            t = total[e] + gi * gi
            new_state[0, e] = t
            out[e] = p[e] + ((-clr) * gi) / (math.sqrt(t) + eps)


def adagrad_numbers(hp: dict[str, Any], lr: Scalar, step: int) -> tuple[Scalar, ...]:
    """The numbers :func:`adagrad_kernel` reads for one step."""
    return lr / (1 + (step - 1) * hp["lr_decay"]), hp["eps"]


def rmsprop_kernel(p, g, state, new_state, out, numbers, parts) -> None:
    """:func:`rmsprop_update` for one block."""
    sq, avg_g, buf = state[0], state[1], state[2]
    for part in range(parts.shape[0]):
        c = numbers[parts[part, 2]]
        lr, alpha, w, eps, momentum, centered = c[0], c[1], c[2], c[3], c[4], c[5] != 0.0
        for e in range(parts[part, 0], parts[part, 1]):
            gi = g[e]
            s = (w * gi) * gi + sq[e] * alpha
            a = avg_g[e]
            if centered:  # torch's lerp with weight w = 1 − α
                a = (gi - a) * w + a if w < 0.5 else gi - (gi - a) * (1.0 - w)
                root = math.sqrt(s + (-a) * a) + eps
            else:
                root = math.sqrt(s) + eps
            b = buf[e]
            if momentum != 0.0:
                b = b * momentum + gi / root
                out[e] = p[e] - lr * b
            else:
                out[e] = p[e] + ((-lr) * gi) / root
            new_state[0, e], new_state[1, e], new_state[2, e] = s, a, b


def rmsprop_numbers(hp: dict[str, Any], lr: Scalar, step: int) -> tuple[Scalar, ...]:
    """The numbers :func:`rmsprop_kernel` reads for one step."""
    alpha = hp["alpha"]
    return lr, alpha, 1 - alpha, hp["eps"], hp["momentum"], float(hp["centered"])


def adadelta_kernel(p, g, state, new_state, out, numbers, parts) -> None:
    """:func:`adadelta_update` for one block."""
    sq, acc = state[0], state[1]
    for part in range(parts.shape[0]):
        c = numbers[parts[part, 2]]
        lr, rho, w, eps = c[0], c[1], c[2], c[3]
        for e in range(parts[part, 0], parts[part, 1]):
            gi = g[e]
            s = (w * gi) * gi + sq[e] * rho
            delta = (math.sqrt(acc[e] + eps) / math.sqrt(s + eps)) * gi
            new_state[0, e], new_state[1, e] = s, (w * delta) * delta + acc[e] * rho
            out[e] = p[e] + (-lr) * delta


def adadelta_numbers(hp: dict[str, Any], lr: Scalar, step: int) -> tuple[Scalar, ...]:
    """The numbers :func:`adadelta_kernel` reads for one step."""
    return lr, hp["rho"], 1 - hp["rho"], hp["eps"]


ADAGRAD = OptimizerSpec(
    name="adagrad",
    title="AdaGrad",
    description="per-coordinate steps that only ever shrink: fast start, slow finish",
    hyperparams=(
        lr_param(1e-2),
        HyperParam("lr_decay", 0.0, low=0.0, doc="learning-rate decay per step"),
        weight_decay_param(),
        HyperParam("initial_accumulator_value", 0.0, low=0.0, doc="starting sum of squared gradients"),
        eps_param(1e-10),
        MAXIMIZE,
    ),
    init=adagrad_init,
    update=adagrad_update,
    compiled=CompiledStep(adagrad_kernel, adagrad_numbers),
    anatomy=adagrad_anatomy,
    torch_state=adagrad_torch_state,
)  # fmt: skip

RMSPROP = OptimizerSpec(
    name="rmsprop",
    title="RMSprop",
    description="divides by a running average of squared gradients, so steps keep their pace",
    hyperparams=(
        lr_param(1e-2),
        HyperParam("alpha", 0.99, low=0.0, doc="smoothing constant of the squared-gradient average"),
        eps_param(1e-8),
        weight_decay_param(),
        HyperParam("momentum", 0.0, low=0.0, doc="momentum factor"),
        HyperParam("centered", False, kind="bool", doc="normalize by the gradient's variance"),
        MAXIMIZE,
    ),
    init=rmsprop_init,
    update=rmsprop_update,
    compiled=CompiledStep(rmsprop_kernel, rmsprop_numbers),
    anatomy=rmsprop_anatomy,
    torch_state=rmsprop_torch_state,
)  # fmt: skip

ADADELTA = OptimizerSpec(
    name="adadelta",
    title="Adadelta",
    description="RMSprop whose step size comes from the size of past updates",
    hyperparams=(
        lr_param(1.0, "scales the computed update"),
        HyperParam("rho", 0.9, low=0.0, high=1.0, doc="decay rate of the running averages"),
        eps_param(1e-6),
        weight_decay_param(),
        MAXIMIZE,
    ),
    init=adadelta_init,
    update=adadelta_update,
    compiled=CompiledStep(adadelta_kernel, adadelta_numbers),
    anatomy=adadelta_anatomy,
    torch_state=adadelta_torch_state,
)  # fmt: skip
