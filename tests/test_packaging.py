"""What a packager ships: the sdist and wheel carry everything, the wheel installs and runs
as a user gets it, and the desktop files pass the freedesktop tools and open the app."""

from __future__ import annotations

import email
import json
import os
import shutil
import site
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.gdstudio"
SCENARIO_TYPE = "application/x-gdstudio-scenario+json"
MAIN_CATEGORIES = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game",
                   "Graphics", "Network", "Office", "Science", "Settings", "System", "Utility"}  # fmt: skip
NOT_COPIED = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__",
                                    ".pytest_cache", ".hypothesis", ".ruff_cache")  # fmt: skip
BUILD = "import sys; from setuptools import build_meta as b; print(b.build_{}(sys.argv[1]))"


def tool(name: str) -> str:
    """A command-line tool's path. CI installs them all (.ci/run); elsewhere a missing one skips."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed")
        pytest.skip(f"{name} is not installed")
    return path


def run(*args: object, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("timeout", 300)
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> tuple[Path, Path]:
    """An sdist built from a copy of the tree, and the wheel built from that sdist."""
    tmp = tmp_path_factory.mktemp("dists")
    shutil.copytree(ROOT, tmp / "tree", ignore=NOT_COPIED)
    sdist_name = run(sys.executable, "-c", BUILD.format("sdist"), tmp, cwd=tmp / "tree",
                     check=True).stdout.split()[-1]  # fmt: skip
    sdist = tmp / sdist_name
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp / "unpacked", filter="data")
    unpacked = tmp / "unpacked" / sdist_name.removesuffix(".tar.gz")
    wheel_name = run(sys.executable, "-c", BUILD.format("wheel"), tmp, cwd=unpacked,
                     check=True).stdout.split()[-1]  # fmt: skip
    return sdist, tmp / wheel_name


def test_the_sdist_carries_what_a_distribution_builds_and_tests_from(dists):
    sdist, _ = dists
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
    tests = {str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("*.py")}
    presets = {str(p.relative_to(ROOT)) for p in (ROOT / "resources" / "presets").glob("*.json")}
    icons = {str(p.relative_to(ROOT)) for p in (ROOT / "resources" / "icons").iterdir()}
    packaging = {str(p.relative_to(ROOT)) for p in PACKAGING.iterdir() if p.is_file()}
    docs = {"docs/scenario.md", "docs/engine.md", "docs/media/window.png"}
    expected = tests | presets | icons | packaging | docs | {"LICENSE", "constraints.txt"}
    assert expected <= members.keys(), sorted(expected - members.keys())
    assert len(tests) > 20 and len(presets) > 10 and len(packaging) >= 8
    assert members["packaging/install-desktop.sh"].mode & 0o111  # still executable


def test_the_wheel_carries_the_license_presets_icons_and_ranges_not_pins(dists):
    _, wheel = dists
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = email.message_from_bytes(zf.read("gdstudio-0.1.0.dist-info/METADATA"))
    assert "gdstudio-0.1.0.dist-info/licenses/LICENSE" in names
    assert {f"gdstudio/resources/presets/{p.name}"
            for p in (ROOT / "resources" / "presets").glob("*.json")} <= names  # fmt: skip
    assert "gdstudio/resources/icons/gdstudio-256.png" in names
    requires = meta.get_all("Requires-Dist")
    pinned = [r for r in requires if "==" in r.split(";")[0] and not r.startswith("torch")]
    assert not pinned, pinned
    pyside = next(r for r in requires if r.lower().startswith("pyside6-essentials"))
    assert "!=6.12.0" in pyside and 'extra == "app"' in pyside
    assert not [r for r in requires if r.startswith("imageio>") and 'extra == "app"' in r]
    assert meta["License-Expression"] == "MIT" and meta["Requires-Python"] == ">=3.11"


@pytest.mark.slow
def test_the_wheel_without_extras_runs_the_engine_and_names_the_extra_for_the_app(dists,
                                                                                  tmp_path):  # fmt: skip
    _, wheel = dists
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, check=True)
    py, gdstudio = venv / "bin" / "python", venv / "bin" / "gdstudio"
    install = run(py, "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", wheel,
                  timeout=600)  # fmt: skip
    assert install.returncode == 0, install.stderr
    assert run(py, "-c", "import PySide6").returncode != 0  # no extras came along
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    for args, environ in [((), os.environ), (("open",), os.environ), ((), env)]:
        result = run(gdstudio, *args, cwd=tmp_path, env=environ)
        assert result.returncode == 2, result
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "pip install 'gdstudio[app]'" in result.stderr and "PySide6" in result.stderr
        assert "Traceback" not in result.stderr
    preset = run(py, "-c", "from importlib.resources import files; "
                 "print(files('gdstudio.resources') / 'presets' / '01-learning-rate.json')",
                 cwd=tmp_path).stdout.strip()  # fmt: skip
    race = run(gdstudio, "run", preset, "--steps", "20", cwd=tmp_path)
    assert race.returncode == 0, race.stderr
    assert len(json.loads(race.stdout)["runs"]) == 5
    assert run(gdstudio, "--version", cwd=tmp_path).stdout.strip() == "gdstudio 0.1.0"


@pytest.mark.slow
def test_the_wheel_with_the_app_runs_outside_the_tree(dists, tmp_path):
    _, wheel = dists
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, check=True)
    py = venv / "bin" / "python"
    run(py, "-m", "pip", "install", "-q", "--no-deps", wheel, check=True)
    # The app's dependencies come from the test environment; its .pth files (the
    # editable install of this tree among them) are not run for paths added this way.
    purelib = run(py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                  check=True).stdout.strip()  # fmt: skip
    Path(purelib, "test-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    where = run(py, "-c", "import gdstudio; print(gdstudio.__file__)", cwd=tmp_path)
    assert where.stdout.startswith(purelib), where.stdout + where.stderr
    preset = Path(purelib, "gdstudio", "resources", "presets", "01-learning-rate.json")
    png = tmp_path / "frame.png"
    export = run(venv / "bin" / "gdstudio", "export", preset, "-o", png, "--size", "640x360",
                 "--steps", "20", cwd=tmp_path)  # fmt: skip
    assert export.returncode == 0, export.stderr
    assert png.stat().st_size > 1000


@pytest.mark.slow
def test_pipx_installs_the_app_with_its_extra(dists, tmp_path):
    pipx = tool("pipx")
    _, wheel = dists
    env = dict(os.environ, PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"))
    install = run(pipx, "install", "--pip-args", f"-c {ROOT / 'constraints.txt'}", f"{wheel}[app]",
                  env=env, timeout=900)  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    gdstudio = tmp_path / "bin" / "gdstudio"
    assert run(gdstudio, "--version", cwd=tmp_path).stdout.strip() == "gdstudio 0.1.0"
    preset = ROOT / "resources" / "presets" / "01-learning-rate.json"
    png = tmp_path / "frame.png"
    export = run(gdstudio, "export", preset, "-o", png, "--size", "640x360", "--steps", "20",
                 cwd=tmp_path)  # fmt: skip
    assert export.returncode == 0, export.stderr
    assert png.stat().st_size > 1000


def desktop_entry(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_the_desktop_entry_validates_and_opens_scenarios_of_their_own_type():
    entry_file = PACKAGING / f"{APP_ID}.desktop"
    result = run(tool("desktop-file-validate"), entry_file)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    entry = desktop_entry(entry_file)
    assert entry["Exec"] == "gdstudio open %f"
    assert entry["MimeType"] == f"{SCENARIO_TYPE};"
    assert len(set(entry["Categories"].split(";")) & MAIN_CATEGORIES) == 1


def test_the_metainfo_validates_with_url_developer_and_screenshot():
    path = PACKAGING / f"{APP_ID}.metainfo.xml"
    result = run(tool("appstreamcli"), "validate", "--no-net", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [line for line in result.stdout.splitlines() if line[:2] in ("W:", "E:")]
    root = ET.parse(path).getroot()
    assert root.find("url[@type='homepage']").text.startswith("https://")
    assert root.find("developer/name").text
    image = root.find("screenshots/screenshot/image").text
    assert (ROOT / image.split("/main/", 1)[1]).is_file()  # the README's screenshot
    assert root.find("provides/mediatype").text == SCENARIO_TYPE
    assert [c.text for c in root.iter("category")] == ["Education"]


def test_the_mime_type_claims_scenario_files_not_every_json_file(tmp_path):
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(PACKAGING / f"{APP_ID}.mime.xml", packages / f"{APP_ID}.xml")
    result = run(tool("update-mime-database"), tmp_path / "mime")
    assert result.returncode == 0, result.stderr
    globs = (tmp_path / "mime" / "globs2").read_text().splitlines()
    ours = [line.split(":")[2] for line in globs if f":{SCENARIO_TYPE}:" in line]
    assert ours == ["*.gdstudio.json"]
    subclasses = (tmp_path / "mime" / "subclasses").read_text()
    assert f"{SCENARIO_TYPE} application/json" in subclasses


def fake_bundle(folder: Path) -> Path:
    """A bundle's folder as packaging/gdstudio.spec lays it out, with a stand-in executable."""
    folder.mkdir(parents=True)
    for name in ("install-desktop.sh", f"{APP_ID}.desktop", f"{APP_ID}.mime.xml",
                 f"{APP_ID}.metainfo.xml"):  # fmt: skip
        shutil.copy2(PACKAGING / name, folder / name)
    shutil.copytree(ROOT / "resources" / "icons", folder / "icons")
    (folder / "gdstudio").write_text("#!/bin/sh\n")
    (folder / "gdstudio").chmod(0o755)
    return folder


def test_install_desktop_puts_the_entry_icons_and_mime_type_under_local_share(tmp_path):
    bundle = fake_bundle(tmp_path / "my apps" / "gdstudio")
    data = tmp_path / "data"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "XDG_DATA_HOME": str(data)}
    result = run(bundle / "install-desktop.sh", env=env)
    assert result.returncode == 0, result.stderr
    entry_file = data / "applications" / f"{APP_ID}.desktop"
    assert desktop_entry(entry_file)["Exec"] == f'"{bundle}/gdstudio" open %f'
    validate = run(tool("desktop-file-validate"), entry_file)
    assert validate.returncode == 0 and not validate.stdout.strip(), validate.stdout
    for n in (16, 48, 256, 512):
        assert (data / "icons" / "hicolor" / f"{n}x{n}" / "apps" / "gdstudio.png").is_file()
    assert (data / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    assert (data / "mime" / "packages" / f"{APP_ID}.xml").is_file()
    if shutil.which("update-mime-database"):
        assert "*.gdstudio.json" in (data / "mime" / "globs2").read_text()

    result = run(bundle / "install-desktop.sh", "--uninstall", env=env)
    assert result.returncode == 0, result.stderr
    left = [p for p in data.rglob("*") if p.is_file() and "gdstudio" in p.name]
    assert left == []


def test_install_desktop_from_a_pip_install_starts_the_gdstudio_on_path(tmp_path):
    data = tmp_path / "data"
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(data)}  # fmt: skip
    result = run(PACKAGING / "install-desktop.sh", env=env)
    assert result.returncode == 0, result.stderr
    assert desktop_entry(data / "applications" / f"{APP_ID}.desktop")["Exec"] == "gdstudio open %f"
    assert (data / "icons" / "hicolor" / "64x64" / "apps" / "gdstudio.png").is_file()


@pytest.mark.slow
def test_the_menu_entry_opens_a_window_with_no_file(tmp_path):
    xdotool = tool("xdotool")
    exec_line = desktop_entry(PACKAGING / f"{APP_ID}.desktop")["Exec"]
    command = exec_line.removesuffix(" %f").split()  # launched from the menu: no file
    command[0] = str(Path(sys.executable).parent / command[0])
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"))  # fmt: skip
    app = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        found = ""
        while not found and app.poll() is None and time.monotonic() < deadline:
            found = run(xdotool, "search", "--onlyvisible", "--pid", app.pid, "--class",
                        "^gdstudio$", timeout=30).stdout.strip()  # fmt: skip
            time.sleep(0.5)
        assert app.poll() is None, app.communicate()
        assert found, "no window within 60 s"
        assert "gdstudio" in run(xdotool, "getwindowname", found.split()[0]).stdout
    finally:
        app.terminate()
        app.communicate(timeout=30)
