"""Runners drawn as one item per colour: grouping, NaN-joined curves, GL segments."""

from __future__ import annotations

import numpy as np

from gdstudio.ui.views.trails import ColourGroups, clip_segments, joined, segments


def test_runners_sharing_a_colour_form_one_group_in_runner_order():
    groups = ColourGroups(["#f00", "#00f", "#f00", "#0f0", "#00f"])
    assert groups.colors == ["#f00", "#00f", "#0f0"]
    assert groups.members == [[0, 2], [1, 4], [3]]
    assert groups.of_runners([4, 2]) == [0, 1]
    assert groups.of_runners([]) == []


def test_joined_curves_break_at_a_row_of_nan():
    a, b = np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([[4.0, 5.0]])
    out = joined([a, b])
    np.testing.assert_array_equal(out[[0, 1, 3]], np.vstack([a, b]))
    assert np.isnan(out[2]).all()
    np.testing.assert_array_equal(joined([np.arange(3.0)]), np.arange(3.0))  # one piece, no gap


def test_segments_pair_each_point_with_the_next():
    pts = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(segments(pts), pts[[0, 1, 1, 2]])
    assert segments(pts[:1]).shape == (0, 3)  # a start point alone draws nothing


def test_segments_leaving_the_box_end_at_its_faces():
    lo, hi = np.array([-1.0, -1.0, 0.0]), np.array([1.0, 1.0, 1.0])
    pairs = np.array([
        [0.0, 0.0, 0.5], [0.5, 0.0, 0.5],  # inside: kept as it is
        [0.0, 0.0, 0.5], [4.0, 0.0, 0.5],  # leaves through x = 1
        [3.0, 3.0, 0.5], [5.0, 5.0, 0.5],  # wholly outside: dropped
        [-3.0, 0.0, 0.5], [3.0, 0.0, 0.5],  # crosses: cut at both faces
        [0.0, 0.0, 0.5], [0.0, 0.0, 9.0],  # climbs above the top
        [0.0, 0.0, 0.5], [np.inf, 0.0, 0.5],  # thrown to infinity: dropped
    ])  # fmt: skip
    out = clip_segments(pairs, lo, hi)
    expected = np.array([
        [0.0, 0.0, 0.5], [0.5, 0.0, 0.5],
        [0.0, 0.0, 0.5], [1.0, 0.0, 0.5],
        [-1.0, 0.0, 0.5], [1.0, 0.0, 0.5],
        [0.0, 0.0, 0.5], [0.0, 0.0, 1.0],
    ])  # fmt: skip
    np.testing.assert_allclose(out, expected)
    inside = pairs[:2]
    assert clip_segments(inside, lo, hi) is inside  # nothing to cut costs nothing
