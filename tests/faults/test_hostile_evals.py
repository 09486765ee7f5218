"""Fault catalogue, eval side (issue #14, defects 8 and 9): hostile scores, damaged, empty,
foreign, read-only and full stores, removing a run, and the runner keeping keys out of files.

Tests run as root, where chmod 0444 does not stop a write: the read-only test makes
`os.access` answer "not writable" for the workspace, which is what the store asks; the store
then opens the file with SQLite's `mode=ro` URI, and the test checks that SQLite itself refuses
a write on that connection. The full-disk test caps the database at its current page count
(`PRAGMA max_page_count`, set on every connection sqlite3.connect makes), so the next import
gets SQLite's own SQLITE_FULL, the error a full disk gives.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from estimators.errors import InputError
from estimators.paths import Workspace
from rubrics.evals import runner
from rubrics.evals.runner import RunConfig, execute, prepare
from rubrics.evals.store import EvalStore
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from tests import test_evals_runner
from tests.test_evals_runner import suite_toml
from tui.cli import main

serve = test_evals_runner.serve  # the fake OpenAI-compatible server on 127.0.0.1 (a fixture)
HEADER = "case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp\n"


def results_csv(path: Path, model: str, run: str, scores: list[str]) -> Path:
    """A native CSV: case i passes when i is even; its score is scores[i]."""
    path.write_text(HEADER + "".join(
        f"c{i},s,{model},v,easy,single,{int(i % 2 == 0)},{s},{run},2026-01-01T00:00:00Z\n"
        for i, s in enumerate(scores)), encoding="utf-8")
    return path


def db_path(ws: Path) -> Path:
    return Workspace(ws).evals_db


def damage(path: Path) -> None:
    """Overwrite 4 KB in the middle of the file, as a bad sector or a torn copy would."""
    with path.open("r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(b"\xff" * 4096)


def big_store(ws: Path, tmp: Path) -> None:
    """Two runs of 3,000 cases each, imported through the CLI."""
    for m in ("a", "b"):
        f = results_csv(tmp / f"{m}.csv", f"v/{m}", f"r{m}", [""] * 3000)
        assert main(["evals", "import", str(f)]) == 0


def no_traceback(err: str) -> None:
    assert "Traceback" not in err and "sqlite3." not in err


# ---- defect 8: scores ---------------------------------------------------------------


def test_nan_score_is_dropped_with_a_count_not_a_crash(isolated: Path, tmp_path: Path, capsys):
    """Defect 8: a `nan` score crashed the import (NOT NULL constraint on the score sum)."""
    f = results_csv(tmp_path / "nan.csv", "v/m", "r1", ["nan", "0.5", "inf", "-inf"])
    assert main(["evals", "import", str(f)]) == 0
    out = capsys.readouterr().out
    assert "3 score(s) not a finite number in 0..1" in out and "pass/fail kept" in out
    with EvalStore(db_path(isolated)) as store:
        t = store.tallies()[("v/m", "s", "all")]
        assert (t.k, t.n, t.mean_score) == (2, 4, 0.5)
        assert [r.score for r in store.results_for("v/m", "s")] == [None, 0.5, None, None]


def test_huge_scores_import_then_show_works(isolated: Path, tmp_path: Path, capsys):
    """Defect 8: two 1e308 scores imported, then `evals show` crashed for good (overflow)."""
    f = results_csv(tmp_path / "big.csv", "v/m", "r1", ["1e308", "1e308"])
    assert main(["evals", "import", str(f)]) == 0
    assert "2 score(s) not a finite number in 0..1" in capsys.readouterr().out
    assert main(["evals", "show", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert (row["k"], row["n"], row["mean_score"], row["score_interval"]) == (1, 2, None, None)


def test_a_store_written_before_the_check_still_shows(isolated: Path, tmp_path: Path, capsys):
    """Defect 8: scores stored by an older scopecard (1e308 each, an infinite sum) made
    `evals show` crash on every call; now it shows, and `evals remove` takes the run out."""
    f = results_csv(tmp_path / "ok.csv", "v/m", "r1", ["0.5", "0.5"])
    assert main(["evals", "import", str(f)]) == 0
    db = sqlite3.connect(db_path(isolated))
    db.execute("UPDATE results SET score = 1e308")
    db.execute("UPDATE run_tallies SET score_sum = 1e308 * 10")
    db.commit()
    db.close()
    capsys.readouterr()
    assert main(["evals", "show"]) == 0
    assert main(["evals", "show", "--json"]) == 0
    assert main(["evals", "remove", "r1", "--yes"]) == 0
    assert "removed run r1" in capsys.readouterr().out


def test_evals_remove_needs_yes_and_names_what_went(isolated: Path, tmp_path: Path, capsys):
    """Defect 8: there was no way to remove a run; `evals remove RUN --yes` now does."""
    results_csv(tmp_path / "keep.csv", "v/keep", "keep-run", ["", ""])
    results_csv(tmp_path / "drop.csv", "v/drop", "drop-run", ["", "", ""])
    assert main(["evals", "import", str(tmp_path / "keep.csv"), str(tmp_path / "drop.csv")]) == 0
    capsys.readouterr()

    assert main(["evals", "remove", "drop-run"]) == 2  # no --yes: nothing removed
    out = capsys.readouterr()
    assert "--yes" in out.err and "v/drop" in out.out
    assert main(["evals", "remove", "drop-rnu", "--yes"]) == 2  # unknown: close matches
    err = capsys.readouterr().err
    assert "no run 'drop-rnu'" in err and "drop-run" in err

    assert main(["evals", "remove", "drop-run", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "removed run drop-run: model v/drop, suite s, 3 result(s)" in out
    with EvalStore(db_path(isolated)) as store:
        assert [r.run_id for r in store.runs()] == ["keep-run"]
        assert store.counts()["results"] == 2 and store.counts()["sources"] == 1
    # the file stays kept in evals/ (a tombstone says the run is removed): a rebuild keeps it
    # out, and importing the file again brings the run back
    assert main(["reindex"]) == 0
    with EvalStore(db_path(isolated)) as store:
        assert [r.run_id for r in store.runs()] == ["keep-run"]
    capsys.readouterr()
    assert main(["evals", "import", str(tmp_path / "drop.csv")]) == 0
    assert "3 case results" in capsys.readouterr().out
    with EvalStore(db_path(isolated)) as store:
        assert sorted(r.run_id for r in store.runs()) == ["drop-run", "keep-run"]


# ---- defect 8: the store file -------------------------------------------------------


def test_damaged_pages_are_reported_and_the_store_rebuilt(isolated: Path, tmp_path: Path,
                                                          capsys):
    """Defect 8: damage mid-file was noticed only by `compare` (a traceback). The store is now
    a cache of evals/ (issue #17): every command says it was damaged and rebuilds it from the
    kept files without asking, with the same results."""
    big_store(isolated, tmp_path)
    path = db_path(isolated)
    with EvalStore(path) as store:
        before = store.tallies()
    capsys.readouterr()
    for command in (["evals", "list"], ["evals", "show"], ["evals", "compare", "v/a", "v/b"],
                    ["evals", "import", str(EXAMPLE_EVALS)]):
        damage(path)
        assert main(command) == 0, command
        err = capsys.readouterr().err
        no_traceback(err)
        assert "the eval store is damaged" in err and "rebuilding it from" in err
        with EvalStore(path) as store:
            assert {k: v for k, v in store.tallies().items() if k in before} == before
    assert main(["evals", "rebuild"]) == 0
    out = capsys.readouterr().out
    assert "rebuilt" in out and "3 file(s)" in out
    assert not list(path.parent.glob("*.rebuild-*"))  # the fresh store was renamed into place


def test_a_query_error_runs_the_full_integrity_check(isolated: Path, tmp_path: Path):
    """Defect 8: a query that hits sqlite3.DatabaseError after the quick check passed is
    followed by the full integrity check, and the message says what it found."""
    f = results_csv(tmp_path / "r.csv", "v/m", "r1", ["", ""])

    class Malformed:
        """A connection whose reads of per-case results fail as a damaged page would."""

        def __init__(self, db: sqlite3.Connection):
            object.__setattr__(self, "db", db)

        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            if "FROM results" in sql:
                raise sqlite3.DatabaseError("database disk image is malformed")
            return self.db.execute(sql, *args)

        def __getattr__(self, name: str) -> object:
            return getattr(self.db, name)

        def __setattr__(self, name: str, value: object) -> None:  # row_factory
            setattr(self.db, name, value)

    with EvalStore(db_path(isolated)) as store:
        store.import_file(f)
        store._db = Malformed(store._db)  # type: ignore[assignment]
        with pytest.raises(InputError, match="integrity check found no damage") as e:
            store.results_for("v/m", "s")
        assert "malformed" in str(e.value) and e.value.file == str(db_path(isolated))
        store._db = store._db.db  # type: ignore[attr-defined]


def test_a_zero_byte_store_is_named_and_rebuilt(isolated: Path, tmp_path: Path, capsys):
    """Defect 8: a 0-byte store was silently treated as empty, so lost results went unseen.
    It is now named as 0 bytes and rebuilt from evals/ (issue #17), results intact."""
    big_store(isolated, tmp_path)
    path = db_path(isolated)
    for p in path.parent.glob("evals.sqlite-*"):
        p.unlink()
    path.write_bytes(b"")
    capsys.readouterr()
    assert main(["evals", "list"]) == 0
    out = capsys.readouterr()
    no_traceback(out.err)
    assert "0 bytes" in out.err and "ra" in out.out and "rb" in out.out


def test_a_foreign_file_is_named_as_such(isolated: Path, tmp_path: Path, capsys):
    """Defect 8: any unusable file was 'not a scopecard eval store' with no fix; a file that
    is not SQLite at all is now told apart (and, being in the cache folder, rebuilt)."""
    big_store(isolated, tmp_path)
    path = db_path(isolated)
    path.write_bytes(b"PK\x03\x04 a zip, not a database" * 50)
    capsys.readouterr()
    assert main(["evals", "list"]) == 0
    out = capsys.readouterr()
    no_traceback(out.err)
    assert "not a SQLite database" in out.err and "ra" in out.out


def test_a_read_only_store_reads_but_refuses_imports(isolated: Path, tmp_path: Path,
                                                    monkeypatch, capsys):
    """Defect 8: a read-only store was 'not a scopecard eval store'; reads now work and
    imports are refused with the reason (see the module docstring for the simulation)."""
    big_store(isolated, tmp_path)
    path = db_path(isolated)
    before = path.read_bytes()
    real_access = os.access

    def no_write(p: os.PathLike[str] | str, mode: int, *args: object, **kw: object) -> bool:
        if mode & os.W_OK and str(p).startswith(str(isolated)):
            return False
        return real_access(p, mode, *args, **kw)

    monkeypatch.setattr(os, "access", no_write)
    capsys.readouterr()
    assert main(["evals", "list"]) == 0
    assert "ra" in capsys.readouterr().out
    assert main(["evals", "show"]) == 0
    capsys.readouterr()
    assert main(["evals", "import", str(EXAMPLE_EVALS)]) == 2
    out = capsys.readouterr()
    no_traceback(out.err)
    assert "read-only" in out.out + out.err and "not a scopecard eval store" not in out.out
    assert main(["evals", "remove", "ra", "--yes"]) == 2
    assert "read-only" in capsys.readouterr().err
    # SQLite itself refuses writes on the store's read-only connection
    with EvalStore(path) as store, pytest.raises(sqlite3.OperationalError, match="readonly"):
        store._db.execute("DELETE FROM runs")
    assert path.read_bytes() == before


def test_a_full_disk_is_reported_and_nothing_is_half_written(isolated: Path, tmp_path: Path,
                                                             monkeypatch, capsys):
    """Defect 8: a full disk was reported as 'not a scopecard eval store' or a traceback."""
    first = results_csv(tmp_path / "first.csv", "v/a", "r1", [""] * 10)
    assert main(["evals", "import", str(first)]) == 0
    real_connect = sqlite3.connect

    def capped(*args: object, **kw: object) -> sqlite3.Connection:
        db = real_connect(*args, **kw)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(sqlite3, "connect", capped)
    big = results_csv(tmp_path / "big.csv", "v/b", "r2", [""] * 5000)
    capsys.readouterr()
    assert main(["evals", "import", str(big)]) == 2
    out = capsys.readouterr()
    no_traceback(out.err)
    assert "disk is full" in out.out and "nothing was written" in out.out
    assert "not a scopecard eval store" not in out.out
    monkeypatch.undo()
    with EvalStore(db_path(isolated)) as store:
        assert [r.run_id for r in store.runs()] == ["r1"] and store.counts()["results"] == 10


def test_decide_with_a_damaged_store_rebuilds_it(isolated: Path, tmp_path: Path, capsys):
    """Defect 8: a damaged store crashed `decide` with a traceback; it is now rebuilt from
    evals/ without asking (issue #17) and the decision is made."""
    big_store(isolated, tmp_path)
    path = db_path(isolated)
    damage(path)
    capsys.readouterr()
    assert main(["decide", str(EXAMPLE_SPEC), "--evals", str(EXAMPLE_EVALS)]) == 0
    no_traceback(capsys.readouterr().err)
    with EvalStore(path) as store:
        assert {"ra", "rb"} <= {r.run_id for r in store.runs()}


# ---- defect 9: the runner masks keys before it cuts error bodies ----------------------


def test_error_bodies_are_masked_before_they_are_cut(isolated: Path, tmp_path: Path, serve,
                                                     monkeypatch):
    """Defect 9: error bodies were cut to 200 characters before the key was masked, so a key
    echoed across the cut left its first characters (`token=sk-test-SECR`) in runs/*.jsonl;
    and only the exact key was masked, not another key-shaped string."""
    key = "plantedkey-" + "7c1e" * 10  # not key-shaped: only the exact-key mask catches it
    other = "sk-proj-OTHERKEY0123456789abcdef"
    monkeypatch.setenv("SCOPECARD_FAULT_KEY", key)
    monkeypatch.setattr(runner, "MAX_BACKOFF", 0.01)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    cut = runner._BODY_SNIPPET
    split = ("e" * (cut - len("token=") - 10) + "token=" + key).encode()  # the cut splits it
    routes = {"Q split": lambda h, n: h.reply(400, split),
              "Q other": lambda h, n: h.reply(400, f"upstream said: {other}".encode())}
    api = serve(routes)
    cases = [("split", "easy", "Q split", "a", True, None),
             ("other", "easy", "Q other", "a", True, None)]
    suite = suite_toml(tmp_path / "suite.toml", cases)
    ws = Workspace(isolated)
    cfg = RunConfig(suite, "acme/tiny-1", api.base_url, "SCOPECARD_FAULT_KEY", concurrency=1,
                    timeout=5, run_id="masked")
    summary = execute(prepare(cfg, ws), ws)
    assert summary.errors == 2
    lines = [json.loads(x) for x in (isolated / "runs" / "masked.jsonl").read_text().splitlines()]
    errors = {x["case_id"]: x["error"] for x in lines}
    assert errors["split"].endswith("[redacted]") and "HTTP 400" in errors["split"]
    assert "[redacted]" in errors["other"]
    for p in isolated.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert key[:10].encode() not in data and b"OTHERKEY" not in data, p
