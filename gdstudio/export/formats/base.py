"""The shape of an export format: its name, its title, the options it takes, its encoder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from PIL import Image

Frames = Iterator[npt.NDArray[np.uint8]]
"""Frames, each an (H, W, 3) uint8 array of R, G, B, or an (H, W, 4) one of B, G, R, 255:
the layout of Qt's RGB32 images on a little-endian machine, which the export canvas
hands over as drawn (see :func:`pixel_format`)."""
Encoder = Callable[[Path, Frames, int], int]
"""``encode(path, frames, fps)`` writes ``path`` and returns the number of frames written."""


def pixel_format(frame: npt.NDArray[np.uint8]) -> str:
    """ffmpeg's name for a frame's pixel layout: ``rgb24`` or ``bgra`` (see :data:`Frames`).

    Opaque BGRA rather than BGR with an unused byte: ffmpeg's palette mapping takes
    BGRA as it is, where it would convert anything else.
    """
    if frame.ndim == 3 and frame.shape[2] in (3, 4) and frame.dtype == np.uint8:
        return "rgb24" if frame.shape[2] == 3 else "bgra"
    raise ValueError(f"a frame is (H, W, 3) or (H, W, 4) uint8, not {frame.shape} {frame.dtype}")


def pil_image(frame: npt.NDArray[np.uint8]) -> Image.Image:
    """A frame as an RGB Pillow image."""
    from PIL import Image

    h, w = frame.shape[:2]
    raw = "RGB" if pixel_format(frame) == "rgb24" else "BGRX"  # the fourth byte left out
    return Image.frombuffer("RGB", (w, h), np.ascontiguousarray(frame), "raw", raw, 0, 1)


@dataclass(frozen=True)
class ExportFormat:
    """A file type the exporter writes."""

    name: str
    """Short name, also the file suffix without its dot: ``gif``."""
    title: str
    """As the export dialog lists it."""
    options: frozenset[str]
    """The :class:`~gdstudio.export.options.ExportOptions` fields that apply."""
    encode: Encoder = field(repr=False)
    """Writes the frames to a (temporary) path; raises ExportError or OSError on failure."""

    @property
    def suffix(self) -> str:
        """``.gif``, ``.mp4``, ..."""
        return f".{self.name}"

    @property
    def animated(self) -> bool:
        """True for an animation (it has a frame rate); a still is one frame, the last step."""
        return "fps" in self.options

    def applies(self, option: str) -> bool:
        """Whether the option (an ExportOptions field name) means anything for this format."""
        return option in self.options
