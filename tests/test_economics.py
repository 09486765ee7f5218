"""Economics: hand-computed figures and the laws the formulas must obey."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimators.prices import load_catalogue
from estimators.traffic import Load, model_calls_per_task, traffic
from rubrics.capability import Status, check, wilson
from rubrics.economics import candidate_figures, figures, point_values, posterior_mean, simulate
from rubrics.estimate import estimate
from rubrics.spec import parse_spec
from tests.conftest import TEST_PRICES

V = {"value.value_per_success": 1.0, "value.realization": 1.0, "value.escape_rate": 0.5,
     "value.loss_per_escape": 2.0, "value.review_share": 0.1, "value.review_cost": 0.5,
     "value.fallback_cost": 0.25}


def test_hand_computed_figures():
    f = figures(10_000, 0.01, 0.8, V, one_time=12_000, monthly_fixed=1000, amortize_months=12,
                target_roi=0.5)
    # v = 0.8 - 0.2 x 0.5 x 2 - 0.1 x 0.5 - 0.2 x 0.25 = 0.5
    assert f.value_per_task == pytest.approx(0.5)
    assert f.fixed_cost == pytest.approx(2000)          # 1,000 + 12,000 / 12
    assert f.nmb == pytest.approx(2900)                 # 5,000 - 100 - 2,000
    assert f.roi == pytest.approx(2900 / 2100)
    assert f.cost_per_success == pytest.approx(0.0125)  # 0.01 / 0.8
    # at the target ROI 0.5: c = 0.5 / 1.5 - 2,000 / 10,000 = 0.13333 per task -> / 0.8
    assert f.max_cost_per_success == pytest.approx(0.1666667, rel=1e-6)
    assert f.break_even_tasks == pytest.approx(2000 / 0.49)   # fixed / (v - c)
    assert f.payback_months == pytest.approx(12_000 / 3900)   # one_time / (10,000 x 0.49 - 1,000)
    assert f.break_even_p == pytest.approx(1.51 / 2.25)


def test_max_affordable_cost_gives_exactly_the_target_roi():
    f = figures(10_000, 0.01, 0.8, V, 12_000, 1000, 12, 0.5)
    at_max = figures(10_000, f.max_cost_per_success * 0.8, 0.8, V, 12_000, 1000, 12, 0.5)
    assert at_max.roi == pytest.approx(0.5)


def test_never_breaks_even_when_value_below_cost():
    f = figures(10_000, 1.0, 0.8, V, 12_000, 1000, 12, 0.5)
    assert f.break_even_tasks == float("inf") and f.payback_months == float("inf")


SPEC = """
schema = "scopecard.spec/1"
title = "Law check"
[load]
daily_active_users = {dau}
tasks_per_user_per_day = 1
peak_factor = 2
[prompt]
system_tokens = {system}
user_tokens = 100
output_tokens = 100
[value]
value_per_success = {value}
escape_rate = 0.1
loss_per_escape = 1
[costs]
one_time = 1000
monthly_fixed = 100
[[candidates]]
model = "test/alpha"
"""
CAT = load_catalogue(TEST_PRICES)
DAY = dt.date(2026, 3, 1)


def _cand(text: str):
    spec = parse_spec(text)
    return spec, estimate(spec, TEST_PRICES.parent, CAT, DAY).candidates[0]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 10**7), st.integers(1, 10**7), st.integers(0, 50_000))
def test_more_volume_never_lowers_cost(a, b, system):
    lo, hi = sorted((a, b))
    costs = []
    for dau in (lo, hi):
        spec, cand = _cand(SPEC.format(dau=dau, system=system, value=0.1))
        costs.append(float(candidate_figures(spec, cand, 0.9, point_values(spec), 0.0).ai_cost))
    assert costs[0] <= costs[1]


@settings(max_examples=200)
@given(st.integers(0, 400), st.integers(0, 400), st.floats(0, 1), st.floats(0, 1),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_higher_bar_never_turns_fails_into_meets(k, extra, bar1, bar2, conf):
    n = k + extra
    lo_bar, hi_bar = sorted((bar1, bar2))
    rank = {Status.FAILS: 0, Status.INCONCLUSIVE: 1, Status.NO_DATA: 1, Status.MEETS: 2}
    assert rank[check(k, n, hi_bar, conf).status] <= rank[check(k, n, lo_bar, conf).status]


@settings(max_examples=200)
@given(st.integers(0, 1000), st.integers(0, 1000), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_is_bounded_and_contains_the_rate(k, extra, conf):
    n = k + extra
    low, high = wilson(k, n, conf)
    assert 0 <= low <= high <= 1
    if n:
        assert low - 1e-12 <= k / n <= high + 1e-12


@settings(max_examples=100)
@given(st.integers(1, 300), st.integers(0, 300), st.floats(0.05, 0.95))
def test_cases_needed_would_decide(k, extra, bar):
    n = k + extra
    c = check(k, n, bar, 0.95)
    if c.status is Status.INCONCLUSIVE and c.cases_needed:
        m = n + c.cases_needed  # the same observed rate over more cases decides
        assert check(k / n * m, m, bar, 0.95).status is not Status.INCONCLUSIVE


RANGED = SPEC.replace("daily_active_users = {dau}",
                      "daily_active_users = {{ low = 500, likely = {dau}, high = 40000 }}")


@settings(max_examples=25, deadline=None)
@given(st.integers(1000, 20_000), st.integers(0, 100), st.integers(0, 100), st.integers(0, 2**31))
def test_quantiles_are_ordered_and_seeded(dau, k, extra, seed):
    spec, cand = _cand(RANGED.format(dau=dau, system=500, value="{ low = 0.01, likely = 0.05, high = 0.2 }"))
    d1 = simulate(spec, cand, k, k + extra, 0.5, 0.0, seed, 2000)
    d2 = simulate(spec, cand, k, k + extra, 0.5, 0.0, seed, 2000)
    assert d1 == d2
    for q in (d1.nmb, d1.roi, d1.monthly_ai_cost):
        assert q["p10"] <= q["p50"] <= q["p90"]
    assert 0 <= d1.p_positive <= 1


def test_zero_uncertainty_monte_carlo_equals_point_estimate():
    spec, cand = _cand(SPEC.format(dau=5000, system=500, value=0.05))
    n = 10**7  # p's posterior is then a point: no input is uncertain
    d = simulate(spec, cand, n, n, 0.5, 0.0, 1, 10_000)
    point = candidate_figures(spec, cand, (n + 1) / (n + 2), point_values(spec), 0.5)
    for q in ("p10", "p50", "p90"):
        assert d.nmb[q] == pytest.approx(float(point.nmb), rel=1e-5)
        assert d.roi[q] == pytest.approx(float(point.roi), rel=1e-5)


def test_monte_carlo_mean_matches_point_because_nmb_is_linear_in_p():
    spec, cand = _cand(SPEC.format(dau=5000, system=500, value=0.05))
    rng = np.random.default_rng(3)
    p = rng.beta(31, 11, 200_000)  # k = 30, n = 40: posterior mean 31 / 42
    drawn = candidate_figures(spec, cand, p, point_values(spec), 0.5).nmb
    point = candidate_figures(spec, cand, 31 / 42, point_values(spec), 0.5).nmb
    standard_error = float(np.std(drawn)) / np.sqrt(len(drawn))
    assert abs(float(np.mean(drawn)) - float(point)) < 4 * standard_error


def test_tornado_ranks_the_widest_input_first():
    spec, cand = _cand(RANGED.format(dau=5000, system=500, value=0.05))
    rows = simulate(spec, cand, 30, 40, 0.5, 0.0, 1, 1000).tornado
    swings = [abs(hi - lo) for _, lo, hi in rows]
    assert swings == sorted(swings, reverse=True)
    assert rows[0][0] == "load.daily_active_users"


def test_clopper_pearson_is_more_conservative_than_wilson():
    # 29 of 30 against a 0.83 bar: Wilson's lower bound (0.8333) clears it, Clopper–Pearson's
    # (0.8278) does not
    assert check(29, 30, 0.83, 0.95).status is Status.MEETS
    cp = check(29, 30, 0.83, 0.95, method="clopper-pearson")
    assert cp.status is Status.INCONCLUSIVE and cp.low < 0.83


def test_calls_per_task_and_the_posterior_mean_are_one_formula_each():
    # Issue #15: both were written twice (traffic and economics; verdict and the tornado).
    load = Load(daily_active_users=1000, tasks_per_user_per_day=2, calls_per_task=3,
                retry_rate=0.1, turns=2)
    assert model_calls_per_task(load) == pytest.approx(6.6)  # 3 calls x 2 turns x 1.1
    assert traffic(load).calls_per_day == pytest.approx(2000 * 6.6)
    assert posterior_mean(116, 120) == 117 / 122  # Beta(117, 5)
    assert posterior_mean(0, 0) == 0.5
