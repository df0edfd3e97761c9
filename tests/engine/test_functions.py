"""Built-in functions: values at the known minima, exact derivatives, parameters, registry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.functions import FUNCTIONS, make_function
from gdstudio.engine.objective import Objective
from tests.engine.derivatives import assert_derivatives_match

# Global minima from Surjanovic & Bingham's Virtual Library of Simulation Experiments
# (locations as printed there, to 4–6 digits; values exact or to full precision).
KNOWN_MINIMA = {
    "quadratic": ([(0, 0)], 0.0),
    "ill_conditioned": ([(0, 0)], 0.0),
    "rosenbrock": ([(1, 1)], 0.0),
    "himmelblau": ([(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
                    (3.584428, -1.848126)], 0.0),
    "beale": ([(3, 0.5)], 0.0),
    "booth": ([(1, 3)], 0.0),
    "rastrigin": ([(0, 0)], 0.0),
    "ackley": ([(0, 0)], 0.0),
    "goldstein_price": ([(0, -1)], 3.0),
    "six_hump_camel": ([(0.0898, -0.7126), (-0.0898, 0.7126)], -1.0316284534898774),
    "three_hump_camel": ([(0, 0)], 0.0),
    "matyas": ([(0, 0)], 0.0),
    "levi13": ([(1, 1)], 0.0),
    "styblinski_tang": ([(-2.903534, -2.903534)], -78.33233140754283),  # 2 × −39.16616570…
    "mccormick": ([(-0.54719, -1.54719)], -math.sqrt(3) / 2 - math.pi / 3),
    "double_well": ([(1, 0), (-1, 0)], -0.25),
}  # fmt: skip
UNBOUNDED = {"saddle", "monkey_saddle"}

# Other stationary points the lessons rely on: (function, point, value, Hessian eigenvalue signs).
STATIONARY = [
    ("saddle", (0.0, 0.0), 0.0, (-1, 1)),
    ("monkey_saddle", (0.0, 0.0), 0.0, (0, 0)),
    ("double_well", (0.0, 0.0), 0.0, (-1, 1)),
    ("styblinski_tang", (2.746802770990837, 2.746802770990837), -50.05889331056789, (1, 1)),
    ("styblinski_tang", (2.746802770990837, -2.9035340277711771), -64.19561235905536, (1, 1)),
]


def test_registry_lists_every_function_with_a_lesson_a_domain_and_parameter_docs():
    assert set(FUNCTIONS) == set(KNOWN_MINIMA) | UNBOUNDED
    for name, spec in FUNCTIONS.items():
        assert spec.name == name and spec.title and spec.description
        (x0, x1), (y0, y1) = spec.domain
        assert x0 < x1 and y0 < y1
        assert set(spec.param_docs) == set(spec.params) == set(spec.param_bounds)
        for key, default in spec.params.items():
            low, high = spec.param_bounds[key]
            assert low <= default <= high and spec.param_docs[key]
        f = make_function(name)
        assert isinstance(f, Objective) and f.n_samples is None
        assert f.name == name and f.description == spec.description


@pytest.mark.parametrize("name", sorted(KNOWN_MINIMA))
def test_known_global_minima_have_their_value_and_zero_gradient(name):
    points, f_min = KNOWN_MINIMA[name]
    f = make_function(name)
    expected = np.array(points, dtype=float)
    order = np.lexsort(f.minima.T), np.lexsort(expected.T)
    np.testing.assert_allclose(f.minima[order[0]], expected[order[1]], atol=1e-4)
    np.testing.assert_allclose(f.value(f.minima), f_min, rtol=1e-12, atol=1e-12)
    h = f.hessian(f.minima)
    assert np.abs(f.grad(f.minima)).max() <= 1e-10 * (1 + np.abs(h).max())
    assert np.linalg.eigvalsh(h).min() > -1e-9  # a minimum, not a saddle
    # ... and the global one: nothing on a fine grid over the domain is lower.
    (x0, x1), (y0, y1) = f.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, 301), np.linspace(y0, y1, 301))
    assert f.value(np.column_stack([gx.ravel(), gy.ravel()])).min() >= f_min - 1e-9


@pytest.mark.parametrize(("name", "point", "value", "signs"), STATIONARY)
def test_saddles_and_local_minima(name, point, value, signs):
    f = make_function(name)
    p = np.array([point])
    np.testing.assert_allclose(f.value(p), value, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(f.grad(p), 0.0, atol=1e-12)
    np.testing.assert_array_equal(np.sign(np.round(np.linalg.eigvalsh(f.hessian(p)[0]), 9)),
                                  signs)  # fmt: skip
    assert len(f.minima) == (0 if name in UNBOUNDED else len(KNOWN_MINIMA[name][0]))


NON_DEFAULT = [
    ("rosenbrock", {"a": -0.5, "b": 10.0}), ("rastrigin", {"A": 3.0}),
    ("ackley", {"a": 5.0, "b": 0.5, "c": 3.0}), ("ill_conditioned", {"kappa": 7.0}),
]  # fmt: skip
SURFACES = [(name, {}) for name in sorted(FUNCTIONS)] + NON_DEFAULT


@pytest.mark.parametrize(("name", "params"), SURFACES, ids=[f"{n}{p or ''}" for n, p in SURFACES])
@settings(max_examples=12, deadline=None)
@given(u=st.floats(0.02, 0.98), v=st.floats(0.02, 0.98))
def test_gradient_and_hessian_match_finite_differences(name, params, u, v):
    f = make_function(name, params)
    (x0, x1), (y0, y1) = f.domain
    p = np.array([[x0 + u * (x1 - x0), y0 + v * (y1 - y0)]])
    # Ackley's √(x² + y²) term has a kink at its minimum, where no derivative exists.
    assume(name != "ackley" or np.hypot(*p[0]) > 1e-3)
    assert_derivatives_match(f.value, f.grad, f.hessian, p)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_shapes_fresh_outputs_and_one_rounding_for_value_and_grad(name):
    f = make_function(name)
    (x0, x1), (y0, y1) = f.domain
    rng = np.random.default_rng(7)
    p = np.column_stack([rng.uniform(x0, x1, 64), rng.uniform(y0, y1, 64)])
    before = p.copy()
    v, g, h = f.value(p), f.grad(p), f.hessian(p)
    assert v.shape == (64,) and g.shape == (64, 2) and h.shape == (64, 2, 2)
    assert all(a.dtype == np.float64 and a.flags.writeable for a in (v, g, h))
    assert not any(np.shares_memory(a, p) for a in (v, g, h))
    fv, fg = f.value_and_grad(p)
    np.testing.assert_array_equal(fv, v)
    np.testing.assert_array_equal(fg, g)
    np.testing.assert_array_equal(p, before)
    assert f.value(p[:0]).shape == (0,) and f.grad(p[:0]).shape == (0, 2)


def test_rosenbrock_gradient_is_the_textbook_formula():
    rng = np.random.default_rng(0)
    p = np.column_stack([rng.uniform(-2, 2, 10_000), rng.uniform(-1, 3, 10_000)])
    x, y = p[:, 0], p[:, 1]
    f = make_function("rosenbrock", {"a": 1.5, "b": 30.0})
    t = y - x * x
    expected = np.column_stack([-2 * (1.5 - x) - 120 * x * t, 60 * t])
    np.testing.assert_allclose(f.grad(p), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f.value(p), (1.5 - x) ** 2 + 30 * t**2, rtol=1e-14)


def test_ackley_gradient_is_finite_at_the_origin():
    f = make_function("ackley")
    origin = np.zeros((1, 2))
    np.testing.assert_array_equal(f.grad(origin), [[0.0, 0.0]])
    assert np.isfinite(f.hessian(origin)).all()
    np.testing.assert_allclose(f.value(origin), 0.0, atol=1e-14)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_overflow_and_nan_never_warn_or_raise(name):
    f = make_function(name)
    p = np.array([[1e200, -1e200], [np.inf, 0.0], [np.nan, 1.0], [0.0, 0.0]])
    with np.errstate(all="raise"):
        f.value(p), f.grad(p), f.hessian(p), f.value_and_grad(p)


def test_parameters_move_the_minimum_and_the_domain():
    f = make_function("rosenbrock", {"a": 2.0})
    np.testing.assert_array_equal(f.minima, [[2.0, 4.0]])
    assert f.value(np.array([[2.0, 4.0]]))[0] == 0.0
    (x0, x1), (y0, y1) = f.domain
    assert x0 < 2.0 < x1 and y0 < 4.0 < y1
    assert make_function("rosenbrock").domain == ((-2.0, 2.0), (-1.0, 3.0))
    h = make_function("ill_conditioned").hessian(np.zeros((1, 2)))[0]
    assert np.linalg.cond(h) == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("name", "params", "field", "fragment"),
    [
        ("rosenbrok", None, "surface.function", "unknown function 'rosenbrok'; valid: quadratic"),
        ("rosenbrock", {"c": 1.0}, "surface.params.c", "no parameter 'c'; valid: a, b"),
        ("quadratic", {"a": 1.0}, "surface.params.a", "takes no parameters"),
        ("rastrigin", {"A": -1.0}, "surface.params.A", "between 0 and 50"),
        ("rosenbrock", {"b": float("nan")}, "surface.params.b", "must be a finite number"),
        ("ackley", {"a": "deep"}, "surface.params.a", "must be a finite number"),
    ],
)
def test_bad_names_and_parameters_are_refused(name, params, field, fragment):
    with pytest.raises(ScenarioError) as info:
        make_function(name, params)
    assert info.value.field == field
    assert fragment in info.value.message


def test_seed_002_example_values():
    """The interactive example of the seed article: f(2, 2) = 8, gradient (4, 4)."""
    f = make_function("quadratic")
    assert f.value(np.array([[2.0, 2.0]]))[0] == 8.0
    np.testing.assert_array_equal(f.grad(np.array([[2.0, 2.0]])), [[4.0, 4.0]])


@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau"])
def test_value_and_grad_under_the_callers_error_state_gives_the_same_numbers(name):
    # The race's step silences floating-point errors once, for everything in it.
    f = make_function(name)
    p = np.array([[1e200, -1e200], [np.inf, 0.0], [np.nan, 1.0], [0.5, -0.3]])
    with np.errstate(all="ignore"):
        silenced = f.value_and_grad(p, errors_ignored=True)
    guarded = f.value_and_grad(p)
    np.testing.assert_array_equal(silenced[0], guarded[0])
    np.testing.assert_array_equal(silenced[1], guarded[1])
