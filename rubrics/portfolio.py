"""The workspace's portfolio: accepted decisions, committed vs actual spend, flags, overdue
reviews and how well past forecasts held (`scopecard portfolio`, the app's home panel).

- Committed monthly spend of an accepted decision is its chosen candidate's forecast monthly
  cost, as the record holds it; actual is the cost of its linked usage in the latest full
  month (the month `review` checks kill criteria on). Both are converted to the workspace
  currency (`scopecard.toml`: `[workspace] currency`, default USD) at the FX rate in force on
  the portfolio date, and every rate used is named with its date.
- Calibration: for every decision with a full month of linked usage, actual / forecast of calls,
  input tokens per call, output tokens per call and cost in that month; the median and the
  P25-P75 spread across decisions. `calibration_hints` turns it into sentences for a new
  estimate (shown, never applied).

The usage cache is read once and each daily row is matched to the links of its model, so the
work grows with rows + decisions, not their product; forecasts come from the records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from estimators.currency import ISO_4217
from estimators.errors import InputError
from estimators.paths import Workspace, read_json_cache, write_json_cache
from estimators.prices import Catalogue
from estimators.redact import mask_secrets
from estimators.safefile import read_toml
from rubrics.messages import Sentence, sentence
from rubrics.record import LIVE, DecisionState, StatusEvent
from rubrics.usage.actuals import month_end, native_cost
from rubrics.usage.files import Daily

if TYPE_CHECKING:
    from rubrics.estimate import Estimate

SETTINGS_FILE = "scopecard.toml"
_SETTINGS_BYTES = 64 * 1024
DEFAULT_CURRENCY = "USD"
FIGURES = ("calls", "input_per_call", "output_per_call", "cost")
MIN_DECISIONS_FOR_HINT = 3
FACTS_VERSION = 1
HINT_THRESHOLD = 0.10  # a median within 10% of the forecast is not worth a sentence


@dataclass
class Spread:
    """actual / forecast of one figure across decisions: median, P25-P75 and how many."""

    median: float
    p25: float
    p75: float
    n: int


@dataclass(frozen=True)
class Facts:
    """What the portfolio needs of one decision, kept in `.cache/portfolio.json` while the
    decision's files do not change (reading 1,000 decision files takes seconds).

    `committed` is the chosen candidate's forecast monthly cost in `currency` (None: no model
    chosen); `calls`, `input_per_call` and `output_per_call` the forecast the calibration
    compares with; `flags` those of the latest review plus `edited`/`conflict`; `link` the
    usage_link event as data."""

    id: str
    title: str
    status: str
    chosen: str
    currency: str
    committed: float | None
    calls: float
    input_per_call: float
    output_per_call: float
    next_review_due: str
    flags: tuple[str, ...]
    link: dict[str, Any] | None

    def usage_link(self) -> StatusEvent | None:
        return StatusEvent.model_validate(self.link) if self.link is not None else None


def facts_of(state: DecisionState) -> Facts:
    """The portfolio's facts of a decision, read from its record, events and reviews."""
    out = state.record.outputs
    chosen = next((c for c in out.candidates if c.model == out.chosen), None)
    flags = state.latest_flags() + (["edited"] if state.integrity() else []) + (
        ["conflict"] if state.conflicts else [])
    link = state.usage_link.model_dump(mode="json") if state.usage_link is not None else None
    return Facts(state.id, state.record.title, state.status, out.chosen or "",
                 str(state.record.spec.get("currency", DEFAULT_CURRENCY)),
                 chosen.monthly_cost if chosen is not None else None, out.load.calls_per_month,
                 chosen.input_tokens_per_call if chosen is not None else 0.0,
                 chosen.output_tokens_per_call if chosen is not None else 0.0,
                 state.next_review_due().isoformat(), tuple(flags), link)


@dataclass
class Holding:
    """One accepted decision's committed and actual monthly spend (workspace currency)."""

    id: str
    title: str
    model: str
    vendor: str
    committed: float
    actual: float | None  # None: no full month of linked usage
    month: str  # the month `actual` is of ("" when None)


@dataclass
class VendorSpend:
    """Committed and actual monthly spend of the accepted decisions on one vendor."""

    vendor: str
    committed: float
    actual: float
    decisions: int


@dataclass
class Listed:
    """A decision named in the portfolio: flagged (its flags) or overdue (its due date)."""

    id: str
    title: str
    status: str
    flags: list[str] = field(default_factory=list)
    due: str = ""


@dataclass
class Portfolio:
    """Everything `scopecard portfolio` shows (module docstring)."""

    as_of: dt.date
    currency: str
    holdings: list[Holding] = field(default_factory=list)
    vendors: list[VendorSpend] = field(default_factory=list)
    committed: float = 0.0
    actual: float = 0.0
    fx: list[Sentence] = field(default_factory=list)
    flagged: list[Listed] = field(default_factory=list)
    overdue: list[Listed] = field(default_factory=list)
    calibration: dict[str, Spread] = field(default_factory=dict)
    calibrated: int = 0  # decisions with a full month of usage
    problems: list[str] = field(default_factory=list)  # decisions left out, and why

    def to_json(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return {"as_of": self.as_of.isoformat(), "currency": self.currency,
                "accepted": [asdict(h) for h in self.holdings],
                "vendors": [asdict(v) for v in self.vendors],
                "total": {"committed": self.committed, "actual": self.actual},
                "fx": [str(s) for s in self.fx],
                "flagged": [asdict(x) for x in self.flagged],
                "overdue": [asdict(x) for x in self.overdue],
                "calibration": {"decisions": self.calibrated,
                                "figures": {k: asdict(v) for k, v in self.calibration.items()}},
                "problems": self.problems}


def workspace_currency(ws: Workspace) -> str:
    """The workspace's reporting currency: `[workspace] currency` in scopecard.toml, else USD."""
    path = ws.root / SETTINGS_FILE
    if not path.exists():
        return DEFAULT_CURRENCY
    section = read_toml(path, _SETTINGS_BYTES).get("workspace", {})
    code = section.get("currency", DEFAULT_CURRENCY) if isinstance(section, dict) else None
    if not isinstance(code, str) or code not in ISO_4217:
        shown = mask_secrets(repr(code))[:40]  # the file is the user's: never echo a key
        raise InputError(f"currency = {shown}; expected an ISO 4217 code such as USD or CNY",
                         file=str(path), where="workspace.currency")
    return code


def vendor_of(model: str) -> str:
    """The vendor part of a catalogue id (`openai/gpt-4o-mini` -> `openai`)."""
    return model.split("/", 1)[0] if "/" in model else model


def _spread(values: list[float]) -> Spread:
    p25, median, p75 = np.percentile(values, [25, 50, 75])
    return Spread(float(median), float(p25), float(p75), len(values))


class _Rates:
    """FX rates, each (from, to, date) looked up once (building a day's rate set takes ms);
    the ones into the workspace currency on the portfolio date are named once each."""

    def __init__(self, catalogue: Catalogue, to: str, on: dt.date) -> None:
        self.catalogue, self.to, self.on = catalogue, to, on
        self.rates: dict[tuple[str, str, dt.date], float] = {}
        self.said: list[Sentence] = []

    def convert(self, amount: float, frm: str, to: str, on: dt.date) -> float:
        """`amount` in `frm` as `to` on `on`."""
        if frm == to:
            return amount
        if (frm, to, on) not in self.rates:
            conv = self.catalogue.convert(1.0, frm, to, on)
            self.rates[frm, to, on] = conv.rate
            if (to, on) == (self.to, self.on):
                self.said.append(sentence("usage.basis.fx", frm=frm, to=to, rate=conv.rate,
                                          date=str(conv.date)))
        return amount * self.rates[frm, to, on]

    def __call__(self, amount: float, frm: str) -> float:
        """`amount` in `frm` as the workspace currency on the portfolio date."""
        return self.convert(amount, frm, self.to, self.on)


def _link_key(link: StatusEvent, model: str) -> tuple[str, str | None, str | None, str | None]:
    """Where a link is filed: its model and project/key/tag, None where it takes any."""
    return model, link.project or None, link.key or None, link.tag or None


def _linked_months(decisions: list[Facts], daily: list[Daily], today: dt.date
                   ) -> dict[str, dict[str, list[Daily]]]:
    """Each linked decision's usage rows of full months, by month: one pass over the rows.

    Links are filed by (model, project, key, tag) with None for "any", so a row finds the
    links it matches in eight lookups however many decisions share its model."""
    links: dict[tuple[str, str | None, str | None, str | None], list[str]] = defaultdict(list)
    for f in decisions:
        if (link := f.usage_link()) is not None:
            for model in dict.fromkeys(link.models):
                links[_link_key(link, model)].append(f.id)
    out: dict[str, dict[str, list[Daily]]] = defaultdict(lambda: defaultdict(list))
    full_months: dict[str, bool] = {}
    for d in daily:
        month = d.day.isoformat()[:7]
        full = full_months.get(month)
        if full is None:
            full = full_months[month] = month_end(month) < today
        if not full:
            continue
        # each value or "any"; a row without one has "any" only (a link is never found twice)
        for project, key, tag in product(*(dict.fromkeys((v or None, None))
                                           for v in (d.project, d.key, d.tag))):
            for record_id in links.get((d.model, project, key, tag), ()):
                out[record_id][month].append(d)
    return out


def _ratios(f: Facts, rows: list[Daily], cost: float) -> dict[str, float]:
    """actual / forecast of each calibration figure for one full month (where both are > 0)."""
    calls = sum(d.requests for d in rows)
    if f.committed is None or not calls:
        return {}
    actual = {"calls": calls, "input_per_call": sum(d.input_tokens for d in rows) / calls,
              "output_per_call": sum(d.output_tokens for d in rows) / calls, "cost": cost}
    forecast = {"calls": f.calls, "input_per_call": f.input_per_call,
                "output_per_call": f.output_per_call, "cost": f.committed}
    return {k: actual[k] / forecast[k] for k in FIGURES if forecast[k] > 0}


def portfolio(decisions: list[Facts], daily: list[Daily], catalogue: Catalogue,
              currency: str, today: dt.date) -> Portfolio:
    """The portfolio of these decisions and this usage on `today` (module docstring)."""
    result = Portfolio(today, currency)
    rates = _Rates(catalogue, currency, today)
    months = _linked_months(decisions, daily, today)
    ratios: dict[str, list[float]] = {k: [] for k in FIGURES}
    vendors: dict[str, VendorSpend] = {}
    for f in sorted(decisions, key=lambda x: x.id):
        mine = months.get(f.id, {})
        latest = max(mine) if mine else ""
        try:
            native = native_cost(mine[latest], catalogue, month_end(latest), today,
                                 None) if latest else {}
            if latest:  # the ratio in the decision's currency, at the month's end (as review)
                own = sum(rates.convert(v, c, f.currency, month_end(latest))
                          for c, v in native.items())
                for k, v in _ratios(f, mine[latest], own).items():
                    ratios[k].append(v)
                result.calibrated += 1
            if f.status == "accepted":
                _hold(result, vendors, f, latest, native, rates)
        except InputError as e:
            result.problems.append(f"{f.id}: {e}")
        if f.status in LIVE and f.next_review_due < today.isoformat():
            result.overdue.append(Listed(f.id, f.title, f.status, due=f.next_review_due))
        if f.flags and f.status in LIVE:
            result.flagged.append(Listed(f.id, f.title, f.status, flags=list(f.flags)))
    result.vendors = sorted(vendors.values(), key=lambda v: v.vendor)
    result.committed = sum(v.committed for v in result.vendors)
    result.actual = sum(v.actual for v in result.vendors)
    result.calibration = {k: _spread(v) for k, v in ratios.items() if v}
    result.fx = rates.said
    return result


def _hold(result: Portfolio, vendors: dict[str, VendorSpend], f: Facts, latest: str,
          native: dict[str, float], to_ws: _Rates) -> None:
    """Add an accepted decision's committed and actual spend to its vendor's line."""
    committed = to_ws(f.committed, f.currency) if f.committed is not None else 0.0
    actual = sum(to_ws(v, c) for c, v in native.items()) if latest else None
    vendor = vendor_of(f.chosen)
    result.holdings.append(Holding(f.id, f.title, f.chosen, vendor, committed, actual, latest))
    line = vendors.setdefault(vendor, VendorSpend(vendor, 0.0, 0.0, 0))
    line.committed += committed
    line.actual += actual or 0.0
    line.decisions += 1


def decision_facts(ws: Workspace) -> tuple[list[Facts], list[str]]:
    """Every decision's facts (from the cache where its files did not change) and the
    decisions that could not be read, with why."""
    from rubrics.record_store import RecordStore

    store = RecordStore(ws)
    cached = _load_facts(ws)
    fresh: dict[str, Any] = {}
    facts: list[Facts] = []
    problems: list[str] = []
    for record_id in store.ids():
        ident = store._identity(record_id)  # the list index's test of "files unchanged"
        hit = cached.get(record_id)
        f = _from_cache(hit, ident)
        if f is None:
            try:
                f = facts_of(store.get(record_id))
            except InputError as e:
                problems.append(f"{record_id}: {e}")
                continue
            hit = [ident, {**asdict(f), "flags": list(f.flags)}]  # as JSON has it
        facts.append(f)
        fresh[record_id] = hit
    if fresh != cached:
        _save_facts(ws, fresh)
    return facts, problems


def _from_cache(hit: Any, ident: list[int | None]) -> Facts | None:
    """A cache entry's facts when the decision's files are unchanged; None when they changed
    or the entry is damaged (the files are read then)."""
    if not (isinstance(hit, list) and len(hit) == 2 and hit[0] == ident
            and isinstance(hit[1], dict)):
        return None
    try:
        return Facts(**{**hit[1], "flags": tuple(hit[1]["flags"])})
    except (TypeError, KeyError):
        return None


def _facts_file(ws: Workspace) -> Path:
    return ws.cache_dir / "portfolio.json"


def _load_facts(ws: Workspace) -> dict[str, Any]:
    """The cached facts by decision id; {} when missing, damaged, old or of another folder."""
    return read_json_cache(_facts_file(ws), FACTS_VERSION, ws.root)


def _save_facts(ws: Workspace, entries: dict[str, Any]) -> None:
    write_json_cache(ws, _facts_file(ws), FACTS_VERSION, ws.root, entries)


def portfolio_summary(ws: Workspace, today: dt.date) -> Portfolio:
    """The workspace's portfolio on `today`: what `scopecard portfolio` and the app show.

    Decisions that cannot be read are left out and named in `problems`."""
    from rubrics.pipeline import catalogue_for
    from rubrics.usage.files import daily_usage

    facts, problems = decision_facts(ws)
    catalogue = catalogue_for(ws)
    linked = {m for f in facts if f.link is not None for m in f.link.get("models", ())}
    result = portfolio(facts, daily_usage(ws, catalogue, sorted(linked)), catalogue,
                       workspace_currency(ws), today)
    result.problems[:0] = problems
    return result


# ---- the hint on a new estimate -------------------------------------------------------------


def _corrected(low: float, high: float, spread: Spread) -> tuple[float, float]:
    return low * spread.p25, high * spread.p75


def calibration_hints(calibration: dict[str, Spread], calls: float,
                      per_call: dict[str, tuple[float, float]]) -> list[Sentence]:
    """Sentences for a new estimate from how past forecasts held (never applied to it).

    `calls` is the estimate's calls per month; `per_call` the lowest and highest input and
    output tokens per call over its candidates (`input_per_call`, `output_per_call`). A figure
    is said when at least MIN_DECISIONS_FOR_HINT decisions measured it and its median is more
    than HINT_THRESHOLD off; the corrected range is the estimate times P25 and P75."""
    hints: list[Sentence] = []
    ranges = {"calls": (calls, calls), **per_call}
    for name in ("calls", "input_per_call", "output_per_call"):
        spread = calibration.get(name)
        if spread is None or spread.n < MIN_DECISIONS_FOR_HINT or name not in ranges:
            continue
        off = spread.median - 1
        if abs(off) <= HINT_THRESHOLD:
            continue
        low, high = _corrected(*ranges[name], spread)
        hints.append(sentence("portfolio.hint", pct=abs(off),
                              way=sentence("portfolio.hint.low" if off > 0 else
                                           "portfolio.hint.high"),
                              figure=sentence(f"portfolio.fig.{name}"), n=spread.n,
                              low=low, high=high))
    cost = calibration.get("cost")
    if cost is not None and cost.n >= MIN_DECISIONS_FOR_HINT and \
            abs(cost.median - 1) > HINT_THRESHOLD:
        hints.append(sentence("portfolio.hint_cost", pct=abs(cost.median - 1),
                              way=sentence("portfolio.hint.low" if cost.median > 1 else
                                           "portfolio.hint.high"),
                              n=cost.n, p25=cost.p25, p75=cost.p75))
    return hints


def estimate_hints(est: Estimate, calibration: dict[str, Spread]) -> list[Sentence]:
    """`calibration_hints` for an estimate: its calls per month and, over its candidates not
    ruled out, the lowest and highest input and output tokens per call."""
    shapes = [c.shape for c in est.candidates if not c.excluded] or \
        [c.shape for c in est.candidates]
    if not shapes:
        return []
    ins = [float(s.input_per_call) for s in shapes]
    outs = [float(s.output_per_call) for s in shapes]
    return calibration_hints(calibration, float(est.traffic.calls_per_month),
                             {"input_per_call": (min(ins), max(ins)),
                              "output_per_call": (min(outs), max(outs))})


def workspace_hints(ws: Workspace, est: Estimate, today: dt.date) -> list[Sentence]:
    """The calibration hints of this workspace for a new estimate; none (and nothing read)
    when the workspace holds no usage."""
    if not ws.usage_dir.is_dir():
        return []
    return estimate_hints(est, portfolio_summary(ws, today).calibration)
