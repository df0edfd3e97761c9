"""In a PyInstaller bundle, MP4 export unpacks the bundle's compressed ffmpeg once and uses it."""

from __future__ import annotations

import lzma
import os
import sys

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest

from gdstudio.export.bundled_ffmpeg import PACKED_NAME, packed_ffmpeg, use_packed_ffmpeg
from gdstudio.export.encoders import write_frames


@pytest.fixture
def bundle(tmp_path, monkeypatch):
    """A pretend bundle whose packed ffmpeg is a logging wrapper around the real one."""
    meipass = tmp_path / "bundle"
    meipass.mkdir()
    log = tmp_path / "ffmpeg-calls.log"
    wrapper = f'#!/bin/sh\necho called >> "{log}"\nexec "{imageio_ffmpeg.get_ffmpeg_exe()}" "$@"\n'
    (meipass / PACKED_NAME).write_bytes(lzma.compress(wrapper.encode()))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(meipass), raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", "restored after the test")
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE")
    return log


def frames(n: int = 4) -> list[np.ndarray]:
    return [np.full((48, 64, 3), 40 * i, dtype=np.uint8) for i in range(n)]


def test_mp4_export_unpacks_the_bundles_ffmpeg_once_into_the_user_cache(bundle, tmp_path):
    assert write_frames(tmp_path / "a.mp4", frames(), fps=10) == 4
    unpacked = os.environ["IMAGEIO_FFMPEG_EXE"]
    assert unpacked.startswith(str(tmp_path / "cache" / "gdstudio" / "ffmpeg-"))
    assert os.access(unpacked, os.X_OK)
    assert bundle.read_text().count("called") >= 1
    assert len(iio.imread(tmp_path / "a.mp4", index=None)) == 4

    before = os.stat(unpacked).st_mtime_ns
    del os.environ["IMAGEIO_FFMPEG_EXE"]  # a later export in a new process
    write_frames(tmp_path / "b.mp4", frames(), fps=10)
    assert os.environ["IMAGEIO_FFMPEG_EXE"] == unpacked
    assert os.stat(unpacked).st_mtime_ns == before


def test_a_users_own_ffmpeg_setting_wins(bundle, monkeypatch):
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", "/opt/ffmpeg/bin/ffmpeg")
    use_packed_ffmpeg()
    assert os.environ["IMAGEIO_FFMPEG_EXE"] == "/opt/ffmpeg/bin/ffmpeg"


def test_outside_a_bundle_nothing_changes(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert packed_ffmpeg() is None
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", "restored after the test")
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE")
    use_packed_ffmpeg()
    assert "IMAGEIO_FFMPEG_EXE" not in os.environ
