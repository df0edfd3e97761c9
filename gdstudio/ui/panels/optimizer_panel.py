"""The race's optimizers: list, add/remove/enable, colours, labels, and their settings."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
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
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gdstudio.engine.catalog import OPTIMIZERS
from gdstudio.engine.errors import GdstudioError
from gdstudio.ui.controller import RaceController
from gdstudio.ui.keys import claim_keys
from gdstudio.ui.panels.exact import kept_keys
from gdstudio.ui.panels.global_lr import GlobalLearningRate
from gdstudio.ui.panels.hyperparam_form import Field, ParamForm
from gdstudio.ui.panels.inline_message import InlineMessage
from gdstudio.ui.panels.schedule_editor import ScheduleEditor

if TYPE_CHECKING:
    from gdstudio.engine.scenario import OptimizerConfig


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
        self._followers: set[int] = set()
        """Optimizers (by index) whose learning rate follows the global slider."""
        self._linking = False
        """True while the panel itself moves the followers' rates (they differ for a moment)."""

        self.global_lr = GlobalLearningRate()
        self.lr_slider = self.global_lr.slider

        self.list = QListWidget()
        self.list.setToolTip("Tick to race, double-click to rename, Delete to remove")
        claim_keys(self.list, Qt.Key.Key_Delete)
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
        self.override_lr = QCheckBox("Own learning rate (not the global one)")
        self.override_lr.setToolTip("Untick to have this optimizer follow the global lr slider")
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
        layout.addWidget(self.global_lr)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.settings_box, 3)

        self.global_lr.changed.connect(self._on_global_lr_change)
        self.list.currentRowChanged.connect(self._on_selection_change)
        self.list.itemChanged.connect(self._on_item_change)
        self.remove_button.clicked.connect(self.remove_selected)
        self.color_button.clicked.connect(self._choose_color)
        self.form.committed.connect(self._apply)
        self.schedule.committed.connect(self._apply)
        self.override_lr.toggled.connect(self._on_override_change)
        self.batch_size.editingFinished.connect(self._apply)
        self.list.installEventFilter(self)
        controller.loaded.connect(self._followers.clear)
        controller.scenario_changed.connect(self._on_scenario_change)
        controller.surface_changed.connect(self._on_scenario_change)
        self.global_lr.set_value(self._initial_lr())
        self._on_scenario_change()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Delete in the focused list removes the selected optimizer (see gdstudio.ui.keys)."""
        try:
            if (watched is self.list and event.type() == QEvent.Type.KeyPress
                    and event.key() == Qt.Key.Key_Delete):  # fmt: skip
                self.remove_selected()
                return True
        except Exception:  # an exception escaping a Qt override kills this PySide build
            return False
        return False

    # ------------------------------------------------------------------ list
    def _on_scenario_change(self) -> None:
        c = self._controller
        if not self._linking:
            self._reconcile_followers()
        self._show_followers()
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
            self._on_selection_change(-1)

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
            self._send(i, replace(config, label=label))

    def add_optimizer(self, name: str) -> None:
        """Add ``name`` with torch's defaults, following the global learning rate."""
        follows = name != "newton"
        given = {"lr": self.global_lr.value()} if follows else {}
        try:
            self._controller.add_optimizer_named(name, given)
        except GdstudioError as exc:
            self.message.show_error(str(exc))
            return
        if follows:
            self._followers.add(len(self._controller.scenario.optimizers) - 1)
        self.list.setCurrentRow(self.list.count() - 1)
        self._on_selection_change(self.list.currentRow())
        self._show_followers()

    def remove_selected(self) -> None:
        """Remove the selected optimizer."""
        i = self.list.currentRow()
        if i >= 0:
            self._followers = {j if j < i else j - 1 for j in self._followers if j != i}
            self._controller.remove_optimizer(i)

    def _choose_color(self) -> None:
        i = self.list.currentRow()
        if i < 0:
            return
        current = QColor(self._controller.optimizer_colors()[i])
        color = QColorDialog.getColor(current, self, "Optimizer colour")
        if color.isValid() and color != current:  # the palette's colour stays unpinned
            config = self._controller.scenario.optimizers[i]
            self._send(i, replace(config, color=color.name()))

    # ------------------------------------------------------------------ settings
    def _on_selection_change(self, i: int) -> None:
        c = self._controller
        if i < 0 or i >= len(c.scenario.optimizers):  # none to show: no old settings either
            self.settings_box.setEnabled(False)
            self.settings_box.setTitle("Settings")
            self.description.setText("Add an optimizer (Add ▾) to see its settings.")
            self.form.set_fields([], {})
            self.schedule.setVisible(False)
            return
        self.schedule.setVisible(True)
        self.settings_box.setEnabled(True)
        config = c.scenario.optimizers[i]
        spec = OPTIMIZERS[config.name]
        self.settings_box.setTitle(f"{spec.title} settings")
        self.description.setText(spec.description)
        for w in (self.override_lr, self.batch_size):
            w.blockSignals(True)
        self.override_lr.setChecked(i not in self._followers)
        self.override_lr.setEnabled(config.name != "newton")
        self.form.set_fields([Field.of(h) for h in spec.hyperparams], config.hyperparameters)
        self.schedule.show_schedule(config.schedule, c.planned_steps)
        self.schedule.show_rates(c.learning_rates(i))
        self.batch_size.setValue(config.batch_size or 0)
        self.batch_size.setEnabled(c.in_batch_mode)
        for w in (self.override_lr, self.batch_size):
            w.blockSignals(False)
        self.message.clear()

    def _on_override_change(self, own: bool) -> None:
        """Unticked: the optimizer follows the global rate from now on (and takes it at once)."""
        i = self.list.currentRow()
        if own:
            self._followers.discard(i)
            self._show_followers()
        else:
            self._followers.add(i)
            self._on_global_lr_change(self.global_lr.value())

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
        given = kept_keys(
            values, config.hyperparameters, {h.name: h.default for h in spec.hyperparams}
        )
        if given.get("lr") != config.hyperparameters.get("lr"):
            self._followers.discard(i)  # a rate typed for this optimizer is its own
        batch = self.batch_size.value() or None
        in_batch_mode = self._controller.in_batch_mode
        self._send(i, replace(config, hyperparameters=given, schedule=schedule,
                              batch_size=batch if in_batch_mode else None))  # fmt: skip

    def _send(self, i: int, config: OptimizerConfig) -> None:
        if config == self._controller.scenario.optimizers[i]:
            self.message.clear()
            return  # nothing changed: no re-race, no "modified" mark
        try:
            self._controller.update_optimizer(i, config)
        except GdstudioError as exc:
            self.message.show_error(str(exc))
            return
        self.message.clear()

    # ------------------------------------------------------------------ global learning rate
    def _initial_lr(self) -> float:
        lrs = [o.hyperparameters.get("lr") for o in self._controller.scenario.optimizers]
        return next((float(v) for v in lrs if v), 0.01)

    def set_global_lr(self, lr: float) -> None:
        """Move the slider to ``lr`` and apply it to the followers (as the user's drag does)."""
        self.global_lr.set_value(lr)
        self._on_global_lr_change(self.global_lr.value())

    def _on_global_lr_change(self, lr: float) -> None:
        """Give every follower the global rate; optimizers with their own rate keep theirs."""
        self._linking = True
        try:
            for i in sorted(self._followers):
                config = self._controller.scenario.optimizers[i]
                self._send(i, replace(config, hyperparameters={**config.hyperparameters, "lr": lr}))
        finally:
            self._linking = False
        self._on_scenario_change()

    def links(self) -> tuple[frozenset[int], float]:
        """Which optimizers follow the global rate, and the rate: for undo to keep with a step."""
        return frozenset(self._followers), self.global_lr.value()

    def restore_links(self, links: tuple[frozenset[int], float]) -> None:
        """Put back what :meth:`links` gave (after undo or redo), re-racing no one."""
        followers, lr = links
        self._followers = set(followers)
        self.global_lr.set_value(lr)
        self._on_scenario_change()

    def _reconcile_followers(self) -> None:
        """After an edit from elsewhere (undo), keep the followers that still share one rate.

        The slider moves to that rate, without re-racing anyone.
        """
        optimizers = self._controller.scenario.optimizers
        alive = [i for i in sorted(self._followers)
                 if i < len(optimizers) and optimizers[i].name != "newton"
                 and "lr" in optimizers[i].hyperparameters]  # fmt: skip
        if not alive:
            self._followers = set()
            return
        lr = optimizers[alive[0]].hyperparameters["lr"]
        self._followers = {i for i in alive if optimizers[i].hyperparameters["lr"] == lr}
        if lr != self.global_lr.value():
            self.global_lr.set_value(lr)

    def _show_followers(self) -> None:
        labels = self._controller.scenario.optimizers
        self.global_lr.show_users([labels[i].display_label() for i in sorted(self._followers)])
