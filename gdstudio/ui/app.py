"""Start the desktop app."""

from __future__ import annotations

import sys
from pathlib import Path

from gdstudio import __version__
from gdstudio.ui.qt_setup import make_app


def app_icon():
    """The application icon in every size shipped with the package."""
    from importlib.resources import files

    from PySide6.QtGui import QIcon

    icon = QIcon()
    for png in files("gdstudio.resources").joinpath("icons").iterdir():
        if png.name.endswith(".png"):
            icon.addFile(str(png))
    return icon


def run_app(file: Path | None = None) -> int:
    """Open the main window (on ``file``, or the last session) and run the event loop."""
    app = make_app(sys.argv[:1])
    from PySide6.QtCore import QSettings

    from gdstudio.engine.errors import GdstudioError
    from gdstudio.engine.scenario import load_scenario
    from gdstudio.ui import session
    from gdstudio.ui.controller import RaceController
    from gdstudio.ui.main_window import MainWindow

    app.setOrganizationName(session.ORGANIZATION)
    app.setApplicationName(session.APPLICATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("io.github.gdstudio")
    app.setWindowIcon(app_icon())
    scenario, path = session.restore_last()
    error = None
    if file is not None:
        try:
            scenario, path = load_scenario(file), file
        except GdstudioError as exc:
            error = str(exc)
    window = MainWindow(RaceController(scenario), QSettings())
    window.set_path(path)
    if error:
        window.message.show_error(error)
    window.show()
    window.controller.play()
    return app.exec()
