"""Arithmetic the compiled path does without the divider, rounding exactly as the division does.

Adam's kernel divides twice per coordinate; on these CPUs the divider is the
bottleneck of the whole step (see ``benchmarks/engine.py``). One of those divisions,
``√v / √(1 − β₂ᵗ)``, is by a number that is the same for a whole step, so its
reciprocal ``y = 1/b`` can come rounded with the step's numbers, and the quotient
follows from multiplications and fused multiply-adds (one rounding each):

    q₀ = a·y                      within 1.5 ulp of a/b
    q₁ = q₀ + (a − b·q₀)·y        a faithful rounding of a/b (one of its two neighbours)
    q₂ = q₁ + (a − b·q₁)·y        exactly the rounded quotient a/b

The last line is Markstein's theorem: if q is a faithful rounding of a/b and y
approximates 1/b with a relative error below 2⁻⁵³ (``1/b`` rounded does), then
``fma(fma(−q, b, a), y, q)`` is a/b rounded to nearest (P. Markstein, IBM J. Res.
Dev. 34(1), 1990; see also J.-M. Muller, "Accelerating floating-point division when
the divisor is known in advance", ENS Lyon report 2002-30, and the *Handbook of
Floating-Point Arithmetic*). The first correction makes q₀ faithful: its computed
remainder and y are each within a relative 2⁻⁵³ of the true ones, so q₀ + r₀·y lies
within 2⁻⁵⁰ ulp of a/b and its rounding q₁ is one of a/b's two neighbours.

The theorem assumes no underflow or overflow on the way: with a = √v (0, or in
[2⁻⁵³⁷, 2⁵¹²], or not finite) and b in [2⁻⁶⁴, 2⁶⁴] every product and remainder stays
a normal float. A non-finite root divides to itself (b > 0); a divisor outside that
range takes the division. (In the tests and in a search of 10⁸ pairs where q₀ is
most often wrong, q₁ was always right already; the second correction is there
because only it is covered by the theorem.)

``tests/engine/test_fused_math.py`` checks the bits against ``math.sqrt(v) / b``.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from gdstudio.engine.optimizers.transforms import root_over

_SAFE_DIVISORS = (2.0**-64, 2.0**64)
"""Divisors for which the steps above never leave the normal floats (see the module doc)."""


@intrinsic
def fma(typingctx, a, b, c):
    """``a·b + c`` rounded once (LLVM's ``llvm.fma``, a single instruction on x86-64 with FMA)."""
    signature = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, sig, args):
        double = ir.DoubleType()
        fn_type = ir.FunctionType(double, [double, double, double])
        return builder.call(builder.module.declare_intrinsic("llvm.fma", [double], fn_type), args)

    return signature, codegen


@overload(root_over, inline="always")
def _root_over(v, divisor, reciprocal):
    """The compiled :func:`~gdstudio.engine.optimizers.transforms.root_over`: the same bits."""
    low, high = _SAFE_DIVISORS

    def compiled(v, divisor, reciprocal):
        a = math.sqrt(v)
        if not (low <= divisor <= high):
            return a / divisor
        q = a * reciprocal
        q = fma(fma(-q, divisor, a), reciprocal, q)
        q = fma(fma(-q, divisor, a), reciprocal, q)
        return q if math.isfinite(a) else a

    return compiled
