"""The decision record and the facts filed after it, as typed data (DESIGN §6).

A decision (`DecisionRecord`, `scopecard.decision/2`) is written once and never edited. What
happens later is its own small file: a `StatusEvent` (accepted, rejected, deprecated, superseded,
and the `supersedes` link on the newer decision) or a `ReviewEntry`. `DecisionState` puts a
decision and its files together and derives the status, the history and the review due date, so
two people who change the same decision at once write different files and git merges them.

Records of the first layout (`scopecard.decision/1`: one file with status, history and reviews
inside) load through `split_v1`, which keeps every key; `DecisionState.as_dict` gives the same
one-document shape back for exports and renderers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "scopecard.decision/2"
SCHEMA_V1 = "scopecard.decision/1"
REVIEW_SCHEMA = "scopecard.review/1"
EVENT_SCHEMA = "scopecard.event/1"
ID_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9-]{1,80}$")
STATUSES = ("proposed", "accepted", "rejected", "superseded", "deprecated")
LIVE = ("proposed", "accepted")  # statuses that still get reviewed
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("accepted", "rejected"),
    "accepted": ("superseded", "deprecated"),
    "rejected": (),
    "superseded": (),
    "deprecated": (),
}
# What a review can flag (rubrics.review).
FLAG_KINDS = ("review_due", "price_moved", "cheaper_model", "kill_criterion", "engine_changed",
              "edited", "conflict")
# The keys of a v1 record that changed after it was written; they live in event and review
# files now.
V1_MUTABLE = ("status", "history", "reviews", "supersedes", "superseded_by")

Number = float | str  # infinities are stored as "inf" / "-inf" (TOML has them, JSON does not)


class _Open(BaseModel):
    """Known fields typed; keys a newer version added are kept, so nothing is lost on a load."""

    model_config = ConfigDict(extra="allow")


class Check(_Open):
    k: int
    n: int
    errors: int = 0
    bar: float
    confidence: float | None = None
    low: float | None = None
    high: float | None = None
    status: str
    cases_needed: int | None = None


class Capability(_Open):
    suite: str = ""
    status: str
    run_ids: list[str] = []
    overall: Check
    tiers: dict[str, Check] = {}


class Quantiles(_Open):
    p10: Number
    p50: Number
    p90: Number


class TornadoBar(_Open):
    input: str
    nmb_low: Number
    nmb_high: Number


class Distribution(_Open):
    nmb: Quantiles
    roi: Quantiles
    monthly_ai_cost: Quantiles | None = None
    p_positive: float
    tornado: list[TornadoBar] = []


class CandidateOutput(_Open):
    model: str
    price_row: str = ""
    excluded: str | None = None
    warnings: list[str] = []
    tokens: dict[str, Any] = {}
    tokens_exact: bool = False
    input_tokens_per_call: float = 0.0
    output_tokens_per_call: float = 0.0
    cost_per_call: float
    cost_per_call_native: float | None = None
    native_currency: str | None = None
    fx_rate: float | None = None
    monthly_cost: float
    peak_tpm: float | None = None
    capability: Capability
    point: dict[str, Number]
    distribution: Distribution | None = None


class Alternative(_Open):
    name: str
    nmb: Number
    roi: Number | None = None
    monthly_cost: Number | None = None
    one_time: Number | None = None
    note: str = ""


class LoadOutput(_Open):
    tasks_per_day: float
    tasks_per_month: float
    calls_per_day: float
    calls_per_month: float
    avg_qps: float
    peak_qps: float


class Outputs(_Open):
    verdict: Literal["STOP", "RESEARCH SPIKE", "GO WITH CONDITIONS", "GO"]
    chosen: str | None = None
    reasons: list[str]
    conditions: list[str] = []
    drivers: list[str] = []
    assumptions: list[str] = []
    spike: dict[str, str] = {}
    messages: dict[str, Any] = Field(default={}, description="reasons, conditions, drivers and "
                                     "spike as message keys with arguments (rubrics/messages.py)")
    load: LoadOutput
    candidates: list[CandidateOutput]
    alternatives: list[Alternative] = []


class KillRecord(_Open):
    """A kill criterion as decided (with its note in English and as message data)."""

    metric: str
    comparator: Literal[">", ">=", "<", "<="]
    threshold: Number
    window_days: int = 7
    deadline: dt.date | None = None
    action: str
    note: str = ""
    note_message: dict[str, Any] | None = None


class EvalsSource(_Open):
    source: str
    suite: str | None = None
    suite_hash: str = ""
    tallies: list[dict[str, Any]] = []


class DecisionRecord(_Open):
    """One decision as made: inputs, the engine and seed, and the outputs. Never edited."""

    record_schema: Literal["scopecard.decision/2"] = Field("scopecard.decision/2", alias="schema")
    id: str = Field(pattern=ID_PATTERN.pattern)
    title: str
    created: dt.datetime
    engine_version: str
    seed: int
    as_of: dt.date
    review_due: dt.date
    spec: dict[str, Any] = Field(description="the spec as decided, prompt files inlined "
                                 "(rubrics.spec.Spec plus *_file_sha256 keys)")
    prices: list[dict[str, Any]] = Field(description="the price rows used "
                                         "(estimators.prices.PriceRow)")
    fx: list[dict[str, Any]] = Field(default=[], description="the FX rows used "
                                     "(estimators.prices.FxRate)")
    evals: EvalsSource
    thresholds: dict[str, Any]
    outputs: Outputs
    kill_criteria: list[KillRecord] = []
    migrated_from: str | None = Field(None, description="the scopecard.decision/1 file this "
                                      "decision was split from")
    sealed: str | None = Field(None, description="sha256 of the rest of the decision when it was "
                               "written: a hand edit since then shows (see `digest`)")

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def data(self) -> dict[str, Any]:
        """As plain data, the way it is written (dates as dates; keys in file order)."""
        return self.model_dump(mode="python", by_alias=True, exclude_unset=True,
                               exclude_none=True)

    def digest(self) -> str:
        """sha256 over the decision's content (all but `sealed`): the file keeps it as `sealed`
        and an acceptance keeps it, so a later hand edit of the file shows."""
        return content_digest({k: v for k, v in self.data().items() if k != "sealed"})

    def seal(self) -> DecisionRecord:
        """This decision with `sealed` set to its digest (done once, when it is written)."""
        return self.model_copy(update={"sealed": self.digest()})


class ReviewFlag(_Open):
    kind: str
    message: str
    message_data: dict[str, Any] | None = None


class ReviewEntry(_Open):
    """One review of a decision, filed as `decisions/<id>/reviews/<stamp>-<hash>.toml`."""

    date: dt.date
    engine_version: str = ""
    flags: list[ReviewFlag] = []
    reproduction: str | None = None
    price_moves: dict[str, float] = {}
    verdict_today_prices: str | None = None
    cheaper_models: list[str] = []
    actuals: dict[str, float] = {}
    usage: dict[str, Any] = Field(default={}, description="actual usage next to the forecast "
                                  "per month (rubrics.usage.actuals.UsageReview.entry)")
    next_due: dt.date | None = None


class StatusEvent(_Open):
    """A status change or a supersede link, filed as `decisions/<id>/events/<stamp>-<hash>.toml`.

    `kind = "status"`: the decision moved to `to` (with `by`, the newer decision, when it was
    superseded; `digest`, the decision's content digest, when it was accepted).
    `kind = "supersedes"`: this (newer) decision supersedes decision `id`.
    `kind = "usage_link"`: the decision's actual usage is the usage of `models` (catalogue ids)
    in `project`, `key` and `tag` where they are given; a later link replaces an earlier one.
    """

    kind: Literal["status", "supersedes", "usage_link"]
    at: dt.datetime
    to: str | None = None
    by: str | None = None
    id: str | None = None
    note: str = ""
    digest: str | None = None
    models: list[str] = []
    project: str | None = None
    key: str | None = None
    tag: str | None = None


def content_digest(data: Any) -> str:
    """sha256 of data as canonical JSON (sorted keys; dates as ISO text)."""
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def toml_safe(value: Any) -> Any:
    """Make data TOML-safe: drop None, turn tuples into lists, non-finite floats into strings."""
    if isinstance(value, dict):
        return {str(k): toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [toml_safe(v) for v in value if v is not None]
    if isinstance(value, float):
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if hasattr(value, "item"):  # numpy scalar
        return toml_safe(value.item())
    return value


class HistoryEntry(_Open):
    date: dt.date
    from_: str = Field(alias="from")
    to: str
    note: str = ""
    digest: str | None = None


class DecisionDocument(DecisionRecord):
    """A decision with what happened since, as one document: what `export --format json`
    writes and `record-schema` describes (`DecisionState.as_dict`)."""

    status: Literal["proposed", "accepted", "rejected", "superseded", "deprecated"] = Field(
        description="derived from the decision's events")
    history: list[HistoryEntry] = []
    supersedes: list[str] = []
    superseded_by: str | None = None
    reviews: list[ReviewEntry] = []
    next_review_due: dt.date
    integrity: str | None = Field(None, description="why the decision file no longer holds "
                                  "what was made or accepted, if it does not")


class DecisionState:
    """A decision with its events and reviews: the status and history derived from the events.

    Events apply in time order (then file name, the same on every clone); one that is not an
    allowed transition from the status reached so far — e.g. one person accepted while another
    rejected, and git merged both — is kept in `conflicts`, not applied.
    """

    def __init__(self, record: DecisionRecord, events: list[StatusEvent],
                 reviews: list[ReviewEntry]) -> None:
        self.record = record
        self.events = events
        self.reviews = sorted(reviews, key=lambda r: r.date)
        self.status = "proposed"
        self.history: list[dict[str, Any]] = []
        self.supersedes: list[str] = []
        self.superseded_by = ""
        self.conflicts: list[StatusEvent] = []
        self.usage_link: StatusEvent | None = None  # the latest usage_link event
        for e in events:
            if e.kind == "usage_link":
                self.usage_link = e
                continue
            if e.kind == "supersedes":
                if e.id and e.id not in self.supersedes:
                    self.supersedes.append(e.id)
                continue
            if e.to not in TRANSITIONS.get(self.status, ()):
                self.conflicts.append(e)
                continue
            entry: dict[str, Any] = {"date": e.at.date(), "from": self.status, "to": e.to}
            if e.note:
                entry["note"] = e.note
            if e.digest:
                entry["digest"] = e.digest
            self.history.append(entry)
            self.status = e.to
            if e.to == "superseded":
                self.superseded_by = e.by or ""

    @property
    def id(self) -> str:
        return self.record.id

    def next_review_due(self) -> dt.date:
        """The latest review's next_due, else the decision's own review_due."""
        for r in reversed(self.reviews):
            if r.next_due:
                return r.next_due
        return self.record.review_due

    def latest_flags(self) -> list[str]:
        return [f.kind for f in self.reviews[-1].flags] if self.reviews else []

    def integrity(self) -> str | None:
        """Why the decision file no longer holds what was made or accepted, if it does not."""
        accepted = [e for e in self.events if e.kind == "status" and e.to == "accepted"
                    and e.digest]
        if not self.record.sealed and not accepted:
            return None
        digest = self.record.digest()  # one canonical dump of ~25 KB, for both checks
        if self.record.sealed and self.record.sealed != digest:
            return ("the decision file was edited after it was made: it no longer shows what "
                    "was decided (restore it from git)")
        if accepted and accepted[-1].digest != digest:
            return (f"inputs or outputs were edited after acceptance on "
                    f"{accepted[-1].at.date()}: the decision no longer shows what was accepted "
                    "(restore it from git)")
        return None

    def as_dict(self) -> dict[str, Any]:
        """The decision and its later facts as one document (`DecisionDocument`): the shape
        exports and renderers read."""
        data = self.record.data()
        data["status"] = self.status
        if self.history:
            data["history"] = self.history
        if self.supersedes:
            data["supersedes"] = self.supersedes
        if self.superseded_by:
            data["superseded_by"] = self.superseded_by
        data["reviews"] = [r.model_dump(mode="python", exclude_unset=True, exclude_none=True)
                           for r in self.reviews]
        data["next_review_due"] = self.next_review_due()
        if problem := self.integrity():
            data["integrity"] = problem
        return data


def split_v1(data: dict[str, Any]) -> tuple[DecisionRecord, list[StatusEvent], list[ReviewEntry]]:
    """A `scopecard.decision/1` record as a decision, its events and its reviews.

    History entries become status events at midnight UTC of their date (v1 kept dates only; a
    microsecond per entry keeps their order); `supersedes` links become events of the newer
    decision. Nothing is dropped: unknown keys stay on the decision.
    """
    frozen = {k: v for k, v in data.items() if k not in V1_MUTABLE}
    v1_digest = content_digest(frozen)  # what v1 kept on acceptance
    record = DecisionRecord.model_validate(
        {**frozen, "schema": SCHEMA, "migrated_from": SCHEMA_V1}).seal()
    events: list[StatusEvent] = []
    for i, h in enumerate(data.get("history") or []):
        day = h["date"]
        at = dt.datetime.combine(day, dt.time(microsecond=i), tzinfo=dt.UTC)
        # an acceptance digest that held for the v1 file holds for the split decision; one
        # that did not (edited after acceptance) is kept as it was, so the edit still shows
        digest = h.get("digest")
        if digest == v1_digest:
            digest = record.digest()
        event = StatusEvent(kind="status", at=at, to=h["to"], note=h.get("note", ""),
                            digest=digest,
                            by=data.get("superseded_by") if h["to"] == "superseded" else None)
        events.append(event)
    for old in data.get("supersedes") or []:
        events.append(StatusEvent(kind="supersedes", at=dt.datetime.combine(
            record.as_of, dt.time(), tzinfo=dt.UTC), id=old))
    reviews = [ReviewEntry.model_validate(r) for r in data.get("reviews") or []]
    return record, events, reviews


def record_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a decision document as exported to JSON (`DecisionDocument`;
    dates as ISO text, infinities as "inf"/"-inf"), with the spec, price and FX rows in the
    shapes of their own models. Keys a newer version adds are allowed (`extra="allow"`)."""
    from estimators.prices import FxRate, PriceRow
    from rubrics.spec import Spec

    ref = "#/$defs/{model}"
    schema = DecisionDocument.model_json_schema(by_alias=True, mode="serialization",
                                                ref_template=ref)
    defs = schema.setdefault("$defs", {})
    for model in (Spec, PriceRow, FxRate):
        part = model.model_json_schema(by_alias=True, mode="serialization", ref_template=ref)
        for name, sub in part.pop("$defs", {}).items():
            if defs.setdefault(name, sub) != sub:
                raise RuntimeError(f"schema definition {name!r} defined twice")
        defs[model.__name__] = part
    # the decision's spec also keeps the hash of each inlined prompt file
    defs["PromptSpec"]["patternProperties"] = {
        "^(system|user|context|output|reasoning)_file_sha256$": {"type": "string",
                                                                "pattern": "^[0-9a-f]{64}$"}}
    props = schema["properties"]
    props["spec"] = {"$ref": ref.format(model="Spec")}
    for key, name in (("prices", "PriceRow"), ("fx", "FxRate")):
        props[key] = {"type": "array", "items": {"$ref": ref.format(model=name)}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"scopecard decision ({SCHEMA}) with its events and reviews", **schema}
