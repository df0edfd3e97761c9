"""What an export renders: view, size, timing, camera orbit, overlays, and the most one
export may render.

Kept apart from the Qt rendering code so the command line can plan and check
an export (and answer bad options at once) without loading Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gdstudio.export.errors import ExportError

VIEWS = ("3d", "contour", "both")
DEFAULT_SECONDS = 10
MAX_FRAMES = 3600
"""Most frames one export renders (two minutes at 30 fps)."""
MAX_PIXELS = 4 * 10**9
"""Most pixels, frames × width × height, one export renders (a GIF holds them all in memory)."""

STILL_OPTIONS = frozenset({"view", "size", "steps", "with_loss", "legend"})
"""The options of every format: what is drawn, at which size, up to which step."""
ANIMATION_OPTIONS = STILL_OPTIONS | {"fps", "steps_per_frame", "orbit_degrees"}
"""An animation's options add the timing of its frames and the camera's turn over them."""


MIN_SIZE = (640, 360)
"""The smallest frame a user may ask for: smaller ones leave the map a sliver beside the
title, legend and colour bar (at 320×180 it was 10 px tall), and squeeze both views'
axis labels into each other."""
MAX_SIZE = (7680, 4320)
"""The largest frame a user may ask for (8K)."""


@dataclass(frozen=True)
class ExportOptions:
    """What to render: view, size, timing, camera orbit and overlays."""

    view: str = "contour"
    size: tuple[int, int] = (960, 540)
    fps: int = 30
    steps: int | None = None
    """Steps to animate (default: the scenario's)."""
    steps_per_frame: int | None = None
    """Default: as many as keep the animation near ten seconds."""
    orbit_degrees: float = 0.0
    """Total turn of the 3D camera over the animation."""
    with_loss: bool = False
    legend: bool = True

    def frame_steps(self, total_steps: int) -> list[int]:
        """The race step shown by each frame (the last frame shows the last step)."""
        per = self.steps_per_frame or max(1, math.ceil(total_steps / (self.fps * DEFAULT_SECONDS)))
        steps = list(range(0, total_steps + 1, per))
        if steps[-1] != total_steps:
            steps.append(total_steps)
        return steps

    def check_budget(self, total_steps: int) -> None:
        """ExportError when animating ``total_steps`` steps is more than one export renders."""
        frames = len(self.frame_steps(total_steps))
        width, height = self.size
        if frames > MAX_FRAMES or frames * width * height > MAX_PIXELS:
            raise ExportError(
                f"{frames} frames of {width}x{height} is more than one export renders "
                f"(at most {MAX_FRAMES} frames and {MAX_PIXELS // 10**9} gigapixels): "
                "show more steps per frame, or use fewer steps or a smaller size"
            )
