"""One optimizer's learning-rate schedule: which one, its arguments, and the rate over the race.

Arguments torch requires (StepLR's ``step_size``, CosineAnnealingLR's ``T_max``,
ExponentialLR's ``gamma``) start at a value fitted to the race's step count, so
picking a schedule races at once; the plot under the form shows the rate every
step of the race uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from gdstudio.engine.catalog import SCHEDULES
from gdstudio.engine.grid import median
from gdstudio.ui.panels.exact import kept_keys
from gdstudio.ui.panels.hyperparam_form import Field, ParamForm

SUGGESTED: dict[str, Callable[[int], dict[str, Any]]] = {
    "step": lambda steps: {"step_size": max(1, steps // 4)},
    "exponential": lambda steps: {"gamma": float(f"{0.01 ** (1 / max(steps, 1)):.4g}")},
    "cosine": lambda steps: {"T_max": max(1, steps)},
}
"""Values for the arguments torch requires, from the race's step count: step decay four
times, exponential decay to 1 % and half a cosine over the race."""
LOG_RATIO = 5.0
"""A rate whose maximum is more than this many times its median is drawn on a log axis:
most of the race runs decades below the start (step and exponential decay), while
half a cosine or a warm-up reads better on a linear one."""


class ScheduleEditor(QWidget):
    """A schedule box, its argument form and a plot of the learning rate per step.

    ``committed`` when the user picks a schedule or finishes a valid edit of an
    argument; :meth:`schedule` then gives the new setting.
    """

    committed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps = 0
        self._shown: Mapping[str, Any] = {}
        """The optimizer's schedule setting as last shown (its keys are kept as given)."""
        self.combo = QComboBox(
            toolTip="Learning-rate schedule (torch.optim.lr_scheduler)",
            minimumContentsLength=12,
            sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon,
        )
        self.combo.addItem("none", None)
        for name, spec in SCHEDULES.items():
            self.combo.addItem(spec.title, name)
            self.combo.setItemData(self.combo.count() - 1, spec.description,
                                   Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        self.form = ParamForm()
        self.plot = pg.PlotWidget(background="w", enableMenu=False)
        self.plot.setMinimumHeight(110)
        self.plot.setMaximumHeight(140)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "lr")
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # "lr (x0.001)" misreads as the rate
        self.curve = self.plot.plot(pen=pg.mkPen("#0072b2", width=2))
        self.summary = QLabel(wordWrap=True)
        self.summary.setStyleSheet("color: #555;")

        row = QFormLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addRow("Schedule", self.combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.form)
        layout.addWidget(self.plot)
        layout.addWidget(self.summary)

        self.combo.currentIndexChanged.connect(self._on_pick)
        self.form.committed.connect(self.committed)

    def show_schedule(self, schedule: Mapping[str, Any] | None, steps: int) -> None:
        """Show an optimizer's schedule setting (None: no schedule) for a race of ``steps``."""
        self._steps = steps
        self._shown = schedule or {}
        name = (schedule or {}).get("name")
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(max(self.combo.findData(name), 0))
        self.combo.blockSignals(False)
        self._fill(name, {k: v for k, v in (schedule or {}).items() if k != "name"})

    def schedule(self) -> dict[str, Any] | None:
        """The schedule the box and form describe; ValueError naming a bad argument."""
        name = self.combo.currentData()
        if not name:
            return None
        defaults = {p.name: p.default for p in SCHEDULES[name].params if not p.required}
        given = self._shown if self._shown.get("name") == name else {}
        return {"name": name, **kept_keys(self.form.values(), given, defaults)}

    def show_rates(self, rates: npt.NDArray[np.float64]) -> None:
        """Plot the learning rate of each step, ``rates[k]`` for step k + 1."""
        steps = np.arange(1, len(rates) + 1)
        finite = rates[np.isfinite(rates)]
        log = bool(len(finite) and finite.min() > 0
                   and finite.max() > LOG_RATIO * median(finite))  # fmt: skip
        self.plot.setLogMode(y=log)
        self.curve.setData(steps, rates)
        if len(finite) and not log:  # from 0, so a constant rate is a flat line near the top
            self.plot.setYRange(0.0, max(float(finite.max()), 1e-12) * 1.1, padding=0)
        else:
            self.plot.enableAutoRange(axis="y")
        if len(finite):
            first, last = rates[0], rates[-1]
            self.summary.setText(f"Learning rate over the race's {len(rates)} steps: "
                                 f"{first:.3g} at step 1, {last:.3g} at step {len(rates)}")  # fmt: skip
        else:
            self.summary.setText("No steps to plot.")

    def _fill(self, name: str | None, values: Mapping[str, Any]) -> None:
        fields = [Field.of(p) for p in SCHEDULES[name].params] if name else []
        self.form.set_fields(fields, values)
        self.form.setVisible(bool(fields))

    def _on_pick(self) -> None:
        name = self.combo.currentData()
        suggested = SUGGESTED[name](self._steps) if name in SUGGESTED else {}
        self._fill(name, suggested)
        try:
            self.form.values()
        except ValueError as exc:  # a required argument with no suggestion: ask for it
            self.form.message.show_error(str(exc))
            return
        self.committed.emit()
