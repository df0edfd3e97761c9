"""Encode RGB frames to a file of any registered format, atomically and cancellably.

Frames are ``(H, W, 3)`` uint8 arrays. Nothing is written at the destination
until the last frame is encoded: output goes to a temporary file beside it and
is renamed into place (or written through to a device, see
:func:`gdstudio.engine.files.replace_with`), so a cancel, a failure, a signal or
a full disk leaves nothing. The format comes from the file's suffix (see
:mod:`gdstudio.export.formats`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from gdstudio.engine.files import replace_with, temporary_for
from gdstudio.export.errors import ExportCancelled, ExportError
from gdstudio.export.formats import format_of


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
        n = fmt.encode(tmp, _counting(frames, progress), fps)
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


def _counting(
    frames: Iterable[np.ndarray], progress: Callable[[int], bool] | None
) -> Iterator[np.ndarray]:
    for i, frame in enumerate(frames):
        yield frame
        if progress is not None and not progress(i + 1):
            raise ExportCancelled
