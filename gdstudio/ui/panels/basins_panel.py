"""The Basins panel: where every start ends up, one small map per enabled optimizer."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gdstudio.engine.errors import GdstudioError
from gdstudio.ui.analysis_job import AnalysisJob
from gdstudio.ui.controller import RaceController
from gdstudio.ui.panels.inline_message import InlineMessage
from gdstudio.ui.panels.job_progress import JobProgress
from gdstudio.ui.views.analysis_figures import BasinFigure

RESOLUTIONS = (64, 128, 256, 512)
DEFAULT_RESOLUTION = 256
HINT = ("Compute a basin map: every start of a dense grid over the map is raced by each "
        "optimizer; each pixel is coloured by the minimum it reaches. Click a pixel to add "
        "that start to the race.")  # fmt: skip


class BasinsPanel(QWidget):
    """Compute, watch and read basin maps; click a pixel to race from there.

    Signals: ``compute_requested(resolution)`` for a new map over the contour map's
    view; ``overlay_chosen(index)``, the optimizer whose basins colour the contour map.
    """

    compute_requested = Signal(int)
    overlay_chosen = Signal(int)

    def __init__(self, controller: RaceController) -> None:
        super().__init__()
        self._controller = controller
        self.resolution = QComboBox(toolTip="Starts along each side of the grid")
        for n in RESOLUTIONS:
            self.resolution.addItem(f"{n} × {n}", n)
        self.resolution.setCurrentIndex(RESOLUTIONS.index(DEFAULT_RESOLUTION))
        self.compute_button = QPushButton("Compute Basin Map",
                                          toolTip="Over the part of the surface the contour map shows")  # fmt: skip
        self.progress = JobProgress()
        self.overlay = QComboBox(toolTip="Whose basins colour the contour map (its Basins button)")
        self.message = InlineMessage()
        self.hint = QLabel(HINT, wordWrap=True)
        self.figure = BasinFigure()
        controls = QHBoxLayout()
        controls.addWidget(self.resolution)
        controls.addWidget(self.compute_button)
        controls.addWidget(self.progress, 1)
        controls.addWidget(QLabel("On the map:"))
        controls.addWidget(self.overlay)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        layout.addWidget(self.hint)
        layout.addWidget(self.figure, 1)

        self.compute_button.clicked.connect(
            lambda: self.compute_requested.emit(self.resolution.currentData())
        )
        self.overlay.currentIndexChanged.connect(
            lambda index: self.overlay_chosen.emit(max(index, 0))
        )
        self.figure.pixel_clicked.connect(self._add_start)
        controller.analysis_started.connect(self._on_job)
        controller.basins_changed.connect(self._on_result)
        self._on_result()

    def _on_job(self, job: AnalysisJob) -> None:
        if job.kind != "basins":
            return
        self.message.clear()
        self.progress.watch(job)
        job.failed.connect(self.message.show_error)
        job.cancelled.connect(lambda: self.message.show_info("Basin map cancelled"))

    def _on_result(self) -> None:
        result = self._controller.basin_map
        self.figure.set_result(result)
        self.hint.setVisible(result is None)
        self.figure.setVisible(result is not None)
        chosen = self.overlay.currentIndex()
        self.overlay.blockSignals(True)
        self.overlay.clear()
        for label in result.labels if result is not None else ():
            self.overlay.addItem(label)
        self.overlay.setCurrentIndex(min(max(chosen, 0), self.overlay.count() - 1))
        self.overlay.blockSignals(False)

    def _add_start(self, x: float, y: float) -> None:
        try:
            self._controller.add_start(x, y)
        except GdstudioError as exc:
            self.message.show_error(str(exc))
            return
        self.message.show_info(f"Added a start at ({x:.4g}, {y:.4g})")
