"""The main window: 3D and contour views side by side, docks for panels and plots."""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gdstudio.engine.errors import GdstudioError
from gdstudio.engine.presets import presets
from gdstudio.engine.scenario import Scenario, load_scenario, save_scenario
from gdstudio.ui import session
from gdstudio.ui.controller import RaceController
from gdstudio.ui.keys import FocusKeepsKeys
from gdstudio.ui.panels.inline_message import InlineMessage
from gdstudio.ui.playback_bar import PlaybackBar
from gdstudio.ui.race_views import RaceViews
from gdstudio.ui.undo import UndoStack
from gdstudio.ui.views.colour_bar import BAR_HEIGHT_PX

if TYPE_CHECKING:
    from gdstudio.ui.panels.basins_panel import BasinsPanel
    from gdstudio.ui.panels.batch_panel import BatchPanel
    from gdstudio.ui.panels.optimizer_panel import OptimizerPanel
    from gdstudio.ui.panels.readout import Readout
    from gdstudio.ui.panels.state_inspector import StateInspector
    from gdstudio.ui.panels.status_table import StatusTable
    from gdstudio.ui.panels.surface_panel import SurfacePanel

SCENARIO_SUFFIX = ".gdstudio.json"
"""New scenario files get this suffix: the desktop's MIME type for scenarios matches it."""
SCENARIO_FILTER = "gdstudio scenarios (*.gdstudio.json *.json);;All files (*)"


START_GRIDS = (3, 5, 8)
"""Sizes offered by Race > Add a Grid of Starts (n × n points)."""
MOUSE_HELP = (
    ("Click on a view", "add a start point"), ("Drag a start", "move it"),
    ("Right-click a start", "remove it"),
)  # fmt: skip
"""What the mouse does in the views (the keys come from the menus' actions)."""
BASINS_DOCK_HEIGHT = 380
"""Height the Basins dock grows to when Race > Basin Map shows it."""


DOCKS = (
    ("Optimizers", Qt.DockWidgetArea.LeftDockWidgetArea),
    ("Surface", Qt.DockWidgetArea.LeftDockWidgetArea),
    ("Batch mode", Qt.DockWidgetArea.LeftDockWidgetArea),
    ("Loss", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("Basins", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("Runners", Qt.DockWidgetArea.RightDockWidgetArea),
    ("Readout", Qt.DockWidgetArea.RightDockWidgetArea),
    ("Optimizer state", Qt.DockWidgetArea.RightDockWidgetArea),
)
"""Each dock's title and where it starts (View menu order)."""
MENUS = ("&File", "&Edit", "&Race", "&Presets", "&View", "&Help")
FIRST_DOCK_SIZES = {"Optimizers": 380, "Runners": 380, "Loss": 230}
"""Dock sizes on a first launch (px): wide enough for their panels (the Batch mode panel needs
371 px), so they stay as they are when the panels arrive after the first frame."""
FIRST_RIGHT_SPLIT = (260, 690)
"""Heights of the Runners and Readout docks on a first launch, relative to each other."""


class MainWindow(QMainWindow):
    """The app's window. It owns the controller and wires views and panels to it.

    Built in stages, so that the app paints early: the frame (the window at its final
    size and dock layout, with empty docks and menus, the caption, the playback bar and
    the 3D view, still empty), then the race in the 3D view (the surface, its minima and
    the starts), then everything else (:meth:`complete`). ``staged`` runs each stage
    after the 3D view has swapped the frame of the one before; ``completed`` says when
    the last is done. A window closed meanwhile is built no further.
    """

    completed = Signal()

    optimizer_panel: OptimizerPanel
    surface_panel: SurfacePanel
    batch_panel: BatchPanel
    status_table: StatusTable
    readout: Readout
    state_inspector: StateInspector
    basins_panel: BasinsPanel

    def __init__(self, controller: RaceController, settings: QSettings,
                 staged: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.controller = controller
        self.settings = settings
        self.path: Path | None = None
        self._saved: Scenario | None = controller.scenario
        """The race as last opened or saved (None: not known, e.g. a restored edited race)."""
        self.is_complete = False
        self.sweep_dialog = None
        self.setWindowTitle("gdstudio")
        self.resize(1600, 1000)

        self.views = RaceViews(controller, self, staged=True)
        self.caption = QLabel(wordWrap=True, objectName="caption")
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = InlineMessage()
        self.playback = PlaybackBar(controller)
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="viewSplitter")
        splitter.addWidget(self.views.surface3d)
        splitter.addWidget(QWidget())  # the contour map's place, until complete()
        splitter.setSizes([1, 1])
        self.splitter = splitter
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.caption)
        layout.addWidget(splitter, 1)
        layout.addWidget(QWidget(fixedHeight=BAR_HEIGHT_PX))  # the colour bar's place
        layout.addWidget(self.message)
        layout.addWidget(self.playback)
        self.setCentralWidget(central)
        self._menus = {title: self.menuBar().addMenu(title) for title in MENUS}
        self.docks = self._arrange_docks()
        self.basins_dock = self.docks["Basins"]

        self.views.error.connect(self.message.show_error)
        controller.scenario_changed.connect(self._on_scenario_change)
        self._autosave = QTimer(self, singleShot=True, interval=1000)
        self._autosave.timeout.connect(self._save_session)
        self.history = UndoStack(controller, self)
        if not self._restore_layout():
            self._first_layout()
        self._show_caption()
        if staged:
            self._after_next_frame(self._draw_3d)
        else:
            self.complete()

    def _after_next_frame(self, stage: Callable[[], None]) -> None:
        """Run ``stage`` from the event loop once the 3D view's next frame is on screen,
        if the window is still open then."""

        def due() -> None:
            QTimer.singleShot(0, self, lambda: self.isVisible() and stage())

        self.views.surface3d.gl_view.frameSwapped.connect(
            due, Qt.ConnectionType.SingleShotConnection
        )

    def _draw_3d(self) -> None:
        """The second stage: the race in the 3D view; the rest after its frame."""
        self.views.draw_3d()
        self._after_next_frame(self.complete)

    def complete(self) -> None:
        """The last stage: the contour map, colour bar and loss plot, the panels in their
        docks, the menus and the wiring between them (once; the race in the 3D view first,
        if it is not drawn yet)."""
        if self.is_complete:
            return
        # Imported here: a staged window paints its first frame before these modules load.
        from gdstudio.ui.panels.basins_panel import BasinsPanel
        from gdstudio.ui.panels.batch_panel import BatchPanel
        from gdstudio.ui.panels.optimizer_panel import OptimizerPanel
        from gdstudio.ui.panels.readout import Readout
        from gdstudio.ui.panels.state_inspector import StateInspector
        from gdstudio.ui.panels.status_table import StatusTable
        from gdstudio.ui.panels.surface_panel import SurfacePanel

        controller, views = self.controller, self.views
        views.add_2d_views()
        # Each takes its place's geometry; the places go with their last reference.
        layout = self.centralWidget().layout()
        colour_bar_place = layout.itemAt(layout.indexOf(self.splitter) + 1).widget()
        layout.replaceWidget(colour_bar_place, views.colour_bar)
        for place in (self.splitter.replaceWidget(1, views.contour), colour_bar_place):
            place.setParent(None)
        # PySide leaves the widget QSplitter.replaceWidget takes owned by Python, which would
        # delete it at exit under a live splitter (a crash): the splitter owns it.
        views.contour.setParent(self.splitter)
        self.optimizer_panel = OptimizerPanel(controller)
        self.surface_panel = SurfacePanel(controller)
        self.batch_panel = BatchPanel(controller)
        self.status_table = StatusTable(controller)
        self.readout = Readout(controller)
        self.state_inspector = StateInspector(controller)
        self.basins_panel = BasinsPanel(controller)
        panels = {"Optimizers": self.optimizer_panel, "Surface": self.surface_panel,
                  "Batch mode": self.batch_panel, "Loss": views.loss_plot,
                  "Basins": self.basins_panel, "Runners": self.status_table,
                  "Readout": self.readout, "Optimizer state": self.state_inspector}  # fmt: skip
        for title, panel in panels.items():
            self.docks[title].setWidget(panel)
        # A tab brought to the front gets no show event: catch up when it is.
        self.docks["Optimizer state"].visibilityChanged.connect(
            lambda shown: shown and self.state_inspector.refresh()
        )

        views.contour.cursor_moved.connect(self.readout.show_cursor)
        views.contour.cursor_left.connect(self.readout.clear_cursor)
        self.status_table.runner_selected.connect(self.readout.select_runner)
        self.status_table.runner_selected.connect(views.select_runner)
        self.status_table.runner_selected.connect(self.state_inspector.select_runner)
        self.batch_panel.batch_overlay_toggled.connect(views.set_batch_overlay)
        self.basins_panel.compute_requested.connect(views.compute_basins)
        self.basins_panel.overlay_chosen.connect(views.set_basin_optimizer)
        self._focus_keys = FocusKeepsKeys(self)
        QApplication.instance().installEventFilter(self._focus_keys)
        self._build_menus()
        self.is_complete = True
        self.completed.emit()

    # ------------------------------------------------------------------ layout
    def _arrange_docks(self) -> dict[str, QDockWidget]:
        """The docks, empty (their panels come in :meth:`complete`), tabbed and split.

        Opaque: Qt 6.11 leaves a stray copy of a tab bar where tabbing put it on the
        hidden window (one in the Readout dock's area), which the dock now covers.
        """
        d = {}
        for title, area in DOCKS:
            d[title] = QDockWidget(title, self, objectName=f"dock{title.replace(' ', '')}",
                                   autoFillBackground=True)  # fmt: skip
            self.addDockWidget(area, d[title])
        self.tabifyDockWidget(d["Optimizers"], d["Surface"])
        self.tabifyDockWidget(d["Surface"], d["Batch mode"])
        d["Optimizers"].raise_()
        self.tabifyDockWidget(d["Loss"], d["Basins"])
        d["Loss"].raise_()
        self.splitDockWidget(d["Runners"], d["Readout"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(d["Readout"], d["Optimizer state"])
        d["Readout"].raise_()
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        return d

    def _restore_layout(self) -> bool:
        """Restore the saved window layout; False on a first launch."""
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        split = self.settings.value("window/splitter")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        if isinstance(split, QByteArray):
            self.splitter.restoreState(split)
        return isinstance(state, QByteArray)

    def _first_layout(self) -> None:
        """Docks at a sensible size and the two views sharing the middle equally."""
        d = self.docks
        self.resizeDocks([d["Optimizers"], d["Runners"]],
                         [FIRST_DOCK_SIZES["Optimizers"], FIRST_DOCK_SIZES["Runners"]],
                         Qt.Orientation.Horizontal)  # fmt: skip
        self.resizeDocks([d["Loss"]], [FIRST_DOCK_SIZES["Loss"]], Qt.Orientation.Vertical)
        self.resizeDocks([d["Runners"], d["Readout"]], list(FIRST_RIGHT_SPLIT),
                         Qt.Orientation.Vertical)  # fmt: skip
        half = self.splitter.width() // 2  # in proportion: the splitter is not laid out yet
        self.splitter.setSizes([half, half])

    def _save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.splitter.saveState())

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        file_menu = self._menus["&File"]
        self._action(file_menu, "&New", self.new_scenario, QKeySequence.StandardKey.New)
        self._action(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._action(file_menu, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._action(file_menu, "Save &As…", self.save_as_dialog, QKeySequence.StandardKey.SaveAs)
        file_menu.addSeparator()
        self.export_action = self._action(file_menu, "&Export Animation…", self.export_dialog,
                                          QKeySequence("Ctrl+E"))  # fmt: skip
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self._refresh_recent()

        edit_menu = self._menus["&Edit"]
        h = self.history
        self.undo_action = self._action(edit_menu, "&Undo", h.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(edit_menu, "&Redo", h.redo)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        h.changed.connect(self._on_history_change)
        h.track(self.optimizer_panel.links, self.optimizer_panel.restore_links)
        self.optimizer_panel.lr_slider.sliderPressed.connect(h.begin_gesture)
        self.optimizer_panel.lr_slider.sliderReleased.connect(h.end_gesture)  # after the last rate
        self._on_history_change()

        race_menu = self._menus["&Race"]
        c = self.controller
        self._action(race_menu, "&Play / Pause", c.toggle_play, QKeySequence(Qt.Key.Key_Space))
        self._action(race_menu, "&Step", c.step_once, QKeySequence(Qt.Key.Key_Right))
        self._action(race_menu, "&Back One Step", self._step_back, QKeySequence(Qt.Key.Key_Left))
        self._action(race_menu, "&Reset", c.reset, QKeySequence("R"))
        race_menu.addSeparator()
        self._action(race_menu, "Remove Selected &Start", self._remove_selected_start,
                     QKeySequence(QKeySequence.StandardKey.Delete))  # fmt: skip
        self._action(race_menu, "&Clear Start Points", c.clear_starts, QKeySequence("Ctrl+Shift+C"))
        grid_menu = race_menu.addMenu("Add a &Grid of Starts")
        grid_menu.setToolTipsVisible(True)
        for n in START_GRIDS:
            action = self._action(grid_menu, f"{n} × {n}", lambda _=False, n=n: c.add_start_grid(n))
            action.setToolTip("Starts spread over the map: see which minimum each one reaches")
            action.setObjectName(f"start-grid-{n}")
        race_menu.addSeparator()
        self.basin_action = self._action(race_menu, "&Basin Map", self.show_basin_map,
                                         QKeySequence("Ctrl+B"))  # fmt: skip
        self.basin_action.setToolTip("Where every start of a dense grid ends up, per optimizer")
        self.sweep_action = self._action(race_menu, "S&weep…", self.open_sweep,
                                         QKeySequence("Ctrl+Shift+W"))  # fmt: skip
        self.sweep_action.setToolTip("One optimizer at every setting of one or two hyperparameters")

        presets_menu = self._menus["&Presets"]
        for i, p in enumerate(presets()):
            action = self._action(presets_menu, p.title, lambda _=False, p=p: self.load_preset(p))
            action.setToolTip(p.caption)
            action.setObjectName(f"preset-{p.key}")
            if i < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
        presets_menu.setToolTipsVisible(True)

        view_menu = self._menus["&View"]
        self.log_action = self._action(view_menu, "&Log Height Scale", self.views.set_log_scale,
                                       QKeySequence("Ctrl+L"))  # fmt: skip
        self.log_action.setCheckable(True)
        self.log_action.setChecked(self.views.log_scale)
        self.controller.surface_changed.connect(
            lambda: self.log_action.setChecked(self.views.log_scale)
        )
        self._action(view_menu, "Reset &Camera", self.views.surface3d.reset_camera,
                     QKeySequence("Ctrl+0")).setToolTip(
            "The 3D view as it started (or double-click beside the surface)"
        )  # fmt: skip
        self.stretch_action = self._action(view_menu, "&Stretch to Fill", self.views.set_stretched)
        self.stretch_action.setCheckable(True)
        self.stretch_action.setToolTip(
            "Stretch the contour map to fill its pane (x and y at different scales)"
        )
        self.stretch_action.setChecked(self.views.stretched)
        self.controller.surface_changed.connect(
            lambda: self.stretch_action.setChecked(self.views.stretched)
        )
        self.anatomy_action = self._action(view_menu, "Update &Anatomy", self.views.set_anatomy_shown,
                                           QKeySequence("Ctrl+U"))  # fmt: skip
        self.anatomy_action.setCheckable(True)
        self.anatomy_action.setToolTip(
            "Arrows of the selected runner's step: each term of its update"
        )
        self.controller.runners_changed.connect(
            lambda: self.anatomy_action.setChecked(self.views.anatomy_shown)
        )
        self.anatomy_action.setChecked(self.views.anatomy_shown)
        view_menu.addSeparator()
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())

        help_menu = self._menus["&Help"]
        self._action(help_menu, "&Keyboard Shortcuts", self._show_shortcuts, QKeySequence("F1"))
        self._action(help_menu, "&About gdstudio", self._show_about)

    def _action(self, menu, text: str, slot, shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in session.recent_files(self.settings):
            self._action(self.recent_menu, path, lambda _=False, p=path: self.open_path(Path(p)))
        self.recent_menu.setEnabled(not self.recent_menu.isEmpty())

    # ------------------------------------------------------------------ documents
    def load_preset(self, preset) -> None:
        """Load a preset and start racing at once."""
        if not self._confirm_discard():
            return
        self._set_scenario(preset.scenario, None)
        self.controller.play()

    def new_scenario(self) -> None:
        """An empty scenario on the default surface, no start points."""
        if not self._confirm_discard():
            return
        self._set_scenario(session.blank_scenario(), None)

    def open_dialog(self) -> None:
        """Ask for a scenario file and open it."""
        if not self._confirm_discard():
            return
        name, _ = QFileDialog.getOpenFileName(self, "Open scenario", self._dialog_dir(),
                                              SCENARIO_FILTER)  # fmt: skip
        if name:
            self.open_path(Path(name), confirmed=True)

    def open_path(self, path: Path, confirmed: bool = False) -> bool:
        """Open a scenario file; a bad file leaves the current race and shows why."""
        if not confirmed and not self._confirm_discard():
            return False
        try:
            scenario = load_scenario(path)
        except GdstudioError as exc:
            self.message.show_error(str(exc))
            return False
        self._set_scenario(scenario, path)
        session.add_recent(self.settings, path)
        self._refresh_recent()
        return True

    def save(self) -> bool:
        """Save to the current file, or ask for one."""
        if self.path is None:
            return self.save_as_dialog()
        return self.save_to(self.path)

    def save_as_dialog(self) -> bool:
        """Ask for a file name and save there."""
        name, _ = QFileDialog.getSaveFileName(self, "Save scenario", self._dialog_dir(),
                                              SCENARIO_FILTER)  # fmt: skip
        if not name:
            return False
        path = Path(name)
        if path.suffix == "":
            path = path.with_suffix(SCENARIO_SUFFIX)
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        """Write the scenario atomically; on failure the old file stays and we say why."""
        try:
            save_scenario(self.controller.scenario, path)
        except OSError as exc:
            self.message.show_error(f"Could not save {path}: {exc.strerror or exc}")
            return False
        self.path = path
        self._saved = self.controller.scenario
        session.add_recent(self.settings, path)
        self._refresh_recent()
        self._update_title()
        self.message.show_info(f"Saved {path.name}")
        return True

    def show_basin_map(self) -> None:
        """Race → Basin Map: compute one over the contour map's view and show it on the map
        and, side by side per optimizer, in the Basins panel."""
        self.views.compute_basins(self.basins_panel.resolution.currentData())
        self.views.set_basins_shown(True)
        self.basins_dock.show()
        self.basins_dock.raise_()
        if self.basins_dock.height() < BASINS_DOCK_HEIGHT:  # room for the maps side by side
            self.resizeDocks([self.basins_dock], [BASINS_DOCK_HEIGHT], Qt.Orientation.Vertical)

    def open_sweep(self) -> None:
        """Race → Sweep…: the sweep dialog (one, kept open beside the window)."""
        from gdstudio.ui.panels.sweep_dialog import SweepDialog

        if self.sweep_dialog is None:
            self.sweep_dialog = SweepDialog(self.controller, self)
        self.sweep_dialog.show()
        self.sweep_dialog.raise_()

    def export_dialog(self) -> None:
        """File → Export Animation."""
        from gdstudio.ui.export.dialog import ExportDialog

        ExportDialog(self.controller, self, self.settings).open()

    def _set_scenario(self, scenario: Scenario, path: Path | None) -> None:
        try:
            self.controller.load(scenario)
        except GdstudioError as exc:
            self.message.show_error(str(exc))
            return
        self.path = path
        self._saved = self.controller.scenario
        self.message.clear()
        self._show_caption()
        self._update_title()

    @property
    def modified(self) -> bool:
        """Whether the race differs from its file (or from how it was loaded, when untitled)."""
        return self.controller.scenario != self._saved

    def set_modified(self, modified: bool) -> None:
        """Mark the race as edited since its file was saved (a restored session says so)."""
        self._saved = None if modified else self.controller.scenario
        self._update_title()

    def _confirm_discard(self, closing: bool = False) -> bool:
        """True when there are no unsaved edits, or the user saved or discarded them."""
        if not self.modified:
            return True
        name = f"the changes to {self.path.name}" if self.path else "this race"
        question = f"Save {name} before {'closing' if closing else 'replacing it'}?"
        answer = QMessageBox.question(
            self, "Unsaved changes", f"{question}\nIf you don't, your changes are lost.",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save,
        )  # fmt: skip
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _dialog_dir(self) -> str:
        return str(self.path.parent) if self.path else str(Path.home())

    def _on_scenario_change(self) -> None:
        self._show_caption()  # an edit may have retitled the race (see gdstudio.ui.caption)
        self._update_title()
        self._autosave.start()

    def set_path(self, path: Path | None) -> None:
        """The file the race came from (shown in the title; Save writes there)."""
        self.path = path
        self._update_title()

    def _update_title(self) -> None:
        name = self.path.name if self.path else (self.controller.scenario.title or "untitled")
        self.setWindowTitle(f"{name}{'*' if self.modified else ''} — gdstudio")

    def _show_caption(self) -> None:
        s = self.controller.scenario
        text = f"<b>{s.title}</b> — {s.caption}" if s.title and s.caption else (s.title or "")
        self.caption.setText(text)
        self.caption.setVisible(bool(text))

    # ------------------------------------------------------------------ actions
    def _on_history_change(self) -> None:
        """The Edit menu names what Undo and Redo would do."""
        h = self.history
        self.undo_action.setEnabled(h.can_undo())
        self.undo_action.setText(f"&Undo {h.undo_text()}".rstrip())
        self.redo_action.setEnabled(h.can_redo())
        self.redo_action.setText(f"&Redo {h.redo_text()}".rstrip())

    def _step_back(self) -> None:
        self.controller.scrub(self.controller.shown_step - 1)

    def _remove_selected_start(self) -> None:
        index = self.views.selected_start
        if index is not None and index < len(self.controller.scenario.starts):
            self.controller.remove_start(index)

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, command) for every menu action with a shortcut, in menu order, then the mouse."""
        rows = []

        def walk(menu: QMenu) -> None:
            for action in menu.actions():
                if action.menu() is not None:
                    walk(action.menu())
                elif not action.shortcut().isEmpty():
                    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                    text = re.sub("&(.)", r"\1", action.text()).rstrip("…")  # "&&" is a "&"
                    rows.append((keys, text))

        for action in self.menuBar().actions():
            walk(action.menu())
        return [*rows, *MOUSE_HELP]

    def _show_shortcuts(self) -> None:
        import html  # here, not with the window: its start does without (2 ms)

        cells = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
                        for k, v in self.shortcut_rows())  # fmt: skip
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{cells}</table>")

    def _show_about(self) -> None:
        from gdstudio.ui.about import AboutDialog  # its diagnostics cost every start 15 ms

        self.about = AboutDialog(self)
        self.about.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.about.show()

    # ------------------------------------------------------------------ session
    def _save_session(self) -> None:
        try:
            session.save_last(self.controller.scenario, self.path, self.modified)
        except OSError as exc:
            self.message.show_error(f"Could not remember this race: {exc.strerror or exc}")

    def _forget_edits(self) -> None:
        """The user discarded the edits: the session keeps the race as its file has it."""
        kept = self._saved
        if kept is None and self.path is not None:
            try:
                kept = load_scenario(self.path)
            except GdstudioError:
                kept = None
        try:
            if kept is None:
                session.forget_last()
            else:
                session.save_last(kept, self.path, False)
        except OSError:
            pass  # the next launch starts on a preset: nothing the user kept is lost

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask about unsaved edits; then remember the layout and the race."""
        try:  # an exception escaping a Qt override kills this PySide build
            self.controller.pause()
            if not self._confirm_discard(closing=True):
                event.ignore()
                return
            self._autosave.stop()
            self._save_layout()
            if self.modified:  # the user chose to discard the edits
                self._forget_edits()
            else:
                self._save_session()
        except Exception:
            traceback.print_exc()
        super().closeEvent(event)
