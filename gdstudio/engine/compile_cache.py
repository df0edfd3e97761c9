"""Where the compiled path keeps its kernels, and what became of it in this process.

Numba compiles the kernels of :mod:`gdstudio.engine.fused` on the first big race
and caches them under the user's cache directory, never beside the sources, which
may sit in a read-only install or inside a PyInstaller bundle. When the compiled
path cannot load, big races take the NumPy path with the same numbers, only
slower: :func:`record_fallback` says so once in the log and keeps the reason for
:func:`status`, which the app's About box and ``gdstudio diagnostics`` show.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

_log = logging.getLogger(__name__)
_fallback: str | None = None


def user_cache_dir() -> Path:
    """gdstudio's directory under the user's cache directory (``$XDG_CACHE_HOME`` or ~/.cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gdstudio"


def kernel_cache_dir(*sources: str | Path) -> Path:
    """The directory for kernels compiled from ``sources``, named for their contents.

    Numba checks only a kernel's own file for changes, and the kernels inline
    formulas from other files: a directory named for all of them is never stale.
    Numba caches only functions whose source file is on disk, so a missing source
    raises ``OSError`` here, which the race records as the reason for the fallback.
    """
    import hashlib  # here, not with the app: its start never compiles a kernel

    digest = hashlib.sha1()
    for source in sources:
        digest.update(Path(source).read_bytes())
    return user_cache_dir() / "numba" / digest.hexdigest()[:16]


def prepare_numba(*sources: str | Path) -> None:
    """Numba's settings for the compiled path, unless the user set them; call before
    importing Numba, which reads them then.

    Kernels are cached in :func:`kernel_cache_dir` of ``sources``. On CPUs with
    AVX-512, 512-bit vectors are preferred: LLVM keeps to 256 bits unless told
    otherwise (older such CPUs slow their clock for 512-bit code); measured here,
    the surface and stop-rule pass then runs twice as fast and a race 8 % faster.
    The numbers are the same: no kernel sums across lanes, and without fast-math
    each lane rounds alone.
    """
    os.environ.setdefault("NUMBA_CACHE_DIR", str(kernel_cache_dir(*sources)))
    import llvmlite.binding as llvm

    try:
        features = llvm.get_host_cpu_features().flatten()
    except RuntimeError:  # LLVM cannot tell: leave Numba to its defaults
        return
    if "+avx512f" in features.split(","):
        os.environ.setdefault("NUMBA_CPU_FEATURES", f"{features},-prefer-256-bit")


def record_fallback(error: BaseException) -> None:
    """Note that big races take the NumPy path because the compiled path did not load.

    The first reason is logged as a warning and kept for :func:`status`.
    """
    global _fallback
    if _fallback is None:
        _fallback = " ".join(f"{type(error).__name__}: {error}".split())
        _log.warning("big races take the NumPy path (same numbers, slower): %s", _fallback)


def status() -> str:
    """One line on the compiled path in this process, for diagnostics."""
    if _fallback is not None:
        return f"not available, big races take the NumPy path: {_fallback}"
    if "gdstudio.engine.fused" not in sys.modules:
        from gdstudio.engine.race import FUSED_MIN

        return f"not loaded yet (it loads with the first race of {FUSED_MIN} runners or more)"
    numba = sys.modules["numba"]
    return f"loaded (Numba {numba.__version__}), kernels cached in {os.environ['NUMBA_CACHE_DIR']}"
