"""Cross-check the bundled catalogue against LiteLLM's price map, a second, independent upstream.

Optional: skipped unless the `crosscheck` extra is installed (`pip install ".[crosscheck]"`,
which pins litellm). Only the JSON price map its wheel ships
(`litellm/model_prices_and_context_window_backup.json`) is read; litellm itself is never imported.

For every catalogue model LiteLLM also lists, the input, output and cache-read prices of the row
in force on `ON` are converted to USD with the catalogue's own FX rows and compared with LiteLLM's.
Every disagreement is printed (`pytest -s`) and raised as a warning. A disagreement fails the test
only when nobody has reviewed it: `REVIEWED` records each known one and which side is right, so a
new upstream change or a catalogue edit shows up as a failure until it is looked at.

Rows priced in CNY are compared too, but LiteLLM stores the vendors' own USD list (DeepSeek,
Zhipu and Moonshot publish one) or its own conversion, so a gap within `FX_BAND` is the two price
lists' exchange rate, not an error; it is reported as such and never fails.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import json
import re
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

if importlib.util.find_spec("litellm") is None:
    pytest.skip("litellm is not installed (pip install '.[crosscheck]')", allow_module_level=True)

from estimators.paths import PACKAGE_DATA
from estimators.prices import Catalogue, PriceRow, load_catalogue

ON = dt.date(2026, 12, 1)
PARTS = {"input": "input_cost_per_token", "output": "output_cost_per_token",
         "cache_read": "cache_read_input_token_cost"}
FX_BAND = 0.12  # a CNY list and a USD list of the same vendor differ by their exchange rate
# Where LiteLLM keeps each catalogue vendor's models (key prefixes, tried in order).
PREFIXES = {
    "openai": ("", "openai/"), "anthropic": ("", "anthropic/"), "google": ("gemini/",),
    "deepseek": ("deepseek/",), "qwen": ("dashscope/",), "moonshot": ("moonshot/",),
    "qwen-intl": ("dashscope/",), "zhipu": ("bigmodel/",), "zai": ("zai/",), "mistral": ("mistral/",),
    "minimax": ("minimax/",), "openrouter": ("openrouter/qwen/",), "groq": ("groq/",),
}
# Known disagreements, reviewed: (model, part) -> which side is right and why.
_ALIAS = ("catalogue right: LiteLLM still has DeepSeek-V3.2's 2025 price for this retired alias; "
          "DeepSeek's page routes it to Flash and bills the Flash price")
_REGION = ("both right: LiteLLM's dashscope/ entry is Alibaba's international (Singapore) USD "
           "list; the catalogue row is the mainland (Beijing) CNY list, a different price list")
_UNVERIFIED = ("unresolved: genai-prices 0.2.3 (catalogue) says 4/20/0.2, LiteLLM half that; "
               "Google's page was not re-read for this issue")
REVIEWED: dict[tuple[str, str], str] = {
    ("deepseek/deepseek-chat", "input"): _ALIAS,  # 0.28: V3.2's price, inside FX_BAND
    ("deepseek/deepseek-chat", "output"): _ALIAS,
    ("deepseek/deepseek-chat", "cache_read"): _ALIAS,
    ("deepseek/deepseek-reasoner", "input"): _ALIAS,
    ("deepseek/deepseek-reasoner", "output"): _ALIAS,
    ("deepseek/deepseek-reasoner", "cache_read"): _ALIAS,
    ("qwen/qwen-plus", "input"): _REGION,
    ("qwen/qwen-plus", "output"): _REGION,
    ("google/gemini-4-argon", "input"): _UNVERIFIED,
    ("google/gemini-4-argon", "output"): _UNVERIFIED,
    ("google/gemini-4-argon", "cache_read"): _UNVERIFIED,
}


@dataclass(frozen=True)
class Disagreement:
    """One price on which the catalogue's row and LiteLLM's entry differ, both in USD per 1M."""

    model: str
    part: str
    ours_usd: float
    theirs_usd: float
    fx_only: bool
    vendor_page: bool  # the row was read from the vendor's own page (prices.vendors.toml)
    source: str

    @property
    def relative(self) -> float:
        """LiteLLM's price relative to ours: +0.10 means LiteLLM is 10 % higher."""
        return (self.theirs_usd - self.ours_usd) / self.ours_usd

    @property
    def verdict(self) -> str:
        """Which side is right and why: the review if there is one, else the rule that applies."""
        reviewed = REVIEWED.get((self.model, self.part))
        # A review outranks the exchange-rate band: a stale price can also sit inside the band.
        if self.fx_only and not reviewed:  # LiteLLM keeps the vendor's USD list or its own rate
            return "both right: the vendor's USD list (or LiteLLM's rate) vs its CNY list"
        if self.vendor_page:
            return f"vendor page wins{': ' + reviewed if reviewed else ''}"
        return reviewed or "NOT REVIEWED"

    @property
    def fails(self) -> bool:
        """A gap on an aggregator-sourced row fails until reviewed; a vendor page always wins."""
        return not self.fx_only and not self.vendor_page and (self.model, self.part) not in REVIEWED

    def line(self) -> str:
        kind = "exchange rate of two price lists" if self.fx_only else "price"
        return (f"  {self.model} {self.part}: catalogue {self.ours_usd:.6g} USD, LiteLLM "
                f"{self.theirs_usd:.6g} USD ({kind}, {self.relative:+.1%}) -> {self.verdict}")

    def row(self) -> str:
        """One Markdown table row (pipes in free text escaped)."""
        cells = [f"`{self.model}`", self.part, f"{self.ours_usd:.6g}", f"{self.theirs_usd:.6g}",
                 f"{self.relative:+.1%}", "vendor page" if self.vendor_page else short(self.source),
                 self.verdict]
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


@dataclass
class Comparison:
    """What one run compared: the shared models, the disagreements and the rows compared on a
    later day because none was in force on `ON` yet (listed, never skipped silently)."""

    shared: int = 0
    found: list[Disagreement] = field(default_factory=list)
    scheduled: list[tuple[str, dt.date, bool]] = field(default_factory=list)  # id, day, shared


def short(source: str) -> str:
    """A row's source for the table: the aggregator and version, or the page's host."""
    m = re.search(r"via (genai-prices [\d.]+)", source)
    return m.group(1) if m else source.split("//", 1)[-1].split("/", 1)[0]


def vendor_page_ids() -> set[str]:
    """Ids of the rows read from the vendors' own pages; these win over any aggregate."""
    own = tomllib.loads((PACKAGE_DATA / "prices.vendors.toml").read_text(encoding="utf-8"))
    return {m["id"] for m in own["models"]}


def in_force(cat: Catalogue, model_id: str) -> tuple[PriceRow, dt.date]:
    """The row in force on `ON` and `ON`; for a model whose first row starts later, that row and
    its first day (comparing it on `ON` would be asking for a price that does not exist yet)."""
    first = cat.history(model_id)[0].effective_from or ON
    day = max(first, ON)
    return cat.lookup(model_id, day), day


def price_map() -> dict[str, dict]:
    """LiteLLM's bundled price map, read as data from the installed wheel."""
    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "model_prices_and_context_window_backup.json"
    return json.loads(path.read_text(encoding="utf-8"))


def litellm_entry(row: PriceRow, prices: dict[str, dict], lower: dict[str, str]) -> dict | None:
    """LiteLLM's entry for a catalogue model, matched by prefix and case-insensitive name."""
    model = row.id.split("/", 1)[1]
    for prefix in PREFIXES.get(row.vendor, ()):
        key = lower.get(f"{prefix}{model}".lower())
        if key and prices[key].get("input_cost_per_token") is not None:
            return prices[key]
    return None


def compare(cat: Catalogue, prices: dict[str, dict]) -> Comparison:
    """Every model both sides list, each on a day its row is in force, and every price on which
    the two sides differ."""
    lower = {k.lower(): k for k in prices}
    own = vendor_page_ids()
    result = Comparison()
    for model_id in cat.model_ids():
        row, day = in_force(cat, model_id)
        entry = litellm_entry(row, prices, lower)
        if day != ON:
            result.scheduled.append((model_id, day, entry is not None))
        if entry is None:
            continue
        result.shared += 1
        rate = cat.convert(1.0, row.currency, "USD", day).rate
        for part, key in PARTS.items():
            ours, theirs = getattr(row, part), entry.get(key)
            if ours is None or theirs is None:
                continue
            ours_usd, theirs_usd = ours * rate, float(theirs) * 1e6
            if abs(ours_usd - theirs_usd) <= 1e-9 + 1e-6 * max(ours_usd, theirs_usd):
                continue
            gap = abs(ours_usd - theirs_usd) / max(ours_usd, theirs_usd)
            result.found.append(Disagreement(
                model_id, part, ours_usd, theirs_usd, row.currency != "USD" and gap <= FX_BAND,
                model_id in own, row.source))
    return result


def litellm_version() -> str:
    """The installed litellm's version, read from its metadata (litellm is never imported)."""
    return importlib.metadata.version("litellm")


def text_report(result: Comparison) -> str:
    """The plain report printed with `pytest -s`."""
    lines = [f"LiteLLM {litellm_version()} cross-check on {ON}: {result.shared} shared models, "
             f"{len(result.found)} disagreements"]
    lines += [d.line() for d in result.found]
    lines += [f"  not in force on {ON}, compared as of {day}: {model}"
              + ("" if shared else " (not in LiteLLM's map)") for model, day, shared in
              result.scheduled]
    return "\n".join(lines)


def markdown_report(result: Comparison) -> str:
    """The same report as a Markdown section for docs/calibration/crosschecks.md, between
    markers so it can be cut out of the `pytest -s` output."""
    lines = ["<!-- crosscheck:litellm -->", "## LiteLLM", "",
             f"litellm {litellm_version()} (its bundled `model_prices_and_context_window_backup."
             f"json`), prices in force on {ON}, run on {dt.date.today()}: {result.shared} shared "
             f"models, {len(result.found)} prices differ. USD per 1M tokens; CNY rows at the "
             "catalogue's FX on the same day; difference = LiteLLM relative to the catalogue.", "",
             "| model | price | catalogue | LiteLLM | difference | our source | which side "
             "is right |", "|---|---|---:|---:|---:|---|---|"]
    lines += [d.row() for d in result.found]
    if result.scheduled:
        lines += ["", f"Not in force on {ON}, compared as of their first day instead:"]
        lines += [f"- `{model}` from {day}" + ("" if shared else " (LiteLLM does not list it)")
                  for model, day, shared in result.scheduled]
    return "\n".join(lines + ["<!-- /crosscheck:litellm -->"])


def test_catalogue_agrees_with_litellm() -> None:
    """A price on a row seeded from an aggregator that differs from LiteLLM fails until reviewed;
    a row read from the vendor's own page is listed as "vendor page wins" and passes. Models with
    no row in force on `ON` (rows that start later) are compared on their first day and listed
    (before: the lookup on `ON` raised "has no price effective on 2026-12-01")."""
    result = compare(load_catalogue(), price_map())
    assert result.shared >= 20, f"only {result.shared} catalogue models found in LiteLLM's map"
    report = text_report(result)
    print("\n" + report + "\n\n" + markdown_report(result))
    for d in result.found:
        warnings.warn(f"LiteLLM disagreement: {d.line().strip()}", stacklevel=1)
    assert not [d for d in result.found if d.fails], report
