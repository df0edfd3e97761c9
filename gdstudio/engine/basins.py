"""Basin maps: where every start of a dense grid ends up, for each optimizer.

A basin map races each optimizer from every pixel of an N×N grid of starts (pixel
centres over the domain; row-major, x fastest) with the race's settings: steps, stop
rules, schedules and batches, on every core (:mod:`~gdstudio.engine.parallel`).
Every pixel holds the numbers a single race from its start gives, bit for bit.

Each pixel then gets a *basin*: the index of the minimum it ended in, :data:`NOWHERE`
(-1) when it ended in none and :data:`DIVERGED` (-2) when it diverged. For built-in
functions the minima are the function's known ones, in the order
``gdstudio list functions`` gives them, and an end point within :data:`KNOWN_TOL` of
the domain's diagonal of one is in it. For formulas and datasets the end points of
the runners that converged (the gradient vanished) are clustered: a point within
:data:`CLUSTER_TOL` of the diagonal of a cluster's first point joins it, clusters are
numbered by first appearance in pixel order, and a cluster whose point is a saddle
(the Hessian has a negative eigenvalue) is no minimum. A runner that ran out of steps
is in the first minimum it stands within that tolerance of, if any.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gdstudio.engine.analysis_results import DIVERGED, NOWHERE, BasinMap
from gdstudio.engine.datasets import BatchSchedule
from gdstudio.engine.errors import AnalysisError, GdstudioError
from gdstudio.engine.functions import BuiltinObjective
from gdstudio.engine.objective import Domain, Objective
from gdstudio.engine.parallel import Progress, race_parts, run_races
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.scenario import Scenario
from gdstudio.engine.stop import Status, StopRule

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

DEFAULT_RESOLUTION = 256
MAX_RESOLUTION = 512
KNOWN_TOL = 1e-2
"""An end point this fraction of the domain's diagonal from a known minimum is in it."""
CLUSTER_TOL = 1e-3
"""End points this fraction of the diagonal apart are one minimum (formulas, datasets)."""
SADDLE_TOL = 1e-8
"""A cluster is a saddle when its Hessian's least eigenvalue is below −SADDLE_TOL·max(1, |greatest|)."""
TILE = 16
"""Side of the square tiles of pixels raced side by side (see :func:`tile_order`)."""
CSV_COLUMNS = ("optimizer", "label", "x", "y", "end_x", "end_y", "status", "steps", "basin")


def grid_starts(domain: Domain, resolution: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Pixel centres of an N×N grid over ``domain``: xs (N,), ys (N,), starts (N², 2).

    Starts are row-major, x fastest. Centres are placed symmetrically about the
    domain's middle, so a domain symmetric about an axis gives starts that are
    exact mirror images of one another.
    """
    (x0, x1), (y0, y1) = domain
    offsets = np.arange(resolution) - (resolution - 1) / 2
    xs = (x0 + x1) / 2 + offsets * ((x1 - x0) / resolution)
    ys = (y0 + y1) / 2 + offsets * ((y1 - y0) / resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([gx.ravel(), gy.ravel()])


def tile_order(resolution: int) -> IntArray:
    """The pixels of an N×N row-major grid listed square tile by square tile (:data:`TILE`).

    Neighbouring starts mostly end alike, and the compiled path steps runners in
    blocks that are cheapest while every runner of a block is still running: raced
    tile by tile, a region that diverges early leaves whole blocks done instead of
    a few stopped runners in every block (Rosenbrock's momentum map races 1.5×
    faster so). The pixels' numbers do not depend on the order.
    """
    rows, cols = np.divmod(np.arange(resolution * resolution), resolution)
    return np.lexsort((cols % TILE, rows % TILE, cols // TILE, rows // TILE))


def basin_map(
    objective: Objective,
    entries: Sequence[Entry],
    domain: Domain,
    resolution: int = DEFAULT_RESOLUTION,
    steps: int = 500,
    stop: StopRule | None = None,
    batches: BatchSchedule | None = None,
    labels: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> BasinMap:
    """Race every entry from every pixel of the grid and classify where each ended.

    Raises :class:`~gdstudio.engine.parallel.Cancelled` when ``progress`` returns False.
    """
    xs, ys, starts = grid_starts(domain, resolution)
    order = tile_order(resolution)
    starts = starts[order]
    parts, races = race_parts(
        lambda part: Race(objective, entries, starts[part.start : part.stop], steps, stop,
                          batches, keep_history=False, compile_small=True), len(starts))  # fmt: skip
    run_races(races, progress)
    n_e, n = len(entries), resolution
    end = np.empty((n_e, n * n, 2))
    status = np.empty((n_e, n * n), dtype=np.int8)
    taken = np.empty((n_e, n * n), dtype=np.intp)
    for part, race in zip(parts, races, strict=True):
        width, pixels = len(part), order[part.start : part.stop]
        end[:, pixels] = race.positions.reshape(n_e, width, 2)
        status[:, pixels] = race.status.reshape(n_e, width)
        taken[:, pixels] = race.steps_taken.reshape(n_e, width)
    basin, minima, known = classify(objective, domain, end.reshape(-1, 2), status.reshape(-1))
    with np.errstate(all="ignore"):
        minima_loss = objective.value(minima) if len(minima) else np.zeros(0)
    names = tuple(e.name for e in entries)
    return BasinMap(domain, xs, ys, names, tuple(labels) if labels is not None else names,
                    end.reshape(n_e, n, n, 2), status.reshape(n_e, n, n),
                    taken.reshape(n_e, n, n), basin.reshape(n_e, n, n), minima, minima_loss,
                    known, int(steps))  # fmt: skip


def scenario_basin_map(
    scenario: Scenario,
    resolution: int = DEFAULT_RESOLUTION,
    optimizer: int | None = None,
    domain: Domain | None = None,
    objective: Objective | None = None,
    progress: Progress | None = None,
) -> BasinMap:
    """The basin map of a scenario's optimizers (or only the ``optimizer``-th) over its
    surface's domain (or ``domain``); AnalysisError names a bad choice."""
    if not 1 <= resolution <= MAX_RESOLUTION:
        raise AnalysisError(
            f"--resolution must be between 1 and {MAX_RESOLUTION}, got {resolution}"
        )
    configs = list(scenario.optimizers)
    if optimizer is not None:
        if not 0 <= optimizer < len(configs):
            raise AnalysisError(f"--optimizer must be between 0 and {len(configs) - 1}, "
                                f"got {optimizer}")  # fmt: skip
        configs = [configs[optimizer]]
    if not configs:
        raise AnalysisError("the scenario has no optimizers to race")
    if domain is not None:
        (x0, x1), (y0, y1) = domain
        if not all(math.isfinite(v) for v in (x0, x1, y0, y1)) or not (x0 < x1 and y0 < y1):
            raise AnalysisError(f"--domain must be finite with X0 < X1 and Y0 < Y1, got {domain}")
    entries = []
    for config in configs:
        try:
            entries.append(config.entry())
        except GdstudioError as exc:
            raise AnalysisError(f"optimizer {config.name}: {exc}") from None
    obj = objective if objective is not None else scenario.objective()
    return basin_map(obj, entries, domain or obj.domain, resolution, scenario.steps, scenario.stop,
                     scenario.batch_schedule(obj), [c.display_label() for c in configs],
                     progress)  # fmt: skip


def classify(
    objective: Objective, domain: Domain, end: FloatArray, status: npt.NDArray[np.int8]
) -> tuple[IntArray, FloatArray, bool]:
    """The basin of each end point (see the module docstring), the minima, and whether
    they are the function's known ones. ``end`` is (R, 2), ``status`` (R,), in pixel order."""
    (x0, x1), (y0, y1) = domain
    diagonal = math.hypot(x1 - x0, y1 - y0)
    known = isinstance(objective, BuiltinObjective)
    if known:
        minima = np.asarray(objective.minima, dtype=np.float64).reshape(-1, 2)
        tol = KNOWN_TOL * diagonal
    else:
        tol = CLUSTER_TOL * diagonal
        minima = _minima_among(objective, end[status == Status.CONVERGED], tol)
    basin = _first_within(end, minima, tol)
    basin[status == Status.DIVERGED] = DIVERGED
    return basin, minima, known


def _minima_among(objective: Objective, points: FloatArray, tol: float) -> FloatArray:
    """Leaders of the clusters of ``points`` (each point joins the first leader within
    ``tol``, else leads a new cluster), in order of appearance, saddles left out."""
    leaders = []
    left = points
    while len(left):
        leader = left[0]
        leaders.append(leader)
        left = left[np.hypot(*(left - leader).T) > tol]
    if not leaders:
        return np.zeros((0, 2))
    leaders_arr = np.array(leaders)
    with np.errstate(all="ignore"):
        eig = np.linalg.eigvalsh(objective.hessian(leaders_arr))
    scale = np.maximum(1.0, np.abs(eig[:, -1]))
    return leaders_arr[~(eig[:, 0] < -SADDLE_TOL * scale)]


def _first_within(points: FloatArray, minima: FloatArray, tol: float) -> IntArray:
    """Index of the first of ``minima`` within ``tol`` of each point, else NOWHERE."""
    out = np.full(len(points), NOWHERE, dtype=np.intp)
    chunk = max(1, 2**22 // max(len(minima), 1))
    for lo in range(0, len(points) if len(minima) else 0, chunk):
        part = points[lo : lo + chunk]
        near = np.hypot(part[:, None, 0] - minima[None, :, 0],
                        part[:, None, 1] - minima[None, :, 1]) <= tol  # fmt: skip
        first = np.argmax(near, axis=1)
        inside = near[np.arange(len(part)), first]
        out[lo : lo + chunk][inside] = first[inside]
    return out


# ---------------------------------------------------------------- files
def to_csv(result: BasinMap) -> str:
    """One row per optimizer and start, pixel order within each optimizer (the contract's columns)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    gx, gy = np.meshgrid(result.xs, result.ys)
    starts = np.column_stack([gx.ravel(), gy.ravel()]).tolist()
    for e, (name, label) in enumerate(zip(result.names, result.labels, strict=True)):
        end = result.end[e].reshape(-1, 2).tolist()
        status = result.status[e].ravel().tolist()
        steps = result.steps[e].ravel().tolist()
        basin = result.basin[e].ravel().tolist()
        for (x, y), (ex, ey), st, k, b in zip(starts, end, status, steps, basin, strict=True):
            writer.writerow([name, label, repr(x), repr(y), repr(ex), repr(ey),
                             Status(st).label, k, b])  # fmt: skip
    return buf.getvalue()


def to_npz(result: BasinMap) -> bytes:
    """The map's arrays as a compressed NumPy archive (``np.load`` reads it back)."""
    buf = io.BytesIO()
    (x0, x1), (y0, y1) = result.domain
    np.savez_compressed(
        buf, xs=result.xs, ys=result.ys, domain=np.array([x0, x1, y0, y1]),
        optimizers=np.array(result.names), labels=np.array(result.labels), end=result.end,
        status=result.status, steps=result.steps, basin=result.basin, minima=result.minima,
        minima_loss=result.minima_loss, max_steps=np.array(result.max_steps),
        status_names=np.array([s.label for s in Status]),
    )  # fmt: skip
    return buf.getvalue()
