"""Glue between the controller and the three views (3D, contour, loss).

The views render arrays and report mouse intent; this object feeds them the
controller's state on its signals and turns their clicks into controller calls.
Every view shows the same runners, colours and step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from gdstudio.engine.errors import GdstudioError
from gdstudio.engine.grid import Grid, HeightScale, contour_levels, wants_log_scale
from gdstudio.ui.controller import RaceController
from gdstudio.ui.throttle import Throttle
from gdstudio.ui.views.colors import shades
from gdstudio.ui.views.surface3d import SurfaceView3D

if TYPE_CHECKING:
    from gdstudio.ui.views.anatomy_overlay import AnatomyOverlay
    from gdstudio.ui.views.colour_bar import ColourBar
    from gdstudio.ui.views.contour import ContourView
    from gdstudio.ui.views.loss_plot import LossPlot

GRID_RESOLUTION = 200
LOSS_INTERVAL_S = 0.1
"""During play the loss plot redraws at most this often (10 Hz): the dearest 2D view to paint."""
ANATOMY_AUTO_RUNNERS = 4
"""Races of at most this many runners show the update anatomy until the user says otherwise."""
MAP_INTERVAL_S = 0.15
"""While the map is resized, zoomed or panned, its heights are sampled again at most this often."""
ELONGATED = 4.0
"""A domain this many times longer one way than the other opens stretched to fill the map."""
MAX_MAP_RESOLUTION = 400


def elongated(domain) -> bool:
    """True when equal scales would squeeze the domain into a thin strip (a ravine's w, b)."""
    (x0, x1), (y0, y1) = domain
    ratio = (x1 - x0) / (y1 - y0)
    return not 1 / ELONGATED <= ratio <= ELONGATED


BASIN_RESOLUTION = 256
"""Starts along each side of the basin map the map's Basins button computes."""
BASIN_ALPHA = 170
"""Opacity (of 255) of the basin map over the contour map: the isolines show through."""


class RaceViews(QObject):
    """Owns the 3D view, the contour view, their colour bar and the loss plot for one controller.

    ``error(str)`` carries a message for the window to show when a click could
    not be applied (for example a start point outside the finite region).

    Built in stages so the app paints its first frame early: the 3D view, empty;
    the race in it (:meth:`draw_3d`: the surface, its minima, the starts and trails;
    from then on a click on it adds a start point); then the 2D views
    (:meth:`add_2d_views`). All at once unless ``staged``. Each controller signal
    reaches the 3D view's half of its handler first, then the 2D views' half.
    """

    error = Signal(str)

    contour: ContourView
    loss_plot: LossPlot
    colour_bar: ColourBar
    anatomy: AnatomyOverlay

    def __init__(self, controller: RaceController, parent: QObject | None = None,
                 offscreen: bool = False, staged: bool = False) -> None:  # fmt: skip
        super().__init__(parent)
        self.controller = controller
        self.surface3d = SurfaceView3D(offscreen=offscreen)
        # The box axes come with the 2D views: in a staged start the surface and its starts
        # are on screen before them (drawing their lines and labels costs software GL 16 ms).
        self.surface3d.axes.set_shown(False)
        self.has_3d_race = False
        self.has_2d_views = False
        self.selected_start: int | None = None
        self.selected_runner: int | None = None
        self._anatomy_choice: bool | None = None
        self._log_scale = False
        self._stretch_choice: bool | None = None
        self._batch_overlay = False
        self._scale = HeightScale(False, 0.0, 1.0, 0.0, 1.0)
        self._grid: Grid | None = None
        self._levels = np.zeros(0)
        self.basins_shown = False
        self.basin_optimizer = 0
        """Which optimizer of the basin map the contour map shows."""
        self._follow_3d = self._follow_map = self._follow_loss = True

        controller.loaded.connect(self._forget_selection)
        self.surface3d.point_picked.connect(self._add_start)
        if not staged:
            self.add_2d_views()

    def draw_3d(self) -> None:
        """Draw the surface, its minima and the race in the 3D view, and follow the
        controller there from now on (once)."""
        if self.has_3d_race:
            return
        c = self.controller
        c.surface_changed.connect(self._choose_scale)
        c.surface_changed.connect(self._surface_3d)
        c.runners_changed.connect(self._runners_3d)
        c.stepped.connect(self._step_3d)
        self.has_3d_race = True
        self._choose_scale()
        self._surface_3d()
        self._runners_3d()
        self._step_3d()

    def add_2d_views(self) -> None:
        """Build the contour map, its colour bar, the loss plot and the update anatomy, and
        show the race on them (once, after :meth:`draw_3d`)."""
        if self.has_2d_views:
            return
        self.draw_3d()
        # Imported here: the window's first frame is painted before these modules load.
        from gdstudio.ui.views.anatomy_overlay import AnatomyOverlay
        from gdstudio.ui.views.colour_bar import ColourBar
        from gdstudio.ui.views.contour import ContourView
        from gdstudio.ui.views.loss_plot import LossPlot

        c = self.controller
        self.surface3d.axes.set_shown(True)
        self.contour = ContourView()
        self.loss_plot = LossPlot()
        self.colour_bar = ColourBar()
        self.anatomy = AnatomyOverlay(self.contour.plot_item)
        self.has_2d_views = True
        self._loss_update = Throttle(self._update_loss_plot, LOSS_INTERVAL_S, self)
        self._map_update = Throttle(self._fill_map, MAP_INTERVAL_S, self)
        self.contour.view_changed.connect(self._map_update)
        c.playing_changed.connect(lambda _playing: self._loss_update.flush())
        c.surface_changed.connect(self._forget_stretch)
        c.surface_changed.connect(self._surface_2d)
        c.runners_changed.connect(self._runners_2d)
        c.stepped.connect(self._step_2d)
        self.contour.point_clicked.connect(self._add_start)
        self.contour.start_moved.connect(self._move_start)
        self.contour.start_removed.connect(self._remove_start)
        self.contour.start_selected.connect(self._select_start)
        self.contour.basins_toggled.connect(self.set_basins_shown)
        self.contour.cursor_moved.connect(self._describe_basin)
        self.contour.cursor_left.connect(lambda: self.contour.show_note(""))
        c.basins_changed.connect(self._show_basins)
        self._surface_2d()
        self._runners_2d()
        self._step_2d()

    # ------------------------------------------------------------------ user intent
    def _add_start(self, x: float, y: float) -> None:
        self._apply(self.controller.add_start, x, y)
        self.selected_start = len(self.controller.scenario.starts) - 1

    def _move_start(self, index: int, x: float, y: float) -> None:
        self.selected_start = index
        self._apply(self.controller.move_start, index, x, y)

    def _select_start(self, index: int) -> None:
        self.selected_start = index

    def _remove_start(self, index: int) -> None:
        self.selected_start = None
        self._apply(self.controller.remove_start, index)

    def _apply(self, method, *args) -> None:
        try:
            method(*args)
        except GdstudioError as exc:
            self.error.emit(str(exc))

    def settle(self) -> None:
        """Draw now whatever waits for its throttle (before grabbing a frame)."""
        self._map_update.flush()
        self._loss_update.flush()

    @property
    def stretched(self) -> bool:
        """Whether the map stretches to fill (x and y at different scales): the user's choice,
        else only for an elongated domain."""
        if self._stretch_choice is not None:
            return self._stretch_choice
        return elongated(self.controller.domain)

    def set_stretched(self, on: bool) -> None:
        """View → Stretch to Fill: the map at different x and y scales, or at one scale."""
        self._stretch_choice = bool(on)
        self.contour.set_stretch(self.stretched)
        self._map_update()

    def _forget_stretch(self) -> None:
        """A new surface opens at the default aspect for its domain."""
        self._stretch_choice = None

    def _forget_selection(self) -> None:
        """A new race: no start or runner of the old one stays selected (Delete removes none)."""
        self.selected_start = self.selected_runner = None

    def set_log_scale(self, on: bool) -> None:
        """Log scale of the height in the 3D view (and contour levels)."""
        self._log_scale = bool(on)
        self._on_surface_change()

    @property
    def log_scale(self) -> bool:
        """Whether heights are drawn on a log scale."""
        return self._log_scale

    def _choose_scale(self) -> None:
        """Log heights by default where a linear scale would hide the valley (Rosenbrock)."""
        self._log_scale = wants_log_scale(self.controller.sample_surface(60).z)

    def select_runner(self, r: int) -> None:
        """Remember the runner the user picked in the table; its anatomy is drawn."""
        self.selected_runner = r
        self._update_anatomy()

    @property
    def anatomy_shown(self) -> bool:
        """Whether the update anatomy is drawn: the user's choice, else on for small races."""
        if self._anatomy_choice is not None:
            return self._anatomy_choice
        return 0 < self.controller.history().n_runners <= ANATOMY_AUTO_RUNNERS

    def set_anatomy_shown(self, on: bool) -> None:
        """Show or hide the update anatomy of the selected runner (View menu)."""
        self._anatomy_choice = bool(on)
        self._update_anatomy()

    def compute_basins(self, resolution: int = BASIN_RESOLUTION) -> None:
        """Start a basin map over the part of the surface the contour map shows."""
        self._apply(self.controller.compute_basins, resolution, self.contour.visible_domain())

    def set_basins_shown(self, on: bool) -> None:
        """Colour the contour map by basin; with no basin map yet, compute one."""
        self.basins_shown = bool(on)
        c = self.controller
        if self.basins_shown and c.basin_map is None and c.analysis_job("basins") is None:
            self.compute_basins()
        self._show_basins()

    def set_basin_optimizer(self, index: int) -> None:
        """Which optimizer's basins the contour map shows."""
        self.basin_optimizer = max(0, int(index))
        self._show_basins()

    def _show_basins(self) -> None:
        result = self.controller.basin_map
        self.contour.set_basins_checked(self.basins_shown)
        if not self.basins_shown or result is None:
            self.contour.set_basins(None)
            return
        from gdstudio.ui.views.analysis_colors import basin_rgba  # with the first basin map

        index = min(self.basin_optimizer, len(result.labels) - 1)
        self.contour.set_basins(basin_rgba(result, index, BASIN_ALPHA), result.domain)

    def _describe_basin(self, x: float, y: float) -> None:
        """Under the pointer, where a runner of the shown optimizer would go from there."""
        result = self.controller.basin_map
        pixel = result.pixel_of(x, y) if self.basins_shown and result is not None else None
        if pixel is None:
            self.contour.show_note("")
            return
        from gdstudio.ui.views.analysis_colors import describe_pixel  # with the first basin map

        index = min(self.basin_optimizer, len(result.labels) - 1)
        self.contour.show_note(describe_pixel(result, index, *pixel))

    def set_batch_overlay(self, on: bool) -> None:
        """Show the loss surface of the current mini-batch over the contour map."""
        self._batch_overlay = bool(on)
        self._update_overlay()

    # ------------------------------------------------------------------ model -> views
    def _on_surface_change(self) -> None:
        self._surface_3d()
        self._surface_2d()

    def _surface_3d(self) -> None:
        c = self.controller
        self._grid = grid = c.sample_surface(GRID_RESOLUTION)
        self._scale = HeightScale.fit(grid.z, self._log_scale)
        self.surface3d.set_surface(grid, c.minima, self._scale)
        self.surface3d.set_axis_labels(*self._axis_labels())

    def _surface_2d(self) -> None:
        c, grid = self.controller, self._grid
        assert grid is not None  # sampled by _surface_3d, connected first
        self._levels = contour_levels(self._scale(grid.z))
        self.contour.set_surface(grid, self._scale, self._levels)
        self.colour_bar.set_scale(self._scale)
        self.contour.set_minima(c.minima)
        self.contour.show_domain(c.domain)
        self.contour.set_stretch(self.stretched)
        self.contour.set_axis_labels(*self._axis_labels())
        self._fill_map()
        self._update_overlay()

    def _axis_labels(self) -> tuple[str, str]:
        return ("w", "b") if self.controller.in_batch_mode else ("x", "y")

    def _fill_map(self) -> None:
        """Heights over all the map shows: no blank margins at equal scale, detail when zoomed.

        Sampled again only when the view leaves the sampled part of the plane or
        zooms well into it.
        """
        (x0, x1), (y0, y1) = view = self.contour.visible_domain()
        have = self.contour.surface_rect
        covered = have.contains(x0, y0) and have.contains(x1, y1)
        if covered and (x1 - x0) > 0.5 * have.width() and (y1 - y0) > 0.5 * have.height():
            return
        (d0, d1), (e0, e1) = self.controller.domain
        zoom = max((x1 - x0) / (d1 - d0), (y1 - y0) / (e1 - e0))
        resolution = int(min(MAX_MAP_RESOLUTION, max(GRID_RESOLUTION * zoom, GRID_RESOLUTION)))
        grid = self.controller.sample_surface(resolution, view)
        self.contour.set_surface(grid, self._scale, self._levels)

    def _runners_3d(self) -> None:
        c = self.controller
        self.surface3d.set_runners(c.runner_colors(), c.runner_labels())
        self.surface3d.set_starts(self._starts())
        if self.selected_runner is not None and self.selected_runner >= c.history().n_runners:
            self.selected_runner = None
        if self.selected_start is not None and self.selected_start >= len(c.scenario.starts):
            self.selected_start = None

    def _runners_2d(self) -> None:
        c = self.controller
        colors, labels = c.runner_colors(), c.runner_labels()
        for view in (self.contour, self.loss_plot):
            view.set_runners(colors, labels)
        self.contour.set_legend(self._legend_entries())
        self.contour.set_starts(self._starts())

    def _starts(self) -> np.ndarray:
        return np.asarray(self.controller.scenario.starts, dtype=np.float64).reshape(-1, 2)

    def _legend_entries(self) -> list[tuple[list[str], str]]:
        """(the shades its runners wear, label) of each racing optimizer."""
        c = self.controller
        n, colors = max(len(c.scenario.starts), 1), c.optimizer_colors()
        return [(list(dict.fromkeys(shades(colors[i], n))), c.scenario.optimizers[i].display_label())
                for i in c.race_entries()]  # fmt: skip

    def set_followers(self, surface3d: bool, contour: bool, loss_plot: bool) -> None:
        """Whether the 3D view, the contour map and the loss plot follow the race's step. An
        export frame that leaves one out spares its redraw; one taken back catches up at once."""
        self._follow_3d, self._follow_map = bool(surface3d), bool(contour)
        self._follow_loss = bool(loss_plot)
        self._on_step()

    def _on_step(self) -> None:
        self._step_3d()
        self._step_2d()

    def _step_3d(self) -> None:
        if self._follow_3d:
            h = self.controller.history()
            self.surface3d.show_state(h.trajectory, h.loss, h.counts, h.status,
                                      upto_step=self.controller.shown_step)  # fmt: skip

    def _step_2d(self) -> None:
        """The 2D views and the update anatomy (drawn on the map, and repeated in 3D)."""
        if self._follow_map:
            h = self.controller.history()
            self.contour.show_state(h.trajectory, h.loss, h.counts, h.status,
                                    upto_step=self.controller.shown_step)  # fmt: skip
        if self._follow_loss and self.controller.playing:
            self._loss_update()  # at most every LOSS_INTERVAL_S during play
        elif self._follow_loss:
            self._update_loss_plot()
        if self._batch_overlay:
            self._update_overlay()
        self._update_anatomy()

    def _update_anatomy(self) -> None:
        """Arrows of the selected runner's step from the shown step (the last step at the live edge)."""
        r = self.selected_runner if self.selected_runner is not None else 0
        insight = self.controller.runner_insight(r) if self.anatomy_shown else None
        if insight is None or insight.steps == 0:
            self.anatomy.clear()
            self.surface3d.show_arrows(np.zeros(2), 0.0, [])
            return
        k = min(self.controller.shown_step, insight.steps - 1)
        arrows = {name: values[k] for name, values in insight.arrows.items()}
        step = insight.positions[k + 1] - insight.positions[k]
        effective = insight.effective_lr[k] if insight.effective_lr is not None else None
        self.anatomy.show(insight.positions[k], arrows, step, insight.plain[k], effective)
        loss = float(self.controller.history().loss[k, r])
        self.surface3d.show_arrows(insight.positions[k], loss, self.anatomy.tips)

    def _update_loss_plot(self) -> None:
        h = self.controller.history()
        self.loss_plot.set_planned_steps(self.controller.planned_steps)
        self.loss_plot.show_state(h.loss, h.grad_norm, h.counts, h.status,
                                  upto_step=self.controller.shown_step)  # fmt: skip

    def _update_overlay(self) -> None:
        """Isolines of the batch loss at the shown step (batch mode only)."""
        grid = None
        if self._batch_overlay:
            grid = self.controller.sample_batch_surface(GRID_RESOLUTION // 2)
        self.contour.set_overlay(grid)
