"""Driving widgets as a user does: clicks on the item of a popup, typed text, dragged handles."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractSlider,
    QComboBox,
    QLineEdit,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QWidget,
)


def show(qtbot, widget: QWidget) -> None:
    """Show ``widget`` as the active window, as the user's clicks and keys expect it."""
    widget.show()
    widget.activateWindow()
    qtbot.waitActive(widget)
    qtbot.wait(100)  # the window lays out its docks once shown: let handles settle first


def press(qtbot, widget: QWidget, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Press ``key`` as the keyboard does: to the focus widget of ``widget``'s window.

    Sent through the window (not to a widget directly), so Qt's shortcut routing
    decides who gets it, as it does for a real key press.
    """
    qtbot.keyClick(widget.window().windowHandle(), key, modifiers)


def choose(qtbot, combo: QComboBox, data: Any) -> None:
    """Open ``combo``'s popup with a click and click the item whose data is ``data``.

    A popup that missed the click (the window lost activation under load) is
    closed and opened again, at most three times.
    """
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    view = combo.view()
    for _attempt in range(3):
        qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(view.isVisible, timeout=2000)
        model_index = view.model().index(index, 0)
        view.scrollTo(model_index)
        rect = view.visualRect(model_index)
        # A release right after the opening click is ignored unless the mouse moved away first.
        viewport = view.viewport()
        for corner in (QPoint(2, 2), QPoint(viewport.width() - 3, viewport.height() - 3)):
            qtbot.mouseMove(viewport, corner)
        qtbot.mouseMove(viewport, rect.center())
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
        if combo.currentIndex() == index:
            break
        combo.hidePopup()
    if view.isVisible():  # a popup that took the item but is slow to close under load
        combo.hidePopup()
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=5000)
    assert combo.currentIndex() == index, f"clicked row {index}, got {combo.currentIndex()}"


def retype(qtbot, edit: QLineEdit, text: str) -> None:
    """Select all of ``edit``, type ``text`` over it and press Enter."""
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    if text:
        qtbot.keyClicks(edit, text)
    else:
        qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def pick_from_menu(qtbot, button: QToolButton, name: str) -> None:
    """Click ``button`` to open its menu, then click the menu's action called ``name``.

    The menu runs its own event loop until closed, so the second click is queued first.
    """
    menu = button.menu()
    action = next(a for a in menu.actions() if a.objectName() == name)

    def click_action() -> None:
        try:
            qtbot.waitUntil(menu.isVisible, timeout=2000)
            center = menu.actionGeometry(action).center()
            qtbot.mouseMove(menu, center)
            qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=center)
        finally:
            menu.close()  # never leave the test waiting in the menu's loop

    QTimer.singleShot(50, click_action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _style_rect(slider: QAbstractSlider, part: QStyle.SubControl) -> QRect:
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    return slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option, part, slider)


def handle_center(slider: QAbstractSlider) -> QPoint:
    """Where the slider's handle is drawn, in the slider's coordinates."""
    return _style_rect(slider, QStyle.SubControl.SC_SliderHandle).center()


def value_pixel(slider: QAbstractSlider, value: int) -> QPoint:
    """Where the centre of a horizontal slider's handle is when it shows ``value``."""
    groove = _style_rect(slider, QStyle.SubControl.SC_SliderGroove)
    handle = _style_rect(slider, QStyle.SubControl.SC_SliderHandle)
    span = groove.width() - handle.width()
    x = QStyle.sliderPositionFromValue(slider.minimum(), slider.maximum(), value, span)
    return QPoint(groove.x() + x + handle.width() // 2, handle.center().y())


def click_handle(qtbot, slider: QAbstractSlider) -> None:
    """Press and release the mouse on the slider's handle without moving it."""
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=handle_center(slider))


def drag_handle(qtbot, slider: QAbstractSlider, to: int, moves: int = 5) -> None:
    """Drag the slider's handle to where it shows value ``to``, in ``moves`` mouse moves.

    Each move aims at an intermediate value, measured on the slider as it is then.
    """
    start = slider.value()
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton, pos=handle_center(slider))
    for i in range(1, moves + 1):
        qtbot.mouseMove(slider, value_pixel(slider, start + (to - start) * i // moves))
        qtbot.wait(20)
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=value_pixel(slider, to))
