"""Cross-check the bundled catalogue against genai-prices, the upstream it was seeded from.

For every row whose `source` names a genai-prices model, the row's input, output and cache-read
prices (converted to USD with the catalogue's own FX where the row is in CNY) are compared with
genai-prices' price for the same model on the row's date. The report is printed (see it with
`pytest -s`) and every disagreement is also raised as a warning.

Threshold: zero. The catalogue was generated from this very package version, so any
disagreement is a seeding bug, not drift. The only tolerance is upstream's own rounding: it
stores CNY prices converted to USD rounded to 3 decimals, so a CNY row may differ from it by
up to 0.0005 USD per 1M tokens; USD rows must match exactly.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import warnings
from dataclasses import dataclass

import pytest

genai_prices = pytest.importorskip("genai_prices")

from estimators.paths import PACKAGE_DATA  # noqa: E402
from estimators.prices import PriceRow, load_catalogue  # noqa: E402

SOURCE = re.compile(r"via genai-prices (?P<version>[\d.]+) \((?P<provider>[^:()]+):(?P<model>[^()]+)\)")
# 02:00 UTC is inside DeepSeek's standard-price (peak) windows, old and new, so upstream's
# time-of-day pricing gives the list price the catalogue stores.
PEAK = dt.time(2, 0, tzinfo=dt.UTC)
CNY_ROUNDING = 0.0005  # USD per 1M: upstream rounds converted CNY prices to 3 decimals
TODAY = dt.date(2026, 11, 24)


@dataclass(frozen=True)
class Disagreement:
    row: str
    effective_from: dt.date | None
    part: str
    ours_usd: float
    theirs_usd: float


def upstream_per_million(provider: str, model: str, when: dt.datetime, part: str) -> float:
    """genai-prices' USD price per 1M tokens of `part`, from a 1,000-token call (below every tier)."""
    usage = {
        "input": genai_prices.Usage(input_tokens=1000),
        "output": genai_prices.Usage(output_tokens=1000),
        "cache_read": genai_prices.Usage(input_tokens=1000, cache_read_tokens=1000),
    }[part]
    calc = genai_prices.calc_price(usage, model, provider_id=provider, genai_request_timestamp=when)
    return float(calc.total_price) * 1000


def check_date(row: PriceRow, in_force: PriceRow) -> dt.date:
    """Compare the row in force today as of today; history and scheduled rows on their own date."""
    return TODAY if row is in_force else (row.effective_from or TODAY)


def test_catalogue_agrees_with_genai_prices() -> None:
    cat = load_catalogue()
    seeded = [(r, SOURCE.search(r.source)) for r in cat.rows]
    seeded = [(r, m) for r, m in seeded if m]
    assert seeded, "no catalogue row names a genai-prices model in its source"
    disagreements: list[Disagreement] = []
    compared = 0
    for row, m in seeded:
        assert m["version"] == genai_prices.__version__, f"{row.id} was seeded from {m['version']}"
        day = check_date(row, cat.lookup(row.id, TODAY))
        when = dt.datetime.combine(day, PEAK)
        rate = cat.convert(1.0, row.currency, "USD", day).rate
        parts = ["input", "output"] + (["cache_read"] if row.cache_read is not None else [])
        for part in parts:
            ours = getattr(row, part) * rate
            theirs = upstream_per_million(m["provider"], m["model"], when, part)
            compared += 1
            tolerance = CNY_ROUNDING if row.currency == "CNY" else 1e-9
            if abs(ours - theirs) > tolerance:
                disagreements.append(Disagreement(row.id, row.effective_from, part, ours, theirs))
    lines = [
        f"genai-prices {genai_prices.__version__} cross-check: {len(seeded)} rows, {compared} prices "
        f"compared, {len(disagreements)} disagreements"
    ]
    lines += [
        f"  {d.row} (from {d.effective_from}) {d.part}: catalogue {d.ours_usd:.6f} USD, "
        f"genai-prices {d.theirs_usd:.6f} USD"
        for d in disagreements
    ]
    report = "\n".join(lines)
    print("\n" + report)
    for d in disagreements:
        warnings.warn(f"price disagreement: {d}", stacklevel=1)
    assert not disagreements, report


def test_every_bundled_row_names_its_upstream() -> None:
    """Every row names genai-prices, except those read from a vendor's own page (changed: those
    live in prices.vendors.toml and cite the vendor, which wins over this upstream)."""
    own = tomllib.loads((PACKAGE_DATA / "prices.vendors.toml").read_text(encoding="utf-8"))
    own_ids = {m["id"] for m in own["models"]}
    unnamed = [r.id for r in load_catalogue().rows
               if r.id not in own_ids and not SOURCE.search(r.source)]
    assert not unnamed, f"rows without a genai-prices reference: {unnamed}"
