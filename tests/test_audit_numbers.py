"""Issue #15, "Numbers": defects found by an audit that recomputed every figure.

Each test names its defect: GO WITH CONDITIONS without conditions, token marks that hide an
exact count, unlabelled month-0 and amortization-average "monthly" figures, and a blank
"cases needed" when the observed rate equals the bar.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimators.paths import Workspace
from estimators.prices import load_catalogue
from rubrics import capability, verdict
from rubrics.alternatives import Alternative
from rubrics.capability import Status, check
from rubrics.economics import Distribution, growth_factor
from rubrics.estimate import estimate
from rubrics.evals.results import Tally
from rubrics.export import to_markdown
from rubrics.pipeline import decide_spec, save_record
from rubrics.scenarios import rubric, scenario
from rubrics.spec import parse_spec
from rubrics.verdict import Verdict, decide
from tests.conftest import TEST_PRICES
from tests.test_records_support import spec_data, write_evals, write_spec
from tui import render
from tui.cli import main

DAY = dt.date(2026, 3, 1)
CAT = load_catalogue(TEST_PRICES)

# P50 ROI above the target, P(NMB > 0) = 100 % and a wide margin of safety, but a wide value
# range pulls the P10 ROI under the target (P10 0.93, P50 1.65, target 1.20 with seed 1).
P10_SHORT = """
schema = "scopecard.spec/1"
title = "Wide value"
scenario = "internal-tool"
[load]
daily_active_users = 1000
tasks_per_user_per_day = 1
[prompt]
system_tokens = 500
user_tokens = 100
output_tokens = 100
[value]
value_per_success = { low = 0.6, likely = 1.0, high = 2.0 }
escape_rate = 0.1
loss_per_escape = 1
[costs]
one_time = 1000
monthly_fixed = 12000
[quality]
suite = "s"
[commit]
target_roi = 1.2
[[candidates]]
model = "test/alpha"
"""


def _decide(text: str, k: int, n: int, seed: int = 1):
    spec = parse_spec(text)
    est = estimate(spec, TEST_PRICES.parent, CAT, DAY)
    tallies = {(c.model, spec.quality.suite, "all"): Tally(k, n, 0, ("r",))
               for c in spec.candidates}
    return decide(est, tallies, CAT, seed)


# --- GO WITH CONDITIONS must name its conditions ------------------------------------------------

def test_go_with_conditions_when_p10_misses_the_target_names_the_drivers_to_pin_down():
    """Defect: GO WITH CONDITIONS came with `conditions = []` when only the P10 ROI missed the
    target. The condition names the top tornado drivers, the P10 ROI and the target."""
    d = _decide(P10_SHORT, 200, 200)
    dist = d.candidates[0].distribution
    assert dist is not None and dist.p_positive == 1.0
    assert dist.roi["p10"] < 1.2 <= dist.roi["p50"]
    assert d.verdict is Verdict.GO_WITH_CONDITIONS
    (condition,) = d.conditions
    assert f"P10 ROI {dist.roi['p10']:.2f} is below the target 1.20" in str(condition)
    for name, _, _ in dist.tornado[:3]:
        assert name in str(condition)
    assert "value.value_per_success" in str(condition)


def test_invariant_catches_a_verdict_that_breaks_it():
    """Defect: nothing checked that GO WITH CONDITIONS has conditions and GO clears the GO
    thresholds; `invariant_breaches` says how a verdict breaks the rubric."""
    rb = rubric()
    short = Distribution(nmb={"p10": 1.0, "p50": 2.0, "p90": 3.0},
                         roi={"p10": 0.1, "p50": 2.0, "p90": 3.0},
                         monthly_ai_cost={"p10": 1.0, "p50": 1.0, "p90": 1.0}, p_positive=0.5,
                         tornado=[])
    assert verdict.invariant_breaches(Verdict.GO_WITH_CONDITIONS, [], short, rb, 1.0) == [
        "GO WITH CONDITIONS lists no condition"]
    assert len(verdict.invariant_breaches(Verdict.GO, ["x"], short, rb, 1.0)) == 3
    assert verdict.invariant_breaches(Verdict.GO_WITH_CONDITIONS, ["x"], short, rb, 1.0) == []


@cache
def _base():
    """A decided candidate whose distribution and figures the property test replaces."""
    return _decide(P10_SHORT, 200, 200)


quantile = st.floats(-3, 6, allow_nan=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roi=st.lists(quantile, min_size=3, max_size=3).map(sorted),
       p_positive=st.floats(0, 1), nmb_p50=st.floats(-1e5, 1e5),
       ai_p90=st.floats(0, 1e5), cap=st.none() | st.floats(0, 1e5),
       target=st.floats(-0.5, 4), cost=st.floats(0, 2), max_cost=st.floats(-1, 2),
       go_p=st.floats(0.5, 1), min_margin=st.floats(0, 0.9),
       review=st.booleans(), max_escape=st.floats(0, 1),
       alts=st.lists(st.tuples(st.sampled_from(["rules only", "rules + AI", "embeddings only"]),
                               st.floats(-1e5, 1e5)), max_size=3),
       drivers=st.lists(st.sampled_from(["value.value_per_success", "load.daily_active_users",
                                         "p (success rate)", "costs.one_time"]),
                        min_size=1, max_size=4, unique=True))
def test_verdict_invariant_holds_over_generated_inputs(roi, p_positive, nmb_p50, ai_p90, cap,
                                                        target, cost, max_cost, go_p,
                                                        min_margin, review, max_escape, alts,
                                                        drivers):
    """Defect (property): over generated verdict inputs, GO WITH CONDITIONS always lists a
    condition; GO has none, with P10 ROI >= target, P(NMB > 0) >= threshold and the margin."""
    base = _base()
    chosen = base.candidates[0]
    dist = Distribution(nmb={"p10": nmb_p50 - 1, "p50": nmb_p50, "p90": nmb_p50 + 1},
                        roi=dict(zip(("p10", "p50", "p90"), roi, strict=True)),
                        monthly_ai_cost={"p10": 0.0, "p50": ai_p90 / 2, "p90": ai_p90},
                        p_positive=p_positive,
                        tornado=[(name, -1.0, 1.0) for name in drivers])
    cand = replace(chosen, distribution=dist,
                   point=replace(chosen.point, cost_per_success=cost,
                                 max_cost_per_success=max_cost))
    commit = base.spec.commit.model_copy(update={"target_roi": target, "max_monthly_spend": cap})
    spec = base.spec.model_copy(update={"commit": commit})
    rb = replace(rubric(), go_min_p_positive=go_p, min_margin_of_safety=min_margin)
    sc = replace(scenario("internal-tool"), human_review=review, max_escape_rate=max_escape)
    others = [Alternative(name, nmb, 0.0, 0.0, 0.0, "") for name, nmb in alts]

    outcome, reasons, conditions = verdict.economic_verdict(spec, cand, others, rb, sc)

    assert reasons
    assert verdict.invariant_breaches(outcome, conditions, dist, rb, target) == []
    if outcome is Verdict.GO_WITH_CONDITIONS:
        assert conditions and roi[1] >= target
        if roi[0] < target:
            assert any(f"P10 ROI {roi[0]:.2f} is below the target" in str(c) for c in conditions)
    if outcome is Verdict.GO:
        margin = (max_cost - cost) / max_cost if max_cost > 0 else -1.0
        assert not conditions and roi[0] >= target and p_positive >= go_p
        assert margin >= min_margin
    if outcome in (Verdict.STOP, Verdict.RESEARCH_SPIKE):
        assert not conditions


# --- token marks show the mix of exact, estimated and given counts ------------------------------

def _mixed_spec(folder: Path, **extra: Any) -> Path:
    """A spec whose system prompt is text (exact for test/alpha's o200k tokenizer, estimated for
    test/beta's) while user and output tokens are numbers given in the spec."""
    data = spec_data("Mixed counts", **extra)
    data["prompt"] = {"system_text": "You answer questions about invoices. " * 20,
                      "user_tokens": 100, "output_tokens": 200}
    return write_spec(folder, data)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_exact_system_count_with_given_tokens_shows_both_marks_in_the_cli_table(
        test_workspace: Path, tmp_path: Path, capsys):
    """Defect: an exact system-prompt count with given user/output tokens showed `·` for the
    whole row, so an exact count never showed unless every part was text."""
    out = _run(capsys, "estimate", str(_mixed_spec(tmp_path)))
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("test/")}
    assert rows["test/alpha"].split()[1].startswith("=·")
    assert rows["test/beta"].split()[1].startswith("~·")
    assert "=· means some parts exact, some given" in out


def test_estimate_json_gives_each_parts_mark(test_workspace: Path, tmp_path: Path, capsys):
    """Defect: the JSON had only `tokens_exact` (false) for a row with an exact system count;
    `token_marks` gives each part's mark and `token_mark` the row's mix."""
    data = json.loads(_run(capsys, "estimate", str(_mixed_spec(tmp_path)), "--json"))
    alpha = next(c for c in data["candidates"] if c["model"] == "test/alpha")
    assert alpha["tokens_exact"] is False  # kept: not every part was counted exactly
    assert alpha["token_marks"] == {"system": "=", "user": "·", "output": "·"}
    assert alpha["token_mark"] == "=·"


def test_markdown_export_and_record_give_each_parts_mark(test_workspace: Path, tmp_path: Path):
    """Defect: the Markdown export said "(exact)" only when every part was counted exactly;
    it now gives each part's mark, and the record carries them next to `tokens_exact`."""
    spec = _mixed_spec(tmp_path)
    evals = write_evals(tmp_path, "mixed-counts", {"test/alpha": (200, 200)})
    _, record = decide_spec(spec, Workspace(test_workspace), evals, seed=7, today=DAY)
    alpha = record["outputs"]["candidates"][0]
    assert (alpha["token_mark"], alpha["token_marks"]) == (
        "=·", {"system": "=", "user": "·", "output": "·"})
    md = to_markdown(record)
    assert "system =, user ·, output ·" in md
    assert "= exact (tiktoken), ~ estimated" in md


def _run_app(ws: Workspace, check_screen) -> None:
    """Open the workspace's only record in the app and hand its results screen to a check."""
    from tests.test_app_workspace import make_app

    async def go() -> None:
        app = make_app(ws)
        async with app.run_test(size=(120, 30)) as pilot:
            for keys in ((), ("enter",)):
                await pilot.press(*keys)
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()
            check_screen(app.screen)

    asyncio.run(go())


def _app_record(tmp_path: Path, **extra: Any) -> Workspace:
    """A workspace (the app tests' fixed catalogue) holding one record of a spec over the
    example's models with a text system prompt and given user/output tokens."""
    from tests.test_app_workspace import seed_workspace

    ws = seed_workspace(tmp_path / "ws")
    data = spec_data("App numbers", **extra)
    data["prompt"] = {"system_text": "You answer questions about invoices. " * 20,
                      "user_tokens": 100, "output_tokens": 200}
    data["candidates"] = [{"model": "openai/gpt-4o-mini"}]
    evals = write_evals(tmp_path, "app-numbers", {"openai/gpt-4o-mini": (200, 200)})
    _, record = decide_spec(write_spec(tmp_path / "in", data), ws, evals, seed=7, today=DAY)
    save_record(ws, record, DAY)
    return ws


def test_app_estimate_table_shows_the_mix_of_marks(tmp_path: Path):
    """Defect: the app's estimate table showed `·` for a row with an exact system count."""
    from textual.widgets import DataTable

    def check_table(screen) -> None:
        row = screen.query_one("#estimate-table", DataTable).get_row_at(0)
        assert str(row[1]).startswith("=·")

    _run_app(_app_record(tmp_path), check_table)


# --- month 0 versus the amortization-period average ---------------------------------------------

GROWTH = {"load": {"monthly_growth": 0.05}}


def test_cli_labels_month_0_and_the_amortization_average(test_workspace: Path, tmp_path: Path,
                                                          capsys):
    """Defect: with monthly_growth the estimate printed month-0 figures and the economics the
    amortization-period average, both called "monthly" with no label."""
    spec = _mixed_spec(tmp_path, **GROWTH)
    out = _run(capsys, "estimate", str(spec))
    assert "per month (month 0)" in out and "load (month 0)" in out
    assert "the economics use the average over the 12-month amortization period" in out
    evals = write_evals(tmp_path, "mixed-counts", {"test/alpha": (200, 200)})
    out = _run(capsys, "decide", str(spec), "--evals", str(evals), "--dry-run")
    assert "economics per month, average over the 12-month amortization period (USD" in out


def test_json_says_which_month_each_monthly_figure_means(test_workspace: Path, tmp_path: Path,
                                                        capsys):
    """Defect: the JSON's `monthly_cost` (month 0) and the economics (averages) carried no
    label; `monthly_basis` says which is which and the estimate adds the average cost."""
    spec = _mixed_spec(tmp_path, **GROWTH)
    data = json.loads(_run(capsys, "estimate", str(spec), "--json"))
    assert data["monthly_basis"] == {
        "monthly_growth": 0.05, "amortize_months": 12, "estimate": "month 0",
        "economics": "average over the 12-month amortization period", "differ": True}
    alpha = data["candidates"][0]
    assert alpha["monthly_cost_month_0"] == alpha["monthly_cost"]
    assert alpha["monthly_cost_amortization_average"] == pytest.approx(
        alpha["monthly_cost"] * float(growth_factor(0.05, 12)))
    evals = write_evals(tmp_path, "mixed-counts", {"test/alpha": (200, 200)})
    record = json.loads(_run(capsys, "decide", str(spec), "--evals", str(evals), "--dry-run",
                             "--json"))
    assert record["outputs"]["monthly_basis"]["economics"] == (
        "average over the 12-month amortization period")
    point = record["outputs"]["candidates"][0]["point"]
    assert point["ai_cost"] == pytest.approx(
        record["outputs"]["candidates"][0]["monthly_cost"] * float(growth_factor(0.05, 12)))


def test_markdown_labels_month_0_and_the_amortization_average(test_workspace: Path,
                                                              tmp_path: Path):
    """Defect: the Markdown export called both the month-0 cost and the averaged NMB
    "monthly" when traffic grows."""
    spec = _mixed_spec(tmp_path, **GROWTH)
    evals = write_evals(tmp_path, "mixed-counts", {"test/alpha": (200, 200)})
    _, record = decide_spec(spec, Workspace(test_workspace), evals, seed=7, today=DAY)
    md = to_markdown(record)
    assert "| monthly cost (month 0) |" in md
    assert "| Net monthly benefit (amortization average) P10 · P50 · P90 |" in md
    assert "average over the 12-month amortization period" in md
    plain = to_markdown(decide_spec(_mixed_spec(tmp_path / "flat"), Workspace(test_workspace),
                                    evals, seed=7, today=DAY)[1])
    assert "(month 0)" not in plain  # without growth month 0 is every month


def test_app_labels_month_0_and_the_amortization_average(tmp_path: Path):
    """Defect: the app's estimate table and economics tab both said "monthly" when traffic
    grows, one meaning month 0 and the other the amortization-period average."""
    from textual.widgets import DataTable, Static

    def check_labels(screen) -> None:
        table = screen.query_one("#estimate-table", DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert "Per month (month 0)" in labels
        assert "Load in month 0" in str(screen.query_one("#load-line", Static).render())
        head = str(screen.query_one("#economics-head", Static).render())
        assert "average over the 12-month amortization period" in head

    _run_app(_app_record(tmp_path, **GROWTH), check_labels)


# --- "cases needed" says why when no number of cases would decide -------------------------------

ON_BAR = ("observed rate equals the bar: more cases at this rate cannot decide; the true rate "
          "must differ")


def test_cases_needed_says_why_when_the_rate_equals_the_bar():
    """Defect: "cases needed" was blank with no reason when the observed rate equals the bar
    (more cases at that rate never decide)."""
    c = check(9, 10, 0.9, 0.95)
    assert c.status is Status.INCONCLUSIVE and c.cases_needed is None
    assert c.undecided == capability.RATE_ON_BAR == ON_BAR
    far = check(1001, 3001, 1 / 3 + 1e-5, 0.95)  # deciding would take billions of cases
    assert far.status is Status.INCONCLUSIVE and far.cases_needed is None
    assert far.undecided == capability.BEYOND_MAX_CASES
    assert check(8, 10, 0.9, 0.95).undecided is None  # a number of cases is given instead


def test_decision_text_markdown_and_app_say_why_no_cases_decide(test_workspace: Path,
                                                                tmp_path: Path):
    """Defect: the CLI, the Markdown export and the app left "cases needed" blank when the
    observed rate equals the bar; each now says why."""
    text = P10_SHORT.replace('suite = "s"', 'suite = "s"\nbar = 0.9')
    d = _decide(text, 180, 200)
    assert d.verdict is Verdict.RESEARCH_SPIKE
    assert ON_BAR in render.decision_text(d)
    assert any(ON_BAR in str(r) for r in d.reasons)
    data = spec_data("On the bar", quality={"bar": 0.9},
                     candidates=[{"model": "test/alpha"}])
    evals = write_evals(tmp_path, "on-the-bar", {"test/alpha": (180, 200)})
    _, record = decide_spec(write_spec(tmp_path, data), Workspace(test_workspace), evals,
                            seed=7, today=DAY)
    assert ON_BAR in to_markdown(record)
    from tui.screens.results import _needed

    overall = record["outputs"]["candidates"][0]["capability"]["overall"]
    assert _needed(overall) == "none: rate = bar"
    assert _needed({**overall, "cases_needed": 1234}) == "1,234"
