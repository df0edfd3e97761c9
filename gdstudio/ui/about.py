"""Help → About: what gdstudio is, and the diagnostics a bug report needs.

The diagnostics are those of ``gdstudio diagnostics`` (versions, whether big
races take the compiled path) plus what only the app knows: Qt's version and
the OpenGL renderer the 3D view draws with.
"""

from __future__ import annotations

from PySide6.QtCore import qVersion
from PySide6.QtGui import QFontDatabase, QGuiApplication, QOffscreenSurface, QOpenGLContext
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout

from gdstudio import __version__, diagnostics

GL_RENDERER, GL_VERSION = 0x1F01, 0x1F02


def gl_renderer() -> str:
    """The OpenGL renderer and version the app's views get, or why it is unknown.

    Asked of a context that shares with the views' (the app shares one), on a
    surface of its own, so no view has to be current.
    """
    context = QOpenGLContext()
    context.setShareContext(QOpenGLContext.globalShareContext())
    if not context.create():
        return f"unknown: no OpenGL context on the {QGuiApplication.platformName()} platform"
    surface = QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    try:
        if not context.makeCurrent(surface):
            return "unknown: the OpenGL context could not be made current"
        gl = context.functions()
        return f"{gl.glGetString(GL_RENDERER)}, OpenGL {gl.glGetString(GL_VERSION)}"
    finally:
        context.doneCurrent()
        surface.destroy()


def diagnostics_text() -> str:
    """The diagnostics as plain text, ready to paste into a bug report."""
    rows = diagnostics.report()
    rows.insert(-1, ("Qt", f"{qVersion()} ({QGuiApplication.platformName()} platform)"))
    rows.insert(-1, ("OpenGL", gl_renderer()))
    return diagnostics.format_report(rows)


class AboutDialog(QDialog):
    """What gdstudio is, with the diagnostics in a read-only box to select and copy."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About gdstudio")
        intro = QLabel(
            f"<b>gdstudio {__version__}</b><br>Watch gradient-descent optimizers race on "
            "loss surfaces.<br>Optimizers follow torch.optim's hyperparameters and numbers."
        )
        self.diagnostics = QPlainTextEdit(diagnostics_text())
        self.diagnostics.setReadOnly(True)
        self.diagnostics.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.diagnostics.setObjectName("diagnostics")
        self.diagnostics.setMinimumSize(760, 230)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy Diagnostics", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.diagnostics.toPlainText())
        )
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("Diagnostics (include them in a bug report):"))
        layout.addWidget(self.diagnostics, 1)
        layout.addWidget(buttons)
