"""Qt settings that must be in place before the QApplication exists.

Measured on Mesa's software OpenGL (see the project's qt-headless notes): one
shared GL context (pyqtgraph caches compiled shaders globally; a second
context otherwise draws black) and a GL 2.1 compatibility default format with a
depth buffer (offscreen-over-GLX otherwise reports 2.0, which pyqtgraph refuses).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QSurfaceFormat
from PySide6.QtWidgets import QApplication


def configure_qt() -> None:
    """Set the OpenGL attributes; call before creating the QApplication."""
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    fmt = QSurfaceFormat()
    fmt.setVersion(2, 1)
    fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CompatibilityProfile)
    fmt.setDepthBufferSize(24)
    QSurfaceFormat.setDefaultFormat(fmt)
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=False, background="w", foreground="#303030")


def make_app(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication, configured; reuses an existing one."""
    app = QApplication.instance()
    if app is None:
        configure_qt()
        app = QApplication(list(argv or ["gdstudio"]))
    return app  # type: ignore[return-value]
