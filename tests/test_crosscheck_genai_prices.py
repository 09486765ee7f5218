"""Cross-check the bundled catalogue against genai-prices, the upstream it was seeded from.

For every row whose `source` names a genai-prices model, the row's input, output and cache-read
prices are compared with genai-prices' USD price for the same model on the row's date. The
report is printed (see it with `pytest -s`) and every disagreement is also raised as a warning.

Threshold: zero. The catalogue was generated from this very package version, so any
disagreement on a seeded row is a seeding bug, not drift. CNY rows are converted at the rate
upstream itself used (its zhipuai price_comments: "1 USD = 7.25 CNY"), not at the catalogue's
current FX: upstream's USD figures are that conversion, so comparing at any other rate reports
an exchange-rate gap as a price disagreement (it did: 24 "disagreements", every zhipu/ row, all
off by the same 7.25 / 6.65 ratio, while the CNY prices were identical). The only tolerance is
upstream's own rounding of that conversion to 3 decimals (0.0005 USD per 1M); USD rows must
match exactly.

Rows read from a vendor's own page (prices.vendors.toml) replace upstream's row on purpose: where
upstream knows the same model, the report lists the difference as "vendor page wins" and the
test does not fail on it.
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
from estimators.prices import Catalogue, PriceRow, load_catalogue  # noqa: E402

SOURCE = re.compile(r"via genai-prices (?P<version>[\d.]+) \((?P<provider>[^:()]+):(?P<model>[^()]+)\)")
# 02:00 UTC is inside DeepSeek's standard-price (peak) windows, old and new, so upstream's
# time-of-day pricing gives the list price the catalogue stores.
PEAK = dt.time(2, 0, tzinfo=dt.UTC)
CNY_ROUNDING = 0.0005  # USD per 1M: upstream rounds converted CNY prices to 3 decimals
TODAY = dt.date(2026, 11, 24)
# Where upstream keeps a vendor's own models, for vendor-page rows (our id minus the vendor).
UPSTREAM_PROVIDER = {"deepseek": "deepseek", "zhipu": "zhipuai", "moonshot": "moonshotai"}
# Why a vendor-page row differs from upstream (report only); by default the row is the vendor's
# CNY list at the catalogue's FX while upstream keeps the vendor's own USD list.
_FX = "both right: the vendor's CNY list at the catalogue's FX vs the vendor's own USD list"
_STALE = ("catalogue right: upstream keeps the alias's old (V3/R1) price; DeepSeek's page routes "
          "the retired alias to Flash and bills the Flash price")
WHY_VENDOR_PAGE = {"deepseek/deepseek-chat": _STALE, "deepseek/deepseek-reasoner": _STALE}


@dataclass(frozen=True)
class Disagreement:
    row: str
    effective_from: dt.date | None
    part: str
    ours_usd: float
    theirs_usd: float

    def line(self) -> str:
        """One report line: which row, which price, both sides in USD per 1M."""
        return (f"  {self.row} (from {self.effective_from}) {self.part}: catalogue "
                f"{self.ours_usd:.6f} USD, genai-prices {self.theirs_usd:.6f} USD")

    def table_row(self, why: str) -> str:
        """One Markdown table row, with the relative difference and which side is right."""
        rel = (self.theirs_usd - self.ours_usd) / self.ours_usd
        return (f"| `{self.row}` | {self.effective_from} | {self.part} | {self.ours_usd:.6f} | "
                f"{self.theirs_usd:.6f} | {rel:+.1%} | {why} |")


def markdown_report(head: str, disagreements: list[Disagreement],
                    overridden: list[Disagreement]) -> str:
    """The report as a Markdown section for docs/calibration/crosschecks.md, between markers so
    it can be cut out of the `pytest -s` output."""
    lines = ["<!-- crosscheck:genai-prices -->", "## genai-prices", "",
             f"{head}. Run on {dt.date.today()}, rows in force on {TODAY} (history and scheduled "
             "rows on their own date). USD per 1M tokens; difference = genai-prices relative to "
             "the catalogue.", "",
             "| row | from | price | catalogue | genai-prices | difference | which side is right |",
             "|---|---|---|---:|---:|---:|---|"]
    lines += [d.table_row("NOT REVIEWED: seeding bug (row seeded from genai-prices)")
              for d in disagreements]
    lines += [d.table_row("vendor page wins: " + WHY_VENDOR_PAGE.get(d.row, _FX))
              for d in overridden]
    return "\n".join(lines + ["<!-- /crosscheck:genai-prices -->"])


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


def upstream_cny_rate() -> float:
    """CNY per USD that upstream converted Zhipu's CNY list at, as its price_comments state."""
    from genai_prices import data

    zhipu = next(p for p in data.providers if p.id == "zhipuai")
    text = zhipu.price_comments or ""
    m = re.search(r"1 USD = ([\d.]+) CNY", text)
    assert m, "zhipuai price_comments no longer state the USD/CNY rate"
    return float(m.group(1))


def compare_row(row: PriceRow, provider: str, model: str, day: dt.date,
                cny_rate: float) -> tuple[int, list[Disagreement]]:
    """How many prices of `row` were compared with upstream's `provider:model`, and where they
    differ beyond upstream's rounding (CNY at upstream's own rate, see the module docstring)."""
    when = dt.datetime.combine(day, PEAK)
    parts = ["input", "output"] + (["cache_read"] if row.cache_read is not None else [])
    found: list[Disagreement] = []
    for part in parts:
        ours = getattr(row, part)
        ours_usd = ours / cny_rate if row.currency == "CNY" else ours
        theirs = upstream_per_million(provider, model, when, part)
        tolerance = CNY_ROUNDING if row.currency == "CNY" else 1e-9
        if abs(ours_usd - theirs) > tolerance:
            found.append(Disagreement(row.id, row.effective_from, part, ours_usd, theirs))
    return len(parts), found


def vendor_page_differences(cat: Catalogue, own_ids: set[str],
                            cny_rate: float) -> list[Disagreement]:
    """Where a row read from the vendor's own page differs from upstream's row for the same
    model: expected (the vendor's page wins), so reported, never failed."""
    found: list[Disagreement] = []
    for row in cat.rows:
        provider = UPSTREAM_PROVIDER.get(row.vendor)
        if row.id not in own_ids or provider is None or row.currency not in ("USD", "CNY"):
            continue
        day = check_date(row, cat.lookup(row.id, TODAY))
        # Upstream's zhipuai USD is a conversion at its stated rate; other providers' USD is the
        # vendor's own USD list, so only the catalogue's FX can put a CNY row beside it.
        rate = cny_rate if provider == "zhipuai" else 1 / cat.convert(1.0, "CNY", "USD", day).rate
        try:
            found += compare_row(row, provider, row.id.split("/", 1)[1], day, rate)[1]
        except LookupError:  # upstream does not know this model: nothing to compare
            continue
    return found


def test_catalogue_agrees_with_genai_prices() -> None:
    """A price seeded from genai-prices differs from genai-prices: a seeding bug, so it fails.
    Differences on vendor-page rows are listed as "vendor page wins" and pass."""
    cat = load_catalogue()
    own = tomllib.loads((PACKAGE_DATA / "prices.vendors.toml").read_text(encoding="utf-8"))
    own_ids = {m["id"] for m in own["models"]}
    seeded = [(r, m) for r in cat.rows if (m := SOURCE.search(r.source))]
    assert seeded, "no catalogue row names a genai-prices model in its source"
    cny_rate = upstream_cny_rate()
    disagreements: list[Disagreement] = []
    compared = 0
    for row, m in seeded:
        assert m["version"] == genai_prices.__version__, f"{row.id} was seeded from {m['version']}"
        day = check_date(row, cat.lookup(row.id, TODAY))
        n, found = compare_row(row, m["provider"], m["model"], day, cny_rate)
        compared += n
        disagreements += found
    overridden = vendor_page_differences(cat, own_ids, cny_rate)
    lines = [
        f"genai-prices {genai_prices.__version__} cross-check: {len(seeded)} seeded rows, "
        f"{compared} prices compared (CNY at upstream's 1 USD = {cny_rate} CNY), "
        f"{len(disagreements)} disagreements; {len(overridden)} vendor-page prices differ"
    ]
    lines += ["disagreements on rows seeded from genai-prices (seeding bug):"] * bool(disagreements)
    lines += [d.line() for d in disagreements]
    lines += ["vendor page wins (row read from the vendor's own page, prices.vendors.toml):"] * bool(
        overridden)
    lines += [d.line() for d in overridden]
    report = "\n".join(lines)
    print("\n" + report + "\n\n" + markdown_report(lines[0], disagreements, overridden))
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
