"""Plain-text rendering of estimates and decisions for the terminal (no Textual needed)."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from rubrics.messages import Message, msg, render, text
from rubrics.numbers import amount, compact, money
from rubrics.report import MONTH_0, average_label, grows, row_mark

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


def capacity_lines(est: Estimate) -> list[str]:
    """The capacity block under the estimate table: each candidate against its rate-limit tier,
    with the tier used and the source that publishes it."""
    from rubrics.capacity import Need, concurrency_text, summary_text, tier_basis_text

    t = est.traffic
    need = Need(t.peak_qps, 0.0, est.spec.constraints.max_p95_latency_ms)
    lines = [f"capacity at peak, {need.peak_rpm:,.0f} RPM (peak TPM marks: ✓ fits its rate-limit "
             "tier,", "×N needs N keys, ? no published limit or not checked):",
             f"  {concurrency_text(need)}"]
    for c in est.candidates:
        cap = c.capacity
        where = f"; {tier_basis_text(cap)} [{cap.tier.source}]" if cap.tier else ""
        lines.append(f"  {c.model}: {summary_text(cap)}{where}")
    return lines


TOKEN_LEGEND = ("tokens: = exact (tiktoken), ~ estimated (calibrated factor), · given in the "
                "spec;\na row whose parts were counted differently shows each kind: =· means some "
                "parts exact, some given\n(each part's mark: --json token_marks, the Markdown "
                "export)")


def estimate_text(est: Estimate) -> str:
    t = est.traffic
    cur = est.spec.currency
    growth = grows(est.spec.load.monthly_growth)
    month = f" ({MONTH_0})" if growth else ""
    lines = [
        f"{est.spec.title} — estimate as of {est.as_of} (figures are estimates)",
        "",
        f"load{month}   {t.tasks_per_month:,.0f} tasks/month, {t.calls_per_month:,.0f} "
        f"calls/month ({t.calls_per_day:,.0f}/day)",
        f"{' ' * len(month)}       {t.avg_qps:,.2f} QPS average, {t.peak_qps:,.2f} QPS peak",
        "",
    ]
    ordered = sorted(est.candidates, key=lambda c: c.monthly_cost)
    rows = table(["model", "tokens in/out", "per call", f"per month{month}", "peak TPM"],
                 [[c.model, _tokens(c), money(c.cost_per_call), money(c.monthly_cost), _peak(c)]
                  for c in ordered], right={1, 2, 3, 4})
    lines.append(rows[0])
    for c, row in zip(ordered, rows[1:], strict=True):
        lines.append(row)
        if c.excluded:
            lines.append(f"    EXCLUDED: {c.excluded}")
        for w in c.warnings:
            lines.append(f"    ! {w}")
    lines += ["", f"amounts in {cur}; {TOKEN_LEGEND}"]
    lines += ["", *capacity_lines(est)]
    if growth:
        lines.append(f"traffic grows each month: load and monthly cost are {MONTH_0}; the "
                     f"economics use the {average_label(est.spec.costs.amortize_months)}")
    lines += ["", "prices used:"]
    for c in est.candidates:
        r = c.row
        fx = f"; {c.fx.describe()}; {c.fx.source}" if c.fx.rows else ""
        lines.append(f"  {r.id}: in {r.input:g} / out {r.output:g} {r.currency} per 1M "
                     f"[{r.origin}; {r.source}; verified {r.verified_on}{fx}]")
    lines += [f"  ! {w}" for w in est.fx_warnings]
    if est.notes:
        lines += ["", "assumptions:"] + [f"  - {n}" for n in est.notes]
    return "\n".join(lines)


def catalogue_costs_text(costs: list[CatalogueCost], currency: str) -> str:
    """The spec priced on every chat model, cheapest first."""
    rows = [[row_mark({p: asdict(n) for p, n in c.counts.items()}) + c.row.id,
             money(c.cost_per_call),
             money(c.monthly_cost), f"excluded: {c.problem}" if c.problem else ""]
            for c in costs]
    return "\n".join([f"every chat model in the catalogue ({currency}, cheapest first):"]
                     + table([" model", "per call", "per month", ""], rows, right={1, 2}))


def _capability(cap: Capability) -> str:
    """k/n, interval and status of one candidate's overall check."""
    c = cap.overall
    why = c.undecided
    need = (f", ~{c.cases_needed:,} more cases to decide" if c.cases_needed
            else f", {why}" if why else "")
    err = f", {c.errors} errors" if c.errors else ""
    return f"{c.k}/{c.n} [{c.low:.2f}, {c.high:.2f}] {cap.status.value}{need}{err}"


def decision_text(d: Decision, evals: dict | None = None, lang: str = "en") -> str:
    """The whole decision as text; `evals` is the record's eval provenance (suite hash, store);
    the core's sentences in `lang`."""

    def say(m: Message) -> str:
        return render(m, lang)

    cur = d.spec.currency
    suite_hash = (evals or {}).get("suite_hash")
    where = f" @{suite_hash[:12]}" if suite_hash else ""
    lines = [estimate_text(d.estimate), "", "capability "
             f"(suite '{d.spec.quality.suite}'{where}, {d.spec.quality.interval} interval, bar "
             f"{d.bar:.0%}, confidence {d.confidence:.0%}):"]
    checks = table(None, [[r.estimate.model, _capability(r.capability)] for r in d.candidates])
    for r, row in zip(d.candidates, checks, strict=True):
        tiers = "  ".join(f"{k} {v.k}/{v.n} {v.status.value}" for k, v in r.capability.tiers.items())
        lines.append(f"  {row}")
        if tiers:
            lines.append(f"      {tiers}")
        if r.capability.run_ids:
            lines.append(f"      runs: {', '.join(r.capability.run_ids)}")
    average = (f", {average_label(d.spec.costs.amortize_months)}"
               if grows(d.spec.load.monthly_growth) else "")
    lines += ["", f"economics per month{average} ({cur}; P10 / P50 / P90 over "
                  f"{d.rubric.draws:,} draws, seed {d.seed}):"]
    for r in d.candidates:
        if r.distribution is None:
            continue
        dist, f = r.distribution, r.point
        lines.append(f"  {r.estimate.model}")
        lines.append(f"      NMB  {money(dist.nmb['p10'])} / {money(dist.nmb['p50'])} / "
                     f"{money(dist.nmb['p90'])}   ROI {dist.roi['p10']:.2f} / {dist.roi['p50']:.2f}"
                     f" / {dist.roi['p90']:.2f}   P(NMB>0) {dist.p_positive:.0%}")
        lines.append(f"      cost/success {money(float(f.cost_per_success))} (max "
                     f"{money(float(f.max_cost_per_success))} at target ROI)  break-even "
                     f"{amount(float(f.break_even_tasks))} tasks/month  payback "
                     f"{amount(float(f.payback_months), 1)} months")
    lines += ["", "alternatives:"]
    alternatives = [[a.name, "NMB", money(a.nmb), "ROI", f"{a.roi:.2f}", a.note]
                    for a in d.alternatives]
    lines += [f"  {row}" for row in table(None, alternatives, right={2, 4})]
    lines += ["", f"VERDICT: {d.verdict.value}" + (f" — {d.chosen}" if d.chosen else "")]
    lines += [f"  - {say(r)}" for r in d.reasons]
    if d.conditions:
        lines += [text("text.conditions", lang)] + [f"  - {say(c)}" for c in d.conditions]
    if d.spike:
        lines += [text("text.spike", lang)] + [f"  {text('spike.' + k, lang)}: {say(v)}"
                                                for k, v in d.spike.items()]
    if d.drivers:
        lines += [text("text.drivers", lang)] + [f"  - {say(x)}" for x in d.drivers]
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
