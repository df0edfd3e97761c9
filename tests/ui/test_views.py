"""The views read at a glance: true geometry on the map, a legend, the minima marked."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QVector3D
from PySide6.QtTest import QTest

from gdstudio.engine.scenario import Scenario
from gdstudio.engine.stop import Status
from gdstudio.ui.controller import RaceController
from gdstudio.ui.race_views import RaceViews
from gdstudio.ui.views.surface3d import HIDDEN
from tests.qt_support import open_window, race_views

BOWL = {
    "surface": {"function": "quadratic", "domain": [[-3, 3], [-3, 3]]},
    "optimizers": [
        {"name": "sgd", "lr": 0.1, "label": "GD"},
        {"name": "adam", "lr": 0.1, "label": "Adam"},
    ],
    "starts": [[2.0, 2.0], [-2.0, 1.0]],
    "steps": 50,
}
RAVINE = {
    "surface": {"function": "ill_conditioned", "domain": [[-20, 20], [-1, 1]]},
    "optimizers": [{"name": "sgd", "lr": 0.03, "label": "GD"}],
    "starts": [[-15.0, 0.8]],
    "steps": 50,
}


def map_views(qtbot, scenario: dict, size: tuple[int, int]) -> RaceViews:
    """RaceViews on ``scenario`` with its map shown at ``size`` and its margins drawn."""
    views = race_views(qtbot, RaceController(Scenario.from_dict(scenario)))
    views.contour.resize(*size)
    views.contour.show()
    qtbot.waitExposed(views.contour)
    qtbot.wait(50)  # the layout settles (the legend's height) and the view range with it
    views.settle()
    return views


def to_pixels(views: RaceViews, scene_points) -> np.ndarray:
    """Scene points as (N, 2) widget pixels of the map, unrounded."""
    transform = views.contour.plot_widget.viewportTransform()
    return np.array([(q.x(), q.y()) for q in map(transform.map, scene_points)], float)


def drawn_rings(views: RaceViews, min_radius_px: float = 30) -> list[np.ndarray]:
    """The bowl's isolines as drawn, one (N, 2) array of widget pixels per level, for the
    levels whose circle lies inside the domain and spans at least ``min_radius_px``."""
    item = views.contour._isolines[0]
    path = item.path()
    local = [QPointF(path.elementAt(k).x, path.elementAt(k).y) for k in range(path.elementCount())]
    data = np.array([(q.x(), q.y()) for q in map(item.transform().map, local)])
    pixels = to_pixels(views, [item.mapToScene(q) for q in local])
    radius = np.hypot(data[:, 0], data[:, 1])
    rings = []
    for level in views._levels:
        on_it = np.abs(radius - np.sqrt(level)) < 1e-3 * np.sqrt(level)
        if np.sqrt(level) < 2.9 and on_it.sum() > 20:
            ring = pixels[on_it]
            if np.ptp(ring, axis=0).min() > 2 * min_radius_px:
                rings.append(ring)
    return rings


def roundness(ring: np.ndarray) -> float:
    """Width over height of a closed curve's bounding box, in pixels."""
    width, height = np.ptp(ring, axis=0)
    return float(width / height)


@pytest.mark.parametrize("size", [(700, 350), (300, 600)])
def test_a_circle_of_the_bowl_is_drawn_round_at_equal_scale(qtbot, size):
    views = map_views(qtbot, BOWL, size)
    assert not views.contour.stretch
    rings = drawn_rings(views)
    assert len(rings) >= 3
    for ring in rings:
        assert roundness(ring) == pytest.approx(1.0, abs=0.02)
        centre = to_pixels(views, [views.contour.plot_item.vb.mapViewToScene(QPointF(0, 0))])
        radii = np.linalg.norm(ring - centre, axis=1)
        assert np.ptp(radii) < 0.02 * radii.mean()  # round, not only square-boxed


def test_stretch_to_fill_gives_up_equal_scale_and_says_so(qtbot):
    views = map_views(qtbot, BOWL, (700, 350))
    views.set_stretched(True)
    qtbot.wait(50)
    views.settle()
    rings = drawn_rings(views, min_radius_px=10)
    assert rings and all(roundness(ring) > 1.5 for ring in rings)  # wide ellipses now
    assert "not to scale" in views.contour.legend.text().replace("&nbsp;", " ")
    views.set_stretched(False)
    assert "not to scale" not in views.contour.legend.text().replace("&nbsp;", " ")


def test_an_elongated_domain_opens_stretched(qtbot):
    views = map_views(qtbot, RAVINE, (500, 400))
    assert views.stretched and views.contour.stretch
    (x0, x1), (y0, y1) = views.contour.visible_domain()
    assert (x0, x1, y0, y1) == pytest.approx((-20, 20, -1, 1))


def test_the_map_shows_the_surface_in_its_margins_at_equal_scale(qtbot):
    views = map_views(qtbot, BOWL, (700, 350))
    (x0, x1), (y0, y1) = views.contour.visible_domain()
    assert x1 - x0 > 1.5 * (y1 - y0)  # wider than the domain: margins left and right
    drawn = views.contour.surface_rect
    assert drawn.left() <= x0 and drawn.right() >= x1
    assert drawn.top() <= y0 and drawn.bottom() >= y1
    image = views.contour.plot_widget.grab().toImage()
    left_margin = image.pixelColor(views.contour.plot_widget.mapFromScene(
        views.contour.plot_item.vb.mapViewToScene(QPointF(x0 + 0.02 * (x1 - x0), 0))))  # fmt: skip
    assert left_margin.name() != "#ffffff"  # coloured like the surface, not blank


def test_legend_names_optimizers_in_their_shades_and_the_markers(qtbot):
    views = map_views(qtbot, BOWL, (600, 500))
    legend = views.contour.legend
    assert legend.isVisible()
    text = legend.text().replace("&nbsp;", " ")
    for word in ("GD", "Adam", "start", "now", "diverged", "known minimum"):
        assert word in text
    for color in views.controller.runner_colors():  # both shades of both optimizers
        assert color in text
    # the legend sits above the map, never over it
    assert legend.geometry().bottom() < views.contour.plot_widget.geometry().top()


def test_known_minima_are_marked(qtbot):
    views = map_views(qtbot, {**BOWL, "surface": {"function": "himmelblau"}}, (500, 500))
    x, y = views.contour.minima.getData()
    np.testing.assert_allclose(np.column_stack([x, y]), views.controller.minima)
    assert len(x) == 4


def test_a_runner_off_the_map_is_drawn_at_its_edge(qtbot):
    scenario = {**BOWL, "optimizers": [{"name": "sgd", "lr": 1.2}], "starts": [[2.0, 2.0]]}
    views = map_views(qtbot, scenario, (500, 500))
    views.controller.run_to(50)
    assert views.controller.race.status[0] == Status.DIVERGED
    (x0, x1), (y0, y1) = views.contour.visible_domain()
    x, y = views.contour.diverged_markers.getData()
    assert len(x) == 1 and x0 < x[0] < x1 and y0 < y[0] < y1
    assert max(x1 - x[0], y1 - y[0]) < 0.05 * (x1 - x0)  # at the corner it flew out of


def test_window_view_menu_toggles_stretch(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, BOWL)
    assert not window.stretch_action.isChecked()
    window.stretch_action.trigger()
    assert window.views.stretched and window.views.contour.stretch
    window.controller.set_surface(RAVINE["surface"])  # a new surface: its own default
    assert window.stretch_action.isChecked() and window.views.stretched


def surface_pixel(view, x: float, y: float) -> QPoint:
    """The 3D view's pixel that shows the surface point above (x, y), from its render matrices."""
    gl_view = view.gl_view
    height = view._heights(np.array([x * x + y * y]))[0]  # the bowl's value, as drawn
    box = view.to_box(np.array([x]), np.array([y]), np.array([height]))[0]
    size = (0, 0, gl_view.width(), gl_view.height())
    ndc = (gl_view.projectionMatrix(size, size) * gl_view.viewMatrix()).map(QVector3D(*box))
    return QPoint(round((ndc.x() + 1) / 2 * gl_view.width()),
                  round((1 - ndc.y()) / 2 * gl_view.height()))  # fmt: skip


@pytest.mark.parametrize(
    ("zoom", "azimuth", "elevation"),
    [(1.0, -60, 38), (0.45, 30, 60), (0.3, 150, 25), (2.0, -120, 80), (0.6, 100, 30)],
)
def test_clicking_the_3d_surface_adds_a_start_at_the_point_under_the_cursor(
    qtbot, tmp_path, zoom, azimuth, elevation
):
    window = open_window(qtbot, tmp_path, {**BOWL, "starts": []})
    view, c = window.views.surface3d, window.controller
    view.reset_camera()
    distance = view.gl_view.opts["distance"] * zoom
    view.gl_view.setCameraPosition(distance=distance, azimuth=azimuth, elevation=elevation)
    (x0, x1), (y0, y1) = c.domain
    for target in [(0.8, -0.5), (-0.3, 0.6)]:
        pixel = surface_pixel(view, *target)
        assert 0 <= pixel.x() < view.gl_view.width() and 0 <= pixel.y() < view.gl_view.height()
        QTest.mouseClick(view.gl_view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0), pixel)
        assert c.scenario.starts, (zoom, azimuth, elevation, target)
        added = np.array(c.scenario.starts[-1])
        assert abs(added[0] - target[0]) < 0.01 * (x1 - x0)
        assert abs(added[1] - target[1]) < 0.01 * (y1 - y0)
    assert len(c.scenario.starts) == 2


def test_double_click_beside_the_surface_resets_the_camera(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, BOWL)
    view = window.views.surface3d
    start = dict(view.gl_view.opts)
    view.gl_view.setCameraPosition(distance=start["distance"] * 3, azimuth=75, elevation=10)
    QTest.mouseDClick(view.gl_view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0), QPoint(3, 3))
    for key in ("distance", "azimuth", "elevation"):
        assert view.gl_view.opts[key] == pytest.approx(start[key])
    reset = next(a for a in window.findChildren(QAction) if a.text() == "Reset &Camera")
    view.gl_view.setCameraPosition(azimuth=10)
    reset.trigger()
    assert view.gl_view.opts["azimuth"] == pytest.approx(start["azimuth"])


def test_3d_runs_leaving_the_domain_end_at_its_box_and_markers_keep_their_pixel_size(qtbot):
    from gdstudio.ui.views.surface3d import BOX

    scenario = {**BOWL, "optimizers": [{"name": "sgd", "lr": 1.2}, {"name": "sgd", "lr": 0.1}]}
    views = race_views(qtbot, RaceController(Scenario.from_dict(scenario)), "surface3d")
    views.controller.run_to(50)
    view = views.surface3d
    lo, hi = BOX
    for trail in view.trails:
        assert trail.width >= 2
        points = trail.pos
        assert len(points) and np.all(points >= lo - 1e-5) and np.all(points <= hi + 1e-5)
    flown = view.trails[0].pos  # the diverged runner reaches the box's face
    assert np.isclose(np.abs(flown[:, :2]), 10.0).any() or np.isclose(flown[:, 2], hi[2]).any()
    markers = view.markers.pos
    assert np.all(markers >= lo - 1e-5) and np.all(markers <= hi + 1e-5)
    assert view.markers.pxMode and view.markers.size >= 10  # a fixed size on screen, any zoom


def test_markers_moved_in_place_paint_as_markers_placed_anew(qtbot):
    views = map_views(qtbot, BOWL, (500, 400))
    contour, c = views.contour, views.controller
    for _ in range(4):  # the markers move each step, by the cheap path after the first
        c.step_once()
    views.settle()
    h = c.history()
    x, y = contour.markers.getData()
    np.testing.assert_allclose(np.column_stack([x, y]), h.trajectory[h.counts - 1, np.arange(4)])

    def image():
        contour.plot_widget.viewport().repaint()
        return contour.plot_widget.grab().toImage()

    moved = image()
    contour.markers.setData(pos=np.column_stack([x, y]), brush=contour._brushes)
    assert moved == image()


@pytest.mark.gl
def shown_3d_view(qtbot, scenario: dict, steps: int):
    """The 3D view of ``scenario`` raced ``steps`` steps, shown at 640×480 with its GL
    context made: (SurfaceView3D, its GL view)."""
    views = race_views(qtbot, RaceController(Scenario.from_dict(scenario)), "surface3d")
    view, gl_view = views.surface3d, views.surface3d.gl_view
    view.resize(640, 480)
    view.show()
    qtbot.waitExposed(view)
    views.controller.run_to(steps)
    qtbot.waitUntil(lambda: gl_view.context() is not None, timeout=5000)
    return view, gl_view


def test_3d_markers_behind_a_slope_are_faint_and_bright_once_in_sight(qtbot):
    # Rosenbrock's minimum (1, 1) and the start (0.9, 0.8) lie in its valley, behind the
    # slope nearest the camera; the start (-2, 3) lies on the far slope, in sight.
    surface = {"function": "rosenbrock", "domain": [[-2.5, 2.5], [-1, 4]]}
    scenario = {"surface": surface, "optimizers": [{"name": "sgd", "lr": 0.0005}],
                "starts": [[-2.0, 3.0], [0.9, 0.8]]}  # fmt: skip
    view, gl_view = shown_3d_view(qtbot, scenario, steps=5)
    view.grab_frame()
    (star,) = view.minima

    def opacities() -> list[list[float]]:
        return [list(item.color[:, 3]) for item in (view.starts_item, view.markers)]

    assert star.color.alpha() == round(255 * HIDDEN)
    assert opacities() == [[1.0, HIDDEN], [1.0, HIDDEN]]
    gl_view.setCameraPosition(elevation=90)  # straight down: nothing stands in front
    qtbot.waitUntil(lambda: star.color.alpha() == 255, timeout=3000)  # at the next frame
    assert opacities() == [[1.0, 1.0], [1.0, 1.0]]


def test_3d_markers_are_the_legends_a_ring_for_a_start_and_a_star_for_a_minimum(qtbot):
    slow = {**BOWL, "optimizers": [{"name": "sgd", "lr": 0.02}]}  # leaves its starts, not yet in
    view, gl_view = shown_3d_view(qtbot, slow, steps=30)
    image = view.grab_frame()

    def lightness(box, dx: int = 0, dy: int = 0) -> int:
        """Lightness of the frame's pixel (dx, dy) from where box point ``box`` is drawn."""
        ndc = view._mvp().map(QVector3D(*box))
        scale = image.width() / gl_view.width()
        x, y = (ndc.x() + 1) / 2 * gl_view.width() + dx, (1 - ndc.y()) / 2 * gl_view.height() + dy
        return image.pixelColor(round(x * scale), round(y * scale)).lightness()

    (star,) = view.minima  # the quadratic's minimum at the origin
    assert star.text == "★" and lightness(star.pos) > 200
    for box in view.starts_item.pos:  # where the starts are drawn, just above the surface
        assert lightness(box) > 200  # white inside
        rim = [lightness(box, dx, dy) for dx, dy in ((5, 0), (-5, 0), (0, -5))]
        assert max(rim) < 80  # a black rim (the trails leave downwards): ○, not ● as a runner
