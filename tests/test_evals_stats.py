"""Statistics against published values (R's binom.test / qt, closed forms)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rubrics.capability import wilson
from rubrics.evals.stats import beta_ppf, betainc, clopper_pearson, mcnemar, paired, t_cdf, t_interval, t_ppf


def test_betainc_closed_forms() -> None:
    # I_x(2, 3) = sum_{j=2..4} C(4,j) x^j (1-x)^(4-j); at 0.4: 0.3456 + 0.1536 + 0.0256.
    assert betainc(2, 3, 0.4) == pytest.approx(0.5248, abs=1e-14)
    # I_x(1/2, 1/2) = (2/π) asin(√x)
    for x in (0.01, 0.3, 0.77, 0.999):
        assert betainc(0.5, 0.5, x) == pytest.approx(2 / math.pi * math.asin(math.sqrt(x)), abs=1e-13)
    # I_x(a, 1) = x^a
    assert betainc(7.5, 1, 0.9) == pytest.approx(0.9 ** 7.5, rel=1e-13)
    assert betainc(3, 4, 0) == 0 and betainc(3, 4, 1) == 1


@pytest.mark.parametrize("k,n,low,high", [
    # R: binom.test(k, n)$conf.int
    (5, 10, 0.1870860, 0.8129140),
    (1, 10, 0.002528579, 0.4450161),
    (0, 10, 0.0, 0.3084971),
    (10, 10, 0.6915029, 1.0),
    (81, 263, 0.2527367, 0.3676219),
    (0, 1, 0.0, 0.975),
])
def test_clopper_pearson_known_values(k: int, n: int, low: float, high: float) -> None:
    lo, hi = clopper_pearson(k, n, 0.95)
    assert lo == pytest.approx(low, abs=1e-6)
    assert hi == pytest.approx(high, abs=1e-6)


def test_clopper_pearson_edges_and_large_n() -> None:
    # k = 0: upper = 1 - (α/2)^(1/n); k = n: lower = (α/2)^(1/n).
    assert clopper_pearson(0, 40, 0.9)[1] == pytest.approx(1 - 0.05 ** (1 / 40), rel=1e-12)
    assert clopper_pearson(40, 40, 0.9)[0] == pytest.approx(0.05 ** (1 / 40), rel=1e-12)
    assert clopper_pearson(0, 0) == (0.0, 1.0)
    lo, hi = clopper_pearson(700_000, 1_000_000)
    assert lo < 0.7 < hi and hi - lo < 0.002
    with pytest.raises(ValueError):
        clopper_pearson(5, 4)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.integers(1, 300))
def test_clopper_pearson_bounds_are_beta_quantiles(k: int, n: int) -> None:
    k = min(k, n)
    lo, hi = clopper_pearson(k, n, 0.95)
    assert 0 <= lo <= k / n <= hi <= 1
    if 0 < k:  # P(X >= k | p = lo) = α/2
        assert betainc(k, n - k + 1, lo) == pytest.approx(0.025, abs=1e-9)
    if k < n:  # P(X <= k | p = hi) = α/2
        assert betainc(k + 1, n - k, hi) == pytest.approx(0.975, abs=1e-9)
    if 0 < k < n:  # away from the edges the exact interval is the wider one
        wl, wh = wilson(k, n, 0.95)
        assert hi - lo >= wh - wl - 1e-9


@pytest.mark.parametrize("q,df,t", [
    # R: qt(q, df)
    (0.975, 1, 12.7062047), (0.975, 2, 4.3026527), (0.975, 4, 2.7764451),
    (0.975, 10, 2.2281389), (0.975, 30, 2.0422725), (0.995, 5, 4.0321430),
    (0.95, 20, 1.7247182), (0.025, 4, -2.7764451), (0.5, 7, 0.0), (0.975, 1e6, 1.9599663),
])
def test_t_quantiles(q: float, df: float, t: float) -> None:
    assert t_ppf(q, df) == pytest.approx(t, abs=1e-6)
    if q != 0.5:
        assert t_cdf(t_ppf(q, df), df) == pytest.approx(q, abs=1e-12)


def test_t_interval() -> None:
    m = t_interval([1, 2, 3, 4, 5])
    # sd = √2.5, se = √0.5, t(0.975, 4) = 2.776445
    assert (m.mean, m.n) == (3.0, 5)
    assert m.sd == pytest.approx(math.sqrt(2.5))
    assert m.low == pytest.approx(3 - 2.7764451 * math.sqrt(0.5), abs=1e-6)
    assert m.high == pytest.approx(3 + 2.7764451 * math.sqrt(0.5), abs=1e-6)
    clipped = t_interval([0.9, 1.0, 1.0], bounds=(0.0, 1.0))
    assert clipped.high == 1.0
    one = t_interval([0.4], bounds=(0.0, 1.0))
    assert (one.low, one.high) == (0.0, 1.0)
    with pytest.raises(ValueError):
        t_interval([])


def test_mcnemar_exact_and_chi2() -> None:
    # 10 vs 2 discordant: 2 × P(X ≤ 2 | Bin(12, ½)) = 2 × 79/4096.
    r = mcnemar(10, 2, both_pass=50, both_fail=8)
    assert (r.method, r.n, r.discordant) == ("exact", 70, 12)
    assert r.p_value == pytest.approx(2 * 79 / 4096, rel=1e-12)
    assert r.better() == "A"
    assert mcnemar(0, 0).p_value == 1.0 and mcnemar(3, 3).better() is None
    big = mcnemar(1500, 1300)
    # (|1500-1300| - 1)² / 2800 = 14.1432; p = erfc(√(x/2))
    assert big.method == "chi2-cc" and big.statistic == pytest.approx(199 ** 2 / 2800)
    assert big.p_value == pytest.approx(math.erfc(math.sqrt(199 ** 2 / 2800 / 2)))


def test_paired_skips_errors_and_missing() -> None:
    a = {"c1": True, "c2": True, "c3": False, "c4": None, "c5": True}
    b = {"c1": True, "c2": False, "c3": True, "c4": True}
    r = paired(a, b)
    assert (r.n, r.both_pass, r.a_only, r.b_only, r.both_fail) == (3, 1, 1, 1, 0)


def test_beta_ppf_inverts() -> None:
    for q in (0.001, 0.3, 0.5, 0.99):
        x = beta_ppf(q, 2.5, 7)
        assert betainc(2.5, 7, x) == pytest.approx(q, abs=1e-12)
