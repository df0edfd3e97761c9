"""Every file type the exporter writes, and the options each one takes.

The CLI, the export dialog and the encoder all read this registry. A new
format is one module beside these (an :class:`ExportFormat` with its encoder)
named in ``FORMATS`` below.
"""

from __future__ import annotations

from pathlib import Path

from gdstudio.export.errors import ExportError
from gdstudio.export.formats.base import ExportFormat
from gdstudio.export.formats.gif import GIF
from gdstudio.export.formats.mp4 import MP4
from gdstudio.export.formats.png import PNG

FORMATS: dict[str, ExportFormat] = {f.name: f for f in (GIF, MP4, PNG)}
"""Format by name (its file suffix without the dot), in the order the dialog lists them."""

__all__ = ["FORMATS", "ExportFormat", "format_of"]


def format_of(path: Path) -> ExportFormat:
    """The format ``path``'s suffix names; ExportError listing the known suffixes otherwise."""
    name = path.suffix.lower().lstrip(".")
    if name not in FORMATS:
        *rest, last = (f.suffix for f in FORMATS.values())
        known = f"{', '.join(rest)} or {last}" if rest else last
        raise ExportError(f"{path}: unknown output type '.{name}'; use {known}")
    return FORMATS[name]
