"""The 3D view draws its still part once: the picture must stay what a whole repaint draws."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.engine.scenario import Scenario
from gdstudio.ui.controller import RaceController
from tests.qt_support import race_views

RACE = {
    "surface": {"function": "quadratic"},
    "optimizers": [{"name": "sgd", "lr": 0.05}, {"name": "adam", "lr": 0.1}],
    "starts": [[2.0, 2.0], [-1.5, 1.0]],
    "steps": 100,
}
pytestmark = pytest.mark.gl


@pytest.fixture
def race(qtbot):
    """(controller, its views, the shown 3D view) at 640×480, a few steps in."""
    controller = RaceController(Scenario.from_dict(RACE))
    views = race_views(qtbot, controller, "surface3d")
    widget = views.surface3d
    widget.resize(640, 480)
    widget.show()
    qtbot.waitExposed(widget)
    for _ in range(5):
        controller.step_once()
    return controller, views, widget


def pixels(widget, qtbot, whole: bool = False) -> np.ndarray:
    """The 3D view as painted now (with the layer, or drawn whole as pyqtgraph draws it)."""
    view = widget.gl_view
    view.layer_works = not whole
    painted = []
    view.frameSwapped.connect(lambda: painted.append(True))
    view.update()
    qtbot.waitUntil(lambda: bool(painted), timeout=5000)
    view.frameSwapped.disconnect()
    image = widget.grab_frame()
    arr = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return arr[:, : image.width() * 4].copy()


def settled(widget, qtbot) -> np.ndarray:
    """The view painted twice: a new picture is drawn whole, the layer made the second time."""
    pixels(widget, qtbot)
    return pixels(widget, qtbot)


def assert_same_picture(layered: np.ndarray, whole: np.ndarray) -> None:
    """The same picture: Mesa rasterizes off screen upside down, so an edge pixel of the
    mesh may differ by a level of one channel; a stale layer differs over whole areas."""
    diff = np.abs(layered.astype(int) - whole.astype(int))
    assert diff.max() <= 2
    assert np.count_nonzero(diff) <= 1e-4 * diff.size


def test_the_layered_picture_is_the_whole_repaint_pixel_for_pixel(race, qtbot):
    _, _, widget = race
    layered = settled(widget, qtbot)
    assert widget.gl_view.layer_works and widget.gl_view.still.renders >= 1
    assert_same_picture(layered, pixels(widget, qtbot, whole=True))


def test_steps_redraw_only_the_moving_part(race, qtbot):
    controller, _, widget = race
    before = settled(widget, qtbot)
    renders = widget.gl_view.still.renders
    for _ in range(10):
        controller.step_once()
    after = pixels(widget, qtbot)
    assert widget.gl_view.still.renders == renders  # the surface was not drawn again
    assert (before != after).any()  # the trails and markers moved
    assert_same_picture(after, pixels(widget, qtbot, whole=True))


def test_a_camera_move_redraws_the_layer(race, qtbot):
    _, _, widget = race
    before = settled(widget, qtbot)
    renders = widget.gl_view.still.renders
    widget.gl_view.setCameraPosition(azimuth=30, elevation=20)
    first = pixels(widget, qtbot)
    assert widget.gl_view.still.renders == renders  # drawn whole while the camera may move on
    turned = pixels(widget, qtbot)
    assert widget.gl_view.still.renders == renders + 1
    assert_same_picture(turned, first)
    assert (before != turned).mean() > 0.05  # not the old surface under new trails
    assert_same_picture(turned, pixels(widget, qtbot, whole=True))


def test_a_new_surface_or_start_redraws_the_layer(race, qtbot):
    controller, _, widget = race
    before = settled(widget, qtbot)
    controller.set_surface({"function": "rosenbrock"})
    changed = settled(widget, qtbot)
    assert (before != changed).mean() > 0.05
    assert_same_picture(changed, pixels(widget, qtbot, whole=True))
    controller.add_start(0.5, 0.5)  # the start markers are in the layer
    added = settled(widget, qtbot)
    assert (added != changed).any()
    assert_same_picture(added, pixels(widget, qtbot, whole=True))


def test_a_resized_view_redraws_the_layer_at_its_size(race, qtbot):
    _, _, widget = race
    settled(widget, qtbot)
    renders = widget.gl_view.still.renders
    widget.resize(500, 420)
    qtbot.waitUntil(lambda: widget.gl_view.width() == 500, timeout=5000)
    pixels(widget, qtbot)  # drawn whole (and the first frame read back after a resize is black)
    resized = pixels(widget, qtbot)
    assert widget.gl_view.still.framebuffer.size == (500, 420)
    assert widget.gl_view.still.renders == renders + 1
    assert_same_picture(resized, pixels(widget, qtbot, whole=True))


def test_a_change_to_the_mesh_in_place_redraws_the_layer(race, qtbot):
    _, _, widget = race
    before = settled(widget, qtbot)
    renders = widget.gl_view.still.renders
    widget.surface.setData(z=np.zeros((200, 200)))  # flat: no pyqtgraph call bypasses the layer
    flat = pixels(widget, qtbot)
    assert widget.gl_view.still.renders == renders + 1
    assert (before != flat).mean() > 0.05
    assert_same_picture(flat, pixels(widget, qtbot, whole=True))
