"""Eval store benchmark: import throughput and the capability tally query.

    PYTHONPATH=. python benchmarks/bench_evals.py [--rows 1000000] [--models 10]

1. Import a generated native CSV of --rows results (--models models × rows/models cases on one
   suite) with EvalStore.import_file, against a baseline measured in the same run: raw
   csv.reader + executemany into one bare table (no validation, no suites, no tallies).
   Target: >= 100,000 results/s.
2. The capability tally query (EvalStore.tallies) over those stored results, against the
   baseline of one raw GROUP BY over the results table and against results.tally in memory.
   Target: < 1 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import median_seconds  # noqa: E402
from rubrics.evals.native_csv import read_native_csv  # noqa: E402
from rubrics.evals.results import tally  # noqa: E402
from rubrics.evals.store import EvalStore  # noqa: E402

HEADER = "case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp\n"


def generate(path: Path, rows: int, models: int) -> None:
    per = rows // models
    tiers = ("easy", "medium", "hard")
    rnd = random.Random(7)
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        for m in range(models):
            lines = []
            for i in range(per):
                r = rnd.random()
                passed = "1" if r < 0.8 else ("0" if r < 0.98 else "error")
                lines.append(f"case-{i:07d},bench,vendor{m}/model-{m},vendor{m},{tiers[i % 3]},"
                             f"single,{passed},,run-{m},2026-01-0{1 + m % 9}T00:00:00Z\n")
            f.writelines(lines)


def baseline_import(csv_path: Path, db_path: Path) -> float:
    """Raw csv.reader + executemany into one table, same pragmas: the floor for an import."""
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE results (case_id, suite, model, vendor, difficulty, kind, passed, "
               "score, run_id, timestamp)")
    start = time.perf_counter()
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        db.execute("BEGIN")
        db.executemany("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", reader)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed



def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--models", type=int, default=10)
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-evals-") as tmp:
        tmpdir = Path(tmp)
        csv_path = tmpdir / "results.csv"
        start = time.perf_counter()
        generate(csv_path, args.rows, args.models)
        n = (args.rows // args.models) * args.models
        print(f"generated {n:,} results ({csv_path.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - start:.1f}s")

        base = baseline_import(csv_path, tmpdir / "baseline.sqlite")
        with EvalStore(tmpdir / "evals.sqlite") as store:
            start = time.perf_counter()
            report = store.import_file(csv_path)
            ours = time.perf_counter() - start
            assert report.results == n, report.results
            start = time.perf_counter()
            again = store.import_file(csv_path)
            dedupe = time.perf_counter() - start
            assert again.already_imported

            print("\nimport (one transaction, validated, suites + per-run tallies)")
            print(f"  baseline csv.reader + executemany : {base:6.2f} s  {n / base:>10,.0f} rows/s")
            print(f"  EvalStore.import_file             : {ours:6.2f} s  {n / ours:>10,.0f} rows/s"
                  f"   ({ours / base:.2f}x baseline time)")
            print(f"  same file again (sha256 dedupe)   : {dedupe:6.2f} s")
            target = n / ours >= 100_000
            ok &= target
            print(f"  target >= 100,000 rows/s          : {'PASS' if target else 'FAIL'}")

            q_store = median_seconds(lambda: store.tallies())
            db = sqlite3.connect(tmpdir / "evals.sqlite")
            raw_sql = ("SELECT r.model, c.difficulty, sum(x.passed), count(x.passed), "
                       "sum(x.passed IS NULL) FROM results x JOIN runs r ON r.seq = x.run_seq "
                       "JOIN cases c ON c.suite_id = r.suite_id AND c.case_id = x.case_id "
                       "GROUP BY r.model, r.suite_id, c.difficulty")
            q_raw = median_seconds(lambda: db.execute(raw_sql).fetchall(), 3)
            db.close()
            rows = read_native_csv(csv_path)
            q_mem = median_seconds(lambda: tally(rows), 3)
            stored = store.counts()["results"]
            print(f"\ncapability tally over {stored:,} stored results")
            print(f"  EvalStore.tallies()               : {q_store * 1000:8.2f} ms")
            print(f"  baseline raw GROUP BY in SQLite   : {q_raw * 1000:8.2f} ms   "
                  f"({q_raw / q_store:,.0f}x slower)")
            print(f"  results.tally() in memory         : {q_mem * 1000:8.2f} ms   "
                  f"({q_mem / q_store:,.0f}x slower, rows already parsed)")
            target = q_store < 1.0
            ok &= target
            print(f"  target < 1 s                      : {'PASS' if target else 'FAIL'}")
            size = sum(p.stat().st_size for p in tmpdir.glob("evals.sqlite*"))
            print(f"\nstore size on disk: {size / 1e6:.1f} MB ({size / n:.0f} bytes/result)")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
