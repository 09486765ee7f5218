"""Fault catalogue, locks and record permissions: nothing can hang a team's record changes.

A lock dies with its holder (flock), a forked second review process dies with its parent, a
waiter says what it waits for and gives up after SCOPECARD_LOCK_TIMEOUT seconds with a message
naming the lock file, and a status change keeps the record file's mode.

Every wait here is bounded: helper processes are killed in teardown, and the checks for a
released lock try it without blocking.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from estimators.errors import InputError
from rubrics.lifecycle import set_status
from rubrics.records import _lock_files, read_bytes, record_path
from tests.conftest import ROOT
from tests.test_records_batch import LATER, dead_or_zombie, forkable, several
from tests.test_records_support import make_record
from tui.cli import main

fcntl = pytest.importorskip("fcntl")

BOUND = 60.0  # seconds: no helper process is waited for longer than this

HOLDER = """
import fcntl, sys, time
f = open(sys.argv[1], "a+b")
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(120)
"""


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


@pytest.fixture
def hold() -> Iterator[Callable[[Path], subprocess.Popen[str]]]:
    """Start a second process that takes an exclusive flock on a file and sleeps; killed at
    the end of the test."""
    procs: list[subprocess.Popen[str]] = []

    def start(path: Path) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], env=_env(),
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(BOUND)


def _lock_file(home: Path) -> Path:
    return Path(_lock_files(str(home / "decisions"))[0])


def _free(lock: Path) -> bool:
    """Whether nobody holds `lock` (tried without blocking, and let go at once)."""
    with open(lock, "a+b") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(f, fcntl.LOCK_UN)
        return True


def test_a_change_behind_a_held_lock_says_what_it_waits_for_and_gives_up(
        test_workspace: Path, hold: Callable[[Path], subprocess.Popen[str]]) -> None:
    """Defect 3: a change waiting for the records lock waited silently and for ever. It now
    says once (on stderr, after ~2 s) which lock it waits for, and after
    SCOPECARD_LOCK_TIMEOUT seconds exits 2 naming the lock file and what to do."""
    record_id, _ = make_record(test_workspace)
    path = record_path(test_workspace / "decisions", record_id)
    before = path.read_bytes()
    lock = _lock_file(test_workspace)
    hold(lock)
    done = subprocess.run([sys.executable, "-m", "tui.cli", "accept", record_id],
                          env=_env(SCOPECARD_LOCK_TIMEOUT="3"), capture_output=True,
                          text=True, timeout=BOUND, cwd=ROOT, check=False)
    assert done.returncode == 2
    assert f"waiting for the records lock held by another scopecard process ({lock})" \
        in done.stderr
    assert f"scopecard: error: {lock}: " in done.stderr and "SCOPECARD_LOCK_TIMEOUT" in done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == before


def test_a_waiter_goes_on_once_the_holder_dies(
        test_workspace: Path, hold: Callable[[Path], subprocess.Popen[str]],
        caplog: pytest.LogCaptureFixture) -> None:
    """Defect 3: a lock dies with the process holding it, and a change waiting for it then
    goes through (the wait is a loop of non-blocking tries, not a give-up at the first)."""
    record_id, _ = make_record(test_workspace)
    holder = hold(_lock_file(test_workspace))
    outcome: list[object] = []

    def accept() -> None:
        try:
            outcome.append(set_status(test_workspace / "decisions", record_id, "accepted"))
        except InputError as e:
            outcome.append(e)

    caplog.set_level(logging.WARNING)
    waiter = threading.Thread(target=accept, daemon=True)
    waiter.start()
    deadline = time.monotonic() + BOUND
    while "waiting for the records lock" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "waiting for the records lock" in caplog.text and not outcome
    holder.kill()
    waiter.join(BOUND)
    assert len(outcome) == 1 and isinstance(outcome[0], dict)
    assert outcome[0]["status"] == "accepted"


def test_a_read_behind_a_stuck_append_gives_up_naming_the_record(
        test_workspace: Path, hold: Callable[[Path], subprocess.Popen[str]],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 3: every blocking flock is bounded, also the shared lock a read takes on a
    record file while an append to it may be in progress."""
    record_id, _ = make_record(test_workspace)
    path = record_path(test_workspace / "decisions", record_id)
    hold(path)
    monkeypatch.setenv("SCOPECARD_LOCK_TIMEOUT", "0.5")
    with pytest.raises(InputError, match="held by another scopecard process") as err:
        read_bytes(path)
    assert err.value.file == str(path)
    assert main(["show", record_id]) == 2
    assert f"scopecard: error: {path}: " in capsys.readouterr().err


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_bad_lock_timeout_is_refused_by_name(
        test_workspace: Path, hold: Callable[[Path], subprocess.Popen[str]],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str) -> None:
    """Defect 3: SCOPECARD_LOCK_TIMEOUT bounds every wait; a value that is not a finite number
    of seconds is an input error naming the variable (never a wait without end)."""
    record_id, _ = make_record(test_workspace)
    hold(_lock_file(test_workspace))
    monkeypatch.setenv("SCOPECARD_LOCK_TIMEOUT", value)
    assert main(["accept", record_id]) == 2
    err = capsys.readouterr().err
    assert "SCOPECARD_LOCK_TIMEOUT" in err and "Traceback" not in err


KILLED_PARENT = """
import datetime as dt, os, sys, time
from pathlib import Path
import rubrics.review as review
from estimators.paths import Workspace

def stuck(reviewer, paths, ids, save, decisions, side=None):
    flag = Path(sys.argv[2]) / f"{side}-{os.getpid()}"
    flag.with_suffix(".tmp").write_text("")
    flag.with_suffix(".tmp").rename(flag)
    if side == 1 and sys.argv[4] == "send":
        return ["x" * 4_000_000], {}  # more than a pipe holds: the send waits for the parent
    time.sleep(120)

review._review_paths = stuck
review.PARALLEL_MIN = 2
review.review_records(Workspace(Path(sys.argv[1])), None, dt.date.fromisoformat(sys.argv[3]))
"""


@pytest.mark.parametrize("child", ["sleep", "send"])
def test_killing_the_review_parent_kills_its_second_process(
        test_workspace: Path, tmp_path: Path, child: str) -> None:
    """Defect 3: with many records `review --all` forks a second process that shares the
    records lock; killing only the parent left the child alive (blocked sending its result
    on a pipe it kept open itself, or still working) and holding the lock for ever. The child
    now dies with its parent, and the lock with it."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: the review does not fork")
    forkable()
    several(test_workspace, copies=2)
    flags = tmp_path / "flags"
    flags.mkdir()
    lock = _lock_file(test_workspace)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_PARENT, str(test_workspace),
                             str(flags), str(LATER), child], env=_env(),
                            start_new_session=True)
    try:
        deadline = time.monotonic() + BOUND

        def reached() -> list[Path]:
            return [f for f in flags.iterdir() if not f.name.endswith(".tmp")]

        while len(reached()) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        sides = {f.name.split("-")[0]: int(f.name.split("-")[1]) for f in reached()}
        assert sorted(sides) == ["0", "1"] and sides["0"] == proc.pid
        assert not _free(lock)  # the run holds it for both processes
        proc.kill()  # the parent only
        proc.wait(BOUND)
        deadline = time.monotonic() + 20
        while not dead_or_zombie(sides["1"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert dead_or_zombie(sides["1"]), "the second review process outlived its parent"
        assert _free(lock)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the run
        except ProcessLookupError:
            pass
        proc.wait(BOUND)


@pytest.mark.parametrize("mode", [0o444, 0o640], ids=["0444", "0640"])
def test_a_status_change_keeps_the_record_files_mode(
        test_workspace: Path, capsys: pytest.CaptureFixture[str], mode: int) -> None:
    """Defect 15: `accept` made a read-only record writable: the rewrite replaced the file
    with a new one in the default mode. The record keeps the mode its owner gave it."""
    record_id, _ = make_record(test_workspace)
    path = record_path(test_workspace / "decisions", record_id)
    path.chmod(mode)
    assert main(["accept", record_id]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert 'status = "accepted"' in path.read_text()
    set_status(test_workspace / "decisions", record_id, "deprecated", day=dt.date(2026, 5, 1))
    assert stat.S_IMODE(path.stat().st_mode) == mode
    reviewed = main(["review", record_id])
    assert reviewed in (0, 1) and stat.S_IMODE(path.stat().st_mode) == mode
    capsys.readouterr()

