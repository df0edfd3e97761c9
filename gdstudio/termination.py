"""Stopping a command cleanly on SIGINT, SIGTERM or SIGHUP.

Within :func:`signals_deferred` those signals are only recorded; the command
calls :func:`check_terminated` between units of work (race steps, frames,
before committing a file), which raises :class:`Terminated`, and ``finally``
blocks remove temporary files on the way out. The exception is not raised from
the signal handler itself because Python code that C code calls back can lose
it: Qt hands an exception raised in its callbacks to ``sys.excepthook`` and goes
on, and NumPy treats one raised in an attribute lookup (``array == Status.RUNNING``
looks up ``__array_ufunc__`` on the enum) as a missing attribute.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_received: list[int] = []


class Terminated(BaseException):
    """A signal asked the command to stop; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Within the block, record :data:`SIGNALS` for :func:`check_terminated` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _record) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _received.clear()


def check_terminated() -> None:
    """Raise :class:`Terminated` if one of :data:`SIGNALS` arrived."""
    if _received:
        raise Terminated(_received[0])


def _record(signum: int, _frame: object) -> None:
    _received.append(signum)
