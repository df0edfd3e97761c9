"""Hyperparameter sweeps: one optimizer raced at every setting of a grid of values.

A sweep sets one hyperparameter (or two, on the x and y axes) of one optimizer of
a scenario to each value of a linear or log-spaced range. Any numeric torch.optim
name can be swept; ``betas[0]`` and ``betas[1]`` address one element of a pair.
Every setting is raced from every start of the scenario with the scenario's steps,
stop rules, schedule and batches (all settings see the same batches). The settings
are the entries of one race, raced on every core (:mod:`~gdstudio.engine.parallel`),
so each cell holds the numbers a single race with that setting gives, bit for bit.

A cell's *metric* is one of :data:`~gdstudio.engine.analysis_results.METRICS`: the loss at the last finite point,
the steps taken to converge (NaN when the runner did not converge), or the distance
from the end point to the nearest known minimum.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from gdstudio.engine.analysis_results import METRICS, Axis, SweepResult
from gdstudio.engine.errors import AnalysisError, GdstudioError
from gdstudio.engine.objective import Objective
from gdstudio.engine.optimizers import OPTIMIZERS, resolve_hyperparams
from gdstudio.engine.parallel import Progress, race_parts, run_races
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.scenario import OptimizerConfig, Scenario
from gdstudio.engine.stop import Status

FloatArray = npt.NDArray[np.float64]
MAX_COUNT = 128
"""Most values along one axis."""
CSV_COLUMNS = ("x_value", "y_value", "start_x", "start_y", "status", "steps", "final_loss",
               "metric")  # fmt: skip
_NAME = re.compile(r"^([a-z_]+)(?:\[([01])\])?$")


def parse_axis(text: str, option: str = "--x") -> Axis:
    """``NAME=LO:HI[:log]:N`` as an :class:`Axis`; AnalysisError names what is wrong."""
    name, eq, spec = text.partition("=")
    fields = spec.split(":")
    if not eq or len(fields) not in (3, 4) or (len(fields) == 4 and fields[2] != "log"):
        raise AnalysisError(f"{option}: expected NAME=LO:HI[:log]:N such as lr=0.001:0.1:log:32, "
                         f"got {text!r}")  # fmt: skip
    try:
        low, high = float(fields[0]), float(fields[1])
    except ValueError:
        raise AnalysisError(f"{option}: {fields[0]!r} and {fields[1]!r} must be numbers") from None
    try:
        count = int(fields[-1])
    except ValueError:
        raise AnalysisError(f"{option}: N must be a whole number, got {fields[-1]!r}") from None
    return checked_axis(Axis(name.strip(), low, high, count, len(fields) == 4), option)


def checked_axis(axis: Axis, option: str = "--x") -> Axis:
    """``axis`` itself when its range makes sense; AnalysisError otherwise."""
    if not (math.isfinite(axis.low) and math.isfinite(axis.high)):
        raise AnalysisError(f"{option}: the range must be finite, got {axis.low}:{axis.high}")
    if not 1 <= axis.count <= MAX_COUNT:
        raise AnalysisError(f"{option}: N must be between 1 and {MAX_COUNT}, got {axis.count}")
    if axis.count > 1 and not axis.low < axis.high:
        raise AnalysisError(f"{option}: LO must be below HI, got {axis.low}:{axis.high}")
    if axis.log and not (axis.low > 0 and axis.high > 0):
        raise AnalysisError(
            f"{option}: a log range needs LO and HI above 0, got {axis.low}:{axis.high}"
        )
    return axis


def sweepable(optimizer: str) -> list[str]:
    """The names a sweep of ``optimizer`` can set: its numbers, and each element of its pairs."""
    names = []
    for h in OPTIMIZERS[optimizer].hyperparams:
        if h.kind == "float":
            names.append(h.name)
        elif h.kind == "pair":
            names += [f"{h.name}[0]", f"{h.name}[1]"]
    return names


def with_value(hyperparameters: Mapping[str, Any], optimizer: str, name: str,
               value: float) -> dict[str, Any]:  # fmt: skip
    """``hyperparameters`` (as given, before defaults) with ``name`` set to ``value``."""
    match = _NAME.match(name)
    if match is None or name not in sweepable(optimizer):
        raise AnalysisError(f"{optimizer} has no hyperparameter {name!r} to sweep; "
                         f"valid: {', '.join(sweepable(optimizer))}")  # fmt: skip
    out = dict(hyperparameters)
    key, index = match.group(1), match.group(2)
    if index is None:
        out[key] = value
    else:
        pair = list(resolve_hyperparams(optimizer, hyperparameters)[key])
        pair[int(index)] = value
        out[key] = tuple(pair)
    return out


def current_value(config: OptimizerConfig, name: str) -> float:
    """The value of ``name`` (``betas[0]`` included) the optimizer has, defaults filled in."""
    match = _NAME.match(name)
    assert match is not None
    value = resolve_hyperparams(config.name, config.hyperparameters)[match.group(1)]
    return float(value if match.group(2) is None else value[int(match.group(2))])


def run_sweep(
    scenario: Scenario,
    index: int,
    x: Axis,
    y: Axis | None = None,
    metric: str = "final_loss",
    objective: Objective | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Race optimizer ``index`` of ``scenario`` at every setting of the axes.

    Raises AnalysisError for a bad name, value or metric, and
    :class:`~gdstudio.engine.parallel.Cancelled` when ``progress`` returns False.
    """
    if not 0 <= index < len(scenario.optimizers):
        raise AnalysisError(f"--optimizer must be between 0 and {len(scenario.optimizers) - 1}, "
                         f"got {index}")  # fmt: skip
    if metric not in METRICS:
        raise AnalysisError(f"unknown metric {metric!r}; valid: {', '.join(METRICS)}")
    if y is not None and y.name == x.name:
        raise AnalysisError(f"--x and --y both sweep {x.name}")
    if not scenario.starts:
        raise AnalysisError("the scenario has no starts to race from")
    obj = objective if objective is not None else scenario.objective()
    if metric == "distance_to_min" and not len(obj.minima):
        raise AnalysisError("distance_to_min needs known minima, and this surface has none")
    config = scenario.optimizers[index]
    entries = _entries(config, x, y)
    starts = np.array(scenario.starts, dtype=np.float64)
    batches = scenario.batch_schedule(obj)
    _, races = race_parts(
        lambda part: Race(obj, entries[part.start : part.stop], starts, scenario.steps,
                          scenario.stop, batches, keep_history=False, compile_small=True),
        len(entries))  # fmt: skip
    run_races(races, progress)
    shape = (1 if y is None else y.count, x.count, len(starts))
    end = np.concatenate([r.positions for r in races]).reshape(*shape, 2)
    status = np.concatenate([r.status for r in races]).reshape(shape)
    steps = np.concatenate([r.steps_taken for r in races]).reshape(shape)
    final_loss = np.concatenate([r.current_loss for r in races]).reshape(shape)
    current = (current_value(config, x.name), None if y is None else current_value(config, y.name))
    return SweepResult(config.name, config.display_label(), x, y, metric, current, starts, end,
                       status, steps, final_loss,
                       _metric(metric, end, status, steps, final_loss, obj.minima),
                       scenario.steps)  # fmt: skip


def _entries(config: OptimizerConfig, x: Axis, y: Axis | None) -> list[Entry]:
    """One entry per cell, rows (y) major and x fastest; AnalysisError names a refused value.

    Each value is checked once, as torch would check it, and each cell against the
    optimizer's rules across hyperparameters (Nesterov needs momentum).
    """
    base = config.entry()
    axes = [(x, x.values.tolist())] + ([] if y is None else [(y, y.values.tolist())])
    for axis, values in axes:
        for value in values:
            try:
                resolve_hyperparams(config.name, with_value(config.hyperparameters, config.name,
                                                            axis.name, value))  # fmt: skip
            except GdstudioError as exc:
                raise _refused({axis.name: value}, exc) from None
    check = OPTIMIZERS[config.name].check
    entries = []
    for y_value in [None] if y is None else axes[1][1]:
        for x_value in axes[0][1]:
            chosen = {x.name: x_value} if y is None else {x.name: x_value, y.name: y_value}
            hp = dict(base.hyperparameters)
            for name, value in chosen.items():
                hp = with_value(hp, config.name, name, value)
            try:
                if check is not None:
                    check(hp)
            except GdstudioError as exc:
                raise _refused(chosen, exc) from None
            entries.append(replace(base, hyperparameters=hp))
    return entries


def _refused(chosen: Mapping[str, float], exc: Exception) -> AnalysisError:
    """The error for a setting the optimizer refuses, naming its values."""
    where = ", ".join(f"{name}={value!r}" for name, value in chosen.items())
    return AnalysisError(f"{where}: {exc}")


def _metric(metric: str, end: FloatArray, status: npt.NDArray[np.int8],
            steps: npt.NDArray[np.intp], final_loss: FloatArray,
            minima: FloatArray) -> FloatArray:  # fmt: skip
    if metric == "final_loss":
        return final_loss.copy()
    if metric == "steps_to_converge":
        return np.where(status == Status.CONVERGED, steps, np.nan)
    gaps = end[..., None, :] - np.asarray(minima).reshape(-1, 2)
    return np.hypot(gaps[..., 0], gaps[..., 1]).min(axis=-1)


# ---------------------------------------------------------------- files
def to_csv(result: SweepResult) -> str:
    """One row per setting and start, rows (y) major, x fastest (the contract's columns)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    starts = result.starts.tolist()
    ys = [""] if result.y is None else [repr(v) for v in result.y.values.tolist()]
    for i, y_text in enumerate(ys):
        for j, x_value in enumerate(result.x.values.tolist()):
            for s, (sx, sy) in enumerate(starts):
                writer.writerow([repr(x_value), y_text, repr(sx), repr(sy),
                                 Status(int(result.status[i, j, s])).label,
                                 int(result.steps[i, j, s]), repr(float(result.final_loss[i, j, s])),
                                 repr(float(result.values[i, j, s]))])  # fmt: skip
    return buf.getvalue()


def to_npz(result: SweepResult) -> bytes:
    """The sweep's arrays as a compressed NumPy archive (``np.load`` reads it back)."""
    buf = io.BytesIO()
    np.savez_compressed(
        buf, optimizer=np.array(result.optimizer), label=np.array(result.label),
        x_name=np.array(result.x.name), x_values=result.x.values,
        y_name=np.array(result.y.name if result.y else ""), y_values=result.y_values,
        metric_name=np.array(result.metric), starts=result.starts, end=result.end,
        status=result.status, steps=result.steps, final_loss=result.final_loss,
        metric=result.values, cells=result.cells, max_steps=np.array(result.max_steps),
        status_names=np.array([s.label for s in Status]),
    )  # fmt: skip
    return buf.getvalue()
