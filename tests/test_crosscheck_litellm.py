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
import importlib.util
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

if importlib.util.find_spec("litellm") is None:
    pytest.skip("litellm is not installed (pip install '.[crosscheck]')", allow_module_level=True)

from estimators.prices import Catalogue, PriceRow, load_catalogue

ON = dt.date(2026, 12, 1)
PARTS = {"input": "input_cost_per_token", "output": "output_cost_per_token",
         "cache_read": "cache_read_input_token_cost"}
FX_BAND = 0.12  # a CNY list and a USD list of the same vendor differ by their exchange rate
# Where LiteLLM keeps each catalogue vendor's models (key prefixes, tried in order).
PREFIXES = {
    "openai": ("", "openai/"), "anthropic": ("", "anthropic/"), "google": ("gemini/",),
    "deepseek": ("deepseek/",), "qwen": ("dashscope/",), "moonshot": ("moonshot/",),
    "zhipu": ("bigmodel/",), "zai": ("zai/",), "mistral": ("mistral/",),
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
    ("deepseek/deepseek-chat", "output"): _ALIAS,
    ("deepseek/deepseek-chat", "cache_read"): _ALIAS,
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
    model: str
    part: str
    ours_usd: float
    theirs_usd: float
    fx_only: bool

    def line(self) -> str:
        kind = "exchange rate of two price lists" if self.fx_only else "price"
        verdict = REVIEWED.get((self.model, self.part), "NOT REVIEWED")
        if self.fx_only:  # LiteLLM keeps the vendor's USD list or its own conversion
            verdict = "both right: the vendor's USD list (or LiteLLM's rate) vs its CNY list"
        return (f"  {self.model} {self.part}: catalogue {self.ours_usd:.6g} USD, LiteLLM "
                f"{self.theirs_usd:.6g} USD ({kind}) -> {verdict}")


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


def compare(cat: Catalogue, prices: dict[str, dict]) -> tuple[int, list[Disagreement]]:
    """How many models were compared, and every price on which the two sides differ."""
    lower = {k.lower(): k for k in prices}
    shared = 0
    found: list[Disagreement] = []
    for model_id in cat.model_ids():
        row = cat.lookup(model_id, ON)
        entry = litellm_entry(row, prices, lower)
        if entry is None:
            continue
        shared += 1
        rate = cat.convert(1.0, row.currency, "USD", ON).rate
        for part, key in PARTS.items():
            ours, theirs = getattr(row, part), entry.get(key)
            if ours is None or theirs is None:
                continue
            ours_usd, theirs_usd = ours * rate, float(theirs) * 1e6
            if abs(ours_usd - theirs_usd) <= 1e-9 + 1e-6 * max(ours_usd, theirs_usd):
                continue
            gap = abs(ours_usd - theirs_usd) / max(ours_usd, theirs_usd)
            found.append(Disagreement(model_id, part, ours_usd, theirs_usd,
                                      row.currency != "USD" and gap <= FX_BAND))
    return shared, found


def test_catalogue_agrees_with_litellm() -> None:
    cat = load_catalogue()
    shared, found = compare(cat, price_map())
    assert shared >= 20, f"only {shared} catalogue models found in LiteLLM's map"
    head = f"LiteLLM cross-check on {ON}: {shared} shared models, {len(found)} disagreements"
    report = "\n".join([head] + [d.line() for d in found])
    print("\n" + report)
    for d in found:
        warnings.warn(f"LiteLLM disagreement: {d.line().strip()}", stacklevel=1)
    unreviewed = [d for d in found if not d.fx_only and (d.model, d.part) not in REVIEWED]
    assert not unreviewed, report
