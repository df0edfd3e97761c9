"""Render a race to frames with the app's own views, then encode them.

The canvas builds the same :class:`~gdstudio.ui.race_views.RaceViews` the
window shows (its 3D view on an off-screen QOpenGLWidget), lays them out on a
canvas of the requested size that is never shown on screen, computes the race
once, and then scrubs through it: one ``QWidget.grab`` per frame. So a frame is
exactly what the app shows for the same scenario and step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gdstudio.export.encoders import write_frames
from gdstudio.export.errors import ExportError
from gdstudio.export.formats import format_of
from gdstudio.export.options import VIEWS, ExportOptions
from gdstudio.ui.controller import RaceController
from gdstudio.ui.race_views import RaceViews

if TYPE_CHECKING:
    from gdstudio.engine.scenario import Scenario


def legend_html(controller: RaceController) -> str:
    """Each optimizer's colour, label and the hyperparameters the user set."""
    parts = []
    for config, color, on in zip(controller.scenario.optimizers, controller.optimizer_colors(),
                                 controller.enabled, strict=True):  # fmt: skip
        if not on:
            continue
        given = ", ".join(f"{k}={v}" for k, v in config.hyperparameters.items())
        parts.append(f"<span style='color:{color}'>■</span> {config.display_label()}"
                     + (f" <span style='color:#666'>({given})</span>" if given else ""))  # fmt: skip
    title = controller.scenario.title or controller.surface_name
    return f"<b>{title}</b>&nbsp;&nbsp; " + "&nbsp;&nbsp; ".join(parts)


class ExportCanvas(QWidget):
    """The views of one race laid out at a fixed size, rendered without being shown."""

    def __init__(self, scenario: Scenario, options: ExportOptions) -> None:
        super().__init__()
        if options.view not in VIEWS:
            raise ExportError(f"unknown view {options.view!r}; use {', '.join(VIEWS)}")
        self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.options = options
        self.controller = RaceController(scenario)
        self.views = RaceViews(self.controller, self, offscreen=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        if options.legend:
            self.legend = QLabel(legend_html(self.controller), wordWrap=True)
            self.legend.setStyleSheet("background: white; font-size: 12px;")
            layout.addWidget(self.legend)
        row = QHBoxLayout()
        row.setSpacing(0)
        if options.view in ("3d", "both"):
            row.addWidget(self.views.surface3d, 1)
        else:
            self.views.surface3d.setParent(None)
        if options.view in ("contour", "both"):
            row.addWidget(self.views.contour, 1)
        else:
            self.views.contour.setParent(None)
        layout.addLayout(row, 3)
        if options.with_loss:
            layout.addWidget(self.views.loss_plot, 1)
        self.setStyleSheet("background: white;")
        self.resize(*options.size)
        self.show()
        QApplication.processEvents()

    def run_race(self, steps: int) -> int:
        """Compute the race up to ``steps``; returns the furthest step reached."""
        return self.controller.run_to(steps)

    def frame(self, step: int, azimuth: float | None = None) -> np.ndarray:
        """The canvas at race step ``step`` as an (H, W, 3) uint8 array."""
        self.controller.scrub(step)
        if azimuth is not None:
            self.views.surface3d.gl_view.setCameraPosition(azimuth=azimuth)
        return qimage_to_rgb(self.grab().toImage())


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """A QImage as an (H, W, 3) uint8 array (copied)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = rgb.width(), rgb.height()
    buf = np.frombuffer(rgb.constBits(), np.uint8).reshape(h, rgb.bytesPerLine())
    return buf[:, : w * 3].reshape(h, w, 3).copy()


def render_frames(canvas: ExportCanvas, steps: list[int]) -> Iterator[np.ndarray]:
    """Frames for the given race steps, orbiting the camera if asked."""
    opts = canvas.options
    start = canvas.views.surface3d.gl_view.opts["azimuth"]
    for i, step in enumerate(steps):
        azimuth = None
        if opts.orbit_degrees and opts.view != "contour":
            azimuth = start + opts.orbit_degrees * i / max(len(steps) - 1, 1)
        yield canvas.frame(step, azimuth)


def export_scenario(
    scenario: Scenario,
    output: Path,
    options: ExportOptions,
    progress: Callable[[int, int], bool] | None = None,
) -> int:
    """Render and encode ``scenario`` to ``output`` (any format's suffix); returns frames written.

    A still (PNG) is the single frame at the last step. ``progress(done, total)``
    returning False cancels; nothing is left at ``output`` then. ExportError,
    before anything is computed, when the animation would be more frames than
    :meth:`ExportOptions.check_budget` allows.
    """
    fmt = format_of(output)
    steps = options.steps if options.steps is not None else scenario.steps
    if fmt.animated:
        options.check_budget(steps)
    canvas = ExportCanvas(scenario, options)
    try:
        last = canvas.run_race(steps)
        steps = options.frame_steps(last) if fmt.animated else [last]
        total = len(steps)
        tick = (lambda done: progress(done, total)) if progress else None
        return write_frames(output, render_frames(canvas, steps), options.fps, tick)
    finally:
        canvas.close()
        canvas.deleteLater()
