"""Panels and views driven as a user would: typing, clicking, and what gets drawn."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from gdstudio.engine.presets import preset
from gdstudio.engine.scenario import Scenario
from gdstudio.engine.stop import Status
from gdstudio.ui.controller import RaceController
from gdstudio.ui.panels.batch_panel import BatchPanel
from gdstudio.ui.panels.optimizer_panel import OptimizerPanel
from gdstudio.ui.panels.readout import Readout, number
from gdstudio.ui.panels.status_table import StatusTable
from gdstudio.ui.panels.surface_panel import SurfacePanel
from gdstudio.ui.views.loss_plot import LossPlot, log_floor, log_ticks
from tests.qt_support import race_views

SMALL = {
    "surface": {"function": "quadratic"},
    "optimizers": [{"name": "sgd", "lr": 0.1, "label": "GD"}, {"name": "adam", "lr": 0.1}],
    "starts": [[2.0, 2.0]],
    "steps": 200,
}


@pytest.fixture
def controller():
    return RaceController(Scenario.from_dict(SMALL))


def test_typing_a_learning_rate_reruns_only_that_optimizer(controller, qtbot):
    panel = OptimizerPanel(controller)
    qtbot.addWidget(panel)
    for _ in range(10):
        controller.step_once()
    adam_before = controller.race.trajectory[:11, 1].copy()
    panel.list.setCurrentRow(0)
    edit = panel.form.edit("lr")
    edit.clear()
    qtbot.keyClicks(edit, "0.05")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert controller.scenario.optimizers[0].hyperparameters["lr"] == 0.05
    np.testing.assert_allclose(controller.race.trajectory[1, 0], [1.8, 1.8])  # 2 − 0.05·4
    np.testing.assert_array_equal(controller.race.trajectory[:11, 1], adam_before)


@pytest.mark.parametrize("text", ["-1", "abc"])
def test_a_bad_value_is_shown_inline_and_changes_nothing(controller, qtbot, text):
    panel = OptimizerPanel(controller)
    qtbot.addWidget(panel)
    panel.show()
    before = controller.scenario
    panel.list.setCurrentRow(0)
    edit = panel.form.edit("lr")
    edit.clear()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert controller.scenario == before
    assert panel.form.message.isVisible() and "lr" in panel.form.message.text()


def test_adding_an_optimizer_from_the_menu_adds_runners(controller, qtbot):
    panel = OptimizerPanel(controller)
    qtbot.addWidget(panel)
    panel.add_menu.findChild(type(panel.add_menu.actions()[0]), "add-rmsprop").trigger()
    assert [o.name for o in controller.scenario.optimizers] == ["sgd", "adam", "rmsprop"]
    assert controller.race.n_runners == 3


def test_global_learning_rate_moves_every_optimizer_without_its_own(controller, qtbot):
    panel = OptimizerPanel(controller)
    qtbot.addWidget(panel)
    panel.add_menu.findChild(type(panel.add_menu.actions()[0]), "add-rmsprop").trigger()
    panel.set_global_lr(0.02)
    # The scenario's two optimizers have their own rate; the one added follows the slider.
    assert [o.hyperparameters["lr"] for o in controller.scenario.optimizers] == [0.1, 0.1, 0.02]


def test_bad_formula_shows_its_error_and_keeps_the_surface(controller, qtbot):
    panel = SurfacePanel(controller)
    qtbot.addWidget(panel)
    panel.show()
    before = dict(controller.scenario.surface)
    qtbot.keyClicks(panel.formula, "x + * y")
    assert panel.formula_message.isVisible()
    assert "column" in panel.formula_message.text()
    qtbot.keyClick(panel.formula, Qt.Key.Key_Return)
    assert controller.scenario.surface == before
    panel.formula.clear()
    qtbot.keyClicks(panel.formula, "x**2 + 3*y**2")
    qtbot.keyClick(panel.formula, Qt.Key.Key_Return)
    assert controller.scenario.surface["expression"] == "x**2 + 3*y**2"
    assert controller.objective.value(np.array([[1.0, 1.0]]))[0] == 4.0


def test_choosing_a_builtin_function(controller, qtbot):
    panel = SurfacePanel(controller)
    qtbot.addWidget(panel)
    panel.combo.setCurrentIndex(panel.combo.findData("himmelblau"))
    assert controller.scenario.surface["function"] == "himmelblau"
    assert "minima" in panel.lesson.text()


def test_surface_panel_shows_no_function_as_chosen_while_the_race_is_on_a_dataset(qtbot):
    from gdstudio.engine.presets import preset

    c = RaceController(preset("06-ravine").scenario)
    panel = SurfacePanel(c)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.combo.currentIndex() == -1
    assert "Batch mode" in panel.lesson.text()
    assert not panel.apply_button.isEnabled() and not panel.domain.isEnabled()
    panel.combo.setCurrentIndex(panel.combo.findData("booth"))
    assert c.scenario.surface["function"] == "booth"
    assert panel.apply_button.isEnabled()
    assert panel.domain.domain() == [[-10.0, 10.0], [-10.0, 10.0]]


def test_batch_panel_applies_a_stochastic_dataset_and_draws_fits(controller, qtbot):
    panel = BatchPanel(controller)
    qtbot.addWidget(panel)
    panel.show()
    panel.dataset.setCurrentIndex(panel.dataset.findData("linear"))
    panel.resize(420, 700)
    indicator = QPoint(8, panel.stochastic.height() // 2)
    qtbot.mouseClick(panel.stochastic, Qt.MouseButton.LeftButton, pos=indicator)
    assert panel.stochastic.isChecked()
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    surface = controller.scenario.surface
    assert surface["batch_size"] == 1 and surface["model"] == "linear_regression"
    assert len(panel.fits) == controller.race.n_runners
    controller.step_once()
    x, y = panel.fits[0].getData()
    assert len(x) > 0 and np.all(np.isfinite(y))


def test_status_table_marks_a_diverged_runner(qtbot):
    c = RaceController(Scenario.from_dict({**SMALL, "optimizers": [{"name": "sgd", "lr": 1.2}]}))
    table = StatusTable(c)
    qtbot.addWidget(table)
    c.race.run()
    c.stepped.emit()
    assert c.race.status[0] == Status.DIVERGED
    step = int(c.race.counts[0])
    assert table.status_text(0) == f"diverged at step {step}"  # in full, in the tooltip
    assert table.item(0, 2).text() == f"diverged · {step}"  # short, in the narrow cell
    assert "starting at (" in table.item(0, 1).toolTip()
    readout = Readout(c)
    qtbot.addWidget(readout)
    text = readout.runner_text.text()
    assert f"Step: {step - 1} (its last finite point)" in text
    assert f"Status: Diverged at step {step}" in text


def test_status_table_columns_hold_still_while_the_race_plays(controller, qtbot):
    table = StatusTable(controller)
    qtbot.addWidget(table)
    table.resize(380, 200)
    table.show()
    header = table.horizontalHeader()
    widths = [header.sectionSize(c) for c in range(table.columnCount())]
    for _ in range(40):  # losses shrink through several orders of magnitude
        controller.step_once()
        qtbot.wait(1)
    assert [header.sectionSize(c) for c in range(table.columnCount())] == widths
    metrics = table.fontMetrics()
    for r in range(table.rowCount()):  # and every number fits its cell
        for c in (3, 4):
            assert metrics.horizontalAdvance(table.item(r, c).text()) < header.sectionSize(c)


def test_readout_shows_the_seed_articles_numbers(controller, qtbot):
    readout = Readout(controller)
    qtbot.addWidget(readout)
    assert "Gradient: (4.00, 4.00)" in readout.runner_text.text()
    assert "Value: 8.00" in readout.runner_text.text()
    readout.show_cursor(0.0, 0.0)
    assert "minimum" in readout.cursor_text.text()


def test_readout_with_no_runner_says_what_is_missing(controller, qtbot):
    readout = Readout(controller)
    qtbot.addWidget(readout)
    while controller.scenario.optimizers:
        controller.remove_optimizer(0)
    assert readout.runner_text.text() == "No runner: add an optimizer (Optimizers → Add ▾)."


def test_readout_numbers_neither_hide_a_tiny_gradient_nor_print_minus_zero(controller, qtbot):
    assert [number(v) for v in (8.0, -0.0, 1.79e-6, -0.0213, -0.004)] == [
        "8.00", "0.00", "1.79e-06", "-0.02", "-0.004"]  # fmt: skip
    readout = Readout(controller)
    qtbot.addWidget(readout)
    readout.show_cursor(-0.0, 1e-7)  # the quadratic bowl: a gradient of (-0.0, ~1e-7)
    text = readout.cursor_text.text()
    assert "Gradient: (0.00, " in text and "e-07)" in text


def test_readout_names_a_saddle(qtbot):
    c = RaceController(Scenario.from_dict({**SMALL, "surface": {"function": "double_well"}}))
    readout = Readout(c)
    qtbot.addWidget(readout)
    readout.show_cursor(0.0, 0.0)
    assert "saddle point" in readout.cursor_text.text()


@pytest.fixture
def view_3d(controller, qtbot):
    """The app's 3D view of the small race, shown at 640×480."""
    widget = race_views(qtbot, controller, "surface3d").surface3d
    widget.resize(640, 480)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.mark.gl
def test_3d_view_renders_pixels_and_trails(controller, view_3d, qtbot):
    widget = view_3d
    for _ in range(5):
        controller.step_once()
    qtbot.waitUntil(lambda: widget.gl_view.context() is not None, timeout=5000)
    assert widget.gl_view.context().isValid()
    image = widget.grab_frame()
    arr = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    assert len(np.unique(arr[:, : image.width() * 4].reshape(-1, 4), axis=0)) > 50  # not blank
    line = widget.trails[0].pos
    assert line.shape == (10, 3)  # the first runner's 5 steps as segments, over the surface


@pytest.mark.gl
def test_3d_click_picks_the_surface_point_under_the_cursor(controller, view_3d, qtbot):
    widget = view_3d
    view = widget.gl_view
    height = float(controller.objective.value(np.array([[1.0, -1.0]]))[0])
    pixel = widget.project(1.0, -1.0, height)
    with qtbot.waitSignal(widget.point_picked) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=pixel)
    x, y = blocker.args
    assert abs(x - 1.0) < 0.03 and abs(y + 1.0) < 0.03


@pytest.mark.gl
@pytest.mark.parametrize("size", [(400, 700), (640, 480), (1000, 360)])
def test_3d_view_fits_the_whole_surface_box_at_any_shape(controller, view_3d, qtbot, size):
    widget = view_3d
    widget.resize(*size)
    view = widget.gl_view
    qtbot.waitUntil(lambda: (view.width(), view.height()) == size)  # no colour bar beside it
    (x0, x1), (y0, y1) = widget._grid.domain
    scale = widget._heights
    corners = [widget.project(x, y, h) for x in (x0, x1) for y in (y0, y1)
               for h in (scale.lo, scale.hi)]  # fmt: skip
    w, h = view.width(), view.height()
    assert all(0 <= p.x() <= w and 0 <= p.y() <= h for p in corners)
    # As large as fits with the axes' labels: a corner or a label comes within a tenth of
    # the width or height of an edge.
    corners += [label_pixel(widget, point) for point, _ in widget.axes.labels.labels]
    slack = min(min(p.x(), w - p.x()) / w for p in corners)
    slack = min(slack, min(min(p.y(), h - p.y()) / h for p in corners))
    assert slack < 0.1
    assert_labels_inside(widget)


def assert_labels_inside(widget) -> None:
    """No label's text runs off the 3D view."""
    w, h = widget.gl_view.width(), widget.gl_view.height()
    for (point, text), (half_w, half_h) in zip(widget.axes.labels.labels,
                                               widget.axes.labels.half_sizes(), strict=True):  # fmt: skip
        p = label_pixel(widget, point)
        assert half_w <= p.x() <= w - half_w and half_h <= p.y() <= h - half_h, text


@pytest.mark.gl
@pytest.mark.parametrize("size", [(410, 630), (640, 480)])
def test_3d_view_keeps_the_log_height_title_inside(qtbot, size):
    # Rosenbrock opens with log heights: the title "f − min f" is the widest label, centred
    # on the box's top corner, which the fit puts near the view's left edge.
    controller = RaceController(preset("11-adam-vs-sgd").scenario)
    widget = race_views(qtbot, controller, "surface3d").surface3d
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: (widget.gl_view.width(), widget.gl_view.height()) == size)
    assert "f − min f" in [text for _, text in widget.axes.labels.labels]
    assert_labels_inside(widget)


def label_pixel(widget, point) -> QPoint:
    """Pixel of a point of the 3D view's box."""
    ndc = widget._mvp().map(point)
    view = widget.gl_view
    return QPoint(round((ndc.x() + 1) / 2 * view.width()), round((1 - ndc.y()) / 2 * view.height()))


def test_batch_overlay_draws_the_current_mini_batch_loss(qtbot):
    from gdstudio.engine.presets import preset

    c = RaceController(preset("02-batch-modes").scenario)
    views = race_views(qtbot, c)
    views.set_batch_overlay(True)
    assert views.contour._overlay_lines  # isolines of the stochastic runner's batch
    c.step_once()
    first = views.contour._overlay_lines[0].path().elementAt(0)
    c.step_once()  # the next step uses another row: the overlay moves
    second = views.contour._overlay_lines[0].path().elementAt(0)
    assert (first.x, first.y) != (second.x, second.y)
    views.set_batch_overlay(False)
    assert not views.contour._overlay_lines


def test_log_floor_sits_a_decade_below_the_least_value_and_at_most_8_below_the_median():
    values = np.array([[4.0, 1.0], [0.5, 3e-7], [2e-9, 1e-12]])
    assert log_floor(values, np.array([2, 2])) == (1e-8, True)  # 3e-7 -> 1e-8
    assert log_floor(values, np.array([2, 1])) == (0.01, True)  # 0.5; 3e-7 is not shown
    # 2e-9 (and 1e-12 with it) lies over 8 decades below the median (0.5): the floor stops
    assert log_floor(values, np.array([3, 3])) == (1e-9, True)
    outlier = np.array([[1.0], [0.5], [0.3], [1e-29], [0.0]])
    assert log_floor(outlier, np.array([5])) == (1e-9, True)  # not 1e-30
    assert log_floor(np.zeros((2, 1)), np.array([2])) == (1.0, True)
    assert log_floor(np.array([[1.0], [-2.0]]), np.array([2])) == (0.1, False)


def test_loss_plot_keeps_its_range_and_marks_a_lone_tiny_value_and_a_zero(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    steps = np.arange(40.0)
    loss = np.column_stack([10.0 * 0.8**steps, 5.0 * 0.9**steps, 3.0 * 0.85**steps])
    loss[20, 1] = 1e-29  # one runner touches 1e-29 once
    loss[30:, 2] = 0.0  # another lands exactly on the minimum
    grad = np.sqrt(loss)
    plot.set_runners(["#e6194b", "#1f77b4", "#2ca02c"], ["a", "b", "c"])
    plot.set_planned_steps(50)
    plot.show_state(loss, grad, np.full(3, 40), np.zeros(3, np.int8))
    low = plot.loss_item.getViewBox().viewRange()[1][0]
    assert low > np.log10(np.median(loss[loss > 0])) - 10  # not squashed down to 1e-29
    x, y = plot.clipped[0].getData()
    assert sorted(x.tolist()) == [20.0, 30.0]  # where the 1e-29 and the zeros begin, marked
    np.testing.assert_allclose(y, np.log10(plot._floors[0]))  # on the floor
    brushes = {b.color().name() for b in plot.clipped[0].data["brush"]}
    assert brushes == {"#1f77b4", "#2ca02c"}  # in their runners' colours
    assert plot.loss_item.getViewBox().viewRange()[0][1] == pytest.approx(50, rel=0.05)
    converged = np.full(3, Status.CONVERGED, np.int8)  # all stopped at step 39 of 50
    plot.show_state(loss, grad, np.full(3, 40), converged)
    assert plot.loss_item.getViewBox().viewRange()[0][1] == pytest.approx(39, rel=0.05)


def test_loss_hover_names_each_runner_in_its_shade(qtbot):
    c = RaceController(
        Scenario.from_dict({**SMALL, "starts": [[2.0, 2.0], [-1.0, 1.5], [0.5, -2.0]]})
    )
    plot = finished_race_plot(c, qtbot)
    text = plot.hover_text(5)
    for color, label in zip(c.runner_colors(), c.runner_labels(), strict=True):
        assert f"<span style='color:{color}'>■</span> {label}: f = " in text


def finished_race_plot(controller: RaceController, qtbot) -> LossPlot:
    """A loss plot of the controller's race, run to the end."""
    controller.race.run()
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.set_runners(controller.runner_colors(), controller.runner_labels())
    race = controller.race
    plot.show_state(race.loss, race.grad_norm, race.counts, race.status)
    return plot


def test_loss_plot_keeps_log_axes_when_a_runner_lands_exactly_on_the_minimum(qtbot):
    # Lesson 1: lr 0.5 on x² + y² reaches f = 0 and ‖∇f‖ = 0 in one step.
    from gdstudio.engine.presets import preset

    plot = finished_race_plot(RaceController(preset("01-learning-rate").scenario), qtbot)
    assert plot.loss_log
    for item, curves, floor in ((plot.loss_item, plot.loss_curves, plot._floors[0]),
                                (plot.grad_item, plot.grad_curves, plot._floors[1])):  # fmt: skip
        low, high = item.getViewBox().viewRange()[1]
        assert -20 < low < high < 20  # decades: neither 1e-300 nor a blown-up linear range
        _, zero_run = curves[1].getData()  # lr 0.5: exact zeros, drawn on the floor
        assert zero_run[-1] == np.log10(floor) > low


@pytest.mark.parametrize(
    ("lo", "hi", "labels"),
    [
        (-0.5, 1.0, ["1", "10"]),  # momentum-bumps: minor 2…9× ticks between, unlabelled
        (0.1, 0.9, ["2", "5"]),  # no power of ten in view: 2× and 5× say where we are
        (-14.6, 1.2, ["10⁻¹²", "10⁻⁹", "10⁻⁶", "0.001", "1"]),  # every third decade
    ],
)  # fmt: skip
def test_log_ticks_label_few_powers_of_ten(lo, hi, labels):
    major, minor = log_ticks(lo, hi)
    assert [label for _, label in major] == labels
    assert all(lo <= v <= hi for v, _ in major + minor)
    assert all(label == "" for _, label in minor)
    assert bool(minor) == (hi - lo < 6)


def test_contour_fill_is_smooth_and_coloured_like_the_colorbar(controller, qtbot):
    views = race_views(qtbot, controller)
    contour = views.contour
    contour.resize(500, 500)
    contour.show()
    qtbot.waitExposed(contour)
    image = contour.plot_widget.grab().toImage()
    pixels = np.array([[image.pixel(x, y) for x in range(100, 400, 3)] for y in range(100, 400, 3)])
    assert len(np.unique(pixels)) > 100  # a stepped fill has 14 colours and their isolines


def test_runners_of_one_optimizer_wear_shades_of_its_colour():
    c = RaceController(
        Scenario.from_dict({**SMALL, "starts": [[2.0, 2.0], [-1.0, 1.5], [0.5, -2.0]]})
    )
    colors = c.runner_colors()
    assert len(set(colors)) == 6  # 2 optimizers × 3 starts, each runner apart
    for k, base in enumerate(c.optimizer_colors()):
        shades = [QColor(color) for color in colors[3 * k : 3 * k + 3]]
        assert QColor(base).name() == shades[1].name()  # the middle one is the colour itself
        assert {round(q.hueF(), 2) for q in shades} == {round(QColor(base).hueF(), 2)}
        assert shades[0].lightnessF() < shades[1].lightnessF() < shades[2].lightnessF()


def test_runners_of_one_optimizer_share_one_item_per_view_in_a_grid_of_starts(qtbot):
    starts = [[x, y] for x in (-2.0, 0.5, 2.0) for y in (-2.0, 0.0, 2.0)]
    c = RaceController(Scenario.from_dict({**SMALL, "starts": starts}))
    views = race_views(qtbot, c)
    for _ in range(4):
        c.step_once()
    views._on_step()
    assert c.race.n_runners == 18  # 2 optimizers × 9 starts: too many for shades
    for items in (views.contour.trails, views.loss_plot.loss_curves, views.surface3d.trails):
        assert len(items) == 2
    x, y = views.contour.trails[0].getData()
    assert len(x) == 9 * 5 + 8 and np.isnan(x).sum() == 8  # nine trails of 5 points, 8 breaks
    np.testing.assert_array_equal(np.column_stack([x[:5], y[:5]]), c.race.trajectory[:5, 0])


def test_loss_hover_lists_the_lowest_losses_first_and_at_most_ten(qtbot):
    c = RaceController(Scenario.from_dict({**SMALL, "steps": 30}))
    c.add_start_grid(3)  # 2 optimizers × 10 starts
    plot = finished_race_plot(c, qtbot)
    rows = plot.hover_text(3).split("<br>")
    assert rows[0] == "<b>step 3</b>" and rows[-1].startswith("… and ")
    losses = [float(row.split("f = ")[1].split(",")[0]) for row in rows[1:-1]]
    assert len(losses) == 10 and losses == sorted(losses)


def test_batch_panel_keeps_a_scenario_s_region_for_the_same_data_only(qtbot):
    from gdstudio.engine.presets import preset

    c = RaceController(preset("06-ravine").scenario)  # a dataset surface with its own domain
    panel = BatchPanel(c)
    qtbot.addWidget(panel)
    domain = c.scenario.surface["domain"]
    panel.apply()
    assert c.scenario.surface["domain"] == domain and c.domain == ((-1.5, 2.5), (-3.0, 2.0))
    panel.seed.setValue(panel.seed.value() + 1)  # other data: the view fits its own optimum
    panel.apply()
    assert "domain" not in c.scenario.surface and c.domain != ((-1.5, 2.5), (-3.0, 2.0))
