"""What every Qt test folder's conftest shares: GL settings and private settings files."""

from __future__ import annotations

import pytest

from gdstudio.ui.qt_setup import configure_qt


def configure(config: pytest.Config) -> None:
    """Qt's GL attributes must be set before pytest-qt creates the QApplication."""
    configure_qt()


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Keep QSettings and the session file away from the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture(autouse=True)
def unsaved_edits_discarded(monkeypatch):
    """Answer "Discard" when a window asks about unsaved edits (closing it at teardown, say).

    A real question is modal and would wait for a click forever. A test of the
    question patches QMessageBox.question itself.
    """
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *_a, **_k: QMessageBox.StandardButton.Discard)  # fmt: skip


def open_window(qtbot, tmp_path, scenario: dict):
    """The main window on ``scenario`` (a dict), shown at 1400×900 with private settings."""
    from PySide6.QtCore import QSettings

    from gdstudio.engine.scenario import Scenario
    from gdstudio.ui.controller import RaceController
    from gdstudio.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(RaceController(Scenario.from_dict(scenario)), settings)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    return window


def race_views(qtbot, controller, shown: str = "contour"):
    """RaceViews on ``controller``, owned by its ``shown`` widget ("contour" or "surface3d"),
    which qtbot closes and deletes at the end of the test: the views' timers go with it. (A
    throttled redraw of views whose widgets are gone would otherwise fail a later test.)"""
    from gdstudio.ui.race_views import RaceViews

    views = RaceViews(controller)
    widget = getattr(views, shown)
    qtbot.addWidget(widget)
    views.setParent(widget)
    return views
