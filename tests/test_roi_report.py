"""The ROI report: figures, the self-contained HTML page, escaping, and the page in a real browser."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from sim.analysis.costs import COST_LINES, PROGRAMME_LINES
from sim.report.roi_figures import BAND_COLOURS, FIGURES, cost_breakdown_chart, fan_chart, kpi_chart, payback_chart
from sim.report.roi_report import input_drivers, write_report
from sim.report.roi_text import STAFFING_TEXT, claim_rows, money, month_text, percent, plain_name, summary_sentences
from sim.studies.roi_summary import summarise_outcomes

MONTHS = 14
REPLICATIONS = 8
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HOSTILE = "<script>alert(1)</script>"
POLICY_FUTURES = 6


def _month_rows(rng: np.random.Generator, r: int, m: int, lift: float) -> list[tuple]:
    rows: list[tuple] = []

    def add(arm: str, channel: str, kpi: str, value: float) -> None:
        rows.append((r, m, arm, channel, kpi, float(value), m % 2 == 1))

    ramp = m / MONTHS
    for arm, agents in (("baseline", 100.0), ("programme", 100.0 - 20 * ramp * lift)):
        for line in COST_LINES:
            own = line in PROGRAMME_LINES
            value = (30000.0 if arm == "programme" else 0.0) if own else 4000.0 * agents / 100 * (1 + rng.normal(0, .02))
            add(arm, "cost", line, value)
        add(arm, "fte", "agents", agents)
        add(arm, "fte", "moderators", 6.0 * ramp if arm == "programme" else 0.0)
        add(arm, "phone", "offered", 90000 * agents / 100)
        add(arm, "phone", "service_level", 0.7 + (0.2 * ramp if arm == "programme" else 0) + rng.normal(0, .01))
        add(arm, "phone", "abandon_rate", 0.1 - (0.05 * ramp if arm == "programme" else 0))
        add(arm, "journey", "issues", 70000)
        add(arm, "journey", "contacts_per_issue", 1.3 - (0.2 * ramp if arm == "programme" else 0))
        add(arm, "journey", "deflection_rate", 0.15 * ramp if arm == "programme" else 0.0)
        add(arm, "journey", "deflected", 10000 * ramp if arm == "programme" else 0.0)
        add(arm, "journey", "sentiment_negative", 2000 * ramp if arm == "programme" else 0.0)
        add(arm, "knowledge", "billing", 0.35 + (0.3 if arm == "programme" else 0.1) * ramp)
        add(arm, "knowledge", "technical", 0.25 + (0.3 if arm == "programme" else 0.1) * ramp)
    add("programme", "social", "response_coverage", 0.7 + 0.05 * ramp)
    add("programme", "social", "mean_response_s", 1200 - 200 * ramp)
    add("programme", "forum", "response_coverage", 0.9)
    add("programme", "forum", "peer_answer_rate", 0.5 + 0.2 * ramp)
    return rows


def _synthetic() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Months and outcomes shaped like the ROI study's, without simulating."""
    rng = np.random.default_rng(7)
    month_rows: list[tuple] = []
    outcome_rows: list[tuple] = []
    for r in range(REPLICATIONS):
        lift = rng.uniform(0.3, 1.5)
        for m in range(1, MONTHS + 1):
            month_rows += _month_rows(rng, r, m, lift)
        net = np.array([-30000 + 60000 * lift * m / MONTHS for m in range(1, MONTHS + 1)])
        cumulative = np.cumsum(net)
        for m in range(1, MONTHS + 1):
            month_rows.append((r, m, "net", "finance", "net_benefit", net[m - 1], True))
            month_rows.append((r, m, "net", "finance", "cumulative_net_benefit", cumulative[m - 1], True))
        positive = np.flatnonzero(cumulative >= 0)
        payback = float(positive[0] + 1) if len(positive) else float(MONTHS + 1)
        outcome = {"roi": cumulative[-1] / 180000, "npv": cumulative[-1] * 0.97, "payback_month": payback,
                   "paid_back": float(len(positive) > 0), "net_benefit_total": cumulative[-1],
                   "savings_total": cumulative[-1] + 180000, "programme_cost_total": 180000.0,
                   "deflected_contacts": 30000 * lift, "shifted_contacts": 50000 * lift,
                   "simulated_contacts": 20000.0, "baseline_cost_per_contact": 11.5 + rng.normal(0, .3),
                   "baseline_personnel_share": 0.78, "phone_drop_programme_users": 0.2 * lift,
                   "fte_saved_last_month": 20 * lift}
        outcome_rows += [(r, "roi", k, v) for k, v in outcome.items()]
        outcome_rows += [(r, "input", "costs.<b>wage</b>", 30000 * lift), (r, "input", "noise.input", rng.uniform())]
        if r < POLICY_FUTURES:  # the same future under the three staffing policies
            for policy, pb, npv in (("to_target", payback, outcome["npv"]), ("attrition", min(payback + 2, MONTHS + 1),
                                    outcome["npv"] * 0.8), ("fixed", MONTHS + 1.0, -50000.0)):
                outcome_rows += [(r, "policy", f"{policy}.payback_month", pb), (r, "policy", f"{policy}.npv", npv),
                                 (r, "policy", f"{policy}.paid_back", float(pb <= MONTHS)),
                                 (r, "policy", f"{policy}.fte_saved_last_month", 20 * lift),
                                 (r, "policy", f"{policy}.simulated_contacts", 20000.0)]
        if r < 2:
            outcome_rows += [(r, "roi_twin", k, outcome[k] * 1.02) for k in ("roi", "npv", "payback_month",
                                                                             "net_benefit_total", "simulated_contacts")]
    months = pd.DataFrame(month_rows, columns=["replication", "month", "arm", "channel", "kpi", "value", "simulated"])
    outcomes = pd.DataFrame(outcome_rows, columns=["replication", "channel", "kpi", "value"])
    return months, outcomes


@pytest.fixture(scope="module")
def study() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    months, outcomes = _synthetic()
    summary = summarise_outcomes(outcomes, MONTHS, staffing="to_target")
    summary.update(scenario="Bank <b>pilot</b>", scenario_path="scenarios/<x>.yaml", staffing="to_target")
    return months, outcomes, summary


@pytest.fixture(scope="module")
def report(study, tmp_path_factory) -> Path:
    months, outcomes, summary = study
    text = f"name: pilot\n# {HOSTILE}\nroi:\n  months: {MONTHS}\n"
    return write_report(tmp_path_factory.mktemp("roi"), summary, months, outcomes, text)


def _assert_png(path: Path, min_bytes: int = 8_000) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert min_bytes < len(data) < 3_000_000
    height, width = mpimg.imread(path).shape[:2]
    assert 300 < width < 3000 and 200 < height < 3000


def test_report_writes_four_valid_figures(report: Path) -> None:
    for name in FIGURES.values():
        _assert_png(report.parent / name)


def test_figures_draw_from_each_function(study, tmp_path: Path) -> None:
    months, outcomes, summary = study
    _assert_png(fan_chart(months, summary, tmp_path / "fan.png"))
    _assert_png(payback_chart(outcomes, summary, tmp_path / "payback.png"))
    _assert_png(cost_breakdown_chart(months, summary, tmp_path / "costs.png"))


def test_kpi_chart_skips_panels_of_absent_channels(study, tmp_path: Path) -> None:
    months = study[0]
    phone_only = months[~months["channel"].isin(["social", "forum", "knowledge"])]
    _assert_png(kpi_chart(phone_only, tmp_path / "kpis.png"))
    _assert_png(kpi_chart(months[months["channel"] == "fte"], tmp_path / "fte.png"), min_bytes=3_000)


def test_report_is_self_contained(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    for needle in ("http://", "https://", 'src="file', "<script", "<link", "@import"):
        assert needle not in page
    sources = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
    assert len(sources) == 4
    assert all(s.startswith("data:image/png;base64,") for s in sources)


def test_report_states_the_summary_numbers(report: Path, study) -> None:
    summary = study[2]
    page = report.read_text(encoding="utf-8")
    assert f"P(payback within 12 months) = {percent(summary['p_payback_12m'])}" in page
    assert f"within the {MONTHS}-month horizon = {percent(summary['p_payback_horizon'])}" in page
    assert money(summary["npv"]["p50"], "USD") in page
    assert money(summary["npv"]["p5"], "USD") in page
    assert month_text(summary["payback_month"]["p50"]) in page
    assert f"{REPLICATIONS} replications x {MONTHS} months x 2 arms" in page
    assert "to_target" in page
    rows = claim_rows(summary)  # each claim checked: what the sources say beside what the simulation gives
    assert len(rows) >= 4 and any(simulated != "-" for _, _, simulated in rows)
    for claim, sources, simulated in rows:
        assert all(html.escape(text, quote=True) in page for text in (claim, sources, simulated))
    assert "simulation noise" in page


def test_report_escapes_user_text(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>pilot</b>" not in page and "Bank &lt;b&gt;pilot&lt;/b&gt;" in page
    assert "costs.&lt;b&gt;wage&lt;/b&gt;" in page and "<b>wage</b>" not in page
    assert "scenarios/&lt;x&gt;.yaml" in page


def test_report_says_what_the_staffing_policy_does_and_compares_all_three(report: Path, study) -> None:
    page = report.read_text(encoding="utf-8")
    for words in STAFFING_TEXT.values():
        assert html.escape(words, quote=True) in page
    assert "through attrition and fewer hires" not in page  # to_target lets agents go; it no longer says otherwise
    assert "Payback under each staffing policy" in page
    policies = study[2]["policies"]
    assert set(policies) == {"to_target", "attrition", "fixed"}
    assert all(p["replications"] == POLICY_FUTURES for p in policies.values())
    section = page[page.index("Payback under each staffing policy"):]
    rows = {name: section[section.index(f"<td>{name}"):].split("</tr>")[0] for name in policies}
    assert month_text(policies["to_target"]["payback_month"]["p50"]) in rows["to_target"]
    assert month_text(policies["attrition"]["payback_month"]["p50"]) in rows["attrition"]
    assert "never (never .. never)" in rows["fixed"] and "0 %" in rows["fixed"]
    # the manager's minute names the policy and what the others give
    assert "staff-to-target staffing policy" in page and "under fixed-headcount the median payback is never" in page


def test_what_you_must_believe_ranks_the_input_that_moves_payback_and_names_it_plainly(report: Path, study) -> None:
    beliefs = study[2]["beliefs"]
    assert beliefs[0]["input"] == "costs.<b>wage</b>"
    low, high = beliefs[0]["low_payback_month"], beliefs[0]["high_payback_month"]
    assert high is not None and (low is None or low > high)  # a low lift pays back later
    page = report.read_text(encoding="utf-8")
    section = page[page.index("What you must believe"):page.index("Payback under each staffing policy")]
    assert "&lt;b&gt;wage&lt;/b&gt;" in section and "costs.&lt;b&gt;wage&lt;/b&gt;" not in section  # plain, escaped
    assert plain_name("channels.forum.community.members") == "members of the forum community"
    assert plain_name("x.y", {"x.y": "my label"}) == "my label"


def test_input_drivers_rank_the_driving_input_first(study) -> None:
    drivers = input_drivers(study[1], "npv")
    assert list(drivers["input"])[0] == "costs.<b>wage</b>"
    assert drivers["rho"].iloc[0] > 0.9


def test_summary_says_when_payback_never_comes(study) -> None:
    summary = dict(study[2], payback_month={"p5": 3.0, "p50": None, "p95": None}, p_payback_12m=0.2)
    text = " ".join(summary_sentences(summary))
    assert "does not pay back within the" in text and "and never" in text
    assert "P(payback within 12 months) = 20 %" in text
    short = summary_sentences(dict(summary, months=6, p_payback_horizon=0.25))
    assert "P(payback within the 6-month horizon) = 25 %" in " ".join(short)


def _chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


CHROMIUM = _chromium()
WINDOW = (1200, 2000)


def _run_chromium(report: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, report.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (no `chromium` on PATH nor /usr/bin/chromium)")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "screenshot.png"
    run = _run_chromium(report, tmp_path / "profile", f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}")
    assert shot.exists(), run.stderr[-2000:]
    assert "Uncaught" not in run.stderr and "ERR_FILE_NOT_FOUND" not in run.stderr
    pixels = mpimg.imread(shot)
    assert shot.read_bytes()[:8] == PNG_MAGIC
    assert pixels.shape[:2] == (WINDOW[1], WINDOW[0])
    rgb = np.round(pixels[..., :3] * 255).astype(int)
    assert len(np.unique(rgb.reshape(-1, 3)[::7], axis=0)) > 50
    band = np.array([int(BAND_COLOURS[50][i:i + 2], 16) for i in (1, 3, 5)])
    near_band = (np.abs(rgb[: WINDOW[1] // 2] - band).max(axis=-1) <= 6).sum()
    assert near_band > 2000, "the fan chart's 50 % band should show at the top of the page"
    dom = _run_chromium(report, tmp_path / "profile", "--dump-dom")
    assert "Does the programme pay back?" in dom.stdout
    assert dom.stdout.count('src="data:image/png;base64,') == 4
    assert "Uncaught" not in dom.stderr


def test_the_staffing_section_says_when_hires_take_contacts() -> None:
    from sim.report.roi_report import _staffing_html

    assert "the month they are decided" in _staffing_html({"staffing": "to_target"})
    delayed = _staffing_html({"staffing": "attrition", "hiring_lead_months": 3})
    assert "takes contacts 3 months later" in delayed and "works short" in delayed
    assert "the month they are decided" not in delayed
