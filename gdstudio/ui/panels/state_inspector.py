"""The state inspector: the selected runner's optimizer state over the steps.

One small plot per state tensor under torch.optim's state_dict names (both
coordinates: x solid, y dashed), the learning rate each step used, and Adam's
bias-correction factors, with a cursor at the shown step. Values on hover; an
axis turns logarithmic where positive values span decades. The history is
replayed by the controller only while this panel is visible.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gdstudio.ui.controller import RaceController
from gdstudio.ui.guard import guarded
from gdstudio.ui.throttle import Throttle

X_COLOR, Y_COLOR = "#0072b2", "#d55e00"
LOG_SPAN = 1e3
"""Positive values spanning more than this ratio get a log axis."""


def wants_log(values: np.ndarray) -> bool:
    """Whether values are all positive and span decades (then a log axis reads better)."""
    finite = values[np.isfinite(values)]
    return bool(len(finite) and finite.min() > 0 and finite.max() / finite.min() > LOG_SPAN)


class StateInspector(QWidget):
    """Plots of the selected runner's optimizer state, following the controller's step."""

    def __init__(self, controller: RaceController) -> None:
        super().__init__()
        self._controller = controller
        self.runner = 0
        self.title = QLabel(wordWrap=True)
        self.hover = QLabel(" ")
        self.hover.setStyleSheet("font-family: monospace;")
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.hover)
        self.series: dict[str, np.ndarray] = {}
        """What is plotted: name -> (K,) or (K, 2) values over steps 1..K."""
        self._cursors: list[pg.InfiniteLine] = []
        self._key: tuple | None = None
        self._shown_insight: object | None = None
        self._curves: list[list[pg.PlotDataItem]] = []
        self._throttled = Throttle(self.refresh, 0.2, self)
        controller.stepped.connect(self._throttled)
        controller.runners_changed.connect(self._throttled)
        self.plots.scene().sigMouseMoved.connect(self._on_mouse_move)

    def select_runner(self, r: int) -> None:
        """Inspect runner ``r``."""
        self.runner = r
        self.refresh()

    def showEvent(self, event) -> None:
        """Catch up on what happened while hidden."""
        super().showEvent(event)
        guarded(self.refresh)

    def refresh(self) -> None:
        """Rebuild the plots when the runner's history changed; else move the cursors.

        Nothing happens while the panel is not on screen (a closed dock, or a tab
        behind another): no replay of the runner costs frame time then.
        """
        if not self.isVisible() or self.visibleRegion().isEmpty():
            return
        c = self._controller
        if self.runner >= c.history().n_runners:
            self.runner = 0  # the runner followed is gone (a new race, an undo)
        insight = c.runner_insight(self.runner)
        if insight is None:
            self.title.setText("No runner to inspect: add a start point.")
            self.plots.clear()
            self.series, self._key, self._cursors, self._curves = {}, None, [], []
            self._shown_insight = None
            return
        if insight is not self._shown_insight:
            self._shown_insight = insight
            label = c.runner_labels()[self.runner]
            self.title.setText(f"<b>{label}</b> — {insight.optimizer}, {insight.steps} steps: "
                               "state after each step (torch.optim names); x solid, y dashed")  # fmt: skip
            state = {name: v for name, v in insight.state.items() if name != "step"}  # the x axis
            self.series = {**state, "lr": insight.lr, **insight.bias_correction}
            if not insight.steps:
                self.title.setText(f"<b>{label}</b> has not taken a step yet.")
                self.series = {}
            # The same runner a few steps on: new data in the same plots, no rebuild.
            key = (self.runner, tuple(self.series))
            if key == self._key:
                self._update_curves()
            else:
                self._key = key
                self._build()
        for line in self._cursors:
            line.setValue(max(c.shown_step, 1))

    def _update_curves(self) -> None:
        """Put the series' values into the curves ``_build`` made for them."""
        steps = np.arange(1, len(self.series.get("lr", [])) + 1)
        for values, curves in zip(self.series.values(), self._curves, strict=True):
            columns = values.reshape(len(values), -1)
            for col, curve in enumerate(curves):
                curve.setData(steps, columns[:, col])

    def _build(self) -> None:
        self.plots.clear()
        self._cursors, self._curves = [], []
        steps = np.arange(1, len(self.series.get("lr", [])) + 1)
        first = None
        for row, (name, values) in enumerate(self.series.items()):
            plot = self.plots.addPlot(row=row, col=0, enableMenu=False)
            plot.hideButtons()
            plot.setLabel("left", name)
            plot.getAxis("left").setWidth(70)
            plot.setMouseEnabled(x=True, y=False)
            plot.setLogMode(y=wants_log(np.asarray(values)))
            columns = values.reshape(len(values), -1)
            finite = columns[np.isfinite(columns)]
            if len(finite) and finite.min() == finite.max():  # a constant: centre it, no ±0 axis
                plot.setYRange(finite.min() - abs(finite.min()) * 0.5 - 1e-12,
                               finite.max() + abs(finite.max()) * 0.5 + 1e-12)  # fmt: skip
            curves: list[pg.PlotDataItem] = []
            self._curves.append(curves)
            for col, (color, style) in enumerate(
                [(X_COLOR, Qt.PenStyle.SolidLine), (Y_COLOR, Qt.PenStyle.DashLine)][
                    : columns.shape[1]
                ]
            ):
                curves.append(plot.plot(steps, columns[:, col],
                                        pen=pg.mkPen(color, width=1.6, style=style)))  # fmt: skip
            cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#444444", width=1))
            plot.addItem(cursor, ignoreBounds=True)
            self._cursors.append(cursor)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            plot.getAxis("bottom").setStyle(showValues=row == len(self.series) - 1)
        if first is not None:
            # The step axis follows the race as it goes on (a fixed range stayed at the
            # steps there were when the plots were built), until the user pans or zooms.
            first.enableAutoRange(x=True)

    def _on_mouse_move(self, pos) -> None:
        """Values of every series at the step under the mouse."""
        for item in self.plots.ci.items:
            if isinstance(item, pg.PlotItem) and item.sceneBoundingRect().contains(pos):
                step = round(item.vb.mapSceneToView(pos).x())
                self.hover.setText(self.values_at(step))
                return

    def values_at(self, step: int) -> str:
        """One line per series: its value(s) after ``step`` (1-based)."""
        if not self.series or not 1 <= step <= len(self.series["lr"]):
            return " "
        lines = [f"step {step}"]
        for name, values in self.series.items():
            v = np.atleast_1d(values[step - 1])
            lines.append(f"  {name}: " + ", ".join(f"{x:.6g}" for x in v))
        return "\n".join(lines)
