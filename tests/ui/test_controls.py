"""Every control does what it says: no hidden changes, no stale words, no raw internals.

Each test drives real widgets (clicks on popups, typed text, dragged handles, keys)
and checks both the scenario the race runs and what the widgets show.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gdstudio.engine.scenario import Scenario
from gdstudio.ui.controller import RaceController
from gdstudio.ui.panels.optimizer_panel import OptimizerPanel
from tests.ui.driving import choose, retype

TWO = {
    "surface": {"function": "quadratic"},
    "optimizers": [{"name": "sgd", "lr": 0.1, "label": "GD"}, {"name": "adam", "lr": 0.05}],
    "starts": [[2.0, 2.0]],
    "steps": 400,
}


@pytest.fixture
def optimizer_panel(qtbot):
    panel = OptimizerPanel(RaceController(Scenario.from_dict(TWO)))
    qtbot.addWidget(panel)
    panel.resize(360, 900)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


# ---------------------------------------------------------------- 2. schedules
@pytest.mark.parametrize(
    ("schedule", "field", "suggested"),
    [("step", "step_size", "100"), ("cosine", "T_max", "400"), ("exponential", "gamma", "0.9886")],
)
def test_picking_a_schedule_fills_its_required_argument_and_plots_the_rate(
    optimizer_panel, qtbot, schedule, field, suggested
):
    panel = optimizer_panel
    c = panel._controller
    panel.list.setCurrentRow(0)
    choose(qtbot, panel.schedule.combo, schedule)
    edit = panel.schedule.form.edit(field)
    assert edit.text() == suggested
    assert "object" not in edit.text()
    assert not panel.schedule.form.message.isVisible()
    applied = c.scenario.optimizers[0].schedule
    assert applied["name"] == schedule and str(applied[field]) == suggested
    x, y = panel.schedule.curve.getOriginalDataset()
    assert len(x) == 400 and x[0] == 1 and x[-1] == 400
    np.testing.assert_allclose(y, c.learning_rates(0))
    assert y[0] == pytest.approx(0.1)
    assert y[-1] < 0.1 * 0.2  # every suggestion decays the rate over the race
    assert "400 steps" in panel.schedule.summary.text()


def test_a_required_schedule_argument_left_empty_says_what_is_needed(optimizer_panel, qtbot):
    panel = optimizer_panel
    c = panel._controller
    panel.list.setCurrentRow(0)
    choose(qtbot, panel.schedule.combo, "step")
    applied = c.scenario
    edit = panel.schedule.form.edit("step_size")
    retype(qtbot, edit, "")
    assert edit.text() == "" and "required" in edit.placeholderText()
    assert panel.schedule.form.message.isVisible()
    assert "step_size is required" in panel.schedule.form.message.text()
    assert c.scenario == applied  # nothing half-made was sent to the race
    retype(qtbot, edit, "50")
    assert c.scenario.optimizers[0].schedule == {"name": "step", "step_size": 50, "gamma": 0.1}
    assert not panel.schedule.form.message.isVisible()


def test_the_schedule_plot_follows_the_selected_optimizer_and_its_rate(optimizer_panel, qtbot):
    panel = optimizer_panel
    panel.list.setCurrentRow(1)
    _, y = panel.schedule.curve.getOriginalDataset()
    assert np.all(y == 0.05)  # Adam, no schedule: a flat line at its rate
    retype(qtbot, panel.form.edit("lr"), "0.02")
    _, y = panel.schedule.curve.getOriginalDataset()
    assert np.all(y == 0.02)
    assert panel.schedule.combo.currentText() == "none"
    assert panel._controller.scenario.optimizers[1].hyperparameters["lr"] == 0.02
    qtbot.keyClick(panel.list, Qt.Key.Key_Up)
    assert panel.list.currentRow() == 0
    _, y = panel.schedule.curve.getOriginalDataset()
    assert np.all(y == 0.1)
