"""Scenario files: load, validate, save, and turn into a :class:`~gdstudio.engine.race.Race`.

The format is fixed by the project's scenario contract (version 1, documented in
``docs/scenario.md``). Validation is strict: an unknown key or name is a
:class:`ScenarioError` naming the field and listing the valid choices. A scenario
keeps the hyperparameters the user gave (defaults are filled in when the race is
built), so ``from_dict(s.to_dict()) == s`` holds exactly.

Reading a scenario checks everything a race needs, the surface included (a
formula is compiled, a dataset generated), so a scenario that reads is one that
races; only :meth:`Scenario.check_runnable` is left to commands that must race
now (at least one optimizer and one start, and a bounded amount of work).

Extensions beyond the contract: top-level ``title`` and ``caption`` (what a
preset teaches), and an optional ``domain`` for built-in functions and dataset surfaces.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gdstudio.engine.errors import GdstudioError, ScenarioError
from gdstudio.engine.files import atomic_write_text, read_json
from gdstudio.engine.inputs import describe, field_path, finite_float, lone_surrogate
from gdstudio.engine.objective import Domain, Objective, axis_problem
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.stop import StopRule

VERSION = 1
MAX_STEPS = 1_000_000
"""Most steps a scenario (or a command-line ``--steps``) may ask for."""
MAX_POINTS = 2_000_000
"""Most points, (steps + 1) × runners, one command records: about a gigabyte of output."""
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_TOP_KEYS = (
    "version",
    "title",
    "caption",
    "surface",
    "optimizers",
    "starts",
    "steps",
    "seed",
    "stop",
)
_OPTIMIZER_META = ("name", "label", "color", "schedule", "batch_size")


@dataclass(frozen=True)
class OptimizerConfig:
    """One optimizer of a scenario: its name, the hyperparameters given, and display data."""

    name: str
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None
    color: str | None = None
    schedule: Mapping[str, Any] | None = None
    batch_size: int | None = None
    """Batch mode only: this optimizer's own batch size (an extension of the format)."""

    def entry(self) -> Entry:
        """The validated race entry, torch defaults filled in."""
        return Entry.create(self.name, self.hyperparameters, self.schedule, self.batch_size)

    def display_label(self) -> str:
        """The label, or the optimizer's title when none was given."""
        if self.label:
            return self.label
        from gdstudio.engine.optimizers import OPTIMIZERS

        spec = OPTIMIZERS.get(self.name)
        return spec.title if spec else self.name

    def to_dict(self) -> dict[str, Any]:
        """The scenario-file form: name, hyperparameters flat, then label/color/schedule."""
        out: dict[str, Any] = {"name": self.name}
        for key, value in self.hyperparameters.items():
            out[key] = list(value) if isinstance(value, tuple) else value
        if self.label is not None:
            out["label"] = self.label
        if self.color is not None:
            out["color"] = self.color
        if self.schedule is not None:
            out["schedule"] = dict(self.schedule)
        if self.batch_size is not None:
            out["batch_size"] = self.batch_size
        return out


@dataclass(frozen=True)
class Scenario:
    """Everything needed to reproduce a race."""

    surface: Mapping[str, Any]
    optimizers: tuple[OptimizerConfig, ...]
    starts: tuple[tuple[float, float], ...] = ()
    steps: int = 500
    seed: int = 0
    stop: StopRule = field(default_factory=StopRule)
    title: str | None = None
    caption: str | None = None

    # -------------------------------------------------------------- conversion
    @classmethod
    def from_dict(cls, data: Any) -> Scenario:
        """Validate a parsed scenario; raises ScenarioError naming the bad field."""
        if not isinstance(data, Mapping):
            raise ScenarioError("", "a scenario must be a JSON object")
        _check_keys(data, "", _TOP_KEYS, required=("surface", "optimizers"))
        version = data.get("version", VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
            raise ScenarioError(
                "version", f"unsupported version {describe(version)}; this reads {VERSION}"
            )
        surface = _validate_surface(data["surface"])
        optimizers = data["optimizers"]
        if not isinstance(optimizers, list):
            raise ScenarioError("optimizers", "must be a list of optimizer objects")
        configs = tuple(
            _validate_optimizer(o, f"optimizers[{i}]") for i, o in enumerate(optimizers)
        )
        for i, config in enumerate(configs):
            if config.batch_size is not None and "dataset" not in surface:
                raise ScenarioError(
                    f"optimizers[{i}].batch_size", "only applies to a dataset surface (batch mode)"
                )
        starts = _validate_starts(data.get("starts", []))
        steps = _integer(data.get("steps", 500), "steps", low=0, high=MAX_STEPS)
        seed = _integer(data.get("seed", 0), "seed", low=0, high=2**63 - 1)
        stop = _validate_stop(data.get("stop", {}))
        title = _optional_text(data.get("title"), "title")
        caption = _optional_text(data.get("caption"), "caption")
        return cls(surface, configs, starts, steps, seed, stop, title, caption)

    def to_dict(self) -> dict[str, Any]:
        """The scenario-file form (JSON-ready)."""
        out: dict[str, Any] = {"version": VERSION}
        if self.title is not None:
            out["title"] = self.title
        if self.caption is not None:
            out["caption"] = self.caption
        out["surface"] = json.loads(json.dumps(self.surface))
        out["optimizers"] = [o.to_dict() for o in self.optimizers]
        out["starts"] = [list(p) for p in self.starts]
        out["steps"] = self.steps
        out["seed"] = self.seed
        out["stop"] = {"grad_tol": self.stop.grad_tol, "max_abs": self.stop.max_abs}
        return out

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with some fields replaced (scenarios are immutable)."""
        return replace(self, **changes)

    def with_steps(self, steps: Any, where: str = "steps") -> Scenario:
        """A copy racing ``steps`` steps, held to the file's limit; errors name ``where``."""
        return replace(self, steps=_integer(steps, where, low=0, high=MAX_STEPS))

    def check_runnable(self, source: str | None = None, records: bool = True) -> None:
        """Refuse a race that a command cannot run now; errors name ``source``.

        It needs an optimizer and a start (the app may hold an empty race while
        the user builds one), and, for a command that ``records`` every point, at
        most :data:`MAX_POINTS` of them (basin maps and sweeps keep only the last).
        """
        for name, items in (("optimizers", self.optimizers), ("starts", self.starts)):
            if not items:
                raise ScenarioError(name, f"is empty: a race needs at least one of its {name}",
                                    source)  # fmt: skip
        if not records:
            return
        points = (self.steps + 1) * len(self.optimizers) * len(self.starts)
        if points > MAX_POINTS:
            raise ScenarioError(
                "steps",
                f"(steps + 1) × {len(self.optimizers)} optimizers × {len(self.starts)} starts "
                f"is {points} points, more than the {MAX_POINTS} one command records; "
                "use fewer steps, optimizers or starts",
                source,
            )

    # -------------------------------------------------------------- building
    def objective(self) -> Objective:
        """The loss this scenario races on."""
        return build_objective(self.surface)

    def race(self, objective: Objective | None = None) -> Race:
        """A fresh race for this scenario (reuse ``objective`` if already built)."""
        entries = []
        for i, config in enumerate(self.optimizers):
            try:
                entries.append(config.entry())
            except ScenarioError:
                raise
            except GdstudioError as exc:
                raise ScenarioError(f"optimizers[{i}]", str(exc)) from None
        obj = objective if objective is not None else self.objective()
        return Race(obj, entries, self.starts, self.steps, self.stop, self.batch_schedule(obj))

    def batch_schedule(self, objective: Objective):
        """The shared batch sequence in batch mode, else None."""
        if "dataset" not in self.surface:
            return None
        from gdstudio.engine.datasets import BatchSchedule

        n = objective.n_samples or 0
        return BatchSchedule(n, self.surface.get("batch_size"), self.seed)


# ---------------------------------------------------------------- file I/O
def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file; errors name the file and the field."""
    data = read_json(path)
    try:
        return Scenario.from_dict(data)
    except ScenarioError as exc:
        raise ScenarioError(exc.field, exc.message, source=str(path)) from None


def save_scenario(scenario: Scenario, path: str | os.PathLike[str]) -> None:
    """Write a scenario atomically (temporary file in the same folder, then rename)."""
    atomic_write_text(Path(path), json.dumps(scenario.to_dict(), indent=2) + "\n")


# ---------------------------------------------------------------- surfaces
def build_objective(surface: Mapping[str, Any]) -> Objective:
    """The objective a validated ``surface`` mapping describes."""
    if "function" in surface:
        from gdstudio.engine.functions import make_function

        obj = make_function(surface["function"], surface.get("params"))
        if "domain" in surface:
            obj.domain = _as_domain(surface["domain"])
        return obj
    if "expression" in surface:
        from gdstudio.engine.formula import parse_formula

        try:
            return parse_formula(surface["expression"], _as_domain(surface.get("domain")))
        except GdstudioError as exc:
            raise ScenarioError("surface.expression", str(exc)) from None
    from gdstudio.engine.datasets import make_dataset
    from gdstudio.engine.models import make_model_objective

    obj = make_model_objective(surface["model"], make_dataset(surface["dataset"]))
    if "domain" in surface:
        obj.domain = _as_domain(surface["domain"])
    return obj


def _validate_surface(surface: Any) -> dict[str, Any]:
    if not isinstance(surface, Mapping):
        raise ScenarioError(
            "surface", "must be an object with 'function', 'expression' or 'dataset'"
        )
    if "function" in surface:
        _check_keys(surface, "surface", ("function", "params", "domain"), ("function",))
        from gdstudio.engine.functions import FUNCTIONS

        name = surface["function"]
        if not isinstance(name, str) or name not in FUNCTIONS:
            raise ScenarioError("surface.function",
                                f"unknown function {describe(name)}; valid: {', '.join(FUNCTIONS)}")  # fmt: skip
        out: dict[str, Any] = {"function": name}
        if "params" in surface:
            params = surface["params"]
            if not isinstance(params, Mapping):
                raise ScenarioError("surface.params", "must be an object of numbers")
            out["params"] = {
                k: _number(v, field_path("surface.params", k)) for k, v in params.items()
            }
        if "domain" in surface:
            out["domain"] = _domain_list(surface["domain"], "surface.domain")
        build_objective(out)  # unknown params and bad values are reported here
        return out
    if "expression" in surface:
        _check_keys(surface, "surface", ("expression", "domain"), ("expression",))
        text = surface["expression"]
        if not isinstance(text, str):
            raise ScenarioError("surface.expression", "must be a string such as 'x**2 + y**2'")
        out = {"expression": text}
        if "domain" in surface:
            out["domain"] = _domain_list(surface["domain"], "surface.domain")
        build_objective(out)  # a formula that does not compile is reported here
        return out
    if "dataset" in surface or "model" in surface:
        _check_keys(surface, "surface", ("dataset", "model", "batch_size", "domain"),
                    ("dataset", "model"))  # fmt: skip
        out = {"dataset": surface["dataset"], "model": surface["model"]}
        if surface.get("batch_size") is not None:
            out["batch_size"] = _integer(surface["batch_size"], "surface.batch_size", low=1)
        if "domain" in surface:
            out["domain"] = _domain_list(surface["domain"], "surface.domain")
        build_objective(out)  # bad data, an unknown model or bad labels are reported here
        return out
    raise ScenarioError(
        "surface", "needs one of 'function', 'expression' or 'dataset' (with 'model')"
    )


def _domain_list(value: Any, where: str) -> list[list[float]]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(r, list) and len(r) == 2 for r in value)
    ):
        raise ScenarioError(where, "must be [[xmin, xmax], [ymin, ymax]]")
    out = [[_number(v, f"{where}[{i}][{j}]") for j, v in enumerate(r)] for i, r in enumerate(value)]
    for i, (lo, hi) in enumerate(out):
        problem = axis_problem(lo, hi)
        if problem:
            raise ScenarioError(f"{where}[{i}]", problem)
    return out


def _as_domain(value: Any) -> Domain | None:
    if value is None:
        return None
    (x0, x1), (y0, y1) = value
    return ((float(x0), float(x1)), (float(y0), float(y1)))


# ---------------------------------------------------------------- optimizers
def _validate_optimizer(value: Any, where: str) -> OptimizerConfig:
    if not isinstance(value, Mapping):
        raise ScenarioError(where, "must be an object with a 'name'")
    if "name" not in value:
        raise ScenarioError(where, "missing 'name'")
    from gdstudio.engine.optimizers import OPTIMIZERS, resolve_hyperparams

    name = value["name"]
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ScenarioError(
            f"{where}.name", f"unknown optimizer {describe(name)}; valid: {', '.join(OPTIMIZERS)}"
        )
    hyper = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in value.items()
        if k not in _OPTIMIZER_META
    }
    try:
        resolve_hyperparams(name, hyper)
    except GdstudioError as exc:
        raise ScenarioError(where, str(exc)) from None
    color = value.get("color")
    if color is not None and (not isinstance(color, str) or not _COLOR.match(color)):
        raise ScenarioError(f"{where}.color", f"must be '#rrggbb', got {describe(color)}")
    schedule = value.get("schedule")
    if schedule is not None:
        from gdstudio.engine.schedules import resolve_schedule

        if not isinstance(schedule, Mapping):
            raise ScenarioError(f"{where}.schedule", "must be an object with a 'name'")
        try:
            resolve_schedule(schedule)
        except GdstudioError as exc:
            raise ScenarioError(f"{where}.schedule", str(exc)) from None
        schedule = dict(schedule)
    label = _optional_text(value.get("label"), f"{where}.label")
    batch_size = value.get("batch_size")
    if batch_size is not None:
        batch_size = _integer(batch_size, f"{where}.batch_size", low=1)
    return OptimizerConfig(name, hyper, label, color, schedule, batch_size)


# ---------------------------------------------------------------- small validators
def _check_keys(
    data: Mapping[str, Any], where: str, allowed: Sequence[str], required: Sequence[str] = ()
) -> None:
    for key in data:
        if key not in allowed:
            raise ScenarioError(
                field_path(where, key), f"unknown key; valid keys: {', '.join(allowed)}"
            )
    for key in required:
        if key not in data:
            raise ScenarioError(field_path(where, key), "is required")


def _number(value: Any, where: str) -> float:
    number = finite_float(value)
    if number is None:
        raise ScenarioError(where, f"must be a finite number, got {describe(value)}")
    return number


def _integer(value: Any, where: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(where, f"must be a whole number, got {describe(value)}")
    if low is not None and value < low:
        raise ScenarioError(where, f"must be at least {low}, got {describe(value)}")
    if high is not None and value > high:
        raise ScenarioError(where, f"must be at most {high}, got {describe(value)}")
    return value


def _optional_text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ScenarioError(where, f"must be a string, got {describe(value)}")
    surrogate = lone_surrogate(value)
    if surrogate is not None:
        raise ScenarioError(
            where, f"holds a broken character (a lone UTF-16 surrogate) at position {surrogate}"
        )
    return value


def _validate_starts(value: Any) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list):
        raise ScenarioError("starts", "must be a list of [x, y] points")
    out = []
    for i, p in enumerate(value):
        if not isinstance(p, list) or len(p) != 2:
            raise ScenarioError(f"starts[{i}]", f"must be [x, y], got {describe(p)}")
        out.append((_number(p[0], f"starts[{i}][0]"), _number(p[1], f"starts[{i}][1]")))
    return tuple(out)


def _validate_stop(value: Any) -> StopRule:
    if not isinstance(value, Mapping):
        raise ScenarioError("stop", "must be an object with grad_tol and max_abs")
    _check_keys(value, "stop", ("grad_tol", "max_abs"))
    defaults = StopRule()
    grad_tol = _number(value.get("grad_tol", defaults.grad_tol), "stop.grad_tol")
    max_abs = _number(value.get("max_abs", defaults.max_abs), "stop.max_abs")
    if grad_tol < 0:
        raise ScenarioError("stop.grad_tol", f"must be >= 0, got {grad_tol}")
    if max_abs <= 0:
        raise ScenarioError("stop.max_abs", f"must be > 0, got {max_abs}")
    return StopRule(grad_tol, max_abs)
