"""Value, ROI and their uncertainty (DESIGN §5, Value and ROI, Uncertainty).

Per task:  v = p x value_per_success x realization - (1 - p) x escape_rate x loss_per_escape
              - review_share x review_cost - (1 - p) x fallback_cost
Monthly:   NMB = tasks x v - AI cost - monthly_fixed - one_time / amortize_months
           ROI = NMB / (AI cost + monthly_fixed + one_time / amortize_months)

Every function here works on floats and on numpy arrays of Monte Carlo draws alike, so the point
estimate and the simulation share one formula. Monthly figures are averages over the amortization
period when the spec has monthly growth: tasks x mean((1 + g)^m, m = 0 .. amortize_months - 1).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np

from estimators.cost import per_call_cost
from estimators.traffic import Load, model_calls_per_task, traffic
from rubrics.estimate import CandidateEstimate
from rubrics.evals.stats import beta_ppf
from rubrics.spec import Range, Spec, likely
from rubrics.spec_fields import uncertain_fields

QUANTILES = {"p10": 10, "p50": 50, "p90": 90}


@dataclass(frozen=True)
class Figures:
    """One candidate's monthly economics (floats for a point estimate, arrays for draws)."""

    p: Any
    tasks_per_month: Any
    value_per_task: Any
    ai_cost: Any
    fixed_cost: Any  # monthly_fixed + one_time / amortize_months
    nmb: Any
    roi: Any
    cost_per_task: Any  # AI cost of one task (all its calls)
    cost_per_success: Any
    max_cost_per_success: Any  # at the target ROI; <= 0 means no AI cost is affordable
    break_even_tasks: Any  # monthly tasks where NMB = 0; inf when never
    payback_months: Any  # one_time / monthly net before amortization; inf when never
    break_even_p: Any  # success rate at which NMB = 0

    @property
    def total_cost(self) -> Any:
        return self.ai_cost + self.fixed_cost


def growth_factor(monthly_growth: Any, months: int) -> Any:
    """Mean of (1 + g)^m over m = 0 .. months - 1 (1 when there is no growth)."""
    m = np.arange(months).reshape((-1,) + (1,) * np.ndim(monthly_growth))
    return np.mean((1 + np.asarray(monthly_growth, dtype=float)) ** m, axis=0)


def posterior_mean(k: int, n: int) -> float:
    """Mean of p's Beta(k + 1, n - k + 1) posterior: (k + 1) / (n + 2)."""
    return (k + 1) / (n + 2)


def value_per_task(p: Any, v: Mapping[str, Any]) -> Any:
    """The DESIGN §5 value of one task given success probability p."""
    return (p * v["value.value_per_success"] * v["value.realization"]
            - (1 - p) * v["value.escape_rate"] * v["value.loss_per_escape"]
            - v["value.review_share"] * v["value.review_cost"]
            - (1 - p) * v["value.fallback_cost"])


def _safe_div(a: Any, b: Any, when_zero: float) -> Any:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b > 0, a / np.where(b > 0, b, 1), when_zero)
    return out if out.ndim else float(out)


def figures(tasks: Any, cost_per_task: Any, p: Any, v: Mapping[str, Any], one_time: Any,
            monthly_fixed: Any, amortize_months: int, target_roi: float) -> Figures:
    """Monthly economics of one candidate from its volume, cost per task and success rate."""
    value = value_per_task(p, v)
    fixed = monthly_fixed + one_time / amortize_months
    ai_cost = tasks * cost_per_task
    total = ai_cost + fixed
    nmb = tasks * value - total
    roi = _safe_div(nmb, total, 0.0)
    # tasks x value = (1 + target) x (tasks x c + fixed)  =>  c = value / (1 + target) - fixed / tasks
    max_cost_per_task = value / (1 + target_roi) - _safe_div(fixed, tasks, np.inf)
    margin = value - cost_per_task
    # NMB(p) is linear in p: p x slope + intercept - cost - fixed/tasks
    slope = (v["value.value_per_success"] * v["value.realization"]
             + v["value.escape_rate"] * v["value.loss_per_escape"] + v["value.fallback_cost"])
    at_zero = value_per_task(0.0, v) - cost_per_task - _safe_div(fixed, tasks, np.inf)
    return Figures(
        p=p, tasks_per_month=tasks, value_per_task=value, ai_cost=ai_cost, fixed_cost=fixed,
        nmb=nmb, roi=roi, cost_per_task=cost_per_task,
        cost_per_success=_safe_div(cost_per_task, p, np.inf),
        max_cost_per_success=_safe_div(max_cost_per_task, p, -np.inf),
        break_even_tasks=_safe_div(fixed, margin, np.inf),
        payback_months=_safe_div(one_time, tasks * margin - monthly_fixed, np.inf),
        break_even_p=_safe_div(-at_zero, slope, np.inf),
    )


# --- inputs: point values and draws --------------------------------------------------------------

UNCERTAIN_FIELDS = uncertain_fields()  # declared in rubrics.spec_fields


def one_time_total(values: Mapping[str, Any]) -> Any:
    """The spec's one-time cost plus its delivery route's."""
    return values["costs.one_time"] + values["costs.route_one_time"]


def monthly_fixed_total(values: Mapping[str, Any]) -> Any:
    """The spec's fixed monthly cost plus its delivery route's."""
    return values["costs.monthly_fixed"] + values["costs.route_monthly"]


def field_value(spec: Spec, path: str) -> Any:
    """The raw (number or Range or None) value of a dotted spec field."""
    section, name = path.split(".")
    return getattr(getattr(spec, section), name)


def point_values(spec: Spec, review_floor: float = 0.0) -> dict[str, float]:
    """Every economic input at its likely value (review share raised to the scenario's floor)."""
    out = {}
    for path in UNCERTAIN_FIELDS:
        raw = field_value(spec, path)
        out[path] = likely(raw) if raw is not None else 0.0
    out["value.review_share"] = max(out["value.review_share"], review_floor)
    return out


def ranged_fields(spec: Spec) -> list[str]:
    """The inputs the spec gives as ranges."""
    return [p for p in UNCERTAIN_FIELDS if isinstance(field_value(spec, p), Range)]


def draw_range(r: Range, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draws from a PERT (beta with lambda = 4) or triangular law over [low, high]."""
    if r.high == r.low:
        return np.full(n, r.likely)
    if r.dist == "triangular":
        return rng.triangular(r.low, r.likely, r.high, n)
    span = r.high - r.low
    a = 1 + 4 * (r.likely - r.low) / span
    b = 1 + 4 * (r.high - r.likely) / span
    return r.low + span * rng.beta(a, b, n)


def candidate_figures(spec: Spec, cand: CandidateEstimate, p: Any, values: Mapping[str, Any],
                      target_roi: float) -> Figures:
    """Figures of one candidate for given input values (floats or arrays of draws)."""
    load = Load(
        daily_active_users=values["load.daily_active_users"],
        tasks_per_user_per_day=values["load.tasks_per_user_per_day"],
        days_per_month=spec.load.days_per_month, calls_per_task=values["load.calls_per_task"],
        retry_rate=values["load.retry_rate"], peak_factor=values["load.peak_factor"],
        turns=spec.prompt.turns,
    )
    t = traffic(load)
    given = {part: values[f"prompt.{part}_tokens"] for part, c in cand.counts.items()
             if c.basis == "given"}
    shape = replace(cand.shape, **given, cache_hit_rate=values["prompt.cache_hit_rate"],
                    batch_share=values["prompt.batch_share"],
                    off_peak_share=values["prompt.off_peak_share"])
    cost_per_task = per_call_cost(shape, cand.row) * cand.fx.rate * model_calls_per_task(load)
    tasks = t.tasks_per_month * growth_factor(values["load.monthly_growth"],
                                              spec.costs.amortize_months)
    return figures(tasks, cost_per_task, p, values, one_time_total(values),
                   monthly_fixed_total(values), spec.costs.amortize_months, target_roi)


@dataclass(frozen=True)
class Distribution:
    nmb: dict[str, float]  # p10 / p50 / p90
    roi: dict[str, float]
    monthly_ai_cost: dict[str, float]
    p_positive: float  # P(NMB > 0)
    tornado: list[tuple[str, float, float]]  # (input, NMB at low, NMB at high), widest first


def quantiles(*xs: np.ndarray) -> list[dict[str, float]]:
    """The QUANTILES of each of xs (arrays of one length) in one percentile call: the same
    partition and interpolation per row, so the same numbers as one call each, in about two
    thirds of the time."""
    rows = np.percentile(np.vstack(xs), list(QUANTILES.values()), axis=1)
    return [{k: float(v) for k, v in zip(QUANTILES, rows[:, i], strict=True)}
            for i in range(len(xs))]


def draw_inputs(spec: Spec, k: int, n: int, review_floor: float, seed: int,
                draws: int) -> tuple[dict[str, Any], np.ndarray]:
    """Seeded draws of every ranged input (the others at likely) and of p ~ Beta(k + 1, n - k + 1).

    One generator draws the inputs in `ranged_fields` order, then p: the same seed gives the same
    input draws for every candidate. Inside `shared_simulation(...)` the input draws and the
    generator's state after them are kept, so the next candidate only draws its p (the very
    numbers the generator would have given it).
    """
    sim = _SIMULATION.get()
    key = _draws_key(spec, review_floor, seed, draws) if sim is not None else ""
    if sim is not None and key in sim.inputs:
        values, state = sim.inputs[key]
        rng = np.random.default_rng()
        rng.bit_generator.state = state
        return dict(values), rng.beta(k + 1, n - k + 1, draws)
    rng = np.random.default_rng(seed)
    values = dict(point_values(spec, review_floor))
    for path in ranged_fields(spec):
        values[path] = draw_range(field_value(spec, path), rng, draws)
    if "value.review_share" in ranged_fields(spec):
        values["value.review_share"] = np.maximum(values["value.review_share"], review_floor)
    if sim is not None:
        for v in values.values():  # shared by every candidate: nothing may change them
            if isinstance(v, np.ndarray):
                v.flags.writeable = False
        sim.inputs[key] = (dict(values), rng.bit_generator.state)
    return values, rng.beta(k + 1, n - k + 1, draws)


def _draws_key(spec: Spec, review_floor: float, seed: int, draws: int) -> str:
    """What a spec's input draws depend on: every economic input as written, the review floor,
    the seed and the number of draws (repr tells 1 from 1.0 and keeps each Range whole)."""
    inputs = [(path, field_value(spec, path)) for path in UNCERTAIN_FIELDS]
    return repr((inputs, review_floor, seed, draws))


def distribution(spec: Spec, cand: CandidateEstimate, values: Mapping[str, Any], p: np.ndarray,
                 k: int, n: int, target_roi: float, review_floor: float) -> Distribution:
    """Quantiles of one candidate's economics over given draws, with its tornado."""
    draws = len(p)
    f = candidate_figures(spec, cand, p, values, target_roi)
    nmb = np.broadcast_to(f.nmb, (draws,))
    roi = np.broadcast_to(f.roi, (draws,))
    ai_cost = np.broadcast_to(f.ai_cost, (draws,))
    q_nmb, q_roi, q_cost = quantiles(nmb, roi, ai_cost)
    return Distribution(
        nmb=q_nmb, roi=q_roi, monthly_ai_cost=q_cost,
        p_positive=float(np.mean(nmb > 0)),
        tornado=(tornado(spec, cand, k, n, target_roi, review_floor)
                 if (sim := _SIMULATION.get()) is None or sim.tornado else []),
    )


def simulate(spec: Spec, cand: CandidateEstimate, k: int, n: int, target_roi: float,
             review_floor: float, seed: int, draws: int) -> Distribution:
    """Monte Carlo over every ranged input and p ~ Beta(k + 1, n - k + 1); seeded.

    Inside `given_distributions(...)` a candidate named there gets that distribution instead.
    """
    given = _GIVEN.get()
    if given is not None and cand.model in given:
        return given[cand.model]
    values, p = draw_inputs(spec, k, n, review_floor, seed, draws)
    return distribution(spec, cand, values, p, k, n, target_roi, review_floor)


@dataclass
class Simulation:
    """How `simulate` works inside `shared_simulation(...)`: input draws are kept by what they
    depend on (`_draws_key`) and, with `tornado` False, distributions carry no tornado."""

    tornado: bool = True
    inputs: dict[str, tuple[dict[str, Any], Mapping[str, Any]]] = field(default_factory=dict)


_SIMULATION: ContextVar[Simulation | None] = ContextVar("shared_simulation", default=None)


@contextmanager
def shared_simulation(tornado: bool = True) -> Iterator[Simulation]:
    """Within the block, candidates (and decisions) whose economic inputs, seed and draws are
    equal share one set of input draws; `tornado=False` leaves tornados out, for callers that
    compare quantiles and verdicts only (a review). Every quantile is the same as without it."""
    sim = Simulation(tornado)
    token = _SIMULATION.set(sim)
    try:
        yield sim
    finally:
        _SIMULATION.reset(token)


# What-if analysis (rubrics/whatif.py) computes distributions incrementally from common random
# numbers, then runs the unchanged verdict rules (rubrics.verdict.decide) on them through this.
_GIVEN: ContextVar[Mapping[str, Distribution] | None] = ContextVar("given_distributions",
                                                                   default=None)


@contextmanager
def given_distributions(by_model: Mapping[str, Distribution]) -> Iterator[None]:
    """Within the block, `simulate` returns these distributions (keyed by candidate model)."""
    token = _GIVEN.set(by_model)
    try:
        yield
    finally:
        _GIVEN.reset(token)


@cache
def p_swing(k: int, n: int) -> tuple[float, float]:
    """The 10th and 90th percentiles of p's Beta(k + 1, n - k + 1) posterior (cached: each is
    a numerical inversion, and the tornado of every what-if asks for the same ones)."""
    return beta_ppf(0.1, k + 1, n - k + 1), beta_ppf(0.9, k + 1, n - k + 1)


def tornado(spec: Spec, cand: CandidateEstimate, k: int, n: int, target_roi: float,
            review_floor: float) -> list[tuple[str, float, float]]:
    """NMB with one input at its low and at its high end, the others at likely; widest first.

    p swings between the 10th and 90th percentiles of its Beta posterior.
    """
    base = point_values(spec, review_floor)
    p_mid = posterior_mean(k, n)
    rows = []
    for path in ranged_fields(spec):
        r = field_value(spec, path)
        lo = candidate_figures(spec, cand, p_mid, {**base, path: r.low}, target_roi).nmb
        hi = candidate_figures(spec, cand, p_mid, {**base, path: r.high}, target_roi).nmb
        rows.append((path, float(lo), float(hi)))
    p_lo, p_hi = p_swing(k, n)
    rows.append(("p (success rate)",
                 float(candidate_figures(spec, cand, p_lo, base, target_roi).nmb),
                 float(candidate_figures(spec, cand, p_hi, base, target_roi).nmb)))
    return sorted(rows, key=lambda r: -abs(r[2] - r[1]))
