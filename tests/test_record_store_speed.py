"""A warm list (issues #17, #18): an index entry made from unchanged files is reused as it is,
with three stats per decision, and a fact another process files is in the next list; the app
loads its tokenizers once home's list is shown, not beside it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from estimators.paths import Workspace
from rubrics import record_store
from rubrics.record_store import RecordStore
from tests.test_records_support import make_record

ROOT = Path(__file__).resolve().parent.parent
LONG_AGO = 1_000_000_000_000_000_000  # ns: 2001, so any later change gives a new mtime


@pytest.fixture
def store(test_workspace: Path) -> RecordStore:
    return RecordStore(Workspace(test_workspace))


def status_of(store: RecordStore, record_id: str) -> str:
    rows = RecordStore(store.ws).summaries() or []
    return next(r.status for r in rows if r.id == record_id)


def age(folder: Path) -> None:
    """Date a folder's mtime back, so the next file linked into it changes it whatever the
    file system's timestamp granularity (a test of "changed" must not depend on the clock)."""
    os.utime(folder, ns=(LONG_AGO, LONG_AGO))


def test_a_status_event_filed_by_another_process_is_in_the_next_list(
        store: RecordStore) -> None:
    """Defect guarded: the index keys an entry by folder mtimes, not each file's stat; an event
    another process adds to an existing events/ folder must still be seen by the next list."""
    record_id, _ = make_record(store.ws.root)
    store.set_status(record_id, "accepted")
    age(store.root / record_id / "events")
    assert status_of(store, record_id) == "accepted"  # the index now holds "accepted"
    code = ("import sys; from pathlib import Path; from estimators.paths import Workspace; "
            "from rubrics.record_store import RecordStore; "
            "RecordStore(Workspace(Path(sys.argv[1]))).set_status(sys.argv[2], 'deprecated')")
    subprocess.run([sys.executable, "-c", code, str(store.ws.root), record_id], cwd=ROOT,
                   check=True)
    assert status_of(store, record_id) == "deprecated"


def test_an_event_file_replaced_as_git_and_editors_do_is_in_the_next_list(
        store: RecordStore) -> None:
    """Defect guarded: an event rewritten by a checkout or an editor's save (a new file renamed
    over the old one) must not leave the list showing the old status."""
    record_id, _ = make_record(store.ws.root)
    store.set_status(record_id, "accepted")
    path = next((store.root / record_id / "events").iterdir())
    age(path.parent)
    assert status_of(store, record_id) == "accepted"
    temp = path.with_name(".edit.tmp")
    temp.write_text(path.read_text().replace('"accepted"', '"rejected"'))
    os.replace(temp, path)
    assert status_of(store, record_id) == "rejected"


def test_a_warm_list_reuses_the_index_without_serializing_or_writing_it(
        store: RecordStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: every warm list serialized each index entry again to compare it with the index
    (0.4 s at 10,000 decisions); an entry made from unchanged files is now kept as it is."""
    ids = {make_record(store.ws.root, title=t)[0] for t in ("One", "Two")}
    first = store.summaries() or []

    def fail(*_: Any) -> Any:
        raise AssertionError("a warm list serialized or wrote the index")

    monkeypatch.setattr(record_store, "_summary_json", fail)
    monkeypatch.setattr(RecordStore, "_save_index", fail)
    again = RecordStore(store.ws).summaries() or []
    assert again == first and {r.id for r in again} == ids


def test_a_warm_list_stats_three_paths_per_decision(
        store: RecordStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: a warm list made five stat calls per decision (a symlink check and an existence
    check while listing, then three for the identity); the listing's own stat now serves."""
    ids = [make_record(store.ws.root, title=t)[0] for t in ("One", "Two")]
    store.summaries()
    inside: list[str] = []
    prefix = str(store.root) + os.sep

    def counting(real: Any) -> Any:
        def stat(path: Any, *args: Any, **kwargs: Any) -> Any:
            if os.fspath(path).startswith(prefix):
                inside.append(os.fspath(path))
            return real(path, *args, **kwargs)
        return stat

    monkeypatch.setattr(os, "stat", counting(os.stat))
    monkeypatch.setattr(os, "lstat", counting(os.lstat))
    assert len(RecordStore(store.ws).summaries() or []) == 2
    assert len(inside) == 3 * len(ids), inside


def test_the_app_loads_its_tokenizers_after_home_has_listed_the_decisions(
        store: RecordStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: the tokenizer warm-up started at the first paint and shared the interpreter with
    home's list (10,000 decisions listed in 5.0 s, 2.9 s without it). Here the list waits (up
    to 2 s) for a tokenizer to be built: it is listed first only when the warm-up waits for it."""
    from estimators import tokens
    from tests.test_app_workspace import make_app
    from tui.screens import home

    make_record(store.ws.root)
    order: list[str] = []
    built = threading.Event()
    real_summaries, real_tokenizer = RecordStore.summaries, tokens.tokenizer_for

    def summaries(self: RecordStore, *args: Any, **kwargs: Any) -> Any:
        built.wait(2)
        order.append("listed")
        return real_summaries(self, *args, **kwargs)

    def tokenizer_for(model: str) -> Any:
        order.append("tokenizer")
        built.set()
        return real_tokenizer(model)

    monkeypatch.setattr(RecordStore, "summaries", summaries)
    monkeypatch.setattr(tokens, "tokenizer_for", tokenizer_for)

    async def run() -> None:
        app = make_app(store.ws)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, home.HomeScreen) and app.screen.loaded

    asyncio.run(run())
    assert order[0] == "listed" and "tokenizer" in order, order
