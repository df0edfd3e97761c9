"""User formulas in x and y: whitelisted parsing, exact symbolic derivatives, NumPy code.

The text is parsed with :mod:`ast` and walked node by node; only numbers, ``x``,
``y``, ``pi``, ``e``, arithmetic (``+ - * / **``, ``^`` as power), unary signs,
parentheses and calls of the math functions in :data:`FUNCTIONS` are accepted.
Nothing the user typed is ever evaluated: the walk builds a sympy expression
itself, sympy differentiates it exactly, and ``lambdify`` with common
subexpression elimination compiles value, gradient and Hessian to NumPy.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import sympy

from gdstudio.engine.errors import FormulaError
from gdstudio.engine.objective import Domain

Array = npt.NDArray[np.float64]
MAX_LENGTH = 500
DEFAULT_DOMAIN: Domain = ((-3.0, 3.0), (-3.0, 3.0))

X, Y = sympy.symbols("x y", real=True)
CONSTANTS = {"x": X, "y": Y, "pi": sympy.pi, "e": sympy.E}


def _sigmoid(z: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-z))


FUNCTIONS: dict[str, tuple[int, Callable[..., sympy.Expr]]] = {
    "sin": (1, sympy.sin), "cos": (1, sympy.cos), "tan": (1, sympy.tan),
    "exp": (1, sympy.exp), "log": (1, sympy.log), "ln": (1, sympy.log),
    "log10": (1, lambda a: sympy.log(a, 10)), "log2": (1, lambda a: sympy.log(a, 2)),
    "sqrt": (1, sympy.sqrt), "cbrt": (1, sympy.cbrt), "abs": (1, sympy.Abs),
    "square": (1, lambda a: a**2), "sign": (1, sympy.sign),
    "tanh": (1, sympy.tanh), "sinh": (1, sympy.sinh), "cosh": (1, sympy.cosh),
    "arctan": (1, sympy.atan), "atan": (1, sympy.atan), "arcsin": (1, sympy.asin),
    "asin": (1, sympy.asin), "arccos": (1, sympy.acos), "acos": (1, sympy.acos),
    "sigmoid": (1, _sigmoid), "arctan2": (2, sympy.atan2), "atan2": (2, sympy.atan2),
    "hypot": (2, lambda a, b: sympy.sqrt(a**2 + b**2)),
}  # fmt: skip
"""Whitelisted functions: name -> (number of arguments, sympy builder)."""

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
            ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitXor: "^",
            ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>"}  # fmt: skip


def _col(node: ast.AST) -> int | None:
    return getattr(node, "col_offset", None)


def _build(node: ast.AST) -> sympy.Expr:
    """The sympy expression of a whitelisted AST node; FormulaError for anything else."""
    if isinstance(node, ast.Expression):
        return _build(node.body)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "text" if isinstance(value, str) else type(value).__name__
            raise FormulaError(f"{kind} is not allowed: use numbers, x and y", _col(node))
        return sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            raise FormulaError(f"{node.id} is a function: write {node.id}(...)", _col(node))
        raise FormulaError(
            f"unknown name {node.id!r}: use x, y, pi, e or a function such as sin", _col(node)
        )
    if isinstance(node, ast.BinOp):
        op = _BINARY.get(type(node.op))
        if op is None:
            symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
            raise FormulaError(f"operator {symbol!r} is not allowed", _col(node))
        left, right = _build(node.left), _build(node.right)
        if isinstance(node.op, ast.Pow) and left.is_number and right.is_number:
            try:  # fold constant powers in floats, so 9**9**9 fails fast instead of hanging
                return sympy.Float(float(left) ** float(right))
            except (OverflowError, ZeroDivisionError, TypeError):
                raise FormulaError("a constant power is too large", _col(node)) from None
        return op(left, right)
    if isinstance(node, ast.UnaryOp):
        op = _UNARY.get(type(node.op))
        if op is None:
            raise FormulaError(f"operator {type(node.op).__name__} is not allowed", _col(node))
        return op(_build(node.operand))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise FormulaError("only plain function calls such as sin(x) are allowed", _col(node))
        name = node.func.id
        if name not in FUNCTIONS:
            raise FormulaError(
                f"unknown function {name!r}; allowed: {', '.join(sorted(FUNCTIONS))}", _col(node)
            )
        if node.keywords:
            raise FormulaError(f"{name}() takes no keyword arguments", _col(node.keywords[0]))
        arity, builder = FUNCTIONS[name]
        if len(node.args) != arity:
            plural = "s" if arity > 1 else ""
            raise FormulaError(
                f"{name}() takes {arity} argument{plural}, got {len(node.args)}", _col(node)
            )
        return builder(*(_build(a) for a in node.args))
    what = {
        ast.Attribute: "attributes (a.b)", ast.Subscript: "subscripts (a[i])",
        ast.Lambda: "lambda", ast.Compare: "comparisons", ast.BoolOp: "and/or",
        ast.IfExp: "if/else", ast.Tuple: "tuples", ast.List: "lists", ast.Dict: "dicts",
    }.get(type(node), type(node).__name__)  # fmt: skip
    raise FormulaError(f"{what} not allowed in a formula", _col(node))


def parse_expression(text: str) -> sympy.Expr:
    """The sympy expression of a formula; FormulaError pointing at the problem."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("the formula is empty: type a function of x and y, e.g. x**2 + y**2")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    source = text.replace("^", "**")  # '^' is power here, as in most calculators
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        stripped = text.rstrip()
        if stripped and stripped[-1] in "+-*/^(,":
            raise FormulaError("the formula ends with an operator", len(stripped) - 1) from None
        offset = (exc.offset or 1) - 1 + (len(source) - len(source.lstrip()))
        raise FormulaError(f"could not parse: {exc.msg}", max(offset, 0)) from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError("could not parse the formula") from None
    try:
        expr = _build(tree)
    except RecursionError:
        raise FormulaError("the formula is nested too deeply") from None
    if not expr.free_symbols & {X, Y}:
        raise FormulaError("the formula must depend on x or y")
    if expr.has(sympy.I) or expr.has(sympy.zoo) or expr.has(sympy.nan):
        raise FormulaError("the formula is not a real function of x and y")
    return expr


def check_formula(text: str) -> None:
    """Validate a formula cheaply (no compilation); raises FormulaError."""
    parse_expression(text)


def _no_delta(expr: sympy.Expr) -> sympy.Expr:
    """Second derivatives of abs/sign contain DiracDelta: zero almost everywhere."""
    return expr.replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)


def _compile(exprs: list[sympy.Expr]) -> Callable[[Array, Array], list]:
    return sympy.lambdify((X, Y), exprs, modules="numpy", cse=True)


@dataclass
class FormulaObjective:
    """A user formula as an Objective, with exact symbolic derivatives."""

    expression: str
    domain: Domain = DEFAULT_DOMAIN
    name: str = ""
    description: str = "your formula"
    minima: Array = field(default_factory=lambda: np.zeros((0, 2)))
    n_samples: int | None = None

    def __post_init__(self) -> None:
        expr = parse_expression(self.expression)
        fx, fy = sympy.diff(expr, X), sympy.diff(expr, Y)
        hess = [_no_delta(sympy.diff(fx, X)), _no_delta(sympy.diff(fx, Y)),
                _no_delta(sympy.diff(fy, Y))]  # fmt: skip
        self.name = self.expression
        self.sympy_expr = expr
        self._value = _compile([expr])
        self._grad = _compile([fx, fy])
        self._value_grad = _compile([expr, fx, fy])
        self._hess = _compile(hess)

    @staticmethod
    def _cols(fn: Callable, points: Array) -> list[Array]:
        n = points.shape[0]
        with np.errstate(all="ignore"):
            parts = fn(points[:, 0], points[:, 1])
        return [np.broadcast_to(np.asarray(p, dtype=np.float64), (n,)) for p in parts]

    def value(self, points: Array, batch: object = None) -> Array:
        """f at each point, shape (N,)."""
        return np.array(self._cols(self._value, points)[0])

    def grad(self, points: Array, batch: object = None) -> Array:
        """Exact gradient, shape (N, 2)."""
        gx, gy = self._cols(self._grad, points)
        out = np.empty((points.shape[0], 2))
        out[:, 0] = gx
        out[:, 1] = gy
        return out

    def value_and_grad(self, points: Array) -> tuple[Array, Array]:
        """f and its gradient from one compiled function (shared subexpressions)."""
        f, gx, gy = self._cols(self._value_grad, points)
        out = np.empty((points.shape[0], 2))
        out[:, 0] = gx
        out[:, 1] = gy
        return np.array(f), out

    def hessian(self, points: Array, batch: object = None) -> Array:
        """Exact Hessian, shape (N, 2, 2)."""
        hxx, hxy, hyy = self._cols(self._hess, points)
        out = np.empty((points.shape[0], 2, 2))
        out[:, 0, 0] = hxx
        out[:, 0, 1] = out[:, 1, 0] = hxy
        out[:, 1, 1] = hyy
        return out


def parse_formula(text: str, domain: Domain | None = None) -> FormulaObjective:
    """Parse and compile a formula; FormulaError (with a column) when it is not allowed."""
    if domain is not None and not all(math.isfinite(v) for r in domain for v in r):
        raise FormulaError("the domain must be finite")
    return FormulaObjective(text, domain or DEFAULT_DOMAIN)
