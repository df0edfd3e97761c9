"""Why a runner stops: its status codes and the race's stop rules.

This module is the one source of the status numbers; the compiled path and the
views read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Status(IntEnum):
    """Where a runner stands; the names are the result format's status strings."""

    RUNNING = 0
    CONVERGED = 1
    DIVERGED = 2
    MAX_STEPS = 3

    @property
    def label(self) -> str:
        """The status as the result format writes it (``converged``, ...)."""
        return self.name.lower()


@dataclass(frozen=True)
class StopRule:
    """When a runner stops: gradient norm below ``grad_tol`` (0 disables), or blow-up."""

    grad_tol: float = 1e-6
    max_abs: float = 1e6
