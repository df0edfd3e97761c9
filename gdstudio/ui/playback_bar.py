"""Playback controls: play/pause, step, reset, speed, step counter and timeline."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gdstudio.ui.controller import RaceController


class ComputedBar(QWidget):
    """A thin bar filled as far as the race is computed.

    It repaints only when its filled width changes by a pixel: a styled progress
    bar redrawn on every step cost half a millisecond of each frame during play.
    """

    def __init__(self, toolTip: str = "") -> None:
        super().__init__(toolTip=toolTip)
        self.setFixedHeight(4)
        self._value, self._maximum = 0, 1

    def value(self) -> int:
        """Steps computed."""
        return self._value

    def maximum(self) -> int:
        """Steps planned."""
        return self._maximum

    def setMaximum(self, maximum: int) -> None:
        """Steps planned."""
        self._set(self._value, max(int(maximum), 1))

    def setValue(self, value: int) -> None:
        """Steps computed."""
        self._set(int(value), self._maximum)

    def _set(self, value: int, maximum: int) -> None:
        before = self._filled()
        self._value, self._maximum = value, maximum
        if self._filled() != before:
            self.update()

    def _filled(self) -> int:
        return round(self.width() * min(self._value, self._maximum) / self._maximum)

    def paintEvent(self, event) -> None:
        """The computed part in the palette's highlight colour over a light track."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#dcdcdc"))
        painter.fillRect(0, 0, self._filled(), self.height(), self.palette().highlight())
        painter.end()


class PlaybackBar(QWidget):
    """A row of transport controls bound to a :class:`RaceController`.

    The timeline spans the race's planned steps; the thin bar under it fills
    with the steps computed so far. Dragging the handle scrubs every view
    through the race (into the part not computed yet, too: it is computed).
    """

    def __init__(self, controller: RaceController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        style = self.style()
        self.play_button = QToolButton(toolTip="Play / pause (Space)")
        self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.step_button = QToolButton(toolTip="One step (Right arrow)")
        self.step_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.reset_button = QToolButton(toolTip="Reset every runner to its start (R)")
        self.reset_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipBackward))
        self.speed = QSpinBox(
            minimum=1, maximum=2000, value=int(controller.speed), suffix=" steps/s",
            toolTip="How many steps per second the race advances while playing",
        )  # fmt: skip
        self.timeline = QSlider(Qt.Orientation.Horizontal, toolTip="Scrub through the race")
        self.timeline.setMinimum(0)
        self.computed = ComputedBar(toolTip="Steps computed so far")
        self.counter = QLabel(toolTip="Shown step / the race's steps")
        self.counter.setMinimumWidth(120)
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for w in (self.play_button, self.step_button, self.reset_button):
            layout.addWidget(w)
        layout.addWidget(self.speed)
        track = QVBoxLayout()
        track.setSpacing(0)
        track.addWidget(self.timeline)
        track.addWidget(self.computed)
        layout.addLayout(track, 1)
        layout.addWidget(self.counter)

        self.play_button.clicked.connect(controller.toggle_play)
        self.step_button.clicked.connect(controller.step_once)
        self.reset_button.clicked.connect(controller.reset)
        self.speed.valueChanged.connect(controller.set_speed)
        self.timeline.valueChanged.connect(self._on_timeline_change)
        controller.stepped.connect(self._on_step_change)
        controller.playing_changed.connect(self._on_playing_change)
        controller.speed_changed.connect(self._on_speed_change)
        self._on_step_change()

    def _on_timeline_change(self, value: int) -> None:
        if value != self._controller.shown_step:
            self._controller.scrub(value)

    def _on_step_change(self) -> None:
        c = self._controller
        planned = max(c.planned_steps, c.computed_step)
        self.timeline.blockSignals(True)
        self.timeline.setMaximum(planned)
        self.timeline.setValue(c.shown_step)
        self.timeline.blockSignals(False)
        self.computed.setMaximum(max(planned, 1))
        self.computed.setValue(c.computed_step)
        self.counter.setText(f"step {c.shown_step} / {planned}")

    def _on_speed_change(self, speed: float) -> None:
        self.speed.blockSignals(True)
        self.speed.setValue(round(speed))
        self.speed.blockSignals(False)

    def _on_playing_change(self, playing: bool) -> None:
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(icon))
