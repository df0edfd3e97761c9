"""Loss and gradient norm against step for every runner, with a hover readout."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gdstudio.engine.grid import median
from gdstudio.engine.stop import Status
from gdstudio.ui.views.trails import ColourGroups, changed_runners, joined, shown_counts

HOVER_ROWS = 10
"""Most runners the hover readout lists."""
AXIS_WIDTH = 56
"""Pixels of each plot's left axis: room for labels such as 10⁻¹² or 1.5e+04."""
LOG_MIN_SPAN = 1.5
"""Fewest decades a log axis shows, so that some power of ten is labelled."""
FLOOR_DECADES = 8
"""Most decades a log axis reaches below the median of the values shown."""
MEDIAN_SAMPLE = 2048
"""Values the median is taken over (evenly strided): it only has to find its decade."""
CLIPPED_SYMBOL = "t"
"""Where a curve drops below a log axis's floor, this marker (a downward triangle) sits on it."""
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_label(k: int, m: int = 1) -> str:
    """m·10ᵏ as a tick label: plain digits for moderate k, a power of ten otherwise."""
    if -3 <= k <= 3:
        return f"{m * 10.0**k:g}"
    return ("" if m == 1 else f"{m}·") + "10" + str(k).translate(_SUPERSCRIPT)


def log_ticks(lo: float, hi: float) -> list[list[tuple[float, str]]]:
    """Ticks of an axis that shows log10 values from ``lo`` to ``hi``.

    Powers of ten are labelled (every n-th one when there are many, so at most
    about six labels); with fewer than two in view, 2× and 5× are labelled
    too. Over a few decades the 2…9× between them are unlabelled minor ticks.
    """
    first, last = math.floor(lo), math.ceil(hi)
    decades = [k for k in range(first, last + 1) if lo <= k <= hi]
    every = max(1, math.ceil(len(decades) / 6))
    major = [(float(k), power_label(k, 1)) for k in decades if k % every == 0]
    between = [(k + math.log10(m), k, m) for k in range(first, last + 1) for m in range(2, 10)]
    between = [(v, k, m) for v, k, m in between if lo <= v <= hi]
    if len(decades) < 2:
        major += [(v, power_label(k, m)) for v, k, m in between if m in (2, 5)]
    minor = [(v, "") for v, _, _ in between] if len(decades) <= 6 else []
    return [sorted(major), minor]


def log_floor(values: np.ndarray, shown: np.ndarray) -> tuple[float, bool]:
    """Where a log axis stops, and whether no value is negative.

    ``values[:shown[r], r]`` are the points shown of runner r. The floor is a
    power of ten a decade below the smallest positive value, but never more than
    :data:`FLOOR_DECADES` decades below the median of the positive values: one
    runner landing on 10⁻²⁹ (or exactly on 0) must not squash every other curve
    into a line. It moves only between powers of ten; 1 when nothing is positive.
    Points below it are drawn on it and marked (see :meth:`LossPlot.show_state`).
    """
    rows = int(shown.max()) if len(shown) else 0
    block = values[:rows]
    inside = np.arange(rows)[:, None] < shown[None, :]
    with np.errstate(invalid="ignore"):
        positive = block[inside & (block > 0) & np.isfinite(block)]
        nonneg = not bool(np.any(block[inside] < 0))
    if not len(positive):
        return 1.0, nonneg
    below_least = np.floor(np.log10(positive.min())) - 1
    sample = positive[:: max(1, len(positive) // MEDIAN_SAMPLE)]  # the median's decade is enough
    below_median = np.floor(np.log10(median(sample))) - FLOOR_DECADES
    return 10.0 ** max(below_least, below_median), nonneg


class LossPlot(QWidget):
    """Two stacked plots sharing the step axis: loss (log y) and gradient norm (log y).

    The loss axis turns linear when a loss is negative (e.g. Styblinski-Tang).
    An exact zero (a runner that lands on the minimum), or a value many decades
    under the rest, is drawn on a floor (see :func:`log_floor`) and marked with a
    small triangle there, so it neither hides the other curves nor stretches the
    axis to 10⁻³⁰⁰. The step axis spans the race's planned steps, set once
    instead of auto-ranging every frame, which is what made naive loss plots the
    slowest part of a frame. Each runner has its own shade (see
    :func:`~gdstudio.ui.views.colors.shades`); hovering lists them at the step.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)
        self.loss_item = self.widget.addPlot(row=0, col=0, enableMenu=False)
        self.grad_item = self.widget.addPlot(row=1, col=0, enableMenu=False)
        self.grad_item.setXLink(self.loss_item)
        self.loss_item.setLabel("left", "loss")
        self.grad_item.setLabel("left", "‖∇f‖")
        self.grad_item.setLabel("bottom", "step")
        for item in (self.loss_item, self.grad_item):
            item.hideButtons()
            item.enableAutoRange(x=False, y=False)
        # Curves receive log10 values and the axes get their ticks from log_ticks:
        # pyqtgraph's log mode would re-transform every point of every curve on
        # every frame, and it labels every minor tick of a short range.
        for item in (self.loss_item, self.grad_item):
            item.getAxis("left").enableAutoSIPrefix(False)
            item.getAxis("left").setWidth(AXIS_WIDTH)  # same width: the step axes line up
        self.loss_log = True
        self.step_lines = [pg.InfiniteLine(angle=90, pen=pg.mkPen("#888888", style=pg.QtCore.Qt.PenStyle.DashLine))
                           for _ in range(2)]  # fmt: skip
        self.loss_item.addItem(self.step_lines[0])
        self.grad_item.addItem(self.step_lines[1])
        self.hover = pg.TextItem(anchor=(0, 0), color="#202020", fill=pg.mkBrush("#ffffffe0"))
        self.hover.setZValue(100)
        self.hover.hide()
        self.loss_item.addItem(self.hover, ignoreBounds=True)
        self.loss_curves: list[pg.PlotCurveItem] = []
        self.grad_curves: list[pg.PlotCurveItem] = []
        self.clipped = [pg.ScatterPlotItem(symbol=CLIPPED_SYMBOL, size=7, pen=None)
                        for _ in range(2)]  # fmt: skip
        """Per plot, the points below its floor, drawn on it in their runner's colour."""
        self.loss_item.addItem(self.clipped[0])
        self.grad_item.addItem(self.clipped[1])
        self._clipped_points: list[dict[int, tuple]] = [{}, {}]
        self.labels: list[str] = []
        self.colors: list[str] = []
        self.planned_steps = 0
        self._groups = ColourGroups([])
        self.shown_step: int | None = None
        self._x_max = 0
        self._state: tuple | None = None
        self._shown_cache: np.ndarray | None = None
        self._floors = (0.0, 0.0)
        self.widget.scene().sigMouseMoved.connect(self._on_mouse_move)

    def set_runners(self, colors: Sequence[str], labels: Sequence[str]) -> None:
        """The runners' loss and gradient-norm curves, one curve per colour in each plot."""
        self._groups = ColourGroups(colors)
        for item, curves in (
            (self.loss_item, self.loss_curves),
            (self.grad_item, self.grad_curves),
        ):
            for c in curves:
                item.removeItem(c)
            curves.clear()
            for color in self._groups.colors:
                curve = pg.PlotCurveItem(pen=pg.mkPen(color, width=1), connect="finite")
                item.addItem(curve)
                curves.append(curve)
        self.labels = list(labels)
        self.colors = list(colors)
        self._clipped_points = [{}, {}]
        self._shown_cache = None
        self._x_max = 0

    def show_gradient(self, on: bool) -> None:
        """Show the gradient norm's plot under the loss (a low strip has room for the loss alone)."""
        self.grad_item.setVisible(on)
        self.widget.ci.layout.setRowMaximumHeight(1, 1e6 if on else 0)
        if on:
            self.loss_item.getAxis("bottom").showLabel(False)
        else:
            self.loss_item.setLabel("bottom", "step")

    def set_planned_steps(self, steps: int) -> None:
        """The race's length: the step axis spans it (and grows when the race goes on)."""
        if steps != self.planned_steps:
            self.planned_steps = int(steps)
            self._x_max = 0

    def show_state(
        self,
        loss: np.ndarray,
        grad_norm: np.ndarray,
        counts: np.ndarray,
        status: np.ndarray,
        upto_step: int | None = None,
    ) -> None:
        """Curves up to the shown step; the step line marks where the views are."""
        self.shown_step = upto_step
        shown = shown_counts(counts, upto_step)
        if len(shown) != len(self.labels):
            return
        self._state = (loss, grad_norm, shown)
        longest = int(np.asarray(counts).max()) if len(counts) else 1
        loss_floor, loss_nonneg = log_floor(loss, shown)
        grad_floor, _ = log_floor(grad_norm, shown)
        relabel = loss_nonneg != self.loss_log
        if relabel:
            self.loss_log = loss_nonneg
            self._shown_cache = None
        if (loss_floor, grad_floor) != self._floors:  # zeros move: redraw every curve
            self._floors = (loss_floor, grad_floor)
            self._shown_cache = None
        with np.errstate(all="ignore"):
            for group in self._groups.of_runners(changed_runners(shown, self._shown_cache)):
                members = self._groups.members[group]
                steps = joined([np.arange(shown[r], dtype=np.float64) for r in members])
                f = joined([loss[: shown[r], r] for r in members])
                g = joined([grad_norm[: shown[r], r] for r in members])
                if self.loss_log:
                    self._note_clipped(0, group, steps, f, loss_floor)
                    f = np.log10(np.maximum(f, loss_floor))
                self.loss_curves[group].setData(steps, f)
                self._note_clipped(1, group, steps, g, grad_floor)
                self.grad_curves[group].setData(steps, np.log10(np.maximum(g, grad_floor)))
            self._show_clipped()
        self._shown_cache = shown.copy()
        self._fit_y(self.loss_item, self.loss_curves, self.loss_log, relabel)
        self._fit_y(self.grad_item, self.grad_curves, True, False)
        # The race's length (or beyond, once play goes on); once every runner has stopped
        # (converged, say, long before the last step), as far as the last one got.
        finished = len(status) and not np.any(np.asarray(status) == Status.RUNNING)
        reach = max(longest - 1 if finished else self.planned_steps, longest - 1, 1)
        if reach != self._x_max:
            self._x_max = reach
            self.loss_item.setXRange(0, reach, padding=0.02)
        step = upto_step if upto_step is not None else longest - 1
        for line in self.step_lines:
            line.setValue(step)

    def _note_clipped(self, plot: int, group: int, steps: np.ndarray, values: np.ndarray,
                      floor: float) -> None:  # fmt: skip
        """Remember where a group's curves drop below the plot's floor (zeros included): one
        mark where each stretch under it begins, the curve runs along the floor after it."""
        below = np.isfinite(values) & (values < floor)
        begins = below & ~np.concatenate([[False], below[:-1]])
        color = self._groups.colors[group]
        self._clipped_points[plot][group] = (steps[begins], np.log10(floor), color)

    def _show_clipped(self) -> None:
        for plot, scatter in enumerate(self.clipped):
            marks = [(x, np.full(len(x), y), c) for x, y, c in self._clipped_points[plot].values()
                     if len(x) and (plot == 1 or self.loss_log)]  # fmt: skip
            if not marks:
                if len(scatter.data):
                    scatter.setData(x=[], y=[])
                continue
            brushes = [pg.mkBrush(c) for x, _, c in marks for _ in range(len(x))]
            scatter.setData(x=np.concatenate([m[0] for m in marks]),
                            y=np.concatenate([m[1] for m in marks]), brush=brushes)  # fmt: skip

    @staticmethod
    def _fit_y(item: pg.PlotItem, curves: list[pg.PlotCurveItem], log: bool, force: bool) -> None:
        """Y range from the curves' data, changed only when the data leave it or shrink a lot.

        Re-ranging an axis re-lays out its ticks and text, which costs more than
        drawing the curves, so it must not happen on every frame. A log axis
        (curves of log10 values) spans at least :data:`LOG_MIN_SPAN` decades.
        """
        lows, highs = [], []
        for curve in curves:
            _, y = curve.getData()
            if y is not None and len(y):
                finite = y[np.isfinite(y)]
                if len(finite):
                    lows.append(finite.min())
                    highs.append(finite.max())
        if lows:
            lo, hi = min(lows), max(highs)
            if log and hi - lo < LOG_MIN_SPAN:
                mid = 0.5 * (lo + hi)
                lo, hi = mid - 0.5 * LOG_MIN_SPAN, mid + 0.5 * LOG_MIN_SPAN
            (cur_lo, cur_hi) = item.getViewBox().viewRange()[1]
            span = cur_hi - cur_lo
            if force or lo < cur_lo or hi > cur_hi or (hi - lo) < 0.5 * span:
                pad = 0.1 * (hi - lo) + 1e-9
                item.setYRange(lo - pad, hi + pad, padding=0)
                item.getAxis("left").setTicks(log_ticks(lo - pad, hi + pad) if log else None)

    def _on_mouse_move(self, scene_pos: QPointF) -> None:
        vb = self.loss_item.getViewBox()
        if self._state is None or not vb.sceneBoundingRect().contains(scene_pos):
            self.hover.hide()
            return
        p = vb.mapSceneToView(scene_pos)
        step = round(p.x())
        self.hover.setHtml(self.hover_text(step))
        self.hover.setPos(p)
        self.hover.show()

    def hover_text(self, step: int) -> str:
        """HTML listing the runners' loss and gradient norm at ``step``.

        At most :data:`HOVER_ROWS` runners, lowest loss first, so that a grid of
        starts does not cover the plot with a list.
        """
        loss, grad_norm, shown = self._state if self._state else (None, None, [])
        here = [r for r in range(len(self.labels)) if 0 <= step < shown[r]]
        here.sort(key=lambda r: loss[step, r])
        rows = [f"<b>step {step}</b>"]
        for r in here[:HOVER_ROWS]:
            swatch = f"<span style='color:{self.colors[r]}'>■</span> " if self.colors else ""
            rows.append(f"{swatch}{self.labels[r]}: f = {loss[step, r]:.4g}, "
                        f"‖∇f‖ = {grad_norm[step, r]:.3g}")  # fmt: skip
        if len(here) > HOVER_ROWS:
            rows.append(f"… and {len(here) - HOVER_ROWS} more")
        return "<br>".join(rows)
