"""Usage exports read into UsageRow/CostRow: OpenAI and Anthropic admin API pages, LiteLLM
spend logs (CSV or JSON) and scopecard's plain CSV.

Each format is one small function from a parsed file to rows; `read_usage` reads every file
(bounded, secret-checked), sniffs its format, joins API pages across files and refuses a bucket
given twice. Any bad value is an InputError naming the file and the row or field, so a caller
imports all of a set of files or nothing. The token convention is in rubrics.usage.rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gc
import io
import json
import math
import operator
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import chain, repeat
from pathlib import Path
from typing import Any, NoReturn

from estimators.currency import ISO_4217
from estimators.errors import InputError
from estimators.redact import find_secret
from estimators.safefile import decode_text, read_capped
from rubrics.usage.rows import CostRow, UsageRow, UsageSeries, usage_rows

MAX_USAGE_BYTES = 256 * 1024 * 1024  # a year of hourly buckets for hundreds of models fits
MAX_COUNT = 10**15  # far above any real bucket; keeps every sum exact in a float
UTC = dt.UTC

OPENAI_USAGE = "openai-usage"
OPENAI_COSTS = "openai-costs"
ANTHROPIC_USAGE = "anthropic-usage"
ANTHROPIC_COSTS = "anthropic-costs"
LITELLM_JSON = "litellm-json"
LITELLM_CSV = "litellm-csv"
PLAIN_CSV = "plain-csv"
FORMATS = (OPENAI_USAGE, OPENAI_COSTS, ANTHROPIC_USAGE, ANTHROPIC_COSTS, LITELLM_JSON, LITELLM_CSV,
           PLAIN_CSV)

PLAIN_COLUMNS = ("date", "model", "requests", "input_tokens", "cached_input_tokens",
                 "output_tokens", "cost", "currency")
PLAIN_OPTIONAL = ("tag", "project")
LITELLM_REQUIRED = ("request_id", "model", "spend", "prompt_tokens", "completion_tokens",
                    "startTime")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?")
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")
_SHAPES = ("OpenAI usage/costs API pages, Anthropic usage/cost report pages, LiteLLM spend logs "
           "(JSON list or CSV with request_id, spend, ...), or the plain CSV (header "
           + ",".join(PLAIN_COLUMNS) + "[,tag][,project])")


@dataclass(frozen=True)
class Page:
    """Where one API page sits in its chain: the span it covers and whether more follows."""

    file: str
    format: str
    first_start: dt.datetime | None
    last_end: dt.datetime | None
    has_more: bool
    next_page: str | None


def _fail(message: str, file: str, where: str | None = None) -> NoReturn:
    raise InputError(message, file=file, where=where)


def _shown(value: object) -> str:
    """A short repr of a bad value for a message (the file was checked for keys already)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ---- values ---------------------------------------------------------------------------------

def _count(value: object, file: str, where: str) -> int:
    """A JSON count: a whole number from 0 to MAX_COUNT."""
    if type(value) is int and 0 <= value <= MAX_COUNT:
        return value
    _fail(f"must be a whole number from 0 to {MAX_COUNT:,}; got {_shown(value)}", file, where)


def _opt_count(value: object, file: str, where: str) -> int:
    """An optional JSON count: missing or null is 0."""
    return 0 if value is None else _count(value, file, where)


def _text_count(text: str, file: str, where: str, column: str) -> int:
    """A CSV count: ASCII digits only (no sign, no decimals), at most MAX_COUNT."""
    if text.isascii() and text.isdigit() and len(text) <= 16 and int(text) <= MAX_COUNT:
        return int(text)
    _fail(f"{column} must be a whole number from 0 to {MAX_COUNT:,}; got {_shown(text)}",
          file, where)


def _text_cost(text: str, file: str, where: str, column: str) -> float:
    """A CSV amount: a finite decimal number of at least 0."""
    try:
        value = float(text) if "_" not in text else math.nan
    except ValueError:
        value = math.nan
    if math.isfinite(value) and value >= 0:
        return value
    _fail(f"{column} must be a finite number of at least 0; got {_shown(text)}", file, where)


def _json_cost(value: object, file: str, where: str, minimum: float | None = 0.0) -> float:
    """A JSON amount: a finite number (at least `minimum` unless None: credits are negative)."""
    if type(value) in (int, float) and math.isfinite(value):  # type: ignore[arg-type]
        number = float(value)  # type: ignore[arg-type]
        if minimum is None or number >= minimum:
            return number
    rule = "a finite number" + ("" if minimum is None else f" of at least {minimum:g}")
    _fail(f"must be {rule}; got {_shown(value)}", file, where)


@functools.cache
def convertible_currencies() -> frozenset[str]:
    """ISO 4217 codes the bundled FX rates can convert today (what a usage cost may be in)."""
    from estimators.fx import RateSet, bundled_rates

    return frozenset(RateSet(bundled_rates(), dt.date.today()).currencies()) & ISO_4217


def _currency(code: object, allowed: Collection[str], file: str, where: str) -> str:
    """An upper-case currency code the catalogue can convert (OpenAI writes "usd")."""
    if isinstance(code, str) and code.upper() in allowed:
        return code.upper()
    _fail(f"currency {_shown(code)} cannot be converted: use one of "
          f"{', '.join(sorted(allowed))} (ISO 4217 codes with an FX rate)", file, where)


def _opt_str(value: object, file: str, where: str) -> str | None:
    """An optional text field: null/missing/empty is None, anything but text is refused."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    _fail(f"must be text or null; got {_shown(value)}", file, where)


def _unix(value: object, file: str, where: str) -> dt.datetime:
    """A Unix time in seconds (OpenAI's bucket start_time/end_time) as an aware UTC datetime."""
    if type(value) is int and 0 <= value < 253402300800:  # before year 10000
        return dt.datetime.fromtimestamp(value, UTC)
    _fail(f"must be a Unix time in whole seconds; got {_shown(value)}", file, where)


def _stamp(value: object, file: str, where: str, naive_is_utc: bool = False) -> dt.datetime:
    """An RFC 3339 timestamp as an aware UTC datetime; strict: no dates alone, no other forms.

    `naive_is_utc`: LiteLLM's database keeps UTC times without an offset.
    """
    if isinstance(value, str) and (m := _STAMP.fullmatch(value)):
        if m.group(1) or naive_is_utc:
            try:
                stamp = dt.datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC)
    zone = "" if naive_is_utc else " with its UTC offset"
    _fail(f"must be an RFC 3339 timestamp such as 2025-01-08T00:00:00Z{zone}; got {_shown(value)}",
          file, where)


def _span(start: dt.datetime, end: dt.datetime, file: str, where: str) -> None:
    if end <= start:
        _fail(f"the bucket ends ({end.isoformat()}) before it starts ({start.isoformat()})",
              file, where)


def _cached_within(cached: int, cache_write: int, total: int, file: str, where: str) -> None:
    if cached + cache_write > total:
        _fail(f"cached input ({cached:,}) plus cache writes ({cache_write:,}) exceed all input "
              f"({total:,}); input_tokens counts every input token, cached ones included",
              file, where)


# ---- parsing and sniffing -------------------------------------------------------------------

def _parse_json(text: str, file: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        _fail(f"JSON syntax error: {e.msg}", file, f"line {e.lineno}, column {e.colno}")
    except RecursionError:
        _fail("JSON is nested too deeply", file)
    except ValueError as e:  # an integer of more than 4,300 digits
        _fail(f"JSON value cannot be read: {e}", file)


def _parse_csv(text: str, file: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        _fail(f"CSV cannot be read: {e}", file)


def _first_result(doc: dict[str, Any]) -> dict[str, Any] | None:
    for bucket in doc.get("data") or ():
        if isinstance(bucket, dict):
            for result in bucket.get("results") or ():
                if isinstance(result, dict):
                    return result
    return None


def _sniff_json(doc: Any) -> str | None:
    """The format of a parsed JSON document, or None when it is no known shape."""
    if isinstance(doc, list):
        head = doc[0] if doc else None
        if head is None or (isinstance(head, dict) and "request_id" in head and "spend" in head):
            return LITELLM_JSON
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        return None
    data = doc["data"]
    if doc.get("object") == "page":
        result = _first_result(doc)
        kind = result.get("object") if result else "organization.usage.completions.result"
        return {"organization.usage.completions.result": OPENAI_USAGE,
                "organization.costs.result": OPENAI_COSTS}.get(str(kind))
    head = data[0] if data else None
    if isinstance(head, dict) and "request_id" in head and "spend" in head:
        return LITELLM_JSON
    if head is None or (isinstance(head, dict) and "starting_at" in head and "has_more" in doc):
        result = _first_result(doc)
        if result is None or "uncached_input_tokens" in result:
            return ANTHROPIC_USAGE
        if "amount" in result:
            return ANTHROPIC_COSTS
    return None


def _sniff_csv(header: list[str]) -> str | None:
    names = set(header)
    if {"request_id", "spend"} <= names:
        return LITELLM_CSV
    if {"date", "model"} <= names:
        return PLAIN_CSV
    return None


def _decode(path: str, data: bytes) -> tuple[str, str, Any]:
    """(format, text, parsed payload) of a file's bytes; an unknown shape is an InputError."""
    text = decode_text(data, path)
    if not text.strip():
        _fail(f"the file is empty; expected {_SHAPES}", path)
    fmt: str | None
    if text.lstrip()[:1] in ("{", "["):
        payload: Any = _parse_json(text, path)
        fmt = _sniff_json(payload)
    else:
        payload = _parse_csv(text, path)
        fmt = _sniff_csv(payload[0]) if payload else None
    if fmt is None:
        _fail(f"unknown usage file shape; expected {_SHAPES}", path)
    return fmt, text, payload


def sniff(path: Path | str, data: bytes) -> str:
    """The format name (one of FORMATS) of a usage file's bytes; InputError if none fits."""
    return _decode(str(path), data)[0]


# ---- secrets ----------------------------------------------------------------------------------

def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every (field path, text) in a JSON value, keys included, depth first."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}.{key}" if where else str(key), str(key)
            yield from _strings(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}[{i}]")


def _refuse_secrets(text: str, fmt: str, payload: Any, file: str) -> None:
    """Refuse a file holding a key-shaped string, naming the field but never the key."""
    # Exports repeat the same few strings (models, projects, dates) hundreds of thousands of
    # times: scan each distinct CSV cell, or each comma-separated piece of JSON, once. A key
    # never holds a comma, so any match lies inside one piece, each starting its own line.
    pieces = chain.from_iterable(payload) if fmt in (LITELLM_CSV, PLAIN_CSV) else text.split(",")
    kind = find_secret("\n".join(set(pieces)))
    if kind is None:
        return
    where = None
    if fmt in (LITELLM_CSV, PLAIN_CSV):
        header = payload[0]
        for n, row in enumerate(payload, 1):
            hit = next((i for i, cell in enumerate(row) if find_secret(cell)), None)
            if hit is not None:
                column = header[hit] if hit < len(header) else f"column {hit + 1}"
                where = f"row {n}, {column}"
                break
    else:
        where = next((w for w, s in _strings(payload, "") if find_secret(s)), None)
    _fail(f"holds {kind}; remove it and export again (the key is not shown, stored or "
          "imported; nothing was read from this file)", file, where)


# ---- OpenAI -------------------------------------------------------------------------------------

def _buckets(doc: dict[str, Any], file: str, start_key: str, end_key: str,
             to_time: Callable[[object, str, str], dt.datetime]
             ) -> Iterator[tuple[str, dt.datetime, dt.datetime, list[Any]]]:
    """(locator, start, end, results) of each bucket of an API page."""
    for i, bucket in enumerate(doc["data"]):
        loc = f"data[{i}]"
        if not isinstance(bucket, dict):
            _fail(f"a bucket must be an object; got {_shown(bucket)}", file, loc)
        start = to_time(bucket.get(start_key), file, f"{loc}.{start_key}")
        end = to_time(bucket.get(end_key), file, f"{loc}.{end_key}")
        _span(start, end, file, loc)
        results = bucket.get("results")
        if not isinstance(results, list):
            _fail(f"results must be a list; got {_shown(results)}", file, f"{loc}.results")
        yield loc, start, end, results


def _page(doc: dict[str, Any], fmt: str, file: str,
          spans: list[tuple[dt.datetime, dt.datetime]]) -> Page:
    """The page's place in its chain (has_more/next_page as documented, null on the last)."""
    has_more = doc.get("has_more", False)
    if not isinstance(has_more, bool):
        _fail(f"must be true or false; got {_shown(has_more)}", file, "has_more")
    next_page = _opt_str(doc.get("next_page"), file, "next_page")
    return Page(file, fmt, min((s for s, _ in spans), default=None),
                max((e for _, e in spans), default=None), has_more,
                next_page if has_more else None)


def _results(doc: dict[str, Any], file: str, start_key: str, end_key: str,
             to_time: Callable[[object, str, str], dt.datetime],
             spans: list[tuple[dt.datetime, dt.datetime]]
             ) -> Iterator[tuple[str, dt.datetime, dt.datetime, Any]]:
    """(locator, start, end, result) of every result of an API page; bucket spans go to
    `spans` for the page chain."""
    for loc, start, end, results in _buckets(doc, file, start_key, end_key, to_time):
        spans.append((start, end))
        for j, result in enumerate(results):
            yield f"{loc}.results[{j}]", start, end, result


def _object(value: Any, file: str, at: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(f"a result must be an object; got {_shown(value)}", file, at)
    return value


def _result(result: Any, kind: str, file: str, loc: str) -> dict[str, Any]:
    if not isinstance(result, dict) or result.get("object", kind) != kind:
        _fail(f"expected an {kind!r} object; got {_shown(result)}", file, loc)
    return result


def _model(value: object, file: str, where: str) -> str:
    model = _opt_str(value, file, where)
    if model is None:
        _fail("no model: export usage grouped by model (group_by=model)", file, where)
    return model


def _openai_result(r: Any, file: str, at: str
                   ) -> tuple[str, int, int, int, int, str | None, str | None, str | None]:
    """(model, requests, input, cached, output, project, key, variant) of one usage result,
    checked field by field so that an error names the bad field."""
    r = _result(r, "organization.usage.completions.result", file, at)
    total = _count(r.get("input_tokens"), file, f"{at}.input_tokens")
    cached = _opt_count(r.get("input_cached_tokens"), file, f"{at}.input_cached_tokens")
    _cached_within(cached, 0, total, file, at)
    groups = ("batch" if r.get("batch") is True else None,
              _opt_str(r.get("service_tier"), file, f"{at}.service_tier"),
              _opt_str(r.get("user_id"), file, f"{at}.user_id"))
    return (_model(r.get("model"), file, f"{at}.model"),
            _count(r.get("num_model_requests"), file, f"{at}.num_model_requests"), total, cached,
            _count(r.get("output_tokens"), file, f"{at}.output_tokens"),
            _opt_str(r.get("project_id"), file, f"{at}.project_id"),
            _opt_str(r.get("api_key_id"), file, f"{at}.api_key_id"),
            ",".join(g for g in groups if g) or None)


_OPENAI_COUNTS = operator.itemgetter("num_model_requests", "input_tokens", "output_tokens")
_OPENAI_IDS = operator.itemgetter("model", "project_id", "api_key_id")
_NONE_TYPES = {str, type(None)}


def _openai_bucket(results: list[Any], start: dt.datetime, end: dt.datetime, file: str,
                   loc: str) -> list[UsageRow] | None:
    """A bucket's results checked column by column (the common case: ints, text ids, no batch,
    tier or user grouping), or None when anything needs the result-by-result checks."""
    if set(map(type, results)) - {dict}:
        return None
    try:
        counts = list(zip(*map(_OPENAI_COUNTS, results), strict=True))
        ids = list(zip(*map(_OPENAI_IDS, results), strict=True))
    except KeyError:
        return None
    get = operator.methodcaller
    cached = list(map(get("get", "input_cached_tokens", 0), results))
    if not counts:
        return []
    (requests, total, output), (models, projects, keys) = counts, ids
    flat = (*requests, *total, *output, *cached)
    if (set(map(type, flat)) != {int} or min(flat) < 0 or max(flat) > MAX_COUNT
            or not all(map(operator.le, cached, total))
            or set(map(type, models)) != {str} or not all(models)
            or set(map(type, projects)) - _NONE_TYPES or set(map(type, keys)) - _NONE_TYPES
            or set(map(get("get", "object"), results)) != {"organization.usage.completions.result"}
            or set(map(get("get", "batch"), results)) - {None, False}
            or set(map(get("get", "service_tier"), results)) != {None}
            or set(map(get("get", "user_id"), results)) != {None}):
        return None
    n = len(results)
    return usage_rows(repeat(start, n), repeat(end, n), models, requests, total, cached,
                      repeat(0, n), output, repeat(None, n), repeat(None, n),
                      [p or None for p in projects], [k or None for k in keys], repeat(None, n),
                      repeat(None, n), repeat(OPENAI_USAGE, n), repeat(file, n),
                      [f"{loc}.results[{j}]" for j in range(n)])


def read_openai_usage(doc: dict[str, Any], file: str, currencies: Collection[str]
                      ) -> tuple[list[UsageRow], list[CostRow], Page]:
    """An OpenAI /v1/organization/usage/completions page (buckets of per-model results).

    OpenAI's input_tokens already include input_cached_tokens, so they are taken as they are.
    """
    rows: list[UsageRow] = []
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for loc, start, end, results in _buckets(doc, file, "start_time", "end_time", _unix):
        spans.append((start, end))
        fast = _openai_bucket(results, start, end, file, loc)
        if fast is not None:
            rows.extend(fast)
            continue
        for j, raw in enumerate(results):
            at = f"{loc}.results[{j}]"
            model, req, total, cached, out, project, key, variant = _openai_result(raw, file, at)
            rows.append(UsageRow(start, end, model, req, total, cached, 0, out, None, None,
                                 project, key, None, variant, OPENAI_USAGE, file, at))
    return rows, [], _page(doc, OPENAI_USAGE, file, spans)


def read_openai_costs(doc: dict[str, Any], file: str, currencies: Collection[str]
                      ) -> tuple[list[UsageRow], list[CostRow], Page]:
    """An OpenAI /v1/organization/costs page: amount.value in amount.currency (lower case)."""
    kind = "organization.costs.result"
    costs: list[CostRow] = []
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for at, start, end, raw in _results(doc, file, "start_time", "end_time", _unix, spans):
        r = _result(raw, kind, file, at)
        amount = r.get("amount")
        if not isinstance(amount, dict):
            _fail(f"amount must be an object with value and currency; got {_shown(amount)}",
                  file, f"{at}.amount")
        costs.append(CostRow(
            start, end, _json_cost(amount.get("value"), file, f"{at}.amount.value", None),
            _currency(amount.get("currency"), currencies, file, f"{at}.amount.currency"),
            None, _opt_str(r.get("project_id"), file, f"{at}.project_id"),
            _opt_str(r.get("line_item"), file, f"{at}.line_item"), OPENAI_COSTS, file, at))
    return [], costs, _page(doc, OPENAI_COSTS, file, spans)


# ---- Anthropic ----------------------------------------------------------------------------------

def _anthropic_variant(r: dict[str, Any], file: str, at: str) -> str | None:
    parts = (_opt_str(r.get(k), file, f"{at}.{k}") for k in ("service_tier", "context_window"))
    return ",".join(p for p in parts if p) or None


def _cache_creation(r: dict[str, Any], file: str, at: str) -> int:
    """Cache writes: the documented `cache_creation` object (5-minute and 1-hour TTL), or the
    same two counts written flat."""
    nested = r.get("cache_creation")
    if nested is None:
        return sum(_opt_count(r.get(k), file, f"{at}.{k}")
                   for k in ("cache_creation_5m_input_tokens", "cache_creation_1h_input_tokens"))
    if not isinstance(nested, dict):
        _fail(f"must be an object; got {_shown(nested)}", file, f"{at}.cache_creation")
    return sum(_opt_count(nested.get(k), file, f"{at}.cache_creation.{k}")
               for k in ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"))


def read_anthropic_usage(doc: dict[str, Any], file: str, currencies: Collection[str]
                         ) -> tuple[list[UsageRow], list[CostRow], Page]:
    """An Anthropic /v1/organizations/usage_report/messages page.

    Anthropic counts uncached input, cache reads and cache creation apart; input_tokens here is
    their sum. The report counts no requests (requests is None).
    """
    rows: list[UsageRow] = []
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for at, start, end, raw in _results(doc, file, "starting_at", "ending_at", _stamp, spans):
        r = _object(raw, file, at)
        uncached = _count(r.get("uncached_input_tokens"), file, f"{at}.uncached_input_tokens")
        reads = _opt_count(r.get("cache_read_input_tokens"), file, f"{at}.cache_read_input_tokens")
        writes = _cache_creation(r, file, at)
        rows.append(UsageRow(
            start, end, _model(r.get("model"), file, f"{at}.model"), None,
            uncached + reads + writes, reads, writes,
            _count(r.get("output_tokens"), file, f"{at}.output_tokens"), None, None,
            _opt_str(r.get("workspace_id"), file, f"{at}.workspace_id"),
            _opt_str(r.get("api_key_id"), file, f"{at}.api_key_id"), None,
            _anthropic_variant(r, file, at), ANTHROPIC_USAGE, file, at))
    return rows, [], _page(doc, ANTHROPIC_USAGE, file, spans)


def _cents(value: object, file: str, where: str) -> float:
    """Anthropic's amount: a decimal string in cents (the currency's minor unit) -> major units."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        try:
            return float(Decimal(value) / 100)
        except InvalidOperation:
            pass
    _fail(f"must be a decimal amount in cents written as text, such as \"123.45\"; got "
          f"{_shown(value)}", file, where)


def read_anthropic_costs(doc: dict[str, Any], file: str, currencies: Collection[str]
                         ) -> tuple[list[UsageRow], list[CostRow], Page]:
    """An Anthropic /v1/organizations/cost_report page (amounts in cents, as text)."""
    costs: list[CostRow] = []
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for at, start, end, raw in _results(doc, file, "starting_at", "ending_at", _stamp, spans):
        r = _object(raw, file, at)
        parts = (_opt_str(r.get(k), file, f"{at}.{k}")
                 for k in ("description", "cost_type", "token_type", "service_tier",
                           "context_window"))
        costs.append(CostRow(
            start, end, _cents(r.get("amount"), file, f"{at}.amount"),
            _currency(r.get("currency", "USD"), currencies, file, f"{at}.currency"),
            _opt_str(r.get("model"), file, f"{at}.model"),
            _opt_str(r.get("workspace_id"), file, f"{at}.workspace_id"),
            " / ".join(p for p in parts if p) or None, ANTHROPIC_COSTS, file, at))
    return [], costs, _page(doc, ANTHROPIC_COSTS, file, spans)


# ---- LiteLLM ------------------------------------------------------------------------------------

def _json_field(value: object, file: str, where: str) -> Any:
    """A JSON column of a CSV export (metadata, request_tags), or the value itself in JSON."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        _fail(f"is not valid JSON: {_shown(value)}", file, where)


def _litellm_cache(metadata: Any, file: str, where: str) -> tuple[int, int]:
    """(cache reads, cache writes) from metadata.usage_object when the proxy logged it."""
    usage = metadata.get("usage_object") if isinstance(metadata, dict) else None
    if not isinstance(usage, dict):
        return 0, 0
    details = usage.get("prompt_tokens_details")
    reads = details.get("cached_tokens") if isinstance(details, dict) else None
    where = f"{where}.usage_object"
    return (_opt_count(reads, file, f"{where}.prompt_tokens_details.cached_tokens"),
            _opt_count(usage.get("cache_creation_input_tokens"), file,
                       f"{where}.cache_creation_input_tokens"))


def _litellm_tag(tags: Any, metadata: Any) -> str | None:
    """request_tags (or metadata.tags) joined with commas, as the proxy logged them."""
    if not isinstance(tags, list) or not tags:
        tags = metadata.get("tags") if isinstance(metadata, dict) else None
    if isinstance(tags, list):
        return ",".join(str(t) for t in tags) or None
    return None


def _litellm_row(r: dict[str, Any], fmt: str, file: str, at: str, count: Callable[..., int],
                 cost: Callable[..., float]) -> UsageRow:
    """One LiteLLM_SpendLogs row: one request, prompt_tokens in OpenAI's convention (cached
    tokens included), spend in USD (LiteLLM prices every model in USD)."""
    start = _stamp(r.get("startTime"), file, f"{at}.startTime", naive_is_utc=True)
    end = (_stamp(r["endTime"], file, f"{at}.endTime", naive_is_utc=True)
           if r.get("endTime") else start)
    metadata = _json_field(r.get("metadata"), file, f"{at}.metadata")
    total = count(r.get("prompt_tokens"), file, f"{at}.prompt_tokens")
    reads, writes = _litellm_cache(metadata, file, f"{at}.metadata")
    _cached_within(reads, writes, total, file, at)
    return UsageRow(
        start, max(start, end), _model(r.get("model"), file, f"{at}.model"), 1, total, reads,
        writes, count(r.get("completion_tokens"), file, f"{at}.completion_tokens"),
        cost(r.get("spend"), file, f"{at}.spend"), "USD",
        _opt_str(r.get("team_id"), file, f"{at}.team_id"),
        _opt_str(r.get("api_key"), file, f"{at}.api_key"),
        _litellm_tag(_json_field(r.get("request_tags"), file, f"{at}.request_tags"), metadata),
        None, fmt, file, at)


def read_litellm_json(doc: Any, file: str, currencies: Collection[str]
                      ) -> tuple[list[UsageRow], list[CostRow], None]:
    """LiteLLM spend logs as JSON: a list of LiteLLM_SpendLogs rows (or {"data": [...]})."""
    items = doc if isinstance(doc, list) else doc["data"]
    rows = []
    for i, r in enumerate(items):
        at = f"[{i}]"
        if not isinstance(r, dict):
            _fail(f"a spend log row must be an object; got {_shown(r)}", file, at)
        missing = [k for k in LITELLM_REQUIRED if k not in r]
        if missing:
            _fail(f"missing {', '.join(missing)} (a LiteLLM_SpendLogs row has "
                  f"{', '.join(LITELLM_REQUIRED)})", file, at)
        rows.append(_litellm_row(r, LITELLM_JSON, file, at, _count, _json_cost))
    return rows, [], None


def _header(rows: list[list[str]], required: Iterable[str], file: str) -> list[str]:
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        _fail(f"the header lacks {', '.join(missing)}; it must name {', '.join(required)}",
              file, "row 1")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        _fail(f"the header names {', '.join(dupes)} twice", file, "row 1")
    return header


def read_litellm_csv(table: list[list[str]], file: str, currencies: Collection[str]
                     ) -> tuple[list[UsageRow], list[CostRow], None]:
    """LiteLLM spend logs exported to CSV (columns named as in LiteLLM_SpendLogs)."""
    header = _header(table, LITELLM_REQUIRED, file)

    def count(text: object, file: str, where: str) -> int:
        return _text_count(str(text or ""), file, where.split(".")[0], where.split(".")[-1])

    def cost(text: object, file: str, where: str) -> float:
        return _text_cost(str(text or ""), file, where.split(".")[0], where.split(".")[-1])

    rows = []
    for n, cells in enumerate(table[1:], 2):
        if not any(cells):
            continue
        if len(cells) != len(header):
            _fail(f"has {len(cells)} cells; the header has {len(header)}", file, f"row {n}")
        record = dict(zip(header, cells, strict=True))
        rows.append(_litellm_row(record, LITELLM_CSV, file, f"row {n}", count, cost))
    return rows, [], None


# ---- plain CSV ----------------------------------------------------------------------------------

def _plain_day(text: str, days: dict[str, tuple[dt.datetime, dt.datetime]], file: str,
               where: str) -> tuple[dt.datetime, dt.datetime]:
    """A YYYY-MM-DD day as (midnight UTC, next midnight); parsed once per distinct day."""
    span = days.get(text)
    if span is None:
        try:
            day = dt.date.fromisoformat(text) if _DATE.fullmatch(text) else None
        except ValueError:
            day = None
        if day is None:
            _fail(f"date must be a day written YYYY-MM-DD (UTC); got {_shown(text)}", file, where)
        start = dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
        span = days[text] = (start, start + dt.timedelta(days=1))
    return span


def read_plain_csv(table: list[list[str]], file: str, currencies: Collection[str]
                   ) -> tuple[list[UsageRow], list[CostRow], None]:
    """scopecard's plain CSV: one row per day and model (README, "Usage files").

    Columns: date (YYYY-MM-DD, UTC), model, requests, input_tokens (all input, cached
    included), cached_input_tokens, output_tokens, cost (empty when unknown), currency (empty
    when cost is), and optional tag and project.
    """
    header = _header(table, PLAIN_COLUMNS, file)
    extra = [h for h in header if h not in PLAIN_COLUMNS + PLAIN_OPTIONAL]
    if extra:
        _fail(f"unknown column {', '.join(extra)}; the columns are {', '.join(PLAIN_COLUMNS)} "
              f"and optionally {', '.join(PLAIN_OPTIONAL)}", file, "row 1")
    body = [c for c in table[1:] if c]  # csv.reader gives [] for a blank line
    numbers = range(2, len(body) + 2) if len(body) == len(table) - 1 else \
        [n for n, c in enumerate(table[1:], 2) if c]
    rows = _plain_columns(header, body, numbers, file, currencies)
    # None: some value is off; the row-by-row reader names the first bad row and cell.
    return (rows if rows is not None else _plain_rows(header, body, numbers, file, currencies)), \
        [], None


def _digit_column(cells: tuple[str, ...]) -> list[int] | None:
    """A column of counts as ints when every cell is 1-15 ASCII digits, else None."""
    if not all(cells) or max(map(len, cells), default=0) > 15:
        return None
    joined = "".join(cells)
    return list(map(int, cells)) if joined.isdigit() and joined.isascii() else None


def _cost_column(costs: tuple[str, ...], currencies: tuple[str, ...], allowed: Collection[str]
                 ) -> list[float | None] | None:
    """Costs as floats (None where both cost and currency are empty), else None if any is off."""
    if list(map(bool, costs)) != list(map(bool, currencies)) or "_" in "".join(costs):
        return None
    if not set(currencies) - {""} <= set(allowed):
        return None
    try:
        values = [float(x) if x else None for x in costs]
    except ValueError:
        return None
    given = [v for v in values if v is not None]
    if not all(map(math.isfinite, given)) or min(given, default=0.0) < 0:
        return None
    return values


def _plain_columns(header: list[str], body: list[list[str]], numbers: Iterable[int], file: str,
                   allowed: Collection[str]) -> list[UsageRow] | None:
    """The plain CSV checked column by column (C-speed for a year of rows), or None when any
    cell is off."""
    if set(map(len, body)) - {len(header)}:
        return None
    n = len(body)
    cols = dict(zip(header, zip(*body, strict=True), strict=True)) if body else {h: () for h in header}
    dates, models, *counts = (cols[c] for c in PLAIN_COLUMNS[:6])
    ints = [i for i in map(_digit_column, counts) if i is not None]
    costs = _cost_column(cols["cost"], cols["currency"], allowed)
    if not all(models) or costs is None or len(ints) < len(counts):
        return None
    requests, total, cached, output = ints
    # no count can pass MAX_COUNT: _digit_column took at most 15 digits
    if not all(map(operator.le, cached, total)):
        return None
    days: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    try:
        for day in set(dates):
            _plain_day(day, days, file, "")
    except InputError:
        return None
    spans = list(map(days.__getitem__, dates))
    none: list[str | None] = [None] * n
    def optional(name: str) -> list[str | None]:
        return [x or None for x in cols[name]] if name in cols else none
    return usage_rows(map(operator.itemgetter(0), spans), map(operator.itemgetter(1), spans),
                      models, requests, total, cached, repeat(0, n), output, costs,
                      [c or None for c in cols["currency"]], optional("project"), none,
                      optional("tag"), none, repeat(PLAIN_CSV, n), repeat(file, n),
                      [f"row {i}" for i in numbers])


def _plain_rows(header: list[str], body: list[list[str]], numbers: Iterable[int], file: str,
                currencies: Collection[str]) -> list[UsageRow]:
    """The plain CSV row by row: slow, but names the first bad row and cell."""
    ix = {name: header.index(name) for name in header}
    i_date, i_model, i_req, i_in, i_cached, i_out, i_cost, i_cur = (ix[c] for c in PLAIN_COLUMNS)
    i_tag, i_project = ix.get("tag"), ix.get("project")
    width = len(header)
    days: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    rows = []
    for n, c in zip(numbers, body, strict=True):
        where = f"row {n}"
        if len(c) != width:
            _fail(f"has {len(c)} cells; the header has {width}", file, where)
        start, end = _plain_day(c[i_date], days, file, where)
        model = c[i_model]
        if not model:
            _fail("model is empty", file, where)
        requests, total, cached, output = _plain_counts(
            c[i_req], c[i_in], c[i_cached], c[i_out], file, where)
        money, cur = c[i_cost], c[i_cur]
        if money or cur:
            if not (money and cur):
                _fail("cost and currency go together: give both or leave both empty", file, where)
            if cur not in currencies:
                _currency(cur, currencies, file, where)
        rows.append(UsageRow(
            start, end, model, requests, total, cached, 0, output,
            _text_cost(money, file, where, "cost") if money else None, cur or None,
            (c[i_project] or None) if i_project is not None else None, None,
            (c[i_tag] or None) if i_tag is not None else None, None, PLAIN_CSV, file, where))
    return rows


def _plain_counts(requests: str, total: str, cached: str, output: str, file: str, where: str
                  ) -> tuple[int, int, int, int]:
    """The four counts of a plain-CSV row, checked at once (the common case is one test)."""
    try:
        # ASCII digits only: no sign, space, underscore or other script's digits, which int()
        # would accept; an empty cell fails int().
        if not ((joined := requests + total + cached + output).isdigit() and joined.isascii()):
            raise ValueError
        counts = int(requests), int(total), int(cached), int(output)
    except ValueError:
        counts = (0, 0, 0, 0)
    if max(counts) > MAX_COUNT or counts == (0, 0, 0, 0):
        counts = tuple(_text_count(text, file, where, column)  # type: ignore[assignment]
                       for text, column in ((requests, "requests"), (total, "input_tokens"),
                                            (cached, "cached_input_tokens"),
                                            (output, "output_tokens")))
    if counts[2] > counts[1]:
        _cached_within(counts[2], 0, counts[1], file, where)
    return counts


_READERS: dict[str, Callable[[Any, str, Collection[str]],
                             tuple[list[UsageRow], list[CostRow], Page | None]]] = {
    OPENAI_USAGE: read_openai_usage,
    OPENAI_COSTS: read_openai_costs,
    ANTHROPIC_USAGE: read_anthropic_usage,
    ANTHROPIC_COSTS: read_anthropic_costs,
    LITELLM_JSON: read_litellm_json,
    LITELLM_CSV: read_litellm_csv,
    PLAIN_CSV: read_plain_csv,
}


# ---- joining files --------------------------------------------------------------------------------

def _when(t: dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _check_chain(pages: list[Page]) -> list[str]:
    """Warnings for pages a chain points to that no file supplies; a page given twice is an
    InputError naming both files.

    A response does not carry its own cursor, so pages are matched by time: the page after one
    with has_more starts where that one's last bucket ends (buckets are contiguous).
    """
    warnings: list[str] = []
    seen: dict[tuple[str, str], Page] = {}
    for page in pages:
        if page.next_page is not None:
            other = seen.setdefault((page.format, page.next_page), page)
            if other is not page:
                _fail(f"this page is also given as {other.file} (both point to the same next "
                      "page): give each page once", page.file)
    starts = {(p.format, p.first_start) for p in pages}
    for page in pages:
        if page.has_more and (page.format, page.last_end) not in starts:
            after = f" after {_when(page.last_end)}" if page.last_end else ""
            warnings.append(f"{page.file}: page missing: the {page.format} page says more "
                            f"follows{after} (next_page), but no file given starts there")
    return warnings


_start = operator.attrgetter("start")
_end = operator.attrgetter("end")


def _on_one_grid(rows: list[UsageRow] | list[CostRow] | list[UsageRow | CostRow]) -> bool:
    """True when every bucket has the same width and starts a whole number of widths after
    the first (daily rows of a year: 365 distinct spans to look at, not 365,000 rows)."""
    spans = set(zip(map(_start, rows), map(_end, rows), strict=True))
    if not spans:
        return True
    widths = {end - start for start, end in spans}
    if len(widths) != 1:
        return False
    width = widths.pop()
    origin = min(start for start, _ in spans)
    return all((start - origin) % width == dt.timedelta(0) for start, _ in spans)


def _describe(row: UsageRow | CostRow) -> str:
    """The series a row belongs to, in words ("model gpt-4o, project proj_1")."""
    if isinstance(row, UsageRow):
        parts = [("model", row.model), ("project", row.project), ("key", row.api_key_id),
                 ("tag", row.tag), ("group", row.variant)]
    else:
        parts = [("model", row.model), ("project", row.project), ("line item", row.line_item)]
    return ", ".join(f"{name} {value}" for name, value in parts if value) or "the whole organization"


def _check_overlaps(rows: Iterable[UsageRow | CostRow], fields: tuple[str, ...], what: str
                    ) -> None:
    """Refuse two buckets of the same series (the row's `fields`: model, project, key, ...)
    that overlap in time."""
    rows = list(rows)
    key = operator.attrgetter(*fields)
    bucket = operator.attrgetter(*fields, "start")  # one flat tuple per row to hash
    # Buckets of one width on one grid overlap only when they are the same bucket.
    if _on_one_grid(rows) and len(set(map(bucket, rows))) == len(rows):
        return
    series: dict[tuple[Any, ...], list[UsageRow | CostRow]] = {}
    for row in rows:
        series.setdefault(key(row), []).append(row)
    for items in series.values():
        if len(items) < 2:
            continue
        items.sort(key=_start)
        last = items[0]
        for row in items[1:]:
            if row.start < last.end:
                a, b = (last, row) if (last.file, last.locator) <= (row.file, row.locator) \
                    else (row, last)
                same = "the same file" if a.file == b.file else b.file
                _fail(f"{what} {_when(row.start)}..{_when(row.end)} for {_describe(row)} overlaps "
                      f"{same} at {b.locator} ({_when(last.start)}..{_when(last.end)}): a bucket "
                      "was imported twice; give each page or day once", a.file, a.locator)
            if row.end > last.end:
                last = row


# The series a bucket belongs to; rows of different vendors' exports never overlap each other.
_USAGE_SERIES = ("format", "model", "project", "api_key_id", "tag", "variant")
_COST_SERIES = ("format", "model", "project", "line_item")


def _request_ids(fmt: str, payload: Any) -> Iterator[tuple[str, str]]:
    """(request_id, locator) of each LiteLLM spend log row, in the readers' locator spelling."""
    if fmt == LITELLM_JSON:
        items = payload if isinstance(payload, list) else payload["data"]
        for i, r in enumerate(items):
            yield str(r["request_id"]), f"[{i}]"
    else:
        col = [h.strip() for h in payload[0]].index("request_id")
        for n, cells in enumerate(payload[1:], 2):
            if any(cells):
                yield cells[col], f"row {n}"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk read.

    A year of rows is hundreds of thousands of objects that all live on; the collector would
    walk them again and again (doubling the read time) and find nothing to free.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_usage(paths: Iterable[Path | str], currencies: Collection[str] | None = None
               ) -> UsageSeries:
    """Read usage files into one series; any bad file is an InputError (nothing is returned).

    `currencies`: the codes a cost may be in (default: what the bundled FX rates convert).
    Pages of the OpenAI and Anthropic APIs are joined across files; a missing page is a
    warning, a page or bucket given twice an error naming both files.
    """
    return read_usage_data(((str(p), read_capped(p, MAX_USAGE_BYTES)) for p in paths),
                           currencies)


def read_usage_data(files: Iterable[tuple[str, bytes]], currencies: Collection[str] | None = None
                    ) -> UsageSeries:
    """`read_usage` of (name, bytes) pairs already read (a workspace's kept files)."""
    with gc_paused():
        return _read_usage(files, currencies)


def _read_usage(files: Iterable[tuple[str, bytes]], currencies: Collection[str] | None
                ) -> UsageSeries:
    allowed = convertible_currencies() if currencies is None else currencies
    series = UsageSeries()
    pages: list[Page] = []
    requests: dict[str, tuple[str, str]] = {}  # LiteLLM request_id -> (file, locator)
    buckets: list[UsageRow] = []  # the rows of bucketed exports (a spend log has requests)
    for file, data in files:
        fmt, text, payload = _decode(file, data)
        _refuse_secrets(text, fmt, payload, file)
        rows, costs, page = _READERS[fmt](payload, file, allowed)
        if fmt in (LITELLM_JSON, LITELLM_CSV):
            for rid, at in _request_ids(fmt, payload):
                other = requests.setdefault(rid, (file, at))
                if other != (file, at):
                    _fail(f"request {rid!r} is also in {other[0]} at {other[1]}: a spend log "
                          "was imported twice", file, at)
        else:
            buckets.extend(rows)
        series.formats[file] = fmt
        series.rows.extend(rows)
        series.costs.extend(costs)
        if page is not None:
            pages.append(page)
    series.warnings.extend(_check_chain(pages))
    _check_overlaps(buckets, _USAGE_SERIES, "the bucket")
    _check_overlaps(series.costs, _COST_SERIES, "the cost bucket")
    return series
