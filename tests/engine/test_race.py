"""The race: vectorized stepping, stop rules, editing between steps, batch mode."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.engine.datasets import BatchSchedule, make_dataset
from gdstudio.engine.functions import make_function
from gdstudio.engine.models import make_model_objective
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.stop import Status, StopRule


def sgd(lr: float, **kw: object) -> Entry:
    return Entry.create("sgd", {"lr": lr, **kw})


class Quadratic:
    """0.5 pᵀAp for a symmetric positive definite A: a convex test objective."""

    name = "test quadratic"
    description = "convex bowl"
    domain = ((-1.0, 1.0), (-1.0, 1.0))
    minima = np.zeros((1, 2))
    n_samples = None

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    def value(self, p, batch=None):
        return 0.5 * np.einsum("ni,ij,nj->n", p, self.a, p)

    def grad(self, p, batch=None):
        return p @ self.a

    def hessian(self, p, batch=None):
        return np.broadcast_to(self.a, (len(p), 2, 2)).copy()

    def value_and_grad(self, p):  # without errors_ignored, as an objective of one's own may be
        return self.value(p), self.grad(p)


MIXED = [
    sgd(0.001),
    sgd(0.0005, momentum=0.9),
    sgd(0.0007, momentum=0.9, nesterov=True),
    Entry.create("adam", {"lr": 0.05}),
    Entry.create("adam", {"lr": 0.02, "betas": (0.8, 0.99)}),
    Entry.create("rmsprop", {"lr": 0.01}),
    Entry.create("adagrad", {"lr": 0.3}, {"name": "step", "step_size": 10, "gamma": 0.5}),
    Entry.create("newton", {}),
]
STARTS = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.0]])


def test_vectorized_race_equals_runners_stepped_one_by_one():
    rosen = make_function("rosenbrock")
    race = Race(rosen, MIXED, STARTS, max_steps=150, stop=StopRule(grad_tol=0.0))
    race.run()
    for r in range(race.n_runners):
        e, s = race.runner_entry(r), race.runner_start(r)
        alone = Race(rosen, [MIXED[e]], STARTS[s : s + 1], 150, StopRule(grad_tol=0.0))
        alone.run()
        n = int(alone.counts[0])
        assert int(race.counts[r]) == n
        np.testing.assert_array_equal(race.trajectory[:n, r], alone.trajectory[:n, 0])
        np.testing.assert_array_equal(race.loss[:n, r], alone.loss[:n, 0])
        assert race.status[r] == alone.status[0]


def test_learning_rate_lesson_numbers():
    """Lesson 1: x²+y² from (2, 2) with SGD at five learning rates."""
    race = Race(
        make_function("quadratic"),
        [sgd(lr) for lr in (0.01, 0.5, 0.9, 1.0, 1.2)],
        [[2.0, 2.0]],
        max_steps=100,
    )
    assert race.loss[0, 0] == 8.0
    race.run()
    status = race.status
    # 0.01 crawls: (2·0.98^100)² · 2 = 8·0.98^200
    assert race.loss[100, 0] == pytest.approx(8 * 0.98**200, rel=1e-12)
    assert status[0] == Status.MAX_STEPS
    # 0.5 lands on the minimum in one step, where the gradient is exactly 0
    assert status[1] == Status.CONVERGED and race.counts[1] == 2
    np.testing.assert_array_equal(race.trajectory[1, 1], [0.0, 0.0])
    # 0.9 zig-zags: the sign of x alternates
    assert race.trajectory[1, 2, 0] < 0 < race.trajectory[2, 2, 0]
    # 1.0 bounces between (2, 2) and (-2, -2) forever, f stays 8
    np.testing.assert_array_equal(race.trajectory[101 - 1 : 101, 3], [[2.0, 2.0]])
    assert np.all(race.loss[:101, 3] == 8.0)
    # 1.2 diverges: |x| = 2·1.4^k first passes max_abs = 1e6 at k = 39, not recorded
    assert status[4] == Status.DIVERGED
    assert race.counts[4] == 39


def test_divergence_is_silent_and_does_not_stop_the_others():
    race = Race(make_function("rosenbrock"), [sgd(0.01), sgd(0.0001)], [[-2.0, 3.0]], 200)
    race.run()  # the pytest config turns RuntimeWarnings from gdstudio into errors
    assert race.status[0] == Status.DIVERGED
    assert race.counts[0] < 20
    n0 = int(race.counts[0])
    assert np.isfinite(race.trajectory[:n0, 0]).all()
    assert np.isfinite(race.loss[:n0, 0]).all() and np.isfinite(race.grad_norm[:n0, 0]).all()
    assert race.status[1] == Status.MAX_STEPS and race.counts[1] == 201


def test_start_at_minimum_is_converged_at_step_zero():
    race = Race(make_function("quadratic"), [sgd(0.1)], [[0.0, 0.0]], 10)
    assert race.status[0] == Status.CONVERGED and race.done


def test_non_finite_start_is_diverged_without_steps():
    race = Race(make_function("quadratic"), [sgd(0.1)], [[np.inf, 0.0]], 10)
    assert race.status[0] == Status.DIVERGED
    race.run()
    assert race.counts[0] == 1


def test_history_grows_past_initial_capacity():
    race = Race(make_function("quadratic"), [sgd(0.001)], [[1.0, 1.0]], 1000, StopRule(0.0))
    race.run()
    k = np.arange(1001)
    np.testing.assert_allclose(race.trajectory[:1001, 0, 0], 0.998**k, rtol=1e-12)
    assert race.trajectory.shape[0] >= 1001


def test_added_start_catches_up_and_equals_a_fresh_race():
    rosen = make_function("rosenbrock")
    entries = MIXED[:4]
    race = Race(rosen, entries, STARTS[:2], 100, StopRule(0.0))
    race.step(30)
    before = race.trajectory[:31].copy()
    race.add_start(STARTS[2])
    assert race.n_runners == 12
    assert list(race.steps_taken) == [30, 30, 0] * 4
    race.catch_up()
    assert set(race.steps_taken.tolist()) == {30}
    race.run()
    fresh = Race(rosen, entries, STARTS, 100, StopRule(0.0))
    fresh.run()
    np.testing.assert_array_equal(race.trajectory[:101], fresh.trajectory[:101])
    # the runners that were already racing kept their history
    np.testing.assert_array_equal(race.trajectory[:31, [0, 1, 3, 4]], before[:, [0, 1, 2, 3]])


def test_adding_starts_at_once_equals_adding_them_one_by_one():
    rosen = make_function("rosenbrock")
    races = [Race(rosen, MIXED[:3], STARTS[:1], 60, StopRule(0.0)) for _ in range(2)]
    for race in races:
        race.step(20)
    races[0].add_starts(STARTS[1:])
    for point in STARTS[1:]:
        races[1].add_start(point)
    for race in races:
        race.catch_up()
        race.run()
    np.testing.assert_array_equal(races[0].starts, STARTS)
    np.testing.assert_array_equal(races[0].trajectory[:61], races[1].trajectory[:61])
    np.testing.assert_array_equal(races[0].status, races[1].status)


def test_replace_entry_reruns_only_its_runners():
    rosen = make_function("rosenbrock")
    race = Race(rosen, MIXED[:3], STARTS[:2], 50, StopRule(0.0))
    race.step(20)
    kept = race.trajectory[:21].copy()
    race.replace_entry(1, sgd(0.0002, momentum=0.5))
    assert list(race.steps_taken) == [20, 20, 0, 0, 20, 20]
    race.catch_up()
    np.testing.assert_array_equal(race.trajectory[:21, [0, 1, 4, 5]], kept[:, [0, 1, 4, 5]])
    alone = Race(rosen, [sgd(0.0002, momentum=0.5)], STARTS[:2], 50, StopRule(0.0))
    alone.step(20)
    np.testing.assert_array_equal(race.trajectory[:21, 2:4], alone.trajectory[:21])


def test_remove_and_move_start_and_remove_entry():
    q = make_function("quadratic")
    race = Race(q, [sgd(0.1), sgd(0.2)], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], 50)
    race.step(5)
    race.remove_start(1)
    np.testing.assert_array_equal(race.starts, [[1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(race.positions[1], [0.8**5, 0.8**5])  # x ← (1 − 2·0.1)x
    race.move_start(0, [2.0, 0.0])
    assert list(race.steps_taken) == [0, 5, 0, 5]
    race.remove_entry(0)
    assert race.n_runners == 2
    np.testing.assert_allclose(race.positions[1], [0.6**5, 0.6**5])  # x ← (1 − 2·0.2)x


def test_reset_restores_the_start():
    race = Race(make_function("quadratic"), [sgd(0.1)], [[1.0, 1.0]], 50)
    race.step(10)
    race.reset()
    assert race.counts[0] == 1 and race.status[0] == Status.RUNNING


def test_per_runner_learning_rates_form_one_group():
    race = Race(make_function("quadratic"), [sgd(0.1), sgd(0.2), sgd(0.3)], [[1.0, 1.0]], 5)
    assert len(race._groups) == 1  # a learning-rate sweep is one vectorized update
    race.step(1)
    np.testing.assert_allclose(race.positions[:, 0], [0.8, 0.6, 0.4], rtol=1e-15)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.1, 10.0), st.floats(0.1, 10.0), st.floats(-0.9, 0.9),
    st.floats(-5, 5), st.floats(-5, 5), st.floats(0.05, 1.0),
)  # fmt: skip
def test_small_step_gradient_descent_never_increases_a_convex_quadratic(l1, l2, c, x, y, frac):
    off = c * np.sqrt(l1 * l2)
    a = np.array([[l1, off], [off, l2]])
    lmax = np.linalg.eigvalsh(a).max()
    race = Race(Quadratic(a), [sgd(frac / lmax)], [[x, y]], 60, StopRule(0.0))
    race.run()
    losses = race.loss[: int(race.counts[0]), 0]
    assert np.all(np.diff(losses) <= 1e-12 * (1 + losses[:-1]))


def test_batch_mode_runners_share_batches_and_record_them():
    data = make_dataset({"name": "linear", "n_samples": 50, "noise": 0.5, "seed": 1})
    obj = make_model_objective("linear_regression", data)
    schedule = BatchSchedule(50, 8, seed=3)
    race = Race(obj, [sgd(0.05), sgd(0.05, momentum=0.9)], [[0.0, 0.0]], 20, batches=schedule)
    race.run()
    for k in range(20):
        rows = schedule.batch(k)
        np.testing.assert_allclose(
            race.batch_loss[k], obj.value(race.trajectory[k], rows), rtol=1e-14
        )
    # plain SGD's first step uses the gradient of batch 0 only
    expected = -0.05 * obj.grad(np.zeros((1, 2)), schedule.batch(0))[0]
    np.testing.assert_allclose(race.trajectory[1, 0], expected, rtol=1e-14)
    again = Race(obj, [sgd(0.05), sgd(0.05, momentum=0.9)], [[0.0, 0.0]], 20,
                 batches=BatchSchedule(50, 8, seed=3))  # fmt: skip
    again.run()
    np.testing.assert_array_equal(again.trajectory[:21], race.trajectory[:21])


def test_max_abs_bounds_coordinates_not_the_loss():
    # Goldstein-Price reaches f ≈ 1e6 at ordinary points of its domain (contract: "Settled").
    race = Race(make_function("goldstein_price"), [Entry.create("sgd", {"lr": 0.0})],
                [[-1.74, 2.0]], 3, StopRule(0.0, 1e6))  # fmt: skip
    assert race.loss[0, 0] > 1e6
    race.run()
    assert race.status[0] == Status.MAX_STEPS and race.counts[0] == 4
    far = Race(make_function("quadratic"), [Entry.create("sgd", {"lr": 0.0})],
               [[0.0, 2e6]], 3, StopRule(0.0, 1e6))  # fmt: skip
    assert far.status[0] == Status.DIVERGED


def test_an_objective_without_errors_ignored_races_and_one_with_it_is_told():
    # The race's step ignores floating-point errors once: it tells an objective that takes
    # the keyword, and calls one of one's own that does not as it is.
    from gdstudio.engine.objective import quiet_value_and_grad

    told = quiet_value_and_grad(make_function("rosenbrock"))
    assert told.keywords == {"errors_ignored": True}
    plain = Quadratic(np.eye(2))
    assert quiet_value_and_grad(plain) == plain.value_and_grad
    race = Race(plain, [sgd(0.1)], [[1.0, -1.0]], max_steps=5)
    race.run()
    np.testing.assert_allclose(race.trajectory[5, 0], [0.9**5, -(0.9**5)])
