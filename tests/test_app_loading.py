"""The home list's first read: decisions never read before (a fresh clone) are read in batches,
shown as they arrive, and the result is exactly the store's list; the next start is warm."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

import rubrics.record_store as record_store
from estimators.paths import Workspace
from rubrics.record_store import RecordStore
from tests.test_app_workspace import (
    seed_workspace,
    write_corrupt_record,
    write_example_record,
)

COPIES = 6


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """COPIES decisions never read (no index), one corrupt, read in batches of two."""
    ws = seed_workspace(tmp_path / "ws")
    first = write_example_record(ws)
    record_id = first.parent.name
    text = first.read_text("utf-8")
    for i in range(2, COPIES + 1):
        new_id = f"{record_id[:-7]}-{i}{record_id[-7:]}"
        (ws.decisions / new_id).mkdir()
        (ws.decisions / new_id / "decision.toml").write_text(
            text.replace(f'id = "{record_id}"', f'id = "{new_id}"'), encoding="utf-8")
    write_corrupt_record(ws)
    monkeypatch.setattr(record_store, "BATCH", 2)
    return ws


def load(ws: Workspace) -> tuple[list[Any], list[tuple[list[Any], int]]]:
    shown: list[tuple[list[Any], int]] = []
    out = RecordStore(ws).summaries(lambda b, n: shown.append((b, n)))
    assert out is not None
    return out, shown


def expected(ws: Workspace) -> list[Any]:
    """The list of the same files, read from a fresh copy of the folder."""
    copy = Workspace(Path(tempfile.mkdtemp()))
    try:
        shutil.copytree(ws.decisions, copy.decisions)
        return [s.id for s in RecordStore(copy).summaries() or []]
    finally:
        shutil.rmtree(copy.root)


def test_first_read_comes_in_batches_in_list_order(ws):
    out, shown = load(ws)
    ids = [s.id for s in out]
    assert ids == expected(ws)
    assert [s.id for batch, _ in shown for s in batch] == ids  # every decision, in order
    assert [(len(b), n) for b, n in shown] == [(2, 7), (2, 7), (2, 7), (1, 7)]
    assert next(s for s in out if "broken" in s.id).error
    assert RecordStore(ws).index_file.exists()  # the next start is warm


def test_records_read_before_are_not_read_again(ws):
    RecordStore(ws).summaries()
    out, shown = load(ws)
    assert shown == []
    assert [s.id for s in out] == expected(ws)


def test_read_only_workspace_still_lists(ws, monkeypatch):
    """No index can be written: the list is read from the files every time."""
    real = tempfile.mkstemp

    def refuse(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
        if dir is not None and str(dir).startswith(str(ws.root)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out, shown = load(ws)
    assert [s.id for s in out] == expected(ws)
    assert sum(len(b) for b, _ in shown) == COPIES + 1
    assert not RecordStore(ws).index_file.exists()


def test_cancelled_read_stops_and_returns_nothing(ws):
    shown: list[Any] = []
    out = RecordStore(ws).summaries(lambda b, n: shown.append(b), lambda: bool(shown))
    assert out is None and len(shown) == 1


def test_home_fills_in_batch_by_batch_then_shows_the_count(ws, monkeypatch):
    import asyncio

    from textual.widgets import DataTable, Static

    from tests.test_app_workspace import make_app
    from tui.screens.home import HomeScreen

    statuses: list[str] = []
    batch = HomeScreen._batch

    def spy(self: HomeScreen, *args: Any) -> None:
        batch(self, *args)
        statuses.append(str(self.query_one("#home-status", Static).render()))

    monkeypatch.setattr(HomeScreen, "_batch", spy)

    async def run() -> None:
        app = make_app(ws)
        async with app.run_test() as pilot:
            for _ in range(600):  # 30 s at most
                if getattr(app.screen, "loaded", False):
                    break
                await pilot.pause(0.05)
            await pilot.pause()
            assert app.screen.query_one("#records", DataTable).row_count == COPIES + 1
            assert "7 decisions, 1 unreadable" in str(
                app.screen.query_one("#home-status", Static).render())

    asyncio.run(run())
    assert statuses[0] == "Reading decisions for the first time… 2 of 7"
    assert statuses[-1] == "Reading decisions for the first time… 7 of 7"
