"""Currency conversion: dated FX rows and the one rule every conversion in scopecard follows.

Rows come from three places: the bundled ECB reference rates (`data/fx.toml`, written by
tools/seed_fx.py), the price catalogue's own `[[fx]]` rows, and the workspace's
`prices.local.toml`, whose `[[fx]]` rows are pins (origin "local").

The rule (docs/DECISIONS.md, "FX"): on a date `as_of`, only rows dated on or before it count.
Every currency is hung from one row into a tree grown from the common base (EUR): repeatedly,
the best row that links a currency already placed to one not yet placed is taken, best meaning
a local pin first, then the newest date, then a row with EUR on one side, then one with USD on
the other, then by currency codes and the later-loaded row. A conversion multiplies the rows
on the one path between its two currencies, so it is the direct row, its inverse, a cross
through EUR or a longer chain, and every conversion of that day agrees with every other
(X->Y->Z equals X->Z). That is what keeps the report currency from changing a decision: all
costs are scaled by one consistent set of rates.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from estimators.bounds import finite
from estimators.currency import Currency
from estimators.errors import InputError
from estimators.paths import PACKAGE_DATA
from estimators.safefile import parse_toml, read_text

BUNDLED_FX = PACKAGE_DATA / "fx.toml"
FX_SCHEMA = "scopecard.fx/1"
MAX_FX_BYTES = 5_000_000
COMMON_BASE = "EUR"
STALE_AFTER_DAYS = 45
# 1 base = rate quote; the inverse must stay finite too, and real rates lie well inside
FxRateValue = finite(ge=1e-9, le=1e9)

class FxRate(BaseModel):
    """1 `base` = `rate` `quote`, as of `date`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: Currency
    quote: Currency
    rate: FxRateValue  # type: ignore[valid-type]
    date: dt.date
    source: str = Field(min_length=1)
    origin: Literal["bundled", "local"] = "bundled"  # local: a pin from prices.local.toml

    @model_validator(mode="after")
    def _two_currencies(self) -> FxRate:
        if self.base == self.quote:
            raise ValueError(f"base and quote are both {self.base}: a rate links two currencies")
        return self


class FxFile(BaseModel):
    """The bundled rates file: rows without a `source` take the file's."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: Literal["scopecard.fx/1"] = Field(alias="schema")
    version: str
    source: str = Field(min_length=1)
    fx: list[FxRate]


def parse_fx_file(text: str, name: str) -> FxFile:
    """Validate a scopecard.fx/1 document; errors name the file, row and field."""
    data = parse_toml(text, name)
    rows = data.get("fx")
    if isinstance(rows, list):
        for row in rows:
            if isinstance(row, dict):
                row.setdefault("source", data.get("source"))
    try:
        return FxFile.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        raise InputError(first["msg"].removeprefix("Value error, "), file=name,
                         where=fx_where(first["loc"], text)) from None


@functools.cache
def bundled_rates() -> tuple[FxRate, ...]:
    """The ECB reference rates shipped with scopecard (read once per process)."""
    return tuple(parse_fx_file(read_text(BUNDLED_FX, MAX_FX_BYTES), str(BUNDLED_FX)).fx)


def fx_where(loc: Sequence[Any], text: str) -> str:
    """Where a validation error in an `fx` row is: 'fx.2.quote (line 14)' when the row is a
    `[[fx]]` table or an inline table on its own line, else the field path alone."""
    path = ".".join(map(str, loc))
    if len(loc) < 2 or loc[0] != "fx" or not isinstance(loc[1], int):
        return path
    line = _fx_row_line(text, loc[1], str(loc[2]) if len(loc) > 2 else None)
    return f"{path} (line {line})" if line else path


def _fx_row_line(text: str, index: int, key: str | None) -> int | None:
    """Line of `key` in the `index`-th fx row (tomllib keeps no positions, so this reads the
    text: `[[fx]]` headers, or `{ ... }` rows of an `fx = [...]` array, one per line)."""
    lines = text.splitlines()
    header = [i for i, ln in enumerate(lines, 1) if re.match(r"^\s*\[\[\s*fx\s*\]\]", ln)]
    if header:
        if index >= len(header):
            return None
        start = header[index]
        end = header[index + 1] if index + 1 < len(header) else len(lines) + 1
        if key is None:
            return start
        assign = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for i in range(start + 1, end):
            if assign.match(lines[i - 1]):
                return i
            if re.match(r"^\s*\[", lines[i - 1]):  # another table: the key is not given
                break
        return start
    inline = [i for i, ln in enumerate(lines, 1) if re.match(r"^\s*\{.*\}\s*,?\s*(#.*)?$", ln)]
    return inline[index] if index < len(inline) else None


@dataclass(frozen=True)
class Conversion:
    """`amount` converted from `frm` to `to`, with the rows used and how they were combined."""

    amount: float
    rate: float  # multiply by this to convert
    frm: str
    to: str
    as_of: dt.date
    rows: tuple[FxRate, ...] = ()  # in path order from `frm` to `to`; () for the same currency
    path: str = "same currency"  # direct | inverse | cross via EUR | via A, B

    @property
    def date(self) -> dt.date | None:
        """The date of the oldest row used: the conversion is as fresh as that."""
        return min((r.date for r in self.rows), default=None)

    @property
    def local(self) -> bool:
        """True when a workspace pin is on the path."""
        return any(r.origin == "local" for r in self.rows)

    @property
    def source(self) -> str:
        """Every distinct source of the rows used, in path order."""
        return "; ".join(dict.fromkeys(r.source for r in self.rows))

    @property
    def warning(self) -> str | None:
        """Set when the oldest row used is more than STALE_AFTER_DAYS before `as_of`."""
        if self.date is None or (self.as_of - self.date).days <= STALE_AFTER_DAYS:
            return None
        return (f"FX {self.frm}->{self.to} uses a rate of {self.date}, "
                f"{(self.as_of - self.date).days} days before {self.as_of} (older than "
                f"{STALE_AFTER_DAYS} days): pin a current rate with [[fx]] in prices.local.toml "
                "or refresh the catalogue")

    def to_json(self) -> dict[str, Any] | None:
        """The conversion as plain data (None when no conversion was needed)."""
        if not self.rows:
            return None
        return {"base": self.frm, "quote": self.to, "rate": self.rate,
                "date": self.date.isoformat() if self.date else None, "path": self.path,
                "source": self.source, "local": self.local, "warning": self.warning,
                "rows": [r.model_dump(mode="json") for r in self.rows]}


def _priority(item: tuple[int, FxRate]) -> tuple[Any, ...]:
    """Sort key, best first: local pins, newest, EUR on one side, USD on the other (most prices
    are billed in USD: a pin on another pair then moves the other currency, not USD against
    EUR), then the codes, then the row loaded last."""
    index, r = item
    return (r.origin != "local", -r.date.toordinal(), COMMON_BASE not in (r.base, r.quote),
            "USD" not in (r.base, r.quote), r.base, r.quote, -index)


class RateSet:
    """Every currency that the rows reach on `as_of`, each hung from one row (a forest whose
    main tree grows from EUR), so that any two conversions of the day agree."""

    def __init__(self, rows: Iterable[FxRate], as_of: dt.date):
        self.as_of = as_of
        ranked = sorted(((i, r) for i, r in enumerate(rows) if r.date <= as_of), key=_priority)
        edges = [r for _, r in ranked]
        self._parent: dict[str, tuple[str, FxRate] | None] = {}
        roots = [COMMON_BASE] + [r.base for r in edges]
        for root in roots:
            if root not in self._parent and any(root in (r.base, r.quote) for r in edges):
                self._grow(root, edges)

    def _grow(self, root: str, edges: list[FxRate]) -> None:
        """Add `root` and, best row first, every currency its rows reach (Prim's algorithm)."""
        self._parent[root] = None
        added = True
        while added:
            added = False
            for r in edges:
                if (r.base in self._parent) != (r.quote in self._parent):
                    child, parent = (r.quote, r.base) if r.base in self._parent else (r.base, r.quote)
                    self._parent[child] = (parent, r)
                    added = True
                    break

    def currencies(self) -> list[str]:
        """Every currency a conversion can reach on this date."""
        return sorted(self._parent)

    def _up(self, currency: str) -> list[tuple[str, FxRate]]:
        """The steps from `currency` to its tree's root: (currency left, row crossed)."""
        steps = []
        while (link := self._parent[currency]) is not None:
            steps.append((currency, link[1]))
            currency = link[0]
        return steps

    def _root(self, currency: str) -> str:
        while (link := self._parent[currency]) is not None:
            currency = link[0]
        return currency

    def convert(self, amount: float, frm: str, to: str) -> Conversion:
        """`amount` in `frm` as `to`, through the one path the day's rows allow."""
        if frm == to:
            return Conversion(amount, 1.0, frm, to, self.as_of)
        if frm not in self._parent or to not in self._parent or self._root(frm) != self._root(to):
            known = ", ".join(self.currencies()) or "none"
            raise InputError(f"no FX rate from {frm} to {to} on or before {self.as_of}; known "
                             f"currencies: {known}; pin one with [[fx]] in prices.local.toml")
        up, down = self._up(frm), self._up(to)
        while up and down and up[-1][1] is down[-1][1]:  # drop the shared part above the meeting
            up.pop()
            down.pop()
        steps = [(c, r, True) for c, r in up] + [(c, r, False) for c, r in reversed(down)]
        rate = 1.0
        nodes = [frm]
        for currency, row, leaving in steps:
            # leaving `currency` upwards, or entering it from above
            other = row.quote if row.base == currency else row.base
            src, dst = (currency, other) if leaving else (other, currency)
            rate *= row.rate if row.base == src else 1 / row.rate
            nodes.append(dst)
        rows = tuple(r for _, r, _ in steps)
        if len(rows) == 1:
            path = "direct" if rows[0].base == frm else "inverse"
        elif len(rows) == 2:
            path = f"cross via {nodes[1]}"
        else:
            path = f"via {', '.join(nodes[1:-1])}"
        return Conversion(amount * rate, rate, frm, to, self.as_of, rows, path)

    def listing(self, base: str) -> list[Conversion]:
        """1 `base` in every other reachable currency, by code."""
        if base not in self._parent:
            raise InputError(f"no FX rate for {base} on or before {self.as_of}; known "
                             f"currencies: {', '.join(self.currencies()) or 'none'}")
        return [self.convert(1.0, base, c) for c in self.currencies()
                if c != base and self._root(c) == self._root(base)]
