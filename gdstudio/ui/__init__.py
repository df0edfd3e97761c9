"""The desktop app: PySide6 + pyqtgraph views of the engine's state."""
