"""Fault catalogue, app side: hostile text in records, drafts and files, and a read-only workspace.

Every test drives the real app with Pilot and checks what reaches the screen: user and file text
is shown as typed (brackets included, never read as Rich markup), control characters are replaced
by visible symbols before they reach the terminal, and a workspace that cannot be written gives a
message instead of a crash.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import tempfile
import tomllib
import unicodedata
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from textual.widgets import DataTable

from estimators.paths import Workspace
from tests.test_app import sync
from tests.test_app_workspace import make_app, seed_workspace, write_example_record

SIZE = (160, 40)  # wide enough that the title column is not cut


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return seed_workspace(tmp_path / "ws")


async def settle(pilot: Any) -> None:
    """Let scheduled work start, wait for every worker, then for the messages they posted and
    for the tables to size their columns to the new rows (they do it when idle)."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for _ in range(200):
        if not any(t._require_update_dimensions for t in pilot.app.screen.query(DataTable)):
            break
        await pilot.pause(0.02)
    # a table painted between its new rows and that sizing keeps the cells it drew too narrow
    # until its next change (Textual 8): a resize redraws every cell at its measured width
    await pilot.resize_terminal(SIZE[0] + 1, SIZE[1])
    await pilot.resize_terminal(*SIZE)
    await pilot.pause()


async def home_loaded(pilot: Any, timeout: float = 30.0) -> None:
    """Wait until the home screen has its list (it starts loading after the first paint)."""
    import time

    deadline = time.monotonic() + timeout
    while alive(pilot.app) and not getattr(pilot.app.screen, "loaded", False) \
            and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await settle(pilot)


def screen_text(app: Any) -> str:
    """What the terminal would show of the current screen (notifications included), as text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def controls_in(text: str) -> set[str]:
    """Control characters other than the newlines that separate screen lines."""
    return {c for c in text if unicodedata.category(c) == "Cc" and c != "\n"}


def alive(app: Any) -> bool:
    """The app is still running: no exception ended it."""
    return app.return_code is None and app.is_running


def hostile_record(ws: Workspace, change: Callable[[dict[str, Any]], None]) -> Path:
    """The example's record with `change` applied to its data (written back as TOML)."""
    path = write_example_record(ws)
    data = tomllib.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def titled(title: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["title"] = title
    return change


async def home_with_title(ws: Workspace, title: str) -> str:
    """The home screen's text for a record titled `title`."""
    hostile_record(ws, titled(title))
    app = make_app(ws)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await home_loaded(pilot)
        assert alive(app)
        return screen_text(app)


@pytest.mark.parametrize("title", [
    "Refunds [/] v2",  # killed the app while drawing home, on every start
    "[bold]x",  # read as markup: a bold x
    "Refund bot [beta] for [EU] users",  # shown without [beta]
])
@sync
async def test_title_with_brackets_is_shown_as_typed(ws, title):
    """Defect 5: brackets in a title were read as Rich markup: `[/]` killed the app, `[beta]`
    vanished, `[bold]x` showed as a bold x."""
    assert title in await home_with_title(ws, title)


@sync
async def test_escape_sequences_in_a_title_are_replaced(ws):
    """Defect 5: ESC/CSI sequences in a title reached the terminal and blanked the home screen."""
    title = "Clear\x1b[2J\x1b[H\x1b]0;owned\x07 me\x9b31m now\x7f"
    text = await home_with_title(ws, title)
    assert not controls_in(text)
    assert "Clear␛[2J␛[H␛]0;owned␇ me" in text  # visible, so the odd title can be found and fixed
    assert "Decisions" in text  # the rest of the screen is still drawn


@sync
async def test_foreign_file_whose_error_holds_a_closing_tag(ws):
    """Defect 5: a foreign file whose error text holds `[/]` killed the app when selected."""
    write_example_record(ws)
    foreign = ws.decisions / "2026-01-02-foreign-000000"
    foreign.mkdir()
    (foreign / "decision.toml").write_text('schema = "[/]"\n', encoding="utf-8")
    app = make_app(ws)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await home_loaded(pilot)
        table = app.screen.query_one("#records", DataTable)
        table.move_cursor(row=next(i for i in range(table.row_count)
                                   if "foreign" in str(table.get_row_at(i)[0])))
        for key in ("enter", "r", "e"):  # open, review and export all say why not
            await pilot.press(key)
            await pilot.pause()
        assert alive(app)
        assert "(schema = '[/]')" in screen_text(app)


@sync
async def test_record_data_with_markup_and_escapes_opens_and_reviews(ws):
    """Defect 5: a record's own texts (models, reasons, notes, kill criteria, tornado inputs)
    were read as markup on the results and review screens."""
    def change(data: dict[str, Any]) -> None:
        out = data["outputs"]
        out["reasons"] = ["[/] closes nothing", "esc \x1b[2J here"]
        out["conditions"] = ["[bold]not bold"]
        out["alternatives"][0]["note"] = "[/]"
        for k in data["kill_criteria"]:
            k["note"] = "[/] kill"
        for c in out["candidates"]:
            for row in (c.get("distribution") or {}).get("tornado", []):
                row["input"] = "[/]\x1b[2J input"
        data["evals"]["suite"] = "[/] suite"
        data["spec"]["currency"] = "[/]"

    hostile_record(ws, change)
    app = make_app(ws)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await home_loaded(pilot)
        for keys in (["enter"], ["2"], ["3"], ["4"]):
            await pilot.press(*keys)
            await settle(pilot)
            assert alive(app)
            assert not controls_in(screen_text(app))
        text = screen_text(app)
        assert "[/] closes nothing" in text and "[bold]not bold" in text
        await pilot.press("escape", "r")
        await settle(pilot)
        assert alive(app)
        assert not controls_in(screen_text(app))


@sync
async def test_record_of_another_shape_opens_with_a_message(ws):
    """Defect 5 (same screens): a record edited into another shape (a kill criterion without
    its fields, a candidate's model a table) ended the app on the results and review screens.
    The typed record now refuses the shape when it is read: home lists it with the field at
    fault, and opening or reviewing it says why instead of ending the app."""
    def change(data: dict[str, Any]) -> None:
        data["kill_criteria"] = [{"note": "[/]"}]
        data["outputs"]["candidates"][0]["model"] = {"[/]": 1}

    hostile_record(ws, change)
    app = make_app(ws)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await home_loaded(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert alive(app)
        assert "outputs.candidates.0.model" in screen_text(app)
        await pilot.press("escape", "r")
        await settle(pilot)
        assert alive(app)


def write_draft(ws: Workspace, name: str, content: bytes) -> Path:
    ws.drafts.mkdir(parents=True, exist_ok=True)
    path = ws.drafts / name
    path.write_bytes(content)
    return path


@contextlib.asynccontextmanager
async def new_dialog(ws: Workspace) -> AsyncIterator[Any]:
    """The app with New's dialog open (the drafts listed); yields the pilot."""
    app = make_app(ws)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await home_loaded(pilot)
        await pilot.press("n")
        await pilot.pause()
        yield pilot


@sync
async def test_draft_titled_with_a_closing_tag(ws):
    """Defect 5: a draft titled `[/]` killed the app when New listed the drafts."""
    write_draft(ws, "20261130-101010.toml", b'title = "[/]"\n')
    async with new_dialog(ws) as pilot:
        assert alive(pilot.app)
        assert "Resume draft: [/] (20261130-101010.toml)" in screen_text(pilot.app)


@sync
async def test_draft_with_a_numeric_title_can_be_resumed(ws):
    """Defect 5: a draft with `title = 5` killed the app when it was chosen."""
    from tui.screens.wizard import WizardScreen

    write_draft(ws, "20261130-101010.toml", b"title = 5\n")
    async with new_dialog(ws) as pilot:
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert alive(pilot.app)
        assert isinstance(pilot.app.screen, WizardScreen)
        assert "5" in screen_text(pilot.app)


@sync
async def test_unreadable_drafts_are_listed_with_their_error(ws):
    """Defect 15: unreadable drafts were hidden from New without notice."""
    write_draft(ws, "20261130-101010.toml", b'title = "broken\n')
    write_draft(ws, "20261130-101011.toml", b'title = "\xff\xfe"\n')
    async with new_dialog(ws) as pilot:
        text = screen_text(pilot.app)
        assert "20261130-101010.toml: TOML syntax error" in text
        assert "20261130-101011.toml: not UTF-8 text" in text
        await pilot.press("down", "down", "enter")  # choosing one says why it cannot be resumed
        await pilot.pause()
        assert alive(pilot.app)
        assert type(pilot.app.screen).__name__ == "StartDialog"
        assert "cannot be resumed" in screen_text(pilot.app)


@pytest.fixture
def read_only(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Nothing can be created under the workspace (tests run as root: chmod would not stop us)."""
    root = str(ws.root)
    real_mkdir, real_mkstemp = os.mkdir, tempfile.mkstemp

    def refuse(path: Any) -> None:
        if str(path).startswith(root):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        refuse(path)
        real_mkdir(path, *args, **kwargs)

    def mkstemp(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
        refuse(dir)
        return real_mkstemp(*args, dir=dir, **kwargs)

    write_example_record(ws)  # written before the workspace turns read-only
    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    return ws


@sync
async def test_read_only_workspace_starting_new(read_only):
    """Defect 10: starting a new scoping crashed the app (it could not create drafts/)."""
    from tui.screens.home import HomeScreen
    from tui.screens.results import ResultsScreen
    from tui.screens.wizard import WizardScreen

    app = make_app(read_only)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await home_loaded(pilot)
        await pilot.press("n", "enter")  # from the example
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        await pilot.press("x")  # an edit: the draft is saved a moment later
        await pilot.pause(0.8)
        await pilot.press("ctrl+s")  # and on request
        await pilot.pause()
        assert alive(app)
        text = screen_text(app)
        assert "Draft not saved" in text and "Read-only file system" in text
        assert "--workspace" in text
        await pilot.press("escape")  # leaving works, and so does the rest of the app
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ResultsScreen) and app.screen.record is not None
        assert alive(app)
    assert not read_only.drafts.exists()


@sync
async def test_read_only_workspace_finishing_the_wizard(read_only):
    """Defect 10: Finish in a read-only workspace crashed while writing the spec."""
    from tui.screens.wizard import WizardScreen

    app = make_app(read_only)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await home_loaded(pilot)
        await pilot.press("n", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        await screen.action_finish()
        await pilot.pause()
        assert alive(app) and app.screen is screen
        assert "Spec not saved" in screen_text(app)


def test_a_crash_ends_the_command_with_a_failure_status(ws, monkeypatch):
    """Defect 5: the app died drawing home, yet `scopecard` exited with status 0."""
    from tui import app as app_module
    from tui.screens.home import HomeScreen

    def broken(self: HomeScreen) -> None:
        raise RuntimeError("drawing failed")

    run = app_module.ScopecardApp.run
    monkeypatch.setattr(HomeScreen, "on_mount", broken)
    monkeypatch.setattr(app_module.ScopecardApp, "run",
                        lambda self: run(self, headless=True, size=(80, 24)))
    assert app_module.run(argparse.Namespace(workspace=str(ws.root), lang="en")) == 1
