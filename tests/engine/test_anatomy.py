"""Inside the optimizer: the replayed state history and each step taken apart."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.engine.anatomy import inspect_runner
from gdstudio.engine.datasets import BatchSchedule, make_dataset
from gdstudio.engine.functions import make_function
from gdstudio.engine.models import make_model_objective
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.stop import StopRule
from tests.engine.variants import VARIANTS

CASES = [(name, given) for name, variants in VARIANTS.items() for given in variants]
CASES.append(("newton", {"lr": 0.5}))


@pytest.mark.parametrize(("name", "given"), CASES, ids=[f"{n}-{g}" for n, g in CASES])
def test_replay_follows_the_race_and_the_arrows_add_up_to_each_step(name, given):
    race = Race(make_function("rosenbrock"), [Entry.create(name, given)],
                [[-1.5, 2.0], [0.5, -0.5]], 60, StopRule(0.0))  # fmt: skip
    race.run()
    for r in range(race.n_runners):
        insight = inspect_runner(race, r)
        np.testing.assert_array_equal(insight.positions, race.trajectory[: race.counts[r], r])
        steps = np.diff(insight.positions, axis=0)
        total = sum(insight.arrows.values())
        scale = np.abs(steps).max(axis=1, keepdims=True) + 1e-300
        assert np.all(np.abs(total - steps) <= 1e-9 * scale)


def test_momentum_arrows_by_hand():
    # x² + y² from (1, 0), lr 0.1, momentum 0.9: g₁ = 2, p₁ = 0.8; g₂ = 1.6, v₁ = 2.
    race = Race(make_function("quadratic"), [Entry.create("sgd", {"lr": 0.1, "momentum": 0.9})],
                [[1.0, 0.0]], 2, StopRule(0.0))  # fmt: skip
    race.run()
    insight = inspect_runner(race, 0)
    assert insight.arrows["gradient"][:, 0] == pytest.approx([-0.2, -0.16])
    assert insight.arrows["momentum"][:, 0] == pytest.approx([0.0, -0.18])
    assert insight.state["momentum_buffer"][:, 0] == pytest.approx([2.0, 0.9 * 2 + 1.6])
    assert insight.positions[2, 0] == pytest.approx(0.46)


def test_adam_first_step_is_lr_along_the_gradient_sign_whatever_its_size():
    # v̂ = g², m̂ = g after one step, so each coordinate moves by lr·g/(|g| + eps).
    race = Race(make_function("ill_conditioned"), [Entry.create("adam", {"lr": 0.1})],
                [[2.0, 1.0]], 1, StopRule(0.0))  # fmt: skip
    race.run()
    insight = inspect_runner(race, 0)
    assert insight.effective_lr[0] * insight.gradient[0] == pytest.approx([0.1, 0.1])
    assert insight.arrows["memory"][0] == pytest.approx([0.0, 0.0])
    assert insight.bias_correction["1 − β₁ᵗ"][0] == pytest.approx(0.1)
    # the plain gradient step is 50 times longer along y than along x; Adam's is not
    assert insight.plain[0] == pytest.approx([-0.2, -5.0])


def test_decoupled_weight_decay_is_its_own_arrow():
    race = Race(make_function("quadratic"), [Entry.create("adamw", {"lr": 0.1, "weight_decay": 0.5})],
                [[1.0, 2.0]], 1, StopRule(0.0))  # fmt: skip
    race.run()
    insight = inspect_runner(race, 0)
    assert insight.arrows["weight decay"][0] == pytest.approx([-0.05, -0.1])


def test_replay_in_batch_mode_uses_each_step_s_batch():
    data = make_dataset({"name": "linear", "n_samples": 40, "seed": 1})
    objective = make_model_objective("linear_regression", data)
    race = Race(objective, [Entry.create("rmsprop", {"lr": 0.05, "momentum": 0.5})],
                [[0.0, 0.0]], 30, StopRule(0.0), batches=BatchSchedule(40, 4, 0))  # fmt: skip
    race.run()
    insight = inspect_runner(race, 0)
    np.testing.assert_array_equal(insight.positions, race.trajectory[:31, 0])
    assert set(insight.state) == {"step", "square_avg", "momentum_buffer"}


def test_a_runner_that_never_moved_has_an_empty_history():
    race = Race(make_function("quadratic"), [Entry.create("adam", {})], [[0.0, 0.0]], 10)
    insight = inspect_runner(race, 0)  # converged at its start: gradient 0
    assert insight.steps == 0 and insight.state == {} and insight.effective_lr is None
