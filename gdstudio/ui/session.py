"""What the app remembers between launches: the last race, recent files, the layout.

The last race is a scenario file in the user's data folder, written atomically
a second after every edit and on exit, so a crash loses at most that second.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.files import atomic_write_text, read_json
from gdstudio.engine.inputs import describe, field_path, lone_surrogate
from gdstudio.engine.presets import preset
from gdstudio.engine.scenario import Scenario

ORGANIZATION = "gdstudio"
APPLICATION = "gdstudio"
FIRST_PRESET = "11-adam-vs-sgd"
MAX_RECENT = 8


def data_dir() -> Path:
    """The per-user folder for the session file (created on demand)."""
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def last_session_path() -> Path:
    """Where the last race is kept."""
    return data_dir() / "last-session.json"


def save_last(scenario: Scenario, path: Path | None, modified: bool = False) -> None:
    """Remember the current race, which file it came from, and whether it was edited since."""
    data = {"scenario": scenario.to_dict(), "path": str(path) if path else None,
            "modified": modified}  # fmt: skip
    atomic_write_text(last_session_path(), json.dumps(data, indent=1) + "\n")


def forget_last() -> None:
    """Remember no race: the next launch starts on the first-launch preset."""
    last_session_path().unlink(missing_ok=True)


@dataclass(frozen=True)
class Restored:
    """What the app starts on: a race, the file it came from, and what went wrong, if anything."""

    scenario: Scenario
    path: Path | None = None
    modified: bool = False
    """The race had edits not saved to its file (the window shows its "*")."""
    problem: str | None = None
    """Why the saved session could not be used, for the window to show; None when it was."""


def restore_last() -> Restored:
    """The last race, or the first-launch preset when there is none or it cannot be used.

    An unusable session file is moved aside (``last-session.json.bad``, then
    ``.bad.1``, ...), never overwritten, and :attr:`Restored.problem` says why.
    """
    try:
        file = last_session_path()
    except OSError as exc:
        problem = f"The session folder cannot be used ({exc}); this race will not be remembered."
        return Restored(preset(FIRST_PRESET).scenario, problem=problem)
    if not os.path.lexists(file):
        return Restored(preset(FIRST_PRESET).scenario)
    try:
        scenario, path, modified = read_session(file)
    except ScenarioError as exc:
        return Restored(preset(FIRST_PRESET).scenario, problem=_set_aside(file, exc))
    return Restored(scenario, path, modified)


def read_session(file: Path) -> tuple[Scenario, Path | None, bool]:
    """The race saved in a session file, the path it came from, and whether it was edited since.

    Raises ScenarioError naming the file and the field (``scenario.steps``, ``path``).
    """
    data = read_json(file)
    source = str(file)
    if not isinstance(data, dict) or "scenario" not in data:
        raise ScenarioError("", "not a gdstudio session (no 'scenario' object)", source)
    for key in data:
        if key not in ("scenario", "path", "modified"):
            raise ScenarioError(
                field_path("", key), "unknown key; valid keys: scenario, path, modified", source
            )
    path = data.get("path")
    if path is not None and (
        not isinstance(path, str) or "\0" in path or lone_surrogate(path) is not None
    ):
        raise ScenarioError("path", f"must be a file name or null, got {describe(path)}", source)
    modified = data.get("modified", False)
    if not isinstance(modified, bool):
        raise ScenarioError("modified", f"must be true or false, got {describe(modified)}", source)
    try:
        scenario = Scenario.from_dict(data["scenario"])
    except ScenarioError as exc:
        field = f"scenario.{exc.field}" if exc.field else "scenario"
        raise ScenarioError(field, exc.message, source) from None
    return scenario, Path(path) if path else None, modified


def _set_aside(file: Path, error: ScenarioError) -> str:
    """Move an unusable session file to a free ``.bad`` name; the message for the window."""
    free = (file.with_name(f"{file.name}.bad{f'.{n}' if n else ''}") for n in range(100))
    kept = next((name for name in free if not os.path.lexists(name)), None)
    try:
        if kept is None:
            raise OSError("too many earlier .bad files")
        os.rename(file, kept)
    except OSError as exc:
        where = f"it could not be moved aside ({exc.strerror or exc}) and will be replaced"
    else:
        where = f"it was kept as {kept}"
    return f"The last session could not be restored: {error}. Started on a preset; {where}."


def blank_scenario() -> Scenario:
    """File → New: a classic surface, three optimizers, no start points yet."""
    return Scenario.from_dict(
        {
            "title": "New race",
            "caption": "Click on the contour map or the surface to add start points.",
            "surface": {"function": "himmelblau"},
            "optimizers": [
                {"name": "sgd", "lr": 0.01, "label": "SGD"},
                {"name": "sgd", "lr": 0.01, "momentum": 0.9, "label": "Momentum"},
                {"name": "adam", "lr": 0.1, "label": "Adam"},
            ],
            "steps": 500,
        }
    )


def recent_files(settings: QSettings) -> list[str]:
    """Recently opened or saved scenario files, newest first, existing ones only."""
    value = settings.value("recent", [])
    paths = [value] if isinstance(value, str) else list(value or [])
    return [p for p in paths if Path(p).is_file()][:MAX_RECENT]


def add_recent(settings: QSettings, path: Path) -> None:
    """Put ``path`` first in the recent files."""
    p = str(path.resolve())
    paths = [p, *[q for q in recent_files(settings) if q != p]]
    settings.setValue("recent", paths[:MAX_RECENT])
