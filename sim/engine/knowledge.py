"""Public knowledge coverage per issue type, and how answers grow it (the flywheel).

Coverage is the share of a type's issues that the forum and knowledge base
answer. Every public answer (an accepted peer answer, a moderator's answer,
an answered social post) closes the fraction ``gain_per_answer`` of the gap
(a published article ``gain_per_article``) between the coverage and its ceiling, so
coverage rises quickly while much is missing and saturates later. Content
also ages: every day a share ``stale_per_day`` of the coverage goes stale,
so without new answers coverage falls, and with them it settles where
gains and ageing balance. Higher coverage makes later customers'
self-service searches succeed more often.
"""

from __future__ import annotations

from sim.spec.journey import Knowledge


class KnowledgeBase:
    """Coverage of each issue type, changed by public answers during a run."""

    def __init__(self, types: list[str], coverage: list[float], spec: Knowledge) -> None:
        self.types = list(types)
        self.coverage = [float(c) for c in coverage]
        self.gain = spec.gain_per_answer
        self.ceiling = spec.ceiling
        self.articles_per_day = spec.articles_per_day
        self.gain_per_article = spec.gain_per_article
        self.stale_per_day = spec.stale_per_day
        self.answers = [0.0] * len(types)

    def add_answers(self, issue_type: int, count: float = 1.0, gain: float | None = None) -> None:
        """``count`` public answers (possibly fractional) for ``issue_type``, each closing ``gain`` of the gap."""
        self.answers[issue_type] += count
        gap = self.ceiling - self.coverage[issue_type]
        if gap > 0:
            self.coverage[issue_type] += gap * (1.0 - (1.0 - (self.gain if gain is None else gain)) ** count)

    def publish_articles(self, elapsed_s: float) -> None:
        """Articles published over ``elapsed_s`` seconds, spread evenly, for every type."""
        if self.articles_per_day > 0 and elapsed_s > 0:
            for k in range(len(self.types)):
                self.add_answers(k, self.articles_per_day * elapsed_s / 86400.0, self.gain_per_article)

    def age(self, elapsed_s: float) -> None:
        """Coverage going stale over ``elapsed_s`` seconds: each type keeps ``(1 - stale_per_day) ** days`` of it."""
        if self.stale_per_day > 0 and elapsed_s > 0:
            keep = (1.0 - self.stale_per_day) ** (elapsed_s / 86400.0)
            self.coverage = [c * keep for c in self.coverage]

    def snapshot(self) -> list[float]:
        """Current coverage of every type."""
        return list(self.coverage)
