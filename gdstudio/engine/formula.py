"""User formulas in x and y: whitelisted parsing, exact symbolic derivatives, NumPy code.

The text is parsed with :mod:`ast` and walked node by node; only numbers, ``x``,
``y``, ``pi``, ``e``, arithmetic (``+ - * / **``), unary signs, parentheses and
calls of the math functions in :data:`FUNCTIONS` are accepted. ``^`` means
power, as on calculators: it is replaced by ``**`` before parsing (a formula
never means Python's bitwise xor). Nothing the user typed is evaluated: the
walk builds a sympy expression itself, and constant parts are checked in float
arithmetic as they are built, so ``9**9**9`` or ``log(-1)`` is refused at once
instead of hanging sympy or turning complex.

Derivatives are exact: :class:`DerivativeProgram` differentiates each node of
the expression with ``sympy.diff`` and chains them forward, which keeps the
Hessian's code linear in the formula's size, and ``sympy.lambdify`` turns the
resulting straight-line code (shared subexpressions computed once) into NumPy.
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import SupportsFloat

import numpy as np
import numpy.typing as npt
import sympy

from gdstudio.engine.errors import FormulaError
from gdstudio.engine.inputs import lone_surrogate
from gdstudio.engine.objective import Domain, axis_problem, guards_its_errors

Array = npt.NDArray[np.float64]
MAX_LENGTH = 500
"""Longest formula accepted, in characters."""
DEFAULT_DOMAIN: Domain = ((-3.0, 3.0), (-3.0, 3.0))
"""Region shown for a formula when none is given."""

X, Y = sympy.symbols("x y", real=True)
CONSTANTS: dict[str, sympy.Expr] = {"x": X, "y": Y, "pi": sympy.pi, "e": sympy.E}
"""The names a formula may use besides functions."""
_CONSTANT_VALUES = {"pi": math.pi, "e": math.e}
_EXACT_POWER_BITS = 4096  # constant powers of rationals up to this size stay exact


# ---------------------------------------------------------------- real-valued helpers
# sympy's Abs, sign, Min and Max differentiate through re()/im() or DiracDelta when
# their argument is not known to be real (e.g. abs(log(x))); these real versions
# have the almost-everywhere derivatives and map straight onto NumPy functions.
class _RealFunction(sympy.Function):
    """A sympy function known to take real values, so sympy never reaches for re()/im()."""

    def _eval_is_extended_real(self) -> bool:
        return True


class RealAbs(_RealFunction):
    """|a| for real a; derivative sign(a)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """d|a|/da = sign(a)."""
        return RealSign(self.args[0])


class RealSign(_RealFunction):
    """sign(a) for real a; derivative 0 (almost everywhere)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """d sign(a)/da = 0 away from a = 0."""
        return sympy.S.Zero


class Step(_RealFunction):
    """Heaviside step with value 1/2 at 0 (the derivative of min/max); derivative 0."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """The step is flat away from 0."""
        return sympy.S.Zero


class RealMax(_RealFunction):
    """max(a, b); its partial derivatives are steps (1/2 each at a tie)."""

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """∂max/∂a = step(a − b), ∂max/∂b = step(b − a)."""
        a, b = self.args
        return Step(a - b) if argindex == 1 else Step(b - a)


class RealMin(_RealFunction):
    """min(a, b); its partial derivatives are steps (1/2 each at a tie)."""

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """∂min/∂a = step(b − a), ∂min/∂b = step(a − b)."""
        a, b = self.args
        return Step(b - a) if argindex == 1 else Step(a - b)


class RealCbrt(_RealFunction):
    """The real cube root (negative for negative a, unlike a**(1/3))."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        """d∛a/da = 1 / (3·∛a²)."""
        return 1 / (3 * RealCbrt(self.args[0]) ** 2)


_NUMPY_NAMES = {
    "RealAbs": np.abs,
    "RealSign": np.sign,
    "Step": lambda z: np.heaviside(z, 0.5),
    "RealMax": np.maximum,
    "RealMin": np.minimum,
    "RealCbrt": np.cbrt,
}


def _sigmoid(z: sympy.Expr) -> sympy.Expr:
    return (1 + sympy.tanh(z / 2)) / 2  # = 1/(1 + e^−z), without overflow for large −z


def _np_sigmoid(z: np.float64) -> np.float64:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass(frozen=True)
class MathFunction:
    """A function a formula may call: its sympy builder and NumPy twin for constants."""

    arity: int
    symbolic: Callable[..., sympy.Expr]
    numeric: Callable[..., np.float64]


def _f1(symbolic: Callable[..., sympy.Expr], numeric: Callable[..., np.float64]) -> MathFunction:
    return MathFunction(1, symbolic, numeric)


def _f2(symbolic: Callable[..., sympy.Expr], numeric: Callable[..., np.float64]) -> MathFunction:
    return MathFunction(2, symbolic, numeric)


FUNCTIONS: dict[str, MathFunction] = {
    "sin": _f1(sympy.sin, np.sin), "cos": _f1(sympy.cos, np.cos), "tan": _f1(sympy.tan, np.tan),
    "exp": _f1(sympy.exp, np.exp), "log": _f1(sympy.log, np.log), "ln": _f1(sympy.log, np.log),
    "log10": _f1(lambda a: sympy.log(a, 10), np.log10),
    "log2": _f1(lambda a: sympy.log(a, 2), np.log2),
    "sqrt": _f1(sympy.sqrt, np.sqrt), "cbrt": _f1(RealCbrt, np.cbrt),
    "abs": _f1(RealAbs, np.abs), "sign": _f1(RealSign, np.sign),
    "square": _f1(lambda a: a**2, np.square),
    "tanh": _f1(sympy.tanh, np.tanh), "sinh": _f1(sympy.sinh, np.sinh),
    "cosh": _f1(sympy.cosh, np.cosh),
    "arctan": _f1(sympy.atan, np.arctan), "atan": _f1(sympy.atan, np.arctan),
    "arcsin": _f1(sympy.asin, np.arcsin), "asin": _f1(sympy.asin, np.arcsin),
    "arccos": _f1(sympy.acos, np.arccos), "acos": _f1(sympy.acos, np.arccos),
    "sigmoid": _f1(_sigmoid, _np_sigmoid),
    "arctan2": _f2(sympy.atan2, np.arctan2), "atan2": _f2(sympy.atan2, np.arctan2),
    "hypot": _f2(lambda a, b: sympy.sqrt(a**2 + b**2), np.hypot),
    "min": _f2(RealMin, np.minimum), "max": _f2(RealMax, np.maximum),
}  # fmt: skip
"""Whitelisted functions by the name a formula calls them with."""

_BINARY: dict[type[ast.operator], Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_NUMERIC: dict[type[ast.operator], Callable[[np.float64, float], np.float64]] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
    ast.Pow: np.power,
}  # fmt: skip
_SYMBOLS = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitAnd: "&",
            ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>", ast.Not: "not",
            ast.Invert: "~"}  # fmt: skip
_NOT_ALLOWED = {
    ast.Attribute: "attributes such as x.real are", ast.Subscript: "subscripts such as x[0] are",
    ast.Lambda: "lambda is", ast.Compare: "comparisons (<, ==, ...) are",
    ast.BoolOp: "and/or are", ast.IfExp: "if/else is", ast.Tuple: "tuples (a, b) are",
    ast.List: "lists are", ast.Set: "sets are", ast.Dict: "dicts are",
    ast.ListComp: "comprehensions are", ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are", ast.GeneratorExp: "comprehensions are",
    ast.NamedExpr: "assignments (:=) are", ast.Starred: "unpacking (*a) is",
    ast.JoinedStr: "text is", ast.Await: "await is",
}  # fmt: skip


@dataclass(frozen=True)
class _Node:
    """A built subexpression and, when it does not involve x or y, its float value."""

    expr: sympy.Expr
    value: float | None = None


def _float_or_none(v: SupportsFloat) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):  # complex, or an integer past float range
        return None


class _Walker:
    """Builds the sympy expression of one formula, mapping every error to a column."""

    def __init__(self, text: str) -> None:
        self.text = text
        pieces: list[str] = []
        index: list[int] = []  # index[i]: column in ``text`` of character i of the source
        for i, ch in enumerate(text):
            piece = "**" if ch == "^" else " " if ch.isspace() else ch
            pieces.append(piece)
            index.extend([i] * len(piece))
        source = "".join(pieces)
        self.source = source.strip()
        self.index = index[len(source) - len(source.lstrip()) :]
        self.byte_to_char: list[int] = []  # UTF-8 byte offset -> character offset in source
        for i, ch in enumerate(self.source):
            self.byte_to_char.extend([i] * len(ch.encode("utf-8")))
        self.byte_to_char.append(len(self.source))

    # -------------------------------------------------------- positions
    def column(self, source_char: int) -> int:
        """Column in the user's text of a character offset in the parsed source."""
        if source_char >= len(self.index):
            return len(self.text.rstrip())
        return self.index[max(source_char, 0)]

    def pos(self, node: ast.AST) -> int:
        """Column in the user's text where ``node`` starts."""
        return self.column(self.byte_to_char[getattr(node, "col_offset", 0)])

    def snippet(self, node: ast.AST) -> str:
        """The user's text of ``node``."""
        end_byte = getattr(node, "end_col_offset", None)
        end = len(self.source) if end_byte is None else self.byte_to_char[end_byte]
        end_col = self.column(end - 1) + 1 if end > 0 else 0
        return self.text[self.pos(node) : end_col]

    def operator_pos(self, node: ast.BinOp) -> int:
        """Column in the user's text of a binary operator (between its operands)."""
        start = self.byte_to_char[node.left.end_col_offset or 0]
        stop = self.byte_to_char[node.right.col_offset]
        for i in range(start, stop):
            if not self.source[i].isspace() and self.source[i] != ")":
                return self.column(i)
        return self.pos(node)

    def fail(self, message: str, node: ast.AST) -> FormulaError:
        """A FormulaError pointing at ``node``."""
        return FormulaError(message, self.pos(node))

    # -------------------------------------------------------- parsing
    def parse(self) -> sympy.Expr:
        """The sympy expression of the whole formula."""
        try:
            tree = ast.parse(self.source, mode="eval")
        except SyntaxError as exc:
            raise self._syntax_error(exc) from None
        except ValueError:  # e.g. a null character, on some Python versions
            raise FormulaError("could not parse: the formula has an invalid character", 0) from None
        except (RecursionError, MemoryError):
            raise FormulaError("could not parse: the formula is too deeply nested", 0) from None
        try:
            node = self.build(tree.body)
        except RecursionError:
            raise FormulaError("the formula is too deeply nested", 0) from None
        if not node.expr.free_symbols & {X, Y}:
            raise FormulaError("the formula must depend on x or y", 0)
        return node.expr

    def _syntax_error(self, exc: SyntaxError) -> FormulaError:
        stripped = self.text.rstrip()
        if stripped[-1] in "+-*/^%@":
            return FormulaError("could not parse: the formula ends with an operator",
                                len(stripped) - 1)  # fmt: skip
        offset = exc.offset or 0
        inside = 0 < offset <= len(self.source)
        position = self.column(offset - 1) if inside else len(stripped)
        msg = exc.msg
        if "forgot a comma" in msg or "decimal literal" in msg:
            msg = "an operator is missing (write 2*x, not 2x; sin(x), not sin x)"
        elif msg == "invalid syntax" and inside:
            end = exc.end_offset if exc.end_offset and exc.end_offset > offset else offset + 1
            msg = f"unexpected {self.text[position : self.column(end - 2) + 1]!r}"
        return FormulaError(f"could not parse: {msg}", position)

    # -------------------------------------------------------- the whitelist walk
    def build(self, node: ast.AST) -> _Node:
        """The _Node of a whitelisted AST node; FormulaError for anything else."""
        if isinstance(node, ast.Constant):
            out = self._number(node)
        elif isinstance(node, ast.Name):
            out = self._name(node)
        elif isinstance(node, ast.BinOp):
            out = self._binop(node)
        elif isinstance(node, ast.UnaryOp):
            out = self._unary(node)
        elif isinstance(node, ast.Call):
            out = self._call(node)
        else:
            what = _NOT_ALLOWED.get(type(node))
            if what is None:
                raise self.fail(f"{self.snippet(node)!r} is not allowed in a formula", node)
            raise self.fail(f"{what} not allowed in a formula", node)
        return self._checked(out, node)

    def _checked(self, out: _Node, node: ast.AST) -> _Node:
        """Refuse a part that is not a finite real number (checked in floats, not sympy)."""
        expr, value = out.expr, out.value
        if value is None and not expr.free_symbols:  # x and y cancelled out, e.g. x - x
            value = _float_or_none(expr)
            if value is None:
                raise self.fail(f"{self.snippet(node)!r} is not a real number", node)
        if value is not None:
            if math.isnan(value):
                raise self.fail(f"{self.snippet(node)!r} is not a real number", node)
            if math.isinf(value):
                raise self.fail(f"{self.snippet(node)!r} is infinite or too large", node)
        elif expr.has(sympy.I, sympy.zoo, sympy.nan, sympy.oo):
            raise self.fail(f"{self.snippet(node)!r} is not real", node)
        return _Node(expr, value)

    def _number(self, node: ast.Constant) -> _Node:
        v = node.value
        if isinstance(v, bool) or v is None or v is Ellipsis:
            raise self.fail(f"{v!r} is not allowed: use numbers, x and y", node)
        if isinstance(v, str | bytes):
            raise self.fail("text such as 'a' is not allowed: use numbers, x and y", node)
        if isinstance(v, complex):
            raise self.fail("complex numbers such as 1j are not allowed", node)
        value = _float_or_none(v)
        if value is None or math.isinf(value):
            raise self.fail(f"the number {self.snippet(node)} is too large", node)
        return _Node(sympy.Integer(v) if isinstance(v, int) else sympy.Float(v, 17), value)

    def _name(self, node: ast.Name) -> _Node:
        name = node.id
        if name in CONSTANTS:
            return _Node(CONSTANTS[name], _CONSTANT_VALUES.get(name))
        if name in FUNCTIONS:
            raise self.fail(f"{name} is a function: write {name}(...)", node)
        raise self.fail(
            f"unknown name {name!r}: use x, y, pi, e or a function such as sin"
            + _did_you_mean(name, [*CONSTANTS, *FUNCTIONS]),
            node,
        )

    def _binop(self, node: ast.BinOp) -> _Node:
        op = _BINARY.get(type(node.op))
        if op is None:
            symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
            raise FormulaError(
                f"operator {symbol!r} is not allowed: use + - * / ** or ^", self.operator_pos(node)
            )
        left, right = self.build(node.left), self.build(node.right)
        if isinstance(node.op, ast.Div) and right.value == 0:
            raise self.fail("division by zero", node.right)
        if left.value is None or right.value is None:
            return _Node(op(left.expr, right.expr))
        with np.errstate(all="ignore"):
            value = float(_NUMERIC[type(node.op)](np.float64(left.value), right.value))
        if not math.isfinite(value):
            return _Node(sympy.nan, value)  # _checked reports it with the snippet
        if isinstance(node.op, ast.Pow) and not _exact_power(left.expr, right.expr):
            return _Node(sympy.Float(value, 17), value)
        return _Node(op(left.expr, right.expr), value)

    def _unary(self, node: ast.UnaryOp) -> _Node:
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return _Node(-operand.expr, None if operand.value is None else -operand.value)
        if isinstance(node.op, ast.UAdd):
            return operand
        raise self.fail(f"operator {_SYMBOLS[type(node.op)]!r} is not allowed", node)

    def _call(self, node: ast.Call) -> _Node:
        if not isinstance(node.func, ast.Name):
            self.build(node.func)  # reports attributes, subscripts, ... by their own names
            raise self.fail("only plain function calls such as sin(x) are allowed", node)
        name = node.func.id
        if name in CONSTANTS:
            raise self.fail(f"{name} is not a function: write {name}*(...) to multiply", node)
        fn = FUNCTIONS.get(name)
        if fn is None:
            raise self.fail(
                f"unknown function {name!r}" + _did_you_mean(name, list(FUNCTIONS))
                + f"; allowed: {', '.join(sorted(FUNCTIONS))}",
                node,
            )  # fmt: skip
        if node.keywords:
            raise self.fail(f"{name}() takes no keyword arguments", node.keywords[0])
        if len(node.args) != fn.arity:
            plural = "s" if fn.arity > 1 else ""
            raise self.fail(f"{name}() takes {fn.arity} argument{plural}, got {len(node.args)}",
                            node)  # fmt: skip
        args = [self.build(a) for a in node.args]
        values = [a.value for a in args]
        if any(v is None for v in values):
            return _Node(fn.symbolic(*(a.expr for a in args)))
        with np.errstate(all="ignore"):
            value = float(fn.numeric(*(np.float64(v) for v in values)))
        return _Node(sympy.Float(value, 17) if math.isfinite(value) else sympy.nan, value)


def _exact_power(base: sympy.Expr, exponent: sympy.Expr) -> bool:
    """Whether sympy may compute ``base**exponent`` exactly without a huge number."""
    if not (base.is_Rational and exponent.is_Integer):
        return False
    p, q = base.as_numer_denom()
    bits = max(int(p).bit_length(), int(q).bit_length())
    return bits * abs(int(exponent)) <= _EXACT_POWER_BITS


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name.lower(), choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _parse(text: str) -> sympy.Expr:
    if not isinstance(text, str):
        raise FormulaError("the formula must be text such as 'x**2 + y**2'")
    if not text.strip():
        raise FormulaError("the formula is empty: type a function of x and y, e.g. x**2 + y**2", 0)
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    surrogate = lone_surrogate(text)
    if surrogate is not None:
        raise FormulaError("the formula holds a broken character (a lone UTF-16 surrogate)",
                           surrogate)  # fmt: skip
    return _Walker(text).parse()


def check_formula(text: str) -> None:
    """Validate a formula cheaply, without compiling it (for as-you-type feedback).

    Raises FormulaError with the 0-based column of the problem.
    """
    _parse(text)


def _no_delta(expr: sympy.Expr) -> sympy.Expr:
    """Drop DiracDelta terms (zero almost everywhere), e.g. from sympy's own Abs of sqrt(x**2)."""
    return expr.replace(sympy.DiracDelta, lambda *_args: sympy.S.Zero)


Jet = tuple[sympy.Expr, sympy.Expr, sympy.Expr, sympy.Expr, sympy.Expr, sympy.Expr]
"""A quantity and its derivatives: (v, ∂x, ∂y, ∂xx, ∂xy, ∂yy)."""
Assignments = list[tuple[sympy.Symbol, sympy.Expr]]
"""Straight-line code: (name, expression) pairs in order."""
Code = tuple[Assignments, list[sympy.Expr]]
"""Assignments, and the output expressions that use them."""


def _inline(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is cheap enough to repeat where it is used (an atom, or c·atom)."""
    if expr.is_Atom:
        return True
    return bool(expr.is_Mul and len(expr.args) == 2 and expr.args[0].is_Number
                and expr.args[1].is_Atom)  # fmt: skip


_MAX_INLINE_DEPTH = 12  # keeps the generated code shallow enough for sympy's printer


def _inline_single_use(assignments: Assignments, outputs: list[sympy.Expr]) -> Code:
    """Substitute names used only once back into their single user.

    Nested expressions let NumPy reuse its temporaries in place; a name holds its
    array until the function returns, and each fresh array of a large batch costs
    page faults, so this makes the generated code about twice as fast.
    """
    uses: dict[sympy.Symbol, int] = {}
    for expr in [*(e for _, e in assignments), *outputs]:
        for node in sympy.preorder_traversal(expr):  # every occurrence, as x*a + y*a has two
            if node.is_Symbol:
                uses[node] = uses.get(node, 0) + 1
    pending: dict[sympy.Symbol, sympy.Expr] = {}
    depth: dict[sympy.Symbol, int] = {}  # how many inlined assignments deep each pending is
    kept: Assignments = []
    for name, expr in assignments:
        depth[name] = 1 + max((depth[s] for s in expr.free_symbols if s in pending), default=0)
        expr = expr.xreplace(pending)
        if uses.get(name, 0) == 1 and depth[name] <= _MAX_INLINE_DEPTH:
            pending[name] = expr
        else:
            depth[name] = 0
            kept.append((name, expr))
    return kept, [o.xreplace(pending) for o in outputs]


_SLOTS: list[sympy.Dummy] = []


def _slot(i: int) -> sympy.Dummy:
    """The placeholder for argument ``i`` of any node, shared so local derivatives cache well."""
    while len(_SLOTS) <= i:
        _SLOTS.append(sympy.Dummy(f"a{len(_SLOTS)}", real=True))
    return _SLOTS[i]


@functools.lru_cache(maxsize=1024)
def _local_derivative(local: sympy.Expr, wrt: tuple[sympy.Dummy, ...]) -> sympy.Expr:
    """∂ⁿ local / ∂wrt…, for a function of the placeholders; cached, as sin(a0) recurs often."""
    return _no_delta(sympy.diff(local, *wrt))


class DerivativeProgram:
    """Straight-line code for f, its gradient and Hessian, by forward-mode differentiation.

    Every node of the sympy expression (a DAG: equal subexpressions are shared)
    gets a :data:`Jet` whose entries are symbols assigned in order, so the code
    grows linearly with the formula, where differentiating the whole expression
    twice with ``sympy.diff`` would multiply out products (O(n³) terms). Each
    node's local partial derivatives are exact, from ``sympy.diff``; the chain
    rule combines them.
    """

    def __init__(self, expr: sympy.Expr) -> None:
        self.assignments: Assignments = []
        self._known: dict[sympy.Expr, sympy.Symbol] = {}
        self._jets: dict[sympy.Expr, Jet] = {}
        self.outputs: Jet = self._jet(expr)
        """f, ∂f/∂x, ∂f/∂y, ∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y² (symbols or constants)."""

    def _emit(self, expr: sympy.Expr) -> sympy.Expr:
        """A name for ``expr``, assigning it once (or ``expr`` itself when it is cheap)."""
        expr = expr.xreplace(self._known)
        if _inline(expr):
            return expr
        name = self._known.get(expr)
        if name is None:
            name = sympy.Dummy(real=True)
            self.assignments.append((name, expr))
            self._known[expr] = name
        return name

    def _jet(self, node: sympy.Expr) -> Jet:
        jet = self._jets.get(node)
        if jet is None:
            if node == X:
                jet = (X, sympy.S.One, sympy.S.Zero, sympy.S.Zero, sympy.S.Zero, sympy.S.Zero)
            elif node == Y:
                jet = (Y, sympy.S.Zero, sympy.S.One, sympy.S.Zero, sympy.S.Zero, sympy.S.Zero)
            elif not node.free_symbols:
                jet = (node, *([sympy.S.Zero] * 5))
            elif node.is_Add:
                parts = [self._jet(a) for a in node.args]
                jet = tuple(self._emit(sympy.Add(*(p[k] for p in parts))) for k in range(6))
            elif node.is_Mul:
                coeff, factors = node.as_coeff_mul()
                jet = self._jet(factors[0])
                for factor in factors[1:]:
                    jet = self._product(jet, self._jet(factor))
                if coeff != 1:
                    jet = tuple(self._emit(coeff * c) for c in jet)
            else:
                jet = self._apply(node)
            self._jets[node] = jet
        return jet

    def _product(self, a: Jet, b: Jet) -> Jet:
        av, ax, ay, axx, axy, ayy = a
        bv, bx, by, bxx, bxy, byy = b
        e = self._emit
        return (
            e(av * bv), e(ax * bv + av * bx), e(ay * bv + av * by),
            e(axx * bv + 2 * ax * bx + av * bxx),
            e(axy * bv + ax * by + ay * bx + av * bxy),
            e(ayy * bv + 2 * ay * by + av * byy),
        )  # fmt: skip

    def _apply(self, node: sympy.Expr) -> Jet:
        """Chain rule through one function or power of the node's arguments."""
        args = [(i, self._jet(a)) for i, a in enumerate(node.args) if a.free_symbols]
        slots = {i: _slot(i) for i, _ in args}
        local = node.func(*(slots.get(i, a) for i, a in enumerate(node.args)))
        to_args = {slots[i]: jet[0] for i, jet in args}
        v = self._emit(local.xreplace(to_args))

        def partial(*wrt: int) -> sympy.Expr:
            return self._emit(
                _local_derivative(local, tuple(slots[i] for i in wrt)).xreplace(to_args)
            )

        first = {i: partial(i) for i, _ in args}
        second = {(i, j): partial(i, j) for i, _ in args for j, _ in args if i <= j}
        jets = dict(args)

        def hess(p: int, q: int) -> sympy.Expr:  # p, q: jet indices of the two directions
            total = [first[i] * jets[i][p + q + 1] for i in first]
            for (i, j), h in second.items():
                cross = jets[i][p] * jets[j][q]
                if i != j:
                    cross += jets[j][p] * jets[i][q]
                total.append(h * cross)
            return self._emit(sympy.Add(*total))

        dx = self._emit(sympy.Add(*(first[i] * jets[i][1] for i in first)))
        dy = self._emit(sympy.Add(*(first[i] * jets[i][2] for i in first)))
        return v, dx, dy, hess(1, 1), hess(1, 2), hess(2, 2)

    def code(self, which: tuple[int, ...]) -> Code:
        """Straight-line code for the outputs at ``which`` (0: f, 1-2: gradient, 3-5: Hessian).

        Assignments those outputs do not need are left out, and names used once
        are substituted into their user.
        """
        outputs = [self.outputs[k] for k in which]
        return _inline_single_use(_needed(self.assignments, outputs), outputs)


def _needed(assignments: Assignments, outputs: list[sympy.Expr]) -> Assignments:
    """The assignments ``outputs`` depend on, in order."""
    needed = set().union(*(o.free_symbols for o in outputs))
    kept: Assignments = []
    for name, expr in reversed(assignments):
        if name in needed:
            kept.append((name, expr))
            needed |= expr.free_symbols
    kept.reverse()
    return kept


def _select(code: Code, which: slice) -> Code:
    """The part of ``code`` computing only ``outputs[which]``, with the same expressions."""
    outputs = code[1][which]
    return _needed(code[0], outputs), outputs


def _lambdify(code: Code) -> Callable[[Array, Array], list[object]]:
    assignments, outputs = code
    return sympy.lambdify((X, Y), outputs, modules=[_NUMPY_NAMES, "numpy"],
                          cse=lambda _exprs: (assignments, outputs))  # fmt: skip


def _as_column(v: object, n: int) -> Array:
    """A fresh (n,) float64 array from a compiled result (array, view of the input or constant)."""
    if isinstance(v, np.ndarray) and v.shape == (n,) and v.dtype == np.float64 and v.flags.owndata:
        return v
    return np.array(np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)))


class FormulaObjective:
    """A user formula as an :class:`Objective`, with exact symbolic derivatives.

    ``expression`` is the user's text as typed (what a scenario saves back);
    ``name`` is the same text, ``description`` is "your formula", ``minima`` is
    empty (unknown) and ``n_samples`` is None.
    """

    description = "your formula"
    n_samples: int | None = None

    def __init__(self, expression: str, domain: Domain | None = None) -> None:
        try:
            self._compile(_parse(expression))
        except RecursionError:
            raise FormulaError("the formula is too deeply nested", 0) from None
        self.expression = expression
        self.name = expression
        self.domain: Domain = DEFAULT_DOMAIN if domain is None else domain
        self.minima: Array = np.zeros((0, 2))
        (x0, x1), (y0, y1) = self.domain
        gx, gy = np.meshgrid(np.linspace(x0, x1, 9), np.linspace(y0, y1, 9))
        if np.isnan(self.value(np.column_stack([gx.ravel(), gy.ravel()]))).all():
            raise FormulaError(
                "the formula has no real value in the domain (a log or sqrt of a negative?)", 0
            )

    def _compile(self, expr: sympy.Expr) -> None:
        program = DerivativeProgram(expr)
        # value() and grad() run parts of the value-and-gradient code, so all three
        # round identically; the Hessian has its own.
        first = program.code((0, 1, 2))
        self._value_grad = _lambdify(first)
        self._value = _lambdify(_select(first, slice(0, 1)))
        self._grad = _lambdify(_select(first, slice(1, 3)))
        self._hess = _lambdify(program.code((3, 4, 5)))

    def value(self, points: Array, batch: npt.NDArray[np.intp] | None = None) -> Array:
        """f at each point, shape (N,); ``batch`` is ignored."""
        with np.errstate(all="ignore"):
            (f,) = self._value(points[:, 0], points[:, 1])
        return _as_column(f, points.shape[0])

    def grad(self, points: Array, batch: npt.NDArray[np.intp] | None = None) -> Array:
        """Exact gradient at each point, shape (N, 2); ``batch`` is ignored."""
        n = points.shape[0]
        out = np.empty((n, 2))
        with np.errstate(all="ignore"):
            out[:, 0], out[:, 1] = self._grad(points[:, 0], points[:, 1])
        return out

    @guards_its_errors
    def value_and_grad(self, points: Array) -> tuple[Array, Array]:
        """f and its gradient from one compiled function (shared subexpressions).

        Both equal what value() and grad() return, to the last bit.
        """
        n = points.shape[0]
        out = np.empty((n, 2))
        f, out[:, 0], out[:, 1] = self._value_grad(points[:, 0], points[:, 1])
        return _as_column(f, n), out

    def hessian(self, points: Array, batch: npt.NDArray[np.intp] | None = None) -> Array:
        """Exact Hessian at each point, shape (N, 2, 2), symmetric; ``batch`` is ignored."""
        out = np.empty((points.shape[0], 2, 2))
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = self._hess(points[:, 0], points[:, 1])
        out[:, 0, 0] = hxx
        out[:, 0, 1] = hxy
        out[:, 1, 0] = hxy
        out[:, 1, 1] = hyy
        return out


def parse_formula(text: str, domain: Domain | None = None) -> FormulaObjective:
    """Parse and compile a formula of x and y into an Objective.

    ``domain`` is the region to show, ((-3, 3), (-3, 3)) when None. Raises
    FormulaError (with the 0-based column of the problem) when the text is not
    an allowed formula or the domain is not finite and increasing.
    """
    for axis, (lo, hi) in zip("xy", domain or (), strict=False):
        problem = axis_problem(lo, hi)
        if problem:
            raise FormulaError(f"the domain's {axis} range: {problem}")
    return FormulaObjective(text, domain)
