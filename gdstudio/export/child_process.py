"""Child processes that end with their parent, however the parent ends.

On Linux a child asks the kernel for SIGTERM when its parent dies
(``prctl(PR_SET_PDEATHSIG)``), so even a ``kill -9`` of the parent stops it; the
child's own SIGTERM handling then cleans up (the export worker removes its
temporary file, Xvfb exits). Elsewhere children are started plainly.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

_PR_SET_PDEATHSIG = 1
STOP_GRACE = 10.0
"""Seconds a child gets to clean up after SIGTERM before it is killed."""


def spawn_tied(args: Sequence[str], **popen_kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen(args, **popen_kwargs)`` for a child that gets SIGTERM when we die."""
    return subprocess.Popen(args, preexec_fn=_tie_to(os.getpid()), **popen_kwargs)


def stop(child: subprocess.Popen, grace: float = STOP_GRACE) -> None:
    """SIGTERM ``child`` and wait for it to clean up; SIGKILL it after ``grace`` seconds."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _tie_to(parent: int) -> Callable[[], None]:
    """The function the child runs between fork and exec (libc is looked up before the fork)."""
    prctl = _prctl()

    def tie() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the tie was made
            os._exit(1)

    return tie


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
