"""A display for rendering: the user's X server, or a private Xvfb for one command.

The 3D view needs an OpenGL context, which Qt gets here only through an X
server (Qt's offscreen platform has no GL without one). When there is no
display, :func:`virtual_display` starts Xvfb on a free display number for the
duration of a ``with`` block and stops it after.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


class NoDisplayError(RuntimeError):
    """No X server is running and Xvfb is not installed."""


def has_display() -> bool:
    """True when an X (or Wayland) display is reachable."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@contextmanager
def virtual_display(width: int = 1920, height: int = 1080) -> Iterator[str | None]:
    """Ensure ``DISPLAY`` is set for the block; yields the display started, or None.

    Raises NoDisplayError when there is no display and no Xvfb to start.
    """
    if has_display():
        yield None
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise NoDisplayError(
            "no display and no Xvfb: install it (apt-get install xvfb) to render the 3D view"
        )
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise NoDisplayError("Xvfb did not start")
        display = f":{number}"
        os.environ["DISPLAY"] = display
        try:
            yield display
        finally:
            os.environ.pop("DISPLAY", None)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
