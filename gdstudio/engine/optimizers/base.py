"""Optimizer definitions: hyperparameters, validation and the pure update contract.

An optimizer is an :class:`OptimizerSpec`: a table of :class:`HyperParam`
(names, defaults and valid ranges exactly as torch.optim's constructor) and a
pair of pure functions, optax-style::

    state = spec.init(params, hp)
    new_params, new_state = spec.update(params, grad, state, hp, lr, step)

(Newton, the one spec with ``needs_hessian``, takes the Hessian as a seventh
argument.) Each spec may also carry a :class:`CompiledStep`: the same update
as a loop over one block of runners, which :mod:`gdstudio.engine.fused`
compiles for big races.

``params`` and ``grad`` are float64 arrays of shape (n, 2) for the n runners of
one group. Numeric hyperparameters in ``hp`` are Python floats or float64
arrays of shape (n, 1) (one value per runner, so a learning-rate sweep is one
update); pairs such as ``betas`` are tuples of two such values; booleans are
plain ``bool`` and the same for the whole group (the race groups runners by
optimizer name and boolean flags). ``lr`` is the scheduled learning rate, a
float or an (n, 1) array. ``step`` is the 1-based number of the step being
taken, shared by every row. The Hessian, for Newton, is (n, 2, 2).

``update`` never modifies its inputs; it returns fresh arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Scalar = float | Array
"""A hyperparameter value: one float for the group, or an (n, 1) array."""
Hyperparams = Mapping[str, Any]


@dataclass(frozen=True)
class HyperParam:
    """One constructor argument of an optimizer, as torch.optim names it.

    ``kind`` is ``"float"``, ``"bool"`` or ``"pair"`` (two floats, e.g. betas).
    ``low``/``high`` bound every float (each element of a pair); ``low_open``
    and ``high_open`` make a bound exclusive. ``doc`` is the tooltip text.
    """

    name: str
    default: Any
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    doc: str = ""


class OptimizerState(NamedTuple):
    """Base type for optimizer states; each spec defines its own NamedTuple."""


class Anatomy(NamedTuple):
    """One step taken apart: what each term of the update contributes.

    ``arrows`` maps a label to an (n, 2) displacement from the current point;
    the arrows sum to the step taken (new params − params), up to rounding.
    ``effective_lr`` is, for methods that rescale the gradient per coordinate,
    the factor in front of the gradient, (n, 2); None for the others.
    """

    arrows: dict[str, Array]
    effective_lr: Array | None = None


InitFn = Callable[[Array, Hyperparams], tuple]
UpdateFn = Callable[..., tuple[Array, tuple]]
CheckFn = Callable[[Hyperparams], None]


@dataclass(frozen=True)
class CompiledStep:
    """An optimizer's update written for the compiled path of big races.

    ``kernel(p, g, state, new_state, out, numbers, parts)`` is plain Python, a loop
    over one block of m runners that :mod:`gdstudio.engine.fused` compiles with Numba
    (so it may use only arithmetic, ``math`` and NumPy functions of floats). ``p`` and
    ``g`` are positions and gradients, (2m,) with x and y interleaved, the
    gradient already negated for ``maximize`` and holding coupled weight decay,
    and the positions already shrunk by decoupled weight decay (the compiled path
    does both, as :func:`~gdstudio.engine.optimizers.transforms.prepare_grad` and
    ``decay_params`` do); ``state`` is the state fields before the step, (F, 2m),
    in the order of the spec's state NamedTuple (an (n, 1) field comes repeated
    to two columns); the kernel writes every field of ``new_state`` and the new
    positions into ``out``. The block comes in ``parts``, rows of (first element,
    end, setting): elements first … end−1 use the step's numbers of that setting,
    ``numbers[setting]``, which ``numbers(hp, lr, step)`` computes exactly as the
    NumPy update computes them. A race of one setting has one part per block; in a
    sweep each entry is a setting, and ``numbers`` sees its hyperparameters and
    ``lr`` as (k, 1) arrays, one row per setting: elementwise arithmetic rounds as
    Python floats do, and powers go through
    :func:`~gdstudio.engine.optimizers.transforms.per_runner`.

    The kernel must repeat the NumPy update's order of operations: the two paths
    give the same numbers bit for bit (``tests/engine/test_fused.py``).
    """

    kernel: Callable[..., None]
    numbers: Callable[[Hyperparams, Scalar, int], tuple[Scalar, ...]]
    decoupled_decay: Callable[[Hyperparams], bool] = lambda hp: False
    """Whether weight decay shrinks the positions (AdamW) instead of adding to the gradient."""


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer: its hyperparameter table and its pure init/update functions."""

    name: str
    title: str
    description: str
    hyperparams: tuple[HyperParam, ...]
    init: InitFn
    update: UpdateFn
    needs_hessian: bool = False
    check: CheckFn | None = field(default=None, repr=False)
    """Cross-parameter rules (e.g. Nesterov needs momentum > 0); raises HyperparameterError."""
    compiled: CompiledStep | None = field(default=None, repr=False)
    """The same update for the compiled path; None keeps the optimizer on NumPy."""
    anatomy: Callable[..., Anatomy] | None = field(default=None, repr=False)
    """``anatomy(params, grad, state, hp, lr, step)`` (Newton: and the Hessian): the step
    about to be taken from ``state``, taken apart (see :class:`Anatomy`)."""
    torch_state: Callable[[Any, Hyperparams, int], dict[str, Any]] | None = field(
        default=None, repr=False
    )
    """``torch_state(state, hp, step)``: the state after ``step`` steps under torch.optim's
    state_dict names, name -> (n, 2) array, or (n,) for one number per runner."""
