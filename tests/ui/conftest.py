"""GUI tests run on a real X server (pytest-xvfb starts Xvfb) with Qt's OpenGL settings."""

from tests.qt_support import configure as pytest_configure
from tests.qt_support import isolated_settings, unsaved_edits_discarded

__all__ = ["isolated_settings", "pytest_configure", "unsaved_edits_discarded"]
