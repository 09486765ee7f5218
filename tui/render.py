"""Plain-text rendering of estimates and decisions for the terminal (no Textual needed)."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from rubrics.messages import msg, named, plain, render, say, text
from rubrics.numbers import amount, compact, money
from rubrics.report import grows, row_mark

if TYPE_CHECKING:  # annotations only: the commands import this module for `table` too
    from rubrics.estimate import CandidateEstimate, CatalogueCost, Estimate
    from rubrics.verdict import Capability, Decision

GAP = "  "  # between table columns, whatever their content


def display_width(text: str) -> int:
    """Terminal columns `text` takes: East Asian wide characters two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(header: Sequence[str] | None, rows: Sequence[Sequence[str]],
          right: Collection[int] = ()) -> list[str]:
    """Lines of a text table (header first, when given): each column as wide as its widest
    cell, two spaces between columns, the columns numbered in `right` right-aligned."""
    cells = ([list(header)] if header is not None else []) + [list(r) for r in rows]
    if not cells:
        return []
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(cells[0]))]

    def line(row: list[str]) -> str:
        padded = []
        for i, (cell, width) in enumerate(zip(row, widths, strict=True)):
            pad = " " * (width - display_width(cell))
            padded.append(pad + cell if i in right else cell + pad)
        return GAP.join(padded).rstrip()
    return [line(r) for r in cells]


def _tokens(c: CandidateEstimate) -> str:
    mark = row_mark(c.counts_json())
    return f"{mark}{c.shape.input_per_call:,.0f}/{c.shape.output_per_call:,.0f}"


def _peak(c: CandidateEstimate) -> str:
    """Peak TPM with the rate-limit mark: ✓ fits its tier, ×N needs N keys, ? unknown."""
    from rubrics.capacity import mark

    return f"{compact(c.peak_tpm)} {mark(c.capacity)}"


def capacity_lines(est: Estimate, lang: str = "en") -> list[str]:
    """The capacity block under the estimate table: each candidate against its rate-limit tier,
    with the tier used and the source that publishes it."""
    from rubrics.capacity import Need, concurrency_text, summary_text, tier_basis_text

    t = est.traffic
    need = Need(t.peak_qps, 0.0, est.spec.constraints.max_p95_latency_ms)
    lines = [*text("est.capacity", lang, rpm=need.peak_rpm).split("\n"),
             f"  {say(concurrency_text(need), lang)}"]
    for c in est.candidates:
        cap = c.capacity
        where = (text("est.tier_where", lang, basis=tier_basis_text(cap), source=cap.tier.source)
                 if cap.tier else "")
        lines.append("  " + text("est.capacity_row", lang, model=c.model,
                                 summary=summary_text(cap), where=where))
    return lines


def _price_line(c: CandidateEstimate, lang: str) -> str:
    """One candidate's price row with its origin, source, date and currency conversion."""
    from rubrics.estimate import fx_message

    r = c.row
    fx = (text("est.price_fx", lang, rate=fx_message(c.fx), source=c.fx.source)
          if c.fx.rows else "")
    return "  " + text("est.price_row", lang, id=r.id, input=r.input, output=r.output,
                       currency=r.currency, origin=msg(f"origin.{r.origin}"), source=r.source,
                       verified=str(r.verified_on), fx=plain(fx))


def estimate_text(est: Estimate, lang: str = "en") -> str:
    """The estimate as text, the core's sentences and labels in `lang`."""
    t = est.traffic
    cur = est.spec.currency
    growth = grows(est.spec.load.monthly_growth)
    month = f" ({text('md.month_0', lang)})" if growth else ""
    label = text("est.load", lang) + month
    lines = [
        text("est.title", lang, title=plain(est.spec.title), as_of=str(est.as_of)),
        "",
        f"{label}   " + text("est.load_line", lang, tasks=t.tasks_per_month,
                               calls=t.calls_per_month, per_day=t.calls_per_day),
        " " * (display_width(label) + 3) + text("est.qps_line", lang, avg=t.avg_qps,
                                                  peak=t.peak_qps),
        "",
    ]
    ordered = sorted(est.candidates, key=lambda c: c.monthly_cost)
    header = [text("est.col.model", lang), text("est.col.tokens", lang),
              text("est.col.per_call", lang), text("est.col.per_month", lang, month=month),
              text("est.col.peak_tpm", lang)]
    rows = table(header, [[c.model, _tokens(c), money(c.cost_per_call), money(c.monthly_cost),
                           _peak(c)] for c in ordered], right={1, 2, 3, 4})
    lines.append(rows[0])
    for c, row in zip(ordered, rows[1:], strict=True):
        lines.append(row)
        if c.excluded:
            lines.append("    " + text("est.excluded", lang, why=c.excluded))
        for w in c.warnings:
            lines.append(f"    ! {say(w, lang)}")
    lines += ["", text("est.amounts", lang, currency=cur, legend=msg("est.token_legend"))]
    lines += ["", *capacity_lines(est, lang)]
    if growth:
        lines.append(text("est.growth", lang, month_0=msg("md.month_0"),
                          average=msg("md.average_label",
                                      months=est.spec.costs.amortize_months)))
    lines += ["", text("est.prices", lang)]
    lines += [_price_line(c, lang) for c in est.candidates]
    lines += [f"  ! {say(w, lang)}" for w in est.fx_warnings]
    if est.notes:
        lines += ["", text("est.assumptions", lang)] + [f"  - {say(n, lang)}" for n in est.notes]
    return "\n".join(lines)


def catalogue_costs_text(costs: list[CatalogueCost], currency: str, lang: str = "en") -> str:
    """The spec priced on every chat model, cheapest first."""
    rows = [[row_mark({p: asdict(n) for p, n in c.counts.items()}) + c.row.id,
             money(c.cost_per_call), money(c.monthly_cost),
             text("est.all.excluded", lang, why=c.problem) if c.problem else ""]
            for c in costs]
    header = [" " + text("est.col.model", lang), text("est.col.per_call", lang),
              text("est.col.per_month", lang, month=""), ""]
    return "\n".join([text("est.all.title", lang, currency=currency)]
                     + table(header, rows, right={1, 2}))


def _capability(cap: Capability, lang: str) -> str:
    """k/n, interval and status of one candidate's overall check."""
    c = cap.overall
    why = c.undecided_message
    need = (text("cap.more_cases", lang, cases=c.cases_needed) if c.cases_needed
            else f", {render(why, lang)}" if why else "")
    err = text("cap.errors", lang, errors=c.errors) if c.errors else ""
    return f"{c.k}/{c.n} [{c.low:.2f}, {c.high:.2f}] {cap.status.value}{need}{err}"


def decision_text(d: Decision, evals: dict | None = None, lang: str = "en") -> str:
    """The whole decision as text; `evals` is the record's eval provenance (suite hash, store);
    the core's sentences in `lang`."""

    cur = d.spec.currency
    suite_hash = (evals or {}).get("suite_hash")
    where = f" @{suite_hash[:12]}" if suite_hash else ""
    lines = [estimate_text(d.estimate, lang), "",
             text("dec.capability", lang, suite=plain(d.spec.quality.suite), where=where,
                  interval=d.spec.quality.interval, bar=d.bar, confidence=d.confidence)]
    checks = table(None, [[r.estimate.model, _capability(r.capability, lang)]
                          for r in d.candidates])
    for r, row in zip(d.candidates, checks, strict=True):
        tiers = "  ".join(f"{k} {v.k}/{v.n} {v.status.value}" for k, v in r.capability.tiers.items())
        lines.append(f"  {row}")
        if tiers:
            lines.append(f"      {tiers}")
        if r.capability.run_ids:
            lines.append("      " + text("dec.runs", lang, runs=", ".join(r.capability.run_ids)))
    average = (", " + text("md.average_label", lang, months=d.spec.costs.amortize_months)
               if grows(d.spec.load.monthly_growth) else "")
    lines += ["", text("dec.economics", lang, average=average, currency=cur,
                       draws=d.rubric.draws, seed=d.seed)]
    nmb = text("text.nmb", lang)
    for r in d.candidates:
        if r.distribution is None:
            continue
        dist, f = r.distribution, r.point
        lines.append(f"  {r.estimate.model}")
        lines.append(f"      {nmb}  {money(dist.nmb['p10'])} / {money(dist.nmb['p50'])} / "
                     f"{money(dist.nmb['p90'])}   ROI {dist.roi['p10']:.2f} / {dist.roi['p50']:.2f}"
                     f" / {dist.roi['p90']:.2f}   {text('md.p_positive', lang)}"
                     f" {dist.p_positive:.0%}")
        lines.append("      " + text(
            "dec.point", lang, cost=money(float(f.cost_per_success)),
            max=money(float(f.max_cost_per_success)), tasks=amount(float(f.break_even_tasks)),
            months=amount(float(f.payback_months), 1)))
    lines += ["", text("dec.alternatives", lang)]
    alternatives = [[named("alt", a.name, lang), nmb, money(a.nmb), "ROI", f"{a.roi:.2f}",
                     say(a.note, lang)] for a in d.alternatives]
    lines += [f"  {row}" for row in table(None, alternatives, right={2, 4})]
    lines += ["", f"VERDICT: {d.verdict.value}" + (f" — {d.chosen}" if d.chosen else "")]
    lines += [f"  - {say(r, lang)}" for r in d.reasons]
    if d.conditions:
        lines += [text("text.conditions", lang)] + [f"  - {say(c, lang)}" for c in d.conditions]
    if d.spike:
        lines += [text("text.spike", lang)] + [f"  {text('spike.' + k, lang)}: {say(v, lang)}"
                                                for k, v in d.spike.items()]
    if d.drivers:
        lines += [text("text.drivers", lang)] + [f"  - {say(x, lang)}" for x in d.drivers]
    rb = d.rubric
    lines += [text("text.thresholds", lang, target=d.spec.commit.target_roi,
                   q=rb.go_roi_quantile.upper(), p=rb.go_min_p_positive,
                   margin=rb.min_margin_of_safety)]
    if d.kill_criteria:
        lines += [text("text.kill_criteria", lang)]
        lines += ["  - " + text("text.kill", lang, metric=k.metric, comparator=k.comparator,
                                threshold=k.threshold, days=k.window_days,
                                action=msg(f"action.{k.action}"), deadline=str(k.deadline),
                                note=k.note)
                  for k in d.kill_criteria]
    return "\n".join(lines)
