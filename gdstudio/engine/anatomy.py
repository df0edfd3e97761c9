"""Inside the optimizer: one runner's state history and each of its steps taken apart.

Nothing is recorded while a race runs, so looking inside costs nothing until
asked for. :func:`inspect_runner` steps the runner's optimizer again along its
recorded path, from the gradients (and batches) the race used, and keeps what
the race does not: the optimizer's state after every step under torch.optim's
state_dict names, the learning rate of every step, and every step split into
the arrows of :class:`~gdstudio.engine.optimizers.base.Anatomy`. The replay
takes the race's own numbers: its positions equal the recorded ones exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gdstudio.engine.optimizers import OPTIMIZERS
from gdstudio.engine.race import Race

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RunnerInsight:
    """One runner's optimizer, step by step; K is the number of steps it took.

    ``positions[k]`` is the point before step k+1 (K + 1 rows). ``state`` maps
    torch's state_dict names to the values after each step, (K, 2) or (K,).
    ``arrows`` maps each term's label to its displacement at each step, (K, 2),
    drawn from ``positions[k]``; they sum to ``positions[k + 1] − positions[k]``.
    ``gradient`` is the gradient each step used (on its batch in batch mode), (K, 2);
    :attr:`plain` is −lr·∇f, the step plain gradient descent would take there.
    ``effective_lr`` is the per-coordinate factor in front of the gradient
    (K, 2), or None where the method has none (Lion, Newton).
    ``bias_correction`` maps ``1 − β₁ᵗ`` and ``1 − β₂ᵗ`` to (K,) for the Adam family.
    """

    optimizer: str
    positions: FloatArray
    lr: FloatArray
    state: dict[str, FloatArray]
    arrows: dict[str, FloatArray]
    gradient: FloatArray
    effective_lr: FloatArray | None
    bias_correction: dict[str, FloatArray]

    @property
    def steps(self) -> int:
        """Steps the runner took (K)."""
        return len(self.lr)

    @property
    def plain(self) -> FloatArray:
        """−lr·∇f at each step, (K, 2): what plain gradient descent would do there."""
        return -self.lr[:, None] * self.gradient


def inspect_runner(race: Race, r: int) -> RunnerInsight:
    """Step runner ``r``'s optimizer again along its path and keep everything (see above)."""
    e = race.runner_entry(r)
    entry = race.entries[e]
    spec = OPTIMIZERS[entry.name]
    hp = dict(entry.hyperparameters)
    k_max = int(race.steps_taken[r])
    positions = race.trajectory[: k_max + 1, r].copy()
    grads, hessians = _derivatives(race, r, positions[:k_max])
    lrs = np.array([race.lr_at(e, k) for k in range(k_max)])
    state = spec.init(positions[:1], hp)
    states: dict[str, list] = {}
    arrows: dict[str, list] = {}
    effective: list[FloatArray] = []
    for k in range(k_max):
        args = (positions[k : k + 1], grads[k : k + 1], state, hp, float(lrs[k]), k + 1)
        extra = (hessians[k : k + 1],) if spec.needs_hessian else ()
        with np.errstate(all="ignore"):
            parts = spec.anatomy(*args, *extra)
            _, state = spec.update(*args, *extra)
        for name, arrow in parts.arrows.items():
            arrows.setdefault(name, [np.zeros(2)] * k).append(arrow[0])
        for name in set(arrows) - set(parts.arrows):  # a term absent at this step
            arrows[name].append(np.zeros(2))
        if parts.effective_lr is not None:
            effective.append(parts.effective_lr[0])
        for name, value in spec.torch_state(state, hp, k + 1).items():
            states.setdefault(name, []).append(np.asarray(value)[0])
    return RunnerInsight(
        optimizer=entry.name,
        positions=positions,
        lr=lrs,
        state={name: np.array(values) for name, values in states.items()},
        arrows={name: np.array(values).reshape(k_max, 2) for name, values in arrows.items()},
        gradient=grads,
        effective_lr=np.array(effective) if len(effective) == k_max and k_max else None,
        bias_correction=_bias_correction(entry.name, hp, k_max),
    )


def _derivatives(race: Race, r: int, points: FloatArray) -> tuple[FloatArray, FloatArray | None]:
    """The gradient (and Hessian, for Newton) each step of runner r used, at ``points``."""
    obj = race.objective
    needs_hessian = OPTIMIZERS[race.entries[race.runner_entry(r)].name].needs_hessian
    batches = race.runner_batches(r)
    with np.errstate(all="ignore"):
        if batches is None:
            hess = obj.hessian(points) if needs_hessian else None
            return obj.value_and_grad(points)[1], hess
        grads = np.empty_like(points)
        hess = np.empty((len(points), 2, 2)) if needs_hessian else None
        for k in range(len(points)):
            batch = batches.batch(k)
            p = points[k : k + 1]
            grads[k] = obj.value_and_grad(p)[1][0] if batch is None else obj.grad(p, batch)[0]
            if hess is not None:
                hess[k] = obj.hessian(p, batch)[0]
        return grads, hess


def _bias_correction(name: str, hp: dict, k_max: int) -> dict[str, FloatArray]:
    """Adam-family bias-correction factors 1 − β₁ᵗ and 1 − β₂ᵗ for t = 1..K."""
    if "betas" not in hp or name == "lion":
        return {}
    t = np.arange(1, k_max + 1, dtype=np.float64)
    beta1, beta2 = hp["betas"]
    return {"1 − β₁ᵗ": 1 - beta1**t, "1 − β₂ᵗ": 1 - beta2**t}
