"""`review --all` saves in batches: temp files, one sync, then the renames.

A crash (or an error) before the renames leaves every record as it was and no partial `*.toml`;
a record changed between its read and the renames is re-read, not overwritten; and the forked
second process gives the same reviews and files as one process.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

import estimators.atomic as atomic
import rubrics.review as review
from estimators.paths import Workspace
from rubrics.records import list_records, record_files, record_path
from rubrics.review import review_records
from tests.conftest import ROOT
from tests.test_records_support import DAY, make_record

LATER = DAY + dt.timedelta(days=40)  # after every record's review_due


def several(home: Path, copies: int = 3) -> list[Path]:
    """Two decided records (GO and STOP) and copies of the first under other ids."""
    go, _ = make_record(home, "GO", title="Ticket triage")
    stop, _ = make_record(home, "STOP", title="Refund bot")
    decisions = home / "decisions"
    source = record_path(decisions, go)
    for i in range(copies):
        copy = f"2026-02-0{i + 1}-copy"
        (decisions / f"{copy}.toml").write_text(source.read_text().replace(go, copy))
    return record_files(decisions)


def forkable() -> None:
    """The review forks only when this process runs no other thread (forking one that does is
    unsafe); wait for threads an earlier test left behind, else skip."""
    deadline = time.time() + 10
    while threading.active_count() > 1 and time.time() < deadline:
        time.sleep(0.05)
    if threading.active_count() > 1:
        pytest.skip("another thread is running: the review would not fork")


def snapshot(paths: list[Path]) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in paths}


def leftovers(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def test_review_all_still_flags_reproduces_and_appends(test_workspace: Path) -> None:
    paths = several(test_workspace)
    reviews = review_records(Workspace(test_workspace), None, LATER)
    assert len(reviews) == len(paths) == 5
    for rv in reviews:
        assert rv.saved and rv.reproduction.status == "reproduced", rv
        assert "review_due" in {f.kind for f in rv.flags}
    for path in paths:
        data = tomllib.loads(path.read_text())
        (entry,) = data["reviews"]
        assert entry["date"] == LATER and entry["reproduction"] == "reproduced"
        assert [f["kind"] for f in entry["flags"]][0] == "review_due"
    summaries = list_records(test_workspace / "decisions")
    assert all(s.last_reviewed == LATER and not s.error for s in summaries)
    assert leftovers(test_workspace / "decisions") == []


def test_an_error_before_the_renames_leaves_every_record_as_it_was(
        test_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = several(test_workspace)
    before = snapshot(paths)

    def no_sync(temps: list[str]) -> None:
        assert len(temps) == len(paths) and all(os.path.exists(t) for t in temps)
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic, "_sync", no_sync)
    with pytest.raises(OSError, match="disk on fire"):
        review_records(Workspace(test_workspace), None, LATER)
    assert snapshot(record_files(test_workspace / "decisions")) == before
    assert leftovers(test_workspace / "decisions") == []


def test_an_error_during_the_renames_leaves_whole_files_only(
        test_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = several(test_workspace)
    before = snapshot(paths)
    real = os.replace
    done: list[str] = []

    def second_fails(src: str, dst: str) -> None:
        if len(done) == 2:
            raise OSError("gone")
        real(src, dst)
        done.append(str(dst))

    monkeypatch.setattr(atomic.os, "replace", second_fails)
    with pytest.raises(OSError, match="gone"):
        review_records(Workspace(test_workspace), None, LATER)
    monkeypatch.setattr(atomic.os, "replace", real)
    after = snapshot(record_files(test_workspace / "decisions"))
    assert len(after) == len(before)
    for name, raw in after.items():
        reviews = tomllib.loads(raw.decode())["reviews"]
        if str(test_workspace / "decisions" / name) in done:
            assert len(reviews) == 1 and raw.startswith(b"schema")
        else:
            assert raw == before[name]
    assert leftovers(test_workspace / "decisions") == []


KILLED = """
import datetime as dt, sys, time
from pathlib import Path
import estimators.atomic as atomic
from estimators.paths import Workspace
from rubrics.review import review_records

def hang(temps):
    Path(sys.argv[2]).write_text(str(len(temps)))
    time.sleep(60)

atomic._sync = hang
review_records(Workspace(Path(sys.argv[1])), None, dt.date.fromisoformat(sys.argv[3]))
"""


def test_a_crash_between_the_temp_files_and_the_renames(test_workspace: Path,
                                                         tmp_path: Path) -> None:
    paths = several(test_workspace)
    before = snapshot(paths)
    flag = tmp_path / "flag"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(test_workspace), str(flag),
                             str(LATER)], env=env)
    deadline = time.time() + 120
    while not flag.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert flag.exists(), "the review never reached the sync"
    assert flag.read_text() == str(len(paths))  # every temp file was written
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    decisions = test_workspace / "decisions"
    assert snapshot(record_files(decisions)) == before  # no record changed, none partial
    names = os.listdir(decisions)
    assert sorted(n for n in names if not n.startswith(".")) == sorted(before)
    assert len(leftovers(decisions)) == len(paths)  # hidden temp files, never listed
    assert all(not s.error for s in list_records(decisions))
    reviews = review_records(Workspace(test_workspace), None, LATER)  # and a rerun works
    assert all(rv.saved for rv in reviews)


def test_a_record_changed_after_it_was_read_is_reread(test_workspace: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    paths = several(test_workspace, copies=1)
    target = paths[0]
    real_stage = review.stage

    def stage_then_edit(path: Path | str, data: bytes) -> str:
        tmp = real_stage(path, data)
        if Path(path) == target:  # someone edits the file after the review read it
            time.sleep(0.01)
            text = target.read_text()
            target.write_text(text.replace("\n[spec]\n", '\nnote = "hand"\n\n[spec]\n', 1))
        return tmp

    monkeypatch.setattr(review, "stage", stage_then_edit)
    reviews = review_records(Workspace(test_workspace), None, LATER)
    assert all(rv.saved for rv in reviews)
    data = tomllib.loads(target.read_text())
    assert data["note"] == "hand" and len(data["reviews"]) == 1  # the edit was kept
    assert leftovers(test_workspace / "decisions") == []


def test_two_processes_give_what_one_gives(test_workspace: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    several(test_workspace, copies=5)
    twin = tmp_path / "twin"
    shutil.copytree(test_workspace, twin)
    one = review_records(Workspace(twin), None, LATER)
    monkeypatch.setattr(review, "PARALLEL_MIN", 2)
    forks = []
    real = review._in_two
    monkeypatch.setattr(review, "_in_two", lambda *a: forks.append(1) or real(*a))
    forkable()
    two = review_records(Workspace(test_workspace), None, LATER)
    assert forks == [1]
    assert [(r.id, r.flags, r.reproduction, r.saved) for r in two] == \
        [(r.id, r.flags, r.reproduction, r.saved) for r in one]
    assert snapshot(record_files(test_workspace / "decisions")) == \
        snapshot(record_files(twin / "decisions"))
    assert [s.last_reviewed for s in list_records(test_workspace / "decisions")] == \
        [LATER] * 7


def test_an_error_in_the_second_process_is_raised(test_workspace: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    several(test_workspace, copies=3)
    monkeypatch.setattr(review, "PARALLEL_MIN", 2)
    parent = os.getpid()
    real = review.Reviewer.review

    def fail_in_child(self, data, record_id):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            raise OSError("child failed")
        return real(self, data, record_id)

    monkeypatch.setattr(review.Reviewer, "review", fail_in_child)
    forkable()
    with pytest.raises(OSError, match="child failed"):
        review_records(Workspace(test_workspace), None, LATER)
    assert leftovers(test_workspace / "decisions") == []
