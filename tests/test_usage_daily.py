"""The usage cache's daily sums: what an import writes is what a rebuild from usage/ writes,
and both equal a plain sum of the rows read (the import sums in one loop before SQLite)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from estimators.paths import Workspace
from rubrics.pipeline import catalogue_for
from rubrics.usage.files import Daily, cache_path, daily_usage, import_usage
from rubrics.usage.formats import read_usage
from rubrics.usage.model_map import map_models
from tests.conftest import FIXTURES

USAGE = FIXTURES / "usage"
FILES = [USAGE / "litellm_month.csv", USAGE / "plain.csv"]
QWEN = {"qwen-plus": "qwen/qwen-plus"}  # plain.csv's qwen-plus is sold by three vendors


def imported(isolated: Path) -> tuple[Workspace, list[Daily]]:
    """FILES imported into a fresh workspace (qwen-plus mapped); the daily usage it holds."""
    ws = Workspace(isolated)
    ws.usage_dir.mkdir(parents=True)
    model_map = isolated / "map.toml"
    model_map.write_text("[models]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in QWEN.items()),
                         encoding="utf-8")
    catalogue = catalogue_for(ws)
    import_usage(ws, FILES, catalogue, model_map)
    return ws, daily_usage(ws, catalogue)


def expected(ws: Workspace) -> list[Daily]:
    """The rows of FILES summed per day the slow, obvious way."""
    rows = read_usage(FILES).rows
    mapped = map_models((r.model for r in rows), catalogue_for(ws), QWEN).mapped
    counts: dict[tuple[dt.date, str, str, str, str, str], list[int]] = {}
    costs: dict[tuple[dt.date, str, str, str, str, str], float] = {}
    for r in rows:
        key = (r.start.date(), mapped[r.model], r.project or "", r.api_key_id or "",
               r.tag or "", r.currency or "")
        c = counts.setdefault(key, [0, 0, 0, 0, 0])
        for i, n in enumerate((r.requests or 0, r.input_tokens, r.cached_input_tokens,
                               r.cache_write_tokens, r.output_tokens)):
            c[i] += n
        if r.cost is not None:
            costs[key] = costs.get(key, 0.0) + r.cost
    return [Daily(k[0], k[1], k[2], k[3], k[4], c[0], c[1], c[2], c[3], c[4], costs.get(k), k[5])
            for k, c in sorted(counts.items())]  # the cache's order: the key's fields


def test_import_and_rebuild_write_the_same_daily_sums(isolated: Path) -> None:
    """Regression for the one-loop daily sum: hourly LiteLLM requests add up to one row per
    day with their spend, a plain-CSV row without cost keeps cost None (priced at review), and
    the cache an import writes equals the one rebuilt from the kept files."""
    ws, daily = imported(isolated)
    want = expected(ws)
    assert daily == want
    assert any(d.cost is None for d in want) and any(d.requests > 1 for d in want)
    assert len(want) < len(read_usage(FILES).rows)  # some rows were summed into one day
    cache_path(ws).unlink()
    assert daily_usage(ws, catalogue_for(ws)) == daily


def test_daily_usage_of_some_models_only(isolated: Path) -> None:
    """Filtering the cache by model returns those rows in day order, nothing else."""
    ws, every = imported(isolated)
    model = every[-1].model
    some = daily_usage(ws, catalogue_for(ws), [model])
    assert some == [d for d in every if d.model == model]
    assert [d.day for d in some] == sorted(d.day for d in some)
    assert all(isinstance(d.day, dt.date) for d in some)
