"""Cost of one model call from a price row (DESIGN §4, Cost per call).

cost = (uncached_input x p_in + cached_input x p_cache_read + cache_writes x p_cache_write
        + (output + reasoning) x p_out) / 10^6 x discount + per-request fee

- Prices come from the tier chosen by the prompt's length (each turn of a conversation has its
  own prompt length, so each turn may land in a different tier).
- cached_input = cache_hit_rate x input. Where the row prices cache writes (Anthropic-style),
  the missed part of the stable prefix (system + context) is written to the cache and billed at
  p_cache_write instead of p_in; where it does not (OpenAI-style), caching is automatic and free.
- discount = 1 - batch_share x batch_discount - (1 - batch_share) x off_peak_share x off_peak_discount:
  batch and off-peak discounts apply only to the eligible share of calls, never to request fees.
- Multi-turn: turn t re-sends the history, so its input is system + context + t x user
  + (t - 1) x output. The cost per call is the mean over the turns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from estimators.prices import PriceRow

if TYPE_CHECKING:
    from estimators.price_arrays import PriceArrays

PER_MILLION = 1_000_000


@dataclass(frozen=True)
class CallShape:
    """Tokens of one call (one turn) and how the calls are served."""

    system: Any  # float, or a numpy array of Monte Carlo draws
    user: Any
    context: Any = 0
    output: Any = 0
    reasoning: Any = 0
    turns: int = 1
    cache_hit_rate: Any = 0.0
    batch_share: Any = 0.0
    off_peak_share: Any = 0.0

    def turn_input(self, turn: int) -> float:
        """Input tokens of turn `turn` (1-based): the history grows by one exchange per turn."""
        return self.system + self.context + turn * self.user + (turn - 1) * self.output

    @property
    def input_per_call(self) -> float:
        return sum(self.turn_input(t) for t in range(1, self.turns + 1)) / self.turns

    @property
    def output_per_call(self) -> float:
        """Billed output per call: visible output plus hidden reasoning."""
        return self.output + self.reasoning

    @property
    def max_prompt(self) -> float:
        return self.turn_input(self.turns)


@dataclass(frozen=True)
class CallCost:
    per_call: float  # mean over turns, in `currency`
    currency: str
    input_tokens: float  # mean per call
    output_tokens: float  # output + reasoning per call
    parts: dict[str, float] = field(default_factory=dict)  # per call, before discount
    discount_factor: float = 1.0
    tiers_used: tuple[int, ...] = ()  # above_tokens of the tiers used; empty = base prices


def discount_factor(shape: CallShape, row: PriceRow | PriceArrays) -> Any:
    """Share of the list token price paid after batch and off-peak discounts."""
    return (
        1
        - shape.batch_share * row.batch_discount
        - (1 - shape.batch_share) * shape.off_peak_share * row.off_peak_discount
    )


def _pick(cond: Any, then: Any, otherwise: Any) -> Any:
    """`then` where cond holds: np.where for arrays of draws, a plain branch for numbers."""
    if isinstance(cond, np.ndarray):
        return np.where(cond, then, otherwise)
    return then if cond else otherwise


def token_cost_parts(shape: CallShape, row: PriceRow | PriceArrays) -> dict[str, Any]:
    """Per-call token cost by part, before discounts; shape fields may be numpy arrays of draws."""
    totals: dict[str, Any] = {"input": 0.0, "cache_read": 0.0, "cache_write": 0.0, "output": 0.0}
    prefix = shape.system + shape.context
    hit = shape.cache_hit_rate
    for turn in range(1, shape.turns + 1):
        prompt = shape.turn_input(turn)
        p_in, p_out, p_read, p_write = row.input, row.output, row.cache_read, row.cache_write
        for tier in row.tiers:  # the highest threshold the prompt passes wins
            above = prompt > tier.above_tokens
            p_in = _pick(above, tier.input, p_in)
            p_out = _pick(above, tier.output, p_out)
            if tier.cache_read is not None and p_read is not None:
                p_read = _pick(above, tier.cache_read, p_read)
            if tier.cache_write is not None and p_write is not None:
                p_write = _pick(above, tier.cache_write, p_write)
        cached = hit * prompt if p_read is not None else 0.0
        uncached = prompt - cached
        writes: Any = 0.0
        if p_write is not None:  # vendors that bill cache writes write the missed prefix
            missed = (1 - hit) * prefix
            writes = _pick(hit > 0, _pick(uncached < missed, uncached, missed), 0.0)
            totals["cache_write"] += writes * p_write / PER_MILLION
        if p_read is not None:
            totals["cache_read"] += cached * p_read / PER_MILLION
        totals["input"] += (uncached - writes) * p_in / PER_MILLION
        totals["output"] += shape.output_per_call * p_out / PER_MILLION
    return {k: v / shape.turns for k, v in totals.items()}


def _total(parts: dict[str, Any], shape: CallShape, row: PriceRow | PriceArrays) -> Any:
    return sum(parts.values()) * discount_factor(shape, row) + row.request_fee


def per_call_cost(shape: CallShape, row: PriceRow | PriceArrays) -> Any:
    """Cost per call after discounts plus the request fee (vectorized over numpy draws)."""
    return _total(token_cost_parts(shape, row), shape, row)


def tiers_used(shape: CallShape, row: PriceRow) -> tuple[int, ...]:
    """Thresholds of the long-context tiers the turns of `shape` land in."""
    used = set()
    for turn in range(1, shape.turns + 1):
        passed = [t.above_tokens for t in row.tiers if shape.turn_input(turn) > t.above_tokens]
        if passed:
            used.add(passed[-1])
    return tuple(sorted(used))


def cost_per_call(shape: CallShape, row: PriceRow) -> CallCost:
    """Mean cost of one call of `shape` (point values) at `row`'s prices."""
    parts = {k: float(v) for k, v in token_cost_parts(shape, row).items()}
    per_call = float(_total(parts, shape, row))
    parts["request_fee"] = row.request_fee
    return CallCost(
        per_call=per_call,
        currency=row.currency,
        input_tokens=shape.input_per_call,
        output_tokens=shape.output_per_call,
        parts=parts,
        discount_factor=float(discount_factor(shape, row)),
        tiers_used=tiers_used(shape, row),
    )


def context_problem(shape: CallShape, row: PriceRow) -> str | None:
    """Why the longest prompt does not fit the model, or None when it does."""
    if row.max_output is not None and shape.output_per_call > row.max_output:
        return (
            f"output + reasoning of {shape.output_per_call:,.0f} tokens exceeds "
            f"{row.id}'s max output of {row.max_output:,}"
        )
    if row.context_window is None:
        return None
    need = shape.max_prompt + shape.output_per_call
    if need > row.context_window:
        return (
            f"the longest turn needs {need:,.0f} tokens (prompt {shape.max_prompt:,.0f} + output "
            f"{shape.output_per_call:,.0f}) but {row.id}'s context window is {row.context_window:,}"
        )
    return None
