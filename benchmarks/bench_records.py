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
- review --all: every record is read (its view from the end of its cache file when the cache
  holds these very bytes), recomputed, compared with its stored outputs, and gets a [[reviews]]
  entry appended in place as TOML text: all appends of a batch under one undo journal, one
  syncfs. Identical inputs are recomputed once per run and process (keyed by a hash of the
  inputs), so copies mostly measure read + compare + append; what one record with unique
  inputs costs is measured on its own (a warm reviewer, its memo cleared) and extrapolated.
  Over PARALLEL_MIN records the run forks a second process (2 cores here).
- Each timed step starts after a sync: dirty pages an earlier step left (the cold list writes
  ~180 MB of cache) would otherwise be flushed by the first review's sync. Linux writes them
  out within 30 s anyway.
- file system alone, the floors: appending a review-sized fragment to every file under a
  journal with one syncfs (what review does), and creating, syncing and renaming a new copy
  of every file (what replacing each record would cost), fresh and after files were freed.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rubrics.review as review  # noqa: E402
from estimators.atomic import Append, append_all  # noqa: E402
from estimators.paths import Workspace  # noqa: E402
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC  # noqa: E402
from rubrics.pipeline import decide_spec, save_record  # noqa: E402
from rubrics.records import (  # noqa: E402
    index_path,
    list_records,
    read_bytes,
    read_record,
    record_files,
)
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


def unique_recompute(ws: Workspace, today: dt.date, runs: int = 5) -> float:
    """Seconds to review one record whose inputs this run has not seen (the catalogue and the
    eval store loaded once, as in a run; the memo of computations cleared each time)."""
    path = record_files(ws.decisions)[0]
    data = read_record(path)
    reviewer = Reviewer(ws, today)
    reviewer.review(data, path.stem)
    times = []
    for _ in range(runs):
        reviewer._memo.clear()
        t0 = time.perf_counter()
        reviewer.review(data, path.stem)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def fs_append_floor(folder: Path, n: int, size: int) -> float:
    """Seconds to append `size` bytes to each of n files under one journal, one sync."""
    appends = [Append(str(folder / f"f{i}"), (folder / f"f{i}").stat().st_size, "0" * 64,
                      bytes(size)) for i in range(n)]
    t0 = time.perf_counter()
    append_all(folder.parent / "journal", appends)
    return time.perf_counter() - t0


def fs_replace_floor(folder: Path, n: int, size: int) -> float:
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


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds fn() takes, after a sync (see the module's notes), and its result."""
    os.sync()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


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
        fragment = (len(read_bytes(record_files(ws.decisions)[0])) - size) // 3  # a review
        os.sync()
        t_fs_append = fs_append_floor(floor, n, fragment)
        os.sync()
        t_fs_fresh = fs_replace_floor(floor, n, size)
        t_fs_freed = fs_replace_floor(floor, n, size)

        print(f"decision records: {n:,} files of {size / 1000:.1f} KB in {ws.decisions}")
        print(f"  baseline: read + tomllib.loads all    {t_base:8.2f} s "
              f"({t_base / n * 1000:.2f} ms per record)")
        print(line("list, cold (full parse, builds index)", t_cold, t_base))
        print(line("list, warm (index)", t_warm, t_base, 0.5))
        print(line("read all (record cache)", t_read, t_base))
        print(line("review --all --dry-run", t_dry, t_base))
        print(line("review --all (appends a review each)", t_review, t_base, 2.0))
        print(line("review --all again", t_again, t_base, 2.0))
        print(line("review --all again, one process", t_single, t_base))
        print(line("list after review (index kept)", t_after, t_base, 0.5))
        print(line("file system alone: append, journal", t_fs_append, t_base))
        print(line("file system alone: replace, fresh", t_fs_fresh, t_base))
        print(line("file system alone: replace, freed", t_fs_freed, t_base))
        print(f"  one record with unique inputs: {t_unique * 1000:.0f} ms to recompute four ways; "
              f"{n:,} records with unique inputs would add ~{t_unique * n:,.0f} s "
              f"(~{t_unique * n / 2:,.0f} s on two cores)")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
