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
from rubrics.records import (
    check_id,
    index_path,
    list_records,
    read_record,
    record_files,
    record_path,
)
from tests.conftest import ROOT
from tests.test_records_support import make_record
from tui.cli import main

BROKEN = {
    "2026-01-01-syntax.toml": b'schema = "scopecard.decision/1"\ntitle = ',
    "2026-01-02-foreign.toml": b'schema = "somebody.else/3"\n',
    "2026-01-03-binary.toml": b"\x89PNG\r\n\x1a\n\x00\x00",
    "2026-01-04-conflict.toml": b'schema = "scopecard.decision/1"\n<<<<<<< HEAD\nstatus = "a"\n'
                                b'=======\nstatus = "b"\n>>>>>>> theirs\n',
    "notes.toml": b'schema = "scopecard.decision/1"\ntitle = "hand made"\n',
}


def test_corrupt_and_foreign_files_are_listed_with_errors(test_workspace: Path,
                                                          capsys) -> None:
    record_id, _ = make_record(test_workspace)
    decisions = test_workspace / "decisions"
    for name, data in BROKEN.items():
        (decisions / name).write_bytes(data)
    (decisions / "README.md").write_text("not a record")
    for _ in range(2):  # the second time from the index
        rows = {r.id: r for r in list_records(decisions)}
        assert set(rows) == {record_id, *(Path(n).stem for n in BROKEN)}
        assert rows[record_id].error is None and rows[record_id].verdict == "GO"
        assert "TOML syntax error" in rows["2026-01-01-syntax"].error
        assert "not a scopecard.decision/1 record" in rows["2026-01-02-foreign"].error
        assert "UTF-8" in rows["2026-01-03-binary"].error
        assert "TOML syntax error" in rows["2026-01-04-conflict"].error
        assert "file name is not a record id" in rows["notes"].error
    assert main(["--workspace", str(test_workspace), "list"]) == 0
    out = capsys.readouterr().out
    assert out.count("ERROR") == len(BROKEN) and record_id in out
    assert main(["--workspace", str(test_workspace), "show", "2026-01-01-syntax"]) == 2


def test_the_index_notices_a_changed_file(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    decisions = test_workspace / "decisions"
    assert list_records(decisions)[0].status == "proposed"
    assert index_path(decisions).exists()
    path = record_path(decisions, record_id)
    path.write_text(path.read_text().replace('status = "proposed"', 'status = "accepted"'))
    assert list_records(decisions)[0].status == "accepted"
    path.write_text("schema = [")
    assert list_records(decisions)[0].error
    index_path(decisions).write_text("{not json")
    assert list_records(decisions)[0].error  # a damaged index is only a slower list


def test_threads_deciding_at_once_keep_every_record(test_workspace: Path) -> None:
    _, record = make_record(test_workspace)
    ws = Workspace(test_workspace)
    paths: list[Path] = []
    barrier = threading.Barrier(8)

    def decide_one() -> None:
        barrier.wait()
        paths.append(save_record(ws, dict(record), dt.date(2026, 5, 5)))

    threads = [threading.Thread(target=decide_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({p.name for p in paths}) == 8
    assert all(read_record(p)["id"] == p.stem for p in paths)


SAVE = textwrap.dedent("""
    import datetime as dt, sys, time
    from pathlib import Path
    from estimators.paths import Workspace
    from rubrics.pipeline import save_record
    from rubrics.records import read_record
    record = read_record(Path(sys.argv[1]))
    while time.time() < float(sys.argv[3]):  # start together
        pass
    print(save_record(Workspace(Path(sys.argv[2])), record, dt.date(2026, 5, 5)))
""")


def test_processes_deciding_at_once_keep_every_record(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    source = record_path(test_workspace / "decisions", record_id)
    start = str(time.time() + 2.0)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", SAVE, str(source), str(test_workspace),
                               start], stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(4)]
    written = [Path(p.communicate(timeout=60)[0].strip()) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len({p.name for p in written}) == 4
    assert all(read_record(p)["title"] == "Ticket triage" for p in written)


KILLED = textwrap.dedent("""
    import datetime as dt, os, sys, time
    from pathlib import Path
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

    os.fdopen = lambda fd, mode: HalfThenHang(real_fdopen(fd, mode))
    from rubrics.records import read_record, write_record
    record = read_record(Path(sys.argv[1]))
    write_record(Path(sys.argv[3]), record, dt.date(2026, 5, 5))
""")


def test_a_writer_killed_mid_write_leaves_no_record(test_workspace: Path, tmp_path: Path) -> None:
    record_id, _ = make_record(test_workspace)
    source = record_path(test_workspace / "decisions", record_id)
    target = tmp_path / "other" / "decisions"
    flag = tmp_path / "flag"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(source), str(flag), str(target)],
                            env=env)
    deadline = time.time() + 60
    while not flag.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert flag.exists(), "the writer never reached the write"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    names = os.listdir(target)
    assert names and all(n.startswith(".") and n.endswith(".tmp") for n in names)
    assert record_files(target) == [] and list_records(target) == []


@pytest.mark.parametrize("bad", ["../2026-01-01-x", "2026-01-01-x/../../etc", "/etc/passwd",
                                 "2026-01-01-x/y", "2026-01-01-X", "2026-01-01-x.toml",
                                 "2026-01-01-x\x00", "..", "", "2026-1-1-x", "2026-01-01-",
                                 "2026-01-01-x\n", "~/2026-01-01-x"])
def test_path_tricks_are_refused(test_workspace: Path, bad: str, capsys) -> None:
    with pytest.raises(InputError, match="invalid record id"):
        check_id(bad)
    with pytest.raises(InputError):
        record_path(test_workspace / "decisions", bad)
    for command in (["show", bad], ["accept", bad], ["export", bad], ["review", bad]):
        assert main(["--workspace", str(test_workspace), *command]) == 2


def test_a_symlinked_record_is_refused(test_workspace: Path, tmp_path: Path) -> None:
    record_id, _ = make_record(test_workspace)
    decisions = test_workspace / "decisions"
    outside = tmp_path / "outside.toml"
    outside.write_bytes(record_path(decisions, record_id).read_bytes())
    (decisions / "2026-02-02-linked.toml").symlink_to(outside)
    with pytest.raises(InputError, match="symbolic link"):
        record_path(decisions, "2026-02-02-linked")
    rows = {r.id: r for r in list_records(decisions)}
    assert "symbolic link" in rows["2026-02-02-linked"].error


def test_an_oversized_file_is_not_read(test_workspace: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import rubrics.records as records

    record_id, _ = make_record(test_workspace)
    monkeypatch.setattr(records, "MAX_RECORD_BYTES", 1000)
    (row,) = list_records(test_workspace / "decisions")
    assert "over 1,000 bytes" in row.error
    assert main(["--workspace", str(test_workspace), "show", record_id]) == 2


def test_list_json_carries_errors(test_workspace: Path, capsys) -> None:
    make_record(test_workspace)
    (test_workspace / "decisions" / "2026-01-01-bad.toml").write_text("x")
    assert main(["--workspace", str(test_workspace), "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [bool(r["error"]) for r in rows] == [False, True]
