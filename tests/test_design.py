"""Designs: grid size and order, Latin hypercube strata, Sobol range, integer factors, Saltelli blocks."""

from __future__ import annotations

import numpy as np
import pytest

from sim.studies.design import full_grid, latin_hypercube, saltelli_design, saltelli_matrices, scale_unit, sobol_points


def test_full_grid_has_every_combination_last_factor_fastest() -> None:
    grid = full_grid({"a": [1, 2, 3], "b": ["x", "y"], "c": [0.5, 1.5]})
    assert len(grid) == 3 * 2 * 2
    assert len({tuple(p.values()) for p in grid}) == 12
    assert grid[0] == {"a": 1, "b": "x", "c": 0.5}
    assert grid[1] == {"a": 1, "b": "x", "c": 1.5}
    assert grid[-1] == {"a": 3, "b": "y", "c": 1.5}
    assert full_grid({}) == [{}]
    with pytest.raises(ValueError):
        full_grid({"a": []})


@pytest.mark.parametrize("n", [7, 50])
def test_latin_hypercube_puts_one_point_in_each_stratum(n: int) -> None:
    points = latin_hypercube(n, 3, seed=5)
    assert points.shape == (n, 3)
    for column in points.T:
        strata = np.floor(column * n).astype(int)
        assert sorted(strata) == list(range(n))
    assert not np.array_equal(latin_hypercube(n, 3, seed=5), latin_hypercube(n, 3, seed=6))
    np.testing.assert_array_equal(points, latin_hypercube(n, 3, seed=5))


def test_sobol_points_lie_in_the_unit_cube_and_scale_into_ranges() -> None:
    unit = sobol_points(64, 4, seed=3)
    assert unit.shape == (64, 4)
    assert unit.min() >= 0 and unit.max() < 1
    # a balanced Sobol sample of 64 points has 16 points in each quarter of every axis
    for column in unit.T:
        assert np.bincount(np.floor(column * 4).astype(int), minlength=4).tolist() == [16, 16, 16, 16]
    scaled = scale_unit(unit, [10, -1, 100, 0], [20, 1, 1000, 1e-3])
    assert np.all(scaled >= [10, -1, 100, 0]) and np.all(scaled <= [20, 1, 1000, 1e-3])
    np.testing.assert_allclose(scaled[:, 0], 10 + 10 * unit[:, 0])


def test_integer_factors_are_whole_numbers_with_equal_shares_including_the_ends() -> None:
    unit = latin_hypercube(30, 2, seed=1)
    scaled = scale_unit(unit, [10, 0.0], [12, 1.0], integer=[True, False])
    agents = scaled[:, 0]
    assert np.all(agents == np.round(agents))
    # 30 strata over 3 integers: each of 10, 11, 12 gets exactly 10 points (plain rounding would give 5/15/10 or so)
    assert np.unique(agents, return_counts=True)[1].tolist() == [10, 10, 10]
    assert not np.all(scaled[:, 1] == np.round(scaled[:, 1]))
    with pytest.raises(ValueError):
        scale_unit(unit, [10.2, 0], [10.8, 1], integer=[True, False])


def test_saltelli_design_blocks_swap_one_column_each() -> None:
    a, b = saltelli_matrices(16, 3, seed=2)
    assert a.shape == b.shape == (16, 3)
    assert not np.allclose(a, b)
    design = saltelli_design(a, b)
    assert design.shape == (16 * 5, 3)
    np.testing.assert_array_equal(design[:16], a)
    np.testing.assert_array_equal(design[16:32], b)
    for i in range(3):
        block = design[32 + 16 * i: 48 + 16 * i]
        np.testing.assert_array_equal(block[:, i], b[:, i])
        others = [j for j in range(3) if j != i]
        np.testing.assert_array_equal(block[:, others], a[:, others])
