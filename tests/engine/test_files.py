"""Atomic writes give files the mode a user expects (test_scenario covers failures)."""

from __future__ import annotations

import os
import stat

from gdstudio.engine.files import atomic_write_bytes, atomic_write_text


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_usual_mode_not_a_private_one(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.json", "{}\n")
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").read_text() == "{}\n"
    assert mode(tmp_path / "a.json") == 0o644  # mkstemp alone would give 0o600


def test_an_existing_file_keeps_its_mode_and_leaves_no_temporary_behind(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and mode(path) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["b.csv"]
