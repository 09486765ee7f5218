"""One vectorized pass over the catalogue gives exactly the per-row cost engine's figures."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimators.cost import CallShape, cost_per_call
from estimators.price_arrays import costs_per_call, price_arrays
from estimators.prices import load_catalogue
from tests.conftest import TEST_PRICES

ROWS = load_catalogue().rows + load_catalogue(TEST_PRICES).rows
ARRAYS = price_arrays(ROWS)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 400_000), st.floats(0, 5_000), st.floats(0, 5_000), st.integers(1, 4),
       st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_vectorized_equals_scalar(system, user, output, turns, hit, batch, off_peak):
    shape = CallShape(system=system, user=user, output=output, turns=turns, cache_hit_rate=hit,
                      batch_share=batch, off_peak_share=off_peak)
    expected = np.array([cost_per_call(shape, r).per_call for r in ROWS])
    np.testing.assert_allclose(costs_per_call(shape, ARRAYS), expected, rtol=1e-12, atol=1e-15)


def test_tiered_rows_are_covered():
    assert any(r.tiers for r in ROWS) and any(r.cache_write is not None for r in ROWS)
    big = CallShape(system=300_000, user=0, output=10)
    tiered = [i for i, r in enumerate(ROWS) if r.tiers]
    got = costs_per_call(big, ARRAYS)[tiered]
    assert got == pytest.approx([cost_per_call(big, ROWS[i]).per_call for i in tiered])
