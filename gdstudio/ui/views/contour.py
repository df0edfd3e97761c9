"""The contour map: filled contours, isolines, trails, start points you can click and drag."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainterPath, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gdstudio.engine.grid import Grid, HeightScale, contour_levels, isoline_segments
from gdstudio.ui.views.colors import DIVERGED, MINIMUM, START, height_lut
from gdstudio.ui.views.trails import (
    ColourGroups,
    changed_runners,
    diverged_at_end,
    joined,
    last_points,
    shown_counts,
)

if TYPE_CHECKING:
    from gdstudio.engine.objective import Domain

PICK_RADIUS_PX = 8
START_SIZE, START_SIZE_MANY, MANY_STARTS = 13, 8, 12
"""Start circles' diameter in pixels; smaller when there are more than MANY_STARTS."""
AXIS_WIDTH = 46
"""Pixels of the map's left axis: room for labels such as −0.25 or 1e+04 and the axis name."""
RACE_Z = 10
"""The trails' z value: what the race draws is at or above it, the map under it."""
EDGE_INSET_PX = 7
"""A runner outside the view is drawn this far inside its edge (its marker's radius)."""
LEGEND_SIZE = "12px"
MARKER_LEGEND = (
    "<span style='color:#000'>○</span>&nbsp;start&nbsp;&nbsp; <b>●</b>&nbsp;now&nbsp;&nbsp; "
    f"<span style='color:{DIVERGED}'>✕</span>&nbsp;diverged&nbsp;&nbsp; ☆&nbsp;known&nbsp;minimum"
)  # fmt: skip
"""The markers' part of the legend (the glyphs drawn on the map)."""


def move_points(scatter: pg.ScatterPlotItem, xy: np.ndarray) -> None:
    """Move a scatter's points to ``xy`` (as many as it has), keeping their styles.

    ``setData`` would re-style every point, 25× the cost: this does only what it does
    for the positions (and tells the plot the bounds changed).
    """
    scatter.data["x"] = xy[:, 0]
    scatter.data["y"] = xy[:, 1]
    scatter.prepareGeometryChange()
    scatter.informViewBoundsChanged()
    scatter.bounds = [None, None]
    scatter.invalidate()
    scatter.sigPlotChanged.emit(scatter)


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
    of a start, ``cursor_moved(x, y)`` / ``cursor_left()`` for the readout,
    ``basins_toggled(bool)`` from the map's Basins button.
    """

    point_clicked = Signal(float, float)
    start_moved = Signal(int, float, float)
    start_dragging = Signal(int, float, float)
    start_removed = Signal(int)
    start_selected = Signal(int)
    cursor_moved = Signal(float, float)
    cursor_left = Signal()
    view_changed = Signal()
    basins_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(enableMenu=False)  # no menus: cheaper to build too
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.hideButtons()
        self.plot_item.showGrid(x=False, y=False)
        self.plot_item.getViewBox().setDefaultPadding(0.0)
        # A fixed axis width: one that grows to fit its labels after the first paint
        # would resize the map, and at equal scale change the part of the plane shown.
        self.plot_item.getAxis("left").setWidth(AXIS_WIDTH)
        self.legend = QLabel(wordWrap=True, objectName="mapLegend")
        # It wraps to the map's width and never makes the map wider (a small export).
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.legend.setStyleSheet(f"background: white; color: #202020; font-size: {LEGEND_SIZE};"
                                  "padding: 1px 4px;")  # fmt: skip
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot_widget, 1)

        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setZValue(-10)
        self.image.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.plot_item.addItem(self.image)
        self.basins = pg.ImageItem(axisOrder="row-major")
        self.basins.setZValue(-8)  # over the fill, under the isolines and the race
        self.basins.setVisible(False)
        self.plot_item.addItem(self.basins)
        self.basins_button = QToolButton(self.plot_widget, text="Basins", checkable=True,
                                         toolTip="Colour the map by the minimum each start "
                                                 "reaches (computes a basin map)")  # fmt: skip
        self.basins_button.toggled.connect(self.basins_toggled)
        self.note = QLabel(self.plot_widget, objectName="mapNote", wordWrap=True)
        self.note.setStyleSheet("background: #ffffffd8; color: #202020; padding: 2px 4px;")
        self.note.hide()
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
        self._domain: Domain = ((-1.0, 1.0), (-1.0, 1.0))
        self.surface_rect = QRectF()
        """The part of the plane the drawn heights cover (the domain or more)."""
        self.stretch = False
        self._legend_entries: list[tuple[list[str], str]] = []
        self.plot_item.getViewBox().setAspectLocked(True, ratio=1.0)

        self._current = np.zeros((0, 2))
        self._diverged = np.zeros(0, dtype=bool)
        self._diverged_key = b""
        self._brushes: list = []
        self._placed_brushes: list | None = None
        self._framed = True
        box = self.plot_item.getViewBox()
        box.sigRangeChanged.connect(self._on_range_change)
        box.sigResized.connect(self._on_resize)
        box.sigRangeChangedManually.connect(lambda *_: setattr(self, "_framed", False))
        scene = self.plot_widget.scene()
        scene.sigMouseClicked.connect(self._on_scene_click)
        scene.sigMouseMoved.connect(self._on_mouse_move)

    # ------------------------------------------------------------------ surface
    def show_domain(self, domain: Domain) -> None:
        """Frame the surface's domain: all of it in view (more along one axis at equal scale)."""
        (x0, x1), (y0, y1) = domain
        self._domain = domain
        box = self.plot_item.getViewBox()
        reach = 2.0 * max(x1 - x0, y1 - y0)  # room to pan, and for equal scale on a ravine
        cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
        box.setLimits(xMin=cx - reach, xMax=cx + reach, yMin=cy - reach, yMax=cy + reach)
        self.frame_domain()

    def frame_domain(self) -> None:
        """Show the whole domain, as large as it fits; kept so through resizes until the
        user zooms or pans (a double click on the map frames it again)."""
        (x0, x1), (y0, y1) = self._domain
        self._framed = True
        self.plot_item.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _on_resize(self) -> None:
        if self._framed:
            self.frame_domain()

    def set_surface(self, grid: Grid, scale: HeightScale, levels: np.ndarray) -> None:
        """Draw heights sampled over any part of the plane (once per surface or view change).

        ``scale`` maps them to colours as the 3D view does, ``levels`` are the drawn
        heights of the isolines: both are fitted to the domain, so a wider grid (the
        margins of an equal-scale map) continues the same picture.
        """
        z = scale(grid.z)
        (x0, x1), (y0, y1) = grid.domain
        self.surface_rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        self.image.setImage(z, levels=(scale.lo, scale.hi), autoLevels=False)
        # A smooth fill, coloured like the 3D view and its colorbar: the isolines draw
        # the levels (a stepped fill's band edges would be staircases at grid resolution).
        self.image.setLookupTable(height_lut())
        # Pixel i of an ImageItem covers [i, i + 1): widen the rect by half a sample on
        # each side so that each pixel's centre sits on its sample.
        dx, dy = (x1 - x0) / (len(grid.xs) - 1), (y1 - y0) / (len(grid.ys) - 1)
        self.image.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))
        for item in self._isolines:
            self.plot_item.removeItem(item)
        self._isolines = self._make_isolines(grid, z, levels, "#ffffff70")

    def set_minima(self, minima: np.ndarray) -> None:
        """The surface's known minima, drawn as stars."""
        self.minima.setData(pos=np.asarray(minima, dtype=np.float64).reshape(-1, 2))

    def set_stretch(self, on: bool) -> None:
        """Stretch the map to fill the view (x and y at different scales), or keep equal scale."""
        self.stretch = bool(on)
        self.plot_item.getViewBox().setAspectLocked(not self.stretch, ratio=1.0)
        self.frame_domain()
        self._show_legend()

    def set_legend(self, entries: Sequence[tuple[Sequence[str], str]]) -> None:
        """The legend above the map: each optimizer's shades and label, then the markers."""
        self._legend_entries = [(list(colors), label) for colors, label in entries]
        self._show_legend()

    def _show_legend(self) -> None:
        parts = []
        for colors, label in self._legend_entries:
            swatch = "".join(f"<span style='color:{c}'>■</span>" for c in colors)
            parts.append(f"{swatch}&nbsp;{html.escape(label).replace(' ', '&nbsp;')}")
        parts.append(MARKER_LEGEND)
        if self.stretch:
            parts.append("<i>x,&nbsp;y&nbsp;not&nbsp;to&nbsp;scale</i>")
        self.legend.setText(" &nbsp; ".join(parts))

    def _make_isolines(
        self, grid: Grid, z: np.ndarray, levels, color: str
    ) -> list[QGraphicsPathItem]:
        """All isolines of ``z`` (heights on ``grid``) as one path item, mapped onto the grid.

        One item, cached as one pixmap: each frame blits it once under the moving
        trails instead of redrawing (or blending) a dozen separate curves.
        """
        (x0, x1), (y0, y1) = grid.domain
        ends = isoline_segments(z, levels).reshape(-1, 2)
        path = (
            pg.arrayToQPath(ends[:, 0], ends[:, 1], connect="pairs")
            if len(ends)
            else QPainterPath()
        )
        item = QGraphicsPathItem(path)
        item.setPen(pg.mkPen(color, width=1))
        item.setTransform(  # sample indices -> the plane
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
            self._overlay_lines = self._make_isolines(grid, grid.z, contour_levels(grid.z, 10),
                                                      "#ff5050c0")  # fmt: skip

    def set_basins(self, rgba: np.ndarray | None, domain=None) -> None:
        """A basin map's image (N, N, 4) over ``domain`` on the map, or none."""
        if rgba is None:
            self.basins.setVisible(False)
            return
        (x0, x1), (y0, y1) = domain
        self.basins.setImage(rgba, autoLevels=False)
        self.basins.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.basins.setVisible(True)

    def set_basins_checked(self, on: bool) -> None:
        """Show the Basins button pressed or not, without telling anyone."""
        self.basins_button.blockSignals(True)
        self.basins_button.setChecked(on)
        self.basins_button.blockSignals(False)

    def show_note(self, text: str) -> None:
        """A line of text at the map's bottom left (what the pointer is over), or none."""
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self._place_controls()

    def visible_domain(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((xmin, xmax), (ymin, ymax)) of the map as the view shows it now."""
        (x0, x1), (y0, y1) = self.plot_item.getViewBox().viewRange()
        return (float(x0), float(x1)), (float(y0), float(y1))

    def resizeEvent(self, event) -> None:
        """Keep the Basins button and the note in their corners."""
        super().resizeEvent(event)
        self._place_controls()

    def _place_controls(self) -> None:
        area = self.plot_widget.rect()
        button = self.basins_button
        button.adjustSize()
        button.move(area.right() - button.width() - 8, 6)
        self.note.setFixedWidth(max(area.width() - 80, 100))
        self.note.adjustSize()
        self.note.move(60, area.bottom() - self.note.height() - 40)

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
            curve.setZValue(RACE_Z)
            self.plot_item.addItem(curve)
            self.trails.append(curve)
        self.markers.setData(pos=np.zeros((0, 2)))
        self._diverged_key = b""
        self._brushes = []
        self._current = np.zeros((0, 2))
        self._diverged = np.zeros(0, dtype=bool)
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
        self._current = last_points(trajectory, shown)
        diverged = diverged_at_end(status, counts, shown)
        key = diverged.tobytes()
        if key != self._diverged_key:  # brushes and the red crosses change only on divergence
            self._diverged_key = key
            self._diverged = diverged
            self._brushes = [pg.mkBrush("#9a9a9a" if d else c)
                             for c, d in zip(self._colors, diverged, strict=True)]  # fmt: skip
        self._place_markers()

    def _place_markers(self) -> None:
        """Current positions, pulled onto the view's edge for runners outside it."""
        if len(self._current) != len(self._brushes):
            return
        box = self.plot_item.getViewBox()
        (x0, x1), (y0, y1) = box.viewRange()
        shown = self._current
        outside = (shown[:, 0] < x0) | (shown[:, 0] > x1) | (shown[:, 1] < y0) | (shown[:, 1] > y1)
        if outside.any():
            inset_x = EDGE_INSET_PX * (x1 - x0) / max(box.width(), 1.0)
            inset_y = EDGE_INSET_PX * (y1 - y0) / max(box.height(), 1.0)
            shown = np.column_stack([np.clip(shown[:, 0], x0 + inset_x, x1 - inset_x),
                                     np.clip(shown[:, 1], y0 + inset_y, y1 - inset_y)])  # fmt: skip
        if self._placed_brushes is self._brushes and len(self.markers.data) == len(shown):
            move_points(self.markers, shown)  # the usual frame: the same runners, moved
        else:
            self.markers.setData(pos=shown, brush=self._brushes)
            self._placed_brushes = self._brushes
        crosses = shown[self._diverged]
        if len(crosses) != len(self.diverged_markers.data):
            self.diverged_markers.setData(pos=crosses)
        elif len(crosses):  # (they move only when the view does: a stopped run stays put)
            move_points(self.diverged_markers, crosses)

    def _on_range_change(self, *_args) -> None:
        self._place_markers()
        self.view_changed.emit()

    # ------------------------------------------------------------------ mouse
    def _to_data(self, scene_pos: QPointF) -> QPointF:
        return self.plot_item.getViewBox().mapSceneToView(scene_pos)

    def _on_scene_click(self, ev) -> None:
        if ev.double() and ev.button() == Qt.MouseButton.LeftButton:
            self.frame_domain()
            return
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
