"""GIF: an animation every browser and slide program plays.

One global palette (median cut over a few sample frames) applied without
dithering keeps a colormap's gradient smooth and lets Pillow store each frame
as the small rectangle that changed, so files stay small.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gdstudio.export.errors import ExportError
from gdstudio.export.formats.base import ExportFormat, Frames
from gdstudio.export.options import ANIMATION_OPTIONS

if TYPE_CHECKING:
    from PIL import Image

SAMPLE_FRAMES = 8
"""Frames read ahead before the palette is fitted."""


def encode_gif(path: Path, frames: Frames, fps: int) -> int:
    """Write the frames as a looping GIF at ``fps``; returns the frame count."""
    from PIL import Image

    first_batch: list[np.ndarray] = []
    for frame in frames:
        first_batch.append(frame)
        if len(first_batch) == SAMPLE_FRAMES:
            break
    if not first_batch:
        raise ExportError("no frames to write")
    # The first frames and the last computed one cover the colours that appear.
    palette = _palette_image([first_batch[0], first_batch[-1]])

    def quantized() -> Iterator[Image.Image]:
        for f in first_batch:
            yield Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)
        for f in frames:
            yield Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)

    images = quantized()
    head = next(images)
    rest = list(images)
    head.save(
        path, format="GIF", save_all=True, append_images=rest, loop=0,
        duration=round(1000 / fps), optimize=False, disposal=1,
    )  # fmt: skip
    return 1 + len(rest)


def _palette_image(samples: list[np.ndarray]) -> Image.Image:
    """A 256-colour palette image fitted to a few frames stacked together."""
    from PIL import Image

    stacked = np.concatenate([s[::2, ::2] for s in samples], axis=0)
    return Image.fromarray(stacked).quantize(256, method=Image.Quantize.MEDIANCUT)


GIF = ExportFormat("gif", "GIF animation", ANIMATION_OPTIONS, encode_gif)
