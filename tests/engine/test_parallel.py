"""A job raced on every core: one compiled race, or a NumPy race per core."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.engine import parallel
from gdstudio.engine.formula import parse_formula
from gdstudio.engine.functions import make_function
from gdstudio.engine.race import Entry, Race


def test_split_cuts_consecutive_nearly_equal_ranges():
    assert parallel.split(10, 3) == [range(0, 3), range(3, 6), range(6, 10)]
    assert parallel.split(2, 4) == [range(0, 1), range(1, 2)]
    assert parallel.split(5, 1) == [range(0, 5)]


@pytest.mark.parametrize(
    ("objective", "expected_races"),
    [(make_function("rosenbrock"), 1), (parse_formula("x**2 + y**2"), 2)],
    ids=["compiled: one race", "NumPy: one per core"],
)
def test_race_parts_splits_only_what_the_compiled_path_does_not(monkeypatch, objective,
                                                                expected_races):  # fmt: skip
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    starts = np.random.default_rng(0).uniform(-1, 1, (100, 2))
    entry = Entry.create("adam", {"lr": 0.01})

    def build(part: range) -> Race:
        return Race(objective, [entry], starts[part.start : part.stop], 30,
                    keep_history=False, compile_small=True)  # fmt: skip

    parts, races = parallel.race_parts(build, len(starts))
    assert len(races) == expected_races
    assert [len(p) for p in parts] == [r.n_runners for r in races]
    parallel.run_races(races)
    ends = np.vstack([r.positions for r in races])
    whole = build(range(len(starts)))
    whole.run()
    np.testing.assert_array_equal(ends, whole.positions)


def test_an_error_in_a_race_reaches_the_caller():
    class Broken(Race):
        def step(self, n: int = 1) -> int:
            raise RuntimeError("boom")

    race = Broken(make_function("quadratic"), [Entry.create("sgd", {})], [[1.0, 1.0]], 5)
    with pytest.raises(RuntimeError, match="boom"):
        parallel.run_races([race], lambda fraction: True)
