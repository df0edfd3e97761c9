"""GUI tests run on a real X server (pytest-xvfb starts Xvfb) with Qt's OpenGL settings."""

from __future__ import annotations

import pytest

from gdstudio.ui.qt_setup import configure_qt


def pytest_configure(config: pytest.Config) -> None:
    """Qt's GL attributes must be set before pytest-qt creates the QApplication."""
    configure_qt()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Keep QSettings and the session file away from the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture(autouse=True)
def _app(qapp):
    """The exporter renders with Qt widgets: every test needs the QApplication."""
    return qapp
