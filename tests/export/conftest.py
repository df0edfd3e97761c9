"""Export tests render with the app's Qt views, on the X server pytest-xvfb starts."""

import pytest

from tests.qt_support import configure as pytest_configure
from tests.qt_support import isolated_settings, unsaved_edits_discarded

__all__ = ["isolated_settings", "pytest_configure", "unsaved_edits_discarded"]


@pytest.fixture(autouse=True)
def _app(qapp):
    """The exporter renders with Qt widgets: every test needs the QApplication."""
    return qapp
