"""What goes wrong while exporting."""

from __future__ import annotations


class ExportCancelled(Exception):
    """The user cancelled; the partial output was removed."""


class ExportError(Exception):
    """Writing the output failed (unwritable folder, full disk, encoder error, unknown type)."""
