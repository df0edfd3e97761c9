"""Our optimizers and schedules against torch.optim itself, in float64.

Install the reference with ``pip install torch==2.13.0``. Without it these tests
are skipped, except under CI (``CI`` set), where a missing torch fails them: CI
must not pass without the parity tests.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from gdstudio.engine.anatomy import inspect_runner
from gdstudio.engine.functions import make_function
from gdstudio.engine.optimizers import OPTIMIZERS, resolve_hyperparams
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.schedules import make_schedule
from gdstudio.engine.stop import StopRule

if os.environ.get("CI"):
    try:
        import torch
    except ImportError as exc:
        pytest.fail(f"CI runs the torch parity tests, but torch is missing: {exc}", pytrace=False)
else:
    torch = pytest.importorskip("torch")

CLASSES = {
    "sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
    "nadam": "NAdam", "radam": "RAdam", "adadelta": "Adadelta", "adamax": "Adamax",
}  # fmt: skip

CASES = [
    ("sgd", {"lr": 1e-3}), ("sgd", {"lr": 1e-3, "momentum": 0.9}),
    ("sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("sgd", {"lr": 1e-5, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("adagrad", {"lr": 0.1}), ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1,
                                           "initial_accumulator_value": 0.5}),
    ("rmsprop", {"lr": 0.01}), ("rmsprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("rmsprop", {"lr": 0.005, "alpha": 0.9, "weight_decay": 0.1}),
    ("adam", {"lr": 0.05}), ("adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    ("adam", {"lr": 0.05, "betas": (0.8, 0.99), "decoupled_weight_decay": True,
              "weight_decay": 0.1}),
    ("adam", {"lr": 0.05, "maximize": True}),
    ("adamw", {"lr": 0.05}), ("adamw", {"lr": 0.05, "amsgrad": True}),
    ("nadam", {"lr": 0.02}), ("nadam", {"lr": 0.02, "weight_decay": 0.1,
                                        "decoupled_weight_decay": True}),
    ("radam", {"lr": 0.005}), ("radam", {"lr": 0.005, "weight_decay": 0.1}),
    ("adadelta", {}), ("adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    ("adamax", {"lr": 0.02}), ("adamax", {"lr": 0.02, "weight_decay": 0.1}),
]  # fmt: skip


@pytest.fixture(autouse=True)
def float64_default():
    """torch keeps step counters and NAdam's μ product in the default dtype."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.mark.parametrize("surface", ["rosenbrock", "ill_conditioned"])
@pytest.mark.parametrize(("name", "given"), CASES, ids=[f"{n}-{g}" for n, g in CASES])
def test_fifty_steps_match_torch(name, given, surface):
    rosen = make_function(surface)
    start = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.0], [-0.3, 0.1]])
    p_torch = torch.tensor(start, dtype=torch.float64)
    opt = getattr(torch.optim, CLASSES[name])([p_torch], **given)
    spec, hp = OPTIMIZERS[name], resolve_hyperparams(name, given)
    p, state = start.copy(), spec.init(start, hp)
    for step in range(1, 51):
        grad = rosen.grad(p)
        p_torch.grad = torch.tensor(rosen.grad(p_torch.detach().numpy()))
        opt.step()
        p, state = spec.update(p, grad, state, hp, hp["lr"], step)
        # Same operations in the same order; torch's SIMD kernels may still round the last
        # bit differently now and then, which Rosenbrock's valley amplifies over the steps.
        tol = 1e-14 if surface == "ill_conditioned" else 1e-12 * 10 ** (step / 25)
        np.testing.assert_allclose(p, p_torch.detach().numpy(), rtol=tol, atol=tol)


SCHEDULES = [
    ({"name": "step", "step_size": 30}, "StepLR", {"step_size": 30, "gamma": 0.1}),
    ({"name": "step", "step_size": 7, "gamma": 0.5}, "StepLR", {"step_size": 7, "gamma": 0.5}),
    ({"name": "exponential", "gamma": 0.98}, "ExponentialLR", {"gamma": 0.98}),
    ({"name": "cosine", "T_max": 50}, "CosineAnnealingLR", {"T_max": 50}),
    ({"name": "cosine", "T_max": 40, "eta_min": 0.01}, "CosineAnnealingLR",
     {"T_max": 40, "eta_min": 0.01}),
    ({"name": "linear"}, "LinearLR", {}),
    ({"name": "linear", "start_factor": 0.1, "end_factor": 0.5, "total_iters": 100}, "LinearLR",
     {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 100}),
]  # fmt: skip


@pytest.mark.parametrize(("ours", "cls", "kwargs"), SCHEDULES, ids=[str(s[0]) for s in SCHEDULES])
def test_schedules_match_torch_for_300_steps(ours, cls, kwargs):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.3)
    sched = getattr(torch.optim.lr_scheduler, cls)(opt, **kwargs)
    schedule = make_schedule(ours, 0.3)
    for k in range(300):  # past T_max the cosine rises again, as torch's does
        assert schedule.lr_at(k) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-13, abs=1e-16)
        opt.step()
        sched.step()


def test_every_torch_optimizer_is_covered():
    assert {n for n, _ in CASES} == set(CLASSES) == set(OPTIMIZERS) - {"newton", "lion"}


STATE_CASES = [*CASES, ("rmsprop", {"lr": 0.01, "centered": True}),
               ("radam", {"lr": 0.005, "weight_decay": 0.1, "decoupled_weight_decay": True})]  # fmt: skip


@pytest.mark.parametrize(("name", "given"), STATE_CASES, ids=[f"{n}-{g}" for n, g in STATE_CASES])
def test_state_history_matches_torch_state_dict_after_every_step(name, given):
    # The inspector's replay of a raced runner, fed to torch step by step: every state
    # tensor under its state_dict name, and the learning rate, agree to 1e-9 relative.
    schedule = {"name": "step", "step_size": 10, "gamma": 0.5}
    race = Race(make_function("rosenbrock"), [Entry.create(name, given, schedule)],
                [[-1.5, 2.0], [0.5, -0.5]], 40, StopRule(0.0))  # fmt: skip
    race.run()
    for r in range(race.n_runners):
        insight = inspect_runner(race, r)
        np.testing.assert_array_equal(insight.positions, race.trajectory[: race.counts[r], r])
        p = torch.tensor(insight.positions[0], dtype=torch.float64, requires_grad=True)
        opt = getattr(torch.optim, CLASSES[name])([p], **given)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
        for k in range(insight.steps):
            assert insight.lr[k] == pytest.approx(opt.param_groups[0]["lr"], rel=1e-13)
            p.grad = torch.tensor(insight.gradient[k])
            opt.step()
            sched.step()
            theirs = {
                key: v for key, v in opt.state_dict()["state"].get(0, {}).items() if v is not None
            }
            assert set(insight.state) == set(theirs)
            for key, value in theirs.items():
                np.testing.assert_allclose(insight.state[key][k], value.detach().numpy(),
                                           rtol=1e-9, atol=1e-300, err_msg=f"{key} at step {k + 1}")  # fmt: skip
