"""The one object that owns the race and calls the engine.

Views and panels never touch the engine: they read the controller's state and
query methods and subscribe to its signals; user intent comes back through its
methods. Every method that takes user input validates it through the engine and
raises :class:`~gdstudio.engine.errors.GdstudioError` with a message the caller
shows next to the input, leaving the race as it was. (``race`` and
``objective`` are the engine's own objects, public for tests and scripts; an
import-linter contract keeps the views and panels off the engine's modules.)
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QTimer, Signal

from gdstudio.engine.datasets import Dataset
from gdstudio.engine.errors import GdstudioError, ScenarioError
from gdstudio.engine.grid import Grid, sample_grid
from gdstudio.engine.objective import Domain, Objective
from gdstudio.engine.race import Race
from gdstudio.engine.scenario import OptimizerConfig, Scenario, build_objective
from gdstudio.engine.schedules import make_schedule
from gdstudio.ui.analysis_job import AnalysisJob
from gdstudio.ui.views.colors import runner_palette, shades

if TYPE_CHECKING:
    from gdstudio.engine.analysis_results import Axis, BasinMap, SweepResult
    from gdstudio.engine.anatomy import RunnerInsight

FRAME_MS = 33
"""Animation tick: about 30 frames per second."""
ENGINE_BUDGET_S = 0.008
"""Most engine time one tick may take, so the window keeps answering at any speed."""


def _keeping_playhead(edit: Callable[..., None]) -> Callable[..., None]:
    """Marks an edit of the race: the step shown before it is shown after it (see _after_edit)."""

    @functools.wraps(edit)
    def wrapper(self: RaceController, *args: Any, **kwargs: Any) -> None:
        self._playhead = self.shown_step
        edit(self, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class RaceHistory:
    """Every runner's record so far, as the views draw it.

    The arrays are the race's own (no copies, so reading them costs nothing):
    read them, never write them. Row ``k`` of a runner is its state after ``k``
    steps; rows at and past ``counts[r]`` are not recorded yet.
    """

    trajectory: npt.NDArray[np.float64]  # (K, R, 2) positions
    loss: npt.NDArray[np.float64]  # (K, R)
    grad_norm: npt.NDArray[np.float64]  # (K, R)
    counts: npt.NDArray[np.intp]  # (R,) rows recorded per runner
    status: npt.NDArray[np.int8]  # (R,) a Status code per runner
    steps_taken: npt.NDArray[np.intp]  # (R,)

    @property
    def n_runners(self) -> int:
        """R, the number of runners."""
        return len(self.counts)

    def rows_at(self, step: int) -> npt.NDArray[np.intp]:
        """Each runner's row at race step ``step``: its last row if it stopped before."""
        return np.minimum(self.counts, step + 1) - 1


@dataclass(frozen=True)
class SurfacePoint:
    """The surface at one point: height, gradient (2,) and Hessian (2, 2), maybe non-finite."""

    value: float
    gradient: npt.NDArray[np.float64]
    hessian: npt.NDArray[np.float64]


class RaceController(QObject):
    """Owns the scenario and its race; plays, steps, scrubs and edits them.

    Signals
    -------
    surface_changed
        The objective changed: views rebuild the surface (mesh, contours).
    runners_changed
        Runners were added, removed or restarted, or colours/labels changed.
    stepped
        New steps were computed (or the shown step moved): views redraw trails.
    playing_changed(bool)
        Play/pause state.
    speed_changed(float)
        Steps per second during play.
    scenario_changed
        Any edit of the scenario (for the window title's "modified" mark).
    analysis_started(AnalysisJob)
        A basin map or a sweep is about to compute in the background: connect to
        the job here to see every one of its signals, even an instant failure.
    basins_changed
        A new basin map is ready, or the old one no longer applies (new surface).
    loaded
        The scenario was replaced as a whole (new, open, preset), before the
        signals above: state kept about the old one (which optimizer follows
        the global learning rate) no longer applies.
    """

    surface_changed = Signal()
    runners_changed = Signal()
    stepped = Signal()
    playing_changed = Signal(bool)
    speed_changed = Signal(float)
    scenario_changed = Signal()
    analysis_started = Signal(object)
    basins_changed = Signal()
    loaded = Signal()

    def __init__(self, scenario: Scenario, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._on_tick)
        self._speed = 60.0
        self._carry = 0.0
        self._last_tick = 0.0
        self._shown: int | None = None
        self._playhead = 0
        """The step shown when the current edit began."""
        self._enabled: list[bool] = []
        self.scenario = scenario
        self.objective: Objective = scenario.objective()
        self._enabled = [True] * len(scenario.optimizers)
        self._edits = 0
        self._insight: tuple[tuple, RunnerInsight] | None = None
        self._jobs: dict[str, AnalysisJob] = {}
        self._basin_map: BasinMap | None = None
        self._sweep: tuple[OptimizerConfig, SweepResult] | None = None
        self.race: Race
        self._rebuild_race()

    # ------------------------------------------------------------------ state
    @property
    def playing(self) -> bool:
        """True while the timer advances the race."""
        return self._timer.isActive()

    @property
    def speed(self) -> float:
        """Steps per second during play."""
        return self._speed

    @property
    def computed_step(self) -> int:
        """The furthest step any runner has reached."""
        return int(self.race.steps_taken.max()) if self.race.n_runners else 0

    @property
    def planned_steps(self) -> int:
        """Steps the race runs: the scenario's, or more once play went on past them."""
        return self.race.max_steps

    @property
    def shown_step(self) -> int:
        """The step the views show: the live step, or the scrubbed one."""
        return self.computed_step if self._shown is None else min(self._shown, self.computed_step)

    @property
    def enabled(self) -> list[bool]:
        """Per scenario optimizer, whether it races."""
        return list(self._enabled)

    def race_entries(self) -> list[int]:
        """Scenario optimizer index of each race entry (enabled optimizers only)."""
        return [i for i, on in enumerate(self._enabled) if on]

    def runner_colors(self) -> list[str]:
        """'#rrggbb' per runner: shades of the optimizer's colour, one per start (see
        :func:`~gdstudio.ui.views.colors.shades`)."""
        colors = self.optimizer_colors()
        n_starts = len(self.scenario.starts)
        return [shade for i in self.race_entries() for shade in shades(colors[i], n_starts)]

    def runner_labels(self) -> list[str]:
        """Label per runner: the optimizer's label, plus the start number with several starts."""
        n_starts = len(self.scenario.starts)
        out = []
        for i in self.race_entries():
            label = self.scenario.optimizers[i].display_label()
            out += [label if n_starts == 1 else f"{label} #{s + 1}" for s in range(n_starts)]
        return out

    def optimizer_colors(self) -> list[str]:
        """Colour per scenario optimizer: the configured one or the palette's."""
        palette = runner_palette()
        return [
            o.color or palette[i % len(palette)] for i, o in enumerate(self.scenario.optimizers)
        ]

    # ------------------------------------------------------------------ queries
    def history(self) -> RaceHistory:
        """Every runner's path, loss, gradient norm and status so far."""
        race = self.race
        return RaceHistory(race.trajectory, race.loss, race.grad_norm, race.counts, race.status,
                           race.steps_taken)  # fmt: skip

    def runner_start(self, r: int) -> int:
        """Index in the scenario's starts of runner ``r``'s start point."""
        return self.race.runner_start(r)

    @property
    def surface_name(self) -> str:
        """Short name of the surface: the function, the formula, or the model and dataset."""
        return self.objective.name

    @property
    def domain(self) -> Domain:
        """((xmin, xmax), (ymin, ymax)) the views show."""
        return self.objective.domain

    @property
    def minima(self) -> npt.NDArray[np.float64]:
        """The surface's known global minima, shape (M, 2)."""
        return self.objective.minima

    @property
    def in_batch_mode(self) -> bool:
        """True when the surface is a model's loss over a dataset."""
        return self.objective.n_samples is not None

    @property
    def dataset(self) -> Dataset | None:
        """The dataset in batch mode, else None."""
        return getattr(self.objective, "dataset", None)

    def surface_at(self, x: float, y: float) -> SurfacePoint:
        """Value, gradient and Hessian of the surface at (x, y); overflow gives inf/nan."""
        p = np.array([[x, y]], dtype=np.float64)
        with np.errstate(all="ignore"):
            value = float(self.objective.value(p)[0])
            gradient = self.objective.grad(p)[0]
            hessian = self.objective.hessian(p)[0]
        return SurfacePoint(value, gradient, hessian)

    def gradient_at(self, x: float, y: float) -> npt.NDArray[np.float64]:
        """Gradient (2,) of the surface at (x, y)."""
        with np.errstate(all="ignore"):
            return self.objective.grad(np.array([[x, y]], dtype=np.float64))[0]

    def sample_surface(self, resolution: int, domain: Domain | None = None) -> Grid:
        """The surface's heights on a resolution × resolution grid over its domain (or ``domain``,
        e.g. the part of the plane a map shows)."""
        return sample_grid(self.objective.value, domain or self.objective.domain, resolution)

    def sample_batch_surface(self, resolution: int) -> Grid | None:
        """Heights of the loss on the mini-batch the shown step used, or None.

        None outside batch mode and when every runner uses the full batch.
        """
        race = self.race
        schedules = [race.runner_batches(r) for r in range(race.n_runners)]
        sampled = [s for s in schedules if s is not None and not s.is_full_batch]
        if not sampled:
            return None
        rows = sampled[0].batch(self.shown_step)
        obj = self.objective
        return sample_grid(lambda p: obj.value(p, rows), obj.domain, resolution)

    def model_fits(self, xs: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
        """Each runner's model at the shown step evaluated at ``xs``: (R, len(xs)).

        None when the surface is not a model over a dataset.
        """
        predict = getattr(self.objective, "predict", None)
        if predict is None:
            return None
        h = self.history()
        positions = h.trajectory[h.rows_at(self.shown_step), np.arange(h.n_runners)]
        return predict(positions, xs)

    @staticmethod
    def check_formula(text: str) -> None:
        """Raise FormulaError (with the column) if ``text`` is not a valid formula."""
        from gdstudio.engine.formula import check_formula  # sympy loads on the first formula

        check_formula(text)

    def learning_rates(self, index: int) -> npt.NDArray[np.float64]:
        """The learning rate optimizer ``index`` uses at each step of the race, shape (steps,).

        Entry k is the rate of step k + 1, under the optimizer's schedule.
        """
        entry = self._validated(self.scenario.optimizers[index])
        schedule = make_schedule(entry.schedule, float(entry.hyperparameters["lr"]))
        return np.array([schedule.lr_at(k) for k in range(self.planned_steps)], dtype=np.float64)

    def nonfinite_share(self, resolution: int = 101) -> tuple[float, Domain | None]:
        """The share of the domain where the surface is not finite, and a smaller domain to try.

        Sampled on a resolution × resolution grid. The suggestion is the box around
        the finite samples, one sample in from each side it cut; None when the
        surface is finite everywhere, or nowhere.
        """
        (x0, x1), (y0, y1) = self.objective.domain
        xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        with np.errstate(all="ignore"):
            z = self.objective.value(np.column_stack([gx.ravel(), gy.ravel()]))
        finite = np.isfinite(z).reshape(resolution, resolution)
        share = 1.0 - float(finite.mean())
        if share == 0.0 or not finite.any():
            return share, None

        def inside(axis: np.ndarray, values: np.ndarray) -> tuple[float, float]:
            i, j = np.flatnonzero(axis)[[0, -1]]
            i, j = (i + 1 if i > 0 else i), (j - 1 if j < resolution - 1 else j)
            digits = max(0, 1 - math.floor(math.log10(values[1] - values[0])))  # of a sample step
            return round(float(values[i]), digits), round(float(values[max(i, j)]), digits)

        return share, (inside(finite.any(axis=1), xs), inside(finite.any(axis=0), ys))

    def surface_problem(self, surface: Mapping[str, Any]) -> str | None:
        """Why the race could not run on ``surface`` (the engine's message), or None if it can."""
        try:
            candidate = Scenario.from_dict({**self.scenario.to_dict(), "surface": dict(surface)})
            build_objective(candidate.surface)
        except GdstudioError as exc:
            return str(exc)
        return None

    def runner_insight(self, r: int) -> RunnerInsight | None:
        """Runner r's optimizer state after each step and each step taken apart.

        Replayed from the race on demand (see :mod:`gdstudio.engine.anatomy`) and
        kept until the runner steps again or the race changes; None when there
        is no runner r.
        """
        if not 0 <= r < self.race.n_runners:
            return None
        key = (self._edits, r, int(self.race.steps_taken[r]))
        if self._insight is None or self._insight[0] != key:
            from gdstudio.engine.anatomy import inspect_runner  # the analysis loads on first use

            self._insight = (key, inspect_runner(self.race, r))
        return self._insight[1]

    # ------------------------------------------------------------------ analysis
    @property
    def basin_map(self) -> BasinMap | None:
        """The last basin map computed for this surface, or None."""
        return self._basin_map

    def analysis_job(self, kind: str) -> AnalysisJob | None:
        """The running basin map ('basins') or sweep ('sweep') job, if any."""
        job = self._jobs.get(kind)
        return job if job is not None and job.running else None

    def compute_basins(self, resolution: int, domain: Domain | None = None) -> AnalysisJob:
        """Start a basin map of the enabled optimizers over ``domain`` (by default the
        surface's), for the race's steps, in the background; a running one is cancelled.

        The result arrives in :attr:`basin_map` with ``basins_changed``.
        """
        from gdstudio.engine import basins  # the analysis loads on first use

        scenario = self._enabled_scenario()
        objective = self.objective

        def compute(progress):
            return basins.scenario_basin_map(scenario, resolution, None, domain, objective,
                                             progress)  # fmt: skip

        return self._start_job("basins", compute, self._on_basins)

    def sweepable(self, index: int) -> list[str]:
        """The hyperparameter names a sweep of optimizer ``index`` can set."""
        from gdstudio.engine import sweep  # the analysis loads on first use

        return sweep.sweepable(self.scenario.optimizers[index].name)

    def hyperparameter_value(self, index: int, name: str) -> float:
        """Optimizer ``index``'s value of ``name`` (``betas[0]``-style too), defaults filled in."""
        from gdstudio.engine import sweep  # the analysis loads on first use

        return sweep.current_value(self.scenario.optimizers[index], name)

    def compute_sweep(self, index: int, x: Axis, y: Axis | None, metric: str) -> AnalysisJob:
        """Start a sweep of optimizer ``index`` in the background (a running one is cancelled).

        Raises AnalysisError at once for a bad axis; a value the optimizer refuses
        arrives as the job's ``failed`` message.
        """
        from gdstudio.engine import sweep  # the analysis loads on first use

        sweep.checked_axis(x, "x")
        if y is not None:
            sweep.checked_axis(y, "y")
        scenario, config, objective = self.scenario, self.scenario.optimizers[index], self.objective

        def compute(progress):
            return sweep.run_sweep(scenario, index, x, y, metric, objective, progress)

        return self._start_job("sweep", compute,
                               lambda job, result: self._on_sweep(job, config, result))  # fmt: skip

    def add_swept_optimizer(self, x_value: float, y_value: float | None = None) -> None:
        """Add the last sweep's optimizer with one cell's setting to the race."""
        if self._sweep is None:
            return
        from gdstudio.engine import sweep  # loaded by the sweep that made self._sweep

        config, result = self._sweep
        chosen = [(result.x.name, x_value)]
        if result.y is not None and y_value is not None:
            chosen.append((result.y.name, y_value))
        given = dict(config.hyperparameters)
        for name, value in chosen:
            given = sweep.with_value(given, config.name, name, float(value))
        setting = ", ".join(f"{name}={value:.3g}" for name, value in chosen)
        self.add_optimizer(OptimizerConfig(config.name, given, f"{config.display_label()} "
                                           f"({setting})", None, config.schedule,
                                           config.batch_size))  # fmt: skip

    def _start_job(
        self, kind: str, compute, on_finished: Callable[[AnalysisJob, Any], None]
    ) -> AnalysisJob:
        """Start ``compute`` in the background; ``on_finished(job, result)`` takes its result.

        Connected before the job starts: a job can finish before ``start`` returns.
        """
        old = self._jobs.get(kind)
        if old is not None:
            old.cancel()
        job = AnalysisJob(kind, compute, self)
        self._jobs[kind] = job
        job.finished.connect(lambda result: on_finished(job, result))
        self.analysis_started.emit(job)
        job.start()
        return job

    def _on_basins(self, job: AnalysisJob, result: BasinMap) -> None:
        if self._jobs.get("basins") is job:  # not a job the surface has since outdated
            self._basin_map = result
            self.basins_changed.emit()

    def _on_sweep(self, job: AnalysisJob, config: OptimizerConfig, result: SweepResult) -> None:
        if self._jobs.get("sweep") is job:
            self._sweep = (config, result)

    def _forget_basins(self) -> None:
        """A new surface: the old basin map no longer applies, and one being computed neither."""
        job = self._jobs.pop("basins", None)
        if job is not None:
            job.cancel()
        if self._basin_map is not None:
            self._basin_map = None
            self.basins_changed.emit()

    def _enabled_scenario(self) -> Scenario:
        """The scenario with only the optimizers that race."""
        return self.scenario.with_changes(
            optimizers=tuple(self.scenario.optimizers[i] for i in self.race_entries())
        )

    # ------------------------------------------------------------------ playback
    def play(self) -> None:
        """Start advancing the race on the timer (past the step count if it was reached)."""
        if self.playing:
            return
        if self.race.done:  # runners stopped by the step limit go on for another round
            self._ensure_room(self.scenario.steps)
        if self._shown is not None:
            self._shown = None
            self.stepped.emit()
        self._carry = 0.0
        self._last_tick = time.perf_counter()
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        """Stop the timer; the race keeps its state."""
        if self.playing:
            self._timer.stop()
            self.playing_changed.emit(False)

    def toggle_play(self) -> None:
        """Play if paused, pause if playing."""
        self.pause() if self.playing else self.play()

    def step_once(self) -> None:
        """Advance one step (or move the scrubbed view one step forward)."""
        if self._shown is not None and self._shown < self.computed_step:
            self.scrub(self._shown + 1)
            return
        self._shown = None
        self._ensure_room(1)
        self.race.step(1)
        self.stepped.emit()

    def reset(self) -> None:
        """Every runner back at its start; playback paused."""
        self.pause()
        self._shown = None
        self.race.reset()
        self.runners_changed.emit()
        self.stepped.emit()

    def set_speed(self, steps_per_second: float) -> None:
        """Steps per second during play (at least 1)."""
        speed = max(1.0, float(steps_per_second))
        if speed != self._speed:
            self._speed = speed
            self.speed_changed.emit(speed)

    def scrub(self, step: int) -> None:
        """Show step ``step`` in every view (pauses play), computing the race up to it if needed."""
        self.pause()
        step = max(0, min(int(step), self.planned_steps))
        if step > self.computed_step:
            self.race.step(step - self.computed_step)
        step = min(step, self.computed_step)  # every runner may have stopped before
        self._shown = None if step >= self.computed_step else step
        self.stepped.emit()

    def _ensure_room(self, steps: int) -> None:
        """Let the race go past the scenario's step count when the user asks for more."""
        if self.computed_step + steps > self.race.max_steps:
            self.race.extend(self.computed_step + steps)

    def _on_tick(self) -> None:
        now = time.perf_counter()
        self._carry += self._speed * (now - self._last_tick)
        self._last_tick = now
        want = int(self._carry)
        if want < 1:
            return
        self._carry -= want
        t0 = time.perf_counter()
        made = 0
        while made < want and not self.race.done and time.perf_counter() - t0 < ENGINE_BUDGET_S:
            made += self.race.step(min(want - made, 16))
        if made < want:
            self._carry = 0.0  # the engine could not keep up: drop the backlog, stay responsive
        if made:
            self.stepped.emit()
        if self.race.done:
            self.pause()

    # ------------------------------------------------------------------ editing
    def load(self, scenario: Scenario) -> None:
        """Replace everything with ``scenario`` (validated by the caller's loader)."""
        objective = scenario.objective()
        self.pause()
        self.scenario = scenario
        self.objective = objective
        self._enabled = [True] * len(scenario.optimizers)
        self._shown = None
        self._rebuild_race()
        self._forget_basins()
        self.loaded.emit()
        self.surface_changed.emit()
        self._structure_changed()

    @_keeping_playhead
    def restore(self, scenario: Scenario) -> None:
        """Go back (or forward) to an earlier state of this race: undo and redo.

        Unlike :meth:`load`, the surface is rebuilt only if it differs, the
        optimizers keep whether they race when their number is unchanged, and
        the step on screen stays on screen.
        """
        surface_changed = scenario.surface != self.scenario.surface
        self.objective = scenario.objective() if surface_changed else self.objective
        self.scenario = scenario
        if len(self._enabled) != len(scenario.optimizers):
            self._enabled = [True] * len(scenario.optimizers)
        self._rebuild_race()
        if surface_changed:
            self.surface_changed.emit()
        self._after_edit()

    def set_surface(self, surface: Mapping[str, Any]) -> None:
        """Switch to another surface; the runners restart from their starts."""
        candidate = Scenario.from_dict({**self.scenario.to_dict(), "surface": dict(surface)})
        if candidate.surface == self.scenario.surface:
            return  # nothing to change: the race goes on as it was
        objective = build_objective(candidate.surface)
        self._describe(candidate)
        self.objective = objective
        self._shown = None
        self._rebuild_race()
        self._forget_basins()
        self.surface_changed.emit()
        self._structure_changed()

    @_keeping_playhead
    def add_start(self, x: float, y: float) -> None:
        """Every enabled optimizer gets a runner at (x, y), caught up with the others."""
        if not (np.isfinite(x) and np.isfinite(y)):
            raise ScenarioError("starts", f"start point ({x}, {y}) is not finite")
        self._set_starts([*self.scenario.starts, (float(x), float(y))])
        self.race.add_start((x, y))
        self._after_edit()

    @_keeping_playhead
    def add_start_grid(self, n: int) -> None:
        """n × n start points spread over the surface's domain (in from its edges).

        Every optimizer races from each: which minimum each start reaches shows
        the basins of attraction.
        """
        (x0, x1), (y0, y1) = self.objective.domain
        xs = np.linspace(x0, x1, n + 2)[1:-1]
        ys = np.linspace(y0, y1, n + 2)[1:-1]
        points = [(float(x), float(y)) for x in xs for y in ys]
        self._set_starts([*self.scenario.starts, *points])
        self.race.add_starts(points)
        self._after_edit()

    @_keeping_playhead
    def move_start(self, index: int, x: float, y: float) -> None:
        """Move a start point; its runners restart from there."""
        starts = list(self.scenario.starts)
        starts[index] = (float(x), float(y))
        self._set_starts(starts)
        self.race.move_start(index, (x, y))
        self._after_edit()

    @_keeping_playhead
    def remove_start(self, index: int) -> None:
        """Remove a start point and its runners."""
        starts = [p for i, p in enumerate(self.scenario.starts) if i != index]
        self._set_starts(starts)
        self.race.remove_start(index)
        self._after_edit()

    def clear_starts(self) -> None:
        """Remove every start point."""
        self._set_starts([])
        self._rebuild_race()
        self._structure_changed()

    @_keeping_playhead
    def add_optimizer_named(self, name: str, hyperparameters: Mapping[str, Any]) -> None:
        """Add optimizer ``name`` with these hyperparameters (torch's defaults for the rest)."""
        self.add_optimizer(OptimizerConfig(name, dict(hyperparameters)))

    def add_optimizer(self, config: OptimizerConfig) -> None:
        """Add an optimizer; it races from every start at once."""
        entry = self._validated(config)
        self._describe(self.scenario.with_changes(optimizers=(*self.scenario.optimizers, config)))
        self._enabled.append(True)
        self.race.add_entry(entry)
        self._after_edit()

    @_keeping_playhead
    def update_optimizer(self, index: int, config: OptimizerConfig) -> None:
        """Change one optimizer; only its runners re-run from their starts."""
        entry = self._validated(config)
        old = self.scenario.optimizers[index]
        optimizers = list(self.scenario.optimizers)
        from gdstudio.ui.caption import relabeled  # with the catalog: on the first edit

        optimizers[index] = relabeled(old, config)
        self._describe(self.scenario.with_changes(optimizers=tuple(optimizers)))
        if not self._enabled[index]:
            self._structure_changed()
            return
        race_index = self.race_entries().index(index)
        if old.entry() != entry:
            self.race.replace_entry(race_index, entry)
        self._after_edit()

    @_keeping_playhead
    def remove_optimizer(self, index: int) -> None:
        """Remove an optimizer and its runners."""
        was_enabled = self._enabled[index]
        race_index = self.race_entries().index(index) if was_enabled else -1
        optimizers = [o for i, o in enumerate(self.scenario.optimizers) if i != index]
        self._describe(self.scenario.with_changes(optimizers=tuple(optimizers)))
        del self._enabled[index]
        if was_enabled:
            self.race.remove_entry(race_index)
        self._after_edit()

    @_keeping_playhead
    def set_enabled(self, index: int, enabled: bool) -> None:
        """Include or exclude an optimizer from the race (its settings are kept)."""
        if self._enabled[index] == enabled:
            return
        if enabled:
            self._enabled[index] = True
            position = self.race_entries().index(index)
            self.race.add_entry(self.scenario.optimizers[index].entry(), position)
        else:
            position = self.race_entries().index(index)
            self._enabled[index] = False
            self.race.remove_entry(position)
        self._after_edit()

    def run_to(self, steps: int) -> int:
        """Compute the race up to ``steps`` at once; returns the furthest step reached."""
        self.race.extend(steps)
        self.race.run()
        self.stepped.emit()
        return self.computed_step

    def set_steps(self, steps: int) -> None:
        """Change how many steps the race runs."""
        self.scenario = self.scenario.with_changes(steps=int(steps))
        self.race.extend(int(steps))
        self.scenario_changed.emit()

    # ------------------------------------------------------------------ internals
    def _validated(self, config: OptimizerConfig):
        try:
            return config.entry()
        except GdstudioError:
            raise
        except (TypeError, ValueError) as exc:
            raise ScenarioError("optimizer", str(exc)) from None

    def _describe(self, edited: Scenario) -> None:
        """Take the edited scenario, with title, caption and labels that fit it (see caption)."""
        from gdstudio.ui.caption import retitled  # with the catalog: on the first edit

        self.scenario = retitled(self.scenario, edited)

    def _set_starts(self, starts: Sequence[tuple[float, float]]) -> None:
        self.scenario = self.scenario.with_changes(starts=tuple(starts))

    def _rebuild_race(self) -> None:
        self.race = self._enabled_scenario().race(self.objective)
        self._edits += 1

    def _after_edit(self) -> None:
        """Bring every runner up to the step shown before the edit, and keep showing that step.

        Runners the edit restarted catch up with the others; if it restarted them
        all, the race is run up to that step, so the user sees the change at the
        moment they were looking at (not at step 0, nor at the end).
        """
        self.race.catch_up()
        if self.computed_step < self._playhead:
            self.race.step(self._playhead - self.computed_step)
        self._shown = self._playhead if self._playhead < self.computed_step else None
        self._structure_changed()

    def _structure_changed(self) -> None:
        self._edits += 1
        self.runners_changed.emit()
        self.stepped.emit()
        self.scenario_changed.emit()
