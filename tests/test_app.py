"""Pilot tests of the terminal app: key presses in, state and files out."""

from __future__ import annotations

import asyncio
import functools
import os
import re
import tomllib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from rubrics.record_store import RecordStore
from rubrics.spec import parse_spec
from tests.test_app_workspace import (
    TODAY,
    make_app,
    seed_workspace,
    write_corrupt_record,
    write_example_record,
)
from tui.screens.results import TABS

SIZE = (100, 30)


def sync(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on a fresh event loop (no async pytest plugin needed)."""
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))
    return run


@pytest.fixture
def ws(tmp_path: Path):
    return seed_workspace(tmp_path / "ws")


async def settle(pilot) -> None:
    """Let scheduled work start, wait for every worker, then for the messages they posted."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot, condition, timeout: float = 10.0) -> None:
    """Pause until condition() holds (or the timeout passes: the assertions then say what)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await pilot.pause(0.05)


async def open_wizard(pilot):
    """n, Enter on home: the wizard on the example spec."""
    from tui.screens.wizard import WizardScreen

    await pilot.press("n", "enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, WizardScreen)
    return pilot.app.screen


@sync
async def test_walk_the_wizard_on_the_example(ws):
    """n, Enter (the example), Ctrl+N through all ten steps: a verdict and two files."""
    from tui.screens.results import ResultsScreen
    from tui.screens.wizard import WizardScreen

    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot)
        for step in range(1, 11):  # wait for each step to show: under load a step takes ~1 s
            await pilot.press("ctrl+n")
            await until(pilot, lambda step=step: not isinstance(app.screen, WizardScreen)
                        or app.screen.step == step)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert screen.record is not None
        assert screen.record["outputs"]["verdict"] == "GO WITH CONDITIONS"
        assert screen.record["outputs"]["chosen"] == "openai/gpt-4o-mini"
        assert screen.query_one("#estimate-table", DataTable).row_count == 3
    (record_file,) = ws.decisions.glob(f"{TODAY}-support-faq-answers-*/decision.toml")
    saved = tomllib.loads(record_file.read_text("utf-8"))
    assert saved["outputs"]["verdict"] == "GO WITH CONDITIONS"
    assert RecordStore(ws).get(record_file.parent.name).status == "proposed"
    spec_file = ws.root / "specs" / f"{TODAY}-support-faq-answers.toml"
    spec = parse_spec(spec_file.read_text("utf-8"), str(spec_file))
    assert spec.prompt.system_text and spec.prompt.system_text.startswith("You are")
    assert not list(ws.drafts.glob("*.toml"))  # the draft became the spec


@sync
async def test_bad_peak_factor_shows_the_models_message_and_saves_a_draft(ws):
    from tui.widgets.fields import FieldRow

    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "enter", "ctrl+n", "ctrl+n")  # Need -> Alternatives -> Load
        await pilot.pause()
        row = next(r for r in app.screen.query(FieldRow) if r.field.path == "load.peak_factor")
        likely = row.query_one(".range-likely", Input)
        likely.focus()
        likely.value = ""
        await pilot.press("0", ".", "5")
        await pilot.pause()
        error = str(row.query_one(".field-error", Static).render())
        assert error == "Peak factor must be between 1 and 10,000; got 0.5"
        assert "✗" in str(app.screen.query_one("#steps").get_option("load").prompt)
        await pilot.press("ctrl+s")
        await pilot.pause()
        drafts = list(ws.drafts.glob("*.toml"))
        assert len(drafts) == 1
        draft = tomllib.loads(drafts[0].read_text("utf-8"))
        assert draft["load"]["peak_factor"] == 0.5 and draft["_wizard"]["step"] == "load"
        await pilot.press("backspace", "backspace", "backspace", "2")
        await pilot.pause()
        assert str(row.query_one(".field-error", Static).render()) == ""


@sync
async def test_prompt_text_is_counted_in_a_worker(ws):
    from tui.widgets.prompt_box import PromptBox

    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "enter", "ctrl+n", "ctrl+n", "ctrl+n")  # -> Prompt
        await settle(pilot)
        box = app.screen.query(PromptBox).first()
        families = {family: exact for family, _, exact in box.counts}
        # each candidate's own tokenizer, offline: OpenAI, DeepSeek-V3/V4 and Qwen are exact
        assert families == {"o200k": True, "deepseek-128k": True, "qwen-151k": True}
        line = str(box.query_one(".token-count", Static).render())
        assert "deepseek-128k" in line and "~" not in line and line.count("=") == 3


def row_of(table: DataTable, i: int) -> list[str]:
    return [str(c) for c in table.get_row_at(i)]


@sync
async def test_home_lists_a_corrupt_record_with_its_error(ws):
    """A corrupt record is listed (marked ✗, its error in the detail pane); the filter searches
    the id, which the compact row does not show."""
    write_example_record(ws)
    write_corrupt_record(ws)
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#records", DataTable)
        assert table.row_count == 2
        good, broken = row_of(table, 0), row_of(table, 1)  # no time: the unreadable one last
        assert broken[0] == "2026-01-01-broken" and broken[4] == "✗"
        assert good[:3] == ["Support FAQ answers", "GO WITH CONDITIONS", "proposed"]
        await pilot.press("down")
        detail = str(app.screen.query_one("#home-detail", Static).render())
        assert "2026-01-01-broken-000000" in detail and "unreadable: TOML syntax error" in detail
        await pilot.press("slash", "b", "r", "o", "k")
        await pilot.pause()
        assert table.row_count == 1


@sync
async def test_open_then_export_writes_files_and_names_them(ws):
    record = write_example_record(ws)
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # open the selected record
        await settle(pilot)
        await pilot.press("e", "enter")  # Markdown is the first choice
        await settle(pilot)
        await pilot.press("e", "down", "enter")  # then JSON
        await settle(pilot)
        messages = [n.message for n in app._notifications]
    record_id = record.parent.name
    md = ws.exports / f"{record_id}.md"
    js = ws.exports / f"{record_id}.json"
    assert md.read_text("utf-8").startswith("#") and js.read_text("utf-8").startswith("{")
    assert any(m.endswith(f"{record_id}.md") for m in messages)


@sync
async def test_accept_asks_first_and_sets_the_status(ws):
    record = write_example_record(ws)
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a", "n")  # No leaves it alone
        await settle(pilot)
        assert RecordStore(ws).get(record.parent.name).status == "proposed"
        await pilot.press("a", "y")
        await settle(pilot)
        assert not app.screen.check_action("accept", ())  # accepted is not proposed any more
    assert RecordStore(ws).get(record.parent.name).status == "accepted"


@sync
async def test_review_shows_the_recomputation_and_saves_on_request(ws):
    from tui.screens.review import ReviewScreen

    record = write_example_record(ws)
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "reproduced" in str(app.screen.query_one("#review-now", Static).render())
        assert not tomllib.loads(record.read_text("utf-8")).get("reviews")
        await pilot.press(*"monthly_spend=6000", "enter")  # typed into the focused field
        await settle(pilot)
        assert not tomllib.loads(record.read_text("utf-8")).get("reviews")  # "s" saved nothing
        assert "kill_criterion" in str(app.screen.query_one("#review-flags", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
    (entry,) = RecordStore(ws).get(record.parent.name).as_dict()["reviews"]
    assert entry["actuals"] == {"monthly_spend": 6000.0}


@sync
async def test_sort_help_theme_and_palette(ws):
    from tui.screens.help import HelpScreen
    from tui.screens.results import ResultsCommands

    write_example_record(ws)
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one("#estimate-table", DataTable)
        table.move_cursor(column=3)  # monthly cost
        await pilot.press("s")
        monthly = [float(str(table.get_row_at(i)[3]).replace(",", "")) for i in range(3)]
        assert monthly == sorted(monthly)
        await pilot.press("s")
        monthly = [float(str(table.get_row_at(i)[3]).replace(",", "")) for i in range(3)]
        assert monthly == sorted(monthly, reverse=True)
        names = [name for name, _, _ in ResultsCommands(app.screen).entries()]
        assert {"Estimate", "Verdict", "Accept", "Export"} <= set(names)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        ids = {ident for _, _, ident in app.screen.key_rows(app.screen.below)}
        assert {"results.export", "results.sort", "results.accept"} <= ids
        assert "app.theme" in {ident for _, _, ident in app.screen.key_rows(app)}
        await pilot.press("escape", "ctrl+t")
        assert app.theme == "textual-light"


@sync
async def test_chinese_interface(ws):
    app = make_app(ws, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.title == "决策记录"
        descriptions = {b.description for bs in app.screen._bindings.key_to_bindings.values()
                        for b in bs}
        assert "新建" in descriptions


@sync
async def test_briefs_from_the_verdict_and_review_screens(ws):
    record = write_example_record(ws)
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "4")  # open the record, verdict tab
        await settle(pilot)
        await pilot.press("e", "down", "down", "enter")  # business brief
        await settle(pilot)
        await pilot.press("escape", "r")  # back home, review the same record
        await settle(pilot)
        await pilot.press("ctrl+o", "down", "down", "down", "enter")  # vendor brief
        await settle(pilot)
    business = ws.exports / f"{record.parent.name}-business-brief.md"
    vendor = ws.exports / f"{record.parent.name}-vendor-brief.md"
    assert "business brief" in business.read_text("utf-8")
    text = vendor.read_text("utf-8")
    assert "Capacity" in text and "value_per_success" not in text


@sync
async def test_home_shows_the_latest_review_flags(ws):
    from tui.cli import main

    record = write_example_record(ws)
    assert main(["review", record.parent.name, "--workspace", str(ws.root),
                 "--actual", "cost_per_success=1e9"]) == 0
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = row_of(app.screen.query_one("#records", DataTable), 0)
        detail = str(app.screen.query_one("#home-detail", Static).render())
    assert row[4] == "⚑" and "kill_criterion" in detail


async def _row(pilot, path: str):
    """The wizard's field row for a concrete spec path, once its controls are mounted (a Select
    set before its own parts were composed raised NoMatches on a loaded machine)."""
    from tui.widgets.fields import FieldRow

    def find():
        return next((r for r in pilot.app.screen.query(FieldRow) if r.field.path == path), None)

    def ready() -> bool:
        row = find()
        return row is not None and all(w.is_mounted for w in row.walk_children()) and all(
            current.query("#label") for current in row.query("SelectCurrent"))

    await until(pilot, ready)
    return find()


@sync
async def test_wizard_edits_a_kill_criterion_and_a_price_override(ws):
    """Issue #18: the wizard could not edit kill criteria or price overrides; a criterion added
    on the Commit step and an own price on the Candidates step end up in a spec that parses."""
    from textual.widgets import Button, Select

    from tui.screens.results import ResultsScreen

    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_wizard(pilot)
        await screen.show_step(8)  # Candidates: each chosen model has its tier and own price
        (await _row(pilot, "candidates.1.price.input")).query_one(Input).value = "0.1"
        (await _row(pilot, "candidates.1.price.output")).query_one(Input).value = "0.4"
        (await _row(pilot, "candidates.1.rate_limit_tier")).query_one(Input).value = "Tier 1"
        await pilot.pause()
        assert not screen.errors, screen.errors
        await screen.show_step(9)  # Commit: a small list editor for kill criteria
        await pilot.pause()
        screen.query_one("#add-kill_criteria", Button).press()
        metric = await _row(pilot, "kill_criteria.0.metric")
        metric.query_one(Select).value = "monthly_spend"
        (await _row(pilot, "kill_criteria.0.comparator")).query_one(Select).value = ">"
        threshold = await _row(pilot, "kill_criteria.0.threshold")
        threshold.query_one(Input).value = "-3"
        await pilot.pause()
        error = str(threshold.query_one(".field-error", Static).render())
        assert error.startswith("Kill: threshold") and "got -3" in error
        threshold.query_one(Input).value = "5000"
        (await _row(pilot, "kill_criteria.0.action")).query_one(Select).value = "pause"
        (await _row(pilot, "kill_criteria.0.window_days")).query_one(Input).value = "14"
        await pilot.pause()
        assert not screen.errors, screen.errors
        await screen.action_finish()
        await settle(pilot)
        assert isinstance(app.screen, ResultsScreen)
    spec_file = ws.root / "specs" / f"{TODAY}-support-faq-answers.toml"
    spec = parse_spec(spec_file.read_text("utf-8"), str(spec_file))
    [kill] = spec.kill_criteria
    assert (kill.metric, kill.comparator, kill.threshold, kill.window_days, kill.action) == (
        "monthly_spend", ">", 5000, 14, "pause")
    priced = spec.candidates[1]
    assert priced.price is not None and (priced.price.input, priced.price.output) == (0.1, 0.4)
    assert priced.rate_limit_tier == "Tier 1"


@sync
async def test_range_inputs_show_ten_digits_at_60_columns(ws):
    """Issue #18: at 60 columns range inputs were 4 characters wide and clipped 50000 to 5000."""
    app = make_app(ws)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press("n", "enter", "ctrl+n", "ctrl+n")  # -> Load
        row = await _row(pilot, "load.daily_active_users")
        await pilot.pause()
        for box in row.query(Input):  # each fits 10 digits, and lies inside the screen
            assert box.content_region.width >= 10, box.content_region
            assert box.region.right <= 60, box.region
        likely = row.query_one(".range-likely", Input)
        assert likely.value == "50000"
        assert "50000" in "".join(s.text for s in likely.render_line(0))


def copy_record(ws, source: Path, record_id: str, title: str, created: str) -> None:
    """Another decision like `source`, with its own id, title and creation time."""
    text = source.read_text("utf-8")
    text = text.replace('title = "Support FAQ answers"', f'title = "{title}"', 1)
    text = re.sub(r"(?m)^created = .*$", f"created = {created}", text, count=1)
    text = re.sub(r'(?m)^id = ".*"$', f'id = "{record_id}"', text, count=1)
    folder = ws.decisions / record_id
    folder.mkdir(parents=True)
    (folder / "decision.toml").write_text(text, "utf-8")


@sync
async def test_home_lists_the_newest_and_the_filter_reaches_the_rest(ws, monkeypatch):
    """#17/#18: a 10,000-row home table took ~3 s to fill (6.5x the list of 10). Home holds the
    newest HOME_ROWS decisions, says so, and the filter still finds every other one."""
    from tui.screens import home

    monkeypatch.setattr(home, "HOME_ROWS", 2)
    source = write_example_record(ws)
    copy_record(ws, source, "2026-12-01-aaa-later-000001", "Later the same day",
                "2026-12-01T17:00:00Z")
    copy_record(ws, source, "2026-12-01-zzz-earlier-000002", "Earlier that day",
                "2026-12-01T08:00:00Z")
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#records", DataTable)
        assert [row_of(table, i)[0] for i in range(table.row_count)] == [
            "Later the same day", "Support FAQ answers"]
        status = app.screen.query_one("#home-status", Static)
        assert str(status.render()) == (
            "2 shown of 3 decisions (the newest listed; type to filter the rest)")
        await pilot.press("slash", *"earlier")
        await pilot.pause()
        assert [row_of(table, i)[0] for i in range(table.row_count)] == ["Earlier that day"]
        assert str(status.render()) == "1 shown of 3 decisions"


@sync
async def test_home_fits_80_columns_newest_first_and_counts_what_the_filter_shows(ws):
    """#18: at 80 columns only Record and Title showed; within a day records were not newest
    first; the status said `1 decisions` and did not change when filtered."""
    source = write_example_record(ws)
    copy_record(ws, source, "2026-12-01-aaa-later-000001", "Later the same day",
                "2026-12-01T17:00:00Z")
    copy_record(ws, source, "2026-12-01-zzz-earlier-000002", "Earlier that day " + "x" * 80,
                "2026-12-01T08:00:00Z")
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#records", DataTable)
        titles = [row_of(table, i)[0] for i in range(3)]
        assert titles[0] == "Later the same day" and titles[1] == "Support FAQ answers"
        assert titles[2].startswith("Earlier that day") and titles[2].endswith("…")
        # every column is on screen without scrolling
        assert sum(c.get_render_width(table) for c in table.ordered_columns) <= 80 - 2
        status = app.screen.query_one("#home-status", Static)
        assert str(status.render()) == "3 decisions"
        await pilot.press("slash", *"later")
        await pilot.pause()
        assert str(status.render()) == "1 shown of 3 decisions"
    one = seed_workspace(ws.root.parent / "one")
    write_example_record(one)
    app = make_app(one)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert str(app.screen.query_one("#home-status", Static).render()) == "1 decision"


@sync
async def test_confirmation_names_its_keys_and_enter_takes_the_default_shown(ws):
    """#18: the Accept dialog took Enter as "No" silently; the footer gave no y/n hint."""
    from tui.screens.confirm import ConfirmDialog

    record = write_example_record(ws)
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_newest(pilot, "estimate")
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        hint = str(dialog.query_one("#confirm-hint", Static).render())
        assert "y = Yes" in hint and "Enter = No" in hint
        footer = {key for key, (_, b, _, _) in dialog.active_bindings.items() if b.show}
        assert {"y", "n", "escape"} <= footer
        await pilot.press("enter")
        await settle(pilot)
        assert RecordStore(ws).get(record.parent.name).status == "proposed"
    async with make_app(ws).run_test(size=(80, 24)) as pilot:
        dialog = ConfirmDialog("Go?", default=True)
        answers: list[bool | None] = []
        await pilot.app.push_screen(dialog, answers.append)
        await pilot.pause()
        assert "Enter = Yes" in str(dialog.query_one("#confirm-hint", Static).render())
        await pilot.press("enter")
        await pilot.pause()
        assert answers == [True]


@sync
async def test_drafts_can_be_deleted_from_the_start_dialog(ws):
    """#18: every "Blank spec" + Esc left an `untitled` draft that could not be deleted."""
    from tui.screens.start import StartDialog

    ws.drafts.mkdir(parents=True)
    kept, gone = ws.drafts / "20261201-090000.toml", ws.drafts / "20261201-100000.toml"
    kept.write_text('title = "Keep me"\n', "utf-8")
    gone.write_text("", "utf-8")
    os.utime(kept, (1, 1))  # older: listed after the other
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, StartDialog)
        assert not app.screen.check_action("delete", ())  # on the example: nothing to delete
        await pilot.press("down", "down", "d")  # the newest draft, "untitled"
        await pilot.pause()
        await pilot.press("n")  # No keeps it
        await pilot.pause()
        assert gone.exists()
        await pilot.press("delete", "y")
        await pilot.pause()
        assert not gone.exists() and kept.exists()
        assert isinstance(app.screen, StartDialog)
        options = app.screen.query_one("#start-options")
        assert options.option_count == 3


async def open_newest(pilot, tab: str) -> None:
    """From home, open the first record and show one tab."""
    await settle(pilot)
    await pilot.press("enter", str(1 + ("estimate", "capability", "economics", "verdict").index(tab)))
    await settle(pilot)


def shown(widget: Static) -> str:
    """The text a Static shows, whatever Rich renderable it holds."""
    import io

    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


def page_of(app, tab: str):
    from textual.containers import VerticalScroll

    return app.screen.query_one(f"#{tab} VerticalScroll", VerticalScroll)


@sync
async def test_results_tabs_page_with_the_scroll_keys_whatever_has_the_focus(ws):
    """#18: at 80x24 End on Verdict showed only the kill-criteria header; PageDown on Economics
    did nothing (the focused table took the keys, and tables scrolled inside the page)."""
    write_example_record(ws)
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_newest(pilot, "verdict")
        app.screen.query_one("#kill-table", DataTable).focus()  # a table's own End moves its cursor
        await pilot.press("end")
        await pilot.pause()
        page = page_of(app, "verdict")
        kills = app.screen.query_one("#kill-table", DataTable)
        assert kills.row_count == 5 and page.scroll_y == page.max_scroll_y > 0
        # the whole table is inside the visible part of the page
        assert kills.region.bottom <= page.region.bottom and kills.size.height >= 1 + 5
        await pilot.press("home")
        await pilot.pause()
        assert page.scroll_y == 0
        await pilot.press("3", "pagedown")
        await pilot.pause()
        assert page_of(app, "economics").scroll_y > 0
        await pilot.press("pageup")
        await pilot.pause()
        assert page_of(app, "economics").scroll_y == 0


@sync
async def test_roi_reads_as_a_percentage_and_nmb_is_spelled_out(ws):
    """#18: NMB was never spelled out; ROI `72.26` next to target `0.5` was easy to misread."""
    write_example_record(ws)
    app = make_app(ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_newest(pilot, "economics")
        table = app.screen.query_one("#economics-table", DataTable)
        assert str(table.get_row_at(0)[2]) == "23.48 (2,348%)"
        assert "Net monthly benefit" in str(table.ordered_columns[1].label)
        await pilot.press("4")
        body = shown(app.screen.query_one("#verdict-body", Static))
        assert "target ROI 0.50 (50%)" in body and "net monthly benefit" in body


@sync
async def test_a_research_spike_shows_its_plan_not_an_empty_kill_table(ws):
    """#18: a RESEARCH SPIKE showed an empty kill-criteria table."""
    import tomli_w

    record = write_example_record(ws)
    data = tomllib.loads(record.read_text("utf-8"))
    data["outputs"]["verdict"] = "RESEARCH SPIKE"
    data["outputs"]["spike"] = {"question": "Does retrieval lift the pass rate to 90%?",
                                "budget": "two weeks, 200 labelled cases"}
    data["kill_criteria"] = []
    record.write_bytes(tomli_w.dumps(data).encode())
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_newest(pilot, "verdict")
        body = shown(app.screen.query_one("#verdict-body", Static))
        assert body.startswith("Research spike") and "question: Does retrieval" in body
        assert not app.screen.query_one("#kill-table", DataTable).display


@sync
async def test_review_says_what_actuals_it_takes_and_which_it_cannot_use(ws):
    """#18: actuals matching no criterion changed nothing on screen; invalid actuals left the
    old flags up and ctrl+s silently did nothing; the allowed names appeared only after an
    error."""
    from tui.screens.review import ReviewScreen

    record = write_example_record(ws)
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        names = str(app.screen.query_one("#review-names", Static).render())
        assert "monthly_spend" in names and "p95_latency_ms" in names
        flags = app.screen.query_one("#review-flags", Static)
        await pilot.press(*"monthly_spend=6000", "enter")
        await settle(pilot)
        assert "kill_criterion" in str(flags.render())
        await pilot.press(*" pass_rate=lots", "enter")
        await settle(pilot)
        shown_flags = str(flags.render())
        assert "not a number" in shown_flags and "kill_criterion" not in shown_flags
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Review not saved" in n.message for n in app._notifications)
        assert not tomllib.loads(record.read_text("utf-8")).get("reviews")
        record_data = tomllib.loads(record.read_text("utf-8"))
        record_data["kill_criteria"] = [k for k in record_data["kill_criteria"]
                                        if k["metric"] != "pass_rate"]
        import tomli_w

        record.write_bytes(tomli_w.dumps(record_data).encode())
        app.screen.query_one("#actuals").value = "pass_rate=0.5"
        await pilot.press("enter")
        await settle(pilot)
        assert "No kill criterion of this record watches pass_rate" in str(flags.render())
    assert not RecordStore(ws).get(record.parent.name).as_dict().get("reviews")


@sync
async def test_tokenizers_and_the_catalogue_are_loaded_after_the_first_paint(ws):
    """#18: the first token count of a pasted prompt took 3-5 s and a resumed draft showed
    "Loading the price catalogue…" for 1.5-3 s: both are now loaded by a worker at startup."""
    from estimators.tokens import get_encoding

    get_encoding.cache_clear()
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)  # waits for every worker, the warm-up too
        assert get_encoding.cache_info().currsize >= 3  # o200k, deepseek-128k, qwen-151k


async def open_picker(pilot, models: int):
    """The wizard's Candidates step, once its model list holds `models` models: the screen,
    the picker and its list."""
    from textual.widgets import SelectionList

    from tui.widgets.model_picker import ModelPicker

    screen = await open_wizard(pilot)
    await screen.show_step(8)
    picker = screen.query_one(ModelPicker)
    options = picker.query_one(SelectionList)
    await until(pilot, lambda: options.option_count >= models)
    return screen, picker, options


@sync
async def test_model_picker_filters_by_words_and_space_picks_after_tab(ws):
    """Issue #18: a space in the model filter emptied the list, and after Tab into the list
    Space/Enter did nothing until Down highlighted a row."""


    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        _, picker, options = await open_picker(pilot, 1)
        before = list(picker.chosen)
        picker.query_one(Input).value = "qwen "  # a trailing space is no filter of its own
        await pilot.pause()
        shown = [options.get_option_at_index(i).value for i in range(options.option_count)]
        assert shown == ["qwen/qwen-plus"]
        picker.query_one(Input).value = "deepseek chat"  # every word must match, in any place
        await pilot.pause()
        shown = [options.get_option_at_index(i).value for i in range(options.option_count)]
        assert shown == ["deepseek/deepseek-chat"]
        options.focus()
        await pilot.press("space")
        await pilot.pause()
        assert picker.chosen != before and shown[0] in set(picker.chosen) ^ set(before)


@sync
async def test_a_blank_spec_left_untouched_leaves_no_draft(ws):
    """#18: "Blank spec" + Esc left an `untitled` draft. Reproduced when something was typed and
    taken back (a, Backspace, Esc): the draft was written with nothing in it. Plain Esc, Esc twice
    in a row and ctrl+q wrote none; a real edit is still kept."""
    from tui.screens.wizard import SAVE_DELAY, WizardScreen

    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for typed in ([], [], ["a", "backspace"], ["a"], ["backspace"]):
            await pilot.press("n", "down", "enter")
            await pilot.pause()
            assert isinstance(app.screen, WizardScreen)
            if typed == ["backspace"]:  # the kept draft, resumed and emptied again
                await pilot.press("escape", "n", "down", "down", "enter")
                await pilot.pause()
                assert app.screen.data.get("title") == "a"
            await pilot.press(*typed)
            await pilot.pause(SAVE_DELAY + 0.2)  # the delayed save has run too
            await pilot.press("escape")
            await pilot.pause()
            drafts = sorted(ws.drafts.glob("*.toml")) if ws.drafts.exists() else []
            kept = [tomllib.loads(p.read_text("utf-8")).get("title") for p in drafts]
            assert kept == (["a"] if typed == ["a"] else []), typed


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_and_export_spell_out_net_monthly_benefit(isolated, capsys, lang):
    """#18: the verdict's drivers, the GO rule, the terminal report and the Markdown export said
    "NMB"; each now says "net monthly benefit" (净月收益 in Chinese)."""
    from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
    from tui.cli import main

    assert main(["decide", str(EXAMPLE_SPEC), "--evals", str(EXAMPLE_EVALS), "--lang", lang]) == 0
    report = capsys.readouterr().out
    (record_id,) = [p.name for p in (isolated / "decisions").iterdir() if p.is_dir()]
    assert main(["export", record_id, "--format", "md", "--lang", lang]) == 0
    md = capsys.readouterr().out
    word = "净月收益" if lang == "zh" else "net monthly benefit"
    for text in (report, md):
        assert "NMB" not in text and word in text.casefold()
    assert word in md.split("## Top drivers" if lang == "en" else "驱动")[1].casefold()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_estimate_kill_and_economics_tables_fit_80_columns(ws, lang):
    """#18: at 80 columns the estimate, kill and economics tables scrolled sideways: payback,
    break-even, a kill criterion's note, currency and count were off screen. Below 120 columns
    they keep the columns that fit; the rest is a note or a line under the table, and every
    column is back at 120."""
    from tui import i18n

    async def run() -> None:
        write_example_record(ws)
        try:
            app = make_app(ws, lang)
            async with app.run_test(size=(80, 24)) as pilot:
                await open_newest(pilot, "estimate")
                for tab, table_id in (("estimate", "estimate-table"),
                                      ("verdict", "kill-table"),
                                      ("economics", "economics-table")):
                    await pilot.press(str(1 + TABS.index(tab)))
                    await pilot.pause()
                    table = app.screen.query_one(f"#{table_id}", DataTable)
                    assert table.virtual_size.width <= table.size.width, tab
                    assert table.max_scroll_x == 0 and not table.show_horizontal_scrollbar
                    assert table.region.right <= 80
                detail = shown(app.screen.query_one("#economics-detail", Static))
                assert "openai/gpt-4o-mini" in detail and "17k" in detail
                why = app.screen.query_one("#kill-detail", Static)
                assert why.display and ("Why:" in shown(why) or "原因：" in shown(why))
                await pilot.resize_terminal(120, 40)
                await settle(pilot)
                columns = app.screen.query_one("#economics-table", DataTable).ordered_columns
                assert len(columns) == 6
                assert not app.screen.query_one("#economics-detail", Static).display
        finally:
            i18n.set_language("en")

    asyncio.run(run())


def drawn(widget) -> list[str]:
    """The lines a widget draws in its visible region (what a person reads there)."""
    from textual.geometry import Region

    width, height = widget.size
    return [strip.text for strip in widget.render_lines(Region(0, 0, width, height))]


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
def test_model_picker_shows_whole_ids_that_share_a_long_prefix(ws, size):
    """#18: the model picker cut names to its column, so two models sharing a 25-character
    prefix read the same (`anthropic/claude-sonnet-4…` twice)."""


    longer = ("anthropic/claude-sonnet-4-20250514", "anthropic/claude-sonnet-4-5-long-context")
    with ws.local_prices.open("a", encoding="utf-8") as f:
        for model in longer:
            f.write(f'\n[[models]]\nid = "{model}"\ncurrency = "USD"\ninput = 3.0\n'
                    'output = 15.0\nsource = "test"\nverified_on = 2026-01-01\n')

    async def run() -> None:
        app = make_app(ws)
        async with app.run_test(size=size) as pilot:
            screen, picker, options = await open_picker(pilot, 5)
            picker.query_one(Input).value = "claude sonnet"
            await pilot.pause()
            options.focus()
            await pilot.press("down")
            await pilot.pause()
            rows = drawn(options)
            if size[0] >= 80:  # each id whole on its own row
                assert [m for m in longer if any(m in row for row in rows)] == list(longer), rows
            # at 60 columns the rows are cut; the highlighted id is whole on the detail line
            detail = " ".join(drawn(picker.query_one(".model-detail", Static)))
            assert re.sub(r"\s+", " ", detail).strip() == (
                f"{longer[1]} — anthropic · in 3 / out 15 USD per 1M tokens"), detail
            assert picker.query_one(".model-detail").region.bottom <= screen.region.bottom

    asyncio.run(run())


def test_chinese_kill_criteria_show_their_action_and_window_in_chinese(ws):
    """#18: in Chinese the verdict tab's kill table showed the action (`switch model`) and the
    window (`7 d`) in English, and the status line the record's status (`proposed`)."""
    from tui import i18n

    async def run() -> None:
        write_example_record(ws)
        try:
            app = make_app(ws, "zh")
            async with app.run_test(size=(120, 40)) as pilot:
                await open_newest(pilot, "verdict")
                table = app.screen.query_one("#kill-table", DataTable)
                rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
                assert rows
                for row in rows:
                    _, _, window, _, action, _ = row
                    assert window.endswith(" 天") and not window.endswith(" d")
                    assert action in {"暂停", "回滚", "更换模型", "停止"}, action
                status_line = shown(app.screen.query_one("#status-line", Static))
                assert "· 已提议" in status_line and "proposed" not in status_line
        finally:
            i18n.set_language("en")

    asyncio.run(run())


def test_a_token_count_label_gone_before_its_thread_starts_does_not_end_the_app(monkeypatch):
    """Defect (seen as a flaky wizard walk under load): the token-count thread looked up its
    label when it started; when the user had left the step by then, the box was being torn
    down, the lookup raised NoMatches and the worker's error ended the app. Here the label
    alone goes before the thread starts (the box, and so its worker, stay)."""
    import threading

    from textual import worker as textual_worker
    from textual.app import App

    from tui.widgets import prompt_box
    from tui.widgets.prompt_box import PromptBox

    started = threading.Event()
    release = threading.Event()

    def late_worker():  # the thread starts only after the box was removed
        started.set()
        release.wait(10)
        return textual_worker.get_current_worker()

    monkeypatch.setattr(prompt_box, "get_current_worker", late_worker)

    class Host(App[None]):
        def compose(self):
            yield PromptBox("count me", id="box")

    async def run() -> None:
        app = Host()
        async with app.run_test() as pilot:
            assert await asyncio.to_thread(started.wait, 10)
            await app.query_one(PromptBox).query_one(".token-count").remove()
            release.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.is_running and app.return_code is None

    asyncio.run(run())
