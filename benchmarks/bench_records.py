"""Decisions at scale (issue #17): `list` and `review --all` over N decisions (default 10,000).

The decisions are the bundled example's decision filed N times under different titles (so each
has its own id, seal and folder), in a temp workspace. Baselines measured in the same run:

- read + tomllib.loads of every decision.toml: what any full read of every decision pays.
  Goals: list cold (index rebuilt from the files) <= 1.2x this; list warm <= 0.3 s.
- review --all --dry-run: the recomputation alone. Goal: review --all (which files one review
  per decision) <= 1 s beyond it. Copies share one computation (equal inputs), so this measures
  reading, comparing and writing.
- distinct decisions: a sample with different seeds (each recomputed in full, four ways),
  reported as decisions per second, with the processes review used. Goal >= 100/s on two
  cores.

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

from estimators.atomic import create_exclusive  # noqa: E402
from estimators.paths import Workspace  # noqa: E402
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC  # noqa: E402
from rubrics.pipeline import decide_spec  # noqa: E402
from rubrics.record_store import RecordStore, dump_toml  # noqa: E402
from rubrics.review import _processes, review_records  # noqa: E402

DISTINCT = 200  # decisions with their own inputs, recomputed in full


def make_decisions(ws: Workspace, n: int, distinct: int) -> tuple[int, list[str]]:
    """`distinct` decisions of the example, each decided with its own seed (so its inputs and
    outputs differ), then copies of the first under other titles up to n; returns one file's
    size and the distinct ids."""
    store = RecordStore(ws)
    ids = []
    for seed in range(1, distinct + 1):
        _, record = decide_spec(EXAMPLE_SPEC, ws, EXAMPLE_EVALS, seed=seed)
        ids.append(store.create({**record, "title": f"Distinct {seed}"}, dt.date.today()).id)
    first = store.get(ids[0]).record
    for i in range(distinct + 1, n + 1):
        rec = first.model_copy(update={"id": f"{first.id[:-7]}-{i}{first.id[-7:]}",
                                       "title": f"{first.title} copy {i}"})
        folder = ws.decisions / rec.id
        folder.mkdir()
        create_exclusive(folder / "decision.toml", dump_toml(rec.seal().data()), sync=False)
    os.sync()
    return (ws.decisions / first.id / "decision.toml").stat().st_size, ids


CPU: dict[float, float] = {}  # wall seconds of a timed call -> its CPU seconds


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (review's workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds fn() takes (after a sync, so earlier writes are not flushed inside it); its
    CPU seconds go to CPU (on a shared machine wall time mostly measures the neighbours)."""
    os.sync()
    t0, c0 = time.perf_counter(), cpu_seconds()
    out = fn()
    wall = time.perf_counter() - t0
    CPU[wall] = cpu_seconds() - c0
    return wall, out


def line(label: str, seconds: float, base: float, goal: str = "") -> str:
    cpu = f"cpu {CPU.get(seconds, 0.0):7.2f} s"
    return f"  {label:<44}{seconds:8.2f} s | {cpu} | {seconds / base:6.3f}x baseline  {goal}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    root = Path(tempfile.mkdtemp(prefix="scopecard-bench-"))
    try:
        ws = Workspace(root / "ws")
        size, distinct = make_decisions(ws, n, min(DISTINCT, n))
        store = RecordStore(ws)
        today = dt.date.today() + dt.timedelta(days=100)  # every decision is due

        def baseline() -> None:
            for d in os.listdir(ws.decisions):
                tomllib.loads((ws.decisions / d / "decision.toml").read_bytes().decode())

        t_base, _ = timed(baseline)
        store.index_file.unlink(missing_ok=True)
        t_cold, rows = timed(lambda: RecordStore(ws).summaries())
        assert len(rows) == n and not any(r.error for r in rows)
        t_warm, _ = timed(lambda: RecordStore(ws).summaries())
        t_distinct, _ = timed(lambda: review_records(ws, distinct, today, save=False))
        t_dry, reviews = timed(lambda: review_records(ws, None, today, save=False))
        t_review, reviews = timed(lambda: review_records(ws, None, today))
        assert len(reviews) == n and all(r.saved and r.reproduction.status == "reproduced"
                                         for r in reviews)
        t_after, rows = timed(lambda: RecordStore(ws).summaries())
        assert all(r.last_reviewed == today for r in rows)

        print(f"decisions: {n:,} of {size / 1000:.1f} KB in {ws.decisions}")
        print(f"  baseline: read + tomllib.loads every decision {t_base:8.2f} s "
              f"({t_base / n * 1000:.2f} ms each; cpu {CPU[t_base]:.2f} s)")
        print(line("list, cold (index rebuilt from the files)", t_cold, t_base,
                   f"goal <= 1.2x: {'ok' if t_cold <= 1.2 * t_base else 'MISSED'}"))
        print(line("list, warm (index)", t_warm, t_base,
                   f"goal <= 0.3 s: {'ok' if t_warm <= 0.3 else 'MISSED'}"))
        print(line("review --all --dry-run (recompute only)", t_dry, t_base))
        extra = t_review - t_dry
        print(line("review --all (files a review each)", t_review, t_base,
                   f"writes {extra:.2f} s beyond the recompute; goal <= 1 s: "
                   f"{'ok' if extra <= 1.0 else 'MISSED'}"))
        print(line("list after review (index updated)", t_after, t_base))
        rate = len(distinct) / t_distinct
        print(f"  {len(distinct)} distinct decisions recomputed four ways: {t_distinct:.2f} s "
              f"(cpu {CPU[t_distinct]:.2f} s) = "
              f"{rate:.0f} decisions/s ({_processes(len(distinct))} process(es)); "
              "goal >= 100/s on two cores: "
              f"{'ok' if rate >= 100 else 'MISSED'}")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
