"""Headcount month by month under the ROI study's staffing policy, per team.

Each month a team *needs* the FTE of the staffing rule's agents
(:mod:`sim.studies.roi_staffing`) and *pays* what the policy keeps:

- ``to_target``: exactly the need (the excess beyond the month's leavers is
  let go at once);
- ``attrition``: the need, or the staff who stay if more (nobody is laid
  off; the team shrinks through leavers alone);
- ``fixed``: the need, or last month's headcount if more (headcount never
  falls).

Every policy hires what it pays for above the staff who stay. With
``roi.hiring_lead_months`` L > 0 a hire decided in month m joins in month
m + L: each month the policy orders what it will lack L months on (its
target less the staff and the pending hires still there then, after the
expected leavers), and meanwhile the team has only the staff who stayed
and the hires that joined. Paid is then what the team has (``to_target``
lets go what exceeds the need); a team short of its need is simulated with
the agents it has (see :func:`sim.studies.roi_staffing.with_paid_agents`)
and its service shows it. A team paid
more than it needs has those agents on duty: the arm is simulated with the
staffing it pays for (in whole agents per interval, rounded up, so the
simulated agent-hours exceed the paid ones by less than one agent for one
interval). Months between simulated ones take a need
interpolated linearly between their neighbours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

POLICIES = ("to_target", "attrition", "fixed")
"""The staffing policies, in the order the report compares them."""


def paid_fte(policy: str, leavers: float, head: float, need: float, lead_months: int = 0, joining: float = 0.0,
             pending: float = 0.0) -> tuple[float, float, float]:
    """FTE paid this month under ``policy``, the hires who join and the hires ordered, from last month's ``head``.

    ``joining`` are the hires ordered ``lead_months`` ago, ``pending`` those
    ordered since and not yet joined (both unused without a lead time:
    hires then join the month they are decided).
    """
    staying = head * (1.0 - leavers)
    target = max(head, need) if policy == "fixed" else need
    if lead_months <= 0:
        ordered = max(0.0, target - staying)
        available, joined = staying + ordered, ordered
    else:
        available, joined = staying + joining, joining
        ordered = max(0.0, target - (available + pending) * (1.0 - leavers) ** lead_months)
    paid = min(available, need) if policy == "to_target" else available
    return paid, joined, ordered


@dataclass(frozen=True)
class TeamMonth:
    """One team in one month: FTE needed, FTE paid, hires who joined, hires ordered (they join after the lead time)."""

    need: float
    paid: float
    hires: float
    ordered: float = 0.0


@dataclass
class HeadcountPath:
    """Headcount per team through the months of one arm (months added in order)."""

    policy: str
    leavers_per_month: float
    start: dict[str, float] | None = None
    """Headcount before the first month; None: the first month's need (a team staffed to its need today)."""
    lead_months: int = 0
    """Months from ordering a hire to the hire joining (``roi.hiring_lead_months``)."""
    months: dict[int, dict[str, TeamMonth]] = field(default_factory=dict)

    def _team_month(self, month: int, u: str, head: float, need: float,
                    earlier: Mapping[int, Mapping[str, TeamMonth]]) -> TeamMonth:
        """Team ``u`` in ``month`` from last month's ``head``, this ``need`` and the orders of ``earlier`` months."""
        lead = self.lead_months
        orders = {m: row[u].ordered for m, row in earlier.items() if u in row}
        joining = orders.get(month - lead, 0.0) if lead > 0 else 0.0
        pending = sum(v for m, v in orders.items() if month - lead < m < month) if lead > 0 else 0.0
        return TeamMonth(need, *paid_fte(self.policy, self.leavers_per_month, head, need, lead, joining, pending))

    def _head(self, need: Mapping[str, float]) -> dict[str, float]:
        if self.months:
            return {u: t.paid for u, t in self.months[max(self.months)].items()}
        return dict(need) if self.start is None else dict(self.start)

    def _between(self, month: int, need: Mapping[str, float]) -> dict[int, dict[str, TeamMonth]]:
        """The months after the last one recorded and before ``month``, with interpolated needs."""
        last = max(self.months) if self.months else 0
        before = {u: t.need for u, t in self.months[last].items()} if self.months else dict(need)
        head = self._head(need)
        out: dict[int, dict[str, TeamMonth]] = {}
        for m in range(last + 1, month):
            w = (m - last) / (month - last)
            row = {}
            for u in set(need) | set(before):
                n = (1 - w) * before.get(u, 0.0) + w * need.get(u, 0.0)
                row[u] = self._team_month(m, u, head.get(u, 0.0), n, {**self.months, **out})
            head = {u: t.paid for u, t in row.items()}
            out[m] = row
        return out

    def _month_row(self, month: int, need: Mapping[str, float]) -> tuple[dict[int, dict[str, TeamMonth]],
                                                                      dict[str, TeamMonth]]:
        """The months between the last recorded one and ``month``, and ``month`` itself for this ``need``."""
        between = self._between(month, need)
        head = {u: t.paid for u, t in between[max(between)].items()} if between else self._head(need)
        earlier = {**self.months, **between}
        row = {u: self._team_month(month, u, head.get(u, 0.0), n, earlier) for u, n in need.items()}
        return between, row

    def propose(self, month: int, need: Mapping[str, float]) -> dict[str, float]:
        """Paid FTE per team in ``month`` for this ``need``, without recording anything."""
        return {u: t.paid for u, t in self._month_row(month, need)[1].items()}

    def record(self, month: int, need: Mapping[str, float]) -> None:
        """Record ``month`` with its need (and the months before it, their needs interpolated)."""
        between, row = self._month_row(month, need)
        self.months.update(between)
        self.months[month] = row

    def month(self, month: int) -> dict[str, TeamMonth]:
        """The teams' figures of a recorded month."""
        return self.months[month]
