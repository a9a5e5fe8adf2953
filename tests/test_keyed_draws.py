"""Common random numbers keyed by customer and purpose: a new draw or behaviour shifts nobody else's numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.engine.agents import Work
from sim.engine.draws import KeyedDraws
from sim.engine.simulation import Simulation
from sim.random import Streams
from sim.spec.scenario import Scenario, scenario_from_dict

from .test_simulation_api import assert_same_records

ROOT = Path(__file__).resolve().parents[1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 2)), min_size=1, max_size=60), st.randoms())
def test_a_number_depends_on_its_key_not_on_the_order_of_requests(requests, shuffler) -> None:
    def draw_all(order):
        draws = KeyedDraws(Streams(7, 0))
        purposes = [draws.purpose("a"), draws.purpose("b"), draws.purpose("c", lambda rng, n: rng.exponential(2.0, n))]
        uses: dict[tuple[int, int], int] = {}
        got = {}
        for customer, p in order:
            k = uses.get((customer, p), 0)
            uses[customer, p] = k + 1
            got[customer, p, k] = draws.next(purposes[p], customer)
        return got

    shuffled = list(requests)
    shuffler.shuffle(shuffled)
    assert draw_all(requests) == draw_all(shuffled)


def test_a_new_purpose_leaves_the_existing_numbers_alone() -> None:
    plain = KeyedDraws(Streams(3, 1))
    p = plain.purpose("x")
    extended = KeyedDraws(Streams(3, 1))
    extended.purpose("new")  # registered first, and used in between
    q = extended.purpose("x")
    for customer in range(0, 3000, 7):
        extended.next(0, customer)
        assert extended.next(q, customer) == plain.next(p, customer)


def test_an_added_user_draw_changes_nothing_in_the_run() -> None:
    scenario = sim.load_scenario(ROOT / "scenarios" / "omnichannel-day.yaml")
    plain = Simulation(scenario, seed=4).run()
    simulation = Simulation(scenario, seed=4)
    drawn: list[float] = []

    def survey(work: Work) -> None:  # an unrelated behaviour that draws for every contact
        drawn.append(simulation.uniform(work.customer, "survey"))
        drawn.append(simulation.uniform(work.customer, "survey"))

    simulation.on("contact_arrived", survey)
    assert_same_records(plain, simulation.run())
    assert len(drawn) > 1000 and 0.45 < float(np.mean(drawn)) < 0.55


def _uncongested_day() -> Scenario:
    """The omnichannel day with agents to spare, a fixed knowledge base and community: no customer waits for another."""
    data = yaml.safe_load((ROOT / "scenarios" / "omnichannel-day.yaml").read_text())
    data["journey"]["knowledge"].update(gain_per_answer=0.0, articles_per_day=0.0)
    data["channels"]["chat"]["concurrency"] = 1  # a chat's stretch would depend on the other chats held
    data["channels"]["phone"].pop("lines")
    data["channels"]["forum"]["community"].update(open_posts_capacity=None, members_per_accepted=0.0,
                                                  members_per_unanswered=0.0)  # peers shared by nobody
    for team in data["teams"].values():
        team["agents"] = 400
        team["shrinkage"] = 0.0
    return scenario_from_dict(data)


class EvenIssuesToChat:
    """Channel choice: issues with an even number go to chat whenever it is open; the rest choose as usual."""

    def choose_channel(self, issue: int, options: list[tuple[str, float]], u: float) -> str | None:
        """``"chat"`` for even issues when chat is open; None otherwise."""
        if issue % 2 == 0 and any(name == "chat" for name, _ in options):
            return "chat"
        return None


def _journeys(records, issues: np.ndarray) -> dict[int, list[tuple]]:
    journey = records.journey
    assert journey is not None
    out: dict[int, list[tuple]] = {int(i): [] for i in issues}
    for k in np.flatnonzero(np.isin(journey.contact_issue, issues)):
        out[int(journey.contact_issue[k])].append((
            int(journey.contact_channel[k]), int(journey.contact_reason[k]), float(journey.contact_arrival_s[k]),
            float(journey.contact_service_s[k]), int(journey.contact_outcome[k]), bool(journey.contact_resolved[k]),
        ))
    return out


def test_changing_some_customers_behaviour_leaves_the_others_draws_and_decisions_unchanged() -> None:
    scenario = _uncongested_day()
    base = Simulation(scenario, seed=2).run()
    changed = Simulation(scenario, seed=2, choice=EvenIssuesToChat()).run()
    assert base.journey is not None and changed.journey is not None
    issues = np.arange(len(base.journey.issue_state))
    odd, even = issues[issues % 2 == 1], issues[issues % 2 == 0]
    before, after = _journeys(base, odd), _journeys(changed, odd)
    assert sum(len(v) > 1 for v in before.values()) > 300  # many odd customers come back: later draws are exercised
    assert before == after  # same channels, reasons, times, handling times, outcomes, resolutions
    assert np.array_equal(base.journey.issue_state[odd], changed.journey.issue_state[odd])
    assert np.array_equal(base.journey.issue_resolution_s[odd], changed.journey.issue_resolution_s[odd], equal_nan=True)
    assert _journeys(base, even) != _journeys(changed, even)  # the policy did change the even customers
