"""A scenario's words follow what they describe: its title, caption and optimizer labels.

A preset's (or a file's) title and caption describe its surface and optimizers,
and some labels name a hyperparameter's value ("lr 0.01", "batch 4"). Once an
edit changes what they describe, the old words would be stale on screen, in the
saved file and in exported legends. :func:`retitled` gives the edited scenario
words that fit: a title made from its surface and optimizers, and a caption that
says where it came from ("Changed from the preset “Adam vs SGD on Rosenbrock”.").
Start points, labels and colours are not described by the words, so editing them
keeps the words as they are.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from gdstudio.engine.catalog import DATASETS, FUNCTIONS, MODELS
from gdstudio.engine.scenario import OptimizerConfig, Scenario

MAX_NAMED = 4
"""A generated title names at most this many optimizers, then says how many more."""
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.])")


def surface_title(surface: dict[str, Any]) -> str:
    """The surface in a few words: the function's title, the formula, or model on data."""
    if "function" in surface:
        return FUNCTIONS[surface["function"]].title
    if "expression" in surface:
        return f"f(x, y) = {surface['expression']}"
    data = surface["dataset"]
    kind = DATASETS[data["name"]].title.lower() if "name" in data else "given"
    return f"{MODELS[surface['model']].title} on {kind} data"


def generated_title(scenario: Scenario) -> str:
    """'<optimizers> on <surface>', e.g. 'SGD, Adam on Rosenbrock'."""
    labels = [o.display_label() for o in scenario.optimizers]
    if len(labels) > MAX_NAMED:
        labels = [*labels[: MAX_NAMED - 1], f"{len(labels) - MAX_NAMED + 1} more"]
    names = ", ".join(labels) if labels else "No optimizer"
    return f"{names} on {surface_title(dict(scenario.surface))}"


def described(scenario: Scenario) -> tuple:
    """What the title and caption describe: the surface and each optimizer's settings."""
    surface = {k: v for k, v in scenario.surface.items() if k != "domain"}
    return (surface, [(o.name, dict(o.hyperparameters), o.schedule, o.batch_size)
                      for o in scenario.optimizers])  # fmt: skip


def retitled(before: Scenario, after: Scenario) -> Scenario:
    """``after`` with words that fit it, ``before`` being the scenario it was edited from.

    Unchanged when the edit left what the words describe alone, or when there
    are no words. A title the app generated is regenerated; a hand-made one (a
    preset's, a file's) gives way to a generated title, and the caption says
    which scenario this one was changed from.
    """
    if described(before) == described(after) or before.title is None:
        return after
    if before.title == generated_title(before):
        return replace(after, title=generated_title(after))
    return replace(after, title=generated_title(after),
                   caption=f"Changed from “{before.title}”.")  # fmt: skip


def relabeled(before: OptimizerConfig, after: OptimizerConfig) -> OptimizerConfig:
    """``after`` with a label that names the values it has, where ``before``'s named its old ones.

    A label naming a hyperparameter's or the batch size's value ("lr 0.01",
    "Momentum 0.9", "batch 4") gets the new value when that one changed, if the
    old value appears in the label exactly once.
    """
    label = after.label
    if not label or before.label != label:
        return after
    old = {**before.hyperparameters, "batch_size": before.batch_size}
    new = {**after.hyperparameters, "batch_size": after.batch_size}
    for name, value in old.items():
        changed = new.get(name)
        if not _plain_number(value) or not _plain_number(changed) or changed == value:
            continue
        hits = [m for m in _NUMBER.finditer(label) if float(m.group()) == value]
        if len(hits) == 1:
            label = label[: hits[0].start()] + f"{changed:g}" + label[hits[0].end() :]
    return after if label == after.label else replace(after, label=label)


def _plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
