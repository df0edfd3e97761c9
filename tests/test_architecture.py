"""Views and panels use the controller's queries, never the engine objects behind it.

The import contracts in pyproject.toml keep engine modules out of the views and
panels; this keeps them from reaching the race or the objective through the
controller's attributes (``controller.race.runner_batches(...)``).
"""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[1] / "gdstudio" / "ui"
ENGINE_OBJECTS = {"race", "objective"}


def engine_object_reads(source: str) -> list[tuple[int, str]]:
    """(line, attribute) of each ``.race`` or ``.objective`` read in ``source``."""
    return [
        (node.lineno, node.attr)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in ENGINE_OBJECTS
    ]


def test_the_check_sees_a_read_through_the_controller():
    source = "def f(c):\n    return c.race.runner_batches(0), c.history()\n"
    assert engine_object_reads(source) == [(2, "race")]


def test_views_and_panels_never_reach_behind_the_controller():
    files = [*UI.glob("views/*.py"), *UI.glob("panels/*.py"), *UI.glob("export/*.py"),
             UI / "race_views.py", UI / "playback_bar.py"]  # fmt: skip
    assert len(files) > 12
    reads = {
        f"{path.relative_to(UI)}:{line}": attr
        for path in files
        for line, attr in engine_object_reads(path.read_text("utf-8"))
    }
    assert reads == {}
