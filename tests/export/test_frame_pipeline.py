"""Frames drawn in layers, and encoded on a thread of their own while the next are drawn."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

from gdstudio.engine.scenario import Scenario
from gdstudio.export.encoders import write_frames
from gdstudio.export.errors import ExportError
from gdstudio.export.formats import FORMATS
from gdstudio.export.options import ExportOptions
from gdstudio.ui.export.canvas import ExportCanvas

SCENARIO = Scenario.from_dict({
    "title": "Layers",
    "surface": {"function": "rosenbrock"},
    "optimizers": [{"name": "sgd", "lr": 0.001, "momentum": 0.9}, {"name": "adam", "lr": 0.05},
                   {"name": "rmsprop", "lr": 0.01}],
    "starts": [[-1.5, 2.0]],
    "steps": 60,
})  # fmt: skip


@contextmanager
def raced(view: str, size: tuple[int, int], **options) -> Iterator[tuple[ExportCanvas, int]]:
    """An export canvas of SCENARIO with its race computed, and its last step; closed after."""
    canvas = ExportCanvas(SCENARIO, ExportOptions(view=view, size=size, **options))
    try:
        yield canvas, canvas.run_race(60)
    finally:
        canvas.close()


@pytest.mark.gl
@pytest.mark.parametrize("view, with_loss", [("contour", False), ("contour", True), ("both", True)])
def test_a_frame_drawn_in_layers_is_the_frame_drawn_whole(view, with_loss):
    with raced(view=view, size=(480, 320), with_loss=with_loss) as (canvas, last):
        for step in (0, 7, 33, last):
            layered = canvas.frame(step)
            whole = canvas.frame(step, whole=True)
            assert layered.shape == (320, 480, 4)
            np.testing.assert_array_equal(layered, whole)
        assert not np.array_equal(canvas.frame(0), canvas.frame(last))  # the race moved


def test_the_still_layer_is_drawn_again_when_the_map_moves():
    with raced(view="contour", size=(400, 300)) as (canvas, _):
        before = canvas.frame(30)
        canvas.views.contour.plot_item.setRange(xRange=(-1, 1), yRange=(0, 2), padding=0)
        zoomed = canvas.frame(30)
        np.testing.assert_array_equal(zoomed, canvas.frame(30, whole=True))
        assert not np.array_equal(before, zoomed)


@pytest.mark.gl
@pytest.mark.parametrize("view, left_out", [("contour", "surface3d"), ("3d", "contour")])
def test_views_left_out_of_the_frame_do_not_follow_the_race(view, left_out):
    with raced(view=view, size=(400, 300)) as (canvas, _):
        views = canvas.views
        canvas.frame(40)
        follows = {name: getattr(views, name).shown_step == 40 for name in ("surface3d", "contour")}
        assert follows == {"surface3d": left_out != "surface3d", "contour": left_out != "contour"}
        assert views.loss_plot.shown_step != 40  # no loss strip in these frames
        views.set_followers(surface3d=True, contour=True, loss_plot=True)  # back: they catch up
        assert views.loss_plot.shown_step == views.surface3d.shown_step == 40
        assert views.contour.shown_step == 40


class PaintCounter(QObject):
    """Counts the paint events a widget receives."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.count += event.type() == QEvent.Type.Paint
        return False


def test_views_are_not_repainted_between_frames():
    """The export dialog processes events after each frame: the canvas is never on screen,
    so a view repaints only when a frame draws it."""
    with raced(view="contour", size=(400, 300)) as (canvas, _):
        canvas.frame(0)
        QApplication.processEvents()
        counter = PaintCounter(canvas.views.contour.plot_widget.viewport())
        for step in (10, 20, 30):
            canvas.frame(step)
            QApplication.processEvents()
        assert counter.count == 0
        np.testing.assert_array_equal(canvas.frame(30), canvas.frame(30, whole=True))


def test_the_header_keeps_its_place_as_the_step_gains_digits():
    with raced(view="contour", size=(400, 300)) as (canvas, last):
        places = []
        for step in (0, 10, last):
            canvas.frame(step)
            places.append((canvas.legend.geometry(), canvas.step_counter.geometry()))
        assert places[0] == places[1] == places[2]


def qt_frames(n=12, size=(64, 48)):
    """Frames in Qt's RGB32 layout (B, G, R, 255): a blue bar that grows over grey."""
    for i in range(n):
        f = np.full((size[1], size[0], 4), 255, np.uint8)
        f[..., :3] = 90
        f[:, : (i + 1) * 4, :3] = (255, 0, 0)  # B, G, R: blue
        yield f


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".png"])
def test_qt_layout_frames_keep_their_colours_in_every_format(tmp_path, suffix):
    out = tmp_path / f"race{suffix}"
    n = write_frames(out, qt_frames(), 10)
    decoded = iio.imread(out, index=None) if suffix != ".png" else iio.imread(out)[None]
    assert n == len(decoded) == (1 if suffix == ".png" else 12)
    left = decoded[0, 10:40, 0:3, :3].reshape(-1, 3).astype(int)  # inside the blue bar
    right = decoded[0, 10:40, 40:60, :3].reshape(-1, 3).astype(int)  # the grey
    assert np.abs(left - (0, 0, 255)).max() < 24 and np.abs(right - 90).max() < 24


def test_a_gif_has_one_palette_and_no_dithering(tmp_path):
    out = tmp_path / "gradient.gif"
    ramp = np.linspace(0, 255, 200).astype(np.uint8)
    frames = []
    for i in range(10):
        f = np.zeros((60, 200, 3), np.uint8)
        f[:, :, 0], f[:, :, 1], f[:, :, 2] = ramp, 255 - ramp, ramp // 2 + 5 * i
        frames.append(f)
    assert write_frames(out, iter(frames), 10) == 10
    gif = Image.open(out)
    colours: set[tuple[int, ...]] = set()
    for k in range(gif.n_frames):
        gif.seek(k)
        rgb = np.asarray(gif.convert("RGB")).astype(int)
        colours |= set(map(tuple, rgb.reshape(-1, 3)))
        # Without dithering every column (one source colour) stays one colour.
        assert (rgb == rgb[:1]).all()
        assert np.abs(rgb - frames[k]).mean() < (1 if k == 0 else 12)  # fitted to frames 0 and 7
    assert len(colours) <= 256  # one palette for all the frames


def test_an_encoder_that_fails_stops_the_drawing_and_leaves_nothing(tmp_path, monkeypatch):
    drawn = []

    def counted():
        for i, f in enumerate(qt_frames(n=200)):
            drawn.append(i)
            yield f

    def failing(path, frames, fps):
        next(frames)
        path.write_bytes(b"half a file")
        raise ExportError("the encoder gave up")

    monkeypatch.setitem(FORMATS, "mp4", replace(FORMATS["mp4"], encode=failing))
    with pytest.raises(ExportError, match="gave up"):
        write_frames(tmp_path / "race.mp4", counted(), 10)
    assert list(tmp_path.iterdir()) == []
    assert len(drawn) < 20  # the drawing stopped soon after
    assert not [t for t in threading.enumerate() if t.name == "export-encoder"]


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_drawing_that_fails_stops_ffmpeg_and_leaves_nothing(tmp_path, suffix):
    def failing():
        for i, f in enumerate(qt_frames(n=40)):
            if i == 20:
                raise RuntimeError("the canvas broke")
            yield f

    with pytest.raises(RuntimeError, match="canvas broke"):
        write_frames(tmp_path / f"race{suffix}", failing(), 10)
    assert list(tmp_path.iterdir()) == []
    assert not [t for t in threading.enumerate() if t.name == "export-encoder"]


def test_frames_of_another_size_are_an_error(tmp_path):
    frames = [np.zeros((48, 64, 3), np.uint8), np.zeros((48, 66, 3), np.uint8)]
    with pytest.raises(ExportError, match="frame 1 is"):
        write_frames(tmp_path / "race.mp4", iter(frames), 10)
    assert list(tmp_path.iterdir()) == []
