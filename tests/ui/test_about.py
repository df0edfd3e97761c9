"""Help → About shows the diagnostics a bug report needs, ready to copy."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox, QPushButton

from gdstudio import __version__
from gdstudio.engine import compile_cache
from tests.ui.test_app import window  # noqa: F401  (the main window fixture)


def help_action(w, text: str):
    help_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Help")
    return next(a for a in help_menu.actions() if a.text() == text)


def test_about_shows_versions_gl_renderer_and_compiled_path(window, qtbot):  # noqa: F811
    help_action(window, "&About gdstudio").trigger()
    dialog = window.about
    qtbot.waitExposed(dialog)
    text = dialog.diagnostics.toPlainText()
    rows = dict(line.split(":", 1) for line in text.splitlines())
    assert rows["gdstudio"].strip() == __version__
    assert rows["Qt"].strip().startswith("6.")
    assert "llvmpipe" in rows["OpenGL"]  # Mesa's software renderer under Xvfb
    assert rows["Compiled path"].strip() == compile_cache.status()
    assert not window.isHidden() and dialog.isVisible() and not dialog.isModal()

    copy = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Copy Diagnostics")
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == text

    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
