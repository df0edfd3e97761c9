"""The readout: position, value, gradient and status of the selected runner and the cursor."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from gdstudio.engine.stop import Status
from gdstudio.ui.controller import RaceController
from gdstudio.ui.panels.status_table import status_text
from gdstudio.ui.throttle import Throttle


def number(value: float) -> str:
    """``value`` as the seed article's readout shows it, two decimals (8.00), except
    where those would hide it: a tiny gradient reads 1.79e-06, not 0.00 or -0.00."""
    if value == 0 or 0.01 <= abs(value) < 1e6:
        return f"{value + 0.0:.2f}"  # + 0.0 turns -0.0 into 0.0
    return f"{value:.3g}"


def curvature_note(hessian: np.ndarray, grad_norm: float) -> str:
    """Eigenvalues of the Hessian and what they make of the point."""
    lo, hi = np.linalg.eigvalsh(hessian)
    flat = grad_norm < 1e-6
    if lo < 0 < hi:
        kind = "saddle point" if flat else "saddle-shaped (mixed curvature)"
    elif lo > 0:
        kind = "minimum" if flat else "curving up"
    elif hi < 0:
        kind = "maximum" if flat else "curving down"
    else:
        kind = "flat direction"
    return f"Hessian eigenvalues: ({lo:.3g}, {hi:.3g}) — {kind}"


class Readout(QWidget):
    """Two boxes of numbers, as in the seed article's interactive example."""

    def __init__(self, controller: RaceController) -> None:
        super().__init__()
        self._controller = controller
        self._runner: int | None = 0
        self.runner_box, self.runner_text = self._box("Selected runner")
        self.cursor_box, self.cursor_text = self._box("Under the cursor")
        layout = QVBoxLayout(self)
        layout.addWidget(self.runner_box)
        layout.addWidget(self.cursor_box)
        layout.addStretch(1)
        self._throttled_step = Throttle(self._on_step, 0.1, self)
        controller.stepped.connect(
            lambda: self._throttled_step() if controller.playing else self._on_step()
        )
        controller.playing_changed.connect(lambda _playing: self._throttled_step.flush())
        controller.runners_changed.connect(self._on_step)
        controller.loaded.connect(lambda: self.select_runner(0))  # a new race: its first runner
        self.clear_cursor()
        self._on_step()

    @staticmethod
    def _box(title: str) -> tuple[QGroupBox, QLabel]:
        box = QGroupBox(title)
        label = QLabel()
        label.setStyleSheet("font-family: monospace;")
        label.setWordWrap(True)
        QVBoxLayout(box).addWidget(label)
        return box, label

    def select_runner(self, r: int) -> None:
        """Follow runner ``r``."""
        self._runner = r
        self._on_step()

    def show_cursor(self, x: float, y: float) -> None:
        """Value, gradient and curvature of the surface at (x, y)."""
        point = self._controller.surface_at(x, y)
        g = point.gradient
        lines = [f"Position: ({x:.3f}, {y:.3f})", f"Value: {number(point.value)}",
                 f"Gradient: ({number(g[0])}, {number(g[1])})"]  # fmt: skip
        if np.all(np.isfinite(point.hessian)):
            lines.append(curvature_note(point.hessian, float(np.hypot(*g))))
        self.cursor_text.setText("\n".join(lines))

    def clear_cursor(self) -> None:
        """No cursor over the map."""
        self.cursor_text.setText("Move the mouse over the contour map.")

    def _on_step(self) -> None:
        c = self._controller
        h = c.history()
        if h.n_runners == 0:
            self.runner_text.setText(
                "No runner: click on the map to add a start point."
                if c.scenario.optimizers
                else "No runner: add an optimizer (Optimizers → Add ▾)."
            )
            return
        r = self._runner if self._runner is not None and self._runner < h.n_runners else 0
        k = int(h.rows_at(c.shown_step)[r])
        x, y = h.trajectory[k, r]
        g = c.gradient_at(x, y)
        at_end, status = k >= int(h.counts[r]) - 1, int(h.status[r])
        state = status_text(status, int(h.steps_taken[r])) if at_end else "running"
        label = c.runner_labels()[r]
        # A diverged runner's next point was not finite, so its last recorded step is
        # one before the step the status names.
        last = at_end and status == Status.DIVERGED
        self.runner_text.setText("\n".join([
            label, f"Step: {k}" + (" (its last finite point)" if last else ""),
            f"Position: ({x:.2f}, {y:.2f})",
            f"Value: {number(h.loss[k, r])}", f"Gradient: ({number(g[0])}, {number(g[1])})",
            f"Status: {state[0].upper() + state[1:]}",
        ]))  # fmt: skip
