"""The global learning rate: a log-scale slider for the optimizers that follow it.

Only optimizers linked to it follow it (those added from the panel, and those
whose "Own learning rate" the user unticks); an optimizer with its own rate, as
every optimizer of a preset or an opened file has, never changes when the
slider moves. The label under the slider names the followers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QSlider, QWidget

from gdstudio.ui.throttle import Throttle

LR_MIN_EXP, LR_MAX_EXP, LR_TICKS = -5.0, 1.0, 600
APPLY_INTERVAL_S = 0.05
"""While the handle is dragged, the followers re-race at most this often (and on release)."""


class GlobalLearningRate(QWidget):
    """The slider, its value and who follows it.

    ``changed(lr)`` whenever the user moves the slider (mouse, wheel or keys),
    throttled while dragging; never when the program sets the value.
    """

    changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=LR_TICKS)
        self.slider.setToolTip("Learning rate of the optimizers that follow it (log scale)")
        self.slider.setSingleStep(10)  # an arrow key moves a tenth of a decade
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(60)
        self.users = QLabel(wordWrap=True)
        self.users.setStyleSheet("color: #555;")
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Global lr"), 0, 0)
        layout.addWidget(self.slider, 0, 1)
        layout.addWidget(self.value_label, 0, 2)
        layout.addWidget(self.users, 1, 0, 1, 3)
        self._throttle = Throttle(lambda: self.changed.emit(self.value()), APPLY_INTERVAL_S, self)
        self.slider.valueChanged.connect(self._on_move)
        self.slider.sliderReleased.connect(self._throttle.flush)
        self._show_value()

    def value(self) -> float:
        """The rate the slider shows, rounded to two significant digits."""
        exp = LR_MIN_EXP + (LR_MAX_EXP - LR_MIN_EXP) * self.slider.value() / LR_TICKS
        return float(f"{10**exp:.2g}")

    def set_value(self, lr: float) -> None:
        """Put the handle at ``lr`` without telling anyone (nothing re-races)."""
        exp = min(max(math.log10(lr), LR_MIN_EXP), LR_MAX_EXP)
        self.slider.blockSignals(True)
        self.slider.setValue(round((exp - LR_MIN_EXP) / (LR_MAX_EXP - LR_MIN_EXP) * LR_TICKS))
        self.slider.blockSignals(False)
        self._show_value()

    def show_users(self, labels: Sequence[str]) -> None:
        """Name the optimizers that follow the slider."""
        if labels:
            self.users.setText("Used by " + ", ".join(labels))
        else:
            self.users.setText(
                "Used by no optimizer: every one has its own rate. Untick “Own learning rate” "
                "in an optimizer's settings to link it here."
            )

    def _on_move(self) -> None:
        self._show_value()
        self._throttle()

    def _show_value(self) -> None:
        self.value_label.setText(f"{self.value():g}")
