"""What the engine offers, described: the tables of surfaces, optimizers, schedules, datasets, models.

Each table maps a name to its spec: title, description (the lesson it teaches)
and parameter table with torch's names, defaults and valid ranges. The app's
menus and forms are built from these tables; this module is the one door to
them for the ui's views and panels, which use no other part of the engine but
its errors and types (the import contract in ``pyproject.toml`` checks that).
"""

from __future__ import annotations

from gdstudio.engine.datasets import DATASETS, DatasetSpec
from gdstudio.engine.functions import FUNCTIONS, FunctionSpec
from gdstudio.engine.models import MODELS, ModelSpec
from gdstudio.engine.optimizers import OPTIMIZERS, OptimizerSpec
from gdstudio.engine.schedules import SCHEDULES, ScheduleSpec

__all__ = [
    "DATASETS",
    "FUNCTIONS",
    "MODELS",
    "OPTIMIZERS",
    "SCHEDULES",
    "DatasetSpec",
    "FunctionSpec",
    "ModelSpec",
    "OptimizerSpec",
    "ScheduleSpec",
]
