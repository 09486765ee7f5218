"""The price catalogue: rows of dated, sourced prices, FX rates, and lookups.

A catalogue file is TOML (`schema = "scopecard.prices/1"`) with `[[models]]` rows and `[[fx]]`
rows. A model may have several rows: a new price appends a row with a later `effective_from`,
the old one is never edited, so old decisions can be reproduced. FX rows and conversion are in
estimators.fx.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from estimators.bounds import finite
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
    """Prices that apply once the prompt is longer than `above_tokens`."""

    above_tokens: int = Field(gt=0, le=MAX_TOKENS)
    input: PerMillion  # type: ignore[valid-type]
    output: PerMillion  # type: ignore[valid-type]
    cache_read: PerMillion | None = None  # type: ignore[valid-type]
    cache_write: PerMillion | None = None  # type: ignore[valid-type]


class OffPeak(_Strict):
    """A discount window, e.g. DeepSeek's 16:30-00:30 UTC."""

    start: str = Field(pattern=r"^\d\d:\d\d$")
    end: str = Field(pattern=r"^\d\d:\d\d$")
    tz: str = "UTC"
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])  # ISO: 1 = Monday
    discount: finite(gt=0, le=1, why="a share of the list price")  # type: ignore[valid-type]


class RateLimit(_Strict):
    tier: str
    rpm: int | None = Field(default=None, gt=0, le=10**12)
    tpm: int | None = Field(default=None, gt=0, le=10**15)


class PriceRow(_Strict):
    """One model's price as of `effective_from`, per 1M tokens in `currency`."""

    id: ModelId
    kind: Literal["chat", "embedding"] = "chat"
    snapshot: str | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$")
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
    tokenizer: str | None = None  # family in tokenizers.toml; default by vendor
    deprecated_on: dt.date | None = None
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
        return self


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


def _pydantic_where(err: dict, data: dict) -> str:
    loc = list(err["loc"])
    if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
        try:
            model_id = data["models"][loc[1]].get("id", "?")
        except (KeyError, IndexError, AttributeError):
            model_id = "?"
        return f"models[{loc[1]}] ({model_id}).{'.'.join(map(str, loc[2:]))}"
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
                         where=where or _pydantic_where(first, data)) from None


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
