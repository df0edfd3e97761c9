"""Load every preset and example file, touch every control once: only what was touched changes.

A touch is what a user does without meaning a change (click into a field and
press Enter, pick the item already chosen, click a slider's handle, press a
button that applies what the form already shows), or a click on a check box,
which changes exactly the setting it names. After each touch the scenario may
differ only there; nothing may log a warning or a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QRadioButton,
)

from gdstudio.engine.presets import presets
from gdstudio.ui.main_window import MainWindow
from tests.qt_support import open_window
from tests.ui.driving import choose, click_handle, pick_from_menu, press, show

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SOURCES = [f"preset:{p.key}" for p in presets()] + [
    f"example:{path.name}" for path in sorted(EXAMPLES.glob("*.json"))
]
NEUTRAL = {
    "surface": {"function": "booth"},
    "optimizers": [{"name": "sgd", "lr": 0.02}],
    "starts": [[1.0, 1.0]],
}
Path_ = tuple[Any, ...]


def flat(value: Any, path: Path_ = ()) -> dict[Path_, Any]:
    """Every leaf of a scenario's file form by its path, e.g. ('optimizers', 0, 'lr')."""
    if isinstance(value, dict):
        out: dict[Path_, Any] = {}
        for key, item in value.items():
            out.update(flat(item, (*path, key)))
        return out or {path: {}}
    if isinstance(value, list):
        return (
            {path: value}
            if not value or not isinstance(value[0], dict | list)
            else {k: v for i, item in enumerate(value) for k, v in flat(item, (*path, i)).items()}
        )
    return {path: value}


class Hand:
    """Touches controls of one window and checks what each touch changed."""

    def __init__(self, window: MainWindow, qtbot, source: str) -> None:
        self.window, self.qtbot, self.source = window, qtbot, source
        self.touched: list[str] = []

    def settings(self) -> dict[Path_, Any]:
        data = self.window.controller.scenario.to_dict()
        data.pop("title", None), data.pop("caption", None)  # words follow the settings
        return flat(data)

    def touch(self, what: str, action: Callable[[], object], may_change: Iterable[Path_] = ()):
        """Do ``action``; afterwards only settings under ``may_change`` differ."""
        before = self.settings()
        action()
        self.qtbot.wait(1)
        after = self.settings()
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        allowed = tuple(may_change)
        stray = sorted(str(k) for k in changed if not any(k[: len(a)] == a for a in allowed))
        assert not stray, f"{self.source}: touching {what} changed {stray}"
        self.touched.append(what)

    def enter(self, what: str, widget) -> None:
        """Click into a text or number field and press Enter, changing nothing."""
        if not widget.isVisible():
            return  # out of reach (the form of a surface not in use)
        edit = widget.lineEdit() if isinstance(widget, QAbstractSpinBox) else widget

        def act() -> None:
            self.qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
            self.qtbot.keyClick(edit, Qt.Key.Key_Return)

        self.touch(what, act)

    def pick_same(self, what: str, combo: QComboBox) -> None:
        """Pick the item already chosen; with none chosen, open the list and close it."""
        if combo.currentIndex() >= 0:
            self.touch(what, lambda: choose(self.qtbot, combo, combo.currentData()))
            return

        def look() -> None:
            self.qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
            self.qtbot.waitUntil(combo.view().isVisible, timeout=2000)
            combo.hidePopup()

        self.touch(what, look)

    def click(self, what: str, widget, may_change: Iterable[Path_] = ()) -> None:
        pos = (
            QPoint(8, widget.height() // 2)
            if isinstance(widget, QCheckBox | QRadioButton)
            else None
        )
        args = {"pos": pos} if pos is not None else {}
        self.touch(what, lambda: self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, **args),
                   may_change)  # fmt: skip


def raise_dock(window: MainWindow, name: str) -> None:
    window.findChild(QDockWidget, name).raise_()


def touch_optimizers(hand: Hand, monkeypatch) -> None:
    window, qtbot = hand.window, hand.qtbot
    panel = window.optimizer_panel
    raise_dock(window, "dockOptimizers")
    for i in range(panel.list.count()):
        rect = panel.list.visualItemRect(panel.list.item(i))
        hand.touch(f"optimizer {i} in the list", lambda rect=rect: qtbot.mouseClick(
            panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()))  # fmt: skip
        box = QPoint(rect.left() + 8, rect.center().y())  # its race tick box, off and on again
        for state in ("off", "on"):
            hand.touch(f"optimizer {i} racing {state}", lambda box=box: qtbot.mouseClick(
                panel.list.viewport(), Qt.MouseButton.LeftButton, pos=box))  # fmt: skip
        for name in panel.form.names():  # the form is rebuilt after each change: look again
            if name in panel.form.names("bool"):
                hand.click(f"optimizer {i} {name}", panel.form.check(name),
                           [("optimizers", i, name)])  # fmt: skip
            else:
                for k in range(2 if name in panel.form.names("pair") else 1):
                    hand.enter(f"optimizer {i} {name}[{k}]", panel.form.edit(name, k))
        if panel.override_lr.isEnabled():
            for _ in range(2):
                hand.click(
                    f"optimizer {i} own lr",
                    panel.override_lr,
                    [("optimizers", i, "lr"), ("optimizers", i, "label")],
                )  # "lr 0.01"
        hand.pick_same(f"optimizer {i} schedule", panel.schedule.combo)
        for name in panel.schedule.form.names():
            hand.enter(f"optimizer {i} schedule {name}", panel.schedule.form.edit(name))
        if panel.batch_size.isEnabled():
            hand.enter(f"optimizer {i} batch size", panel.batch_size)
        monkeypatch.setattr(QColorDialog, "getColor", lambda initial, *a: QColor(initial))
        hand.click(f"optimizer {i} colour", panel.color_button)
    hand.touch("global lr handle", lambda: click_handle(qtbot, panel.lr_slider))
    panel.lr_slider.setFocus()
    hand.touch("global lr key", lambda: press(qtbot, panel.lr_slider, Qt.Key.Key_Right))
    n = panel.list.count()
    hand.touch("Add", lambda: pick_from_menu(qtbot, panel.add_button, "add-adam"),
               [("optimizers", n)])  # fmt: skip
    hand.click("Remove", panel.remove_button, [("optimizers", n)])


def touch_surface(hand: Hand) -> None:
    window = hand.window
    panel = window.surface_panel
    raise_dock(window, "dockSurface")
    hand.pick_same("function", panel.combo)
    for name in panel.params.names():
        hand.enter(f"function {name}", panel.params.edit(name))
    for i, box in enumerate([*panel.domain.boxes, *panel.formula_domain.boxes]):
        hand.enter(f"domain box {i}", box)
    hand.click("Use this function", panel.apply_button)
    hand.enter("formula", panel.formula)
    hand.click("Use this formula", panel.formula_button)


def touch_batch(hand: Hand) -> None:
    window = hand.window
    panel = window.batch_panel
    raise_dock(window, "dockBatchmode")
    hand.pick_same("dataset", panel.dataset)
    for name in ("n_samples", "noise", "seed", "mini_size"):
        hand.enter(name, getattr(panel, name))
    hand.pick_same("model", panel.model)
    checked = next(b for b in (panel.full, panel.stochastic, panel.mini) if b.isChecked())
    hand.click("batch mode", checked)
    hand.click("Use this dataset", panel.apply_button)
    hand.click("overlay", panel.overlay)


def touch_playback_and_views(hand: Hand) -> None:
    window, qtbot = hand.window, hand.qtbot
    bar = window.playback
    for button in (bar.play_button, bar.play_button, bar.step_button, bar.reset_button):
        hand.click(button.toolTip(), button)
    hand.enter("speed", bar.speed)
    hand.touch("timeline handle", lambda: click_handle(qtbot, bar.timeline))
    for key in (Qt.Key.Key_L, Qt.Key.Key_U):
        hand.touch(f"Ctrl+{key.name[-1]}", lambda key=key: press(
            qtbot, window, key, Qt.KeyboardModifier.ControlModifier))  # fmt: skip
    table = window.status_table
    if table.rowCount():
        rect = table.visualItemRect(table.item(0, 1))
        hand.touch("runner row", lambda: qtbot.mouseClick(
            table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()))  # fmt: skip


def load(window: MainWindow, qtbot, source: str, monkeypatch) -> None:
    """Load a preset from the Presets menu, or an example file through File > Open."""
    kind, name = source.split(":")
    if kind == "preset":
        window.findChild(QAction, f"preset-{name}").trigger()
        assert window.controller.scenario == next(p.scenario for p in presets() if p.key == name)
    else:
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            lambda *a, **k: (str(EXAMPLES / name), ""))  # fmt: skip
        press(qtbot, window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
        assert window.path == EXAMPLES / name
    window.controller.pause()


@pytest.mark.slow
def test_touching_every_control_changes_only_what_was_touched(
    qtbot, tmp_path, monkeypatch, capfd, recwarn, qtlog
):
    window = open_window(qtbot, tmp_path, NEUTRAL)
    show(qtbot, window)
    touched = 0
    for source in SOURCES:
        load(window, qtbot, source, monkeypatch)
        hand = Hand(window, qtbot, source)
        touch_optimizers(hand, monkeypatch)
        touch_surface(hand)
        touch_batch(hand)
        touch_playback_and_views(hand)
        assert len(hand.touched) > 30, source
        touched += len(hand.touched)
    assert len(SOURCES) == 16 and touched > 800
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err and "Warning" not in err, err
    assert [str(w.message) for w in recwarn] == []
    assert [r.message for r in qtlog.records if r.type.name != "QtDebugMsg"] == []
