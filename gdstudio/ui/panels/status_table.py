"""The runner legend: colour, label, status, loss and gradient norm per runner.

The dock is narrow, so cells stay short (the start point and the long status are
in the tooltips) and never wrap.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from gdstudio.engine.stop import Status
from gdstudio.ui.controller import RaceController
from gdstudio.ui.throttle import Throttle

COLUMNS = ("", "runner", "status", "loss", "‖∇f‖")
STATUS = 2
WIDEST = ("●●", "converged · 999", "1.234e+05", "1.23e+05")
"""The longest usual text of the colour, status, loss and gradient-norm columns."""
TABLE_INTERVAL_S = 0.1


def status_text(status: int, steps: int) -> str:
    """'running', 'converged at step k', 'diverged at step k' or 'stopped at step k'."""
    if status == Status.CONVERGED:
        return f"converged at step {steps}"
    if status == Status.DIVERGED:
        return f"diverged at step {steps + 1}"
    if status == Status.MAX_STEPS:
        return f"stopped at step {steps}"
    return "running"


def short_status(status: int, steps: int) -> str:
    """The status for a narrow cell: 'running', 'converged · k', 'diverged · k', 'stopped · k'."""
    text = status_text(status, steps)
    return text.replace(" at step ", " · ")


class StatusTable(QTableWidget):
    """One row per runner, updated as the race steps; a click selects the runner."""

    runner_selected = Signal(int)

    def __init__(self, controller: RaceController) -> None:
        super().__init__(0, len(COLUMNS))
        self._controller = controller
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # labels differ at their ends
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # Every other column has a fixed width, wide enough for its longest text: the
        # numbers change width every step, and a column sized to its contents would be
        # re-measured over all rows at each change (seconds per update with 100+ rows).
        metrics = self.fontMetrics()
        for col, widest in zip((0, *range(STATUS, len(COLUMNS))), WIDEST, strict=True):
            header.resizeSection(col, metrics.horizontalAdvance(widest) + 10)
        self.setToolTip("Every runner's state; click a row to follow it in the readout")
        self.itemSelectionChanged.connect(self._on_selection_change)
        # No runner of a new race is picked yet (nor the current row, which selection follows).
        controller.loaded.connect(lambda: self.selectionModel().clear())
        controller.runners_changed.connect(self._on_runners_change)
        self._throttled_step = Throttle(self._on_step, TABLE_INTERVAL_S, self)
        controller.stepped.connect(self._on_stepped)
        controller.playing_changed.connect(lambda _playing: self._throttled_step.flush())
        self._on_runners_change()

    def _on_stepped(self) -> None:
        # Live numbers at 10 Hz while playing; at once for a single step or a scrub.
        if self._controller.playing:
            self._throttled_step()
        else:
            self._on_step()

    def status_text(self, r: int) -> str:
        """The status of runner ``r`` in full, as its status cell's tooltip says it."""
        return self.item(r, STATUS).toolTip()

    def _on_runners_change(self) -> None:
        c = self._controller
        colors, labels = c.runner_colors(), c.runner_labels()
        starts = c.scenario.starts
        self.setRowCount(len(labels))
        for r, (color, label) in enumerate(zip(colors, labels, strict=True)):
            swatch = QTableWidgetItem("●")
            swatch.setForeground(QBrush(QColor(color)))
            self.setItem(r, 0, swatch)
            x, y = starts[c.runner_start(r)]
            name = QTableWidgetItem(label)
            name.setToolTip(f"{label}, starting at ({x:.4g}, {y:.4g})")
            self.setItem(r, 1, name)
            for col in range(STATUS, len(COLUMNS)):
                self.setItem(r, col, QTableWidgetItem(""))
        self._on_step()

    def _on_step(self) -> None:
        c = self._controller
        h = c.history()
        if self.rowCount() != h.n_runners:
            return
        shown = h.rows_at(c.shown_step)
        rows = np.arange(h.n_runners)
        loss = h.loss[shown, rows] if len(rows) else []
        gn = h.grad_norm[shown, rows] if len(rows) else []
        status, steps = h.status, h.steps_taken
        for r in rows.tolist():
            at_end = shown[r] >= h.counts[r] - 1
            text = status_text(int(status[r]), int(steps[r])) if at_end else "running"
            cell = self.item(r, STATUS)
            if cell.toolTip() != text:
                cell.setToolTip(text)
                cell.setText(short_status(int(status[r]), int(steps[r])) if at_end else text)
                diverged = at_end and status[r] == Status.DIVERGED
                cell.setForeground(QBrush(QColor("#b00020" if diverged else "#202020")))
                font = cell.font()
                font.setBold(bool(diverged))
                cell.setFont(font)
            for col, value in ((STATUS + 1, f"{loss[r]:.4g}"), (STATUS + 2, f"{gn[r]:.3g}")):
                item = self.item(r, col)
                if item.text() != value:
                    item.setText(value)

    def _on_selection_change(self) -> None:
        rows = self.selectionModel().selectedRows()
        if rows:
            self.runner_selected.emit(rows[0].row())

    def sizeHint(self):
        """Wide enough for the status text."""
        hint = super().sizeHint()
        hint.setWidth(560)
        return hint
