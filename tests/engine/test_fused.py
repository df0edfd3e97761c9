"""The compiled path for big races gives bit for bit the numbers of the NumPy path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.engine import fused
from gdstudio.engine import race as race_module
from gdstudio.engine.datasets import BatchSchedule, make_dataset
from gdstudio.engine.formula import parse_formula
from gdstudio.engine.functions import make_function
from gdstudio.engine.models import make_model_objective
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.stop import Status, StopRule
from tests.engine.fused_support import break_fused_import
from tests.engine.variants import VARIANTS

ROSEN = make_function("rosenbrock")


def starts(n: int, seed: int = 0, center=(0.0, 1.0), spread=(2.0, 2.0)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(-1, 1, n) * spread[0] + center[0],
                            rng.uniform(-1, 1, n) * spread[1] + center[1]])  # fmt: skip


def make_race(monkeypatch, compiled: bool, *args, **kwargs) -> Race:
    """The race on the compiled path or forced onto the NumPy path."""
    monkeypatch.setattr(race_module, "FUSED_MIN", 1 if compiled else 10**12)
    race = Race(*args, **kwargs)
    assert (race.compiled) == compiled
    return race


def assert_same(a: Race, b: Race) -> None:
    """Every observable number and the optimizer states agree exactly."""
    np.testing.assert_array_equal(a.steps_taken, b.steps_taken)
    np.testing.assert_array_equal(a.status, b.status)
    np.testing.assert_array_equal(a.positions, b.positions)
    rows = int(a.counts.max()) if a.keep_history else 2
    for r in range(a.n_runners):
        upto = min(int(a.counts[r]), rows) if a.keep_history else rows
        np.testing.assert_array_equal(a.trajectory[:upto, r], b.trajectory[:upto, r])
        np.testing.assert_array_equal(a.loss[:upto, r], b.loss[:upto, r])
        if a.keep_history:
            np.testing.assert_array_equal(a.grad_norm[:upto, r], b.grad_norm[:upto, r])
    if not a.keep_history:  # only the current point's gradient norm is kept
        here = (a.counts - 1) & 1, np.arange(a.n_runners)
        np.testing.assert_array_equal(a.grad_norm[here], b.grad_norm[here])
    np.testing.assert_array_equal(a.gradients, b.gradients)
    for ga, gb in zip(a.groups, b.groups, strict=True):
        for fa, fb in zip(ga.state, gb.state, strict=True):
            np.testing.assert_array_equal(fa, fb)


def run_both(monkeypatch, entries, points, steps=150, stop=None, keep_history=True, chunk=64,
             objective=ROSEN):  # fmt: skip
    """The same race on both paths, stepped ``chunk`` steps at a time; returns both."""
    races = [make_race(monkeypatch, compiled, objective, entries, points, steps,
                       stop or StopRule(0.0), keep_history=keep_history)
             for compiled in (False, True)]  # fmt: skip
    while not races[0].done:
        made = [r.step(chunk) for r in races]
        assert made[0] == made[1]
    assert races[1].done
    assert_same(*races)
    return races


ENTRIES = {
    "adam": Entry.create("adam", {"lr": 0.01}),
    "sgd": Entry.create("sgd", {"lr": 1e-4}),
    "momentum": Entry.create("sgd", {"lr": 1e-4, "momentum": 0.9}),
    "nesterov": Entry.create("sgd", {"lr": 1e-4, "momentum": 0.9, "nesterov": True}),
}


def test_every_optimizer_but_newton_has_a_kernel_and_a_variant_here():
    from gdstudio.engine.optimizers import OPTIMIZERS

    compiled = {name for name, spec in OPTIMIZERS.items() if spec.compiled is not None}
    assert compiled == set(OPTIMIZERS) - {"newton"} == set(VARIANTS)


@pytest.mark.parametrize(
    ("name", "given"),
    [(name, given) for name, variants in VARIANTS.items() for given in variants],
    ids=[f"{name}-{i}" for name, variants in VARIANTS.items() for i in range(len(variants))],
)
def test_each_optimizer_matches_the_numpy_path(monkeypatch, name, given):
    races = run_both(monkeypatch, [Entry.create(name, given)], starts(300), steps=150,
                     stop=StopRule(0.0, 1e6))  # fmt: skip
    assert races[1].steps_taken.max() > 5  # the race went somewhere


@pytest.mark.parametrize("name", sorted(fused.SURFACES))
def test_each_compiled_surface_matches_the_numpy_path(monkeypatch, name):
    surface = make_function(name)
    (x0, x1), (y0, y1) = surface.domain
    points = starts(200, 3, center=((x0 + x1) / 2, (y0 + y1) / 2),
                    spread=((x1 - x0) / 2, (y1 - y0) / 2))  # fmt: skip
    entries = [
        Entry.create("adam", {"lr": 0.05}),
        Entry.create("sgd", {"lr": 0.01, "momentum": 0.9}),
    ]
    races = run_both(monkeypatch, entries, points, steps=100, objective=surface,
                     stop=StopRule(grad_tol=1e-4, max_abs=1e6))  # fmt: skip
    assert races[1].steps_taken.max() > 10  # the race went somewhere


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_settings_that_differ_between_entries_match_the_numpy_path(monkeypatch, name):
    # All of an optimizer's variants in one race: those with the same flags form one group
    # whose numbers differ per entry, as in a sweep; each entry is its own run of runners.
    entries = [Entry.create(name, given) for given in VARIANTS[name]]
    races = run_both(monkeypatch, entries, starts(30), steps=120, stop=StopRule(0.0, 1e6))
    assert any(g.per_runner for g in races[1].groups) or len(entries) == len(races[1].groups)


def test_schedules_that_differ_within_a_group_match(monkeypatch):
    entries = [Entry.create("adam", {"lr": 0.05}, {"name": "step", "step_size": 7, "gamma": 0.5}),
               Entry.create("adam", {"lr": 0.02}),
               Entry.create("adam", {"lr": 0.05}, {"name": "cosine", "T_max": 20})]  # fmt: skip
    races = run_both(monkeypatch, entries, starts(40), steps=90, chunk=33)
    assert len(races[1].groups) == 1


def test_a_sweep_of_momentum_through_zero_matches(monkeypatch):
    # Rows with momentum 0 follow the plain gradient and keep an empty buffer on both paths.
    entries = [Entry.create("sgd", {"lr": 1e-3 * (1 + i % 3), "momentum": m})
               for i, m in enumerate([0.0, 0.5, 0.0, 0.9, 0.99])]  # fmt: skip
    races = run_both(monkeypatch, entries, starts(20), steps=100)
    buffer = races[1].groups[0].state.momentum_buffer
    assert (buffer[:20] == 0).all() and (buffer[20:40] != 0).any()


def test_without_history_and_with_a_step_limit_inside_one_call(monkeypatch):
    fast, _ = run_both(monkeypatch, [ENTRIES["adam"]], starts(200), steps=100,
                       keep_history=False, chunk=1000)  # fmt: skip
    assert (fast.status == Status.MAX_STEPS).all()


def test_divergence_and_convergence_match(monkeypatch):
    # Too big a step diverges far from the minimum; close to it momentum converges.
    points = np.vstack([starts(100, 1), starts(100, 2, center=(1.0, 1.0), spread=(0.05, 0.05))])
    entry = Entry.create("sgd", {"lr": 1.5e-3, "momentum": 0.9})
    numpy_race, _ = run_both(monkeypatch, [entry], points, steps=2000,
                             stop=StopRule(grad_tol=1e-5, max_abs=1e8))  # fmt: skip
    seen = set(numpy_race.status.tolist())
    assert {Status.DIVERGED, Status.CONVERGED} <= seen


def test_groups_whose_runners_are_not_contiguous(monkeypatch):
    # Two entries of one SGD group around an Adam entry: the group's state is cut in runs.
    entries = [ENTRIES["momentum"], ENTRIES["adam"], ENTRIES["momentum"]]
    run_both(monkeypatch, entries, starts(50), steps=120)


def test_editing_and_catching_up_match(monkeypatch):
    schedule = {"name": "step", "step_size": 7, "gamma": 0.5}
    entries = [Entry.create("adam", {"lr": 0.05}, schedule), ENTRIES["nesterov"]]
    races = [make_race(monkeypatch, fused, ROSEN, entries, starts(40), 300, StopRule(0.0))
             for fused in (False, True)]  # fmt: skip
    for edit in (
        lambda r: r.step(30),
        lambda r: r.add_start([1.5, -0.5]),
        lambda r: r.catch_up(),
        lambda r: r.step(20),
        lambda r: r.move_start(3, [-1.0, 2.5]),
        lambda r: r.step(5),
        lambda r: r.catch_up(),
        lambda r: r.extend(400),
        lambda r: r.run(),
    ):
        for r in races:
            edit(r)
        assert_same(*races)


@settings(max_examples=25, deadline=None)
@given(
    lr=st.floats(1e-5, 3e-3),
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    adam=st.booleans(),
    n=st.integers(1, 40),
    steps=st.integers(1, 140),
    seed=st.integers(0, 1000),
)
def test_random_races_match(lr, momentum, adam, n, steps, seed):
    entry = (Entry.create("adam", {"lr": lr * 100}) if adam
             else Entry.create("sgd", {"lr": lr, "momentum": momentum}))  # fmt: skip
    with pytest.MonkeyPatch.context() as monkeypatch:
        run_both(monkeypatch, [entry], starts(n, seed), steps=steps,
                 stop=StopRule(grad_tol=1e-3, max_abs=1e6), chunk=50)  # fmt: skip


@pytest.mark.parametrize(
    ("objective", "entries", "batches"),
    [
        (ROSEN, [Entry.create("newton", {"lr": 0.5})], None),
        (make_function("rastrigin"), [ENTRIES["adam"]], None),
        (parse_formula("(1 - x)**2 + 100*(y - x**2)**2"), [ENTRIES["adam"]], None),
        (make_model_objective("linear_regression", make_dataset({"name": "linear", "n_samples": 40})),
         [ENTRIES["adam"]], BatchSchedule(40, 8, 0)),
    ],
    ids=["newton", "other surface", "formula", "batch mode"],
)  # fmt: skip
def test_what_has_no_compiled_kernel_takes_the_numpy_path(monkeypatch, objective, entries,
                                                          batches):  # fmt: skip
    monkeypatch.setattr(race_module, "FUSED_MIN", 1)
    race = Race(objective, entries, starts(5), 20, batches=batches)
    assert not race.compiled
    race.run()
    assert race.done


def test_small_races_stay_on_the_numpy_path():
    race = Race(ROSEN, [ENTRIES["adam"]], starts(race_module.FUSED_MIN - 1), 5)
    assert not race.compiled
    assert Race(ROSEN, [ENTRIES["adam"]], starts(race_module.FUSED_MIN), 5).compiled


@pytest.mark.parametrize(
    "error", [ImportError("No module named 'numba'"), OSError("libllvmlite.so")]
)
def test_without_a_working_numba_big_races_take_the_numpy_path(monkeypatch, error):
    break_fused_import(monkeypatch, error)
    monkeypatch.setattr(race_module, "FUSED_MIN", 1)
    race = Race(ROSEN, [ENTRIES["adam"]], starts(10), 5)
    assert not race.compiled
    race.run()
    assert race.done


def test_runs_are_cut_into_nearly_equal_parts_one_per_thread():
    length = 3 * fused.BLOCK + 5  # whole blocks would give the threads 2 and 1.003 blocks
    parts = fused._split(np.array([100, 100 + length, 7]), 2)
    half = length // 2
    assert [p.tolist() for p in parts] == [
        [100, 100 + half, 7],
        [100 + half, 100 + length, 7 + half],
    ]
    assert [p.tolist() for p in fused._split(np.array([0, 10, 0]), 2)] == [[0, 10, 0]]
    # A run that fits one block is not cut.
    assert len(fused._split(np.array([0, fused.BLOCK, 0]), 2)) == 1
    assert len(fused._split(np.array([0, fused.BLOCK + 1, 0]), 2)) == 2


def test_a_race_stepped_by_two_threads_matches(monkeypatch):
    monkeypatch.setenv("GDSTUDIO_THREADS", "2")
    assert fused.threads() == 2
    entries = [Entry.create("adam", {"lr": 0.01}), Entry.create("rmsprop", {"lr": 1e-3})]
    run_both(monkeypatch, entries, starts(3 * fused.BLOCK // 2 + 17), steps=90,
             stop=StopRule(1e-4, 1e6))  # fmt: skip


def test_a_compiled_race_keeps_its_state_where_the_kernels_read_it(monkeypatch):
    race = make_race(monkeypatch, True, ROSEN, [ENTRIES["adam"]], starts(50), 40, StopRule(0.0))
    built = race._groups[0].state
    race.step(5)
    (group,) = race._groups
    stack = race._fused._stack(0)
    for row, field, first in zip(stack, group.state, built, strict=True):
        assert np.shares_memory(row, field)  # a step copies no state in or out
        assert np.shares_memory(row, first)  # nor did the first: the state was built stacked
    before = stack.copy()
    race.step(5)
    assert not np.array_equal(before, stack)
    assert np.array_equal(race._groups[0].state.exp_avg.ravel(), stack[0])
