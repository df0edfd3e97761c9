"""Hypothesis strategies for hostile scenario input, shared by the engine and app tests.

Arbitrary JSON trees (deep, wide, wrong types, huge and non-finite numbers, lone
surrogates), and valid scenarios with such trees grafted in at random places,
so every field's validation is reached, not only the top level's.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

SURROGATES = ["\ud800", "\udfff", "x**2 + \ud83d", "adam\udc80"]

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=10**300, max_value=10**420),  # past float range
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 2**63, 1e308, -1e308, 5e-324, 10**4000, -(10**4000)]),
)
texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from([*SURROGATES, "", "sgd", "adam", "step", "rosenbrock", "x**2 + y**2",
                     "#ff8800", "linear", "linear_regression", "a" * 300]),
)  # fmt: skip
keys = st.one_of(texts, st.sampled_from(["name", "lr", "function", "params", "steps", "X", "y"]))
leaves = st.one_of(st.none(), st.booleans(), numbers, texts)
trees = st.recursive(
    leaves,
    lambda kids: st.one_of(st.lists(kids, max_size=5), st.dictionaries(keys, kids, max_size=5)),
    max_leaves=25,
)
deep = st.integers(min_value=1, max_value=60).map(lambda n: _nested(n))
wide = st.one_of(
    st.lists(numbers, min_size=50, max_size=400),
    st.dictionaries(texts, leaves, min_size=30, max_size=100),
)
anything = st.one_of(trees, deep, wide)

BASES: list[dict[str, Any]] = [
    {
        "version": 1, "title": "t", "caption": "c",
        "surface": {"function": "rosenbrock", "params": {"a": 1.0, "b": 100.0},
                    "domain": [[-2, 2], [-1, 3]]},
        "optimizers": [
            {"name": "adam", "lr": 0.05, "betas": [0.9, 0.999], "label": "Adam", "color": "#ff8800"},
            {"name": "sgd", "lr": 0.001, "momentum": 0.9, "nesterov": True,
             "schedule": {"name": "step", "step_size": 100, "gamma": 0.5}},
        ],
        "starts": [[-1.5, 2.0], [0.5, -0.5]], "steps": 50, "seed": 0,
        "stop": {"grad_tol": 1e-6, "max_abs": 1e6},
    },
    {
        "surface": {"expression": "x**2 + 10*sin(y)", "domain": [[-3, 3], [-3, 3]]},
        "optimizers": [{"name": "rmsprop", "lr": 0.01}], "starts": [[1, 1]], "steps": 20,
    },
    {
        "surface": {"dataset": {"name": "linear", "n_samples": 20, "noise": 0.5, "seed": 0},
                    "model": "linear_regression", "batch_size": 4},
        "optimizers": [{"name": "sgd", "lr": 0.05, "batch_size": 2}], "starts": [[0, 0]],
    },
    {
        "surface": {"dataset": {"X": [[0.0], [1.0], [2.0]], "y": [0, 1, 1]},
                    "model": "logistic_regression"},
        "optimizers": [{"name": "newton"}], "starts": [[0, 0]], "steps": 5,
    },
]  # fmt: skip


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


def _slots(tree: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) pair in ``tree``: the places a value can be replaced."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree)
    for key, value in items:
        out.append((tree, key))
        if isinstance(value, dict | list):
            _slots(value, out)
    return out


@st.composite
def hostile_scenarios(draw: st.DrawFn) -> Any:
    """A valid scenario with one to three fields replaced, dropped or added; sometimes
    a tree with no scenario shape at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(anything)
    scenario = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        container, key = draw(st.sampled_from(_slots(scenario, [])))
        action = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add"]))
        if action == "replace":
            container[key] = draw(anything)
        elif action == "drop":
            del container[key]
        elif isinstance(container, dict):
            container[draw(keys)] = draw(anything)
        else:
            container.append(draw(anything))
    return scenario
