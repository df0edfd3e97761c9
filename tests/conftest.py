"""Session-wide care for the Qt tests."""

from __future__ import annotations

import os
import sys

import pytest

EXIT_STATUS = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    """Run the exit below once pytest has reported everything."""
    config.add_cleanup(lambda: _exit_without_qt_teardown(config))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remember the outcome for the exit below."""
    session.config.stash[EXIT_STATUS] = int(exitstatus)


def _exit_without_qt_teardown(config: pytest.Config) -> None:
    """Leave without running Qt's C++ destructors once everything is reported.

    Tearing down OpenGL windows and the QApplication at interpreter exit, next
    to pytest-xvfb stopping its X server, crashes the process even though every
    test passed; so a run that used Qt stops the X server itself and ends here
    with pytest's own exit status.
    """
    if "PySide6.QtWidgets" not in sys.modules or EXIT_STATUS not in config.stash:
        return
    import pytest_xvfb

    pytest_xvfb.shutdown_xvfb()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(config.stash[EXIT_STATUS])
