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
from rubrics.messages import Message, msg, plain, table
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
    note: Message


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
    reasons: list[Message]
    conditions: list[Message]
    drivers: list[Message]
    kill_criteria: list[Kill]
    seed: int
    spike: dict[str, Message] = field(default_factory=dict)


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


def _unsure(r: CandidateResult) -> Message:
    """A candidate whose capability is not established, with why more cases cannot settle it
    when they cannot."""
    why = r.capability.overall.undecided_message
    status = r.capability.status.value
    if why is None:
        return msg("verdict.unsure", model=r.estimate.model, status=status)
    return msg("verdict.unsure_why", model=r.estimate.model, status=status, why=why)


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

    reasons: list[Message] = []
    conditions: list[Message] = []
    spike: dict[str, Message] = {}
    eligible = [r for r in results if not r.estimate.excluded]
    meets = sorted((r for r in eligible if r.capability.status is Status.MEETS),
                   key=lambda r: r.estimate.monthly_cost)
    chosen = meets[0] if meets else None
    alts = alternatives(spec, (chosen or (eligible or results)[0]).estimate,
                        float((chosen or (eligible or results)[0]).point.p), values, target,
                        catalogue, est.as_of)

    for r in results:
        if r.estimate.excluded:
            reasons.append(msg("verdict.excluded", model=r.estimate.model,
                               why=r.estimate.excluded))

    if not eligible:
        verdict = Verdict.STOP
        reasons.append(msg("verdict.all_excluded"))
    elif spec.constraints.route == "train":
        verdict = Verdict.RESEARCH_SPIKE
        reasons.append(msg("verdict.train"))
        spike = _spike(spec, est, msg("spike.q.train"))
    elif all(r.capability.status is Status.FAILS for r in eligible):
        verdict = Verdict.STOP
        reasons.append(msg("verdict.all_fail", bar=bar))
    elif chosen is None:
        verdict = Verdict.RESEARCH_SPIKE
        unsure = [_unsure(r) for r in eligible
                  if r.capability.status in (Status.INCONCLUSIVE, Status.NO_DATA)]
        reasons.append(msg("verdict.not_established", candidates=unsure))
        needed = [r.capability.overall.cases_needed for r in eligible
                  if r.capability.overall.cases_needed]
        suite = spec.quality.suite or ""
        q = (msg("spike.q.capability_needed", bar=bar, suite=suite, cases=min(needed)) if needed
             else msg("spike.q.capability", bar=bar, suite=suite))
        spike = _spike(spec, est, q)
    else:
        verdict, why, conditions = economic_verdict(spec, chosen, alts, rb, sc)
        reasons.extend(why)
        if verdict is Verdict.RESEARCH_SPIKE:
            spike = _spike(spec, est, msg("spike.q.drivers"))

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
                     sc: Scenario) -> tuple[Verdict, list[Message], list[Message]]:
    """Rules 5 to 9 for the cheapest candidate that MEETS: (verdict, reasons, conditions)."""
    d = chosen.distribution
    assert d is not None
    target = spec.commit.target_roi
    reasons: list[Message] = []
    conditions: list[Message] = []
    name, cur = chosen.estimate.model, spec.currency
    overall = chosen.capability.overall
    reasons.append(msg("verdict.meets", model=name, bar=overall.bar, k=overall.k, n=overall.n,
                       low=overall.low))
    stop_q, go_q, cond_q = rb.stop_roi_quantile, rb.go_roi_quantile, rb.conditions_roi_quantile
    if d.roi[stop_q] < target:
        reasons.append(msg("verdict.optimistic_misses", q=stop_q.upper(), roi=d.roi[stop_q],
                           target=target))
        return Verdict.STOP, reasons, conditions
    for alt in alts:
        if alt.name in ("rules only", "embeddings only") and alt.nmb > d.nmb["p50"]:
            reasons.append(msg("verdict.alternative_wins", alternative=msg(f"alt.{alt.name}"),
                               nmb=alt.nmb, ai=d.nmb["p50"], currency=cur))
            return Verdict.STOP, reasons, conditions
    rules_ai = next((a for a in alts if a.name == "rules + AI"), None)
    if rules_ai and rules_ai.nmb > d.nmb["p50"]:
        conditions.append(msg("cond.rules_first", nmb=rules_ai.nmb, ai=d.nmb["p50"],
                              currency=cur))
    escape = likely(spec.value.escape_rate)
    if escape > sc.max_escape_rate:
        conditions.append(msg("cond.escape", rate=escape, limit=sc.max_escape_rate,
                              scenario=msg(f"scenario.{sc.name}")))
    if spec.constraints.compliance:
        missing = sorted(set(spec.constraints.compliance) - set(chosen.estimate.row.compliance))
        if missing:
            conditions.append(msg("cond.compliance", vendor=chosen.estimate.row.vendor,
                                  missing=missing))
    if sc.human_review:
        conditions.append(msg("cond.human_review", share=sc.min_review_share,
                              scenario=msg(f"scenario.{sc.name}")))
    conditions.extend(msg("cond.warning", model=name, warning=w)
                      for w in chosen.estimate.warnings)
    cap = spec.commit.max_monthly_spend
    if cap is not None and d.monthly_ai_cost["p90"] > cap:
        conditions.append(msg("cond.spend_cap", spend=d.monthly_ai_cost["p90"], cap=cap))
    margin = _margin_of_safety(chosen.point)
    if not d.roi[go_q] >= target:  # `not >=`: a NaN ROI never passes for GO
        conditions.append(_pin_down(d, go_q, target))
    if d.p_positive < rb.go_min_p_positive:
        conditions.append(msg("cond.p_positive", p=d.p_positive, floor=rb.go_min_p_positive))
    if margin < rb.min_margin_of_safety:
        conditions.append(msg("cond.margin", margin=margin, floor=rb.min_margin_of_safety))
    if not conditions:  # the conditions above include every GO threshold that is missed
        reasons.append(msg("verdict.go", q=go_q.upper(), roi=d.roi[go_q], target=target,
                           p=d.p_positive))
        return Verdict.GO, reasons, conditions
    if d.roi[cond_q] >= target:
        reasons.append(msg("verdict.go_with_conditions", q=cond_q.upper(), roi=d.roi[cond_q],
                           target=target))
        return Verdict.GO_WITH_CONDITIONS, reasons, conditions
    reasons.append(msg("verdict.hinges", q=cond_q.upper(), roi=d.roi[cond_q], target=target,
                       stop_q=stop_q.upper(), stop_roi=d.roi[stop_q]))
    return Verdict.RESEARCH_SPIKE, reasons, []


def _pin_down(d: Distribution, quantile: str, target: float) -> Message:
    """The condition when the pessimistic ROI misses the target: the top tornado drivers to pin
    down before committing, with that ROI and the target."""
    return msg("cond.pin_down", inputs=[name for name, _, _ in d.tornado[:3]],
               q=quantile.upper(), roi=d.roi[quantile], target=target)


def invariant_breaches(verdict: Verdict, conditions: list[Message], d: Distribution | None,
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


def _drivers(result: CandidateResult | None) -> list[Message]:
    """The top three inputs by NMB swing."""
    if result is None or result.distribution is None:
        return []
    return [msg("driver", input=input_label(name), low=lo, high=hi)
            for name, lo, hi in result.distribution.tornado[:3]]


def input_label(name: str) -> Message:
    """The human name of an economic input (a spec field path or `p (success rate)`); the path
    itself when the tables have no name for it."""
    key = f"input.{name}"
    return msg(key) if key in table("en") else plain(name)


def _spike(spec: Spec, est: Estimate, question: Message) -> dict[str, Message]:
    """A time-boxed research spike with a budget cap (never a ship date)."""
    weeks = routes()[spec.constraints.route].spike_weeks
    one_time = likely(spec.costs.one_time) + likely(spec.costs.route_one_time or 0.0)
    return {"question": question, "time_box": msg("spike.weeks", weeks=weeks),
            "budget_cap": msg("spike.budget", amount=one_time * SPIKE_BUDGET_SHARE,
                              currency=spec.currency, share=SPIKE_BUDGET_SHARE),
            "ends_by": plain(str(est.as_of + dt.timedelta(weeks=weeks))),
            "ship_date": msg("spike.no_ship_date")}


def _kill_criteria(spec: Spec, chosen: CandidateResult | None, meets: list[CandidateResult],
                   bar: float, today: dt.date) -> list[Kill]:
    """Measurable, dated criteria with an action, derived from the thresholds (or the spec's own)."""
    deadline = today + dt.timedelta(days=spec.commit.review_after_days)
    if spec.kill_criteria:
        return [_kill_from(k, deadline) for k in spec.kill_criteria]
    if chosen is None:
        return []
    cur = spec.currency
    # the fallback must be a model one can still switch to: never one the vendor has retired
    nxt = next((m.estimate.model for m in meets[1:] if not m.estimate.row.retired(today)), None)
    f = chosen.point
    kills = [
        Kill("cost_per_success", ">", _derived("cost_per_success", f.max_cost_per_success, 6), 7,
             deadline, "switch model" if nxt else "pause",
             msg("kill.cost_switch", currency=cur, model=nxt) if nxt
             else msg("kill.cost_pause", currency=cur)),
        Kill("pass_rate", "<", bar, 7, deadline, "roll back", msg("kill.pass_rate")),
        Kill("resolution_rate", "<", _derived("resolution_rate", f.break_even_p, 4), 30, deadline,
             "stop", msg("kill.resolution", metric=spec.need.success_metric)
             if spec.need.success_metric else msg("kill.resolution_unnamed")),
    ]
    cap = spec.commit.max_monthly_spend
    if cap is not None:
        kills.append(Kill("monthly_spend", ">", cap, 30, deadline, "pause",
                          msg("kill.spend", currency=cur)))
    if spec.constraints.max_p95_latency_ms:
        kills.append(Kill("p95_latency_ms", ">", spec.constraints.max_p95_latency_ms, 7, deadline,
                          "switch model", msg("kill.latency")))
    return kills


def _derived(metric: str, value: float, digits: int) -> float:
    """A threshold computed from the economics, inside what its metric can measure. With no
    traffic the affordable cost per success is -inf and becomes 0; a break-even rate beyond 1
    becomes 1. Either way the criterion keeps its meaning (it fires at once) and the record
    stays finite."""
    return round(METRIC_RANGES[metric].clamp(float(value)), digits)


def _kill_from(k: KillCriterion, deadline: dt.date) -> Kill:
    return Kill(k.metric, k.comparator, k.threshold, k.window_days, deadline, k.action,
                plain(k.note) if k.note else msg("kill.from_spec"))
