"""Test helpers for the compiled path."""

from __future__ import annotations

import builtins


def break_fused_import(monkeypatch, error: BaseException) -> None:
    """Make ``from gdstudio.engine import fused`` raise ``error``, as a missing or broken Numba would."""
    real_import = builtins.__import__

    def failing(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "gdstudio.engine" and "fused" in (fromlist or ()):
            raise error
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", failing)
