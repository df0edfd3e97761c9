"""Batch mode: a toy dataset, a model, the batch size, and the data with each runner's fit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gdstudio.engine.catalog import DATASETS, MODELS
from gdstudio.engine.errors import GdstudioError
from gdstudio.ui.controller import RaceController
from gdstudio.ui.guard import guarded
from gdstudio.ui.panels.exact import ExactSpinBox, kept_keys
from gdstudio.ui.panels.inline_message import InlineMessage

GRID_POINTS = 60
NO_DATASET = "The race is on a function:<br>choose a dataset and press<br>Use this dataset"
"""The plot's title while the race is not in batch mode, in lines a narrow dock shows whole."""
SPIN_MAX = 2**31 - 1
"""The largest number a spin box holds."""


class BatchPanel(QWidget):
    """Dataset, model and batch size; a plot of the data with every runner's current model."""

    batch_overlay_toggled = Signal(bool)

    def __init__(self, controller: RaceController) -> None:
        super().__init__()
        self._controller = controller
        self.dataset = QComboBox(
            minimumContentsLength=12,
            sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon,
        )
        for name, spec in DATASETS.items():
            self.dataset.addItem(spec.title, name)
            self.dataset.setItemData(self.dataset.count() - 1, spec.description,
                                     Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        self.n_samples = QSpinBox(minimum=2, maximum=100_000, value=200, toolTip="rows")
        self.noise = ExactSpinBox(minimum=0, maximum=10, value=0.5, singleStep=0.1, decimals=3)
        self.seed = QSpinBox(minimum=0, maximum=SPIN_MAX, value=0)
        self.model = QComboBox(
            minimumContentsLength=12,
            sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon,
        )
        for name, spec in MODELS.items():
            self.model.addItem(spec.title, name)
        self.full = QRadioButton("Full batch", toolTip="every row for every step: smooth")
        self.stochastic = QRadioButton("Stochastic (1)", toolTip="one row per step: noisy")
        self.mini = QRadioButton("Mini-batch", toolTip="k rows per step")
        self.mini_size = QSpinBox(minimum=2, maximum=100_000, value=32)
        self.mode = QButtonGroup(self)
        for b in (self.full, self.stochastic, self.mini):
            self.mode.addButton(b)
        self.full.setChecked(True)
        modes = QGridLayout()
        modes.addWidget(self.full, 0, 0)
        modes.addWidget(self.stochastic, 0, 1)
        modes.addWidget(self.mini, 1, 0)
        modes.addWidget(self.mini_size, 1, 1)
        self.apply_button = QPushButton("Use this dataset")
        self.overlay = QCheckBox("Show the current mini-batch's loss surface on the map")
        self.message = InlineMessage()
        self.plot = pg.PlotWidget(enableMenu=False)
        self.plot.setMinimumHeight(180)
        self.plot.hideButtons()
        # The frame is the data's (set with the data): fitted lines leave it rather than
        # rescale it, and with no buttons or menu to undo it, a stray wheel must not zoom.
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setLabel("bottom", "x")
        self.plot.setLabel("left", "y")
        self.scatter = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush("#55555590"))
        self.plot.addItem(self.scatter)
        self.fits: list[pg.PlotCurveItem] = []

        form = QFormLayout()
        form.addRow("Dataset", self.dataset)
        form.addRow("Samples", self.n_samples)
        form.addRow("Noise", self.noise)
        form.addRow("Seed", self.seed)
        form.addRow("Model", self.model)
        form.addRow("Batch", modes)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.overlay)
        layout.addWidget(self.message)
        layout.addWidget(self.plot, 1)

        self.apply_button.clicked.connect(self.apply)
        self.overlay.toggled.connect(self.batch_overlay_toggled)
        self.dataset.currentIndexChanged.connect(self._on_dataset_pick)
        controller.surface_changed.connect(self._on_surface_change)
        controller.runners_changed.connect(self._on_runners_change)
        controller.stepped.connect(self._on_step)
        self._on_surface_change()

    def _on_dataset_pick(self) -> None:
        """Show the picked dataset's parameters (its defaults) and the models that fit its data."""
        name = self.dataset.currentData()
        if name is None:
            return
        spec = DATASETS[name]
        self._show_parameters(name, {})
        self._offer_models()
        wanted = "logistic_regression" if spec.task == "classification" else "linear_regression"
        self.model.setCurrentIndex(self.model.findData(wanted))
        self.apply_button.setEnabled(True)

    def _show_parameters(self, name: str | None, values: Mapping[str, Any]) -> None:
        """Rows, noise and seed of dataset ``name`` (its defaults where ``values`` has none).

        Inline data (``name`` None) have no parameters: the boxes are greyed out.
        """
        boxes = {"n_samples": self.n_samples, "noise": self.noise, "seed": self.seed}
        for key, box in boxes.items():
            box.setEnabled(name is not None)
            if name is None:
                continue
            param = DATASETS[name].param(key)
            box.setRange(param.low, min(param.high, SPIN_MAX))
            box.setValue(values.get(key, param.default))
        self.noise.set_exact(values.get("noise", self.noise.value()))

    def _offer_models(self) -> None:
        """Grey out each model the engine refuses on the chosen data, saying why."""
        items = self.model.model()
        for i in range(self.model.count()):
            surface = {**self.surface(), "model": self.model.itemData(i)}
            problem = self._controller.surface_problem(surface)
            items.item(i).setEnabled(problem is None)
            spec = MODELS[self.model.itemData(i)]
            tip = f"{spec.formula}: {spec.description}"
            if problem is not None:
                tip += f"\n\nNot for these data: {problem}"
            self.model.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)

    def surface(self) -> dict:
        """The batch-mode surface the panel describes."""
        name = self.dataset.currentData()
        current = self._controller.scenario.surface.get("dataset", {})
        if name is None:  # the inline data of the scenario, as given
            data = dict(current)
        else:
            values = {"n_samples": self.n_samples.value(), "noise": self.noise.exact_value(),
                      "seed": self.seed.value()}  # fmt: skip
            defaults = {p.name: p.default for p in DATASETS[name].parameters}
            given = current if current.get("name") == name else {}
            data = {"name": name, **kept_keys(values, given, defaults)}
        out: dict = {"dataset": data, "model": self.model.currentData()}
        if self.stochastic.isChecked():
            out["batch_size"] = 1
        elif self.mini.isChecked():
            out["batch_size"] = self.mini_size.value()
        surface = self._controller.scenario.surface
        if "domain" in surface and (data, out["model"]) == (current, surface.get("model")):
            out["domain"] = surface["domain"]  # the scenario's region, for the same loss only
        return out

    def apply(self) -> None:
        """Race on the chosen dataset and model."""
        try:
            self._controller.set_surface(self.surface())
        except GdstudioError as exc:
            self.message.show_error(str(exc))
            return
        self.message.clear()

    def _on_surface_change(self) -> None:
        """Show the scenario's dataset, model and batch mode, or that the race is on no dataset."""
        data = self._controller.dataset
        surface = self._controller.scenario.surface
        spec = surface.get("dataset", {})
        self.message.clear()
        self.plot.setEnabled(data is not None)
        self.overlay.setEnabled(data is not None)
        self.dataset.blockSignals(True)
        self.dataset.setCurrentIndex(self.dataset.findData(spec.get("name")))
        self.dataset.blockSignals(False)
        if data is None:
            self.overlay.setChecked(False)
            self.dataset.setPlaceholderText("choose a dataset")
            self.scatter.setData(x=[], y=[])
            self.apply_button.setEnabled(False)
            self.plot.setTitle(NO_DATASET)
            self._on_runners_change()
            return
        self.dataset.setPlaceholderText("data given in the file")
        self.plot.setTitle(None)
        self.apply_button.setEnabled(True)
        self._show_parameters(spec.get("name"), spec)
        self.model.setCurrentIndex(self.model.findData(surface.get("model")))
        self._offer_models()
        size = surface.get("batch_size")
        (self.full if size is None else self.stochastic if size == 1 else self.mini).setChecked(
            True
        )
        if size and size > 1:
            self.mini_size.setValue(size)
        self.scatter.setData(x=data.X, y=data.y)
        x0, x1 = float(data.X.min()), float(data.X.max())
        self.plot.setRange(xRange=(x0, x1), yRange=(float(data.y.min()), float(data.y.max())))
        self._x_grid = np.linspace(x0, x1, GRID_POINTS)
        self._on_runners_change()

    def _on_runners_change(self) -> None:
        for item in self.fits:
            self.plot.removeItem(item)
        self.fits = []
        if self._controller.dataset is None:
            return
        for color in self._controller.runner_colors():
            curve = pg.PlotCurveItem(pen=pg.mkPen(color, width=2))
            self.plot.addItem(curve)
            self.fits.append(curve)
        self._on_step()

    def _on_step(self) -> None:
        if not self.fits or not self.isVisible():
            return
        lines = self._controller.model_fits(self._x_grid)
        if lines is None:
            return
        for curve, y in zip(self.fits, lines, strict=True):
            curve.setData(self._x_grid, y)

    def showEvent(self, event) -> None:
        """Catch up when the tab becomes visible (updates are skipped while hidden)."""
        super().showEvent(event)
        guarded(self._on_step)
