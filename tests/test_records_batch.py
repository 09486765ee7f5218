"""`review --all` saves in batches: each review appended in place, all or none, one sync.

An error during the appends or before the sync undoes them; a crash leaves an undo journal that
the next reader or writer applies, so every record ends with its whole new review or none of
it; readers wait for a batch in progress; a record changed between its read and its append is
re-read, not overwritten; and the forked second process gives the same reviews and files as one.
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
from rubrics.records import (
    journal_paths,
    list_records,
    read_bytes,
    record_files,
    record_lock,
    record_path,
)
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


def journal_left(home: Path) -> bool:
    return any(j.exists() for j in journal_paths(home / "decisions"))


def test_review_all_still_flags_reproduces_and_appends(test_workspace: Path) -> None:
    paths = several(test_workspace)
    before = snapshot(paths)
    reviews = review_records(Workspace(test_workspace), None, LATER)
    assert len(reviews) == len(paths) == 5
    for rv in reviews:
        assert rv.saved and rv.reproduction.status == "reproduced", rv
        assert "review_due" in {f.kind for f in rv.flags}
    for path in paths:
        raw = path.read_bytes()
        assert raw.startswith(before[path.name])  # appended: the rest is left byte for byte
        (entry,) = tomllib.loads(raw.decode())["reviews"]
        assert entry["date"] == LATER and entry["reproduction"] == "reproduced"
        assert [f["kind"] for f in entry["flags"]][0] == "review_due"
    summaries = list_records(test_workspace / "decisions")
    assert all(s.last_reviewed == LATER and not s.error for s in summaries)
    assert not journal_left(test_workspace)


def test_an_error_before_the_sync_leaves_every_record_as_it_was(
        test_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = several(test_workspace)
    before = snapshot(paths)

    calls: list[int] = []

    def no_sync(appended: list[str]) -> None:
        calls.append(len(appended))
        if len(calls) == 1:  # the batch's sync; the undo's own sync then goes through
            assert all(p.read_bytes() != before[p.name] for p in paths)  # every append made
            raise OSError("disk on fire")

    monkeypatch.setattr(atomic, "_sync", no_sync)
    with pytest.raises(OSError, match="disk on fire"):
        review_records(Workspace(test_workspace), None, LATER)
    assert calls == [len(paths), len(paths)]
    assert snapshot(record_files(test_workspace / "decisions")) == before  # all undone
    assert not journal_left(test_workspace)


def test_an_error_during_the_appends_undoes_those_made(
        test_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = several(test_workspace)
    before = snapshot(paths)
    real = os.pwrite
    done: list[int] = []

    def third_fails(fd: int, data: bytes, offset: int) -> int:
        if len(done) == 2:
            raise OSError(28, "No space left on device")
        done.append(fd)
        return real(fd, data[:len(data) // 2], offset)  # and each write is a short one

    monkeypatch.setattr(atomic.os, "pwrite", third_fails)
    with pytest.raises(OSError, match="No space"):
        review_records(Workspace(test_workspace), None, LATER)
    monkeypatch.setattr(atomic.os, "pwrite", real)
    assert snapshot(record_files(test_workspace / "decisions")) == before
    assert not journal_left(test_workspace)
    assert all(rv.saved for rv in review_records(Workspace(test_workspace), None, LATER))


def dead_or_zombie(pid: int) -> bool:
    """Whether a process is gone or a zombie (its files, and so its locks, closed)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


KILLED = """
import datetime as dt, os, sys, time
from pathlib import Path
import estimators.atomic as atomic
import rubrics.review as review
from estimators.paths import Workspace

def hang(paths):
    flag = Path(sys.argv[2]) / str(os.getpid())
    flag.with_suffix(".tmp").write_text(str(len(paths)))
    flag.with_suffix(".tmp").rename(flag)
    time.sleep(60)

atomic._sync = hang
review.PARALLEL_MIN = int(sys.argv[4])
review.review_records(Workspace(Path(sys.argv[1])), None, dt.date.fromisoformat(sys.argv[3]))
"""


@pytest.mark.parametrize("tear,processes", [(False, 1), (True, 1), (True, 2)])
def test_a_crash_between_the_appends_and_the_sync(test_workspace: Path, tmp_path: Path,
                                                  tear: bool, processes: int) -> None:
    paths = several(test_workspace)
    before = snapshot(paths)
    flags = tmp_path / "flags"
    flags.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(test_workspace), str(flags),
                             str(LATER), "2" if processes == 2 else "1000000"], env=env,
                            start_new_session=True)
    deadline = time.time() + 120

    def reached() -> list[Path]:  # each process's flag, once renamed into place (whole)
        return [f for f in flags.iterdir() if not f.name.endswith(".tmp")]

    while len(reached()) < processes and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    counts = sorted(int(f.read_text()) for f in reached())
    assert len(counts) == processes, "the review never reached the sync"
    assert sum(counts) == len(paths)  # every append was made
    os.killpg(proc.pid, signal.SIGKILL)  # the forked second process too
    proc.wait()
    for pid in (int(f.name) for f in reached()):  # until it has let go of the lock
        while not dead_or_zombie(pid) and time.time() < deadline:
            time.sleep(0.01)
    decisions = test_workspace / "decisions"
    journals = journal_paths(decisions)
    assert [j.exists() for j in journals] == [True, processes == 2]
    if tear:  # as a power cut can leave one: half an append
        torn = paths[0]
        torn.write_bytes(torn.read_bytes()[:len(before[torn.name]) + 40])
    # the first reader (or writer) takes the lock and undoes the interrupted batches
    assert all(not s.error for s in list_records(decisions))
    assert not any(j.exists() for j in journals)
    assert snapshot(record_files(decisions)) == before
    assert sorted(os.listdir(decisions)) == sorted(before)  # nothing else in decisions/
    reviews = review_records(Workspace(test_workspace), None, LATER)  # and a rerun works
    assert all(rv.saved for rv in reviews)


def test_a_record_changed_after_it_was_read_is_reread(test_workspace: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    paths = several(test_workspace, copies=1)
    target = paths[0]
    real_stage = review._stage

    def stage_then_edit(reviewer, loaded, rv):  # type: ignore[no-untyped-def]
        staged = real_stage(reviewer, loaded, rv)
        if loaded.path == target:  # someone edits the file after the review read it
            time.sleep(0.01)
            text = target.read_text()
            target.write_text(text.replace("\n[spec]\n", '\nnote = "hand"\n\n[spec]\n', 1))
        return staged

    monkeypatch.setattr(review, "_stage", stage_then_edit)
    reviews = review_records(Workspace(test_workspace), None, LATER)
    assert all(rv.saved for rv in reviews)
    data = tomllib.loads(target.read_text())
    assert data["note"] == "hand" and len(data["reviews"]) == 1  # the edit was kept


def test_a_record_grown_just_before_its_append_is_reread(
        test_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = several(test_workspace, copies=1)
    target = paths[-1]
    real = review.append_all

    def edit_then_append(journal: Path, appends: list[atomic.Append]) -> list[atomic.Append]:
        with open(target, "a", encoding="utf-8") as f:  # an editor that takes no lock
            f.write('\n[hand]\nnote = "late"\n')
        return real(journal, appends)

    monkeypatch.setattr(review, "append_all", edit_then_append)
    assert all(rv.saved for rv in review_records(Workspace(test_workspace), None, LATER))
    data = tomllib.loads(target.read_text())
    assert data["hand"]["note"] == "late" and len(data["reviews"]) == 1
    for path in paths:
        assert len(tomllib.loads(path.read_text())["reviews"]) == 1


def test_a_reader_waits_for_an_append_in_progress_and_only_for_it(test_workspace: Path) -> None:
    fcntl = pytest.importorskip("fcntl")
    paths = several(test_workspace, copies=1)
    decisions = test_workspace / "decisions"
    read: list[bytes] = []
    with open(paths[0], "ab") as f, record_lock(decisions):  # as a batch holds them
        assert read_bytes(paths[1]) == paths[1].read_bytes()  # the folder's lock: no wait
        fcntl.flock(f, fcntl.LOCK_EX)  # as append_all holds a file while appending to it
        reader = threading.Thread(target=lambda: read.append(read_bytes(paths[0])))
        reader.start()
        reader.join(0.3)
        assert reader.is_alive() and not read  # it waits: it never sees half an append
        f.write(b"\n# appended\n")
        f.flush()
        fcntl.flock(f, fcntl.LOCK_UN)
        reader.join(5)
    assert read == [paths[0].read_bytes()] and read[0].endswith(b"# appended\n")


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
    real = review.Reviewer.review_view

    def fail_in_child(self, view, record_id, data):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            raise OSError("child failed")
        return real(self, view, record_id, data)

    monkeypatch.setattr(review.Reviewer, "review_view", fail_in_child)
    forkable()
    with pytest.raises(OSError, match="child failed"):
        review_records(Workspace(test_workspace), None, LATER)
    assert not journal_left(test_workspace)
