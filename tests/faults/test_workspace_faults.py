"""Fault catalogue, workspace side: full disk, read-only folders, odd paths, planted secrets."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from tui.cli import main

DECIDE = ["decide", str(EXAMPLE_SPEC), "--evals", str(EXAMPLE_EVALS)]


def _no_files(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


def test_full_disk_leaves_no_record_and_no_temp_file(isolated: Path, monkeypatch, capsys):
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    assert main(DECIDE) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert _no_files(isolated / "decisions")


def test_read_only_workspace_says_so(isolated: Path, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(isolated / "decisions"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # tests run as root: chmod would not stop us
    assert main(DECIDE) == 2
    err = capsys.readouterr().err
    assert "permission denied" in err.lower() and "--workspace" in err


def test_workspace_is_a_file(tmp_path: Path, capsys):
    ws = tmp_path / "ws"
    ws.write_text("not a folder")
    assert main([*DECIDE, "--workspace", str(ws)]) == 2
    assert "scopecard: error:" in capsys.readouterr().err


def test_existing_record_is_never_overwritten(isolated: Path, capsys):
    assert main(DECIDE) == 0
    first = next((isolated / "decisions").glob("*/decision.toml"))
    before = first.read_bytes()
    assert main(DECIDE) == 0
    assert first.read_bytes() == before
    assert len(list((isolated / "decisions").glob("*/decision.toml"))) == 2


def test_planted_api_key_reaches_no_output(isolated: Path, monkeypatch, capsys):
    key = "sk-test-PLANTED-4c1d9e7f2a"
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "SCOPECARD_API_KEY", "DEEPSEEK_API_KEY"):
        monkeypatch.setenv(var, key)
    assert main(DECIDE) == 0
    record_id = next((isolated / "decisions").glob("*/decision.toml")).parent.name
    outputs = [capsys.readouterr().out]
    for args in (["brief", record_id, "--for", "vendor"], ["brief", record_id, "--for", "business"],
                 ["decide", str(EXAMPLE_SPEC), "--json", "--dry-run"], ["doctor"],
                 ["estimate", "nonexistent.toml"]):
        main(args)
        captured = capsys.readouterr()
        outputs += [captured.out, captured.err]
    files = [p.read_text(errors="replace") for p in isolated.rglob("*") if p.is_file()
             and p.suffix in (".toml", ".md", ".json", ".log")]
    assert all(key not in text for text in outputs + files)
