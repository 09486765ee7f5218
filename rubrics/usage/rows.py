"""Typed usage rows: one convention for every vendor's export.

Token convention (the one every importer converts to):

- `input_tokens` counts ALL input tokens of the bucket: uncached input, cache reads and cache
  writes. OpenAI's `input_tokens` already includes `input_cached_tokens`; Anthropic reports
  uncached input, cache reads and cache creation apart, so they are added up here.
- `cached_input_tokens` are cache reads, a subset of `input_tokens`.
- `cache_write_tokens` are input tokens written to the cache (billed as writes where a vendor
  bills them), also a subset of `input_tokens`.
- `output_tokens` include reasoning tokens (every vendor bills them as output).

Times are aware UTC datetimes; a bucket runs from `start` (inclusive) to `end` (exclusive).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, NamedTuple


class UsageRow(NamedTuple):
    """One bucket (or one request) of one model's usage, as a file reported it.

    A NamedTuple rather than a frozen dataclass: a year of daily rows is ~365k of them, and a
    tuple is built several times faster (benchmarks/bench_usage.py), immutable all the same.

    `model` is the name as written in the file (map it with rubrics.usage.model_map).
    `requests` is None where the format does not count requests (Anthropic's usage report).
    `cost`/`currency` are None where the format carries no money (OpenAI and Anthropic report
    cost in a separate Costs API, read into CostRow). `variant` keeps a grouping the file splits
    a bucket by that is not a model, project or key (batch, service tier, context window), so
    two such rows of one bucket are not taken for an overlap. Provenance: `format` (a name from
    rubrics.usage.formats.FORMATS), `file` and `locator` ("row 12", "data[3].results[0]").
    """

    start: dt.datetime
    end: dt.datetime
    model: str
    requests: int | None
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    cost: float | None
    currency: str | None
    project: str | None
    api_key_id: str | None
    tag: str | None
    variant: str | None
    format: str
    file: str
    locator: str


def usage_rows(*columns: Iterable[Any]) -> list[UsageRow]:
    """UsageRows from one iterable per field, in UsageRow's field order.

    tuple.__new__ over zipped columns runs in C; calling UsageRow itself runs NamedTuple's
    Python-level __new__ once per row (twice the time for a year of rows). Same rows.
    """
    return list(map(tuple.__new__, repeat(UsageRow), zip(*columns, strict=True)))


@dataclass(frozen=True, slots=True)
class CostRow:
    """One bucket of money from a costs export (OpenAI Costs API, Anthropic cost report).

    `amount` is in `currency` major units (Anthropic's cents are divided by 100). `line_item`
    is the vendor's description of what was billed (a model, a token type, a tool).
    """

    start: dt.datetime
    end: dt.datetime
    amount: float
    currency: str
    model: str | None
    project: str | None
    line_item: str | None
    format: str
    file: str
    locator: str


@dataclass
class UsageSeries:
    """Everything read from a set of usage files: usage rows, cost rows and warnings."""

    rows: list[UsageRow] = field(default_factory=list)
    costs: list[CostRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)  # file -> format name
