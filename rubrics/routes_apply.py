"""Fill a spec's route costs from the route preset, converted to the spec's currency."""

from __future__ import annotations

import datetime as dt

from estimators.prices import Catalogue
from rubrics.estimate import fx_message
from rubrics.messages import sentence
from rubrics.scenarios import routes
from rubrics.spec import Range, Spec


def with_route_costs(spec: Spec, catalogue: Catalogue,
                     as_of: dt.date | None = None) -> tuple[Spec, list[str]]:
    """The spec with costs.route_one_time / route_monthly set, and notes on where they came from
    (converted at the rate of `as_of`, the estimate's date, like the candidates' costs)."""
    preset = routes()[spec.constraints.route]
    costs = spec.costs
    notes: list[str] = []  # `Sentence`s: English text that renders in any language
    rate = catalogue.convert(1.0, preset.currency, spec.currency, as_of)
    updates = {}
    if costs.route_one_time is None:
        lo, mid, hi = (preset.one_time[k] * rate.amount for k in ("low", "likely", "high"))
        updates["route_one_time"] = Range(low=lo, likely=mid, high=hi) if hi > lo else mid
        notes.append(sentence("note.route_one_time", route=preset.name, low=lo, high=hi,
                              currency=spec.currency, likely=mid))
    if costs.route_monthly is None:
        updates["route_monthly"] = preset.monthly * rate.amount
        notes.append(sentence("note.route_monthly", route=preset.name,
                              amount=preset.monthly * rate.amount, currency=spec.currency))
    if rate.rows and updates:
        notes.append(sentence("note.route_fx", rate=fx_message(rate), source=rate.source))
    if not updates:
        return spec, notes
    return spec.model_copy(update={"costs": costs.model_copy(update=updates)}), notes
