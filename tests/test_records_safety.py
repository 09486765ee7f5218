"""Bad input and faults: corrupt files, concurrent writers, killed writers, path tricks."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from estimators.errors import InputError
from estimators.paths import Workspace
from rubrics.pipeline import save_record
from rubrics.record_store import RecordStore, check_id
from tests.conftest import ROOT
from tests.test_records_support import make_record
from tui.cli import main

BROKEN = {
    "2026-01-01-syntax-000000": b'schema = "scopecard.decision/2"\ntitle = ',
    "2026-01-02-foreign-000000": b'schema = "somebody.else/3"\n',
    "2026-01-03-binary-000000": b"\x89PNG\r\n\x1a\n\x00\x00",
    "2026-01-04-conflict-000000": b'schema = "scopecard.decision/2"\n<<<<<<< HEAD\ntitle = "a"\n'
                                  b'=======\ntitle = "b"\n>>>>>>> theirs\n',
    "2026-01-05-incomplete-000000": b'schema = "scopecard.decision/2"\ntitle = "hand made"\n',
}


def store_of(home: Path) -> RecordStore:
    return RecordStore(Workspace(home))


def test_corrupt_and_foreign_files_are_listed_with_errors(test_workspace: Path,
                                                          capsys) -> None:
    record_id, _ = make_record(test_workspace)
    decisions = test_workspace / "decisions"
    for name, data in BROKEN.items():
        (decisions / name).mkdir()
        (decisions / name / "decision.toml").write_bytes(data)
    (decisions / "README.md").write_text("not a record")
    store = store_of(test_workspace)
    for _ in range(2):  # the second time from the index
        rows = {r.id: r for r in store.summaries() or []}
        assert set(rows) == {record_id, "README", *BROKEN}
        assert rows[record_id].error is None and rows[record_id].verdict == "GO"
        assert "TOML syntax error" in rows["2026-01-01-syntax-000000"].error
        assert "not a scopecard.decision/2 decision" in rows["2026-01-02-foreign-000000"].error
        assert "UTF-8" in rows["2026-01-03-binary-000000"].error
        assert "TOML syntax error" in rows["2026-01-04-conflict-000000"].error
        assert "required" in rows["2026-01-05-incomplete-000000"].error.lower()
        assert "not a decision" in rows["README"].error
    assert main(["--workspace", str(test_workspace), "list"]) == 0
    out = capsys.readouterr().out
    assert out.count("ERROR") == len(BROKEN) + 1 and record_id in out
    assert main(["--workspace", str(test_workspace), "show", "2026-01-01-syntax"]) == 2


def test_threads_deciding_at_once_keep_every_record(test_workspace: Path) -> None:
    """Eight threads file the same decision at once: one file, never a torn or second one."""
    _, record = make_record(test_workspace)
    ws = Workspace(test_workspace)
    paths: list[Path] = []
    barrier = threading.Barrier(8)
    titles = [f"Title {i}" for i in range(8)]

    def decide_one(title: str) -> None:
        barrier.wait()
        paths.append(save_record(ws, {**record, "title": title}, dt.date(2026, 5, 5)))

    threads = [threading.Thread(target=decide_one, args=(t,)) for t in titles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({p.parent.name for p in paths}) == 8
    store = store_of(test_workspace)
    assert sorted(store.get(p.parent.name).record.title for p in paths) == titles


SAVE = textwrap.dedent("""
    import datetime as dt, sys, time
    from pathlib import Path
    from estimators.paths import Workspace
    from rubrics.pipeline import save_record
    from rubrics.record_store import RecordStore
    ws = Workspace(Path(sys.argv[2]))
    record = RecordStore(ws).get(sys.argv[1]).record.data()
    while time.time() < float(sys.argv[3]):  # start together
        pass
    record["title"] = sys.argv[4]
    print(save_record(ws, record, dt.date(2026, 5, 5)))
""")


def test_processes_deciding_at_once_keep_every_record(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    start = str(time.time() + 2.0)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", SAVE, record_id, str(test_workspace),
                               start, f"Writer {i}"], stdout=subprocess.PIPE, text=True, env=env)
             for i in range(4)]
    written = [Path(p.communicate(timeout=60)[0].strip()) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len({p.parent.name for p in written}) == 4
    store = store_of(test_workspace)
    assert {store.get(p.parent.name).record.title for p in written} == {
        f"Writer {i}" for i in range(4)}


KILLED = textwrap.dedent("""
    import datetime as dt, os, sys, time
    from pathlib import Path
    from estimators.paths import Workspace
    from rubrics.record_store import RecordStore
    real_fdopen = os.fdopen

    class HalfThenHang:
        def __init__(self, f):
            self.f = f
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.f.__exit__(*exc)
        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            Path(sys.argv[2]).write_text("half written")
            time.sleep(60)
        def __getattr__(self, name):
            return getattr(self.f, name)

    record = RecordStore(Workspace(Path(sys.argv[1]))).get(sys.argv[4]).record.data()
    os.fdopen = lambda fd, mode: HalfThenHang(real_fdopen(fd, mode))
    RecordStore(Workspace(Path(sys.argv[3]))).create(record, dt.date(2026, 5, 5))
""")


def test_a_writer_killed_mid_write_leaves_no_record(test_workspace: Path, tmp_path: Path) -> None:
    """kill -9 in the middle of writing a decision: no decision, no half file, a clean list."""
    record_id, _ = make_record(test_workspace)
    target = tmp_path / "other"
    flag = tmp_path / "flag"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(test_workspace), str(flag),
                             str(target), record_id], env=env)
    deadline = time.time() + 60
    while not flag.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert flag.exists(), "the writer never reached the write"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (folder,) = (target / "decisions").iterdir()
    assert all(n.startswith(".") and n.endswith(".tmp") for n in os.listdir(folder))
    assert store_of(target).summaries() == []


@pytest.mark.parametrize("bad", ["../2026-01-01-x", "2026-01-01-x/../../etc", "/etc/passwd",
                                 "2026-01-01-x/y", "2026-01-01-X", "2026-01-01-x.toml",
                                 "2026-01-01-x\x00", "..", "", "2026-1-1-x", "2026-01-01-",
                                 "2026-01-01-x\n", "~/2026-01-01-x"])
def test_path_tricks_are_refused(test_workspace: Path, bad: str, capsys) -> None:
    with pytest.raises(InputError, match="invalid record id"):
        check_id(bad)
    with pytest.raises(InputError):
        store_of(test_workspace).get(bad)
    for command in (["show", bad], ["accept", bad], ["export", bad], ["review", bad]):
        assert main(["--workspace", str(test_workspace), *command]) == 2


def test_a_symlinked_decision_is_refused(test_workspace: Path, tmp_path: Path) -> None:
    record_id, _ = make_record(test_workspace)
    decisions = test_workspace / "decisions"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "decision.toml").write_bytes((decisions / record_id / "decision.toml").read_bytes())
    (decisions / "2026-02-02-linked-000000").symlink_to(outside)
    (decisions / "2026-02-03-file.toml").symlink_to(outside / "decision.toml")
    store = store_of(test_workspace)
    with pytest.raises(InputError, match="symbolic link"):
        store.get("2026-02-02-linked-000000")
    rows = {r.id: r for r in store.summaries() or []}
    assert "symbolic link" in rows["2026-02-02-linked-000000"].error
    assert "not a decision" in rows["2026-02-03-file"].error


def test_an_oversized_file_is_not_read(test_workspace: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import rubrics.record_store as record_store

    record_id, _ = make_record(test_workspace)
    monkeypatch.setattr(record_store, "MAX_RECORD_BYTES", 1000)
    (row,) = store_of(test_workspace).summaries() or []
    assert "1,000" in row.error
    assert main(["--workspace", str(test_workspace), "show", record_id]) == 2


def test_list_json_carries_errors(test_workspace: Path, capsys) -> None:
    make_record(test_workspace)
    bad = test_workspace / "decisions" / "2026-01-01-bad-000000"
    bad.mkdir()
    (bad / "decision.toml").write_text("x")
    assert main(["--workspace", str(test_workspace), "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [bool(r["error"]) for r in rows] == [False, True]
