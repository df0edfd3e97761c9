"""A progress bar and a Cancel button for a computation running in the background."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from gdstudio.ui.analysis_job import AnalysisJob


class JobProgress(QWidget):
    """Shown while a watched job runs: how far it has come, and a button to stop it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(minimum=0, maximum=1000, textVisible=True)
        self.bar.setFormat("%p%")
        self.cancel_button = QPushButton("Cancel", toolTip="Stop the computation")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self.job: AnalysisJob | None = None
        self.cancel_button.clicked.connect(self._cancel)
        self.hide()

    def watch(self, job: AnalysisJob) -> None:
        """Follow ``job`` until it finishes, fails or is cancelled."""
        self.job = job
        self.bar.setValue(0)
        self.show()
        job.progress.connect(lambda fraction: self._progress(job, fraction))
        for ended in (job.finished, job.failed, job.cancelled):
            ended.connect(lambda *_: self._ended(job))

    def _progress(self, job: AnalysisJob, fraction: float) -> None:
        if job is self.job:
            self.bar.setValue(round(fraction * 1000))

    def _ended(self, job: AnalysisJob) -> None:
        if job is self.job:
            self.job = None
            self.hide()

    def _cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
