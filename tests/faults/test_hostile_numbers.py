"""Fault catalogue, numbers (issue #14, defects 6, 12 and 15): every number that enters scopecard
is finite and in range, checked where it enters; a bad value exits 2 with a message naming the
field and what is allowed, without a traceback and without writing anything.

Spec and price-file cases run `scopecard estimate` (validation happens on load, so estimate
shows it as decide would); command-line values are refused by argparse, which exits 2 with a
usage line naming the option.
"""

from __future__ import annotations

import contextlib
import io
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimators.errors import InputError
from rubrics.economics import UNCERTAIN_FIELDS
from rubrics.spec import Spec, parse_spec
from tui.cli import main

BIG_INT = "9" * 400  # TOML reads it as a Python int; float() of it overflows


def short_id(value: object) -> str | None:
    """Test ids without 400 nines."""
    return "400-digit" if isinstance(value, str) and BIG_INT in value else None

SPEC = """\
schema = "scopecard.spec/1"
title = "Hostile numbers"
currency = "USD"

[load]
daily_active_users = 1000
tasks_per_user_per_day = 2
peak_factor = 3.0

[prompt]
system_tokens = 500
user_tokens = { low = 50, likely = 100, high = 200 }
output_tokens = 200

[value]
value_per_success = 0.5
loss_per_escape = 1.0

[costs]
one_time = 1000
monthly_fixed = 100

[quality]
bar = 0.9
confidence = 0.95

[constraints]
max_p95_latency_ms = 3000

[commit]
target_roi = 0.5
max_monthly_spend = 5000

[[candidates]]
model = "openai/gpt-4o-mini"
"""

KILL = """
[[kill_criteria]]
metric = "{metric}"
comparator = ">"
threshold = {threshold}
action = "pause"
"""

OVERRIDE = """
[[candidates]]
model = "{model}"
price = {{ input = {input}, output = 1.0{extra} }}
"""


def edit(old: str, new: str) -> str:
    assert old in SPEC, old
    return SPEC.replace(old, new, 1)


def run(args: list[str], ws: Path) -> tuple[int, str, str]:
    """Run the CLI in-process on workspace `ws`; argparse's exit becomes the return code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--workspace", str(ws), *args])
        except SystemExit as e:  # argparse refuses a bad option value with exit 2
            code = e.code if isinstance(e.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def assert_refused(code: int, err: str, *expected: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err, err
    for text in expected:
        assert text in err, err


def assert_nothing_written(ws: Path) -> None:
    decisions = ws / "decisions"
    assert not decisions.exists() or not any(decisions.iterdir())


def estimate_refuses(spec_text: str, tmp_path: Path, *expected: str) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(spec_text)
    ws = tmp_path / "ws"
    code, _, err = run(["estimate", str(spec)], ws)
    assert_refused(code, err, *expected)
    assert_nothing_written(ws)


# --- defect 6: NaN and infinity get through ------------------------------------------------------

@pytest.mark.parametrize("threshold", ["nan", "inf", "-inf", "1e308"])
def test_kill_threshold_must_be_finite_and_in_range(threshold: str, tmp_path: Path):
    """Defect 6: `threshold = nan` was stored as -inf and fired on every review; inf and 1e308
    wrote inf into the record, and show/export/brief crashed on it."""
    text = SPEC + KILL.format(metric="monthly_spend", threshold=threshold)
    estimate_refuses(text, tmp_path, "kill_criteria[0].threshold",
                     "(monthly_spend) must be between 0 and 1,000,000,000,000")


def test_kill_threshold_nan_writes_no_record(tmp_path: Path):
    """Defect 6: decide with a NaN kill threshold wrote a record; now it exits 2 first."""
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC + KILL.format(metric="monthly_spend", threshold="nan"))
    ws = tmp_path / "ws"
    code, _, err = run(["decide", str(spec)], ws)
    assert_refused(code, err, "kill_criteria[0].threshold", "got nan")
    assert_nothing_written(ws)


@pytest.mark.parametrize(("metric", "threshold", "allowed"), [
    ("pass_rate", "1.5", "must be between 0 and 1; got 1.5"),
    ("resolution_rate", "-0.1", "must be between 0 and 1; got -0.1"),
    ("p95_latency_ms", "0", "must be more than 0 and at most 86,400,000; got 0"),
    ("cost_per_success", "-1", "must be between 0 and 1,000,000,000,000; got -1"),
])
def test_kill_threshold_in_its_metrics_range(metric: str, threshold: str, allowed: str,
                                             tmp_path: Path):
    """Defect 6: a kill threshold outside what its metric can measure never (or always) fires."""
    text = SPEC + KILL.format(metric=metric, threshold=threshold)
    estimate_refuses(text, tmp_path, "kill_criteria[0].threshold", allowed, metric)


@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "1e7", BIG_INT], ids=short_id)
@pytest.mark.parametrize("field", ["input", "output", "cache_read", "request_fee"])
def test_price_override_is_finite_and_bounded(field: str, value: str, tmp_path: Path):
    """Defect 6 and 12: an infinite or 1e308 price wrote inf into the record (show, export and
    brief then crashed); a 400-digit one was a traceback."""
    extra = f", {field} = {value}" if field not in ("input", "output") else ""
    text = SPEC + OVERRIDE.format(model="acme/self-hosted", input=value if field == "input"
                                  else "1.0", extra=extra)
    if field == "output":
        text = text.replace("output = 1.0", f"output = {value}")
    estimate_refuses(text, tmp_path, f"candidates[1].price.{field}", "must be between 0 and ")


@pytest.mark.parametrize(("old", "new", "where"), [
    ("daily_active_users = 1000", "daily_active_users = inf", "load.daily_active_users"),
    ("peak_factor = 3.0", "peak_factor = nan", "load.peak_factor"),
    ("{ low = 50, likely = 100, high = 200 }", "{ low = 50, likely = nan, high = 200 }",
     "prompt.user_tokens"),
    ("{ low = 50, likely = 100, high = 200 }", "{ low = -inf, likely = 100, high = 200 }",
     "prompt.user_tokens"),
    ("{ low = 50, likely = 100, high = 200 }", "{ low = 50, likely = 100, high = inf }",
     "prompt.user_tokens"),
    ("bar = 0.9", "bar = nan", "quality.bar"),
    ("confidence = 0.95", "confidence = inf", "quality.confidence"),
    ("max_p95_latency_ms = 3000", "max_p95_latency_ms = inf", "constraints.max_p95_latency_ms"),
    ("max_monthly_spend = 5000", "max_monthly_spend = inf", "commit.max_monthly_spend"),
    ("max_monthly_spend = 5000", "max_monthly_spend = 1e308", "commit.max_monthly_spend"),
    ("target_roi = 0.5", "target_roi = nan", "commit.target_roi"),
    ("[constraints]", "[quality.difficulty_bars]\nhard = nan\n[constraints]",
     "quality.difficulty_bars.hard"),
])
def test_spec_numbers_are_finite(old: str, new: str, where: str, tmp_path: Path):
    """Defect 6: every float field of the spec, ranges included, refuses nan and ±inf and says
    what is allowed."""
    estimate_refuses(edit(old, new), tmp_path, where, "must be ")


PRICES_LOCAL = """\
schema = "scopecard.prices/1"

[[models]]
id = "acme/local"
currency = "USD"
input = {input}
output = 1.0
source = "our GPU cluster"
verified_on = 2026-01-01
"""

FX_LOCAL = """\
schema = "scopecard.prices/1"

[[fx]]
base = "USD"
quote = "EUR"
rate = {rate}
date = 2026-01-01
source = "treasury"
"""


@pytest.mark.parametrize(("text", "where"), [
    (PRICES_LOCAL.format(input="inf"), "models[0] (acme/local).input"),
    (PRICES_LOCAL.format(input="nan"), "models[0] (acme/local).input"),
    (PRICES_LOCAL.format(input="1e308"), "models[0] (acme/local).input"),
    (PRICES_LOCAL.format(input=BIG_INT), "models[0] (acme/local).input"),
    (FX_LOCAL.format(rate="inf"), "fx.0.rate"),
    (FX_LOCAL.format(rate="nan"), "fx.0.rate"),
    (FX_LOCAL.format(rate="1e-300"), "fx.0.rate"),
], ids=["price-inf", "price-nan", "price-1e308", "price-400-digit", "fx-inf", "fx-nan",
        "fx-1e-300"])
def test_local_price_and_fx_rows_are_finite(text: str, where: str, tmp_path: Path):
    """Defect 6: prices.local.toml rows and FX rows refuse nan, ±inf, 1e308 and rates whose
    inverse overflows."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "prices.local.toml").write_text(text)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    code, _, err = run(["estimate", str(spec)], ws)
    assert_refused(code, err, "prices.local.toml", where, "must be ")


@pytest.mark.parametrize(("actual", "allowed"), [
    ("monthly_spend=inf", "must be >= 0"),
    ("monthly_cost=nan", "must be >= 0"),
    ("cost_per_success=1e308", "<= 1e+12"),
    ("pass_rate=1.5", "must be >= 0 and <= 1"),
    ("p95_latency_ms=-3", "must be > 0"),
    (f"monthly_spend={BIG_INT}", "must be >= 0"),
], ids=short_id)
def test_typed_actuals_are_finite_and_in_range(actual: str, allowed: str, tmp_path: Path):
    """Defect 6: --actual values are checked against their metric's range before any review."""
    ws = tmp_path / "ws"
    code, _, err = run(["review", "2026-01-01-any", "--actual", actual], ws)
    assert_refused(code, err, actual.split("=")[0], allowed)
    assert not ws.exists()


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", BIG_INT], ids=short_id)
def test_actuals_file_values_are_finite(value: str, tmp_path: Path):
    """Defect 6 and 12: --actuals FILE values: nan/inf/1e308 refused, and a 400-digit integer
    (float() overflows) is refused instead of a traceback."""
    actuals = tmp_path / "actuals.toml"
    actuals.write_text(f"monthly_spend = {value}\n")
    ws = tmp_path / "ws"
    code, _, err = run(["review", "2026-01-01-any", "--actuals", str(actuals)], ws)
    assert_refused(code, err, "monthly_spend", "must be >= 0")
    assert not ws.exists()


def test_derived_kill_thresholds_stay_finite(tmp_path: Path):
    """Defect 6: with no traffic the affordable cost per success is -inf; the record got
    threshold = "-inf" and show, export --format md and brief crashed on it."""
    spec = tmp_path / "spec.toml"
    spec.write_text(edit("daily_active_users = 1000", "daily_active_users = 0")
                    .replace("[quality]", '[quality]\nsuite = "hostile"'))
    evals = tmp_path / "evals.csv"
    evals.write_text("case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp\n"
                     + "".join(f"c{i},hostile,openai/gpt-4o-mini,openai,easy,single,true,,r1,"
                               f"2026-01-01T00:00:00Z\n" for i in range(60)))
    ws = tmp_path / "ws"
    code, _, err = run(["decide", str(spec), "--evals", str(evals)], ws)
    assert code == 0, err
    (record,) = (ws / "decisions").glob("*/decision.toml")
    kills = tomllib.loads(record.read_text())["kill_criteria"]
    assert kills and all(isinstance(k["threshold"], float) and math.isfinite(k["threshold"])
                         for k in kills)
    record_id = record.parent.name
    for args in (["show", record_id], ["export", record_id, "--format", "md"],
                 ["brief", record_id, "--for", "business"]):
        code, _, err = run(args, ws)
        assert code == 0, (args, err)


# --- defect 12: other tracebacks instead of exit 2 ---------------------------------------------

@pytest.mark.parametrize(("old", "new", "where"), [
    ("monthly_fixed = 100", f"monthly_fixed = {BIG_INT}", "costs.monthly_fixed"),
    ("daily_active_users = 1000", f"daily_active_users = {BIG_INT}", "load.daily_active_users"),
    ("{ low = 50, likely = 100, high = 200 }", f"{{ low = 50, likely = 100, high = {BIG_INT} }}",
     "prompt.user_tokens"),
    ("bar = 0.9", f"bar = {BIG_INT}", "quality.bar"),
    ("[commit]", f"[commit]\nreview_after_days = {BIG_INT}", "commit.review_after_days"),
], ids=short_id)
def test_a_400_digit_integer_is_refused(old: str, new: str, where: str, tmp_path: Path):
    """Defect 12: a 400-digit integer in a spec was an OverflowError traceback."""
    estimate_refuses(edit(old, new), tmp_path, where)


def test_model_id_with_a_hash_and_a_price_override(tmp_path: Path):
    """Defect 12: `acme/model#2` with a price override passed the spec and then crashed when its
    price row was built (the catalogue's id pattern refuses '#'); the spec now states the
    pattern."""
    text = SPEC + OVERRIDE.format(model="acme/model#2", input="1.0", extra="")
    estimate_refuses(text, tmp_path, "candidates[1].model", "acme/model#2", "vendor/model")


def test_model_id_allowed_characters_still_work(tmp_path: Path):
    """Defect 12: the pattern admits the ids hosts use (dots, colons, @, +)."""
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC + OVERRIDE.format(model="acme/llama-3.1:8b@q4+ft", input="0.1",
                                           extra=""))
    code, out, err = run(["estimate", str(spec)], tmp_path / "ws")
    assert code == 0, err
    assert "acme/llama-3.1:8b@q4+ft" in out


@pytest.mark.parametrize(("args", "option"), [
    (["decide", "SPEC", "--seed", "-1"], "--seed"),
    (["decide", "SPEC", "--seed", str(2**64)], "--seed"),
    (["decide", "SPEC", "--seed", "1.5"], "--seed"),
    (["review", "--all", "--as-of", "9999-12-31"], "--as-of"),
    (["review", "--all", "--as-of", "0001-01-01"], "--as-of"),
    (["review", "--all", "--as-of", "tomorrow"], "--as-of"),
    (["estimate", "SPEC", "--as-of", "9999-12-31"], "--as-of"),
    (["list", "--due", "--as-of", "9999-12-31"], "--as-of"),
    (["prices", "list", "--as-of", "9999-12-31"], "--as-of"),
    (["evals", "show", "--confidence", "1"], "--confidence"),
    (["evals", "show", "--confidence", "1.5"], "--confidence"),
    (["evals", "show", "--confidence", "0"], "--confidence"),
    (["evals", "show", "--confidence", "nan"], "--confidence"),
    (["evals", "show", "--bar", "nan"], "--bar"),
    (["evals", "show", "--bar", "1.5"], "--bar"),
    (["evals", "show", "--bar", "inf"], "--bar"),
    (["prices", "refresh", "--from", "http://127.0.0.1:9/x", "--timeout", "-1"], "--timeout"),
    (["prices", "refresh", "--from", "http://127.0.0.1:9/x", "--timeout", "0"], "--timeout"),
    (["prices", "refresh", "--from", "http://127.0.0.1:9/x", "--timeout", "nan"], "--timeout"),
    (["prices", "refresh", "--from", "http://127.0.0.1:9/x", "--timeout", "inf"], "--timeout"),
    (["prices", "refresh", "--from", "http://127.0.0.1:9/x", "--timeout", "1e300"], "--timeout"),
    (["evals", "run", "SPEC", "--model", "acme/x", "--base-url", "http://127.0.0.1:9/v1",
      "--timeout", "inf"], "--timeout"),
    (["evals", "run", "SPEC", "--model", "acme/x", "--base-url", "http://127.0.0.1:9/v1",
      "--timeout", "nan"], "--timeout"),
])
def test_bad_command_line_values_exit_2(args: list[str], option: str, tmp_path: Path):
    """Defect 12: --seed -1, review --as-of 9999-12-31, evals show --confidence 1 / 1.5 and
    prices refresh --timeout -1 | nan | inf were tracebacks; --bar nan and --confidence 0 were
    accepted. Each is now refused by argparse, naming the option and what is allowed."""
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    ws = tmp_path / "ws"
    code, out, err = run([str(spec) if a == "SPEC" else a for a in args], ws)
    assert_refused(code, err, f"argument {option}")
    assert not out
    assert not ws.exists()


@pytest.mark.parametrize(("args", "expected"), [
    (["evals", "show", "--bar", "0", "--confidence", "0.5"], "no results stored"),
    (["evals", "show", "--bar", "1", "--confidence", "0.999"], "no results stored"),
    (["list", "--due", "--as-of", "2199-12-31"], "no records"),
])
def test_edge_values_that_make_sense_are_accepted(args: list[str], expected: str,
                                                  tmp_path: Path):
    """Defect 12: the new bounds keep the ends that mean something."""
    code, out, err = run(args, tmp_path / "ws")
    assert code == 0, err
    assert expected in out


# --- defect 15: negative zero -------------------------------------------------------------------

def test_negative_zero_never_prints_as_minus_zero(tmp_path: Path):
    """Defect 15: `daily_active_users = -0.0` printed `-0 tasks/month`."""
    spec = tmp_path / "spec.toml"
    spec.write_text(edit("daily_active_users = 1000", "daily_active_users = -0.0"))
    code, out, err = run(["estimate", str(spec)], tmp_path / "ws")
    assert code == 0, err
    assert "0 tasks/month" in out
    assert "-0 " not in out and "-0." not in out


# --- property: any float in any numeric field -------------------------------------------------

FLOAT_FIELDS = sorted({*UNCERTAIN_FIELDS, "quality.bar", "quality.confidence",
                       "quality.difficulty_bars.easy", "constraints.max_p95_latency_ms",
                       "commit.target_roi", "commit.max_monthly_spend",
                       "alternatives.rules_coverage", "alternatives.rules_one_time",
                       "alternatives.rules_monthly", "alternatives.embedding_coverage",
                       "candidates.price.input", "candidates.price.output",
                       "candidates.price.cache_read", "candidates.price.cache_write",
                       "candidates.price.request_fee", "kill_criteria.threshold"})
HOSTILE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, -0.0, 5e-324, 2.2e-308]),
    st.integers(min_value=-(10**400), max_value=10**400),
)


def with_value(path: str, value: Any, as_range: bool) -> dict[str, Any]:
    """The base spec with `value` at `path`, as a point or as every end of a range."""
    doc = tomllib.loads(SPEC)
    doc["candidates"][0]["price"] = {"input": 1.0, "output": 1.0}
    doc["kill_criteria"] = [{"metric": "monthly_spend", "comparator": ">", "threshold": 1.0,
                             "action": "pause"}]
    *parents, leaf = path.split(".")
    node: Any = doc
    for key in parents:
        node = node.setdefault(key, {}) if not isinstance(node.get(key), list) else node[key][0]
    node[leaf] = {"low": value, "likely": value, "high": value} if as_range else value
    return doc


def numbers_in(data: Any) -> list[float]:
    if isinstance(data, dict):
        return [x for v in data.values() for x in numbers_in(v)]
    if isinstance(data, list):
        return [x for v in data for x in numbers_in(v)]
    return [float(data)] if isinstance(data, (int, float)) and not isinstance(data, bool) else []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FLOAT_FIELDS), HOSTILE, st.booleans())
def test_any_float_in_any_numeric_field_gives_a_spec_or_an_input_error(field: str, value: Any,
                                                                       as_range: bool):
    """Defects 6, 12 and 15: any float (nan, ±inf, 1e308, -0.0, subnormals) or any integer in any
    numeric spec field gives a valid Spec or an InputError, never another exception; a valid
    Spec holds only finite numbers and no negative zero."""
    as_range = as_range and field in UNCERTAIN_FIELDS
    doc = with_value(field, value, as_range)
    try:
        text = tomli_w.dumps(doc)
    except (ValueError, OverflowError):
        return  # tomli-w cannot write it: no TOML file can hold it either
    try:
        spec = parse_spec(text, "prop.toml")
    except InputError:
        return
    assert isinstance(spec, Spec)
    for x in numbers_in(spec.model_dump()):
        assert math.isfinite(x), (field, value)
        assert not (x == 0 and math.copysign(1, x) < 0), (field, value)
