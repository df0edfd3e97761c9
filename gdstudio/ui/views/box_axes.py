"""Axes of the 3D view: three edges of the box with ticks, and their labels in data units."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph.opengl as gl
from pyqtgraph.opengl.GLGraphicsItem import GLGraphicsItem
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QMatrix4x4, QPainter, QVector3D

AXIS_COLOR = "#404040"
TICK_LENGTH = 0.45
"""Tick marks' length in box units (the box is 20 wide)."""
LABEL_GAP = 1.6
"""Tick labels sit this far outside the box's edge, in box units."""


def nice_ticks(lo: float, hi: float, count: int = 5) -> tuple[np.ndarray, float]:
    """About ``count`` (at least three) round values within [lo, hi], and their spacing
    (1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return (np.array([lo]) if math.isfinite(lo) else np.zeros(0)), 1.0
    raw = (hi - lo) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    steps = [m * power for m in (0.1, 0.2, 0.5, 1, 2, 5, 10)]
    step = next(s for s in steps if s >= raw)
    while True:
        first = math.ceil(lo / step - 1e-9) * step
        ticks = np.arange(first, hi + 1e-9 * step, step)
        smaller = [s for s in steps if s < step]
        if len(ticks) >= 3 or not smaller:
            break
        step = smaller[-1]
    return np.round(ticks / step) * step, step  # no 0.30000000000000004


def tick_text(value: float, step: float) -> str:
    """A tick's label with as many decimals as the spacing needs."""
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    text = f"{value:.{decimals}f}" if abs(value) < 1e5 else f"{value:.3g}"
    return "0" if text.strip("-0.") == "" else text


class LabelLayer(GLGraphicsItem):
    """Text at points of the scene, drawn over it with one painter a frame.

    (pyqtgraph's GLTextItem opens a painter per label, which costs a few
    milliseconds a frame on software OpenGL for a dozen of them.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[tuple[QVector3D, str]] = []
        self.font = QFont()
        self.font.setPixelSize(12)
        self.color = QColor(AXIS_COLOR)
        self.setGLOptions("additive")  # no depth test: text is never hidden by the mesh
        self.setDepthValue(100)  # painted after every GL item, which would draw over it

    def set_labels(self, labels: Sequence[tuple[Sequence[float], str]]) -> None:
        """(box point, text) pairs; each text is centred on its point's pixel."""
        self.labels = [(QVector3D(*map(float, p)), text) for p, text in labels]
        self.update()

    def half_sizes(self) -> list[tuple[float, float]]:
        """Each label's half width and half height in pixels (its text is centred on its point)."""
        metrics = QFontMetricsF(self.font)
        return [((size := metrics.size(0, text)).width() / 2, size.height() / 2)
                for _, text in self.labels]  # fmt: skip

    def paint(self) -> None:
        """Project every label and draw them all."""
        view = self.view()
        if not self.labels or view is None:
            return
        to_pixels = QMatrix4x4()
        to_pixels.viewport(0.0, float(view.height()), float(view.width()), -float(view.height()))
        project = to_pixels * self.mvpMatrix()
        metrics = QFontMetricsF(self.font)
        self.setupGLState()
        painter = QPainter(view)
        try:
            painter.setPen(self.color)
            painter.setFont(self.font)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            for point, text in self.labels:
                at = project.map(point).toPointF()
                size = metrics.size(0, text)
                box = QRectF(at - QPointF(size.width() / 2, size.height() / 2), size)
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        finally:
            painter.end()


class BoxAxes:
    """The x and y axes along the base's two front edges, the height on a vertical edge.

    ``x_edge``/``y_edge`` and ``z_corner`` are given in box coordinates; ticks
    are (box coordinate, label) pairs; ``names`` are the three axis titles.
    """

    def __init__(self, view: gl.GLViewWidget, half: float, height: float) -> None:
        self.half, self.height = half, height
        self.lines = gl.GLLinePlotItem(mode="lines", width=1.2, antialias=True,
                                       color=QColor(AXIS_COLOR).getRgbF())  # fmt: skip
        self.labels = LabelLayer()
        view.addItem(self.lines)
        view.addItem(self.labels)

    def set_shown(self, on: bool) -> None:
        """Show or hide the edges, ticks and labels."""
        self.lines.setVisible(on)
        self.labels.setVisible(on)

    def set_ticks(
        self,
        x_ticks: Sequence[tuple[float, str]],
        y_ticks: Sequence[tuple[float, str]],
        z_ticks: Sequence[tuple[float, str]],
        names: tuple[str, str, str],
    ) -> None:
        """Draw the edges, their ticks and labels."""
        h, top = self.half, self.height
        y_front, x_right, corner = -h, h, (-h, -h)
        segments = [(-h, y_front, 0), (h, y_front, 0), (x_right, -h, 0), (x_right, h, 0),
                    (*corner, 0), (*corner, top)]  # fmt: skip
        labels = []
        for x, text in x_ticks:
            segments += [(x, y_front, 0), (x, y_front - TICK_LENGTH, 0)]
            labels.append(((x, y_front - LABEL_GAP, 0), text))
        for y, text in y_ticks:
            segments += [(x_right, y, 0), (x_right + TICK_LENGTH, y, 0)]
            labels.append(((x_right + LABEL_GAP, y, 0), text))
        for z, text in z_ticks:
            segments += [(*corner, z), (corner[0] - TICK_LENGTH, corner[1], z)]
            labels.append(((corner[0] - LABEL_GAP * 1.3, corner[1], z), text))
        labels += [((0, y_front - 2.6 * LABEL_GAP, 0), names[0]),
                   ((x_right + 2.6 * LABEL_GAP, 0, 0), names[1]),
                   ((*corner, top + LABEL_GAP), names[2])]  # fmt: skip
        self.lines.setData(pos=np.array(segments, dtype=np.float32))
        self.labels.set_labels(labels)
