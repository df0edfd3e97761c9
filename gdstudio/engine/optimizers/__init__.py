"""Every optimizer the engine has, and validation of their hyperparameters.

Names, defaults and valid ranges of hyperparameters are torch.optim's, and bad
values are refused with torch's messages (``Invalid learning rate: -1.0``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gdstudio.engine.errors import HyperparameterError
from gdstudio.engine.inputs import describe, finite_float
from gdstudio.engine.optimizers.adam import ADAM, ADAMAX, ADAMW, LION, NADAM, RADAM
from gdstudio.engine.optimizers.adaptive import ADADELTA, ADAGRAD, RMSPROP
from gdstudio.engine.optimizers.base import HyperParam, OptimizerSpec
from gdstudio.engine.optimizers.newton import NEWTON
from gdstudio.engine.optimizers.sgd import SGD

OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (SGD, ADAGRAD, RMSPROP, ADAM, ADAMW, NADAM, RADAM, ADADELTA, ADAMAX, NEWTON, LION)
}

_MESSAGE_NAMES = {"lr": "learning rate", "eps": "epsilon value"}

__all__ = ["OPTIMIZERS", "HyperParam", "OptimizerSpec", "get_optimizer", "resolve_hyperparams"]


def get_optimizer(name: str) -> OptimizerSpec:
    """The optimizer called ``name``; HyperparameterError lists the valid names."""
    spec = OPTIMIZERS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise HyperparameterError(
            f"unknown optimizer {describe(name)}; valid: {', '.join(OPTIMIZERS)}"
        )
    return spec


def resolve_hyperparams(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Every hyperparameter of optimizer ``name``, torch's defaults filled in, validated.

    Pairs come back as tuples of floats, booleans as bool, numbers as float.
    """
    spec = get_optimizer(name)
    table = {h.name: h for h in spec.hyperparams}
    for key in given:
        if key not in table:
            raise HyperparameterError(
                f"{name} has no hyperparameter {describe(key)}; valid: {', '.join(table)}"
            )
    out = {h.name: _coerce(h, given.get(h.name, h.default)) for h in spec.hyperparams}
    if spec.check is not None:
        spec.check(out)
    return out


def _coerce(h: HyperParam, value: Any) -> Any:
    if h.kind == "bool":
        if not isinstance(value, bool):
            raise HyperparameterError(f"{h.name} must be true or false, got {describe(value)}")
        return value
    if h.kind == "pair":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise HyperparameterError(f"{h.name} must be a pair of numbers, got {describe(value)}")
        pair = tuple(_number(h, v) for v in value)
        for i, v in enumerate(pair):
            if not _in_range(h, v):
                raise HyperparameterError(f"Invalid beta parameter at index {i}: {v}")
        return pair
    number = _number(h, value)
    if not _in_range(h, number):
        label = _MESSAGE_NAMES.get(h.name, f"{h.name} value")
        raise HyperparameterError(f"Invalid {label}: {number}")
    return number


def _number(h: HyperParam, value: Any) -> float:
    number = finite_float(value)
    if number is None:
        raise HyperparameterError(f"{h.name} must be a finite number, got {describe(value)}")
    return number


def _in_range(h: HyperParam, v: float) -> bool:
    if h.low is not None and (v < h.low or (h.low_open and v == h.low)):
        return False
    return not (h.high is not None and (v > h.high or (h.high_open and v == h.high)))
