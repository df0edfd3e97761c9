"""Runners drawn as one item per colour: grouping, NaN-joined curves, GL segments."""

from __future__ import annotations

import numpy as np

from gdstudio.ui.views.trails import ColourGroups, joined, segments


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
