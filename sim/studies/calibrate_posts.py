"""Calibration of public-post behaviour: a post log -> scenario keys with confidence intervals.

:func:`calibrate_posts` reads a clean post table (:func:`sim.io.postlog.read_post_log`)
and estimates, per channel, what the scenario's ``channels`` section types
and what the service made of it. Each :class:`PostEstimate` says which it is:

*Parameters* (the engine draws them independently of load and staffing, so
the estimators recover them without bias up to the small effects noted):

- ``channels.<c>.patience``: exponential censored MLE (gave-up times are
  events, answer times and the log's end censor them). An agent's answer is
  logged when it is written, after the author's patience stopped at the
  start of the handling: the known mean handling time (:class:`ChannelSettings`)
  is taken off agents' answers. Without it the mean is high by about the
  share of answered posts x handling time / mean patience.
- ``channels.<social>.response_coverage``: the share of posts the center
  takes on. Posts taken on can still be abandoned before an answer, so the
  share answered is lower; each answer at age ``a`` is weighted by
  ``exp(a / mean patience)``, the inverse of its chance to be seen
  (inverse-probability weighting). Posts too young at the log's end to have
  had their answer are left out.
- ``channels.<social>.sentiment``: the shares an author starts with, how
  fast waiting sours a post (``sour_after_s``) and the chance a resolving
  answer turns it positive (``delight_probability``), by maximum likelihood
  from each post's final sentiment, its time waited and whether the answer
  resolved it (the engine's model of souring and delight).
- ``channels.<forum>.community.accept_probability``: accepted peer answers
  over peer answers (Wilson interval, :func:`sim.analysis.metrics.share_interval`).
- ``channels.<forum>.community.answers_per_active_per_day``: only when the
  community's size is known (:class:`ChannelSettings`, e.g. from a scenario): the
  peer rate per post, corrected for the open posts sharing the peers'
  capacity, divided by the active-member equivalent. Members joining and
  leaving during the log are ignored (the size at the start is used).

*Outcomes* (they depend on load, staffing and community size, so they are
what a run of the calibrated scenario should reproduce, not inputs): the
share of posts answered, the share a peer answered first, the peer rate per
post and the time to a first peer answer, agents' response times, and the
final sentiment shares.

Intervals of the coverage and the sentiment parameters come from a
bootstrap over posts; the others are exact or Wilson intervals.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special

from sim.analysis.metrics import confidence_interval, share_interval
from sim.analysis.survival import exponential_censored, kaplan_meier

DAY_S = 86400.0


@dataclass(frozen=True)
class ChannelSettings:
    """What a channel's post log cannot tell but its scenario knows.

    ``handling_s``: agents' mean handling time (an author's patience stops
    when an agent starts on the post, the log shows when the answer was
    written); forums: ``moderation_after_s``, the age at which a post no
    peer answered goes to agents (peers stop answering then); ``capacity``,
    the open posts the peers answer at full speed (None: unlimited);
    ``active_members``, members x active share + super-users x their weight
    (None: unknown, the per-member rate is not estimated).
    """

    handling_s: float = 0.0
    moderation_after_s: float = math.inf
    capacity: float | None = None
    active_members: float | None = None


def known_from_scenario(scenario: Any) -> dict[str, ChannelSettings]:
    """:class:`ChannelSettings` of every social and forum channel of a :class:`~sim.spec.scenario.Scenario`."""
    served = {skill for team in (scenario.teams or {}).values() for skill in team.skills}
    out: dict[str, ChannelSettings] = {}
    for name, channel in scenario.channels.items():
        kind = channel.kind_for(name)
        if kind not in ("social", "forum"):
            continue
        staffed = channel.agents is not None or name in served
        community = channel.community
        out[name] = ChannelSettings(
            handling_s=float(channel.aht.mean),
            moderation_after_s=float(channel.moderation_after_s) if kind == "forum" and staffed else math.inf,
            capacity=community.open_posts_capacity if community is not None else None,
            active_members=(community.members * community.active_share + community.super_users * community.super_user_weight)
            if community is not None else None,
        )
    return out


@dataclass(frozen=True)
class PostCalibrationOptions:
    """Choices of the post calibration."""

    level: float = 0.95
    bootstrap: int = 200
    seed: int = 1
    known: dict[str, ChannelSettings] = field(default_factory=dict)


@dataclass(frozen=True)
class PostEstimate:
    """One estimate with its interval, the scenario key it sets (if any) and whether it is a parameter or an outcome."""

    channel: str
    name: str
    value: float
    low: float
    high: float
    n: int
    kind: Literal["parameter", "outcome"]
    key: str | None = None
    unit: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


@dataclass
class PostCalibration:
    """Estimates, the scenario keys they give (dotted path -> value) and a JSON-ready report."""

    options: PostCalibrationOptions
    estimates: list[PostEstimate]
    keys: dict[str, Any]
    report: dict[str, Any]

    def estimate(self, channel: str, name: str) -> PostEstimate:
        """The estimate called ``name`` of ``channel`` (KeyError if none)."""
        for e in self.estimates:
            if e.channel == channel and e.name == name:
                return e
        raise KeyError(f"{channel}: {name}")


def calibrate_posts(log: pd.DataFrame, options: PostCalibrationOptions = PostCalibrationOptions()) -> PostCalibration:
    """Estimate every channel's post behaviour from the clean post table ``log``."""
    rng = np.random.default_rng(options.seed)
    estimates: list[PostEstimate] = []
    keys: dict[str, Any] = {}
    counts: dict[str, dict[str, int]] = {}
    for channel, posts in log.groupby("channel", sort=True):
        name = str(channel)
        kind = str(posts["kind"].iloc[0])
        counts[name] = {"posts": len(posts), "answered_by_agent": int((posts["answered_by"] == "agent").sum()),
                        "answered_by_peer": int((posts["answered_by"] == "peer").sum()),
                        "gave_up": int(posts["closed_after_s"].notna().sum())}
        known = options.known.get(name, ChannelSettings())
        found = _common(name, posts, known, options)
        if kind == "social":
            found += _social(name, posts, known, options, rng)
        else:
            found += _forum(name, posts, known, options)
        found += _sentiment(name, posts, options, rng)
        estimates += found
        for e in found:
            if e.key is not None and e.kind == "parameter" and not math.isnan(e.value):
                keys[e.key] = _key_value(e, found)
    keys = {k: keys[k] for k in sorted(keys)}
    report = {"options": {"level": options.level, "bootstrap": options.bootstrap, "seed": options.seed,
                          "known": {k: asdict(v) for k, v in options.known.items()}},
              "posts": counts, "estimates": [e.to_dict() for e in estimates], "keys": keys}
    return PostCalibration(options, estimates, keys, report)


def _key_value(e: PostEstimate, found: list[PostEstimate]) -> Any:
    """The YAML value of an estimate's key (patience and sentiment are written whole)."""
    if e.key is not None and e.key.endswith(".patience"):
        return {"dist": "exponential", "mean_s": round(float(e.value), 1)}
    if e.key is not None and e.key.endswith(".sentiment"):
        part = {x.name.removeprefix("sentiment_"): float(x.value) for x in found if x.key == e.key}
        positive, negative = round(part["positive"], 4), round(part["negative"], 4)
        return {"positive": positive, "neutral": round(1.0 - positive - negative, 4), "negative": negative,
                "sour_after_s": round(part["sour_after_s"], 0), "delight_probability": round(part["delight_probability"], 4)}
    value = float(e.value)
    return round(min(max(value, 0.0), 1.0), 4) if e.unit == "share" else float(f"{value:.4g}")


# -- every channel -----------------------------------------------------------------------
def _ends(posts: pd.DataFrame) -> np.ndarray:
    """Each post's time from posting to its first answer, its author giving up, or the log's end."""
    answer, closed, open_ = (posts[c].to_numpy(dtype=float) for c in ("answer_after_s", "closed_after_s", "open_for_s"))
    return np.where(~np.isnan(answer), answer, np.where(~np.isnan(closed), closed, open_))


def _waited(posts: pd.DataFrame, handling_s: float) -> np.ndarray:
    """Each author's time waiting: :func:`_ends`, less the handling of an agent's answer (patience stops at its start)."""
    ends = _ends(posts)
    agent = (posts["answered_by"] == "agent").to_numpy()
    return np.where(agent, ends - np.minimum(handling_s, ends), ends)


def _common(channel: str, posts: pd.DataFrame, known: ChannelSettings,
            options: PostCalibrationOptions) -> list[PostEstimate]:
    n = len(posts)
    answered = int(posts["answered_by"].ne("").sum())
    low, high = share_interval(answered, n, options.level)
    out = [PostEstimate(channel, "answered_share", answered / n, low, high, n, "outcome", unit="share",
                        note="posts that got any answer; depends on staffing, coverage and patience")]
    gave_up = posts["closed_after_s"].notna().to_numpy()
    if gave_up.any():
        fit = exponential_censored(_waited(posts, known.handling_s), gave_up, options.level)
        out.append(PostEstimate(channel, "patience_mean_s", fit.mean_s, fit.mean_ci[0], fit.mean_ci[1], n,
                                "parameter", f"channels.{channel}.patience", "s",
                                f"exponential, {int(gave_up.sum())} authors gave up; answers censor"))
    return out


def _quantile_estimates(channel: str, name: str, times_s: np.ndarray, level: float, note: str) -> list[PostEstimate]:
    """Mean (Student-t interval), median and 90th percentile of observed times: outcomes."""
    n = len(times_s)
    if n == 0:
        return []
    mean, low, high = confidence_interval(times_s, level)
    median, p90 = (float(np.quantile(times_s, q)) for q in (0.5, 0.9))
    return [PostEstimate(channel, f"{name}_mean_s", mean, low, high, n, "outcome", unit="s", note=note),
            PostEstimate(channel, f"{name}_median_s", median, math.nan, math.nan, n, "outcome", unit="s"),
            PostEstimate(channel, f"{name}_p90_s", p90, math.nan, math.nan, n, "outcome", unit="s")]


# -- social ------------------------------------------------------------------------------
def _social(channel: str, posts: pd.DataFrame, known: ChannelSettings, options: PostCalibrationOptions,
            rng: np.random.Generator) -> list[PostEstimate]:
    agent = (posts["answered_by"] == "agent").to_numpy()
    answer = posts["answer_after_s"].to_numpy(dtype=float)
    out = _quantile_estimates(channel, "agent_response", answer[agent], options.level,
                              "posting to an agent's first answer, answered posts only; depends on staffing")
    coverage = _coverage(posts, known.handling_s)
    if not math.isnan(coverage):
        n = len(posts)
        draws = [_coverage(posts.iloc[rng.integers(0, n, n)], known.handling_s) for _ in range(options.bootstrap)]
        low, high = _percentiles(draws, options.level)
        out.append(PostEstimate(channel, "response_coverage", coverage, low, high, n, "parameter",
                                f"channels.{channel}.response_coverage", "share",
                                "posts taken on: answers weighted by 1 / P(author still waiting), bootstrap interval"))
    return out


def _coverage(posts: pd.DataFrame, handling_s: float) -> float:
    """Inverse-probability-weighted share of posts an agent would have answered had the author waited."""
    gave_up = posts["closed_after_s"].notna().to_numpy()
    waited = _waited(posts, handling_s)
    exposure = float(waited.sum())
    if exposure <= 0:
        return math.nan
    rate = gave_up.sum() / exposure
    agent = (posts["answered_by"] == "agent").to_numpy()
    answer = posts["answer_after_s"].to_numpy(dtype=float)
    settle = float(answer[agent].max()) if agent.any() else 0.0
    old = posts["open_for_s"].to_numpy(dtype=float) >= settle  # posts old enough to have had any answer seen
    if not old.any():
        return math.nan
    weights = np.exp(np.clip(rate * waited[agent & old], 0.0, 50.0))
    return float(weights.sum() / old.sum())


def _percentiles(values: list[float], level: float) -> tuple[float, float]:
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if len(arr) < 2:
        return math.nan, math.nan
    return float(np.quantile(arr, (1 - level) / 2)), float(np.quantile(arr, (1 + level) / 2))


# -- sentiment ---------------------------------------------------------------------------
_SENTIMENT_CODES = {"positive": 0, "neutral": 1, "negative": 2}
_MAX_SOUR_S = 1e8


def _sentiment(channel: str, posts: pd.DataFrame, options: PostCalibrationOptions,
               rng: np.random.Generator) -> list[PostEstimate]:
    with_sentiment = posts[posts["sentiment"] != ""]
    n = len(with_sentiment)
    if n == 0:
        return []
    out = []
    for label in _SENTIMENT_CODES:
        k = int((with_sentiment["sentiment"] == label).sum())
        low, high = share_interval(k, n, options.level)
        out.append(PostEstimate(channel, f"final_{label}_share", k / n, low, high, n, "outcome", unit="share",
                                note="as the posts ended: after souring and delight; depends on response times"))
    code, waited, resolved = _sentiment_data(with_sentiment)
    fit = fit_sentiment(code, waited, resolved)
    draws = []
    for _ in range(options.bootstrap):
        pick = rng.integers(0, n, n)
        draws.append(fit_sentiment(code[pick], waited[pick], resolved[pick], start=fit))
    key = f"channels.{channel}.sentiment"
    for j, name in enumerate(("positive", "neutral", "negative", "sour_after_s", "delight_probability")):
        low, high = _percentiles([d[j] for d in draws], options.level)
        unit = "s" if name == "sour_after_s" else "share"
        note = ("share of authors who start so" if j < 3 else
                "mean wait that turns a waiting author negative (exponential)" if j == 3 else
                "a resolving answer turns a post that did not sour positive")
        out.append(PostEstimate(channel, f"sentiment_{name}", fit[j], low, high, n, "parameter", key, unit,
                                note + "; maximum likelihood, bootstrap interval"))
    return out


def _sentiment_data(posts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Final sentiment codes, time each author waited (0 when still open) and whether an answer resolved the post."""
    code = posts["sentiment"].map(_SENTIMENT_CODES).to_numpy(dtype=int)
    answer, closed = posts["answer_after_s"].to_numpy(dtype=float), posts["closed_after_s"].to_numpy(dtype=float)
    waited = np.where(~np.isnan(answer), answer, np.where(~np.isnan(closed), closed, 0.0))
    resolved = posts["accepted"].to_numpy(dtype=bool)
    return code, waited, resolved


def sentiment_probabilities(shares: tuple[float, float, float], sour_after_s: float, delight: float,
                            waited_s: np.ndarray, resolved: np.ndarray) -> np.ndarray:
    """P(final positive, neutral, negative) per post, as the engine sours and delights posts.

    An author starts positive, neutral or negative with ``shares``; a
    non-negative post turns negative with ``1 - exp(-waited / sour_after_s)``;
    a resolved post that did not sour turns positive with ``delight``.
    """
    p, u, g = shares
    stay = np.exp(-waited_s / sour_after_s)
    rd = resolved * delight
    positive = p * stay + u * stay * rd + g * rd
    neutral = u * stay * (1 - rd)
    negative = (p + u) * (1 - stay) + g * (1 - rd)
    return np.stack([positive, neutral, negative], axis=1)


def fit_sentiment(code: np.ndarray, waited_s: np.ndarray, resolved: np.ndarray,
                  start: tuple[float, ...] | None = None) -> tuple[float, float, float, float, float]:
    """Maximum-likelihood (positive, neutral, negative, sour_after_s, delight_probability) of final sentiments."""
    rows = np.arange(len(code))

    def unpack(x: np.ndarray) -> tuple[tuple[float, float, float], float, float]:
        shares = special.softmax(np.array([0.0, x[0], x[1]]))
        sour = float(np.exp(np.clip(x[2], math.log(60.0), math.log(_MAX_SOUR_S))))
        return (float(shares[0]), float(shares[1]), float(shares[2])), sour, float(special.expit(x[3]))

    def nll(x: np.ndarray) -> float:
        shares, sour, delight = unpack(x)
        prob = sentiment_probabilities(shares, sour, delight, waited_s, resolved)[rows, code]
        return float(-np.log(np.clip(prob, 1e-300, None)).sum())

    if start is None:
        shares0 = np.bincount(code, minlength=3) / max(len(code), 1) * 0.9 + 0.1 / 3
        waited = waited_s[waited_s > 0]
        x0 = np.array([math.log(shares0[1] / shares0[0]), math.log(shares0[2] / shares0[0]),
                       math.log(max(float(np.mean(waited)) if len(waited) else 3600.0, 60.0) * 2), -2.0])
    else:
        p, u, g, sour, delight = start
        eps = 1e-6
        x0 = np.array([math.log((u + eps) / (p + eps)), math.log((g + eps) / (p + eps)),
                       math.log(min(max(sour, 60.0), _MAX_SOUR_S)), float(special.logit(min(max(delight, eps), 1 - eps)))])
    result = optimize.minimize(nll, x0, method="L-BFGS-B")
    shares, sour, delight = unpack(result.x)
    return shares[0], shares[1], shares[2], sour, delight


# -- forum -------------------------------------------------------------------------------
def _forum(channel: str, posts: pd.DataFrame, known: ChannelSettings,
           options: PostCalibrationOptions) -> list[PostEstimate]:
    n = len(posts)
    by = posts["answered_by"].to_numpy(dtype=object)
    peer = by == "peer"
    out = []
    low, high = share_interval(int(peer.sum()), n, options.level)
    out.append(PostEstimate(channel, "peer_answered_share", peer.mean(), low, high, n, "outcome", unit="share",
                            note="posts a peer answered first; depends on community size, load and moderation"))
    exposure = np.minimum(_ends(posts), known.moderation_after_s)
    if exposure.sum() > 0:
        fit = exponential_censored(exposure, peer, options.level)
        rate, (r_low, r_high) = fit.params["rate_per_s"], fit.ci["rate_per_s"]
        out.append(PostEstimate(channel, "peer_answers_per_post_per_day", rate * DAY_S, r_low * DAY_S, r_high * DAY_S,
                                n, "outcome", unit="1/day",
                                note="first-answer rate of one open post (exponential MLE, moderation and "
                                     "answers by agents censor); falls when many posts share the peers"))
        km = kaplan_meier(exposure, peer, options.level)
        out.append(PostEstimate(channel, "peer_first_answer_km_median_s", km.median_s(), math.nan, math.nan, n, "outcome",
                                unit="s", note="Kaplan-Meier median time to a first peer answer (NaN: most never get one)"))
        out += _quantile_estimates(channel, "peer_first_answer", posts["answer_after_s"].to_numpy(dtype=float)[peer],
                                   options.level, "posting to a peer's first answer, peer-answered posts only")
        weights = _capacity_shares(posts["posted_s"].to_numpy(dtype=float), exposure, known.capacity)
        weighted = float((exposure * weights).sum())
        if known.active_members and weighted > 0:
            light = exponential_censored(exposure * weights, peer, options.level)  # time open, weighted by peer share
            base, (b_low, b_high) = light.params["rate_per_s"], light.ci["rate_per_s"]
            scale = DAY_S / known.active_members
            out.append(PostEstimate(channel, "answers_per_active_per_day", base * scale, b_low * scale, b_high * scale,
                                    n, "parameter", f"channels.{channel}.community.answers_per_active_per_day",
                                    "1/day", f"peer rate at light load over {known.active_members:g} active-member "
                                             f"equivalents (open posts beyond a capacity of {known.capacity} share it)"))
    if peer.any():
        accepted = int(posts["accepted"].to_numpy(dtype=bool)[peer].sum())
        low, high = share_interval(accepted, int(peer.sum()), options.level)
        out.append(PostEstimate(channel, "accept_probability", accepted / peer.sum(), low, high, int(peer.sum()),
                                "parameter", f"channels.{channel}.community.accept_probability", "share",
                                "accepted peer answers / peer answers (Wilson)"))
    agent = by == "agent"
    out += _quantile_estimates(channel, "agent_response", posts["answer_after_s"].to_numpy(dtype=float)[agent],
                               options.level, "posting to a moderator's first answer; depends on moderation and staffing")
    return out


def _capacity_shares(posted_s: np.ndarray, with_peers_s: np.ndarray, capacity: float | None) -> np.ndarray:
    """Each post's share of the peers' full answer rate: capacity / (open posts + 1) when more are open, else 1.

    ``posted_s`` must be sorted; a post is open with the peers from its
    posting for ``with_peers_s``.
    """
    if capacity is None:
        return np.ones(len(posted_s))
    ends = np.sort(posted_s + with_peers_s)
    before = np.searchsorted(posted_s, posted_s, side="left")  # posts written earlier
    gone = np.searchsorted(ends, posted_s, side="right")  # of those, no longer with the peers
    open_posts = np.maximum(before - gone, 0) + 1
    return np.where(open_posts > capacity, capacity / open_posts, 1.0)


# -- output ------------------------------------------------------------------------------
def keys_yaml(cal: PostCalibration, header: str) -> str:
    """The estimated scenario keys as YAML (dotted path: value), each with its interval as a comment."""
    import yaml

    lines = [f"# {h}".rstrip() for h in header.splitlines()]
    by_key: dict[str, list[PostEstimate]] = {}
    for e in cal.estimates:
        if e.key in cal.keys:
            by_key.setdefault(e.key, []).append(e)
    for key, value in cal.keys.items():
        text = yaml.safe_dump({key: value}, default_flow_style=True, sort_keys=False, width=1000).strip()
        text = text.removeprefix("{").removesuffix("}")
        spans = "; ".join(f"{e.name.removeprefix('sentiment_')} {_fmt(e.low)}-{_fmt(e.high)}" for e in by_key[key])
        lines.append(f"{text}   # {int(100 * cal.options.level)} % CI {spans}")
    return "\n".join(lines) + "\n"


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.4g}"


def summary_markdown(cal: PostCalibration, source: str) -> str:
    """A readable Markdown table of every estimate."""
    level = int(100 * cal.options.level)
    out = [f"# Post calibration of `{source}`", "",
           "| channel | posts | by agents | by peers | gave up |", "|---|---|---|---|---|"]
    for channel, c in cal.report["posts"].items():
        out.append(f"| {channel} | {c['posts']} | {c['answered_by_agent']} | {c['answered_by_peer']} | {c['gave_up']} |")
    out += ["", f"| channel | estimate | value | {level} % CI | n | kind | scenario key | note |",
            "|---|---|---|---|---|---|---|---|"]
    for e in cal.estimates:
        ci = "" if math.isnan(e.low) else f"{_fmt(e.low)} - {_fmt(e.high)}"
        out.append(f"| {e.channel} | {e.name} | {_fmt(e.value)} | {ci} | {e.n} | {e.kind} | {e.key or ''} | {e.note} |")
    out += ["", "Parameters are scenario inputs the estimators recover; outcomes depend on load, staffing and "
            "community size and are what a run of the calibrated scenario should reproduce.", ""]
    return "\n".join(out)
