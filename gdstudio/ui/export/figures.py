"""PNGs of basin maps and sweeps for the command line: the app's own figures, drawn off screen."""

from __future__ import annotations

import os

from gdstudio.engine.analysis_results import BasinMap, SweepResult
from gdstudio.ui.views.analysis_figures import PANEL_COLUMNS, BasinFigure, SweepFigure, figure_png

PANEL_PIXELS = 340
"""Width and height of one optimizer's map in a basin figure."""
LEGEND_LINE_PIXELS = 22
LEGEND_PIXELS = 330
"""Width of the legend beside the maps."""
SWEEP_SIZE = (900, 680)


def basin_figure_size(result: BasinMap) -> tuple[int, int]:
    """Width and height of a basin figure: its panels, the legend beside them."""
    columns = min(PANEL_COLUMNS, len(result.labels))
    rows = -(-len(result.labels) // columns)
    legend_lines = len(result.minima) + 3  # the minima, nowhere, diverged, a note
    height = max(PANEL_PIXELS * rows, LEGEND_LINE_PIXELS * legend_lines)
    return PANEL_PIXELS * columns + LEGEND_PIXELS, height + LEGEND_LINE_PIXELS


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
