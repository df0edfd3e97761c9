"""``gdstudio basins`` and ``gdstudio sweep``: basin maps and sweeps to PNG, CSV or NPZ.

CSV and NPZ come from the engine's own writers. A PNG is the picture the app shows,
drawn by the ui; the CLI passes that drawing in (see ``Figure``), so this package
never imports the ui. Every file is written atomically, and bad input raises
:class:`~gdstudio.engine.errors.GdstudioError` (one line on stderr, exit status 2)
before anything is written.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gdstudio.engine.errors import AnalysisError
from gdstudio.termination import check_terminated

if TYPE_CHECKING:
    from gdstudio.engine.analysis_results import BasinMap, SweepResult
    from gdstudio.engine.scenario import Scenario

Figure = Callable[["BasinMap | SweepResult"], bytes]
"""``figure(result)``: the app's picture of a basin map or a sweep, as PNG bytes."""
SUFFIXES = (".png", ".csv", ".npz")


def add_basins_arguments(parser: argparse.ArgumentParser) -> None:
    """The basins subcommand's arguments."""
    parser.add_argument("file", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="OUT.png, OUT.csv or OUT.npz")  # fmt: skip
    parser.add_argument("--resolution", type=int, default=256, help="N: an N×N grid of starts")
    parser.add_argument("--optimizer", type=int, help="only the K-th optimizer (0-based)")
    parser.add_argument("--steps", type=int, help="override the scenario's step count")
    parser.add_argument("--domain", help="X0,X1,Y0,Y1 instead of the surface's domain")


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """The sweep subcommand's arguments."""
    parser.add_argument("file", type=Path)
    parser.add_argument("--optimizer", type=int, required=True,
                        help="the K-th optimizer of the scenario (0-based)")  # fmt: skip
    parser.add_argument("--x", required=True, metavar="NAME=LO:HI[:log]:N",
                        help="the hyperparameter on the x axis, e.g. lr=1e-4:1e-1:log:64")  # fmt: skip
    parser.add_argument("--y", metavar="NAME=LO:HI[:log]:N", help="a second one, on the y axis")
    # Checked by the sweep itself: the CLI's parser stays free of NumPy, for a fast start.
    parser.add_argument("--metric", default="final_loss",
                        help="final_loss, steps_to_converge or distance_to_min")  # fmt: skip
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="OUT.png, OUT.csv or OUT.npz")  # fmt: skip
    parser.add_argument("--steps", type=int, help="override the scenario's step count")


def basins_command(args: argparse.Namespace, figure: Figure) -> int:
    """Run ``gdstudio basins``."""
    from gdstudio.engine import basins

    suffix = _suffix(args.output)
    domain = None if args.domain is None else parse_domain(args.domain)
    scenario = _scenario(args)
    with _progress("basin map") as progress:
        result = basins.scenario_basin_map(scenario, args.resolution, args.optimizer, domain,
                                           progress=progress)  # fmt: skip
    _write(args.output, suffix, result, basins.to_csv, basins.to_npz, figure)
    return 0


def sweep_command(args: argparse.Namespace, figure: Figure) -> int:
    """Run ``gdstudio sweep``."""
    from gdstudio.engine import sweep

    suffix = _suffix(args.output)
    x = sweep.parse_axis(args.x, "--x")
    y = None if args.y is None else sweep.parse_axis(args.y, "--y")
    scenario = _scenario(args)
    with _progress("sweep") as progress:
        result = sweep.run_sweep(scenario, args.optimizer, x, y, args.metric, progress=progress)
    _write(args.output, suffix, result, sweep.to_csv, sweep.to_npz, figure)
    return 0


def parse_domain(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """'X0,X1,Y0,Y1' as ((X0, X1), (Y0, Y1)); AnalysisError on anything else."""
    try:
        x0, x1, y0, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise AnalysisError(
            f"--domain must be X0,X1,Y0,Y1 such as -2,2,-1,3, got {text!r}"
        ) from None
    if not all(math.isfinite(v) for v in (x0, x1, y0, y1)) or not (x0 < x1 and y0 < y1):
        raise AnalysisError(f"--domain must be finite with X0 < X1 and Y0 < Y1, got {text!r}")
    return (x0, x1), (y0, y1)


def _suffix(output: Path) -> str:
    suffix = output.suffix.lower()
    if suffix not in SUFFIXES:
        raise AnalysisError(f"-o must end in {', '.join(SUFFIXES)}, got {str(output)!r}")
    return suffix


def _scenario(args: argparse.Namespace) -> Scenario:
    """The scenario file, with ``--steps`` applied (held to the file's limit)."""
    from gdstudio.engine.scenario import load_scenario

    scenario = load_scenario(args.file)
    if args.steps is not None:
        scenario = scenario.with_steps(args.steps, "--steps")
    scenario.check_runnable(source=str(args.file), records=False)
    return scenario


def _write(output: Path, suffix: str, result: Any, to_csv: Callable[[Any], str],
           to_npz: Callable[[Any], bytes], figure: Figure) -> None:  # fmt: skip
    """Encode ``result`` as the suffix says and write it atomically."""
    from gdstudio.engine.files import atomic_write_bytes

    if suffix == ".csv":
        data = to_csv(result).encode("utf-8")
    elif suffix == ".npz":
        data = to_npz(result)
    else:
        data = figure(result)
    check_terminated()
    try:
        atomic_write_bytes(output, data)
    except OSError as exc:
        raise AnalysisError(f"{output}: cannot write: {exc.strerror or exc}") from None


class _progress:
    """While the races run: a progress bar on stderr (when it is a terminal), and a stop
    between steps when a signal asks for one."""

    def __init__(self, what: str) -> None:
        from gdstudio.export.command import ProgressBar

        self.bar = ProgressBar(what)

    def __enter__(self) -> Callable[[float], bool]:
        return self._update

    def _update(self, fraction: float) -> bool:
        check_terminated()
        return self.bar.update(round(fraction * 100), 100)

    def __exit__(self, *exc: object) -> None:
        self.bar.finish()
