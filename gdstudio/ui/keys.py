"""Keys go to the focused control first; the window's one-key shortcuts give way to it.

The Race menu binds bare keys for the whole window (Space plays, the arrows
step, Delete removes a start). A focused control that uses such a key itself
gets it instead: the arrows move a focused slider, Space ticks a focused check
box, Delete removes the optimizer selected in a focused list. Qt asks the focus
widget first with a ShortcutOverride event; accepting it delivers the key to the
widget instead of the shortcut.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QComboBox,
    QWidget,
)

K = Qt.Key
USES: tuple[tuple[type, frozenset[int]], ...] = (
    (QAbstractSlider, frozenset({K.Key_Left, K.Key_Right, K.Key_Up, K.Key_Down, K.Key_PageUp,
                                 K.Key_PageDown, K.Key_Home, K.Key_End})),
    (QAbstractButton, frozenset({K.Key_Space})),
    (QComboBox, frozenset({K.Key_Up, K.Key_Down, K.Key_Space})),
    (QAbstractItemView, frozenset({K.Key_Up, K.Key_Down, K.Key_Space})),
)  # fmt: skip
"""The unmodified keys each kind of control uses itself (lists and boxes leave ← → alone)."""
CLAIMED_KEYS = "gdstudioClaimedKeys"
"""A widget property: a list of further keys that widget handles (e.g. Delete in a list)."""


def claim_keys(widget: QWidget, *keys: Qt.Key) -> None:
    """Let ``widget`` have ``keys`` while it has the focus (it handles them in a key press)."""
    widget.setProperty(CLAIMED_KEYS, [int(k.value) for k in keys])


def uses_key(widget: QObject, key: int) -> bool:
    """Whether ``widget`` handles the unmodified ``key`` itself when it has the focus."""
    if key in (widget.property(CLAIMED_KEYS) or []):
        return True
    return any(isinstance(widget, kind) and key in keys for kind, keys in USES)


class FocusKeepsKeys(QObject):
    """An application event filter that gives the focused control the keys it uses."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Accept a ShortcutOverride for a key the focused control uses; never consume events."""
        try:
            if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
                bare = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
                if bare == Qt.KeyboardModifier.NoModifier and uses_key(watched, event.key()):
                    event.accept()
        except Exception:  # an exception escaping a Qt override kills this PySide build
            return False
        return False
