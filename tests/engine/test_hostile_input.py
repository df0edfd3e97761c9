"""Hostile input: the only outcomes are a scenario or the project's own error naming the field.

Generated trees (deep, wide, wrong types, huge and non-finite numbers, lone
surrogates) go to scenario reading and to ``gdstudio run``; then one test per
class of input that used to give a traceback, a hang or unbounded work.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from gdstudio.cli import main
from gdstudio.engine import race as race_module
from gdstudio.engine.errors import ScenarioError
from gdstudio.engine.files import MAX_DEPTH, atomic_write_bytes, read_json
from gdstudio.engine.scenario import MAX_POINTS, Scenario, load_scenario
from gdstudio.engine.stop import Status
from gdstudio.termination import Terminated
from tests.hostile_json import BASES, hostile_scenarios

GOOD = BASES[0]
ANSWER_WITHIN = 2.0
"""Seconds the CLI may take to refuse bad input."""


def assert_own_error(exc: ScenarioError, tree: object) -> None:
    """A ScenarioError a user can read: a field path for any object, one printable line."""
    text = str(exc)
    assert isinstance(exc.field, str)
    if isinstance(tree, dict):
        assert exc.field, text
    text.encode("utf-8")  # no lone surrogate leaks into a message
    assert "\n" not in text and len(text) < 2000, text


def run_cli(argv: list[str]) -> tuple[int, str, float]:
    """``gdstudio ARGV`` in this process: exit status, stderr and seconds taken."""
    err = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue(), time.perf_counter() - start


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_scenarios())
def test_reading_any_tree_gives_a_scenario_that_races_or_a_field_error(tree):
    try:
        scenario = Scenario.from_dict(tree)
    except ScenarioError as exc:
        assert_own_error(exc, tree)
        return
    scenario.with_steps(3).race().run()  # what reads, races


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_scenarios())
def test_gdstudio_run_on_any_file_writes_results_or_one_line_naming_the_file(tree):
    with tempfile.TemporaryDirectory() as folder:
        file, out = Path(folder, "s.json"), Path(folder, "out.json")
        file.write_text(json.dumps(tree))
        code, err, _ = run_cli(["run", str(file), "--steps", "3", "-o", str(out)])
        left = sorted(p.name for p in Path(folder).iterdir())
    if code == 0:
        assert err == ""
        assert left == ["out.json", "s.json"]
        return
    assert code == 2, err
    assert err.startswith(f"gdstudio: {file}: ") and err.count("\n") == 1, err
    assert left == ["s.json"]


# ---------------------------------------------------------------- one test per class
HUGE = "1" + "0" * 400  # an integer literal past float range
LONG = "9" * 5000  # past Python's 4300-digit limit for int()


def good_with(path: str, value: object) -> dict:
    """GOOD with the field at dotted ``path`` (list indices as numbers) set to ``value``."""
    data = json.loads(json.dumps(GOOD))
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = data
    for p in parents:
        node = node[p]
    node[last] = value
    return data


def text_with(path: str, literal: str) -> str:
    """GOOD as JSON text with the field at ``path`` written as the raw ``literal``."""
    return json.dumps(good_with(path, "@@")).replace('"@@"', literal)


INLINE = {"surface": {"dataset": {"X": [[1.0], [2.0]], "y": [0.0, 1.0]},
                      "model": "linear_regression"},
          "optimizers": [{"name": "sgd"}], "starts": [[0, 0]]}  # fmt: skip
BAD_FILES = [
    ("deep arrays", "[" * 100_000 + "]" * 100_000, f"nested more than {MAX_DEPTH} levels"),
    ("deep objects", '{"a":' * 100_000 + "1" + "}" * 100_000, "nested more than"),
    ("huge start", text_with("starts.0.0", HUGE), "starts[0][0]: must be a finite number"),
    ("huge lr", text_with("optimizers.0.lr", HUGE), "optimizers[0]: lr must be a finite number"),
    ("huge beta", text_with("optimizers.0.betas.1", HUGE), "optimizers[0]: betas must"),
    ("huge domain", text_with("surface.domain.0.1", HUGE), "surface.domain[0][1]: must be"),
    ("huge param", text_with("surface.params.a", HUGE), "surface.params.a: must be a finite"),
    ("huge max_abs", text_with("stop.max_abs", HUGE), "stop.max_abs: must be a finite number"),
    ("huge grad_tol", text_with("stop.grad_tol", f"-{HUGE}"), "stop.grad_tol: must be"),
    ("huge seed", text_with("seed", HUGE), "seed: must be a whole number"),
    ("huge step_size", text_with("optimizers.1.schedule.step_size", HUGE),
     "optimizers[1].schedule: schedule step: step_size must be a finite number"),
    ("huge inline X", json.dumps(INLINE).replace("2.0]]", f"{HUGE}]]"), "surface.dataset.X[1]"),
    ("huge inline y", json.dumps(INLINE).replace("1.0]}", f"{HUGE}]}}"), "surface.dataset.y[1]"),
    ("5000 digits", text_with("steps", LONG), "steps: must be a whole number"),
    ("5000 digits lr", text_with("optimizers.0.lr", "-" + LONG), "lr must be a finite number"),
    ("list as name", json.dumps(good_with("optimizers.0.name", [1])), "optimizers[0].name: unknown"),
    ("object as function", json.dumps(good_with("surface.function", {})),
     "surface.function: unknown function an object"),
    ("list as schedule", json.dumps(good_with("optimizers.1.schedule.name", ["step"])),
     "optimizers[1].schedule: unknown schedule a list"),
    ("object as model", json.dumps({**INLINE, "surface": {**INLINE["surface"], "model": {}}}),
     "surface.model: unknown model"),
    ("surrogate formula", json.dumps(good_with("surface", {"expression": "x**2 + \ud800"})),
     "surface.expression: the formula holds a broken character"),
    ("surrogate label", json.dumps(good_with("optimizers.0.label", "Adam \udfff")),
     "optimizers[0].label: holds a broken character"),
    ("surrogate title", json.dumps(good_with("title", "\ud800")), "title: holds a broken"),
    ("surrogate key", json.dumps(good_with("stop.\ud800", 1)), "stop['\\ud800']: unknown key"),
    ("domain of ±1e308", json.dumps(good_with("surface.domain", [[-1e308, 1e308], [-1, 1]])),
     "surface.domain[0]: bounds must lie within"),
    ("version true", json.dumps(good_with("version", True)), "version: unsupported version true"),
    ("version 1.0", json.dumps(good_with("version", 1.0)), "version: unsupported version 1.0"),
    ("no optimizer", json.dumps(good_with("optimizers", [])), "optimizers: is empty"),
    ("no start", json.dumps(good_with("starts", [])), "starts: is empty"),
    ("too much work", json.dumps(good_with("steps", 1_000_000)), f"the {MAX_POINTS} one command"),
    ("not UTF-8", b'{"title": "\xff"}', "not UTF-8 text"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "content", "fragment"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
@pytest.mark.parametrize("command", ["run", "export"])
def test_each_bad_file_is_one_line_and_exit_2_within_2_s(
    command, case, content, fragment, tmp_path
):
    file = tmp_path / "bad.json"
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content)
    out = tmp_path / ("out.csv" if command == "run" else "out.gif")
    argv = [command, str(file), "-o", str(out)] + (["--format", "csv"] if command == "run" else [])
    code, err, seconds = run_cli(argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"gdstudio: {file}: "), err
    assert fragment in err
    assert seconds < ANSWER_WITHIN
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def special_inputs(tmp_path: Path) -> list[tuple[str, str]]:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # opening it to read would block until a writer came
    folder = tmp_path / "folder.json"
    folder.mkdir()
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(17 * 2**20)
    return [("/dev/zero", "is not a regular file"), ("/dev/urandom", "is not a regular file"),
            (str(fifo), "is not a regular file"), (str(folder), "is a folder"),
            (str(big), "is larger than 16 MiB"), (str(tmp_path / "nope.json"), "no such file")]  # fmt: skip


@pytest.mark.parametrize("command", ["run", "export"])
def test_devices_pipes_folders_and_huge_files_are_refused_at_once(command, tmp_path):
    for path, fragment in special_inputs(tmp_path):
        code, err, seconds = run_cli([command, path, "-o", str(tmp_path / "out.png")])
        assert code == 2 and err.startswith(f"gdstudio: {path}: {fragment}"), err
        assert err.count("\n") == 1 and seconds < ANSWER_WITHIN


def test_the_whole_cli_answers_within_2_s(tmp_path):
    """The installed command, start-up included, on the inputs that used to hang or blow up."""
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "good.json").write_text(json.dumps(GOOD))
    for argv in (["run", "/dev/zero"], ["run", "/dev/urandom"], ["run", str(tmp_path / "deep.json")],
                 ["run", str(tmp_path / "good.json"), "--steps", "1000000000000"],
                 ["export", str(tmp_path / "good.json"), "-o", str(tmp_path / "x.gif"),
                  "--steps", "1000000000"]):  # fmt: skip
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "gdstudio", *argv], capture_output=True,
                              text=True, timeout=30)  # fmt: skip
        seconds = time.perf_counter() - start
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        assert seconds < ANSWER_WITHIN, (argv, seconds)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["run", "{good}", "--steps", "1000000000000"], "--steps: must be at most 1000000"),
        (["run", "{good}", "--steps", "-1"], "--steps: must be at least 0"),
        (["export", "{good}", "-o", "{tmp}/x.gif", "--steps", "1000000000"], "--steps: must be at most"),
        (["export", "{one}", "-o", "{tmp}/x.gif", "--steps", "1000000", "--size", "7680x4320",
          "--fps", "120"], "frames of 7680x4320 is more than one export renders"),
        (["export", "{many}", "-o", "{tmp}/x.mp4"], "points, more than"),
    ],
)  # fmt: skip
def test_command_line_overrides_obey_the_files_limits(argv, fragment, tmp_path):
    (tmp_path / "good.json").write_text(json.dumps(GOOD))
    (tmp_path / "one.json").write_text(json.dumps(BASES[1]))
    (tmp_path / "many.json").write_text(json.dumps(good_with("starts", [[0, 0]] * 30_000)))
    args = [a.format(tmp=tmp_path, **{f.stem: f for f in tmp_path.iterdir()}) for a in argv]
    code, err, seconds = run_cli(args)
    assert code == 2 and fragment in err and err.count("\n") == 1, err
    assert seconds < ANSWER_WITHIN
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.json", "many.json", "one.json"]


# ---------------------------------------------------------------- reading
def test_read_json_limits_depth_not_content(tmp_path):
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps({"s": "[[[[" * 100, "n": _nest(MAX_DEPTH - 1)}))
    assert read_json(ok)["s"].startswith("[[[[")  # brackets inside strings do not count
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps(_nest(MAX_DEPTH + 1)))
    with pytest.raises(ScenarioError, match="nested more than"):
        read_json(deep)


def _nest(depth: int) -> object:
    """``depth`` lists, one inside the other."""
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


def test_a_huge_integer_reads_as_infinity_and_is_refused_by_field(tmp_path):
    file = tmp_path / "s.json"
    file.write_text(text_with("steps", LONG))
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    assert info.value.field == "steps" and info.value.source == str(file)


# ---------------------------------------------------------------- writing
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    path.write_text(json.dumps(good_with("steps", 3)))
    return path


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_output_to_a_character_device_writes_through_and_leaves_it_a_device(tmp_path):
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the null device's numbers
    code, err, _ = run_cli(["run", str(good_file(tmp_path)), "-o", str(device)])
    assert code == 0, err
    assert stat.S_ISCHR(device.lstat().st_mode)
    assert device.lstat().st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.json", "null"]


def test_output_to_a_pipe_writes_through_or_says_nobody_reads(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, err, seconds = run_cli(["run", str(good_file(tmp_path)), "-o", str(fifo)])
    assert code == 2 and "nobody reading" in err and seconds < ANSWER_WITHIN, err
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    time.sleep(0.2)  # the reader has the pipe open
    code, err, _ = run_cli(["run", str(good_file(tmp_path)), "-o", str(fifo)])
    reader.join(timeout=10)
    assert code == 0, err
    assert json.loads(received[0])["runs"] and stat.S_ISFIFO(fifo.lstat().st_mode)


def test_output_through_a_link_keeps_the_link_and_a_folder_is_refused(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert run_cli(["run", str(good_file(tmp_path)), "-o", str(link)])[0] == 0
    assert link.is_symlink() and json.loads(real.read_text())["runs"]
    folder = tmp_path / "folder"
    folder.mkdir()
    code, err, _ = run_cli(["run", str(good_file(tmp_path)), "-o", str(folder)])
    assert code == 2 and "cannot write" in err and folder.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "good.json", "link.json",
                                                          "real.json"]  # fmt: skip


def test_a_signal_during_a_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def terminated(_fd: int) -> None:
        raise Terminated(15)

    monkeypatch.setattr(os, "fsync", terminated)
    with pytest.raises(Terminated):
        atomic_write_bytes(tmp_path / "out.json", b"{}")
    assert list(tmp_path.iterdir()) == []


def test_sigterm_stops_run_with_status_143_and_no_files(tmp_path):
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps({"surface": {"function": "quadratic"}, "optimizers": [
        {"name": "sgd", "lr": 1e-9}], "starts": [[1, 1]], "steps": 1_000_000,
        "stop": {"grad_tol": 0}}))  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "gdstudio", "run", str(slow), "-o",
                             str(tmp_path / "out.json")], stderr=subprocess.PIPE, text=True)  # fmt: skip
    time.sleep(1.0)
    proc.terminate()
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 143 and "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["slow.json"]


def test_results_on_stdout_are_utf8_whatever_the_locale(tmp_path):
    file = tmp_path / "s.json"
    file.write_text(json.dumps(good_with("optimizers.0.label", "Adam β → ∞")))
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    proc = subprocess.run([sys.executable, "-m", "gdstudio", "run", str(file), "--steps", "1",
                           "--format", "csv"], capture_output=True, env=env, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Adam β → ∞" in proc.stdout.decode("utf-8")


# ---------------------------------------------------------------- the settled stop rule
@pytest.mark.parametrize(
    ("compiled", "function", "start"),
    [(False, "goldstein_price", [-2.5, 2.5]), (True, "rosenbrock", [-30.0, 30.0])],
    ids=["numpy", "compiled"],
)
def test_a_loss_above_max_abs_is_not_divergence(compiled, function, start, monkeypatch):
    """A start whose loss is above 1e6 (Goldstein-Price near its corner, Rosenbrock far up
    its valley wall) but whose coordinates are small is a high loss, not a runaway runner."""
    monkeypatch.setattr(race_module, "FUSED_MIN", 1 if compiled else 10**12)
    scenario = Scenario.from_dict({
        "surface": {"function": function}, "optimizers": [{"name": "sgd", "lr": 1e-12}],
        "starts": [start], "steps": 5,
    })  # fmt: skip
    race = scenario.race()
    assert race.compiled == compiled
    assert race.objective.value(race.starts)[0] > scenario.stop.max_abs
    race.run()
    assert race.status.tolist() == [Status.MAX_STEPS] and race.counts.tolist() == [6]
