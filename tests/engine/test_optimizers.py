"""Optimizers: first steps by hand from torch's documented rules, validation, convergence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.engine.errors import HyperparameterError
from gdstudio.engine.functions import make_function
from gdstudio.engine.optimizers import OPTIMIZERS, resolve_hyperparams
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.stop import Status, StopRule

P0 = np.array([[1.0, 1.0]])
G1 = np.array([[4.0, -2.0]])
G2 = np.array([[1.0, 3.0]])


def steps(name: str, grads, **given):
    """Run ``name`` on a fixed sequence of gradients; return the positions."""
    spec = OPTIMIZERS[name]
    hp = resolve_hyperparams(name, given)
    p, state, out = P0.copy(), spec.init(P0, hp), []
    for t, g in enumerate(grads, start=1):
        p, state = spec.update(p, g, state, hp, hp["lr"], t)
        out.append(p)
    return out


def test_sgd_plain_momentum_nesterov_dampening():
    (p1,) = steps("sgd", [G1], lr=0.1)
    np.testing.assert_allclose(p1, [[0.6, 1.2]], rtol=1e-15)
    # momentum: the buffer starts at the first gradient, then b ← 0.9 b + g
    p1, p2 = steps("sgd", [G1, G2], lr=0.1, momentum=0.9)
    np.testing.assert_allclose(p1, P0 - 0.1 * G1, rtol=1e-15)
    np.testing.assert_allclose(p2, p1 - 0.1 * (0.9 * G1 + G2), rtol=1e-15)
    # Nesterov: step along g + 0.9 b
    p1, p2 = steps("sgd", [G1, G2], lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(p1, P0 - 0.1 * 1.9 * G1, rtol=1e-15)
    b2 = 0.9 * G1 + G2
    np.testing.assert_allclose(p2, p1 - 0.1 * (G2 + 0.9 * b2), rtol=1e-15)
    # dampening scales the new gradient's share from the second step on
    _, p2 = steps("sgd", [G1, G2], lr=0.1, momentum=0.9, dampening=0.5)
    np.testing.assert_allclose(p2, P0 - 0.1 * G1 - 0.1 * (0.9 * G1 + 0.5 * G2), rtol=1e-15)
    # L2 weight decay adds wd·θ to the gradient
    (p1,) = steps("sgd", [G1], lr=0.1, weight_decay=0.5)
    np.testing.assert_allclose(p1, P0 - 0.1 * (G1 + 0.5 * P0), rtol=1e-15)
    (p1,) = steps("sgd", [G1], lr=0.1, maximize=True)
    np.testing.assert_allclose(p1, P0 + 0.1 * G1, rtol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    # m̂ = g and v̂ = g² after one step, so the step is lr·g/(|g| + eps)
    (p1,) = steps("adam", [G1], lr=0.1)
    np.testing.assert_allclose(p1, P0 - 0.1 * G1 / (np.abs(G1) + 1e-8), rtol=1e-14)
    _, p2 = steps("adam", [G1, G2], lr=0.1)
    m = 0.9 * 0.1 * G1 + 0.1 * G2
    v = 0.999 * 0.001 * G1**2 + 0.001 * G2**2
    expected = p2 * 0 + (P0 - 0.1 * G1 / (np.abs(G1) + 1e-8))
    expected -= 0.1 / (1 - 0.9**2) * m / (np.sqrt(v) / math.sqrt(1 - 0.999**2) + 1e-8)
    np.testing.assert_allclose(p2, expected, rtol=1e-13)


def test_adamw_decays_weights_directly():
    (p1,) = steps("adamw", [G1], lr=0.1)  # weight_decay defaults to 0.01
    np.testing.assert_allclose(p1, P0 * (1 - 0.1 * 0.01) - 0.1 * G1 / (np.abs(G1) + 1e-8),
                               rtol=1e-14)  # fmt: skip


def test_amsgrad_uses_the_running_maximum():
    big, small = np.array([[10.0, 10.0]]), np.array([[0.1, 0.1]])
    p_ams = steps("adam", [big, small], lr=0.1, amsgrad=True)[1]
    p_adam = steps("adam", [big, small], lr=0.1)[1]
    v1 = 0.001 * big**2
    v2 = 0.999 * v1 + 0.001 * small**2
    assert np.all(v1 > v2)  # so AMSGrad divides by the larger, older v
    assert np.all(np.abs(p_ams - p_adam) > 0)


def test_adagrad_rmsprop_adadelta_adamax_lion_first_steps():
    (p,) = steps("adagrad", [G1], lr=0.1)
    np.testing.assert_allclose(p, P0 - 0.1 * G1 / (np.abs(G1) + 1e-10), rtol=1e-15)
    _, p = steps("adagrad", [G1, G2], lr=0.1, lr_decay=0.5)
    p1 = P0 - 0.1 * G1 / (np.abs(G1) + 1e-10)
    np.testing.assert_allclose(p, p1 - 0.1 / 1.5 * G2 / (np.sqrt(G1**2 + G2**2) + 1e-10))
    (p,) = steps("rmsprop", [G1], lr=0.01)
    np.testing.assert_allclose(p, P0 - 0.01 * G1 / (np.sqrt(0.01 * G1**2) + 1e-8), rtol=1e-15)
    (p,) = steps("adadelta", [G1])
    delta = math.sqrt(1e-6) / np.sqrt(0.1 * G1**2 + 1e-6) * G1
    np.testing.assert_allclose(p, P0 - delta, rtol=1e-14)
    (p,) = steps("adamax", [G1])
    np.testing.assert_allclose(p, P0 - 0.002 / 0.1 * 0.1 * G1 / (np.abs(G1) + 1e-8), rtol=1e-14)
    p1, p2 = steps("lion", [G1, G2], lr=0.01)
    np.testing.assert_allclose(p1, P0 - 0.01 * np.sign(G1), rtol=1e-15)
    m1 = 0.01 * G1
    np.testing.assert_allclose(p2, p1 - 0.01 * np.sign(0.9 * m1 + 0.1 * G2), rtol=1e-15)


def test_nadam_and_radam_first_steps():
    (p,) = steps("radam", [G1], lr=0.1)  # ρ₁ = 1 ≤ 5: un-rectified momentum step
    np.testing.assert_allclose(p, P0 - 0.1 * G1, rtol=1e-14)
    (p,) = steps("nadam", [G1], lr=0.1)
    mu1 = 0.9 * (1 - 0.5 * 0.96 ** (1 * 0.004))
    mu2 = 0.9 * (1 - 0.5 * 0.96 ** (2 * 0.004))
    denom = np.sqrt(0.001 * G1**2 / 0.001) + 1e-8
    expected = P0 - 0.1 * (1 - mu1) / (1 - mu1) * G1 / denom
    expected -= 0.1 * mu2 / (1 - mu1 * mu2) * 0.1 * G1 / denom
    np.testing.assert_allclose(p, expected, rtol=1e-14)


def test_newton_lands_on_a_quadratic_minimum_in_one_step():
    f = make_function("ill_conditioned")
    race = Race(f, [Entry.create("newton", {})], [[-2.5, 1.5]], 10)
    race.run()
    np.testing.assert_allclose(race.trajectory[1, 0], [0.0, 0.0], atol=1e-12)
    assert race.status[0] == Status.CONVERGED


def test_newton_moves_away_from_a_saddle():
    f = make_function("saddle")
    race = Race(f, [Entry.create("newton", {"lr": 0.5})], [[0.2, 0.1]], 5, StopRule(0.0))
    race.step(1)
    x, y = race.trajectory[1, 0]
    assert abs(x) < 0.2 and abs(y) > 0.1  # toward the minimum in x, away along −curvature in y


BAD = [
    ("sgd", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("sgd", {"momentum": -0.1}, "Invalid momentum value: -0.1"),
    ("sgd", {"weight_decay": -1}, "Invalid weight_decay value: -1.0"),
    ("sgd", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ("sgd", {"momentum": 0.9, "dampening": 0.1, "nesterov": True}, "Nesterov"),
    ("adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("adam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("adam", {"betas": 0.9}, "betas must be a pair"),
    ("adam", {"amsgrad": 1}, "amsgrad must be true or false"),
    ("adam", {"lr": "fast"}, "lr must be a finite number"),
    ("adam", {"lr": float("nan")}, "lr must be a finite number"),
    ("adagrad", {"lr_decay": -1}, "Invalid lr_decay value"),
    ("rmsprop", {"alpha": -0.5}, "Invalid alpha value"),
    ("adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("nadam", {"momentum_decay": -1}, "Invalid momentum_decay value"),
    ("newton", {"damping": 0.0}, "Invalid damping value: 0.0"),
    ("sgd", {"mommentum": 0.9}, "sgd has no hyperparameter 'mommentum'; valid: lr, momentum"),
    ("adamm", {}, "unknown optimizer 'adamm'; valid: sgd, adagrad"),
]


@pytest.mark.parametrize(("name", "given", "message"), BAD, ids=[m for _, _, m in BAD])
def test_bad_hyperparameters_are_refused_like_torch(name, given, message):
    with pytest.raises(HyperparameterError) as info:
        resolve_hyperparams(name, given)
    assert message in str(info.value)


def test_defaults_are_torchs():
    assert resolve_hyperparams("adamw", {})["weight_decay"] == 0.01
    assert resolve_hyperparams("adadelta", {})["lr"] == 1.0
    assert resolve_hyperparams("nadam", {})["lr"] == 2e-3
    assert resolve_hyperparams("adagrad", {})["eps"] == 1e-10
    assert resolve_hyperparams("adam", {})["betas"] == (0.9, 0.999)


CONVERGE = {
    "sgd": {"lr": 0.001, "momentum": 0.9}, "adagrad": {"lr": 0.5}, "rmsprop": {"lr": 0.003},
    "adam": {"lr": 0.02}, "adamw": {"lr": 0.02, "weight_decay": 0.0}, "nadam": {"lr": 0.02},
    "radam": {"lr": 0.002}, "adadelta": {"lr": 5.0}, "adamax": {"lr": 0.02},
    "newton": {}, "lion": {"lr": 0.001},
}  # fmt: skip


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize(("function", "tol"), [("quadratic", 0.05), ("rosenbrock", 0.1)])
def test_every_optimizer_converges_on_bowl_and_rosenbrock(name, function, tol):
    f = make_function(function)
    race = Race(f, [Entry.create(name, CONVERGE[name])], [[-1.2, 1.0]], 20000, StopRule(1e-8))
    race.run()
    assert race.status[0] != Status.DIVERGED
    if name == "adadelta" and function == "rosenbrock":
        # Adadelta is known to crawl along Rosenbrock's valley; it must still make progress.
        assert race.loss[int(race.counts[0]) - 1, 0] < race.loss[0, 0] / 3
        return
    np.testing.assert_allclose(race.positions[0], f.minima[0], atol=tol)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(list(OPTIMIZERS)), st.integers(1, 5),
       st.lists(st.floats(-5, 5), min_size=4, max_size=4))  # fmt: skip
def test_update_never_modifies_its_inputs(name, step, values):
    spec = OPTIMIZERS[name]
    hp = resolve_hyperparams(name, CONVERGE[name])
    params = np.array([values[:2]])
    grad = np.array([values[2:]])
    hess = np.array([[[2.0, 0.3], [0.3, -1.0]]])
    state = spec.init(params, hp)
    state = type(state)(*(f + 0.5 for f in state))
    copies = [params.copy(), grad.copy(), hess.copy(), *(f.copy() for f in state)]
    spec.update(params, grad, state, hp, hp["lr"], step, *([hess] if spec.needs_hessian else []))
    for before, after in zip(copies, [params, grad, hess, *state], strict=True):
        np.testing.assert_array_equal(before, after)
