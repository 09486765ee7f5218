"""Issue #19 part 4, "A portfolio": committed vs actual spend by vendor, flagged decisions,
overdue reviews, the calibration table, and the calibration hint on `estimate`.

The workspace: three accepted decisions made from the bundled example (two on
openai/gpt-4o-mini, one on deepseek/deepseek-chat), each linked by tag to one month of plain-CSV
usage whose calls, output tokens and cost are set as chosen multiples of its forecast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from rubrics.portfolio import Spread, calibration_hints
from tests.faults.test_hostile_zhoutput import english_runs
from tui.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "rubrics" / "data" / "examples"
CANDIDATES = re.compile(r"(\[\[candidates\]\]\nmodel = \"[^\"]+\"\n)+")
# tag -> (title, model, review_after_days, calls x, output tokens per call x, cost in USD)
DECISIONS = {
    "a": ("Portfolio A", "openai/gpt-4o-mini", 90, 1.0, 1.2, 50.0),
    "b": ("Portfolio B", "deepseek/deepseek-chat", 90, 0.5, 1.4, 20.0),
    "c": ("Portfolio C", "openai/gpt-4o-mini", 1, 2.0, 1.6, 30.0),
}


def _spec(folder: Path, tag: str) -> Path:
    """The bundled example with one candidate, its own title and review interval."""
    title, model, days, *_ = DECISIONS[tag]
    text = (EXAMPLES / "support-faq.toml").read_text(encoding="utf-8")
    text = text.replace('title = "Support FAQ answers"', f'title = "{title}"')
    text = CANDIDATES.sub(f'[[candidates]]\nmodel = "{model}"\n', text)
    text = text.replace("review_after_days = 90", f"review_after_days = {days}")
    path = folder / f"{tag}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _quiet(*argv: str) -> str:
    """Run a command; its standard output."""
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert main(list(argv)) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, tiktoken_cache: Path
          ) -> tuple[Path, dict[str, str], dt.date]:
    """The three-decision workspace (built once): its folder, ids by tag and the portfolio
    date (the day after C's review fell due, so only C is overdue)."""
    root = tmp_path_factory.mktemp("portfolio")
    ws, specs = root / "ws", root / "specs"
    specs.mkdir()
    for name in ("support-faq-system.md", "support-faq-results.csv"):
        shutil.copy(EXAMPLES / name, specs / name)
    with pytest.MonkeyPatch.context() as mp:  # the isolation of conftest, for this module
        mp.setenv("SCOPECARD_HOME", str(ws))
        mp.setenv("TIKTOKEN_CACHE_DIR", str(tiktoken_cache))
        mp.setenv("HOME", str(root / "user"))
        return _build(root, specs)


def _build(root: Path, specs: Path) -> tuple[Path, dict[str, str], dt.date]:
    records: dict[str, dict] = {}
    ids: dict[str, str] = {}
    for tag in DECISIONS:
        argv = ["decide", str(_spec(specs, tag)), "--json"]
        if not ids:
            argv += ["--evals", str(specs / "support-faq-results.csv")]
        records[tag] = json.loads(_quiet(*argv))
        ids[tag] = Path(records[tag]["path"]).parent.name
        _quiet("accept", ids[tag])
    due_c = dt.date.fromisoformat(records["c"]["review_due"])
    as_of = due_c + dt.timedelta(days=1)
    month = (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    rows = ["date,model,requests,input_tokens,cached_input_tokens,output_tokens,cost,currency,"
            "tag"]
    for tag, (_, model, _, calls_x, out_x, cost) in DECISIONS.items():
        out = records[tag]["outputs"]
        chosen = next(c for c in out["candidates"] if c["model"] == model)
        calls = round(out["load"]["calls_per_month"] * calls_x)
        inputs = round(calls * chosen["input_tokens_per_call"])
        outputs = round(calls * chosen["output_tokens_per_call"] * out_x)
        rows.append(f"{month},{model},{calls},{inputs},0,{outputs},{cost},USD,{tag}")
    usage = root / "usage.csv"
    usage.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _quiet("usage", "import", str(usage))
    for tag in ids:
        _quiet("usage", "link", ids[tag], "--tag", tag)
    # A's latest review raises a flag (a spend criterion fires on a typed actual)
    _quiet("review", ids["a"], "--actual", "monthly_spend=9000", "--as-of", as_of.isoformat())
    (root / "records.json").write_text(json.dumps(records))
    return root / "ws", ids, as_of


@pytest.fixture
def workspace(built: tuple[Path, dict[str, str], dt.date], isolated: Path
              ) -> tuple[dict[str, str], dt.date]:
    """A copy of the built workspace as this test's SCOPECARD_HOME."""
    ws, ids, as_of = built
    shutil.copytree(ws, isolated)
    return ids, as_of


def _records(built: tuple[Path, dict[str, str], dt.date]) -> dict[str, dict]:
    return json.loads((built[0].parent / "records.json").read_text())


def _committed(record: dict) -> float:
    out = record["outputs"]
    return next(c["monthly_cost"] for c in out["candidates"] if c["model"] == out["chosen"])


def test_portfolio_totals_flags_overdue_and_calibration(workspace, built, capsys):
    """Committed (the chosen model's forecast monthly cost) vs actual (the month's usage cost)
    by vendor and in total; A flagged by its latest review, C overdue; calibration medians and
    P25-P75 of actual/forecast as set in the usage file."""
    ids, as_of = workspace
    records = _records(built)
    data = _json(capsys, "portfolio", "--as-of", as_of.isoformat())
    assert data["currency"] == "USD" and data["fx"] == []
    vendors = {v["vendor"]: v for v in data["vendors"]}
    assert set(vendors) == {"openai", "deepseek"}
    assert vendors["openai"]["decisions"] == 2
    assert vendors["openai"]["actual"] == pytest.approx(50.0 + 30.0)
    assert vendors["deepseek"]["actual"] == pytest.approx(20.0)
    assert vendors["openai"]["committed"] == pytest.approx(
        _committed(records["a"]) + _committed(records["c"]))
    assert vendors["deepseek"]["committed"] == pytest.approx(_committed(records["b"]))
    assert data["total"]["actual"] == pytest.approx(100.0)
    assert data["total"]["committed"] == pytest.approx(sum(map(_committed, records.values())))
    assert [x["id"] for x in data["flagged"]] == [ids["a"]]
    assert "kill_criterion" in data["flagged"][0]["flags"]
    assert [x["id"] for x in data["overdue"]] == [ids["c"]]
    cal = data["calibration"]
    assert cal["decisions"] == 3
    calls = cal["figures"]["calls"]  # ratios 1.0, 0.5, 2.0
    assert (calls["median"], calls["p25"], calls["p75"], calls["n"]) == pytest.approx(
        (1.0, 0.75, 1.5, 3), rel=1e-5)
    out = cal["figures"]["output_per_call"]  # ratios 1.2, 1.4, 1.6
    assert (out["median"], out["p25"], out["p75"]) == pytest.approx((1.4, 1.3, 1.5), rel=1e-5)
    assert cal["figures"]["input_per_call"]["median"] == pytest.approx(1.0, rel=1e-5)
    costs = sorted(c / _committed(records[t]) for t, c in
                   (("a", 50.0), ("b", 20.0), ("c", 30.0)))
    assert cal["figures"]["cost"]["median"] == pytest.approx(costs[1])


def test_portfolio_text_prints_the_calibration_table(workspace, capsys):
    """`scopecard portfolio` prints the spend tables, flags, overdue reviews and the
    calibration table (median and P25-P75 of actual / forecast)."""
    ids, as_of = workspace
    assert main(["portfolio", "--as-of", as_of.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "committed vs actual monthly spend by vendor:" in out
    assert re.search(r"total\s+3\s+[\d,.]+\s+100\.00", out)
    assert f"{ids['c']} (accepted): review was due" in out
    assert f"{ids['a']}: " in out and "kill_criterion" in out
    assert "calibration over 3 decision(s) with a full month of linked usage:" in out
    assert re.search(r"calls per month\s+x1\.00\s+x0\.75–x1\.50\s+3", out)
    assert re.search(r"output tokens per call\s+x1\.40\s+x1\.30–x1\.50\s+3", out)


def test_portfolio_in_the_workspace_currency_names_the_rate(workspace, isolated, capsys):
    """`[workspace] currency` in scopecard.toml: amounts are converted at a dated rate, which
    the output names; a bad code is refused naming the file and field."""
    _, as_of = workspace
    usd = _json(capsys, "portfolio", "--as-of", as_of.isoformat())
    (isolated / "scopecard.toml").write_text('[workspace]\ncurrency = "CNY"\n')
    cny = _json(capsys, "portfolio", "--as-of", as_of.isoformat())
    assert cny["currency"] == "CNY"
    (said,) = cny["fx"]
    rate = float(re.search(r"FX USD->CNY ([\d.]+) of \d{4}-\d{2}-\d{2}", said).group(1))
    assert cny["total"]["actual"] == pytest.approx(usd["total"]["actual"] * rate, rel=1e-5)
    (isolated / "scopecard.toml").write_text('[workspace]\ncurrency = "yen"\n')
    assert main(["portfolio"]) == 2
    err = capsys.readouterr().err
    assert "scopecard.toml: workspace.currency:" in err and "ISO 4217" in err
    key = "sk-proj-" + "a1B2c3D4" * 6
    (isolated / "scopecard.toml").write_text(f'[workspace]\ncurrency = "{key}"\n')
    assert main(["portfolio"]) == 2
    assert key[:20] not in capsys.readouterr().err


def test_portfolio_in_chinese_has_no_english_sentence(workspace, capsys):
    """zh output: every sentence and header of the portfolio from the message tables."""
    _, as_of = workspace
    assert main(["portfolio", "--as-of", as_of.isoformat(), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "校准" in out
    assert english_runs(out) == []


def test_portfolio_json_shape(workspace, capsys):
    """--json: the documented keys, one entry per accepted decision."""
    _, as_of = workspace
    data = _json(capsys, "portfolio", "--as-of", as_of.isoformat())
    assert set(data) == {"as_of", "currency", "accepted", "vendors", "total", "fx", "flagged",
                         "overdue", "calibration", "problems"}
    assert len(data["accepted"]) == 3
    assert set(data["accepted"][0]) == {"id", "title", "model", "vendor", "committed", "actual",
                                        "month"}
    assert set(data["calibration"]["figures"]) == {"calls", "input_per_call", "output_per_call",
                                                   "cost"}


def test_estimate_shows_the_hint_with_three_decisions(workspace, capsys):
    """`estimate` shows "past forecasts ... were 40% low on output tokens per call" with a
    corrected range, and leaves the estimate itself unchanged."""
    assert main(["estimate", "--example", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    hints = data["calibration_hints"]
    assert any(re.fullmatch(r"past forecasts of this workspace were 40% low on output tokens "
                            r"per call \(median of 3 decisions\); a corrected range: [\d,]+–[\d,]+",
                            h) for h in hints)
    assert main(["estimate", "--example"]) == 0
    out = capsys.readouterr().out
    assert "calibration from this workspace's past decisions (shown, not applied):" in out


def test_estimate_has_no_hint_without_usage(capsys):
    """A workspace without usage: no hint, no calibration_hints key."""
    assert main(["estimate", "--example", "--json"]) == 0
    assert "calibration_hints" not in json.loads(capsys.readouterr().out)


def test_hint_needs_three_decisions_and_a_real_miss():
    """Fewer than 3 decisions, or a median within 10% of the forecast, says nothing; otherwise
    the corrected range is the estimate times P25 and P75."""
    two = {"output_per_call": Spread(1.5, 1.4, 1.6, 2)}
    assert calibration_hints(two, 1000, {"output_per_call": (100, 120)}) == []
    close = {"output_per_call": Spread(1.05, 0.9, 1.2, 5)}
    assert calibration_hints(close, 1000, {"output_per_call": (100, 120)}) == []
    low = {"output_per_call": Spread(1.38, 1.1, 1.3333, 6)}
    (hint,) = calibration_hints(low, 1000, {"output_per_call": (100, 120)})
    assert hint == ("past forecasts of this workspace were 38% low on output tokens per call "
                    "(median of 6 decisions); a corrected range: 110–160")
    high = {"calls": Spread(0.5, 0.4, 0.6, 3)}
    (hint,) = calibration_hints(high, 1000, {})
    assert "50% high on calls per month" in hint and "400–600" in hint


def test_portfolio_cache_follows_new_events(workspace, capsys):
    """The facts cached in .cache/portfolio.json are read again when a decision's files change:
    a new usage link (to a tag with no usage) takes C out of the calibration at once."""
    ids, as_of = workspace
    assert _json(capsys, "portfolio", "--as-of", as_of.isoformat())["calibration"][
        "decisions"] == 3
    assert main(["usage", "link", ids["c"], "--tag", "none"]) == 0
    capsys.readouterr()
    data = _json(capsys, "portfolio", "--as-of", as_of.isoformat())
    assert data["calibration"]["decisions"] == 2
    assert {h["id"]: h["actual"] for h in data["accepted"]}[ids["c"]] is None
