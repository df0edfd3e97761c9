"""A session or file that cannot be read never stops the app, and is never overwritten."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from PySide6.QtCore import QCoreApplication

from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.presets import preset
from gdstudio.engine.scenario import Scenario
from gdstudio.ui import session
from gdstudio.ui.app import build_window
from tests.hostile_json import BASES, anything, hostile_scenarios

GOOD = BASES[0]
FIRST = preset(session.FIRST_PRESET).scenario


def session_text(scenario: object, path: object = None) -> str:
    return json.dumps({"scenario": scenario, "path": path})


CORRUPT = [
    ("deep nesting", "[" * 100_000 + "]" * 100_000, "nested more than"),
    ("huge integer", session_text({**GOOD, "steps": 10**400}), "scenario.steps"),
    ("5000 digits", session_text(GOOD).replace('"steps": 50', '"steps": ' + "9" * 5000),
     "scenario.steps"),
    ("list as a name", session_text({**GOOD, "optimizers": [{"name": ["adam"]}]}),
     "scenario.optimizers[0].name"),
    ("lone surrogate", session_text({**GOOD, "title": "\ud800"}), "scenario.title"),
    ("bad formula", session_text({**GOOD, "surface": {"expression": "x +* y"}}),
     "scenario.surface.expression"),
    ("bad dataset", session_text({**GOOD, "surface": {"dataset": {"X": [[1]], "y": []},
                                                      "model": "linear_regression"}}),
     "scenario.surface.dataset.y"),
    ("version true", session_text({**GOOD, "version": True}), "scenario.version"),
    ("path not text", session_text(GOOD, path=["a"]), "path: must be a file name"),
    ("not JSON", "{", "not valid JSON"),
    ("empty", "", "not valid JSON"),
    ("binary", b"\x00\xff\xfe" * 100, "not UTF-8"),
    ("no scenario", "[]", "not a gdstudio session"),
    ("too large", b" " * (17 * 2**20), "larger than 16 MiB"),
]  # fmt: skip


@pytest.fixture
def session_file(qapp) -> Path:
    """Where the app keeps its last race, in this test's private data folder."""
    QCoreApplication.setOrganizationName(session.ORGANIZATION)
    QCoreApplication.setApplicationName(session.APPLICATION)
    return session.last_session_path()


def start_app(qtbot, file: Path | None = None):
    window = build_window(file)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.mark.parametrize(("case", "content", "fragment"), CORRUPT, ids=[c[0] for c in CORRUPT])
def test_the_app_starts_on_the_preset_with_a_message_and_keeps_the_bad_file(
    case, content, fragment, session_file, qtbot
):
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    session_file.write_bytes(data)
    window = start_app(qtbot)
    assert window.controller.scenario == FIRST
    assert window.message.isVisible()
    text = window.message.text()
    assert "could not be restored" in text and fragment in text, text
    kept = session_file.with_name("last-session.json.bad")
    assert kept.read_bytes() == data and str(kept) in text
    window.close()  # saves the session: a fresh file, the bad one untouched
    assert session.read_session(session_file)[0] == FIRST
    assert kept.read_bytes() == data


@pytest.mark.parametrize("kind", ["folder", "pipe", "link to /dev/zero"])
def test_a_session_that_is_not_a_regular_file_neither_hangs_nor_stops_the_app(
    kind, session_file, qtbot
):
    if kind == "folder":
        session_file.mkdir()
    elif kind == "pipe":
        os.mkfifo(session_file)  # reading it would wait for a writer forever
    else:
        session_file.symlink_to("/dev/zero")  # reading it would never end
    window = start_app(qtbot)
    assert window.controller.scenario == FIRST and window.message.isVisible()
    assert "last-session.json.bad" in window.message.text()
    assert os.path.lexists(session_file.with_name("last-session.json.bad"))


def test_a_second_bad_session_is_kept_beside_the_first(session_file, qtbot):
    session_file.write_text("first")
    start_app(qtbot).close()
    session_file.write_text("second")
    window = start_app(qtbot)
    assert session_file.with_name("last-session.json.bad").read_text() == "first"
    assert session_file.with_name("last-session.json.bad.1").read_text() == "second"
    assert "last-session.json.bad.1" in window.message.text()


def test_a_good_session_is_restored_without_a_message(session_file, qtbot, tmp_path):
    session_file.write_text(session_text(GOOD, path=str(tmp_path / "race.json")))
    window = start_app(qtbot)
    assert window.controller.scenario == Scenario.from_dict(GOOD)
    assert window.path == tmp_path / "race.json"
    assert not window.message.isVisible()
    assert not session_file.with_name("last-session.json.bad").exists()


OPEN_BAD = [
    ("deep nesting", "[" * 100_000 + "]" * 100_000, "nested more than"),
    ("huge integer", json.dumps({**GOOD, "seed": 10**400}), "seed: must be a whole number"),
    ("list as a name", json.dumps({**GOOD, "surface": {"function": ["x"]}}), "surface.function"),
    ("lone surrogate", json.dumps({**GOOD, "caption": "\udfff"}), "caption: holds a broken"),
]


@pytest.mark.parametrize(("case", "content", "fragment"), OPEN_BAD, ids=[c[0] for c in OPEN_BAD])
def test_gdstudio_open_on_a_bad_file_starts_on_the_last_session_and_says_why(
    case, content, fragment, session_file, qtbot, tmp_path
):
    session_file.write_text(session_text(GOOD))
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    window = start_app(qtbot, bad)
    assert window.controller.scenario == Scenario.from_dict(GOOD)
    assert window.message.isVisible()
    assert f"{bad}: {fragment}" in window.message.text()
    assert bad.read_text() == content


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(scenario=hostile_scenarios(), path=anything, wrapped=anything)
def test_reading_any_session_gives_a_race_or_an_error_naming_the_field(scenario, path, wrapped):
    with tempfile.TemporaryDirectory() as folder:
        for tree in ({"scenario": scenario, "path": path}, {"scenario": scenario}, wrapped):
            file = Path(folder, "last-session.json")
            file.write_text(json.dumps(tree))
            try:
                race, _, _ = session.read_session(file)
            except ScenarioError as exc:
                assert exc.source == str(file)
                if (
                    isinstance(tree, dict)
                    and "scenario" in tree
                    and set(tree) <= {"scenario", "path"}
                ):
                    assert exc.field.startswith(("scenario", "path")) or not exc.field, exc
                str(exc).encode("utf-8")
                continue
            assert isinstance(race, Scenario)
