"""Undo and redo over every edit of the scenario: a stack of scenario snapshots.

Scenarios are immutable, so the history is simply the list of scenarios the
race has been, and undo hands an earlier one back to the controller
(:meth:`~gdstudio.ui.controller.RaceController.restore`), which re-races up to
the step on screen. A snapshot is taken once the event loop turns after an
edit, so what one action changes at once (the global rate moving several
optimizers, an edit and the title it brings) is one step; every edit made
between :meth:`UndoStack.begin_gesture` and :meth:`UndoStack.end_gesture` (a
slider dragged) is one step too. Loading a scenario (new, open, a preset)
starts a new history. State the app keeps beside the scenario (which optimizers
follow the global learning rate) can ride along with each step (:meth:`track`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from gdstudio.engine.scenario import Scenario
from gdstudio.ui.controller import RaceController


def describe_edit(before: Scenario, after: Scenario) -> str:
    """What turned ``before`` into ``after``, as the Edit menu says it ("Move Start")."""
    if before.surface != after.surface:
        return "Surface Change"
    if before.starts != after.starts:
        n, m = len(before.starts), len(after.starts)
        if m == n:
            return "Move Start"
        if m == 0:
            return "Clear Starts"
        return "Add Start" if m == n + 1 else "Add Starts" if m > n else "Remove Start"
    if before.optimizers != after.optimizers:
        n, m = len(before.optimizers), len(after.optimizers)
        if m != n:
            return "Add Optimizer" if m > n else "Remove Optimizer"
        pairs = zip(before.optimizers, after.optimizers, strict=True)
        edited = [b for a, b in pairs if a != b]
        return f"Edit {edited[0].display_label()}" if len(edited) == 1 else "Edit Optimizers"
    if before.steps != after.steps:
        return "Change Steps"
    return "Edit"


class UndoStack(QObject):
    """The scenarios this race has been, and where in them the race is now.

    ``changed`` when what undo or redo would do changed (for the Edit menu).
    """

    changed = Signal()

    def __init__(self, controller: RaceController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._states: list[Scenario] = []
        self._extras: list[Any] = []
        """What :meth:`track`'s getter said at each state."""
        self._edits: list[str] = []
        """_edits[i] is what turned _states[i] into _states[i + 1]."""
        self._index = 0
        self._gesture: int | None = None
        """While a gesture lasts: the index of the step it made so far (-1 before it made one)."""
        self._get_extra: Callable[[], Any] = lambda: None
        self._put_extra: Callable[[Any], None] = lambda _extra: None
        self._pending = QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self._commit)
        controller.scenario_changed.connect(self._pending.start)
        controller.loaded.connect(self.clear)
        self.clear()

    def track(self, get: Callable[[], Any], put: Callable[[Any], None]) -> None:
        """Keep ``get()`` with every step and hand it to ``put`` when undo or redo returns there."""
        self._get_extra, self._put_extra = get, put
        self._extras = [get() for _ in self._states]

    def clear(self) -> None:
        """Forget the history: the current scenario is where it starts."""
        self._pending.stop()
        self._states = [self._controller.scenario]
        self._extras = [self._get_extra()]
        self._edits = []
        self._index = 0
        self.changed.emit()

    def can_undo(self) -> bool:
        """Whether there is an edit to take back."""
        return self._index > 0

    def can_redo(self) -> bool:
        """Whether an undone edit can be made again."""
        return self._index < len(self._states) - 1

    def undo_text(self) -> str:
        """What undo takes back ("Move Start"), or "" when nothing."""
        return self._edits[self._index - 1] if self.can_undo() else ""

    def redo_text(self) -> str:
        """What redo makes again, or "" when nothing."""
        return self._edits[self._index] if self.can_redo() else ""

    def begin_gesture(self) -> None:
        """Every edit from now until :meth:`end_gesture` is one step (a drag of a slider)."""
        self._commit()
        self._gesture = -1

    def end_gesture(self) -> None:
        """The gesture is over: its last edit ends its step."""
        self._commit()
        self._gesture = None

    def undo(self) -> None:
        """Go back to the scenario before the last edit."""
        self._commit()
        if self._index > 0:
            self._index -= 1
            self._restore()

    def redo(self) -> None:
        """Make the last undone edit again."""
        self._commit()
        if self._index < len(self._states) - 1:
            self._index += 1
            self._restore()

    def _restore(self) -> None:
        self._controller.restore(self._states[self._index])
        self._put_extra(self._extras[self._index])
        self._pending.stop()  # the restore's own change signal is no new edit
        self.changed.emit()

    def _commit(self) -> None:
        """Record the controller's scenario if an edit changed it since the last snapshot."""
        self._pending.stop()
        current = self._controller.scenario
        if current == self._states[self._index]:
            return
        if self._gesture == self._index == len(self._states) - 1:
            self._states[self._index] = current  # the same gesture goes on
            self._extras[self._index] = self._get_extra()
        else:
            del self._states[self._index + 1 :], self._extras[self._index + 1 :]
            del self._edits[self._index :]
            self._states.append(current)
            self._extras.append(self._get_extra())
            self._edits.append(describe_edit(self._states[-2], current))
            self._index += 1
            if self._gesture is not None:
                self._gesture = self._index
        self.changed.emit()
