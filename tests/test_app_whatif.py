"""Pilot tests of what-if and the record lifecycle in the app (issue #18 parts 3 and 4)."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input, ProgressBar, Static

from estimators.paths import Workspace
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SUITE
from rubrics.record_store import RecordStore
from tests.test_app import settle, sync, until
from tests.test_app_workspace import SEED, TODAY, make_app, seed_workspace, write_example_record

SIZE = (100, 30)
DAU = "load.daily_active_users"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A workspace holding the example's decision, with the example's evals in its store."""
    from rubrics.evals.files import import_file

    ws = seed_workspace(tmp_path / "ws")
    write_example_record(ws)
    import_file(ws, EXAMPLE_EVALS, suite=str(EXAMPLE_SUITE))
    return ws


async def open_results(pilot):
    """Home -> the example's record on the results screen."""
    from tui.screens.results import ResultsScreen

    app = pilot.app
    await until(pilot, lambda: getattr(app.screen, "loaded", False))
    await pilot.press("o")
    await settle(pilot)
    assert isinstance(app.screen, ResultsScreen) and app.screen.record is not None
    return app.screen


async def open_whatif(pilot):
    from tui.screens.whatif import WhatIfScreen

    await open_results(pilot)
    await pilot.press("w")
    await until(pilot, lambda: isinstance(pilot.app.screen, WhatIfScreen)
                and pilot.app.screen.result is not None)
    await settle(pilot)
    return pilot.app.screen


def field_id(screen, path: str) -> str:
    return next(i for i, p in screen.paths.items() if p == path)


async def type_into(pilot, screen, path: str, text: str) -> None:
    box = screen.query_one(f"#{field_id(screen, path)}", Input)
    box.focus()
    box.value = text
    await pilot.pause(0.3)  # past the debounce
    await settle(pilot)


def result_text(screen) -> str:
    from rich.console import Console

    console = Console(width=100, record=True)
    console.print(screen.query_one("#whatif-result", Static).content)
    return console.export_text()


@sync
async def test_change_dau_updates_verdict_and_nmb(ws):
    """Fewer daily users: the verdict drops to STOP, NMB goes negative and the change is listed
    as base -> new; the screen shows what the core computes for the same change."""
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_whatif(pilot)
        base = screen.result
        assert base.verdict.value == "GO WITH CONDITIONS" and base.changes == []
        await type_into(pilot, screen, DAU, "500")
        r = screen.result
        assert r.verdict.value == "STOP"
        assert [(c.path, c.new) for c in r.changes] == [(DAU, 500.0)]
        assert all(e.nmb is None or e.nmb["p50"] < 0 for e in r.economics)
        assert r.economics == screen.whatif.apply({DAU: 500.0}).economics
        shown = result_text(screen)
        assert "STOP" in shown and "Daily active users" in shown
        assert "30000 / 50000 / 70000 → 500" in shown
        assert "%" in shown  # ROI also as a percentage


@sync
async def test_bad_value_says_why_and_recomputes_nothing(ws):
    """A value the spec refuses (negative users) or that is no number: the field shows the
    reason and the figures stay those of the last valid inputs."""
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_whatif(pilot)
        before = screen.result
        await type_into(pilot, screen, DAU, "-5")
        error = str(screen.query_one(f"#{field_id(screen, DAU)}-error", Static).render())
        assert ">" in error or "greater" in error, error
        assert screen.result is before
        await type_into(pilot, screen, DAU, "lots")
        error = str(screen.query_one(f"#{field_id(screen, DAU)}-error", Static).render())
        assert "not a number" in error and "lots" in error
        assert screen.result is before
        await type_into(pilot, screen, DAU, "30000 / 50000 / 70000")  # back to the decided
        assert str(screen.query_one(f"#{field_id(screen, DAU)}-error", Static).render()) == ""


@sync
async def test_ctrl_s_saves_a_variant_that_decides_to_the_same_verdict(ws):
    """Ctrl+S writes the variant into drafts/ and says where; that file parses as a spec and
    `decide` on it gives the verdict the what-if showed."""
    from rubrics.pipeline import decide_spec

    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_whatif(pilot)
        await type_into(pilot, screen, DAU, "500")
        shown = screen.result
        await pilot.press("ctrl+s")
        await pilot.pause()
        (variant,) = ws.drafts.glob("*-what-if.toml")
        assert any(variant.name in n.message for n in app._notifications)
    decision, _ = decide_spec(variant, ws, seed=SEED, today=TODAY)
    assert decision.verdict == shown.verdict and decision.chosen == shown.chosen
    assert tomllib.loads(variant.read_text("utf-8"))["load"]["daily_active_users"] == 500


@sync
async def test_redecide_makes_a_new_record_and_opens_it(ws):
    """r, Enter (the default shown is yes): a new decision file, shown on a new results
    screen; the old record is untouched."""
    from tui.screens.results import ResultsScreen

    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        old = await open_results(pilot)
        before = set(RecordStore(ws).ids())
        await pilot.press("r")
        await pilot.pause()
        assert "Enter = Yes" in str(app.screen.query_one("#confirm-hint", Static).render())
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is not old and isinstance(app.screen, ResultsScreen)
                    and app.screen.record is not None)
        await settle(pilot)
        (new_id,) = set(RecordStore(ws).ids()) - before
        assert app.screen.record_path == RecordStore(ws).decision_file(new_id)
        assert app.screen.record["status"] == "proposed"
        assert app.screen.record["outputs"]["verdict"] == old.record["outputs"]["verdict"]


@sync
async def test_clone_writes_a_draft_of_the_records_spec(ws):
    """c writes the record's spec as a wizard draft (prompt text inlined) and says where."""
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_results(pilot)
        await pilot.press("c")
        await pilot.pause()
    (draft,) = ws.drafts.glob("*.toml")
    data = tomllib.loads(draft.read_text("utf-8"))
    assert data["title"] == screen.record["title"]
    assert data["prompt"]["system_text"].startswith("You are")


@sync
async def test_deprecate_asks_y_n_and_enter_takes_the_default_no(ws):
    """d on an accepted record asks "y = Yes, n or Esc = No, Enter = No": Enter leaves it accepted; d then y
    deprecates it. Accept asks the same way (Enter = no)."""
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_results(pilot)
        record_id = screen.record_path.parent.name
        await pilot.press("a")
        await pilot.pause()
        assert "n or Esc = No, Enter = No" in str(app.screen.query_one("#confirm-hint", Static).render())
        await pilot.press("enter")  # the default shown: no
        await settle(pilot)
        assert RecordStore(ws).get(record_id).status == "proposed"
        await pilot.press("a", "y")
        await settle(pilot)
        assert RecordStore(ws).get(record_id).status == "accepted"
        await pilot.press("d")
        await pilot.pause()
        hint = str(app.screen.query_one("#confirm-hint", Static).render())
        assert "y = Yes" in hint and "Enter = No" in hint
        await pilot.press("enter")
        await settle(pilot)
        assert RecordStore(ws).get(record_id).status == "accepted"
        await pilot.press("d", "y")
        await settle(pilot)
        assert RecordStore(ws).get(record_id).status == "deprecated"
        assert screen.record["status"] == "deprecated"


@sync
async def test_eval_import_shows_progress_per_file_and_the_store_answers(tmp_path):
    """Import from the palette's dialog: one progress bar per file, finished for the good file,
    an error line for the missing one, a summary; the store then has the suite's tallies."""
    from rubrics.evals.files import open_store
    from tui.screens.lifecycle_dialogs import ImportEvalsDialog

    ws = seed_workspace(tmp_path / "ws")
    csv = tmp_path / "results.csv"
    shutil.copy(EXAMPLE_EVALS, csv)
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app.screen, "loaded", False))
        app.screen.action_import_evals()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ImportEvalsDialog)
        dialog.query_one("#import-paths", Input).value = f"{csv} {tmp_path / 'missing.csv'}"
        await pilot.press("enter")
        await settle(pilot)
        bars = list(dialog.query(ProgressBar))
        assert len(bars) == 2
        assert bars[0].percentage == 1.0 and bars[1].percentage == 0.0
        assert "missing.csv" in str(dialog.query_one("#import-1-line", Static).render())
        assert "1 of 2 files imported, 1 refused" in str(
            dialog.query_one("#import-summary", Static).render())
    with open_store(ws) as store:
        tallies, _ = store.suite_tallies("support-faq")
    assert tallies and all(t.n > 0 for t in tallies.values())


@sync
async def test_supersede_picks_the_newer_accepted_decision(ws):
    """u on an accepted record lists the other accepted decisions; picking one and y marks
    the record superseded by it."""
    from tui.screens import lifecycle
    from tui.screens.lifecycle_dialogs import PickDialog

    old_file = next(ws.decisions.glob("*/decision.toml"))
    new_id = lifecycle.redecide(ws, old_file, TODAY).parent.name
    store = RecordStore(ws)
    for record_id in (old_file.parent.name, new_id):
        store.set_status(record_id, "accepted")
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app.screen, "loaded", False))
        table = app.screen.query_one("#records")
        table.move_cursor(row=table.get_row_index(str(old_file)))
        screen = await open_results(pilot)
        assert screen.record_path == old_file
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, PickDialog))
        assert app.screen.choices[0][0] == new_id
        await pilot.press("enter")  # the first (newest) accepted decision
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert screen.record["status"] == "superseded"
    assert RecordStore(ws).get(old_file.parent.name).status == "superseded"


@sync
async def test_delete_draft_from_the_palette_asks_and_deletes_only_the_draft(ws, tmp_path):
    """Home's "Delete a draft": pick, Enter on the y/n question keeps it (default no), y
    deletes it; a link in drafts/ is never followed or deleted by name tricks."""
    from tui.screens import lifecycle
    from tui.screens.lifecycle_dialogs import PickDialog

    ws.drafts.mkdir(parents=True)
    draft = ws.drafts / "20261201-093000.toml"
    draft.write_text('title = "Draft one"\n', encoding="utf-8")
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app.screen, "loaded", False))
        app.screen.action_delete_draft()
        await pilot.pause()
        assert isinstance(app.screen, PickDialog)
        await pilot.press("enter", "enter")  # pick it; Enter = the default shown, no
        await pilot.pause()
        assert draft.exists()
        app.screen.action_delete_draft()
        await pilot.pause()
        await pilot.press("enter", "y")
        await pilot.pause()
        assert not draft.exists()
    outside = tmp_path / "keep.toml"
    outside.write_text("x = 1\n", encoding="utf-8")
    (ws.drafts / "link.toml").symlink_to(outside)
    from estimators.errors import InputError

    for name in ("link.toml", "../decisions", "../../keep.toml"):
        with pytest.raises(InputError):
            lifecycle.delete_draft(ws, name)
    assert outside.exists()
