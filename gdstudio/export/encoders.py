"""Encode RGB frames to GIF, MP4 or PNG, atomically and cancellably.

Frames are ``(H, W, 3)`` uint8 arrays. Nothing is written at the destination
until the last frame is encoded: output goes to a temporary file beside it and
is renamed into place, so a cancel, a failure or a full disk leaves nothing.

GIF uses one global palette (median cut over a few sample frames) applied
without dithering, which keeps a colormap's gradient smooth and lets Pillow
store each frame as the small rectangle that changed, so files stay small.
MP4 is H.264 in yuv420p with even dimensions, via imageio-ffmpeg's bundled
ffmpeg (see :mod:`~gdstudio.export.bundled_ffmpeg` for the PyInstaller bundle's),
which browsers and slide software play.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from gdstudio.engine.files import replace_with

FORMATS = ("gif", "mp4", "png")


class ExportCancelled(Exception):
    """The user cancelled; the partial output was removed."""


class ExportError(Exception):
    """Writing the output failed (unwritable folder, full disk, encoder error)."""


def format_of(path: Path) -> str:
    """'gif', 'mp4' or 'png' from the file name; ExportError otherwise."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ExportError(f"{path}: unknown output type '.{suffix}'; use .gif, .mp4 or .png")
    return suffix


def even_size(width: int, height: int) -> tuple[int, int]:
    """H.264 in yuv420p needs even dimensions."""
    return width - width % 2, height - height % 2


def write_frames(
    path: Path,
    frames: Iterable[np.ndarray],
    fps: int,
    progress: Callable[[int], bool] | None = None,
) -> int:
    """Encode ``frames`` to ``path`` (type from its suffix); returns the frame count.

    ``progress(i)`` is called after each frame; returning False cancels
    (raises ExportCancelled after removing the temporary file).
    """
    kind = format_of(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"{path}: folder {folder} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".{kind}", dir=folder)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write there: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        counted = _counting(frames, progress)
        if kind == "png":
            n = _write_png(tmp, counted)
        elif kind == "gif":
            n = _write_gif(tmp, counted, fps)
        else:
            n = _write_mp4(tmp, counted, fps)
        replace_with(tmp, path)
        return n
    except ExportCancelled:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{path}: could not write: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _counting(
    frames: Iterable[np.ndarray], progress: Callable[[int], bool] | None
) -> Iterator[np.ndarray]:
    for i, frame in enumerate(frames):
        yield frame
        if progress is not None and not progress(i + 1):
            raise ExportCancelled


def _write_png(tmp: Path, frames: Iterator[np.ndarray]) -> int:
    from PIL import Image

    frame = next(frames)
    Image.fromarray(frame).save(tmp, format="PNG", optimize=False, compress_level=3)
    return 1


def _palette_image(samples: list[np.ndarray]):
    """A 256-colour palette image fitted to a few frames stacked together."""
    from PIL import Image

    stacked = np.concatenate([s[::2, ::2] for s in samples], axis=0)
    return Image.fromarray(stacked).quantize(256, method=Image.Quantize.MEDIANCUT)


def _write_gif(tmp: Path, frames: Iterator[np.ndarray], fps: int) -> int:
    from PIL import Image

    first_batch: list[np.ndarray] = []
    for frame in frames:
        first_batch.append(frame)
        if len(first_batch) == 8:
            break
    if not first_batch:
        raise ExportError("no frames to write")
    # The first frames and the last computed one cover the colours that appear.
    palette = _palette_image([first_batch[0], first_batch[-1]])

    def quantized() -> Iterator[Image.Image]:
        for f in first_batch:
            yield Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)
        for f in frames:
            yield Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)

    images = quantized()
    head = next(images)
    rest = list(images)
    head.save(
        tmp, format="GIF", save_all=True, append_images=rest, loop=0,
        duration=round(1000 / fps), optimize=False, disposal=1,
    )  # fmt: skip
    return 1 + len(rest)


def _write_mp4(tmp: Path, frames: Iterator[np.ndarray], fps: int) -> int:
    import imageio_ffmpeg

    from gdstudio.export.bundled_ffmpeg import use_packed_ffmpeg

    use_packed_ffmpeg()
    first = next(frames, None)
    if first is None:
        raise ExportError("no frames to write")
    h, w = first.shape[:2]
    ew, eh = even_size(w, h)
    writer = imageio_ffmpeg.write_frames(
        str(tmp), (ew, eh), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
        quality=None, bitrate=None, macro_block_size=1, ffmpeg_log_level="error",
        output_params=["-preset", "veryfast", "-crf", "20", "-movflags", "+faststart",
                       "-f", "mp4"],
    )  # fmt: skip
    writer.send(None)
    n = 0
    try:
        for frame in _chain(first, frames):
            writer.send(np.ascontiguousarray(frame[:eh, :ew]))
            n += 1
    finally:
        writer.close()
    return n


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest
