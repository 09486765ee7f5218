"""Rate limits (issue #16 part 6): peak RPM / TPM / requests in flight against the vendor's
published tier, with the keys, tier or provisioned-throughput deal it needs.

Hand-checked load used throughout: 8,640 DAU x 1 task x 1 call, no retries, peak factor 2 ->
8,640 calls/day = 0.1 QPS average, 0.2 QPS peak = 12 RPM; 1,000 input + 250 output tokens a call
-> peak TPM = 0.2 x 60 x 1,250 = 15,000; p95 2,000 ms -> 0.2 x 2 = 0.4 requests in flight.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimators.prices import RateLimit
from rubrics.capacity import Need, capacity, summary_text
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from rubrics.mdtext import md_text
from tui.cli import main

ROW = """
[[models]]
id = "{id}"
currency = "USD"
input = {input}
output = {output}
tokenizer = "o200k"
source = "{source}"
verified_on = 2026-01-01
{extra}
"""
ACME = "https://acme.example/pricing"
LOCAL_PRICES = 'schema = "scopecard.prices/1"\n' + "".join(ROW.format(**row) for row in (
    {"id": "acme/tiered", "input": 1, "output": 2, "source": ACME, "extra": """rate_limits = [
    { tier = "Tier 1", rpm = 60, tpm = 10000, source = "https://acme.example/limits" },
    { tier = "Tier 2", rpm = 600, tpm = 100000, source = "https://acme.example/limits" },
    { tier = "Tier 3", rpm = 6000, tpm = 1000000, concurrency = 50 },
]"""},
    {"id": "acme/unlimited", "input": 1, "output": 2, "source": ACME, "extra": ""},
    {"id": "acme/inflight", "input": 1, "output": 2, "source": ACME,
     "extra": 'rate_limits = [{ tier = "default", concurrency = 2 }]'},
    # the example's chosen model, same price, with two small tiers
    {"id": "openai/gpt-4o-mini", "input": 0.15, "output": 0.60,
     "source": "https://openai.example/pricing", "extra": """cache_read = 0.075
regions = ["US", "EU"]
context_window = 128000
rate_limits = [
    { tier = "tier 1", rpm = 500, tpm = 10000 },
    { tier = "tier 2", rpm = 5000, tpm = 100000 },
]"""},
))

SPEC = """
schema = "scopecard.spec/1"
title = "Rate limit check"
currency = "USD"

[load]
daily_active_users = {dau}
tasks_per_user_per_day = 1
calls_per_task = 1
peak_factor = 2

[prompt]
system_tokens = 1000
output_tokens = 250

[value]
value_per_success = 1.0

[constraints]
{latency}

{candidates}
"""

TIERS = (RateLimit(tier="Tier 1", rpm=60, tpm=10_000),
         RateLimit(tier="Tier 2", rpm=600, tpm=100_000),
         RateLimit(tier="Tier 3", rpm=6000, tpm=1_000_000, concurrency=50))
NEED = Need(peak_qps=0.2, peak_tpm=15_000, latency_ms=2000)


@pytest.fixture
def workspace(isolated: Path) -> Path:
    isolated.mkdir(parents=True, exist_ok=True)
    (isolated / "prices.local.toml").write_text(LOCAL_PRICES)
    return isolated


def _spec(tmp_path: Path, *candidates: tuple[str, str | None], dau: int = 8640,
          latency: int | None = 2000) -> Path:
    blocks = []
    for model, tier in candidates:
        blocks.append(f'[[candidates]]\nmodel = "{model}"'
                      + (f'\nrate_limit_tier = "{tier}"' if tier else ""))
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(dau=dau, candidates="\n".join(blocks),
                                latency=f"max_p95_latency_ms = {latency}" if latency else ""))
    return path


def _estimate_json(spec: Path, capsys) -> dict:
    assert main(["estimate", str(spec), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# --- hand-checked numbers ---------------------------------------------------------------------

def test_fits_the_named_tier_and_says_how_much_it_uses() -> None:
    """Tier 2 allows 100,000 TPM and 600 RPM: 15,000 TPM uses 15%, 12 RPM 2%; TPM binds."""
    c = capacity("acme/tiered", TIERS, NEED, "row", named="Tier 2")
    assert c.status == "fits" and c.keys == 1
    assert c.tier is not None and c.tier.binding is not None
    assert c.tier.binding.limit == "tpm" and c.usage == pytest.approx(0.15)
    assert c.headroom == pytest.approx(100_000 / 15_000)
    assert summary_text(c) == "fits tier 'Tier 2' (uses 15% of its TPM)"


def test_over_the_lowest_tier_needs_keys_or_the_smallest_tier_that_fits() -> None:
    """No tier named: the lowest (Tier 1, 10,000 TPM) is used; 15,000 / 10,000 = 1.5 -> 2 keys,
    and Tier 2 is the smallest published tier that fits."""
    c = capacity("acme/tiered", TIERS, NEED, "row")
    assert c.status == "over" and not c.named and c.tier is not None
    assert c.tier.tier == "Tier 1" and c.usage == pytest.approx(1.5) and c.keys == 2
    assert c.smallest_fitting == "Tier 2"
    assert summary_text(c) == ("peak 15,000 TPM is 1.5× the 10,000 TPM of tier 'Tier 1': needs 2 "
                               "keys at tier 'Tier 1', or tier 'Tier 2', or a "
                               "provisioned-throughput deal")


def test_over_every_tier_needs_keys_or_a_deal() -> None:
    """100x the traffic: 1.5M TPM against Tier 3's 1M TPM -> 2 keys, no tier fits; at Tier 1
    it is 150 keys (1.5M / 10,000)."""
    big = Need(peak_qps=20, peak_tpm=1_500_000, latency_ms=2000)
    top = capacity("acme/tiered", TIERS, big, "row", named="Tier 3")
    assert top.keys == 2 and top.smallest_fitting is None
    assert summary_text(top).endswith("needs 2 keys at tier 'Tier 3' or a provisioned-throughput "
                                      "deal")
    assert capacity("acme/tiered", TIERS, big, "row").keys == 150


def test_concurrency_uses_littles_law_with_the_spec_latency() -> None:
    """20 QPS x 2 s = 40 in flight of Tier 3's 50; 30 QPS x 2 s = 60 -> 1.2, concurrency binds."""
    ok = capacity("acme/tiered", TIERS, Need(20, 0.0, 2000), "row", named="Tier 3")
    assert ok.status == "fits" and ok.need.concurrency == pytest.approx(40)
    over = capacity("acme/tiered", TIERS, Need(30, 0.0, 2000), "row", named="Tier 3")
    assert over.tier is not None and over.tier.binding is not None
    assert over.tier.binding.limit == "concurrency" and over.keys == 2


def test_no_latency_means_concurrency_is_not_checked_never_ok() -> None:
    """A concurrency-only tier cannot be compared without a p95 latency: status 'unchecked',
    a '?' mark, and the sentence names the missing field."""
    c = capacity("acme/inflight", (RateLimit(tier="default", concurrency=2),),
                 Need(0.2, 15_000, None), "row")
    assert c.status == "unchecked" and c.keys is None
    assert "constraints.max_p95_latency_ms" in summary_text(c)


def test_no_published_limit_says_ask_the_vendor() -> None:
    """A row without tiers is never silently OK."""
    c = capacity("acme/unlimited", (), NEED, "row")
    assert c.status == "unknown" and summary_text(c) == "no published limit; ask the vendor"


@settings(max_examples=60, deadline=None)
@given(dau=st.integers(0, 10**9), more=st.integers(0, 10**9),
       tokens=st.floats(1, 1e6), latency=st.floats(1, 60_000))
def test_more_users_never_need_fewer_keys(dau: int, more: int, tokens: float,
                                          latency: float) -> None:
    """Keys are monotonic in DAU: peak QPS, TPM and concurrency all grow with it."""
    def keys(users: int) -> int:
        qps = users * 2 / 86_400
        need = Need(qps, qps * 60 * tokens, latency)
        k = capacity("acme/tiered", TIERS, need, "row").keys
        assert k is not None
        return k
    assert keys(dau + more) >= keys(dau)


# --- the command line -------------------------------------------------------------------------

def test_estimate_text_marks_the_peak_column_and_lists_capacity(tmp_path, workspace, capsys):
    """The table's peak TPM column carries ✓ / ×N / ?, and the block below names each tier's
    source."""
    spec = _spec(tmp_path, ("acme/tiered", None), ("acme/unlimited", None))
    assert main(["estimate", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "peak TPM" in out and "15k ×2" in out and "15k ?" in out
    assert "acme/unlimited: no published limit; ask the vendor" in out
    assert "[https://acme.example/limits]" in out
    assert "0.4 (Little's law" in out
    assert "! raise the rate limit: peak 15,000 TPM is 1.5×" in out


def test_estimate_json_carries_every_figure_and_the_source(tmp_path, workspace, capsys):
    """`candidates[].capacity`: need, tier, basis, each limit with its ratio, keys, source."""
    spec = _spec(tmp_path, ("acme/tiered", "Tier 3"), ("acme/unlimited", None))
    tiered, unlimited = _estimate_json(spec, capsys)["candidates"]
    cap = tiered["capacity"]
    assert cap["status"] == "fits" and cap["tier"] == "Tier 3" and cap["tier_basis"] == "spec"
    assert cap["source"] == "https://acme.example/pricing"  # the tier names none: the row's
    assert cap["need"] == {"peak_qps": pytest.approx(0.2), "peak_rpm": pytest.approx(12),
                           "peak_tpm": pytest.approx(15_000), "concurrency": pytest.approx(0.4),
                           "latency_ms": 2000, "latency_basis": "constraints.max_p95_latency_ms"}
    assert [(x["limit"], x["allowed"]) for x in cap["limits"]] == [
        ("rpm", 6000), ("tpm", 1_000_000), ("concurrency", 50)]
    assert cap["binding"] == "tpm" and cap["usage"] == pytest.approx(0.015)
    assert cap["keys"] == 1 and cap["smallest_fitting_tier"] == "Tier 2"
    assert tiered["warnings"] == []
    assert unlimited["capacity"]["status"] == "unknown" and unlimited["capacity"]["keys"] is None


def test_unknown_tier_in_the_spec_is_refused_with_the_tiers_that_exist(tmp_path, workspace,
                                                                       capsys):
    """A tier name the vendor does not publish: exit 2, naming the file, the field and the
    published tiers; no traceback."""
    spec = _spec(tmp_path, ("acme/unlimited", None), ("acme/tiered", "Tier 9"))
    assert main(["estimate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "spec.toml: candidates[1].rate_limit_tier: unknown rate-limit tier 'Tier 9'" in err
    assert "'Tier 1', 'Tier 2', 'Tier 3'" in err and "Traceback" not in err


def test_a_tier_named_for_a_model_without_tiers_is_refused(tmp_path, workspace, capsys):
    """Naming a tier where none is published is a typo or a stale spec, not a silent default."""
    spec = _spec(tmp_path, ("acme/unlimited", "Tier 1"))
    assert main(["estimate", str(spec)]) == 2
    assert "no published rate-limit tiers" in capsys.readouterr().err


def test_decide_lists_raising_the_rate_limit_as_a_condition(workspace, capsys):
    """The chosen candidate (gpt-4o-mini) at 34,457 peak TPM against tier 1's 10,000 TPM: the
    verdict names the raise it needs (4 keys or tier 2)."""
    assert main(["decide", str(EXAMPLE_SPEC), "--evals", str(EXAMPLE_EVALS), "--json",
                 "--dry-run"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["outputs"]["chosen"] == "openai/gpt-4o-mini"
    wanted = ("openai/gpt-4o-mini: raise the rate limit: peak 34,457 TPM is 3.4× the 10,000 TPM "
              "of tier 'tier 1': needs 4 keys at tier 'tier 1', or tier 'tier 2', or a "
              "provisioned-throughput deal [https://openai.example/pricing]")
    assert wanted in record["outputs"]["conditions"]
    assert record["outputs"]["verdict"] == "GO WITH CONDITIONS"


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_vendor_brief_has_the_rate_limit_in_its_capacity_section(workspace, capsys, fmt):
    """The vendor brief compares the chosen model's peak with its tier, naming the source."""
    assert main(["decide", str(EXAMPLE_SPEC), "--evals", str(EXAMPLE_EVALS)]) == 0
    capsys.readouterr()
    record_id = next((workspace / "decisions").glob("*/decision.toml")).parent.name
    assert main(["brief", record_id, "--for", "vendor", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        r = json.loads(out)["capacity"]["rate_limit"]
        assert r["model"] == "openai/gpt-4o-mini" and r["tier"] == "tier 1"
        assert r["keys"] == 4 and r["smallest_fitting_tier"] == "tier 2"
        assert r["source"] == "https://openai.example/pricing"
        assert r["need"]["concurrency"] == pytest.approx(0.53125 * 3)
    else:
        capacity_section = out.split("## Capacity", 1)[1].split("## Tokens per call", 1)[0]
        assert "Rate limit for openai/gpt-4o-mini: peak 34,457 TPM is 3.4×" in capacity_section
        assert "needs 4 keys at tier 'tier 1', or tier 'tier 2'" in capacity_section
        assert "| TPM | 34,456.9 | 10,000 | 345% |" in capacity_section
        assert md_text("https://openai.example/pricing") in capacity_section  # no live link


def test_vendor_brief_without_published_limits_says_ask(isolated, capsys):
    """Bundled gpt-4o-mini publishes no tier here: the brief says so instead of staying silent."""
    assert main(["decide", str(EXAMPLE_SPEC), "--evals", str(EXAMPLE_EVALS)]) == 0
    capsys.readouterr()
    record_id = next((isolated / "decisions").glob("*/decision.toml")).parent.name
    assert main(["brief", record_id, "--for", "vendor"]) == 0
    assert "no published limit; ask the vendor" in capsys.readouterr().out
