"""Frame times of the app against an ablation window, and its cold start, in the same run.

The ablation is our own straightforward pyqtgraph window with the same content,
drawn the obvious way (every curve re-uploaded and every view repainted each
frame): what the app would cost without its drawing work. It is not an
independent product. Both windows show a 200×200 Rosenbrock mesh, a contour map
and loss plots, racing 8 runners for 1,000 steps with trails, at 1600×1000 and
at 1280×800. Each frame is one engine step, the upload of the new state to the
views, and a synchronous repaint; the script prints the median and 90th
percentile of each part and the ratio to the ablation.

The cold start launches the app through the ``gdstudio`` command (a first launch:
empty settings folder, the first-launch preset) in a fresh process,
alternately with a bare PySide6 + pyqtgraph GLViewWidget at 1600×1000 started the
same way, in the same run, with the package's bytecode compiled as an install has
it. Three figures, each the median of 9 launches against the bare window's first
frame: the first painted frame (the bar: the window at its final layout, with menu
and dock titles, the caption and the playback bar; the 3D view has swapped its
first frame, still empty, and the window has begun painting), the surface (the 3D
view's first frame with the surface, its minima and the starts), and the complete
window (the last stage: contour map, colour bar, loss plot, panels and menus, built
after the surface's frame, until the contour map first paints; the race starts then).

Bars (1600×1000): median frame ≤ 33 ms and ≤ 0.5× the ablation; engine + upload
≤ 3 ms; cold start to the first painted frame ≤ 1.1× the bare window.
Run: python benchmarks/ui.py [--frames N]   (starts its own Xvfb when there is no display)
     python benchmarks/ui.py --starts 40     our frame times racing 160 runners (no peer)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

SCENARIO = {
    "surface": {"function": "rosenbrock"},
    "optimizers": [
        {"name": "sgd", "lr": 0.001}, {"name": "sgd", "lr": 0.001, "momentum": 0.9},
        {"name": "rmsprop", "lr": 0.01}, {"name": "adam", "lr": 0.05},
    ],
    "starts": [[-1.5, 2.0], [1.5, -0.5]],
    "steps": 1000,
    "stop": {"grad_tol": 0.0, "max_abs": 1e6},
}  # fmt: skip
SIZES = ((1600, 1000), (1280, 800))
SIZE = SIZES[0]


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Median and 90th percentile, in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[int(0.9 * (len(ordered) - 1))] * 1e3


def measure_ours(frames: int, size: tuple[int, int] = SIZE) -> dict[str, list[float]]:
    """Frame parts of the real main window."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gdstudio.engine.scenario import Scenario
    from gdstudio.ui.controller import RaceController
    from gdstudio.ui.main_window import MainWindow

    settings = QSettings("/tmp/gdstudio-bench.ini", QSettings.Format.IniFormat)
    settings.clear()
    window = MainWindow(RaceController(Scenario.from_dict(SCENARIO)), settings)
    window.resize(*size)
    window.show()
    app = QApplication.instance()
    for _ in range(20):
        app.processEvents()
    c = window.controller
    c.set_speed(1)  # the app is "playing", but this loop makes the steps
    c.play()
    parts: dict[str, list[float]] = {"engine": [], "upload": [], "paint": [], "frame": []}
    gl_view = window.views.surface3d.gl_view
    swapped: list[float] = []
    gl_view.frameSwapped.connect(lambda: swapped.append(time.perf_counter()))
    for _ in range(frames):
        before = len(swapped)
        t0 = time.perf_counter()
        c.race.step(1)
        t1 = time.perf_counter()
        c.stepped.emit()
        t2 = time.perf_counter()
        # The 2D widgets paint in this turn of the event loop; the 3D view is a native GL
        # window that renders on its next update request: wait until it has swapped.
        app.processEvents()
        while len(swapped) == before and time.perf_counter() - t2 < 1.0:
            app.processEvents()
        t3 = time.perf_counter()
        for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            parts[key].append(value)
    window.close()
    return parts


def measure_ablation(frames: int, size: tuple[int, int] = SIZE) -> dict[str, list[float]]:
    """The same content drawn the straightforward pyqtgraph way (the ablation window)."""
    import numpy as np
    import pyqtgraph as pg
    import pyqtgraph.opengl as gl
    from PySide6.QtWidgets import QApplication, QHBoxLayout, QVBoxLayout, QWidget

    from gdstudio.engine.scenario import Scenario

    race = Scenario.from_dict(SCENARIO).race()
    obj = race.objective
    xs, ys = np.linspace(-2, 2, 200), np.linspace(-1, 3, 200)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    z = obj.value(np.column_stack([gx.ravel(), gy.ravel()])).reshape(200, 200)
    root = QWidget()
    root.resize(*size)
    top = QHBoxLayout()
    outer = QVBoxLayout(root)
    outer.addLayout(top, 3)
    view3d = gl.GLViewWidget()
    surface = gl.GLSurfacePlotItem(x=xs * 5, y=ys * 5, z=z / 300, shader="shaded",
                                   computeNormals=True, smooth=True)  # fmt: skip
    view3d.addItem(surface)
    contour = pg.PlotWidget()
    image = pg.ImageItem(z)
    contour.addItem(image)
    for level in np.quantile(z, np.linspace(0.05, 0.95, 12)):
        contour.addItem(pg.IsocurveItem(data=z, level=level, pen="w"))
    top.addWidget(view3d)
    top.addWidget(contour)
    loss = pg.PlotWidget()
    loss.setLogMode(y=True)
    outer.addWidget(loss, 1)
    colors = ["r", "g", "b", "c", "m", "y", "k", "w"]
    lines3d = [gl.GLLinePlotItem(color=pg.mkColor(c)) for c in colors]
    for item in lines3d:
        view3d.addItem(item)
    trails = [contour.plot(pen=c) for c in colors]
    curves = [loss.plot(pen=c) for c in colors]
    root.show()
    app = QApplication.instance()
    for _ in range(20):
        app.processEvents()
    parts: dict[str, list[float]] = {"engine": [], "upload": [], "paint": [], "frame": []}
    for _ in range(frames):
        t0 = time.perf_counter()
        race.step(1)
        t1 = time.perf_counter()
        n = int(race.counts.max())
        for r in range(8):
            pts = race.trajectory[:n, r]
            lines3d[r].setData(pos=np.column_stack([pts * 5, race.loss[:n, r] / 300]))
            trails[r].setData(pts[:, 0], pts[:, 1])
            curves[r].setData(race.loss[:n, r])
        t2 = time.perf_counter()
        app.processEvents()
        t3 = time.perf_counter()
        for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            parts[key].append(value)
    root.close()
    return parts


COLD_START = """
import sys, time
t0 = float(sys.argv[1])
sys.argv[1:] = []
from gdstudio.cli import main  # the `gdstudio` command, which opens the app
import gdstudio.ui.app as app_module  # as the command imports it (engine first, then Qt)
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

class Marks(QObject):
    def __init__(self, window):
        super().__init__()
        self.window = window
        self.swapped = self.painted = self.surfaced = None
    def swap(self):
        now = time.time() - t0
        if self.swapped is None:
            self.swapped = now
            self.first()
        if self.surfaced is None and self.window.views.surface3d.surface is not None:
            self.surfaced = now
            print(f"surface {now:.3f}", flush=True)
    def eventFilter(self, obj, event):
        w = self.window
        if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget):
            if self.painted is None:
                self.painted = time.time() - t0
                self.first()
            elif w.is_complete and obj is w.views.contour.plot_widget.viewport():
                print(f"complete {time.time() - t0:.3f}", flush=True)
                QApplication.instance().removeEventFilter(self)
                QTimer.singleShot(0, QApplication.quit)
        return False
    def first(self):
        if self.swapped is not None and self.painted is not None:
            print(f"first {max(self.swapped, self.painted):.3f}", flush=True)

start_window = app_module.start_window
def watched_start(file=None):
    w = start_window(file)  # as the app starts: staged, racing once complete
    global marks
    marks = Marks(w)
    w.views.surface3d.gl_view.frameSwapped.connect(marks.swap)
    QApplication.instance().installEventFilter(marks)
    return w
app_module.start_window = watched_start
main([])
"""


BARE_WINDOW = """
import time, sys
t0 = float(sys.argv[1])
from gdstudio.ui.qt_setup import make_app
app = make_app()
import pyqtgraph.opengl as gl
from PySide6.QtCore import Qt, QTimer
view = gl.GLViewWidget()
view.resize(1600, 1000)
def painted():
    print(f"first {time.time() - t0:.3f}", flush=True)
    QTimer.singleShot(0, app.quit)
view.frameSwapped.connect(painted, Qt.ConnectionType.SingleShotConnection)
view.show()
app.exec()
"""


def cold_start(script: str = COLD_START) -> dict[str, float]:
    """Seconds from launching a fresh Python process to each mark the script prints
    ("first": the first painted frame; "surface": the 3D view's first frame with the
    surface; "complete": the complete window painting).

    Each launch is a first launch: settings and session in a new empty folder.
    """
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "XDG_CONFIG_HOME": f"{home}/config", "XDG_DATA_HOME": f"{home}/data"}
        out = subprocess.run([sys.executable, "-c", script, repr(time.time())], env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    marks = dict(line.split() for line in out.stdout.splitlines())
    if "first" not in marks:
        raise RuntimeError(f"the cold-start window never painted: {out.stderr[-500:]}")
    return {name: float(seconds) for name, seconds in marks.items()}


def cold_starts(repeats: int = 9) -> dict[str, float]:
    """Median seconds to each mark of the app ("first", "surface", "complete") and to the
    first frame of a bare GL window ("bare"), launched alternately (with the package's
    bytecode compiled, as installed)."""
    import compileall

    import gdstudio

    compileall.compile_dir(os.path.dirname(gdstudio.__file__), quiet=1)
    marks: dict[str, list[float]] = {"first": [], "surface": [], "complete": [], "bare": []}
    for _ in range(repeats):
        for name, seconds in cold_start(COLD_START).items():
            marks[name].append(seconds)
        marks["bare"].append(cold_start(BARE_WINDOW)["first"])
    return {name: statistics.median(seconds) for name, seconds in marks.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=0,
                        help="race from this many start points on a grid instead of 2 "
                             "(4 runners each): how the app scales, not a bar")  # fmt: skip
    args = parser.parse_args()
    if args.starts:
        side = int(np.ceil(np.sqrt(args.starts)))
        grid = [[x, y] for x in np.linspace(-1.8, 1.8, side) for y in np.linspace(-0.8, 2.8, side)]
        SCENARIO["starts"] = grid[: args.starts]
        run = scaling  # the ablation draws 8 runners: there is nothing to compare with
    else:
        run = compare
    if not os.environ.get("DISPLAY"):
        from gdstudio.export.display import virtual_display

        with virtual_display(*SIZES[0]):
            run(args.frames)
            sys.stdout.flush()
            os._exit(0)  # leave before our Xvfb stops under a still-connected Qt
        return
    run(args.frames)


def scaling(frames: int) -> None:
    """Frame parts of our window alone, for a race of many runners."""
    from gdstudio.ui.qt_setup import make_app

    make_app()
    ours = measure_ours(frames)
    runners = 4 * len(SCENARIO["starts"])
    print(f"{frames} frames, {runners} runners, {SIZE[0]}×{SIZE[1]} window (ms)")
    for key in ("engine", "upload", "paint", "frame"):
        median, p90 = percentiles(ours[key])
        print(f"{key:<16} median {median:>8.2f}   p90 {p90:>8.2f}")


def compare(frames: int) -> None:
    """Our window against the ablation at each size, with the bars, and the cold starts."""
    from gdstudio.ui.qt_setup import make_app

    make_app()
    for size in SIZES:
        ours, ablation = measure_ours(frames, size), measure_ablation(frames, size)
        print(f"{frames} frames, 8 runners, 200×200 mesh, {size[0]}×{size[1]} window (ms)")
        print(f"{'':<16}{'ours median':>12}{'p90':>8}{'ablation median':>17}{'p90':>8}")
        for key in ("engine", "upload", "paint", "frame"):
            (om, o9), (am, a9) = percentiles(ours[key]), percentiles(ablation[key])
            print(f"{key:<16}{om:>12.2f}{o9:>8.2f}{am:>17.2f}{a9:>8.2f}")
        frame, other = percentiles(ours["frame"])[0], percentiles(ablation["frame"])[0]
        eng_up = percentiles([e + u for e, u in zip(ours["engine"], ours["upload"], strict=True)])[
            0
        ]
        bars = " (bars <= 33 ms, <= 0.5x)" if size == SIZE else ""
        print(f"median frame: {frame:.1f} ms = {frame / other:.2f}x the ablation{bars}")
        print(f"engine + upload median: {eng_up:.2f} ms" + (" (bar <= 3 ms)" if bars else ""))
    start = cold_starts()
    bare = start["bare"]
    print(f"cold start, against a bare PySide6 + pyqtgraph GL window's first frame ({bare:.3f} s):")
    for name, what in (("first", "the first painted frame (bar <= 1.1x)"),
                       ("surface", "the surface and starts in 3D"),
                       ("complete", "the complete window (panels, maps, menus)")):  # fmt: skip
        print(f"  {what}: {start[name]:.3f} s, {start[name] / bare:.3f}x")


if __name__ == "__main__":
    main()
