"""The price catalogue: rows of dated, sourced prices, FX rates, and lookups.

A catalogue file is TOML (`schema = "scopecard.prices/1"`) with `[[models]]` rows and `[[fx]]`
rows. A model may have several rows: a new price appends a row with a later `effective_from`,
the old one is never edited, so old decisions can be reproduced. FX rows and conversion are in
estimators.fx.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import ErrorDetails

from estimators.bounds import finite
from estimators.currency import Currency
from estimators.errors import InputError, close_names
from estimators.fx import Conversion, FxRate, RateSet, bundled_rates, fx_where
from estimators.paths import PACKAGE_DATA
from estimators.safefile import decode_text, parse_toml, read_capped

BUNDLED_CATALOGUE = PACKAGE_DATA / "prices.toml"
SCHEMA = "scopecard.prices/1"
MAX_CATALOGUE_BYTES = 20_000_000  # as much as `prices refresh` accepts from a feed

# Upper bounds: far above any real price, low enough that every figure computed from them stays
# finite (the largest spec volume times these is still below 1e60).
MAX_PRICE_PER_1M = 1e6
MAX_REQUEST_FEE = 1e4
MAX_TOKENS = 1_000_000_000  # context windows, output limits, tier thresholds
MAX_LATENCY_MS = 86_400_000  # a day
PerMillion = finite(ge=0, le=MAX_PRICE_PER_1M, why="per 1M tokens")
RequestFee = finite(ge=0, le=MAX_REQUEST_FEE, why="per request")
Discount = finite(ge=0, le=1, why="a share of the list price")

MODEL_ID = r"^[A-Za-z0-9._-]+/[A-Za-z0-9._:@+-]+$"
MODEL_ID_RULE = ("vendor/model, with letters, digits, '.', '_' and '-' (the model part may also "
                 "use ':', '@' and '+')")


def check_model_id(value: str) -> str:
    """A model id as the catalogue spells them, else ValueError stating the pattern."""
    if not re.fullmatch(MODEL_ID, value):
        raise ValueError(f"must be {MODEL_ID_RULE}; got {value!r}")
    return value


ModelId = Annotated[str, AfterValidator(check_model_id),
                    WithJsonSchema({"type": "string", "pattern": MODEL_ID,
                                    "description": MODEL_ID_RULE})]



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Strict):
    """Prices that apply once the prompt is longer than `above_tokens`.

    `up_to_tokens` is the band's upper end where the vendor states one (e.g. 32K < input <=
    128K); the next tier must then start exactly there, so bands neither overlap nor leave gaps.
    """

    above_tokens: int = Field(gt=0, le=MAX_TOKENS)
    up_to_tokens: int | None = Field(default=None, gt=0, le=MAX_TOKENS)
    input: PerMillion  # type: ignore[valid-type]
    output: PerMillion  # type: ignore[valid-type]
    cache_read: PerMillion | None = None  # type: ignore[valid-type]
    cache_write: PerMillion | None = None  # type: ignore[valid-type]


def check_time_zone(value: str) -> str:
    """An IANA time zone name (Asia/Shanghai, UTC), else ValueError."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}: use an IANA name such as UTC or "
                         "Asia/Shanghai") from None
    return value


class OffPeak(_Strict):
    """A discount window in the vendor's clock, e.g. DeepSeek's 18:00-24:00 Asia/Shanghai."""

    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")
    tz: Annotated[str, AfterValidator(check_time_zone)] = "UTC"
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])  # ISO: 1 = Monday
    discount: finite(gt=0, le=1, why="a share of the list price")  # type: ignore[valid-type]


class RateLimit(_Strict):
    """One rate-limit tier as the vendor publishes it (account tier, usage level, plan)."""

    tier: str = Field(min_length=1)
    rpm: int | None = Field(default=None, gt=0, le=10**12)
    tpm: int | None = Field(default=None, gt=0, le=10**15)
    concurrency: int | None = Field(default=None, gt=0, le=10**9)  # requests in flight
    source: str | None = None  # where the limits are published, when not the row's source

    @model_validator(mode="after")
    def _some_limit(self) -> RateLimit:
        if self.rpm is None and self.tpm is None and self.concurrency is None:
            raise ValueError("a rate-limit tier needs at least one of rpm, tpm, concurrency")
        return self


class PriceRow(_Strict):
    """One model's price as of `effective_from`, per 1M tokens in `currency`."""

    id: ModelId
    kind: Literal["chat", "embedding"] = "chat"
    snapshot: str | None = None
    currency: Currency
    unit: Literal["1M tokens"] = "1M tokens"
    input: PerMillion  # type: ignore[valid-type]
    output: PerMillion = 0.0  # type: ignore[valid-type]
    cache_read: PerMillion | None = None  # type: ignore[valid-type]
    cache_write: PerMillion | None = None  # type: ignore[valid-type]
    cache_ttl_minutes: int | None = Field(default=None, gt=0, le=525_600)  # a year
    tiers: tuple[Tier, ...] = ()
    batch_discount: Discount = 0.0  # type: ignore[valid-type]
    off_peak: tuple[OffPeak, ...] = ()
    request_fee: RequestFee = 0.0  # type: ignore[valid-type]
    regions: tuple[str, ...] = ()
    compliance: tuple[str, ...] = ()  # e.g. SOC2, HIPAA-BAA, GDPR-DPA, as the vendor states
    context_window: int | None = Field(default=None, gt=0, le=MAX_TOKENS)
    max_output: int | None = Field(default=None, gt=0, le=MAX_TOKENS)
    p95_latency_ms: int | None = Field(default=None, gt=0, le=MAX_LATENCY_MS)
    rate_limit: RateLimit | None = None
    rate_limits: tuple[RateLimit, ...] = ()  # every tier the vendor publishes, lowest first
    tokenizer: str | None = None  # family in tokenizers.toml; default by vendor
    deprecated_on: dt.date | None = None  # the vendor announced the end; still callable
    retired_on: dt.date | None = None  # calls stop working (or are re-routed) from this day
    successor: ModelId | None = None  # the id the vendor points users to
    effective_from: dt.date | None = None
    source: str = Field(min_length=1)
    verified_on: dt.date
    origin: Literal["bundled", "local", "spec"] = "bundled"
    note: str | None = None

    @property
    def vendor(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def off_peak_discount(self) -> float:
        """The discount of the first off-peak window (0 when there is none)."""
        return self.off_peak[0].discount if self.off_peak else 0.0

    @model_validator(mode="after")
    def _tiers_ascending(self) -> PriceRow:
        bounds = [t.above_tokens for t in self.tiers]
        if bounds != sorted(set(bounds)):
            raise ValueError("tiers must have strictly ascending above_tokens")
        for i, t in enumerate(self.tiers):
            if t.up_to_tokens is None:
                continue
            if t.up_to_tokens <= t.above_tokens:
                raise ValueError(f"tiers[{i}]: up_to_tokens {t.up_to_tokens:,} must be above "
                                 f"above_tokens {t.above_tokens:,}")
            if i + 1 < len(self.tiers):
                nxt = self.tiers[i + 1].above_tokens
                if nxt < t.up_to_tokens:
                    raise ValueError(f"tiers[{i}] and tiers[{i + 1}] overlap: one runs to "
                                     f"{t.up_to_tokens:,} tokens, the next starts above {nxt:,}")
                if nxt > t.up_to_tokens:
                    raise ValueError(f"gap between tiers[{i}] and tiers[{i + 1}]: prompts of "
                                     f"{t.up_to_tokens + 1:,} to {nxt:,} tokens have no price")
        return self

    @model_validator(mode="after")
    def _lifecycle_in_order(self) -> PriceRow:
        if self.deprecated_on and self.retired_on and self.retired_on < self.deprecated_on:
            raise ValueError(f"retired_on {self.retired_on} is before deprecated_on "
                             f"{self.deprecated_on}")
        if self.successor == self.id:
            raise ValueError("successor must be another model")
        names = [t.tier for t in self.rate_limits]
        if len(names) != len(set(names)):
            raise ValueError("rate_limits tiers must have distinct names")
        return self

    def retired(self, on: dt.date) -> bool:
        """True once the vendor has retired the model (on or before `on`)."""
        return self.retired_on is not None and self.retired_on <= on


# Warn this long ahead of a deprecation or retirement: about one planning cycle.
RETIREMENT_NOTICE_DAYS = 180


def lifecycle_state(row: PriceRow, as_of: dt.date) -> tuple[str, dt.date] | None:
    """The end of life to warn about on `as_of`: ("retired" | "retires" | "deprecated", date)."""
    then = as_of + dt.timedelta(days=RETIREMENT_NOTICE_DAYS)
    if row.retired_on and row.retired_on <= as_of:
        return "retired", row.retired_on
    if row.retired_on and row.retired_on <= then:
        return "retires", row.retired_on
    if row.deprecated_on and row.deprecated_on <= then:
        return "deprecated", row.deprecated_on
    return None


def lifecycle_warning(row: PriceRow, as_of: dt.date) -> str | None:
    """What a candidate's user must know about its end of life on `as_of`, if anything (English;
    rubrics.estimate.lifecycle_message says the same in any language)."""
    if (state := lifecycle_state(row, as_of)) is None:
        return None
    kind, day = state
    text = {"retired": f"retired on {day}: the vendor may refuse or re-route calls to {row.id}",
            "retires": f"retires on {day}", "deprecated": f"deprecated on {day}"}[kind]
    return text + (f"; successor: {row.successor}" if row.successor else "")


class CatalogueFile(_Strict):
    schema_: Literal["scopecard.prices/1"] = Field(alias="schema")
    version: str | None = None
    models: list[PriceRow] = Field(default_factory=list)
    fx: list[FxRate] = Field(default_factory=list)


@dataclass
class Catalogue:
    rows: list[PriceRow]
    fx: list[FxRate]
    sources: list[str]  # the files it was read from, in order of precedence (last wins)

    def model_ids(self) -> list[str]:
        return sorted({r.id for r in self.rows})

    def history(self, model_id: str) -> list[PriceRow]:
        """Every row of a model, oldest first."""
        rows = [r for r in self.rows if r.id == model_id]
        return sorted(rows, key=lambda r: (r.effective_from or dt.date.min, r.origin != "bundled"))

    def lookup(self, model_id: str, as_of: dt.date | None = None) -> PriceRow:
        """The row in force for a model on `as_of` (today by default); local rows win ties."""
        as_of = as_of or dt.date.today()
        rows = [r for r in self.history(model_id) if (r.effective_from or dt.date.min) <= as_of]
        if not rows:
            known = self.model_ids()
            hint = close_names(model_id, known)
            more = f"; did you mean {', '.join(hint)}?" if hint else ""
            if model_id in known:
                raise InputError(f"model {model_id!r} has no price effective on {as_of}")
            raise InputError(f"unknown model {model_id!r}{more} (see `scopecard prices list`)")
        local = [r for r in rows if r.origin == "local"]
        return (local or rows)[-1]

    def convert(self, amount: float, frm: str, to: str, as_of: dt.date | None = None) -> Conversion:
        """Convert by estimators.fx's one rule on `as_of` (today by default)."""
        return RateSet(self.fx, as_of or dt.date.today()).convert(amount, frm, to)


def _table_line(text: str, table: str, index: int) -> int | None:
    """The line of the `index`-th `[[table]]` header (1-based), None when written inline."""
    seen = -1
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().split("#", 1)[0].strip() == f"[[{table}]]":
            seen += 1
            if seen == index:
                return number
    return None


def _pydantic_where(err: ErrorDetails, data: dict[str, Any], text: str) -> str:
    """Line and field of a validation error, e.g. 'line 12, models[0] (x/y).tiers.1.input'."""
    loc = list(err["loc"])
    if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
        line = _table_line(text, "models", loc[1])
        at = f"line {line}, " if line else ""
        rest = ".".join(map(str, loc[2:]))
        try:
            model_id = data["models"][loc[1]].get("id", "?")
        except (KeyError, IndexError, AttributeError):
            model_id = "?"
        return f"{at}models[{loc[1]}] ({model_id})" + (f".{rest}" if rest else "")
    return ".".join(map(str, loc))


def read_catalogue_file(path: Path, origin: str = "bundled") -> CatalogueFile:
    """Parse and validate one catalogue file; errors name the file, line or field.

    Read bounded (a regular file of at most MAX_CATALOGUE_BYTES): prices.local.toml is the
    user's, and a FIFO or /dev/zero put in its place must not hang every command that prices.
    """
    return parse_catalogue_bytes(read_capped(path, MAX_CATALOGUE_BYTES), str(path), origin)


def parse_catalogue_bytes(raw: bytes, name: str, origin: str = "bundled") -> CatalogueFile:
    """Parse and validate catalogue text; `name` (a path or URL) is what errors point at.

    Deep nesting and huge integers are InputErrors too (estimators.safefile.parse_toml).
    """
    text = decode_text(raw, name)
    data = parse_toml(text, name)
    for row in data.get("models", []) if isinstance(data.get("models"), list) else []:
        if isinstance(row, dict):
            row["origin"] = origin
    try:
        return CatalogueFile.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = fx_where(first["loc"], text) if first["loc"][:1] == ("fx",) else None
        raise InputError(first["msg"].removeprefix("Value error, "), file=name,
                         where=where or _pydantic_where(first, data, text)) from None


def load_catalogue(catalogue: Path | None = None, local: Path | None = None) -> Catalogue:
    """The bundled (or refreshed) catalogue plus the workspace's local prices, which win.

    FX rows: the bundled ECB reference rates, then the catalogue's, then the local pins.
    """
    files = [(catalogue or BUNDLED_CATALOGUE, "bundled")]
    if local is not None and local.exists():
        files.append((local, "local"))
    rows: list[PriceRow] = []
    fx: list[FxRate] = list(bundled_rates())
    for path, origin in files:
        parsed = read_catalogue_file(path, origin)
        rows.extend(parsed.models)
        fx.extend(r.model_copy(update={"origin": origin}) for r in parsed.fx)
    return Catalogue(rows, fx, [str(p) for p, _ in files])
