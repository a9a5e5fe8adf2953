"""Time distributions: each sampler has the mean (and cv) its spec promises."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter

from sim.spec.distributions import Distribution, cv_of, sample

ADAPTER = TypeAdapter(Distribution)

SPECS = [
    {"dist": "exponential", "mean_s": 180},
    {"dist": "lognormal", "mean_s": 200, "cv": 1.3},
    {"dist": "gamma", "mean_s": 90, "cv": 0.5},
    {"dist": "erlang", "mean_s": 300, "k": 4},
    {"dist": "deterministic", "mean_s": 42},
    {"dist": "uniform", "low_s": 10, "high_s": 50},
    {"dist": "triangular", "low_s": 10, "mode_s": 20, "high_s": 60},
    {"dist": "empirical", "values_s": [10, 20, 30, 100]},
    {"dist": "empirical", "values_s": [10, 20, 30, 100], "mean_s": 80},
]


def spec_id(raw: dict) -> str:
    return raw["dist"] + ("-rescaled" if "mean_s" in raw and raw["dist"] == "empirical" else "")


@pytest.mark.parametrize("raw", SPECS, ids=spec_id)
def test_sample_mean_and_cv_match_the_spec(raw: dict) -> None:
    spec = ADAPTER.validate_python(raw)
    draws = sample(spec, np.random.default_rng(3), 200_000)
    assert (draws >= 0).all()
    assert draws.mean() == pytest.approx(spec.mean, rel=0.01)
    cv = draws.std() / draws.mean()
    assert cv == pytest.approx(cv_of(spec), rel=0.03, abs=1e-9)


def test_same_generator_state_same_draws() -> None:
    spec = ADAPTER.validate_python({"dist": "lognormal", "mean_s": 100, "cv": 2})
    a = sample(spec, np.random.default_rng(1), 10)
    b = sample(spec, np.random.default_rng(1), 10)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("raw", [
    {"dist": "uniform", "low_s": 50, "high_s": 10},
    {"dist": "triangular", "low_s": 10, "mode_s": 80, "high_s": 60},
    {"dist": "empirical"},
    {"dist": "empirical", "values_s": []},
    {"dist": "erlang", "mean_s": 10, "k": 0},
    {"dist": "lognormal", "mean_s": 10},
])
def test_inconsistent_specs_are_rejected(raw: dict) -> None:
    with pytest.raises(ValueError):
        ADAPTER.validate_python(raw)


def test_weibull_times_have_the_mean_and_shape_asked_for() -> None:
    import math

    import numpy as np

    from sim.spec.distributions import Weibull, cv_of, sample

    spec = Weibull(dist="weibull", mean_s=300.0, shape=0.78)
    draws = sample(spec, np.random.default_rng(4), 200_000)
    assert abs(draws.mean() / 300.0 - 1) < 0.01
    g1, g2 = math.gamma(1 + 1 / 0.78), math.gamma(1 + 2 / 0.78)
    assert abs(draws.std() / draws.mean() - math.sqrt(g2 / g1**2 - 1)) < 0.02
    assert abs(cv_of(spec) - math.sqrt(g2 / g1**2 - 1)) < 1e-12
    assert cv_of(Weibull(dist="weibull", mean_s=10.0, shape=1.0)) == pytest.approx(1.0)
