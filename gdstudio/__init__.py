"""gdstudio: watch gradient-descent optimizers race on 2-D loss surfaces."""

from __future__ import annotations

__version__ = "0.1.0"
"""The package's version: pyproject.toml reads it from here (a literal, so without importing)."""

__all__ = ["__version__"]
