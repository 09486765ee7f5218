"""Stable JSON shapes for the command line's --json output."""

from __future__ import annotations

from typing import Any

from rubrics.estimate import Estimate


def estimate_json(est: Estimate) -> dict[str, Any]:
    """`scopecard estimate --json`: load figures and one entry per candidate."""
    t = est.traffic
    return {
        "schema": "scopecard.estimate/1",
        "title": est.spec.title,
        "as_of": est.as_of.isoformat(),
        "currency": est.spec.currency,
        "fx_warnings": est.fx_warnings,
        "load": {"tasks_per_day": t.tasks_per_day, "tasks_per_month": t.tasks_per_month,
                 "calls_per_day": t.calls_per_day, "calls_per_month": t.calls_per_month,
                 "avg_qps": t.avg_qps, "peak_qps": t.peak_qps},
        "candidates": [{
            "model": c.model,
            "cost_per_call": c.cost_per_call,
            "monthly_cost": c.monthly_cost,
            "currency": c.currency,
            "tokens_exact": c.tokens_exact,
            "tokens_basis": c.tokens_basis,
            "tokens": c.counts_json(),
            "input_tokens_per_call": c.shape.input_per_call,
            "output_tokens_per_call": c.shape.output_per_call,
            "peak_tpm": c.peak_tpm,
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
