"""Peak traffic against a vendor's published rate-limit tiers (issue #16 part 6).

The figures are plain data (`Capacity`); every sentence about them is one small formatting
function below, so the sentences can move to message keys (en/zh) without touching the numbers.

Need at peak: RPM = peak QPS x 60; TPM = peak QPS x 60 x tokens per call; requests in flight
= peak QPS x p95 latency in seconds (Little's law), with the spec's max_p95_latency_ms as the
latency. Each published limit gives a ratio need / limit; the largest is the binding one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from estimators.errors import InputError
from estimators.prices import PriceRow, RateLimit
from rubrics.messages import Message, Sentence, msg, sentence

LATENCY_FIELD = "constraints.max_p95_latency_ms"
TIER_FIELD = "rate_limit_tier"
UNITS = {"rpm": "RPM", "tpm": "TPM", "concurrency": "requests in flight"}
Status = Literal["fits", "over", "unchecked", "unknown"]
MARKS: dict[str, str] = {"fits": "✓", "unchecked": "?", "unknown": "?"}  # over: ×N keys
# A ratio a hair above a whole number from float rounding (2.0000000001) is that number of keys.
_EPS = 1e-9


@dataclass(frozen=True)
class Need:
    """What the feature asks of a vendor at peak."""

    peak_qps: float
    peak_tpm: float
    latency_ms: float | None  # the spec's p95 bound, used for Little's law; None = not stated

    @property
    def peak_rpm(self) -> float:
        return self.peak_qps * 60

    @property
    def concurrency(self) -> float | None:
        """Requests in flight at peak, or None when no latency is known."""
        return None if self.latency_ms is None else self.peak_qps * self.latency_ms / 1000

    def of(self, limit: str) -> float | None:
        return {"rpm": self.peak_rpm, "tpm": self.peak_tpm, "concurrency": self.concurrency}[limit]


@dataclass(frozen=True)
class Check:
    """One published limit of a tier against the need."""

    limit: str  # rpm, tpm or concurrency
    need: float
    allowed: int

    @property
    def ratio(self) -> float:
        return self.need / self.allowed


@dataclass(frozen=True)
class TierFit:
    """One tier's limits against the need; `unchecked` are limits that could not be compared."""

    tier: str
    source: str
    checks: tuple[Check, ...]
    unchecked: tuple[str, ...]

    @property
    def binding(self) -> Check | None:
        """The limit hit first: the one with the largest need / limit."""
        return max(self.checks, key=lambda c: c.ratio, default=None)

    @property
    def fits(self) -> bool:
        """True when at least one limit was compared and none is exceeded."""
        return bool(self.checks) and all(c.ratio <= 1 for c in self.checks)


@dataclass(frozen=True)
class Capacity:
    """A candidate's peak need against its tier, and what it takes to serve it."""

    model: str
    need: Need
    tier: TierFit | None  # None when the vendor publishes no limit
    named: bool  # the spec named the tier (else the lowest published tier is used)
    smallest_fitting: str | None  # the first published tier (lowest first) that fits

    @property
    def status(self) -> Status:
        if self.tier is None:
            return "unknown"
        if not self.tier.checks:
            return "unchecked"
        return "fits" if self.tier.fits else "over"

    @property
    def usage(self) -> float | None:
        """Need / limit on the binding limit (1.0 = exactly at the limit)."""
        b = self.tier.binding if self.tier else None
        return b.ratio if b else None

    @property
    def headroom(self) -> float | None:
        """Limit / need on the binding limit; None when there is no limit or no traffic."""
        u = self.usage
        return 1 / u if u else None

    @property
    def keys(self) -> int | None:
        """Keys (accounts) at the tier used that together carry the peak: ceil(usage)."""
        u = self.usage
        return None if u is None else max(1, math.ceil(u - _EPS))


def tiers_of(row: PriceRow) -> tuple[RateLimit, ...]:
    """Every published tier of a row, lowest first (older rows carry one `rate_limit`)."""
    return row.rate_limits or ((row.rate_limit,) if row.rate_limit else ())


def tiers_in_record(row: Mapping[str, Any]) -> tuple[RateLimit, ...]:
    """`tiers_of` for a price row as a decision record stores it (plain data)."""
    data = row.get("rate_limits") or ([row["rate_limit"]] if row.get("rate_limit") else [])
    return tuple(RateLimit.model_validate(t) for t in data)


def pick_tier(tiers: Sequence[RateLimit], named: str | None, where: str,
              file: str | None = None) -> RateLimit | None:
    """The tier the spec names, else the lowest published one; an unknown name is an error."""
    if named is None:
        return tiers[0] if tiers else None
    found = next((t for t in tiers if t.tier == named), None)
    if found is None:
        known = ", ".join(repr(t.tier) for t in tiers)
        raise InputError(f"unknown rate-limit tier {named!r}; "
                         + (f"published tiers: {known}" if known else
                            "this model has no published rate-limit tiers; remove the field"),
                         file=file, where=where)
    return found


def fit(tier: RateLimit, need: Need, row_source: str) -> TierFit:
    """Each limit the tier publishes against the need."""
    checks, unchecked = [], []
    for limit in UNITS:
        allowed = getattr(tier, limit)
        if allowed is None:
            continue
        wanted = need.of(limit)
        if wanted is None:
            unchecked.append(limit)
        else:
            checks.append(Check(limit, wanted, allowed))
    return TierFit(tier.tier, tier.source or row_source, tuple(checks), tuple(unchecked))


def capacity(model: str, tiers: Sequence[RateLimit], need: Need, row_source: str,
             named: str | None = None, where: str = TIER_FIELD,
             file: str | None = None) -> Capacity:
    """The candidate's need against the named (or lowest) tier and the smallest tier that fits."""
    used = pick_tier(tiers, named, where, file)
    fits = [fit(t, need, row_source) for t in tiers]
    smallest = next((f.tier for f in fits if f.fits), None)
    return Capacity(model, need, fit(used, need, row_source) if used else None,
                    named is not None, smallest)


def capacity_json(c: Capacity) -> dict[str, Any]:
    """All figures of a capacity check, each limit with the source that publishes it."""
    t = c.tier
    binding = t.binding if t else None
    return {
        "status": c.status,
        "need": {"peak_qps": c.need.peak_qps, "peak_rpm": c.need.peak_rpm,
                 "peak_tpm": c.need.peak_tpm, "concurrency": c.need.concurrency,
                 "latency_ms": c.need.latency_ms,
                 "latency_basis": LATENCY_FIELD if c.need.latency_ms is not None else None},
        "tier": t.tier if t else None,
        "tier_basis": None if t is None else "spec" if c.named else "lowest published",
        "source": t.source if t else None,
        "limits": [{"limit": k.limit, "need": k.need, "allowed": k.allowed, "ratio": k.ratio}
                   for k in t.checks] if t else [],
        "unchecked": list(t.unchecked) if t else [],
        "binding": binding.limit if binding else None,
        "usage": c.usage,
        "headroom": c.headroom,
        "keys": c.keys,
        "smallest_fitting_tier": c.smallest_fitting,
        "summary": summary_text(c),
    }


# --- sentences: one function each, data in, text out ------------------------------------------

def mark(c: Capacity) -> str:
    """A compact mark for a table cell: ✓ fits, ×N needs N keys, ? not known or not checked."""
    return f"×{c.keys}" if c.status == "over" else MARKS[c.status]


def _unit(limit: str) -> Message:
    """The unit of a limit: RPM, TPM or requests in flight."""
    return msg(f"cap.unit.{limit}")


def tier_basis_text(c: Capacity) -> Sentence:
    """Why this tier was compared: the spec named it, or it is the lowest published one."""
    return (sentence("cap.tier_named") if c.named
            else sentence("cap.tier_lowest", field=TIER_FIELD))


def fits_text(c: Capacity) -> Sentence:
    """`fits tier 'Tier 1' (uses 34% of its TPM)`."""
    assert c.tier is not None and c.tier.binding is not None and c.usage is not None
    return sentence("cap.fits", tier=repr(c.tier.tier), usage=c.usage,
                    unit=_unit(c.tier.binding.limit))


def needs_text(c: Capacity) -> Sentence:
    """`needs 4 keys at tier 'Tier 1', or tier 'Tier 3', or a provisioned-throughput deal`."""
    assert c.tier is not None
    if c.smallest_fitting and c.smallest_fitting != c.tier.tier:
        return sentence("cap.needs_or_tier", keys=c.keys, tier=repr(c.tier.tier),
                        other=repr(c.smallest_fitting))
    return sentence("cap.needs", keys=c.keys, tier=repr(c.tier.tier))


def unknown_text() -> Sentence:
    """No tier to compare against: never silently OK."""
    return sentence("cap.unknown")


def unchecked_text(c: Capacity) -> Sentence:
    """The tier publishes only limits that cannot be compared (concurrency without latency)."""
    assert c.tier is not None
    limits = [_unit(u) for u in c.tier.unchecked]
    key = "cap.unchecked" if c.tier.checks else "cap.unchecked_only"
    return sentence(key, tier=repr(c.tier.tier), limits=limits, field=LATENCY_FIELD)


def concurrency_text(need: Need) -> Sentence:
    """How requests in flight were worked out, or why they could not be."""
    if need.concurrency is None or need.latency_ms is None:
        return sentence("cap.no_latency", field=LATENCY_FIELD)
    return sentence("cap.concurrency", qps=need.peak_qps, seconds=need.latency_ms / 1000,
                    concurrency=need.concurrency, field=LATENCY_FIELD)


def over_text(c: Capacity) -> Sentence:
    """`peak 2,000 RPM is 4.0× the 500 RPM of tier 'Tier 1'`."""
    assert c.tier is not None and c.tier.binding is not None
    b = c.tier.binding
    return sentence("cap.over", need=b.need, unit=_unit(b.limit), ratio=b.ratio,
                    allowed=b.allowed, tier=repr(c.tier.tier))


def summary_text(c: Capacity) -> Sentence:
    """The one-line answer for a candidate."""
    if c.status == "unknown":
        return unknown_text()
    if c.status == "unchecked":
        return unchecked_text(c)
    if c.status == "fits":
        if c.tier and c.tier.unchecked:
            return sentence("cap.fits_unchecked", fits=fits_text(c), unchecked=unchecked_text(c))
        return fits_text(c)
    return sentence("cap.over_needs", over=over_text(c), needs=needs_text(c))


def raise_limit_text(c: Capacity) -> Sentence:
    """The warning (and `decide` condition) when the candidate does not fit its tier."""
    return sentence("cap.raise_limit", summary=summary_text(c),
                    source=c.tier.source if c.tier else "")
