"""Snapshots of the app's look: home, a wizard step, results and verdict, at 100x30 and 80x24,
in English and Chinese. Deterministic: fixed date, seed and prices, no cursor blink, and the
workspace under the (temporary) home folder so the header reads ~/ws on every machine.

Update after an intended change: pytest tests/test_app_snapshots.py --snapshot-update
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import pytest_textual_snapshot
from textual.widgets import DataTable

from tests.test_app_workspace import (
    make_app,
    seed_workspace,
    write_corrupt_record,
    write_example_record,
)

SNAPSHOTS = Path(__file__).parent / "snapshots"


class SnapshotsFolder(pytest_textual_snapshot.SVGImageExtension):
    """Keep the SVGs in tests/snapshots/ rather than syrupy's __snapshots__/."""

    @classmethod
    def dirname(cls, *, test_location) -> str:  # type: ignore[no-untyped-def]
        return str(SNAPSHOTS / "test_app_snapshots")


@pytest.fixture(autouse=True)
def snapshots_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytest_textual_snapshot, "SVGImageExtension", SnapshotsFolder)


# keys pressed from the home screen (after the record list has loaded)
VIEWS = {
    "home": [],
    "wizard": ["n", "enter", "ctrl+n", "ctrl+n"],  # the Load step of the example
    "results": ["enter"],  # open the newest record: the estimate tab
    "verdict": ["enter", "4"],
}
SIZES = {"100x30": (100, 30), "80x24": (80, 24)}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("view", list(VIEWS))
def test_look(snap_compare, view: str, size: str, lang: str) -> None:
    ws = seed_workspace(Path(os.environ["HOME"]) / "ws")
    write_example_record(ws)
    write_corrupt_record(ws)
    app = make_app(ws, lang)

    async def walk(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()  # the record list starts loading after the first paint
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for key in VIEWS[view]:
            await pilot.press(key)
            await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        # Textual's DataTable caches rendered lines without the column widths it measures on
        # its next Idle: a paint that falls between filling a table and that Idle keeps the
        # header-wide columns (seen on the home table). Render the settled tables afresh.
        for table in pilot.app.screen.query(DataTable):
            table.notify_style_update()
            table.refresh()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=walk)
