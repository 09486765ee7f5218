"""Hand-computed cases: volume, calls, peak QPS, cost per call and monthly cost, to the cent."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from estimators.cost import CallShape, cost_per_call
from estimators.prices import load_catalogue
from estimators.traffic import Load, traffic
from tests.conftest import TEST_PRICES
from tui.cli import main

MARCH = dt.date(2026, 3, 1)


def row(model: str, as_of: dt.date = MARCH):
    return load_catalogue(TEST_PRICES).lookup(model, as_of)


def test_traffic_basic():
    # 1,000 DAU x 2 tasks x 30 days = 60,000 tasks; 2,000 calls/day / 86,400 s = 0.023148 QPS
    t = traffic(Load(1000, 2, 30, calls_per_task=1, retry_rate=0, peak_factor=3))
    assert t.tasks_per_month == 60_000
    assert t.calls_per_month == 60_000
    assert t.avg_qps == pytest.approx(0.0231481, rel=1e-5)
    assert t.peak_qps == pytest.approx(0.0694444, rel=1e-5)


def test_traffic_retries_and_calls_per_task():
    # 60,000 tasks x 3 calls x 1.1 = 198,000 calls; peak = 6,600/day / 86,400 x 3 = 0.229167
    t = traffic(Load(1000, 2, 30, calls_per_task=3, retry_rate=0.1, peak_factor=3))
    assert t.calls_per_month == pytest.approx(198_000)
    assert t.peak_qps == pytest.approx(0.2291667, rel=1e-6)


def test_cost_plain():
    # (600 x 1.00 + 200 x 2.00) / 1e6 = 0.001
    c = cost_per_call(CallShape(system=500, user=100, output=200), row("test/alpha"))
    assert c.per_call == pytest.approx(0.001)


def test_cost_with_cache_read():
    # 50% of 600 cached: 300 x 1.00 + 300 x 0.10 + 200 x 2.00 = 730 -> 0.00073
    c = cost_per_call(CallShape(system=500, user=100, output=200, cache_hit_rate=0.5),
                      row("test/alpha"))
    assert c.per_call == pytest.approx(0.00073)


def test_cost_with_cache_write():
    # prompt 2,100; cached 60% = 1,260; uncached 840 of which 40% of the 2,000 prefix = 800 written
    # 40 x 3 + 1,260 x 0.3 + 800 x 3.75 + 100 x 15 = 4,998 -> 0.004998
    c = cost_per_call(CallShape(system=1000, context=1000, user=100, output=100,
                                cache_hit_rate=0.6), row("test/beta"))
    assert c.per_call == pytest.approx(0.004998)
    assert c.parts["cache_write"] == pytest.approx(0.003)


def test_cost_reasoning_billed_as_output():
    # 600 x 1 + (200 + 300) x 2 = 1,600 -> 0.0016
    c = cost_per_call(CallShape(system=500, user=100, output=200, reasoning=300), row("test/alpha"))
    assert c.per_call == pytest.approx(0.0016)


def test_cost_multi_turn_history_grows():
    # turn inputs 150, 220, 290 -> mean 220; 220 x 1 + 20 x 2 = 260 -> 0.00026 per call
    shape = CallShape(system=100, user=50, output=20, turns=3)
    assert [shape.turn_input(t) for t in (1, 2, 3)] == [150, 220, 290]
    assert cost_per_call(shape, row("test/alpha")).per_call == pytest.approx(0.00026)


def test_cost_long_context_tier_and_batch():
    # 250,000-token prompt passes the 200k tier: 250,000 x 6 + 1,000 x 22.5 = 1,522,500 -> 1.5225
    big = CallShape(system=250_000, user=0, output=1000)
    assert cost_per_call(big, row("test/beta")).per_call == pytest.approx(1.5225)
    assert cost_per_call(big, row("test/beta")).tiers_used == (200_000,)
    # half the calls batched at 50% off: factor 0.75
    half = CallShape(system=1000, user=0, output=1000, batch_share=0.5)
    assert cost_per_call(half, row("test/beta")).per_call == pytest.approx((3000 + 15000) / 1e6 * 0.75)


def test_cost_off_peak_and_request_fee():
    # CNY row: (1,000 x 8 + 1,000 x 16) / 1e6 = 0.024; 40% off-peak at 50% off -> x 0.8; + 0.001 fee
    shape = CallShape(system=1000, user=0, output=1000, off_peak_share=0.4)
    assert cost_per_call(shape, row("test/yuan")).per_call == pytest.approx(0.024 * 0.8 + 0.001)


def test_price_history_picks_the_row_in_force():
    assert row("test/alpha", dt.date(2026, 5, 31)).input == 1.00
    assert row("test/alpha", dt.date(2026, 6, 1)).input == 0.50


SPEC = """
schema = "scopecard.spec/1"
title = "Hand check"
currency = "{currency}"
[load]
daily_active_users = 1000
tasks_per_user_per_day = 2
calls_per_task = {calls}
retry_rate = {retry}
peak_factor = 3
[prompt]
system_tokens = 500
user_tokens = 100
output_tokens = 200
cache_hit_rate = {hit}
[value]
value_per_success = 0.1
[[candidates]]
model = "test/alpha"
[[candidates]]
model = "test/yuan"
"""


@pytest.mark.parametrize(
    ("calls", "retry", "hit", "tasks", "calls_month", "peak_qps", "per_call", "monthly"),
    [
        (1, 0.0, 0.0, 60_000, 60_000, 0.069444, 0.001, 60.00),
        (1, 0.0, 0.5, 60_000, 60_000, 0.069444, 0.00073, 43.80),
        (3, 0.1, 0.0, 60_000, 198_000, 0.229167, 0.001, 198.00),
        (3, 0.1, 0.5, 60_000, 198_000, 0.229167, 0.00073, 144.54),
    ],
)
def test_cli_matches_hand_computation(test_workspace: Path, tmp_path: Path, capsys, calls, retry,
                                      hit, tasks, calls_month, peak_qps, per_call, monthly):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(currency="USD", calls=calls, retry=retry, hit=hit))
    assert main(["estimate", str(spec), "--json", "--as-of", "2026-03-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["load"]["tasks_per_month"] == pytest.approx(tasks)
    assert out["load"]["calls_per_month"] == pytest.approx(calls_month)
    assert out["load"]["peak_qps"] == pytest.approx(peak_qps, abs=1e-6)
    alpha = next(c for c in out["candidates"] if c["model"] == "test/alpha")
    assert alpha["cost_per_call"] == pytest.approx(per_call)
    assert round(alpha["monthly_cost"], 2) == monthly
    assert alpha["currency"] == "USD"
    assert alpha["tokens_exact"] is False  # token numbers were given, not counted


def test_cli_converts_native_currency(test_workspace: Path, tmp_path: Path, capsys):
    # test/yuan: 600 x 8 + 200 x 16 = 8,000 / 1e6 = 0.008 CNY + 0.001 fee = 0.009 CNY = 0.001125 USD
    # at 1 USD = 8 CNY. The bundled ECB rates of 2026-02 are newer than the test catalogue's
    # 8.0 of 2026-01-01, so the workspace pins 8.0 (a local [[fx]] row wins).
    (test_workspace / "prices.local.toml").write_text(
        'schema = "scopecard.prices/1"\n[[fx]]\nbase = "USD"\nquote = "CNY"\nrate = 8.0\n'
        'date = 2026-02-15\nsource = "treasury rate"\n')
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(currency="USD", calls=1, retry=0, hit=0))
    assert main(["estimate", str(spec), "--json", "--as-of", "2026-03-01"]) == 0
    yuan = next(c for c in json.loads(capsys.readouterr().out)["candidates"]
                if c["model"] == "test/yuan")
    assert yuan["native"]["cost_per_call"] == pytest.approx(0.009)
    fx = yuan["native"]["fx"]
    assert (fx["base"], fx["quote"], fx["rate"], fx["path"]) == ("CNY", "USD", 1 / 8.0, "inverse")
    assert (fx["date"], fx["source"], fx["local"]) == ("2026-02-15", "treasury rate", True)
    assert yuan["cost_per_call"] == pytest.approx(0.001125)
    assert round(yuan["monthly_cost"], 2) == 67.50
