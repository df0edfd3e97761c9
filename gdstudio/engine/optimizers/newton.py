"""Damped Newton's method with the exact Hessian, safe where it is not positive definite.

The 2×2 Hessian is diagonalized in closed form, ``H = V·diag(λ)·Vᵀ``, and each
eigenvalue replaced by ``max(|λ|, damping)`` (saddle-free Newton, Dauphin et
al. 2014): at a saddle the step then moves *away* along negative curvature
instead of toward the saddle, and flat directions cannot produce huge steps::

    θ ← θ − lr · V·diag(1 / max(|λ|, damping))·Vᵀ · g

On a quadratic with positive curvature and ``lr = 1`` it lands on the minimum
in one step.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from gdstudio.engine.optimizers.base import Anatomy, Array, HyperParam, OptimizerSpec
from gdstudio.engine.optimizers.transforms import lr_param


class NewtonState(NamedTuple):
    """Newton keeps no state between steps."""


def eigh_2x2(hessian: Array) -> tuple[Array, Array, Array]:
    """Eigenvalues (λ₁ ≤ λ₂) and the unit eigenvector of λ₁ (as cos, sin), vectorized.

    Returns ``(lam1, lam2, angle)`` with shapes (n,), where the eigenvector of
    λ₁ is (cos angle, sin angle) and that of λ₂ is perpendicular to it.
    """
    a, b, d = hessian[:, 0, 0], 0.5 * (hessian[:, 0, 1] + hessian[:, 1, 0]), hessian[:, 1, 1]
    mean = 0.5 * (a + d)
    radius = np.hypot(0.5 * (a - d), b)
    # angle of the eigenvector of the larger eigenvalue is atan2(2b, a − d)/2
    angle = 0.5 * np.arctan2(2 * b, a - d) + 0.5 * np.pi
    return mean - radius, mean + radius, angle


def update(
    params: Array, grad: Array, state: NewtonState, hp: dict[str, Any], lr: Any, step: int,
    hessian: Array,
) -> tuple[Array, NewtonState]:  # fmt: skip
    """One damped, saddle-free Newton step; ``hessian`` is (n, 2, 2) at ``params``."""
    lam1, lam2, angle = eigh_2x2(hessian)
    floor = hp["damping"]
    inv1 = 1.0 / np.maximum(np.abs(lam1), floor)
    inv2 = 1.0 / np.maximum(np.abs(lam2), floor)
    c, s = np.cos(angle), np.sin(angle)
    gx, gy = grad[:, 0], grad[:, 1]
    p1 = (c * gx + s * gy) * inv1  # component along λ₁'s eigenvector, rescaled
    p2 = (-s * gx + c * gy) * inv2  # component along λ₂'s eigenvector, rescaled
    direction = np.empty_like(grad)
    direction[:, 0] = c * p1 - s * p2
    direction[:, 1] = s * p1 + c * p2
    return params - lr * direction, state


def anatomy(
    params: Array, grad: Array, state: NewtonState, hp: dict[str, Any], lr: Any, step: int,
    hessian: Array,
) -> Anatomy:  # fmt: skip
    """Newton's step is one arrow: −lr·H⁻¹g with the curvatures floored as above."""
    new_params, _ = update(params, grad, state, hp, lr, step, hessian)
    return Anatomy({"Newton step": new_params - params})


NEWTON = OptimizerSpec(
    name="newton",
    title="Newton",
    description="uses the curvature (Hessian): one step to the bottom of a quadratic bowl",
    hyperparams=(
        lr_param(1.0, "1 takes the full Newton step"),
        HyperParam(
            "damping",
            1e-4,
            low=0.0,
            low_open=True,
            doc="smallest curvature used, so flat directions cannot blow the step up",
        ),
    ),
    init=lambda params, hp: NewtonState(),
    update=update,
    needs_hessian=True,
    anatomy=anatomy,
    torch_state=lambda state, hp, step: {},  # Newton keeps no state between steps
)
