"""Render every preset as the app draws it, for docs/presets: a picture and its caption each.

python packaging/preset_gallery.py OUT_DIR   (needs a display: run it through preset_gallery.sh)

Each picture is an export frame (both views, the loss plot and the legend) at the step
that shows the lesson best (:data:`TELLING_STEP`, else the race's last step), written as
OUT_DIR/NN-name.png; OUT_DIR/README.md shows them with their captions.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gdstudio.ui.qt_setup import make_app

SIZE = (1280, 800)
TELLING_STEP = {
    "01-learning-rate": 11,  # crawling, landed, zig-zagging in, bouncing (at its far end), gone
    "09-exploding": 150,  # the thrown run's path and cross, the others under way
    "11-adam-vs-sgd": 400,  # all four apart along the valley: crawling, hopping, running
}
"""Presets whose lesson shows best before the race's last step."""


def render(out_dir: Path, keys: set[str] | None = None) -> list[tuple[str, str, str]]:
    """Write each preset's picture (or those of ``keys``); returns (file name, title,
    caption) per preset."""
    from gdstudio.engine.presets import presets
    from gdstudio.export.formats.base import pil_image
    from gdstudio.export.options import ExportOptions
    from gdstudio.ui.export.canvas import ExportCanvas

    out_dir.mkdir(parents=True, exist_ok=True)
    options = ExportOptions(view="both", size=SIZE, with_loss=True, legend=True)
    shown = []
    for p in presets():
        if keys is not None and p.key not in keys:
            continue
        canvas = ExportCanvas(p.scenario, options)
        try:
            canvas.views.set_anatomy_shown(False)  # the lesson, not one step's arrows
            last = canvas.run_race(p.scenario.steps)
            frame = canvas.frame(min(TELLING_STEP.get(p.key, last), last))
        finally:
            canvas.close()
            canvas.deleteLater()
        name = f"{p.key}.png"
        # Lossless (about 250 kB each): a palette bands the shaded 3D surface and the fills.
        pil_image(frame).save(out_dir / name, optimize=True)  # frames are B, G, R, 255
        shown.append((name, p.title, p.caption))
        print(f"{name}: step {min(TELLING_STEP.get(p.key, last), last)}", flush=True)
    return shown


def readme(shown: list[tuple[str, str, str]]) -> str:
    """The gallery page: each preset's title, picture and caption, in lesson order."""
    lines = [
        "# The presets, as the app draws them",
        "",
        "Made by `packaging/preset_gallery.sh` from the presets in `resources/presets`:",
        "the 3D view, the contour map and the loss plot of each race, at the step that",
        "shows its lesson. Regenerate them whenever a view or a preset changes.",
        "",
    ]
    for name, title, caption in shown:
        lines += [f"## {title}", "", f"![{title}]({name})", "", caption, ""]
    return "\n".join(lines)


def main(out: str) -> None:
    """Render the gallery into ``out``."""
    make_app(["gdstudio"])
    out_dir = Path(out)
    shown = render(out_dir)
    (out_dir / "README.md").write_text(readme(shown), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
