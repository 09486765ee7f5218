"""Issue #16: Chinese vendors' prices at the source, retirement, rate-limit tiers, and the checks a
local price file must pass (each refusal names the file, the line and the field)."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import pytest

from estimators.errors import InputError
from estimators.paths import PACKAGE_DATA
from estimators.prices import (
    PriceRow,
    lifecycle_warning,
    load_catalogue,
    parse_catalogue_bytes,
)
from tui.cli import main

VENDOR_FILE = PACKAGE_DATA / "prices.vendors.toml"
READ_ON = dt.date(2026, 12, 2)  # the last day vendors' pages were read (byteplus/ rows start then)
EXAMPLE = Path(__file__).parent.parent / "rubrics" / "data" / "examples" / "support-faq.toml"
# Mainland platforms that bill in CNY, and the domains of their own pages.
CNY_VENDORS = {
    "deepseek": ("api-docs.deepseek.com",),
    "qwen": ("help.aliyun.com", "alibabacloud.com"),
    "zhipu": ("bigmodel.cn",),
    "minimax": ("platform.minimaxi.com",),
    "tencent": ("tencent.com", "github.com/Tencent/"),
    "baidu": ("baidu.com",),
}
RESELLERS = ("openrouter", "together", "groq", "genai-prices")


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def own() -> list[PriceRow]:
    parsed = parse_catalogue_bytes(VENDOR_FILE.read_bytes(), str(VENDOR_FILE))
    return parsed.models


# --- the data -------------------------------------------------------------------------------


def test_bundled_catalogue_carries_every_vendor_row_as_written(cat, own) -> None:
    """Defect 1: vendor-page rows must reach the catalogue unchanged (the seed script merges
    prices.vendors.toml; a stale prices.toml would silently keep upstream prices)."""
    for row in own:
        assert row in cat.history(row.id), f"{row.id}: prices.toml is out of date, re-run the seed"


def test_mainland_vendors_are_priced_in_cny_from_their_own_pages(cat) -> None:
    """Defect 1: DeepSeek, Qwen, Zhipu, MiniMax, Tencent and Baidu rows bill in CNY and cite the
    vendor's own page, never a reseller or an aggregator."""
    for vendor, domains in CNY_VENDORS.items():
        rows = [cat.lookup(i, READ_ON) for i in cat.model_ids() if i.startswith(vendor + "/")]
        assert rows, vendor
        native = [r for r in rows if "genai-prices" not in r.source]
        assert native, f"{vendor}: no row from the vendor's own page"
        for r in native:
            assert r.currency == "CNY", r.id
            assert any(d in r.source for d in domains), (r.id, r.source)
            assert not any(x in r.source for x in RESELLERS), r.id


def test_no_reseller_price_under_a_vendor_id(cat) -> None:
    """Defect 2: OpenRouter's Qwen prices sat under qwen/; they now live under openrouter/."""
    for r in cat.rows:
        if r.vendor in ("qwen", "deepseek"):
            assert not any(x in r.source for x in RESELLERS), r.id
    resold = cat.lookup("openrouter/qwen-plus", READ_ON)
    assert "openrouter" in resold.source and "reseller" in (resold.note or "")
    assert cat.lookup("qwen/qwen-plus", READ_ON).source.startswith("https://help.aliyun.com/")


# Issue #16 "Done when": the eight vendors, each vendor id with the currency its price list bills
# in and the domains of the vendor's own pages. A vendor with two lists has two ids.
OWN_LISTS = {
    "deepseek": ("CNY", ("api-docs.deepseek.com",)),
    "qwen": ("CNY", ("help.aliyun.com", "alibabacloud.com")),
    "qwen-intl": ("USD", ("alibabacloud.com",)),
    "volcengine": ("CNY", ("volcengine.com",)),
    "byteplus": ("USD", ("docs.byteplus.com",)),
    "moonshot": ("USD", ("moonshot.ai", "kimi.ai", "kimi.com")),
    "moonshot-cn": ("CNY", ("moonshot.cn", "kimi.com")),
    "zhipu": ("CNY", ("bigmodel.cn",)),
    "baidu": ("CNY", ("baidu.com",)),
    "tencent": ("CNY", ("tencent.com", "github.com/Tencent/")),
    "minimax": ("CNY", ("platform.minimaxi.com",)),
}
EIGHT_VENDORS = ["deepseek", "qwen", "volcengine", "moonshot", "zhipu", "baidu", "tencent",
                 "minimax"]
# Resellers' and routers' domains: their prices belong under their own ids, never a vendor's.
# byteplus.com is ByteDance's own (international) cloud, so it is the vendor's page under
# byteplus/ only; a BytePlus-hosted DeepSeek or Kimi price under deepseek/ or moonshot/ would
# still be a host's price under someone else's id.
RESELLER_HOSTS = ("openrouter.ai", "together.ai", "groq.com", "therouter", "siliconflow",
                  "aihubmix", "zenmux", "byteplus.com")
# The ids whose rows may stand for a vendor: ByteDance sells Doubao/Seed on two lists of its own,
# Volcano Engine Ark (volcengine/, mainland, CNY) and BytePlus ModelArk (byteplus/, USD). Only the
# byteplus/ list exists so far: volcengine.com/docs/82379/1544106 is stored only up to its
# introduction (read 2026-12-02).
VENDOR_LISTS = {"volcengine": ("volcengine", "byteplus")}


def _own_native_rows(cat, vendor: str) -> list[PriceRow]:
    """Rows under `vendor/` in force on READ_ON, not retired, read from the vendor's own page."""
    currency, domains = OWN_LISTS[vendor]
    rows = [cat.lookup(i, READ_ON) for i in cat.model_ids() if i.startswith(vendor + "/")]
    return [r for r in rows if not r.retired(READ_ON) and r.currency == currency
            and "genai-prices" not in r.source and any(d in r.source for d in domains)]


@pytest.mark.parametrize("vendor", EIGHT_VENDORS)
def test_each_vendor_has_a_live_row_in_its_billing_currency_from_its_own_page(cat, vendor) -> None:
    """Issue #16 (part 1): every one of the eight vendors has a non-retired row in the currency
    its list bills, whose source is the vendor's own domain (not an aggregator). Doubao counts
    with rows under volcengine/ (CNY) or byteplus/ (USD): both are ByteDance's own pages (was a
    strict xfail while no Doubao row existed)."""
    lists = VENDOR_LISTS.get(vendor, (vendor,))
    rows = [r for v in lists for r in _own_native_rows(cat, v)]
    assert rows, f"{vendor}: no live row from the vendor's own page under {lists}"


def test_doubao_rows_are_bytedances_international_list(cat) -> None:
    """Issue #16 (part 1): the Doubao/Seed rows read from docs.byteplus.com are BytePlus
    ModelArk's USD list, with both input-length bands and the cache-hit price the page gives."""
    row = cat.lookup("byteplus/seed-1.6", READ_ON)
    assert (row.currency, row.regions) == ("USD", ("ap-southeast-1",))
    assert row.source.startswith("https://docs.byteplus.com/")
    assert (row.input, row.cache_read, row.output) == (0.25, 0.05, 2.0)
    assert [(t.above_tokens, t.up_to_tokens, t.input, t.output) for t in row.tiers] == [
        (128000, 256000, 0.5, 4.0)]
    assert cat.lookup("byteplus/seed-1.8", READ_ON).rate_limits[0].rpm == 30000


def test_no_reseller_source_under_a_vendor_id(cat) -> None:
    """Issue #16: a reseller's or router's price never sits under a vendor's id, for any of the
    vendors' ids (both lists where a vendor has two); a vendor's own domain is never a reseller
    under its own id (byteplus.com under byteplus/)."""
    for r in cat.rows:
        if r.vendor in OWN_LISTS:
            own = OWN_LISTS[r.vendor][1]
            hosts = [h for h in RESELLER_HOSTS if not any(h in d for d in own)]
            assert not any(h in r.source.lower() for h in hosts), (r.id, r.source)


def test_vendor_ids_bill_in_their_lists_currency(cat) -> None:
    """Issue #16: an id names one price list, so every row read from a vendor's page under that
    vendor id is in that list's currency (a USD row under qwen/ would hide the CNY list)."""
    for r in cat.rows:
        if r.vendor in OWN_LISTS and "genai-prices" not in r.source:
            assert r.currency == OWN_LISTS[r.vendor][0], (r.id, r.currency)


def test_qwen_two_price_lists_with_their_regions(cat) -> None:
    """Issue #16: Alibaba's mainland CNY list (qwen/, Beijing) and international USD list
    (qwen-intl/, Singapore) are both present, each row saying where it applies."""
    mainland = cat.lookup("qwen/qwen-plus", READ_ON)
    intl = cat.lookup("qwen-intl/qwen-plus", READ_ON)
    assert (mainland.currency, mainland.regions) == ("CNY", ("CN",))
    assert (intl.currency, intl.regions) == ("USD", ("SG",))
    assert "alibabacloud.com" in intl.source and "help.aliyun.com" in mainland.source
    assert "qwen-intl/qwen-plus" in (mainland.note or "")
    assert "qwen/qwen-plus" in (intl.note or "")
    for i in cat.model_ids():
        if i.startswith("qwen-intl/"):
            assert cat.lookup(i, READ_ON).regions == ("SG",), i


def test_moonshot_rows_from_its_page_say_which_platform(cat) -> None:
    """Issue #16: Moonshot's own-page rows carry regions and cite the archive they were read from
    (the USD list of the international platform)."""
    rows = _own_native_rows(cat, "moonshot")
    assert {r.id for r in rows} >= {"moonshot/kimi-k2.5", "moonshot/kimi-k2-0905-preview"}
    for r in rows:
        assert r.regions == ("global",), r.id
        assert "megalodon.jp/ref/2026-0326" in (r.note or ""), r.id


def test_qwen_plus_keeps_every_input_length_tier(cat) -> None:
    """Defect 2: the input-length tiers of Alibaba's list are kept, with their upper bounds."""
    row = cat.lookup("qwen/qwen-plus", READ_ON)
    assert [(t.above_tokens, t.up_to_tokens, t.input, t.output) for t in row.tiers] == [
        (128_000, 256_000, 2.4, 20.0), (256_000, 1_000_000, 4.8, 48.0)]


def test_deepseek_peak_and_off_peak_by_beijing_weekday_hours(cat) -> None:
    """Defect 3: DeepSeek's current page prices peak hours (Beijing Mon-Fri 9-12, 14-18) at twice
    the off-peak price; weekends are off-peak all day."""
    row = cat.lookup("deepseek/deepseek-flash", READ_ON)
    assert (row.currency, row.input, row.output, row.cache_read) == ("CNY", 2.0, 8.0, 0.04)
    windows = {(w.start, w.end, tuple(w.weekdays)) for w in row.off_peak}
    assert windows == {("00:00", "09:00", (1, 2, 3, 4, 5)), ("12:00", "14:00", (1, 2, 3, 4, 5)),
                       ("18:00", "24:00", (1, 2, 3, 4, 5)), ("00:00", "24:00", (6, 7))}
    assert {(w.tz, w.discount) for w in row.off_peak} == {("Asia/Shanghai", 0.5)}


def test_retired_ids_name_a_live_successor(cat) -> None:
    """Defect 5: retired ids carry retired_on and a successor that is itself in service."""
    retired = [cat.lookup(i, READ_ON) for i in cat.model_ids()
               if cat.lookup(i, READ_ON).retired(READ_ON)]
    assert {"deepseek/deepseek-chat", "deepseek/deepseek-reasoner"} <= {r.id for r in retired}
    for r in retired:
        assert r.successor, r.id
        assert not cat.lookup(r.successor, READ_ON).retired(READ_ON), r.id


def test_rate_limit_tiers_are_stored(cat) -> None:
    """Part 6: per-tier RPM/TPM/concurrency limits the vendor publishes are kept on the row."""
    assert cat.lookup("deepseek/deepseek-flash", READ_ON).rate_limits[0].concurrency == 2500
    tiers = cat.lookup("baidu/ernie-4.0-turbo-8k", READ_ON).rate_limits
    assert [t.tpm for t in tiers] == [800_000, 1_040_000, 5_200_000, 10_400_000]
    assert all(t.source and "baidu.com" in t.source for t in tiers)


# --- retirement warnings --------------------------------------------------------------------


def _row(**kw) -> PriceRow:
    return PriceRow(id="acme/m1", currency="USD", input=1, source="test", verified_on=READ_ON, **kw)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"retired_on": dt.date(2026, 7, 1), "successor": "acme/m2"},
     "retired on 2026-07-01: the vendor may refuse or re-route calls to acme/m1; successor: acme/m2"),
    ({"retired_on": dt.date(2027, 1, 15), "successor": "acme/m2"},
     "retires on 2027-01-15; successor: acme/m2"),
    ({"deprecated_on": dt.date(2026, 12, 20)}, "deprecated on 2026-12-20"),
    ({"retired_on": dt.date(2028, 1, 1)}, None),
    ({}, None),
])
def test_lifecycle_warning(fields, expected) -> None:
    """Defect 5: retired and soon-retired (within 180 days) models get a warning naming the
    successor; a far-off date or none says nothing."""
    assert lifecycle_warning(_row(**fields), READ_ON) == expected


def test_estimate_warns_on_a_retired_candidate_and_still_prices_it(capsys) -> None:
    """Defect 5: the bundled example names deepseek/deepseek-chat, retired 2026-07-24: it still
    gets a cost, with a warning that names deepseek/deepseek-flash."""
    assert main(["estimate", str(EXAMPLE), "--as-of", "2026-12-01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    chat = next(c for c in out["candidates"] if c["model"] == "deepseek/deepseek-chat")
    assert chat["cost_per_call"] > 0
    assert any("retired on 2026-07-24" in w and "successor: deepseek/deepseek-flash" in w
               for w in chat["warnings"])


def test_decide_carries_the_retirement_warning(capsys) -> None:
    """Defect 5: decide shows the warning too (in the candidate's estimate in the record)."""
    assert main(["decide", "--example", "--json"]) in (0, 1)
    text = capsys.readouterr().out
    assert "retired on 2026-07-24" in text and "deepseek/deepseek-flash" in text


def test_prices_list_hides_retired_models_unless_all(capsys) -> None:
    """Defect 5: `prices list` shows what can be bought today; `--all` also lists retired ids."""
    assert main(["prices", "list", "--vendor", "deepseek", "--json"]) == 0
    ids = {m["id"] for m in json.loads(capsys.readouterr().out)["models"]}
    assert "deepseek/deepseek-flash" in ids and "deepseek/deepseek-chat" not in ids
    assert main(["prices", "list", "--vendor", "deepseek", "--all", "--json"]) == 0
    rows = {m["id"]: m for m in json.loads(capsys.readouterr().out)["models"]}
    assert rows["deepseek/deepseek-chat"]["successor"] == "deepseek/deepseek-flash"
    assert main(["prices", "list", "--vendor", "deepseek"]) == 0
    assert "retired models hidden (--all shows them)" in capsys.readouterr().out


def test_prices_show_lists_rate_limit_tiers_and_retirement(capsys) -> None:
    """Part 6 and defect 5: `prices show` prints the rate-limit table and the end-of-life note."""
    assert main(["prices", "show", "baidu/ernie-4.0-turbo-8k"]) == 0
    out = capsys.readouterr().out
    assert "rate limits:" in out and "tokens pack 100M" in out and "1,040,000" in out
    assert main(["prices", "show", "deepseek/deepseek-reasoner"]) == 0
    assert "successor: deepseek/deepseek-flash" in capsys.readouterr().out


# --- bad local price files --------------------------------------------------------------------

GOOD = """schema = "scopecard.prices/1"

[[models]]
id = "acme/ok"
currency = "USD"
input = 1.0
source = "contract"
verified_on = 2026-11-01

[[models]]
id = "acme/tiered"
currency = "CNY"
input = 1.0
output = 2.0
source = "contract"
verified_on = 2026-11-01
[[models.tiers]]
above_tokens = 32000
up_to_tokens = 128000
input = 2.0
output = 4.0
[[models.tiers]]
above_tokens = 128000
input = 3.0
output = 6.0
[[models.off_peak]]
start = "00:30"
end = "08:30"
tz = "Asia/Shanghai"
discount = 0.5
[[models.rate_limits]]
tier = "tier 1"
rpm = 60
"""


def _refusal(tmp_path: Path, text: str) -> InputError:
    local = tmp_path / "prices.local.toml"
    local.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_catalogue(local=local)
    assert err.value.file == str(local)
    return err.value


def test_good_local_file_loads(tmp_path: Path) -> None:
    """The baseline for the refusals below: tiers, an off-peak window and a rate limit load."""
    local = tmp_path / "prices.local.toml"
    local.write_text(GOOD, encoding="utf-8")
    row = load_catalogue(local=local).lookup("acme/tiered", READ_ON)
    assert row.tiers[0].up_to_tokens == 128_000 and row.off_peak[0].tz == "Asia/Shanghai"


def test_unknown_currency_is_refused(tmp_path: Path) -> None:
    """Bad input: a three-letter code that is no currency (XYZ) used to load and then fail at
    conversion time; now the file is refused at the row's line."""
    err = _refusal(tmp_path, GOOD.replace('currency = "USD"', 'currency = "XYZ"'))
    assert err.where == "line 3, models[0] (acme/ok).currency"
    assert "unknown currency 'XYZ'" in err.message and "ISO 4217" in err.message


def test_negative_price_is_refused(tmp_path: Path) -> None:
    """Bad input: a negative price names the line and field."""
    err = _refusal(tmp_path, GOOD.replace("input = 1.0\nsource", "input = -1.0\nsource", 1))
    assert err.where == "line 3, models[0] (acme/ok).input"


def test_overlapping_tiers_are_refused(tmp_path: Path) -> None:
    """Bad input: a tier that runs to 128k while the next starts above 64k overlaps it."""
    err = _refusal(tmp_path, GOOD.replace("above_tokens = 128000", "above_tokens = 64000"))
    assert err.where == "line 10, models[1] (acme/tiered)"
    assert "overlap" in err.message


def test_tier_gap_is_refused(tmp_path: Path) -> None:
    """Bad input: a tier ending at 128k followed by one starting above 200k leaves prompts of
    128,001 to 200,000 tokens without a price."""
    err = _refusal(tmp_path, GOOD.replace("above_tokens = 128000", "above_tokens = 200000"))
    assert err.where == "line 10, models[1] (acme/tiered)"
    assert "gap" in err.message and "128,001 to 200,000" in err.message


def test_duplicate_tier_start_is_refused(tmp_path: Path) -> None:
    """Bad input: two tiers starting at the same size (already held; kept as a regression)."""
    err = _refusal(tmp_path, GOOD.replace("above_tokens = 128000", "above_tokens = 32000"))
    assert "strictly ascending" in err.message


def test_off_peak_bad_time_zone_is_refused(tmp_path: Path) -> None:
    """Bad input: a window in a time zone that does not exist (Beijing/Time) was accepted."""
    err = _refusal(tmp_path, GOOD.replace('tz = "Asia/Shanghai"', 'tz = "Beijing/Time"'))
    assert err.where == "line 10, models[1] (acme/tiered).off_peak.0.tz"
    assert "unknown time zone 'Beijing/Time'" in err.message


def test_off_peak_impossible_hour_is_refused(tmp_path: Path) -> None:
    """Bad input: 25:00 matched the old HH:MM pattern."""
    err = _refusal(tmp_path, GOOD.replace('end = "08:30"', 'end = "25:00"'))
    assert err.where == "line 10, models[1] (acme/tiered).off_peak.0.end"


def test_rate_limit_tier_without_a_limit_is_refused(tmp_path: Path) -> None:
    """Part 6 validation: a tier must state at least one of rpm, tpm, concurrency."""
    err = _refusal(tmp_path, GOOD.replace("rpm = 60", 'source = "x"'))
    assert err.where == "line 10, models[1] (acme/tiered).rate_limits.0"
    assert "rpm, tpm, concurrency" in err.message


def test_retired_before_deprecated_is_refused(tmp_path: Path) -> None:
    """Defect 5 validation: a model cannot be retired before it was deprecated."""
    err = _refusal(tmp_path, GOOD.replace(
        'source = "contract"', 'deprecated_on = 2026-10-01\nretired_on = 2026-09-01\n'
        'source = "contract"', 1))
    assert "retired_on 2026-09-01 is before deprecated_on 2026-10-01" in err.message


def test_vendor_file_is_a_valid_catalogue_on_its_own() -> None:
    """The hand-maintained file validates by itself, so an edit is checked before seeding."""
    data = tomllib.loads(VENDOR_FILE.read_text(encoding="utf-8"))
    assert data["schema"] == "scopecard.prices/1" and len(data["models"]) >= 15


def test_all_models_table_leaves_out_retired_models_the_spec_does_not_name(capsys) -> None:
    """Defect 5: the all-models cost table offers what can be bought; a retired id appears only
    when the spec itself names it (so its own line still compares)."""
    assert main(["estimate", str(EXAMPLE), "--as-of", "2026-12-01", "--all-models", "--json"]) == 0
    ids = {c["model"] for c in json.loads(capsys.readouterr().out)["all_models"]}
    assert "deepseek/deepseek-chat" in ids and "deepseek/deepseek-flash" in ids
    assert "deepseek/deepseek-reasoner" not in ids and "deepseek/deepseek-v4-flash" not in ids


def test_kill_criterion_never_switches_to_a_retired_model(capsys):
    """The example's only other model that MEETS is deepseek/deepseek-chat, retired on
    2026-07-24: the cost kill criterion pauses instead of switching to it."""
    from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC

    assert main(["decide", str(EXAMPLE_SPEC), "--evals", str(EXAMPLE_EVALS), "--json"]) == 0
    kills = json.loads(capsys.readouterr().out)["kill_criteria"]
    cost = next(k for k in kills if k["metric"] == "cost_per_success")
    assert cost["action"] == "pause"
    assert "deepseek/deepseek-chat" not in cost["note"]
