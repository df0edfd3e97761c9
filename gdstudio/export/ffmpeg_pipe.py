"""Frames piped as raw pixels into the bundled ffmpeg, which writes one file.

ffmpeg encodes in its own process, so it works on the other core while the
next frames are drawn. Frames go to its stdin as they are, without a copy or a
conversion on our side: ffmpeg is told their pixel layout (see
:func:`~gdstudio.export.formats.base.pixel_format`). imageio-ffmpeg finds the
binary (see :mod:`~gdstudio.export.bundled_ffmpeg` for the PyInstaller bundle's).
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gdstudio.export.errors import ExportError
from gdstudio.export.formats.base import Frames, pixel_format


def ffmpeg_encode(
    path: Path,
    frames: Frames,
    fps: int,
    output_args: Sequence[str],
    extra_inputs: Sequence[str] = (),
    even: bool = False,
) -> int:
    """Pipe ``frames`` into ffmpeg writing ``path`` with ``output_args``; returns the count.

    ``extra_inputs`` are more ``-i`` inputs after the frames (input 0). With
    ``even`` an odd width or height loses its last column or row (yuv420p needs
    even dimensions). ExportError when ffmpeg fails; it is stopped if we fail.
    """
    import imageio_ffmpeg

    from gdstudio.export.bundled_ffmpeg import use_packed_ffmpeg

    use_packed_ffmpeg()
    first = next(frames, None)
    if first is None:
        raise ExportError("no frames to write")
    h, w = first.shape[:2]
    crop = ["-vf", f"crop={w - w % 2}:{h - h % 2}:0:0"] if even and (w % 2 or h % 2) else []
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-nostdin",
        "-f", "rawvideo", "-pix_fmt", pixel_format(first), "-s", f"{w}x{h}", "-r", str(fps),
        "-i", "pipe:0", *extra_inputs, *crop, *output_args, str(path),
    ]  # fmt: skip
    ffmpeg = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    n = 0
    try:
        for frame in itertools.chain((first,), frames):
            if frame.shape != first.shape:
                raise ExportError(f"frame {n} is {frame.shape}, the first was {first.shape}")
            ffmpeg.stdin.write(np.ascontiguousarray(frame).data)  # no copy when contiguous
            n += 1
    except BrokenPipeError:
        pass  # ffmpeg stopped early: what it printed says why
    except BaseException:
        ffmpeg.kill()
        ffmpeg.communicate()
        raise
    _, err = ffmpeg.communicate()  # closes its stdin, waits for the file
    if ffmpeg.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise ExportError(f"ffmpeg failed: {lines[-1] if lines else f'exit {ffmpeg.returncode}'}")
    return n
