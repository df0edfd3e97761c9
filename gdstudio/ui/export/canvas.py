"""Render a race to frames with the app's own views, then encode them.

The canvas builds the same :class:`~gdstudio.ui.race_views.RaceViews` the
window shows (its 3D view on an off-screen QOpenGLWidget), lays them out on a
canvas of the requested size that is never shown on screen, computes the race
once, and then scrubs through it. So a frame is what the app shows for the same
scenario and step. What stays still (the title and legend, the map under the
race, the colour bar) is drawn once; each frame copies it and draws over it
what moves: the race on the map (see :mod:`~gdstudio.ui.export.layers`), the
step counter, the loss strip and the 3D view. It is drawn again whenever the
map's view or the layout moves.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from gdstudio.export.encoders import write_frames
from gdstudio.export.errors import ExportError
from gdstudio.export.formats import format_of
from gdstudio.export.options import VIEWS, ExportOptions
from gdstudio.ui.controller import RaceController
from gdstudio.ui.export.layers import MapLayers
from gdstudio.ui.race_views import RaceViews

if TYPE_CHECKING:
    from gdstudio.engine.scenario import Scenario


def _unbroken(text: str) -> str:
    """``text`` as HTML that does not wrap."""
    return html.escape(text).replace(" ", "&nbsp;")


def legend_html(controller: RaceController, optimizers: bool = True) -> str:
    """The race's title, then (with ``optimizers``) each optimizer's colour, label and the
    hyperparameters the user set."""
    title = controller.scenario.title or controller.surface_name
    if not optimizers:
        return f"<b>{html.escape(title)}</b>"
    parts = []
    for config, color, on in zip(controller.scenario.optimizers, controller.optimizer_colors(),
                                 controller.enabled, strict=True):  # fmt: skip
        if not on:
            continue
        given = ", ".join(f"{k}={v}" for k, v in config.hyperparameters.items())
        # An entry never breaks across lines (its label from its values); entries may.
        entry = f"<span style='color:{color}'>■</span>&nbsp;{_unbroken(config.display_label())}"
        if given:
            entry += f"&nbsp;<span style='color:#666'>({_unbroken(given)})</span>"
        parts.append(entry)
    return f"<b>{html.escape(title)}</b>&nbsp;&nbsp; " + "&nbsp;&nbsp; ".join(parts)


HEADER_FONT_PX = 13
LOSS_STRIP_SHARE, LOSS_STRIP_MIN_PX = 0.24, 110
"""The loss strip's share of a frame's height, and its least height (its labels stay legible)."""
BOTH_PLOTS_PX = 190
"""A loss strip this tall holds the gradient norm's plot under the loss; a lower one the loss alone."""


def loss_strip_height(frame_height: int) -> int:
    """Pixels of the loss strip in a frame this tall (never more than 40 % of it)."""
    least = min(LOSS_STRIP_MIN_PX, round(0.4 * frame_height))
    return max(least, round(LOSS_STRIP_SHARE * frame_height))


class ExportCanvas(QWidget):
    """The views of one race laid out at a fixed size, rendered without being shown."""

    def __init__(self, scenario: Scenario, options: ExportOptions) -> None:
        super().__init__()
        if options.view not in VIEWS:
            raise ExportError(f"unknown view {options.view!r}; use {', '.join(VIEWS)}")
        self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.options = options
        self._last_step = 0
        self.controller = RaceController(scenario)
        self.views = RaceViews(self.controller, self, offscreen=True)
        # The update anatomy belongs to the runner picked in the window, and in a frame its
        # legend would cover the map: frames show the race.
        self.views.set_anatomy_shown(False)
        self.views.contour.basins_button.hide()  # a control, not part of the picture
        # Views left out of the frame need not follow the race.
        self.views.set_followers(options.view != "contour", options.view != "3d", options.with_loss)
        self.map_layers = MapLayers(self.views.contour)
        self._still: np.ndarray | None = None
        self._still_key: tuple = ()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QHBoxLayout()
        self.legend = QLabel(legend_html(self.controller, options.legend), wordWrap=True)
        self.step_counter = QLabel("step 0 / 0", objectName="stepCounter")
        self.step_counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        for label in (self.legend, self.step_counter):
            label.setStyleSheet(
                f"background: white; font-size: {HEADER_FONT_PX}px; padding: 1px 4px;"
            )
        self.step_counter.setStyleSheet(self.step_counter.styleSheet() + "font-weight: bold;")
        header.addWidget(self.legend, 1)
        header.addWidget(self.step_counter)
        layout.addLayout(header)
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
        layout.addLayout(row, 1)
        layout.addWidget(self.views.colour_bar)
        if options.with_loss:
            strip = loss_strip_height(options.size[1])
            self.views.loss_plot.setFixedHeight(strip)
            self.views.loss_plot.show_gradient(strip >= BOTH_PLOTS_PX)
            layout.addWidget(self.views.loss_plot)
        self.setStyleSheet("background: white;")
        self.setFixedSize(*options.size)  # the frame's size, even if a view must give way
        for view in self.findChildren(QGraphicsView):
            # Never on screen: a view is painted when a frame draws it, not again whenever
            # its scene changes and events are processed (the export dialog's progress bar).
            view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.NoViewportUpdate)
        self.show()
        QApplication.processEvents()

    def run_race(self, steps: int) -> int:
        """Compute the race up to ``steps``; returns the furthest step reached."""
        self._last_step = self.controller.run_to(steps)
        # As wide as its widest text (padding included), so every frame's layout is the same.
        self.step_counter.setText(f"step {self._last_step} / {self._last_step}")
        self.step_counter.setMinimumWidth(self.step_counter.sizeHint().width())
        return self._last_step

    def frame(self, step: int, azimuth: float | None = None, whole: bool = False) -> np.ndarray:
        """The canvas at race step ``step`` as an (H, W, 4) array of B, G, R, 255
        (see :data:`~gdstudio.export.formats.base.Frames`): the still parts copied, the
        moving ones drawn over them; with ``whole``, every part drawn (the same pixels)."""
        self.controller.scrub(step)
        self.step_counter.setText(f"step {self.controller.shown_step} / {self._last_step}")
        self.layout().activate()  # the counter's width follows its text before the drawing
        if azimuth is not None:
            self.views.surface3d.gl_view.setCameraPosition(azimuth=azimuth)
        self.views.settle()
        if whole:
            return self._draw(self._blank())
        key = self._layout_key()
        if self._still is None or key != self._still_key:
            with self.map_layers.race_hidden():
                self._still, self._still_key = self._draw(self._blank()), key
        frame = self._still.copy()
        with _painter(frame) as painter:
            if self.views.contour.isVisible():
                self.map_layers.paint_moving(painter, self)
            for widget in (self.step_counter, self.views.loss_plot):
                if widget.isVisible():
                    widget.render(painter, widget.mapTo(self, QPoint(0, 0)))
            self._paint_3d(painter)
        return frame

    def _layout_key(self) -> tuple:
        """What the still layer depends on: the map's view and every part's place."""
        (x0, x1), (y0, y1) = self.views.contour.visible_domain()
        places = tuple(w.geometry().getRect() for w in self.findChildren(QWidget) if w.isVisible())
        return (x0, x1, y0, y1, places)

    def _blank(self) -> np.ndarray:
        """A white frame: B, G, R, 255 (RGB32 keeps its fourth byte 255 where it paints)."""
        w, h = self.options.size
        return np.full((h, w, 4), 255, np.uint8)

    def _draw(self, frame: np.ndarray) -> np.ndarray:
        """Draw the whole canvas into ``frame``."""
        with _painter(frame) as painter:
            self.render(painter, QPoint(0, 0))
            self._paint_3d(painter)
        return frame

    def _paint_3d(self, painter: QPainter) -> None:
        gl_view = self.views.surface3d.gl_view
        if gl_view.isVisible():
            # Rendering composes the GL view without what it paints with a QPainter
            # (the axes' labels): draw its own framebuffer over it.
            painter.drawImage(gl_view.mapTo(self, QPoint(0, 0)), gl_view.grabFramebuffer())


@contextmanager
def _painter(frame: np.ndarray) -> Iterator[QPainter]:
    """A QPainter on an (H, W, 4) uint8 array: a QImage in Qt's RGB32 sharing its memory."""
    h, w = frame.shape[:2]
    image = QImage(frame.data, w, h, 4 * w, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        yield painter
    finally:
        painter.end()


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
