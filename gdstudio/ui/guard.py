"""Keep exceptions from escaping Qt's virtual overrides.

An exception raised out of an override such as ``showEvent`` kills this PySide6
build (its error printer crashes), so overrides that call into the app print
the traceback here instead.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable


def guarded(fn: Callable[[], object]) -> None:
    """Call ``fn``; print any exception's traceback instead of letting it reach Qt."""
    try:
        fn()
    except Exception:
        traceback.print_exc()
