"""Basin maps agree with single races and with the symmetry of the surface."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from gdstudio.engine import basins
from gdstudio.engine.analysis_results import DIVERGED, NOWHERE
from gdstudio.engine.basins import (
    basin_map,
    classify,
    grid_starts,
    scenario_basin_map,
    tile_order,
)
from gdstudio.engine.errors import AnalysisError
from gdstudio.engine.formula import parse_formula
from gdstudio.engine.functions import make_function
from gdstudio.engine.parallel import Cancelled
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.scenario import Scenario
from gdstudio.engine.stop import Status, StopRule

WELL = make_function("double_well")
WELL_FORMULA = "x**4/4 - x**2/2 + y**2/2"


def test_grid_starts_are_pixel_centres_row_major_and_mirror_exactly():
    xs, ys, starts = grid_starts(((-2.0, 2.0), (-1.0, 3.0)), 4)
    np.testing.assert_array_equal(xs, [-1.5, -0.5, 0.5, 1.5])
    np.testing.assert_array_equal(ys, [-0.5, 0.5, 1.5, 2.5])
    np.testing.assert_array_equal(starts[:5], [[-1.5, -0.5], [-0.5, -0.5], [0.5, -0.5],
                                               [1.5, -0.5], [-1.5, 0.5]])  # fmt: skip
    xs, _, _ = grid_starts(((-2.0, 2.0), (-2.0, 2.0)), 37)
    np.testing.assert_array_equal(xs, -xs[::-1])


@pytest.mark.parametrize(
    ("surface", "resolution"),
    [(make_function("rosenbrock"), 64), (parse_formula("(1 - x)**2 + 100*(y - x**2)**2",
                                                      ((-2, 2), (-1, 3))), 24)],
    ids=["compiled, on every core", "NumPy path, a race per core"],
)  # fmt: skip
def test_pixels_equal_single_races_bit_for_bit(surface, resolution):
    entries = [
        Entry.create("sgd", {"lr": 1e-3}),
        Entry.create("sgd", {"lr": 1e-3, "momentum": 0.9}),
        Entry.create("adam", {"lr": 0.05}, {"name": "step", "step_size": 50, "gamma": 0.5}),
    ]
    stop = StopRule(grad_tol=1e-4, max_abs=1e4)
    result = basin_map(surface, entries, surface.domain, resolution, 300, stop)
    assert {Status.DIVERGED, Status.MAX_STEPS} <= set(result.status.ravel())
    rng = np.random.default_rng(1)
    last = resolution - 1
    pixels = [(0, 0), (last, last), (0, last), *rng.integers(0, resolution, (40, 2)).tolist()]
    for e, entry in enumerate(entries):
        for row, col in pixels:
            race = Race(surface, [entry], [[result.xs[col], result.ys[row]]], 300, stop)
            race.run()
            assert result.status[e, row, col] == race.status[0]
            assert result.steps[e, row, col] == race.steps_taken[0]
            np.testing.assert_array_equal(result.end[e, row, col], race.positions[0])


def test_double_well_gradient_descent_from_the_left_ends_on_the_left_pixel_for_pixel():
    result = basin_map(WELL, [Entry.create("sgd", {"lr": 0.1})], WELL.domain, 64, 500)
    left = result.xs < 0
    np.testing.assert_array_equal(WELL.minima[1], [-1.0, 0.0])
    assert (result.basin[0][:, left] == 1).all()
    assert (result.basin[0][:, ~left] == 0).all()
    # The map is its own mirror image: end points exactly mirrored, basins swapped.
    mirrored = result.end[0, :, ::-1]
    np.testing.assert_array_equal(mirrored[..., 0], -result.end[0, ..., 0])
    np.testing.assert_array_equal(mirrored[..., 1], result.end[0, ..., 1])
    np.testing.assert_array_equal(result.steps[0, :, ::-1], result.steps[0])


def test_a_formula_clusters_its_end_points_numbered_by_first_appearance():
    formula = parse_formula(WELL_FORMULA, WELL.domain)
    entry = Entry.create("sgd", {"lr": 0.1})
    from_formula = basin_map(formula, [entry], WELL.domain, 24, 500)
    from_builtin = basin_map(WELL, [entry], WELL.domain, 24, 500)
    # Row-major from the bottom left: the left minimum appears first.
    assert not from_formula.known_minima and from_builtin.known_minima
    np.testing.assert_allclose(from_formula.minima, [[-1.0, 0.0], [1.0, 0.0]], atol=1e-6)
    np.testing.assert_array_equal(from_formula.basin, 1 - from_builtin.basin)
    np.testing.assert_allclose(from_formula.minima_loss, [-0.25, -0.25])


def test_classes_diverged_nowhere_and_saddles():
    saddle = parse_formula("x**2 - y**2")
    end = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 0.0]])
    status = np.array([Status.CONVERGED, Status.DIVERGED, Status.MAX_STEPS], dtype=np.int8)
    basin, minima, known = classify(saddle, saddle.domain, end, status)
    assert len(minima) == 0 and not known  # the stationary point is a saddle, no minimum
    np.testing.assert_array_equal(basin, [NOWHERE, DIVERGED, NOWHERE])
    # A built-in's known minima, in their order; within 1% of the diagonal counts.
    himmelblau = make_function("himmelblau")
    near = himmelblau.minima + 0.05
    status = np.full(5, Status.MAX_STEPS, dtype=np.int8)
    basin, minima, known = classify(himmelblau, himmelblau.domain,
                                    np.vstack([near, [[0.0, 0.0]]]), status)  # fmt: skip
    assert known
    np.testing.assert_array_equal(basin, [0, 1, 2, 3, NOWHERE])


def test_himmelblau_has_four_basins_and_every_one_is_reached():
    surface = make_function("himmelblau")
    result = basin_map(surface, [Entry.create("sgd", {"lr": 0.01})], surface.domain, 32, 500)
    assert set(np.unique(result.basin)) >= {0, 1, 2, 3}
    # The start next to each minimum ends in it.
    for index, (x, y) in enumerate(surface.minima):
        row, col = result.pixel_of(x, y)
        assert result.basin[0, row, col] == index


def test_csv_has_the_contract_columns_one_row_per_optimizer_and_start():
    scenario = Scenario.from_dict({
        "surface": {"function": "double_well"},
        "optimizers": [{"name": "sgd", "lr": 0.1, "label": "GD"}, {"name": "adam", "lr": 0.05}],
        "starts": [[0.5, 0.5]], "steps": 60,
    })  # fmt: skip
    result = scenario_basin_map(scenario, resolution=5)
    rows = list(csv.reader(io.StringIO(basins.to_csv(result))))
    assert rows[0] == ["optimizer", "label", "x", "y", "end_x", "end_y", "status", "steps", "basin"]
    assert len(rows) == 1 + 2 * 25
    first, adam_first = rows[1], rows[26]
    assert first[:2] == ["sgd", "GD"] and adam_first[:2] == ["adam", "Adam"]
    assert (float(first[2]), float(first[3])) == (result.xs[0], result.ys[0])
    assert float(rows[2][2]) == result.xs[1]  # x fastest
    assert float(first[4]) == result.end[0, 0, 0, 0]  # repr round-trips
    assert first[6] == Status(int(result.status[0, 0, 0])).label
    assert int(first[8]) == result.basin[0, 0, 0]
    archive = np.load(io.BytesIO(basins.to_npz(result)))
    np.testing.assert_array_equal(archive["basin"], result.basin)
    np.testing.assert_array_equal(archive["end"], result.end)


def test_one_optimizer_a_domain_and_bad_choices():
    scenario = Scenario.from_dict({
        "surface": {"function": "quadratic"},
        "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.1}],
        "starts": [[1.0, 1.0]], "steps": 20,
    })  # fmt: skip
    result = scenario_basin_map(scenario, 4, optimizer=1, domain=((0.0, 1.0), (0.0, 2.0)))
    assert result.names == ("adam",) and result.end.shape == (1, 4, 4, 2)
    np.testing.assert_array_equal(result.xs, [0.125, 0.375, 0.625, 0.875])
    for kwargs, fragment in [
        ({"resolution": 0}, "--resolution"),
        ({"resolution": 513}, "--resolution"),
        ({"optimizer": 2}, "--optimizer"),
        ({"domain": ((1.0, 0.0), (0.0, 1.0))}, "--domain"),
    ]:
        with pytest.raises(AnalysisError, match=fragment):
            scenario_basin_map(scenario, **{"resolution": 4, **kwargs})


def test_cancelling_stops_the_work():
    surface = make_function("rosenbrock")
    seen = []

    def progress(fraction: float) -> bool:
        seen.append(fraction)
        return False

    with pytest.raises(Cancelled):
        basin_map(surface, [Entry.create("sgd", {"lr": 1e-4})], surface.domain, 64, 10**6,
                  StopRule(0.0), progress=progress)  # fmt: skip
    assert seen and seen[0] < 1


def test_tile_order_lists_every_pixel_once_tile_by_tile():
    order = tile_order(40)  # 40 is not a multiple of the tile: edge tiles are partial
    assert sorted(order.tolist()) == list(range(1600))
    first = order[: basins.TILE**2]
    rows, cols = np.divmod(first, 40)
    assert rows.max() < basins.TILE and cols.max() < basins.TILE
