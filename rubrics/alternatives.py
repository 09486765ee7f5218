"""Non-AI and mixed alternatives, figured with the same formulas as the AI candidates.

- do nothing: no cost, no value (NMB 0).
- rules only: plain logic handles `rules_coverage` of tasks (taken as always right: rules either
  match or hand over), the rest gets no help; costs `rules_one_time` (amortized) + `rules_monthly`.
- rules + AI: rules first, the chosen model on the remaining (1 - coverage) tasks; both build costs.
- embeddings only: retrieval answers `embedding_coverage` of tasks by returning a stored answer,
  paying the embedding model for the user's tokens; it shares the spec's build and fixed costs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from estimators.fx import RateSet
from estimators.prices import Catalogue
from rubrics.economics import (
    Figures,
    candidate_figures,
    figures,
    monthly_fixed_total,
    one_time_total,
)
from rubrics.estimate import CandidateEstimate
from rubrics.messages import sentence
from rubrics.spec import Spec, likely


@dataclass(frozen=True)
class Alternative:
    name: str
    nmb: float
    roi: float
    monthly_cost: float
    one_time: float
    note: str  # a `Sentence`: English text that renders in any language


def _alt(name: str, f: Figures, one_time: float, note: str) -> Alternative:
    return Alternative(name, float(f.nmb), float(f.roi), float(f.total_cost), one_time, note)


def alternatives(spec: Spec, chosen: CandidateEstimate | None, p: float, values: dict,
                 target_roi: float, catalogue: Catalogue, as_of: dt.date) -> list[Alternative]:
    """The alternatives to compare against the AI candidates (point estimates), priced and
    converted as of the estimate's date like the candidates."""
    a = spec.alternatives
    months = spec.costs.amortize_months
    out = [Alternative("do nothing", 0.0, 0.0, 0.0, 0.0, sentence("alt_note.nothing"))]
    coverage = likely(a.rules_coverage)
    rules_one_time, rules_monthly = likely(a.rules_one_time), likely(a.rules_monthly)
    tasks = None
    if chosen is not None:
        tasks = float(candidate_figures(spec, chosen, p, values, target_roi).tasks_per_month)
    if coverage > 0 and chosen is not None and tasks is not None:
        rules_values = {**values, "value.escape_rate": 0.0, "value.review_share": 0.0,
                        "value.fallback_cost": 0.0}
        rules = figures(tasks * coverage, 0.0, 1.0, rules_values, rules_one_time, rules_monthly,
                        months, target_roi)
        out.append(_alt("rules only", rules, rules_one_time,
                        sentence("alt_note.rules", coverage=coverage)))
        ai = candidate_figures(spec, chosen, p, values, target_roi)
        rest = figures(tasks * (1 - coverage), float(ai.cost_per_task), p, values,
                       one_time_total(values), monthly_fixed_total(values), months, target_roi)
        combined_nmb = float(rules.nmb + rest.nmb)
        combined_cost = float(rules.total_cost + rest.total_cost)
        out.append(Alternative(
            "rules + AI", combined_nmb, combined_nmb / combined_cost if combined_cost else 0.0,
            combined_cost, rules_one_time + one_time_total(values),
            sentence("alt_note.rules_ai", coverage=coverage, model=chosen.model)))
    if a.embedding_model and tasks is not None and likely(a.embedding_coverage) > 0:
        row = catalogue.lookup(a.embedding_model, as_of)
        fx = RateSet(catalogue.fx, as_of).convert(1.0, row.currency, spec.currency)
        emb_cost = chosen.counts["user"].tokens * row.input / 1e6 * fx.rate if chosen else 0.0
        share = likely(a.embedding_coverage)
        emb_values = {**values, "value.escape_rate": 0.0, "value.fallback_cost": 0.0}
        emb = figures(tasks, emb_cost, share, emb_values, values["costs.one_time"],
                      values["costs.monthly_fixed"], months, target_roi)
        out.append(_alt("embeddings only", emb, values["costs.one_time"],
                        sentence("alt_note.embeddings", model=a.embedding_model, share=share)))
    return out
