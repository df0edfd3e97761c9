"""The engine stays headless: importing all of it pulls in neither Qt nor the UI."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import gdstudio.engine


def test_engine_never_imports_qt():
    modules = [m.name for m in pkgutil.walk_packages(gdstudio.engine.__path__, "gdstudio.engine.")]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'pyqtgraph', 'OpenGL') or m.startswith('gdstudio.ui'))\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert len(modules) >= 15
