"""Sweeps agree with the stability theory of gradient descent and with single races."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from gdstudio.engine import sweep
from gdstudio.engine.analysis_results import Axis
from gdstudio.engine.errors import AnalysisError
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.scenario import Scenario
from gdstudio.engine.stop import Status
from gdstudio.engine.sweep import parse_axis, run_sweep


def scenario(function: str, optimizer: dict, starts=((1.0, 1.0),), steps: int = 2000,
             **surface) -> Scenario:  # fmt: skip
    return Scenario.from_dict({
        "surface": {"function": function, **surface}, "optimizers": [optimizer],
        "starts": [list(s) for s in starts], "steps": steps,
        "stop": {"grad_tol": 1e-6, "max_abs": 1e6},
    })  # fmt: skip


@pytest.mark.parametrize(
    ("function", "lam_max", "low", "high"),
    [("quadratic", 2.0, 0.5, 1.5), ("ill_conditioned", 50.0, 0.02, 0.06)],
)
def test_gradient_descent_diverges_from_lr_2_over_lambda_max(function, lam_max, low, high):
    result = run_sweep(scenario(function, {"name": "sgd", "lr": 0.01}), 0,
                       Axis("lr", low, high, 101), metric="steps_to_converge")  # fmt: skip
    lrs = result.x.values
    diverged = result.diverged[0]
    first = int(np.argmax(diverged))
    assert diverged[first:].all() and not diverged[:first].any()
    cell = lrs[1] - lrs[0]
    assert 0 < lrs[first] - 2 / lam_max <= cell * (1 + 1e-9)
    # Below the boundary every setting converges (at exactly 2/λmax it bounces forever).
    below = lrs < 2 / lam_max - 1e-12
    assert (result.status[0, below] == Status.CONVERGED).all()
    assert np.isfinite(result.cells[0, below]).all()


def test_heavy_ball_converges_in_the_triangle_lr_lambda_below_2_plus_2_momentum():
    # Quadratic bowl: λ = 2 in both directions, so the region is 0 < 2·lr < 2 + 2μ.
    result = run_sweep(scenario("quadratic", {"name": "sgd", "lr": 0.1, "momentum": 0.5}), 0,
                       Axis("lr", 0.05, 2.4, 48), Axis("momentum", 0.0, 0.95, 40),
                       metric="steps_to_converge")  # fmt: skip
    lr, momentum = np.meshgrid(result.x.values, result.y.values)
    inside = (lr * 2 > 0) & (lr * 2 < 2 + 2 * momentum)
    converged = result.status[..., 0] == Status.CONVERGED
    assert inside.sum() > 300 and (~inside).sum() > 300
    # Wherever the sweep and the theory disagree, a neighbouring cell lies across the boundary.
    padded = np.pad(inside, 1, mode="edge")
    neighbours_differ = np.zeros_like(inside)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            shifted = padded[1 + di : padded.shape[0] - 1 + di, 1 + dj : padded.shape[1] - 1 + dj]
            neighbours_differ |= shifted != inside
    wrong = converged != inside
    assert not (wrong & ~neighbours_differ).any()
    assert (result.diverged == ~converged)[~neighbours_differ].all()


def test_heavy_ball_is_fastest_near_its_optimal_setting_on_an_elongated_bowl():
    kappa = 50.0
    result = run_sweep(scenario("ill_conditioned", {"name": "sgd", "lr": 0.01, "momentum": 0.5}),
                       0, Axis("lr", 0.005, 0.07, 66), Axis("momentum", 0.0, 0.9, 46),
                       metric="steps_to_converge")  # fmt: skip
    best_lr = (2 / (math.sqrt(kappa) + 1)) ** 2
    best_momentum = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    cells = np.where(np.isnan(result.cells), np.inf, result.cells)
    row, col = np.unravel_index(np.argmin(cells), cells.shape)
    assert abs(result.x.values[col] - best_lr) <= 4 * 0.001
    assert abs(result.y.values[row] - best_momentum) <= 4 * 0.02


def test_cells_equal_single_races_bit_for_bit_in_batch_mode_too():
    batch = Scenario.from_dict({
        "surface": {"dataset": {"name": "linear", "n_samples": 60, "noise": 0.3, "seed": 3},
                    "model": "linear_regression", "batch_size": 8},
        "optimizers": [{"name": "adam", "lr": 0.05, "betas": [0.8, 0.99]}],
        "starts": [[-2.0, 3.0], [1.0, -1.0]], "steps": 120, "seed": 7,
    })  # fmt: skip
    plain = scenario("rosenbrock", {"name": "adam", "lr": 0.05}, ((-1.5, 2.0), (0.5, -0.5)), 200)
    for case in (batch, plain):
        result = run_sweep(
            case, 0, Axis("lr", 0.01, 0.2, 5, log=True), Axis("betas[0]", 0.3, 0.95, 3)
        )
        obj = case.objective()
        beta2 = case.optimizers[0].entry().hyperparameters["betas"][1]
        for i, beta1 in enumerate(result.y.values):
            for j, lr in enumerate(result.x.values):
                entry = Entry.create("adam", {"lr": lr, "betas": (beta1, beta2)})
                race = Race(obj, [entry], case.starts, case.steps, case.stop,
                            case.batch_schedule(obj))  # fmt: skip
                race.run()
                np.testing.assert_array_equal(result.end[i, j], race.positions)
                np.testing.assert_array_equal(result.steps[i, j], race.steps_taken)
                np.testing.assert_array_equal(result.final_loss[i, j], race.current_loss)


def test_a_sweep_big_enough_for_the_compiled_path_still_equals_single_races():
    case = scenario("rosenbrock", {"name": "sgd", "lr": 1e-3, "momentum": 0.9},
                    ((-1.5, 2.0),), 300)  # fmt: skip
    result = run_sweep(
        case, 0, Axis("lr", 1e-5, 3e-3, 64, log=True), Axis("momentum", 0.0, 0.99, 64)
    )
    assert {Status.DIVERGED, Status.MAX_STEPS} <= set(result.status.ravel())
    for i, j in [(0, 0), (63, 63), (10, 50), (40, 5), (63, 0)]:
        entry = Entry.create("sgd", {"lr": result.x.values[j], "momentum": result.y.values[i]})
        race = Race(case.objective(), [entry], case.starts, 300, case.stop)
        race.run()
        assert result.status[i, j, 0] == race.status[0]
        np.testing.assert_array_equal(result.end[i, j, 0], race.positions[0])
        assert result.final_loss[i, j, 0] == race.current_loss[0]


def test_metrics_and_the_current_setting():
    case = scenario("quadratic", {"name": "sgd", "lr": 0.3}, ((1.0, 1.0), (-2.0, 0.5)), 300)
    loss = run_sweep(case, 0, Axis("lr", 0.1, 1.2, 12))
    steps = run_sweep(case, 0, Axis("lr", 0.1, 1.2, 12), metric="steps_to_converge")
    distance = run_sweep(case, 0, Axis("lr", 0.1, 1.2, 12), metric="distance_to_min")
    assert loss.current == (0.3, None)
    np.testing.assert_array_equal(loss.values, loss.final_loss)
    converged = steps.status == Status.CONVERGED
    np.testing.assert_array_equal(steps.values[converged], steps.steps[converged])
    assert np.isnan(steps.values[~converged]).all() and (~converged).any()
    np.testing.assert_allclose(distance.values, np.hypot(*np.moveaxis(distance.end, -1, 0)))
    # lr = 0.5 lands on the minimum in one step: the fastest cell.
    assert steps.x.values[np.nanargmin(steps.cells[0])] == pytest.approx(0.5)


def test_csv_and_npz_columns():
    case = scenario("quadratic", {"name": "adam", "lr": 0.1}, ((1.0, 1.0), (-2.0, 0.5)), 50)
    result = run_sweep(case, 0, Axis("betas[1]", 0.9, 0.999, 3), Axis("lr", 0.01, 0.1, 2))
    rows = list(csv.reader(io.StringIO(sweep.to_csv(result))))
    assert rows[0] == ["x_value", "y_value", "start_x", "start_y", "status", "steps",
                       "final_loss", "metric"]  # fmt: skip
    assert len(rows) == 1 + 3 * 2 * 2
    assert [float(v) for v in rows[1][:4]] == [0.9, 0.01, 1.0, 1.0]
    assert float(rows[3][0]) == result.x.values[1]  # starts fastest, then x
    assert float(rows[7][1]) == 0.1
    assert float(rows[1][6]) == result.final_loss[0, 0, 0]
    one_axis = run_sweep(case, 0, Axis("lr", 0.01, 0.1, 2))
    assert list(csv.reader(io.StringIO(sweep.to_csv(one_axis))))[1][1] == ""
    archive = np.load(io.BytesIO(sweep.to_npz(result)))
    np.testing.assert_array_equal(archive["metric"], result.values)
    assert str(archive["x_name"]) == "betas[1]"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("lr", "expected NAME=LO:HI"),
        ("lr=1:2:3:4", "expected NAME=LO:HI"),
        ("lr=a:2:3", "must be numbers"),
        ("lr=0.1:0.2:x", "whole number"),
        ("lr=0.1:0.2:0", "between 1 and 128"),
        ("lr=0.1:0.2:129", "between 1 and 128"),
        ("lr=0:0.2:log:4", "log range"),
        ("lr=0.1:0.1:4", "LO must be below HI"),
        ("lr=0.2:0.1:4", "LO must be below HI"),
        ("lr=0.1:inf:4", "finite"),
    ],
)
def test_bad_axes_are_refused(text, fragment):
    with pytest.raises(AnalysisError, match=fragment):
        parse_axis(text)


def test_axes_parse_linear_and_log():
    axis = parse_axis("betas[0]=0.5:0.9:5")
    assert axis == Axis("betas[0]", 0.5, 0.9, 5) and axis.text() == "betas[0]=0.5:0.9:5"
    np.testing.assert_array_equal(axis.values, np.linspace(0.5, 0.9, 5))
    log = parse_axis("lr=1e-4:1e-1:log:4", "--y")
    np.testing.assert_allclose(log.values, [1e-4, 1e-3, 1e-2, 1e-1])
    assert log.values[0] == 1e-4 and log.values[-1] == 1e-1


@pytest.mark.parametrize(
    ("optimizer", "x", "y", "metric", "fragment"),
    [
        ({"name": "sgd"}, "nesterov=0:1:2", None, "final_loss", "no hyperparameter 'nesterov'"),
        ({"name": "adam"}, "betas=0:1:2", None, "final_loss", "valid: lr, betas\\[0\\]"),
        ({"name": "sgd"}, "lr=-1:1:3", None, "final_loss", "lr=-1.0: Invalid learning rate"),
        ({"name": "adam"}, "betas[0]=0.5:1:3", None, "final_loss", "betas\\[0\\]=1.0"),
        ({"name": "sgd", "momentum": 0.9, "nesterov": True}, "momentum=0:0.9:2", None,
         "final_loss", "momentum=0.0: Nesterov"),
        ({"name": "sgd"}, "lr=0.1:0.2:2", "lr=0.1:0.2:2", "final_loss", "both sweep lr"),
        ({"name": "sgd"}, "lr=0.1:0.2:2", None, "speed", "unknown metric"),
    ],
)  # fmt: skip
def test_bad_sweeps_are_refused(optimizer, x, y, metric, fragment):
    case = scenario("quadratic", optimizer, steps=5)
    with pytest.raises(AnalysisError, match=fragment):
        run_sweep(case, 0, parse_axis(x), parse_axis(y, "--y") if y else None, metric)


def test_distance_needs_known_minima_and_the_optimizer_must_exist():
    formula = Scenario.from_dict({"surface": {"expression": "x**2 + y**4"},
                                  "optimizers": [{"name": "sgd"}], "starts": [[1, 1]]})  # fmt: skip
    with pytest.raises(AnalysisError, match="known minima"):
        run_sweep(formula, 0, Axis("lr", 0.1, 0.2, 2), metric="distance_to_min")
    with pytest.raises(AnalysisError, match="--optimizer"):
        run_sweep(formula, 1, Axis("lr", 0.1, 0.2, 2))
