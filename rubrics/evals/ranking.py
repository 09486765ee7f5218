"""Choosing a model: best quality first, then cost.

The strongest model is the one with the highest Wilson lower bound (its worst suite/tier when
several bind): the rate we can still vouch for, not the luckiest point estimate. The chosen
model is the cheapest one that MEETS the bar everywhere it is checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rubrics.capability import Check, Status, check, combine
from rubrics.evals.results import Tally


@dataclass(frozen=True)
class Candidate:
    model: str
    status: Status  # combined over every (suite, tier) checked
    low: float  # the weakest Wilson lower bound over its checks (0 with no data)
    cost: float | None  # per call; None when the price is unknown
    approximate: bool  # some k/n came from an aggregate, not counted cases
    checks: tuple[tuple[str, str, Check], ...]  # (suite, tier, check)


@dataclass(frozen=True)
class Ranking:
    candidates: tuple[Candidate, ...]  # best quality first, then cheaper
    strongest: Candidate | None
    cheapest_meeting: Candidate | None


def rank(tallies: Mapping[tuple[str, str, str], Tally],
         cost_per_call: Callable[[str], float | None], bar: float,
         confidence: float = 0.95, *, suites: Iterable[str] | None = None,
         tiers: Iterable[str] = ("all",), bars: Mapping[str, float] | None = None,
         models: Iterable[str] | None = None) -> Ranking:
    """Rank models from store or in-memory tallies keyed (model, suite, difficulty).

    Every model is checked on every suite in `suites` (default: all suites in the tallies)
    and every tier in `tiers`; a missing tally is NO DATA, which keeps a model from MEETS.
    `bars` overrides the bar per tier (e.g. {"hard": 0.75}). `cost_per_call` may return None
    or raise KeyError/LookupError for a model it has no price for.
    """
    tiers = tuple(tiers)
    suite_list = sorted(set(suites) if suites is not None else {s for _, s, _ in tallies})
    model_list = sorted(set(models) if models is not None else {m for m, _, _ in tallies})
    candidates: list[Candidate] = []
    for model in model_list:
        checks: list[tuple[str, str, Check]] = []
        approximate = False
        for suite in suite_list:
            for tier in tiers:
                t = tallies.get((model, suite, tier))
                tier_bar = (bars or {}).get(tier, bar)
                if t is None:
                    checks.append((suite, tier, check(0, 0, tier_bar, confidence)))
                    continue
                approximate = approximate or t.approximate
                checks.append((suite, tier, check(t.k, t.n, tier_bar, confidence, t.errors)))
        status = combine([c.status for _, _, c in checks])
        graded = [c.low for _, _, c in checks if c.status is not Status.NO_DATA]
        low = min(graded) if graded and len(graded) == len(checks) else 0.0
        candidates.append(Candidate(model, status, low, _cost(cost_per_call, model),
                                    approximate, tuple(checks)))

    def cost_key(c: Candidate) -> float:
        return c.cost if c.cost is not None else math.inf

    ordered = sorted(candidates, key=lambda c: (-c.low, cost_key(c), c.model))
    strongest = ordered[0] if ordered and ordered[0].status is not Status.NO_DATA else None
    meeting = [c for c in candidates if c.status is Status.MEETS and c.cost is not None]
    cheapest = min(meeting, key=lambda c: (c.cost, -c.low, c.model)) if meeting else None
    return Ranking(tuple(ordered), strongest, cheapest)


def _cost(fn: Callable[[str], float | None], model: str) -> float | None:
    try:
        value = fn(model)
    except LookupError:
        return None
    return float(value) if value is not None and math.isfinite(value) else None
