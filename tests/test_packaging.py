"""The built wheel carries everything the app needs and runs outside the source tree."""

from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_tree(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(ROOT)], check=True, timeout=300)  # fmt: skip
    wheel = next(dist.glob("gdstudio-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, timeout=300)  # fmt: skip
    # Dependencies come from the test environment; its .pth files (the editable
    # install of this tree among them) are not run for paths added this way.
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    Path(purelib, "test-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    gdstudio = venv / "bin" / "gdstudio"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(a) for a in args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=180)  # fmt: skip

    where = run(py, "-c", "import gdstudio; print(gdstudio.__file__)")
    assert where.stdout.startswith(purelib), where.stdout + where.stderr
    listing = run(gdstudio, "list", "functions")
    assert listing.returncode == 0 and "rosenbrock" in listing.stdout
    version = run(gdstudio, "--version")
    assert version.stdout.strip() == "gdstudio 0.1.0"
    preset = run(py, "-c", "from importlib.resources import files; "
                 "print(files('gdstudio.resources') / 'presets' / '01-learning-rate.json')").stdout.strip()  # fmt: skip
    result = run(gdstudio, "run", preset, "--steps", "20")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["runs"]) == 5
    icons = run(py, "-c", "from importlib.resources import files; "
                "print(sorted(p.name for p in (files('gdstudio.resources') / 'icons').iterdir()))")  # fmt: skip
    assert "gdstudio-256.png" in icons.stdout
    png = tmp_path / "frame.png"
    export = run(gdstudio, "export", preset, "-o", png, "--size", "320x240", "--steps", "20")
    assert export.returncode == 0, export.stderr
    assert png.stat().st_size > 1000
