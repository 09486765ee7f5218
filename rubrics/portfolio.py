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
from typing import TYPE_CHECKING, Any

import numpy as np

from estimators.errors import InputError
from estimators.paths import Workspace
from estimators.prices import Catalogue
from estimators.safefile import read_toml
from rubrics.messages import Sentence, sentence
from rubrics.record import LIVE, DecisionState
from rubrics.usage.actuals import matches, month_end, native_cost
from rubrics.usage.files import Daily

if TYPE_CHECKING:
    from rubrics.estimate import Estimate

SETTINGS_FILE = "scopecard.toml"
_SETTINGS_BYTES = 64 * 1024
DEFAULT_CURRENCY = "USD"
FIGURES = ("calls", "input_per_call", "output_per_call", "cost")
MIN_DECISIONS_FOR_HINT = 3
HINT_THRESHOLD = 0.10  # a median within 10% of the forecast is not worth a sentence


@dataclass
class Spread:
    """actual / forecast of one figure across decisions: median, P25-P75 and how many."""

    median: float
    p25: float
    p75: float
    n: int


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
    from estimators.currency import ISO_4217

    if not isinstance(code, str) or code not in ISO_4217:
        raise InputError(f"currency = {code!r}; expected an ISO 4217 code such as USD or CNY",
                         file=str(path), where="workspace.currency")
    return code


def vendor_of(model: str) -> str:
    """The vendor part of a catalogue id (`openai/gpt-4o-mini` -> `openai`)."""
    return model.split("/", 1)[0] if "/" in model else model


def _spread(values: list[float]) -> Spread:
    p25, median, p75 = np.percentile(values, [25, 50, 75])
    return Spread(float(median), float(p25), float(p75), len(values))


class _Rates:
    """FX into one currency on one date, each pair looked up once and named once."""

    def __init__(self, catalogue: Catalogue, to: str, on: dt.date) -> None:
        self.catalogue, self.to, self.on = catalogue, to, on
        self.rates: dict[str, float] = {}
        self.said: list[Sentence] = []

    def __call__(self, amount: float, frm: str) -> float:
        if frm not in self.rates:
            conv = self.catalogue.convert(1.0, frm, self.to, self.on)
            self.rates[frm] = conv.rate
            if conv.rows:
                self.said.append(sentence("usage.basis.fx", frm=frm, to=self.to, rate=conv.rate,
                                          date=str(conv.date)))
        return amount * self.rates[frm]


def _linked_months(states: list[DecisionState], daily: list[Daily], today: dt.date
                   ) -> dict[str, dict[str, list[Daily]]]:
    """Each linked decision's usage rows of full months, by month: one pass over the rows."""
    by_model: dict[str, list[DecisionState]] = defaultdict(list)
    for s in states:
        if s.usage_link is not None:
            for model in s.usage_link.models:
                by_model[model].append(s)
    out: dict[str, dict[str, list[Daily]]] = defaultdict(lambda: defaultdict(list))
    ends: dict[str, bool] = {}
    for d in daily:
        month = d.day.strftime("%Y-%m")
        full = ends.get(month)
        if full is None:
            full = ends[month] = month_end(month) < today
        if not full:
            continue
        for s in by_model.get(d.model, ()):
            if s.usage_link is not None and matches(d, s.usage_link):
                out[s.id][month].append(d)
    return out


def _ratios(state: DecisionState, rows: list[Daily], cost: float) -> dict[str, float]:
    """actual / forecast of each calibration figure for one full month (where both are > 0)."""
    out = state.record.outputs
    chosen = next((c for c in out.candidates if c.model == out.chosen), None)
    calls = sum(d.requests for d in rows)
    if chosen is None or not calls:
        return {}
    actual = {"calls": calls, "input_per_call": sum(d.input_tokens for d in rows) / calls,
              "output_per_call": sum(d.output_tokens for d in rows) / calls, "cost": cost}
    forecast = {"calls": out.load.calls_per_month, "input_per_call": chosen.input_tokens_per_call,
                "output_per_call": chosen.output_tokens_per_call, "cost": chosen.monthly_cost}
    return {k: actual[k] / forecast[k] for k in FIGURES if forecast[k] > 0}


def portfolio(states: list[DecisionState], daily: list[Daily], catalogue: Catalogue,
              currency: str, today: dt.date) -> Portfolio:
    """The portfolio of these decisions and this usage on `today` (module docstring)."""
    result = Portfolio(today, currency)
    to_ws = _Rates(catalogue, currency, today)
    months = _linked_months(states, daily, today)
    ratios: dict[str, list[float]] = {k: [] for k in FIGURES}
    vendors: dict[str, VendorSpend] = {}
    for s in sorted(states, key=lambda x: x.id):
        record = s.record
        own = str(record.spec.get("currency", DEFAULT_CURRENCY))
        mine = months.get(s.id, {})
        latest = max(mine) if mine else ""
        try:
            cost_native = native_cost(mine[latest], catalogue, month_end(latest), today,
                                      {}) if latest else {}
            if latest:  # the ratio in the decision's currency, at the month's end (as review)
                own_cost = sum(catalogue.convert(v, c, own, month_end(latest)).amount
                               for c, v in cost_native.items())
                for k, v in _ratios(s, mine[latest], own_cost).items():
                    ratios[k].append(v)
                result.calibrated += 1
            if s.status == "accepted":
                _hold(result, vendors, s, own, latest, cost_native, to_ws)
        except InputError as e:
            result.problems.append(f"{s.id}: {e}")
        if s.status in LIVE and s.next_review_due() < today:
            result.overdue.append(Listed(s.id, record.title, s.status,
                                         due=s.next_review_due().isoformat()))
        flags = s.latest_flags() + (["edited"] if s.integrity() else []) + (
            ["conflict"] if s.conflicts else [])
        if flags and s.status in LIVE:
            result.flagged.append(Listed(s.id, record.title, s.status, flags=flags))
    result.vendors = sorted(vendors.values(), key=lambda v: v.vendor)
    result.committed = sum(v.committed for v in result.vendors)
    result.actual = sum(v.actual for v in result.vendors)
    result.calibration = {k: _spread(v) for k, v in ratios.items() if v}
    result.fx = to_ws.said
    return result


def _hold(result: Portfolio, vendors: dict[str, VendorSpend], s: DecisionState, own: str,
          latest: str, cost_native: dict[str, float], to_ws: _Rates) -> None:
    """Add an accepted decision's committed and actual spend to its vendor's line."""
    out = s.record.outputs
    chosen = next((c for c in out.candidates if c.model == out.chosen), None)
    model = out.chosen or ""
    committed = to_ws(chosen.monthly_cost, own) if chosen is not None else 0.0
    actual = sum(to_ws(v, c) for c, v in cost_native.items()) if latest else None
    result.holdings.append(Holding(s.id, s.record.title, model, vendor_of(model), committed,
                                   actual, latest))
    line = vendors.setdefault(vendor_of(model), VendorSpend(vendor_of(model), 0.0, 0.0, 0))
    line.committed += committed
    line.actual += actual or 0.0
    line.decisions += 1


def portfolio_summary(ws: Workspace, today: dt.date) -> Portfolio:
    """The workspace's portfolio on `today`: what `scopecard portfolio` and the app show.

    Decisions that cannot be read are left out and named in `problems`."""
    from rubrics.pipeline import catalogue_for
    from rubrics.record_store import RecordStore
    from rubrics.usage.files import daily_usage

    store = RecordStore(ws)
    states: list[DecisionState] = []
    problems: list[str] = []
    for record_id in store.ids():
        try:
            states.append(store.get(record_id))
        except InputError as e:
            problems.append(f"{record_id}: {e}")
    catalogue = catalogue_for(ws)
    result = portfolio(states, daily_usage(ws, catalogue), catalogue, workspace_currency(ws),
                       today)
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
