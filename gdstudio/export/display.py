"""A display for rendering: the user's X server, or a private Xvfb for one command.

The 3D view needs an OpenGL context, which Qt gets here only through an X
server (Qt's offscreen platform has no GL without one). When there is no
display, :func:`start_virtual_display` starts Xvfb on a free display number for
as long as this process lives, and :func:`virtual_display` for the duration of
a ``with`` block.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from gdstudio.export.child_process import spawn_tied, stop


class NoDisplayError(RuntimeError):
    """No X server is running and Xvfb is not installed."""


def has_display() -> bool:
    """True when an X (or Wayland) display is reachable."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def start_virtual_display(width: int = 1920, height: int = 1080) -> subprocess.Popen:
    """Start Xvfb on a free display number and point ``DISPLAY`` at it.

    The server is tied to this process: it gets SIGTERM when this process ends,
    however it ends, so a caller that renders until it exits need not stop it
    (and Qt is gone before its X server). Raises NoDisplayError when Xvfb is
    missing or does not start.
    """
    xvfb = find_xvfb()
    read_fd, write_fd = os.pipe()
    proc = spawn_tied(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        stop(proc)
        raise NoDisplayError("Xvfb did not start")
    os.environ["DISPLAY"] = f":{number}"
    return proc


def find_xvfb() -> str:
    """The Xvfb program; NoDisplayError when it is not installed."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise NoDisplayError(
            "no display and no Xvfb: install it (apt-get install xvfb) to render the 3D view"
        )
    return xvfb


@contextmanager
def virtual_display(width: int = 1920, height: int = 1080) -> Iterator[str | None]:
    """Ensure ``DISPLAY`` is set for the block; yields the display started, or None.

    Raises NoDisplayError when there is no display and no Xvfb to start.
    """
    if has_display():
        yield None
        return
    proc = start_virtual_display(width, height)
    try:
        yield os.environ["DISPLAY"]
    finally:
        os.environ.pop("DISPLAY", None)
        stop(proc, grace=5)
