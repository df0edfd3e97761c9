"""MP4: H.264 in yuv420p, which browsers and slide software play.

Encoded by imageio-ffmpeg's bundled ffmpeg (see :mod:`~gdstudio.export.bundled_ffmpeg`
for the PyInstaller bundle's); yuv420p needs even dimensions, so an odd width or
height loses its last column or row.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from gdstudio.export.errors import ExportError
from gdstudio.export.formats.base import ExportFormat, Frames
from gdstudio.export.options import ANIMATION_OPTIONS


def even_size(width: int, height: int) -> tuple[int, int]:
    """H.264 in yuv420p needs even dimensions."""
    return width - width % 2, height - height % 2


def encode_mp4(path: Path, frames: Frames, fps: int) -> int:
    """Write the frames as an H.264 video at ``fps``; returns the frame count."""
    import imageio_ffmpeg

    from gdstudio.export.bundled_ffmpeg import use_packed_ffmpeg

    use_packed_ffmpeg()
    first = next(frames, None)
    if first is None:
        raise ExportError("no frames to write")
    h, w = first.shape[:2]
    ew, eh = even_size(w, h)
    writer = imageio_ffmpeg.write_frames(
        str(path), (ew, eh), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
        quality=None, bitrate=None, macro_block_size=1, ffmpeg_log_level="error",
        output_params=["-preset", "veryfast", "-crf", "20", "-movflags", "+faststart",
                       "-f", "mp4"],
    )  # fmt: skip
    writer.send(None)
    n = 0
    try:
        for frame in itertools.chain((first,), frames):
            writer.send(np.ascontiguousarray(frame[:eh, :ew]))
            n += 1
    finally:
        writer.close()
    return n


MP4 = ExportFormat("mp4", "MP4 video (H.264)", ANIMATION_OPTIONS, encode_mp4)
