"""The stop rules' squared-norm threshold: the compiled path's convergence test without a root."""

from __future__ import annotations

import math

from hypothesis import example, given
from hypothesis import strategies as st

from gdstudio.engine.stop import StopRule, squared_threshold

finite = st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)


@given(tol=finite, q=finite)
@example(tol=1e-6, q=9.999999999999998e-13)  # tol² rounds below the threshold
@example(tol=1e-6, q=9.999999999999997e-13)
@example(tol=1e200, q=1.7976931348623157e308)  # no finite square reaches tol
def test_below_the_threshold_exactly_when_the_root_is_below_tol(tol, q):
    assert (q < squared_threshold(tol)) == (math.sqrt(q) < tol)


@given(tol=finite)
def test_near_tol_squared(tol):
    # The interesting squares lie within a few floats of tol².
    q = tol * tol
    for _ in range(3):
        q = math.nextafter(q, 0.0)
    for _ in range(6):
        assert (q < squared_threshold(tol)) == (math.sqrt(q) < tol)
        q = math.nextafter(q, math.inf)


def test_threshold_is_a_float_the_rule_gives():
    assert StopRule(grad_tol=0.0).converged_below() == 0.0  # 0 disables: nothing is below
    assert StopRule(grad_tol=3.0).converged_below() == 9.0
    assert math.sqrt(StopRule(grad_tol=1e-6).converged_below()) >= 1e-6
