"""``gdstudio export``: render a scenario to GIF, MP4 or PNG without a window."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from gdstudio.engine.errors import GdstudioError
from gdstudio.engine.scenario import load_scenario
from gdstudio.export.display import NoDisplayError, has_display, virtual_display
from gdstudio.export.encoders import ExportError, format_of

EXIT_BAD_INPUT = 2


class ExportUsageError(GdstudioError):
    """A bad export option (size, fps, steps)."""


def parse_size(text: str) -> tuple[int, int]:
    """'960x540' -> (960, 540); ExportUsageError on anything else."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ExportUsageError(f"--size must be WxH such as 960x540, got {text!r}") from None
    if not (16 <= w <= 7680 and 16 <= h <= 4320):
        raise ExportUsageError(f"--size {w}x{h} is out of range (16x16 to 7680x4320)")
    return w, h


def export_command(args: argparse.Namespace) -> int:
    """Run the export subcommand; bad input raises GdstudioError (exit 2 in the CLI)."""
    fmt = _checked_format(args.output)
    size = parse_size(args.size)
    if not 1 <= args.fps <= 120:
        raise ExportUsageError(f"--fps must be between 1 and 120, got {args.fps}")
    if args.steps is not None and args.steps < 0:
        raise ExportUsageError(f"--steps must be >= 0, got {args.steps}")
    scenario = load_scenario(args.file)
    if args.steps is not None:
        scenario = scenario.with_changes(steps=args.steps)
    view = args.view
    if has_display():
        return _render(scenario, args.output, fmt, view, size, args.fps)
    try:
        with virtual_display():
            # Qt renders in a child process that ends before our Xvfb stops.
            child = ["export", str(args.file), "-o", str(args.output), "--view", view,
                     "--size", args.size, "--fps", str(args.fps)]  # fmt: skip
            if args.steps is not None:
                child += ["--steps", str(args.steps)]
            # A frozen bundle is its own interpreter; elsewhere run the package as a module.
            program = (
                [sys.executable]
                if getattr(sys, "frozen", False)
                else [sys.executable, "-m", "gdstudio"]
            )
            return subprocess.run([*program, *child]).returncode
    except NoDisplayError as exc:
        if view != "contour":
            raise ExportUsageError(f"cannot render the {view} view: {exc}") from None
        print("gdstudio: no X server: rendering the contour view without OpenGL", file=sys.stderr)
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        return _render(scenario, args.output, fmt, view, size, args.fps)


def _checked_format(path: Path) -> str:
    try:
        return format_of(path)
    except ExportError as exc:
        raise ExportUsageError(str(exc)) from None


def _render(scenario, output: Path, fmt: str, view: str, size, fps: int) -> int:
    from gdstudio.export.render import ExportOptions, export_scenario
    from gdstudio.ui.qt_setup import make_app

    make_app(["gdstudio-export"])
    options = ExportOptions(view=view, size=size, fps=fps)
    bar = _ProgressBar() if sys.stderr.isatty() else None
    try:
        export_scenario(scenario, output, options, progress=bar.update if bar else None)
    except ExportError as exc:
        raise ExportUsageError(str(exc)) from None
    finally:
        if bar:
            bar.finish()
    return 0


class _ProgressBar:
    """A one-line progress bar on stderr."""

    def __init__(self) -> None:
        self.total = 1

    def update(self, done: int, total: int) -> bool:
        self.total = total
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\rexporting [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        return True

    def finish(self) -> None:
        sys.stderr.write("\n")
