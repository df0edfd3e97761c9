"""The shape of an export format: its name, its title, the options it takes, its encoder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

Frames = Iterator[npt.NDArray[np.uint8]]
"""RGB frames, each an (H, W, 3) uint8 array."""
Encoder = Callable[[Path, Frames, int], int]
"""``encode(path, frames, fps)`` writes ``path`` and returns the number of frames written."""


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
