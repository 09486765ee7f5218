"""Usage import benchmark: a year of daily usage for 50 models and 20 projects (365,000 rows).

    PYTHONPATH=. python benchmarks/bench_usage.py [--days 365] [--models 50] [--projects 20]
                                                  [--decisions 1000]

Generates the rows twice in a temp dir, as the plain CSV and as OpenAI usage pages (one page
per month, chained with has_more/next_page), then times rubrics.usage.formats.read_usage
against reading the same files with the csv/json module alone (open, parse, keep the rows) in
the same run. Goal: read_usage within 3x of the bare read.

Then the whole path of issue #19: importing the plain CSV (catalogue model ids) into a fresh
workspace holding an accepted, linked decision and computing the portfolio, against the same
bare CSV read (goal <= 3x); and `portfolio` over `--decisions` accepted decisions (copies of the
bundled example under other titles, one usage link each; goal <= 1 s).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import median_seconds
from estimators.paths import Workspace
from rubrics.usage.formats import PLAIN_COLUMNS, read_usage

GOAL = 3.0
PORTFOLIO_GOAL = 1.0  # seconds, over 1,000 decisions
DAY = 86_400
TODAY = dt.date(2027, 1, 2)  # the year generated is 2026: every month of it is full


def generate_csv(path: Path, days: int, models: int, projects: int,
                 names: list[str] | None = None) -> int:
    """The plain CSV, one row per day, model and project (project column added); models are
    `names` (catalogue ids) where given, else model-0, model-1, ..."""
    start = dt.date(2026, 1, 1)
    names = names or [f"model-{m}" for m in range(models)]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([*PLAIN_COLUMNS, "project"])
        for d in range(days):
            day = (start + dt.timedelta(days=d)).isoformat()
            w.writerows([day, names[m], 100 + m, 50_000 + p, 10_000, 8_000 + m,
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


def example_workspace(folder: Path) -> tuple[Workspace, str]:
    """A workspace holding the bundled example decision, accepted; its id."""
    from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC, EXAMPLE_SUITE
    from rubrics.pipeline import decide_spec, save_record
    from rubrics.record_store import RecordStore

    ws = Workspace(folder)
    _, record = decide_spec(EXAMPLE_SPEC, ws, [EXAMPLE_EVALS], suite_file=EXAMPLE_SUITE)
    record_id = save_record(ws, record).parent.name
    RecordStore(ws).set_status(record_id, "accepted")
    return ws, record_id


def import_and_portfolio(template: Path, folder: Path, plain: Path, model: str) -> None:
    """A copy of the template workspace: import the CSV, link the decision, the portfolio."""
    from rubrics.pipeline import catalogue_for
    from rubrics.portfolio import portfolio_summary
    from rubrics.record_store import RecordStore
    from rubrics.usage.files import import_usage

    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(template, folder)
    ws = Workspace(folder)
    ws.usage_dir.mkdir()
    import_usage(ws, [plain], catalogue_for(ws))
    store = RecordStore(ws)
    store.link_usage(store.ids()[0], [model], project="proj_0")
    assert portfolio_summary(ws, TODAY).calibrated == 1


def many_decisions(template: Path, folder: Path, count: int) -> Workspace:
    """`count` accepted decisions (the example under other titles), each linked to its own
    project of a month of daily usage."""
    from rubrics.pipeline import catalogue_for
    from rubrics.record_store import RecordStore
    from rubrics.usage.files import import_usage

    shutil.copytree(template, folder)
    ws = Workspace(folder)
    store = RecordStore(ws)
    (first,) = store.ids()
    record = store.get(first).record
    model = record.outputs.chosen or ""
    data = record.data()
    for i in range(1, count):
        state = store.create({**data, "title": f"{record.title} {i}"}, record.as_of)
        store.set_status(state.id, "accepted")
    usage = folder.parent / "many.csv"
    with open(usage, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([*PLAIN_COLUMNS, "project"])
        for day in range(1, 31):
            w.writerows([f"2026-11-{day:02d}", model, 1000, 1_000_000, 0, 200_000, "0.5", "USD",
                         f"p{i}"] for i in range(count))
    ws.usage_dir.mkdir()
    import_usage(ws, [usage], catalogue_for(ws))
    for i, record_id in enumerate(store.ids()):
        store.link_usage(record_id, [model], project=f"p{i}")
    return ws


def bench_portfolio(args: argparse.Namespace, folder: Path, plain: Path, rows: int) -> bool:
    """Import + portfolio vs the bare CSV read, and the portfolio over many decisions."""
    from rubrics.pipeline import catalogue_for
    from rubrics.portfolio import portfolio_summary

    template, _ = example_workspace(folder / "template")
    names = catalogue_for(template).model_ids()[:args.models]
    real = folder / "usage-ids.csv"
    generate_csv(real, args.days, args.models, args.projects, names)
    t_bare = median_seconds(lambda: bare_csv(real), args.runs)
    t_ours = median_seconds(lambda: import_and_portfolio(template.root, folder / "ws", real,
                                                         names[0]), args.runs)
    ratio = t_ours / t_bare
    print(f"{'import+portfolio':16s} {rows:,} rows: {t_ours:.2f} s, bare {t_bare:.2f} s, "
          f"ratio {ratio:.2f}x (goal <= {GOAL:g}x) {'ok' if ratio <= GOAL else 'OVER'}")
    ws = many_decisions(template.root, folder / "many", args.decisions)
    portfolio_summary(ws, TODAY)  # the first call builds the usage cache
    t_many = median_seconds(lambda: portfolio_summary(ws, TODAY), args.runs)
    print(f"portfolio over {args.decisions:,} decisions with usage: {t_many:.2f} s (goal <= "
          f"{PORTFOLIO_GOAL:g} s) {'ok' if t_many <= PORTFOLIO_GOAL else 'OVER'}")
    return ratio <= GOAL and t_many <= PORTFOLIO_GOAL


def print_load() -> None:
    """The load average: the machine may be shared, and ratios compare only under like loads."""
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--projects", type=int, default=20)
    ap.add_argument("--decisions", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print_load()
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
        ok &= bench_portfolio(args, folder, plain, rows)
    print_load()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
