"""What to render: view, size, timing, camera orbit and overlays."""

from __future__ import annotations

import math
from dataclasses import dataclass

VIEWS = ("3d", "contour", "both")
DEFAULT_SECONDS = 10

STILL_OPTIONS = frozenset({"view", "size", "steps", "with_loss", "legend"})
"""The options of every format: what is drawn, at which size, up to which step."""
ANIMATION_OPTIONS = STILL_OPTIONS | {"fps", "steps_per_frame", "orbit_degrees"}
"""An animation's options add the timing of its frames and the camera's turn over them."""


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
