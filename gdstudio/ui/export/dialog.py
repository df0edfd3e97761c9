"""File → Export Animation: options, a progress bar with Cancel, and a clear result.

The dialog opens with the settings of the last export (format, view, size, timing,
overlays and folder) and, once the file is written, says where it went with a
button that opens its folder.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gdstudio.engine.errors import ScenarioError
from gdstudio.export.errors import ExportCancelled, ExportError
from gdstudio.export.formats import FORMATS, ExportFormat
from gdstudio.export.options import MAX_SIZE, MIN_SIZE, ExportOptions
from gdstudio.ui.controller import RaceController
from gdstudio.ui.export.canvas import export_scenario
from gdstudio.ui.panels.inline_message import InlineMessage

REMEMBERED = "export/"
"""Settings group of the last export's choices."""


class ExportDialog(QDialog):
    """Export the current race; the main window keeps answering while frames render."""

    def __init__(
        self,
        controller: RaceController,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self._controller = controller
        self._settings = settings if settings is not None else QSettings()
        self.format = QComboBox()
        for fmt in FORMATS.values():
            self.format.addItem(fmt.title, fmt.name)
        self.view = QComboBox()
        for label, key in (("Contour map", "contour"), ("3D surface", "3d"), ("Both", "both")):
            self.view.addItem(label, key)
        self.with_loss = QCheckBox("Add the loss plot below")
        self.legend = QCheckBox("Title and legend with hyperparameters")
        self.legend.setChecked(True)
        (w0, h0), (w1, h1) = MIN_SIZE, MAX_SIZE
        self.width = QSpinBox(minimum=w0, maximum=w1, value=960, suffix=" px")
        self.height = QSpinBox(minimum=h0, maximum=h1, value=540, suffix=" px")
        size = QHBoxLayout()
        size.addWidget(self.width)
        size.addWidget(self.height)
        self.fps = QSpinBox(minimum=1, maximum=60, value=30, suffix=" fps")
        self.steps = QSpinBox(minimum=1, maximum=1_000_000, value=controller.scenario.steps)
        self.per_frame = QSpinBox(minimum=0, maximum=10_000, value=0, specialValueText="auto")
        self.per_frame.setToolTip("Steps per frame (auto: about ten seconds of animation)")
        self.orbit = QSpinBox(minimum=0, maximum=720, value=0, suffix="°")
        self.orbit.setToolTip("Turn the 3D camera by this much over the animation")
        self.path = QLineEdit(str(Path.home() / f"race{self.chosen_format().suffix}"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        self.message = InlineMessage()
        self.saved = QLabel(wordWrap=True, objectName="savedTo")
        self.saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_folder = QPushButton("Open folder")
        self.open_folder.clicked.connect(self._open_folder)
        done = QHBoxLayout()
        done.addWidget(self.saved, 1)
        done.addWidget(self.open_folder)
        self.saved.hide()
        self.open_folder.hide()
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("View", self.view)
        form.addRow("", self.with_loss)
        form.addRow("", self.legend)
        form.addRow("Size", size)
        form.addRow("Frame rate", self.fps)
        form.addRow("Steps", self.steps)
        form.addRow("Steps per frame", self.per_frame)
        form.addRow("Camera orbit", self.orbit)
        form.addRow("Save to", where)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.export)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(done)
        layout.addWidget(buttons)
        self._option_fields: dict[str, QWidget] = {
            "fps": self.fps, "steps_per_frame": self.per_frame, "orbit_degrees": self.orbit,
        }  # fmt: skip
        """The fields of options some formats do not take (a still has no frame rate)."""
        self.format.currentIndexChanged.connect(self._on_format_change)
        self.path.textChanged.connect(self._on_path_change)
        self._restore()
        self._on_format_change()
        self.written: Path | None = None
        """The file the last export wrote."""

    # ------------------------------------------------------------------ remembered settings
    def _fields(self) -> dict[str, QWidget]:
        """Each remembered setting's widget, by settings key."""
        return {"format": self.format, "view": self.view, "with_loss": self.with_loss,
                "legend": self.legend, "width": self.width, "height": self.height,
                "fps": self.fps, "steps_per_frame": self.per_frame, "orbit": self.orbit}  # fmt: skip

    def _restore(self) -> None:
        """The last export's settings (those that are still valid), and its folder and name."""
        for key, widget in self._fields().items():
            value = self._settings.value(REMEMBERED + key)
            if value is None:
                continue
            if isinstance(widget, QComboBox):
                index = widget.findData(str(value))
                if index >= 0:
                    widget.setCurrentIndex(index)
            elif isinstance(widget, QCheckBox):
                widget.setChecked(str(value).lower() == "true")
            elif isinstance(widget, QSpinBox) and str(value).lstrip("-").isdigit():
                widget.setValue(int(value))
        last = self._settings.value(REMEMBERED + "path")
        if last:
            self.path.setText(str(Path(str(last)).with_suffix(self.chosen_format().suffix)))

    def _remember(self, path: Path) -> None:
        for key, widget in self._fields().items():
            if isinstance(widget, QComboBox):
                value = widget.currentData()
            elif isinstance(widget, QCheckBox):
                value = "true" if widget.isChecked() else "false"
            else:
                value = widget.value()
            self._settings.setValue(REMEMBERED + key, value)
        self._settings.setValue(REMEMBERED + "path", str(path))

    def chosen_format(self) -> ExportFormat:
        """The format picked in the list."""
        return FORMATS[self.format.currentData()]

    def _on_format_change(self) -> None:
        fmt = self.chosen_format()
        for option, field in self._option_fields.items():
            field.setEnabled(fmt.applies(option))
        path = Path(self.path.text())
        self.path.setText(str(path.with_suffix(fmt.suffix)))

    def _on_path_change(self, text: str) -> None:
        """A file name whose suffix names another format picks that format: the two
        never disagree about what is written."""
        name = Path(text).suffix.lower().lstrip(".")
        if name in FORMATS and name != self.format.currentData():
            self.format.setCurrentIndex(self.format.findData(name))

    def target(self) -> Path:
        """The file to write: the path given, with the format's suffix added if it has
        none (or one no format has)."""
        path = Path(self.path.text()).expanduser()
        suffix = self.chosen_format().suffix
        return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)

    def _browse(self) -> None:
        patterns = " ".join(f"*{f.suffix}" for f in FORMATS.values())
        name, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(),
                                              f"Animations ({patterns})")  # fmt: skip
        if name:
            self.path.setText(name)

    def options(self) -> ExportOptions:
        """The options as set in the dialog."""
        return ExportOptions(
            view=self.view.currentData(), size=(self.width.value(), self.height.value()),
            fps=self.fps.value(), steps=self.steps.value(),
            steps_per_frame=self.per_frame.value() or None,
            orbit_degrees=float(self.orbit.value()), with_loss=self.with_loss.isChecked(),
            legend=self.legend.isChecked(),
        )  # fmt: skip

    def export(self) -> bool:
        """Render with a cancellable progress bar; errors stay in the dialog."""
        try:  # as `gdstudio export` refuses it: no optimizer or no start, nothing to show
            self._controller.scenario.check_runnable(records=False)
        except ScenarioError as exc:
            self.message.show_error(f"Nothing to export: {exc}")
            return False
        path = self.target()
        self.path.setText(str(path))  # what is written is what the field says
        progress = QProgressDialog("Rendering frames…", "Cancel", 0, 100, self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)

        def tick(done: int, total: int) -> bool:
            progress.setMaximum(total)
            progress.setValue(done)
            QApplication.processEvents()  # the window keeps answering
            return not progress.wasCanceled()

        self.export_button.setEnabled(False)
        self.saved.hide()
        self.open_folder.hide()
        try:
            export_scenario(self._controller.scenario, path, self.options(), tick)
        except ExportCancelled:
            self.message.show_info("Export cancelled; nothing was written.")
            return False
        except ExportError as exc:
            self.message.show_error(str(exc))
            return False
        finally:
            progress.close()
            self.export_button.setEnabled(True)
        self._remember(path)
        self.written = path
        self.message.clear()
        self.saved.setText(f"Saved to <b>{html.escape(str(path))}</b>")
        self.saved.show()
        self.open_folder.show()
        self.close_button.setText("Close")
        return True

    def _open_folder(self) -> None:
        """Show the written file's folder in the desktop's file manager."""
        if self.written is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.written.parent)))
