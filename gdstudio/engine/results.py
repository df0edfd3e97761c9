"""The headless result format: one record per run, as JSON or CSV.

Runs are ordered optimizer-major (all starts of the first optimizer, then the
second, ...), which is the race's runner order. Numbers are float64 written with
``repr`` precision, so they round-trip exactly.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np

from gdstudio.engine.anatomy import inspect_runner
from gdstudio.engine.race import Race
from gdstudio.engine.scenario import Scenario
from gdstudio.engine.stop import Status

CSV_COLUMNS = (
    "run", "optimizer", "label", "start_x", "start_y", "status",
    "step", "x", "y", "loss", "grad_norm", "batch_loss",
)  # fmt: skip


def _jsonable(value: Any) -> Any:
    """Hyperparameter values as JSON writes them (tuples become lists)."""
    return list(value) if isinstance(value, tuple) else value


def _floats(values: np.ndarray) -> list[float | None]:
    """A float64 array as a list, non-finite values (never recorded normally) as None."""
    return [v if math.isfinite(v) else None for v in values.tolist()]


def _batch_rows(race: Race, r: int, k: int) -> list[int]:
    """Row indices runner r used at step k (every row in full-batch mode)."""
    rows = race.runner_batches(r).batch(k)
    return list(range(race.objective.n_samples or 0)) if rows is None else rows.tolist()


def state_records(race: Race, r: int) -> list[dict[str, Any]]:
    """Runner r's optimizer state after each step under torch.optim's state_dict names,
    as pairs (or single numbers), with the learning rate that step used (``--state``)."""
    insight = inspect_runner(race, r)
    out = []
    for k in range(insight.steps):
        entry: dict[str, Any] = {name: _floats(np.atleast_1d(values[k]))
                                 for name, values in insight.state.items()}  # fmt: skip
        entry = {name: v[0] if len(v) == 1 else v for name, v in entry.items()}
        entry["lr"] = float(insight.lr[k])
        out.append(entry)
    return out


def run_records(scenario: Scenario, race: Race, state: bool = False) -> list[dict[str, Any]]:
    """One record per runner, in the contract's result format (``state``: with ``--state``)."""
    records = []
    counts = race.counts
    status = race.status
    batch_mode = race.batches is not None
    for r in range(race.n_runners):
        e, s = race.runner_entry(r), race.runner_start(r)
        config, entry = scenario.optimizers[e], race.entries[e]
        n = int(counts[r])
        record: dict[str, Any] = {
            "optimizer": entry.name,
            "label": config.display_label(),
            "hyperparameters": {k: _jsonable(v) for k, v in entry.hyperparameters.items()},
            "start": race.starts[s].tolist(),
            "status": Status(int(status[r])).label,
            "steps": n - 1,
            "trajectory": race.trajectory[:n, r].tolist(),
            "loss": _floats(race.loss[:n, r]),
            "grad_norm": _floats(race.grad_norm[:n, r]),
        }
        if entry.schedule is not None:
            record["schedule"] = dict(entry.schedule)
        if batch_mode:
            record["batches"] = [_batch_rows(race, r, k) for k in range(n - 1)]
            record["batch_loss"] = _floats(race.batch_loss[: n - 1, r])
        if state:
            record["state"] = state_records(race, r)
        records.append(record)
    return records


def to_json(records: list[dict[str, Any]]) -> str:
    """The ``--format json`` output."""
    return json.dumps({"runs": records}, allow_nan=False) + "\n"


def to_csv(records: list[dict[str, Any]]) -> str:
    """The ``--format csv`` output: one row per run per recorded point."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i, rec in enumerate(records):
        batch_loss = rec.get("batch_loss", [])
        for step, ((x, y), loss, gn) in enumerate(
            zip(rec["trajectory"], rec["loss"], rec["grad_norm"], strict=True)
        ):
            bl = batch_loss[step] if step < len(batch_loss) else ""
            writer.writerow(
                [i, rec["optimizer"], rec["label"], *map(repr, rec["start"]), rec["status"],
                 step, repr(x), repr(y), repr(loss), repr(gn), "" if bl == "" else repr(bl)]
            )  # fmt: skip
    return buf.getvalue()
