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


def inside(domain, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """Which points lie in the domain, at least ``margin`` of its span in from every edge."""
    (x0, x1), (y0, y1) = domain
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return (p[:, 0] >= x0 + mx) & (p[:, 0] <= x1 - mx) & (p[:, 1] >= y0 + my) & (p[:, 1] <= y1 - my)


def path(race: Race, r: int) -> np.ndarray:
    return race.trajectory[: int(race.counts[r]), r]


@pytest.mark.parametrize("key", [p.key for p in presets()])
def test_every_preset_shows_its_race_on_the_map(key):
    """Starts and known minima well inside the shown domain; every path that does not
    diverge stays on the map, and a diverging one shows at least its first step there."""
    race = run(key)
    domain = race.objective.domain
    assert inside(domain, race.starts, margin=0.02).all()
    assert inside(domain, race.objective.minima, margin=0.02).all()
    for r in range(race.n_runners):
        on_map = inside(domain, path(race, r))
        if race.status[r] == Status.DIVERGED:
            assert on_map[:2].all(), (key, r)
        else:
            assert on_map.all(), (key, r)


def zigzags(values: np.ndarray) -> bool:
    """True when every step reverses the direction of the one before."""
    d = np.diff(values)
    return bool(np.all(d[1:] * d[:-1] < 0))


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
    assert race.status[2] == Status.CONVERGED and zigzags(path(race, 2)[:20, 0])  # zig-zags in
    assert race.status[3] == Status.MAX_STEPS and np.all(race.loss[:101, 3] == 8.0)  # bounces
    np.testing.assert_array_equal(np.abs(path(race, 3)), 2.0)  # between (2, 2) and (-2, -2)
    assert race.status[4] == Status.DIVERGED and race.counts[4] <= 41  # flies off
    for r in range(5):  # one diagonal, as the caption warns
        np.testing.assert_array_equal(path(race, r)[:, 0], path(race, r)[:, 1])


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


def test_06_ravine_plain_gd_zigzags_across_and_crawls_along():
    race = run("06-ravine")
    assert [(o.name, o.hyperparameters.get("momentum", 0)) for o in
            preset("06-ravine").scenario.optimizers] == [("sgd", 0)]  # fmt: skip
    w = path(race, 0)[:, 0]
    (x0, x1), _ = race.objective.domain
    assert zigzags(w[:12])  # across the valley...
    assert np.ptp(w[4:6]) > 0.1 * (x1 - x0)  # ...wide enough to see for a few steps
    assert 150 <= steps_to(race, 0, 0.05) <= 250  # then crawls: about 200 steps to get close


def test_06b_standardized_walks_straight_in():
    race = run("06b-standardized")
    start, minimum = race.starts[0], race.objective.minima[0]
    u = (minimum - start) / np.linalg.norm(minimum - start)
    off_line = path(race, 0) - start
    off_line -= np.outer(off_line @ u, u)
    assert np.abs(off_line).max() < 1e-6 * np.linalg.norm(minimum - start)
    assert 10 <= steps_to(race, 0, 0.05) <= 18  # about 14 steps
    np.testing.assert_array_equal(race.starts, run("06-ravine").starts)  # the same start


def steps_to(race: Race, r: int, fraction: float) -> int:
    """First step at which runner r is within ``fraction`` of its start's distance to the minimum."""
    minimum = race.objective.minima[0]
    dist = np.linalg.norm(path(race, r) - minimum, axis=1)
    hits = np.flatnonzero(dist < fraction * dist[0])
    return int(hits[0]) if len(hits) else 10**9


def test_06_ravine_vs_standardized():
    ravine, bowl = run("06-ravine"), run("06b-standardized")
    assert steps_to(ravine, 0, 0.05) >= 10 * steps_to(bowl, 0, 0.05)  # an order of magnitude
    assert np.linalg.cond(ravine.objective.hessian(ravine.objective.minima)[0]) > 50
    assert np.linalg.cond(bowl.objective.hessian(bowl.objective.minima)[0]) < 1.01  # round


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
    assert race.status[0] == Status.DIVERGED and race.counts[0] <= 6  # within a few steps
    thrown = path(race, 0)
    assert inside(race.objective.domain, thrown[:3]).all()  # wall to wall, on the map
    assert np.sign(thrown[1, 0] - thrown[0, 0]) != np.sign(thrown[3, 0] - thrown[2, 0])
    assert not inside(race.objective.domain, thrown[-1:]).any()  # then off it
    assert np.all(race.status[1:] != Status.DIVERGED) and np.all(race.counts[1:] == 501)


def test_10_adagrad_crawls_rmsprop_keeps_pace():
    race = run("10-adagrad-rmsprop")
    assert final(race, 1)[1] < final(race, 0)[1] / 10


def arrival(race: Race, r: int, point, tol: float = 0.05) -> int | None:
    """First step at which runner r is within ``tol`` of ``point``."""
    hits = np.flatnonzero(np.linalg.norm(path(race, r) - point, axis=1) < tol)
    return int(hits[0]) if len(hits) else None


def test_11_adam_vs_sgd():
    race = run("11-adam-vs-sgd")
    sgd, momentum, rmsprop, adam = range(4)
    assert arrival(race, adam, (1, 1)) < 1000 and arrival(race, momentum, (1, 1)) < 1000
    end = path(race, rmsprop)[-1]
    assert arrival(race, rmsprop, (1, 1)) is None and end[0] > 0.5  # most of the way, short
    hops = np.diff(race.loss[800:1001, rmsprop])
    assert np.sum(hops > 0) > 20  # hopping: its loss keeps going up and down
    assert np.linalg.norm(path(race, sgd)[-1] - (1, 1)) > 1.5  # crawls: still far off


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
    assert race.counts[0] > 20 and zigzags(path(race, 0)[:30, 1])  # GD zig-zags on


def test_14_separable_never_converges():
    race = run("14-separable")
    r = 0
    loss = race.loss[: int(race.counts[r]), r]
    assert race.status[r] == Status.MAX_STEPS
    assert np.all(np.diff(loss) < 0)
    w = np.abs(race.trajectory[: int(race.counts[r]), r, 0])
    assert w[-1] > w[len(w) // 2] > w[10]
