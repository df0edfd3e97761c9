"""Basin maps and sweeps in the app, driven as a user drives them: clicks, hovers, Cancel."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from gdstudio.engine.scenario import Scenario
from gdstudio.ui.views.analysis_colors import describe_pixel
from tests.qt_support import open_window

WELL = {
    "surface": {"function": "double_well"},
    "optimizers": [{"name": "sgd", "lr": 0.1, "label": "GD"},
                   {"name": "sgd", "lr": 0.05, "momentum": 0.5, "label": "Momentum"}],
    "starts": [[1.5, 1.5]],
    "steps": 150,
}  # fmt: skip


@pytest.fixture
def window(qtbot, tmp_path):
    return open_window(qtbot, tmp_path, WELL)


def pixel_of(plot_widget, plot_item, x: float, y: float):
    """The viewport pixel of data point (x, y) in a pyqtgraph plot."""
    return plot_widget.mapFromScene(plot_item.getViewBox().mapViewToScene(QPointF(x, y)))


def wait_for_basins(qtbot, window):
    c = window.controller
    qtbot.waitUntil(lambda: c.basin_map is not None and c.analysis_job("basins") is None,
                    timeout=60_000)  # fmt: skip
    return c.basin_map


def test_the_maps_basins_button_computes_and_overlays_a_basin_map(window, qtbot):
    contour = window.views.contour
    qtbot.mouseClick(contour.basins_button, Qt.MouseButton.LeftButton)
    result = wait_for_basins(qtbot, window)
    assert result.labels == ("GD", "Momentum") and result.resolution == 256
    assert contour.basins.isVisible() and contour.basins_button.isChecked()
    np.testing.assert_array_equal(contour.basins.image[..., :3],
                                  window.basins_panel.figure.images[0].image[..., :3])  # fmt: skip
    assert len(window.basins_panel.figure.panels) == 2
    # Hovering the map says where a GD runner from there goes.
    with qtbot.waitSignal(contour.cursor_moved) as moved:
        qtbot.mouseMove(contour.plot_widget.viewport(),
                        pixel_of(contour.plot_widget, contour.plot_item, -0.7, 0.4))  # fmt: skip
    row, col = result.pixel_of(*moved.args)  # where the pointer landed, to the screen pixel
    assert contour.note.isVisible()
    assert contour.note.text() == describe_pixel(result, 0, row, col)
    assert "minimum 1 at (-1, 0)" in contour.note.text()
    # The panel's choice puts Momentum's basins on the map; the button takes them off.
    window.basins_panel.overlay.setCurrentIndex(1)
    assert window.views.basin_optimizer == 1
    qtbot.mouseClick(contour.basins_button, Qt.MouseButton.LeftButton)
    assert not contour.basins.isVisible()


def test_clicking_a_pixel_of_the_basins_panel_adds_that_start(window, qtbot):
    window.basin_action.trigger()
    result = wait_for_basins(qtbot, window)
    figure = window.basins_panel.figure
    assert window.basins_dock.isVisible()
    panel = figure.panels[1]
    row, col = result.pixel_of(-1.2, -0.6)
    qtbot.mouseClick(figure.viewport(), Qt.MouseButton.LeftButton,
                     pos=pixel_of(figure, panel, -1.2, -0.6))  # fmt: skip
    starts = window.controller.scenario.starts
    assert len(starts) == 2 and starts[-1] == (result.xs[col], result.ys[row])
    assert window.controller.race.n_runners == 4
    assert "Added a start" in window.basins_panel.message.text()


def test_cancel_stops_a_long_basin_map_and_the_window_keeps_answering(window, qtbot):
    c = window.controller
    # Nothing converges (grad_tol 0) in a million steps: a map that would take minutes.
    c.load(Scenario.from_dict({**WELL, "steps": 10**6, "stop": {"grad_tol": 0}}))
    window.basins_dock.raise_()  # the Basins tab, where its buttons are
    panel = window.basins_panel
    qtbot.waitExposed(panel)
    panel.resolution.setCurrentIndex(panel.resolution.findData(512))
    qtbot.mouseClick(panel.compute_button, Qt.MouseButton.LeftButton)
    job = c.analysis_job("basins")
    assert job is not None and panel.progress.isVisible()
    qtbot.waitUntil(lambda: panel.progress.bar.value() > 0, timeout=20_000)
    ticks = []
    window.controller.stepped.connect(lambda: ticks.append(1))
    c.step_once()  # the race itself still steps while the map computes
    assert ticks
    with qtbot.waitSignal(job.cancelled, timeout=20_000):
        qtbot.mouseClick(panel.progress.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.progress.isVisible())
    assert c.basin_map is None and "cancelled" in panel.message.text()


def test_a_new_surface_drops_the_basin_map(window, qtbot):
    window.basin_action.trigger()
    wait_for_basins(qtbot, window)
    window.controller.set_surface({"function": "himmelblau"})
    assert window.controller.basin_map is None
    assert not window.views.contour.basins.isVisible()
    assert window.basins_panel.hint.isVisible()


def type_into(qtbot, edit, text: str) -> None:
    edit.clear()
    qtbot.keyClicks(edit, text)


def test_sweep_dialog_runs_a_sweep_and_a_click_adds_that_setting(window, qtbot):
    window.sweep_action.trigger()
    dialog = window.sweep_dialog
    qtbot.waitExposed(dialog)
    dialog.optimizer.setCurrentIndex(1)  # Momentum: x is lr, y momentum by default
    assert dialog.x_row.name.currentText() == "lr" and dialog.x_row.log.isChecked()
    assert dialog.use_y.isChecked() and dialog.y_row.name.currentText() == "momentum"
    type_into(qtbot, dialog.x_row.low, "0.01")
    type_into(qtbot, dialog.x_row.high, "1")
    type_into(qtbot, dialog.y_row.high, "0.9")
    dialog.x_row.count.setValue(5)
    dialog.y_row.count.setValue(4)
    dialog.metric_box.setCurrentIndex(dialog.metric_box.findData("steps_to_converge"))
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.figure.isVisible(), timeout=30_000)
    result = dialog.figure.result
    np.testing.assert_allclose(result.x.values, [0.01, 10**-1.5, 0.1, 10**-0.5, 1.0])
    assert result.metric == "steps_to_converge" and result.current == (0.05, 0.5)
    figure = dialog.figure
    at = pixel_of(figure, figure.plot, math.log10(result.x.values[2]), result.y.values[3])
    with qtbot.waitSignal(figure.cell_clicked):
        qtbot.mouseClick(figure.viewport(), Qt.MouseButton.LeftButton, pos=at)
    added = window.controller.scenario.optimizers[-1]
    assert added.name == "sgd"
    assert added.hyperparameters == {"lr": result.x.values[2], "momentum": 0.9}
    assert added.label == "Momentum (lr=0.1, momentum=0.9)"
    assert "Added Momentum (lr=0.1, momentum=0.9)" in dialog.message.text()


def test_sweep_dialog_shows_bad_input_beside_the_form(window, qtbot):
    window.sweep_action.trigger()
    dialog = window.sweep_dialog
    type_into(qtbot, dialog.x_row.low, "abc")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.message.isVisible() and "'abc' is not a number" in dialog.message.text()
    type_into(qtbot, dialog.x_row.low, "-1")
    dialog.x_row.log.setChecked(False)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Invalid learning rate" in dialog.message.text(), timeout=10_000)
    assert not dialog.figure.isVisible()


def test_an_analysis_that_ends_before_start_returns_still_reaches_the_controller(
    qtbot, monkeypatch
):
    # A small job can end in its thread before the code after job.start() runs: the
    # controller takes the result all the same (it clicked a sweep cell to no effect).
    from gdstudio.engine.analysis_results import Axis
    from gdstudio.ui.analysis_job import AnalysisJob
    from gdstudio.ui.controller import RaceController

    monkeypatch.setattr(AnalysisJob, "start", lambda job: job._run())  # done within start()
    c = RaceController(Scenario.from_dict(WELL))
    c.compute_basins(8)
    assert c.basin_map is not None
    c.compute_sweep(0, Axis("lr", 0.01, 0.1, 2), None, "final_loss")
    c.add_swept_optimizer(0.1)
    assert c.scenario.optimizers[-1].hyperparameters["lr"] == 0.1
    assert len(c.scenario.optimizers) == 3
