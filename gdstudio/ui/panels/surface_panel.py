"""Choose the surface: a built-in function with its parameters, or your own formula."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gdstudio.engine.catalog import FUNCTIONS
from gdstudio.engine.errors import FormulaError, GdstudioError
from gdstudio.ui.controller import RaceController
from gdstudio.ui.panels.exact import ExactSpinBox, kept_keys
from gdstudio.ui.panels.hyperparam_form import Field, ParamForm
from gdstudio.ui.panels.inline_message import InlineMessage

NOT_A_FUNCTION = {
    False: "The race is on a dataset's loss (see Batch mode). Choose a function to race on it.",
    True: "The race is on your formula below. Choose a function to race on it instead.",
}
"""What the built-in box says while the race is on something else (key: a formula?)."""


def _as_lists(domain) -> list[list[float]]:
    """A domain as the scenario format writes it: [[x0, x1], [y0, y1]]."""
    return [[float(v) for v in domain[0]], [float(v) for v in domain[1]]]


class DomainFields(QWidget):
    """xmin, xmax, ymin, ymax."""

    def __init__(self) -> None:
        super().__init__()
        self.boxes = [ExactSpinBox(minimum=-1e4, maximum=1e4, decimals=2) for _ in range(4)]
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for i, (box, tip) in enumerate(zip(self.boxes, ("x min", "x max", "y min", "y max"),
                                           strict=True)):  # fmt: skip
            box.setToolTip(tip)
            row, col = divmod(i, 2)
            if col == 0:
                layout.addWidget(QLabel("x" if row == 0 else "y"), row, 0)
            layout.addWidget(box, row, col + 1)

    def set_domain(self, domain) -> None:
        """Show ``domain``."""
        for box, v in zip(self.boxes, (*domain[0], *domain[1]), strict=True):
            box.set_exact(float(v))

    def domain(self) -> list[list[float]]:
        """The domain as the scenario format writes it (exact where the user left it)."""
        v = [b.exact_value() for b in self.boxes]
        return [[v[0], v[1]], [v[2], v[3]]]


class SurfacePanel(QWidget):
    """Built-in functions (with the lesson each teaches) and a formula editor."""

    def __init__(self, controller: RaceController) -> None:
        super().__init__()
        self._controller = controller
        self.combo = QComboBox(
            minimumContentsLength=12,
            sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon,
            placeholderText="choose a function",
        )
        for name, spec in FUNCTIONS.items():
            self.combo.addItem(spec.title, name)
            self.combo.setItemData(self.combo.count() - 1, spec.description,
                                   Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        self.lesson = QLabel(wordWrap=True)
        self.lesson.setStyleSheet("color: #555; font-style: italic;")
        self.params = ParamForm()
        self.domain = DomainFields()
        self.apply_button = QPushButton("Use this function")
        builtin = QGroupBox("Built-in function")
        form = QFormLayout(builtin)
        form.addRow(self.combo)
        form.addRow(self.lesson)
        form.addRow(self.params)
        form.addRow("Domain", self.domain)
        form.addRow(self.apply_button)

        self.formula = QLineEdit(placeholderText="e.g. x**2 + 3*sin(y)")
        self.formula.setToolTip("A function of x and y: numbers, + - * / ** ^, parentheses, "
                                "pi, e, and sin cos tan exp log sqrt abs tanh arctan …")  # fmt: skip
        self.formula_domain = DomainFields()
        self.formula_domain.set_domain(((-3, 3), (-3, 3)))
        self.formula_message = InlineMessage()
        self.formula_button = QPushButton("Use this formula")
        self.suggest_button = QPushButton(
            toolTip="Race on the part of the domain where it is finite"
        )
        self.suggest_button.hide()
        self._suggested: tuple | None = None
        user = QGroupBox("Your formula")
        uform = QFormLayout(user)
        uform.addRow(self.formula)
        uform.addRow("Domain", self.formula_domain)
        uform.addRow(self.formula_button)
        # The hint comes and goes as the user types: below the button, it never moves it.
        uform.addRow(self.formula_message)
        uform.addRow(self.suggest_button)
        self.message = InlineMessage()

        layout = QVBoxLayout(self)
        layout.addWidget(builtin)
        layout.addWidget(user)
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.combo.currentIndexChanged.connect(self._on_function_pick)
        self.apply_button.clicked.connect(self.apply_function)
        self.params.committed.connect(self.apply_function)
        self.formula.textChanged.connect(self._on_formula_edit)
        self.formula.returnPressed.connect(self.apply_formula)
        self.formula_button.clicked.connect(self.apply_formula)
        self.suggest_button.clicked.connect(self._use_suggested_domain)
        controller.loaded.connect(self._on_load)
        controller.surface_changed.connect(self._on_surface_change)
        self._on_surface_change()

    def _on_surface_change(self) -> None:
        surface = self._controller.scenario.surface
        self.combo.blockSignals(True)
        if "function" in surface:
            self.combo.setCurrentIndex(self.combo.findData(surface["function"]))
            self._show_function(surface["function"], surface.get("params", {}))
            self.domain.set_domain(self._controller.domain)
        else:  # no built-in is in use: none is shown as chosen until the user picks one
            self.combo.setCurrentIndex(-1)
            self.lesson.setText(NOT_A_FUNCTION["expression" in surface])
            self.params.setVisible(False)
            self.domain.setEnabled(False)
            self.apply_button.setEnabled(False)
        if "expression" in surface:
            self.formula.blockSignals(True)
            self.formula.setText(surface["expression"])
            self.formula.blockSignals(False)
            self.formula_domain.set_domain(self._controller.domain)
        self.combo.blockSignals(False)
        self._report_nonfinite("expression" in surface)

    def _on_load(self) -> None:
        """A new scenario: the formula field shows its formula, or nothing (no old draft)."""
        self.formula.blockSignals(True)
        self.formula.setText(self._controller.scenario.surface.get("expression", ""))
        self.formula.blockSignals(False)
        self.formula_message.clear()
        self.message.clear()

    def _report_nonfinite(self, formula: bool) -> None:
        """Say how much of a formula's domain is not finite, and offer a smaller domain."""
        share, suggested = self._controller.nonfinite_share() if formula else (0.0, None)
        self._suggested = suggested
        self.suggest_button.setVisible(suggested is not None)
        if share == 0.0:
            return
        amount = f"{share:.0%}" if share >= 0.01 else "less than 1%"
        text = (f"{amount} of the domain is not finite (the formula overflows or is undefined "
                "there); the map draws it at the highest finite value.")  # fmt: skip
        if suggested is not None:
            (x0, x1), (y0, y1) = suggested
            self.suggest_button.setText(f"Use x ∈ [{x0:.3g}, {x1:.3g}], y ∈ [{y0:.3g}, {y1:.3g}]")
            text += " Try a smaller domain:"
        self.formula_message.show_warning(text)

    def _use_suggested_domain(self) -> None:
        if self._suggested is not None:
            self.formula_domain.set_domain(self._suggested)
            self.apply_formula()

    def _show_function(self, name: str, values: dict[str, Any]) -> None:
        spec = FUNCTIONS[name]
        self.domain.setEnabled(True)
        self.apply_button.setEnabled(True)
        self.lesson.setText(spec.description)
        fields = [Field(k, v, doc=spec.param_docs.get(k, "")) for k, v in spec.params.items()]
        self.params.set_fields(fields, values)
        self.params.setVisible(bool(fields))

    def _on_function_pick(self) -> None:
        name = self.combo.currentData()
        self._show_function(name, {})
        self.domain.set_domain(FUNCTIONS[name].domain)
        self.apply_function()

    def apply_function(self) -> None:
        """Switch the race to the chosen built-in function."""
        try:
            params = self.params.values()
        except ValueError as exc:
            self.message.show_error(str(exc))
            return
        name = self.combo.currentData()
        if name is None:  # no function chosen (the race is on a formula or a dataset)
            return
        current = self._controller.scenario.surface
        same = current.get("function") == name
        surface: dict[str, Any] = {"function": name}
        given = kept_keys(params, current.get("params", {}) if same else (), FUNCTIONS[name].params)
        if given:
            surface["params"] = given
        domain = self.domain.domain()
        if not same or "domain" in current or domain != _as_lists(self._controller.domain):
            surface["domain"] = domain
        self._apply(surface, self.message)

    def _on_formula_edit(self, text: str) -> None:
        self.suggest_button.hide()  # it was about the formula in use, not the one typed
        if not text.strip():
            self.formula_message.clear()
            return
        try:
            self._controller.check_formula(text)
        except FormulaError as exc:
            caret = ""
            if exc.position is not None:
                caret = f"<br><code>{text[: exc.position]}<u><b>{text[exc.position : exc.position + 1] or ' '}</b></u></code>"
            self.formula_message.show_error(f"{exc}{caret}")
            return
        self.formula_message.show_info("✓ valid — press Enter to use it")

    def apply_formula(self) -> None:
        """Switch the race to the typed formula (the old surface stays if it is bad)."""
        text = self.formula.text()
        surface = {"expression": text, "domain": self.formula_domain.domain()}
        self._apply(surface, self.formula_message)

    def _apply(self, surface: dict[str, Any], message: InlineMessage) -> None:
        message.clear()  # before: the new surface may bring its own warning
        try:
            self._controller.set_surface(surface)
        except GdstudioError as exc:
            message.show_error(str(exc))
