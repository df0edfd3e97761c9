"""Colours shared by every view: the height colormap and the runner palette."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

RUNNER_PALETTE = (
    "#e6194b", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#7f7f7f",
)  # fmt: skip
"""Distinct runner colours (Tableau-like), readable on the light colormap's ends."""
DIVERGED = "#d00000"
MINIMUM = "#ffffff"
START = "#000000"


def runner_palette() -> tuple[str, ...]:
    """Runner colours, in order of assignment."""
    return RUNNER_PALETTE


def height_colormap() -> pg.ColorMap:
    """The surface colormap (viridis-like, perceptually uniform)."""
    return pg.colormap.get("viridis")


def height_lut() -> np.ndarray:
    """RGBA lookup table (uint8, 256 entries) of the surface colormap."""
    return height_colormap().getLookupTable(nPts=256, alpha=True)


def rgba(color: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """'#rrggbb' as floats in 0..1, for OpenGL items."""
    c = pg.mkColor(color)
    return (c.redF(), c.greenF(), c.blueF(), alpha)
