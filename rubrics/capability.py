"""Capability check: k of n against a bar with an honest interval (DESIGN §5).

The interval is Wilson's score interval, or Clopper–Pearson where the spec asks for it
(`quality.interval`). MEETS when the interval's lower bound >= bar; FAILS when its upper bound <
bar; otherwise INCONCLUSIVE with the number of further cases needed to decide if the observed rate
holds (or, when no number of cases would, the reason: `undecided_reason`); NO DATA when nothing was
graded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

from rubrics.evals.stats import clopper_pearson
from rubrics.messages import Message, msg

MAX_CASES = 1_000_000
# Why an INCONCLUSIVE check has no "cases needed": shown wherever that figure would be.
RATE_ON_BAR = ("observed rate equals the bar: more cases at this rate cannot decide; the true "
               "rate must differ")
BEYOND_MAX_CASES = (f"more than {MAX_CASES:,} further cases at this rate: the observed rate is too "
                    "close to the bar to decide")


class Status(StrEnum):
    MEETS = "MEETS"
    FAILS = "FAILS"
    INCONCLUSIVE = "INCONCLUSIVE"
    NO_DATA = "NO DATA"


@dataclass(frozen=True)
class Check:
    k: int
    n: int
    errors: int
    bar: float
    confidence: float
    low: float
    high: float
    status: Status
    cases_needed: int | None  # only for INCONCLUSIVE; None when no number of cases decides

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else 0.0

    @property
    def undecided(self) -> str | None:
        """Why this INCONCLUSIVE check has no cases-needed figure (None otherwise)."""
        return undecided_reason(self.status, self.k, self.n, self.bar, self.cases_needed)

    @property
    def undecided_message(self) -> Message | None:
        """`undecided` as a message, for rendering in any language."""
        why = self.undecided
        if why is None:
            return None
        return msg("capability.on_bar" if why == RATE_ON_BAR else "capability.beyond_max",
                   cases=MAX_CASES)


def on_bar(rate: float, bar: float) -> bool:
    """Whether an observed rate equals the bar, up to floating-point rounding."""
    return math.isclose(rate, bar, rel_tol=1e-9, abs_tol=1e-12)


def undecided_reason(status: str, k: int, n: int, bar: float,
                     cases_needed: int | None) -> str | None:
    """Why an INCONCLUSIVE check (as stored in a record or freshly made) has no cases-needed
    figure: its rate sits on the bar, or deciding would take more than MAX_CASES cases."""
    if status != Status.INCONCLUSIVE or cases_needed:
        return None
    return RATE_ON_BAR if n and on_bar(k / n, bar) else BEYOND_MAX_CASES


def z_for(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level."""
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson(k: float, n: float, confidence: float) -> tuple[float, float]:
    """Wilson score interval for k successes of n at `confidence` (two-sided)."""
    if n <= 0:
        return 0.0, 1.0
    z = z_for(confidence)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def interval(k: float, n: float, confidence: float, method: str = "wilson") -> tuple[float, float]:
    """The confidence interval of k of n: Wilson (default) or Clopper–Pearson (conservative)."""
    if method == "clopper-pearson":
        return clopper_pearson(k, n, confidence)
    return wilson(k, n, confidence)


def _decides(rate: float, n: int, bar: float, confidence: float, method: str) -> bool:
    low, high = interval(rate * n, n, confidence, method)
    return low >= bar or high < bar


def cases_needed(k: int, n: int, bar: float, confidence: float,
                 method: str = "wilson") -> int | None:
    """Further cases needed before the interval clears the bar, if the observed rate holds."""
    rate = k / n if n else 0.5
    if on_bar(rate, bar):  # the interval always straddles the rate, so it never clears the bar
        return None
    hi = 1
    while not _decides(rate, n + hi, bar, confidence, method):
        hi *= 2
        if hi > MAX_CASES:
            return None
    lo = hi // 2  # _decides is false at n + lo (or lo == 0)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _decides(rate, n + mid, bar, confidence, method):
            hi = mid
        else:
            lo = mid
    return hi


def check(k: int, n: int, bar: float, confidence: float, errors: int = 0,
          method: str = "wilson") -> Check:
    """The capability status of k passed of n graded against `bar`."""
    if n == 0:
        return Check(k, n, errors, bar, confidence, 0.0, 1.0, Status.NO_DATA, None)
    low, high = interval(k, n, confidence, method)
    if low >= bar:
        status, needed = Status.MEETS, None
    elif high < bar:
        status, needed = Status.FAILS, None
    else:
        status, needed = Status.INCONCLUSIVE, cases_needed(k, n, bar, confidence, method)
    return Check(k, n, errors, bar, confidence, low, high, status, needed)


def combine(statuses: list[Status]) -> Status:
    """A candidate's status from the checks that bind it: any FAILS fails, all MEETS meets."""
    if not statuses or all(s is Status.NO_DATA for s in statuses):
        return Status.NO_DATA
    if Status.FAILS in statuses:
        return Status.FAILS
    if all(s is Status.MEETS for s in statuses):
        return Status.MEETS
    return Status.INCONCLUSIVE
