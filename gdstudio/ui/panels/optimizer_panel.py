"""The race's optimizers: list, add/remove/enable, colours, labels, and their settings."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gdstudio.engine.errors import GdstudioError
from gdstudio.engine.optimizers import OPTIMIZERS
from gdstudio.engine.scenario import OptimizerConfig
from gdstudio.ui.controller import RaceController
from gdstudio.ui.panels.hyperparam_form import Field, ParamForm
from gdstudio.ui.panels.inline_message import InlineMessage
from gdstudio.ui.panels.schedule_editor import ScheduleEditor

LR_MIN_EXP, LR_MAX_EXP, LR_TICKS = -5.0, 1.0, 600


def swatch(color: str) -> QIcon:
    """A small square icon of ``color``."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class OptimizerPanel(QWidget):
    """Lists the optimizers and edits the selected one; every edit goes through the controller."""

    def __init__(self, controller: RaceController) -> None:
        super().__init__()
        self._controller = controller
        self._overrides: set[int] = set()

        self.lr_slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=LR_TICKS)
        self.lr_slider.setToolTip("Learning rate of every optimizer without its own (log scale)")
        self.lr_label = QLabel()
        self.lr_label.setMinimumWidth(70)
        lr_row = QHBoxLayout()
        lr_row.addWidget(QLabel("Global lr"))
        lr_row.addWidget(self.lr_slider, 1)
        lr_row.addWidget(self.lr_label)

        self.list = QListWidget()
        self.list.setToolTip("Tick to race, double-click to rename, Delete to remove")
        self.add_button = QToolButton(text="Add", toolTip="Add an optimizer")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        menu.setToolTipsVisible(True)
        for name, spec in OPTIMIZERS.items():
            action = menu.addAction(spec.title)
            action.setToolTip(spec.description)
            action.setObjectName(f"add-{name}")
            action.triggered.connect(lambda _=False, n=name: self.add_optimizer(n))
        self.add_button.setMenu(menu)
        self.add_menu = menu
        self.remove_button = QPushButton("Remove", toolTip="Remove the selected optimizer (Delete)")
        self.color_button = QPushButton("Colour…", toolTip="Choose the selected optimizer's colour")
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.color_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.settings_box = QGroupBox("Settings")
        self.description = QLabel(wordWrap=True)
        self.description.setStyleSheet("color: #555;")
        self.override_lr = QCheckBox("Own learning rate (ignore the global one)")
        self.form = ParamForm()
        self.schedule = ScheduleEditor()
        self.batch_size = QSpinBox(minimum=0, maximum=100_000, specialValueText="race's")
        self.batch_size.setToolTip("Batch mode: this optimizer's own batch size (0: the race's)")
        self.message = InlineMessage()
        box = QVBoxLayout(self.settings_box)
        box.addWidget(self.description)
        box.addWidget(self.override_lr)
        box.addWidget(self.form)
        batch = QFormLayout()
        batch.addRow("Batch size", self.batch_size)
        box.addLayout(batch)
        box.addWidget(self.schedule)
        box.addWidget(self.message)
        box.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addLayout(lr_row)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.settings_box, 3)

        self.lr_slider.sliderReleased.connect(self._on_global_lr_change)
        self.lr_slider.valueChanged.connect(self._show_lr_label)
        self.list.currentRowChanged.connect(self._on_selection_change)
        self.list.itemChanged.connect(self._on_item_change)
        self.remove_button.clicked.connect(self.remove_selected)
        self.color_button.clicked.connect(self._choose_color)
        self.form.committed.connect(self._apply)
        self.schedule.committed.connect(self._apply)
        self.override_lr.toggled.connect(self._on_override_change)
        self.batch_size.editingFinished.connect(self._apply)
        QShortcut(QKeySequence.StandardKey.Delete, self.list, self.remove_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)  # fmt: skip
        controller.scenario_changed.connect(self._on_scenario_change)
        controller.surface_changed.connect(self._on_scenario_change)
        self._set_slider(self._initial_lr())
        self._on_scenario_change()

    # ------------------------------------------------------------------ list
    def _on_scenario_change(self) -> None:
        c = self._controller
        row = max(self.list.currentRow(), 0)
        self.list.blockSignals(True)
        self.list.clear()
        for config, color, on in zip(c.scenario.optimizers, c.optimizer_colors(), c.enabled,
                                     strict=True):  # fmt: skip
            item = QListWidgetItem(swatch(color), config.display_label())
            item.setFlags(
                item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable
            )
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            item.setToolTip(OPTIMIZERS[config.name].description)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if self.list.count():
            self.list.setCurrentRow(min(row, self.list.count() - 1))
            self._on_selection_change(self.list.currentRow())
        else:
            self.settings_box.setEnabled(False)

    def _on_item_change(self, item: QListWidgetItem) -> None:
        i = self.list.row(item)
        c = self._controller
        enabled = item.checkState() == Qt.CheckState.Checked
        if enabled != c.enabled[i]:
            c.set_enabled(i, enabled)
            return
        label = item.text().strip()
        config = c.scenario.optimizers[i]
        if label and label != config.display_label():
            self._send(i, OptimizerConfig(config.name, config.hyperparameters, label, config.color,
                                          config.schedule, config.batch_size))  # fmt: skip

    def add_optimizer(self, name: str) -> None:
        """Add ``name`` with torch's defaults (and the global learning rate)."""
        config = OptimizerConfig(name, {"lr": self.global_lr()} if name != "newton" else {})
        try:
            self._controller.add_optimizer(config)
        except GdstudioError as exc:
            self.message.show_error(str(exc))
            return
        self.list.setCurrentRow(self.list.count() - 1)

    def remove_selected(self) -> None:
        """Remove the selected optimizer."""
        i = self.list.currentRow()
        if i >= 0:
            self._overrides = {j if j < i else j - 1 for j in self._overrides if j != i}
            self._controller.remove_optimizer(i)

    def _choose_color(self) -> None:
        i = self.list.currentRow()
        if i < 0:
            return
        current = QColor(self._controller.optimizer_colors()[i])
        color = QColorDialog.getColor(current, self, "Optimizer colour")
        if color.isValid():
            config = self._controller.scenario.optimizers[i]
            self._send(i, OptimizerConfig(config.name, config.hyperparameters, config.label,
                                          color.name(), config.schedule, config.batch_size))  # fmt: skip

    # ------------------------------------------------------------------ settings
    def _on_selection_change(self, i: int) -> None:
        c = self._controller
        if i < 0 or i >= len(c.scenario.optimizers):
            self.settings_box.setEnabled(False)
            return
        self.settings_box.setEnabled(True)
        config = c.scenario.optimizers[i]
        spec = OPTIMIZERS[config.name]
        self.settings_box.setTitle(f"{spec.title} settings")
        self.description.setText(spec.description)
        for w in (self.override_lr, self.batch_size):
            w.blockSignals(True)
        self.override_lr.setChecked(i in self._overrides)
        self.form.set_fields([Field.of(h) for h in spec.hyperparams], config.hyperparameters)
        self.schedule.show_schedule(config.schedule, c.planned_steps)
        self.schedule.show_rates(c.learning_rates(i))
        self.batch_size.setValue(config.batch_size or 0)
        self.batch_size.setEnabled(c.objective.n_samples is not None)
        for w in (self.override_lr, self.batch_size):
            w.blockSignals(False)
        self.message.clear()

    def _on_override_change(self, on: bool) -> None:
        i = self.list.currentRow()
        if on:
            self._overrides.add(i)
        else:
            self._overrides.discard(i)
            self.form.edit("lr").setText(f"{self.global_lr():g}")
            self._apply()

    def _apply(self) -> None:
        """Send the form's values for the selected optimizer to the controller."""
        i = self.list.currentRow()
        if i < 0:
            return
        try:
            values = self.form.values()
            schedule = self.schedule.schedule()
        except ValueError as exc:
            self.message.show_error(str(exc))
            return
        config = self._controller.scenario.optimizers[i]
        spec = OPTIMIZERS[config.name]
        given = {h.name: values[h.name] for h in spec.hyperparams if values[h.name] != h.default}
        if "lr" in given and "lr" in values and not math.isclose(values["lr"], self.global_lr()):
            self._overrides.add(i)
        batch = self.batch_size.value() or None
        self._send(i, OptimizerConfig(config.name, given, config.label, config.color, schedule,
                                      batch if self._controller.objective.n_samples else None))  # fmt: skip

    def _send(self, i: int, config: OptimizerConfig) -> None:
        try:
            self._controller.update_optimizer(i, config)
        except GdstudioError as exc:
            self.message.show_error(str(exc))
            return
        self.message.clear()

    # ------------------------------------------------------------------ global learning rate
    def global_lr(self) -> float:
        """The global learning rate shown by the slider."""
        exp = LR_MIN_EXP + (LR_MAX_EXP - LR_MIN_EXP) * self.lr_slider.value() / LR_TICKS
        return float(f"{10**exp:.2g}")

    def _initial_lr(self) -> float:
        lrs = [o.hyperparameters.get("lr") for o in self._controller.scenario.optimizers]
        return next((float(v) for v in lrs if v), 0.01)

    def _set_slider(self, lr: float) -> None:
        exp = min(max(math.log10(lr), LR_MIN_EXP), LR_MAX_EXP)
        self.lr_slider.setValue(round((exp - LR_MIN_EXP) / (LR_MAX_EXP - LR_MIN_EXP) * LR_TICKS))
        self._show_lr_label()

    def set_global_lr(self, lr: float) -> None:
        """Move the slider to ``lr`` and apply it (as releasing the slider does)."""
        self._set_slider(lr)
        self._on_global_lr_change()

    def _show_lr_label(self) -> None:
        self.lr_label.setText(f"{self.global_lr():g}")

    def _on_global_lr_change(self) -> None:
        lr = self.global_lr()
        c = self._controller
        for i, config in enumerate(c.scenario.optimizers):
            if i in self._overrides or config.name == "newton":
                continue
            given: dict[str, Any] = {**config.hyperparameters, "lr": lr}
            self._send(i, OptimizerConfig(config.name, given, config.label, config.color,
                                          config.schedule, config.batch_size))  # fmt: skip
        self._on_selection_change(self.list.currentRow())
