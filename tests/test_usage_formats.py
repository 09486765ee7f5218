"""Usage exports: each documented format to rows (numbers checked by hand), page joins, bad
input, secrets, the model map, and a plain-CSV round trip."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimators.errors import InputError
from estimators.prices import load_catalogue
from rubrics.usage.formats import PLAIN_COLUMNS, read_usage, sniff
from rubrics.usage.model_map import check_mapped, load_model_map, map_models
from rubrics.usage.rows import UsageRow

FIX = Path(__file__).parent / "fixtures" / "usage"
UTC = dt.UTC
NOV1 = dt.datetime(2024, 11, 1, tzinfo=UTC)


def _copy(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        shutil.copy(FIX / name, tmp_path / name)
        out.append(tmp_path / name)
    return out


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return path


def _openai_page() -> dict:
    return json.loads((FIX / "openai_usage_page2.json").read_text())


# ---- each format -------------------------------------------------------------------------------

def test_openai_usage_pages_join_and_keep_openai_input_convention():
    s = read_usage([FIX / "openai_usage_page1.json", FIX / "openai_usage_page2.json"])
    assert s.warnings == []
    assert [(r.start, r.model, r.requests, r.input_tokens, r.cached_input_tokens, r.output_tokens)
            for r in s.rows] == [
        (NOV1, "gpt-4o-mini-2024-07-18", 5, 1000, 800, 500),
        (NOV1, "gpt-4o-2024-08-06", 3, 2400, 0, 300),
        (NOV1 + dt.timedelta(days=1), "gpt-4o-mini-2024-07-18", 2, 700, 100, 120),
        (NOV1 + dt.timedelta(days=2), "gpt-4o-mini-2024-07-18", 4, 900, 450, 90),
    ]
    first = s.rows[0]
    assert first.end == NOV1 + dt.timedelta(days=1) and first.start.tzinfo is UTC
    assert (first.project, first.api_key_id, first.cost, first.currency) == \
        ("proj_abc", "key_abc", None, None)
    assert (first.format, first.locator) == ("openai-usage", "data[0].results[0]")
    assert s.rows[3].variant == "batch"


def test_openai_costs_amounts_and_upper_case_currency():
    s = read_usage([FIX / "openai_costs.json"])
    assert [(c.amount, c.currency, c.project, c.line_item) for c in s.costs] == [
        (0.06, "USD", "proj_abc", "gpt-4o-mini-2024-07-18, input"),
        (0.0003, "USD", "proj_abc", "gpt-4o-mini-2024-07-18, output")]
    assert s.rows == []


def test_anthropic_usage_adds_uncached_cache_reads_and_writes_into_input():
    (row,) = read_usage([FIX / "anthropic_usage.json"]).rows
    # 1500 uncached + 200 cache reads + (1000 + 500) cache writes = 3200 input tokens
    assert (row.input_tokens, row.cached_input_tokens, row.cache_write_tokens) == (3200, 200, 1500)
    assert (row.output_tokens, row.requests, row.project) == \
        (500, None, "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")
    assert row.start == dt.datetime(2025, 1, 8, tzinfo=UTC)
    assert row.variant == "standard,0-200k"


def test_anthropic_cost_amount_is_cents_as_text():
    (cost,) = read_usage([FIX / "anthropic_cost.json"]).costs
    assert cost.amount == pytest.approx(1.2378912)  # "123.78912" cents
    assert (cost.currency, cost.model) == ("USD", "claude-sonnet-4-5-20250929")


def test_litellm_json_rows_are_requests_with_cache_and_tags():
    a, b = read_usage([FIX / "litellm_spend_logs.json"]).rows
    assert (a.requests, a.input_tokens, a.cached_input_tokens, a.output_tokens) == (1, 250, 128, 60)
    assert (a.cost, a.currency, a.project) == (0.000165, "USD", "team-support")
    assert a.tag == "jobID:214590dsff09fds,taskName:run_page_classification"
    assert a.start == dt.datetime(2024, 5, 10, 12, 34, 56, 789000, tzinfo=UTC)
    assert (b.model, b.project, b.tag, b.cached_input_tokens) == ("my-gw-alias", None, None, 0)


def test_litellm_csv_naive_times_are_utc_and_json_columns_parse():
    a, b = read_usage([FIX / "litellm_spend_logs.csv"]).rows
    assert a.start == dt.datetime(2024, 5, 11, 9, tzinfo=UTC)
    assert (a.input_tokens, a.cached_input_tokens, a.cache_write_tokens, a.output_tokens) == \
        (600, 300, 200, 100)
    assert (a.tag, a.project, a.cost, a.locator) == ("prod", "team-search", 0.00042, "row 2")
    assert (b.cost, b.input_tokens) == (0.0, 0)


def test_plain_csv_rows():
    s = read_usage([FIX / "plain.csv"])
    a, b, c = s.rows
    assert (a.start, a.end) == (dt.datetime(2026, 11, 1, tzinfo=UTC), dt.datetime(2026, 11, 2, tzinfo=UTC))
    assert (a.model, a.requests, a.input_tokens, a.cached_input_tokens, a.output_tokens) == \
        ("deepseek-v4-flash", 1200, 3_400_000, 1_200_000, 560_000)
    assert (a.cost, a.currency, a.tag) == (9.85, "CNY", "support")
    assert (b.cost, b.currency, b.tag) == (None, None, None)
    assert c.locator == "row 4"


def test_sniff_names_each_format():
    names = {p.name: sniff(p, p.read_bytes()) for p in FIX.iterdir() if p.suffix != ".md"}
    assert names == {
        "openai_usage_page1.json": "openai-usage", "openai_usage_page2.json": "openai-usage",
        "openai_costs.json": "openai-costs", "anthropic_usage.json": "anthropic-usage",
        "anthropic_cost.json": "anthropic-costs", "litellm_spend_logs.json": "litellm-json",
        "litellm_spend_logs.csv": "litellm-csv", "plain.csv": "plain-csv",
        # a month for the example's model (tests/test_usage_loop.py)
        "openai_month_page1.json": "openai-usage", "openai_month_page2.json": "openai-usage",
        "litellm_month.csv": "litellm-csv",
        # costs of a month for the Costs-API review tests (tests/test_usage_kill.py)
        "openai_costs_month.json": "openai-costs"}


# ---- pages ----------------------------------------------------------------------------------------

def test_missing_next_page_is_a_warning():
    s = read_usage([FIX / "openai_usage_page1.json"])
    (warning,) = s.warnings
    assert "page missing" in warning and "2024-11-03T00:00:00Z" in warning
    assert len(s.rows) == 3


def test_the_same_page_twice_names_both_files(tmp_path):
    a = _copy(tmp_path, "openai_usage_page1.json")[0]
    b = tmp_path / "again.json"
    shutil.copy(a, b)
    with pytest.raises(InputError) as e:
        read_usage([a, b])
    assert str(a) in str(e.value) and str(b) in str(e.value)


def test_overlapping_buckets_across_files_name_both(tmp_path):
    """A day given in two pages (different cursors) is a double import, refused."""
    doc = _openai_page()
    doc["data"][0]["start_time"] -= 3600  # overlaps page 1's last bucket by an hour
    doc["data"][0]["results"][0]["batch"] = None
    first = _copy(tmp_path, "openai_usage_page1.json")[0]
    other = _write(tmp_path / "shifted.json", doc)
    with pytest.raises(InputError, match="imported twice") as e:
        read_usage([first, other])
    assert str(first) in str(e.value) and str(other) in str(e.value)
    assert "gpt-4o-mini-2024-07-18" in str(e.value)


def test_plain_csv_same_day_twice_is_refused(tmp_path):
    text = (FIX / "plain.csv").read_text()
    p = _write(tmp_path / "u.csv", text + text.splitlines()[1] + "\n")
    with pytest.raises(InputError, match="imported twice") as e:
        read_usage([p])
    assert e.value.where in ("row 2", "row 5")


def test_litellm_request_imported_twice(tmp_path):
    a = _copy(tmp_path, "litellm_spend_logs.json")[0]
    b = tmp_path / "copy.json"
    shutil.copy(a, b)
    with pytest.raises(InputError, match="imported twice") as e:
        read_usage([a, b])
    assert e.value.file == str(b) and str(a) in e.value.message


# ---- bad input ------------------------------------------------------------------------------------

def test_unknown_shape(tmp_path):
    p = _write(tmp_path / "x.json", {"rows": []})
    with pytest.raises(InputError, match="unknown usage file shape") as e:
        read_usage([p])
    assert e.value.file == str(p)
    q = _write(tmp_path / "x.csv", "day,tokens\n1,2\n")
    with pytest.raises(InputError, match="unknown usage file shape"):
        read_usage([q])


def test_negative_count_in_json_names_the_field(tmp_path):
    doc = _openai_page()
    doc["data"][0]["results"][0]["input_tokens"] = -5
    with pytest.raises(InputError, match="whole number") as e:
        read_usage([_write(tmp_path / "p.json", doc)])
    assert e.value.where == "data[0].results[0].input_tokens"


def test_negative_count_in_csv_names_the_row(tmp_path):
    p = _write(tmp_path / "u.csv", ",".join(PLAIN_COLUMNS) + "\n"
               "2026-11-01,m,1,10,0,5,0.1,USD\n2026-11-02,m,1,-10,0,5,0.1,USD\n")
    with pytest.raises(InputError, match="input_tokens must be a whole number") as e:
        read_usage([p])
    assert (e.value.file, e.value.where) == (str(p), "row 3")


@pytest.mark.parametrize("cost", ["nan", "inf", "-1", "1_0", "abc"])
def test_cost_must_be_finite(tmp_path, cost):
    p = _write(tmp_path / "u.csv", ",".join(PLAIN_COLUMNS) + f"\n2026-11-01,m,1,10,0,5,{cost},USD\n")
    with pytest.raises(InputError, match="cost must be a finite number"):
        read_usage([p])


def test_currency_the_catalogue_cannot_convert(tmp_path):
    p = _write(tmp_path / "u.csv", ",".join(PLAIN_COLUMNS) + "\n2026-11-01,m,1,10,0,5,1.5,XYZ\n")
    with pytest.raises(InputError, match="currency 'XYZ' cannot be converted") as e:
        read_usage([p])
    assert e.value.where == "row 2"
    doc = json.loads((FIX / "openai_costs.json").read_text())
    doc["data"][0]["results"][0]["amount"]["currency"] = "zzz"
    with pytest.raises(InputError, match="cannot be converted") as e:
        read_usage([_write(tmp_path / "c.json", doc)])
    assert e.value.where == "data[0].results[0].amount.currency"


@pytest.mark.parametrize("day", ["2026-13-01", "2026-11-1", "01/11/2026", "2026-11-01T00:00"])
def test_dates_are_strict(tmp_path, day):
    p = _write(tmp_path / "u.csv", ",".join(PLAIN_COLUMNS) + f"\n{day},m,1,10,0,5,,\n")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        read_usage([p])


def test_anthropic_timestamp_without_zone_is_refused(tmp_path):
    doc = json.loads((FIX / "anthropic_usage.json").read_text())
    doc["data"][0]["starting_at"] = "2025-01-08T00:00:00"
    with pytest.raises(InputError, match="RFC 3339") as e:
        read_usage([_write(tmp_path / "a.json", doc)])
    assert e.value.where == "data[0].starting_at"


def test_cached_more_than_input_is_refused(tmp_path):
    doc = _openai_page()
    doc["data"][0]["results"][0]["input_cached_tokens"] = 901
    with pytest.raises(InputError, match="exceed all input"):
        read_usage([_write(tmp_path / "p.json", doc)])


def test_plain_csv_header_is_checked(tmp_path):
    p = _write(tmp_path / "u.csv", "date,model,requests\n2026-11-01,m,1\n")
    with pytest.raises(InputError, match="header lacks input_tokens") as e:
        read_usage([p])
    assert e.value.where == "row 1"
    q = _write(tmp_path / "v.csv", ",".join(PLAIN_COLUMNS) + ",colour\n")
    with pytest.raises(InputError, match="unknown column colour"):
        read_usage([q])


def test_a_bad_file_among_good_ones_imports_nothing(tmp_path):
    bad = _write(tmp_path / "bad.json", "{not json")
    with pytest.raises(InputError, match="JSON syntax error") as e:
        read_usage([FIX / "plain.csv", bad])
    assert (e.value.file, e.value.where) == (str(bad), "line 1, column 2")


def test_oversized_and_special_files_are_refused(tmp_path, monkeypatch):
    import rubrics.usage.formats as formats

    monkeypatch.setattr(formats, "MAX_USAGE_BYTES", 10)
    with pytest.raises(InputError, match="limit"):
        read_usage([FIX / "plain.csv"])
    with pytest.raises(InputError, match="folder"):
        read_usage([tmp_path])


# ---- secrets --------------------------------------------------------------------------------------

def test_api_key_in_a_file_is_refused_and_never_echoed(tmp_path):
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8" * 3
    doc = json.loads((FIX / "litellm_spend_logs.json").read_text())
    doc[1]["metadata"] = {"user_api_key": key}
    with pytest.raises(InputError) as e:
        read_usage([_write(tmp_path / "l.json", doc)])
    assert key not in str(e.value) and "sk-proj" not in str(e.value)
    assert e.value.where == "[1].metadata.user_api_key"
    assert "API key" in e.value.message


def test_api_key_in_a_csv_names_row_and_column(tmp_path):
    key = "sk-ant-api03-" + "x" * 40
    p = _write(tmp_path / "u.csv", ",".join(PLAIN_COLUMNS) + ",tag\n"
               f"2026-11-01,m,1,10,0,5,,,{key}\n")
    with pytest.raises(InputError) as e:
        read_usage([p])
    assert key not in str(e.value)
    assert e.value.where == "row 2, tag"


# ---- model map ------------------------------------------------------------------------------------

def test_model_names_map_by_id_unique_part_snapshot_date_and_user_map(tmp_path):
    catalogue = load_catalogue()
    user = _write(tmp_path / "map.toml", '[models]\n"my-gw-alias" = "deepseek/deepseek-flash"\n')
    m = map_models(["gpt-4o-mini-2024-07-18", "claude-sonnet-4-5-20250929", "openai/gpt-4.1",
                    "azure/gpt-4o", "my-gw-alias", "glm-4.5-air", "llama-in-house"],
                   catalogue, load_model_map(user, catalogue.model_ids()))
    assert m.mapped == {"gpt-4o-mini-2024-07-18": "openai/gpt-4o-mini",
                        "claude-sonnet-4-5-20250929": "anthropic/claude-sonnet-4-5",
                        "openai/gpt-4.1": "openai/gpt-4.1", "azure/gpt-4o": "openai/gpt-4o",
                        "my-gw-alias": "deepseek/deepseek-flash"}
    assert m.unmapped == ["glm-4.5-air", "llama-in-house"]  # two vendors; unknown
    assert "zai/glm-4.5-air, zhipu/glm-4.5-air" in m.reasons["glm-4.5-air"]


def test_close_but_unknown_name_is_not_guessed():
    m = map_models(["gpt-4o-mini-turbo", "gpt4o"], load_catalogue())
    assert m.mapped == {} and m.unmapped == ["gpt-4o-mini-turbo", "gpt4o"]


def test_a_model_that_maps_to_nothing_names_file_and_row():
    s = read_usage([FIX / "litellm_spend_logs.json"])
    m = map_models((r.model for r in s.rows), load_catalogue())
    with pytest.raises(InputError, match="my-gw-alias") as e:
        check_mapped(s.rows, m)
    assert (e.value.file, e.value.where) == (str(FIX / "litellm_spend_logs.json"), "[1]")


def test_model_map_target_must_be_in_the_catalogue(tmp_path):
    p = _write(tmp_path / "map.toml", '[models]\n"x" = "acme/nothing"\n')
    with pytest.raises(InputError, match="no catalogue id") as e:
        load_model_map(p, load_catalogue().model_ids())
    assert e.value.where == "models.x"


# ---- round trip -----------------------------------------------------------------------------------

_counts = st.integers(min_value=0, max_value=10**12)
_plain_rows = st.lists(st.tuples(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.sampled_from(["gpt-4o", "deepseek-v4-flash", "qwen-plus", "豆包-pro"]),
    _counts, _counts, _counts, _counts,
    st.one_of(st.none(), st.floats(min_value=0, max_value=1e9, allow_nan=False)),
    st.sampled_from(["USD", "CNY", "EUR"]),
    st.one_of(st.none(), st.text(alphabet="abc,\"\n -", min_size=1, max_size=8))),
    max_size=8, unique_by=lambda r: (r[0], r[1], r[8]))


@settings(max_examples=60, deadline=None)
@given(_plain_rows)
def test_plain_csv_round_trip(tmp_path_factory, rows):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([*PLAIN_COLUMNS, "tag"])
    for day, model, req, total, cached, out, cost, cur, tag in rows:
        cached = min(cached, total)
        w.writerow([day.isoformat(), model, req, total, cached, out,
                    "" if cost is None else repr(cost), "" if cost is None else cur, tag or ""])
    path = tmp_path_factory.mktemp("rt") / "u.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    got = read_usage([path]).rows
    assert [(r.start.date(), r.model, r.requests, r.input_tokens, r.cached_input_tokens,
             r.output_tokens, r.cost, r.currency, r.tag) for r in got] == [
        (day, model, req, total, min(cached, total), out, cost, None if cost is None else cur, tag)
        for day, model, req, total, cached, out, cost, cur, tag in rows]
    assert all(isinstance(r, UsageRow) for r in got)
