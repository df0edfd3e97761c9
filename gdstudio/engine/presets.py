"""The built-in presets: one scenario per lesson of the seed articles.

They ship as JSON under ``resources/presets`` (package ``gdstudio.resources``)
and are read through importlib.resources, so they work from a wheel or a bundle.
A preset's scenario is built when it is first used: listing the presets (the
app's menu at start-up) reads only their titles, so it never compiles a formula.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources import files
from typing import Any

from gdstudio.engine.scenario import Scenario


@dataclass(frozen=True)
class Preset:
    """A named scenario with the lesson it teaches."""

    key: str
    """File stem, e.g. ``01-learning-rate``."""
    data: Mapping[str, Any]
    """The preset file's JSON."""

    @cached_property
    def scenario(self) -> Scenario:
        """The scenario, validated on first use."""
        return Scenario.from_dict(self.data)

    @property
    def title(self) -> str:
        """Menu text."""
        return self.data.get("title") or self.key

    @property
    def caption(self) -> str:
        """What to watch, one or two sentences."""
        return self.data.get("caption") or ""


@cache
def presets() -> tuple[Preset, ...]:
    """Every preset, in lesson order."""
    folder = files("gdstudio.resources").joinpath("presets")
    found = sorted((p for p in folder.iterdir() if p.name.endswith(".json")), key=lambda p: p.name)
    return tuple(Preset(p.name[: -len(".json")], json.loads(p.read_text("utf-8"))) for p in found)


def preset(key: str) -> Preset:
    """The preset with file stem ``key``; KeyError lists the valid keys."""
    for p in presets():
        if p.key == key:
            return p
    raise KeyError(f"unknown preset {key!r}; valid: {', '.join(p.key for p in presets())}")
