"""From estimates, capability and economics to a verdict with reasons and kill criteria (DESIGN §5).

Rules, in order:
1. every candidate ruled out by a hard constraint -> STOP
2. route = train -> RESEARCH SPIKE (a learning question, a time-box and a budget cap; no ship date)
3. every remaining candidate FAILS -> STOP
4. none MEETS (some INCONCLUSIVE / NO DATA) -> RESEARCH SPIKE
5. chosen = the cheapest that MEETS. Its P90 ROI < target -> STOP
6. a non-AI alternative (rules only, embeddings only) has a higher NMB than the chosen P50 -> STOP
7. no conditions -> GO. A P10 ROI below the target, P(NMB > 0) below 0.9 and a thin margin of
   safety are conditions themselves, so GO always has P10 ROI >= target and P(NMB > 0) >= 0.9
8. P50 ROI >= target -> GO WITH CONDITIONS (the conditions are listed)
9. otherwise (P50 < target <= P90) -> RESEARCH SPIKE: the economics hinge on uncertain inputs

Invariant (checked on every decision, `invariant_breaches`): GO WITH CONDITIONS names at least one
condition; GO has none, with P10 ROI >= target and P(NMB > 0) >= the rubric's threshold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from estimators.prices import Catalogue
from rubrics.alternatives import Alternative, alternatives
from rubrics.capability import Check, Status, check, combine
from rubrics.economics import Distribution, Figures, candidate_figures, point_values, posterior_mean, simulate
from rubrics.estimate import CandidateEstimate, Estimate
from rubrics.evals.results import Tally
from rubrics.scenarios import Rubric, Scenario, routes, rubric, scenario
from rubrics.spec import METRIC_RANGES, KillCriterion, Spec, likely

SPIKE_BUDGET_SHARE = 0.2  # a spike may spend at most this share of the feature's one-time cost


class Verdict(StrEnum):
    STOP = "STOP"
    RESEARCH_SPIKE = "RESEARCH SPIKE"
    GO_WITH_CONDITIONS = "GO WITH CONDITIONS"
    GO = "GO"


@dataclass
class Capability:
    suite: str
    overall: Check
    tiers: dict[str, Check]  # by difficulty
    status: Status
    run_ids: tuple[str, ...]


@dataclass
class CandidateResult:
    estimate: CandidateEstimate
    capability: Capability
    point: Figures
    distribution: Distribution | None  # None for excluded candidates


@dataclass
class Kill:
    metric: str
    comparator: str
    threshold: float
    window_days: int
    deadline: dt.date
    action: str
    note: str


@dataclass
class Decision:
    spec: Spec
    scenario: Scenario
    rubric: Rubric
    estimate: Estimate
    bar: float
    confidence: float
    candidates: list[CandidateResult]
    alternatives: list[Alternative]
    verdict: Verdict
    chosen: str | None
    reasons: list[str]
    conditions: list[str]
    drivers: list[str]
    kill_criteria: list[Kill]
    seed: int
    spike: dict[str, str] = field(default_factory=dict)


def capability_of(model: str, spec: Spec, tallies: dict[tuple[str, str, str], Tally], bar: float,
                  confidence: float) -> Capability:
    """k/n checks of one model on the spec's suite, overall and per difficulty tier."""
    suite = spec.quality.suite

    def t(tier: str) -> Tally:
        return tallies.get((model, suite, tier), Tally(0, 0, 0, ()))

    overall_t = t("all")
    method = spec.quality.interval
    overall = check(overall_t.k, overall_t.n, bar, confidence, overall_t.errors, method)
    tiers = {}
    for tier in ("easy", "medium", "hard"):
        tt = t(tier)
        if tt.n or tt.errors or tier in spec.quality.difficulty_bars:
            tiers[tier] = check(tt.k, tt.n, spec.quality.difficulty_bars.get(tier, bar),
                                confidence, tt.errors, method)
    binding = [overall.status] + [tiers[d].status for d in spec.quality.difficulty_bars if d in tiers]
    return Capability(suite, overall, tiers, combine(binding), overall_t.run_ids)


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _undecided(cap: Capability) -> str:
    """Why more cases cannot settle the overall check, in parentheses (empty when they can)."""
    why = cap.overall.undecided
    return f" ({why})" if why else ""


def decide(est: Estimate, tallies: dict[tuple[str, str, str], Tally], catalogue: Catalogue,
           seed: int, today: dt.date | None = None) -> Decision:
    """The verdict for an estimated spec given eval tallies."""
    spec = est.spec
    today = today or est.as_of
    sc = scenario(spec.scenario)
    rb = rubric()
    bar = spec.quality.bar if spec.quality.bar is not None else sc.bar
    confidence = spec.quality.confidence or sc.confidence
    review_floor = sc.min_review_share if sc.human_review else 0.0
    target = spec.commit.target_roi
    values = point_values(spec, review_floor)

    results: list[CandidateResult] = []
    for cand in est.candidates:
        cap = capability_of(cand.model, spec, tallies, bar, confidence)
        k, n = cap.overall.k, cap.overall.n
        point = candidate_figures(spec, cand, posterior_mean(k, n), values, target)
        dist = None if cand.excluded else simulate(spec, cand, k, n, target, review_floor, seed,
                                                   rb.draws)
        results.append(CandidateResult(cand, cap, point, dist))

    reasons: list[str] = []
    conditions: list[str] = []
    spike: dict[str, str] = {}
    eligible = [r for r in results if not r.estimate.excluded]
    meets = sorted((r for r in eligible if r.capability.status is Status.MEETS),
                   key=lambda r: r.estimate.monthly_cost)
    chosen = meets[0] if meets else None
    alts = alternatives(spec, (chosen or (eligible or results)[0]).estimate,
                        float((chosen or (eligible or results)[0]).point.p), values, target,
                        catalogue, est.as_of)

    for r in results:
        if r.estimate.excluded:
            reasons.append(f"{r.estimate.model} excluded: {r.estimate.excluded}")

    if not eligible:
        verdict = Verdict.STOP
        reasons.append("every candidate is ruled out by a hard constraint")
    elif spec.constraints.route == "train":
        verdict = Verdict.RESEARCH_SPIKE
        reasons.append("the route needs model training: that is research, with no ship date")
        spike = _spike(spec, est, "Can a trained model reach the bar on the graded suite?")
    elif all(r.capability.status is Status.FAILS for r in eligible):
        verdict = Verdict.STOP
        reasons.append(f"no candidate can meet the {_pct(bar)} bar: every one FAILS")
    elif chosen is None:
        verdict = Verdict.RESEARCH_SPIKE
        unsure = [f"{r.estimate.model} {r.capability.status.value}" + _undecided(r.capability)
                  for r in eligible
                  if r.capability.status in (Status.INCONCLUSIVE, Status.NO_DATA)]
        reasons.append("capability is not established: " + ", ".join(unsure))
        needed = [r.capability.overall.cases_needed for r in eligible
                  if r.capability.overall.cases_needed]
        q = f"Does a candidate pass {_pct(bar)} of suite '{spec.quality.suite}'"
        q += f" (about {min(needed)} more graded cases would decide)?" if needed else "?"
        spike = _spike(spec, est, q)
    else:
        verdict, why, conditions = economic_verdict(spec, chosen, alts, rb, sc)
        reasons.extend(why)
        if verdict is Verdict.RESEARCH_SPIKE:
            spike = _spike(spec, est, "Which of the top drivers can be pinned down so that the "
                                      "median ROI reaches the target?")

    breaches = invariant_breaches(verdict, conditions, chosen.distribution if chosen else None,
                                  rb, target)
    if breaches:  # a bug in the rules above, never bad input: fail loudly, record nothing
        raise AssertionError("verdict invariant broken: " + "; ".join(breaches))
    drivers = _drivers(chosen or (eligible[0] if eligible else None))
    kills = _kill_criteria(spec, chosen, meets, bar, today)
    return Decision(spec=spec, scenario=sc, rubric=rb, estimate=est, bar=bar,
                    confidence=confidence, candidates=results, alternatives=alts, verdict=verdict,
                    chosen=chosen.estimate.model if chosen else None, reasons=reasons,
                    conditions=conditions, drivers=drivers, kill_criteria=kills, seed=seed,
                    spike=spike)


def economic_verdict(spec: Spec, chosen: CandidateResult, alts: list[Alternative], rb: Rubric,
                     sc: Scenario) -> tuple[Verdict, list[str], list[str]]:
    """Rules 5 to 9 for the cheapest candidate that MEETS: (verdict, reasons, conditions)."""
    d = chosen.distribution
    assert d is not None
    target = spec.commit.target_roi
    reasons: list[str] = []
    conditions: list[str] = []
    name = chosen.estimate.model
    reasons.append(f"{name} MEETS the {_pct(chosen.capability.overall.bar)} bar "
                   f"(k/n {chosen.capability.overall.k}/{chosen.capability.overall.n}, lower bound "
                   f"{_pct(chosen.capability.overall.low)}) and is the cheapest that does")
    stop_q, go_q, cond_q = rb.stop_roi_quantile, rb.go_roi_quantile, rb.conditions_roi_quantile
    if d.roi[stop_q] < target:
        reasons.append(f"even the optimistic case misses the target: {stop_q.upper()} ROI "
                       f"{d.roi[stop_q]:.2f} < {target:.2f}")
        return Verdict.STOP, reasons, conditions
    for alt in alts:
        if alt.name in ("rules only", "embeddings only") and alt.nmb > d.nmb["p50"]:
            reasons.append(f"{alt.name} nets more per month ({alt.nmb:,.0f} vs the AI's median "
                           f"{d.nmb['p50']:,.0f} {spec.currency}): build that instead")
            return Verdict.STOP, reasons, conditions
    rules_ai = next((a for a in alts if a.name == "rules + AI"), None)
    if rules_ai and rules_ai.nmb > d.nmb["p50"]:
        conditions.append(f"put rules first: logic + AI nets {rules_ai.nmb:,.0f} vs AI alone "
                          f"{d.nmb['p50']:,.0f} {spec.currency}/month")
    escape = likely(spec.value.escape_rate)
    if escape > sc.max_escape_rate:
        conditions.append(f"escape rate {escape:.0%} exceeds the {sc.max_escape_rate:.0%} that "
                          f"{sc.label.lower()} tolerates: add review or guardrails")
    if spec.constraints.compliance:
        missing = sorted(set(spec.constraints.compliance) - set(chosen.estimate.row.compliance))
        if missing:
            conditions.append(f"confirm with {chosen.estimate.row.vendor}: "
                              f"{', '.join(missing)} (not recorded in the price catalogue)")
    if sc.human_review:
        conditions.append(f"human review of {sc.min_review_share:.0%} of outputs is mandatory "
                          f"for {sc.label.lower()}")
    conditions.extend(f"{name}: {w}" for w in chosen.estimate.warnings)
    cap = spec.commit.max_monthly_spend
    if cap is not None and d.monthly_ai_cost["p90"] > cap:
        conditions.append(f"P90 monthly AI spend {d.monthly_ai_cost['p90']:,.0f} exceeds the "
                          f"{cap:,.0f} cap: enforce a spend limit")
    margin = _margin_of_safety(chosen.point)
    if not d.roi[go_q] >= target:  # `not >=`: a NaN ROI never passes for GO
        conditions.append(_pin_down(d, go_q, target))
    if d.p_positive < rb.go_min_p_positive:
        conditions.append(f"P(NMB > 0) is {d.p_positive:.0%}, below {rb.go_min_p_positive:.0%}")
    if margin < rb.min_margin_of_safety:
        conditions.append(f"margin of safety on cost per success is {margin:.0%}, below "
                          f"{rb.min_margin_of_safety:.0%}")
    if not conditions:  # the conditions above include every GO threshold that is missed
        reasons.append(f"{go_q.upper()} ROI {d.roi[go_q]:.2f} >= target {target:.2f} and "
                       f"P(NMB > 0) = {d.p_positive:.0%}")
        return Verdict.GO, reasons, conditions
    if d.roi[cond_q] >= target:
        reasons.append(f"{cond_q.upper()} ROI {d.roi[cond_q]:.2f} >= target {target:.2f}, "
                       f"with conditions")
        return Verdict.GO_WITH_CONDITIONS, reasons, conditions
    reasons.append(f"{cond_q.upper()} ROI {d.roi[cond_q]:.2f} misses the target {target:.2f} but "
                   f"{stop_q.upper()} {d.roi[stop_q]:.2f} reaches it: the result hinges on "
                   f"uncertain inputs")
    return Verdict.RESEARCH_SPIKE, reasons, []


def _pin_down(d: Distribution, quantile: str, target: float) -> str:
    """The condition when the pessimistic ROI misses the target: the top tornado drivers to pin
    down before committing, with that ROI and the target."""
    names = ", ".join(name for name, _, _ in d.tornado[:3])
    return (f"pin down the inputs that swing the result most ({names}): "
            f"{quantile.upper()} ROI {d.roi[quantile]:.2f} is below the target {target:.2f}")


def invariant_breaches(verdict: Verdict, conditions: list[str], d: Distribution | None,
                       rb: Rubric, target: float) -> list[str]:
    """How a verdict breaks the rubric's invariant (empty when it holds): GO WITH CONDITIONS
    names its conditions; GO has none and the chosen candidate's distribution clears the GO
    thresholds."""
    breaches = []
    if verdict is Verdict.GO_WITH_CONDITIONS and not conditions:
        breaches.append("GO WITH CONDITIONS lists no condition")
    if verdict is Verdict.GO:
        q = rb.go_roi_quantile
        if conditions:
            breaches.append(f"GO with {len(conditions)} condition(s)")
        if d is None or not d.roi[q] >= target:
            breaches.append(f"GO with {q.upper()} ROI below the target {target:.2f}")
        if d is None or not d.p_positive >= rb.go_min_p_positive:
            breaches.append(f"GO with P(NMB > 0) below {rb.go_min_p_positive:.0%}")
    return breaches


def _margin_of_safety(f: Figures) -> float:
    if not f.max_cost_per_success > 0:
        return -1.0
    return float((f.max_cost_per_success - f.cost_per_success) / f.max_cost_per_success)


def _drivers(result: CandidateResult | None) -> list[str]:
    """The top three inputs by NMB swing, as text."""
    if result is None or result.distribution is None:
        return []
    return [f"{name}: NMB {lo:,.0f} .. {hi:,.0f}"
            for name, lo, hi in result.distribution.tornado[:3]]


def _spike(spec: Spec, est: Estimate, question: str) -> dict[str, str]:
    """A time-boxed research spike with a budget cap (never a ship date)."""
    weeks = routes()[spec.constraints.route].spike_weeks
    one_time = likely(spec.costs.one_time) + likely(spec.costs.route_one_time or 0.0)
    return {"question": question, "time_box": f"{weeks} weeks",
            "budget_cap": f"{one_time * SPIKE_BUDGET_SHARE:,.0f} {spec.currency} "
                          f"({SPIKE_BUDGET_SHARE:.0%} of the one-time cost)",
            "ends_by": str(est.as_of + dt.timedelta(weeks=weeks)),
            "ship_date": "none: a spike answers a question, it does not ship"}


def _kill_criteria(spec: Spec, chosen: CandidateResult | None, meets: list[CandidateResult],
                   bar: float, today: dt.date) -> list[Kill]:
    """Measurable, dated criteria with an action, derived from the thresholds (or the spec's own)."""
    deadline = today + dt.timedelta(days=spec.commit.review_after_days)
    if spec.kill_criteria:
        return [_kill_from(k, deadline) for k in spec.kill_criteria]
    if chosen is None:
        return []
    cur = spec.currency
    nxt = meets[1].estimate.model if len(meets) > 1 else None
    f = chosen.point
    kills = [
        Kill("cost_per_success", ">", _derived("cost_per_success", f.max_cost_per_success, 6), 7,
             deadline, "switch model" if nxt else "pause",
             f"above this the target ROI is lost ({cur}); "
             + (f"switch to {nxt}, the next cheapest that MEETS" if nxt else "no cheaper model MEETS")),
        Kill("pass_rate", "<", bar, 7, deadline, "roll back",
             "weekly pass rate on the regression suite below the bar"),
        Kill("resolution_rate", "<", _derived("resolution_rate", f.break_even_p, 4), 30, deadline,
             "stop", "below this success rate the feature loses money "
                     f"({spec.need.success_metric or 'success metric'})"),
    ]
    cap = spec.commit.max_monthly_spend
    if cap is not None:
        kills.append(Kill("monthly_spend", ">", cap, 30, deadline, "pause",
                          f"monthly AI spend above the committed cap ({cur})"))
    if spec.constraints.max_p95_latency_ms:
        kills.append(Kill("p95_latency_ms", ">", spec.constraints.max_p95_latency_ms, 7, deadline,
                          "switch model", "p95 latency above the limit"))
    return kills


def _derived(metric: str, value: float, digits: int) -> float:
    """A threshold computed from the economics, inside what its metric can measure. With no
    traffic the affordable cost per success is -inf and becomes 0; a break-even rate beyond 1
    becomes 1. Either way the criterion keeps its meaning (it fires at once) and the record
    stays finite."""
    return round(METRIC_RANGES[metric].clamp(float(value)), digits)


def _kill_from(k: KillCriterion, deadline: dt.date) -> Kill:
    return Kill(k.metric, k.comparator, k.threshold, k.window_days, deadline, k.action,
                k.note or "set in the spec")
