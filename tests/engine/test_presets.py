"""Every lesson preset shows what it promises, checked on the engine's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.engine.presets import preset, presets
from gdstudio.engine.race import Race
from gdstudio.engine.stop import Status


def run(key: str) -> Race:
    race = preset(key).scenario.race()
    race.run()
    return race


def final(race: Race, r: int) -> tuple[np.ndarray, float]:
    k = int(race.counts[r]) - 1
    return race.trajectory[k, r], float(race.loss[k, r])


def test_every_preset_loads_runs_and_has_a_caption():
    assert len(presets()) >= 14
    for p in presets():
        assert p.title and p.caption, p.key
        race = p.scenario.race()
        race.step(5)
        assert race.n_runners >= 1


def test_01_learning_rate():
    race = run("01-learning-rate")
    assert race.loss[100, 0] == pytest.approx(0.1407, abs=1e-3)  # crawls
    assert race.status[1] == Status.CONVERGED and race.counts[1] == 2  # one step
    assert race.status[2] == Status.CONVERGED  # zig-zags in
    assert race.status[3] == Status.MAX_STEPS and np.all(race.loss[:101, 3] == 8.0)  # bounces
    assert race.status[4] == Status.DIVERGED and race.counts[4] <= 41  # flies off


def noise(race: Race, r: int) -> float:
    """Mean absolute second difference of the loss curve: 0 for a smooth descent."""
    loss = race.loss[: int(race.counts[r]), r]
    return float(np.mean(np.abs(np.diff(loss, 2))))


def test_02_batch_modes_noise_ordering():
    race = run("02-batch-modes")
    full, stochastic, mini = (noise(race, r) for r in range(3))
    assert full < mini < stochastic
    assert np.all(np.diff(race.loss[: int(race.counts[0]), 0]) <= 1e-12)  # full batch: monotone


def test_03_batch_size_noise_shrinks():
    race = run("03-batch-size")
    n4, n16, n64 = (noise(race, r) for r in range(3))
    assert n4 > n16 > n64
    steps_per_epoch = [race.runner_batches(r).steps_per_epoch for r in range(3)]
    assert steps_per_epoch == [64, 16, 4]


def test_04_local_minima():
    race = run("04-local-minima")
    pos, f = final(race, 0)
    assert f == pytest.approx(-50.06, abs=0.01)
    np.testing.assert_allclose(pos, [2.747, 2.747], atol=1e-3)
    _, f_global = final(race, 2)
    assert f_global == pytest.approx(-78.33, abs=0.01)


def test_05_saddle_point():
    race = run("05-saddle-point")
    pos0, _ = final(race, 0)
    np.testing.assert_allclose(pos0, [0.0, 0.0], atol=1e-5)
    assert race.status[0] == Status.CONVERGED
    eig = np.linalg.eigvalsh(race.objective.hessian(pos0[None])[0])
    assert eig[0] < 0 < eig[1]  # mixed signs: a saddle
    pos1, _ = final(race, 1)
    np.testing.assert_allclose(pos1, [1.0, 0.0], atol=1e-4)


def steps_to(race: Race, r: int, tol: float) -> int:
    minimum = race.objective.minima[0]
    dist = np.linalg.norm(race.trajectory[: int(race.counts[r]), r] - minimum, axis=1)
    hits = np.flatnonzero(dist < tol)
    return int(hits[0]) if len(hits) else 10**9


def test_06_ravine_vs_standardized():
    ravine, bowl = run("06-ravine"), run("06b-standardized")
    slow = steps_to(ravine, 0, 0.05 * np.linalg.norm(ravine.starts[0] - ravine.objective.minima[0]))
    fast = steps_to(bowl, 0, 0.05 * np.linalg.norm(bowl.starts[0] - bowl.objective.minima[0]))
    assert slow >= 10 * fast


def test_07_momentum_rolls_through_bumps():
    race = run("07-momentum-bumps")
    assert final(race, 0)[1] == pytest.approx(2.04, abs=0.02)
    assert final(race, 1)[1] == pytest.approx(0.51, abs=0.02)


def test_08_plateau():
    race = run("08-plateau")
    start = race.starts[0]
    assert np.linalg.norm(final(race, 0)[0] - start) < 0.1  # GD barely moves
    assert np.linalg.norm(final(race, 1)[0]) < 0.1  # Adam reaches the centre


def test_09_exploding_gradient():
    race = run("09-exploding")
    assert race.status[0] == Status.DIVERGED and race.counts[0] < 20
    assert race.status[2] != Status.DIVERGED and race.counts[2] == 501


def test_10_adagrad_crawls_rmsprop_keeps_pace():
    race = run("10-adagrad-rmsprop")
    assert final(race, 1)[1] < final(race, 0)[1] / 10


def test_11_adam_vs_sgd():
    race = run("11-adam-vs-sgd")
    losses = [final(race, r)[1] for r in range(4)]
    assert losses[3] < losses[0] / 10 and losses[2] < losses[0] / 10


def test_12_convergence_criteria():
    race = run("12-convergence")
    assert np.all(race.status == Status.CONVERGED)
    k = race.counts - 1
    assert np.all(race.grad_norm[k, np.arange(race.n_runners)] < 1e-6)
    assert np.all(race.grad_norm[k - 1, np.arange(race.n_runners)] >= 1e-6)


def test_13_newton_one_step():
    race = run("13-newton")
    np.testing.assert_allclose(race.trajectory[1, 1], race.objective.minima[0], atol=1e-12)
    assert race.counts[1] == 2  # converged after one step
    assert race.counts[0] > 20  # GD zig-zags on


def test_14_separable_never_converges():
    race = run("14-separable")
    r = 0
    loss = race.loss[: int(race.counts[r]), r]
    assert race.status[r] == Status.MAX_STEPS
    assert np.all(np.diff(loss) < 0)
    w = np.abs(race.trajectory[: int(race.counts[r]), r, 0])
    assert w[-1] > w[len(w) // 2] > w[10]
