"""Linear and logistic regression over (w, b): exact values, derivatives, optima and views."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.engine import models
from gdstudio.engine.datasets import DATASETS, Dataset, make_dataset
from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.models import MODELS, make_model_objective, sigmoid
from gdstudio.engine.objective import Objective
from tests.engine.derivatives import assert_derivatives_match

# ---------------------------------------------------------------- hand-computed values


def test_linear_regression_by_hand():
    # X = [0, 1, 2], y = [1, 3, 2] at (w, b) = (1, 0.5):
    # predictions 0.5, 1.5, 2.5; residuals r = −0.5, −1.5, 0.5.
    # L = (0.25 + 2.25 + 0.25) / 3 = 11/12
    # dL/dw = 2·mean(r·x) = 2·(0 − 1.5 + 1)/3 = −1/3;  dL/db = 2·mean(r) = 2·(−1.5)/3 = −1
    # H = 2·[[mean x², mean x], [mean x, 1]] = 2·[[5/3, 1], [1, 1]]
    obj = make_model_objective("linear_regression", make_dataset({"X": [[0], [1], [2]],
                                                                   "y": [1, 3, 2]}))  # fmt: skip
    p = np.array([[1.0, 0.5]])
    np.testing.assert_allclose(obj.value(p), [11 / 12], rtol=1e-14)
    np.testing.assert_allclose(obj.grad(p), [[-1 / 3, -1.0]], rtol=1e-14)
    np.testing.assert_allclose(obj.hessian(p), [[[10 / 3, 2.0], [2.0, 2.0]]], rtol=1e-14)
    # Rows 1 and 2 only: residuals −1.5, 0.5 → L = 1.25, grad = (2·(−1.5 + 1)/2, 2·(−1)/2)
    rows = np.array([1, 2])
    np.testing.assert_allclose(obj.value(p, rows), [1.25], rtol=1e-14)
    np.testing.assert_allclose(obj.grad(p, rows), [[-0.5, -1.0]], rtol=1e-14)
    np.testing.assert_allclose(obj.hessian(p, rows), [[[5.0, 3.0], [3.0, 2.0]]], rtol=1e-14)
    # Least squares: x̄ = 1, ȳ = 2, cov = 1/3, var x = 2/3 → w* = 1/2, b* = 2 − 1/2 = 3/2
    np.testing.assert_allclose(obj.minima, [[0.5, 1.5]], rtol=1e-14)


def test_logistic_regression_by_hand():
    # X = [−1, 0, 2], y = [0, 1, 1] at (w, b) = (ln 3, 0): z = −ln 3, 0, 2 ln 3, so
    # sigmoid(z) = 1/4, 1/2, 9/10.
    # L = (−ln(3/4) − ln(1/2) − ln(9/10)) / 3 = ln(80/27) / 3
    # r = sigmoid − y = 1/4, −1/2, −1/10:
    #   dL/dw = (−1/4 + 0 − 2/10)/3 = −0.15;  dL/db = (1/4 − 1/2 − 1/10)/3 = −7/60
    # q = s(1 − s) = 3/16, 1/4, 9/100:
    #   H_ww = (3/16 + 0 + 36/100)/3 = 0.1825; H_wb = (−3/16 + 18/100)/3 = −0.0025;
    #   H_bb = (3/16 + 1/4 + 9/100)/3 = 0.5275/3
    obj = make_model_objective("logistic_regression",
                               make_dataset({"X": [-1, 0, 2], "y": [0, 1, 1]}))  # fmt: skip
    p = np.array([[math.log(3.0), 0.0]])
    np.testing.assert_allclose(obj.value(p), [math.log(80 / 27) / 3], rtol=1e-14)
    np.testing.assert_allclose(obj.grad(p), [[-0.15, -7 / 60]], rtol=1e-13)
    h = [[0.1825, -0.0025], [-0.0025, 0.5275 / 3]]
    np.testing.assert_allclose(obj.hessian(p), [h], rtol=1e-12)
    np.testing.assert_allclose(obj.predict(p, [-1.0, 0.0, 2.0]), [[0.25, 0.5, 0.9]], rtol=1e-14)


# ---------------------------------------------------------------- derivatives


CASES = [(m, d) for m in MODELS for d in DATASETS if m == "linear_regression"
         or DATASETS[d].task == "classification"]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(CASES), st.floats(-4, 4), st.floats(-4, 4), st.integers(0, 2**16),
       st.integers(1, 30))  # fmt: skip
def test_gradient_and_hessian_match_finite_differences(case, w, b, seed, size):
    model, name = case
    obj = make_model_objective(model, DATASETS[name].generate(30, seed=seed % 7))
    rng = np.random.default_rng(seed)
    for rows in (None, rng.choice(30, size=size, replace=False)):
        p = np.array([[w, b]])
        assert_derivatives_match(
            lambda q, r=rows: obj.value(q, r),
            lambda q, r=rows: obj.grad(q, r),
            lambda q, r=rows: obj.hessian(q, r),
            p,
        )


def direct_loss(model: str, data: Dataset, p: np.ndarray, rows=None) -> np.ndarray:
    """The loss straight from its definition, one row at a time in Python floats."""
    idx = range(data.n) if rows is None else rows
    out = []
    for w, b in p:
        total = 0.0
        for i in idx:
            z = w * data.X[i] + b
            if model == "linear_regression":
                total += (z - data.y[i]) ** 2
            else:
                s = 1 / (1 + math.exp(-z))
                total += -math.log(s) if data.y[i] == 1 else -math.log(1 - s)
        out.append(total / len(idx))
    return np.array(out)


@pytest.mark.parametrize(("model", "name"), [c for c in CASES if c[1] != "separable"])
def test_sufficient_statistics_and_batches_equal_the_direct_formula(model, name):
    data = DATASETS[name].generate(40, seed=1)
    obj = make_model_objective(model, data)
    rng = np.random.default_rng(2)
    lo, hi = np.array(obj.domain).T
    p = lo + (hi - lo) * rng.uniform(size=(25, 2))
    np.testing.assert_allclose(obj.value(p), direct_loss(model, data, p), rtol=1e-10)
    for size in (1, 2, 7, 40):
        rows = rng.choice(40, size=size, replace=False)
        np.testing.assert_allclose(obj.value(p, rows), direct_loss(model, data, p, rows),
                                   rtol=1e-10, atol=1e-12)  # fmt: skip
    everything = rng.permutation(40)
    np.testing.assert_allclose(obj.value(p, everything), obj.value(p), rtol=1e-12)
    np.testing.assert_allclose(obj.grad(p, everything), obj.grad(p), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(obj.hessian(p, everything), obj.hessian(p), rtol=1e-10,
                               atol=1e-14)  # fmt: skip
    value, grad = obj.value_and_grad(p)
    np.testing.assert_array_equal(value, obj.value(p))
    np.testing.assert_array_equal(grad, obj.grad(p))


def test_logistic_chunks_runners_without_changing_results(monkeypatch):
    obj = make_model_objective("logistic_regression", make_dataset({"name": "overlap"}))
    p = np.random.default_rng(0).normal(size=(50, 2)) * 3
    whole = obj.value(p), obj.grad(p), obj.hessian(p)
    monkeypatch.setattr(models, "_CHUNK", 450)  # two runners of 200 rows per chunk
    for got, want in zip((obj.value(p), obj.grad(p), obj.hessian(p)), whole, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-16)


def test_logistic_is_stable_for_huge_logits():
    obj = make_model_objective("logistic_regression",
                               make_dataset({"X": [-2, -1, 1, 2], "y": [0, 1, 0, 1]}))  # fmt: skip
    p = np.array([[1e3, 0.0], [-1e3, 0.0], [1e300, 0.0], [0.0, -1e300], [1e150, 1e300]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad, hess = obj.value(p), obj.grad(p), obj.hessian(p)
        pred = obj.predict(p, np.array([-1e3, 0.0, 1e3]))
    for a in (value, grad, hess, pred):
        assert np.isfinite(a).all()
    # (1e3, 0): rows −1 (y=1) and 1 (y=0) are wrong by |z| = 1e3, the others right.
    np.testing.assert_allclose(value[0], (1e3 + 1e3) / 4, rtol=1e-14)
    np.testing.assert_allclose(grad[0], [(-1 * -1 + 1 * 1) / 4, (-1 + 1) / 4], atol=1e-300)
    # (−1e3, 0): rows −2 (y=0) and 2 (y=1) are wrong by |z| = 2e3.
    np.testing.assert_allclose(value[1], (2e3 + 2e3) / 4, rtol=1e-14)
    np.testing.assert_allclose(value[2], 2e300 / 4, rtol=1e-14)
    np.testing.assert_allclose(value[3], 2e300 / 4, rtol=1e-14)
    np.testing.assert_array_equal(hess[2:], 0.0)
    # A tiny residual keeps its precision: sigmoid(−40) − 0 ≈ 4.2e-18, not rounded to 0.
    right = make_model_objective("logistic_regression", make_dataset({"X": [1], "y": [0]}))
    np.testing.assert_allclose(right.grad(np.array([[-40.0, 0.0]]))[0, 1], math.exp(-40),
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(right.value(np.array([[-40.0, 0.0]])), [math.exp(-40)], rtol=1e-12)


def test_sigmoid_is_accurate_in_both_tails():
    z = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
    np.testing.assert_allclose(s, [0.0, math.exp(-40) / (1 + math.exp(-40)), 0.5, 1.0, 1.0],
                               rtol=1e-15)  # fmt: skip


def test_non_finite_points_give_non_finite_results_silently():
    for model, name in (("linear_regression", "linear"), ("logistic_regression", "overlap")):
        obj = make_model_objective(model, DATASETS[name].generate(20))
        p = np.array([[np.nan, 0.0], [np.inf, 1.0], [1e300, 1e300]])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            results = obj.value(p), obj.grad(p), obj.hessian(p), obj.value_and_grad(p)
        assert not np.isfinite(results[0][0]) and not np.isfinite(results[1][0]).all()


# ---------------------------------------------------------------- optima and views


@pytest.mark.parametrize(("model", "name"), [c for c in CASES if c[1] != "separable"]
                         + [("linear_regression", "separable")])  # fmt: skip
def test_finite_minima_have_zero_gradient_and_the_domain_shows_them(model, name):
    obj = make_model_objective(model, make_dataset({"name": name}))
    assert obj.minima.shape == (1, 2)
    h = obj.hessian(obj.minima)[0]
    assert np.abs(obj.grad(obj.minima)).max() < 1e-10 * (1 + np.abs(h).max())
    (x0, x1), (y0, y1) = obj.domain
    w, b = obj.minima[0]
    assert x0 < min(w, 0) and max(w, 0) < x1 and y0 < min(b, 0) and max(b, 0) < y1
    lo, hi = np.array(obj.domain).T
    p = lo + (hi - lo) * np.random.default_rng(0).uniform(size=(200, 2))
    assert np.all(obj.value(p) >= obj.value(obj.minima)[0] - 1e-12)


def test_linear_regression_recovers_the_generating_line():
    obj = make_model_objective("linear_regression", make_dataset({"name": "linear",
                                                                  "n_samples": 5000}))  # fmt: skip
    np.testing.assert_allclose(obj.minima, [[2.0, 1.0]], atol=0.05)
    np.testing.assert_allclose(obj.value(obj.minima), [0.25], rtol=0.1)  # noise² = 0.25


def test_unscaled_is_a_ravine_and_standardized_a_round_bowl():
    ravine = make_model_objective("linear_regression", make_dataset({"name": "unscaled"}))
    bowl = make_model_objective("linear_regression", make_dataset({"name": "standardized"}))
    assert np.linalg.cond(ravine.hessian(ravine.minima)[0]) > 100
    assert np.linalg.cond(bowl.hessian(bowl.minima)[0]) < 10
    # In the default view (each axis scaled to its range) the ravine is still a thin
    # diagonal valley, and the bowl still round.
    for obj, low, high in ((ravine, 10, np.inf), (bowl, 1, 1.5)):
        scale = np.diag(np.ptp(np.array(obj.domain), axis=1))
        assert low <= np.linalg.cond(scale @ obj.hessian(obj.minima)[0] @ scale) < high


def test_separable_data_have_no_minimum_and_the_loss_falls_across_the_view():
    obj = make_model_objective("logistic_regression", make_dataset({"name": "separable"}))
    assert obj.minima.shape == (0, 2)
    (x0, x1), (y0, y1) = obj.domain
    assert x0 < 0 < x1 and y0 < 0 < y1
    ray = np.linspace(0, x1, 50)[:, None] * np.array([[1.0, 0.0]])
    loss = obj.value(ray)
    assert np.all(np.diff(loss) < 0) and loss[-1] < 0.01 * loss[0]
    assert np.all(obj.grad(ray)[:, 0] < 0)  # still falling at the edge of the view


@pytest.mark.parametrize(("X", "y", "direction"), [
    ([-1, 0, 0, 1], [0, 0, 1, 1], (1, 0)),    # touching classes: quasi-separable
    ([-2, -1, 3, 4], [1, 1, 0, 0], (-1, 0)),  # class 1 on the left
    ([0.5, 1, 2], [1, 1, 1], (0, 1)),         # one class: b → +∞
])  # fmt: skip
def test_unbounded_logistic_views_contain_a_falling_direction(X, y, direction):
    obj = make_model_objective("logistic_regression", make_dataset({"X": X, "y": y}))
    assert obj.minima.shape == (0, 2)
    (x0, x1), (y0, y1) = obj.domain
    assert x0 < 0 < x1 and y0 < 0 < y1
    d = np.array(direction, dtype=float)
    assert np.all(obj.grad(np.outer([0.5, 1, 2], d)) @ d < 0)


def test_degenerate_linear_data_have_a_line_of_minima():
    obj = make_model_objective("linear_regression", make_dataset({"X": [[2.0]], "y": [3.0]}))
    assert obj.minima.shape == (0, 2)
    (x0, x1), (y0, y1) = obj.domain
    assert x0 < x1 and y0 < 3.0 < y1
    np.testing.assert_allclose(obj.value(np.array([[1.0, 1.0], [0.0, 3.0]])), [0.0, 0.0])


# ---------------------------------------------------------------- the objective itself


def test_objective_attributes_and_predict():
    data = make_dataset({"name": "linear", "n_samples": 12})
    obj = make_model_objective("linear_regression", data)
    assert isinstance(obj, Objective)
    assert obj.name == "linear_regression on linear" and obj.n_samples == 12
    assert obj.dataset is data and obj.description and obj.formula == "mean((w·x + b − y)²)"
    p = np.array([[2.0, 1.0], [0.0, -1.0]])
    np.testing.assert_allclose(obj.predict(p, np.array([0.0, 1.0, 2.0])),
                               [[1.0, 3.0, 5.0], [-1.0, -1.0, -1.0]])  # fmt: skip
    for spec in MODELS.values():
        assert spec.title and spec.formula and spec.description


def test_bad_model_or_labels():
    data = make_dataset({"name": "linear", "n_samples": 5})
    with pytest.raises(ScenarioError) as info:
        make_model_objective("svm", data)
    assert info.value.field == "surface.model"
    assert (
        info.value.message == "unknown model 'svm'; valid: linear_regression, logistic_regression"
    )
    with pytest.raises(ScenarioError, match=r"surface\.model"):
        make_model_objective(["linear_regression"], data)  # type: ignore[arg-type]
    with pytest.raises(ScenarioError) as info:
        make_model_objective("logistic_regression", make_dataset({"X": [1, 2], "y": [0, 2]}))
    assert info.value.field == "surface.dataset.y" and "row 1 has 2" in info.value.message
