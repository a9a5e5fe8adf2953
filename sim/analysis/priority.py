"""Mean waits of customer classes under non-preemptive priority in M/M/c, all classes with the same handling time.

Class 1 is served first, then class 2, and so on; an agent who is serving
finishes (non-preemptive). With ``c`` agents, exponential handling of mean
``1 / mu`` for every class and Poisson arrivals ``lambda_k``, the mean wait
of class ``k`` is (Cobham's formula extended to ``c`` servers)::

    W_k = C(c, a) / (c mu) / ((1 - sigma_{k-1}) (1 - sigma_k)),
    sigma_k = (lambda_1 + ... + lambda_k) / (c mu),

with ``C(c, a)`` the Erlang C probability of waiting at the total load
``a = (lambda_1 + ... + lambda_n) / mu``. The classes' arrival-weighted mean
wait is the FCFS Erlang C wait: priority reorders waiting, it does not
remove it. A scenario expresses the classes as channels served by one team
whose ``skills`` list them in priority order.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.analysis.erlang_c import SECONDS_PER_HOUR, check_agents, check_positive, erlang_c


def priority_waits_s(rates_per_hour: Sequence[float], aht_s: float, agents: int) -> list[float]:
    """Mean wait (s) of each class, highest priority first (inf for classes the agents cannot keep up with)."""
    agents = check_agents(agents)
    aht_s = check_positive("aht_s", aht_s)
    if not rates_per_hour or any(r < 0 for r in rates_per_hour):
        raise ValueError("rates_per_hour must be non-negative, one per class")
    mu = 1.0 / aht_s
    capacity = agents * mu
    lambdas = [r / SECONDS_PER_HOUR for r in rates_per_hour]
    waiting = erlang_c(agents, sum(lambdas) / mu)
    waits: list[float] = []
    before = 0.0
    for lam in lambdas:
        sigma_prev, sigma = before / capacity, (before + lam) / capacity
        waits.append(float("inf") if sigma >= 1.0 else waiting / capacity / ((1 - sigma_prev) * (1 - sigma)))
        before += lam
    return waits
