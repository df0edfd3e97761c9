"""PNG: a still of the race's last step."""

from __future__ import annotations

from pathlib import Path

from gdstudio.export.errors import ExportError
from gdstudio.export.formats.base import ExportFormat, Frames, pil_image
from gdstudio.export.options import STILL_OPTIONS


def encode_png(path: Path, frames: Frames, fps: int) -> int:
    """Write the first frame as a PNG (``fps`` does not apply); returns 1."""
    frame = next(frames, None)
    if frame is None:
        raise ExportError("no frames to write")
    pil_image(frame).save(path, format="PNG", optimize=False, compress_level=3)
    return 1


PNG = ExportFormat("png", "PNG of the last step", STILL_OPTIONS, encode_png)
