"""Start the desktop app."""

from __future__ import annotations

import sys
from pathlib import Path

# NumPy and the engine's modules that the window needs load before Qt: PySide6 reads the
# source of every module imported after it (looking for its __feature__ switches), which
# cost each start about 25 ms.
from gdstudio import __version__
from gdstudio.engine import grid, presets  # noqa: F401 (for the window, loaded here first)
from gdstudio.engine.errors import GdstudioError
from gdstudio.engine.scenario import load_scenario

# isort: split
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtGui import QGuiApplication, QIcon

from gdstudio.ui import session
from gdstudio.ui.controller import RaceController
from gdstudio.ui.main_window import MainWindow
from gdstudio.ui.qt_setup import make_app


def app_icon():
    """The application icon in every size shipped with the package."""
    from importlib.resources import files

    icon = QIcon()
    for png in files("gdstudio.resources").joinpath("icons").iterdir():
        if png.name.endswith(".png"):
            icon.addFile(str(png))
    return icon


def run_app(file: Path | None = None) -> int:
    """Open the main window (on ``file``, or the last session) and run the event loop."""
    app = make_app(sys.argv[:1])
    window = start_window(file)  # noqa: F841 (kept alive while the app runs)
    return app.exec()


def start_window(file: Path | None = None) -> MainWindow:
    """Show the main window as the app starts it: staged, so that its first frame is on
    screen before the panels are built, and racing once it is complete."""
    window = build_window(file, staged=True)
    window.completed.connect(window.controller.play)  # the first race after the first frame
    window.show()
    return window


def build_window(file: Path | None = None, staged: bool = False) -> MainWindow:
    """The main window on ``file``, or on the last session, not yet shown.

    Neither an unreadable ``file`` nor an unusable session file stops the app:
    it starts on the last session or the first-launch preset and the window says
    what was wrong. ``staged``: the window completes itself once shown and painted
    (see :class:`MainWindow`).
    """
    QCoreApplication.setOrganizationName(session.ORGANIZATION)
    QCoreApplication.setApplicationName(session.APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName("io.github.gdstudio")
    restored = session.restore_last()
    scenario, path, problems = restored.scenario, restored.path, [restored.problem]
    if file is not None:
        try:
            scenario, path = load_scenario(file), file
        except GdstudioError as exc:
            problems.append(str(exc))
    window = MainWindow(RaceController(scenario), QSettings(), staged=staged)
    if staged:  # not in the first frame's way: the icon files are read after it
        window.completed.connect(lambda: QGuiApplication.setWindowIcon(app_icon()))
    else:
        QGuiApplication.setWindowIcon(app_icon())
    window.set_path(path)
    window.set_modified(restored.modified and file is None)
    shown = [p for p in problems if p]
    if shown:
        window.message.show_error("\n".join(shown))
    return window
