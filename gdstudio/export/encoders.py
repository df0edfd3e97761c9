"""Encode RGB frames to a file of any registered format, atomically and cancellably.

Frames are ``(H, W, 3)`` uint8 arrays. Nothing is written at the destination
until the last frame is encoded: output goes to a temporary file beside it and
is renamed into place (or written through to a device, see
:func:`gdstudio.engine.files.replace_with`), so a cancel, a failure, a signal or
a full disk leaves nothing. The format comes from the file's suffix (see
:mod:`gdstudio.export.formats`).

The format's encoder runs on a thread of its own, fed through a short queue:
while it hands a frame to ffmpeg (which encodes on the other core), the caller's
thread draws the next one.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from gdstudio.engine.files import replace_with, temporary_for
from gdstudio.export.errors import ExportCancelled, ExportError
from gdstudio.export.formats import format_of
from gdstudio.export.formats.base import Encoder

QUEUE_FRAMES = 4
"""Frames drawn ahead of the encoder at most (each one is width × height × 4 bytes)."""


def write_frames(
    path: Path,
    frames: Iterable[np.ndarray],
    fps: int,
    progress: Callable[[int], bool] | None = None,
) -> int:
    """Encode ``frames`` to ``path`` (type from its suffix); returns the frame count.

    ``progress(i)`` is called after each frame, and once more with the frame
    count before the file is put in place; returning False cancels (raises
    ExportCancelled after removing the temporary file).
    """
    fmt = format_of(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"{path}: folder {folder} does not exist")
    try:
        tmp = temporary_for(path, fmt.suffix)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write there: {exc.strerror or exc}") from None
    try:
        n = encode_alongside(fmt.encode, tmp, frames, fps, progress)
        if progress is not None and not progress(n):
            raise ExportCancelled
        replace_with(tmp, path)
        return n
    except ExportCancelled:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{path}: could not write: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def encode_alongside(
    encode: Encoder,
    path: Path,
    frames: Iterable[np.ndarray],
    fps: int,
    progress: Callable[[int], bool] | None = None,
) -> int:
    """``encode(path, frames, fps)`` on a thread of its own while this one yields the frames.

    ``progress(i)`` after the i-th frame is queued; False cancels (ExportCancelled).
    Whatever stops either side stops the other: an error or a cancel here ends the
    encoder's frames with ExportCancelled; an encoder that fails or returns early
    stops the frames here, and its error is raised.
    """
    handoff: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
    outcome: dict[str, object] = {}

    def queued() -> Iterator[np.ndarray]:
        while (frame := handoff.get()) is not _END:
            if frame is _STOP:
                raise ExportCancelled
            yield frame

    def run() -> None:
        try:
            outcome["count"] = encode(path, queued(), fps)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    encoder = threading.Thread(target=run, name="export-encoder", daemon=True)
    encoder.start()
    try:
        for i, frame in enumerate(frames):
            if not _hand_over(handoff, frame, encoder):
                break
            if progress is not None and not progress(i + 1):
                raise ExportCancelled
        else:
            _hand_over(handoff, _END, encoder)
    except BaseException:
        _hand_over(handoff, _STOP, encoder)
        encoder.join()
        raise
    encoder.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return int(outcome["count"])  # type: ignore[call-overload]


_END, _STOP = object(), object()
"""Queue markers: no more frames; the frames stopped early (the encoder gives up)."""


def _hand_over(handoff: queue.Queue, item: object, encoder: threading.Thread) -> bool:
    """Put ``item`` in the queue, waiting for room while the encoder runs; False if it ended."""
    while encoder.is_alive():
        try:
            handoff.put(item, timeout=0.05)
            return True
        except queue.Full:
            pass
    return False
