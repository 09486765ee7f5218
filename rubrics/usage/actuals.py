"""A decision's actual usage next to its forecast, month by month (`scopecard review`).

A decision links to usage by an event (`StatusEvent(kind="usage_link")`): the catalogue ids of
its models and, where given, the project, key and tag. For each calendar month (UTC) with
matching usage, the actual calls, tokens per call (input, cached, output), cost and cost per
call are set next to the forecast the decision was made on (outputs.load and the chosen
candidate) with the actual/forecast ratio. The month the review date falls in is partial: its
forecast is the monthly one scaled to the days elapsed.

Cost is the files' own where they carry money, else the tokens priced with the catalogue row in
force in that month; either way converted to the decision's currency at the FX rate of the
month's last day (or the review date), and the row and rate are named. Where a costs export
(OpenAI Costs API, Anthropic cost report) covers the month, the link's project and its models,
the invoiced amount replaces that vendor's token-priced cost, named next to the token-priced
figure (with the difference beyond INVOICE_DIFF); cost rows that cannot be attributed (no
project in the link, a link narrowed to a key or tag, costs not split by model, days without
cost rows) are said, not used.
The kill metrics usage
gives are those of the latest full month: monthly_spend, cost_per_call, calls vs forecast and
cost_per_success = cost / (calls x pass rate), the pass rate a typed actual when given, else
the chosen candidate's posterior mean (k + 1) / (n + 2).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from estimators.errors import InputError
from estimators.paths import Workspace
from estimators.prices import Catalogue, PriceRow
from rubrics.messages import Message, Sentence, from_json, msg, render, sentence
from rubrics.record import DecisionRecord, StatusEvent
from rubrics.usage.files import Daily
from rubrics.usage.formats import ANTHROPIC_COSTS, OPENAI_COSTS
from rubrics.usage.rows import CostRow

# the costs exports, by the vendor (catalogue id prefix) whose money they are
COST_VENDORS = {OPENAI_COSTS: "openai", ANTHROPIC_COSTS: "anthropic"}
INVOICE_DIFF = 0.05  # invoiced vs token-priced: a difference beyond this share is said


@dataclass
class Figures:
    """One month's calls, tokens per call and cost (the actual, or the forecast)."""

    calls: float
    input_per_call: float
    cached_per_call: float
    output_per_call: float
    cost: float
    cost_per_call: float


@dataclass
class UsageMonth:
    """One calendar month (UTC): actual and forecast figures, and how the cost was found."""

    month: str  # YYYY-MM
    full: bool  # the month ended before the review date
    days: int  # days of the month the forecast covers
    actual: Figures
    forecast: Figures
    cost_basis: list[Sentence] = field(default_factory=list)  # exported or priced; FX used
    # the costs exports of the month: the invoiced amount used (and the token-priced figure
    # beside it), or why cost rows were not used
    invoice: list[Sentence] = field(default_factory=list)

    def ratios(self) -> dict[str, float | None]:
        """actual / forecast of each figure (None where the forecast is 0)."""
        a, f = self.actual, self.forecast
        return {name: (getattr(a, name) / getattr(f, name) if getattr(f, name) else None)
                for name in ("calls", "input_per_call", "cached_per_call", "output_per_call",
                             "cost", "cost_per_call")}


@dataclass
class UsageReview:
    """The usage section of a review."""

    currency: str
    link: dict[str, Any]
    months: list[UsageMonth] = field(default_factory=list)
    window: str = ""  # the latest full month, whose figures feed the kill criteria
    metrics: dict[str, float] = field(default_factory=dict)  # what usage says, by metric
    pass_rate: float | None = None
    pass_rate_source: str = ""  # a sentence: typed, or the chosen model's posterior

    def entry(self) -> dict[str, Any]:
        """The `usage` table of a stored review (TOML-ready); sentences as message data."""
        months = []
        for m in self.months:
            row: dict[str, Any] = {"month": m.month, "full": m.full, "days": m.days,
                                   "basis": [b.message.to_json() for b in m.cost_basis]}
            if m.invoice:
                row["invoice"] = [i.message.to_json() for i in m.invoice]
            for name, ratio in m.ratios().items():
                row[name] = {"forecast": round(getattr(m.forecast, name), 6),
                             "actual": round(getattr(m.actual, name), 6)}
                if ratio is not None:
                    row[name]["ratio"] = round(ratio, 4)
            months.append(row)
        out: dict[str, Any] = {"currency": self.currency, "link": self.link, "months": months,
                               "metrics": {k: round(v, 6) for k, v in self.metrics.items()}}
        if self.window:
            out["window"] = self.window
        if isinstance(self.pass_rate_source, Sentence):
            out["pass_rate_source"] = self.pass_rate_source.message.to_json()
        return out


def link_data(link: StatusEvent) -> dict[str, Any]:
    """The link as plain data (models, and project/key/tag where given)."""
    data: dict[str, Any] = {"models": list(link.models)}
    data.update({k: v for k, v in (("project", link.project), ("key", link.key),
                                   ("tag", link.tag)) if v})
    return data


def matches(d: Daily, link: StatusEvent) -> bool:
    """True when a daily row is the linked usage."""
    return (d.model in link.models and (not link.project or d.project == link.project)
            and (not link.key or d.key == link.key) and (not link.tag or d.tag == link.tag))


def month_end(month: str) -> dt.date:
    """The last day of a YYYY-MM month."""
    year, mon = map(int, month.split("-"))
    return dt.date(year, mon, calendar.monthrange(year, mon)[1])


def _forecast(record: DecisionRecord, days: int, month_days: int) -> Figures:
    """The decision's monthly forecast, scaled to `days` of a `month_days` month."""
    out = record.outputs
    chosen = next((c for c in out.candidates if c.model == out.chosen), None)
    share = days / month_days
    calls = out.load.calls_per_month * share
    if chosen is None:
        return Figures(calls, 0.0, 0.0, 0.0, 0.0, 0.0)
    hit = record.spec.get("prompt", {}).get("cache_hit_rate", 0.0)
    hit = float(hit.get("likely", 0.0) if isinstance(hit, dict) else hit)
    return Figures(calls, chosen.input_tokens_per_call,
                   hit * chosen.input_tokens_per_call, chosen.output_tokens_per_call,
                   chosen.monthly_cost * share, chosen.cost_per_call)


def _token_cost(d: Daily, row: PriceRow) -> float:
    """Tokens of a daily row priced with a catalogue row, in the row's currency."""
    cache_read = row.input if row.cache_read is None else row.cache_read
    cache_write = row.input if row.cache_write is None else row.cache_write
    uncached = d.input_tokens - d.cached_input_tokens - d.cache_write_tokens
    return ((uncached * row.input + d.cached_input_tokens * cache_read
             + d.cache_write_tokens * cache_write + d.output_tokens * row.output) / 1e6
            + d.requests * row.request_fee)


def _price_row(catalogue: Catalogue, model: str, on: dt.date, today: dt.date) -> PriceRow:
    """The row in force on `on`; else (a price first recorded after the usage) the review
    date's row, which the cost basis then names with its date."""
    try:
        return catalogue.lookup(model, on)
    except InputError:
        return catalogue.lookup(model, today)


def native_cost(rows: Iterable[Daily], catalogue: Catalogue, on: dt.date, today: dt.date,
                basis: dict[str, Sentence] | None) -> dict[str, float]:
    """Daily rows' cost per currency, unconverted: the files' own money, else the tokens priced
    with the catalogue row in force on `on`; how each was found is added to `basis` (when
    given: the portfolio does not say it, and 1,000 decisions' sentences cost time)."""
    native: dict[str, float] = defaultdict(float)
    for d in rows:
        if d.cost is not None:
            native[d.currency] += d.cost
            if basis is not None:
                said = sentence("usage.basis.exported")
                basis.setdefault(said, said)
        else:
            row = _price_row(catalogue, d.model, on, today)
            native[row.currency] += _token_cost(d, row)
            if basis is not None:
                said = sentence("usage.basis.priced", row=row.id,
                                date=str(row.effective_from or row.verified_on))
                basis.setdefault(said, said)
    return native


def _month_cost(rows: list[Daily], currency: str, catalogue: Catalogue, on: dt.date,
                today: dt.date) -> tuple[float, list[Sentence]]:
    """A month's cost in `currency`, and how it was found (rows priced, FX used)."""
    basis: dict[str, Sentence] = {}
    native = native_cost(rows, catalogue, on, today, basis)
    total = 0.0
    for cur, amount in sorted(native.items()):
        conv = catalogue.convert(amount, cur, currency, on)
        total += conv.amount
        if conv.rows:
            said = sentence("usage.basis.fx", frm=cur, to=currency, rate=conv.rate,
                            date=str(conv.date))
            basis.setdefault(said, said)
    return total, list(basis.values())


@dataclass(frozen=True)
class Invoiced:
    """One cost row of a kept costs export, its model a catalogue id (None: the row names no
    model, or a line item that is no model, e.g. a tool)."""

    days: frozenset[dt.date]  # the days its bucket covers
    amount: float
    currency: str
    model: str | None
    project: str | None
    format: str  # OPENAI_COSTS or ANTHROPIC_COSTS


def _cost_model_name(r: CostRow) -> str | None:
    """The model a cost row is for, as the file writes it: Anthropic's `model`, else the model
    part of OpenAI's line item ("gpt-4o-mini-2024-07-18, input")."""
    if r.model:
        return r.model
    return r.line_item.split(",", 1)[0].strip() or None if r.line_item else None


def _bucket_days(r: CostRow) -> frozenset[dt.date]:
    """The days from a bucket's start (inclusive) to its end (exclusive)."""
    first, last = r.start.date(), (r.end - dt.timedelta(microseconds=1)).date()
    return frozenset(first + dt.timedelta(days=i) for i in range((last - first).days + 1))


def kept_costs(ws: Workspace, catalogue: Catalogue) -> list[Invoiced]:
    """The cost rows of the workspace's kept costs exports (only those files are read), each
    file's model names mapped like its usage rows (with the map it was imported with); a name
    that maps to nothing is a row with no model, never a guess."""
    from rubrics.keptfiles import read_kept_sha
    from rubrics.usage.files import present, read_sidecar
    from rubrics.usage.formats import MAX_USAGE_BYTES, read_usage_data
    from rubrics.usage.model_map import load_model_map, map_models

    if not ws.usage_dir.is_dir():
        return []
    kept = [sc for sc in (read_sidecar(ws, ws.usage_dir / name) for name in present(ws))
            if sc.format in COST_VENDORS]
    if not kept:
        return []
    series = read_usage_data([(str(sc.data), read_kept_sha(sc.data, sc.sha, MAX_USAGE_BYTES))
                              for sc in kept])
    by_file: dict[str, list[CostRow]] = defaultdict(list)
    for r in series.costs:
        by_file[r.file].append(r)
    out: list[Invoiced] = []
    for sc in kept:
        rows = by_file.get(str(sc.data), [])
        user_map = load_model_map(sc.model_map, catalogue.model_ids()) if sc.model_map else {}
        names = [n for r in rows if (n := _cost_model_name(r))]
        mapped = map_models(names, catalogue, user_map).mapped
        out += [Invoiced(_bucket_days(r), r.amount, r.currency,
                         mapped.get(_cost_model_name(r) or ""), r.project, r.format)
                for r in rows]
    return out


@dataclass
class _MonthUsage:
    """What a month's invoice is checked against: the linked rows and the models the link's
    project ran that month (linked or not)."""

    month: str
    rows: list[Daily]
    project_models: set[str]


def _vendor(model: str) -> str:
    """The vendor part of a catalogue id ("openai/gpt-4o-mini" -> "openai")."""
    return model.split("/", 1)[0]


def _invoice(usage: _MonthUsage, fmt: str, invoices: list[Invoiced], link: StatusEvent
             ) -> tuple[list[Invoiced] | None, Sentence]:
    """The cost rows of one costs export attributable to the link in one month (None when they
    cannot be), and the scope said with them, or why they are not used."""
    source = msg(f"usage.source.{fmt}")
    if not link.project:
        return None, sentence("usage.invoice.no_project", source=source, month=usage.month)
    if link.key or link.tag:  # cost rows are per project: the link's part of it is not known
        return None, sentence("usage.invoice.narrower", source=source, month=usage.month,
                              project=link.project)
    vendor = COST_VENDORS[fmt]
    used = {d.day for d in usage.rows if _vendor(d.model) == vendor}
    covered = frozenset().union(*(i.days for i in invoices))
    if not used <= covered:
        return None, sentence("usage.invoice.days", source=source, month=usage.month,
                              covered=len(used & covered), days=len(used))
    mine = [i for i in invoices if i.project == link.project]
    if any(i.model is None for i in mine):
        if not usage.project_models <= set(link.models):
            return None, sentence("usage.invoice.not_split", source=source, month=usage.month,
                                  project=link.project)
        return mine, sentence("usage.invoice.whole_project")
    mine = [i for i in mine if i.model in link.models]
    if not mine:
        return None, sentence("usage.invoice.none", source=source, month=usage.month,
                              project=link.project)
    return mine, sentence("usage.invoice.models",
                          models=", ".join(sorted({str(i.model) for i in mine})))


def _invoiced_cost(usage: _MonthUsage, cost: float, costs: Sequence[Invoiced],
                   link: StatusEvent, currency: str, catalogue: Catalogue, on: dt.date,
                   today: dt.date) -> tuple[float, list[Sentence]]:
    """The month's cost with each costs export that covers the link put in place of its
    vendor's token-priced cost, and what was said about each export of the month."""
    said: list[Sentence] = []
    for fmt, vendor in COST_VENDORS.items():
        invoices = [i for i in costs if i.format == fmt and min(i.days) <= today
                    and any(day.strftime("%Y-%m") == usage.month for day in i.days)]
        if not invoices or not any(_vendor(m) == vendor for m in link.models):
            continue
        mine, scope = _invoice(usage, fmt, invoices, link)
        if mine is None:
            said.append(scope)
            continue
        invoiced = sum(catalogue.convert(i.amount, i.currency, currency, on).amount
                       for i in mine)
        priced, _ = _month_cost([d for d in usage.rows if _vendor(d.model) == vendor],
                                currency, catalogue, on, today)
        cost += invoiced - priced
        args = {"amount": invoiced, "currency": currency, "priced": priced, "scope": scope,
                "source": msg(f"usage.source_project.{fmt}", project=link.project)}
        off = (invoiced - priced) / priced if priced else None
        said.append(sentence("usage.invoiced_off", **args, off=off)
                    if off is not None and abs(off) > INVOICE_DIFF
                    else sentence("usage.invoiced", **args))
    return cost, said


def _pass_rate(record: DecisionRecord, typed: dict[str, float]
               ) -> tuple[float | None, str]:
    """The pass rate for cost_per_success (and which): typed, else the chosen model's
    posterior mean."""
    if "pass_rate" in typed:
        return typed["pass_rate"], sentence("usage.pass_typed", rate=typed["pass_rate"])
    out = record.outputs
    chosen = next((c for c in out.candidates if c.model == out.chosen), None)
    if chosen is None:
        return None, ""
    k, n = chosen.capability.overall.k, chosen.capability.overall.n
    rate = (k + 1) / (n + 2)
    return rate, sentence("usage.pass_posterior", rate=rate, model=chosen.model, k=k, n=n)


def usage_review(record: DecisionRecord, link: StatusEvent, daily: Iterable[Daily],
                 catalogue: Catalogue, today: dt.date, typed: dict[str, float],
                 costs: Sequence[Invoiced] = ()) -> UsageReview:
    """The linked usage of a decision next to its forecast, month by month (module docstring);
    `costs`: the kept costs exports' rows (kept_costs).

    Usage after the review date is left out. A month whose cost cannot be found (no price row,
    no FX rate) is an InputError naming the model or currency."""
    currency = str(record.spec.get("currency", "USD"))
    review = UsageReview(currency, link_data(link))
    by_month: dict[str, list[Daily]] = defaultdict(list)
    project_models: dict[str, set[str]] = defaultdict(set)
    for d in daily:
        if d.day > today:
            continue
        if matches(d, link):
            by_month[d.day.strftime("%Y-%m")].append(d)
        if costs and link.project and d.project == link.project:
            project_models[d.day.strftime("%Y-%m")].add(d.model)
    for month in sorted(by_month):
        rows = by_month[month]
        end = month_end(month)
        full = end < today
        month_days = end.day
        days = month_days if full else today.day
        on = min(end, today)
        cost, basis = _month_cost(rows, currency, catalogue, on, today)
        invoice: list[Sentence] = []
        if costs:
            cost, invoice = _invoiced_cost(_MonthUsage(month, rows, project_models[month]),
                                           cost, costs, link, currency, catalogue, on, today)
        calls = sum(d.requests for d in rows)
        per = 1 / calls if calls else 0.0
        actual = Figures(calls, sum(d.input_tokens for d in rows) * per,
                         sum(d.cached_input_tokens for d in rows) * per,
                         sum(d.output_tokens for d in rows) * per, cost, cost * per)
        review.months.append(UsageMonth(month, full, days, actual,
                                        _forecast(record, days, month_days), basis, invoice))
    review.pass_rate, review.pass_rate_source = _pass_rate(record, typed)
    latest = next((m for m in reversed(review.months) if m.full), None)
    if latest is not None:
        review.window = latest.month
        a = latest.actual
        review.metrics = {"monthly_spend": a.cost, "cost_per_call": a.cost_per_call}
        if latest.forecast.calls:
            review.metrics["calls_vs_forecast"] = a.calls / latest.forecast.calls
        if review.pass_rate and a.calls:
            review.metrics["cost_per_success"] = a.cost / (a.calls * review.pass_rate)
    return review


def check_link_models(link_models: list[str], catalogue: Catalogue) -> None:
    """An InputError when a linked model is no catalogue id."""
    known = set(catalogue.model_ids())
    for model in link_models:
        if model not in known:
            raise InputError(f"--model {model!r} is no catalogue id (see `scopecard prices "
                             "list`); usage is stored by catalogue id")


# ---- text ----------------------------------------------------------------------------------

FIGURES = ("calls", "input_per_call", "cached_per_call", "output_per_call", "cost",
           "cost_per_call")
CHART_WIDTH = 30


def _amount(value: float, name: str) -> str:
    """A figure as digits: money per call with 6 significant digits, the rest grouped."""
    if name in ("cost_per_call", "cost_per_success"):
        return f"{value:.6g}"
    return f"{value:,.2f}" if name == "cost" else f"{value:,.0f}"


def _pair(cell: Any, name: str) -> Message:
    """One figure: the actual, the forecast and their ratio."""
    cell = cell if isinstance(cell, dict) else {}
    actual, forecast = _amount(float(cell.get("actual", 0)), name), \
        _amount(float(cell.get("forecast", 0)), name)
    if "ratio" in cell:
        return msg("usage.pair", actual=actual, forecast=forecast, ratio=float(cell["ratio"]))
    return msg("usage.pair_no_ratio", actual=actual, forecast=forecast)


def usage_lines(entry: dict[str, Any], lang: str = "en") -> list[str]:
    """A review's usage section (as stored) for the terminal, in `lang`, with a text chart."""
    link = entry.get("link") or {}
    where = ", ".join([*map(str, link.get("models", [])),
                       *(f"{k}={link[k]}" for k in ("project", "key", "tag") if link.get(k))])
    currency = str(entry.get("currency", ""))
    lines = [render(msg("usage.header", currency=currency, link=where), lang)]
    months = [m for m in entry.get("months", []) if isinstance(m, dict)]
    if not months:
        return lines + ["  " + render(msg("usage.no_rows"), lang)]
    for m in months:
        parts = {name: _pair(m.get(name), name) for name in FIGURES}
        state = msg("usage.full") if m.get("full") else msg("usage.partial", days=m.get("days", 0))
        lines.append("  " + render(msg("usage.month", month=str(m.get("month")), state=state,
                                       **parts), lang))
        basis = [said for b in m.get("basis", []) if (said := from_json(b))]
        if basis:
            lines.append("    " + render(msg("usage.basis", basis=basis), lang))
        lines += ["    " + render(said, lang) for i in m.get("invoice", [])
                  if (said := from_json(i))]
    said = from_json(entry.get("pass_rate_source"))
    metrics = entry.get("metrics") or {}
    if entry.get("window"):
        shown = ", ".join(f"{k} {_amount(float(v), k if k != 'monthly_spend' else 'cost')}"
                          if k != "calls_vs_forecast" else f"{k} {float(v):.2f}"
                          for k, v in sorted(metrics.items()))
        lines.append("  " + render(msg("usage.window", month=str(entry["window"]),
                                       metrics=shown), lang))
    else:
        lines.append("  " + render(msg("usage.no_full_month"), lang))
    if said is not None:
        lines.append("  " + render(said, lang))
    return lines + ["  " + line for line in chart_lines(entry, lang)]


def chart_lines(entry: dict[str, Any], lang: str = "en") -> list[str]:
    """Forecast vs actual cost per month as bars of one scale (a text chart)."""
    months = [m for m in entry.get("months", []) if isinstance(m, dict)]
    pairs = [(str(m.get("month"))[:7], float((m.get("cost") or {}).get("forecast", 0)),
              float((m.get("cost") or {}).get("actual", 0))) for m in months]
    top = max((max(f, a) for _, f, a in pairs), default=0.0)
    labels = (render(msg("usage.chart.forecast"), lang), render(msg("usage.chart.actual"), lang))
    width = max(len(label) for label in labels)
    lines = [render(msg("usage.chart.title", currency=str(entry.get("currency", ""))), lang)]
    for month, forecast, actual in pairs:
        for i, (label, value) in enumerate(zip(labels, (forecast, actual), strict=True)):
            bar = "█" * round(CHART_WIDTH * value / top) if top else ""
            lines.append(f"{month if i == 0 else '':<7} {label:<{width}} {bar:<{CHART_WIDTH}} "
                         f"{value:,.2f}")
    return lines
