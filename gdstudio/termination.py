"""SIGTERM and SIGHUP as an exception, so a command killed politely cleans up.

Within :func:`signals_unwind`, those signals raise :class:`Terminated` like
Ctrl-C raises KeyboardInterrupt, and ``finally`` blocks remove temporary files.
Qt swallows an exception raised inside one of its callbacks (it hands it to
``sys.excepthook`` and goes on), so the signal is also remembered, the hook
keeps quiet about it, and loops that call into Qt ask :func:`check_terminated`
between steps.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_received: list[int] = []


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def signals_unwind() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, _frame: object) -> None:
        _received.append(signum)
        raise Terminated(signum)

    report = sys.excepthook

    def report_all_but_terminated(kind, value, traceback) -> None:
        if not issubclass(kind, Terminated):
            report(kind, value, traceback)

    previous = {
        sig: signal.signal(sig, raise_terminated) for sig in (signal.SIGTERM, signal.SIGHUP)
    }
    sys.excepthook = report_all_but_terminated
    try:
        yield
    finally:
        sys.excepthook = report
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _received.clear()


def check_terminated() -> None:
    """Raise :class:`Terminated` again if a signal arrived (its first raise may have been lost)."""
    if _received:
        raise Terminated(_received[0])
