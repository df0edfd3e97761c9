"""Animation export: files that play, frames that match the app, nothing left on failure."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PySide6.QtCore import Qt

from gdstudio.engine.scenario import Scenario
from gdstudio.export.encoders import write_frames
from gdstudio.export.errors import ExportCancelled, ExportError
from gdstudio.export.formats import FORMATS
from gdstudio.export.options import ANIMATION_OPTIONS, MIN_SIZE, STILL_OPTIONS, ExportOptions
from gdstudio.ui.controller import RaceController
from gdstudio.ui.export.canvas import ExportCanvas, export_scenario, qimage_to_rgb
from tests.qt_support import race_views

SCENARIO = Scenario.from_dict({
    "title": "Export test",
    "surface": {"function": "rosenbrock"},
    "optimizers": [{"name": "sgd", "lr": 0.001, "momentum": 0.9}, {"name": "adam", "lr": 0.05}],
    "starts": [[-1.5, 2.0]],
    "steps": 60,
})  # fmt: skip


def test_gif_has_the_requested_frames_size_and_timing(tmp_path):
    out = tmp_path / "race.gif"
    opts = ExportOptions(view="contour", size=(320, 240), fps=20, steps_per_frame=3)
    n = export_scenario(SCENARIO, out, opts)
    assert n == 21  # steps 0, 3, ..., 60
    frames = iio.imread(out, index=None)
    assert frames.shape[:3] == (21, 240, 320)
    assert iio.immeta(out, index=0)["duration"] == 50  # ms per frame at 20 fps
    assert not np.array_equal(frames[0], frames[-1])  # the runners moved
    assert len(np.unique(frames[-1].reshape(-1, frames.shape[-1]), axis=0)) > 8  # not blank


def test_mp4_is_h264_with_even_dimensions(tmp_path):
    out = tmp_path / "race.mp4"
    opts = ExportOptions(view="both", size=(321, 241), fps=24, steps_per_frame=6, with_loss=True)
    n = export_scenario(SCENARIO, out, opts)
    meta = iio.immeta(out)
    frames = iio.imread(out, index=None)
    assert len(frames) == n == 11
    assert frames.shape[1:3] == (240, 320)  # cut to even dimensions for yuv420p
    assert meta["fps"] == pytest.approx(24)
    assert meta["codec"] == "h264"
    assert frames[-1].std() > 10


@pytest.mark.gl
def test_png_equals_the_apps_view_at_that_step(tmp_path, qtbot):
    out = tmp_path / "frame.png"
    opts = ExportOptions(view="contour", size=(400, 300), legend=False)
    export_scenario(SCENARIO, out, opts)
    exported = iio.imread(out)
    layout = ExportCanvas(SCENARIO, opts)  # where the frame holds the map (under the title)
    layout.run_race(SCENARIO.steps)
    where = layout.views.contour.geometry()
    layout.close()
    exported = exported[where.top() : where.bottom() + 1, where.left() : where.right() + 1]
    controller = RaceController(SCENARIO)
    views = race_views(qtbot, controller)
    views.set_anatomy_shown(False)  # frames leave out the window's selected runner's arrows
    views.contour.resize(where.width(), where.height())
    views.contour.show()
    qtbot.waitExposed(views.contour)
    controller.race.run()
    controller.scrub(60)
    views.settle()  # the map's margins, sampled once the resize is over
    shown = qimage_to_rgb(views.contour.grab().toImage())
    assert shown.shape == exported.shape
    assert np.abs(shown.astype(int) - exported.astype(int)).mean() < 2.0


def test_3d_frames_render_and_orbit(tmp_path):
    canvas = ExportCanvas(SCENARIO, ExportOptions(view="3d", size=(320, 240), orbit_degrees=90))
    try:
        canvas.run_race(20)
        a = canvas.frame(20, azimuth=0.0)
        b = canvas.frame(20, azimuth=90.0)
    finally:
        canvas.close()
    assert a.std() > 5 and not np.array_equal(a, b)


def frames(n=5, size=(64, 48)):
    for i in range(n):
        f = np.zeros((size[1], size[0], 3), np.uint8)
        f[:, : (i + 1) * 8] = 200
        yield f


def test_cancel_leaves_nothing(tmp_path):
    out = tmp_path / "race.gif"
    with pytest.raises(ExportCancelled):
        write_frames(out, frames(), 10, progress=lambda done: done < 3)
    assert list(tmp_path.iterdir()) == []


def test_full_disk_gives_a_clear_error_and_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "race.mp4"

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(FORMATS, "mp4", replace(FORMATS["mp4"], encode=full))
    with pytest.raises(ExportError, match="No space left on device"):
        write_frames(out, frames(), 10)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder():
    # /proc takes no new files, even from root (CI runs as root, so a chmod would not do).
    with pytest.raises(ExportError, match="cannot write there"):
        write_frames(Path("/proc/gdstudio-test.gif"), frames(), 10)


def test_missing_folder_and_bad_type(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        write_frames(tmp_path / "nope" / "x.gif", frames(), 10)
    with pytest.raises(ExportError, match=r"use \.gif, \.mp4 or \.png"):
        write_frames(tmp_path / "x.avi", frames(), 10)


def test_cli_export_without_display_or_platform(tmp_path):
    scenario = (
        Path(__file__).resolve().parents[2] / "resources" / "presets" / "01-learning-rate.json"
    )
    out = tmp_path / "frame.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run(
        [sys.executable, "-m", "gdstudio", "export", str(scenario), "-o", str(out),
         "--view", "both", "--size", "640x360"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    image = iio.imread(out)
    assert image.shape[:2] == (360, 640) and image.std() > 10


def test_cli_export_bad_input_exits_2(tmp_path):
    scenario = (
        Path(__file__).resolve().parents[2] / "resources" / "presets" / "01-learning-rate.json"
    )
    for args, fragment in [
        (["-o", str(tmp_path / "x.avi")], "unknown output type"),
        (["-o", str(tmp_path / "x.gif"), "--size", "big"], "--size must be WxH"),
        (["-o", str(tmp_path / "x.gif"), "--size", "320x180"], "leaves the map no room"),
        (["-o", str(tmp_path / "x.gif"), "--fps", "0"], "--fps must be between"),
        (["-o", str(tmp_path / "x.png"), "--fps", "10"], "--fps does not apply to .png output"),
    ]:
        proc = subprocess.run([sys.executable, "-m", "gdstudio", "export", str(scenario), *args],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert proc.returncode == 2
        assert fragment in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_dialog_writes_a_file_and_cancel_leaves_nothing(tmp_path, qtbot, monkeypatch):
    from PySide6.QtWidgets import QProgressDialog

    from gdstudio.ui.export.dialog import ExportDialog

    controller = RaceController(SCENARIO)
    dialog = ExportDialog(controller)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("png"))
    dialog.path.setText(str(tmp_path / "frame.png"))
    dialog.width.setValue(320)  # below the least frame: the box holds that instead
    dialog.height.setValue(180)
    assert (dialog.width.value(), dialog.height.value()) == MIN_SIZE == (640, 360)
    dialog.height.setValue(400)
    assert dialog.export()
    assert iio.imread(tmp_path / "frame.png").shape[:2] == (400, 640)

    monkeypatch.setattr(QProgressDialog, "wasCanceled", lambda self: True)
    dialog.format.setCurrentIndex(dialog.format.findData("gif"))
    dialog.path.setText(str(tmp_path / "race.gif"))
    assert not dialog.export()
    assert "cancelled" in dialog.message.text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["frame.png"]


def test_the_format_registry_names_real_options():
    names = {f.name for f in fields(ExportOptions)}
    assert STILL_OPTIONS < ANIMATION_OPTIONS <= names
    assert [f.suffix for f in FORMATS.values()] == [".gif", ".mp4", ".png"]
    assert [f.animated for f in FORMATS.values()] == [True, True, False]
    assert not FORMATS["png"].applies("fps") and FORMATS["mp4"].applies("orbit_degrees")


def test_export_dialog_offers_what_the_format_takes(qtbot):
    from gdstudio.ui.export.dialog import ExportDialog

    dialog = ExportDialog(RaceController(SCENARIO))
    qtbot.addWidget(dialog)
    assert [dialog.format.itemText(i) for i in range(dialog.format.count())] == [
        f.title for f in FORMATS.values()
    ]
    timing = (dialog.fps, dialog.per_frame, dialog.orbit)
    dialog.format.setCurrentIndex(dialog.format.findData("png"))
    assert dialog.path.text().endswith(".png")
    assert not any(w.isEnabled() for w in timing) and dialog.width.isEnabled()
    dialog.format.setCurrentIndex(dialog.format.findData("mp4"))
    assert dialog.path.text().endswith(".mp4") and all(w.isEnabled() for w in timing)


def test_export_dialog_format_and_file_name_never_disagree(tmp_path, qtbot):
    from gdstudio.ui.export.dialog import ExportDialog

    dialog = ExportDialog(RaceController(SCENARIO))
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("mp4"))
    dialog.path.clear()
    qtbot.keyClicks(dialog.path, str(tmp_path / "lecture.gif"))  # the name says GIF
    assert dialog.format.currentData() == "gif" and dialog.path.text().endswith("lecture.gif")
    dialog.format.setCurrentIndex(dialog.format.findData("png"))
    dialog.path.clear()
    qtbot.keyClicks(dialog.path, str(tmp_path / "slide"))  # no suffix: the format's
    dialog.width.setValue(640)
    assert dialog.target() == tmp_path / "slide.png"
    assert dialog.export()
    assert dialog.path.text() == str(tmp_path / "slide.png")
    assert [p.name for p in tmp_path.iterdir()] == ["slide.png"]


def test_export_dialog_refuses_a_race_with_no_optimizer_as_the_cli_does(tmp_path, qtbot):
    from gdstudio.ui.export.dialog import ExportDialog

    controller = RaceController(SCENARIO)
    while controller.scenario.optimizers:
        controller.remove_optimizer(0)
    dialog = ExportDialog(controller)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(tmp_path / "empty.gif"))
    assert not dialog.export()
    assert dialog.message.text().startswith("Nothing to export: optimizers")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_export_to_a_character_device_writes_through_and_leaves_it_a_device(tmp_path):
    device = tmp_path / "null.gif"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the null device's numbers
    assert write_frames(device, frames(), 10) == 5
    assert stat.S_ISCHR(device.lstat().st_mode) and list(tmp_path.iterdir()) == [device]
    assert not list(Path(tempfile.gettempdir()).glob(".null.gif.*"))  # its temporary is gone


def family(pid: int) -> list[int]:
    """``pid`` and every process descended from it."""
    parents = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            numbers = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat_file.parent.name)] = int(numbers[1])
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += [child for child, parent in parents.items() if parent == p]
    return out


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_export_leaves_no_process_and_no_file(tmp_path):
    """kill -9 of ``gdstudio export`` stops its worker, the worker's Xvfb and encoder, and
    the worker's temporary file goes: nothing is written at the target later."""
    scenario = tmp_path / "race.json"
    scenario.write_text(json.dumps({"surface": {"function": "rosenbrock"},
                                    "optimizers": [{"name": "adam", "lr": 0.01}],
                                    "starts": [[-1.5, 2.0]], "steps": 3000}))  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gdstudio", "export", str(scenario), "-o", str(tmp_path / "out.mp4"),
         "--view", "both", "--size", "640x360", "--fps", "60"],
        env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(list(tmp_path.iterdir())) < 2:  # the worker's temporary file: frames are coming
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    started = family(proc.pid)
    assert len(started) >= 3  # the command, its worker, the worker's Xvfb (and ffmpeg)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while any(running(pid) for pid in started) or len(list(tmp_path.iterdir())) > 1:
        assert time.monotonic() < deadline, ([p for p in started if running(p)],
                                             list(tmp_path.iterdir()))  # fmt: skip
        time.sleep(0.05)
    time.sleep(1)
    assert list(tmp_path.iterdir()) == [scenario]


def test_frames_carry_the_title_and_a_step_counter_that_moves(tmp_path):
    canvas = ExportCanvas(SCENARIO, ExportOptions(view="both", size=(640, 400), with_loss=True))
    try:
        last = canvas.run_race(60)
        early, late = canvas.frame(5), canvas.frame(last)
        box = canvas.step_counter.geometry()
        assert canvas.step_counter.text() == f"step {last} / {last}"
        assert box.width() > 40 and box.right() < 640 and box.top() < 30  # top right
        counter = (slice(box.top(), box.bottom() + 1), slice(box.left(), box.right() + 1))
        assert not np.array_equal(early[counter], late[counter])
        assert (late[counter] < 100).any()  # dark digits on white
        assert SCENARIO.title in canvas.legend.text()
        assert not canvas.views.contour.basins_button.isVisible()  # no buttons in a picture
        strip = canvas.views.loss_plot
        assert strip.height() >= 110 and not strip.grad_item.isVisible()  # room for one plot
    finally:
        canvas.close()


def test_export_dialog_says_where_the_file_went_and_remembers_its_settings(
    tmp_path, qtbot, monkeypatch
):
    from PySide6.QtCore import QSettings, QUrl
    from PySide6.QtGui import QDesktopServices

    from gdstudio.ui.export.dialog import ExportDialog

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    dialog = ExportDialog(RaceController(SCENARIO), settings=settings)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.format.setCurrentIndex(dialog.format.findData("png"))
    dialog.view.setCurrentIndex(dialog.view.findData("both"))
    dialog.with_loss.setChecked(True)
    dialog.width.setValue(680)
    dialog.height.setValue(400)
    out = tmp_path / "pictures" / "frame.png"
    out.parent.mkdir()
    dialog.path.setText(str(out))
    assert dialog.export()
    assert dialog.isVisible()  # stays open to say where the file went
    assert dialog.saved.isVisible() and str(out) in dialog.saved.text()
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url))
    qtbot.mouseClick(dialog.open_folder, Qt.MouseButton.LeftButton)
    assert opened == [QUrl.fromLocalFile(str(out.parent))]

    again = ExportDialog(RaceController(SCENARIO), settings=settings)
    qtbot.addWidget(again)
    assert again.format.currentData() == "png" and again.view.currentData() == "both"
    assert again.with_loss.isChecked() and (again.width.value(), again.height.value()) == (680, 400)
    assert again.path.text() == str(out)
    assert not again.fps.isEnabled()  # still a still: no frame rate
