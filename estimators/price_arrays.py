"""Many price rows as one struct of numpy arrays, so one pass of the cost formula prices them all.

`token_cost_parts` in cost.py is written for numbers or arrays alike; given a `PriceArrays` it
returns one cost per row. Missing cache prices are filled with the price they fall back to
(a cached token without a cache price costs the input price), and rows with fewer long-context
tiers get padding tiers that never apply, so the arrays give exactly the per-row results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from estimators.cost import CallShape, per_call_cost
from estimators.prices import PriceRow


@dataclass(frozen=True)
class TierArrays:
    above_tokens: np.ndarray  # inf where the row has no such tier
    input: np.ndarray
    output: np.ndarray
    cache_read: np.ndarray
    cache_write: np.ndarray


@dataclass(frozen=True)
class PriceArrays:
    ids: tuple[str, ...]
    input: np.ndarray
    output: np.ndarray
    cache_read: np.ndarray
    cache_write: np.ndarray
    tiers: tuple[TierArrays, ...]
    batch_discount: np.ndarray
    off_peak_discount: np.ndarray
    request_fee: np.ndarray


def _levels(row: PriceRow, depth: int) -> list[tuple[float, float, float, float, float]]:
    """(above, input, output, cache_read, cache_write) per tier level, gaps filled as cost.py would."""
    read = row.cache_read if row.cache_read is not None else row.input
    write = row.cache_write if row.cache_write is not None else row.input
    levels = [(0.0, row.input, row.output, read, write)]
    for t in row.tiers:
        # without a cache price, cached/written tokens pay this tier's input price
        read = (t.cache_read if t.cache_read is not None else read) if row.cache_read is not None \
            else t.input
        write = (t.cache_write if t.cache_write is not None else write) \
            if row.cache_write is not None else t.input
        levels.append((float(t.above_tokens), t.input, t.output, read, write))
    pad = (np.inf, *levels[-1][1:])
    return levels + [pad] * (depth + 1 - len(levels))


def price_arrays(rows: Sequence[PriceRow]) -> PriceArrays:
    """Stack rows into arrays (one entry per row, in order)."""
    depth = max((len(r.tiers) for r in rows), default=0)
    table = np.array([_levels(r, depth) for r in rows], dtype=float).reshape(len(rows), depth + 1, 5)
    col = table.transpose(2, 1, 0)  # field, level, row
    return PriceArrays(
        ids=tuple(r.id for r in rows),
        input=col[1, 0], output=col[2, 0], cache_read=col[3, 0], cache_write=col[4, 0],
        tiers=tuple(TierArrays(col[0, k], col[1, k], col[2, k], col[3, k], col[4, k])
                    for k in range(1, depth + 1)),
        batch_discount=np.array([r.batch_discount for r in rows]),
        off_peak_discount=np.array([r.off_peak_discount for r in rows]),
        request_fee=np.array([r.request_fee for r in rows]),
    )


def costs_per_call(shape: CallShape, prices: PriceArrays) -> np.ndarray:
    """Cost per call of `shape` on every row at once (each in its row's native currency).

    Shape fields may be arrays of one value per row (e.g. token counts per tokenizer).
    """
    return np.broadcast_to(per_call_cost(shape, prices), (len(prices.ids),))
