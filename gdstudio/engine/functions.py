"""Built-in test functions with exact, vectorized gradients and Hessians.

Formulas, domains and global minima follow Surjanovic & Bingham's Virtual
Library of Simulation Experiments (sfu.ca/~ssurjano), plus a few teaching
surfaces (``quadratic``, ``ill_conditioned``, ``saddle``, ``monkey_saddle``,
``double_well``). Each function works on columns ``x = P[:, 0]``, ``y = P[:, 1]``
of an (N, 2) float64 array; values are (N,), gradients (N, 2), Hessians (N, 2, 2).
Overflow and NaN propagate silently: the race turns them into ``diverged``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.objective import Domain

Array = npt.NDArray[np.float64]
Params = Mapping[str, float]
ColumnFn = Callable[..., object]


def _pack(gx: Array, gy: Array) -> Array:
    out = np.empty((gx.shape[0], 2))
    out[:, 0] = gx
    out[:, 1] = gy
    return out


def _pack_h(hxx: Array, hxy: Array, hyy: Array, n: int) -> Array:
    out = np.empty((n, 2, 2))
    out[:, 0, 0] = hxx
    out[:, 0, 1] = hxy
    out[:, 1, 0] = hxy
    out[:, 1, 1] = hyy
    return out


@dataclass(frozen=True)
class FunctionSpec:
    """A built-in function: formulas, defaults and what it teaches.

    ``value(x, y, **p)`` returns f; ``grad(x, y, **p)`` returns (fx, fy);
    ``hess(x, y, **p)`` returns (fxx, fxy, fyy); each on 1-D columns.
    ``minima(p)`` gives the known global minima as (M, 2).
    """

    name: str
    title: str
    description: str
    value: ColumnFn
    grad: ColumnFn
    hess: ColumnFn
    domain: Domain
    minima: Callable[[Params], Array]
    params: dict[str, float] = field(default_factory=dict)
    param_docs: dict[str, str] = field(default_factory=dict)
    value_grad: ColumnFn | None = None
    """Optional fused ``(f, fx, fy)`` for functions on the benchmarks' hot path."""


@dataclass
class BuiltinObjective:
    """A built-in function bound to its parameters (implements Objective)."""

    spec: FunctionSpec
    params: dict[str, float]
    name: str = ""
    description: str = ""
    domain: Domain = ((-1.0, 1.0), (-1.0, 1.0))
    minima: Array = field(default_factory=lambda: np.zeros((0, 2)))
    n_samples: int | None = None

    def __post_init__(self) -> None:
        self.name = self.spec.name
        self.description = self.spec.description
        self.domain = self.spec.domain
        self.minima = np.asarray(self.spec.minima(self.params), dtype=np.float64).reshape(-1, 2)

    def value(self, points: Array, batch: object = None) -> Array:
        """f at each point, shape (N,)."""
        with np.errstate(all="ignore"):
            v = self.spec.value(points[:, 0], points[:, 1], **self.params)
            return np.broadcast_to(np.asarray(v, dtype=np.float64), (points.shape[0],)).copy()

    def grad(self, points: Array, batch: object = None) -> Array:
        """Exact gradient, shape (N, 2)."""
        with np.errstate(all="ignore"):
            gx, gy = self.spec.grad(points[:, 0], points[:, 1], **self.params)
            return _pack(gx, gy) if np.ndim(gx) and np.ndim(gy) else _broadcast(gx, gy, points)

    def value_and_grad(self, points: Array) -> tuple[Array, Array]:
        """f and its gradient together, sharing intermediate terms where the spec can."""
        if self.spec.value_grad is None:
            return self.value(points), self.grad(points)
        with np.errstate(all="ignore"):
            f, gx, gy = self.spec.value_grad(points[:, 0], points[:, 1], **self.params)
            return f, _pack(gx, gy)

    def hessian(self, points: Array, batch: object = None) -> Array:
        """Exact Hessian, shape (N, 2, 2)."""
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = self.spec.hess(points[:, 0], points[:, 1], **self.params)
            return _pack_h(hxx, hxy, hyy, points.shape[0])


def _broadcast(gx: object, gy: object, points: Array) -> Array:
    n = points.shape[0]
    return _pack(np.broadcast_to(gx, (n,)), np.broadcast_to(gy, (n,)))


# ---------------------------------------------------------------- the functions
def _quadratic():
    return (
        lambda x, y: x * x + y * y,
        lambda x, y: (2 * x, 2 * y),
        lambda x, y: (2.0, 0.0, 2.0),
    )


def _ill_conditioned():
    # 0.5·(x² + κ·y²): the bowl a linear model gets from features of unequal scale.
    return (
        lambda x, y, kappa: 0.5 * (x * x + kappa * y * y),
        lambda x, y, kappa: (x, kappa * y),
        lambda x, y, kappa: (1.0, 0.0, kappa),
    )


def _rosenbrock():
    # value and gradient share one fused implementation, so they round identically
    def value(x, y, a, b):
        return _rosenbrock_value_grad(x, y, a, b)[0]

    def grad(x, y, a, b):
        return _rosenbrock_value_grad(x, y, a, b)[1:]

    def hess(x, y, a, b):
        return (2.0 - 4.0 * b * (y - 3.0 * x * x), -4.0 * b * x, 2.0 * b)

    return value, grad, hess


def _rosenbrock_value_grad(x, y, a, b):
    t = x * x
    np.subtract(y, t, out=t)  # t = y − x²
    u = a - x
    f = u * u
    bt = b * t
    f += bt * t
    gx = x * bt
    gx *= -4.0
    gx -= 2.0 * u
    bt *= 2.0
    return f, gx, bt


def _himmelblau():
    def value(x, y):
        p = x * x + y - 11
        q = x + y * y - 7
        return p * p + q * q

    def grad(x, y):
        p = x * x + y - 11
        q = x + y * y - 7
        return (4 * x * p + 2 * q, 2 * p + 4 * y * q)

    def hess(x, y):
        return (12 * x * x + 4 * y - 42, 4 * x + 4 * y, 4 * x + 12 * y * y - 26)

    return value, grad, hess


def _beale():
    c = (1.5, 2.25, 2.625)

    def terms(x, y):
        return [(ci - x + x * y**k, y**k - 1, k) for k, ci in enumerate(c, start=1)]

    def value(x, y):
        return sum(t * t for t, _, _ in terms(x, y))

    def grad(x, y):
        gx = sum(2 * t * d for t, d, _ in terms(x, y))
        gy = sum(2 * t * k * x * y ** (k - 1) for t, _, k in terms(x, y))
        return gx, gy

    def hess(x, y):
        hxx = hxy = hyy = 0.0
        for t, d, k in terms(x, y):
            ty = k * x * y ** (k - 1)
            tyy = k * (k - 1) * x * y ** (k - 2) if k > 1 else 0.0
            txy = k * y ** (k - 1)
            hxx = hxx + 2 * d * d
            hxy = hxy + 2 * (ty * d + t * txy)
            hyy = hyy + 2 * (ty * ty + t * tyy)
        return hxx, hxy, hyy

    return value, grad, hess


def _booth():
    def value(x, y):
        p = x + 2 * y - 7
        q = 2 * x + y - 5
        return p * p + q * q

    def grad(x, y):
        p = x + 2 * y - 7
        q = 2 * x + y - 5
        return (2 * p + 4 * q, 4 * p + 2 * q)

    return value, grad, lambda x, y: (10.0, 8.0, 10.0)


def _rastrigin():
    tau = 2 * np.pi

    def value(x, y, A):
        return 2 * A + x * x - A * np.cos(tau * x) + y * y - A * np.cos(tau * y)

    def grad(x, y, A):
        return (2 * x + A * tau * np.sin(tau * x), 2 * y + A * tau * np.sin(tau * y))

    def hess(x, y, A):
        return (2 + A * tau * tau * np.cos(tau * x), 0.0, 2 + A * tau * tau * np.cos(tau * y))

    return value, grad, hess


def _ackley():
    def parts(x, y, a, b, c):
        r = np.sqrt(0.5 * (x * x + y * y))
        e1 = np.exp(-b * r)
        e2 = np.exp(0.5 * (np.cos(c * x) + np.cos(c * y)))
        return r, e1, e2

    def value(x, y, a, b, c):
        _, e1, e2 = parts(x, y, a, b, c)
        return -a * e1 - e2 + a + np.e

    def grad(x, y, a, b, c):
        r, e1, e2 = parts(x, y, a, b, c)
        # d r/dx = x / (2r); at r = 0 the first term's limit is 0 by symmetry.
        k = np.where(r > 0, a * b * e1 / (2 * np.where(r > 0, r, 1.0)), 0.0)
        return (k * x + 0.5 * c * e2 * np.sin(c * x), k * y + 0.5 * c * e2 * np.sin(c * y))

    def hess(x, y, a, b, c):
        r, e1, e2 = parts(x, y, a, b, c)
        safe_r = np.where(r > 0, r, 1.0)
        k = a * b * e1 / (2 * safe_r)
        # d k / dr = -a b e1 (b r + 1) / (2 r²); d r / dx = x / (2 r)
        dk = -a * b * e1 * (b * safe_r + 1) / (2 * safe_r * safe_r)
        sx, sy = np.sin(c * x), np.sin(c * y)
        hxx = k + dk * x * x / (2 * safe_r) + 0.5 * c * c * e2 * (np.cos(c * x) - 0.5 * sx * sx)
        hyy = k + dk * y * y / (2 * safe_r) + 0.5 * c * c * e2 * (np.cos(c * y) - 0.5 * sy * sy)
        hxy = dk * x * y / (2 * safe_r) - 0.25 * c * c * e2 * sx * sy
        return hxx, hxy, hyy

    return value, grad, hess


def _goldstein_price():
    def parts(x, y):
        s = x + y + 1
        q1 = 19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y
        d = 2 * x - 3 * y
        q2 = 18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y
        A = 1 + s * s * q1
        B = 30 + d * d * q2
        # first derivatives of A and B
        q1x, q1y = -14 + 6 * x + 6 * y, -14 + 6 * x + 6 * y
        q2x, q2y = -32 + 24 * x - 36 * y, 48 - 36 * x + 54 * y
        Ax = 2 * s * q1 + s * s * q1x
        Ay = 2 * s * q1 + s * s * q1y
        Bx = 4 * d * q2 + d * d * q2x
        By = -6 * d * q2 + d * d * q2y
        return s, q1, d, q2, A, B, q1x, q1y, q2x, q2y, Ax, Ay, Bx, By

    def value(x, y):
        p = parts(x, y)
        return p[4] * p[5]

    def grad(x, y):
        *_, A, B, _q1x, _q1y, _q2x, _q2y, Ax, Ay, Bx, By = parts(x, y)
        return Ax * B + A * Bx, Ay * B + A * By

    def hess(x, y):
        s, q1, d, q2, A, B, q1x, q1y, q2x, q2y, Ax, Ay, Bx, By = parts(x, y)
        Axx = 2 * q1 + 4 * s * q1x + 6 * s * s
        Ayy = 2 * q1 + 4 * s * q1y + 6 * s * s
        Axy = 2 * q1 + 2 * s * q1y + 2 * s * q1x + 6 * s * s
        Bxx = 8 * q2 + 8 * d * q2x + 24 * d * d
        Byy = 18 * q2 - 12 * d * q2y + 54 * d * d
        Bxy = -12 * q2 + 4 * d * q2y - 6 * d * q2x - 36 * d * d
        return (
            Axx * B + 2 * Ax * Bx + A * Bxx,
            Axy * B + Ax * By + Ay * Bx + A * Bxy,
            Ayy * B + 2 * Ay * By + A * Byy,
        )

    return value, grad, hess


def _six_hump_camel():
    return (
        lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
        lambda x, y: (8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3),
        lambda x, y: (8 - 25.2 * x**2 + 10 * x**4, 1.0, -8 + 48 * y**2),
    )


def _three_hump_camel():
    return (
        lambda x, y: 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2,
        lambda x, y: (4 * x - 4.2 * x**3 + x**5 + y, x + 2 * y),
        lambda x, y: (4 - 12.6 * x**2 + 5 * x**4, 1.0, 2.0),
    )


def _matyas():
    return (
        lambda x, y: 0.26 * (x * x + y * y) - 0.48 * x * y,
        lambda x, y: (0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x),
        lambda x, y: (0.52, -0.48, 0.52),
    )


def _levi13():
    p3, p2 = 3 * np.pi, 2 * np.pi

    def value(x, y):
        return (
            np.sin(p3 * x) ** 2
            + (x - 1) ** 2 * (1 + np.sin(p3 * y) ** 2)
            + (y - 1) ** 2 * (1 + np.sin(p2 * y) ** 2)
        )

    def grad(x, y):
        s3y2 = np.sin(p3 * y) ** 2
        gx = p3 * np.sin(2 * p3 * x) + 2 * (x - 1) * (1 + s3y2)
        gy = (
            (x - 1) ** 2 * p3 * np.sin(2 * p3 * y)
            + 2 * (y - 1) * (1 + np.sin(p2 * y) ** 2)
            + (y - 1) ** 2 * p2 * np.sin(2 * p2 * y)
        )
        return gx, gy

    def hess(x, y):
        hxx = 2 * p3 * p3 * np.cos(2 * p3 * x) + 2 * (1 + np.sin(p3 * y) ** 2)
        hxy = 2 * (x - 1) * p3 * np.sin(2 * p3 * y)
        hyy = (
            (x - 1) ** 2 * 2 * p3 * p3 * np.cos(2 * p3 * y)
            + 2 * (1 + np.sin(p2 * y) ** 2)
            + 4 * (y - 1) * p2 * np.sin(2 * p2 * y)
            + (y - 1) ** 2 * 2 * p2 * p2 * np.cos(2 * p2 * y)
        )
        return hxx, hxy, hyy

    return value, grad, hess


def _styblinski_tang():
    return (
        lambda x, y: 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y),
        lambda x, y: (2 * x**3 - 16 * x + 2.5, 2 * y**3 - 16 * y + 2.5),
        lambda x, y: (6 * x**2 - 16, 0.0, 6 * y**2 - 16),
    )


def _mccormick():
    return (
        lambda x, y: np.sin(x + y) + (x - y) ** 2 - 1.5 * x + 2.5 * y + 1,
        lambda x, y: (np.cos(x + y) + 2 * (x - y) - 1.5, np.cos(x + y) - 2 * (x - y) + 2.5),
        lambda x, y: (-np.sin(x + y) + 2, -np.sin(x + y) - 2, -np.sin(x + y) + 2),
    )


def _saddle():
    return (lambda x, y: x * x - y * y, lambda x, y: (2 * x, -2 * y), lambda x, y: (2.0, 0.0, -2.0))


def _monkey_saddle():
    return (
        lambda x, y: x**3 - 3 * x * y * y,
        lambda x, y: (3 * x * x - 3 * y * y, -6 * x * y),
        lambda x, y: (6 * x, -6 * y, -6 * x),
    )


def _double_well():
    return (
        lambda x, y: 0.25 * x**4 - 0.5 * x * x + 0.5 * y * y,
        lambda x, y: (x**3 - x, y),
        lambda x, y: (3 * x * x - 1, 0.0, 1.0),
    )


def _fixed(*points: tuple[float, float]) -> Callable[[Params], Array]:
    arr = np.array(points, dtype=np.float64).reshape(-1, 2)
    return lambda _p: arr


_ST = -2.903534018185960
_SPECS = [
    ("quadratic", "Quadratic bowl", "the simplest bowl: x² + y², one minimum at the origin",
     _quadratic, ((-3.0, 3.0), (-3.0, 3.0)), _fixed((0, 0)), {}, {}),
    ("ill_conditioned", "Elongated bowl",
     "an elongated bowl, as unscaled features make: gradient descent zig-zags across it",
     _ill_conditioned, ((-3.0, 3.0), (-2.0, 2.0)), _fixed((0, 0)), {"kappa": 25.0},
     {"kappa": "curvature ratio between y and x (the condition number)"}),
    ("rosenbrock", "Rosenbrock", "a narrow curved valley: easy to reach, slow to follow",
     _rosenbrock, ((-2.0, 2.0), (-1.0, 3.0)), lambda p: np.array([[p["a"], p["a"] ** 2]]),
     {"a": 1.0, "b": 100.0}, {"a": "position of the minimum (a, a²)", "b": "steepness of the valley walls"}),
    ("himmelblau", "Himmelblau", "four equal minima: where you start decides where you end",
     _himmelblau, ((-5.0, 5.0), (-5.0, 5.0)),
     _fixed((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)), {}, {}),
    ("beale", "Beale", "sharp peaks at the corners and a flat valley toward the minimum",
     _beale, ((-4.5, 4.5), (-4.5, 4.5)), _fixed((3.0, 0.5)), {}, {}),
    ("booth", "Booth", "a tilted bowl: the plain convex case", _booth,
     ((-10.0, 10.0), (-10.0, 10.0)), _fixed((1.0, 3.0)), {}, {}),
    ("rastrigin", "Rastrigin", "many local minima on a bowl: gradient descent gets trapped",
     _rastrigin, ((-5.12, 5.12), (-5.12, 5.12)), _fixed((0, 0)), {"A": 10.0},
     {"A": "height of the ripples"}),
    ("ackley", "Ackley", "a nearly flat plateau riddled with dimples around one deep hole",
     _ackley, ((-5.0, 5.0), (-5.0, 5.0)), _fixed((0, 0)), {"a": 20.0, "b": 0.2, "c": 2 * np.pi},
     {"a": "depth of the hole", "b": "width of the hole", "c": "frequency of the dimples"}),
    ("goldstein_price", "Goldstein-Price", "several local minima and a huge range of values",
     _goldstein_price, ((-2.0, 2.0), (-2.0, 2.0)), _fixed((0.0, -1.0)), {}, {}),
    ("six_hump_camel", "Six-hump camel", "six local minima, two of them global", _six_hump_camel,
     ((-3.0, 3.0), (-2.0, 2.0)), _fixed((0.0898, -0.7126), (-0.0898, 0.7126)), {}, {}),
    ("three_hump_camel", "Three-hump camel", "three minima: a global one between two local ones",
     _three_hump_camel, ((-5.0, 5.0), (-5.0, 5.0)), _fixed((0, 0)), {}, {}),
    ("matyas", "Matyas", "a flat, tilted valley: small gradients, slow progress", _matyas,
     ((-10.0, 10.0), (-10.0, 10.0)), _fixed((0, 0)), {}, {}),
    ("levi13", "Lévi N.13", "a rippled surface with many local minima", _levi13,
     ((-10.0, 10.0), (-10.0, 10.0)), _fixed((1.0, 1.0)), {}, {}),
    ("styblinski_tang", "Styblinski-Tang", "four basins of different depths: local vs global minima",
     _styblinski_tang, ((-5.0, 5.0), (-5.0, 5.0)), _fixed((_ST, _ST)), {}, {}),
    ("mccormick", "McCormick", "a curved, tilted valley", _mccormick,
     ((-1.5, 4.0), (-3.0, 4.0)), _fixed((-0.54719, -1.54719)), {}, {}),
    ("saddle", "Saddle", "a saddle point: zero gradient, a minimum in x and a maximum in y",
     _saddle, ((-2.0, 2.0), (-2.0, 2.0)), _fixed(), {}, {}),
    ("monkey_saddle", "Monkey saddle", "a flat saddle with three valleys going down", _monkey_saddle,
     ((-2.0, 2.0), (-2.0, 2.0)), _fixed(), {}, {}),
    ("double_well", "Double well", "a saddle point between two minima", _double_well,
     ((-2.0, 2.0), (-2.0, 2.0)), _fixed((1.0, 0.0), (-1.0, 0.0)), {}, {}),
]  # fmt: skip

FUNCTIONS: dict[str, FunctionSpec] = {}
_FUSED = {"rosenbrock": _rosenbrock_value_grad}
for _name, _title, _desc, _make, _domain, _minima, _params, _docs in _SPECS:
    _v, _g, _h = _make()
    FUNCTIONS[_name] = FunctionSpec(_name, _title, _desc, _v, _g, _h, _domain, _minima,
                                    _params, _docs, _FUSED.get(_name))  # fmt: skip


def make_function(name: str, params: Mapping[str, float] | None = None) -> BuiltinObjective:
    """A built-in function with parameters (defaults filled); ScenarioError on bad input."""
    spec = FUNCTIONS.get(name)
    if spec is None:
        raise ScenarioError("surface.function",
                            f"unknown function {name!r}; valid: {', '.join(FUNCTIONS)}")  # fmt: skip
    given = dict(params or {})
    for key in given:
        if key not in spec.params:
            valid = ", ".join(spec.params) or "none"
            raise ScenarioError(f"surface.params.{key}",
                                f"{name} has no parameter {key!r}; valid: {valid}")  # fmt: skip
    return BuiltinObjective(spec, {**spec.params, **{k: float(v) for k, v in given.items()}})
