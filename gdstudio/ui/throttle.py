"""Call a slot at most a few times a second, always ending on the latest state.

A table of numbers or a plot's axes redrawn 60 times a second cost frame time
that nobody can read; the race's trails keep the full rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Wraps ``fn``: calls pass through at most every ``interval_s``; the last is never lost."""

    def __init__(self, fn: Callable[[], None], interval_s: float, parent: QObject | None = None):
        super().__init__(parent)
        self._fn = fn
        self._interval = interval_s
        self._last = 0.0
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._fire)

    def __call__(self, *_args: object) -> None:
        """Request a call; it happens now or when the interval has passed."""
        wait = self._interval - (time.perf_counter() - self._last)
        if wait <= 0:
            self._fire()
        elif not self._timer.isActive():
            self._timer.start(max(1, int(wait * 1000)))

    def _fire(self) -> None:
        self._timer.stop()
        self._last = time.perf_counter()
        self._fn()

    def flush(self) -> None:
        """Call now if a call is pending."""
        if self._timer.isActive():
            self._fire()
