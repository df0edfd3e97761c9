"""The ffmpeg a PyInstaller bundle carries compressed, unpacked once into the user's cache.

imageio-ffmpeg's ffmpeg is an 80 MB static executable; the bundle stores it
xz-compressed (20 MB) as ``ffmpeg.xz`` beside its libraries, which keeps the
unpacked bundle within its size target. The first MP4 export unpacks it under
the user's cache directory (a second or so) and points imageio-ffmpeg at it
through ``IMAGEIO_FFMPEG_EXE``; later exports find it there. Outside a bundle,
or when the user set ``IMAGEIO_FFMPEG_EXE`` themselves, nothing changes.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import sys
from pathlib import Path

from gdstudio.engine.compile_cache import user_cache_dir
from gdstudio.engine.files import atomic_write_bytes

PACKED_NAME = "ffmpeg.xz"


def packed_ffmpeg() -> Path | None:
    """The compressed ffmpeg inside a running bundle, or None (not a bundle, or none packed)."""
    if not getattr(sys, "frozen", False):
        return None
    packed = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / PACKED_NAME
    return packed if packed.is_file() else None


def unpack(packed: Path) -> Path:
    """The executable unpacked from ``packed``, in a cache folder named for its contents."""
    data = packed.read_bytes()
    target = user_cache_dir() / f"ffmpeg-{hashlib.sha1(data).hexdigest()[:16]}" / "ffmpeg"
    if not os.access(target, os.X_OK):
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, lzma.decompress(data))
        target.chmod(0o755)
    return target


def use_packed_ffmpeg() -> None:
    """Point imageio-ffmpeg at the bundle's ffmpeg, unpacking it on first use."""
    packed = packed_ffmpeg()
    if packed is not None and "IMAGEIO_FFMPEG_EXE" not in os.environ:
        os.environ["IMAGEIO_FFMPEG_EXE"] = str(unpack(packed))
