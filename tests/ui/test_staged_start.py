"""The app's staged start: a first frame at the final layout, then the rest of the window.

``gdstudio`` opens a staged window (``start_window``): the frame of the window is
painted first, with its 3D view still empty; the surface and starts come in the 3D
view's next frame; the 2D views, panels and menus are built right after, and the
race plays once the window is complete. Nothing the user does in between is lost
or crashes.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QPoint, QPointF, QSettings, Qt
from PySide6.QtWidgets import QDockWidget

from gdstudio.engine.presets import preset
from gdstudio.ui import session
from gdstudio.ui.app import start_window
from gdstudio.ui.controller import RaceController
from gdstudio.ui.main_window import MainWindow

PRESET = "11-adam-vs-sgd"


def layout(window: MainWindow) -> dict[str, object]:
    """Where everything the user sees is: the docks in view, the middle, the views' split."""
    rects = {d.objectName(): d.geometry().getRect() for d in window.findChildren(QDockWidget)
             if not d.visibleRegion().isEmpty()}  # fmt: skip
    rects["central"] = window.centralWidget().geometry().getRect()
    rects["3d view"] = window.views.surface3d.geometry().getRect()
    rects["splitter"] = tuple(window.splitter.sizes())
    rects["playback"] = window.playback.geometry().getRect()
    return rects


def staged_window(qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(RaceController(preset(PRESET).scenario), settings, staged=True)
    qtbot.addWidget(window)
    return window


@pytest.fixture
def held_back(monkeypatch):
    """Staged windows stay at their first stage; returns the real second stage to run."""
    complete = MainWindow.complete
    monkeypatch.setattr(MainWindow, "complete", lambda self: None)
    return complete


def shown_until_first_frame(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.views.surface3d.gl_view.frameSwapped, timeout=10000):
        window.show()


def shown_until_the_race_in_3d(qtbot, window: MainWindow) -> None:
    """Shown until the 3D view has swapped a frame with the surface and starts in it."""
    view = window.views.surface3d
    drawn: list[bool] = []
    view.gl_view.frameSwapped.connect(lambda: drawn.append(view.surface is not None))
    window.show()
    qtbot.waitUntil(lambda: any(drawn), timeout=10000)


@pytest.mark.gl
@pytest.mark.parametrize("launch", ["first", "restored"])
def test_the_first_frame_is_painted_before_the_panels_at_the_final_layout(qtbot, tmp_path, launch):
    if launch == "restored":  # a layout the user left: docks moved, the views split 1:2
        earlier = staged_window(qtbot, tmp_path)
        earlier.complete()
        earlier.resizeDocks([earlier.docks["Loss"]], [320], Qt.Orientation.Vertical)
        earlier.splitter.setSizes([300, 600])
        earlier.close()
    window = staged_window(qtbot, tmp_path)
    first: dict[str, object] = {}

    def on_first_frame() -> None:
        first.update(layout(window), complete=window.is_complete,
                     docks_empty=all(d.widget() is None for d in window.docks.values()))  # fmt: skip

    window.views.surface3d.gl_view.frameSwapped.connect(
        on_first_frame, Qt.ConnectionType.SingleShotConnection
    )
    with qtbot.waitSignal(window.completed, timeout=10000):
        window.show()
    assert first.pop("complete") is False and first.pop("docks_empty") is True
    assert window.optimizer_panel.isVisible() and window.views.contour.isVisible()
    qtbot.wait(200)  # the complete window laid out and painted
    assert layout(window) == first
    split = first["splitter"]
    if launch == "restored":
        assert split[0] < split[1] and window.docks["Loss"].height() > 280
    else:  # the views share the middle equally
        assert abs(split[0] - split[1]) <= 1


@pytest.mark.gl
def test_the_first_frame_is_the_window_and_the_next_shows_the_surface_and_starts_in_3d(
    qtbot, tmp_path, held_back
):
    window = staged_window(qtbot, tmp_path)
    view = window.views.surface3d
    first: list[object] = []
    view.gl_view.frameSwapped.connect(
        lambda: first.extend([view.surface, window.caption.isVisible()]),
        Qt.ConnectionType.SingleShotConnection,
    )
    shown_until_the_race_in_3d(qtbot, window)
    assert first == [None, True]  # the window's frame first, the 3D view still empty
    assert not hasattr(window, "optimizer_panel") and not window.is_complete
    assert view.surface is not None and view.surface in view.gl_view.items
    assert not view.axes.lines.visible()  # the box axes come with the second stage
    np.testing.assert_allclose(view._starts, window.controller.scenario.starts)
    image = view.grab_frame()
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    assert len(np.unique(pixels[:, : image.width() * 4].reshape(-1, 4), axis=0)) > 50
    assert "Adam vs SGD" in window.caption.text() and window.caption.isVisible()
    assert [a.text() for a in window.menuBar().actions()] == [
        "&File", "&Edit", "&Race", "&Presets", "&View", "&Help"
    ]  # fmt: skip


@pytest.mark.gl
def test_after_the_second_stage_everything_is_there_and_works(qtbot, tmp_path):
    window = staged_window(qtbot, tmp_path)
    with qtbot.waitSignal(window.completed, timeout=10000):
        window.show()
    assert window.is_complete
    axes = window.views.surface3d.axes
    assert axes.lines.visible() and axes.labels.visible()
    for dock in window.docks.values():
        assert dock.widget() is not None
    race_menu = window._menus["&Race"]
    assert any(a.text() == "&Play / Pause" for a in race_menu.actions())
    assert window.docks["Loss"].widget() is window.views.loss_plot
    qtbot.wait(100)
    view = window.views.contour
    pixel = view.plot_widget.mapFromScene(view.plot_item.vb.mapViewToScene(QPointF(0.5, 1.5)))
    qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pixel)
    starts = window.controller.scenario.starts
    assert len(starts) == 2
    np.testing.assert_allclose(starts[-1], [0.5, 1.5], atol=0.05)
    qtbot.waitUntil(window.undo_action.isEnabled)  # the edit is one undo step
    assert window.undo_action.text() == "&Undo Add Start"


@pytest.mark.gl
def test_an_early_click_on_the_3d_view_adds_a_start_that_the_complete_window_shows(
    qtbot, tmp_path, held_back
):
    window = staged_window(qtbot, tmp_path)
    shown_until_the_race_in_3d(qtbot, window)
    view = window.views.surface3d
    height = float(view._heights(window.controller.objective.value(np.array([[0.5, 1.5]])))[0])
    qtbot.mouseClick(view.gl_view, Qt.MouseButton.LeftButton, pos=view.project(0.5, 1.5, height))
    starts = window.controller.scenario.starts
    assert len(starts) == 2 and not window.is_complete
    np.testing.assert_allclose(starts[-1], [0.5, 1.5], atol=0.05)
    assert len(view._starts) == 2  # drawn in 3D at once
    assert window.windowTitle() == "Adam vs SGD on Rosenbrock* — gdstudio"
    held_back(window)
    assert len(window.views.contour.starts) == 2
    qtbot.waitUntil(window.undo_action.isEnabled)  # the early edit is one undo step too
    assert window.undo_action.text() == "&Undo Add Start"


@pytest.mark.gl
def test_closing_before_the_second_stage_saves_the_race_and_builds_nothing_more(
    qtbot, tmp_path, held_back, monkeypatch
):
    QCoreApplication.setOrganizationName(session.ORGANIZATION)
    QCoreApplication.setApplicationName(session.APPLICATION)
    window = staged_window(qtbot, tmp_path)
    shown_until_first_frame(qtbot, window)
    window.close()
    assert not window.isVisible()
    assert isinstance(window.settings.value("window/state"), type(window.saveState()))
    assert session.restore_last().scenario == preset(PRESET).scenario
    monkeypatch.setattr(MainWindow, "complete", held_back)
    for stage in (window._draw_3d, window.complete):  # each stage comes due after the close
        window._after_next_frame(stage)
        window.views.surface3d.gl_view.frameSwapped.emit()
    qtbot.wait(200)
    assert not window.views.has_3d_race
    assert not window.is_complete and not window.controller.playing


@pytest.mark.gl
def test_a_click_on_the_3d_view_before_its_surface_adds_nothing(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(MainWindow, "_draw_3d", lambda self: None)
    window = staged_window(qtbot, tmp_path)
    shown_until_first_frame(qtbot, window)
    view = window.views.surface3d
    middle = QPoint(view.gl_view.width() // 2, view.gl_view.height() // 2)
    qtbot.mouseClick(view.gl_view, Qt.MouseButton.LeftButton, pos=middle)
    qtbot.wait(50)
    assert window.controller.scenario.starts == preset(PRESET).scenario.starts
    assert not window.message.isVisible() and view.surface is None


@pytest.mark.gl
def test_the_app_paints_first_then_completes_then_races(qtbot, tmp_path, monkeypatch):
    QCoreApplication.setOrganizationName(session.ORGANIZATION)
    QCoreApplication.setApplicationName(session.APPLICATION)
    events: list[str] = []
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"surface": {"function": "rosenbrock"}}))
    seen_message: list[str] = []

    original = MainWindow.show

    def show(self) -> None:  # watch the window start_window shows, from its first frame
        self.views.surface3d.gl_view.frameSwapped.connect(
            lambda: (
                events.append(f"frame, playing={self.controller.playing}")
                or seen_message.append(self.message.text() if self.message.isVisible() else "")
            ),
            Qt.ConnectionType.SingleShotConnection,
        )
        self.completed.connect(lambda: events.append("completed"))
        original(self)

    monkeypatch.setattr(MainWindow, "show", show)
    window = start_window(bad)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.controller.playing, timeout=10000)
    assert events == ["frame, playing=False", "completed"]
    assert (
        f"{bad}: optimizers: is required" in seen_message[0]
    )  # the error is there in the first frame


def test_the_app_loads_numpy_and_the_engine_before_qt():
    # PySide6 reads the source of every module imported after it (~25 ms of each start).
    code = (
        "import sys; import gdstudio.ui.app; loaded = list(sys.modules); "
        "qt = loaded.index('PySide6.QtCore'); "
        "print([m for m in ('numpy', 'gdstudio.engine.scenario', 'gdstudio.engine.race', "
        "'gdstudio.engine.grid', 'gdstudio.engine.presets') if loaded.index(m) > qt])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert proc.stdout.strip() == "[]", proc.stderr
