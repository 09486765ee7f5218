"""The feature spec (`scopecard.spec/1`): pydantic models and a loader with precise errors.

Any number marked `Num` may be a point (`800`) or a range (`{ low = 600, likely = 800, high = 1500 }`).
Point estimates use `likely`; the Monte Carlo draws from the range.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from estimators.bounds import Bounds, finite
from estimators.errors import InputError, close_names
from estimators.prices import MAX_LATENCY_MS, MAX_TOKENS, ModelId, PerMillion, RequestFee
from estimators.redact import find_secret
from estimators.safefile import parse_toml, read_text
from rubrics.messages import Message, msg
from rubrics.messages import text as _say

SCHEMA = "scopecard.spec/1"
MAX_SPEC_BYTES = 1_000_000
# A prompt part cannot be longer than a model's context: the largest window in the catalogue is
# 1.05M tokens, about 4.7 MB of UTF-8 at 4.5 bytes a token (English is ~4, Chinese 3 to 4.5), so
# 8 MB leaves room for larger windows while a mistaken file (a log, a dump) is refused unread.
MAX_PROMPT_FILE_BYTES = 8_000_000
PROMPT_PARTS = ("system", "user", "context", "output", "reasoning")
Language = Literal["en", "zh", "mixed"]
Route = Literal["prompt", "rag", "finetune", "train"]
Difficulty = Literal["easy", "medium", "hard"]
MAX_MONEY = 1e12  # any amount of money in the spec's currency


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Range(_Strict):
    """An uncertain number: the Monte Carlo draws it from a PERT (default) or triangular law."""

    low: float
    likely: float
    high: float
    dist: Literal["pert", "triangular"] = "pert"

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low <= self.likely <= self.high:
            raise ValueError(
                f"needs low <= likely <= high (got low={self.low:g}, likely={self.likely:g}, "
                f"high={self.high:g})"
            )
        return self


def _dump(value: float | Range) -> float | dict[str, Any]:
    return value.model_dump() if isinstance(value, Range) else value


def _num(*, ge: float | None = None, gt: float | None = None, le: float | None = None,
         why: str = "") -> Any:
    """A number-or-range field type with bounds checked on every component."""
    bounds = Bounds(ge, gt, le, why)

    def validate(value: Any) -> float | Range:
        if isinstance(value, bool):
            raise ValueError("must be a number or { low, likely, high }, got true/false")
        if isinstance(value, (int, float)):
            return bounds.check(value)
        if isinstance(value, Range):
            value = value.model_dump()
        if isinstance(value, dict):
            return Range.model_validate({k: _end(k, v, bounds) for k, v in value.items()})
        raise ValueError(f"must be a number or {{ low, likely, high }}, got {type(value).__name__}")

    number = bounds.json_schema()
    rng = {"type": "object", "required": ["low", "likely", "high"], "additionalProperties": False,
           "properties": {"low": number, "likely": number, "high": number,
                          "dist": {"enum": ["pert", "triangular"]}}}
    # `bounds` rides along as metadata: rubrics.spec_fields reads a field's range from it
    return Annotated[float | Range, PlainValidator(validate), PlainSerializer(_dump),
                     WithJsonSchema({"anyOf": [number, rng], "description": bounds.allowed()}),
                     bounds]


def _end(key: str, value: Any, bounds: Bounds) -> Any:
    """One entry of a range: its ends are checked against the field's bounds, with their name."""
    if key not in ("low", "likely", "high"):
        return value  # `dist`, or an unknown key that Range refuses
    try:
        return bounds.check(value)
    except ValueError as e:
        raise ValueError(f"{key} {e}") from None


Num = float | Range
Share = _num(ge=0, le=1)
Money = _num(ge=0, le=MAX_MONEY)


def likely(x: Num) -> float:
    """The point estimate of a number-or-range."""
    return x.likely if isinstance(x, Range) else x


def refuse_secret(text: str) -> str:
    """`text` unchanged, or a ValueError when it holds what looks like an API key.

    Spec texts are copied into the decision record, its exports and the briefs, so a key typed
    or pasted into one would leak to everyone those reach.
    """
    kind = find_secret(text)
    if kind:
        raise ValueError(f"holds what looks like {kind}; remove it (spec texts are copied into "
                         "the decision record, its exports and the briefs)")
    return text


class Need(_Strict):
    problem: str = ""
    users: str = ""
    success_metric: str = ""
    confidential: bool = False  # kept out of vendor briefs

    _no_secrets = field_validator("problem", "users", "success_metric")(refuse_secret)


class LoadSpec(_Strict):
    daily_active_users: _num(ge=0, le=1e10, why="more than everyone on Earth is a typo")  # type: ignore[valid-type]
    tasks_per_user_per_day: _num(ge=0, le=1e5)  # type: ignore[valid-type]
    days_per_month: int = Field(default=30, ge=1, le=31)
    calls_per_task: _num(gt=0, le=1e4) = 1.0  # type: ignore[valid-type]
    retry_rate: Share = 0.0  # type: ignore[valid-type]
    peak_factor: _num(ge=1, le=1e4, why="peak rate / average rate") = 1.0  # type: ignore[valid-type]
    monthly_growth: _num(ge=-1, le=10) = 0.0  # type: ignore[valid-type]


Tokens = _num(ge=0, le=MAX_TOKENS)


class PromptSpec(_Strict):
    """Per call. Each part is given as *_tokens, or *_text / *_file to be counted exactly."""

    system_tokens: Tokens | None = None  # type: ignore[valid-type]
    system_text: str | None = None
    system_file: str | None = None
    user_tokens: Tokens | None = None  # type: ignore[valid-type]
    user_text: str | None = None
    user_file: str | None = None
    context_tokens: Tokens | None = None  # type: ignore[valid-type]
    context_text: str | None = None
    context_file: str | None = None
    output_tokens: Tokens | None = None  # type: ignore[valid-type]
    output_text: str | None = None
    output_file: str | None = None
    reasoning_tokens: Tokens | None = None  # type: ignore[valid-type]
    turns: int = Field(default=1, ge=1, le=1000)
    cache_hit_rate: Share = 0.0  # type: ignore[valid-type]
    batch_share: Share = 0.0  # type: ignore[valid-type]
    off_peak_share: Share = 0.0  # type: ignore[valid-type]
    language: Language = "en"
    confidential: bool = True  # prompts are trade secrets unless said otherwise

    _no_secrets = field_validator("system_text", "user_text", "context_text",
                                  "output_text")(refuse_secret)

    @model_validator(mode="after")
    def _one_source_per_part(self) -> PromptSpec:
        for part in PROMPT_PARTS:
            given = [f"{part}_{s}" for s in ("tokens", "text", "file")
                     if getattr(self, f"{part}_{s}", None) is not None]
            if len(given) > 1:
                raise ValueError(f"give one of {' / '.join(given)}, not several")
        return self


class ValueSpec(_Strict):
    value_per_success: Money  # type: ignore[valid-type]
    escape_rate: Share = 0.0  # type: ignore[valid-type]
    loss_per_escape: Money = 0.0  # type: ignore[valid-type]
    review_share: Share = 0.0  # type: ignore[valid-type]
    review_cost: Money = 0.0  # type: ignore[valid-type]
    fallback_cost: Money = 0.0  # type: ignore[valid-type]
    realization: Share = 1.0  # type: ignore[valid-type]


class CostsSpec(_Strict):
    one_time: Money = 0.0  # type: ignore[valid-type]
    monthly_fixed: Money = 0.0  # type: ignore[valid-type]
    amortize_months: int = Field(default=12, ge=1, le=120)
    # extra cost of the delivery route (constraints.route); unset = the route preset's default
    route_one_time: Money | None = None  # type: ignore[valid-type]
    route_monthly: Money | None = None  # type: ignore[valid-type]


PassRate = finite(ge=0, le=1, why="a pass rate")


class QualitySpec(_Strict):
    suite: str = ""
    bar: PassRate | None = None  # type: ignore[valid-type]  # default: the scenario preset's
    confidence: finite(ge=0.5, le=0.999) | None = None  # type: ignore[valid-type]
    difficulty_bars: dict[Difficulty, PassRate] = Field(default_factory=dict)  # type: ignore[valid-type]
    interval: Literal["wilson", "clopper-pearson"] = "wilson"


class Alternatives(_Strict):
    rules_coverage: Share = 0.0  # type: ignore[valid-type]
    rules_one_time: Money = 0.0  # type: ignore[valid-type]
    rules_monthly: Money = 0.0  # type: ignore[valid-type]
    embedding_model: str | None = None
    embedding_coverage: Share = 0.0  # type: ignore[valid-type]


class Constraints(_Strict):
    data_residency: list[str] = Field(default_factory=list)
    max_p95_latency_ms: finite(gt=0, le=MAX_LATENCY_MS) | None = None  # type: ignore[valid-type]
    route: Route = "prompt"
    compliance: list[str] = Field(default_factory=list)
    data_retention: str = ""  # e.g. "no retention", "30 days"; shown to vendors


class PriceOverride(_Strict):
    """A negotiated or self-hosted price, per 1M tokens."""

    input: PerMillion
    output: PerMillion
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    unit: Literal["1M tokens"] = "1M tokens"
    cache_read: PerMillion | None = None
    cache_write: PerMillion | None = None
    request_fee: RequestFee = 0.0
    context_window: int | None = Field(default=None, gt=0, le=MAX_TOKENS)
    regions: list[str] = Field(default_factory=list)
    tokenizer: str | None = None
    source: str = "negotiated price given in the spec"


class Candidate(_Strict):
    model: ModelId  # as the catalogue spells ids: a price override becomes a catalogue row
    price: PriceOverride | None = None
    # the vendor's rate-limit tier this account has (as `prices show MODEL` names it); unset =
    # the lowest tier the vendor publishes
    rate_limit_tier: str | None = Field(default=None, min_length=1, max_length=100)


MAX_CALLS_RATIO = 1000.0  # actual / forecast calls: a threshold beyond 1000x is no plan at all
# What each kill-criterion metric can measure: thresholds and typed actuals must lie inside.
METRIC_RANGES: dict[str, Bounds] = {
    "cost_per_success": Bounds(ge=0, le=MAX_MONEY, why="cost_per_success is money per success"),
    "pass_rate": Bounds(ge=0, le=1, why="pass_rate is a share of cases"),
    "monthly_spend": Bounds(ge=0, le=MAX_MONEY, why="monthly_spend is money per month"),
    "resolution_rate": Bounds(ge=0, le=1, why="resolution_rate is a share of tasks"),
    "p95_latency_ms": Bounds(gt=0, le=MAX_LATENCY_MS, why="p95_latency_ms is milliseconds"),
    "cost_per_call": Bounds(ge=0, le=MAX_MONEY, why="cost_per_call is money per call"),
    # a ratio: 1.5 is traffic 50% above the plan, 0.3 is 70% below it
    "calls_vs_forecast": Bounds(ge=0, le=MAX_CALLS_RATIO,
                                why="calls_vs_forecast is actual calls / forecast calls"),
}


class KillCriterion(_Strict):
    metric: Literal["cost_per_success", "pass_rate", "monthly_spend", "resolution_rate",
                    "p95_latency_ms", "cost_per_call", "calls_vs_forecast"]
    comparator: Literal[">", ">=", "<", "<="]
    threshold: Annotated[float, WithJsonSchema({"type": "number", "description": "; ".join(
        bounds.allowed() for bounds in METRIC_RANGES.values())})]
    window_days: int = Field(default=7, ge=1, le=365)
    action: Literal["pause", "roll back", "switch model", "stop"]
    note: str = ""

    @field_validator("threshold", mode="plain")
    @classmethod
    def _in_metric_range(cls, value: Any, info: ValidationInfo) -> float:
        metric = info.data.get("metric", "")  # absent when the metric itself was refused
        try:
            return METRIC_RANGES.get(metric, Bounds()).check(value)
        except ValueError as e:  # the metric goes along so the error can be said in words
            raise PydanticCustomError("metric_range", "{detail}",
                                      {"detail": str(e), "metric": metric}) from None


class Commit(_Strict):
    target_roi: finite(ge=-1, le=1000) = 0.0  # type: ignore[valid-type]
    max_monthly_spend: finite(ge=0, le=MAX_MONEY) | None = None  # type: ignore[valid-type]
    review_after_days: int = Field(default=90, ge=1, le=3650)


class Output(_Strict):
    """How the feature's results are shown: `lang` ("en" or "zh") is the language of the
    sentences when no --lang is given (it beats the locale: chosen for this feature)."""

    lang: Literal["en", "zh"] | None = None


class Spec(_Strict):
    schema_: Literal["scopecard.spec/1"] = Field(alias="schema")
    title: str = Field(min_length=1, max_length=200)
    scenario: str = "internal-tool"
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    need: Need = Field(default_factory=Need)
    load: LoadSpec
    prompt: PromptSpec = Field(default_factory=PromptSpec)
    value: ValueSpec
    costs: CostsSpec = Field(default_factory=CostsSpec)
    quality: QualitySpec = Field(default_factory=QualitySpec)
    alternatives: Alternatives = Field(default_factory=Alternatives)
    constraints: Constraints = Field(default_factory=Constraints)
    candidates: list[Candidate] = Field(min_length=1, max_length=50)
    commit: Commit = Field(default_factory=Commit)
    kill_criteria: list[KillCriterion] = Field(default_factory=list)  # replaces the generated ones
    output: Output | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    _no_secrets = field_validator("title")(refuse_secret)

    @model_validator(mode="after")
    def _unique_candidates(self) -> Spec:
        seen = [c.model for c in self.candidates]
        dupes = sorted({m for m in seen if seen.count(m) > 1})
        if dupes:
            raise ValueError(f"candidate listed twice: {', '.join(dupes)}")
        return self

    def to_toml_dict(self) -> dict[str, Any]:
        """The spec as plain data, ready for tomli-w (None values dropped)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def json_schema() -> dict[str, Any]:
    """JSON Schema for spec files, for editors."""
    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "scopecard feature spec (scopecard.spec/1)"
    return schema


# --- loading with precise errors -------------------------------------------------------------

def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number of a field path in TOML text (tomllib keeps no positions)."""
    keys = [str(k) for k in loc if not isinstance(k, int)]
    if not keys:
        return None
    lines = text.splitlines()
    key = keys[-1]
    section = keys[:-1]
    current: list[str] = []
    header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    assign = re.compile(rf"^\s*(\"?){re.escape(key)}\1\s*=")
    for i, line in enumerate(lines, 1):
        m = header.match(line)
        if m:
            current = [p.strip().strip('"') for p in m.group(1).split(".")]
            if current == keys:
                return i
            continue
        if assign.match(line) and current == section:
            return i
        if section and current == section[:-1] and re.match(
                rf"^\s*{re.escape(section[-1])}\s*=.*\b{re.escape(key)}\b", line):
            return i  # inline table: section = { key = ... }
    return None


def _field_names(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Allowed keys at the place `loc` points into (for 'did you mean')."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            field = next((f for f in getattr(current, "model_fields", {}).values()
                          if f.alias == part), None)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        current = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)),
                       None)
        if current is None:
            return []
    return [f.alias or name for name, f in current.model_fields.items()]


class SpecErrors(InputError):
    """Every problem of one spec at once: one `FILE: field (line N): message` line each. The
    error's own file, where and message are the first problem's."""

    def __init__(self, problems: list[InputError]) -> None:
        self.problems = problems  # set first: InputError.__init__ calls str(self)
        first = problems[0]
        super().__init__(first.message, file=first.file, where=first.where)

    def __str__(self) -> str:
        return "\n".join(InputError.__str__(p) for p in self.problems)


def _shown(x: Any) -> str:
    """A value as a person typed it: numbers with thousands separators, text quoted."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int) and abs(x) >= 10**16:
        return f"an integer of {len(str(abs(x))):,} digits" if abs(x) < 10**4000 else \
            "an integer of thousands of digits"
    if isinstance(x, (int, float)):
        if x != x or abs(x) == float("inf"):
            return str(x)
        return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e16 else f"{x:,.6g}"
    if isinstance(x, str):
        return f'"{x[:60]}"' + ("…" if len(x) > 60 else "")
    return type(x).__name__


def _range_words(b: Bounds) -> Message:
    """The allowed range in words: 'between 0 and 1', 'more than 0 and at most 86,400,000'."""
    low = b.ge if b.ge is not None else b.gt
    args = {"low": _shown(low) if low is not None else "", "high": _shown(b.le) if b.le is not
            None else ""}
    if b.le is None:
        return msg("spec.range.at_least" if b.ge is not None else "spec.range.above", **args)
    if low is None:
        return msg("spec.range.at_most", **args)
    return msg("spec.range.between" if b.ge is not None else "spec.range.above_at_most", **args)


def _outside(x: Any, b: Bounds) -> bool:
    try:
        b.check(x)
    except ValueError:
        return True
    return False


def _number_problem(label: str, value: Any, b: Bounds, unit: str, lang: str) -> str | None:
    """The domain sentence for a number (or a range's end) outside its bounds, else None."""
    from rubrics.spec_fields import UNITS

    words = UNITS.get(unit, ("", ""))[1 if lang == "zh" else 0]
    args = {"label": label, "range": _range_words(b),
            "unit": (" " + words if lang != "zh" else words) if words else ""}
    ends = {k: value.get(k) for k in ("low", "likely", "high")} if isinstance(value, dict) \
        else {"": value}
    for end, x in ends.items():
        if end and x is None:
            continue  # a missing end is said by the Range model
        part = _say("spec.part", lang, part=_say(f"spec.end.{end}", lang)) if end else ""
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return _say("spec.not_a_number", lang, **args, part=part, got=_shown(x), why="")
        if _outside(x, b):
            # the reason for a bound (in English only) explains a number above it
            why = f" ({b.why})" if b.why and lang != "zh" and b.le is not None and x > b.le \
                else ""
            return _say("spec.out_of_range", lang, **args, part=part, got=_shown(x), why=why)
    return None


def _domain_message(err: ErrorDetails, loc: tuple[Any, ...], lang: str) -> str | None:
    """The error in domain words (label, value, allowed range) when the field is declared."""
    from rubrics.spec_fields import bounds, choices, find

    path = ".".join(str(k) for k in loc)
    field = find(path) if path else None
    if field is None:
        return None
    label = field.label(lang)
    kind, given = err["type"], err.get("input")
    if kind == "missing":
        return _say("spec.required", lang, label=label)
    if kind == "literal_error" and choices(path):
        return _say("spec.one_of", lang, label=label,
                    choices=", ".join(f"'{c}'" for c in choices(path)), got=_shown(given))
    if kind == "metric_range":  # a kill threshold: its range is its metric's
        metric = str((err.get("ctx") or {}).get("metric", ""))
        said = _number_problem(_say("spec.threshold_of", lang, label=label, metric=metric),
                               given, METRIC_RANGES.get(metric, Bounds()), "", lang)
        if said is not None:
            return said
    b = bounds(path)
    if b is not None and field.path == template_of(path):
        said = _number_problem(label, given, b, field.unit, lang)
        if said is not None:
            return said
        if isinstance(given, dict) and "low <= likely <= high" in err["msg"]:
            return _say("spec.order", lang, label=label, **{
                k: _shown(given.get(k)) for k in ("low", "likely", "high")})
    if field.kind not in ("num", "int", "float"):
        return None  # a sentence about a text or a list already reads well after its path
    return _say("spec.other", lang, label=label,
                detail=err["msg"].removeprefix("Value error, "))


def template_of(path: str) -> str:
    """`path` with list indices as `*` (see rubrics.spec_fields.template)."""
    from rubrics.spec_fields import template

    return template(path)


def describe_validation_error(err: ErrorDetails, text: str, file: str,
                              lang: str = "en") -> InputError:
    """One pydantic error as an InputError naming the field path and line, and saying in the
    field's own words (its label in `lang`) what was given and what is allowed."""
    loc = tuple(err["loc"])
    path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    line = _line_of(text, loc)
    where = f"{path} (line {line})" if line else path or "top level"
    kind = err["type"]
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = _field_names(Spec, loc)
        hint = close_names(str(loc[-1]), allowed)
        msg = f"unknown key {str(loc[-1])!r}" + (f"; did you mean {' or '.join(hint)}?" if hint
                                                   else f"; allowed: {', '.join(allowed)}")
    elif (said := _domain_message(err, loc, lang)) is not None:
        msg = said
    elif kind == "missing":
        msg = _say("spec.table_required", lang, table=path)
    elif kind == "literal_error":
        msg = msg.replace("Input should be", "must be one of")
    return InputError(msg, file=file, where=where)


def parse_spec(text: str, file: str = "<spec>", lang: str = "en") -> Spec:
    """Validate spec text; raises InputError with the file, line/column or field path (a
    `SpecErrors` naming every bad field at once when the models refuse it)."""
    data = parse_toml(text, file)
    if not data:
        raise InputError(f"empty spec; start from `scopecard example` ({SCHEMA})", file=file)
    if data.get("schema") != SCHEMA:
        raise InputError(f"schema must be {SCHEMA!r}, got {data.get('schema')!r}", file=file,
                         where="schema")
    try:
        return Spec.model_validate(data)
    except ValidationError as e:
        raise SpecErrors([describe_validation_error(err, text, file, lang)
                          for err in e.errors()]) from None


def load_spec(path: Path, lang: str = "en") -> Spec:
    """Read and validate a spec file (errors said in `lang`)."""
    return parse_spec(read_text(path, MAX_SPEC_BYTES), str(path), lang)


def allowed_folders(base_dir: Path, roots: Sequence[Path] = ()) -> list[Path]:
    """The resolved folders prompt files may be read from: the spec's own, then each root."""
    folders = []
    for root in (base_dir, *roots):
        try:
            folder = Path(root).resolve(strict=True)
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop
            folder = None
        if folder is None or not folder.is_dir():
            where = None if root is base_dir else "--prompt-root"
            raise InputError("no such folder (or it cannot be read)", file=str(root), where=where)
        folders.append(folder)
    return folders


def prompt_file_path(name: str, folders: list[Path], field: str, source: str | None) -> Path:
    """The real path of a prompt file named in the spec, which must lie inside `folders`.

    The name is taken relative to the spec's folder (folders[0]) and resolved through every
    symbolic link and `..`, so an absolute path, an escape by `..` and a link that points outside
    are all refused, naming the spec field.
    """
    allowed = (f"a prompt file must be inside the spec's folder ({folders[0]})"
               + (" or a --prompt-root folder (" + ", ".join(map(str, folders[1:])) + ")"
                  if len(folders) > 1 else "; name another folder with --prompt-root DIR"))
    if not name.strip():
        raise InputError("is empty; name a prompt file or leave the key out", file=source,
                         where=field)
    try:
        path = (folders[0] / name).resolve(strict=True)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file ({allowed})", file=source, where=field) from None
    except (OSError, RuntimeError, ValueError) as e:  # a symlink loop; a NUL in the name
        raise InputError(f"{name!r}: cannot be read ({getattr(e, 'strerror', None) or e})",
                         file=source, where=field) from None
    if not any(path.is_relative_to(folder) for folder in folders):
        raise InputError(f"{name} is {path}, outside the allowed folders; {allowed}",
                         file=source, where=field)
    return path


def prompt_texts(spec: Spec, base_dir: Path, roots: Sequence[Path] = (),
                 source: str | None = None) -> dict[str, str]:
    """The prompt parts given as text or files (files inside the spec's folder or `roots`).

    `source` (the spec file) is named in errors. A file must be a regular file of at most
    MAX_PROMPT_FILE_BYTES, and a text that looks like it holds an API key is refused: it would
    be copied into the decision record.
    """
    texts: dict[str, str] = {}
    named = any(getattr(spec.prompt, f"{part}_file", None) is not None for part in PROMPT_PARTS)
    folders = allowed_folders(base_dir, roots) if named or roots else []
    for part in PROMPT_PARTS:
        text = getattr(spec.prompt, f"{part}_text", None)
        file = getattr(spec.prompt, f"{part}_file", None)
        field = f"prompt.{part}_file"
        if text is not None:
            texts[part] = text
        elif file is not None:
            path = prompt_file_path(file, folders, field, source)
            try:
                texts[part] = read_text(path, MAX_PROMPT_FILE_BYTES)
                refuse_secret(texts[part])
            except (InputError, ValueError) as e:
                raise InputError(f"{file}: {getattr(e, 'message', e)}", file=source,
                                 where=field) from None
    return texts
