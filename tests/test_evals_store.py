"""The SQLite eval store: idempotent imports, suite hashes, latest-run tallies, migrations."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from estimators.errors import InputError
from estimators.paths import Workspace
from rubrics.evals.results import EvalResult, tally
from rubrics.evals.store import SCHEMA_VERSION, EvalStore
from rubrics.evals.suites import suite_hash
from tests.conftest import EVAL_FIXTURES

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "rubrics" / "data" / "examples" / "support-faq-results.csv"
HEADER = "case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp\n"


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def rows(model: str, run: str, outcomes: str, ts: str = "2026-01-01T00:00:00Z",
         suite: str = "s") -> list[str]:
    """One row per character of outcomes: 1 pass, 0 fail, e error; difficulty by position."""
    tiers = ("easy", "medium", "hard")
    word = {"1": "1", "0": "0", "e": "error"}
    return [f"c{i},{suite},{model},{model.split('/')[0]},{tiers[i % 3]},single,{word[o]},,{run},{ts}"
            for i, o in enumerate(outcomes)]


@pytest.fixture
def store(tmp_path: Path) -> EvalStore:
    with EvalStore(Workspace(tmp_path / "ws").evals_db) as s:
        yield s


def test_import_twice_changes_nothing(store: EvalStore) -> None:
    first = store.import_file(EXAMPLE)
    assert not first.already_imported
    assert (first.results, first.graded, first.passed, first.errors) == (360, 357, 332, 3)
    assert len(first.run_ids) == 3
    counts = store.counts()
    again = store.import_file(EXAMPLE)
    assert again.already_imported and again.runs == []
    assert store.counts() == counts


def test_tallies_match_in_memory_tally(store: EvalStore) -> None:
    from rubrics.evals.native_csv import read_native_csv

    store.import_file(EXAMPLE)
    stored = store.tallies()
    mem = tally(read_native_csv(EXAMPLE))
    assert set(stored) == set(mem)
    for key, t in mem.items():
        s = stored[key]
        assert (s.k, s.n, s.errors, s.run_ids) == (t.k, t.n, t.errors, t.run_ids)
        assert s.suite_hash and not s.approximate
    # All three models ran the same 120 cases: one suite hash.
    assert len({t.suite_hash for t in stored.values()}) == 1
    assert store.tallies(models=["qwen/qwen-plus"]).keys() == {
        ("qwen/qwen-plus", "support-faq", d) for d in ("all", "easy", "medium", "hard")}


def test_suite_hash_is_over_ids_difficulty_kind() -> None:
    a = suite_hash([("x", "easy", "single"), ("y", "hard", "composite")])
    assert a == suite_hash([("y", "hard", "composite"), ("x", "easy", "single")])
    assert a != suite_hash([("x", "medium", "single"), ("y", "hard", "composite")])


def test_latest_run_counts_and_all_runs_pools(store: EvalStore, tmp_path: Path) -> None:
    store.import_file(write_csv(tmp_path / "a.csv", rows("openai/m", "r1", "0000", "2026-01-01T00:00:00Z")))
    store.import_file(write_csv(tmp_path / "b.csv", rows("openai/m", "r2", "1110", "2026-02-01T00:00:00Z")))
    t = store.tallies()[("openai/m", "s", "all")]
    assert (t.k, t.n, t.run_ids) == (3, 4, ("r2",))
    pooled = store.tallies(all_runs=True)[("openai/m", "s", "all")]
    assert (pooled.k, pooled.n, pooled.run_ids) == (3, 8, ("r1", "r2"))
    # An older run imported later does not replace the newer one.
    store.import_file(write_csv(tmp_path / "c.csv", rows("openai/m", "r0", "0000", "2025-12-01T00:00:00Z")))
    assert store.tallies()[("openai/m", "s", "all")].run_ids == ("r2",)


def test_an_all_error_run_does_not_hide_a_graded_one(store: EvalStore, tmp_path: Path) -> None:
    store.import_file(write_csv(tmp_path / "a.csv", rows("openai/m", "r1", "110", "2026-01-01T00:00:00Z")))
    store.import_file(write_csv(tmp_path / "b.csv", rows("openai/m", "r2", "eee", "2026-02-01T00:00:00Z")))
    t = store.tallies()[("openai/m", "s", "all")]
    assert (t.k, t.n, t.errors) == (2, 3, 0)


def test_different_case_sets_are_different_suites(store: EvalStore, tmp_path: Path) -> None:
    store.import_file(write_csv(tmp_path / "a.csv", rows("openai/a", "ra", "1111")))
    store.import_file(write_csv(tmp_path / "b.csv", rows("openai/b", "rb", "11")))  # c0, c1 only
    t = store.tallies()
    suites = {s for _, s, d in t if d == "all"}
    assert len(suites) == 2 and all(s.startswith("s@") for s in suites)
    assert len({s.hash for s in store.suites()}) == 2


def test_results_for_pairs_cases(store: EvalStore, tmp_path: Path) -> None:
    store.import_file(write_csv(tmp_path / "a.csv", rows("openai/a", "ra", "10e1")))
    got = store.results_for("openai/a", "s")
    assert [(r.case_id, r.passed, r.difficulty) for r in got] == [
        ("c0", True, "easy"), ("c1", False, "medium"), ("c2", None, "hard"), ("c3", True, "easy")]
    assert store.results_for("openai/a", "nope") == []


def test_aggregate_runs_have_no_results_rows(store: EvalStore) -> None:
    path = EVAL_FIXTURES / "lm_eval" / "mistral-7b-instruct_gsm8k_v04_two-filters.json"
    report = store.import_file(path)
    assert (report.aggregates, report.results) == (1, 0)
    t = store.tallies()[("mistralai/Mistral-7B-Instruct-v0.2", "gsm8k", "all")]
    assert (t.k, t.n, t.approximate, t.metric) == (527, 1319, True, "exact_match,strict-match")
    assert t.mean_score == pytest.approx(527 / 1319)
    assert store.results_for("mistralai/Mistral-7B-Instruct-v0.2", "gsm8k") == []


def test_same_run_id_different_content_kept_apart(store: EvalStore, tmp_path: Path) -> None:
    store.import_file(write_csv(tmp_path / "a.csv", rows("openai/m", "r1", "11")))
    rep = store.import_file(write_csv(tmp_path / "b.csv", rows("openai/m", "r1", "00")))
    assert rep.run_ids[0].startswith("r1~")
    assert any("already exists" in w for w in rep.warnings)


def test_declared_suite_supplies_difficulty(store: EvalStore, tmp_path: Path) -> None:
    suite = tmp_path / "s.toml"
    suite.write_text('schema = "scopecard.suite/1"\nname = "triage"\n'
                     + "".join(f'[[cases]]\nid = "c{i}"\ndifficulty = "{d}"\ndesensitized = true\n'
                               for i, d in enumerate(["easy", "hard", "hard"])), encoding="utf-8")
    info = store.add_suite(suite)
    assert (info.name, info.n_cases, info.declared) == ("triage", 3, True)
    csv = write_csv(tmp_path / "r.csv", [f"c{i},x,openai/m,openai,,,{p},,r1,2026-01-01T00:00:00Z"
                                         for i, p in enumerate("101")])
    rep = store.import_file(csv, suite="triage")
    assert rep.runs[0].suite_hash == info.hash
    t = store.tallies()
    assert (t[("openai/m", "triage", "hard")].k, t[("openai/m", "triage", "hard")].n) == (1, 2)
    # A run covering only part of the declared cases is filed apart, with a warning.
    part = write_csv(tmp_path / "p.csv", ["c0,x,openai/n,openai,,,1,,r2,2026-01-01T00:00:00Z"])
    rep2 = store.import_file(part, suite=str(suite))
    assert rep2.runs[0].suite_hash != info.hash
    assert any("not exactly the 3 declared" in w for w in rep2.warnings)


def test_suite_rename_refused_for_multi_suite_file(store: EvalStore, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "m.csv",
                    rows("openai/m", "r1", "1", suite="a") + rows("openai/m", "r2", "1", suite="b"))
    with pytest.raises(InputError, match="2 suites"):
        store.import_file(csv, suite="one")


def test_failed_import_leaves_store_unchanged(store: EvalStore, tmp_path: Path) -> None:
    store.import_file(EXAMPLE)
    before = store.counts()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "c1,s,m,v,easy,single,maybe,,r,t\n", encoding="utf-8")
    with pytest.raises(InputError, match="passed='maybe'") as e:
        store.import_file(bad)
    assert e.value.file == str(bad) and e.value.where == "line 2"
    assert store.counts() == before


def test_duplicate_case_in_a_native_run_refused(store: EvalStore, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "d.csv", rows("openai/m", "r1", "1") * 2)
    with pytest.raises(InputError, match="more than once"):
        store.import_file(csv)


def test_schema_version_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite"
    EvalStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(InputError, match="newer"):
        EvalStore(path)


def test_foreign_files_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="not a scopecard eval store") as e:
        EvalStore(junk)
    assert e.value.file == str(junk)
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(InputError, match="not a scopecard eval store"):
        EvalStore(other)


def test_two_writers_at_once(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite"
    EvalStore(path).close()
    files = [write_csv(tmp_path / f"{i}.csv", rows(f"v/m{i}", f"r{i}", "10" * 50)) for i in range(4)]
    errors: list[BaseException] = []

    def work(f: Path) -> None:
        try:
            with EvalStore(path) as s:
                s.import_file(f)
        except BaseException as e:  # noqa: BLE001 - surfaced below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with EvalStore(path) as s:
        assert s.counts()["runs"] == 4 and s.counts()["results"] == 400


def test_in_memory_eval_results_unchanged() -> None:
    # Older callers build EvalResult positionally and tally it: still works.
    r = EvalResult("c", "s", "m", "v", "easy", "single", True, None, "r", "t")
    assert not r.aggregate and not r.errored
    t = tally([r])[("m", "s", "all")]
    assert (t.k, t.n, t.errors, t.approximate) == (1, 1, 0, False)
