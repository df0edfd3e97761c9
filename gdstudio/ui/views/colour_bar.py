"""The one colour bar of both maps: heights to colours, as the 3D view and the contour map paint them."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from gdstudio.engine.grid import HeightScale
from gdstudio.ui.views.colors import height_colormap

BAR_HEIGHT_PX = 32
"""The whole strip: its title, then a thin bar over its tick labels."""


class ColourBar(pg.GraphicsLayoutWidget):
    """A horizontal strip across the views, so that neither map gives up width to it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(BAR_HEIGHT_PX)
        self.ci.layout.setContentsMargins(4, 2, 12, 0)
        self.label = pg.LabelItem("", color="#303030", justify="right")
        self.addItem(self.label, row=0, col=0)
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=height_colormap(), interactive=False,
                                   orientation="horizontal", width=10)  # fmt: skip
        self.addItem(self.bar, row=0, col=1)
        self.ci.layout.setColumnStretchFactor(1, 1)
        self.title = ""

    def set_scale(self, scale: HeightScale) -> None:
        """The drawn heights' range and what they are (f, or log10 of f − min f)."""
        self.bar.setLevels((scale.lo, scale.hi))
        self.title = f"colour = height, {scale.label}"
        self.label.setText(self.title)
