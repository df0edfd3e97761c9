"""The ``gdstudio`` command line.

Bad input never gives a traceback: it prints one line on stderr and exits with
status 2. Heavy imports (Qt, sympy) happen only in the commands that need them,
so ``gdstudio list`` and ``gdstudio run`` start fast. ``run`` and ``export``
stop between units of work on SIGINT, SIGTERM or SIGHUP (exit status 128 + the
signal's number) and leave no temporary file behind.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gdstudio import __version__
from gdstudio.termination import Terminated, check_terminated, signals_deferred

if TYPE_CHECKING:
    import numpy as np

    from gdstudio.engine.analysis_results import BasinMap, SweepResult
    from gdstudio.engine.scenario import Scenario
    from gdstudio.export.command import Progress
    from gdstudio.export.options import ExportOptions

EXIT_BAD_INPUT = 2
LISTS = ("functions", "optimizers", "schedules", "datasets", "models")
RUN_CHUNK = 64
"""Steps ``run`` makes between looks at whether a signal asked it to stop."""
APP_MODULES = ("PySide6", "pyqtgraph", "OpenGL", "PIL", "imageio_ffmpeg")
"""What the ``[app]`` extra installs, by import name: the window and the exporter need them."""


class UsageError(Exception):
    """Bad command-line usage; the message is printed as is."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one line and exit status 2, no usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(prog="gdstudio", description="Watch gradient-descent optimizers race.")
    parser.add_argument("--version", action="version", version=f"gdstudio {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p_open = sub.add_parser("open", help="open the app, on a scenario file if one is given")
    p_open.add_argument("file", type=Path, nargs="?")

    p_run = sub.add_parser("run", help="run a scenario headless and print the result")
    p_run.add_argument("file", type=Path)
    p_run.add_argument("--steps", type=int, help="override the scenario's step count")
    p_run.add_argument("--format", choices=("json", "csv"), default="json")
    p_run.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    p_run.add_argument("--state", action="store_true",
                       help="add each run's optimizer state after every step (JSON only)")  # fmt: skip

    from gdstudio.export.command import add_arguments as add_export_arguments

    add_export_arguments(sub.add_parser("export", help="render a scenario to GIF, MP4 or PNG"))

    from gdstudio.export.analysis import add_basins_arguments, add_sweep_arguments

    add_basins_arguments(
        sub.add_parser(
            "basins", help="where every start of a grid ends up, per optimizer: PNG, CSV or NPZ"
        )
    )
    add_sweep_arguments(sub.add_parser(
        "sweep", help="one optimizer at every setting of one or two hyperparameters"))  # fmt: skip

    p_list = sub.add_parser("list", help="list built-in functions, optimizers, ...")
    p_list.add_argument("what", choices=LISTS)
    sub.add_parser("demo", help="run a small race headless and print a table")
    sub.add_parser("diagnostics", help="print versions and whether big races are compiled")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    from gdstudio.engine.errors import GdstudioError

    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(args_list)
        return _dispatch(args)
    except (UsageError, GdstudioError) as exc:
        print(f"gdstudio: {_one_line(exc)}" if isinstance(exc, GdstudioError) else exc,
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except Terminated as exc:
        return 128 + exc.signum


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        with signals_deferred():
            return _cmd_run(args)
    if args.command == "list":
        print(format_list(args.what))
        return 0
    if args.command == "demo":
        print(demo_table())
        return 0
    if args.command == "diagnostics":
        from gdstudio import diagnostics

        timing = diagnostics.probe_compiled_path()
        print(diagnostics.format_report([*diagnostics.report(), ("Big race", timing)]))
        return 0
    require_app_extra()
    if args.command == "export":
        from gdstudio.export.command import export_command

        with signals_deferred():
            return export_command(args, _render_export)
    if args.command in ("basins", "sweep"):
        from gdstudio.export import analysis

        command = analysis.basins_command if args.command == "basins" else analysis.sweep_command
        with signals_deferred():
            return command(args, _analysis_png)
    return _cmd_app(args.file if args.command == "open" else None)


def require_app_extra() -> None:
    """Refuse, in one line, to start what needs the ``[app]`` extra when it is not installed."""
    missing = [name for name in APP_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"gdstudio: the app needs the [app] extra ({', '.join(missing)} "
                         f"missing): pip install 'gdstudio[app]'")  # fmt: skip


def _cmd_run(args: argparse.Namespace) -> int:
    from gdstudio.engine.errors import ScenarioError
    from gdstudio.engine.files import atomic_write_text
    from gdstudio.engine.results import run_records, to_csv, to_json
    from gdstudio.engine.scenario import load_scenario

    if args.state and args.format != "json":
        raise UsageError("gdstudio run: --state needs --format json")
    scenario = load_scenario(args.file)
    if args.steps is not None:
        scenario = scenario.with_steps(args.steps, "--steps")
    scenario.check_runnable(source=str(args.file))
    race = scenario.race()
    while not race.done:
        race.step(RUN_CHUNK)
        check_terminated()
    records = run_records(scenario, race, state=args.state)
    check_terminated()
    text = to_json(records) if args.format == "json" else to_csv(records)
    check_terminated()
    if args.output is None:
        _write_stdout(text)
        return 0
    try:
        atomic_write_text(args.output, text)
    except OSError as exc:
        raise ScenarioError("", f"{args.output}: cannot write: {exc.strerror or exc}") from None
    return 0


def _write_stdout(text: str) -> None:
    """Results are UTF-8 whatever the terminal's locale (a label may be any text)."""
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    binary.write(text.encode("utf-8"))
    binary.flush()


def format_list(what: str) -> str:
    """The text of ``gdstudio list WHAT``: one line per item with what it is for."""
    rows: list[tuple[str, str]] = []
    if what == "functions":
        from gdstudio.engine.functions import FUNCTIONS

        rows = [(name, f"{spec.description}; {_minima_text(spec.minima)}")
                for name, spec in FUNCTIONS.items()]  # fmt: skip
    elif what == "optimizers":
        from gdstudio.engine.optimizers import OPTIMIZERS

        rows = [
            (name, ", ".join(f"{h.name}={_fmt(h.default)}" for h in spec.hyperparams))
            for name, spec in OPTIMIZERS.items()
        ]
    elif what == "schedules":
        from gdstudio.engine.schedules import SCHEDULES

        rows = [(name, spec.description) for name, spec in SCHEDULES.items()]
    elif what == "datasets":
        from gdstudio.engine.datasets import DATASETS

        rows = [(name, spec.description) for name, spec in DATASETS.items()]
    elif what == "models":
        from gdstudio.engine.models import MODELS

        rows = [(name, spec.description) for name, spec in MODELS.items()]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {text}" for name, text in rows)


def _minima_text(minima: np.ndarray) -> str:
    """A function's known minima in order (the basin numbers of ``gdstudio basins``)."""
    points = [f"{i}: ({x:.6g}, {y:.6g})" for i, (x, y) in enumerate(minima.tolist())]
    return "minima " + ", ".join(points) if points else "no minimum"


def _fmt(value: object) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return repr(value) if not isinstance(value, float) else f"{value:g}"


def demo_table() -> str:
    """A small race (Adam, momentum, plain SGD on Rosenbrock) as a text table."""
    from gdstudio.engine.scenario import Scenario
    from gdstudio.engine.stop import Status

    scenario = Scenario.from_dict(
        {
            "surface": {"function": "rosenbrock"},
            "optimizers": [
                {"name": "sgd", "lr": 0.001, "label": "SGD"},
                {"name": "sgd", "lr": 0.001, "momentum": 0.9, "label": "SGD + momentum"},
                {"name": "adam", "lr": 0.05, "label": "Adam"},
                {"name": "newton", "label": "Newton"},
            ],
            "starts": [[-1.5, 2.0]],
            "steps": 500,
        }
    )
    race = scenario.race()
    race.run()
    lines = [
        "Rosenbrock from (-1.5, 2.0), 500 steps; the minimum is f(1, 1) = 0",
        f"{'optimizer':<16} {'status':<10} {'steps':>5} {'x':>9} {'y':>9} {'loss':>11}",
    ]
    pos, loss = race.positions, race.loss
    for r in range(race.n_runners):
        k = int(race.counts[r]) - 1
        lines.append(
            f"{scenario.optimizers[race.runner_entry(r)].display_label():<16} "
            f"{Status(int(race.status[r])).label:<10} {k:>5} "
            f"{pos[r, 0]:>9.4f} {pos[r, 1]:>9.4f} {loss[k, r]:>11.3e}"
        )
    return "\n".join(lines)


def _render_export(
    scenario: Scenario, output: Path, options: ExportOptions, progress: Progress | None
) -> int:
    """Draw the frames with the app's own views and encode them (Qt loads only here)."""
    from gdstudio.ui.export.canvas import export_scenario
    from gdstudio.ui.qt_setup import make_app

    make_app(["gdstudio-export"])
    return export_scenario(scenario, output, options, progress)


def _analysis_png(result: BasinMap | SweepResult) -> bytes:
    """The app's picture of a basin map or a sweep, as PNG bytes (Qt loads only here)."""
    from gdstudio.engine.errors import AnalysisError

    try:
        from gdstudio.ui.export.figures import analysis_png
    except ImportError as exc:
        raise AnalysisError(f"PNG output needs the app's packages ({exc.name} is missing: "
                            "pip install 'gdstudio[app]'); CSV and NPZ do not") from None  # fmt: skip
    return analysis_png(result)


def _cmd_app(file: Path | None) -> int:
    """Open the desktop app, or explain how when there is no display."""
    no_display = (
        not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and os.environ.get("QT_QPA_PLATFORM") not in ("offscreen", "xcb")
        and sys.platform.startswith("linux")
    )
    if no_display:
        print(
            "gdstudio: no display found, so the app cannot open here.\n"
            "  Run it under a virtual X server:  xvfb-run -a -s '-screen 0 1600x1000x24' gdstudio\n"
            "  Or headless:  gdstudio run SCENARIO.json, gdstudio export SCENARIO.json -o race.gif\n"
            "Meanwhile, a headless demo race:\n",
            file=sys.stderr,
        )
        print(demo_table())
        return 0
    from gdstudio.ui.app import run_app

    return run_app(file)
