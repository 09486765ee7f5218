"""Stable JSON shapes for the command line's --json output, and the labels every output shares:
how each token count was obtained (marks) and which month a "monthly" figure means."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the app reads marks and labels without the estimator
    from rubrics.estimate import Estimate
    from rubrics.spec import Range

BASIS_MARK = {"exact": "=", "estimated": "~", "given": "·"}
MONTH_0 = "month 0"


def part_marks(tokens: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The mark of each prompt part that carries tokens, from `{part: {"tokens", "basis"}}` (a
    candidate's `tokens` in a record or in --json). A part of 0 tokens (one the spec leaves out)
    adds nothing to the cost and is left out."""
    return {part: BASIS_MARK.get(str(c.get("basis")), "?") for part, c in tokens.items()
            if c.get("tokens") not in (None, 0)}


def row_mark(tokens: Mapping[str, Mapping[str, Any]]) -> str:
    """One mark per kind of count among the parts, in the order = ~ ·: `=` when every part was
    counted exactly, `=·` when some were counted exactly and some given in the spec."""
    present = set(part_marks(tokens).values())
    return "".join(m for m in (*BASIS_MARK.values(), "?") if m in present) or BASIS_MARK["given"]


def part_marks_text(tokens: Mapping[str, Mapping[str, Any]]) -> str:
    """Per-part marks for people: `system =, user ·, output ·`."""
    return ", ".join(f"{part} {mark}" for part, mark in part_marks(tokens).items())


def grows(monthly_growth: Any) -> bool:
    """Whether a spec's monthly growth (a number or a range, as a spec or as record data) can
    be other than 0, so that month 0 and the amortization-period average differ."""
    ends = ("low", "likely", "high")
    if isinstance(monthly_growth, Mapping):
        values = [monthly_growth.get(k) for k in ends]
    elif isinstance(monthly_growth, (int, float)) or monthly_growth is None:
        values = [monthly_growth]
    else:  # a spec Range
        values = [getattr(monthly_growth, k) for k in ends]
    return any(v not in (None, 0) for v in values)


def average_label(amortize_months: int) -> str:
    """What the economics' monthly figures are when traffic grows."""
    return f"average over the {amortize_months}-month amortization period"


def monthly_basis(monthly_growth: float | Range, amortize_months: int) -> dict[str, Any]:
    """The JSON block that says which month each kind of monthly figure means: the estimate's
    load and monthly cost are month 0, the economics (point, distribution, alternatives) are
    averages over the amortization period; the two differ only when traffic grows."""
    from rubrics.spec import likely

    return {"monthly_growth": float(likely(monthly_growth)), "amortize_months": amortize_months,
            "estimate": MONTH_0, "economics": average_label(amortize_months),
            "differ": grows(monthly_growth)}


def estimate_json(est: Estimate) -> dict[str, Any]:
    """`scopecard estimate --json`: load figures and one entry per candidate."""
    from rubrics.capacity import capacity_json
    from rubrics.economics import growth_factor
    from rubrics.spec import likely

    t = est.traffic
    load, months = est.spec.load, est.spec.costs.amortize_months
    average = float(growth_factor(likely(load.monthly_growth), months))
    return {
        "schema": "scopecard.estimate/1",
        "title": est.spec.title,
        "as_of": est.as_of.isoformat(),
        "currency": est.spec.currency,
        "monthly_basis": monthly_basis(load.monthly_growth, months),
        "fx_warnings": est.fx_warnings,
        "load": {"tasks_per_day": t.tasks_per_day, "tasks_per_month": t.tasks_per_month,
                 "calls_per_day": t.calls_per_day, "calls_per_month": t.calls_per_month,
                 "avg_qps": t.avg_qps, "peak_qps": t.peak_qps},
        "candidates": [{
            "model": c.model,
            "cost_per_call": c.cost_per_call,
            "monthly_cost": c.monthly_cost,
            "monthly_cost_month_0": c.monthly_cost,
            "monthly_cost_amortization_average": c.monthly_cost * average,
            "currency": c.currency,
            "tokens_exact": c.tokens_exact,
            "tokens_basis": c.tokens_basis,
            "token_mark": row_mark(c.counts_json()),
            "token_marks": part_marks(c.counts_json()),
            "tokens": c.counts_json(),
            "input_tokens_per_call": c.shape.input_per_call,
            "output_tokens_per_call": c.shape.output_per_call,
            "peak_tpm": c.peak_tpm,
            "capacity": capacity_json(c.capacity),
            "native": {"currency": c.call.currency, "cost_per_call": c.call.per_call,
                       "fx_rate": c.fx.rate,
                       "fx": c.fx.to_json()},
            "cost_parts": c.call.parts,
            "price": {"row": c.row.id, "origin": c.row.origin, "source": c.row.source,
                      "verified_on": c.row.verified_on.isoformat(),
                      "effective_from": c.row.effective_from.isoformat()
                      if c.row.effective_from else None,
                      "input": c.row.input, "output": c.row.output,
                      "cache_read": c.row.cache_read, "cache_write": c.row.cache_write},
            "warnings": c.warnings,
            "excluded": c.excluded,
        } for c in est.candidates],
    }
