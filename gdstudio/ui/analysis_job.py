"""A basin map or a sweep computed in the background: progress, cancel, and the result.

The engine's analysis functions take a progress callback; an :class:`AnalysisJob`
runs one in a thread of its own and reports through Qt signals, which reach the
window's thread queued, so the window never waits for the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from gdstudio.engine.errors import GdstudioError
from gdstudio.engine.parallel import Cancelled

Compute = Callable[[Callable[[float], bool]], Any]
"""``compute(progress)``: the engine call; ``progress(fraction)`` returns False to stop."""


class AnalysisJob(QObject):
    """One computation in a background thread.

    Signals: ``progress(float)`` (0 to 1), then one of ``finished(result)``,
    ``failed(message)`` or ``cancelled()``.
    """

    progress = Signal(float)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, kind: str, compute: Compute, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        """'basins' or 'sweep'."""
        self._compute = compute
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"gdstudio-{kind}", daemon=True)
        self.result: Any = None

    def start(self) -> None:
        """Begin computing."""
        self._thread.start()

    def cancel(self) -> None:
        """Ask the computation to stop; ``cancelled`` follows shortly."""
        self._stop.set()

    @property
    def running(self) -> bool:
        """True until the computation has ended, however it ended."""
        return self._thread.is_alive()

    def wait(self, seconds: float | None = None) -> bool:
        """Block until the thread ends (tests and shutdown); True if it did."""
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def _report(self, fraction: float) -> bool:
        self.progress.emit(fraction)
        return not self._stop.is_set()

    def _run(self) -> None:
        try:
            result = self._compute(self._report)
        except Cancelled:
            self.cancelled.emit()
        except GdstudioError as exc:
            self.failed.emit(str(exc))
        except MemoryError:
            self.failed.emit("not enough memory: try a smaller grid")
        else:
            self.result = result
            self.finished.emit(result)
