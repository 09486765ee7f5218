"""Usage import benchmark: a year of daily usage for 50 models and 20 projects (365,000 rows).

    PYTHONPATH=. python benchmarks/bench_usage.py [--days 365] [--models 50] [--projects 20]

Generates the rows twice in a temp dir, as the plain CSV and as OpenAI usage pages (one page
per month, chained with has_more/next_page), then times rubrics.usage.formats.read_usage
against reading the same files with the csv/json module alone (open, parse, keep the rows) in
the same run. Goal: read_usage within 3x of the bare read.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import median_seconds
from rubrics.usage.formats import PLAIN_COLUMNS, read_usage

GOAL = 3.0
DAY = 86_400


def generate_csv(path: Path, days: int, models: int, projects: int) -> int:
    """The plain CSV, one row per day, model and project (project column added)."""
    start = dt.date(2026, 1, 1)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([*PLAIN_COLUMNS, "project"])
        for d in range(days):
            day = (start + dt.timedelta(days=d)).isoformat()
            w.writerows([day, f"model-{m}", 100 + m, 50_000 + p, 10_000, 8_000 + m,
                         f"{0.01 * (m + p):.4f}", "USD", f"proj_{p}"]
                        for m in range(models) for p in range(projects))
    return days * models * projects


def generate_pages(folder: Path, days: int, models: int, projects: int) -> list[Path]:
    """OpenAI usage pages, about a month of daily buckets each."""
    t0 = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp())
    paths = []
    per_page = 31
    for first in range(0, days, per_page):
        last = min(days, first + per_page)
        data = [{"object": "bucket", "start_time": t0 + d * DAY, "end_time": t0 + (d + 1) * DAY,
                 "results": [{"object": "organization.usage.completions.result",
                              "input_tokens": 50_000 + p, "output_tokens": 8_000 + m,
                              "input_cached_tokens": 10_000, "num_model_requests": 100 + m,
                              "project_id": f"proj_{p}", "user_id": None, "api_key_id": None,
                              "model": f"model-{m}", "batch": None}
                             for m in range(models) for p in range(projects)]}
                for d in range(first, last)]
        more = last < days
        page = {"object": "page", "data": data, "has_more": more,
                "next_page": f"page-{last}" if more else None}
        path = folder / f"usage-{first:03d}.json"
        path.write_text(json.dumps(page), encoding="utf-8")
        paths.append(path)
    return paths


def bare_csv(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as f:
        return len(list(csv.reader(f)))


def bare_json(paths: list[Path]) -> int:
    n = 0
    for p in paths:
        with open(p, encoding="utf-8") as f:
            n += sum(len(b["results"]) for b in json.load(f)["data"])
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--projects", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain = folder / "usage.csv"
        rows = generate_csv(plain, args.days, args.models, args.projects)
        pages = generate_pages(folder, args.days, args.models, args.projects)
        assert len(read_usage([plain]).rows) == rows == len(read_usage(pages).rows)
        ok = True
        for name, ours, bare in (("plain CSV", lambda: read_usage([plain]), lambda: bare_csv(plain)),
                                 ("OpenAI pages", lambda: read_usage(pages),
                                  lambda: bare_json(pages))):
            t_bare = median_seconds(bare, args.runs)
            t_ours = median_seconds(ours, args.runs)
            ratio = t_ours / t_bare
            ok &= ratio <= GOAL
            print(f"{name:13s} {rows:,} rows: read_usage {t_ours:.2f} s, bare {t_bare:.2f} s, "
                  f"ratio {ratio:.2f}x (goal <= {GOAL:g}x) {'ok' if ratio <= GOAL else 'OVER'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
