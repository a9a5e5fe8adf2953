"""Rosters, shift types and staffing requirements: typed objects from the rows of planning files.

Three planning files feed the workforce commands (formats documented in
``experiments/workforce/README.md``):

- a **roster** CSV (``team,start,length_min,breaks,headcount``): the shifts
  actually worked, e.g. ``phone,08:00,480,120+15;240+30;360+15,12``;
- a **shift types** YAML: the shifts a schedule may use, with allowed start
  times, length, break pattern and cost;
- a **requirements** CSV: agents needed per interval and channel (the
  ``staffing.csv`` written by ``ccsim staff`` or a plain
  ``interval,channel,agents`` file).

A roster describes one day that repeats, or, with a ``day`` column (1 for
the horizon's first day, as ``ccsim schedule --week`` writes), the shifts
of each day of a week. Breaks are ``OFFSET+LENGTH`` in
minutes from the shift start, separated by ``;``. Every problem raises
:class:`~sim.errors.InputError` naming the file and the row or key. The
files themselves are read and written by :mod:`sim.io.rosters`; the
functions here turn their rows and mappings into objects.

How a roster becomes agents per interval (the engine changes staffing only at
interval boundaries) is set by a *rule*, applied to each agent separately:

- ``majority`` (default): an agent counts in an interval when present for more
  than half of it, so a 15-minute break straddling two 15-minute intervals
  removes the agent from the one it covers most; agent-time is kept on average;
- ``minimum``: an agent counts only when present for the whole interval, so a
  break or a shift edge anywhere in the interval removes the agent from it
  (conservative: the count never exceeds the agents on duty at any moment).

Applying the rule per agent keeps coverage linear in shift counts, which is
what lets the schedule integer program use exactly the same rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.spec.requirement_cells import largest_per_interval

DAY_MIN = 1440
"""Minutes in the repeating roster day."""

CoverageRule = Literal["majority", "minimum"]
COVERAGE_RULES: tuple[str, ...] = ("majority", "minimum")
"""How an agent's presence inside an interval is rounded (see module docstring)."""

ROSTER_COLUMNS = ("team", "start", "length_min", "breaks", "headcount")
"""Columns of a roster CSV, in the order they are written."""


class PlanningFileError(InputError):
    """A roster, shift-types or requirements file (or a --target) that cannot be used."""


# ---------------------------------------------------------------------------
# Small parsers


_CLOCK = re.compile(r"^\s*(?:d(?P<day>\d+)\s+)?(?P<h>\d{1,2}):(?P<m>\d{2})\s*$")


def parse_clock(text: Any, source: str, key: str) -> tuple[int, int]:
    """``"HH:MM"`` or ``"dN HH:MM"`` -> ``(day index from 0, minute of day)``."""
    match = _CLOCK.match(str(text))
    if not match:
        raise PlanningFileError(source, key, f"expected a time like 08:30 (or d2 08:30), got {text!r}")
    hours, minutes = int(match["h"]), int(match["m"])
    if hours > 23 or minutes > 59:
        raise PlanningFileError(source, key, f"expected a time between 00:00 and 23:59, got {text!r}")
    day = int(match["day"]) - 1 if match["day"] else 0
    if day < 0:
        raise PlanningFileError(source, key, f"days are numbered from d1, got {text!r}")
    return day, hours * 60 + minutes


def format_clock(minute_of_day: float) -> str:
    """Minutes after midnight -> ``"HH:MM"``."""
    m = int(round(minute_of_day)) % DAY_MIN
    return f"{m // 60:02d}:{m % 60:02d}"


def _whole_minutes(value: Any, source: str, key: str, low: float, high: float) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PlanningFileError(source, key, f"expected a number of minutes, got {value!r}") from None
    if not math.isfinite(number) or number != int(number):
        raise PlanningFileError(source, key, f"expected whole minutes, got {value!r}")
    if not low <= number <= high:
        raise PlanningFileError(source, key, f"expected between {low:g} and {high:g} minutes, got {value!r}")
    return int(number)


@dataclass(frozen=True)
class Break:
    """An absence inside a shift: ``offset_min`` after its start, ``length_min`` long."""

    offset_min: int
    length_min: int

    def __str__(self) -> str:
        return f"{self.offset_min}+{self.length_min}"


def parse_breaks(text: Any, length_min: int, source: str, key: str) -> tuple[Break, ...]:
    """``"120+15;240+30"`` -> breaks, checked to lie inside the shift and not overlap.

    A break may also be given as a window, ``120-180+15`` (starting between
    120 and 180 minutes into the shift): :func:`parse_break_windows` reads
    those; here a window counts at its earliest start.
    """
    return tuple(Break(w.earliest_min, w.length_min) for w in parse_break_windows(text, length_min, source, key))


@dataclass(frozen=True)
class BreakWindow:
    """A break of ``length_min`` that may start from ``earliest_min`` to ``latest_min`` after the shift's start."""

    earliest_min: int
    latest_min: int
    length_min: int

    def __str__(self) -> str:
        if self.earliest_min == self.latest_min:
            return f"{self.earliest_min}+{self.length_min}"
        return f"{self.earliest_min}-{self.latest_min}+{self.length_min}"


def parse_break_windows(text: Any, length_min: int, source: str, key: str) -> tuple[BreakWindow, ...]:
    """``"120+15;240-300+30"`` -> break windows, checked to lie inside the shift and not to overlap at any placement."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ()
    if isinstance(text, (list, tuple)):
        parts = [str(p) for p in text]
    else:
        raw = str(text).strip()
        if raw in ("", "-", "none"):
            return ()
        parts = raw.split(";")
    windows: list[BreakWindow] = []
    for part in parts:
        offset, plus, length = part.strip().partition("+")
        if not plus:
            raise PlanningFileError(source, key, "expected breaks like 120+15;240-300+30 (offset+length, or "
                                    f"earliest-latest+length, in minutes), got {part.strip()!r}")
        earliest, dash, latest = offset.strip().partition("-")
        first = _whole_minutes(earliest.strip(), source, key, 0, length_min)
        last = _whole_minutes(latest.strip(), source, key, 0, length_min) if dash else first
        if last < first:
            raise PlanningFileError(source, key, f"break window {part.strip()!r} ends before it starts")
        w = BreakWindow(first, last, _whole_minutes(length.strip(), source, key, 1, length_min))
        if w.latest_min + w.length_min > length_min:
            raise PlanningFileError(source, key, f"break {w} ends after the {length_min}-minute shift")
        windows.append(w)
    windows.sort(key=lambda w: w.earliest_min)
    for a, b in zip(windows, windows[1:]):
        if b.earliest_min < a.latest_min + a.length_min:
            raise PlanningFileError(source, key, f"breaks {a} and {b} may overlap")
    return tuple(windows)


def format_breaks(breaks: Iterable[Break]) -> str:
    """Breaks back to the ``120+15;240+30`` form."""
    return ";".join(str(b) for b in breaks)


# ---------------------------------------------------------------------------
# Shifts and rosters


def shift_presence(start_min: int, length_min: int, breaks: tuple[Break, ...], total_min: int = DAY_MIN) -> np.ndarray:
    """Minute-by-minute presence (0/1) of one agent over ``total_min`` minutes (a day), wrapping at their end.

    ``start_min`` counts from the first of those minutes: over several days,
    a shift of a later day starts that many days' minutes later.
    """
    minutes = np.zeros(total_min, dtype=np.int8)
    offsets = np.arange(length_min)
    on = np.ones(length_min, dtype=bool)
    for b in breaks:
        on[b.offset_min:b.offset_min + b.length_min] = False
    # a shift longer than a day would overlap itself; lengths are capped at a day
    minutes[(start_min + offsets[on]) % total_min] = 1
    return minutes


def interval_presence(minutes: np.ndarray, interval_minutes: int, rule: CoverageRule = "majority") -> np.ndarray:
    """Per-interval presence (0/1) of one agent from its minute-by-minute presence."""
    if rule not in COVERAGE_RULES:
        raise ValueError(f"rule must be one of {COVERAGE_RULES}, got {rule!r}")
    if DAY_MIN % interval_minutes:
        raise ValueError("interval_minutes must divide a day")
    present = minutes.reshape(-1, interval_minutes).sum(axis=1)
    if rule == "minimum":
        return (present == interval_minutes).astype(np.int64)
    return (2 * present > interval_minutes).astype(np.int64)


@dataclass(frozen=True)
class Shift:
    """``headcount`` agents of ``team`` working from ``start_min`` for ``length_min``."""

    team: str
    start_min: int
    length_min: int
    breaks: tuple[Break, ...] = ()
    headcount: int = 1
    day: int | None = None  # 1-based day of the horizon in a week's roster; None: every day

    def presence(self, interval_minutes: int, rule: CoverageRule = "majority") -> np.ndarray:
        """Per-interval presence of one agent of this shift over the day (0/1)."""
        return interval_presence(shift_presence(self.start_min, self.length_min, self.breaks), interval_minutes, rule)

    @property
    def paid_minutes(self) -> int:
        """Shift length (breaks included): what the agent is paid for."""
        return self.length_min

    @property
    def worked_minutes(self) -> int:
        """Shift length minus breaks."""
        return self.length_min - sum(b.length_min for b in self.breaks)


@dataclass
class Roster:
    """The shifts worked on a repeating day, from a roster file or a schedule."""

    shifts: list[Shift]
    source: str = "<roster>"

    @property
    def teams(self) -> list[str]:
        """Teams in order of first appearance."""
        return list(dict.fromkeys(s.team for s in self.shifts))

    def agents_per_interval(self, team: str, interval_minutes: int, rule: CoverageRule = "majority") -> np.ndarray:
        """Agents of ``team`` counted in each interval of the day under ``rule``."""
        total = np.zeros(DAY_MIN // interval_minutes, dtype=np.int64)
        for s in self.shifts:
            if s.team == team and s.headcount:
                total += s.headcount * s.presence(interval_minutes, rule)
        return total

    @property
    def days(self) -> int | None:
        """The last day a week's roster names (its shifts are per day); None for a day that repeats."""
        named = [s.day for s in self.shifts if s.day is not None]
        return max(named) if named else None

    def to_frame(self) -> pd.DataFrame:
        """The roster as a table with the CSV columns (a ``day`` column first for a week's roster)."""
        rows = [(s.team, format_clock(s.start_min), s.length_min, format_breaks(s.breaks), s.headcount) for s in self.shifts]
        frame = pd.DataFrame(rows, columns=list(ROSTER_COLUMNS))
        if self.days is not None:
            frame.insert(1, "day", [s.day for s in self.shifts])
        return frame


def _count(value: str, source: str, key: str) -> int:
    try:
        number = float(value)
    except ValueError:
        raise PlanningFileError(source, key, f"expected a whole number, got {value!r}") from None
    if not math.isfinite(number) or number != int(number) or number < 0:
        raise PlanningFileError(source, key, f"expected a whole number >= 0, got {value!r}")
    return int(number)


ROSTER_REQUIRED = ("team", "start", "length_min", "headcount")
"""Columns a roster file must have (``breaks`` is optional; ``day`` makes it a week's roster)."""


def roster_from_rows(rows: list[tuple[int, dict[str, str]]], source: str, teams: Iterable[str] | None = None) -> Roster:
    """The roster of a CSV's rows (``(line number, {column: cell})``, columns :data:`ROSTER_REQUIRED`).

    ``teams``, when given, lists the valid team names (the scenario's channels).
    """
    known = list(teams) if teams is not None else None
    shifts: list[Shift] = []
    for number, row in rows:
        where = f"row {number}"
        team = row["team"]
        if not team:
            raise PlanningFileError(source, f"{where} team", "is empty; expected a team (or a channel with its own agents)")
        if known is not None and team not in known:
            raise PlanningFileError(source, f"{where} team",
                                    f"unknown team {team!r}; the scenario's teams are {', '.join(known)}")
        _, start = parse_clock(row["start"], source, f"{where} start")
        length = _whole_minutes(row["length_min"], source, f"{where} length_min", 1, DAY_MIN)
        breaks = parse_breaks(row.get("breaks", ""), length, source, f"{where} breaks")
        headcount = _count(row["headcount"], source, f"{where} headcount")
        day = _count(row["day"], source, f"{where} day") if "day" in row else None
        if day == 0:
            raise PlanningFileError(source, f"{where} day", "expected a day from 1 (the horizon's first), got 0")
        shifts.append(Shift(team, start, length, breaks, headcount, day))
    if not shifts:
        raise PlanningFileError(source, None, "has no shifts; expected at least one row after the header")
    return Roster(shifts, source)


# ---------------------------------------------------------------------------
# Shift types (what a schedule may use)


@dataclass(frozen=True)
class ShiftType:
    """A shift a schedule may staff: allowed starts, length, breaks and cost per shift."""

    name: str
    starts_min: tuple[int, ...]
    length_min: int
    breaks: tuple[Break, ...] = ()
    cost: float = 1.0
    teams: tuple[str, ...] | None = None
    max_count: int | None = None
    break_windows: tuple[BreakWindow, ...] = ()

    def break_options(self, step_min: int) -> list[tuple[Break, ...]]:
        """Every placement of the breaks within their windows, on a ``step_min`` grid (the fixed breaks alone without windows)."""
        if not self.break_windows:
            return [self.breaks]
        options: list[tuple[Break, ...]] = [()]
        for w in self.break_windows:
            starts = range(w.earliest_min, w.latest_min + 1, max(1, step_min)) if w.latest_min > w.earliest_min \
                else [w.earliest_min]
            options = [(*o, Break(s, w.length_min)) for o in options for s in starts]
        return options

    def for_team(self, team: str) -> bool:
        """Whether agents of ``team`` may work this shift."""
        return self.teams is None or team in self.teams

    def shift(self, team: str, start_min: int, headcount: int = 1) -> Shift:
        """The concrete :class:`Shift` starting at ``start_min``."""
        return Shift(team, start_min, self.length_min, self.breaks, headcount)


_SHIFT_KEYS = {"name", "starts", "length_min", "breaks", "cost", "teams", "max_count"}


def _starts(value: Any, source: str, key: str) -> tuple[int, ...]:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, list):
        if not value:
            raise PlanningFileError(source, key, "is empty; expected at least one start time")
        return tuple(sorted({parse_clock(v, source, f"{key}[{i}]")[1] for i, v in enumerate(value)}))
    if isinstance(value, dict):
        extra = set(value) - {"from", "to", "every_min"}
        if extra:
            raise PlanningFileError(source, f"{key}.{sorted(extra)[0]}", "unknown key; expected from, to, every_min")
        for needed in ("from", "to", "every_min"):
            if needed not in value:
                raise PlanningFileError(source, f"{key}.{needed}", "is required but missing")
        _, first = parse_clock(value["from"], source, f"{key}.from")
        _, last = parse_clock(value["to"], source, f"{key}.to")
        step = _whole_minutes(value["every_min"], source, f"{key}.every_min", 1, DAY_MIN)
        if last < first:
            last += DAY_MIN
        return tuple(sorted({m % DAY_MIN for m in range(first, last + 1, step)}))
    raise PlanningFileError(source, key, "expected a list of times or {from: HH:MM, to: HH:MM, every_min: N}")


def shift_types_from_mapping(data: dict[str, Any], source: str) -> list[ShiftType]:
    """The shift types of a shift-types file's mapping (a ``shifts:`` list; see the module docstring)."""
    extra = set(data) - {"shifts"}
    if extra:
        raise PlanningFileError(source, sorted(extra)[0], "unknown key; expected shifts")
    items = data.get("shifts")
    if not isinstance(items, list) or not items:
        raise PlanningFileError(source, "shifts", "expected a non-empty list of shift types")
    types: list[ShiftType] = []
    names: set[str] = set()
    for i, item in enumerate(items):
        key = f"shifts[{i}]"
        if not isinstance(item, dict):
            raise PlanningFileError(source, key, "expected a mapping with name, starts, length_min, breaks, cost")
        unknown = set(item) - _SHIFT_KEYS
        if unknown:
            raise PlanningFileError(source, f"{key}.{sorted(unknown)[0]}",
                                    f"unknown key; allowed: {', '.join(sorted(_SHIFT_KEYS))}")
        for needed in ("starts", "length_min"):
            if needed not in item:
                raise PlanningFileError(source, f"{key}.{needed}", "is required but missing")
        name = str(item.get("name", f"shift{i + 1}"))
        if name in names:
            raise PlanningFileError(source, f"{key}.name", f"duplicate shift name {name!r}")
        names.add(name)
        length = _whole_minutes(item["length_min"], source, f"{key}.length_min", 1, DAY_MIN)
        cost = item.get("cost", length / 60.0)
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not math.isfinite(cost) or cost < 0:
            raise PlanningFileError(source, f"{key}.cost", f"expected a number >= 0, got {cost!r}")
        teams = item.get("teams")
        if teams is not None:
            if isinstance(teams, str):
                teams = [teams]
            if not isinstance(teams, list) or not teams or not all(isinstance(t, str) for t in teams):
                raise PlanningFileError(source, f"{key}.teams", "expected a list of team (channel) names")
            teams = tuple(teams)
        max_count = item.get("max_count")
        if max_count is not None and (isinstance(max_count, bool) or not isinstance(max_count, int) or max_count < 0):
            raise PlanningFileError(source, f"{key}.max_count", f"expected a whole number >= 0, got {max_count!r}")
        types.append(ShiftType(
            name=name,
            starts_min=_starts(item["starts"], source, f"{key}.starts"),
            length_min=length,
            breaks=parse_breaks(item.get("breaks"), length, source, f"{key}.breaks"),
            cost=float(cost),
            teams=teams,
            max_count=max_count,
            break_windows=parse_break_windows(item.get("breaks"), length, source, f"{key}.breaks"),
        ))
    return types


# ---------------------------------------------------------------------------
# Requirements


@dataclass
class Requirements:
    """Agents needed per channel and interval of the (repeating) day."""

    interval_minutes: int
    agents: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = "<requirements>"


REQUIREMENTS_REQUIRED = ("channel",)
"""Columns a requirements file must have; the time and count columns have two spellings each."""


def requirements_from_rows(header: list[str], rows: list[tuple[int, dict[str, str]]], source: str, interval_minutes: int,
                           channels: Iterable[str] | None = None, paid: Iterable[str] = (),
                           fold_days: bool = True) -> Requirements:
    """Agents needed per interval and team (or channel), from a requirements CSV's header and rows.

    Accepts the ``staffing.csv`` written by ``ccsim staff`` (its ``team``
    and ``simulated_agents`` columns; for the teams named in ``paid``, whose
    shrinkage the scenario applies to rostered agents, the paid
    ``required_fte`` rounded up, so shrinkage carries through to the
    schedule) or a plain file with columns ``interval,channel,agents``
    (``interval`` or ``interval_start`` as HH:MM or ``dN HH:MM``). Rows of several days are folded onto
    one day by taking the largest requirement per time of day (unless
    ``fold_days`` is false: then each team's requirement covers every day
    up to the last named). Times must fall on interval starts. ``channels``
    lists the valid names.
    """
    time_col = "interval_start" if "interval_start" in header else "interval" if "interval" in header else None
    agents_col = "simulated_agents" if "simulated_agents" in header else "agents" if "agents" in header else None
    if time_col is None or agents_col is None:
        raise PlanningFileError(source, "header",
                                "expected columns interval (or interval_start), channel and agents (or simulated_agents)")
    known = list(channels) if channels is not None else None
    paid_teams = set(paid)
    key_col = "team" if "team" in header else "channel"
    n = DAY_MIN // interval_minutes
    cells: list[tuple[str, int, int]] = []
    for number, row in rows:
        where = f"row {number}"
        channel = row[key_col]
        if not channel:
            raise PlanningFileError(source, f"{where} {key_col}", "is empty")
        if known is not None and channel not in known:
            raise PlanningFileError(source, f"{where} {key_col}",
                                    f"unknown team or channel {channel!r}; the scenario's teams are {', '.join(known)}")
        day, minute = parse_clock(row[time_col], source, f"{where} {time_col}")
        if minute % interval_minutes:
            raise PlanningFileError(source, f"{where} {time_col}",
                                    f"{row[time_col]} is not the start of a {interval_minutes}-minute interval")
        if channel in paid_teams and row.get("required_fte"):
            try:
                count = math.ceil(float(row["required_fte"]) - 1e-6)
            except ValueError:
                raise PlanningFileError(source, f"{where} required_fte",
                                        f"expected a number, got {row['required_fte']!r}") from None
        else:
            count = _count(row[agents_col], source, f"{where} {agents_col}")
        cells.append((channel, minute // interval_minutes + (0 if fold_days else day * n), count))
    if not cells:
        raise PlanningFileError(source, None, "has no rows after the header")
    return Requirements(interval_minutes, largest_per_interval(cells, n, whole_days=not fold_days), source)
