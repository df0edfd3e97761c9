"""The contour map's scene as two layers: the still map, and the race moving over it.

An export frame draws the still layer once (the fill, the isolines, the axes)
and each frame only what moves: the trails and every item above them (the
markers, the start points, the known minima), drawn by the scene itself, so
the pixels are the ones the whole scene would draw.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter
from PySide6.QtWidgets import QGraphicsItem, QWidget

from gdstudio.ui.views.contour import RACE_Z, ContourView


class Layer(Enum):
    """What the map's scene draws."""

    ALL = "all"
    STILL = "still"
    """The map without the race."""
    MOVING = "moving"
    """The race alone, on a transparent background."""


class MapLayers:
    """Switches a contour map's scene between drawing all of it, its still layer or its moving one."""

    def __init__(self, contour: ContourView) -> None:
        self.contour = contour
        self.view = contour.plot_widget
        self._background = self.view.backgroundBrush()
        self._hidden: dict[QGraphicsItem, float] = {}
        self.layer = Layer.ALL

    def show(self, layer: Layer) -> None:
        """Draw ``layer`` from now on (the items the other layer holds turn transparent)."""
        if layer == self.layer:
            return
        for item, opacity in self._hidden.items():
            item.setOpacity(opacity)
        self._hidden = {}
        moving = self._moving()
        if layer is Layer.STILL:
            self._hide(moving)
        elif layer is Layer.MOVING:
            self._hide(self._still_roots(moving))
        empty = QBrush(Qt.BrushStyle.NoBrush)
        self.view.setBackgroundBrush(empty if layer is Layer.MOVING else self._background)
        self.layer = layer

    def paint_moving(self, painter: QPainter, canvas: QWidget) -> None:
        """Draw the moving layer where the map sits in ``canvas``."""
        self.show(Layer.MOVING)
        where = self.view.mapTo(canvas, QPoint(0, 0))
        target = QRectF(where.x(), where.y(), self.view.width(), self.view.height())
        self.view.render(painter, target, self.view.viewport().rect(),
                         Qt.AspectRatioMode.IgnoreAspectRatio)  # fmt: skip

    def _moving(self) -> list[QGraphicsItem]:
        box = self.contour.plot_item.getViewBox()
        return [item for item in box.addedItems if item.zValue() >= RACE_Z]

    def _still_roots(self, moving: list[QGraphicsItem]) -> list[QGraphicsItem]:
        """The items that hold every still one: the moving items' siblings, and their
        ancestors' siblings."""
        ancestors: set[QGraphicsItem] = set()
        for item in moving:
            parent = item.parentItem()
            while parent is not None and parent not in ancestors:
                ancestors.add(parent)
                parent = parent.parentItem()
        keep = ancestors.union(moving)
        return [
            item
            for item in self.view.scene().items()
            if item not in keep and (item.parentItem() is None or item.parentItem() in ancestors)
        ]

    def _hide(self, items: list[QGraphicsItem]) -> None:
        for item in items:
            self._hidden[item] = item.opacity()
            item.setOpacity(0.0)
