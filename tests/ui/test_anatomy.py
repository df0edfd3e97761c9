"""Update anatomy on the maps and the state inspector, driven as a user would."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QDockWidget

from gdstudio.ui.main_window import MainWindow
from tests.qt_support import open_window

RACE = {
    "surface": {"function": "ill_conditioned"},
    "optimizers": [{"name": "sgd", "lr": 0.02, "momentum": 0.5, "label": "Momentum"},
                   {"name": "adam", "lr": 0.3, "label": "Adam"}],
    "starts": [[2.5, 1.5]],
    "steps": 100,
}  # fmt: skip


@pytest.fixture
def window(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path, RACE)
    for _ in range(30):
        w.controller.step_once()
    return w


def show_inspector(w: MainWindow, qtbot, r: int):
    """Bring the inspector's tab forward, select runner r, wait for its plots."""
    inspector = w.state_inspector
    w.findChild(QDockWidget, "dockOptimizerstate").raise_()
    select_runner(w, qtbot, r)
    qtbot.waitUntil(lambda: bool(inspector._cursors))
    return inspector


def select_runner(w: MainWindow, qtbot, r: int) -> None:
    """Click runner r's row in the runners table."""
    table = w.status_table
    rect = table.visualRect(table.model().index(r, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_step_taken_arrow_ends_at_the_runner_s_next_position(window, qtbot):
    select_runner(window, qtbot, 1)
    window.controller.scrub(2)
    overlay = window.views.anatomy
    curve = overlay._curves["step taken"]
    xs, ys = curve.getData()
    race = window.controller.race
    assert overlay.scale == 1.0  # Adam's steps here are big enough to draw at true size
    np.testing.assert_allclose([xs[0], ys[0]], race.trajectory[2, 1])
    np.testing.assert_allclose([xs[1], ys[1]], race.trajectory[3, 1], rtol=1e-12)
    assert set(overlay._curves) >= {"gradient, rescaled", "memory", "plain gradient step (−lr·∇f)"}
    assert overlay.ellipse.isVisible()  # Adam rescales each coordinate
    # the arrows follow scrubbing
    window.controller.scrub(20)
    xs, ys = curve.getData()
    np.testing.assert_allclose([xs[0], ys[0]], race.trajectory[20, 1])


def test_adam_stretches_its_step_along_the_flat_direction(window, qtbot):
    select_runner(window, qtbot, 1)
    window.controller.scrub(0)
    rect = window.views.anatomy.ellipse.rect()
    # 0.5·(x² + 50y²): x is the flat direction, so x's step size is the larger one
    assert rect.width() > 5 * rect.height()


def test_small_magnified_steps_say_their_scale(qtbot, tmp_path):
    tiny = {**RACE, "optimizers": [{"name": "sgd", "lr": 1e-5}]}
    w = open_window(qtbot, tmp_path, tiny)
    w.controller.step_once()
    w.controller.step_once()
    overlay = w.views.anatomy
    assert overlay.scale >= 10
    xs, ys = overlay._curves["step taken"].getData()
    race = w.controller.race
    expected = race.trajectory[1, 0] + overlay.scale * (
        race.trajectory[2, 0] - race.trajectory[1, 0]
    )
    np.testing.assert_allclose([xs[1], ys[1]], expected, rtol=1e-9)
    labels = [label.text for _, label in overlay.legend.items]
    assert f"arrows drawn ×{overlay.scale:g}" in labels


def test_view_toggle_hides_the_arrows_and_big_races_start_without_them(window, qtbot):
    assert window.anatomy_action.isChecked()  # two runners: shown by default
    window.anatomy_action.trigger()
    assert not window.views.anatomy_shown
    assert not any(c.isVisible() for c in window.views.anatomy._curves.values())
    window.controller.add_start_grid(3)  # 20 runners
    assert not window.anatomy_action.isChecked()


def test_inspector_plots_the_state_under_torch_names_with_a_cursor(window, qtbot):
    inspector = show_inspector(window, qtbot, 1)
    assert set(inspector.series) == {"exp_avg", "exp_avg_sq", "lr", "1 − β₁ᵗ", "1 − β₂ᵗ"}
    window.controller.scrub(7)
    inspector.refresh()
    assert all(line.value() == 7 for line in inspector._cursors)
    insight = window.controller.runner_insight(1)
    text = inspector.values_at(3)
    assert f"{insight.state['exp_avg'][2, 0]:.6g}" in text
    select_runner(window, qtbot, 0)
    qtbot.waitUntil(lambda: "momentum_buffer" in inspector.series)
    assert "exp_avg" not in inspector.series


def test_inspector_hover_reads_the_step_under_the_mouse(window, qtbot):
    inspector = show_inspector(window, qtbot, 1)
    plot = next(iter(inspector.plots.ci.items))
    scene_pt = plot.vb.mapViewToScene(QPointF(10, 0))
    inspector._on_mouse_move(scene_pt)
    assert inspector.hover.text().startswith("step 10")


def test_inspector_updates_its_curves_in_place_as_the_race_goes_on(window, qtbot):
    inspector = show_inspector(window, qtbot, 1)
    curves = [curve for row in inspector._curves for curve in row]
    length = len(curves[0].getData()[0])
    for _ in range(5):
        window.controller.step_once()
    inspector.refresh()
    assert [curve for row in inspector._curves for curve in row] == curves  # not rebuilt
    assert len(curves[0].getData()[0]) == length + 5
    window.controller.run_to(length + 100)
    inspector.refresh()
    plot = next(iter(inspector.plots.ci.items))
    qtbot.waitUntil(lambda: plot.vb.viewRange()[0][1] >= length + 100)  # the axis follows


def test_an_inspector_behind_another_tab_replays_nothing(window, qtbot):
    window.findChild(QDockWidget, "dockReadout").raise_()
    qtbot.wait(50)
    window.state_inspector.refresh()
    assert window.state_inspector._shown_insight is None
    show_inspector(window, qtbot, 1)  # brought to the front: it catches up
    assert window.state_inspector._shown_insight is not None
