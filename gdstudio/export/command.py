"""``gdstudio export``: render a scenario to GIF, MP4 or PNG without a window.

The frames come from the app's own views, which need Qt and, for the 3D view,
an X server. The command first checks everything against the format registry
and the limits (bad input is answered at once, exit 2), then renders in a worker:
the same command run again with :data:`WORKER_ENV` set, in its own session (a
Ctrl-C reaches this process, which stops the worker once) and tied to this
process, so it ends when this one ends, even by ``kill -9``. A worker stopped by
a signal removes its temporary file, so nothing is left at the target. Without a
display the worker starts its own Xvfb, tied to it in turn: stopped after Qt's
objects are gone, or killed with the worker. The rendering itself is passed in by
the caller (the CLI), so this package never imports the ui; the scenario and
format modules load only when the command runs, since the CLI builds its parser
from this module at every start.
"""

from __future__ import annotations

import argparse
import atexit
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gdstudio.engine.errors import GdstudioError
from gdstudio.export.child_process import spawn_tied, stop
from gdstudio.export.display import NoDisplayError, find_xvfb, has_display, start_virtual_display
from gdstudio.export.errors import ExportError
from gdstudio.export.options import MAX_SIZE, MIN_SIZE, VIEWS, ExportOptions
from gdstudio.termination import check_terminated

if TYPE_CHECKING:
    from gdstudio.engine.scenario import Scenario
    from gdstudio.export.formats import ExportFormat

Progress = Callable[[int, int], bool]
Render = Callable[["Scenario", Path, ExportOptions, Progress | None], int]
"""``render(scenario, output, options, progress)``: draws and encodes the frames; raises ExportError."""

FLAGS = {"view": "--view", "size": "--size", "fps": "--fps", "steps": "--steps"}
"""The command's flag for each ExportOptions field it sets."""
WORKER_ENV = "GDSTUDIO_EXPORT_WORKER"
"""Set (to "1") in the environment of the process that renders."""


class ExportUsageError(GdstudioError):
    """A bad export option (size, fps, steps, or one the format does not take)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The export subcommand's arguments."""
    parser.add_argument("file", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="the file to write; its suffix picks the format")  # fmt: skip
    parser.add_argument(FLAGS["view"], choices=VIEWS, default="contour")
    parser.add_argument(FLAGS["size"], default="960x540", help="WxH in pixels")
    parser.add_argument(FLAGS["fps"], type=int, help="frames per second (animations; default 30)")
    parser.add_argument(FLAGS["steps"], type=int, help="override the scenario's step count")


def parse_size(text: str) -> tuple[int, int]:
    """'960x540' -> (960, 540); ExportUsageError on anything else."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ExportUsageError(f"--size must be WxH such as 960x540, got {text!r}") from None
    (w0, h0), (w1, h1) = MIN_SIZE, MAX_SIZE
    if not (w0 <= w <= w1 and h0 <= h <= h1):
        raise ExportUsageError(
            f"--size {w}x{h} is out of range ({w0}x{h0} to {w1}x{h1}: a smaller frame "
            "leaves the map no room beside the title, legend and colour bar)"
        )
    return w, h


def export_options(args: argparse.Namespace, fmt: ExportFormat) -> ExportOptions:
    """The options the arguments ask for; ExportUsageError on a bad or inapplicable one."""
    for option, flag in FLAGS.items():
        if getattr(args, option) is not None and not fmt.applies(option):
            raise ExportUsageError(f"{flag} does not apply to {fmt.suffix} output ({fmt.title})")
    if args.fps is not None and not 1 <= args.fps <= 120:
        raise ExportUsageError(f"--fps must be between 1 and 120, got {args.fps}")
    if args.steps is not None and args.steps < 0:
        raise ExportUsageError(f"--steps must be >= 0, got {args.steps}")
    given = {"fps": args.fps} if args.fps is not None else {}
    return ExportOptions(view=args.view, size=parse_size(args.size), steps=args.steps, **given)


def export_command(args: argparse.Namespace, render: Render) -> int:
    """Run the export subcommand; bad input raises GdstudioError (exit 2 in the CLI)."""
    from gdstudio.engine.scenario import load_scenario
    from gdstudio.export.formats import format_of

    try:
        fmt = format_of(args.output)
    except ExportError as exc:
        raise ExportUsageError(str(exc)) from None
    options = export_options(args, fmt)
    scenario = load_scenario(args.file)
    if args.steps is not None:
        scenario = scenario.with_steps(args.steps, "--steps")
    scenario.check_runnable(source=str(args.file))
    if fmt.animated:
        try:
            options.check_budget(scenario.steps)
        except ExportError as exc:
            raise ExportUsageError(str(exc)) from None
    if os.environ.get(WORKER_ENV) == "1":
        return _work(render, scenario, args.output, options)
    if not has_display() and options.view != "contour":
        try:
            find_xvfb()
        except NoDisplayError as exc:
            raise ExportUsageError(f"cannot render the {options.view} view: {exc}") from None
    return _supervise(args)


def _supervise(args: argparse.Namespace) -> int:
    """Run the worker and wait for it; if we are interrupted, stop it first."""
    child = ["export", str(args.file), "-o", str(args.output)]
    for option, flag in FLAGS.items():  # only the flags the user gave
        if getattr(args, option) is not None:
            child += [flag, str(getattr(args, option))]
    # A frozen bundle is its own interpreter; elsewhere run the package as a module.
    program = (
        [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "gdstudio"]
    )
    worker = spawn_tied([*program, *child], env={**os.environ, WORKER_ENV: "1"},
                        start_new_session=True)  # fmt: skip
    try:
        code = _wait(worker)
    except BaseException:
        stop(worker)
        raise
    return code if code >= 0 else 128 - code


def _wait(worker: subprocess.Popen) -> int:
    """The worker's exit status; Terminated if a signal asks us to stop first."""
    while True:
        check_terminated()
        try:
            return worker.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass


def _work(render: Render, scenario: Scenario, output: Path, options: ExportOptions) -> int:
    """Render in this process, on a private X server when there is no display."""
    if not has_display():
        try:
            xvfb = start_virtual_display()
        except NoDisplayError:
            print("gdstudio: no X server: rendering the contour view without OpenGL",
                  file=sys.stderr)  # fmt: skip
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        else:
            # Exit handlers run last-registered first: this one, registered before Qt
            # is imported, stops the X server after PySide's has destroyed Qt's objects.
            atexit.register(stop, xvfb, 5.0)
    return _render(render, scenario, output, options)


def _render(render: Render, scenario: Scenario, output: Path, options: ExportOptions) -> int:
    bar = ProgressBar("exporting")

    def progress(done: int, total: int) -> bool:
        check_terminated()
        return bar.update(done, total)

    try:
        check_terminated()
        render(scenario, output, options, progress)
    except ExportError as exc:
        raise ExportUsageError(str(exc)) from None
    finally:
        bar.finish()
    return 0


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.shown = sys.stderr.isatty()

    def update(self, done: int, total: int) -> bool:
        """Show ``done`` of ``total``; always True (go on)."""
        if self.shown:
            width = 30
            filled = width * done // max(total, 1)
            sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{done}/{total}")  # fmt: skip
            sys.stderr.flush()
        return True

    def finish(self) -> None:
        """End the bar's line."""
        if self.shown:
            sys.stderr.write("\n")
