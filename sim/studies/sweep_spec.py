"""The sweep spec file: base scenario, factors (a grid and/or sampled ranges), replications, outputs.

:func:`load_sweep_spec` reads and validates it; every problem is one
:class:`SweepSpecError` naming the file and the dotted key (the same
messages as for scenarios, :mod:`sim.spec.validation_errors`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import InputError
from sim.io.yaml_files import read_yaml_mapping
from sim.spec.validation_errors import validation_to_error


class SweepSpecError(InputError):
    """A sweep or sensitivity spec that cannot be used (file, dotted key, expectation)."""


# ---------------------------------------------------------------------------
# The spec


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SampleSpec(_Spec):
    """Factors drawn from ranges by a space-filling design."""

    method: Literal["lhs", "sobol"] = Field(description="Latin hypercube or scrambled Sobol sequence")
    points: int = Field(ge=1, le=100_000, description="number of sampled design points")
    ranges: dict[str, tuple[float, float]] = Field(min_length=1, description="dotted path -> [low, high]")
    integer: list[str] = Field(default_factory=list, description="paths whose values are whole numbers")
    seed: int | None = Field(None, ge=0, description="seed of the design (default: the sweep's seed)")

    @model_validator(mode="after")
    def _check(self) -> SampleSpec:
        for path, (low, high) in self.ranges.items():
            if not high > low:
                raise ValueError(f"range of {path} must have low < high (got [{low}, {high}])")
        unknown = [p for p in self.integer if p not in self.ranges]
        if unknown:
            raise ValueError(f"integer lists {', '.join(unknown)}, which is not in ranges")
        return self


class KeepSpec(_Spec):
    """Which outputs to store: KPI names and channels (all when absent), per-interval tables."""

    kpis: list[str] | None = Field(None, min_length=1)
    channels: list[str] | None = Field(None, min_length=1)
    intervals: bool = Field(False, description="also store per-interval KPIs (intervals.parquet)")


class SweepSpec(_Spec):
    """A sweep spec file: base scenario, factors, replications, seed, outputs."""

    name: str = ""
    description: str = ""
    scenario: str = Field(description="base scenario file, relative to the spec file")
    command: str = Field("run", description="task function: " + ", ".join(sorted({"run", "roi"})))
    replications: int | None = Field(None, ge=1, le=100_000, description="default: the scenario's")
    seed: int | None = Field(None, ge=0, description="default: the scenario's")
    crn: bool = Field(True, description="common random numbers across design points")
    overrides: dict[str, Any] = Field(default_factory=dict, description="fixed dotted-path overrides for every point")
    factors: dict[str, list[Any]] = Field(default_factory=dict, description="dotted path -> levels (full grid)")
    sample: SampleSpec | None = None
    keep: KeepSpec = KeepSpec()

    @field_validator("factors")
    @classmethod
    def _levels(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path, levels in value.items():
            if not levels:
                raise ValueError(f"factor {path} needs at least one level")
        return value

    @model_validator(mode="after")
    def _disjoint(self) -> SweepSpec:
        sampled = set(self.sample.ranges) if self.sample else set()
        both = (set(self.factors) & sampled) | (set(self.overrides) & (set(self.factors) | sampled))
        if both:
            raise ValueError(f"{', '.join(sorted(both))} appears in more than one of overrides, factors and sample.ranges")
        return self


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec (SweepSpecError names the file and key)."""
    source = str(path)
    data = read_yaml_mapping(Path(path), SweepSpecError)
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_to_error(exc, data, SweepSpec, source, SweepSpecError) from None
