"""The main window as a user drives it: clicks, playback, edits, presets, files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from gdstudio.engine.scenario import OptimizerConfig, Scenario
from gdstudio.engine.stop import Status
from gdstudio.ui.main_window import MainWindow
from tests.qt_support import open_window

SMALL = {
    "surface": {"function": "quadratic", "domain": [[-3, 3], [-3, 3]]},
    "optimizers": [
        {"name": "sgd", "lr": 0.1, "label": "GD"},
        {"name": "adam", "lr": 0.1, "label": "Adam"},
    ],
    "starts": [[2.0, 2.0]],
    "steps": 200,
}


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return open_window(qtbot, tmp_path, SMALL)


def contour_pixel(w: MainWindow, x: float, y: float):
    """Widget pixel of data point (x, y) in the contour view."""
    view = w.views.contour
    scene_pt = view.plot_item.vb.mapViewToScene(QPointF(x, y))
    return view.plot_widget, view.plot_widget.mapFromScene(scene_pt)


def test_click_on_contour_adds_a_start_at_the_data_point(window, qtbot):
    widget, pixel = contour_pixel(window, -1.0, 0.5)
    qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, pos=pixel)
    starts = window.controller.scenario.starts
    assert len(starts) == 2
    np.testing.assert_allclose(starts[-1], [-1.0, 0.5], atol=0.05)
    assert window.controller.race.n_runners == 4


def test_race_advances_on_timer_and_views_agree(window, qtbot):
    c = window.controller
    c.set_speed(200)
    c.play()
    qtbot.waitUntil(lambda: c.computed_step >= 20, timeout=5000)
    c.pause()
    step = c.shown_step
    assert window.playback.counter.text() == f"step {step} / {c.planned_steps}"
    assert window.views.contour.shown_step == step
    assert window.views.surface3d.shown_step == step
    assert window.views.loss_plot.shown_step == step


def test_play_goes_on_past_the_step_count(window, qtbot):
    c = window.controller
    c.race.run()
    assert c.race.done and c.computed_step == 200
    c.set_speed(500)
    c.play()
    qtbot.waitUntil(lambda: c.computed_step > 200, timeout=5000)
    c.pause()


def test_scrubbing_moves_every_view(window, qtbot):
    c = window.controller
    for _ in range(30):
        c.step_once()
    window.playback.timeline.setValue(10)
    assert c.shown_step == 10
    for view in (window.views.contour, window.views.surface3d, window.views.loss_plot):
        assert view.shown_step == 10
    # The → key is the Step action's shortcut (routed by Qt when the window is active).
    step = next(a for a in window.findChildren(QAction) if a.shortcut() == QKeySequence("Right"))
    step.trigger()
    assert c.shown_step == 11


def test_hyperparameter_edit_reruns_only_its_runners(window):
    c = window.controller
    for _ in range(20):
        c.step_once()
    adam_before = c.race.trajectory[:21, 1].copy()
    c.update_optimizer(0, OptimizerConfig("sgd", {"lr": 0.05}, label="GD"))
    np.testing.assert_array_equal(c.race.trajectory[:21, 1], adam_before)
    np.testing.assert_allclose(c.race.trajectory[1, 0], [2 * 0.9, 2 * 0.9])  # x ← x − 0.05·2x
    assert c.computed_step == 20


def test_diverging_runner_is_marked_and_window_stays_responsive(window, qtbot):
    c = window.controller
    c.update_optimizer(0, OptimizerConfig("sgd", {"lr": 1.5}, label="GD"))
    c.set_speed(500)
    c.play()
    qtbot.waitUntil(lambda: c.race.status[0] == Status.DIVERGED, timeout=5000)
    assert "diverged at step" in window.status_table.status_text(0)
    ticks = []
    from PySide6.QtCore import QTimer

    QTimer.singleShot(10, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: bool(ticks), timeout=1000)  # the event loop still turns


def test_preset_loads_and_races(window, qtbot):
    action = window.findChild(type(window.export_action), "preset-01-learning-rate")
    action.trigger()
    c = window.controller
    assert c.scenario.title.startswith("Learning rate")
    assert c.playing
    assert window.caption.isVisible() and "diverged" in window.caption.text()
    qtbot.waitUntil(lambda: c.computed_step > 5, timeout=5000)


def test_save_open_round_trip(window, tmp_path, monkeypatch):
    path = tmp_path / "race.json"
    monkeypatch.setattr(
        "PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(path), "")
    )
    assert window.save_as_dialog()
    assert json.loads(path.read_text())["optimizers"][0]["label"] == "GD"
    window.controller.clear_starts()
    monkeypatch.setattr(
        "PySide6.QtWidgets.QFileDialog.getOpenFileName", lambda *a, **k: (str(path), "")
    )
    monkeypatch.setattr(
        "PySide6.QtWidgets.QMessageBox.question",
        lambda *a, **k: (
            __import__("PySide6.QtWidgets").QtWidgets.QMessageBox.StandardButton.Discard
        ),
    )
    window.open_dialog()
    assert window.controller.scenario == Scenario.from_dict(json.loads(path.read_text()))
    assert window.windowTitle().startswith("race.json")


def test_open_bad_file_shows_message_and_keeps_race(window, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"surface": {"function": "nope"}, "optimizers": []}')
    before = window.controller.scenario
    assert not window.open_path(bad)
    assert window.controller.scenario == before
    assert window.message.isVisible() and "nope" in window.message.text()


def test_docks_exist_and_layout_is_remembered(window, tmp_path):
    titles = {d.windowTitle() for d in window.findChildren(QDockWidget)}
    assert {"Optimizers", "Surface", "Batch mode", "Loss", "Runners", "Readout"} <= titles
    window.close()
    assert window.settings.value("window/state") is not None


def test_random_user_sessions_never_raise(window, qtbot, capfd, recwarn):
    """Whatever a user does in whatever order, no slot raises and no item fails to draw."""
    import random

    from gdstudio.engine.errors import GdstudioError
    from gdstudio.engine.presets import presets

    c, rng = window.controller, random.Random(7)
    actions = {
        "preset": lambda: window.load_preset(rng.choice(presets())),
        "start": lambda: c.add_start(rng.uniform(-2, 2), rng.uniform(-1, 2)),
        "unstart": lambda: c.scenario.starts and c.remove_start(0),
        "optimizer": lambda: c.add_optimizer(
            OptimizerConfig(rng.choice(["adam", "newton", "lion", "radam"]), {})
        ),
        "unoptimizer": lambda: c.scenario.optimizers and c.remove_optimizer(0),
        "toggle": lambda: c.scenario.optimizers and c.set_enabled(0, not c.enabled[0]),
        "steps": lambda: [c.step_once() for _ in range(rng.randint(1, 20))],
        "scrub": lambda: c.scrub(rng.randint(0, max(c.computed_step, 1))),
        "surface": lambda: c.set_surface({"function": rng.choice(["ackley", "monkey_saddle"])}),
        "formula": lambda: c.set_surface({"expression": "log(x) + y**2"}),
        "batch": lambda: c.set_surface({"dataset": {"name": "separable"},
                                        "model": "logistic_regression", "batch_size": 4}),
        "clear": c.clear_starts,
        "lr": lambda: window.optimizer_panel.set_global_lr(10 ** rng.uniform(-4, 0.5)),
    }  # fmt: skip
    errors = []
    for _ in range(100):
        name = rng.choice(list(actions))
        try:
            actions[name]()
        except GdstudioError:
            pass  # refused input is shown to the user, not an error
        except Exception as exc:
            errors.append(f"{name}: {exc!r}")
        qtbot.wait(1)
    assert errors == []
    drawing = [str(w.message)[-300:] for w in recwarn if "pyqtgraph" in w.filename]
    assert drawing == []  # pyqtgraph reports paint failures as warnings
    assert "Error while drawing" not in capfd.readouterr().err


def test_a_grid_of_starts_spreads_runners_over_the_map_at_the_current_step(window, qtbot):
    c = window.controller
    for _ in range(7):
        c.step_once()
    n_starts, n_entries = len(c.scenario.starts), len(c.scenario.optimizers)
    window.findChild(type(window.export_action), "start-grid-5").trigger()
    assert len(c.scenario.starts) == n_starts + 25
    assert c.race.n_runners == n_entries * (n_starts + 25)
    running = c.race.status == Status.RUNNING  # the centre point starts on the minimum
    assert set(c.race.steps_taken[running].tolist()) == {7}  # the new runners caught up
    (x0, x1), (y0, y1) = c.objective.domain
    grid = np.array(c.scenario.starts[n_starts:])
    assert (grid[:, 0] > x0).all() and (grid[:, 0] < x1).all()
    assert (grid[:, 1] > y0).all() and (grid[:, 1] < y1).all()
    assert len(np.unique(grid, axis=0)) == 25
    assert window.status_table.rowCount() == c.race.n_runners


def test_shortcut_help_lists_every_menu_shortcut(window):
    rows = dict(window.shortcut_rows())
    keys = QKeySequence.SequenceFormat.NativeText
    for action in window.findChildren(QAction):
        if not action.shortcut().isEmpty() and action.menu() is None and action.parent() is window:
            assert action.shortcut().toString(keys) in rows, action.text()
    assert rows[QKeySequence("Ctrl+E").toString(keys)] == "Export Animation"
    assert rows["Click on a view"] == "add a start point"
    # An action added to a menu later shows up in the help too.
    race_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Race")
    added = race_menu.addAction("Step &Ten")
    added.setShortcut(QKeySequence("Ctrl+T"))
    assert dict(window.shortcut_rows())[QKeySequence("Ctrl+T").toString(keys)] == "Step Ten"
