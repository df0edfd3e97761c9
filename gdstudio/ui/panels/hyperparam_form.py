"""A form generated from the engine's parameter tables, validated as the user types.

One widget per parameter: a line edit for numbers (so ``1e-8`` types naturally),
a check box for booleans, two line edits for pairs. A bad value marks its field
and the form's inline message; nothing is sent until every field is valid.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from gdstudio.ui.panels.inline_message import InlineMessage

BAD_FIELD = "QLineEdit { border: 1px solid #b00020; background: #fff5f5; }"


@dataclass(frozen=True)
class Field:
    """One input of a form (from an optimizer, schedule or function parameter)."""

    name: str
    default: Any
    kind: str = "float"  # float, int, bool or pair
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    doc: str = ""
    required: bool = False
    """No default: the field starts empty and must be filled in (``default`` is None)."""

    @classmethod
    def of(cls, spec: Any) -> Field:
        """A field from any of the engine's parameter descriptions."""
        kind = getattr(spec, "kind", "int" if getattr(spec, "integer", False) else "float")
        required = bool(getattr(spec, "required", False))
        return cls(spec.name, None if required else spec.default, kind, getattr(spec, "low", None),
                   getattr(spec, "high", None), getattr(spec, "low_open", False),
                   getattr(spec, "high_open", False), getattr(spec, "doc", ""), required)  # fmt: skip

    def tooltip(self) -> str:
        """The doc plus the valid range."""
        lo = "" if self.low is None else f"{'>' if self.low_open else '≥'} {self.low:g}"
        hi = "" if self.high is None else f"{'<' if self.high_open else '≤'} {self.high:g}"
        rng = " and ".join(s for s in (lo, hi) if s)
        return f"{self.doc}" + (f" (valid: {rng})" if rng else "")


def _format(value: Any) -> str:
    # repr is the shortest text that reads back as the same float: a value the user
    # did not edit goes back to the race unchanged (":g" would cut it to 6 digits).
    return repr(value) if isinstance(value, float) else str(value)


class ParamForm(QWidget):
    """Fields for a parameter table; ``committed`` when the user finishes a valid edit."""

    committed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        rows = QWidget()
        self.layout_ = QFormLayout(rows)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.message = InlineMessage()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(rows)
        outer.addWidget(self.message)
        self._fields: list[Field] = []
        self._widgets: dict[str, list[QWidget]] = {}

    def set_fields(self, fields: Iterable[Field], values: Mapping[str, Any]) -> None:
        """Show ``values`` (defaults where missing) in fields for ``fields``.

        The same fields as before keep their widgets (and the focus); other fields
        replace them. Old widgets go once control is back in the event loop: this
        often runs inside a signal of the very check box or field being replaced.
        """
        fields = list(fields)
        if fields != self._fields:
            self._build(fields)
        for f in self._fields:
            value = values.get(f.name, f.default)
            widgets = self._widgets[f.name]
            if f.kind == "bool":
                widgets[0].blockSignals(True)
                widgets[0].setChecked(bool(value))  # type: ignore[attr-defined]
                widgets[0].blockSignals(False)
                continue
            for edit, v in zip(widgets, list(value) if f.kind == "pair" else [value], strict=True):
                edit.setText("" if v is None else _format(v))  # type: ignore[attr-defined]
                edit.setStyleSheet("")
        self.message.clear()

    def _build(self, fields: list[Field]) -> None:
        # A field being replaced says nothing more: hiding the focused one would finish
        # its edit, and the form would send the old fields' values for the new ones.
        for widgets in self._widgets.values():
            for widget in widgets:
                widget.blockSignals(True)
        while self.layout_.rowCount():
            row = self.layout_.takeRow(0)
            for item in (row.labelItem, row.fieldItem):
                if item is not None and item.widget() is not None:
                    item.widget().hide()
                    item.widget().deleteLater()
        self._fields = fields
        self._widgets = {}
        for f in fields:
            if f.kind == "bool":
                box = QCheckBox(toolTip=f.tooltip())
                box.toggled.connect(self._on_edit)
                widgets: list[QWidget] = [box]
                row_widget: QWidget = box
            else:
                widgets = []
                row_widget = QWidget()
                line = QHBoxLayout(row_widget)
                line.setContentsMargins(0, 0, 0, 0)
                for _ in range(2 if f.kind == "pair" else 1):
                    edit = QLineEdit(toolTip=f.tooltip(), objectName=f"field-{f.name}")
                    if f.required:
                        edit.setPlaceholderText(f"required: {f.doc or 'a number'}")
                    edit.editingFinished.connect(self._on_edit)
                    line.addWidget(edit)
                    widgets.append(edit)
            self._widgets[f.name] = widgets
            self.layout_.addRow(f.name, row_widget)

    def edit(self, name: str, index: int = 0) -> QLineEdit:
        """The line edit of field ``name`` (for tests and focus)."""
        return self._widgets[name][index]  # type: ignore[return-value]

    def check(self, name: str) -> QCheckBox:
        """The check box of boolean field ``name``."""
        return self._widgets[name][0]  # type: ignore[return-value]

    def names(self, kind: str | None = None) -> list[str]:
        """The fields' names, in order (only those of ``kind``, if given)."""
        return [f.name for f in self._fields if kind is None or f.kind == kind]

    def values(self) -> dict[str, Any]:
        """Every field's value; ValueError naming the first bad field."""
        out: dict[str, Any] = {}
        for f in self._fields:
            widgets = self._widgets[f.name]
            if f.kind == "bool":
                out[f.name] = widgets[0].isChecked()  # type: ignore[attr-defined]
                continue
            parsed = [self._parse(f, w) for w in widgets]
            out[f.name] = tuple(parsed) if f.kind == "pair" else parsed[0]
        return out

    def _parse(self, f: Field, edit: QWidget) -> float | int:
        text = edit.text().strip()  # type: ignore[attr-defined]
        edit.setStyleSheet("")
        if not text and f.required:
            edit.setStyleSheet(BAD_FIELD)
            raise ValueError(f"{f.name} is required: {f.doc or 'a number'}")
        try:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            edit.setStyleSheet(BAD_FIELD)
            raise ValueError(f"{f.name}: '{text}' is not a number") from None
        if f.kind == "int":
            if value != int(value):
                edit.setStyleSheet(BAD_FIELD)
                raise ValueError(f"{f.name}: must be a whole number")
            value = int(value)
        too_low = f.low is not None and (value < f.low or (f.low_open and value == f.low))
        too_high = f.high is not None and (value > f.high or (f.high_open and value == f.high))
        if too_low or too_high:
            edit.setStyleSheet(BAD_FIELD)
            raise ValueError(f"{f.name}: {value:g} is out of range — {f.tooltip()}")
        return value

    def _on_edit(self) -> None:
        try:
            self.values()
        except ValueError as exc:
            self.message.show_error(str(exc))
            return
        self.message.clear()
        self.committed.emit()
