"""The engine stays light: importing it pulls in neither Qt nor the UI, small races no compiler."""

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
    assert fresh_python(code) == "[]"
    assert len(modules) >= 15


def fresh_python(code: str) -> str:
    """What ``code`` prints when run in a new interpreter (which must exit cleanly)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_small_races_do_not_load_the_compiler():
    # Numba costs start-up time; only races big enough for the compiled path load it.
    code = (
        "import sys\n"
        "from gdstudio.engine.functions import make_function\n"
        "from gdstudio.engine.race import Entry, Race\n"
        "Race(make_function('rosenbrock'), [Entry.create('adam', {})], [[0.0, 0.0]], 5).run()\n"
        "print('numba' in sys.modules)"
    )
    assert fresh_python(code) == "False"
