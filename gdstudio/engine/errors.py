"""Errors the engine raises for bad user input.

Every message is meant to be shown to a user as it is: one line naming what is
wrong and, where there is a fixed set of valid choices, listing them.
"""

from __future__ import annotations


class GdstudioError(ValueError):
    """Base class of every user-facing input error."""


class ScenarioError(GdstudioError):
    """A scenario (file or dict) is invalid.

    ``field`` is the dotted path of the offending field, e.g. ``optimizers[1].lr``;
    ``source`` the file it came from, when there is one.
    """

    def __init__(self, field: str, message: str, source: str | None = None) -> None:
        self.field = field
        self.message = message
        self.source = source
        parts = [p for p in (source, field, message) if p]
        super().__init__(": ".join(parts))


class FormulaError(GdstudioError):
    """A user formula does not parse or uses something outside the whitelist.

    ``position`` is the 0-based character offset of the problem, or None.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message
        self.position = position
        where = f" (at column {position + 1})" if position is not None else ""
        super().__init__(f"{message}{where}")


class HyperparameterError(GdstudioError):
    """A hyperparameter name or value is invalid, as torch.optim would refuse it."""


class AnalysisError(GdstudioError):
    """A basin map or sweep asked for something the scenario cannot give."""
