"""`scopecard review`: recompute a decision record four ways and flag what needs attention.

1. original inputs: the record's own spec, price and FX rows, eval tallies and seed. The outputs
   must equal the stored ones; when they do not, the engine changed, and the figures that moved
   are named.
2. today's prices: the workspace's catalogue on the review date; the move of each candidate's
   cost per call, flagged beyond the rubric's `price_move_flag`.
3. newest evals: the workspace's eval store; each candidate's capability now, and any model in
   the store with a price row that now meets the bar more cheaply than the chosen one.
4. actuals: figures the PM enters, and those the linked usage gives (its latest full month;
   the invoiced amount where a costs export covers it), checked against every kill criterion.

Nothing stored is trusted in place of a computation. Computations are cached for one run by a
hash of all their inputs (REVIEW_INPUTS), so decisions with identical inputs share one (honest)
computation. Each review is filed as its own file beside its decision (RecordStore.add_review).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import operator
import os
import sqlite3
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from estimators import ENGINE_VERSION
from estimators.errors import InputError
from estimators.paths import Workspace
from estimators.prices import Catalogue, FxRate, PriceRow
from estimators.safefile import read_toml
from estimators.tokens import TokenCount
from rubrics.economics import shared_simulation
from rubrics.estimate import Estimate, counts_kept, estimate
from rubrics.evals.results import Tally
from rubrics.messages import Message, from_json, msg, plain, render, table
from rubrics.record import LIVE, DecisionState, ReviewEntry
from rubrics.record_store import RecordStore
from rubrics.scenarios import rubric
from rubrics.spec import METRIC_RANGES, PROMPT_PARTS, Candidate, Spec
from rubrics.usage.actuals import Invoiced, UsageReview, usage_lines
from rubrics.usage.files import Daily
from rubrics.verdict import Decision, capability_of, decide

REL_TOL = 1e-9  # reproduction is exact arithmetic on the same inputs; this only absorbs noise
METRICS = tuple(METRIC_RANGES)
ALIASES = {"monthly_cost": "monthly_spend"}
MAX_ACTUALS_BYTES = 100_000
MAX_CANDIDATES = 50  # a spec's limit: models from the eval store are priced in chunks of this
NO_DIR = Path("/nonexistent")  # a record's prompts are inlined: nothing is read from disk
COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
# The parts of a decision `review` recomputes from; its computations get these and nothing else.
REVIEW_INPUTS = ("spec", "prices", "fx", "evals", "as_of", "seed", "outputs", "thresholds",
                 "kill_criteria", "engine_version")


@dataclass(frozen=True)
class Newest:
    """The newest tallies of a suite (one case set), or None and why there are none."""

    tallies: dict[tuple[str, str, str], Tally] | None
    suite_hash: str = ""
    why: str = ""
    why_message: Message | None = None  # `why` as a message (else it is shown as written)


TalliesSource = Callable[[str], Newest]


@dataclass(frozen=True)
class _Tallies:
    """A record's eval tallies: their hash, and how to build them (only a computation that is
    not cached yet needs them)."""

    key: str
    build: Callable[[], dict[tuple[str, str, str], Tally]]


@dataclass(frozen=True)
class Flag:
    kind: str  # one of rubrics.record.FLAG_KINDS
    message: str  # in English, as stored
    # the sentence as data (rubrics.messages), stored next to `message` like a decision's
    # sentences, so a review made in one language can be shown in the other
    message_data: dict[str, Any] = field(default_factory=dict, hash=False)


def _flag(kind: str, said: Message) -> Flag:
    """A flag whose sentence is `said`: its English text and its data."""
    return Flag(kind, str(said), said.to_json())


@dataclass
class Reproduction:
    status: str  # "reproduced" | "engine changed" | "not reproducible"
    differences: list[str] = field(default_factory=list)
    note: str = ""
    difference_messages: list[dict[str, Any]] = field(default_factory=list)
    note_message: dict[str, Any] | None = None


def _reproduction(status: str, note: Message | None = None,
                  differences: list[Message] | None = None) -> Reproduction:
    """A Reproduction whose note and differences are messages (English text beside them)."""
    diffs = differences or []
    return Reproduction(status, [str(d) for d in diffs], str(note) if note else "",
                        [d.to_json() for d in diffs], note.to_json() if note else None)


@dataclass
class PriceMove:
    model: str
    recorded: float  # cost per call in the record (reporting currency)
    today: float | None  # None when the model has no price on the review date
    change: float | None  # share: -0.5 is a 50% cut
    note: str = ""


@dataclass
class TodayPrices:
    moves: list[PriceMove] = field(default_factory=list)
    verdict: str | None = None  # the verdict under today's prices, when any price moved
    chosen: str | None = None
    note: str = ""
    note_message: dict[str, Any] | None = None

    def say(self, note: Message) -> None:
        """Set the note (English text and message)."""
        self.note, self.note_message = str(note), note.to_json()


@dataclass
class ModelNow:
    model: str
    status_then: str
    status_now: str
    k: int
    n: int


@dataclass
class Cheaper:
    model: str
    k: int
    n: int
    cost_per_call: float
    chosen_cost_per_call: float | None  # None when the record chose no model


@dataclass
class NewestEvals:
    note: str = ""  # why there is nothing to show, e.g. "no eval store"
    candidates: list[ModelNow] = field(default_factory=list)
    cheaper: list[Cheaper] = field(default_factory=list)
    note_message: dict[str, Any] | None = None

    def say(self, note: Message) -> None:
        """Set the note (English text and message)."""
        self.note, self.note_message = str(note), note.to_json()


@dataclass
class KillCheck:
    metric: str
    comparator: str
    threshold: float
    action: str
    actual: float | None  # None when no actual was given for the metric
    met: bool
    window: str = ""  # where the actual came from: "typed", or the usage month (YYYY-MM)


@dataclass
class Review:
    id: str
    date: dt.date
    title: str = ""
    status: str = ""
    verdict: str = ""
    chosen: str | None = None
    next_due: dt.date | None = None
    reproduction: Reproduction | None = None
    today: TodayPrices | None = None
    evals: NewestEvals | None = None
    kills: list[KillCheck] = field(default_factory=list)
    actuals: dict[str, float] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    error: str | None = None  # the record could not be read
    saved: bool = False
    usage: UsageReview | None = None  # the linked usage next to the forecast
    usage_error: str | None = None  # why the linked usage could not be reviewed
    firings: list[dict[str, Any]] = field(default_factory=list)  # kill criteria that fired


@dataclass
class _Shared:
    """What a review computes from a record's REVIEW_INPUTS alone: one computation serves every
    record of the run whose inputs are equal."""

    next_due: dt.date | None = None
    reproduction: Reproduction | None = None
    today: TodayPrices | None = None
    evals: NewestEvals | None = None
    flags: list[Flag] = field(default_factory=list)


# --- inputs -------------------------------------------------------------------------------------

def parse_actuals(pairs: list[str], file: Path | None = None) -> dict[str, float]:
    """Actuals from KEY=VALUE pairs and/or a small TOML file (pairs win); keys are metrics."""
    raw: dict[str, Any] = {}
    if file is not None:
        # bounded, regular files only, nesting and syntax errors as InputError naming the file
        parsed = read_toml(file, MAX_ACTUALS_BYTES)
        actuals = parsed.get("actuals", parsed)
        if not isinstance(actuals, dict):
            raise InputError("[actuals] must be a table of metric = number", file=str(file),
                             where="actuals")
        raw.update(actuals)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InputError(f"--actual {pair!r}: use KEY=VALUE, e.g. monthly_cost=1234")
        raw[key.strip()] = value.strip()
    allowed = METRICS + tuple(ALIASES)
    out: dict[str, float] = {}
    for key, value in raw.items():
        if key not in allowed:
            raise InputError(f"unknown actual {key!r}; allowed: {', '.join(allowed)}")
        metric = ALIASES.get(key, key)
        out[metric] = _actual(key, value, metric)
    return out


def _actual(key: str, value: Any, metric: str) -> float:
    """One typed actual (text from --actual, a number from the file) inside its metric's range."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise InputError(f"actual {key} = {value!r} is not a number") from None
    try:
        return METRIC_RANGES[metric].check(value)
    except ValueError as e:
        raise InputError(f"actual {key} {e}") from None


def review_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """The REVIEW_INPUTS of a decision's data."""
    return {k: data[k] for k in REVIEW_INPUTS if k in data}


def record_spec(record: dict[str, Any]) -> Spec:
    """The record's spec as a Spec (prompt texts inlined; their file hashes set aside)."""
    data = dict(record["spec"])
    prompt = {k: v for k, v in data.get("prompt", {}).items() if not k.endswith("_file_sha256")}
    for part in PROMPT_PARTS:
        if f"{part}_file" in prompt:
            raise InputError(f"prompt file {prompt[f'{part}_file']!r} was too large to copy into "
                             "the record; the record alone cannot reproduce its token counts")
    data["prompt"] = prompt
    return Spec.model_validate(data)


def record_catalogue(record: dict[str, Any]) -> Catalogue:
    """A catalogue of exactly the price and FX rows the record used (spec prices excluded:
    those come from the spec itself)."""
    rows = [PriceRow.model_validate(r) for r in record.get("prices", [])
            if r.get("origin") != "spec"]
    fx = [FxRate.model_validate(r) for r in record.get("fx", [])]
    return Catalogue(rows, fx, ["record"])


def record_tallies(record: dict[str, Any], suite: str) -> dict[tuple[str, str, str], Tally]:
    """The eval tallies the record was decided on, keyed like rubrics.evals.results.tally."""
    return {(t["model"], suite, t["difficulty"]): Tally(t["k"], t["n"], t.get("errors", 0),
                                                         tuple(t.get("run_ids", ())))
            for t in record.get("evals", {}).get("tallies", [])}


def store_tallies(ws: Workspace, suite: str) -> Newest:
    """The newest tallies of `suite` from the workspace's eval store (compared on one case
    set, as `decide` does), or why there are none."""
    if not (ws.evals_dir.is_dir() or ws.legacy_evals_db.exists()):
        return _no_tallies(msg("review.note.no_store"))
    try:
        from rubrics.evals.files import open_store
    except ImportError:
        return _no_tallies(msg("review.note.no_store_build"))
    try:
        with open_store(ws) as store:
            tallies, suite_hash = store.suite_tallies(suite)
    except (InputError, sqlite3.Error) as e:
        return _no_tallies(msg("review.note.store_unreadable", error=str(e)))
    return Newest(tallies, suite_hash)


def _no_tallies(why: Message) -> Newest:
    """No tallies, and why."""
    return Newest(None, why=str(why), why_message=why)


def _number(x: Any) -> float:
    """A stored figure as a float (non-finite numbers are stored as text)."""
    return float(x)


def _close(a: Any, b: Any) -> bool:
    a, b = _number(a), _number(b)
    return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)


def _key(*parts: Any) -> str:
    """A hash of computation inputs. repr, not JSON: it tells a date from a string and 1 from
    1.0, and costs less (a run hashes ~7 KB per record). Key order counts, so equal data in
    another order is only computed again."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


# --- comparing ----------------------------------------------------------------------------------

def differences(record: dict[str, Any], d: Decision) -> list[Message]:
    """Where a recomputed decision differs from the stored outputs (empty: it reproduces)."""
    out = record["outputs"]
    diffs = []
    if out.get("verdict") != d.verdict.value:
        diffs.append(msg("review.diff.verdict", then=str(out.get("verdict")),
                         now=d.verdict.value))
    if out.get("chosen") != d.chosen:
        none = msg("md.none")
        diffs.append(msg("review.diff.chosen", then=out.get("chosen") or none,
                         now=d.chosen or none))
    thresholds = record.get("thresholds", {})
    for name, now in (("bar", d.bar), ("confidence", d.confidence)):
        if name in thresholds and not _close(thresholds[name], now):
            diffs.append(msg("review.diff.change", name=name, then=str(thresholds[name]),
                             now=str(now)))
    stored = {c["model"]: c for c in out.get("candidates", [])}
    for r in d.candidates:
        model = r.estimate.model
        c = stored.pop(model, None)
        if c is None:
            diffs.append(msg("review.diff.missing", model=model))
            continue
        pairs = [(msg("review.figure.cost_per_call"), c.get("cost_per_call"),
                  r.estimate.cost_per_call),
                 (msg("review.figure.monthly_cost"), c.get("monthly_cost"),
                  r.estimate.monthly_cost)]
        dist = c.get("distribution")
        if (dist is None) != (r.distribution is None):
            diffs.append(msg("review.diff.simulated_now" if dist is None
                             else "review.diff.simulated_then", model=model))
        elif r.distribution is not None:
            for q in ("p10", "p50", "p90"):
                pairs.append((msg("review.figure.nmb", q=q.upper()), dist["nmb"][q],
                              r.distribution.nmb[q]))
                pairs.append((msg("review.figure.roi", q=q.upper()), dist["roi"][q],
                              r.distribution.roi[q]))
        diffs.extend(msg("review.diff.figure", model=model, name=name, then=_number(then),
                         now=now)
                     for name, then, now in pairs if then is None or not _close(then, now))
    diffs.extend(msg("review.diff.extra", model=model) for model in stored)
    return diffs


def rule_changes(record: dict[str, Any], d: Decision) -> list[Message]:
    """Rubric thresholds and scenario preset values that differ from the record's."""
    thresholds = record.get("thresholds", {})
    preset = thresholds.get("preset", {})
    changes = [msg("review.diff.rubric", name=name, then=str(thresholds[name]), now=str(now))
               for name, now in asdict(d.rubric).items()
               if name in thresholds and thresholds[name] != now]
    changes += [msg("review.diff.scenario", scenario=d.scenario.name, name=name,
                    then=str(preset[name]), now=str(now))
                for name, now in asdict(d.scenario).items()
                if name in preset and preset[name] != now]
    return changes


def kill_checks(record: dict[str, Any], actuals: dict[str, float],
                windows: dict[str, str] | None = None) -> list[KillCheck]:
    """Every kill criterion of the record against the actuals given (`windows`: where each
    actual came from, by metric)."""
    out = []
    for k in record.get("kill_criteria", []):
        actual = actuals.get(k["metric"])
        threshold = _number(k["threshold"])
        met = actual is not None and COMPARE[k["comparator"]](actual, threshold)
        out.append(KillCheck(k["metric"], k["comparator"], threshold, k.get("action", ""),
                             actual, met, (windows or {}).get(k["metric"], "")))
    return out


def usage_actuals(usage: UsageReview | None, typed: dict[str, float]
                  ) -> tuple[dict[str, float], dict[str, str]]:
    """The actuals kill criteria are checked against, and where each came from: usage's
    figures of its latest full month where it has them; typed actuals win."""
    actuals: dict[str, float] = {}
    windows: dict[str, str] = {}
    if usage is not None:
        for metric, value in usage.metrics.items():
            if metric in METRICS:
                actuals[metric], windows[metric] = value, usage.window
    for metric, value in typed.items():
        actuals[metric], windows[metric] = value, "typed"
    return actuals, windows


def firings(record_id: str, kills: list[KillCheck]) -> list[dict[str, Any]]:
    """The kill criteria that fired, for `review --json` and `--fail-on-flag`."""
    return [{"decision": record_id, "criterion": k.metric, "comparator": k.comparator,
             "value": k.actual, "threshold": k.threshold, "window": k.window, "action": k.action}
            for k in kills if k.met]


def kill_flags(kills: list[KillCheck]) -> list[Flag]:
    """A kill_criterion flag for each criterion that fired."""
    return [_flag("kill_criterion", msg("review.flag.kill", metric=k.metric, actual=k.actual,
                                        comparator=k.comparator, threshold=k.threshold,
                                        action=_action(k.action)))
            for k in kills if k.met]


# --- the reviewer -------------------------------------------------------------------------------

class Reviewer:
    """Reviews records of one workspace as of one date, sharing loaded data across records."""

    def __init__(self, ws: Workspace, today: dt.date, actuals: dict[str, float] | None = None,
                 tallies_source: TalliesSource | None = None):
        self.ws = ws
        self.today = today
        self.actuals = actuals or {}
        self.threshold = rubric().price_move_flag
        self._tallies_source = tallies_source or (lambda suite: store_tallies(ws, suite))
        self._catalogue: Catalogue | None = None
        self._store: dict[str, Newest] = {}
        self._memo: dict[Hashable, Any] = {}
        self._daily: list[Daily] | None = None
        self._costs: list[Invoiced] | None = None
        self._counts: dict[str, TokenCount] = {}

    def daily(self) -> list[Daily]:
        """The workspace's daily usage (read once per run, from its cache)."""
        if self._daily is None:
            from rubrics.usage.files import daily_usage

            self._daily = daily_usage(self.ws, self.catalogue())
        return self._daily

    def costs(self) -> list[Invoiced]:
        """The rows of the workspace's kept costs exports (read once per run)."""
        if self._costs is None:
            from rubrics.usage.actuals import kept_costs

            self._costs = kept_costs(self.ws, self.catalogue())
        return self._costs

    def usage_of(self, state: DecisionState) -> UsageReview | None:
        """The decision's linked usage next to its forecast (None when it is not linked)."""
        if state.usage_link is None:
            return None
        from rubrics.usage.actuals import usage_review

        return usage_review(state.record, state.usage_link, self.daily(), self.catalogue(),
                            self.today, self.actuals, self.costs())

    def catalogue(self) -> Catalogue:
        """Today's workspace catalogue (loaded once per run)."""
        if self._catalogue is None:
            from rubrics.pipeline import catalogue_for

            self._catalogue = catalogue_for(self.ws)
        return self._catalogue

    def _cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """compute(), once per distinct key; errors are cached too, so they repeat alike."""
        if key not in self._memo:
            try:
                self._memo[key] = compute()
            except InputError as e:
                self._memo[key] = e
        hit = self._memo[key]
        if isinstance(hit, InputError):
            raise hit
        return hit

    def review_state(self, state: DecisionState) -> Review:
        """All four recomputations of one decision, and the flags they raise. Decisions whose
        REVIEW_INPUTS are equal share one computation in a run."""
        inputs = review_inputs(state.record.data())
        key = ("review", _key(inputs))
        shared = self._memo.get(key)
        if shared is None:
            shared = self._memo[key] = self._recompute(inputs)
        outputs = state.record.outputs
        rv = Review(id=state.id, date=self.today, title=state.record.title, status=state.status,
                    verdict=outputs.verdict, chosen=outputs.chosen, next_due=shared.next_due,
                    reproduction=shared.reproduction, today=shared.today, evals=shared.evals,
                    actuals=dict(self.actuals))
        try:
            rv.usage = self.usage_of(state)
        except InputError as e:
            rv.usage_error = str(e)
        actuals, windows = usage_actuals(rv.usage, self.actuals)
        rv.kills = kill_checks(inputs, actuals, windows)
        rv.firings = firings(state.id, rv.kills)
        flags = []
        due = state.next_review_due()
        if state.status in LIVE and self.today >= due:
            flags.append(_flag("review_due", msg("review.flag.review_due", due=str(due))))
        edited = state.integrity()
        if edited:  # rubrics.record's sentence, as it writes it
            flags.append(_flag("edited", plain(edited)))
        rv.flags = flags + shared.flags + kill_flags(rv.kills)
        return rv

    def _recompute(self, record: dict[str, Any]) -> _Shared:
        """The four recomputations from a record's REVIEW_INPUTS (`record` holds no more).

        Token counts are kept for the run; the Monte Carlo input draws for this decision only
        (the original and today's-prices decisions share them: same spec, seed and draws), and
        no tornado is drawn: a review compares quantiles and verdicts, never the tornado."""
        with counts_kept(self._counts), shared_simulation(tornado=False):
            return self._recompute_all(record)

    def _recompute_all(self, record: dict[str, Any]) -> _Shared:
        """_recompute, with its caches set up."""
        out = _Shared()
        spec_key = _key(record.get("spec"))
        try:
            spec = self._cached("spec" + spec_key, lambda: record_spec(record))
        except (InputError, ValueError) as e:
            out.reproduction = _reproduction("engine changed" if isinstance(e, ValueError)
                                             else "not reproducible", plain(_first_line(e)))
            spec = None
        if spec is not None:
            out.next_due = self.today + dt.timedelta(days=spec.commit.review_after_days)
            suite = spec.quality.suite
            raw_tallies = record.get("evals", {}).get("tallies")
            tallies = _Tallies(_key(raw_tallies, suite), lambda: record_tallies(record, suite))
            out.reproduction = self._reproduce(record, spec, spec_key, tallies)
            out.today = self._today_prices(record, spec, spec_key, tallies)
            out.evals = self._newest_evals(record, spec, spec_key, out.today)
        out.flags = self._flags(record.get("outputs", {}).get("chosen"), out)
        return out

    # 1. original inputs
    def _reproduce(self, record: dict[str, Any], spec: Spec, spec_key: str,
                   tallies: _Tallies) -> Reproduction:
        as_of, seed = record["as_of"], int(record["seed"])
        key = _key("original", spec_key, record.get("prices"), record.get("fx"), tallies.key,
                   seed, as_of)

        embedding = spec.alternatives.embedding_model
        # the embedding alternative's model when the record keeps no price for it
        borrowed = embedding if embedding and not any(r.get("id") == embedding
                                                       for r in record.get("prices", [])) else None

        def run() -> Decision:
            catalogue = record_catalogue(record)
            if borrowed is not None:
                catalogue.rows.extend(self.catalogue().history(borrowed))
                catalogue.fx.extend(self.catalogue().fx)
            return decide(estimate(spec, NO_DIR, catalogue, as_of), tallies.build(), catalogue,
                          seed)

        try:
            d = self._cached(key, run)
        except InputError as e:
            return _reproduction("not reproducible", plain(e.message))
        except ValueError as e:  # a stored price row the current engine refuses
            return _reproduction("engine changed", plain(_first_line(e)))
        note = msg("review.note.borrowed", model=embedding) if borrowed is not None else None
        diffs = differences(record, d)
        if not diffs:
            return _reproduction("reproduced", note)
        why = [msg("review.note.engine", then=str(record.get("engine_version", "?")),
                   now=ENGINE_VERSION), *rule_changes(record, d), *([note] if note else [])]
        return _reproduction("engine changed", _joined(why), diffs)

    # 2. today's prices
    def _today_prices(self, record: dict[str, Any], spec: Spec, spec_key: str,
                      tallies: _Tallies) -> TodayPrices:
        catalogue = self.catalogue()
        stored = {c["model"]: c for c in record["outputs"].get("candidates", [])}
        priced, missing = [], []
        for cand in spec.candidates:
            try:
                if cand.price is None:
                    self._cached(("lookup", cand.model, self.today),
                                 partial(catalogue.lookup, cand.model, self.today))
                priced.append(cand)
            except InputError as e:
                missing.append(PriceMove(cand.model, _number(stored[cand.model]["cost_per_call"]),
                                         None, None, e.message))
        result = TodayPrices(moves=list(missing))
        if not priced:
            result.say(msg("review.note.no_priced"))
            return result
        spec_now = spec.model_copy(update={"candidates": priced}) if missing else spec
        try:
            est: Estimate = self._cached(_key("today", spec_key, self.today),
                                         lambda: estimate(spec_now, NO_DIR, catalogue,
                                                          self.today))
        except InputError as e:
            result.say(plain(e.message))
            return result
        moved = bool(missing)
        for c in est.candidates:
            then = stored.get(c.model)
            if then is None:
                continue
            recorded = _number(then["cost_per_call"])
            change = (c.cost_per_call - recorded) / recorded if recorded else None
            moved = moved or not _close(recorded, c.cost_per_call) \
                or bool(then.get("excluded")) != bool(c.excluded)
            result.moves.append(PriceMove(c.model, recorded, c.cost_per_call, change,
                                          f"{c.row.id} @ {c.row.effective_from or 'undated'}"))
        if moved:  # unchanged prices would only repeat the original decision
            try:
                d = self._cached(_key("today-decision", spec_key, self.today, tallies.key,
                                      record["seed"]),
                                 lambda: decide(est, tallies.build(), catalogue,
                                                int(record["seed"])))
                result.verdict, result.chosen = d.verdict.value, d.chosen
            except InputError as e:
                result.say(plain(e.message))
        return result

    # 3. newest evals
    def _newest_evals(self, record: dict[str, Any], spec: Spec, spec_key: str,
                      today: TodayPrices) -> NewestEvals:
        suite = spec.quality.suite
        if suite not in self._store:
            self._store[suite] = self._tallies_source(suite)
        newest = self._store[suite]
        tallies = newest.tallies
        if tallies is None:
            result = NewestEvals()
            result.say(newest.why_message or plain(newest.why))
            return result
        thresholds = record.get("thresholds", {})
        bar = float(thresholds.get("bar", 0.0))
        confidence = float(thresholds.get("confidence", 0.95))
        result = NewestEvals()

        def capability(model: str) -> Any:  # the store's tallies are fixed for the run
            return self._cached(("capability", model, spec_key, bar, confidence),
                                lambda: capability_of(model, spec, tallies, bar, confidence))

        for c in record["outputs"].get("candidates", []):
            cap = capability(c["model"])
            result.candidates.append(ModelNow(c["model"], c["capability"]["status"],
                                              cap.status.value, cap.overall.k, cap.overall.n))
        chosen = record["outputs"].get("chosen")
        chosen_cost = next((m.today for m in today.moves if m.model == chosen), None)
        if chosen and chosen_cost is None:
            stored = {c["model"]: c for c in record["outputs"].get("candidates", [])}
            chosen_cost = _number(stored[chosen]["cost_per_call"]) if chosen in stored else None
        meets = [m for m in sorted({m for m, _, d in tallies if d == "all"}) if m != chosen
                 and capability(m).status.value == "MEETS"]
        for est in self._price_models(spec, spec_key, meets):
            for c in est.candidates:
                if c.excluded or (chosen_cost is not None and c.cost_per_call >= chosen_cost):
                    continue
                cap = capability(c.model)
                result.cheaper.append(Cheaper(c.model, cap.overall.k, cap.overall.n,
                                              c.cost_per_call, chosen_cost))
        result.cheaper.sort(key=lambda c: c.cost_per_call)
        recorded = record.get("evals", {}).get("suite_hash", "")
        if not tallies:
            result.say(msg("review.note.no_results", suite=suite))
        elif recorded and newest.suite_hash and newest.suite_hash != recorded:
            result.say(msg("review.note.case_set", newest=newest.suite_hash[:12],
                           recorded=recorded[:12]))
        return result

    def _price_models(self, spec: Spec, spec_key: str, models: list[str]) -> list[Estimate]:
        """The spec's cost on each model that has a chat price row today (in spec-sized chunks)."""
        catalogue = self.catalogue()
        priced = []
        for m in models:
            try:
                if catalogue.lookup(m, self.today).kind == "chat":
                    priced.append(m)
            except InputError:
                continue  # a model without a price cannot be compared on cost
        out = []
        for i in range(0, len(priced), MAX_CANDIDATES):
            chunk = [Candidate(model=m) for m in priced[i:i + MAX_CANDIDATES]]
            spec_now = spec.model_copy(update={"candidates": chunk})
            key = ("models", spec_key, tuple(c.model for c in chunk), self.today)
            try:
                out.append(self._cached(key, partial(estimate, spec_now, NO_DIR, catalogue,
                                                     self.today)))
            except InputError:
                continue  # e.g. no FX rate to the spec's currency: nothing comparable
        return out

    # flags (those of the record's own status and history: review_view)
    def _flags(self, chosen: str | None, rv: _Shared) -> list[Flag]:
        flags = []
        rep = rv.reproduction
        if rep and rep.status == "engine changed":
            detail = ([said for d in rep.difference_messages[:5] if (said := from_json(d))]
                      or [from_json(rep.note_message) or plain(rep.note)])
            flags.append(_flag("engine_changed", msg("review.flag.engine_changed",
                                                     detail=_joined(detail))))
        for m in rv.today.moves if rv.today else []:
            if m.change is not None and abs(m.change) > self.threshold:
                flags.append(_flag("price_moved", msg("review.flag.price_moved", model=m.model,
                                                      change=m.change, recorded=m.recorded,
                                                      today=m.today)))
            elif m.today is None:  # the note is the catalogue's own sentence
                flags.append(_flag("price_moved", msg("review.flag.no_price", model=m.model,
                                                      note=plain(m.note))))
        for c in rv.evals.cheaper if rv.evals else []:
            flags.append(_flag("cheaper_model", msg(
                "review.flag.cheaper_none", model=c.model, k=c.k, n=c.n, cost=c.cost_per_call)
                if c.chosen_cost_per_call is None else msg(
                "review.flag.cheaper", model=c.model, k=c.k, n=c.n, cost=c.cost_per_call,
                chosen=str(chosen), chosen_cost=c.chosen_cost_per_call)))
        return flags


def _action(action: str) -> Message:
    """A kill criterion's action as a message (a name no table knows is shown as written)."""
    key = f"action.{action}"
    return msg(key) if key in table("en") else plain(action)


def _first_line(e: Exception) -> str:
    return (getattr(e, "message", None) or str(e)).splitlines()[0]


def _joined(parts: list[Message]) -> Message:
    """Sentences joined by the language's semicolon (a list argument would join with commas)."""
    if len(parts) == 1:
        return parts[0]
    return msg("review.semicolon", first=parts[0], rest=_joined(parts[1:]))


# --- text ---------------------------------------------------------------------------------------

def say_stored(english: str, data: Any, lang: str) -> str:
    """A stored sentence in `lang`: the English as stored, else its message rendered (the
    English when there is no message data: a review saved before messages were kept)."""
    said = from_json(data) if lang != "en" else None
    return english if said is None else render(said, lang)


def status_word(status: str) -> Message:
    """A record's or a reproduction's status word as a message (an unknown one as written)."""
    for prefix in ("status", "review.status"):
        if f"{prefix}.{status}" in table("en"):
            return msg(f"{prefix}.{status}")
    return plain(status)


def flag_text(f: Flag | dict[str, Any], lang: str = "en") -> str:
    """A flag's sentence in `lang` (a Flag, or a flag entry as stored in a record)."""
    if isinstance(f, Flag):
        return say_stored(f.message, f.message_data, lang)
    return say_stored(str(f.get("message", "")), f.get("message_data"), lang)


def review_lines(rv: Review, lang: str = "en") -> list[str]:
    """One review for the terminal, line by line, in `lang` (English: as it always read)."""
    if rv.error:  # the reader's own sentence
        return [render(msg("review.error", id=rv.id, error=rv.error), lang)]
    chosen = f" — {rv.chosen}" if rv.chosen else ""
    lines = [f"{rv.id}  {rv.title}  [{render(status_word(rv.status), lang)}]  {rv.verdict}{chosen}"]
    rep = rv.reproduction
    if rep is not None:
        note = say_stored(rep.note, rep.note_message, lang)
        lines.append("  " + render(msg("review.original_note" if note else "review.original",
                                       status=status_word(rep.status), note=note), lang))
        stored: list[Any] = list(rep.difference_messages)
        stored = stored or [None] * len(rep.differences)  # a review from before messages
        lines += [f"      {say_stored(d, m, lang)}" for d, m in zip(rep.differences, stored,
                                                             strict=True)]
    if rv.today:
        lines.append("  " + render(_today_line(rv), lang))
    if rv.evals:
        changed = [msg("review.evals_change", model=m.model, then=m.status_then,
                       now=m.status_now, k=m.k, n=m.n)
                   for m in rv.evals.candidates if m.status_then != m.status_now]
        detail = (from_json(rv.evals.note_message) or plain(rv.evals.note) if rv.evals.note
                  else _joined(changed) if changed else msg("review.evals_unchanged"))
        lines.append("  " + render(msg("review.evals", detail=detail), lang))
    checked = [msg("review.actual", metric=k.metric, actual=k.actual, comparator=k.comparator,
                   threshold=k.threshold, state=msg("review.met" if k.met else "review.not_met"))
               for k in rv.kills if k.actual is not None]
    if checked:
        lines.append("  " + render(msg("review.actuals", checks=_joined(checked)), lang))
    if rv.usage is not None:
        lines += ["  " + line for line in usage_lines(rv.usage.entry(), lang)]
    if rv.usage_error:
        lines.append("  " + render(msg("usage.error", error=rv.usage_error), lang))
    lines += ([f"  ! {f.kind}: {flag_text(f, lang)}" for f in rv.flags]
              or ["  " + render(msg("review.no_flags"), lang)])
    if rv.saved:
        lines.append("  " + render(msg("review.saved", date=str(rv.next_due)), lang))
    return lines


def _today_line(rv: Review) -> Message:
    """The today's-prices line: each candidate's move, or why there are none, and the verdict
    under today's prices when it was recomputed."""
    today = rv.today
    assert today is not None
    moves: list[Message] = [msg("review.move", model=m.model, change=m.change)
                            if m.change is not None else msg("review.no_price", model=m.model)
                            for m in today.moves]
    said: Any = moves or from_json(today.note_message) or plain(today.note)
    if not today.verdict:
        return msg("review.today", date=str(rv.date), moves=said)
    if today.chosen:
        return msg("review.today_chosen", date=str(rv.date), moves=said,
                   verdict=today.verdict, chosen=today.chosen)
    return msg("review.today_verdict", date=str(rv.date), moves=said, verdict=today.verdict)


# --- saving -------------------------------------------------------------------------------------

def review_entry(rv: Review) -> dict[str, Any]:
    """The `[[reviews]]` entry of a review (TOML-ready: no None values)."""
    entry: dict[str, Any] = {"date": rv.date, "engine_version": ENGINE_VERSION,
                             "flags": [_flag_entry(f) for f in rv.flags]}
    if rv.reproduction:
        entry["reproduction"] = rv.reproduction.status
    if rv.today:
        entry["price_moves"] = {m.model: round(m.change, 6) for m in rv.today.moves
                                if m.change is not None}
        if rv.today.verdict:
            entry["verdict_today_prices"] = rv.today.verdict
    if rv.evals and rv.evals.cheaper:
        entry["cheaper_models"] = [c.model for c in rv.evals.cheaper]
    if rv.actuals:
        entry["actuals"] = dict(rv.actuals)
    if rv.usage is not None:
        entry["usage"] = rv.usage.entry()
    if rv.next_due:
        entry["next_due"] = rv.next_due
    return entry


def _flag_entry(f: Flag) -> dict[str, Any]:
    """A flag as stored: kind, English text and, when it has one, its message data."""
    entry: dict[str, Any] = {"kind": f.kind, "message": f.message}
    if f.message_data:
        entry["message_data"] = f.message_data
    return entry


def review_records(ws: Workspace, ids: list[str] | None, today: dt.date,
                   actuals: dict[str, float] | None = None, save: bool = True,
                   tallies_source: TalliesSource | None = None,
                   processes: int | None = None) -> list[Review]:
    """Review the named decisions (bad ids raise), or every live one when `ids` is None
    (unreadable ones are reported in their Review and the rest go on).

    Many decisions are reviewed by `processes` forked workers (default: `_processes`); the
    reviews come back in order and this process files them. Saving files each review as its
    own new file beside its decision (`RecordStore.add_review`): nothing is edited, so a crash
    leaves whole files only and reviews made at once, here or in another clone, never collide
    (nor need a lock). One sync for the lot.
    """
    store = RecordStore(ws)
    reviewer = Reviewer(ws, today, actuals, tallies_source)
    targets = store.ids() if ids is None else [store.resolve(i) for i in ids]
    named = ids is not None
    processes = _processes(len(targets)) if processes is None else processes
    results: Iterable[Review | _Refused | None]
    if processes > 1 and len(targets) > 1:
        results = _review_forked(store, reviewer, targets, named, processes)
    else:
        results = (_review_one(store, reviewer, record_id, named) for record_id in targets)
    reviews: list[Review] = []
    for rv in results:
        if isinstance(rv, _Refused):
            raise InputError(rv.message, file=rv.file, where=rv.where)
        if rv is not None:
            reviews.append(rv)
    if save:
        store.add_reviews([(rv.id, ReviewEntry.model_validate(review_entry(rv)))
                           for rv in reviews if not rv.error])
        for rv in reviews:
            rv.saved = not rv.error
    return reviews


def _review_one(store: RecordStore, reviewer: Reviewer, record_id: str,
                named: bool) -> Review | None:
    """One decision's review. A decision that cannot be read raises when it was named, else
    its Review carries the error; None for a retired one in a review of all (rejected,
    superseded and deprecated decisions are history)."""
    try:
        state = store.get(record_id)
    except InputError as e:
        if named:
            raise
        return Review(id=record_id, date=reviewer.today, error=e.message)
    if not named and state.status not in LIVE:
        return None
    return reviewer.review_state(state)


# --- many decisions on every core ---------------------------------------------------------------

PARALLEL_MIN = 100  # decisions: below this a second process saves less than forking costs
CHUNKS_PER_PROCESS = 8  # small enough chunks that a process that finishes early takes more


@dataclass(frozen=True)
class _Refused:
    """A named decision a worker could not read: its InputError, rebuilt in the parent
    (an InputError's file and where do not survive pickling)."""

    message: str
    file: str | None
    where: str | None


def _processes(targets: int) -> int:
    """How many processes review `targets` decisions: the cores, when there are many decisions,
    fork exists, and this process runs no other thread (forking a threaded process, e.g. the
    app, can copy a lock another thread holds and hang the child); else 1."""
    import multiprocessing
    import threading

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (targets < PARALLEL_MIN or not cores or cores < 2 or threading.active_count() > 1
            or "fork" not in multiprocessing.get_all_start_methods()):
        return 1
    return cores


def _review_forked(store: RecordStore, reviewer: Reviewer, targets: list[str], named: bool,
                   processes: int) -> Iterator[Review | _Refused | None]:
    """The reviews of `targets` in order, computed by forked workers over chunks of ids. Each
    worker starts as a copy of this process's `reviewer` (today's catalogue already loaded)
    and keeps its cache over its chunks."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    reviewer.catalogue()  # parsed once here, not once per worker
    size = max(1, -(-len(targets) // (processes * CHUNKS_PER_PROCESS)))
    chunks = [targets[i:i + size] for i in range(0, len(targets), size)]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                             initializer=_start_worker, initargs=(store, reviewer)) as pool:
        for chunk in pool.map(_review_chunk, chunks, [named] * len(chunks)):
            yield from chunk


_WORKER: list[tuple[RecordStore, Reviewer]] = []  # a worker's store and reviewer (one pair)


def _start_worker(store: RecordStore, reviewer: Reviewer) -> None:
    """Keep the store and reviewer a forked worker was started with."""
    _WORKER.append((store, reviewer))


def _review_chunk(ids: list[str], named: bool) -> list[Review | _Refused | None]:
    """A worker's reviews of a chunk of ids (what `_review_one` gives, or the error of a
    named decision that cannot be read)."""
    store, reviewer = _WORKER[0]
    out: list[Review | _Refused | None] = []
    for record_id in ids:
        try:
            out.append(_review_one(store, reviewer, record_id, named))
        except InputError as e:
            out.append(_Refused(e.message, e.file, e.where))
    return out
