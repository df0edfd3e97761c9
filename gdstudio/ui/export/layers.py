"""The contour map as two layers: the still map, and the race moving over it.

An export frame draws the still layer once (the fill, the isolines, the axes)
and each frame only what moves: the trails and every item above them (the
markers, the start points, the known minima). Those are painted by their own
``paint``, with the transform and the clip the scene would give them, in the
scene's order, over a copy of the still layer: the pixels the whole scene
draws (the export tests compare them), without the scene walking every item.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QPoint
from PySide6.QtGui import QPainter, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from gdstudio.ui.views.contour import RACE_Z, ContourView


class MapLayers:
    """A contour map's race items, hidden for the still layer or painted alone over it."""

    def __init__(self, contour: ContourView) -> None:
        self.contour = contour
        self.view = contour.plot_widget
        self.box = contour.plot_item.getViewBox()
        self._option = QStyleOptionGraphicsItem()

    def moving(self) -> list[QGraphicsItem]:
        """The race's items in the order the scene paints them (by z, then as added).

        They have no child items: each one's ``paint`` draws all of it.
        """
        items = [item for item in self.box.addedItems if item.zValue() >= RACE_Z]
        return sorted(items, key=lambda item: item.zValue())  # stable: ties keep their order

    @contextmanager
    def race_hidden(self) -> Iterator[None]:
        """While inside, the map draws its still layer (the race's items are transparent)."""
        hidden = {item: item.opacity() for item in self.moving()}
        for item in hidden:
            item.setOpacity(0.0)
        try:
            yield
        finally:
            for item, opacity in hidden.items():
                item.setOpacity(opacity)

    def paint_moving(self, painter: QPainter, canvas: QWidget) -> None:
        """Paint the race's items where the map sits in ``canvas``."""
        where = self.view.mapTo(canvas, QPoint(0, 0))
        to_canvas = QTransform.fromTranslate(where.x(), where.y())
        to_view = self.view.viewportTransform()
        # The view box clips its children to its rectangle.
        clip = self.box.deviceTransform(to_view).map(self.box.shape())
        for item in self.moving():
            opacity = item.effectiveOpacity()
            if not item.isVisible() or opacity == 0.0:
                continue
            painter.save()
            painter.setTransform(to_canvas)
            painter.setClipPath(clip)
            painter.setRenderHints(self.view.renderHints(), True)
            painter.setOpacity(opacity)
            painter.setTransform(item.deviceTransform(to_view) * to_canvas)
            item.paint(painter, self._option, self.view.viewport())
            painter.restore()
