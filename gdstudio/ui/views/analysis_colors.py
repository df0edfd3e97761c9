"""Colours and words for basin maps and sweeps, shared by the app and the command line.

Plain NumPy, so what a picture says can be tested without a window. A basin pixel is
coloured by the minimum it ended in (a colour-blind-safe palette), dimmer the more
steps it took; black when it diverged, grey when it ended at none of them.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from gdstudio.engine.analysis_results import DIVERGED, METRICS, NOWHERE, BasinMap, SweepResult
from gdstudio.engine.stop import Status

BASIN_PALETTE = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7")
"""Okabe and Ito's colour-blind-safe hues (black left out: it means diverged)."""
NOWHERE_COLOR = "#9e9e9e"
DIVERGED_COLOR = "#000000"
DIMMEST = 0.4
"""Brightness of a pixel that used every step (1 for one that converged at once)."""
NO_VALUE_COLOR = "#d0d0d0"
"""Sweep cells whose metric has no value (steps to converge of runners that did not)."""


def basin_color(basin: int) -> str:
    """'#rrggbb' of a basin index (minima cycle through the palette)."""
    if basin == DIVERGED:
        return DIVERGED_COLOR
    if basin == NOWHERE:
        return NOWHERE_COLOR
    return BASIN_PALETTE[basin % len(BASIN_PALETTE)]


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def basin_rgba(result: BasinMap, optimizer: int, alpha: int = 255) -> npt.NDArray[np.uint8]:
    """The map of one optimizer as an (N, N, 4) image, row i at y = ``ys[i]``."""
    basin = result.basin[optimizer]
    table = np.array([_rgb(basin_color(b)) for b in range(len(BASIN_PALETTE))], dtype=np.float64)
    rgb = table[np.maximum(basin, 0) % len(BASIN_PALETTE)]
    used = result.steps[optimizer] / max(result.max_steps, 1)
    rgb *= (1.0 - (1.0 - DIMMEST) * np.clip(used, 0.0, 1.0))[..., None]
    rgb[basin == NOWHERE] = _rgb(NOWHERE_COLOR)
    rgb[basin == DIVERGED] = _rgb(DIVERGED_COLOR)
    out = np.empty((*basin.shape, 4), dtype=np.uint8)
    out[..., :3] = np.rint(rgb)
    out[..., 3] = alpha
    return out


def _point(p: npt.ArrayLike) -> str:
    x, y = np.asarray(p, dtype=np.float64).tolist()
    return f"({x:.4g}, {y:.4g})"


def minimum_name(result: BasinMap, basin: int) -> str:
    """How the legend names a basin: 'minimum 1 at (-1, 0), f = -0.25', 'diverged', ..."""
    if basin == DIVERGED:
        return "diverged"
    if basin == NOWHERE:
        # A built-in's known minima are its global ones: a runner stuck in a local
        # minimum ends here, and "no minimum" would deny the lesson it shows.
        return "at no global minimum" if result.known_minima else "ended in no cluster"
    return f"minimum {basin} at {_point(result.minima[basin])}, f = {result.minima_loss[basin]:.4g}"


def describe_pixel(result: BasinMap, optimizer: int, row: int, col: int) -> str:
    """One line for a hovered pixel: start → end, status, steps and basin."""
    start = (result.xs[col], result.ys[row])
    status = Status(int(result.status[optimizer, row, col])).label
    steps = int(result.steps[optimizer, row, col])
    basin = int(result.basin[optimizer, row, col])
    return (f"{result.labels[optimizer]}: {_point(start)} → {_point(result.end[optimizer, row, col])}"
            f", {status} after {steps} steps, {minimum_name(result, basin)}")  # fmt: skip


def basin_shares(result: BasinMap, optimizer: int) -> dict[int, float]:
    """The fraction of pixels in each basin (diverged and nowhere included), largest first."""
    values, counts = np.unique(result.basin[optimizer], return_counts=True)
    total = counts.sum()
    order = np.argsort(-counts, kind="stable")
    return {int(values[i]): float(counts[i] / total) for i in order}


# ---------------------------------------------------------------- sweeps
def metric_caption(result: SweepResult) -> str:
    """What a sweep's colours are: the metric, after how many steps, over how many starts."""
    starts = len(result.starts)
    over = "" if starts == 1 else f", mean of {starts} starts"
    return f"{result.label}: {METRICS[result.metric]} after at most {result.max_steps} steps{over}"


def colour_scale(values: npt.NDArray[np.float64]) -> tuple[bool, float, float]:
    """(log, low, high) for colouring ``values``: log10 when all are positive and span
    more than two decades; low and high in the scale's units (NaN ignored)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return False, 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    log = low > 0 and high / low > 100
    if log:
        low, high = math.log10(low), math.log10(high)
    if high == low:
        high = low + 1.0
    return log, low, high


def describe_cell(result: SweepResult, row: int, col: int) -> str:
    """One line for a hovered cell: the setting, the metric and how the runners ended."""
    setting = f"{result.x.name} = {result.x.values[col]:.4g}"
    if result.y is not None:
        setting += f", {result.y.name} = {result.y.values[row]:.4g}"
    value = float(result.cells[row, col])
    shown = "no value" if math.isnan(value) else f"{value:.4g}"
    ends = result.status[row, col]
    counts = [f"{int((ends == s).sum())} {s.label}" for s in Status if s != Status.RUNNING
              and (ends == s).any()]  # fmt: skip
    return f"{setting}: {METRICS[result.metric]} {shown} ({', '.join(counts)})"
