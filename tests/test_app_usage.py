"""Issue #19 in the app: the portfolio (home's summary line and the `p` screen) and the review
screen's month-by-month forecast vs actual, on the bundled example decided (fixed date, seed
and prices), accepted and linked to the OpenAI and LiteLLM usage files of test_usage_loop."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from estimators.paths import Workspace
from rubrics.numbers import money
from tests.faults.test_hostile_zhoutput import english_runs
from tests.test_app import sync
from tests.test_app_snapshots import settle
from tests.test_app_workspace import make_app, seed_workspace, write_example_record
from tests.test_usage_loop import LITELLM, OPENAI, spend_csv
from tui.cli import main

NOVEMBER = "2026-11"  # the latest full month before the app's date (2026-12-01)


def linked_workspace(root: Path) -> tuple[Workspace, str]:
    """The example's record, accepted and linked to the usage files; the workspace and id."""
    ws = seed_workspace(root)
    record_id = write_example_record(ws).parent.name
    where = ["--workspace", str(root)]
    assert main(["accept", record_id, *where]) == 0
    assert main(["usage", "import", *map(str, OPENAI), str(LITELLM), "--decision", record_id,
                 *where]) == 0
    return ws, record_id


@pytest.fixture
def linked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Workspace, str]:
    found = linked_workspace(tmp_path / "ws")
    capsys.readouterr()
    return found


def committed(ws: Workspace, record_id: str) -> float:
    """The chosen candidate's forecast monthly cost, as the record holds it (USD)."""
    record = tomllib.loads((ws.decisions / record_id / "decision.toml").read_text())
    out = record["outputs"]
    return next(c["monthly_cost"] for c in out["candidates"] if c["model"] == out["chosen"])


def november_spend() -> float:
    """November's actual cost by hand: the LiteLLM log's own spend (OpenAI's pages stop in
    October), summed with the csv module."""
    with LITELLM.open(newline="") as f:
        return sum(float(r["spend"]) for r in csv.DictReader(f)
                   if r["startTime"].startswith(NOVEMBER))


async def walk(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for home's list and portfolio, then press each key and let the screen settle."""
    await settle(pilot)
    for _ in range(400):  # the portfolio starts once the list is painted
        if not getattr(pilot.app.screen, "portfolio_pending", False):
            break
        await pilot.pause(0.05)
        await settle(pilot)
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def shown(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


def table_text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    table = app.screen.query_one(selector, DataTable)
    return "\n".join(" | ".join(str(c) for c in table.get_row_at(i))
                     for i in range(table.row_count))


@sync
async def test_home_summary_and_portfolio_vendor_totals(linked: tuple[Workspace, str]):
    """Home says the portfolio in one line; `p` shows committed vs actual by vendor and in
    total with the ratio (hand-checked), the FX basis, the decision (Enter opens it) and the
    calibration table."""
    ws, record_id = linked
    plan, spend = committed(ws, record_id), november_spend()
    assert spend > 0
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await walk(pilot)
        line = shown(app, "#home-portfolio")
        assert (f"1 accepted · spend {money(spend, 'USD')} of {money(plan, 'USD')} committed"
                in line)
        assert app.screen.query_one("#home-portfolio").display
        await walk(pilot, "p")
        words = " ".join(shown(app, "#portfolio-spend").split())
        ratio = f"x{spend / plan:.2f}"
        assert f"openai 1 {money(plan)} {money(spend)} {ratio}" in words
        assert f"total 1 {money(plan)} {money(spend)} {ratio}" in words
        assert "FX" not in words  # the record's currency is the workspace's: no rate used
        assert "Support FAQ answers" in table_text(app, "#portfolio-decisions")
        assert "calibration over 1 decision(s)" in shown(app, "#portfolio-calibration")
        await walk(pilot, "enter")
        assert type(app.screen).__name__ == "ResultsScreen"


@sync
async def test_nothing_to_say_no_summary_line(tmp_path: Path):
    """A workspace with a decided (not accepted) record: no portfolio line takes a list row."""
    ws = seed_workspace(tmp_path / "ws")
    write_example_record(ws)
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await walk(pilot)
        assert not app.screen.query_one("#home-portfolio").display


@sync
async def test_review_shows_months_and_chart_reached_with_pagedown(
        linked: tuple[Workspace, str]):
    """The review screen shows, per month, calls, tokens per call, cost and cost per call
    (forecast, actual, ratio) and the chart; at 80x24 PageDown (with the focus in the
    actuals field) scrolls them into view."""
    ws, _ = linked
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await walk(pilot, "r")
        usage = shown(app, "#review-usage")
        assert "2026-10 (full month)" in usage and "2026-11 (full month)" in usage
        assert " ".join("calls  459,000  446,052  x0.97".split()) in " ".join(usage.split())
        for label in ("input tokens/call", "output tokens/call", "cost/call", "forecast █"):
            assert label in usage
        widget = app.screen.query_one("#review-usage")
        body = app.screen.query_one("#review-body")
        assert widget.region.y >= body.region.bottom  # below the fold at first
        for _ in range(10):
            if body.scroll_offset.y + body.region.height > widget.virtual_region.y:
                break
            await walk(pilot, "pagedown")
        assert widget.region.y < body.region.bottom  # now on screen
        assert app.screen.focused is app.screen.query_one("#actuals")


@sync
async def test_zh_portfolio_and_review_have_no_english_sentence(
        linked: tuple[Workspace, str]):
    """--lang zh: home's line, the portfolio screen and the review's usage section and both
    columns say every sentence in Chinese (ids, model names, the example's title and the
    verdict word are not sentences; the reproduction's status and notes were English)."""
    ws, record_id = linked
    allowed = (record_id, "openai/gpt-4o-mini", "Support FAQ answers", "GO WITH CONDITIONS")
    app = make_app(ws, "zh")
    async with app.run_test(size=(120, 40)) as pilot:
        await walk(pilot)
        texts = [shown(app, "#home-portfolio")]
        await walk(pilot, "p")
        texts += [shown(app, "#portfolio-spend"), shown(app, "#portfolio-calibration"),
                  table_text(app, "#portfolio-decisions")]
        await walk(pilot, "escape", "r")
        texts += [shown(app, "#review-usage"), shown(app, "#review-now"),
                  shown(app, "#review-recorded")]
    assert "已采纳 1 项" in texts[0]
    assert all(texts)
    for text in texts:
        assert english_runs(text, allowed) == [], text


@sync
async def test_kill_criterion_fired_from_usage_is_marked(tmp_path: Path, capsys):
    """A spend criterion that fires on the linked usage (not a typed actual) is marked with
    the month it fired on, and the review's flags say so."""
    ws = seed_workspace(tmp_path / "ws")
    record_id = write_example_record(ws).parent.name
    assert main(["usage", "import", str(spend_csv(tmp_path, "6000")), "--decision", record_id,
                 "--workspace", str(ws.root)]) == 0
    capsys.readouterr()
    app = make_app(ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await walk(pilot, "r")
        now = shown(app, "#review-now")
        assert "monthly_spend > 5000 → pause: MET" in now
        assert f"⚑ fired on the usage of {NOVEMBER}" in now
        assert "kill_criterion" in shown(app, "#review-flags")


@sync
async def test_a_reviewed_record_shows_forecast_vs_actual_on_its_verdict_tab(
        linked: tuple[Workspace, str], capsys):
    """#19: the month-by-month forecast vs actual was on the review screen only; opening a
    decision whose latest review compared usage shows it under the kill criteria too."""
    ws, record_id = linked
    assert main(["review", record_id, "--as-of", "2026-12-01", "--workspace", str(ws.root)]) == 0
    capsys.readouterr()
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await walk(pilot, "enter", "4", "end")
        usage = app.screen.query_one("#verdict-usage", Static)
        text = shown(app, "#verdict-usage")
        assert usage.display and "review of 2026-12-01" in text
        assert NOVEMBER in text and "forecast" in text and "cost/call" in text
        assert usage.region.height > 0  # End brought it into view
