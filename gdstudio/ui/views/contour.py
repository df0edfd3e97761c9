"""The contour map: filled contours, isolines, trails, start points you can click and drag."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainterPath, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QVBoxLayout, QWidget

from gdstudio.engine.grid import Grid, contour_levels, display_heights, isoline_segments
from gdstudio.ui.views.colors import DIVERGED, MINIMUM, START, height_lut
from gdstudio.ui.views.trails import (
    ColourGroups,
    changed_runners,
    diverged_at_end,
    joined,
    last_points,
    shown_counts,
)

PICK_RADIUS_PX = 8
START_SIZE, START_SIZE_MANY, MANY_STARTS = 13, 8, 12
"""Start circles' diameter in pixels; smaller when there are more than MANY_STARTS."""


class _StartPoints(pg.ScatterPlotItem):
    """The start points: drag one to move it, right-click to remove it."""

    def __init__(self, view: ContourView) -> None:
        super().__init__(size=START_SIZE, pen=pg.mkPen(START, width=2),
                         brush=pg.mkBrush("#ffffffd0"), symbol="o", hoverable=True,
                         hoverSize=START_SIZE + 3)  # fmt: skip
        self._view = view
        self._dragging: int | None = None
        self.setZValue(30)

    def _index_at(self, pos: QPointF) -> int | None:
        hits = self.pointsAt(pos)
        return int(hits[0].index()) if len(hits) else None

    def mouseClickEvent(self, ev) -> None:
        index = self._index_at(ev.pos())
        if index is None:
            ev.ignore()
            return
        ev.accept()
        if ev.button() == Qt.MouseButton.RightButton:
            self._view.start_removed.emit(index)
        else:
            self._view.start_selected.emit(index)

    def mouseDragEvent(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            self._dragging = self._index_at(ev.buttonDownPos())
            if self._dragging is None:
                ev.ignore()
                return
        if self._dragging is None:
            ev.ignore()
            return
        ev.accept()
        p = ev.pos()
        points = self._view.starts.copy()
        points[self._dragging] = (p.x(), p.y())
        self.setData(pos=points)
        self._view.start_dragging.emit(self._dragging, p.x(), p.y())
        if ev.isFinish():
            index, self._dragging = self._dragging, None
            self._view.start_moved.emit(index, p.x(), p.y())


class ContourView(QWidget):
    """A surface as a colour map with isolines, and the race drawn on top.

    Signals: ``point_clicked(x, y)`` on a left click in empty space,
    ``start_moved(i, x, y)`` after a drag, ``start_dragging(i, x, y)`` during it,
    ``start_removed(i)`` on a right click, ``start_selected(i)`` on a left click
    of a start, ``cursor_moved(x, y)`` / ``cursor_left()`` for the readout.
    """

    point_clicked = Signal(float, float)
    start_moved = Signal(int, float, float)
    start_dragging = Signal(int, float, float)
    start_removed = Signal(int)
    start_selected = Signal(int)
    cursor_moved = Signal(float, float)
    cursor_left = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget()
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()
        self.plot_item.showGrid(x=False, y=False)
        self.plot_item.getViewBox().setDefaultPadding(0.0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)

        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setZValue(-10)
        self.image.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.plot_item.addItem(self.image)
        self._isolines: list[QGraphicsPathItem] = []
        self._overlay_lines: list[QGraphicsPathItem] = []
        self.minima = pg.ScatterPlotItem(symbol="star", size=16, pen=pg.mkPen("#202020"),
                                         brush=pg.mkBrush(MINIMUM))  # fmt: skip
        self.minima.setZValue(20)
        self.plot_item.addItem(self.minima)
        self.start_items = _StartPoints(self)
        self.plot_item.addItem(self.start_items)
        self.markers = pg.ScatterPlotItem(size=11, pen=pg.mkPen("#ffffff", width=1.5))
        self.markers.setZValue(25)
        self.plot_item.addItem(self.markers)
        self.diverged_markers = pg.ScatterPlotItem(symbol="x", size=16, pen=pg.mkPen(DIVERGED),
                                                   brush=pg.mkBrush(DIVERGED))  # fmt: skip
        self.diverged_markers.setZValue(26)
        self.plot_item.addItem(self.diverged_markers)
        self.trails: list[pg.PlotCurveItem] = []
        self.starts = np.zeros((0, 2))
        self.shown_step: int | None = None
        self._colors: list[str] = []
        self._groups = ColourGroups([])
        self._shown_cache: np.ndarray | None = None
        self._domain = ((-1.0, 1.0), (-1.0, 1.0))

        scene = self.plot_widget.scene()
        scene.sigMouseClicked.connect(self._on_scene_click)
        scene.sigMouseMoved.connect(self._on_mouse_move)

    # ------------------------------------------------------------------ surface
    def set_surface(self, grid: Grid, minima: np.ndarray, log_scale: bool = False) -> None:
        """Draw a new surface (built once per surface, never per frame)."""
        z = display_heights(grid.z, log_scale)
        (x0, x1), (y0, y1) = grid.domain
        self._domain = grid.domain
        self.image.setImage(z, levels=(float(z.min()), float(z.max())), autoLevels=False)
        # A smooth fill, coloured like the 3D view and its colorbar: the isolines draw
        # the levels (a stepped fill's band edges would be staircases at grid resolution).
        self.image.setLookupTable(height_lut())
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        for item in self._isolines:
            self.plot_item.removeItem(item)
        coarse = z[:: max(1, len(grid.xs) // 120), :: max(1, len(grid.ys) // 120)]
        self._isolines = self._make_isolines(coarse, contour_levels(z), "#ffffff70")
        m = np.asarray(minima, dtype=np.float64).reshape(-1, 2)
        self.minima.setData(pos=m)
        self.plot_item.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.plot_item.getViewBox().setLimits(
            xMin=x0 - (x1 - x0), xMax=x1 + (x1 - x0), yMin=y0 - (y1 - y0), yMax=y1 + (y1 - y0)
        )

    def _make_isolines(self, z: np.ndarray, levels, color: str) -> list[QGraphicsPathItem]:
        """All isolines of ``z`` as one path item, mapped onto the domain.

        One item, cached as one pixmap: each frame blits it once under the moving
        trails instead of redrawing (or blending) a dozen separate curves.
        """
        (x0, x1), (y0, y1) = self._domain
        ends = isoline_segments(z, levels).reshape(-1, 2)
        path = (
            pg.arrayToQPath(ends[:, 0], ends[:, 1], connect="pairs")
            if len(ends)
            else QPainterPath()
        )
        item = QGraphicsPathItem(path)
        item.setPen(pg.mkPen(color, width=1))
        item.setTransform(
            QTransform.fromScale((x1 - x0) / (z.shape[0] - 1), (y1 - y0) / (z.shape[1] - 1))
            * QTransform.fromTranslate(x0, y0)
        )
        item.setZValue(-5)
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.plot_item.addItem(item)
        return [item]

    def set_overlay(self, grid: Grid | None) -> None:
        """Isolines of another surface on top (the current mini-batch's loss), or none."""
        for item in self._overlay_lines:
            self.plot_item.removeItem(item)
        self._overlay_lines = []
        if grid is not None:
            self._overlay_lines = self._make_isolines(grid.z, contour_levels(grid.z, 10),
                                                      "#ff5050c0")  # fmt: skip

    def set_axis_labels(self, x: str, y: str) -> None:
        """Axis names: x/y for functions, w/b for models."""
        self.plot_item.setLabel("bottom", x)
        self.plot_item.setLabel("left", y)

    # ------------------------------------------------------------------ runners
    def set_runners(self, colors: Sequence[str], labels: Sequence[str]) -> None:
        """The runners' trails, one curve per colour."""
        for item in self.trails:
            self.plot_item.removeItem(item)
        self._colors = list(colors)
        self._groups = ColourGroups(colors)
        self.trails = []
        for color in self._groups.colors:
            curve = pg.PlotCurveItem(pen=pg.mkPen(color, width=2.2), connect="finite")
            curve.setZValue(10)
            self.plot_item.addItem(curve)
            self.trails.append(curve)
        self.markers.setData(pos=np.zeros((0, 2)))
        self._diverged_key = b""
        self._brushes: list = []
        self._shown_cache = None

    def set_starts(self, points: np.ndarray) -> None:
        """The start points (draggable)."""
        self.starts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        # A grid of starts would hide the map under big circles: smaller ones then.
        size = START_SIZE if len(self.starts) <= MANY_STARTS else START_SIZE_MANY
        self.start_items.setData(pos=self.starts, size=size)

    def show_state(
        self,
        trajectory: np.ndarray,
        values: np.ndarray,
        counts: np.ndarray,
        status: np.ndarray,
        upto_step: int | None = None,
    ) -> None:
        """Trails up to the shown step; only trails whose length changed are re-uploaded."""
        self.shown_step = upto_step
        shown = shown_counts(counts, upto_step)
        if len(shown) != len(self._colors):
            return
        for g in self._groups.of_runners(changed_runners(shown, self._shown_cache)):
            pts = joined([trajectory[: shown[r], r] for r in self._groups.members[g]])
            self.trails[g].setData(pts[:, 0], pts[:, 1])
        self._shown_cache = shown.copy()
        current = last_points(trajectory, shown)
        diverged = diverged_at_end(status, counts, shown)
        key = diverged.tobytes()
        if key != self._diverged_key:  # brushes and the red crosses change only on divergence
            self._diverged_key = key
            self._brushes = [pg.mkBrush("#9a9a9a" if d else c)
                             for c, d in zip(self._colors, diverged, strict=True)]  # fmt: skip
            self.diverged_markers.setData(pos=current[diverged])
        self.markers.setData(pos=current, brush=self._brushes)

    # ------------------------------------------------------------------ mouse
    def _to_data(self, scene_pos: QPointF) -> QPointF:
        return self.plot_item.getViewBox().mapSceneToView(scene_pos)

    def _on_scene_click(self, ev) -> None:
        if ev.isAccepted() or ev.double() or ev.button() != Qt.MouseButton.LeftButton:
            return
        if not self.plot_item.getViewBox().sceneBoundingRect().contains(ev.scenePos()):
            return
        p = self._to_data(ev.scenePos())
        self.point_clicked.emit(p.x(), p.y())

    def _on_mouse_move(self, scene_pos: QPointF) -> None:
        if self.plot_item.getViewBox().sceneBoundingRect().contains(scene_pos):
            p = self._to_data(scene_pos)
            self.cursor_moved.emit(p.x(), p.y())
        else:
            self.cursor_left.emit()

    def leaveEvent(self, event) -> None:
        """The cursor left the map: clear the cursor readout."""
        self.cursor_left.emit()
        super().leaveEvent(event)
