"""Every key the footer or F1 offers does something on its screen (#18: F1 listed keys that
did nothing there, and ctrl+p twice).

For each screen, each key it shows (its own bindings that are enabled, and the app's) is pressed
in a fresh app; the test asserts that something a person can see changed: the screen, the focus,
a notification, a tab, a scroll position, a row count, the theme or a file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.widgets import DataTable, TabbedContent

from estimators.paths import Workspace
from tests.test_app_workspace import make_app, seed_workspace, write_example_record

SIZE = (80, 24)
Setup = Callable[[Any, Workspace], Awaitable[None]]


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def press(pilot: Any, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def shown_keys(app: Any) -> dict[str, str]:
    """key -> binding id of what the screen's footer and F1 offer: every described binding that
    reaches this screen and is enabled (a modal dialog gets none of the app's)."""
    from tui.screens.help import HelpScreen

    keys = {key: binding.id or binding.action
            for key, (_, binding, enabled, _) in app.screen.active_bindings.items()
            if binding.description and enabled
            and (binding.id or binding.action == "command_palette")}
    rows = HelpScreen(app.screen).key_rows(app)
    assert len({description for _, description, _ in rows}) == len(rows)  # ctrl+p once
    return keys


def state(app: Any, ws: Workspace) -> tuple[Any, ...]:
    """What a person can see changing (and the files a key may write)."""
    screen = app.screen
    tabs = screen.query(TabbedContent)
    return (
        id(screen), len(app.screen_stack), getattr(screen.focused, "id", None),
        screen.focused.__class__.__name__, len(app._notifications), app.theme,
        tabs.first().active if tabs else None,
        tuple(round(v.scroll_y) for v in screen.query(VerticalScroll)),
        tuple(t.row_count for t in screen.query(DataTable)),
        tuple(t.cursor_coordinate for t in screen.query(DataTable)),
        getattr(screen, "sort_state", None),
        tuple(sorted(str(p.relative_to(ws.root)) for p in ws.root.rglob("*") if p.is_file())),
        app.return_code,
    )


async def to_home(pilot: Any, ws: Workspace) -> None:
    await settle(pilot)


async def to_start(pilot: Any, ws: Workspace) -> None:
    ws.drafts.mkdir(parents=True, exist_ok=True)
    (ws.drafts / "20261201-090000.toml").write_text('title = "A draft"\n', "utf-8")
    await press(pilot, "n", "down", "down")  # the cursor on the draft: delete is offered


async def to_results(pilot: Any, ws: Workspace) -> None:
    await press(pilot, "enter", "3")  # the economics tab: longer than the screen


async def to_results_capability(pilot: Any, ws: Workspace) -> None:
    await press(pilot, "enter", "2")  # for the key of the economics tab


async def to_results_end(pilot: Any, ws: Workspace) -> None:
    await press(pilot, "enter", "3", "end")  # for the keys that go up


async def to_review(pilot: Any, ws: Workspace) -> None:
    await press(pilot, "r")


async def to_confirm(pilot: Any, ws: Workspace) -> None:
    await press(pilot, "enter", "a")


async def to_export(pilot: Any, ws: Workspace) -> None:
    await press(pilot, "enter", "e")


async def to_help(pilot: Any, ws: Workspace) -> None:
    await press(pilot, "f1")


SCREENS: dict[str, Setup] = {
    "home": to_home, "start": to_start, "results": to_results, "review": to_review,
    "confirm": to_confirm, "export": to_export, "help": to_help,
}
# keys whose effect needs another starting point on that screen
AFTER: dict[tuple[str, str], Setup] = {
    ("results", "3"): to_results_capability,
    ("results", "pageup"): to_results_end,
    ("results", "home"): to_results_end,
}


def add_record(ws: Workspace) -> None:
    """A second decision, so that Reload has something new to show."""
    source = next(ws.decisions.glob("*/decision.toml"))
    folder = ws.decisions / "2026-12-01-another-000001"
    folder.mkdir()
    text = source.read_text("utf-8").replace(source.parent.name, folder.name)
    (folder / "decision.toml").write_text(text, "utf-8")


def keys_of(screen_name: str, tmp: Path) -> dict[str, str]:
    """The keys a screen offers, found by opening it once."""
    ws = seed_workspace(tmp / "probe")
    write_example_record(ws)
    found: dict[str, str] = {}

    async def run() -> None:
        app = make_app(ws)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await SCREENS[screen_name](pilot, ws)
            found.update(shown_keys(app))

    asyncio.run(run())
    return found


@pytest.mark.parametrize("screen_name", list(SCREENS))
def test_every_key_shown_does_something(screen_name: str, tmp_path: Path) -> None:
    """Each key of the footer and F1 changes something visible on that screen."""
    keys = keys_of(screen_name, tmp_path)
    assert keys, screen_name
    idle: list[str] = []
    for n, (key, ident) in enumerate(sorted(keys.items())):
        ws = seed_workspace(tmp_path / f"ws{n}")
        write_example_record(ws)

        async def run(key: str = key, ws: Workspace = ws) -> bool:
            app = make_app(ws)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                await AFTER.get((screen_name, key), SCREENS[screen_name])(pilot, ws)
                if key == "f5":
                    add_record(ws)
                before = state(app, ws)
                await press(pilot, key)
                return state(app, ws) != before

        if not asyncio.run(run()):
            idle.append(f"{key} ({ident})")
    assert not idle, f"{screen_name}: keys shown that do nothing: {idle}"
