"""The basin and sweep figures: what they draw, and what the pointer tells and clicks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from gdstudio.engine.analysis_results import DIVERGED, NOWHERE
from gdstudio.engine.basins import scenario_basin_map
from gdstudio.engine.scenario import Scenario
from gdstudio.engine.stop import Status
from gdstudio.engine.sweep import Axis, run_sweep
from gdstudio.ui.views.analysis_colors import (
    BASIN_PALETTE,
    DIMMEST,
    basin_rgba,
    colour_scale,
    describe_pixel,
    minimum_name,
)
from gdstudio.ui.views.analysis_figures import BasinFigure, SweepFigure

WELL = Scenario.from_dict({
    "surface": {"function": "double_well"},
    "optimizers": [{"name": "sgd", "lr": 0.1, "label": "GD"},
                   {"name": "sgd", "lr": 1.9, "label": "Too fast"}],
    "starts": [[1.0, 1.0]], "steps": 300,
})  # fmt: skip


@pytest.fixture(scope="module")
def basins():
    return scenario_basin_map(WELL, 16)


@pytest.fixture(scope="module")
def sweep():
    return run_sweep(WELL, 0, Axis("lr", 0.01, 3.0, 12, log=True), Axis("momentum", 0.0, 0.9, 5),
                     metric="steps_to_converge")  # fmt: skip


def show(qtbot, widget, size=(900, 560)):
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def at(figure, plot, x: float, y: float):
    """The figure's viewport pixel over data point (x, y) of ``plot``."""
    return figure.mapFromScene(plot.getViewBox().mapViewToScene(QPointF(x, y)))


def test_basin_colours_mean_what_the_legend_says(basins):
    rgba = basin_rgba(basins, 1)
    diverged = basins.basin[1] == DIVERGED
    assert diverged.any()  # lr 1.9 throws some starts out
    assert (rgba[diverged][:, :3] == 0).all()
    rgba = basin_rgba(basins, 0)
    left = basins.basin[0] == 1
    hue = np.array([int(BASIN_PALETTE[1][i : i + 2], 16) for i in (1, 3, 5)])
    fastest = np.unravel_index(np.where(left, basins.steps[0], 10**9).argmin(), left.shape)
    slowest = np.unravel_index(np.where(left, basins.steps[0], -1).argmax(), left.shape)
    assert (rgba[fastest][:3] <= hue).all() and (rgba[fastest][:3] > DIMMEST * hue).all()
    assert rgba[slowest][:3].sum() < rgba[fastest][:3].sum()  # more steps, dimmer
    assert NOWHERE not in basins.basin[0]


def test_a_runner_stuck_in_a_local_minimum_is_at_no_global_minimum_not_at_none():
    # Styblinski-Tang lists its global minimum only; GD from the other quadrants
    # converges to one of its three local minima.
    lesson = Scenario.from_dict({"surface": {"function": "styblinski_tang"},
                                 "optimizers": [{"name": "sgd", "lr": 0.01}],
                                 "starts": [[1.0, 1.0]], "steps": 200})  # fmt: skip
    result = scenario_basin_map(lesson, 8)
    stuck = (result.basin[0] == NOWHERE) & (result.status[0] == Status.CONVERGED)
    assert stuck.any()
    row, col = np.argwhere(stuck)[0]
    assert describe_pixel(result, 0, row, col).endswith("converged after "
        f"{result.steps[0, row, col]} steps, at no global minimum")  # fmt: skip
    assert minimum_name(result, NOWHERE) == "at no global minimum"


def test_hovering_a_basin_pixel_tells_start_end_status_and_steps(qtbot, basins):
    figure = show(qtbot, BasinFigure())
    figure.set_result(basins)
    assert "minimum 1 at (-1, 0), f = -0.25" in figure.legend.text
    row, col = basins.pixel_of(-1.2, 0.7)
    with qtbot.waitSignal(figure.pixel_hovered) as hovered:
        qtbot.mouseMove(figure.viewport(), at(figure, figure.panels[0], -1.2, 0.7))
    assert hovered.args[0] == describe_pixel(basins, 0, row, col)
    assert hovered.args[0].startswith(f"GD: ({basins.xs[col]:.4g}, {basins.ys[row]:.4g}) → (-1")
    assert "converged after" in hovered.args[0] and "minimum 1" in hovered.args[0]
    assert figure.hover.text == hovered.args[0]


def test_clicking_a_basin_pixel_gives_its_start(qtbot, basins):
    figure = show(qtbot, BasinFigure())
    figure.set_result(basins)
    row, col = basins.pixel_of(0.9, -1.3)
    with qtbot.waitSignal(figure.pixel_clicked) as clicked:
        qtbot.mouseClick(figure.viewport(), Qt.MouseButton.LeftButton,
                         pos=at(figure, figure.panels[1], 0.9, -1.3))  # fmt: skip
    assert clicked.args == [basins.xs[col], basins.ys[row]]


def test_sweep_hover_click_crosses_and_current_setting(qtbot, sweep):
    figure = show(qtbot, SweepFigure())
    figure.set_result(sweep)
    col, row = 7, 2  # lr ≈ 0.27, momentum 0.45
    x, y = math.log10(sweep.x.values[col]), sweep.y.values[row]
    with qtbot.waitSignal(figure.cell_hovered) as hovered:
        qtbot.mouseMove(figure.viewport(), at(figure, figure.plot, x, y))
    assert hovered.args[0].startswith(f"lr = {sweep.x.values[col]:.4g}, momentum = 0.45:")
    with qtbot.waitSignal(figure.cell_clicked) as clicked:
        qtbot.mouseClick(figure.viewport(), Qt.MouseButton.LeftButton,
                         pos=at(figure, figure.plot, x, y))  # fmt: skip
    assert clicked.args == [sweep.x.values[col], sweep.y.values[row]]
    crosses = figure.crosses.getData()
    assert len(crosses[0]) == int(sweep.diverged.sum()) > 0
    np.testing.assert_allclose(figure.current.getData()[0], [math.log10(0.1)])
    np.testing.assert_allclose(figure.current.getData()[1], [0.0])
    assert (
        "some start diverged" in figure.caption.text
        and "GD: steps to converge" in figure.caption.text
    )


def test_a_one_axis_sweep_has_one_row_and_reports_nan_for_y(qtbot):
    result = run_sweep(WELL, 0, Axis("lr", 0.05, 0.5, 4))
    figure = show(qtbot, SweepFigure())
    figure.set_result(result)
    with qtbot.waitSignal(figure.cell_clicked) as clicked:
        qtbot.mouseClick(figure.viewport(), Qt.MouseButton.LeftButton,
                         pos=at(figure, figure.plot, 0.35, 0.1))  # fmt: skip
    assert clicked.args[0] == result.x.values[2] and math.isnan(clicked.args[1])


def test_colour_scale_goes_log_only_over_decades_of_positive_values():
    assert colour_scale(np.array([1.0, 2.0, np.nan])) == (False, 1.0, 2.0)
    assert colour_scale(np.array([1e-6, 1.0])) == (True, -6.0, 0.0)
    assert colour_scale(np.array([-1.0, 1e3])) == (False, -1.0, 1e3)
    assert colour_scale(np.array([np.nan])) == (False, 0.0, 1.0)
