"""Update anatomy on the contour map: the selected runner's step taken apart.

From the runner's point at the shown step, one arrow per term of its optimizer's
update (the gradient's share, the momentum or memory, the Nesterov look-ahead,
decoupled weight decay), the step actually taken (bold), and, thin and dashed,
the step plain gradient descent would take there. All are drawn to one scale:
true size when the step is big enough to see, else magnified by a power of ten
that the legend states. For adaptive methods an ellipse at the runner shows the
effective step size per coordinate (lr / (√v̂ + eps) for Adam): long along the
coordinate whose steps the method stretches.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QGraphicsEllipseItem

TERM_COLORS = {
    "gradient": "#0072b2",
    "gradient, rescaled": "#0072b2",
    "momentum": "#e69f00",
    "memory": "#e69f00",
    "Nesterov look-ahead": "#d55e00",
    "weight decay": "#cc79a7",
    "sign step": "#009e73",
    "Newton step": "#009e73",
}
"""Colour of each term's arrow (Okabe–Ito, safe for colour-blind eyes)."""
STEP_COLOR, PLAIN_COLOR, ELLIPSE_COLOR = "#111111", "#6e6e6e", "#56b4e9"
MIN_VISIBLE = 0.04
"""Shortest drawn step taken, as a fraction of the view's smaller side, before magnifying."""
HEAD_PX = 9.0


def arrow_scale(longest: float, view_size: float) -> float:
    """1 when the longest arrow is visible at true size, else the power of ten that makes it so."""
    if not longest > 0 or not math.isfinite(longest):
        return 1.0
    wanted = MIN_VISIBLE * view_size
    return 1.0 if longest >= wanted else 10.0 ** math.ceil(math.log10(wanted / longest))


class AnatomyOverlay:
    """The arrows, ellipse and legend, as items of a pyqtgraph PlotItem (created hidden)."""

    def __init__(self, plot_item: pg.PlotItem) -> None:
        self.plot_item = plot_item
        self.scale = 1.0
        self.origin: np.ndarray | None = None
        self.step_end: np.ndarray | None = None
        self.tips: list[tuple[np.ndarray, str]] = []
        """Each drawn arrow's tip and colour (data coordinates), for the 3D view to repeat."""
        self._curves: dict[str, pg.PlotCurveItem] = {}
        self.ellipse = QGraphicsEllipseItem()
        self.ellipse.setPen(pg.mkPen(ELLIPSE_COLOR, width=2))
        self.ellipse.setZValue(27)
        self.ellipse.setVisible(False)
        plot_item.addItem(self.ellipse)
        self.legend = pg.LegendItem(offset=(-8, -8), labelTextColor="#111111",
                                    brush=pg.mkBrush("#ffffffd8"), pen=pg.mkPen("#999999"))  # fmt: skip
        self.legend.setParentItem(plot_item.getViewBox())
        self.legend.setVisible(False)

    def _curve(self, name: str, color: str, width: float, dashed: bool = False) -> pg.PlotCurveItem:
        if name not in self._curves:
            pen = pg.mkPen(
                color, width=width, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            )
            curve = pg.PlotCurveItem(pen=pen, connect="finite", antialias=True)
            curve.setZValue(28 if name == "step taken" else 27)
            self.plot_item.addItem(curve)
            self._curves[name] = curve
        return self._curves[name]

    def clear(self) -> None:
        """Hide everything (no runner selected, the toggle off, or no step to show)."""
        for curve in self._curves.values():
            curve.setVisible(False)
        self.ellipse.setVisible(False)
        self.legend.setVisible(False)
        self.origin = self.step_end = None
        self.tips = []

    def show(self, point: np.ndarray, arrows: dict[str, np.ndarray], step: np.ndarray,
             plain: np.ndarray, effective_lr: np.ndarray | None) -> None:  # fmt: skip
        """Draw the step from ``point``: its terms ``arrows``, the ``step`` taken, the ``plain``
        gradient step, and the ``effective_lr`` ellipse (all in data coordinates)."""
        box = self.plot_item.getViewBox()
        (x0, x1), (y0, y1) = box.viewRange()
        longest = max(float(np.hypot(*v)) for v in [step, plain, *arrows.values()])
        self.scale = arrow_scale(float(np.hypot(*step)) or longest, min(x1 - x0, y1 - y0))
        px, py = box.viewPixelSize()
        self.clear()
        self.legend.clear()
        self.origin = np.asarray(point, dtype=np.float64)
        self.step_end = self.origin + self.scale * np.asarray(step)
        drawn = [(name, vector, TERM_COLORS.get(name, "#009e73"), 2.5, False)
                 for name, vector in arrows.items() if np.any(vector)]  # fmt: skip
        drawn += [("step taken", step, STEP_COLOR, 3.5, False),
                  ("plain gradient step (−lr·∇f)", plain, PLAIN_COLOR, 1.5, True)]  # fmt: skip
        for name, vector, color, width, dashed in drawn:
            tip = self.origin + self.scale * np.asarray(vector)
            curve = self._curve(name, color, width, dashed)
            curve.setData(*_arrow_path(self.origin, tip, px, py).T)
            self.tips.append((tip, color))
            curve.setVisible(True)
            self.legend.addItem(curve, name)
        if self.scale != 1.0:
            self.legend.addItem(pg.PlotDataItem(pen=None), f"arrows drawn ×{self.scale:g}")
        if (
            effective_lr is not None
            and np.all(np.isfinite(effective_lr))
            and np.max(effective_lr) > 0
        ):
            radius = 0.08 * min(x1 - x0, y1 - y0) / float(np.max(effective_lr))
            rx, ry = effective_lr * radius
            self.ellipse.setRect(QRectF(point[0] - rx, point[1] - ry, 2 * rx, 2 * ry))
            self.ellipse.setVisible(True)
            ratio = effective_lr[1] / effective_lr[0] if effective_lr[0] > 0 else math.inf
            self.legend.addItem(pg.PlotDataItem(pen=pg.mkPen(ELLIPSE_COLOR, width=2)),
                                f"step size per coordinate, y/x = {ratio:.3g}")  # fmt: skip
        self.legend.setVisible(True)


def _arrow_path(start: np.ndarray, tip: np.ndarray, px: float, py: float) -> np.ndarray:
    """A shaft and a two-stroke head as one polyline with a NaN break, (6, 2).

    The head is built in pixels, so it keeps its shape however the axes are scaled.
    """
    d = np.array([(tip[0] - start[0]) / px, (tip[1] - start[1]) / py])
    length = float(np.hypot(*d))
    if not length > 0:
        return np.array([start, tip])
    u = d / length
    head = min(HEAD_PX, 0.5 * length)
    wings = []
    for angle in (math.radians(25), -math.radians(25)):
        c, s = math.cos(angle), math.sin(angle)
        back = -head * np.array([c * u[0] - s * u[1], s * u[0] + c * u[1]])
        wings.append(tip + back * (px, py))
    gap = (np.nan, np.nan)
    return np.array([start, tip, gap, wings[0], tip, wings[1]], dtype=np.float64)
