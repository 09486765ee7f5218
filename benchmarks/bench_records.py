"""Decision records at scale: 10,000 records; `list` (goal < 0.5 s) and `review --all` (goal < 2 s).

The records are copies of the bundled example's record (about 20 KB of TOML each) under
different ids, in a temp workspace. Baseline measured in the same run: reading the same files
and parsing them with tomllib, which every full read of every record has to pay.

- list, cold: no summary index yet, so every file is parsed in full (corrupt files must show
  their error, so a header-only parse would not do); each parse is also put in the record
  cache (JSON beside decisions/, checked against the sha256 of the file's bytes).
- list, warm: the index beside decisions/ is keyed by each file's size, mtime, ctime and inode;
  only a stat per file and one JSON read remain.
- read all: every file read, hashed and its parse taken from the record cache.
- review --all: every record is read (from the cache when it holds these very bytes),
  recomputed, compared with its stored outputs and gets a [[reviews]] entry appended as TOML
  text. The new files are staged as temp files, synced once, then renamed into place. Identical
  inputs are recomputed once per run and process (keyed by a hash of the inputs), so copies
  mostly measure read + compare + write; the cost of recomputing one record whose inputs are
  unique is measured on its own and extrapolated. Over PARALLEL_MIN records the run forks a
  second process (2 cores here).
- review --all again: the first run replaced every file, freeing the old ones; on this disk
  (ext4 mounted with discard) creating a file then costs ~0.4 ms instead of ~0.05 ms.
- file system alone: create N temp files of the record's size, one sync, rename each over a
  file: the floor under any review that replaces every record atomically, fresh and after
  files were freed.

Run: python benchmarks/bench_records.py [N]
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from estimators.paths import Workspace  # noqa: E402
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC  # noqa: E402
from rubrics.pipeline import decide_spec, save_record  # noqa: E402
import rubrics.review as review  # noqa: E402
from rubrics.records import index_path, list_records, read_record, record_files  # noqa: E402
from rubrics.review import Reviewer, review_records  # noqa: E402


def make_records(ws: Workspace, n: int) -> int:
    """n copies of the example's record under different ids; returns one file's size."""
    _, record = decide_spec(EXAMPLE_SPEC, ws, EXAMPLE_EVALS)
    first = save_record(ws, record)
    text = first.read_text()
    for i in range(2, n + 1):
        new_id = f"{first.stem}-{i}"
        (ws.decisions / f"{new_id}.toml").write_text(text.replace(
            f'id = "{first.stem}"', f'id = "{new_id}"'))
    return len(text.encode())


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def unique_recompute(ws: Workspace, today: dt.date, runs: int = 5) -> float:
    """Seconds to review one record with nothing cached (what a record with unique inputs costs)."""
    path = record_files(ws.decisions)[0]
    data = read_record(path)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        Reviewer(ws, today).review(data, path.stem)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def fs_floor(folder: Path, n: int, size: int) -> float:
    """Seconds to replace n files of `size` bytes atomically: temp files, one sync, renames."""
    data = os.urandom(size)
    t0 = time.perf_counter()
    for i in range(n):
        fd = os.open(folder / f".f{i}.tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.write(fd, data)
        os.close(fd)
    os.sync()
    for i in range(n):
        os.replace(folder / f".f{i}.tmp", folder / f"f{i}")
    return time.perf_counter() - t0


def line(label: str, seconds: float, base: float, goal: float | None = None) -> str:
    verdict = "" if goal is None else \
        f" | goal < {goal:g} s: {'ok' if seconds < goal else 'MISSED'}"
    return f"  {label:<38}{seconds:8.2f} s | {seconds / base:6.3f}x baseline{verdict}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    root = Path(tempfile.mkdtemp(prefix="scopecard-bench-"))
    try:
        ws = Workspace(root / "ws")
        size = make_records(ws, n)
        today = dt.date.today() + dt.timedelta(days=100)  # every record is due

        def baseline() -> None:
            for p in record_files(ws.decisions):
                tomllib.loads(p.read_bytes().decode())

        t_base, _ = timed(baseline)
        index_path(ws.decisions).unlink(missing_ok=True)
        t_cold, rows = timed(lambda: list_records(ws.decisions))
        assert len(rows) == n and not any(r.error for r in rows)
        t_warm, _ = timed(lambda: list_records(ws.decisions))
        # (not kept: 10,000 parses held at once would make every later GC pass crawl)
        t_read, _ = timed(lambda: sum(1 for p in record_files(ws.decisions) if read_record(p)))
        t_unique = unique_recompute(ws, today)
        t_dry, reviews = timed(lambda: review_records(ws, None, today, save=False))
        t_review, reviews = timed(lambda: review_records(ws, None, today))
        assert len(reviews) == n and all(r.reproduction.status == "reproduced" for r in reviews)
        assert all(r.saved for r in reviews)
        t_again, reviews = timed(lambda: review_records(ws, None, today))
        assert all(r.saved and r.reproduction.status == "reproduced" for r in reviews)
        parallel, review.PARALLEL_MIN = review.PARALLEL_MIN, n + 1
        t_single, reviews = timed(lambda: review_records(ws, None, today))
        review.PARALLEL_MIN = parallel
        assert all(r.saved for r in reviews)
        t_after, _ = timed(lambda: list_records(ws.decisions))
        assert all(len(r) == 3 for r in (read_record(p)["reviews"]
                                         for p in record_files(ws.decisions)[:100]))
        floor = root / "floor"
        floor.mkdir()
        for i in range(n):
            (floor / f"f{i}").write_bytes(bytes(size))  # renames free record-sized files
        t_fs_fresh = fs_floor(floor, n, size)
        t_fs_freed = fs_floor(floor, n, size)

        print(f"decision records: {n:,} files of {size / 1000:.1f} KB in {ws.decisions}")
        print(f"  baseline: read + tomllib.loads all    {t_base:8.2f} s "
              f"({t_base / n * 1000:.2f} ms per record)")
        print(line("list, cold (full parse, builds index)", t_cold, t_base))
        print(line("list, warm (index)", t_warm, t_base, 0.5))
        print(line("read all (record cache)", t_read, t_base))
        print(line("review --all --dry-run", t_dry, t_base))
        print(line("review --all (appends a review each)", t_review, t_base, 2.0))
        print(line("review --all again (files just freed)", t_again, t_base, 2.0))
        print(line("review --all again, one process", t_single, t_base))
        print(line("list after review (index kept)", t_after, t_base, 0.5))
        print(line("file system alone, fresh", t_fs_fresh, t_base))
        print(line("file system alone, files just freed", t_fs_freed, t_base))
        print(f"  one record with unique inputs: {t_unique * 1000:.0f} ms to recompute four ways; "
              f"{n:,} unique records would add ~{t_unique * n:,.0f} s")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
