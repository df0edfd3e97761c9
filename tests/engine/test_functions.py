"""Built-in functions and user formulas: values at minima, exact derivatives, bad formulas."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.engine.errors import FormulaError, ScenarioError
from gdstudio.engine.formula import parse_formula
from gdstudio.engine.functions import FUNCTIONS, make_function

# Global minimum values from Surjanovic & Bingham's Virtual Library of Simulation Experiments.
MINIMUM_VALUES = {
    "quadratic": 0.0, "ill_conditioned": 0.0, "rosenbrock": 0.0, "himmelblau": 0.0,
    "beale": 0.0, "booth": 0.0, "rastrigin": 0.0, "ackley": 0.0, "goldstein_price": 3.0,
    "six_hump_camel": -1.0316, "three_hump_camel": 0.0, "matyas": 0.0, "levi13": 0.0,
    "styblinski_tang": -78.332331,  # 2·(−39.16617); VLSE rounds to −39.16599d "mccormick": -1.9133, "double_well": -0.25,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MINIMUM_VALUES))
def test_value_and_zero_gradient_at_known_minima(name):
    f = make_function(name)
    assert len(f.minima) >= 1
    np.testing.assert_allclose(f.value(f.minima), MINIMUM_VALUES[name], atol=1e-4)
    scale = 1 + np.abs(f.hessian(f.minima)).max()
    assert np.abs(f.grad(f.minima)).max() < 1e-3 * scale


def test_every_function_has_a_lesson_and_a_domain():
    for spec in FUNCTIONS.values():
        assert spec.description and spec.title
        (x0, x1), (y0, y1) = spec.domain
        assert x0 < x1 and y0 < y1
    assert {"saddle", "monkey_saddle"} <= set(FUNCTIONS)


def central_differences(fn, p, h=1e-6):
    cols = []
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        cols.append((fn(p + e) - fn(p - e)) / (2 * h))
    return np.stack(cols, axis=-1)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(FUNCTIONS)), st.floats(0.05, 0.95), st.floats(0.05, 0.95))
def test_gradient_and_hessian_match_finite_differences(name, u, v):
    f = make_function(name)
    (x0, x1), (y0, y1) = f.domain
    p = np.array([[x0 + u * (x1 - x0), y0 + v * (y1 - y0)]])
    g = f.grad(p)
    np.testing.assert_allclose(g, central_differences(f.value, p), rtol=1e-5,
                               atol=1e-5 * (1 + np.abs(g).max()))  # fmt: skip
    h = f.hessian(p)
    fd = central_differences(f.grad, p)
    np.testing.assert_allclose(h, np.swapaxes(fd, -1, -2), rtol=1e-5,
                               atol=1e-5 * (1 + np.abs(h).max()))  # fmt: skip
    np.testing.assert_array_equal(h, np.swapaxes(h, -1, -2))


def test_ackley_gradient_is_finite_at_the_origin():
    f = make_function("ackley")
    assert np.all(np.isfinite(f.grad(np.zeros((1, 2)))))
    np.testing.assert_allclose(f.grad(np.zeros((1, 2))), 0.0, atol=1e-12)


def test_parameters_change_the_function_and_unknown_ones_are_refused():
    f = make_function("rosenbrock", {"a": 2.0})
    np.testing.assert_allclose(f.minima, [[2.0, 4.0]])
    assert f.value(np.array([[2.0, 4.0]]))[0] == 0.0
    with pytest.raises(ScenarioError, match="valid: a, b"):
        make_function("rosenbrock", {"c": 1.0})
    with pytest.raises(ScenarioError, match="valid: quadratic"):
        make_function("rosenbrok")


def test_seed_002_example_values():
    """The interactive example of the seed article: f(2, 2) = 8, gradient (4, 4)."""
    f = make_function("quadratic")
    assert f.value(np.array([[2.0, 2.0]]))[0] == 8.0
    np.testing.assert_array_equal(f.grad(np.array([[2.0, 2.0]])), [[4.0, 4.0]])


FORMULAS = [
    ("x**2 + 10*sin(y)", lambda x, y: x**2 + 10 * np.sin(y)),
    ("(1 - x)^2 + 100*(y - x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("exp(-(x**2 + y**2)) * cos(pi*x)", lambda x, y: np.exp(-(x**2 + y**2)) * np.cos(np.pi * x)),
    ("log(1 + x**2) + abs(y) + sqrt(x**2 + 1)",
     lambda x, y: np.log(1 + x**2) + np.abs(y) + np.sqrt(x**2 + 1)),
    ("tanh(x) * arctan(y) + hypot(x, y) - e", lambda x, y: np.tanh(x) * np.arctan(y)
     + np.hypot(x, y) - np.e),
    ("x", lambda x, y: x + 0 * y),
]  # fmt: skip


@pytest.mark.parametrize(("text", "ref"), FORMULAS, ids=[f[0] for f in FORMULAS])
def test_formula_values_and_derivatives(text, ref):
    f = parse_formula(text)
    rng = np.random.default_rng(1)
    p = rng.uniform(-2, 2, (50, 2))
    np.testing.assert_allclose(f.value(p), ref(p[:, 0], p[:, 1]), rtol=1e-12)
    np.testing.assert_allclose(f.grad(p), central_differences(f.value, p), rtol=1e-5, atol=1e-6)
    fd = np.swapaxes(central_differences(f.grad, p), -1, -2)
    np.testing.assert_allclose(f.hessian(p), fd, rtol=1e-4, atol=1e-5)
    assert f.grad(p).shape == (50, 2) and f.hessian(p).shape == (50, 2, 2)


BAD_FORMULAS = [
    ("", "empty", None),
    ("x +", "ends with an operator", 2),
    ("sin x", "could not parse", None),
    ("__import__('os')", "unknown function '__import__'", 0),
    ("().__class__", "attributes", 0),
    ("x.real", "attributes", 0),
    ("x[0]", "subscripts", 0),
    ("lambda: 1", "lambda", 0),
    ("'a'", "text is not allowed", 0),
    ("open", "unknown name 'open'", 0),
    ("3", "must depend on x or y", None),
    ("z + 1", "unknown name 'z'", 0),
    ("x + sin(x, y)", "sin() takes 1 argument, got 2", 4),
    ("x if y else 1", "if/else", 0),
    ("x < y", "comparisons", 0),
    ("x % 2", "operator '%'", 0),
    ("sin", "is a function", 0),
    ("x + 9**9**9", "too large", None),
    ("round(x)", "unknown function 'round'", 0),
    ("x" * 501, "longer than 500", None),
]


@pytest.mark.parametrize(("text", "fragment", "column"), BAD_FORMULAS,
                         ids=[b[0][:20] or "empty" for b in BAD_FORMULAS])  # fmt: skip
def test_bad_formulas_are_refused_with_a_position(text, fragment, column):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert fragment in info.value.message
    if column is not None:
        assert info.value.position == column


def test_formulas_never_evaluate_user_text(monkeypatch):
    """Neither eval nor sympy's string parser sees the text; only our AST walk does."""

    def forbidden(*_a, **_k):
        raise AssertionError("user text evaluated")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr("sympy.parsing.sympy_parser.parse_expr", forbidden)
    f = parse_formula("x**2 + y**2")
    assert f.value(np.array([[1.0, 2.0]]))[0] == 5.0


def test_formula_overflow_is_silent():
    f = parse_formula("exp(x) + log(y)")
    with np.errstate(all="raise"):
        v = f.value(np.array([[1000.0, -1.0]]))
    assert not np.isfinite(v[0])
