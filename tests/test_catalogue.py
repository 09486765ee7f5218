"""The bundled price catalogue: coverage, sourcing, history lookups, local overrides, and the
cost engine on real catalogue rows with tiers, cache, batch and off-peak prices."""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from pathlib import Path

import pytest

from estimators.cost import CallShape, cost_per_call
from estimators.errors import InputError
from estimators.paths import PACKAGE_DATA
from estimators.prices import BUNDLED_CATALOGUE, load_catalogue, read_catalogue_file

SEEDED = dt.date(2026, 11, 24)  # the catalogue's verification date: lookups as of then are stable
VENDOR_READ = dt.date(2026, 12, 1)  # the day the vendors' own pages were read (prices.vendors.toml)
VENDOR_READ_DAYS = (VENDOR_READ, dt.date(2026, 12, 2))
REQUIRED = (
    "openai/gpt-4o-mini", "deepseek/deepseek-chat", "openai/text-embedding-3-small",
    "anthropic/claude-haiku-4-5", "qwen/qwen-plus",
)
VENDORS = ("openai", "anthropic", "google", "deepseek", "qwen", "moonshot", "zhipu", "mistral",
           "minimax", "tencent", "baidu")


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def test_header_and_schema() -> None:
    data = tomllib.loads(BUNDLED_CATALOGUE.read_text(encoding="utf-8"))
    assert data["schema"] == "scopecard.prices/1"
    assert data["version"] == "2026-11-24"
    assert BUNDLED_CATALOGUE.read_text(encoding="utf-8").startswith("# scopecard price catalogue")


def test_coverage(cat) -> None:
    ids = cat.model_ids()
    vendors = {r.vendor for r in cat.rows}
    assert len(ids) >= 60
    assert len(vendors) >= 9
    assert set(VENDORS) <= vendors
    assert {"together", "groq"} & vendors  # open-weight models on a host
    for model_id in REQUIRED:
        assert cat.lookup(model_id, VENDOR_READ).id == model_id
    assert cat.lookup("openai/text-embedding-3-small", SEEDED).kind == "embedding"


def test_every_row_is_sourced_and_dated(cat) -> None:
    """Generated rows name genai-prices; rows read from a vendor's page cite that page (changed:
    the catalogue no longer comes from genai-prices alone, see prices.vendors.toml)."""
    own = tomllib.loads((PACKAGE_DATA / "prices.vendors.toml").read_text(encoding="utf-8"))
    own_ids = {m["id"] for m in own["models"]}
    for r in cat.rows:
        if r.id in own_ids:
            assert r.source.startswith("https://") and "genai-prices" not in r.source, r.id
            # the vendors' pages were read on two days (qwen-intl/, moonshot/ on 2026-12-02);
            # each row's note names the day its figures were read
            assert r.verified_on in VENDOR_READ_DAYS and str(r.verified_on) in (r.note or ""), r.id
        else:
            assert r.source.strip() and "genai-prices 0.2.3" in r.source, r.id
            assert r.verified_on == SEEDED, r.id
        assert r.effective_from is not None, r.id
        assert r.origin == "bundled"


def test_tokenizer_families_exist(cat) -> None:
    families = tomllib.loads((PACKAGE_DATA / "tokenizers.toml").read_text())["families"]
    assert {r.tokenizer for r in cat.rows} <= set(families)


def test_native_cny_rows(cat) -> None:
    cny = [r for r in cat.rows if r.currency == "CNY"]
    assert len(cny) >= 5
    for r in cny:
        if "genai-prices" in r.source:  # rows read from the vendor's page cite it instead
            assert "CNY" in (r.note or "") and "price_comments" in (r.note or ""), r.id
        assert r.regions == ("CN",)


def test_fx_rows(cat) -> None:
    pairs = {(f.base, f.quote) for f in cat.fx}
    assert {c for p in pairs for c in p} >= {"USD", "CNY", "EUR"}
    assert all(f.source and f.date <= SEEDED for f in cat.fx)
    # The ECB rows of 2026-10-30 are newer than the 7.25 CNY of 2026-06-01 (issue #16 part 4):
    # CNY -> USD crosses through EUR; on 2026-06-01 the direct row is still the newest.
    to_usd = cat.convert(7.4326, "CNY", "USD", SEEDED)
    assert (to_usd.amount, to_usd.path) == (pytest.approx(1.1172), "cross via EUR")
    assert cat.convert(7.25, "CNY", "USD", dt.date(2026, 6, 1)).amount == pytest.approx(1.0)
    assert cat.convert(1.1172, "USD", "EUR", SEEDED).amount == pytest.approx(1.0)


def test_dimensions_are_filled(cat) -> None:
    rows = cat.rows
    assert any(r.tiers for r in rows)
    assert any(r.cache_write is not None and r.cache_ttl_minutes == 5 for r in rows)
    assert any(r.batch_discount == 0.5 for r in rows)
    assert any(r.off_peak for r in rows)
    assert any(r.deprecated_on for r in rows)
    assert all(r.context_window for r in rows if r.vendor in ("openai", "anthropic"))
    assert all(r.batch_discount == 0.5 for r in rows if r.vendor in ("openai", "anthropic", "google"))
    haiku = cat.lookup("anthropic/claude-haiku-4-5", SEEDED)
    assert (haiku.cache_write, haiku.cache_ttl_minutes) == (1.25, 5)


def test_history_lookup_picks_row_by_date(cat) -> None:
    histories = {i: cat.history(i) for i in cat.model_ids() if len(cat.history(i)) > 1}
    assert histories, "expected at least one model with a price history"
    for rows in histories.values():
        for older, newer in itertools.pairwise(rows):
            assert older.effective_from < newer.effective_from
            assert cat.lookup(older.id, older.effective_from) is older
            assert cat.lookup(older.id, newer.effective_from - dt.timedelta(days=1)) is older
            assert cat.lookup(newer.id, newer.effective_from) is newer
    # One worked case: Mistral Large 4 went from $1.36 to $0.70 input on 2026-10-29.
    assert cat.lookup("mistral/mistral-large-4", dt.date(2026, 10, 25)).input == 1.36
    assert cat.lookup("mistral/mistral-large-4", dt.date(2026, 11, 1)).input == 0.7
    with pytest.raises(InputError, match="no price effective"):
        cat.lookup("mistral/mistral-large-4", dt.date(2026, 10, 1))


LOCAL = """
schema = "scopecard.prices/1"

[[models]]
id = "openai/gpt-4o-mini"
currency = "USD"
input = 0.10
output = 0.40
source = "negotiated contract 2026-11"
verified_on = 2026-11-20
"""


def test_local_file_overrides_bundled_row(tmp_path: Path) -> None:
    local = tmp_path / "prices.local.toml"
    local.write_text(LOCAL)
    cat = load_catalogue(local=local)
    row = cat.lookup("openai/gpt-4o-mini", SEEDED)
    assert (row.input, row.output, row.origin) == (0.10, 0.40, "local")
    assert str(local) in cat.sources
    assert cat.lookup("deepseek/deepseek-chat", SEEDED).origin == "bundled"


def test_local_file_cannot_claim_bundled_origin(tmp_path: Path) -> None:
    local = tmp_path / "prices.local.toml"
    local.write_text(LOCAL.replace('verified_on', 'origin = "bundled"\nverified_on'))
    assert load_catalogue(local=local).lookup("openai/gpt-4o-mini", SEEDED).origin == "local"


def test_local_bad_toml_names_file_and_line(tmp_path: Path) -> None:
    local = tmp_path / "prices.local.toml"
    local.write_text(LOCAL.replace("input = 0.10", "input = = 0.10"))
    with pytest.raises(InputError) as err:
        load_catalogue(local=local)
    assert str(local) in str(err.value)
    assert "line 7" in str(err.value)


def test_local_wrong_type_names_file_and_field(tmp_path: Path) -> None:
    local = tmp_path / "prices.local.toml"
    local.write_text(LOCAL.replace("input = 0.10", 'input = "cheap"'))
    with pytest.raises(InputError) as err:
        load_catalogue(local=local)
    assert err.value.file == str(local)
    assert err.value.where == "line 4, models[0] (openai/gpt-4o-mini).input"


def test_bundled_file_reads_alone() -> None:
    assert len(read_catalogue_file(BUNDLED_CATALOGUE).models) >= 60


# Cost engine on catalogue rows. Prices per 1M tokens, hand-computed.


def test_cost_tier_by_prompt_length(cat) -> None:
    # Claude Haiku 5.5: $0.10/$0.50, every token at $0.50/$2.50 once the prompt passes 100k.
    row = cat.lookup("anthropic/claude-haiku-5-5", SEEDED)
    short = cost_per_call(CallShape(system=1_000, user=9_000, output=1_000), row)
    assert short.per_call == pytest.approx((10_000 * 0.10 + 1_000 * 0.50) / 1e6)  # 0.0015
    long = cost_per_call(CallShape(system=1_000, user=150_000, output=1_000), row)
    assert long.tiers_used == (100_000,)
    assert long.per_call == pytest.approx((151_000 * 0.50 + 1_000 * 2.50) / 1e6)  # 0.078


def test_cost_cache_read_without_write_price(cat) -> None:
    # gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out; half of a 2,500-token prompt cached.
    row = cat.lookup("openai/gpt-4o-mini", SEEDED)
    c = cost_per_call(CallShape(system=2_000, user=500, output=300, cache_hit_rate=0.5), row)
    assert c.per_call == pytest.approx(0.00046125)  # (1250*0.15 + 1250*0.075 + 300*0.6) / 1e6


def test_cost_cache_write(cat) -> None:
    # Claude Haiku 4.5: $1 in, $0.10 cache read, $1.25 cache write (5 min), $5 out.
    # Prompt 5,000 (4,000 system prefix); 80% hit: 4,000 read, 800 of the prefix written,
    # 200 plain input: 200*1 + 4000*0.1 + 800*1.25 + 500*5 = 4,100 per 1M.
    row = cat.lookup("anthropic/claude-haiku-4-5", SEEDED)
    c = cost_per_call(CallShape(system=4_000, user=1_000, output=500, cache_hit_rate=0.8), row)
    assert c.per_call == pytest.approx(0.0041)


def test_cost_batch_discount(cat) -> None:
    # gpt-4o-mini, 40% of calls through the 50%-off Batch API: factor 1 - 0.4*0.5 = 0.8.
    row = cat.lookup("openai/gpt-4o-mini", SEEDED)
    c = cost_per_call(CallShape(system=1_000, user=0, output=1_000, batch_share=0.4), row)
    assert c.per_call == pytest.approx((1_000 * 0.15 + 1_000 * 0.60) / 1e6 * 0.8)  # 0.0006


def test_cost_off_peak(cat) -> None:
    # DeepSeek Flash (changed: read from DeepSeek's own page, no longer genai-prices' stale 2025
    # row): 2/8 CNY at peak, half price off-peak outside Beijing weekday 9-12 and 14-18.
    row = cat.lookup("deepseek/deepseek-flash", VENDOR_READ)
    windows = [(w.start, w.end, w.tz, tuple(w.weekdays)) for w in row.off_peak]
    assert windows[1] == ("12:00", "14:00", "Asia/Shanghai", (1, 2, 3, 4, 5))
    assert windows[3] == ("00:00", "24:00", "Asia/Shanghai", (6, 7))
    assert {w.discount for w in row.off_peak} == {0.5}
    c = cost_per_call(CallShape(system=1_000, user=1_000, output=1_000, off_peak_share=0.5), row)
    assert (c.currency, c.per_call) == ("CNY", pytest.approx((2_000 * 2 + 1_000 * 8) / 1e6 * 0.75))


def test_cost_native_cny(cat) -> None:
    # GLM-5.3 on Zhipu's China platform: 8 CNY in, 28 CNY out; 1 USD = 7.4326 / 1.1172 CNY
    # (the ECB rates of 2026-10-30, crossed through EUR).
    row = cat.lookup("zhipu/glm-5.3", SEEDED)
    c = cost_per_call(CallShape(system=500, user=500, output=1_000), row)
    assert (c.currency, c.per_call) == ("CNY", pytest.approx(0.036))
    assert cat.convert(c.per_call, "CNY", "USD", SEEDED).amount == pytest.approx(
        0.036 / 7.4326 * 1.1172)
