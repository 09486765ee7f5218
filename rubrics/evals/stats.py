"""Interval and test statistics for eval results, in pure Python (no scipy).

- Clopper–Pearson ("exact") interval for k of n, from Beta quantiles.
- Mean of continuous scores with a Student-t interval.
- McNemar's test for two models graded on the same cases (exact binomial for small
  discordant counts, continuity-corrected chi-square above).

The Beta and t quantiles come from the regularized incomplete beta function (a continued
fraction, evaluated with the modified Lentz method) inverted by bisection: slower than
Newton's method but it cannot diverge, and a few hundred evaluations cost microseconds here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rubrics.evals.results import EvalResult

_EPS = 1e-15
_TINY = 1e-300


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for I_x(a, b) (Numerical Recipes §6.4, modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    # Convergence takes O(sqrt(max(a, b))) terms; the cap covers n in the millions.
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), for a, b > 0."""
    if a <= 0 or b <= 0:
        raise ValueError("betainc needs a > 0 and b > 0")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    # The fraction converges fast only on this side of the mean; use symmetry on the other.
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def beta_ppf(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b): the x with I_x(a, b) = q, by bisection."""
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be in [0, 1]")
    if q == 0.0:
        return 0.0
    if q == 1.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if betainc(a, b, mid) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * max(mid, 1e-300):
            break
    return (lo + hi) / 2.0


def clopper_pearson(k: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson interval for k successes of n: conservative, never below nominal.

    k may be fractional: capability.cases_needed projects an observed rate onto more cases."""
    if n < 0 or not 0 <= k <= n:
        raise ValueError("need 0 <= k <= n")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    if n == 0:
        return 0.0, 1.0
    alpha = 1.0 - confidence
    low = 0.0 if k == 0 else beta_ppf(alpha / 2.0, k, n - k + 1)
    high = 1.0 if k == n else beta_ppf(1.0 - alpha / 2.0, k + 1, n - k)
    return low, high


def t_cdf(t: float, df: float) -> float:
    """Student-t cumulative distribution with df degrees of freedom."""
    if df <= 0:
        raise ValueError("df must be > 0")
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_ppf(q: float, df: float) -> float:
    """The q-quantile of Student's t with df degrees of freedom."""
    if not 0.0 < q < 1.0:
        raise ValueError("q must be in (0, 1)")
    if df <= 0:
        raise ValueError("df must be > 0")
    if q == 0.5:
        return 0.0
    upper = q > 0.5
    p = 2.0 * (1.0 - q if upper else q)  # two-sided tail mass
    # P(|T| > t) = I_{df/(df+t²)}(df/2, 1/2): invert for x, then t = sqrt(df (1 - x) / x).
    x = beta_ppf(p, df / 2.0, 0.5)
    t = math.sqrt(df * (1.0 - x) / x) if x > 0 else math.inf
    return t if upper else -t


@dataclass(frozen=True)
class MeanInterval:
    mean: float
    low: float
    high: float
    n: int
    sd: float  # sample standard deviation (n - 1)


def t_interval(values: Iterable[float], confidence: float = 0.95,
               bounds: tuple[float, float] | None = None) -> MeanInterval:
    """Mean of continuous scores with a two-sided Student-t interval.

    With one value the interval is unbounded (or `bounds`): one score says nothing about
    spread. `bounds` clips the interval to the scale (e.g. (0, 1) for 0..1 scores).

    The values are scaled by a power of two (exact) so that no sum or square can overflow,
    whatever finite values come in (two 1e308 scores once crashed `evals show`).
    """
    xs = [float(v) for v in values]
    n = len(xs)
    if n == 0:
        raise ValueError("no values")
    if not all(map(math.isfinite, xs)):
        raise ValueError("values must be finite")
    # 2**(e-1) for the largest |x| < 2**e: a finite power of two, and every |x / scale| < 2
    scale = math.ldexp(1.0, math.frexp(max(map(abs, xs)))[1] - 1)
    ys = [x / scale for x in xs]
    mean_y = math.fsum(ys) / n
    mean = mean_y * scale
    if n == 1:
        low, high = (bounds if bounds else (-math.inf, math.inf))
        return MeanInterval(mean, low, high, 1, 0.0)
    sd = math.sqrt(math.fsum((y - mean_y) ** 2 for y in ys) / (n - 1)) * scale
    half = t_ppf(1.0 - (1.0 - confidence) / 2.0, n - 1) * sd / math.sqrt(n)
    low, high = mean - half, mean + half
    if bounds:
        low, high = max(bounds[0], low), min(bounds[1], high)
    return MeanInterval(mean, low, high, n, sd)


def score_interval(results: Iterable[EvalResult],
                   confidence: float = 0.95) -> MeanInterval | None:
    """Mean 0..1 score of the graded cases with a t-interval; None when no case has a score.

    Scores off the 0..1 scale are not scores of this kind (only stores written before imports
    checked scores hold any) and are left out.
    """
    scores = [r.score for r in results
              if r.passed is not None and r.score is not None and 0.0 <= r.score <= 1.0]
    return t_interval(scores, confidence, bounds=(0.0, 1.0)) if scores else None


@dataclass(frozen=True)
class McNemar:
    """Two models on the same cases: only the cases they disagree on carry information."""

    n: int  # cases graded for both
    both_pass: int
    a_only: int  # A passed, B failed
    b_only: int  # B passed, A failed
    both_fail: int
    p_value: float  # two-sided
    method: str  # "exact" (binomial) or "chi2-cc" (continuity-corrected chi-square)
    statistic: float | None = None  # chi-square, for method "chi2-cc"

    @property
    def discordant(self) -> int:
        return self.a_only + self.b_only

    def better(self, alpha: float = 0.05) -> str | None:
        """"A" or "B" when the difference is significant at alpha, else None."""
        if self.p_value >= alpha or self.a_only == self.b_only:
            return None
        return "A" if self.a_only > self.b_only else "B"


EXACT_MAX_DISCORDANT = 1000


def binom_two_sided_half(m: int, n: int) -> float:
    """Two-sided exact p-value for X ~ Binomial(n, 1/2) as extreme as min count m."""
    if n == 0:
        return 1.0
    m = min(m, n - m)
    total, term = 0, 1  # exact integers: comb(n, i) built up term by term
    for i in range(m + 1):
        total += term
        term = term * (n - i) // (i + 1)
    return min(1.0, 2 * total / (1 << n))


def mcnemar(a_only: int, b_only: int, both_pass: int = 0, both_fail: int = 0) -> McNemar:
    """McNemar's test from the 2×2 counts of paired outcomes."""
    if min(a_only, b_only, both_pass, both_fail) < 0:
        raise ValueError("counts must be >= 0")
    d = a_only + b_only
    n = d + both_pass + both_fail
    if d <= EXACT_MAX_DISCORDANT:
        return McNemar(n, both_pass, a_only, b_only, both_fail,
                       binom_two_sided_half(min(a_only, b_only), d), "exact")
    stat = (abs(a_only - b_only) - 1.0) ** 2 / d
    p = math.erfc(math.sqrt(stat / 2.0))  # chi-square with 1 df, upper tail
    return McNemar(n, both_pass, a_only, b_only, both_fail, p, "chi2-cc", stat)


def paired(a: Mapping[str, bool | None], b: Mapping[str, bool | None]) -> McNemar:
    """McNemar over the case ids graded (not errored) for both models."""
    counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    for case, pa in a.items():
        pb = b.get(case)
        if pa is None or pb is None:
            continue
        counts[(bool(pa), bool(pb))] += 1
    return mcnemar(counts[(True, False)], counts[(False, True)], counts[(True, True)],
                   counts[(False, False)])
