"""Toy datasets (generated and inline, with their errors) and the shared batch sequence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.engine.datasets import DATASETS, BatchSchedule, Dataset, make_dataset
from gdstudio.engine.errors import ScenarioError

# ---------------------------------------------------------------- generated datasets


def test_every_kind_documents_itself_and_its_parameters():
    assert {"linear", "logistic", "unscaled", "overlap", "separable", "standardized"} <= set(
        DATASETS
    )
    for spec in DATASETS.values():
        assert spec.title and spec.description and spec.task in ("regression", "classification")
        assert [p.name for p in spec.parameters] == ["n_samples", "noise", "seed"]
        for p in spec.parameters:
            assert p.doc and p.low <= p.default <= p.high
        assert spec.param("n_samples").default == 200 and spec.param("seed").default == 0


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_generation_is_seeded_float64_and_sized(name):
    spec = DATASETS[name]
    a, b = spec.generate(50, seed=3), spec.generate(50, seed=3)
    assert isinstance(a, Dataset) and a.name == name and a.description == spec.description
    assert a.X.shape == a.y.shape == (50,) and a.n == 50
    assert a.X.dtype == a.y.dtype == np.float64
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, spec.generate(50, seed=4).X)
    if spec.task == "classification":
        assert set(np.unique(a.y)) == {0.0, 1.0}


def test_make_dataset_fills_defaults():
    d = make_dataset({"name": "linear"})
    ref = DATASETS["linear"].generate(200, 0.5, 0)
    np.testing.assert_array_equal(d.X, ref.X)
    np.testing.assert_array_equal(d.y, ref.y)
    assert make_dataset({"name": "overlap", "n_samples": 7, "seed": 2.0}).n == 7


def test_linear_data_follow_the_documented_line():
    d = DATASETS["linear"].generate(2000, noise=0.0)
    np.testing.assert_allclose(d.y, 2.0 * d.X + 1.0)
    assert d.X.min() >= -2.0 and d.X.max() <= 2.0


def test_standardized_is_the_unscaled_data_standardized():
    raw, std = DATASETS["unscaled"].generate(300), DATASETS["standardized"].generate(300)
    np.testing.assert_array_equal(std.y, raw.y)
    np.testing.assert_allclose(std.X, (raw.X - raw.X.mean()) / raw.X.std())
    assert abs(raw.X.mean()) > 10 and raw.X.std() > 10  # large scale and offset


def separable(d: Dataset) -> bool:
    pos, neg = d.X[d.y == 1], d.X[d.y == 0]
    return pos.min() >= neg.max() or pos.max() <= neg.min()


@given(st.integers(4, 60), st.floats(0.0, 10.0), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_overlap_always_overlaps_and_separable_always_separates(n, noise, seed):
    assert not separable(DATASETS["overlap"].generate(n, noise, seed))
    d = DATASETS["separable"].generate(n, noise, seed)
    assert separable(d)
    assert d.X[d.y == 1].min() - d.X[d.y == 0].max() >= 1.0


def test_logistic_noise_controls_overlap():
    assert separable(DATASETS["logistic"].generate(200, noise=0.0))
    assert not separable(DATASETS["logistic"].generate(200, noise=1.0))


def test_dataset_arrays_are_read_only():
    d = make_dataset({"name": "linear", "n_samples": 5})
    with pytest.raises(ValueError, match="read-only"):
        d.X[0] = 1.0


# ---------------------------------------------------------------- inline datasets


def test_inline_rows_nested_or_flat():
    nested = make_dataset({"X": [[-1.0], [0], [2.5]], "y": [0, 1, 1]})
    flat = make_dataset({"X": [-1.0, 0, 2.5], "y": [0, 1, 1]})
    for d in (nested, flat):
        np.testing.assert_array_equal(d.X, [-1.0, 0.0, 2.5])
        np.testing.assert_array_equal(d.y, [0.0, 1.0, 1.0])
        assert d.name == "inline" and d.n == 3 and d.X.dtype == np.float64
    assert make_dataset({"X": [[3.0]], "y": [1.5]}).n == 1


BAD = [
    ("not an object", [1, 2], "surface.dataset", "must be an object"),
    ("unknown name", {"name": "spiral"}, "surface.dataset.name", "valid: linear, unscaled"),
    ("name not text", {"name": 3}, "surface.dataset.name", "unknown dataset 3"),
    ("unknown param", {"name": "linear", "size": 3}, "surface.dataset.size",
     "valid: name, n_samples, noise, seed"),
    ("too few rows", {"name": "linear", "n_samples": 1}, "surface.dataset.n_samples",
     "from 2 to 100000"),
    ("overlap rows", {"name": "overlap", "n_samples": 3}, "surface.dataset.n_samples", "from 4"),
    ("fractional rows", {"name": "linear", "n_samples": 2.5}, "surface.dataset.n_samples",
     "whole number"),
    ("bool rows", {"name": "linear", "n_samples": True}, "surface.dataset.n_samples", "true"),
    ("negative noise", {"name": "linear", "noise": -1}, "surface.dataset.noise", "from 0 to 10"),
    ("text noise", {"name": "linear", "noise": "high"}, "surface.dataset.noise", "'high'"),
    ("nan noise", {"name": "linear", "noise": float("nan")}, "surface.dataset.noise", "nan"),
    ("negative seed", {"name": "linear", "seed": -1}, "surface.dataset.seed", "whole number"),
    ("inline extra key", {"X": [1], "y": [1], "w": 1}, "surface.dataset.w", "'X' and 'y'"),
    ("inline no y", {"X": [1]}, "surface.dataset", "both 'X' and 'y'"),
    ("no rows", {"X": [], "y": []}, "surface.dataset.X", "non-empty"),
    ("X not a list", {"X": 3, "y": [1]}, "surface.dataset.X", "list of rows"),
    ("y not a list", {"X": [1], "y": 1}, "surface.dataset.y", "list of numbers"),
    ("two features", {"X": [[1, 2]], "y": [1]}, "surface.dataset.X[0]", "one feature"),
    ("text feature", {"X": [[1], ["2"]], "y": [1, 2]}, "surface.dataset.X[1]", "'2'"),
    ("bool target", {"X": [1, 2], "y": [1, True]}, "surface.dataset.y[1]", "true"),
    ("infinite target", {"X": [1], "y": [float("inf")]}, "surface.dataset.y[0]", "inf"),
    ("huge feature", {"X": [1e300], "y": [1]}, "surface.dataset.X[0]", "1e12"),
    ("lengths differ", {"X": [1, 2, 3], "y": [1, 2]}, "surface.dataset.y",
     "3 rows, 2 numbers"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "config", "field", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_bad_datasets_name_the_field(case, config, field, fragment):
    with pytest.raises(ScenarioError) as info:
        make_dataset(config)
    assert info.value.field == field
    assert fragment in info.value.message, info.value.message


# ---------------------------------------------------------------- batch schedule


def epoch_batches(s: BatchSchedule, epoch: int) -> list[np.ndarray]:
    return [s.batch(epoch * s.steps_per_epoch + i) for i in range(s.steps_per_epoch)]


def test_last_batch_is_short():
    s = BatchSchedule(10, 4, seed=0)
    assert s.steps_per_epoch == 3 and not s.is_full_batch
    assert [len(b) for b in epoch_batches(s, 0)] == [4, 4, 2]
    assert [len(b) for b in epoch_batches(s, 5)] == [4, 4, 2]


@given(st.integers(1, 60), st.integers(1, 70), st.integers(0, 2**32), st.integers(0, 50))
@settings(max_examples=60, deadline=None)
def test_each_epoch_partitions_the_rows_in_order(n, size, seed, epoch):
    s = BatchSchedule(n, size, seed)
    if size >= n:
        assert s.is_full_batch and s.steps_per_epoch == 1 and s.batch(epoch) is None
        return
    batches = epoch_batches(s, epoch)
    assert all(len(b) == size for b in batches[:-1]) and 1 <= len(batches[-1]) <= size
    joined = np.concatenate(batches)
    np.testing.assert_array_equal(joined, s.permutation(epoch))
    np.testing.assert_array_equal(np.sort(joined), np.arange(n))
    assert joined.dtype == np.intp


def test_seeded_per_epoch_and_deterministic():
    a, b = BatchSchedule(50, 8, seed=3), BatchSchedule(50, 8, seed=3)
    first = [a.batch(k) for k in range(30)]
    for k in range(30):
        np.testing.assert_array_equal(first[k], b.batch(k))
    np.testing.assert_array_equal(a.permutation(2), np.random.default_rng([3, 2]).permutation(50))
    assert not np.array_equal(a.permutation(0), a.permutation(1))
    assert not np.array_equal(a.permutation(0), BatchSchedule(50, 8, seed=4).permutation(0))


def test_random_access_equals_sequential():
    seq = BatchSchedule(23, 5, seed=9)
    sequential = [seq.batch(k) for k in range(60)]
    rand = BatchSchedule(23, 5, seed=9)
    for k in np.random.default_rng(0).permutation(60):
        np.testing.assert_array_equal(rand.batch(int(k)), sequential[k])


def test_full_and_stochastic_modes():
    for size in (None, 10, 11):
        s = BatchSchedule(10, size, seed=0)
        assert s.is_full_batch and s.steps_per_epoch == 1
        assert s.batch(0) is None and s.batch(7) is None
    s = BatchSchedule(6, 1, seed=0)
    assert s.steps_per_epoch == 6
    picks = [int(s.batch(k)[0]) for k in range(6)]
    assert all(len(s.batch(k)) == 1 for k in range(12)) and sorted(picks) == list(range(6))


def test_batches_cannot_corrupt_the_cache():
    s = BatchSchedule(10, 4, seed=0)
    with pytest.raises(ValueError, match="read-only"):
        s.batch(0)[0] = 99


def test_bad_schedule_arguments():
    with pytest.raises(ValueError):
        BatchSchedule(0, None, 0)
    with pytest.raises(ValueError):
        BatchSchedule(10, 0, 0)
    with pytest.raises(ValueError):
        BatchSchedule(10, 3, 0).batch(-1)
