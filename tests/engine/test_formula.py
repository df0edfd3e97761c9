"""User formulas: values, exact derivatives, the whitelist and its error messages."""

from __future__ import annotations

import builtins
import functools
import time

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.engine.errors import FormulaError
from gdstudio.engine.formula import DEFAULT_DOMAIN, FormulaObjective, check_formula, parse_formula
from gdstudio.engine.objective import Objective
from tests.engine.derivatives import assert_derivatives_match

X, Y = sympy.symbols("x y", real=True)

# text, the same function in NumPy, and in sympy (for exact derivatives).
FORMULAS = [
    ("(1 - x)**2 + 100*(y - x**2)**2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
     (1 - X) ** 2 + 100 * (Y - X**2) ** 2),
    ("(1 - x)^2 + 100*(y - x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
     (1 - X) ** 2 + 100 * (Y - X**2) ** 2),
    ("x**2 + 10*sin(y)", lambda x, y: x**2 + 10 * np.sin(y), X**2 + 10 * sympy.sin(Y)),
    ("exp(-(x^2 + y^2)) * cos(pi*x)", lambda x, y: np.exp(-(x**2 + y**2)) * np.cos(np.pi * x),
     sympy.exp(-(X**2 + Y**2)) * sympy.cos(sympy.pi * X)),
    ("log(1 + x**2) + sqrt(x**2 + 1) - e*tan(y/3)",
     lambda x, y: np.log(1 + x**2) + np.sqrt(x**2 + 1) - np.e * np.tan(y / 3),
     sympy.log(1 + X**2) + sympy.sqrt(X**2 + 1) - sympy.E * sympy.tan(Y / 3)),
    ("tanh(x) * arctan(y) + hypot(x, y) + atan2(y, x + 5)",
     lambda x, y: np.tanh(x) * np.arctan(y) + np.hypot(x, y) + np.arctan2(y, x + 5),
     sympy.tanh(X) * sympy.atan(Y) + sympy.sqrt(X**2 + Y**2) + sympy.atan2(Y, X + 5)),
    ("sinh(x/2)*cosh(y/3) + asin(x/4) + arccos(y/4) + atan(x*y) + arcsin(y/5)",
     lambda x, y: np.sinh(x / 2) * np.cosh(y / 3) + np.arcsin(x / 4) + np.arccos(y / 4)
     + np.arctan(x * y) + np.arcsin(y / 5),
     sympy.sinh(X / 2) * sympy.cosh(Y / 3) + sympy.asin(X / 4) + sympy.acos(Y / 4)
     + sympy.atan(X * Y) + sympy.asin(Y / 5)),
    ("log10(x**2 + 1) + log2(y**2 + 2) + ln(3 + x) + square(x - y) + acos(x/9)",
     lambda x, y: np.log10(x**2 + 1) + np.log2(y**2 + 2) + np.log(3 + x) + (x - y) ** 2
     + np.arccos(x / 9),
     sympy.log(X**2 + 1, 10) + sympy.log(Y**2 + 2, 2) + sympy.log(3 + X) + (X - Y) ** 2
     + sympy.acos(X / 9)),
    ("sigmoid(3*x) * y + arctan2(x, 4)", lambda x, y: y / (1 + np.exp(-3 * x)) + np.arctan2(x, 4),
     Y / (1 + sympy.exp(-3 * X)) + sympy.atan2(X, 4)),
    ("abs(x) * y + sign(y) * x**3 + cbrt(x - 7)",
     lambda x, y: np.abs(x) * y + np.sign(y) * x**3 + np.cbrt(x - 7),
     sympy.Abs(X) * Y + sympy.sign(Y) * X**3 - (7 - X) ** sympy.Rational(1, 3)),
    ("max(x, y)**2 + min(x*y, 1 - y) + 2**x", lambda x, y: np.maximum(x, y) ** 2
     + np.minimum(x * y, 1 - y) + 2**x, None),
    ("x", lambda x, y: x + 0 * y, X),
    ("3*y - 1", lambda x, y: 3 * y - 1 + 0 * x, 3 * Y - 1),
]  # fmt: skip
IDS = [f[0] for f in FORMULAS]


def points(n=200, low=-2.5, high=2.5, seed=1):
    return np.random.default_rng(seed).uniform(low, high, (n, 2))


@pytest.mark.parametrize(("text", "ref", "_sym"), FORMULAS, ids=IDS)
def test_values_match_hand_written_numpy(text, ref, _sym):
    f = parse_formula(text)
    p = points()
    np.testing.assert_allclose(f.value(p), ref(p[:, 0], p[:, 1]), rtol=1e-13, atol=1e-13)
    v, g, h = f.value(p), f.grad(p), f.hessian(p)
    assert v.shape == (200,) and g.shape == (200, 2) and h.shape == (200, 2, 2)
    assert not any(np.shares_memory(a, p) for a in (v, g, h))
    fv, fg = f.value_and_grad(p)
    np.testing.assert_array_equal(fv, v)  # one rounding for value(), grad() and both together
    np.testing.assert_array_equal(fg, g)
    np.testing.assert_array_equal(h, np.swapaxes(h, -1, -2))


@pytest.mark.parametrize(("text", "_ref", "sym"), [f for f in FORMULAS if f[2] is not None],
                         ids=[f[0] for f in FORMULAS if f[2] is not None])  # fmt: skip
def test_derivatives_equal_sympy_diff_of_the_whole_expression(text, _ref, sym):
    f = parse_formula(text)
    exprs = [sympy.diff(sym, X), sympy.diff(sym, Y), sympy.diff(sym, X, X),
             sympy.diff(sym, X, Y), sympy.diff(sym, Y, Y)]  # fmt: skip
    exprs = [e.replace(sympy.DiracDelta, lambda *_: 0) for e in exprs]
    p = points(seed=2)
    expected = [np.broadcast_to(v, (200,)) for v in
                sympy.lambdify((X, Y), exprs, "numpy")(p[:, 0], p[:, 1])]  # fmt: skip
    g, h = f.grad(p), f.hessian(p)
    got = [g[:, 0], g[:, 1], h[:, 0, 0], h[:, 0, 1], h[:, 1, 1]]
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11 * (1 + np.abs(b).max()))


compiled = functools.cache(parse_formula)
SMOOTH = [f[0] for f in FORMULAS if not any(k in f[0] for k in ("abs", "max", "x + 5"))]


@pytest.mark.parametrize("text", SMOOTH)
@settings(max_examples=10, deadline=None)
@given(u=st.floats(-2.5, 2.5), v=st.floats(-2.5, 2.5))
def test_gradient_and_hessian_match_finite_differences(text, u, v):
    f = compiled(text)
    p = np.array([[u, v]])
    assert_derivatives_match(f.value, f.grad, f.hessian, p)


def test_constant_derivatives_broadcast_to_every_point():
    f = parse_formula("x")
    p = points(5)
    np.testing.assert_array_equal(f.grad(p), np.tile([1.0, 0.0], (5, 1)))
    np.testing.assert_array_equal(f.hessian(p), np.zeros((5, 2, 2)))
    np.testing.assert_array_equal(f.value(p), p[:, 0])
    assert not np.shares_memory(f.value(p), p)
    np.testing.assert_array_equal(parse_formula("x*y").hessian(p)[:, 0, 1], 1.0)


def test_objective_attributes():
    f = parse_formula("  x^2 + 3*y ")
    assert isinstance(f, Objective) and isinstance(f, FormulaObjective)
    assert f.expression == f.name == "  x^2 + 3*y "  # saved back as typed
    assert f.description == "your formula"
    assert f.domain == DEFAULT_DOMAIN == ((-3.0, 3.0), (-3.0, 3.0))
    assert f.minima.shape == (0, 2) and f.n_samples is None
    assert parse_formula("x*y", ((0.0, 1.0), (-5.0, 5.0))).domain == ((0.0, 1.0), (-5.0, 5.0))


BAD_FORMULAS = [
    ("", "the formula is empty", 0),
    ("   ", "the formula is empty", 0),
    ("x" * 501, "longer than 500 characters", 500),
    ("x +", "could not parse: the formula ends with an operator", 2),
    ("x + * y", "could not parse: unexpected '*'", 4),
    ("x ^^ y", "could not parse: unexpected '^'", 3),
    ("sin x", "could not parse: unexpected 'x'", 4),
    ("2x + 1", "could not parse: an operator is missing", 0),
    ("(x + 1", "could not parse: '(' was never closed", 0),
    ("__import__('os')", "unknown function '__import__'", 0),
    ("().__class__", "attributes", 0),
    ("x.real", "attributes", 0),
    ("x + y.__class__", "attributes", 4),
    ("x[0]", "subscripts", 0),
    ("lambda: 1", "lambda", 0),
    ("'a'", "text", 0),
    ("x + f'{y}'", "text", 4),
    ("open", "unknown name 'open'", 0),
    ("3", "the formula must depend on x or y", 0),
    ("pi * e", "the formula must depend on x or y", 0),
    ("x - x", "the formula must depend on x or y", 0),
    ("z+1", "unknown name 'z': use x, y, pi, e or a function such as sin", 0),
    ("x^2 + z", "unknown name 'z'", 6),
    ("  z", "unknown name 'z'", 2),
    ("X + 1", "did you mean 'x'?", 0),
    ("sin(x, y)", "sin() takes 1 argument, got 2", 0),
    ("x + sin(x, y)", "sin() takes 1 argument, got 2", 4),
    ("hypot(x)", "hypot() takes 2 arguments, got 1", 0),
    ("sin(x=1)", "sin() takes no keyword arguments", 4),
    ("sin(*x)", "unpacking", 4),
    ("round(x)", "unknown function 'round'", 0),
    ("sinn(x)", "did you mean 'sin'?", 0),
    ("sin", "sin is a function: write sin(...)", 0),
    ("x(2)", "x is not a function", 0),
    ("x < y", "comparisons", 0),
    ("x and y", "and/or", 0),
    ("x if y else 1", "if/else", 0),
    ("(x, y)", "tuples", 0),
    ("[x]", "lists", 0),
    ("(x := 1)", "assignments", 1),
    ("not x", "operator 'not'", 0),
    ("x % 2", "operator '%' is not allowed", 2),
    ("x // 2", "operator '//' is not allowed", 2),
    ("x @ y", "operator '@' is not allowed", 2),
    ("1j * x", "complex numbers", 0),
    ("True * x", "True is not allowed", 0),
    ("None", "None is not allowed", 0),
    ("1e400 * x", "the number 1e400 is too large", 0),
    ("x + 9**9**9", "'9**9**9' is infinite or too large", 4),
    ("x * exp(1000)", "'exp(1000)' is infinite or too large", 4),
    ("x * log(-1)", "'log(-1)' is not a real number", 4),
    ("x * (-8)^(1/3)", "'(-8)^(1/3)' is not a real number", 4),
    ("x / 0", "division by zero", 4),
    ("1 / (x - x)", "division by zero", 5),
    ("sqrt(-x**2)", "'sqrt(-x**2)' is not real", 0),
    ("sqrt(-x**2 - 1)", "no real value in the domain", 0),
]


@pytest.mark.parametrize(("text", "fragment", "column"), BAD_FORMULAS,
                         ids=[b[0][:20] or "empty" for b in BAD_FORMULAS])  # fmt: skip
def test_bad_formulas_are_refused_with_a_message_and_a_column(text, fragment, column):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert fragment in info.value.message
    assert info.value.position == column
    assert f"(at column {column + 1})" in str(info.value)
    if "no real value" not in fragment:  # that one needs the compiled formula
        with pytest.raises(FormulaError, match=r"\(at column"):
            check_formula(text)


def test_check_formula_accepts_good_formulas_without_compiling(monkeypatch):
    def no_compiling(*_a, **_k):
        raise AssertionError("check_formula compiled the formula")

    monkeypatch.setattr(sympy, "lambdify", no_compiling)
    for text, _, _ in FORMULAS:
        check_formula(text)


def test_a_bad_domain_is_refused():
    with pytest.raises(FormulaError, match="domain"):
        parse_formula("x*y", ((1.0, 0.0), (0.0, 1.0)))
    with pytest.raises(FormulaError, match="domain"):
        parse_formula("x*y", ((0.0, float("inf")), (0.0, 1.0)))


def test_formulas_never_evaluate_user_text(monkeypatch):
    """Neither eval, exec nor sympy's string parser sees the text: only our AST walk does."""
    text = "x^2 + y**2 + 0*__import__('os')"

    def forbidden(*_a, **_k):
        raise AssertionError("user text evaluated")

    real_exec = builtins.exec

    def exec_generated_code_only(source, *args, **kwargs):
        assert "^" not in str(source) and "__import__" not in str(source), "user text executed"
        return real_exec(source, *args, **kwargs)

    parse_formula("x*y")  # lambdify's first use imports NumPy parts that call eval themselves
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", exec_generated_code_only)
    monkeypatch.setattr("sympy.parsing.sympy_parser.parse_expr", forbidden)
    f = parse_formula("x^2 + y**2")
    assert f.value(np.array([[1.0, 2.0]]))[0] == 5.0
    with pytest.raises(FormulaError, match="__import__"):
        parse_formula(text)


def test_evaluation_never_warns_or_raises():
    f = parse_formula("exp(x) + log(y) + sqrt(x) + 1/y + x**y")
    p = np.array([[1000.0, -1.0], [-1.0, 0.0], [np.nan, np.inf], [1e300, 1e300]])
    with np.errstate(all="raise"):
        v, g, h = f.value(p), f.grad(p), f.hessian(p)
        f.value_and_grad(p)
    assert not np.isfinite(v).all() and v.shape == (4,)
    assert g.shape == (4, 2) and h.shape == (4, 2, 2)


def test_sigmoid_saturates_instead_of_overflowing():
    f = parse_formula("sigmoid(x) + y")
    p = np.array([[-1000.0, 0.0], [1000.0, 0.0]])
    np.testing.assert_array_equal(f.value(p), [0.0, 1.0])
    np.testing.assert_array_equal(f.grad(p), [[0.0, 1.0], [0.0, 1.0]])


def test_long_products_compile_quickly():
    """Derivative code grows linearly: differentiating the expression twice would take ~20 s."""
    text = "*".join(f"(x + {i}*y)" for i in range(45))
    t0 = time.perf_counter()
    f = parse_formula(text)
    assert time.perf_counter() - t0 < 5.0
    x, y, i = 1.0, 0.01, np.arange(45)
    value = np.prod(x + i * y)
    np.testing.assert_allclose(f.value(np.array([[x, y]])), value, rtol=1e-12)
    expected = value * np.array([np.sum(1 / (x + i * y)), np.sum(i / (x + i * y))])
    np.testing.assert_allclose(f.grad(np.array([[x, y]]))[0], expected, rtol=1e-12)
