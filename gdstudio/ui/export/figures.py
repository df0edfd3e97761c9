"""PNGs of basin maps and sweeps for the command line: the app's own figures, drawn off screen."""

from __future__ import annotations

import os

from gdstudio.engine.analysis_results import BasinMap, SweepResult
from gdstudio.ui.views.analysis_figures import PANEL_COLUMNS, BasinFigure, SweepFigure, figure_png

PANEL_PIXELS = 340
"""Width and height of one optimizer's map in a basin figure."""
LEGEND_LINE_PIXELS = 22
SWEEP_SIZE = (900, 680)


def basin_figure_size(result: BasinMap) -> tuple[int, int]:
    """Width and height of a basin figure: its panels, then a line per legend entry."""
    columns = min(PANEL_COLUMNS, len(result.labels))
    rows = -(-len(result.labels) // columns)
    legend_lines = len(result.minima) + 4  # the minima, nowhere, diverged, a note, the hover line
    return PANEL_PIXELS * columns + 40, PANEL_PIXELS * rows + LEGEND_LINE_PIXELS * legend_lines


def analysis_png(result: BasinMap | SweepResult) -> bytes:
    """The figure the app draws for ``result``, as PNG bytes.

    Without a display Qt draws off screen (2D figures need no OpenGL).
    """
    from PySide6.QtWidgets import QApplication

    from gdstudio.ui.qt_setup import make_app

    if QApplication.instance() is None and not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    make_app(["gdstudio-analysis"])
    if isinstance(result, BasinMap):
        figure = BasinFigure()
        figure.set_result(result)
        return figure_png(figure, *basin_figure_size(result))
    sweep = SweepFigure()
    sweep.set_result(result)
    return figure_png(sweep, *SWEEP_SIZE)
