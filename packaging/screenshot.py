"""Save a screenshot of the main window racing a preset.

python packaging/screenshot.py OUT.png [PRESET]   (default: 11-adam-vs-sgd)
"""

from __future__ import annotations

import sys

from gdstudio.ui.qt_setup import make_app


def main(out: str, name: str = "11-adam-vs-sgd") -> None:
    """Open the window on a preset, let it race for six seconds, save the window."""
    app = make_app(["gdstudio"])
    from PySide6.QtCore import QSettings, QTimer

    from gdstudio.engine.presets import preset
    from gdstudio.ui.controller import RaceController
    from gdstudio.ui.main_window import MainWindow

    settings = QSettings("/tmp/gdstudio-screenshot.ini", QSettings.Format.IniFormat)
    settings.clear()
    window = MainWindow(RaceController(preset(name).scenario), settings)
    window.resize(1600, 1000)
    window.show()
    window.controller.set_speed(120)
    window.controller.play()

    def shoot() -> None:
        window.controller.pause()
        app.processEvents()
        window.screen().grabWindow(window.winId()).save(out)
        app.quit()

    QTimer.singleShot(6000, shoot)
    app.exec()


if __name__ == "__main__":
    main(*sys.argv[1:3])
