"""Distributions of uncertain inputs: what a scenario number might be, not how time is spent.

A scenario's ``uncertain`` section, a sensitivity spec's ``inputs`` and an ROI
study all describe an unknown number (a wage, a deflection probability, the
programme's set-up cost) by one of these distributions::

    costs.personnel.agent_annual_salary: {dist: triangular, low: 28000, mode: 32000, high: 38000}
    journey.self_service.look_probability.before_login: {dist: pert, low: 0.3, mode: 0.6, high: 0.8}
    channels.phone.aht.mean_s: {dist: normal, mean: 300, sd: 20, low: 240}
    costs.programme.setup_cost: {dist: lognormal, mean: 25000, cv: 0.3}
    journey.segments.digital.share: {dist: beta, a: 2, b: 5, low: 0.2, high: 0.6}
    roi.demand_growth_per_month: [0.0, 0.01]        # short for uniform low, high

Each is a pydantic model with ``frozen()`` (the scipy distribution), so
sampling is the inverse CDF of uniforms: Latin hypercube, Sobol and plain
Monte Carlo all go through :func:`input_values`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field, TypeAdapter, model_validator

from sim.spec.models import SpecModel


def _stats() -> Any:
    """``scipy.stats``, imported when a distribution is first frozen (a third of a second of start-up otherwise)."""
    from scipy import stats

    return stats


class _Input(SpecModel):
    """Unknown keys, NaN, infinities and true/false for numbers are refused."""

    label: str | None = Field(None, max_length=120, description="the input's plain name in the report")


class UniformInput(_Input):
    """Uniform on ``[low, high]``; ``[low, high]`` in a file is short for this."""

    dist: Literal["uniform"] = "uniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> UniformInput:
        _check_range(self.low, self.high)
        return self

    def frozen(self) -> Any:
        """The scipy distribution."""
        return _stats().uniform(self.low, self.high - self.low)


class TriangularInput(_Input):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> TriangularInput:
        _check_three_point(self.low, self.mode, self.high)
        return self

    def frozen(self) -> Any:
        """The scipy distribution."""
        return _stats().triang((self.mode - self.low) / (self.high - self.low), self.low, self.high - self.low)


class PertInput(_Input):
    """PERT (beta-PERT) on ``[low, high]`` with most likely value ``mode``.

    A beta distribution with shape ``a = 1 + lambda (mode - low) / (high - low)``,
    ``b = 1 + lambda (high - mode) / (high - low)`` (``lambda`` = 4 classically),
    whose mean is ``(low + lambda mode + high) / (lambda + 2)``: the expert's
    three-point estimate with less weight in the tails than a triangle.
    """

    dist: Literal["pert"]
    low: float
    mode: float
    high: float
    shape: float = Field(4.0, gt=0, description="lambda: weight of the mode")

    @model_validator(mode="after")
    def _order(self) -> PertInput:
        _check_three_point(self.low, self.mode, self.high)
        return self

    def frozen(self) -> Any:
        """The scipy distribution."""
        width = self.high - self.low
        a = 1.0 + self.shape * (self.mode - self.low) / width
        b = 1.0 + self.shape * (self.high - self.mode) / width
        return _stats().beta(a, b, loc=self.low, scale=width)


class NormalInput(_Input):
    """Normal with ``mean`` and ``sd``, optionally truncated to ``[low, high]``."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _order(self) -> NormalInput:
        if self.low is not None and self.high is not None:
            _check_range(self.low, self.high)
        return self

    def frozen(self) -> Any:
        """The scipy distribution (truncated when bounds are given)."""
        if self.low is None and self.high is None:
            return _stats().norm(self.mean, self.sd)
        a = -np.inf if self.low is None else (self.low - self.mean) / self.sd
        b = np.inf if self.high is None else (self.high - self.mean) / self.sd
        return _stats().truncnorm(a, b, loc=self.mean, scale=self.sd)


class LognormalInput(_Input):
    """Lognormal with the given ``mean`` and coefficient of variation ``cv`` (positive values)."""

    dist: Literal["lognormal"]
    mean: float = Field(gt=0)
    cv: float = Field(gt=0)

    def frozen(self) -> Any:
        """The scipy distribution."""
        sigma = math.sqrt(math.log1p(self.cv ** 2))
        return _stats().lognorm(sigma, scale=self.mean / math.sqrt(1 + self.cv ** 2))


class BetaInput(_Input):
    """Beta with shapes ``a`` and ``b``, stretched from [0, 1] to ``[low, high]`` (default [0, 1])."""

    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _order(self) -> BetaInput:
        _check_range(self.low, self.high)
        return self

    def frozen(self) -> Any:
        """The scipy distribution."""
        return _stats().beta(self.a, self.b, loc=self.low, scale=self.high - self.low)


def _check_range(low: float, high: float) -> None:
    if not high > low:
        raise ValueError(f"needs low < high (got {low}, {high})")


def _check_three_point(low: float, mode: float, high: float) -> None:
    if not (low <= mode <= high and low < high):
        raise ValueError(f"needs low <= mode <= high and low < high (got {low}, {mode}, {high})")


def _short_form(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return {"dist": "uniform", "low": value[0], "high": value[1]}
    if isinstance(value, dict) and "dist" not in value:
        return {"dist": "uniform", **value}
    return value


InputDistribution = Annotated[
    UniformInput | TriangularInput | PertInput | NormalInput | LognormalInput | BetaInput,
    Field(discriminator="dist"),
    BeforeValidator(_short_form),
]
"""Any uncertain-input distribution, chosen by its ``dist`` key."""

UncertainInputs = dict[str, InputDistribution]
"""Dotted scenario path -> distribution of that number."""

INPUTS_ADAPTER: TypeAdapter[UncertainInputs] = TypeAdapter(UncertainInputs)
"""Validates a mapping of dotted paths to distributions."""

TORNADO_QUANTILES = (0.05, 0.95)
"""Where the tornado puts an unbounded input's low and high (see :func:`tornado_bounds`)."""


def input_values(dist: Any, unit: np.ndarray, integer: bool) -> np.ndarray:
    """Map unit-interval points to an input's values (inverse CDF); integers get equal slices or rounding."""
    u = np.asarray(unit, dtype=float)
    if integer and isinstance(dist, UniformInput):
        low, high = math.ceil(dist.low), math.floor(dist.high)
        return np.minimum(np.floor(low + u * (high - low + 1)), high)
    values = dist.frozen().ppf(u)
    return np.round(values) if integer else values


def tornado_bounds(dist: Any, integer: bool) -> tuple[float, float, float]:
    """``(low, base, high)`` for the one-at-a-time chart and the median.

    Uniform, triangular, PERT and beta inputs (and a normal's given bounds)
    go to their ends; unbounded sides, and lognormal inputs, to their 5 % and
    95 % quantiles.
    """
    frozen = dist.frozen()
    lo, hi = frozen.ppf(TORNADO_QUANTILES[0]), frozen.ppf(TORNADO_QUANTILES[1])
    if isinstance(dist, (UniformInput, TriangularInput, PertInput, BetaInput)):
        lo, hi = dist.low, dist.high
    elif isinstance(dist, NormalInput):
        lo = dist.low if dist.low is not None else lo
        hi = dist.high if dist.high is not None else hi
    base = frozen.median()
    if integer:
        lo, base, hi = math.ceil(lo), round(base), math.floor(hi)
    return float(lo), float(base), float(hi)


def draw_inputs(inputs: Mapping[str, Any], rng: np.random.Generator) -> dict[str, float]:
    """One value of every input, in the mapping's order, from one uniform each.

    Drawing exactly one uniform per input, in a fixed order, means adding an
    input at the end leaves the values of the others unchanged.
    """
    u = rng.random(len(inputs))
    return {path: float(dist.frozen().ppf(u[j])) for j, (path, dist) in enumerate(inputs.items())}


def central_inputs(inputs: Mapping[str, Any]) -> dict[str, float]:
    """The median of every input: the "best guess" scenario."""
    return {path: float(dist.frozen().median()) for path, dist in inputs.items()}
