"""estimators.atomic.append_all and recover_appends: appends to many files, all or none.

The batch and crash behaviour through `scopecard review` is in test_records_batch.py; here the
journal itself: what it undoes, what it leaves alone, and a journal that does not check out.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import estimators.atomic as atomic
from estimators.atomic import Append, append_all, recover_appends


def planned(path: Path, more: bytes) -> Append:
    raw = path.read_bytes()
    return Append(str(path), len(raw), hashlib.sha256(raw).hexdigest(), more)


def files(tmp_path: Path, n: int = 3) -> list[Path]:
    out = []
    for i in range(n):
        p = tmp_path / f"f{i}.toml"
        p.write_bytes(f"x = {i}\n".encode())
        out.append(p)
    return out


def test_appends_land_whole_and_the_journal_goes(tmp_path: Path) -> None:
    paths = files(tmp_path)
    journal = tmp_path / "j"
    stats = append_all(journal, [planned(p, b"y = 1\n") for p in paths])
    assert sorted(stats) == sorted(map(str, paths))
    assert all(stats[str(p)].st_size == p.stat().st_size for p in paths)
    assert [p.read_bytes() for p in paths] == [f"x = {i}\ny = 1\n".encode() for i in range(3)]
    assert not journal.exists()


def test_a_file_of_another_size_is_left_alone(tmp_path: Path) -> None:
    paths = files(tmp_path)
    plans = [planned(p, b"y = 1\n") for p in paths]
    paths[1].write_bytes(b"x = 10\n")  # changed after the plan
    stats = append_all(tmp_path / "j", plans)
    assert str(paths[1]) not in stats and len(stats) == 2
    assert paths[1].read_bytes() == b"x = 10\n"
    assert paths[0].read_bytes().endswith(b"y = 1\n")


def journal_of(journal: Path, plans: list[Append]) -> None:
    """The journal append_all writes before its first append (as a crash leaves it)."""
    calls: list[list[str]] = []

    def crash(paths: list[str]) -> None:
        calls.append(paths)
        raise KeyboardInterrupt  # stands for the power cut: nothing after this runs

    def no_undo(appends: list[Append]) -> None:
        raise OSError("the process is gone before it can undo")

    real, real_truncate = atomic._sync, atomic._truncate
    atomic._sync, atomic._truncate = crash, no_undo
    try:
        with pytest.raises(KeyboardInterrupt):
            append_all(journal, plans)
    finally:
        atomic._sync, atomic._truncate = real, real_truncate
    assert calls and journal.exists()


def test_recovery_undoes_whole_and_torn_appends_only_on_the_files_planned(
        tmp_path: Path) -> None:
    paths = files(tmp_path)
    journal = tmp_path / "j"
    before = [p.read_bytes() for p in paths]
    journal_of(journal, [planned(p, b"y = 1\nz = 2\n") for p in paths])
    paths[1].write_bytes(before[1] + b"y = ")  # torn by the crash
    paths[2].write_bytes(b"rewritten = true\nand = 'longer than before'\n")  # not ours now
    assert recover_appends(journal) == 3
    assert paths[0].read_bytes() == before[0]
    assert paths[1].read_bytes() == before[1]
    assert paths[2].read_bytes() == b"rewritten = true\nand = 'longer than before'\n"
    assert not journal.exists()
    assert recover_appends(journal) == 0  # nothing left to do


def test_a_journal_that_does_not_check_out_is_dropped(tmp_path: Path) -> None:
    paths = files(tmp_path)
    journal = tmp_path / "j"
    body = f"2 {'0' * 64} {paths[0]}\n".encode()
    journal.write_bytes(b"f" * 64 + b"\n" + body)  # wrong checksum
    paths[0].write_bytes(b"x = 0\ny = 1\n")
    assert recover_appends(journal) == 0
    assert not journal.exists() and paths[0].read_bytes() == b"x = 0\ny = 1\n"


def test_a_missing_file_does_not_stop_the_recovery(tmp_path: Path) -> None:
    paths = files(tmp_path)
    journal = tmp_path / "j"
    before = paths[1].read_bytes()
    journal_of(journal, [planned(p, b"y = 1\n") for p in paths])
    paths[0].unlink()
    assert recover_appends(journal) == 3
    assert paths[1].read_bytes() == before and not journal.exists()
