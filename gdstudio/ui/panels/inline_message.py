"""A non-modal message shown next to the input it is about."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

ERROR_STYLE = "color: #b00020; background: #fdecea; border-radius: 3px; padding: 3px 6px;"
INFO_STYLE = "color: #1b5e20; background: #e8f5e9; border-radius: 3px; padding: 3px 6px;"
WARNING_STYLE = "color: #6d4c00; background: #fff4d6; border-radius: 3px; padding: 3px 6px;"


class InlineMessage(QLabel):
    """Red for errors, amber for warnings, green for confirmations; hidden when empty.

    Info fades after 4 s; errors and warnings stay until the next change clears them.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.hide()
        self._timer = QTimer(self, singleShot=True, interval=4000)
        self._timer.timeout.connect(self.clear)

    def show_error(self, text: str) -> None:
        """Show an error until the next change clears it."""
        self._timer.stop()
        self.setStyleSheet(ERROR_STYLE)
        self.setText(text)
        self.show()

    def show_warning(self, text: str) -> None:
        """Show that something was accepted but is not quite right, until cleared."""
        self._timer.stop()
        self.setStyleSheet(WARNING_STYLE)
        self.setText(text)
        self.show()

    def show_info(self, text: str) -> None:
        """Show a short confirmation that fades."""
        self.setStyleSheet(INFO_STYLE)
        self.setText(text)
        self.show()
        self._timer.start()

    def clear(self) -> None:  # type: ignore[override]
        """Hide the message."""
        self.setText("")
        self.hide()
