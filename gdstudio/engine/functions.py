"""Built-in test functions with exact, vectorized gradients and Hessians.

Formulas, domains and global minima follow Surjanovic & Bingham's Virtual
Library of Simulation Experiments (sfu.ca/~ssurjano), plus a few teaching
surfaces (``quadratic``, ``ill_conditioned``, ``saddle``, ``monkey_saddle``,
``double_well``). Every derivative is written out by hand in NumPy and works on
the columns ``x = P[:, 0]``, ``y = P[:, 1]`` of an (N, 2) float64 array; values
are (N,), gradients (N, 2), Hessians (N, 2, 2), each output allocated once.
Overflow and NaN propagate silently: the race turns them into ``diverged``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.inputs import describe, field_path, finite_float
from gdstudio.engine.objective import Domain, guards_its_errors

Array = npt.NDArray[np.float64]
Params = Mapping[str, float]
Column = Array | float
"""A 1-D column of N values, or a constant that broadcasts to one."""

ValueFn = Callable[..., Array]
"""``value(x, y, **params)``: f on the columns."""
GradFn = Callable[..., tuple[Column, Column]]
"""``grad(x, y, **params)``: (∂f/∂x, ∂f/∂y)."""
HessFn = Callable[..., tuple[Column, Column, Column]]
"""``hess(x, y, **params)``: (∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²)."""
ValueGradFn = Callable[..., tuple[Array, Column, Column]]
"""``value_grad(x, y, **params)``: (f, ∂f/∂x, ∂f/∂y) from one formula sharing its terms."""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a built-in function: default, allowed range and meaning."""

    default: float
    low: float
    high: float
    doc: str


@dataclass(frozen=True)
class FunctionSpec:
    """A built-in function: its formulas, parameters, default view and what it teaches.

    ``value``, ``grad`` and ``hess`` take the columns ``x``, ``y`` and the
    parameters as keywords (see :data:`ValueFn`, :data:`GradFn`, :data:`HessFn`).
    ``value_grad`` is optional: value and gradient from one formula that shares
    their terms (for functions on the benchmarks' hot path); where given, ``value``
    and ``grad`` are taken from it, so the numbers cannot drift apart.
    """

    name: str
    title: str
    description: str
    """One line on what the surface teaches (tooltips)."""
    value: ValueFn
    grad: GradFn
    hess: HessFn
    domain_for: Callable[[Params], Domain]
    """Default region to show for the given parameters."""
    minima_for: Callable[[Params], Array]
    """Known global minima (M, 2) for the given parameters; M = 0 when there are none."""
    param_specs: Mapping[str, ParamSpec] = field(default_factory=dict)
    value_grad: ValueGradFn | None = None

    @property
    def params(self) -> dict[str, float]:
        """Default parameter values, name -> value."""
        return {k: p.default for k, p in self.param_specs.items()}

    @property
    def param_docs(self) -> dict[str, str]:
        """One line per parameter on what it changes."""
        return {k: p.doc for k, p in self.param_specs.items()}

    @property
    def param_bounds(self) -> dict[str, tuple[float, float]]:
        """Allowed (low, high) range of each parameter, inclusive."""
        return {k: (p.low, p.high) for k, p in self.param_specs.items()}

    @property
    def domain(self) -> Domain:
        """Default region to show with the default parameters."""
        return self.domain_for(self.params)

    @property
    def minima(self) -> Array:
        """Known global minima (M, 2) with the default parameters."""
        return self.minima_for(self.params)


class BuiltinObjective:
    """A built-in function bound to its parameters; implements :class:`Objective`."""

    n_samples: int | None = None

    def __init__(self, spec: FunctionSpec, params: Mapping[str, float]) -> None:
        self.spec = spec
        self.params = dict(params)
        self.name = spec.name
        self.description = spec.description
        self.domain: Domain = spec.domain_for(self.params)
        self.minima = np.array(spec.minima_for(self.params), dtype=np.float64).reshape(-1, 2)

    def value(self, points: Array, batch: npt.NDArray[np.intp] | None = None) -> Array:
        """f at each point, shape (N,); ``batch`` is ignored."""
        with np.errstate(all="ignore"):
            return self.spec.value(points[:, 0], points[:, 1], **self.params)

    def grad(self, points: Array, batch: npt.NDArray[np.intp] | None = None) -> Array:
        """Exact gradient at each point, shape (N, 2); ``batch`` is ignored."""
        out = np.empty((points.shape[0], 2))
        with np.errstate(all="ignore"):
            out[:, 0], out[:, 1] = self.spec.grad(points[:, 0], points[:, 1], **self.params)
        return out

    @guards_its_errors
    def value_and_grad(self, points: Array) -> tuple[Array, Array]:
        """f and its gradient together, sharing intermediate terms where the spec can."""
        if self.spec.value_grad is None:
            return self.value(points), self.grad(points)
        out = np.empty((points.shape[0], 2))
        f, out[:, 0], out[:, 1] = self.spec.value_grad(points[:, 0], points[:, 1], **self.params)
        return f, out

    def hessian(self, points: Array, batch: npt.NDArray[np.intp] | None = None) -> Array:
        """Exact Hessian at each point, shape (N, 2, 2), symmetric; ``batch`` is ignored."""
        out = np.empty((points.shape[0], 2, 2))
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = self.spec.hess(points[:, 0], points[:, 1], **self.params)
        out[:, 0, 0] = hxx
        out[:, 0, 1] = hxy
        out[:, 1, 0] = hxy
        out[:, 1, 1] = hyy
        return out


# ---------------------------------------------------------------- quadratic bowls
def _quadratic_value(x: Array, y: Array) -> Array:
    return x * x + y * y


def _quadratic_grad(x: Array, y: Array) -> tuple[Column, Column]:
    return 2.0 * x, 2.0 * y


def _quadratic_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    return 2.0, 0.0, 2.0


# 0.5·(x² + κ·y²): the bowl a linear model gets from two features whose scales differ by √κ.
def _ill_value(x: Array, y: Array, kappa: float) -> Array:
    return 0.5 * (x * x + kappa * (y * y))


def _ill_grad(x: Array, y: Array, kappa: float) -> tuple[Column, Column]:
    return +x, kappa * y  # unary plus: a fresh column, and a float for the compiled path


def _ill_hess(x: Array, y: Array, kappa: float) -> tuple[Column, Column, Column]:
    return 1.0, 0.0, kappa


# ---------------------------------------------------------------- Rosenbrock
# f = (a − x)² + b·(y − x²)²;  ∂f/∂x = x·(2 − 4b·t) − 2a,  ∂f/∂y = 2b·t  with t = y − x².
# One formula for columns and for single points: the compiled path (fused.py) compiles it
# per point, and plain arithmetic rounds the same either way.
def _rosenbrock_value_grad(x: Array, y: Array, a: float, b: float) -> tuple[Array, Column, Column]:
    t = y - x * x
    u = a - x
    return (t * t) * b + u * u, ((t * (-4.0 * b)) + 2.0) * x - 2.0 * a, t * (2.0 * b)


def _rosenbrock_value(x: Array, y: Array, a: float, b: float) -> Array:
    return _rosenbrock_value_grad(x, y, a, b)[0]


def _rosenbrock_grad(x: Array, y: Array, a: float, b: float) -> tuple[Column, Column]:
    return _rosenbrock_value_grad(x, y, a, b)[1:]


def _rosenbrock_hess(x: Array, y: Array, a: float, b: float) -> tuple[Column, Column, Column]:
    return 2.0 - 4.0 * b * (y - 3.0 * x * x), -4.0 * b * x, 2.0 * b


def _rosenbrock_domain(p: Params) -> Domain:
    a = p["a"]
    w = max(2.0, abs(a) + 1.0)
    return ((-w, w), (a * a - 2.0, a * a + 2.0))


# ---------------------------------------------------------------- Himmelblau
def _himmelblau_value(x: Array, y: Array) -> Array:
    p = x * x + y - 11.0
    q = x + y * y - 7.0
    return p * p + q * q


def _himmelblau_grad(x: Array, y: Array) -> tuple[Column, Column]:
    p = x * x + y - 11.0
    q = x + y * y - 7.0
    return 4.0 * x * p + 2.0 * q, 2.0 * p + 4.0 * y * q


def _himmelblau_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    return 12.0 * x * x + 4.0 * y - 42.0, 4.0 * (x + y), 4.0 * x + 12.0 * y * y - 26.0


# ---------------------------------------------------------------- Beale
# f = t1² + t2² + t3²,  t_k = c_k − x + x·y^k  with c = (1.5, 2.25, 2.625).
def _beale_terms(x: Array, y: Array) -> tuple[Array, ...]:
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    return y2, y3, t1, t2, t3


def _beale_value(x: Array, y: Array) -> Array:
    _, _, t1, t2, t3 = _beale_terms(x, y)
    return t1 * t1 + t2 * t2 + t3 * t3


def _beale_grad(x: Array, y: Array) -> tuple[Column, Column]:
    y2, y3, t1, t2, t3 = _beale_terms(x, y)
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
    return gx, gy


def _beale_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    y2, y3, t1, t2, t3 = _beale_terms(x, y)
    d1, d2, d3 = y - 1.0, y2 - 1.0, y3 - 1.0  # ∂t_k/∂x
    e1, e2, e3 = x, 2.0 * x * y, 3.0 * x * y2  # ∂t_k/∂y
    hxx = 2.0 * (d1 * d1 + d2 * d2 + d3 * d3)
    hxy = 2.0 * (d1 * e1 + t1 + d2 * e2 + 2.0 * y * t2 + d3 * e3 + 3.0 * y2 * t3)
    hyy = 2.0 * (e1 * e1 + e2 * e2 + 2.0 * x * t2 + e3 * e3 + 6.0 * x * y * t3)
    return hxx, hxy, hyy


# ---------------------------------------------------------------- Booth
def _booth_value(x: Array, y: Array) -> Array:
    p = x + 2.0 * y - 7.0
    q = 2.0 * x + y - 5.0
    return p * p + q * q


def _booth_grad(x: Array, y: Array) -> tuple[Column, Column]:
    return 10.0 * x + 8.0 * y - 34.0, 8.0 * x + 10.0 * y - 38.0


def _booth_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    return 10.0, 8.0, 10.0


# ---------------------------------------------------------------- Rastrigin
_TAU = 2.0 * math.pi


def _rastrigin_value(x: Array, y: Array, A: float) -> Array:
    return 2.0 * A + x * x - A * np.cos(_TAU * x) + y * y - A * np.cos(_TAU * y)


def _rastrigin_grad(x: Array, y: Array, A: float) -> tuple[Column, Column]:
    k = A * _TAU
    return 2.0 * x + k * np.sin(_TAU * x), 2.0 * y + k * np.sin(_TAU * y)


def _rastrigin_hess(x: Array, y: Array, A: float) -> tuple[Column, Column, Column]:
    k = A * _TAU * _TAU
    return 2.0 + k * np.cos(_TAU * x), 0.0, 2.0 + k * np.cos(_TAU * y)


# ---------------------------------------------------------------- Ackley
# f = −a·e^(−b·r) − e^((cos cx + cos cy)/2) + a + e  with r = √((x² + y²)/2).
# The cone term −a·e^(−b·r) has no derivative at r = 0; its gradient's limit there is 0
# by symmetry, and its Hessian (unbounded at the tip) is left out at that single point.
_SQRT_HALF = math.sqrt(0.5)


def _ackley_radius(x: Array, y: Array) -> tuple[Array, Array]:
    r = np.hypot(x, y)
    r *= _SQRT_HALF
    inv = np.divide(1.0, r, out=np.zeros_like(r), where=r > 0)
    return r, inv


def _ackley_value(x: Array, y: Array, a: float, b: float, c: float) -> Array:
    r = np.hypot(x, y) * _SQRT_HALF
    return -a * np.exp(-b * r) - np.exp(0.5 * (np.cos(c * x) + np.cos(c * y))) + a + math.e


def _ackley_grad(x: Array, y: Array, a: float, b: float, c: float) -> tuple[Column, Column]:
    r, inv = _ackley_radius(x, y)
    k = (0.5 * a * b) * np.exp(-b * r) * inv  # (∂f/∂r)/(2r): cone term of ∂f/∂x is k·x
    cx, cy = c * x, c * y
    s = (0.5 * c) * np.exp(0.5 * (np.cos(cx) + np.cos(cy)))
    return k * x + s * np.sin(cx), k * y + s * np.sin(cy)


def _ackley_hess(x: Array, y: Array, a: float, b: float, c: float) -> tuple[Column, Column, Column]:
    r, inv = _ackley_radius(x, y)
    e1 = np.exp(-b * r)
    k = (0.5 * a * b) * e1 * inv
    m = (-0.25 * a * b) * e1 * (b * r + 1.0) * inv**3  # (∂k/∂r)/(2r)
    cx, cy = c * x, c * y
    sx, sy = np.sin(cx), np.sin(cy)
    w = (0.5 * c * c) * np.exp(0.5 * (np.cos(cx) + np.cos(cy)))
    hxx = k + m * x * x + w * (np.cos(cx) - 0.5 * sx * sx)
    hyy = k + m * y * y + w * (np.cos(cy) - 0.5 * sy * sy)
    hxy = m * x * y - 0.5 * w * sx * sy
    return hxx, hxy, hyy


# ---------------------------------------------------------------- Goldstein-Price
# f = A·B,  A = 1 + s²·q1,  B = 30 + d²·q2  with s = x + y + 1, d = 2x − 3y.
def _gp_parts(x: Array, y: Array) -> tuple[Array, ...]:
    s = x + y + 1.0
    d = 2.0 * x - 3.0 * y
    q1 = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    q2 = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    return s, d, q1, q2, 1.0 + s * s * q1, 30.0 + d * d * q2


def _gp_first(x: Array, y: Array) -> tuple[Array, ...]:
    s, d, q1, q2, A, B = _gp_parts(x, y)
    q1d = -14.0 + 6.0 * x + 6.0 * y  # ∂q1/∂x = ∂q1/∂y
    q2x = -32.0 + 24.0 * x - 36.0 * y
    q2y = 48.0 - 36.0 * x + 54.0 * y
    Ad = 2.0 * s * q1 + s * s * q1d  # ∂A/∂x = ∂A/∂y
    Bx = 4.0 * d * q2 + d * d * q2x
    By = -6.0 * d * q2 + d * d * q2y
    return s, d, q1, q2, A, B, q1d, q2x, q2y, Ad, Bx, By


def _gp_value(x: Array, y: Array) -> Array:
    *_, A, B = _gp_parts(x, y)
    return A * B


def _gp_grad(x: Array, y: Array) -> tuple[Column, Column]:
    *_, A, B, _q1d, _q2x, _q2y, Ad, Bx, By = _gp_first(x, y)
    return Ad * B + A * Bx, Ad * B + A * By


def _gp_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    s, d, q1, q2, A, B, q1d, q2x, q2y, Ad, Bx, By = _gp_first(x, y)
    Add = 2.0 * q1 + 4.0 * s * q1d + 6.0 * s * s  # ∂²A/∂x² = ∂²A/∂x∂y = ∂²A/∂y²
    Bxx = 8.0 * q2 + 8.0 * d * q2x + 24.0 * d * d
    Bxy = -12.0 * q2 + 4.0 * d * q2y - 6.0 * d * q2x - 36.0 * d * d
    Byy = 18.0 * q2 - 12.0 * d * q2y + 54.0 * d * d
    return (
        Add * B + 2.0 * Ad * Bx + A * Bxx,
        Add * B + Ad * (Bx + By) + A * Bxy,
        Add * B + 2.0 * Ad * By + A * Byy,
    )


# ---------------------------------------------------------------- camels, Matyas
def _six_hump_value(x: Array, y: Array) -> Array:
    x2, y2 = x * x, y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (4.0 * y2 - 4.0) * y2


def _six_hump_grad(x: Array, y: Array) -> tuple[Column, Column]:
    x2 = x * x
    return (8.0 - 8.4 * x2 + 2.0 * x2 * x2) * x + y, x + (16.0 * y * y - 8.0) * y


def _six_hump_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    x2 = x * x
    return 8.0 - 25.2 * x2 + 10.0 * x2 * x2, 1.0, 48.0 * y * y - 8.0


def _three_hump_value(x: Array, y: Array) -> Array:
    x2 = x * x
    return (2.0 - 1.05 * x2 + x2 * x2 / 6.0) * x2 + x * y + y * y


def _three_hump_grad(x: Array, y: Array) -> tuple[Column, Column]:
    x2 = x * x
    return (4.0 - 4.2 * x2 + x2 * x2) * x + y, x + 2.0 * y


def _three_hump_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    x2 = x * x
    return 4.0 - 12.6 * x2 + 5.0 * x2 * x2, 1.0, 2.0


def _matyas_value(x: Array, y: Array) -> Array:
    return 0.26 * (x * x + y * y) - 0.48 * x * y


def _matyas_grad(x: Array, y: Array) -> tuple[Column, Column]:
    return 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x


def _matyas_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    return 0.52, -0.48, 0.52


# ---------------------------------------------------------------- Lévi N.13
# f = sin²(3πx) + (x − 1)²·(1 + sin²(3πy)) + (y − 1)²·(1 + sin²(2πy))
_P3, _P2 = 3.0 * math.pi, 2.0 * math.pi


def _levi_value(x: Array, y: Array) -> Array:
    u, v = x - 1.0, y - 1.0
    return (
        np.sin(_P3 * x) ** 2
        + u * u * (1.0 + np.sin(_P3 * y) ** 2)
        + v * v * (1.0 + np.sin(_P2 * y) ** 2)
    )


def _levi_grad(x: Array, y: Array) -> tuple[Column, Column]:
    u, v = x - 1.0, y - 1.0
    gx = _P3 * np.sin(2.0 * _P3 * x) + 2.0 * u * (1.0 + np.sin(_P3 * y) ** 2)
    gy = (
        u * u * _P3 * np.sin(2.0 * _P3 * y)
        + 2.0 * v * (1.0 + np.sin(_P2 * y) ** 2)
        + v * v * _P2 * np.sin(2.0 * _P2 * y)
    )
    return gx, gy


def _levi_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    u, v = x - 1.0, y - 1.0
    hxx = 2.0 * _P3 * _P3 * np.cos(2.0 * _P3 * x) + 2.0 * (1.0 + np.sin(_P3 * y) ** 2)
    hxy = 2.0 * _P3 * u * np.sin(2.0 * _P3 * y)
    hyy = (
        2.0 * _P3 * _P3 * u * u * np.cos(2.0 * _P3 * y)
        + 2.0 * (1.0 + np.sin(_P2 * y) ** 2)
        + 4.0 * _P2 * v * np.sin(2.0 * _P2 * y)
        + 2.0 * _P2 * _P2 * v * v * np.cos(2.0 * _P2 * y)
    )
    return hxx, hxy, hyy


# ---------------------------------------------------------------- Styblinski-Tang, McCormick
def _st_value(x: Array, y: Array) -> Array:
    x2, y2 = x * x, y * y
    return 0.5 * ((x2 - 16.0) * x2 + 5.0 * x + (y2 - 16.0) * y2 + 5.0 * y)


def _st_grad(x: Array, y: Array) -> tuple[Column, Column]:
    return (2.0 * x * x - 16.0) * x + 2.5, (2.0 * y * y - 16.0) * y + 2.5


def _st_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    return 6.0 * x * x - 16.0, 0.0, 6.0 * y * y - 16.0


def _mccormick_value(x: Array, y: Array) -> Array:
    d = x - y
    return np.sin(x + y) + d * d - 1.5 * x + 2.5 * y + 1.0


def _mccormick_grad(x: Array, y: Array) -> tuple[Column, Column]:
    c = np.cos(x + y)
    d2 = 2.0 * (x - y)
    return c + d2 - 1.5, c - d2 + 2.5


def _mccormick_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    s = np.sin(x + y)
    return 2.0 - s, -2.0 - s, 2.0 - s


# ---------------------------------------------------------------- saddles and wells
def _saddle_value(x: Array, y: Array) -> Array:
    return x * x - y * y


def _saddle_grad(x: Array, y: Array) -> tuple[Column, Column]:
    return 2.0 * x, -2.0 * y


def _saddle_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    return 2.0, 0.0, -2.0


def _monkey_value(x: Array, y: Array) -> Array:
    return (x * x - 3.0 * y * y) * x


def _monkey_grad(x: Array, y: Array) -> tuple[Column, Column]:
    return 3.0 * (x * x - y * y), -6.0 * x * y


def _monkey_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    return 6.0 * x, -6.0 * y, -6.0 * x


def _double_well_value(x: Array, y: Array) -> Array:
    x2 = x * x
    return (0.25 * x2 - 0.5) * x2 + 0.5 * y * y


def _double_well_grad(x: Array, y: Array) -> tuple[Column, Column]:
    return (x * x - 1.0) * x, +y


def _double_well_hess(x: Array, y: Array) -> tuple[Column, Column, Column]:
    return 3.0 * x * x - 1.0, 0.0, 1.0


# ---------------------------------------------------------------- the registry
def _box(xr: float, yr: float | None = None) -> Callable[[Params], Domain]:
    yr = xr if yr is None else yr
    box: Domain = ((-xr, xr), (-yr, yr))
    return lambda _p: box


def _fixed(*points: tuple[float, float]) -> Callable[[Params], Array]:
    arr = np.array(points, dtype=np.float64).reshape(-1, 2)
    return lambda _p: arr


# Minima to full double precision (the library rounds them to 4–6 digits).
_ST = -2.9035340277711771  # root of 4x³ − 32x + 5 = 0
_MC = 0.5 - math.pi / 3.0  # McCormick: x − y = 1, x + y = −2π/3
_HIMMELBLAU = (
    (3.0, 2.0),
    (-2.8051180869527449, 3.1313125182505730),
    (-3.7793102533777469, -3.2831859912861694),
    (3.5844283403304917, -1.8481265269644036),
)
_CAMEL6 = (0.089842013100318062, -0.71265640302073963)

FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec(
            "quadratic", "Quadratic bowl",
            "the simplest bowl, x² + y²: gradient descent heads straight for the minimum",
            _quadratic_value, _quadratic_grad, _quadratic_hess, _box(3.0), _fixed((0, 0)),
        ),
        FunctionSpec(
            "ill_conditioned", "Elongated bowl",
            "an elongated bowl, as unscaled features make (condition number κ):"
            " gradient descent zig-zags across it and crawls along it",
            _ill_value, _ill_grad, _ill_hess, _box(3.0, 2.0), _fixed((0, 0)),
            {"kappa": ParamSpec(50.0, 1.0, 1000.0,
                                "condition number: curvature along y over curvature along x")},
        ),
        FunctionSpec(
            "rosenbrock", "Rosenbrock",
            "a narrow curved valley: easy to fall into, slow to follow to the minimum",
            _rosenbrock_value, _rosenbrock_grad, _rosenbrock_hess, _rosenbrock_domain,
            lambda p: np.array([[p["a"], p["a"] ** 2]]),
            {"a": ParamSpec(1.0, -2.0, 2.0, "position of the minimum, (a, a²)"),
             "b": ParamSpec(100.0, 0.1, 1000.0, "steepness of the valley walls")},
            _rosenbrock_value_grad,
        ),
        FunctionSpec(
            "himmelblau", "Himmelblau",
            "four equal minima: the starting point decides which one you reach",
            _himmelblau_value, _himmelblau_grad, _himmelblau_hess, _box(5.0),
            _fixed(*_HIMMELBLAU),
        ),
        FunctionSpec(
            "beale", "Beale",
            "flat valleys and steep corners: gradient sizes vary by orders of magnitude",
            _beale_value, _beale_grad, _beale_hess, _box(4.5), _fixed((3.0, 0.5)),
        ),
        FunctionSpec(
            "booth", "Booth", "a tilted bowl: the plain convex case",
            _booth_value, _booth_grad, _booth_hess, _box(10.0), _fixed((1.0, 3.0)),
        ),
        FunctionSpec(
            "rastrigin", "Rastrigin",
            "many local minima on a bowl: gradient descent gets trapped in the nearest one",
            _rastrigin_value, _rastrigin_grad, _rastrigin_hess, _box(5.12), _fixed((0, 0)),
            {"A": ParamSpec(10.0, 0.0, 50.0, "height of the ripples (0 leaves a plain bowl)")},
        ),
        FunctionSpec(
            "ackley", "Ackley",
            "a nearly flat, dimpled plateau around one deep hole: tiny gradients far out",
            _ackley_value, _ackley_grad, _ackley_hess, _box(5.0), _fixed((0, 0)),
            {"a": ParamSpec(20.0, 0.1, 50.0, "depth of the central hole"),
             "b": ParamSpec(0.2, 0.01, 1.0, "narrowness of the central hole"),
             "c": ParamSpec(2.0 * math.pi, 0.0, 20.0, "frequency of the dimples")},
        ),
        FunctionSpec(
            "goldstein_price", "Goldstein-Price",
            "several local minima and values spanning six orders of magnitude",
            _gp_value, _gp_grad, _gp_hess, _box(2.0), _fixed((0.0, -1.0)),
        ),
        FunctionSpec(
            "six_hump_camel", "Six-hump camel", "six local minima, two of them global",
            _six_hump_value, _six_hump_grad, _six_hump_hess, _box(3.0, 2.0),
            _fixed(_CAMEL6, (-_CAMEL6[0], -_CAMEL6[1])),
        ),
        FunctionSpec(
            "three_hump_camel", "Three-hump camel",
            "three minima: a global one between two local ones",
            _three_hump_value, _three_hump_grad, _three_hump_hess, _box(5.0), _fixed((0, 0)),
        ),
        FunctionSpec(
            "matyas", "Matyas", "a flat, tilted valley: small gradients, slow progress",
            _matyas_value, _matyas_grad, _matyas_hess, _box(10.0), _fixed((0, 0)),
        ),
        FunctionSpec(
            "levi13", "Lévi N.13", "a rippled surface with many local minima",
            _levi_value, _levi_grad, _levi_hess, _box(10.0), _fixed((1.0, 1.0)),
        ),
        FunctionSpec(
            "styblinski_tang", "Styblinski-Tang",
            "four basins of different depths: a local minimum (≈ −50.06) beside the global"
            " one (≈ −78.33)",
            _st_value, _st_grad, _st_hess, _box(5.0), _fixed((_ST, _ST)),
        ),
        FunctionSpec(
            "mccormick", "McCormick", "a curved, tilted valley with a single minimum",
            _mccormick_value, _mccormick_grad, _mccormick_hess,
            lambda _p: ((-1.5, 4.0), (-3.0, 4.0)), _fixed((_MC, _MC - 1.0)),
        ),
        FunctionSpec(
            "saddle", "Saddle",
            "a saddle point: zero gradient, a minimum along x and a maximum along y",
            _saddle_value, _saddle_grad, _saddle_hess, _box(2.0), _fixed(),
        ),
        FunctionSpec(
            "monkey_saddle", "Monkey saddle",
            "a flat saddle with three valleys going down: even the Hessian is zero there",
            _monkey_value, _monkey_grad, _monkey_hess, _box(2.0), _fixed(),
        ),
        FunctionSpec(
            "double_well", "Double well", "a saddle point between two minima",
            _double_well_value, _double_well_grad, _double_well_hess, _box(2.0),
            _fixed((1.0, 0.0), (-1.0, 0.0)),
        ),
    )
}  # fmt: skip
"""Every built-in function by name, in the order menus show them."""


def make_function(name: str, params: Mapping[str, float] | None = None) -> BuiltinObjective:
    """The built-in function ``name`` with ``params`` (defaults fill the rest).

    Raises ScenarioError for an unknown function, an unknown parameter or a value
    outside the parameter's range.
    """
    spec = FUNCTIONS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ScenarioError(
            "surface.function", f"unknown function {describe(name)}; valid: {', '.join(FUNCTIONS)}"
        )
    values = spec.params
    for key, raw in (params or {}).items():
        if key not in spec.param_specs:
            valid = ", ".join(spec.param_specs)
            hint = f"valid: {valid}" if valid else "it takes no parameters"
            raise ScenarioError(
                field_path("surface.params", key),
                f"{name} has no parameter {describe(key)}; {hint}",
            )
        where = field_path("surface.params", key)
        p = spec.param_specs[key]
        value = finite_float(raw)
        if value is None:
            raise ScenarioError(where, f"must be a finite number, got {describe(raw)}")
        if not p.low <= value <= p.high:
            raise ScenarioError(where, f"must be between {p.low:g} and {p.high:g}, got {value!r}")
        values[key] = value
    return BuiltinObjective(spec, values)
