"""What the app remembers between launches: the last race, recent files, the layout.

The last race is a scenario file in the user's data folder, written atomically
a second after every edit and on exit, so a crash loses at most that second.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from gdstudio.engine.errors import GdstudioError
from gdstudio.engine.files import atomic_write_text
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


def save_last(scenario: Scenario, path: Path | None) -> None:
    """Remember the current race (and which file it came from)."""
    data = {"scenario": scenario.to_dict(), "path": str(path) if path else None}
    atomic_write_text(last_session_path(), json.dumps(data, indent=1) + "\n")


def restore_last() -> tuple[Scenario, Path | None]:
    """The last race, or the first-launch preset when there is none (or it is unreadable)."""
    try:
        data = json.loads(last_session_path().read_text("utf-8"))
        scenario = Scenario.from_dict(data["scenario"])
        scenario.race()
        path = Path(data["path"]) if data.get("path") else None
        return scenario, path
    except (OSError, ValueError, KeyError, TypeError, GdstudioError):
        return preset(FIRST_PRESET).scenario, None


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
