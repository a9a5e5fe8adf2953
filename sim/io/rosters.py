"""Planning files on disk: rosters and requirements (CSV), shift types (YAML).

Reading checks the file itself (present, readable, a header with the needed
columns, no row longer than the header; blank lines and ``#`` comments are
skipped) and hands rows or the mapping to :mod:`sim.spec.roster`, which
turns them into objects. Every problem raises
:class:`~sim.spec.roster.PlanningFileError` naming the file and the row or key.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from sim.io.yaml_files import read_yaml_mapping
from sim.spec.roster import (
    REQUIREMENTS_REQUIRED,
    ROSTER_REQUIRED,
    PlanningFileError,
    Requirements,
    Roster,
    ShiftType,
    requirements_from_rows,
    roster_from_rows,
    shift_types_from_mapping,
)


def read_csv_rows(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and rows of a CSV file, each row a dict with its line number; checks the header has ``required``."""
    source = str(path)
    if not path.exists():
        raise PlanningFileError(source, None, "file not found")
    if path.is_dir():
        raise PlanningFileError(source, None, "is a directory; expected a CSV file")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Excel's "CSV UTF-8") is not a column name
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanningFileError(source, None, f"cannot be read ({exc})") from None
    lines = [line for line in text.splitlines()]
    reader = csv.reader(lines)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(reader, start=1):
        if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            missing = [c for c in required if c not in header]
            if missing:
                raise PlanningFileError(source, "header",
                                        f"missing column(s) {', '.join(missing)}; expected {','.join(required)}")
            continue
        if len(cells) > len(header):
            raise PlanningFileError(source, f"row {number}", f"has {len(cells)} cells but the header has {len(header)} columns")
        rows.append((number, {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}))
    if header is None:
        raise PlanningFileError(source, None, f"is empty; expected a header {','.join(required)}")
    return header, rows


def read_roster(path: str | Path, teams: Iterable[str] | None = None) -> Roster:
    """Read a roster CSV (``team,start,length_min,breaks,headcount``).

    ``teams``, when given, lists the valid team names (the scenario's channels).
    """
    path = Path(path)
    _, rows = read_csv_rows(path, ROSTER_REQUIRED)
    return roster_from_rows(rows, str(path), teams)


def write_roster(roster: Roster, path: str | Path) -> None:
    """Write ``roster`` as a CSV in the format :func:`read_roster` reads."""
    roster.to_frame().to_csv(path, index=False)


def read_shift_types(path: str | Path, teams: Iterable[str] | None = None) -> list[ShiftType]:
    """Read a shift-types YAML file (a ``shifts:`` list; see :mod:`sim.spec.roster`).

    ``teams``, when given, lists the valid team names: a shift type whose
    ``teams`` names another is refused (PlanningFileError naming the file,
    ``shifts.<index>.teams`` and the teams there are).
    """
    path = Path(path)
    types = shift_types_from_mapping(read_yaml_mapping(path, PlanningFileError), str(path))
    if teams is not None:
        known = list(teams)
        for index, shift in enumerate(types):
            unknown = [team for team in shift.teams or () if team not in known]
            if unknown:
                raise PlanningFileError(str(path), f"shifts.{index}.teams",
                                        f"shift type {shift.name!r} names unknown team(s) {', '.join(unknown)}; the "
                                        f"scenario's teams are {', '.join(known)}")
    return types


def read_requirements(path: str | Path, interval_minutes: int, channels: Iterable[str] | None = None,
                      paid: Iterable[str] = (), fold_days: bool = True) -> Requirements:
    """Read agents needed per interval and team (see :func:`sim.spec.roster.requirements_from_rows`)."""
    path = Path(path)
    header, rows = read_csv_rows(path, REQUIREMENTS_REQUIRED)
    return requirements_from_rows(header, rows, str(path), interval_minutes, channels, paid, fold_days)
