"""Learning-rate schedules with torch.optim.lr_scheduler's semantics and numbers.

A schedule is stepped once after every optimizer step. torch computes most
schedules recursively from the previous learning rate (``get_lr``), so we do
too and memoize the sequence: ``lr_at(k)`` is the rate for the (k+1)-th step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gdstudio.engine.errors import HyperparameterError
from gdstudio.engine.inputs import describe, finite_float

REQUIRED = object()
"""Marks a schedule argument torch requires (no default)."""


@dataclass(frozen=True)
class ScheduleParam:
    """One argument of a schedule, as torch names it."""

    name: str
    default: Any
    integer: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    doc: str = ""

    @property
    def required(self) -> bool:
        """True when torch has no default for this argument: the user must give it."""
        return self.default is REQUIRED


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule: its arguments and torch's recursive rule.

    ``rule(k, lr_prev, base_lr, args)`` gives the rate after ``k`` scheduler steps
    (k ≥ 1) from the previous rate, exactly as torch's ``get_lr``.
    """

    name: str
    title: str
    description: str
    params: tuple[ScheduleParam, ...]
    rule: Callable[[int, float, float, Mapping[str, Any]], float]
    initial_factor: Callable[[Mapping[str, Any]], float] = lambda args: 1.0


def _step_rule(k: int, lr: float, base: float, a: Mapping[str, Any]) -> float:
    return lr if k % a["step_size"] != 0 else lr * a["gamma"]


def _cosine_rule(k: int, lr: float, base: float, a: Mapping[str, Any]) -> float:
    t_max, eta_min = a["T_max"], a["eta_min"]
    if (k - 1 - t_max) % (2 * t_max) == 0:
        return lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
    return (1 + math.cos(math.pi * k / t_max)) / (1 + math.cos(math.pi * (k - 1) / t_max)) * (
        lr - eta_min
    ) + eta_min


def _linear_rule(k: int, lr: float, base: float, a: Mapping[str, Any]) -> float:
    s, e, n = a["start_factor"], a["end_factor"], a["total_iters"]
    if k > n:
        return lr
    return lr * (1.0 + (e - s) / (n * s + (k - 1) * (e - s)))


SCHEDULES: dict[str, ScheduleSpec] = {
    s.name: s
    for s in (
        ScheduleSpec("constant", "Constant", "the learning rate never changes", (),
                     lambda k, lr, base, a: lr),
        ScheduleSpec(
            "step", "Step decay", "multiply by gamma every step_size steps (StepLR)",
            (ScheduleParam("step_size", REQUIRED, integer=True, low=1, doc="steps between decays"),
             ScheduleParam("gamma", 0.1, low=0.0, doc="factor applied at each decay")),
            _step_rule,
        ),
        ScheduleSpec(
            "exponential", "Exponential decay", "multiply by gamma after every step (ExponentialLR)",
            (ScheduleParam("gamma", REQUIRED, low=0.0, doc="factor applied after every step"),),
            lambda k, lr, base, a: lr * a["gamma"],
        ),
        ScheduleSpec(
            "cosine", "Cosine annealing",
            "half a cosine from lr down to eta_min over T_max steps, then back up (CosineAnnealingLR)",
            (ScheduleParam("T_max", REQUIRED, integer=True, low=1, doc="steps of half a period"),
             ScheduleParam("eta_min", 0.0, low=0.0, doc="lowest learning rate")),
            _cosine_rule,
        ),
        ScheduleSpec(
            "linear", "Linear warm-up/decay",
            "scale lr linearly from start_factor to end_factor over total_iters steps (LinearLR)",
            (ScheduleParam("start_factor", 1.0 / 3, low=0.0, low_open=True, high=1.0,
                           doc="factor at the first step"),
             ScheduleParam("end_factor", 1.0, low=0.0, high=1.0, doc="factor after total_iters"),
             ScheduleParam("total_iters", 5, integer=True, low=0, doc="steps of the ramp")),
            _linear_rule,
            initial_factor=lambda a: a["start_factor"],
        ),
    )
}  # fmt: skip


def resolve_schedule(config: Mapping[str, Any]) -> dict[str, Any]:
    """``{"name": ..., **args}`` with torch's defaults filled in; HyperparameterError if bad."""
    name = config.get("name")
    spec = SCHEDULES.get(name) if isinstance(name, str) else None
    if spec is None:
        raise HyperparameterError(
            f"unknown schedule {describe(name)}; valid: {', '.join(SCHEDULES)}"
        )
    table = {p.name: p for p in spec.params}
    for key in config:
        if key != "name" and key not in table:
            valid = ", ".join(table) or "none"
            raise HyperparameterError(
                f"schedule {name} takes no argument {describe(key)}; valid: {valid}"
            )
    out: dict[str, Any] = {"name": name}
    for p in spec.params:
        if p.name not in config:
            if p.default is REQUIRED:
                raise HyperparameterError(f"schedule {name} needs {p.name!r}")
            out[p.name] = p.default
            continue
        out[p.name] = _value(name, p, config[p.name])
    return out


def _value(schedule: str, p: ScheduleParam, value: Any) -> int | float:
    where = f"schedule {schedule}: {p.name}"
    if finite_float(value) is None:
        raise HyperparameterError(f"{where} must be a finite number, got {describe(value)}")
    if p.integer:
        if value != int(value):
            raise HyperparameterError(f"{where} must be a whole number, got {describe(value)}")
        value = int(value)
    else:
        value = float(value)
    if p.low is not None and (value < p.low or (p.low_open and value == p.low)):
        raise HyperparameterError(
            f"{where} must be {'>' if p.low_open else '>='} {p.low}, got {value}"
        )
    if p.high is not None and value > p.high:
        raise HyperparameterError(f"{where} must be <= {p.high}, got {value}")
    return value


class Schedule:
    """The learning rates one optimizer entry uses, step by step."""

    def __init__(self, config: Mapping[str, Any] | None, base_lr: float) -> None:
        args = resolve_schedule(config) if config else {"name": "constant"}
        self.spec = SCHEDULES[args["name"]]
        self.args = args
        self.base_lr = float(base_lr)
        self._lrs = [self.base_lr * self.spec.initial_factor(args)]
        self.constant = self.spec.name == "constant"
        """True when every step uses the base learning rate."""

    def lr_at(self, k: int) -> float:
        """The learning rate of the (k+1)-th optimizer step (after k scheduler steps)."""
        lrs = self._lrs
        if self.constant:  # every step the same: no list to grow
            return lrs[0]
        while len(lrs) <= k:
            lrs.append(self.spec.rule(len(lrs), lrs[-1], self.base_lr, self.args))
        return lrs[k]


def make_schedule(config: Mapping[str, Any] | None, base_lr: float) -> Schedule:
    """A schedule for one optimizer entry (``None``: constant)."""
    return Schedule(config, base_lr)
