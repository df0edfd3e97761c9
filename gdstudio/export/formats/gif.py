"""GIF: an animation every browser and slide program plays.

One global palette (median cut over a few sample frames) applied without
dithering keeps a colormap's gradient smooth. ffmpeg, in its own process, maps
each pixel to its nearest colour of that palette and stores each frame as the
rectangle that changed, its unchanged pixels transparent, so files stay small.
"""

from __future__ import annotations

import base64
import itertools
from pathlib import Path

import numpy as np

from gdstudio.export.errors import ExportError
from gdstudio.export.ffmpeg_pipe import ffmpeg_encode
from gdstudio.export.formats.base import ExportFormat, Frames, pil_image
from gdstudio.export.options import ANIMATION_OPTIONS

SAMPLE_FRAMES = 8
"""Frames read ahead before the palette is fitted."""
COLOURS = 256
MAPPING = "paletteuse=dither=none:diff_mode=rectangle"
"""Nearest palette colour, no dithering; only the rectangle that changed is mapped again (the
rest of a frame maps as before: the same file, less work)."""
PER_FRAME_TABLE = ("-global_palette", "0")
"""Each frame carries the palette's colours it uses: ffmpeg 7.0's header table is not always
the palette it mapped the frames to, and players show the later frames in the header's colours."""


def encode_gif(path: Path, frames: Frames, fps: int) -> int:
    """Write the frames as a looping GIF at ``fps``; returns the frame count."""
    first_batch = list(itertools.islice(frames, SAMPLE_FRAMES))
    if not first_batch:
        raise ExportError("no frames to write")
    # The first frame and the last one read ahead cover the colours that appear.
    palette = fit_palette([first_batch[0], first_batch[-1]])
    as_input = "data:application/octet-stream;base64," + base64.b64encode(palette).decode()
    return ffmpeg_encode(
        path, itertools.chain(first_batch, frames), fps,
        ["-lavfi", f"[0:v][1:v]{MAPPING}", *PER_FRAME_TABLE, "-loop", "0", "-f", "gif"],
        extra_inputs=["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "16x16", "-i", as_input],
    )  # fmt: skip


def fit_palette(samples: list[np.ndarray]) -> bytes:
    """256 colours (R, G, B bytes) fitted by median cut to a few frames stacked together.

    A palette of fewer distinct colours repeats its first one to fill 256.
    """
    from PIL import Image

    stacked = np.concatenate([np.asarray(pil_image(s))[::2, ::2] for s in samples], axis=0)
    fitted = Image.fromarray(stacked).quantize(COLOURS, method=Image.Quantize.MEDIANCUT)
    rgb = np.frombuffer(bytes(fitted.getpalette("RGB")), np.uint8).reshape(-1, 3)[:COLOURS]
    filler = np.repeat(rgb[:1], COLOURS - len(rgb), axis=0)
    return np.concatenate([rgb, filler]).tobytes()


GIF = ExportFormat("gif", "GIF animation", ANIMATION_OPTIONS, encode_gif)
