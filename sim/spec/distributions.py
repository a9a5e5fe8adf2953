"""Probability distributions for times (handling, patience, retrial delays).

Each distribution is a small pydantic model chosen by its ``dist`` key in a
scenario file. Most are given by their mean (``mean_s``) and, where a shape
is needed, a coefficient of variation (``cv``), because that is how planners
quote handling times. :func:`sample` turns a spec into ``n`` draws from a
given :class:`numpy.random.Generator`; draws are made in vectorised blocks.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from sim.spec.models import SpecModel


class _Dist(SpecModel):
    @property
    def mean(self) -> float:
        """Mean of the distribution in seconds."""
        return float(self.mean_s)  # type: ignore[attr-defined]


class Exponential(_Dist):
    """Memoryless times: the Erlang C / Erlang A assumption."""

    dist: Literal["exponential"] = "exponential"
    mean_s: PositiveFloat


class Lognormal(_Dist):
    """Right-skewed times; real handling times usually look like this."""

    dist: Literal["lognormal"]
    mean_s: PositiveFloat
    cv: PositiveFloat = Field(description="standard deviation / mean")


class Gamma(_Dist):
    """Gamma times given by mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean_s: PositiveFloat
    cv: PositiveFloat


class Erlang(_Dist):
    """Sum of ``k`` exponential phases (cv = 1/sqrt(k))."""

    dist: Literal["erlang"]
    mean_s: PositiveFloat
    k: PositiveInt


class Weibull(_Dist):
    """Weibull times by mean and shape: patience as calibrated logs measure it (shape < 1: the impatient leave early)."""

    dist: Literal["weibull"]
    mean_s: PositiveFloat
    shape: PositiveFloat = Field(description="Weibull shape k (1 is exponential)")

    @property
    def scale_s(self) -> float:
        """The scale that gives ``mean_s``: mean / Gamma(1 + 1/shape)."""
        return float(self.mean_s / math.gamma(1.0 + 1.0 / self.shape))


class Deterministic(_Dist):
    """A fixed time (cv = 0)."""

    dist: Literal["deterministic"]
    mean_s: PositiveFloat


class Uniform(_Dist):
    """Uniform between ``low_s`` and ``high_s``."""

    dist: Literal["uniform"]
    low_s: float = Field(ge=0)
    high_s: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high_s <= self.low_s:
            raise ValueError("high_s must be greater than low_s")
        return self

    @property
    def mean(self) -> float:
        """Mean in seconds."""
        return (self.low_s + self.high_s) / 2


class Triangular(_Dist):
    """Triangular with minimum, most likely and maximum time."""

    dist: Literal["triangular"]
    low_s: float = Field(ge=0)
    mode_s: float = Field(ge=0)
    high_s: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low_s <= self.mode_s <= self.high_s and self.low_s < self.high_s):
            raise ValueError("need low_s <= mode_s <= high_s and low_s < high_s")
        return self

    @property
    def mean(self) -> float:
        """Mean in seconds."""
        return (self.low_s + self.mode_s + self.high_s) / 3


class Empirical(_Dist):
    """Resampling of observed times: a list ``values_s``.

    A scenario file may instead name a CSV ``column`` (``csv`` relative to
    the file): :func:`sim.io.scenario_files.load_scenario` reads it into
    ``values_s`` before validation, so the schema sees data, never a path.
    If ``mean_s`` is given the values are rescaled to that mean, so a
    what-if on the mean keeps the observed shape.
    """

    dist: Literal["empirical"]
    values_s: list[Annotated[float, Field(ge=0)]] | None = None
    csv: str | None = Field(None, description="CSV file of observed times, relative to the scenario file")
    column: str | None = Field(None, description="the CSV column that holds the times")
    mean_s: PositiveFloat | None = None

    @model_validator(mode="after")
    def _check(self) -> Empirical:
        if (self.values_s is None) == (self.csv is None):
            raise ValueError("give exactly one of values_s (a list) or csv with column")
        if self.csv is not None:
            if not self.column:
                raise ValueError("csv needs a column name")
            raise ValueError(
                f"csv {self.csv!r} has not been read: a scenario file's CSV columns are read when it is loaded "
                "(sim.load_scenario); a scenario built from data gives values_s"
            )
        if not self.values_s:
            raise ValueError("values_s must hold at least one observed time")
        if sum(self.values_s) <= 0:
            raise ValueError("values_s must not be all zero")
        return self

    @property
    def mean(self) -> float:
        """Mean in seconds (the rescaled mean when ``mean_s`` is set)."""
        assert self.values_s is not None
        return float(self.mean_s) if self.mean_s else float(np.mean(self.values_s))


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Erlang | Weibull | Deterministic | Uniform | Triangular | Empirical,
    Field(discriminator="dist"),
]
"""Any time distribution, told apart by its ``dist`` key."""

DIST_NAMES = ("exponential", "lognormal", "gamma", "erlang", "weibull", "deterministic", "uniform", "triangular",
              "empirical")


def default_exponential(value: Any) -> Any:
    """Treat a mapping without ``dist`` as exponential (the queueing default)."""
    if isinstance(value, dict) and "dist" not in value:
        return {"dist": "exponential", **value}
    return value


def sample(spec: _Dist, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw ``n`` times in seconds from ``spec`` with ``rng`` (one vectorised call)."""
    if isinstance(spec, Exponential):
        return rng.exponential(spec.mean_s, n)
    if isinstance(spec, Lognormal):
        sigma2 = math.log1p(spec.cv**2)
        return rng.lognormal(math.log(spec.mean_s) - sigma2 / 2, math.sqrt(sigma2), n)
    if isinstance(spec, Gamma):
        shape = 1.0 / spec.cv**2
        return rng.gamma(shape, spec.mean_s / shape, n)
    if isinstance(spec, Erlang):
        return rng.gamma(spec.k, spec.mean_s / spec.k, n)
    if isinstance(spec, Weibull):
        return spec.scale_s * rng.weibull(spec.shape, n)
    if isinstance(spec, Deterministic):
        return np.full(n, float(spec.mean_s))
    if isinstance(spec, Uniform):
        return rng.uniform(spec.low_s, spec.high_s, n)
    if isinstance(spec, Triangular):
        return rng.triangular(spec.low_s, spec.mode_s, spec.high_s, n)
    if isinstance(spec, Empirical):
        values = np.asarray(spec.values_s, dtype=float)
        if spec.mean_s:
            values = values * (spec.mean_s / values.mean())
        return values[rng.integers(0, len(values), n)]
    raise TypeError(f"unknown distribution {spec!r}")


def cv_of(spec: _Dist) -> float:
    """Coefficient of variation of ``spec`` (for analytic approximations)."""
    if isinstance(spec, Exponential):
        return 1.0
    if isinstance(spec, (Lognormal, Gamma)):
        return float(spec.cv)
    if isinstance(spec, Erlang):
        return 1.0 / math.sqrt(spec.k)
    if isinstance(spec, Weibull):
        g1, g2 = math.gamma(1.0 + 1.0 / spec.shape), math.gamma(1.0 + 2.0 / spec.shape)
        return math.sqrt(max(g2 / (g1 * g1) - 1.0, 0.0))
    if isinstance(spec, Deterministic):
        return 0.0
    if isinstance(spec, Uniform):
        return (spec.high_s - spec.low_s) / math.sqrt(12) / spec.mean
    if isinstance(spec, Triangular):
        a, c, b = spec.low_s, spec.mode_s, spec.high_s
        var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        return math.sqrt(var) / spec.mean
    if isinstance(spec, Empirical):
        values = np.asarray(spec.values_s, dtype=float)
        return float(values.std() / values.mean())
    raise TypeError(f"unknown distribution {spec!r}")
