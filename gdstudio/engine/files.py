"""Reading and writing the user's files safely.

Reading: :func:`read_json` is the one way a scenario or session file is read.
It opens only regular files (never blocking on a pipe, never reading a device
such as ``/dev/zero`` forever), refuses files larger than :data:`MAX_FILE_BYTES`
and JSON nested deeper than :data:`MAX_DEPTH`, and reports every problem as a
ScenarioError naming the file.

Writing: a failure never leaves a partial file. Output goes to a temporary file
beside the target, then a rename over it. A target that exists but is not a
regular file (``/dev/null``, a terminal, a named pipe) is never replaced: the
finished bytes are written through to it, as other Unix tools do; folders and
block devices are refused. A symbolic link is followed, so the link survives.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from gdstudio.engine.errors import ScenarioError

MAX_FILE_BYTES = 16 * 2**20
"""Largest scenario or session file read (16 MiB: room for inline datasets of ~500k rows)."""
MAX_DEPTH = 32
"""Deepest JSON nesting read; a scenario needs 5 levels, a session file 6."""
_LONGEST_INTEGER = 400
"""Digits of the longest integer literal read as an int; longer ones are out of float
range anyway and become ±inf, which validation refuses by field."""
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


# ---------------------------------------------------------------- reading
def read_json(path: str | os.PathLike[str]) -> Any:
    """The parsed JSON of the file at ``path``; ScenarioError (naming it) when unusable."""
    source = str(path)
    data = _read_regular(Path(path), source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError("", f"not UTF-8 text (byte {exc.start})", source) from None
    return parse_json(text, source)


def parse_json(text: str, source: str | None = None) -> Any:
    """``json.loads`` within :data:`MAX_DEPTH`, with huge integers kept from raising.

    Raises ScenarioError (field "") for text that is not JSON or is nested too deeply.
    """
    too_deep = ScenarioError("", f"nested more than {MAX_DEPTH} levels deep", source)
    try:
        value = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            "", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source
        ) from None
    except RecursionError:
        raise too_deep from None
    if _depth(text) > MAX_DEPTH:
        raise too_deep
    return value


def _read_regular(path: Path, source: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ScenarioError("", "no such file", source) from None
    except OSError as exc:
        raise ScenarioError("", f"cannot read: {exc.strerror or exc}", source) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise ScenarioError("", "is a folder, not a file", source)
        raise ScenarioError("", "is not a regular file (a device, pipe or socket)", source)
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ScenarioError("", f"cannot read: {exc.strerror or exc}", source) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError("", f"is larger than {MAX_FILE_BYTES // 2**20} MiB", source)
    return data


def _parse_int(digits: str) -> int | float:
    return int(digits) if len(digits) <= _LONGEST_INTEGER else float(digits)


def _depth(text: str) -> int:
    """The deepest nesting of brackets in valid JSON ``text`` (strings skipped)."""
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text)).encode("ascii")
    codes = np.frombuffer(skeleton, np.uint8)
    opens = (codes == ord("[")) | (codes == ord("{"))
    return int(np.cumsum(np.where(opens, 1, -1)).max(initial=0))


# ---------------------------------------------------------------- writing
def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename (or a write-through)."""
    tmp = temporary_for(path, ".tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        replace_with(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def temporary_for(path: Path, suffix: str) -> Path:
    """A new empty temporary file to build ``path`` in.

    It sits beside the file it will replace, so the final rename stays on one
    file system; for a target that is not a regular file (nothing will be
    renamed over it) it goes to the system's temporary folder instead.
    """
    target = Path(os.path.realpath(path))
    folder = tempfile.gettempdir() if _special(target) else target.parent
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    return Path(name)


def replace_with(tmp: Path, path: Path) -> None:
    """Put the finished temporary file ``tmp`` in place of ``path``.

    A regular (or new) target is replaced by a rename, with the mode users
    expect: ``mkstemp`` makes files readable by their owner only, so a file that
    already exists keeps its mode and a new one gets 0o666 less the umask. A
    character device or named pipe gets the bytes written through, and ``tmp``
    is removed. Anything else (a folder, a block device, a socket) is refused
    with an OSError and ``tmp`` is removed.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        tmp.chmod(0o666 & ~mask)
        os.replace(tmp, target)
        return
    if stat.S_ISREG(mode):
        tmp.chmod(stat.S_IMODE(mode))
        os.replace(tmp, target)
        return
    try:
        if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            raise OSError(f"{path} is not a regular file, a device or a pipe; not replacing it")
        _write_through(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _special(target: Path) -> bool:
    """True when ``target`` exists and is not a regular file."""
    try:
        return not stat.S_ISREG(target.stat().st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False


def _write_through(tmp: Path, target: Path) -> None:
    """Copy ``tmp`` into an existing device or pipe; a pipe nobody reads is an error, not a hang."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OSError(exc.errno, "a named pipe with nobody reading it") from None
        raise
    os.set_blocking(fd, True)
    with os.fdopen(fd, "wb") as out, tmp.open("rb") as src:
        while chunk := src.read(2**20):
            out.write(chunk)
