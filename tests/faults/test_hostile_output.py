"""Fault catalogue, output side (issue #14, defects 2, 7 and the messages of 15): what scopecard
writes and prints when the target path, the record's text or the disk is hostile.

Every test runs the command line in process (`tui.cli.main`) on a temporary workspace.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from estimators.paths import Workspace
from rubrics.examples import EXAMPLE_SUITE
from rubrics.pipeline import decide_spec, save_record
from tests.test_records_support import DAY, make_record, slug, spec_data, write_evals, write_spec
from tui.cli import main

# What must never reach a terminal: C0 controls but tab and newline, DEL, C1 controls and the
# bidi embeddings, overrides and isolates.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE = ("Triage \x1b]0;pwned\x07 \x1b[2J\x1b[31mred\x1b[0m \x9b2J \u202eevil\u202c\r"
           "<script>alert(1)</script> [x](http://e) www.evil.com *b* _i_ `c` | #\n# second")
HOSTILE_MODEL = "test/\x1b[2Jalpha-with-a-long-fine-tune-name\x9b31m"


class Blocked(Exception):
    """Not an OSError: the command line must not turn it into an ordinary error message."""


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail (instead of hanging the suite) if a command blocks, e.g. opening a FIFO to write."""
    def expired(signum: int, frame: object) -> None:
        raise Blocked("the command blocked (opened a FIFO or device?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, 20)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """An empty folder for --out files (the workspace lives beside it, in tmp_path)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def record(test_workspace: Path) -> str:
    """An ordinary GO record in the test workspace; its id."""
    record_id, _ = make_record(test_workspace)
    return record_id


def hostile_record(home: Path) -> str:
    """A record whose title, chosen model and a reason carry terminal escapes and Markdown, as a
    teammate's record file or a hand-edited one can; its id."""
    folder = home.parent / "inputs"
    spec = write_spec(folder, spec_data("Hostile"))
    evals = write_evals(folder, slug("Hostile"), {"test/alpha": (200, 200),
                                                  "test/beta": (200, 200)}, run="hostile")
    ws = Workspace(home)
    _, record = decide_spec(spec, ws, evals, seed=7, today=DAY)
    chosen = record["outputs"]["chosen"]
    record["title"] = HOSTILE
    record["outputs"]["chosen"] = HOSTILE_MODEL
    record["outputs"]["reasons"].append("see \x1b]8;;http://e\x07here\x1b]8;;\x07")
    for c in record["outputs"]["candidates"]:
        if c["model"] == chosen:
            c["model"] = HOSTILE_MODEL
    return save_record(ws, record, DAY).parent.name


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- defect 2: export --out / brief --out replace whatever is at the path -------------------

@pytest.mark.parametrize("command", [["export"], ["brief", "--for", "business"]])
def test_out_onto_an_existing_file_needs_force(record: str, outdir: Path, capsys, command):
    """Defect 2: `--out` replaced an existing file silently; it now needs --force."""
    out = outdir / "notes.md"
    out.write_text("my notes\n")
    code, _, err = run([command[0], record, *command[1:], "--out", str(out)], capsys)
    assert code == 2 and out.read_text() == "my notes\n"
    assert str(out) in err and "--force" in err and "Traceback" not in err
    code, printed, _ = run([command[0], record, *command[1:], "--out", str(out), "--force"],
                           capsys)
    assert code == 0 and out.read_text().startswith("# ") and str(out) in printed
    assert sorted(p.name for p in outdir.iterdir()) == ["notes.md"]  # no temp file left


def test_out_onto_the_record_itself_is_refused(record: str, test_workspace: Path, capsys):
    """Defect 2: `export ID --out decisions/ID.toml` overwrote the decision with Markdown."""
    target = test_workspace / "decisions" / record / "decision.toml"
    before = target.read_bytes()
    for force in ([], ["--force"]):
        code, _, err = run(["export", record, "--out", str(target), *force], capsys)
        assert code == 2 and "record" in err and str(target) in err
        code, _, err = run(["brief", record, "--for", "vendor", "--out", str(target), *force],
                           capsys)
        assert code == 2 and "record" in err
    assert target.read_bytes() == before


def test_out_inside_the_decisions_folder_is_refused(record: str, test_workspace: Path, capsys):
    """Defect 2: a new file in decisions/ would sit among the records; even --force refuses."""
    target = test_workspace / "decisions" / "export.md"
    code, _, err = run(["export", record, "--out", str(target), "--force"], capsys)
    assert code == 2 and "decisions" in err and not target.exists()


def test_force_never_replaces_a_copy_of_a_record(record: str, test_workspace: Path,
                                                 outdir: Path, capsys):
    """Defect 2: a file that parses as a decision record is never overwritten, wherever it is."""
    copy = outdir / "backup.toml"
    copy.write_bytes((test_workspace / "decisions" / record / "decision.toml").read_bytes())
    before = copy.read_bytes()
    code, _, err = run(["export", record, "--format", "json", "--out", str(copy), "--force"],
                       capsys)
    assert code == 2 and "decision record" in err and copy.read_bytes() == before


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_out_onto_a_fifo_is_never_opened(record: str, outdir: Path, capsys, deadline, force):
    """Defect 2: a FIFO was replaced by a plain file; it is refused, never opened for writing."""
    fifo = outdir / "pipe"
    os.mkfifo(fifo)
    code, _, err = run(["export", record, "--out", str(fifo), *force], capsys)
    assert code == 2 and "pipe" in err and str(fifo) in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_out_onto_a_device_is_refused(record: str, outdir: Path, capsys, deadline):
    """Defect 2: a device node (here a copy of /dev/null) was replaced by a plain file."""
    node = outdir / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod needs root")
    code, _, err = run(["export", record, "--out", str(node), "--force"], capsys)
    assert code == 2 and "device" in err
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_force_refuses_a_symlink_and_a_folder(record: str, outdir: Path, capsys):
    """Defect 2: --force replaces a regular file only, never a symbolic link or a folder."""
    target = outdir / "real.md"
    target.write_text("kept\n")
    link = outdir / "link.md"
    link.symlink_to(target)
    code, _, err = run(["export", record, "--out", str(link), "--force"], capsys)
    assert code == 2 and "symbolic link" in err
    assert link.is_symlink() and target.read_text() == "kept\n"
    folder = outdir / "folder"
    folder.mkdir()
    code, _, err = run(["brief", record, "--for", "vendor", "--out", str(folder), "--force"],
                       capsys)
    assert code == 2 and "folder" in err and str(folder) in err and ".tmp" not in err
    assert folder.is_dir() and not any(folder.iterdir())


def test_out_that_loses_a_race_does_not_clobber(record: str, outdir: Path, monkeypatch,
                                               capsys):
    """Defect 2: a file created at the path between the check and the write is kept (the write
    is create-exclusive, not check-then-replace)."""
    import estimators.atomic as atomic

    out = outdir / "out.md"
    real = atomic._write_temp

    def racing(path: Path, data: bytes, sync: bool = True) -> str:
        tmp = real(path, data, sync)
        out.write_text("someone else's\n")  # lands after the check, before the link
        return tmp

    monkeypatch.setattr(atomic, "_write_temp", racing)
    code, _, err = run(["export", record, "--out", str(out)], capsys)
    assert code == 2 and out.read_text() == "someone else's\n" and "--force" in err
    assert sorted(p.name for p in outdir.iterdir()) == ["out.md"]


# --- defect 7: terminal escapes reach the terminal; Markdown copies raw user text -----------

def test_no_terminal_control_reaches_stdout_or_stderr(test_workspace: Path, capsys):
    """Defect 7: titles and model names with ESC]0; (window title), CSI (clear screen, colours),
    C1 CSI and bidi overrides were printed raw by show, list, export, brief and review."""
    record_id = hostile_record(test_workspace)
    commands = [["show", record_id], ["list"], ["export", record_id],
                ["brief", record_id, "--for", "business"], ["brief", record_id, "--for", "vendor"],
                ["review", record_id, "--dry-run", "--as-of", str(DAY)],
                ["show", "2026-01-01-\x1b]0;x\x07"]]
    for args in commands:
        _, out, err = run(args, capsys)
        assert not RAW_CONTROL.search(out + err), (args, RAW_CONTROL.findall(out + err))
    _, out, _ = run(["show", record_id], capsys)
    assert "\u241b]0;pwned\u2407" in out  # shown, visibly, not swallowed


def test_json_escapes_controls_and_round_trips(test_workspace: Path, capsys):
    """Defect 7: JSON output escaped C0 but printed C1 and bidi controls raw; it now escapes
    them (\\u009b), so the data round-trips and nothing reaches the terminal."""
    record_id = hostile_record(test_workspace)
    for args in (["show", record_id, "--json"], ["export", record_id, "--format", "json"],
                 ["brief", record_id, "--for", "business", "--format", "json"], ["list", "--json"]):
        _, out, _ = run(args, capsys)
        assert not RAW_CONTROL.search(out), args
        data = json.loads(out)
        title = data[0]["title"] if isinstance(data, list) else data["title"]
        assert title == HOSTILE
    assert "\\u009b2J" in out


def test_price_source_and_eval_model_names_are_shown_safely(isolated: Path, tmp_path: Path,
                                                            capsys):
    """Defect 7: a price feed's `source` and model names from eval files were printed raw by the
    prices and evals commands."""
    isolated.mkdir(parents=True)
    (isolated / "prices.local.toml").write_text(
        'schema = "scopecard.prices/1"\n[[models]]\nid = "openai/gpt-4o-mini"\ncurrency = "USD"\n'
        'input = 0.01\noutput = 0.02\nsource = "feed \\u001b]0;pwned\\u0007 \\u009b2J"\n'
        'verified_on = 2026-11-01\n')
    results = tmp_path / "results.csv"
    results.write_text("case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp\n"
                       "c1,s,acme/\x1b[2Jm\x1b]0;x\x07,acme,easy,single,1,,r1,"
                       "2026-11-20T10:00:00Z\n")
    for args in (["prices", "show", "openai/gpt-4o-mini"], ["prices", "list", "--vendor", "openai"],
                 ["evals", "import", str(results)], ["evals", "list"], ["evals", "show"]):
        _, out, err = run(args, capsys)
        assert not RAW_CONTROL.search(out + err), (args, RAW_CONTROL.findall(out + err))


def _markdown_tokens(text: str) -> list:
    md = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"])
    tokens = md.parse(text)
    return tokens + [c for t in tokens for c in (t.children or [])]


@pytest.mark.parametrize("command", [["export"], ["brief", "--for", "business"],
                                     ["brief", "--for", "vendor"]])
def test_markdown_never_takes_html_or_links_from_user_text(test_workspace: Path, outdir: Path,
                                                           capsys, command):
    """Defect 7: the Markdown export copied raw newlines, HTML and links from a title; user text
    is now escaped, so a title stays one line of plain text."""
    record_id = hostile_record(test_workspace)
    out = outdir / "page.md"
    assert main([command[0], record_id, *command[1:], "--out", str(out)]) == 0
    text = out.read_text()
    assert "<script>" not in text and "[x](" not in text and "\n# second" not in text
    tokens = _markdown_tokens(text)
    kinds = {t.type for t in tokens}
    assert not kinds & {"html_block", "html_inline", "link_open", "image"}, kinds
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert sum(h.startswith(("Decision", "Triage")) for h in headings) == 1  # one title heading
    shown = "<script>alert(1)</script> [x](http://e) www.evil.com *b* _i_ `c` | # # second"
    assert shown in md_text_of(tokens)
    assert not RAW_CONTROL.search(text)


def md_text_of(tokens: list) -> str:
    """The text a reader sees (inline text tokens joined)."""
    return "".join(t.content for t in tokens if t.type in ("text", "code_inline"))


# --- defect 15: messages name the real file and the operation; tables keep their columns ----

def test_full_disk_names_the_file_and_leaves_nothing(record: str, outdir: Path, monkeypatch,
                                                     capsys):
    """Defect 15: a full disk said `error: : No space left on device` (no file)."""
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    out = outdir / "out.md"
    monkeypatch.setattr(os, "fsync", no_space)
    code, _, err = run(["export", record, "--out", str(out)], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"{out}: cannot write: No space left on device" in err
    assert ": :" not in err and ".tmp" not in err
    assert list(outdir.iterdir()) == []


def test_a_folder_in_the_way_is_named_not_the_temp_file(tmp_path: Path, capsys):
    """Defect 15: a folder where a file goes was named by the temp file scopecard writes first."""
    out_dir = tmp_path / "vendor"
    (out_dir / "cases.jsonl").mkdir(parents=True)
    code, _, err = run(["evals", "suite", "export", str(EXAMPLE_SUITE), "--to", "jsonl",
                        str(out_dir)], capsys)
    assert code == 2 and f"{out_dir / 'cases.jsonl'}: cannot " in err and ".tmp" not in err
    assert [p.name for p in out_dir.iterdir()] == ["cases.jsonl"]


def _columns(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_wide_numbers_keep_columns_apart(isolated: Path, capsys):
    """Defect 15: wide numbers ran table columns together (`USD1.23457e+08`)."""
    isolated.mkdir(parents=True)
    (isolated / "prices.local.toml").write_text(
        'schema = "scopecard.prices/1"\n[[models]]\nid = "openai/gpt-4o-mini"\ncurrency = "USD"\n'
        'input = 999999.5\noutput = 987654.25\ncache_read = 555555.5\n'
        'context_window = 1000000000\nsource = "x"\nverified_on = 2026-11-01\n')
    _, out, _ = run(["prices", "list", "--vendor", "openai"], capsys)
    lines = [line for line in out.splitlines() if line.strip()]
    header = _columns(lines[0])
    wide = next(line for line in lines if line.startswith("openai/gpt-4o-mini "))
    assert len(_columns(wide)) == len(header) == 8, (header, wide)
    assert "1,000,000,000" in wide

