"""The command line: run, list, version, and one-line errors with exit status 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gdstudio import __version__
from gdstudio.cli import main
from gdstudio.engine.race import FUSED_MIN

GOOD = {
    "surface": {"function": "quadratic"},
    "optimizers": [{"name": "sgd", "lr": 0.1, "label": "GD"}, {"name": "adam"}],
    "starts": [[1.0, 2.0], [-1.0, 0.5]],
    "steps": 5,
}


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "race.json"
    path.write_text(json.dumps(GOOD))
    return path


def test_run_json(scenario_file, capsys):
    assert main(["run", str(scenario_file)]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [(r["optimizer"], r["start"]) for r in runs] == [
        ("sgd", [1.0, 2.0]), ("sgd", [-1.0, 0.5]), ("adam", [1.0, 2.0]), ("adam", [-1.0, 0.5])
    ]  # fmt: skip
    first = runs[0]
    assert first["label"] == "GD" and runs[2]["label"] == "Adam"
    assert first["hyperparameters"]["momentum"] == 0.0
    assert runs[2]["hyperparameters"]["betas"] == [0.9, 0.999]
    assert first["steps"] == 5 and len(first["trajectory"]) == 6
    assert first["trajectory"][1] == [0.8, 1.6]  # x ← x − 0.1·2x
    assert first["loss"][0] == 5.0 and first["status"] == "max_steps"
    assert "batches" not in first


def test_run_csv_and_steps_override(scenario_file, tmp_path):
    out = tmp_path / "out.csv"
    assert main(["run", str(scenario_file), "--format", "csv", "--steps", "3", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 4 * 4  # four runs, start + 3 steps each
    assert rows[1]["x"] == repr(0.8) and rows[1]["step"] == "1" and rows[1]["run"] == "0"


def test_run_batch_mode_records_batches(tmp_path, capsys):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({
        "surface": {"dataset": {"name": "linear", "n_samples": 10}, "model": "linear_regression",
                    "batch_size": 4},
        "optimizers": [{"name": "sgd", "lr": 0.05}], "starts": [[0, 0]], "steps": 5,
    }))  # fmt: skip
    assert main(["run", str(path)]) == 0
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert [len(b) for b in run["batches"]] == [4, 4, 2, 4, 4]
    assert sorted(i for batch in run["batches"][:3] for i in batch) == list(range(10))
    assert len(run["batch_loss"]) == 5


def test_list_and_version(capsys):
    assert main(["list", "optimizers"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("sgd") and "adadelta" in out and "lion" in out
    for what in ("functions", "schedules", "datasets", "models"):
        assert main(["list", what]) == 0
    assert "double_well" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"gdstudio {__version__}"


BAD_CLI = [
    ("missing file", ["run", "{tmp}/nope.json"], "nope.json: no such file"),
    ("broken json", ["run", "{tmp}/broken.json"], "broken.json: not valid JSON"),
    ("unknown key", ["run", "{tmp}/key.json"], "key.json: stepz: unknown key"),
    ("unknown optimizer", ["run", "{tmp}/opt.json"], "optimizers[0].name: unknown optimizer"),
    ("bad formula", ["run", "{tmp}/formula.json"], "surface.expression:"),
    ("bad format", ["run", "{tmp}/good.json", "--format", "xml"], "invalid choice: 'xml'"),
    ("bad list", ["list", "colours"], "invalid choice: 'colours'"),
    ("negative steps", ["run", "{tmp}/good.json", "--steps", "-2"], "--steps: must be at least 0"),
    ("no such command", ["frobnicate"], "invalid choice"),
]


@pytest.mark.parametrize(("case", "argv", "fragment"), BAD_CLI, ids=[b[0] for b in BAD_CLI])
def test_bad_input_exits_2_with_one_line(case, argv, fragment, tmp_path, capsys):
    (tmp_path / "good.json").write_text(json.dumps(GOOD))
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "key.json").write_text(json.dumps({**GOOD, "stepz": 1}))
    (tmp_path / "opt.json").write_text(json.dumps({**GOOD, "optimizers": [{"name": "adamm"}]}))
    (tmp_path / "formula.json").write_text(
        json.dumps({**GOOD, "surface": {"expression": "x.real + y"}})
    )
    out = tmp_path / "out.json"
    argv = [a.format(tmp=tmp_path) for a in argv] + (["-o", str(out)] if argv[0] == "run" else [])
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert fragment in lines[0]
    assert "Traceback" not in captured.err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unwritable_output_is_a_clean_error(scenario_file, tmp_path, capsys):
    target = tmp_path / "no-such-dir" / "out.json"
    assert main(["run", str(scenario_file), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and len(err.strip().splitlines()) == 1


def test_no_display_explains_and_runs_the_demo():
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    proc = subprocess.run(
        [sys.executable, "-m", "gdstudio"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    assert "no display" in proc.stderr and "xvfb-run" in proc.stderr
    assert "Adam" in proc.stdout and "Newton" in proc.stdout


def test_cli_imports_neither_qt_nor_sympy_for_run(scenario_file):
    code = (
        "import sys; from gdstudio.cli import main; main(['run', sys.argv[1]]); "
        "bad = [m for m in ('PySide6', 'pyqtgraph', 'sympy') if m in sys.modules]; "
        "sys.stderr.write(repr(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(scenario_file)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.stderr == "[]"


def test_run_state_adds_torch_named_state_and_lr_after_each_step(scenario_file, capsys):
    assert main(["run", str(scenario_file), "--state"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    sgd, adam = runs[0], runs[2]
    assert sgd["state"] == [{"lr": 0.1}] * sgd["steps"]  # plain SGD keeps no state
    assert len(adam["state"]) == adam["steps"] == len(adam["trajectory"]) - 1
    first = adam["state"][0]
    assert set(first) == {"step", "exp_avg", "exp_avg_sq", "lr"}
    assert first["step"] == 1.0 and first["lr"] == 0.001
    # after one step from (1, 2) on x² + y²: g = (2, 4), exp_avg = 0.1·g, exp_avg_sq = 0.001·g²
    assert first["exp_avg"] == pytest.approx([0.2, 0.4])
    assert first["exp_avg_sq"] == pytest.approx([0.004, 0.016])


def test_run_state_needs_json(scenario_file, capsys):
    assert main(["run", str(scenario_file), "--state", "--format", "csv"]) == 2
    assert capsys.readouterr().err.strip() == "gdstudio run: --state needs --format json"


def test_open_without_a_file_opens_the_app(monkeypatch):
    import gdstudio.ui.app

    opened = []
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(gdstudio.ui.app, "run_app", lambda file: opened.append(file) or 0)
    assert main(["open"]) == 0
    assert main(["open", "race.gdstudio.json"]) == 0
    assert main([]) == 0
    assert opened == [None, Path("race.gdstudio.json"), None]


@pytest.mark.parametrize("argv", [[], ["open"], ["export", "x.json", "-o", "x.gif"]])
def test_without_the_app_extra_one_line_says_which_extra_to_install(argv, monkeypatch, capsys):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "PySide6" else real_find_spec(name, *a))  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "PySide6" in err and "pip install 'gdstudio[app]'" in err


def test_diagnostics_name_the_versions_and_the_compiled_path(capsys):
    assert main(["diagnostics"]) == 0
    out = capsys.readouterr().out
    assert ["gdstudio:", __version__] in [line.split() for line in out.splitlines()]
    assert "NumPy:" in out and "Numba:" in out and "PySide6:" in out
    assert "Compiled path: loaded (Numba" in out
    assert f"{FUSED_MIN} starts × 100 steps of Adam in" in out
