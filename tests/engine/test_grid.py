"""Isolines for the contour map: marching squares, vectorized."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.engine.grid import HeightScale, isoline_segments, median, quantiles

XS, YS = np.linspace(-2.0, 2.0, 81), np.linspace(-1.0, 3.0, 61)
X, Y = np.meshgrid(XS, YS, indexing="ij")


def to_domain(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid-index coordinates to (x, y)."""
    return XS[0] + segments[..., 0] * (XS[1] - XS[0]), YS[0] + segments[..., 1] * (YS[1] - YS[0])


@settings(max_examples=30, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(-2, 2))
def test_a_plane_s_isoline_ends_lie_exactly_on_the_level(p, q, level):
    # Linear interpolation along the edges is exact for a plane.
    z = p * X + q * Y
    x, y = to_domain(isoline_segments(z, [level]))
    np.testing.assert_allclose(p * x + q * y, level, atol=1e-9)


def test_a_bowl_s_isoline_is_a_closed_circle():
    z = X**2 + (Y - 1.0) ** 2
    segments = isoline_segments(z, [1.1])  # a level through no grid point
    x, y = to_domain(segments)
    assert np.hypot(x, y - 1.0) == pytest.approx(np.sqrt(1.1), abs=2e-3)
    # closed: every end point is shared by exactly two segments
    ends, counts = np.unique(np.round(segments.reshape(-1, 2), 9), axis=0, return_counts=True)
    assert len(ends) == len(segments) and set(counts) == {2}


def test_saddle_cells_get_two_segments_and_nan_cells_none():
    z = np.array([[1.0, 0.0], [0.0, 1.0]])  # corners above, below, above, below: a saddle
    assert len(isoline_segments(z, [0.5])) == 2
    z[0, 0] = np.nan
    assert np.isfinite(isoline_segments(z, [0.5])).all()
    assert len(isoline_segments(np.full((3, 3), 2.0), [1.0, 3.0])) == 0


def test_a_hyperbola_s_two_arms_are_drawn_without_gaps():
    xs = np.linspace(-1, 1, 41)
    x, y = np.meshgrid(xs, xs, indexing="ij")
    segments = isoline_segments(x * y, [0.1037])  # two arms, through no sample exactly
    xy = segments * (xs[1] - xs[0]) - 1.0
    np.testing.assert_allclose(xy[..., 0] * xy[..., 1], 0.1037, atol=0.01)
    _, counts = np.unique(np.round(segments.reshape(-1, 2), 9), axis=0, return_counts=True)
    assert set(counts[counts != 1]) == {2}  # joined end to end, open only at the edges
    assert np.sum(counts == 1) == 4


def test_height_scale_is_fitted_to_the_domain_and_applies_anywhere():
    z = X**2 + (Y - 1.0) ** 2
    linear = HeightScale.fit(z, log=False)
    assert (linear.lo, linear.hi) == (pytest.approx(z.min()), pytest.approx(z.max()))
    np.testing.assert_array_equal(linear(np.array([30.0])), [30.0])  # beyond: as it is
    log = HeightScale.fit(z, log=True)
    assert log.label == "log₁₀(f − min f)" and linear.label == "f"
    assert log.hi == pytest.approx(np.log10(z.max() - z.min() + log.floor))
    assert log(np.array([-5.0]))[0] == pytest.approx(log.lo)  # below the minimum: on the floor
    assert log(np.array([log.zmin + 1.0]))[0] == pytest.approx(np.log10(1.0 + log.floor))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300),
       st.lists(st.floats(0, 1), min_size=1, max_size=20))  # fmt: skip
def test_quantiles_are_numpy_s_without_its_masked_arrays(values, q):
    np.testing.assert_array_equal(quantiles(values, q), np.quantile(values, q))
    assert median(values) == pytest.approx(np.median(values), rel=1e-12, abs=1e-300)
