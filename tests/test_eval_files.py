"""Evals that travel (issue #17 part 4): evals/ holds the imported files, SQLite is a cache.

Each test names the rule it holds: content-addressed, idempotent imports; a cache rebuilt
from the files when missing, stale or damaged; kills mid-import leave files whole; the old
root store migrated; two clones merging evals/ answer the same.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest

from estimators.errors import InputError
from estimators.paths import Workspace
from rubrics.evals import files
from rubrics.evals.files import import_file, open_store, reindex
from rubrics.evals.safeio import Limits
from rubrics.evals.store import EvalStore
from tui.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "rubrics" / "data" / "examples" / "support-faq-results.csv"
SUITE = REPO / "rubrics" / "data" / "examples" / "support-faq-suite.toml"
PROMPTFOO = REPO / "tests" / "fixtures" / "evals" / "promptfoo"
HEADER = "case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp\n"


def csv_file(path: Path, model: str, run: str, outcomes: str, suite: str = "s") -> Path:
    """A native CSV, one case per character of `outcomes` (1 pass, 0 fail, e error)."""
    word = {"1": "1", "0": "0", "e": "error"}
    tiers = ("easy", "medium", "hard")
    path.write_text(HEADER + "".join(
        f"c{i},{suite},{model},v,{tiers[i % 3]},single,{word[o]},,{run},2026-01-01T00:00:00Z\n"
        for i, o in enumerate(outcomes)), encoding="utf-8")
    return path


def tallies(ws: Workspace) -> dict:
    with open_store(ws) as store:
        return store.tallies()


def listing(ws: Workspace) -> dict[str, bytes]:
    return {str(p.relative_to(ws.evals_dir)): p.read_bytes()
            for p in sorted(ws.evals_dir.rglob("*")) if p.is_file()}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


def test_import_keeps_the_file_and_a_sidecar(ws: Workspace, tmp_path: Path) -> None:
    """An import keeps the bytes as evals/<sha256>.<ext> with a sidecar saying how to read it."""
    src = csv_file(tmp_path / "a.csv", "v/a", "r1", "1101")
    report = import_file(ws, src, suite=None)
    sha = report.sha256
    assert (ws.evals_dir / f"{sha}.csv").read_bytes() == src.read_bytes()
    sidecar = files.read_sidecar(ws, ws.evals_dir / f"{sha}.toml")
    assert (sidecar.format, sidecar.data.name) == ("native", f"{sha}.csv")
    # nothing in it differs between two people importing the same bytes (no time, no name)
    assert "a.csv" not in sidecar.path.read_text()
    assert ws.evals_db == ws.root / ".cache" / "evals.sqlite" and ws.evals_db.is_file()
    assert not ws.legacy_evals_db.exists()


def test_the_same_file_twice_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    """Importing the same bytes again (under another name) makes the same names, no change."""
    src = csv_file(tmp_path / "a.csv", "v/a", "r1", "1101")
    import_file(ws, src)
    before, tally = listing(ws), tallies(ws)
    again = import_file(ws, shutil.copy(src, tmp_path / "renamed.csv"))
    assert again.already_imported and listing(ws) == before and tallies(ws) == tally


def test_a_large_file_is_kept_gzipped(ws: Workspace, tmp_path: Path) -> None:
    """Files over 1 MiB are kept as <sha256>.<ext>.gz and load back the same."""
    src = csv_file(tmp_path / "big.csv", "v/a", "r1", "10" * 12_000)
    assert src.stat().st_size > files.GZIP_OVER
    sha = import_file(ws, src).sha256
    kept = ws.evals_dir / f"{sha}.csv.gz"
    assert gzip.decompress(kept.read_bytes()) == src.read_bytes()
    tally = tallies(ws)
    ws.evals_db.unlink()
    assert tallies(ws) == tally


def test_a_gzip_bomb_in_evals_is_skipped(ws: Workspace, tmp_path: Path) -> None:
    """A kept .gz that expands past the import limit is refused on rebuild, not expanded."""
    limits = Limits(max_file_bytes=50_000)
    import_file(ws, csv_file(tmp_path / "a.csv", "v/a", "r1", "11"), limits=limits)
    data = b"x" * (limits.max_file_bytes + 10)
    sha = files.hashlib.sha256(data).hexdigest()
    (ws.evals_dir / f"{sha}.csv.gz").write_bytes(gzip.compress(data))
    (ws.evals_dir / f"{sha}.toml").write_bytes(files._sidecar_bytes(
        f"{sha}.csv.gz", "native", "", "", False, "", ""))
    report = reindex(ws, limits).caches[0]
    assert report.files == 1 and len(report.skipped) == 1 and f"{sha}.csv.gz" in report.skipped[0]


@pytest.mark.parametrize("damage", ["deleted", "truncated", "garbage", "zero bytes"])
def test_a_lost_or_damaged_cache_is_rebuilt_with_the_same_tallies(
        ws: Workspace, tmp_path: Path, damage: str) -> None:
    """The cache deleted, truncated, garbage or emptied is rebuilt on the next read."""
    import_file(ws, csv_file(tmp_path / "a.csv", "v/a", "r1", "1101e"))
    import_file(ws, SUITE.parent / "support-faq-results.csv", suite=str(SUITE))
    tally = tallies(ws)
    path = ws.evals_db
    for p in path.parent.glob("evals.sqlite-*"):
        p.unlink()
    if damage == "deleted":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    elif damage == "garbage":
        path.write_bytes(b"\x13garbage" * 2000)
    else:
        path.write_bytes(b"")
    assert tallies(ws) == tally


def test_a_sidecar_from_another_clone_is_seen(ws: Workspace, tmp_path: Path) -> None:
    """A file and sidecar arriving by hand (a git pull) make the cache stale: the next read
    rebuilds it and sees the new runs; one leaving (a revert) drops them."""
    import_file(ws, csv_file(tmp_path / "a.csv", "v/a", "r1", "11"))
    other = Workspace(tmp_path / "other")
    sha = import_file(other, csv_file(tmp_path / "b.csv", "v/b", "r2", "10")).sha256
    tallies(ws)  # the cache exists and is fresh
    for name in (f"{sha}.csv", f"{sha}.toml"):
        shutil.copy(other.evals_dir / name, ws.evals_dir / name)
    assert {m for m, _, _ in tallies(ws)} == {"v/a", "v/b"}
    (ws.evals_dir / f"{sha}.toml").unlink()
    assert {m for m, _, _ in tallies(ws)} == {"v/a"}


def test_a_killed_import_leaves_files_whole_and_is_ignored(ws: Workspace, tmp_path: Path) -> None:
    """kill -9 mid-import leaves a temp file or a data file without its sidecar: both are
    ignored, the rest loads, and importing the file again completes it."""
    import_file(ws, csv_file(tmp_path / "a.csv", "v/a", "r1", "11"))
    half = csv_file(tmp_path / "b.csv", "v/b", "r2", "10")
    sha = files.hashlib.sha256(half.read_bytes()).hexdigest()
    (ws.evals_dir / f".{sha}.toml.abc123.tmp").write_bytes(b"schema = \"scope")
    shutil.copy(half, ws.evals_dir / f"{sha}.csv")  # the data was written, the sidecar not
    ws.evals_db.unlink()
    assert {m for m, _, _ in tallies(ws)} == {"v/a"}
    assert not import_file(ws, half).already_imported
    assert {m for m, _, _ in tallies(ws)} == {"v/a", "v/b"}


def test_a_file_that_fails_on_rebuild_is_named_and_skipped(ws: Workspace, tmp_path: Path,
                                                           capsys) -> None:
    """A kept file that no longer loads (edited by hand, a sidecar pointing outside evals/)
    is reported with its path and skipped; the rest load, and the cache is not rebuilt again
    and again for it."""
    import_file(ws, csv_file(tmp_path / "a.csv", "v/a", "r1", "11"))
    sha_b = import_file(ws, csv_file(tmp_path / "b.csv", "v/b", "r2", "10")).sha256
    (ws.evals_dir / f"{sha_b}.csv").write_text(HEADER + "x,s,v/b,v,easy,single,maybe,,r2,t\n")
    evil = "e" * 64
    (ws.evals_dir / f"{evil}.toml").write_text(
        'schema = "scopecard.evalfile/1"\nfile = "../../../etc/passwd"\nformat = "native"\n')
    report = reindex(ws).caches[0]
    assert report.files == 1
    assert any(f"{sha_b}.csv" in s for s in report.skipped)
    assert any(f"{evil}.toml" in s and "file" in s for s in report.skipped)
    assert main(["--workspace", str(ws.root), "evals", "list"]) == 0
    out = capsys.readouterr()
    assert "v/a" in out.out and "v/b" not in out.out and "skipped" not in out.err  # fresh


def test_a_suite_file_is_kept_and_redeclared(ws: Workspace) -> None:
    """A suite given as a TOML file is kept as evals/suites/<sha>.toml, so a rebuild files
    the results under the declared suite with its difficulties again."""
    import_file(ws, EXAMPLE, suite=str(SUITE))
    assert len(list((ws.evals_dir / "suites").glob("*.toml"))) == 1
    with open_store(ws) as store:
        before = [(s.name, s.hash, s.declared) for s in store.suites()]
        tally = store.tallies()
    ws.evals_db.unlink()
    with open_store(ws) as store:
        assert [(s.name, s.hash, s.declared) for s in store.suites()] == before
        assert store.tallies() == tally


def test_bad_input_writes_nothing(ws: Workspace, tmp_path: Path) -> None:
    """A refused file leaves evals/ as it was (nothing half-written)."""
    import_file(ws, csv_file(tmp_path / "a.csv", "v/a", "r1", "11"))
    before = listing(ws)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "c1,s,v/a,v,easy,single,maybe,,r9,t\n")
    with pytest.raises(InputError, match="passed='maybe'"):
        import_file(ws, bad)
    assert listing(ws) == before


def test_a_removed_run_stays_removed_after_a_rebuild(ws: Workspace, tmp_path: Path) -> None:
    """`evals remove` leaves the file and writes a tombstone, which every rebuild applies."""
    import_file(ws, csv_file(tmp_path / "a.csv", "v/a", "r1", "11"))
    import_file(ws, csv_file(tmp_path / "b.csv", "v/b", "r2", "10"))
    files.remove_run(ws, "r2")
    ws.evals_db.unlink()
    with open_store(ws) as store:
        assert [r.run_id for r in store.runs()] == ["r1"]


def test_two_clones_merging_evals_answer_the_same(tmp_path: Path) -> None:
    """Two workspaces importing the same file make the same names (no conflict), different
    files different names; after copying evals/ both ways both give the same tallies."""
    one, two = Workspace(tmp_path / "one"), Workspace(tmp_path / "two")
    shared = csv_file(tmp_path / "shared.csv", "v/s", "rs", "110")
    a = import_file(one, shared)
    b = import_file(two, shutil.copy(shared, tmp_path / "shared-copy.csv"))
    assert a.sha256 == b.sha256
    only_one = import_file(one, csv_file(tmp_path / "x.csv", "v/x", "rx", "1"))
    only_two = import_file(two, csv_file(tmp_path / "y.csv", "v/y", "ry", "0e"))
    assert only_one.sha256 != only_two.sha256
    names_one, names_two = set(listing(one)), set(listing(two))
    assert {f"{a.sha256}.csv", f"{a.sha256}.toml"} <= names_one & names_two
    for src, dst in ((one, two), (two, one)):  # the merge: files no one else has arrive
        for name in listing(src):
            target = dst.evals_dir / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src.evals_dir / name, target)
    assert tallies(one) == tallies(two)
    assert {m for m, _, _ in tallies(one)} == {"v/s", "v/x", "v/y"}


def _legacy_store(ws: Workspace, tmp_path: Path) -> dict:
    """A root evals.sqlite as the code before evals/ left it (schema 1, no `kept` table)."""
    ws.root.mkdir(parents=True)
    with EvalStore(ws.legacy_evals_db) as store:
        store.import_file(csv_file(tmp_path / "a.csv", "v/a", "r1", "1101e"))
        store.import_file(EXAMPLE, suite=str(SUITE))
        store.import_file(PROMPTFOO / "bookshop_v3_one-assertion-failure.json")
        tally = store.tallies()
    db = sqlite3.connect(ws.legacy_evals_db)
    db.execute("DROP TABLE kept")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    return tally


def test_an_old_root_store_is_migrated_into_evals(ws: Workspace, tmp_path: Path, capsys) -> None:
    """A workspace from before evals/: each stored run is exported as a native CSV into
    evals/ (nothing lost), the cache rebuilt, and the old file kept as evals.sqlite.migrated."""
    tally = _legacy_store(ws, tmp_path)
    old = ws.legacy_evals_db.read_bytes()
    assert main(["--workspace", str(ws.root), "reindex"]) == 0
    out = capsys.readouterr().out
    assert "migrated" in out
    assert not ws.legacy_evals_db.exists()
    assert (ws.root / "evals.sqlite.migrated").read_bytes() == old
    sidecars = [files.read_sidecar(ws, p) for p in ws.evals_dir.glob("*.toml")]
    assert sidecars and all(s.format == "native" for s in sidecars)
    assert all("migrated from evals.sqlite" in p.read_text() for p in ws.evals_dir.glob("*.toml"))
    got = tallies(ws)
    assert {(k, v.k, v.n, v.errors) for k, v in got.items()} == \
        {(k, v.k, v.n, v.errors) for k, v in tally.items()}


def test_migration_happens_on_first_read(ws: Workspace, tmp_path: Path) -> None:
    """The migration needs no command of its own: the first read does it."""
    tally = _legacy_store(ws, tmp_path)
    assert {k: (v.k, v.n) for k, v in tallies(ws).items()} == \
        {k: (v.k, v.n) for k, v in tally.items()}
    assert (ws.root / "evals.sqlite.migrated").exists()


def test_the_gitignore_names_the_cache(ws: Workspace, tmp_path: Path) -> None:
    """The cache folder is git-ignored: .gitignore written when absent, the line appended to a
    user's own file when missing, never rewritten otherwise."""
    import_file(ws, csv_file(tmp_path / "a.csv", "v/a", "r1", "1"))
    assert (ws.root / ".gitignore").read_text() == ".cache/\n"
    other = Workspace(tmp_path / "other")
    other.root.mkdir()
    (other.root / ".gitignore").write_text("*.bak")
    import_file(other, csv_file(tmp_path / "b.csv", "v/b", "r1", "1"))
    assert (other.root / ".gitignore").read_text() == "*.bak\n.cache/\n"
    reindex(other)
    assert (other.root / ".gitignore").read_text() == "*.bak\n.cache/\n"


def test_evals_rebuild_and_reindex_say_what_they_built(ws: Workspace, tmp_path: Path,
                                                       capsys) -> None:
    """`scopecard reindex` (and its eval half, `evals rebuild`) rebuild from the files."""
    import_file(ws, csv_file(tmp_path / "a.csv", "v/a", "r1", "1101"))
    for command in (["reindex"], ["evals", "rebuild"]):
        assert main(["--workspace", str(ws.root), *command]) == 0
        out = capsys.readouterr().out
        assert f"evals: rebuilt {ws.evals_db} from 1 file(s): 1 run(s), 4 case results" in out
