"""Heights on a grid as the maps draw them: the shared height scale and the isolines."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.engine.grid import HeightScale, isoline_segments


def bowl(n: int = 121, half: float = 3.0) -> tuple[np.ndarray, float]:
    """x² + y² sampled on an n × n grid over [-half, half]², and the grid's spacing."""
    xs = np.linspace(-half, half, n)
    x, y = np.meshgrid(xs, xs, indexing="ij")
    return x * x + y * y, xs[1] - xs[0]


def test_isolines_of_a_bowl_are_its_circles():
    z, h = bowl()
    radii = (1.01, 2.03)  # levels that pass through no sample exactly
    segments = isoline_segments(z, [r * r for r in radii])
    xy = segments * h - 3.0  # index coordinates -> the plane
    radius = np.hypot(xy[:, 0], xy[:, 1])
    assert np.all(np.isclose(radius, radii[0], atol=0.01) | np.isclose(radius, radii[1], atol=0.01))
    # Each circle goes all the way round: its points cover every direction.
    for r in radii:
        angles = np.arctan2(xy[np.isclose(radius, r, atol=0.01), 1],
                            xy[np.isclose(radius, r, atol=0.01), 0])  # fmt: skip
        assert np.max(np.diff(np.sort(angles))) < 0.2
    # Segments join end to end: every end point is another segment's start (closed rings).
    ends = {tuple(np.round(p, 9)) for p in segments}
    assert len(ends) * 2 == len(segments)


def test_isolines_cross_saddle_cells_without_gaps_and_skip_levels_out_of_range():
    xs = np.linspace(-1, 1, 41)
    x, y = np.meshgrid(xs, xs, indexing="ij")
    segments = isoline_segments(x * y, [0.1])  # a hyperbola: four arms, no cell misses
    xy = segments * (xs[1] - xs[0]) - 1.0
    np.testing.assert_allclose(xy[:, 0] * xy[:, 1], 0.1, atol=0.01)
    assert isoline_segments(x * y, [5.0]).shape == (0, 2)
    assert isoline_segments(np.zeros((1, 5)), [0.0]).shape == (0, 2)


def test_height_scale_is_fitted_to_the_domain_and_applies_anywhere():
    z, _ = bowl()
    linear = HeightScale.fit(z, log=False)
    assert (linear.lo, linear.hi) == (pytest.approx(0.0), pytest.approx(18.0))
    np.testing.assert_array_equal(linear(np.array([30.0])), [30.0])  # beyond: as it is
    log = HeightScale.fit(z, log=True)
    assert log.label == "log₁₀(f − min f)" and linear.label == "f"
    assert log.hi == pytest.approx(np.log10(18.0 + log.floor))
    assert log(np.array([-5.0]))[0] == pytest.approx(log.lo)  # below the minimum: on the floor
    assert log(np.array([log.zmin + 1.0]))[0] == pytest.approx(np.log10(1.0 + log.floor))
