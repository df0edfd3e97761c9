"""Race → Sweep…: one optimizer at every setting of one or two hyperparameters, as a heatmap."""

from __future__ import annotations

import math

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gdstudio.engine.analysis_results import METRICS, Axis
from gdstudio.engine.errors import AnalysisError, GdstudioError
from gdstudio.ui.analysis_job import AnalysisJob
from gdstudio.ui.controller import RaceController
from gdstudio.ui.panels.inline_message import InlineMessage
from gdstudio.ui.panels.job_progress import JobProgress
from gdstudio.ui.views.analysis_figures import SweepFigure

MAX_COUNT = 128
DEFAULT_COUNT = 32
SECOND_AXES = ("momentum", "betas[0]", "alpha", "rho")
"""Hyperparameters a second axis starts on, when the optimizer has one: from 0 to 0.99."""


class AxisRow(QWidget):
    """One swept hyperparameter: its name, range, scale and number of values."""

    def __init__(self) -> None:
        super().__init__()
        self.name = QComboBox()
        self.low = QLineEdit(toolTip="First value")
        self.high = QLineEdit(toolTip="Last value")
        self.log = QCheckBox("log", toolTip="Values evenly spaced in log scale")
        self.count = QSpinBox(minimum=1, maximum=MAX_COUNT, value=DEFAULT_COUNT,
                              toolTip=f"How many values (at most {MAX_COUNT})")  # fmt: skip
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget, text in ((self.name, ""), (self.low, "from"), (self.high, "to")):
            if text:
                layout.addWidget(QLabel(text))
            layout.addWidget(widget)
        layout.addWidget(self.log)
        layout.addWidget(QLabel("values"))
        layout.addWidget(self.count)

    def set_range(self, names: list[str], name: str, low: float, high: float, log: bool) -> None:
        """Offer ``names`` and choose ``name`` from ``low`` to ``high``."""
        self.name.clear()
        self.name.addItems(names)
        self.name.setCurrentText(name)
        self.low.setText(f"{low:g}")
        self.high.setText(f"{high:g}")
        self.log.setChecked(log)

    def axis(self, which: str) -> Axis:
        """The axis the row describes; AnalysisError names a field that is not a number."""
        values = []
        for field, edit in (("from", self.low), ("to", self.high)):
            try:
                values.append(float(edit.text()))
            except ValueError:
                raise AnalysisError(f"{which} {field}: {edit.text()!r} is not a number") from None
        return Axis(self.name.currentText(), values[0], values[1], self.count.value(),
                    self.log.isChecked())  # fmt: skip


class SweepDialog(QDialog):
    """Pick an optimizer, one or two hyperparameters and a metric; see the heatmap.

    Clicking a cell adds the optimizer with that setting to the race.
    """

    def __init__(self, controller: RaceController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Hyperparameter Sweep")
        self.setModal(False)
        self.resize(900, 820)
        self._controller = controller
        self.optimizer = QComboBox()
        self.x_row = AxisRow()
        self.use_y = QCheckBox("and", toolTip="Sweep a second hyperparameter on the y axis")
        self.y_row = AxisRow()
        self.metric_box = QComboBox()
        for name, text in METRICS.items():
            self.metric_box.addItem(text, name)
        self.run_button = QPushButton("Run Sweep", default=True)
        self.progress = JobProgress()
        self.message = InlineMessage()
        self.figure = SweepFigure()
        self.figure.hide()
        form = QFormLayout()
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Sweep", self.x_row)
        y_line = QHBoxLayout()
        y_line.addWidget(self.use_y)
        y_line.addWidget(self.y_row, 1)
        form.addRow("", y_line)
        form.addRow("Metric", self.metric_box)
        run_line = QHBoxLayout()
        run_line.addWidget(self.run_button)
        run_line.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(run_line)
        layout.addWidget(self.message)
        layout.addWidget(QLabel("Every setting races from every start; click a cell to add "
                                "that optimizer to the race."))  # fmt: skip
        layout.addWidget(self.figure, 1)

        self.optimizer.currentIndexChanged.connect(self._choose_defaults)
        self.use_y.toggled.connect(self.y_row.setEnabled)
        self.run_button.clicked.connect(self.run)
        self.figure.cell_clicked.connect(self._add_setting)
        controller.scenario_changed.connect(self._refresh_optimizers)
        controller.analysis_started.connect(self._on_job)
        self._refresh_optimizers()

    def _refresh_optimizers(self) -> None:
        """Offer the scenario's optimizers, keeping the choice where it still exists."""
        labels = [o.display_label() for o in self._controller.scenario.optimizers]
        if labels == [self.optimizer.itemText(i) for i in range(self.optimizer.count())]:
            return
        chosen = self.optimizer.currentIndex()
        self.optimizer.blockSignals(True)
        self.optimizer.clear()
        self.optimizer.addItems(labels)
        self.optimizer.setCurrentIndex(min(max(chosen, 0), len(labels) - 1))
        self.optimizer.blockSignals(False)
        self._choose_defaults()

    def _choose_defaults(self) -> None:
        """The learning rate a decade either side of the optimizer's own on x; on y the
        momentum-like coefficient it has, from 0 to 0.99."""
        index = self.optimizer.currentIndex()
        if index < 0:
            return
        c = self._controller
        names = c.sweepable(index)
        lr = c.hyperparameter_value(index, "lr")
        lr = lr if lr > 0 else 1e-3
        self.x_row.set_range(names, "lr", lr / 10, lr * 10, log=True)
        second = next((n for n in SECOND_AXES if n in names), None)
        self.use_y.setChecked(second is not None)
        self.y_row.setEnabled(second is not None)
        others = [n for n in names if n != "lr"] or names
        self.y_row.set_range(others, second or others[0], 0.0, 0.99 if second else 1.0, log=False)

    def run(self) -> AnalysisJob | None:
        """Start the sweep the form describes; a bad field is shown, not raised."""
        self.message.clear()
        try:
            x = self.x_row.axis("x")
            y = self.y_row.axis("y") if self.use_y.isChecked() else None
            return self._controller.compute_sweep(self.optimizer.currentIndex(), x, y,
                                                  self.metric_box.currentData())  # fmt: skip
        except GdstudioError as exc:
            self.message.show_error(str(exc))
            return None

    def _on_job(self, job: AnalysisJob) -> None:
        """Follow a sweep from before it starts, so that even an instant failure is shown."""
        if job.kind != "sweep":
            return
        self.progress.watch(job)
        job.finished.connect(self._show)
        job.failed.connect(self.message.show_error)
        job.cancelled.connect(lambda: self.message.show_info("Sweep cancelled"))

    def _show(self, result) -> None:
        self.figure.set_result(result)
        self.figure.show()

    def _add_setting(self, x: float, y: float) -> None:
        try:
            self._controller.add_swept_optimizer(x, None if math.isnan(y) else y)
        except GdstudioError as exc:
            self.message.show_error(str(exc))
            return
        added = self._controller.scenario.optimizers[-1].display_label()
        self.message.show_info(f"Added {added} to the race")
