"""The home list's first read (issue #14, app half): records never read before are read by child
processes in batches, shown as they arrive, and the result is exactly `list_records`'."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from estimators.paths import Workspace
from rubrics.records import cache_file, index_path, list_records, record_files
from tests.test_app_workspace import (
    seed_workspace,
    write_corrupt_record,
    write_example_record,
)
from tui.screens import record_list

COPIES = 6


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """COPIES records never read (no caches, no index), one corrupt file, and batches of two
    read in parallel from the first unread record on."""
    ws = seed_workspace(tmp_path / "ws")
    first = write_example_record(ws)
    text = first.read_text("utf-8")
    for i in range(2, COPIES + 1):
        new_id = f"{first.stem}-{i}"
        (ws.decisions / f"{new_id}.toml").write_text(
            text.replace(f'id = "{first.stem}"', f'id = "{new_id}"'), encoding="utf-8")
    write_corrupt_record(ws)
    monkeypatch.setattr(record_list, "BATCHED_MIN", 1)
    monkeypatch.setattr(record_list, "BATCH", 2)
    return ws


def load(ws: Workspace) -> tuple[list[Any], list[tuple[list[Any], int, int]]]:
    shown: list[tuple[list[Any], int, int]] = []
    out = record_list.load_summaries(ws.decisions, lambda b, d, n: shown.append((b, d, n)),
                                     lambda: False)
    assert out is not None
    return out, shown


def expected(ws: Workspace) -> list[Any]:
    """What list_records gives for the same files, read from a fresh copy of the folder."""
    copy = Workspace(Path(tempfile.mkdtemp()))
    try:
        shutil.copytree(ws.decisions, copy.decisions)
        return [s.id for s in list_records(copy.decisions)]
    finally:
        shutil.rmtree(copy.root)


def test_first_read_comes_in_batches_in_list_order(ws, monkeypatch):
    out, shown = load(ws)
    ids = [s.id for s in out]
    assert ids == expected(ws)
    assert [s.id for batch, _, _ in shown for s in batch] == ids  # every record, in order
    assert [(len(b), d, n) for b, d, n in shown] == [(2, 2, 7), (2, 4, 7), (2, 6, 7), (1, 7, 7)]
    assert next(s for s in out if s.id.endswith("broken")).error
    assert all(os.path.exists(cache_file(p)) for p in record_files(ws.decisions)
               if not p.stem.endswith("broken"))
    assert index_path(ws.decisions).exists()  # the next start is warm


def test_records_read_before_are_not_read_again(ws, monkeypatch):
    list_records(ws.decisions)  # every readable record now has its cache
    monkeypatch.setattr(record_list, "BATCHED_MIN", 2)  # the corrupt file never gets one
    out, shown = load(ws)
    assert shown == []
    assert [s.id for s in out] == expected(ws)


def test_read_only_workspace_lists_once(ws, monkeypatch):
    """No cache and no index can be written: the batches are the list (nothing read twice)."""
    real = tempfile.mkstemp

    def refuse(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
        if dir is not None and str(dir).startswith(str(ws.root)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    summarized: list[Path] = []
    real_batch = record_list.summarize_batch
    monkeypatch.setattr(record_list, "summarize_batch",
                        lambda paths: summarized.extend(paths) or real_batch(paths))
    out, _ = load(ws)
    assert [s.id for s in out] == expected(ws)
    assert len(summarized) == COPIES + 1
    assert not index_path(ws.decisions).exists()


def test_cancelled_read_stops_and_returns_nothing(ws, monkeypatch):
    shown: list[Any] = []
    out = record_list.load_summaries(ws.decisions, lambda b, d, n: shown.append(b),
                                     lambda: bool(shown))
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
