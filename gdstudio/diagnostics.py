"""What a bug report needs: versions, the platform, and whether big races are compiled.

Shown by ``gdstudio diagnostics`` and in the app's Help → About (which adds the
OpenGL renderer). Nothing here imports Qt: a package's version comes from its
installed metadata, or from the module itself inside a bundle that carries none.
"""

from __future__ import annotations

import importlib
import importlib.util
import platform
import sys
import time
from importlib import metadata

from gdstudio import __version__
from gdstudio.engine import compile_cache

PACKAGES = (
    ("NumPy", "numpy", "numpy"),
    ("SymPy", "sympy", "sympy"),
    ("Numba", "numba", "numba"),
    ("PySide6", "PySide6-Essentials", "PySide6"),
    ("pyqtgraph", "pyqtgraph", "pyqtgraph"),
    ("PyOpenGL", "PyOpenGL", "OpenGL"),
)
"""(label, distribution name, module name) of the packages worth naming in a report."""


def package_version(distribution: str, module: str) -> str:
    """The installed version of ``distribution`` (imported as ``module``), or "not installed"."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        pass
    if importlib.util.find_spec(module) is None:
        return "not installed"
    return str(getattr(importlib.import_module(module), "__version__", "installed"))


def report() -> list[tuple[str, str]]:
    """(label, value) rows: gdstudio, Python, the platform, the packages, the compiled path."""
    frozen = " (bundle)" if getattr(sys, "frozen", False) else ""
    rows = [
        ("gdstudio", __version__ + frozen),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("Platform", platform.platform()),
    ]
    rows += [(label, package_version(dist, module)) for label, dist, module in PACKAGES]
    rows.append(("Compiled path", compile_cache.status()))
    return rows


def probe_compiled_path(steps: int = 100) -> str:
    """Race Adam on Rosenbrock from as many starts as take the compiled path; say how long.

    Loading the compiled path is what tells whether it works here; the first run
    on a machine also compiles the kernels (some seconds), later runs read the cache.
    """
    import numpy as np

    from gdstudio.engine.race import FUSED_MIN
    from gdstudio.engine.scenario import Scenario

    starts = np.random.default_rng(0).uniform(-2.0, 2.0, (FUSED_MIN, 2)).tolist()
    scenario = Scenario.from_dict({"surface": {"function": "rosenbrock"},
                                   "optimizers": [{"name": "adam", "lr": 0.05}],
                                   "starts": starts, "steps": steps})  # fmt: skip
    began = time.perf_counter()
    scenario.race().run()
    return f"{FUSED_MIN} starts × {steps} steps of Adam in {time.perf_counter() - began:.2f} s"


def format_report(rows: list[tuple[str, str]]) -> str:
    """The rows as aligned plain text, one per line."""
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in rows)
