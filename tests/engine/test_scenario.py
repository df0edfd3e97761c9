"""Scenario validation, round trips and the documented examples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.scenario import Scenario, load_scenario, save_scenario

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scenario.md"

BASE = {
    "surface": {"function": "rosenbrock"},
    "optimizers": [{"name": "adam", "lr": 0.05}],
    "starts": [[-1.5, 2.0]],
    "steps": 20,
}


def with_(**changes):
    return {**BASE, **changes}


BAD = [
    ("unknown top-level key", with_(stepz=3), "stepz", "valid keys"),
    ("unknown function", with_(surface={"function": "rosenbrok"}), "surface.function",
     "valid: quadratic"),
    ("unknown function param", with_(surface={"function": "rosenbrock", "params": {"c": 1}}),
     "surface", "c"),
    ("unknown optimizer", with_(optimizers=[{"name": "adamm"}]), "optimizers[0].name",
     "valid: sgd"),
    ("unknown hyperparameter", with_(optimizers=[{"name": "sgd", "mommentum": 0.9}]),
     "optimizers[0]", "mommentum"),
    ("negative lr", with_(optimizers=[{"name": "sgd", "lr": -1.0}]), "optimizers[0]",
     "Invalid learning rate"),
    ("bad beta", with_(optimizers=[{"name": "adam", "betas": [1.0, 0.999]}]), "optimizers[0]",
     "beta"),
    ("nesterov without momentum", with_(optimizers=[{"name": "sgd", "nesterov": True}]),
     "optimizers[0]", "Nesterov"),
    ("schedule arg", with_(optimizers=[{"name": "sgd", "schedule": {"name": "step", "gama": 1}}]),
     "optimizers[0].schedule", "gama"),
    ("unknown schedule", with_(optimizers=[{"name": "sgd", "schedule": {"name": "warm"}}]),
     "optimizers[0].schedule", "cosine"),
    ("bad color", with_(optimizers=[{"name": "sgd", "color": "red"}]), "optimizers[0].color",
     "#rrggbb"),
    ("start not a pair", with_(starts=[[1.0]]), "starts[0]", "[x, y]"),
    ("start not a number", with_(starts=[[1.0, "a"]]), "starts[0][1]", "number"),
    ("negative steps", with_(steps=-1), "steps", "at least 0"),
    ("fractional steps", with_(steps=1.5), "steps", "whole number"),
    ("stop key", with_(stop={"gradtol": 1}), "stop.gradtol", "valid keys"),
    ("no surface", {"optimizers": []}, "surface", "required"),
    ("bad formula", with_(surface={"expression": "x +* y"}), "surface.expression", "parse"),
    ("formula name", with_(surface={"expression": "__import__('os')"}), "surface.expression",
     "__import__"),
    ("bad domain", with_(surface={"expression": "x*y", "domain": [[1, 0], [0, 1]]}),
     "surface.domain[0]", "less than"),
    ("unknown dataset", with_(surface={"dataset": {"name": "spiral"},
                                       "model": "linear_regression"}),
     "surface.dataset", "linear"),
    ("unknown model", with_(surface={"dataset": {"name": "linear"}, "model": "svm"}),
     "surface.model", "linear_regression"),
    ("bad batch size", with_(surface={"dataset": {"name": "linear"}, "model": "linear_regression",
                                      "batch_size": 0}), "surface.batch_size", "at least 1"),
    ("version", with_(version=2), "version", "unsupported"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "data", "field", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_bad_scenarios_name_the_field(case, data, field, fragment, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {field}"), message
    assert fragment in message


UNUSABLE_SURFACES = [
    ({"expression": "x +* y"}, "surface.expression", "could not parse"),
    ({"expression": "sqrt(-1 - x**2) + y"}, "surface.expression", "no real value"),
    ({"dataset": {"X": [[1.0], [2.0]], "y": [1.0]}, "model": "linear_regression"},
     "surface.dataset.y", "one number per row"),
    ({"dataset": {"name": "linear"}, "model": "logistic_regression"}, "surface.dataset.y",
     "labels 0 or 1"),
]  # fmt: skip


@pytest.mark.parametrize(("surface", "field", "fragment"), UNUSABLE_SURFACES)
def test_reading_checks_formulas_and_datasets_without_building_a_race(
    surface, field, fragment, monkeypatch
):
    def no_race(*_args, **_kwargs):
        raise AssertionError("validation built a Race")

    monkeypatch.setattr("gdstudio.engine.scenario.Race", no_race)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(with_(surface=surface))
    assert info.value.field == field and fragment in info.value.message


def test_missing_file_and_broken_json(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"surface": ')
    with pytest.raises(ScenarioError, match=r"not valid JSON: .* line 1"):
        load_scenario(broken)


def test_save_is_atomic_and_round_trips(tmp_path):
    s = Scenario.from_dict(json.loads(json.dumps(BASE)))
    path = tmp_path / "s.json"
    save_scenario(s, path)
    assert load_scenario(path) == s
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temporary left behind


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    s = Scenario.from_dict(BASE)
    path = tmp_path / "s.json"
    save_scenario(s, path)
    original = path.read_text()

    def boom(*_args, **_kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        save_scenario(s.with_changes(steps=99), path)
    assert path.read_text() == original
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


finite = st.floats(-1e6, 1e6, allow_nan=False)
optimizer = st.one_of(
    st.builds(lambda lr, m: {"name": "sgd", "lr": lr, "momentum": m},
              st.floats(1e-6, 1.0), st.floats(0.0, 0.99)),
    st.builds(lambda lr, b1, label: {"name": "adam", "lr": lr, "betas": [b1, 0.999],
                                     "label": label},
              st.floats(1e-6, 1.0), st.floats(0.0, 0.99), st.text(max_size=8)),
    st.builds(lambda g: {"name": "rmsprop", "schedule": {"name": "exponential", "gamma": g}},
              st.floats(0.5, 1.0)),
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(optimizer, min_size=1, max_size=4),
    st.lists(st.tuples(finite, finite).map(list), max_size=5),
    st.integers(0, 10_000),
    st.integers(0, 2**32),
    st.sampled_from([{"function": "himmelblau"}, {"expression": "x*y + sin(x)"},
                     {"function": "rastrigin", "params": {"A": 5.0}}]),
)  # fmt: skip
def test_round_trip_is_lossless(optimizers, starts, steps, seed, surface):
    data = {"surface": surface, "optimizers": optimizers, "starts": starts,
            "steps": steps, "seed": seed}  # fmt: skip
    s = Scenario.from_dict(data)
    again = Scenario.from_dict(json.loads(json.dumps(s.to_dict())))
    assert again == s
    assert again.to_dict() == s.to_dict()


def doc_examples() -> list[str]:
    return re.findall(r"```json\n(.*?)```", DOCS.read_text(), flags=re.S)


def test_docs_have_examples():
    assert len(doc_examples()) >= 6


@pytest.mark.parametrize("text", doc_examples())
def test_documented_examples_load_and_run(text, tmp_path):
    path = tmp_path / "example.json"
    path.write_text(text)
    scenario = load_scenario(path)
    race = scenario.race()
    race.run()
    assert race.done
    assert race.n_runners == len(scenario.optimizers) * len(scenario.starts)
