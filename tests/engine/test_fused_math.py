"""The compiled ``root_over`` (no divider) gives exactly the bits of ``math.sqrt(v) / divisor``."""

from __future__ import annotations

import math
import struct

import numba
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gdstudio.engine import fused  # noqa: F401  (registers the compiled root_over)
from gdstudio.engine.optimizers.transforms import root_over

compiled_root_over = numba.njit(lambda v, divisor, reciprocal: root_over(v, divisor, reciprocal))


@numba.njit
def mismatches(vs, divisors) -> int:
    """How many pairs the compiled root_over gets other than the division does."""
    count = 0
    for i in range(vs.shape[0]):
        d = divisors[i]
        fast, slow = root_over(vs[i], d, 1.0 / d), math.sqrt(vs[i]) / d
        if fast != slow and not (fast != fast and slow != slow):  # NaN = NaN here
            count += 1
    return count


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


divisors = st.floats(min_value=2.0**-64, max_value=2.0**64)


def test_compiled_without_the_divider():
    compiled_root_over(2.0, 0.5, 2.0)
    ir = next(iter(compiled_root_over.inspect_llvm().values()))
    assert "llvm.fma" in ir  # the overload took the call (the division remains for odd divisors)


@settings(deadline=None)  # the first example compiles
@given(v=st.floats(min_value=0.0, allow_subnormal=True), divisor=divisors)
@example(v=0.0, divisor=0.3)
@example(v=5e-324, divisor=0.03162277660168379)  # √ of the least subnormal
@example(v=1.7976931348623157e308, divisor=2.0**-64)
@example(v=math.inf, divisor=0.7)
@example(v=math.nan, divisor=0.7)
def test_same_bits_as_the_division(v, divisor):
    got = compiled_root_over(v, divisor, 1.0 / divisor)
    if math.isnan(v):
        assert math.isnan(got)
    else:
        assert bits(got) == bits(math.sqrt(v) / divisor)


@settings(deadline=None)
@given(v=st.floats(min_value=0.0, allow_nan=False), divisor=st.floats(min_value=1e-300))
def test_a_divisor_out_of_range_takes_the_division(v, divisor):
    assert bits(compiled_root_over(v, divisor, 1.0 / divisor)) == bits(math.sqrt(v) / divisor)


def test_adams_divisors_over_every_exponent():
    # √(1 − β₂ᵗ) for the β₂ users pick, at every step a long race reaches, against
    # second moments spread over every binade (subnormals included).
    rng = np.random.default_rng(7)
    n = 2_000_000
    beta2 = rng.choice([0.999, 0.99, 0.9, 0.5, 0.0, 1 - 2.0**-53], n)
    steps = rng.integers(1, 100_000, n)
    divisors = np.array(
        [(1 - b**t) ** 0.5 for b, t in zip(beta2.tolist(), steps.tolist(), strict=True)]
    )
    vs = np.ldexp(rng.uniform(1.0, 2.0, n), rng.integers(-1074, 1024, n))
    assert mismatches(vs, divisors) == 0


def test_quotients_just_below_one():
    # Where a·(1/b) rounds most often to the wrong float: a/b just below 1, b near 2.
    rng = np.random.default_rng(11)
    divisors = 2.0 - rng.random(1_000_000) * 2.0**-20
    roots = divisors * (1.0 - rng.random(1_000_000) * 2.0**-20)
    assert mismatches(roots * roots, divisors) == 0


def test_negative_v_is_nan_as_its_root():
    assert math.isnan(compiled_root_over(-1.0, 0.5, 2.0))
