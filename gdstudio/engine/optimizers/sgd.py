"""SGD with momentum, dampening, Nesterov and weight decay (torch.optim.SGD).

Update, as torch writes it (the momentum buffer starts at the first gradient)::

    g ← ∇f(θ) (+ weight_decay·θ)
    b ← g                         on the first step
    b ← momentum·b + (1 − dampening)·g   after
    g ← g + momentum·b  (Nesterov)  or  g ← b
    θ ← θ − lr·g
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from gdstudio.engine.errors import HyperparameterError
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
    lr_param,
    nonzero,
    prepare_grad,
    weight_decay_param,
    zeros_like_rows,
)


class SGDState(NamedTuple):
    """State of SGD."""

    momentum_buffer: Array  # (n, 2); unused while momentum is 0


def init(params: Array, hp: dict[str, Any]) -> SGDState:
    """Empty momentum buffers."""
    return SGDState(zeros_like_rows(params))


def update(
    params: Array, grad: Array, state: SGDState, hp: dict[str, Any], lr: Any, step: int,
) -> tuple[Array, SGDState]:  # fmt: skip
    """One torch.optim.SGD step for every row."""
    g = prepare_grad(grad, params, hp)
    momentum = hp["momentum"]
    buf = state.momentum_buffer
    if nonzero(momentum):
        if step == 1:
            new_buf = g.copy()
        else:
            new_buf = buf * momentum
            new_buf += g * (1 - hp["dampening"])
        moved = g + new_buf * momentum if hp["nesterov"] else new_buf
        if isinstance(momentum, np.ndarray):  # rows with momentum 0 follow the plain gradient
            still = momentum == 0
            g, buf = np.where(still, g, moved), np.where(still, buf, new_buf)
        else:
            g, buf = moved, new_buf
    out = lr * g
    return np.subtract(params, out, out=out), SGDState(buf)


def anatomy(
    params: Array, grad: Array, state: SGDState, hp: dict[str, Any], lr: Any, step: int,
) -> Anatomy:  # fmt: skip
    """The step taken apart: the gradient's share and the momentum buffer's (the same
    step size for both coordinates, so no effective step size to show).

    With momentum μ and dampening d the buffer is v = μ·v' + (1 − d)·g (v = g on the
    first step), so the step −lr·v is −lr·(1 − d)·g plus −lr·μ·v'. Nesterov steps
    −lr·(g + μ·v): the gradient and the look-ahead along the new buffer.
    """
    g = prepare_grad(grad, params, hp)
    momentum = hp["momentum"]
    if not nonzero(momentum):
        return Anatomy({"gradient": -lr * g})
    if hp["nesterov"]:
        _, new = update(params, grad, state, hp, lr, step)
        return Anatomy(
            {"gradient": -lr * g, "Nesterov look-ahead": -lr * momentum * new.momentum_buffer}
        )
    keep = 1.0 if step == 1 else 1 - hp["dampening"]
    previous = state.momentum_buffer if step > 1 else np.zeros_like(g)
    return Anatomy({"gradient": -lr * keep * g, "momentum": -lr * momentum * previous})


def torch_state(state: SGDState, hp: dict[str, Any], step: int) -> dict[str, Array]:
    """torch.optim.SGD's state: ``momentum_buffer``, kept only with momentum."""
    return {"momentum_buffer": state.momentum_buffer} if nonzero(hp["momentum"]) else {}


def kernel(p, g, state, new_state, out, numbers, parts) -> None:
    """:func:`update` for one block of the compiled path (see ``CompiledStep``)."""
    buf, new_buf = state[0], new_state[0]
    for part in range(parts.shape[0]):
        c = numbers[parts[part, 2]]
        lr, momentum, keep, nesterov, first = c[0], c[1], c[2], c[3] != 0.0, c[4] != 0.0
        heavy = momentum != 0.0
        for e in range(parts[part, 0], parts[part, 1]):
            gi = g[e]
            bi = buf[e]
            if heavy:
                bi = gi if first else bi * momentum + gi * keep
                gi = gi + bi * momentum if nesterov else bi
            new_buf[e] = bi
            out[e] = p[e] - lr * gi


def numbers(hp: dict[str, Any], lr: Scalar, step: int) -> tuple[Scalar, ...]:
    """The numbers :func:`kernel` reads for one step."""
    return lr, hp["momentum"], 1 - hp["dampening"], float(hp["nesterov"]), float(step == 1)


def check(hp: dict[str, Any]) -> None:
    """torch's rule: Nesterov needs momentum > 0 and zero dampening."""
    if hp["nesterov"] and (np.any(np.asarray(hp["momentum"]) <= 0) or nonzero(hp["dampening"])):
        raise HyperparameterError("Nesterov momentum requires a momentum and zero dampening")


SGD = OptimizerSpec(
    name="sgd",
    title="SGD",
    description="plain gradient descent; with momentum it rolls on through flat parts and bumps",
    hyperparams=(
        lr_param(1e-3),
        HyperParam("momentum", 0.0, low=0.0, doc="fraction of the previous step kept (0: none)"),
        HyperParam("dampening", 0.0, low=0.0, high=1.0, doc="damps the gradient's share of the momentum"),
        weight_decay_param(),
        HyperParam("nesterov", False, kind="bool", doc="Nesterov momentum: look ahead before stepping"),
        MAXIMIZE,
    ),
    init=init,
    update=update,
    check=check,
    compiled=CompiledStep(kernel, numbers),
    anatomy=anatomy,
    torch_state=torch_state,
)  # fmt: skip
