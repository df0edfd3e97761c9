"""``gdstudio basins`` and ``gdstudio sweep``: the contract's files, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from gdstudio.cli import main
from gdstudio.engine.basins import scenario_basin_map
from gdstudio.engine.scenario import Scenario
from gdstudio.ui.views.analysis_colors import basin_rgba

WELL = {
    "surface": {"function": "double_well"},
    "optimizers": [{"name": "sgd", "lr": 0.1, "label": "GD"}, {"name": "adam", "lr": 0.05}],
    "starts": [[0.5, 0.5], [-1.5, 1.0]],
    "steps": 200,
}


@pytest.fixture
def well(tmp_path):
    path = tmp_path / "well.json"
    path.write_text(json.dumps(WELL))
    return path


def rows_of(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_basins_csv_holds_every_start_of_every_optimizer(well, tmp_path):
    out = tmp_path / "map.csv"
    assert main(["basins", str(well), "-o", str(out), "--resolution", "8"]) == 0
    rows = rows_of(out)
    assert list(rows[0]) == ["optimizer", "label", "x", "y", "end_x", "end_y", "status", "steps",
                             "basin"]  # fmt: skip
    assert len(rows) == 2 * 64
    expected = scenario_basin_map(Scenario.from_dict(WELL), 8)
    for i, row in enumerate(rows[:64]):
        r, c = divmod(i, 8)
        assert (row["optimizer"], row["label"]) == ("sgd", "GD")
        assert (float(row["x"]), float(row["y"])) == (expected.xs[c], expected.ys[r])
        assert float(row["end_x"]) == expected.end[0, r, c, 0]
        assert int(row["basin"]) == expected.basin[0, r, c] == (1 if float(row["x"]) < 0 else 0)
    assert {row["optimizer"] for row in rows[64:]} == {"adam"}


def test_basins_options_one_optimizer_steps_and_domain(well, tmp_path):
    out = tmp_path / "map.npz"
    argv = ["basins", str(well), "-o", str(out), "--resolution", "4", "--optimizer", "1",
            "--steps", "3", "--domain", "0,1,-1,1"]  # fmt: skip
    assert main(argv) == 0
    archive = np.load(out)
    assert archive["end"].shape == (1, 4, 4, 2) and list(archive["optimizers"]) == ["adam"]
    np.testing.assert_array_equal(archive["xs"], [0.125, 0.375, 0.625, 0.875])
    np.testing.assert_array_equal(archive["ys"], [-0.75, -0.25, 0.25, 0.75])
    assert archive["steps"].max() == 3 and int(archive["max_steps"]) == 3


def test_basins_png_is_the_apps_picture(well, tmp_path):
    out = tmp_path / "map.png"
    assert main(["basins", str(well), "-o", str(out), "--resolution", "16"]) == 0
    picture = np.asarray(Image.open(out).convert("RGB"))
    assert picture.shape[1] > 600 and picture.shape[0] > 300  # two panels and a legend
    expected = scenario_basin_map(Scenario.from_dict(WELL), 16)
    colors = {tuple(c) for c in basin_rgba(expected, 0)[..., :3].reshape(-1, 3).tolist()}
    seen = {tuple(c) for c in picture.reshape(-1, 3).tolist()}
    assert colors <= seen  # every colour of the map is drawn


def test_sweep_csv_two_axes_and_every_start(well, tmp_path):
    out = tmp_path / "sweep.csv"
    argv = ["sweep", str(well), "--optimizer", "0", "--x", "lr=0.01:1:log:3",
            "--y", "momentum=0:0.5:2", "--metric", "steps_to_converge", "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    rows = rows_of(out)
    assert list(rows[0]) == ["x_value", "y_value", "start_x", "start_y", "status", "steps",
                             "final_loss", "metric"]  # fmt: skip
    assert len(rows) == 3 * 2 * 2
    assert [float(r["x_value"]) for r in rows[:6:2]] == [0.01, 0.1, 1.0]
    assert {r["y_value"] for r in rows[:6]} == {"0.0"} and {r["y_value"] for r in rows[6:]} == {
        "0.5"
    }
    for row in rows:
        steps = float(row["metric"])
        assert (steps == int(row["steps"])) if row["status"] == "converged" else np.isnan(steps)


def test_sweep_png_and_npz(well, tmp_path):
    for suffix in ("png", "npz"):
        out = tmp_path / f"sweep.{suffix}"
        argv = ["sweep", str(well), "--optimizer", "1", "--x", "betas[0]=0.5:0.95:4",
                "-o", str(out), "--steps", "20"]  # fmt: skip
        assert main(argv) == 0
    archive = np.load(tmp_path / "sweep.npz")
    np.testing.assert_allclose(archive["x_values"], [0.5, 0.65, 0.8, 0.95])
    assert archive["metric"].shape == (1, 4, 2) and archive["steps"].max() == 20
    assert Image.open(tmp_path / "sweep.png").size[0] > 600


BAD = [
    ("suffix", ["basins", "{well}", "-o", "{tmp}/out.txt"], "-o must end in .png, .csv, .npz"),
    ("resolution", ["basins", "{well}", "-o", "{tmp}/o.csv", "--resolution", "0"], "--resolution"),
    ("optimizer", ["basins", "{well}", "-o", "{tmp}/o.csv", "--optimizer", "2"], "--optimizer"),
    ("domain", ["basins", "{well}", "-o", "{tmp}/o.csv", "--domain", "1,0,0,1"], "--domain"),
    ("domain text", ["basins", "{well}", "-o", "{tmp}/o.csv", "--domain", "a,b"], "X0,X1,Y0,Y1"),
    ("steps", ["basins", "{well}", "-o", "{tmp}/o.csv", "--steps", "-1"], "--steps: must be at least 0"),
    ("no starts", ["basins", "{empty}", "-o", "{tmp}/o.csv"], "empty.json: starts: is empty"),
    ("file", ["basins", "{tmp}/nope.json", "-o", "{tmp}/o.csv"], "nope.json: no such file"),
    ("axis", ["sweep", "{well}", "--optimizer", "0", "--x", "lr=1:2", "-o", "{tmp}/o.csv"],
     "--x: expected NAME=LO:HI"),
    ("name", ["sweep", "{well}", "--optimizer", "0", "--x", "beta=0:1:2", "-o", "{tmp}/o.csv"],
     "sgd has no hyperparameter 'beta' to sweep"),
    ("value", ["sweep", "{well}", "--optimizer", "1", "--x", "betas[1]=0.5:1:2", "-o",
               "{tmp}/o.csv"], "betas[1]=1.0: Invalid beta parameter at index 1"),
    ("metric", ["sweep", "{well}", "--optimizer", "0", "--x", "lr=0.1:1:2", "--metric", "speed",
                "-o", "{tmp}/o.csv"], "unknown metric 'speed'"),
    ("sweep optimizer", ["sweep", "{well}", "--optimizer", "9", "--x", "lr=0.1:1:2", "-o",
                         "{tmp}/o.csv"], "--optimizer must be between 0 and 1"),
    ("no dir", ["sweep", "{well}", "--optimizer", "0", "--x", "lr=0.1:1:2", "-o",
                "{tmp}/no/o.csv"], "cannot write"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "argv", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_with_one_line_and_no_file(case, argv, fragment, well, tmp_path, capsys):
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({**WELL, "starts": []}))
    argv = [a.format(well=well, tmp=tmp_path, empty=empty) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert fragment in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.json", "well.json"]


def test_list_functions_numbers_the_known_minima_as_basins_does(capsys):
    assert main(["list", "functions"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["double_well"].endswith("minima 0: (1, 0), 1: (-1, 0)")
    assert lines["saddle"].endswith("no minimum")
    assert "3: (3.58443, -1.84813)" in lines["himmelblau"]


def test_sigterm_stops_a_long_basin_map_with_no_file_left(tmp_path):
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps({**WELL, "steps": 10**6, "stop": {"grad_tol": 0}}))
    out = tmp_path / "map.csv"
    proc = subprocess.Popen([sys.executable, "-m", "gdstudio", "basins", str(slow), "-o", str(out)],
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    time.sleep(3)  # loading, then racing
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.json"]
