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


MAX_SHADES = 6
"""Most starts whose runners get shades of their optimizer's colour; more share it."""


def shades(color: str, n: int) -> list[str]:
    """``n`` shades of ``color``, darkest first, from about 35 % darker to 35 % lighter.

    The runners of one optimizer stay recognisably its colour and apart from each
    other. Beyond :data:`MAX_SHADES` (a grid of starts) they all take the colour
    itself: one drawn item per optimizer, and the map reads as basins, not runners.
    """
    if n <= 1 or n > MAX_SHADES:
        return [color] * n
    base = pg.mkColor(color)
    h, s, v, _ = base.getHsvF()
    out = []
    for t in np.linspace(-0.35, 0.35, n):
        if t < 0:  # darker: lower the value
            c = pg.QtGui.QColor.fromHsvF(h, s, v * (1 + t))
        else:  # lighter: towards white
            c = pg.QtGui.QColor.fromHsvF(h, s * (1 - t), v + (1 - v) * t)
        out.append(c.name())
    return out


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
