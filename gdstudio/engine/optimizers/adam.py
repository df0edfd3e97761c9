"""The Adam family: Adam, AdamW, NAdam, RAdam, Adamax (torch.optim), and Lion.

All share the moment updates of :func:`moments`::

    m ← lerp(m, g, 1 − β₁)            (torch's exp_avg)
    v ← β₂·v + (1 − β₂)·g²            (torch's exp_avg_sq)

Adam then steps ``θ ← θ − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + eps)`` (AMSGrad uses
the running maximum of v); AdamW is Adam with decoupled weight decay; NAdam adds
Nesterov momentum with torch's μ-schedule; RAdam rectifies the variance while
ρₜ ≤ 5; Adamax replaces √v by an exponentially weighted infinity norm.
Lion (Chen et al., 2023) steps by the sign of an interpolated momentum.
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
    betas_param,
    decay_params,
    ema_sq,
    eps_param,
    lerp,
    lr_param,
    per_runner,
    prepare_grad,
    root_over,
    step_counts,
    weight_decay_param,
    zeros_like_rows,
)


class AdamState(NamedTuple):
    """State shared by Adam, AdamW, RAdam and Adamax (unused fields stay zero)."""

    exp_avg: Array  # (n, 2) first moment
    exp_avg_sq: Array  # (n, 2) second moment (Adamax: the infinity norm)
    max_exp_avg_sq: Array  # (n, 2) AMSGrad's running maximum of exp_avg_sq


class NAdamState(NamedTuple):
    """State of NAdam."""

    exp_avg: Array  # (n, 2)
    exp_avg_sq: Array  # (n, 2)
    mu_product: Array  # (n, 1) product of the momentum schedule so far


class LionState(NamedTuple):
    """State of Lion."""

    exp_avg: Array  # (n, 2) momentum


def adam_init(params: Array, hp: dict[str, Any]) -> AdamState:
    """Zero moments."""
    return AdamState(*(zeros_like_rows(params) for _ in range(3)))


def moments(exp_avg: Array, exp_avg_sq: Array, g: Array, betas: tuple) -> tuple[Array, Array]:
    """The first and second moment updates every Adam variant shares."""
    beta1, beta2 = betas
    return lerp(exp_avg, g, 1 - beta1), ema_sq(exp_avg_sq, g, beta2)


def _bias1(beta1: Scalar, step: int) -> Scalar:
    """Adam's first bias correction 1 − β₁ᵗ."""
    return per_runner(lambda b1: 1 - b1**step, beta1)


def _bias2(beta2: Scalar, step: int) -> Scalar:
    """Adam's second bias correction 1 − β₂ᵗ."""
    return per_runner(lambda b2: 1 - b2**step, beta2)


def _bias2_sqrt(beta2: Scalar, step: int) -> Scalar:
    """√(1 − β₂ᵗ), as torch computes it (a power, not a square root)."""
    return per_runner(lambda b2: (1 - b2**step) ** 0.5, beta2)


def _nadam_mu(beta1: Scalar, decay: Scalar, step: int) -> Scalar:
    """NAdam's momentum coefficient μₜ = β₁·(1 − ½·0.96^(t·ψ))."""
    return per_runner(lambda b1, d: b1 * (1.0 - 0.5 * (0.96 ** (step * d))), beta1, decay)


def _decoupled_start(params: Array, grad: Array, lr: Any, hp: dict[str, Any], decoupled: bool):
    """Gradient after maximize/L2 decay, and params after decoupled decay."""
    g = prepare_grad(grad, params, hp, decoupled=decoupled)
    return g, decay_params(params, lr, hp) if decoupled else params


def _adam_step(
    params: Array, grad: Array, state: AdamState, hp: dict[str, Any], lr: Any, step: int,
    decoupled: bool,
) -> tuple[Array, AdamState]:  # fmt: skip
    g, params = _decoupled_start(params, grad, lr, hp, decoupled)
    beta1, beta2 = hp["betas"]
    exp_avg, exp_avg_sq = moments(state.exp_avg, state.exp_avg_sq, g, hp["betas"])
    step_size = lr / _bias1(beta1, step)
    bias_correction2_sqrt = _bias2_sqrt(beta2, step)
    max_sq = state.max_exp_avg_sq
    if hp["amsgrad"]:
        max_sq = np.maximum(max_sq, exp_avg_sq)
    denom = np.sqrt(max_sq if hp["amsgrad"] else exp_avg_sq)
    denom /= bias_correction2_sqrt
    denom += hp["eps"]
    step = (-step_size) * exp_avg
    step /= denom
    step += params
    return step, AdamState(exp_avg, exp_avg_sq, max_sq)


def adam_update(
    params: Array, grad: Array, state: AdamState, hp: dict[str, Any], lr: Any, step: int,
) -> tuple[Array, AdamState]:  # fmt: skip
    """One torch.optim.Adam step."""
    return _adam_step(params, grad, state, hp, lr, step, hp["decoupled_weight_decay"])


def adamw_update(
    params: Array, grad: Array, state: AdamState, hp: dict[str, Any], lr: Any, step: int,
) -> tuple[Array, AdamState]:  # fmt: skip
    """One torch.optim.AdamW step: Adam with decoupled weight decay."""
    return _adam_step(params, grad, state, hp, lr, step, True)


def nadam_init(params: Array, hp: dict[str, Any]) -> NAdamState:
    """Zero moments; the μ product starts at 1."""
    return NAdamState(zeros_like_rows(params), zeros_like_rows(params), np.ones((len(params), 1)))


def nadam_update(
    params: Array, grad: Array, state: NAdamState, hp: dict[str, Any], lr: Any, step: int,
) -> tuple[Array, NAdamState]:  # fmt: skip
    """One torch.optim.NAdam step."""
    g, params = _decoupled_start(params, grad, lr, hp, hp["decoupled_weight_decay"])
    beta1, beta2 = hp["betas"]
    decay = hp["momentum_decay"]
    bias_correction2 = _bias2(beta2, step)
    mu, mu_next = _nadam_mu(beta1, decay, step), _nadam_mu(beta1, decay, step + 1)
    mu_product = state.mu_product * mu
    exp_avg, exp_avg_sq = moments(state.exp_avg, state.exp_avg_sq, g, hp["betas"])
    denom = np.sqrt(exp_avg_sq / bias_correction2) + hp["eps"]
    mu_product_next = mu_product * mu_next
    params = params + (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
    params = params + ((-lr * mu_next) / (1.0 - mu_product_next)) * exp_avg / denom
    return params, NAdamState(exp_avg, exp_avg_sq, mu_product)


def _rho(beta2: float, step: int) -> tuple[float, float]:
    """RAdam's ρ∞ and ρₜ, the length of the approximated simple moving average."""
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf, rho_inf - 2 * step * (beta2**step) / (1 - beta2**step)


def _rho_t(beta2: Scalar, step: int) -> Scalar:
    """RAdam's ρₜ (per runner where β₂ is)."""
    return per_runner(lambda b2: _rho(b2, step)[1], beta2)


def _rect(beta2: Scalar, step: int) -> Scalar:
    """RAdam's rectification term (per runner where β₂ is)."""
    return per_runner(lambda b2: _rectifier(b2, step), beta2)


def _rectifier(beta2: float, step: int) -> float:
    """RAdam's variance rectification term (defined only where ρₜ > 5)."""
    rho_inf, rho_t = _rho(beta2, step)
    if rho_t <= 5.0:
        return float("nan")
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


def radam_update(
    params: Array, grad: Array, state: AdamState, hp: dict[str, Any], lr: Any, step: int,
) -> tuple[Array, AdamState]:  # fmt: skip
    """One torch.optim.RAdam step: plain momentum until the variance estimate is usable."""
    g, params = _decoupled_start(params, grad, lr, hp, hp["decoupled_weight_decay"])
    beta1, beta2 = hp["betas"]
    exp_avg, exp_avg_sq = moments(state.exp_avg, state.exp_avg_sq, g, hp["betas"])
    corrected = exp_avg / _bias1(beta1, step)
    rho_t = _rho_t(beta2, step)
    new_state = AdamState(exp_avg, exp_avg_sq, state.max_exp_avg_sq)
    plain = params + (-1.0) * (corrected * lr)
    if np.all(rho_t <= 5.0):
        return plain, new_state
    rect = _rect(beta2, step)
    bias_correction2_sqrt = _bias2_sqrt(beta2, step)
    adaptive_lr = bias_correction2_sqrt / (np.sqrt(exp_avg_sq) + hp["eps"])
    rectified = params + (-1.0) * (corrected * lr * adaptive_lr * rect)
    if np.all(rho_t > 5.0):
        return rectified, new_state
    return np.where(rho_t > 5.0, rectified, plain), new_state


def adamax_update(
    params: Array, grad: Array, state: AdamState, hp: dict[str, Any], lr: Any, step: int,
) -> tuple[Array, AdamState]:  # fmt: skip
    """One torch.optim.Adamax step."""
    g = prepare_grad(grad, params, hp)
    beta1, beta2 = hp["betas"]
    exp_avg = lerp(state.exp_avg, g, 1 - beta1)
    exp_inf = np.maximum(state.exp_avg_sq * beta2, np.abs(g) + hp["eps"])
    clr = lr / _bias1(beta1, step)
    return params + (-clr) * exp_avg / exp_inf, AdamState(exp_avg, exp_inf, state.max_exp_avg_sq)


def lion_init(params: Array, hp: dict[str, Any]) -> LionState:
    """Zero momentum."""
    return LionState(zeros_like_rows(params))


def lion_update(
    params: Array, grad: Array, state: LionState, hp: dict[str, Any], lr: Any, step: int,
) -> tuple[Array, LionState]:  # fmt: skip
    """One Lion step: θ ← θ(1 − lr·wd) − lr·sign(β₁m + (1 − β₁)g); m ← β₂m + (1 − β₂)g."""
    beta1, beta2 = hp["betas"]
    params = decay_params(params, lr, hp)
    direction = np.sign(state.exp_avg * beta1 + grad * (1 - beta1))
    exp_avg = state.exp_avg * beta2 + grad * (1 - beta2)
    return params - lr * direction, LionState(exp_avg)


# ---------------------------------------------------------------- anatomy and torch's state
# Every Adam variant steps along its new first moment m = β₁·m' + (1 − β₁)·g times a
# per-coordinate scale, so its step splits into the gradient's share and the memory's.


def _moment_split(scale: Any, g: Array, exp_avg: Array, beta1: Any) -> Anatomy:
    """The step −scale·m taken apart into −scale·(1 − β₁)·g and −scale·β₁·m'."""
    gradient_factor = scale * (1 - beta1)
    return Anatomy({"gradient, rescaled": -gradient_factor * g, "memory": -scale * beta1 * exp_avg},
                   np.broadcast_to(gradient_factor, g.shape).astype(np.float64))  # fmt: skip


def _with_decay(anatomy: Anatomy, decay: Array) -> Anatomy:
    """Add decoupled weight decay's own arrow (positions shrunk toward 0), where there is one."""
    if not np.any(decay):
        return anatomy
    return Anatomy({**anatomy.arrows, "weight decay": decay}, anatomy.effective_lr)


def _adam_anatomy(
    params: Array, grad: Array, state: AdamState, hp: dict[str, Any], lr: Any, step: int,
    decoupled: bool,
) -> Anatomy:  # fmt: skip
    g, decayed = _decoupled_start(params, grad, lr, hp, decoupled)
    beta1, beta2 = hp["betas"]
    _, v = moments(state.exp_avg, state.exp_avg_sq, g, hp["betas"])
    if hp["amsgrad"]:
        v = np.maximum(state.max_exp_avg_sq, v)
    denom = (np.sqrt(v) / (1 - beta2**step) ** 0.5 + hp["eps"]) * (1 - beta1**step)
    return _with_decay(_moment_split(lr / denom, g, state.exp_avg, beta1), decayed - params)


def adam_anatomy(
    params: Array, grad: Array, state: AdamState, hp: dict[str, Any], lr: Any, step: int,
) -> Anatomy:  # fmt: skip
    """Adam's step: −lr·m/D with D = (√(v/(1 − β₂ᵗ)) + eps)·(1 − β₁ᵗ), split as m is."""
    return _adam_anatomy(params, grad, state, hp, lr, step, hp["decoupled_weight_decay"])


def adamw_anatomy(
    params: Array, grad: Array, state: AdamState, hp: dict[str, Any], lr: Any, step: int,
) -> Anatomy:  # fmt: skip
    """AdamW's step: Adam's arrows plus the decoupled decay −lr·weight_decay·θ."""
    return _adam_anatomy(params, grad, state, hp, lr, step, True)


def nadam_anatomy(
    params: Array, grad: Array, state: NAdamState, hp: dict[str, Any], lr: Any, step: int,
) -> Anatomy:  # fmt: skip
    """NAdam's step: the gradient's own term plus the look-ahead along the new moment."""
    g, decayed = _decoupled_start(params, grad, lr, hp, hp["decoupled_weight_decay"])
    beta1, beta2 = hp["betas"]
    decay = hp["momentum_decay"]
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * decay)))
    product = state.mu_product * mu
    _, v = moments(state.exp_avg, state.exp_avg_sq, g, hp["betas"])
    denom = np.sqrt(v / (1 - beta2**step)) + hp["eps"]
    own = lr * (1.0 - mu) / (1.0 - product) / denom
    split = _moment_split(lr * mu_next / (1.0 - product * mu_next) / denom, g, state.exp_avg, beta1)
    arrows = {**split.arrows, "gradient, rescaled": split.arrows["gradient, rescaled"] - own * g}
    return _with_decay(Anatomy(arrows, split.effective_lr + own), decayed - params)


def radam_anatomy(
    params: Array, grad: Array, state: AdamState, hp: dict[str, Any], lr: Any, step: int,
) -> Anatomy:  # fmt: skip
    """RAdam's step: −lr·m̂ (times the rectified adaptive scale once ρₜ > 5)."""
    g, decayed = _decoupled_start(params, grad, lr, hp, hp["decoupled_weight_decay"])
    beta1, beta2 = hp["betas"]
    _, v = moments(state.exp_avg, state.exp_avg_sq, g, hp["betas"])
    rho_t = per_runner(lambda b2: _rho(b2, step)[1], beta2)
    rect = per_runner(lambda b2: _rectifier(b2, step), beta2)
    adaptive = (1 - beta2**step) ** 0.5 / (np.sqrt(v) + hp["eps"]) * rect
    scale = lr / (1 - beta1**step) * np.where(rho_t > 5.0, adaptive, 1.0)
    return _with_decay(_moment_split(scale, g, state.exp_avg, beta1), decayed - params)


def adamax_anatomy(
    params: Array, grad: Array, state: AdamState, hp: dict[str, Any], lr: Any, step: int,
) -> Anatomy:  # fmt: skip
    """Adamax's step: −lr/(1 − β₁ᵗ)·m/u, u the decayed infinity norm."""
    g = prepare_grad(grad, params, hp)
    beta1, beta2 = hp["betas"]
    exp_inf = np.maximum(state.exp_avg_sq * beta2, np.abs(g) + hp["eps"])
    scale = lr / (1 - beta1**step) / exp_inf
    return _moment_split(scale, g, state.exp_avg, beta1)


def lion_anatomy(
    params: Array, grad: Array, state: LionState, hp: dict[str, Any], lr: Any, step: int,
) -> Anatomy:  # fmt: skip
    """Lion's step: lr times the sign of the interpolated momentum, plus its weight decay."""
    decayed = decay_params(params, lr, hp)
    new_params, _ = lion_update(params, grad, state, hp, lr, step)
    return _with_decay(Anatomy({"sign step": new_params - decayed}), decayed - params)


def adam_torch_state(state: AdamState, hp: dict[str, Any], step: int) -> dict[str, Array]:
    """torch.optim.Adam's (and AdamW's) state: step, exp_avg, exp_avg_sq (+ max_exp_avg_sq)."""
    out = {
        "step": step_counts(state, step),
        "exp_avg": state.exp_avg,
        "exp_avg_sq": state.exp_avg_sq,
    }
    if hp["amsgrad"]:
        out["max_exp_avg_sq"] = state.max_exp_avg_sq
    return out


def nadam_torch_state(state: NAdamState, hp: dict[str, Any], step: int) -> dict[str, Array]:
    """torch.optim.NAdam's state: step, mu_product, exp_avg, exp_avg_sq."""
    return {"step": step_counts(state, step), "mu_product": state.mu_product[:, 0],
            "exp_avg": state.exp_avg, "exp_avg_sq": state.exp_avg_sq}  # fmt: skip


def radam_torch_state(state: AdamState, hp: dict[str, Any], step: int) -> dict[str, Array]:
    """torch.optim.RAdam's state: step, exp_avg, exp_avg_sq."""
    return {
        "step": step_counts(state, step),
        "exp_avg": state.exp_avg,
        "exp_avg_sq": state.exp_avg_sq,
    }


def adamax_torch_state(state: AdamState, hp: dict[str, Any], step: int) -> dict[str, Array]:
    """torch.optim.Adamax's state: step, exp_avg, exp_inf."""
    return {"step": step_counts(state, step), "exp_avg": state.exp_avg, "exp_inf": state.exp_avg_sq}


def lion_torch_state(state: LionState, hp: dict[str, Any], step: int) -> dict[str, Array]:
    """Lion's state (not in torch.optim): its momentum, named ``exp_avg`` as Lion's authors do."""
    return {"exp_avg": state.exp_avg}


# ---------------------------------------------------------------- compiled kernels
# Each is its NumPy twin above for one block of the compiled path (see CompiledStep),
# in the same order of operations. The first moment is torch's lerp, whose formula
# depends on whether its weight w = 1 − β₁ is below 0.5 (see transforms.lerp).


def adam_kernel(p, g, state, new_state, out, numbers, parts) -> None:
    """:func:`adam_update` (and AdamW's) for one block."""
    m, v, vmax = state[0], state[1], state[2]
    for part in range(parts.shape[0]):
        c = numbers[parts[part, 2]]
        w, beta2, c2, step_size, bc2_sqrt, eps, amsgrad, inv_bc2_sqrt = c[0], c[1], c[2], c[3], \
            c[4], c[5], c[6], c[7]  # fmt: skip
        for e in range(parts[part, 0], parts[part, 1]):
            gi, mi = g[e], m[e]
            mm = (gi - mi) * w + mi if w < 0.5 else gi - (gi - mi) * (1.0 - w)
            vv = (c2 * gi) * gi + v[e] * beta2
            top = vmax[e]
            if amsgrad != 0.0:
                top = vv if (vv > top or vv != vv) else top  # np.maximum: NaN wins
            new_state[0, e], new_state[1, e], new_state[2, e] = mm, vv, top
            denom = root_over(top if amsgrad != 0.0 else vv, bc2_sqrt, inv_bc2_sqrt) + eps
            out[e] = ((-step_size) * mm) / denom + p[e]


def adam_numbers(hp: dict[str, Any], lr: Scalar, step: int) -> tuple[Scalar, ...]:
    """The numbers :func:`adam_kernel` reads for one step, as :func:`_adam_step` computes them."""
    beta1, beta2 = hp["betas"]
    bias_correction2_sqrt = _bias2_sqrt(beta2, step)
    return (1 - beta1, beta2, 1 - beta2, lr / _bias1(beta1, step), bias_correction2_sqrt,
            hp["eps"], float(hp["amsgrad"]), 1.0 / bias_correction2_sqrt)  # fmt: skip


def nadam_kernel(p, g, state, new_state, out, numbers, parts) -> None:
    """:func:`nadam_update` for one block (the μ product comes in both columns)."""
    m, v, mu_product = state[0], state[1], state[2]
    for part in range(parts.shape[0]):
        c = numbers[parts[part, 2]]
        w, beta2, c2, eps, bc2, mu, mu_next, lr_now, lr_next = c[0], c[1], c[2], c[3], c[4], c[5], \
            c[6], c[7], c[8]  # fmt: skip
        for e in range(parts[part, 0], parts[part, 1]):
            gi, mi = g[e], m[e]
            mm = (gi - mi) * w + mi if w < 0.5 else gi - (gi - mi) * (1.0 - w)
            vv = (c2 * gi) * gi + v[e] * beta2
            prod = mu_product[e] * mu
            new_state[0, e], new_state[1, e], new_state[2, e] = mm, vv, prod
            denom = math.sqrt(vv / bc2) + eps
            moved = p[e] + ((lr_now / (1.0 - prod)) * gi) / denom
            out[e] = moved + ((lr_next / (1.0 - prod * mu_next)) * mm) / denom


def nadam_numbers(hp: dict[str, Any], lr: Scalar, step: int) -> tuple[Scalar, ...]:
    """The numbers :func:`nadam_kernel` reads for one step, as :func:`nadam_update` computes them."""
    beta1, beta2 = hp["betas"]
    decay = hp["momentum_decay"]
    mu, mu_next = _nadam_mu(beta1, decay, step), _nadam_mu(beta1, decay, step + 1)
    return (1 - beta1, beta2, 1 - beta2, hp["eps"], _bias2(beta2, step), mu, mu_next,
            -lr * (1.0 - mu), -lr * mu_next)  # fmt: skip


def radam_kernel(p, g, state, new_state, out, numbers, parts) -> None:
    """:func:`radam_update` for one block."""
    m, v = state[0], state[1]
    for part in range(parts.shape[0]):
        c = numbers[parts[part, 2]]
        w, beta2, c2, eps, bc1, lr, bc2_sqrt, rect, rectify = c[0], c[1], c[2], c[3], c[4], c[5], \
            c[6], c[7], c[8] != 0.0  # fmt: skip
        for e in range(parts[part, 0], parts[part, 1]):
            gi, mi = g[e], m[e]
            mm = (gi - mi) * w + mi if w < 0.5 else gi - (gi - mi) * (1.0 - w)
            vv = (c2 * gi) * gi + v[e] * beta2
            new_state[0, e], new_state[1, e], new_state[2, e] = mm, vv, state[2, e]
            scaled = (mm / bc1) * lr
            if rectify:
                scaled = (scaled * (bc2_sqrt / (math.sqrt(vv) + eps))) * rect
            out[e] = p[e] + (-1.0) * scaled


def radam_numbers(hp: dict[str, Any], lr: Scalar, step: int) -> tuple[Scalar, ...]:
    """The numbers :func:`radam_kernel` reads for one step, as :func:`radam_update` computes them."""
    beta1, beta2 = hp["betas"]
    rectify = _rho_t(beta2, step) > 5.0
    return (1 - beta1, beta2, 1 - beta2, hp["eps"], _bias1(beta1, step), lr,
            np.where(rectify, _bias2_sqrt(beta2, step), 0.0),
            np.where(rectify, _rect(beta2, step), 0.0), np.where(rectify, 1.0, 0.0))  # fmt: skip


def adamax_kernel(p, g, state, new_state, out, numbers, parts) -> None:
    """:func:`adamax_update` for one block (the infinity norm sits in ``exp_avg_sq``)."""
    m, u = state[0], state[1]
    for part in range(parts.shape[0]):
        c = numbers[parts[part, 2]]
        w, beta2, eps, clr = c[0], c[1], c[2], c[3]
        for e in range(parts[part, 0], parts[part, 1]):
            gi, mi = g[e], m[e]
            mm = (gi - mi) * w + mi if w < 0.5 else gi - (gi - mi) * (1.0 - w)
            decayed, fresh = u[e] * beta2, abs(gi) + eps
            top = decayed if (decayed > fresh or decayed != decayed) else fresh  # np.maximum
            new_state[0, e], new_state[1, e], new_state[2, e] = mm, top, state[2, e]
            out[e] = p[e] + ((-clr) * mm) / top


def adamax_numbers(hp: dict[str, Any], lr: Scalar, step: int) -> tuple[Scalar, ...]:
    """The numbers :func:`adamax_kernel` reads for one step."""
    beta1, beta2 = hp["betas"]
    return 1 - beta1, beta2, hp["eps"], lr / _bias1(beta1, step)


def lion_kernel(p, g, state, new_state, out, numbers, parts) -> None:
    """:func:`lion_update` for one block."""
    m = state[0]
    for part in range(parts.shape[0]):
        c = numbers[parts[part, 2]]
        lr, beta1, c1, beta2, c2 = c[0], c[1], c[2], c[3], c[4]
        for e in range(parts[part, 0], parts[part, 1]):
            gi, mi = g[e], m[e]
            mix = mi * beta1 + gi * c1
            # np.sign: NaN stays NaN and both zeros give +0.0
            direction = 1.0 if mix > 0.0 else (-1.0 if mix < 0.0 else (mix if mix != mix else 0.0))
            new_state[0, e] = mi * beta2 + gi * c2
            out[e] = p[e] - lr * direction


def lion_numbers(hp: dict[str, Any], lr: Scalar, step: int) -> tuple[Scalar, ...]:
    """The numbers :func:`lion_kernel` reads for one step."""
    beta1, beta2 = hp["betas"]
    return lr, beta1, 1 - beta1, beta2, 1 - beta2


def _decoupled_flag(hp: dict[str, Any]) -> bool:
    return hp["decoupled_weight_decay"]


def _always(hp: dict[str, Any]) -> bool:
    return True


AMSGRAD = HyperParam("amsgrad", False, kind="bool", doc="use the running maximum of v (AMSGrad)")
DECOUPLED = HyperParam(
    "decoupled_weight_decay", False, kind="bool", doc="shrink weights directly (as AdamW)"
)

ADAM = OptimizerSpec(
    name="adam",
    title="Adam",
    description="momentum plus per-coordinate scaling: steps of about lr whatever the gradient's size",
    hyperparams=(lr_param(1e-3), betas_param(), eps_param(1e-8), weight_decay_param(), AMSGRAD,
                 MAXIMIZE, DECOUPLED),
    init=adam_init,
    update=adam_update,
    compiled=CompiledStep(adam_kernel, adam_numbers, _decoupled_flag),
    anatomy=adam_anatomy,
    torch_state=adam_torch_state,
)  # fmt: skip

ADAMW = OptimizerSpec(
    name="adamw",
    title="AdamW",
    description="Adam with decoupled weight decay pulling the weights toward zero",
    hyperparams=(lr_param(1e-3), betas_param(), eps_param(1e-8),
                 weight_decay_param(1e-2, decoupled=True), AMSGRAD, MAXIMIZE),
    init=adam_init,
    update=adamw_update,
    compiled=CompiledStep(adam_kernel, adam_numbers, _always),
    anatomy=adamw_anatomy,
    torch_state=adam_torch_state,
)  # fmt: skip

NADAM = OptimizerSpec(
    name="nadam",
    title="NAdam",
    description="Adam with Nesterov momentum: looks one step ahead",
    hyperparams=(
        lr_param(2e-3), betas_param(), eps_param(1e-8), weight_decay_param(),
        HyperParam("momentum_decay", 4e-3, low=0.0, doc="decay of the momentum schedule"),
        DECOUPLED, MAXIMIZE,
    ),
    init=nadam_init,
    update=nadam_update,
    compiled=CompiledStep(nadam_kernel, nadam_numbers, _decoupled_flag),
    anatomy=nadam_anatomy,
    torch_state=nadam_torch_state,
)  # fmt: skip

RADAM = OptimizerSpec(
    name="radam",
    title="RAdam",
    description="Adam that warms up by itself: plain momentum until its variance estimate is reliable",
    hyperparams=(lr_param(1e-3), betas_param(), eps_param(1e-8), weight_decay_param(), DECOUPLED,
                 MAXIMIZE),
    init=adam_init,
    update=radam_update,
    compiled=CompiledStep(radam_kernel, radam_numbers, _decoupled_flag),
    anatomy=radam_anatomy,
    torch_state=radam_torch_state,
)  # fmt: skip

ADAMAX = OptimizerSpec(
    name="adamax",
    title="Adamax",
    description="Adam with the infinity norm: robust to rare huge gradients",
    hyperparams=(lr_param(2e-3), betas_param(), eps_param(1e-8), weight_decay_param(), MAXIMIZE),
    init=adam_init,
    update=adamax_update,
    compiled=CompiledStep(adamax_kernel, adamax_numbers),
    anatomy=adamax_anatomy,
    torch_state=adamax_torch_state,
)  # fmt: skip

LION = OptimizerSpec(
    name="lion",
    title="Lion",
    description="steps by the sign of its momentum: every coordinate moves by exactly lr",
    hyperparams=(lr_param(1e-4), betas_param((0.9, 0.99)), weight_decay_param(0.0, decoupled=True)),
    init=lion_init,
    update=lion_update,
    compiled=CompiledStep(lion_kernel, lion_numbers, _always),
    anatomy=lion_anatomy,
    torch_state=lion_torch_state,
)  # fmt: skip
