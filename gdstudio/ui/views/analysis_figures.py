"""The pictures of basin maps and sweeps, the same in the app and in the command line's PNGs.

:class:`BasinFigure` draws one small map per optimizer side by side, with a legend;
:class:`SweepFigure` a heatmap of a sweep's metric with a colour bar, diverged cells
crossed out and the optimizer's own setting ringed. Both say in words what the
pointer is over and tell when a pixel or cell is clicked.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QWidget

from gdstudio.engine.analysis_results import DIVERGED, METRICS, NOWHERE, Axis, BasinMap, SweepResult
from gdstudio.ui.views.analysis_colors import (
    NO_VALUE_COLOR,
    basin_color,
    basin_rgba,
    basin_shares,
    colour_scale,
    describe_cell,
    describe_pixel,
    metric_caption,
    minimum_name,
)
from gdstudio.ui.views.colors import DIVERGED as CROSS_COLOR
from gdstudio.ui.views.colors import MINIMUM

PANEL_COLUMNS = 4
"""Small maps per row of a basin figure."""
SWEEP_COLORMAP = "viridis"


def figure_png(widget: QWidget, width: int, height: int) -> bytes:
    """``widget`` drawn at ``width`` × ``height`` pixels, as PNG bytes."""
    widget.resize(width, height)
    widget.show()
    pixmap = widget.grab()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def _still_plot(layout: pg.GraphicsLayoutWidget, row: int, col: int) -> pg.PlotItem:
    """A plot in ``layout`` that the mouse points into but does not pan or zoom."""
    plot = layout.addPlot(row=row, col=col, enableMenu=False)
    plot.hideButtons()
    plot.setMouseEnabled(x=False, y=False)
    return plot


def _text_line(size: str = "9pt") -> pg.LabelItem:
    return pg.LabelItem("", justify="left", color="#303030", size=size)


def _swatch(color: str, text: str) -> str:
    return f"<span style='color:{color}; font-size:14pt'>&#9632;</span>&nbsp;{text}"


class BasinFigure(pg.GraphicsLayoutWidget):
    """A basin map: one panel per optimizer, a legend, and a line about the hovered pixel.

    Signals: ``pixel_clicked(x, y)`` with the clicked pixel's start point;
    ``pixel_hovered(text)`` with :func:`describe_pixel`'s line ('' when off the maps).
    """

    pixel_clicked = Signal(float, float)
    pixel_hovered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.result: BasinMap | None = None
        self.panels: list[pg.PlotItem] = []
        self.images: list[pg.ImageItem] = []
        self.hover = _text_line()
        self.legend = _text_line("8pt")
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)

    def set_result(self, result: BasinMap | None) -> None:
        """Show a new map (None: empty)."""
        self.clear()
        self.result = result
        self.panels, self.images = [], []
        if result is None:
            return
        (x0, x1), (y0, y1) = result.domain
        columns = min(PANEL_COLUMNS, len(result.labels))
        for e, label in enumerate(result.labels):
            panel = _still_plot(self, e // columns, e % columns)
            shares = basin_shares(result, e)
            reached = sum(v for b, v in shares.items() if b >= 0)
            panel.setTitle(f"{label}: {reached:.0%} in a minimum, {shares.get(DIVERGED, 0.0):.0%}"
                           " diverged", size="9pt")  # fmt: skip
            image = pg.ImageItem(basin_rgba(result, e), axisOrder="row-major")
            image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            panel.addItem(image)
            if len(result.minima):
                panel.addItem(pg.ScatterPlotItem(pos=result.minima, symbol="star", size=14,
                                                 pen=pg.mkPen("#202020"), brush=pg.mkBrush(MINIMUM)))  # fmt: skip
            panel.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            self.panels.append(panel)
            self.images.append(image)
        # The legend beside the maps, the hovered pixel's line under them: the maps keep
        # the height of a short dock.
        rows = (len(result.labels) + columns - 1) // columns
        self.legend.setText(self.legend_html(result))
        self.addItem(self.legend, row=0, col=columns, rowspan=rows)
        self.addItem(self.hover, row=rows, col=0, colspan=columns + 1)

    @staticmethod
    def legend_html(result: BasinMap) -> str:
        """The legend: each minimum with its colour, coordinates and value, then the rest."""
        basins = list(range(len(result.minima))) + [NOWHERE, DIVERGED]
        items = [_swatch(basin_color(b), minimum_name(result, b)) for b in basins]
        where = "known minima" if result.known_minima else "clustered end points"
        note = (f"{result.resolution}×{result.resolution} starts, {result.max_steps} steps, "
                f"{where}; brighter = fewer steps")  # fmt: skip
        return "<br>".join([*items, note])

    def _pixel_at(self, scene_pos: QPointF) -> tuple[int, int, int] | None:
        """(optimizer, row, column) under a scene position, or None."""
        if self.result is None:
            return None
        for e, panel in enumerate(self.panels):
            box = panel.getViewBox()
            if box.sceneBoundingRect().contains(scene_pos):
                p = box.mapSceneToView(scene_pos)
                pixel = self.result.pixel_of(p.x(), p.y())
                return None if pixel is None else (e, *pixel)
        return None

    def _on_move(self, scene_pos: QPointF) -> None:
        hit = self._pixel_at(scene_pos)
        text = "" if hit is None or self.result is None else describe_pixel(self.result, *hit)
        self.hover.setText(text)
        self.pixel_hovered.emit(text)

    def _on_click(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self.result is None:
            return
        hit = self._pixel_at(ev.scenePos())
        if hit is not None:
            _, row, col = hit
            self.pixel_clicked.emit(float(self.result.xs[col]), float(self.result.ys[row]))


def _axis_coordinates(axis: Axis) -> np.ndarray:
    """Where an axis' values sit on the plot: the values, or their log10 for a log axis."""
    return np.log10(axis.values) if axis.log else axis.values


def _log_ticks(axis: Axis) -> list[list[tuple[float, str]]]:
    """Ticks of a log axis at 1, 2 and 5 times each power of ten in its range (plot
    coordinates are log10 of the values)."""
    low, high = math.floor(math.log10(axis.low)), math.ceil(math.log10(axis.high))
    major, minor = [], []
    for power in range(low, high + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10.0**power
            if axis.low * (1 - 1e-9) <= value <= axis.high * (1 + 1e-9):
                (major if mantissa == 1 else minor).append((math.log10(value), f"{value:g}"))
    return [major, minor]


def _cell_rect(axis: Axis | None) -> tuple[float, float]:
    """(start, width) of an axis' cells on the plot, each value at its cell's centre."""
    if axis is None:
        return -0.5, 1.0
    at = _axis_coordinates(axis)
    step = (at[-1] - at[0]) / (len(at) - 1) if len(at) > 1 else 1.0
    return float(at[0] - step / 2), float(step * len(at))


class SweepFigure(pg.GraphicsLayoutWidget):
    """A sweep's heatmap with a colour bar, diverged cells crossed out and the current
    setting ringed.

    Signals: ``cell_clicked(x, y)`` with the clicked cell's values (y is NaN for a
    one-axis sweep); ``cell_hovered(text)`` with :func:`describe_cell`'s line.
    """

    cell_clicked = Signal(float, float)
    cell_hovered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.result: SweepResult | None = None
        self.plot = _still_plot(self, 0, 0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.crosses = pg.ScatterPlotItem(symbol="x", size=12, pen=pg.mkPen(CROSS_COLOR, width=1.5),
                                          brush=pg.mkBrush(CROSS_COLOR))  # fmt: skip
        self.current = pg.ScatterPlotItem(symbol="o", size=16, pen=pg.mkPen("#ffffff", width=3),
                                          brush=pg.mkBrush(None))  # fmt: skip
        self.current_edge = pg.ScatterPlotItem(symbol="o", size=20, pen=pg.mkPen("#000000", width=1.5),
                                               brush=pg.mkBrush(None))  # fmt: skip
        for item in (self.crosses, self.current_edge, self.current):
            self.plot.addItem(item)
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=self._colormap(), interactive=False,
                                   colorMapMenu=False)  # fmt: skip
        self.addItem(self.bar, row=0, col=1)
        self.caption = _text_line()
        self.addItem(self.caption, row=1, col=0, colspan=2)
        self.hover = _text_line()
        self.addItem(self.hover, row=2, col=0, colspan=2)
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)

    @staticmethod
    def _colormap() -> pg.ColorMap:
        """Viridis reversed, the best (lowest) values brightest (a new map: pyqtgraph shares
        the named ones)."""
        pos, colors = pg.colormap.get(SWEEP_COLORMAP).getStops(mode=pg.ColorMap.BYTE)
        return pg.ColorMap(1.0 - pos[::-1], colors[::-1])

    def set_result(self, result: SweepResult) -> None:
        """Show a sweep."""
        self.result = result
        cells = result.cells
        log, low, high = colour_scale(np.where(result.diverged, np.nan, cells))
        scaled = np.log10(np.where(cells > 0, cells, np.nan)) if log else cells
        lut = self._colormap().getLookupTable(nPts=256, alpha=False)
        index = np.clip(np.rint((scaled - low) / (high - low) * 255), 0, 255)
        rgba = np.empty((*cells.shape, 4), dtype=np.uint8)
        rgba[..., :3] = lut[np.nan_to_num(index).astype(np.intp)]
        rgba[..., 3] = 255
        rgba[np.isnan(scaled)] = (*pg.mkColor(NO_VALUE_COLOR).getRgb()[:3], 255)
        rgba[result.diverged] = (255, 255, 255, 255)
        self.image.setImage(rgba, autoLevels=False)
        (x0, width), (y0, height) = _cell_rect(result.x), _cell_rect(result.y)
        self.image.setRect(QRectF(x0, y0, width, height))
        self.plot.setRange(xRange=(x0, x0 + width), yRange=(y0, y0 + height), padding=0)
        xs, ys = np.meshgrid(_axis_coordinates(result.x),
                             _axis_coordinates(result.y) if result.y else [0.0])  # fmt: skip
        self.crosses.setData(pos=np.column_stack([xs[result.diverged], ys[result.diverged]]))
        self._mark_current(result)
        for side, axis in (("bottom", result.x), ("left", result.y)):
            item = self.plot.getAxis(side)
            item.enableAutoSIPrefix(False)
            item.setTicks(_log_ticks(axis) if axis is not None and axis.log else None)
            item.setLabel("" if axis is None else axis.name + (" (log scale)" if axis.log else ""))
            item.setStyle(showValues=axis is not None)
        self.bar.setLevels((low, high))
        self.bar.setLabel("left", ("log₁₀ " if log else "") + METRICS[result.metric])
        self.caption.setText(metric_caption(result) + "<br>" + self.key_html(result))

    @staticmethod
    def key_html(result: SweepResult) -> str:
        """What the marks on this sweep mean."""
        keys = []
        if result.diverged.any():
            keys.append(f"<span style='color:{CROSS_COLOR}'>✕</span> some start diverged")
        if (np.isnan(result.cells) & ~result.diverged).any():
            keys.append(f"<span style='color:{NO_VALUE_COLOR}'>&#9632;</span> no value"
                        " (did not converge)")  # fmt: skip
        keys.append("◎ the optimizer's own setting")
        return " &nbsp; ".join(keys)

    def _mark_current(self, result: SweepResult) -> None:
        x, y = result.current
        inside = result.x.low <= x <= result.x.high
        at_x = math.log10(x) if result.x.log and x > 0 else x
        if result.y is not None and y is not None:
            inside &= result.y.low <= y <= result.y.high
            at_y = math.log10(y) if result.y.log and y > 0 else y
        else:
            at_y = 0.0
        pos = np.array([[at_x, at_y]]) if inside else np.zeros((0, 2))
        self.current.setData(pos=pos)
        self.current_edge.setData(pos=pos)

    def _cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(row, column) of the cell under a scene position, or None."""
        result = self.result
        box = self.plot.getViewBox()
        if result is None or not box.sceneBoundingRect().contains(scene_pos):
            return None
        p = box.mapSceneToView(scene_pos)
        (x0, width), (y0, height) = _cell_rect(result.x), _cell_rect(result.y)
        rows = 1 if result.y is None else result.y.count
        col = math.floor((p.x() - x0) / width * result.x.count)
        row = math.floor((p.y() - y0) / height * rows)
        return (row, col) if 0 <= col < result.x.count and 0 <= row < rows else None

    def _on_move(self, scene_pos: QPointF) -> None:
        cell = self._cell_at(scene_pos)
        text = "" if cell is None or self.result is None else describe_cell(self.result, *cell)
        self.hover.setText(text)
        self.cell_hovered.emit(text)

    def _on_click(self, ev) -> None:
        result = self.result
        if ev.button() != Qt.MouseButton.LeftButton or result is None:
            return
        cell = self._cell_at(ev.scenePos())
        if cell is not None:
            row, col = cell
            y = float(result.y.values[row]) if result.y is not None else math.nan
            self.cell_clicked.emit(float(result.x.values[col]), y)
