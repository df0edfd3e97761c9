"""MP4: H.264 in yuv420p, which browsers and slide software play.

yuv420p needs even dimensions, so an odd width or height loses its last column
or row. Encoded by ffmpeg in its own process (see :mod:`~gdstudio.export.ffmpeg_pipe`).
"""

from __future__ import annotations

from pathlib import Path

from gdstudio.export.ffmpeg_pipe import ffmpeg_encode
from gdstudio.export.formats.base import ExportFormat, Frames
from gdstudio.export.options import ANIMATION_OPTIONS

H264_ARGS = ("-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-crf", "20",
             "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4")  # fmt: skip
"""The encoder's settings (the export benchmark gives matplotlib the same). One encoder
thread: the other core draws the frames, and x264's frame threads would only add their
overhead (and cost a little compression)."""


def encode_mp4(path: Path, frames: Frames, fps: int) -> int:
    """Write the frames as an H.264 video at ``fps``; returns the frame count."""
    return ffmpeg_encode(path, frames, fps, H264_ARGS, even=True)


MP4 = ExportFormat("mp4", "MP4 video (H.264)", ANIMATION_OPTIONS, encode_mp4)
