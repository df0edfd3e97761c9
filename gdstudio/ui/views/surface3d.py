"""The 3D view: a shaded, height-coloured surface with the race riding on it.

Data coordinates are mapped into a fixed box (x, y in [−10, 10], height in
[0, 8]) so every function, from a unit bowl to Rosenbrock's thousands, gets
the same camera. The mapping is kept and applied to trails and markers too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph.opengl as gl
from OpenGL.GL import GL_BLEND, GL_DEPTH_TEST, GL_ONE_MINUS_SRC_ALPHA, GL_SRC_ALPHA
from pyqtgraph.opengl.GLViewWidget import GLViewMixin
from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMatrix4x4, QVector3D
from PySide6.QtOpenGL import QOpenGLWindow
from PySide6.QtWidgets import QHBoxLayout, QWidget

from gdstudio.engine.grid import Grid, HeightScale
from gdstudio.ui.views.box_axes import BoxAxes, nice_ticks, tick_text
from gdstudio.ui.views.colors import DIVERGED, height_colormap, rgba
from gdstudio.ui.views.loss_plot import power_label
from gdstudio.ui.views.still_layer import StillLayerView
from gdstudio.ui.views.trails import (
    ColourGroups,
    changed_runners,
    clip_segments,
    diverged_at_end,
    last_points,
    segments,
    shown_counts,
)

HALF = 10.0
HEIGHT = 8.0
LIFT = 0.15
"""Trails ride this far above the surface (in box units) so they are never buried."""
BOX = (np.array([-HALF, -HALF, 0.0]), np.array([HALF, HALF, HEIGHT + 2 * LIFT]))
"""Trails and markers stay inside this box (the domain, up to its highest point)."""
CLICK_SLOP_PX = 4
CAMERA = {"pos": (0.0, 0.0, HEIGHT / 3), "elevation": 38.0, "azimuth": -60.0}
"""Where the camera starts and View → Reset Camera puts it (the distance is fitted)."""
CAMERA_DISTANCE = 28.0
"""Camera distance before the view knows its size (then :func:`fit_distance` sets it)."""
FIT_MARGIN = 0.92
"""The box's corners stay within this fraction of the view's half-width and half-height."""
ON_TOP = {
    GL_DEPTH_TEST: False,
    GL_BLEND: True,
    "glBlendFunc": (GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA),
}
"""Markers are drawn over the surface even where a hill hides them (faint there, see
:meth:`SurfaceView3D.in_sight`): a runner is never lost from view."""
HIDDEN = 0.35
"""The opacity of a marker the surface hides from the camera. Drawn bright there, a
runner in a valley behind a slope would seem to sit on the slope."""
SIGHT_SAMPLES = 96
"""Points sampled along each line of sight, over the stretch where the surface can be."""


CENTRED = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter


def lambert(xs: np.ndarray, ys: np.ndarray, zs: np.ndarray) -> np.ndarray:
    """Per-vertex brightness from a light above and behind the camera (ambient 0.6).

    Computed once per surface on the CPU, so the mesh draws with plain vertex
    colours: cheaper on software OpenGL than a lighting shader, and never black.
    """
    dzdx = np.gradient(zs, xs, axis=0)
    dzdy = np.gradient(zs, ys, axis=1)
    light = np.array([-0.4, -0.5, 0.77])
    light /= np.linalg.norm(light)
    # light · (−dz/dx, −dz/dy, 1) / |normal|, without stacking the normals (it runs at start-up)
    facing = (light[2] - light[0] * dzdx - light[1] * dzdy) / np.sqrt(dzdx**2 + dzdy**2 + 1)
    return 0.6 + 0.4 * np.clip(facing, 0, 1)


def faded(color: Sequence[float] | np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Per-point RGBA colours for GL items: ``color`` (one RGBA, or one per point), at
    :data:`HIDDEN` opacity where not ``seen``."""
    colors = np.array(np.broadcast_to(color, (len(seen), 4)), dtype=np.float32)
    colors[~seen, 3] *= HIDDEN
    return colors


class _ReportsClicks:
    """Mixin for the GL views: a press and release without a drag is a click."""

    _owner: SurfaceView3D
    _press: QPoint | None = None

    def mousePressEvent(self, ev) -> None:
        self._press = ev.position().toPoint()
        super().mousePressEvent(ev)  # type: ignore[misc]

    def mouseReleaseEvent(self, ev) -> None:
        super().mouseReleaseEvent(ev)  # type: ignore[misc]
        pos = ev.position().toPoint()
        if (
            ev.button() == Qt.MouseButton.LeftButton
            and self._press is not None
            and (pos - self._press).manhattanLength() <= CLICK_SLOP_PX
        ):
            self._owner._on_click(pos)
        self._press = None

    def mouseDoubleClickEvent(self, ev) -> None:
        self._owner._on_double_click(ev.position().toPoint())


class _ChecksSight:
    """Mixin for the GL views: before each frame the owner updates what the camera sees
    (:meth:`SurfaceView3D.sync_sight`); the items it changes are drawn in that frame, so
    they ask for no other."""

    _owner: SurfaceView3D
    _painting = False

    def paintGL(self) -> None:
        self._painting = True
        try:
            self._owner.sync_sight()
        finally:
            self._painting = False
        super().paintGL()  # type: ignore[misc]

    def update(self, *args) -> None:
        if not self._painting:
            super().update(*args)  # type: ignore[misc]


class _GLWindowView(_ReportsClicks, _ChecksSight, StillLayerView, QOpenGLWindow):
    """pyqtgraph's 3D view as a native GL window, for the app.

    A QOpenGLWidget would make Qt composite the whole main window through
    OpenGL on every update of any widget, about 8 ms a frame on software GL;
    a native window embedded with a container renders on its own.
    """

    def __init__(self, owner: SurfaceView3D) -> None:
        super().__init__()
        self._owner = owner

    def devicePixelRatioF(self) -> float:
        """QWindow spells it devicePixelRatio."""
        return self.devicePixelRatio()

    def rect(self) -> QRect:
        """A QWidget's rect (text items paint within it); a QWindow has only its geometry."""
        return QRect(0, 0, self.width(), self.height())


class _GLWidgetView(_ReportsClicks, _ChecksSight, StillLayerView, gl.GLViewWidget):
    """The same view as a QOpenGLWidget, which renders off screen, for export."""

    def __init__(self, owner: SurfaceView3D) -> None:
        super().__init__()
        self._owner = owner


def fit_distance(
    view: GLViewMixin, width: int, height: int, points: Sequence[QVector3D],
    half_sizes: Sequence[tuple[float, float]] | None = None,
) -> float:  # fmt: skip
    """The nearest camera distance at which all ``points`` show in a width × height view.

    The points (the box's corners and its axes' labels) are projected with the view's
    own matrices (its angles and centre kept) and the distance is bisected until they
    all fall within :data:`FIT_MARGIN` of the edges. ``half_sizes``, one per point, are
    the pixel half width and height of what is drawn centred on it (a label's text):
    that must fit too.
    """
    corners = list(points)
    pads = [(2 * w / width, 2 * h / height) for w, h in half_sizes or [(0.0, 0.0)] * len(corners)]
    region = (0, 0, width, height)
    saved = view.opts["distance"]

    def fits(distance: float) -> bool:
        view.opts["distance"] = distance
        m = view.projectionMatrix(region, region) * view.viewMatrix()
        return all(abs((p := m.map(c)).x()) + dx <= FIT_MARGIN and abs(p.y()) + dy <= FIT_MARGIN
                   for c, (dx, dy) in zip(corners, pads, strict=True))  # fmt: skip

    near, far = HALF, 50 * HALF
    try:
        for _ in range(30):
            mid = 0.5 * (near + far)
            near, far = (near, mid) if fits(mid) else (mid, far)
    finally:
        view.opts["distance"] = saved
    return far


class SurfaceView3D(QWidget):
    """3D surface, trails, markers, minima and axes. ``point_picked(x, y)`` on a click.

    A double click beside the surface resets the camera. Runs that leave the domain
    (or climb above its highest point) are drawn up to the box's faces.

    ``offscreen`` builds the view on a QOpenGLWidget that renders without being
    shown, for export; the app uses a native GL window. Both draw the same items.
    """

    point_picked = Signal(float, float)

    def __init__(self, parent: QWidget | None = None, offscreen: bool = False) -> None:
        super().__init__(parent)
        if offscreen:  # export: rendered into an image, never shown
            self.gl_view: StillLayerView = _GLWidgetView(self)
            self.gl_container = self.gl_view
        else:
            self.gl_view = _GLWindowView(self)
            self.gl_container = QWidget.createWindowContainer(self.gl_view, self)
        self.gl_container.setMinimumSize(120, 120)
        self.gl_view.setBackgroundColor("w")
        self.gl_view.setCameraPosition(pos=QVector3D(*CAMERA["pos"]), distance=CAMERA_DISTANCE,
                                       elevation=CAMERA["elevation"], azimuth=CAMERA["azimuth"])  # fmt: skip
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.gl_container, 1)
        self.axes = BoxAxes(self.gl_view, HALF, HEIGHT)
        self._axis_names = ("x", "y")

        self.surface: gl.GLSurfacePlotItem | None = None
        self.minima: list[gl.GLTextItem] = []
        """Known minima, as a star (☆) as on the map and in the legend; faint when hidden."""
        # A start is drawn as the map and the legend draw it, a ring (○): a white dot on a
        # black one. Markers ignore depth, so the later item lies on top.
        self.starts_item = gl.GLScatterPlotItem(size=12, color=(0, 0, 0, 1), pxMode=True)
        self.starts_inside = gl.GLScatterPlotItem(size=7, color=(1, 1, 1, 1), pxMode=True)
        self.markers = gl.GLScatterPlotItem(size=15, pxMode=True)
        self.diverged_markers = gl.GLScatterPlotItem(size=16, color=rgba(DIVERGED), pxMode=True)
        for item in (self.starts_item, self.starts_inside, self.markers, self.diverged_markers):
            item.setGLOptions(ON_TOP)
            self.gl_view.addItem(item)
        self.trails: list[gl.GLLinePlotItem] = []
        self.arrows = gl.GLLinePlotItem(mode="lines", width=3, antialias=True)
        self.arrows.setGLOptions(ON_TOP)
        self.gl_view.addItem(self.arrows)
        self.shown_step: int | None = None
        self._colors: list[tuple[float, float, float, float]] = []
        self._groups = ColourGroups([])
        self._shown_cache: np.ndarray | None = None
        self._diverged = np.zeros(0, dtype=bool)
        self._marker_colors: np.ndarray | None = None
        self._marker_pos = np.zeros((0, 3))
        self._sight_eye: tuple[float, float, float] | None = None
        """The camera position the markers' faintness was worked out for."""
        self._grid: Grid | None = None
        self._heights = HeightScale(False, 0.0, 1.0, 0.0, 1.0)
        self._grid_heights = np.zeros((0, 0))
        self._zmin, self._zmax = 0.0, 1.0
        self._minima = np.zeros((0, 2))
        self._starts = np.zeros((0, 2))
        self._starts_pos = np.zeros((0, 3))

    def resizeEvent(self, event) -> None:
        """Keep the whole box in view, as large as it fits, whatever the view's shape."""
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        w, h = max(self.gl_container.width(), 1), max(self.gl_container.height(), 1)
        corners = [(x, y, z) for x in (-HALF, HALF) for y in (-HALF, HALF) for z in (0.0, HEIGHT)]
        labels = self.axes.labels
        points = [QVector3D(*p) for p in corners] + [p for p, _ in labels.labels]
        half_sizes = [(0.0, 0.0)] * len(corners) + labels.half_sizes()
        distance = fit_distance(self.gl_view, w, h, points, half_sizes)
        self.gl_view.setCameraPosition(distance=distance)

    def reset_camera(self) -> None:
        """The camera as it starts: from the front right, a little above, the whole box in view."""
        self.gl_view.setCameraPosition(pos=QVector3D(*CAMERA["pos"]), elevation=CAMERA["elevation"],
                                       azimuth=CAMERA["azimuth"])  # fmt: skip
        self._fit()

    # ------------------------------------------------------------------ mapping
    def to_box(self, x: np.ndarray, y: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Data (x, y, displayed height) -> box coordinates, shape (N, 3); points off the
        domain or above its heights land outside the box."""
        (x0, x1), (y0, y1) = self._grid.domain if self._grid else ((-1, 1), (-1, 1))
        span = max(self._zmax - self._zmin, 1e-300)
        with np.errstate(all="ignore"):
            return np.column_stack([
                (np.asarray(x) - x0) / (x1 - x0) * 2 * HALF - HALF,
                (np.asarray(y) - y0) / (y1 - y0) * 2 * HALF - HALF,
                (np.asarray(h) - self._zmin) / span * HEIGHT,
            ])  # fmt: skip

    # ------------------------------------------------------------------ surface
    def set_surface(self, grid: Grid, minima: np.ndarray, scale: HeightScale) -> None:
        """Build the mesh (once per surface; never per frame); heights drawn on ``scale``."""
        self._grid, self._heights = grid, scale
        h = self._grid_heights = scale(grid.z)
        self._zmin, self._zmax = scale.lo, scale.hi
        xs = (grid.xs - grid.xs[0]) / (grid.xs[-1] - grid.xs[0]) * 2 * HALF - HALF
        ys = (grid.ys - grid.ys[0]) / (grid.ys[-1] - grid.ys[0]) * 2 * HALF - HALF
        zs = (h - self._zmin) / max(self._zmax - self._zmin, 1e-300) * HEIGHT
        colors = height_colormap().map(zs.ravel() / HEIGHT, mode="float")
        colors[:, :3] *= lambert(xs, ys, zs).ravel()[:, None]
        if self.surface is not None:
            self.gl_view.removeItem(self.surface)
        self.surface = gl.GLSurfacePlotItem(x=xs, y=ys, z=zs, colors=colors, computeNormals=False,
                                            smooth=True)  # fmt: skip
        self.surface.setGLOptions("opaque")
        self.gl_view.addItem(self.surface)
        self.surface.setDepthValue(-1)  # drawn first: the axes and trails go over it
        # Drawn once while it and the camera hold still; every frame copies it (see StillLayer).
        # Only the mesh: antialiased lines and points drawn off screen may differ by a shade.
        self.gl_view.still.hold(self.surface)
        self._minima = np.asarray(minima, dtype=np.float64).reshape(-1, 2)
        m = self._minima
        lifted = self.to_box(m[:, 0], m[:, 1], self._surface_height(m)) + [0, 0, LIFT * 2]
        for star in self.minima:
            self.gl_view.removeItem(star)
        font = QFont("DejaVu Sans", 15)
        self.minima = [gl.GLTextItem(pos=point, text="★", color=(255, 255, 255, 255), font=font,
                                     alignment=CENTRED) for point in lifted]  # fmt: skip
        self._sight_eye = None  # a new surface hides other things
        for star in self.minima:
            self.gl_view.addItem(star)
        self._draw_axes()
        self._fit()
        self._draw_starts()
        self._shown_cache = None

    def set_axis_labels(self, x: str, y: str) -> None:
        """Axis names: x/y for functions, w/b for models."""
        self._axis_names = (x, y)
        self._draw_axes()

    def _draw_axes(self) -> None:
        """Ticks in data units along the box: x and y over the domain, heights up its side."""
        if self._grid is None:
            return
        (x0, x1), (y0, y1) = self._grid.domain
        ones = np.ones(1)

        def along(lo: float, hi: float, to_box) -> list[tuple[float, str]]:
            ticks, step = nice_ticks(lo, hi)
            return [(float(to_box(v)), tick_text(v, step)) for v in ticks]

        x_ticks = along(x0, x1, lambda v: self.to_box(v * ones, y0 * ones, ones)[0, 0])
        y_ticks = along(y0, y1, lambda v: self.to_box(x0 * ones, v * ones, ones)[0, 1])
        scale = self._heights
        if scale.log:  # ticks at powers of ten of f − min f
            powers = [k for k in range(math.ceil(scale.lo), math.floor(scale.hi) + 1)]
            z_ticks = [(float(self.to_box(ones, ones, k * ones)[0, 2]), power_label(k))
                       for k in powers[:: max(1, math.ceil(len(powers) / 6))]]  # fmt: skip
            name = "f − min f"
        else:
            z_ticks = along(scale.lo, scale.hi, lambda v: self.to_box(ones, ones, v * ones)[0, 2])
            name = "f"
        self.axes.set_ticks(x_ticks, y_ticks, z_ticks, (*self._axis_names, name))

    # ------------------------------------------------------------------ runners
    def set_runners(self, colors: Sequence[str], labels: Sequence[str]) -> None:
        """The runners' 3D trails, one line item (of segments) per colour."""
        for item in self.trails:
            self.gl_view.removeItem(item)
        self._colors = [rgba(c) for c in colors]
        self._groups = ColourGroups(colors)
        self._marker_colors = None
        self.trails = []
        for color in self._groups.colors:
            line = gl.GLLinePlotItem(color=rgba(color), width=2.5, antialias=False, mode="lines")
            line.setGLOptions("translucent")
            self.gl_view.addItem(line)
            self.trails.append(line)
        self._shown_cache = None

    def set_starts(self, points: np.ndarray) -> None:
        """Start points, drawn on the surface."""
        self._starts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        self._draw_starts()

    def _draw_starts(self) -> None:
        p = self._starts
        if self._grid is None or not len(p):
            pos = np.zeros((0, 3))
        else:
            pos = self.to_box(p[:, 0], p[:, 1], self._surface_height(p)) + [0, 0, LIFT * 3]
        self._starts_pos = pos
        self._show_starts(self.in_sight(pos))

    def _show_starts(self, seen: np.ndarray) -> None:
        """The start rings, faint where hidden."""
        self.starts_item.setData(pos=self._starts_pos, color=faded((0, 0, 0, 1), seen))
        self.starts_inside.setData(pos=self._starts_pos, color=faded((1, 1, 1, 1), seen))

    def _surface_height(self, p: np.ndarray) -> np.ndarray:
        """Displayed surface height at data points, by bilinear interpolation of the grid."""
        g = self._grid
        assert g is not None
        h = self._grid_heights
        fx = np.clip((p[:, 0] - g.xs[0]) / (g.xs[1] - g.xs[0]), 0, len(g.xs) - 1.000001)
        fy = np.clip((p[:, 1] - g.ys[0]) / (g.ys[1] - g.ys[0]), 0, len(g.ys) - 1.000001)
        i, j = fx.astype(int), fy.astype(int)
        tx, ty = fx - i, fy - j
        return (h[i, j] * (1 - tx) * (1 - ty) + h[i + 1, j] * tx * (1 - ty)
                + h[i, j + 1] * (1 - tx) * ty + h[i + 1, j + 1] * tx * ty)  # fmt: skip

    def show_state(
        self,
        trajectory: np.ndarray,
        values: np.ndarray,
        counts: np.ndarray,
        status: np.ndarray,
        upto_step: int | None = None,
    ) -> None:
        """Trails up to the shown step, lifted just above the surface."""
        self.shown_step = upto_step
        shown = shown_counts(counts, upto_step)
        if len(shown) != len(self._colors) or self._grid is None:
            return
        changed = self._groups.of_runners(changed_runners(shown, self._shown_cache))
        if changed:
            self._draw_trails(trajectory, values, shown, changed)
        self._shown_cache = shown.copy()
        current = last_points(trajectory, shown)
        now = values[np.maximum(shown - 1, 0), np.arange(len(shown))] if len(shown) else shown
        box = self.to_box(current[:, 0], current[:, 1], self._heights(now)) + [0, 0, LIFT * 2]
        box = np.clip(np.nan_to_num(box, nan=HEIGHT), *BOX)  # a runner gone off: at the box's face
        diverged = diverged_at_end(status, counts, shown)
        if self._marker_colors is None or not np.array_equal(diverged, self._diverged):
            # Always an (R, 4) array, even for no runners: pyqtgraph keeps a colour buffer
            # once it has seen per-point colours and cannot go back to a single colour.
            self._diverged = diverged
            self._marker_colors = np.array([(0.6, 0.6, 0.6, 1.0) if d else c
                                            for c, d in zip(self._colors, diverged, strict=True)],
                                           dtype=np.float32).reshape(-1, 4)  # fmt: skip
        self._marker_pos = box
        self._show_markers(self.in_sight(box))

    def _show_markers(self, seen: np.ndarray) -> None:
        """The runners' markers at their last positions, faint where hidden."""
        assert self._marker_colors is not None
        self.markers.setData(pos=self._marker_pos, color=faded(self._marker_colors, seen))
        d = self._diverged
        self.diverged_markers.setData(pos=self._marker_pos[d], color=faded(rgba(DIVERGED), seen[d]))

    def _draw_trails(self, trajectory: np.ndarray, values: np.ndarray, shown: np.ndarray,
                     groups: list[int]) -> None:  # fmt: skip
        """Upload the trails of colour ``groups``: their runners' points mapped into the box
        in one go (one NumPy pass, not one per runner), then cut into segments."""
        runners = [r for g in groups for r in self._groups.members[g]]
        rows = int(shown[runners].max())
        pts, h = trajectory[:rows, runners], self._heights(values[:rows, runners])
        box = self.to_box(pts[..., 0].ravel(), pts[..., 1].ravel(), h.ravel())
        box = box.reshape(rows, len(runners), 3) + [0, 0, LIFT]
        lo, hi = BOX
        inside = np.ones(box.shape[:2], dtype=bool)
        for axis in range(3):  # per coordinate: cheaper than a reduction along the short axis
            inside &= (box[..., axis] >= lo[axis]) & (box[..., axis] <= hi[axis])
        column = {r: i for i, r in enumerate(runners)}
        for g in groups:
            members = self._groups.members[g]
            pairs = np.concatenate([segments(box[: shown[r], column[r]]) for r in members])
            if not all(inside[: shown[r], column[r]].all() for r in members):
                pairs = clip_segments(pairs, lo, hi)
            self.trails[g].setData(pos=pairs)

    def show_arrows(self, origin: np.ndarray, loss: float,
                    tips: list[tuple[np.ndarray, str]]) -> None:  # fmt: skip
        """Arrows from data point ``origin`` (whose loss is ``loss``) to each (tip, '#rrggbb'),
        drawn flat at the runner's height, above the surface: the update anatomy. An empty
        list hides them."""
        if not tips or self._grid is None:
            self.arrows.setData(pos=np.zeros((0, 3)))
            return
        height = self._heights(np.array([loss]))
        pos, colors = [], []
        for tip, color in tips:
            start, end = self.to_box(np.array([origin[0], tip[0]]), np.array([origin[1], tip[1]]),
                                     np.repeat(height, 2)) + [0, 0, LIFT * 4]  # fmt: skip
            d = end - start
            length = float(np.hypot(d[0], d[1]))
            ends = [start, end]
            if length > 0:  # a flat two-stroke head, a fifth of the arrow (at most 0.8 units)
                u, head = d / length, min(0.2 * length, 0.8)
                for side in (1.0, -1.0):
                    wing = np.array([-u[0] + side * 0.5 * u[1], -u[1] - side * 0.5 * u[0], 0.0])
                    ends += [end, end + head * wing]
            drawn = clip_segments(np.array(ends), *BOX)  # a huge step ends at the box
            pos += list(drawn)
            colors += [rgba(color)] * len(drawn)
        self.arrows.setData(pos=np.array(pos).reshape(-1, 3),
                            color=np.array(colors, dtype=np.float32).reshape(-1, 4))  # fmt: skip

    # ------------------------------------------------------------------ picking and grabbing
    def _mvp(self) -> QMatrix4x4:
        """Projection × view matrix of the GL view (box coordinates -> clip space)."""
        view = self.gl_view
        dpr = view.devicePixelRatioF()
        rect = (0, 0, round(view.width() * dpr), round(view.height() * dpr))
        return view.projectionMatrix(rect, rect) * view.viewMatrix()

    def project(self, x: float, y: float, height: float) -> QPoint:
        """Widget pixel where data point (x, y) at displayed ``height`` appears."""
        box = self.to_box(np.array([x]), np.array([y]), np.array([height]))[0]
        ndc = self._mvp().map(QVector3D(*box))
        view = self.gl_view
        return QPoint(round((ndc.x() + 1) / 2 * view.width()),
                      round((1 - ndc.y()) / 2 * view.height()))  # fmt: skip

    def pick(self, pixel: QPoint) -> tuple[float, float] | None:
        """Data (x, y) of the surface point under a widget pixel, or None (ray cast)."""
        if self._grid is None:
            return None
        view = self.gl_view
        nx, ny = 2 * pixel.x() / view.width() - 1, 1 - 2 * pixel.y() / view.height()
        inverse, ok = self._mvp().inverted()
        if not ok:
            return None
        near = inverse.map(QVector3D(nx, ny, -1.0))
        far = inverse.map(QVector3D(nx, ny, 1.0))
        a = np.array([near.x(), near.y(), near.z()])
        d = np.array([far.x(), far.y(), far.z()]) - a
        if d[2] >= 0:  # looking up: the ray never meets the surface from above
            return None
        # March only through the slab that holds the surface, then bisect the crossing.
        t0, t1 = (HEIGHT + 1 - a[2]) / d[2], (-0.5 - a[2]) / d[2]
        t = np.linspace(max(t0, 0.0), t1, 4000)

        def above(ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return self._above_surface(a + ts[:, None] * d)

        over, _ = above(t)
        hits = np.flatnonzero(~over)
        if not len(hits) or hits[0] == 0:
            return None
        lo, hi = t[hits[0] - 1], t[hits[0]]
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if above(np.array([mid]))[0][0]:
                lo = mid
            else:
                hi = mid
        x, y = above(np.array([hi]))[1][0]
        return float(x), float(y)

    def in_sight(self, points: np.ndarray) -> np.ndarray:
        """For box points (N, 3): whether the camera sees each, or the surface hides it.

        Each line of sight is sampled over the stretch where the surface can be, up to
        one LIFT short of the point: markers ride that far above the surface they mark.
        """
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        if self._grid is None or not len(points):
            return np.ones(len(points), dtype=bool)
        eye = self.gl_view.cameraPosition()
        a = np.array([eye.x(), eye.y(), eye.z()])
        d = points - a
        length = np.maximum(np.linalg.norm(d, axis=1), 1e-12)
        top = HEIGHT + 4 * LIFT  # nothing is hidden above the highest point
        with np.errstate(divide="ignore", invalid="ignore"):
            enter = np.where(d[:, 2] < 0, (top - a[2]) / d[:, 2], 0.0)
        t0 = np.clip(np.nan_to_num(enter), 0.0, 1.0)
        t1 = np.maximum(1.0 - LIFT / length, t0)
        t = t0[:, None] + (t1 - t0)[:, None] * np.linspace(0.0, 1.0, SIGHT_SAMPLES)
        ray = a + t[..., None] * d[:, None, :]
        over, _ = self._above_surface(ray.reshape(-1, 3))
        return over.reshape(len(points), SIGHT_SAMPLES).all(axis=1)

    def sync_sight(self) -> None:
        """After the camera moved: which markers and minima the surface now hides."""
        eye = self.gl_view.cameraPosition()
        key = (eye.x(), eye.y(), eye.z())
        if key == self._sight_eye or self._grid is None:
            return
        self._sight_eye = key
        self._show_starts(self.in_sight(self._starts_pos))
        if self._marker_colors is not None and len(self._marker_pos) == len(self._marker_colors):
            self._show_markers(self.in_sight(self._marker_pos))
        seen = self.in_sight(np.array([star.pos for star in self.minima]))
        for star, visible in zip(self.minima, seen, strict=True):
            star.color = QColor(255, 255, 255, 255 if visible else round(255 * HIDDEN))

    def _above_surface(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For box points (N, 3): whether each lies above the surface or off the domain,
        and each one's data (x, y)."""
        data = self._from_box(points[:, :2])
        surf = (self._surface_height(data) - self._zmin) / max(self._zmax - self._zmin, 1e-300)
        inside = (np.abs(points[:, 0]) <= HALF) & (np.abs(points[:, 1]) <= HALF)
        return ~inside | (points[:, 2] > surf * HEIGHT), data

    def _from_box(self, xy: np.ndarray) -> np.ndarray:
        (x0, x1), (y0, y1) = self._grid.domain
        return np.column_stack([
            (xy[:, 0] + HALF) / (2 * HALF) * (x1 - x0) + x0,
            (xy[:, 1] + HALF) / (2 * HALF) * (y1 - y0) + y0,
        ])  # fmt: skip

    def _on_click(self, pixel: QPoint) -> None:
        hit = self.pick(pixel)
        if hit is not None:
            self.point_picked.emit(*hit)

    def _on_double_click(self, pixel: QPoint) -> None:
        """A double click beside the surface puts the camera back (on it, the click added a start)."""
        if self.pick(pixel) is None:
            self.reset_camera()

    def grab_frame(self) -> QImage:
        """The rendered GL view as an image."""
        return self.gl_view.grabFramebuffer()
