"""What a form sends back is what the scenario had, unless the user changed it.

A spin box rounds what it shows (0.125 shows as 0.13) and a form fills in every
default; sent back as they are, an untouched form would quietly change the race
(rounded values, a file's explicit default dropped, defaults written out). These
helpers keep the scenario's own values and keys wherever the user left them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from PySide6.QtWidgets import QDoubleSpinBox


class ExactSpinBox(QDoubleSpinBox):
    """A spin box that gives back the value it was set to, not its rounding, until edited."""

    _shown: float | None = None
    _exact: float = 0.0

    def set_exact(self, value: float) -> None:
        """Show ``value`` (rounded to the box's decimals) and remember it exactly."""
        self.setValue(value)
        self._shown, self._exact = self.value(), float(value)

    def exact_value(self) -> float:
        """The value set, if the box still shows it; else what the user entered."""
        return self._exact if self.value() == self._shown else self.value()


def kept_keys(
    values: Mapping[str, Any], given: Collection[str], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """``values`` with only the keys the scenario gave and those that differ from the defaults."""
    return {k: v for k, v in values.items() if k in given or v != defaults.get(k)}
