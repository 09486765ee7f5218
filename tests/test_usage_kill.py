"""Issue #19 gaps: kill criteria that usage computes but a spec could not name (`cost_per_call`,
`calls_vs_forecast`), and the Costs-API money used as a month's actual cost in review."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rubrics.spec import METRIC_RANGES, KillCriterion
from rubrics.spec_fields import BY_PATH, choices
from tests.conftest import FIXTURES
from tests.faults.test_hostile_zhoutput import english_runs
from tui.cli import main

EXAMPLES = Path(__file__).parents[1] / "rubrics" / "data" / "examples"
USAGE = FIXTURES / "usage"
LITELLM = USAGE / "litellm_month.csv"  # 3 requests a day in November 2026
COSTS = USAGE / "openai_costs_month.json"  # proj_support: gpt-4o-mini 107.00 USD in 2026-11
AS_OF = ["--as-of", "2026-12-02"]
HEADER = "date,model,requests,input_tokens,cached_input_tokens,output_tokens,cost,currency"


def spec_with(tmp_path: Path, *kills: tuple[str, str, str, str]) -> Path:
    """The bundled example spec with its own kill criteria (metric, comparator, threshold,
    action), written beside a copy of its prompt file."""
    for name in ("support-faq.toml", "support-faq-system.md"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    spec = tmp_path / "support-faq.toml"
    spec.write_text(spec.read_text() + "".join(
        f'\n[[kill_criteria]]\nmetric = "{m}"\ncomparator = "{c}"\nthreshold = {t}\n'
        f'action = "{a}"\n' for m, c, t, a in kills))
    return spec


def decide(capsys: pytest.CaptureFixture[str], spec: Path) -> str:
    """Decide `spec` on the example's eval results (imported by a dry run); the decision's id."""
    assert main(["decide", "--example", "--dry-run", "--json"]) == 0
    assert main(["decide", str(spec), "--json"]) == 0
    capsys.readouterr()
    assert main(["list", "--json"]) == 0
    return json.loads(capsys.readouterr().out)[0]["id"]


def usage_csv(tmp_path: Path, *rows: str, project: bool = False) -> Path:
    """A plain usage CSV of `rows` (after the header; a project column when asked)."""
    path = tmp_path / "usage.csv"
    path.write_text(HEADER + (",project" if project else "") + "\n" + "\n".join(rows) + "\n")
    return path


def review_json(capsys: pytest.CaptureFixture[str], record_id: str, *extra: str
                ) -> tuple[int, dict]:
    code = main(["review", record_id, *AS_OF, "--dry-run", "--json", *extra])
    (rv,) = json.loads(capsys.readouterr().out)
    return code, rv


def review_text(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["review", *extra, *AS_OF, "--dry-run"])
    return code, capsys.readouterr().out


# --- kill criteria usage can compute --------------------------------------------------------------

def test_new_metrics_are_model_choices():
    """Defect: KillCriterion.metric allowed no cost_per_call or calls_vs_forecast, so the
    wizard's metric choices (read from the model) could not offer them."""
    metrics = choices("kill_criteria.0.metric")
    assert "cost_per_call" in metrics and "calls_vs_forecast" in metrics
    assert set(metrics) == set(METRIC_RANGES)  # every metric has its range, every range a name
    assert "calls_vs_forecast" in BY_PATH["kill_criteria.*.threshold"].help("zh")
    k = KillCriterion(metric="calls_vs_forecast", comparator=">", threshold=1.5, action="pause")
    assert k.threshold == 1.5


def test_review_help_names_every_metric_an_actual_can_have(capsys):
    """Defect: `review --help` listed the five first metrics after two more were added."""
    with pytest.raises(SystemExit):
        main(["review", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(metric in text for metric in METRIC_RANGES)


def test_cost_per_call_fires_and_fail_on_flag_exits_3(capsys, tmp_path):
    """Defect: cost_per_call was computed from usage and shown, but no criterion could name it,
    so it never fired. Now it fires: --fail-on-flag exits 3 and --json lists the firing."""
    record_id = decide(capsys, spec_with(tmp_path, ("cost_per_call", ">", "0.001", "pause")))
    path = usage_csv(tmp_path, "2026-11-01,openai/gpt-4o-mini,450000,450000000,0,36000000,"
                               "6000,USD")
    assert main(["usage", "import", str(path), "--decision", record_id]) == 0
    capsys.readouterr()
    code, _ = review_text(capsys, "--all", "--fail-on-flag")
    assert code == 3
    code, rv = review_json(capsys, record_id, "--fail-on-flag")
    assert code == 3
    (firing,) = rv["firings"]
    assert firing == {"decision": record_id, "criterion": "cost_per_call", "comparator": ">",
                      "value": pytest.approx(6000 / 450000), "threshold": 0.001,
                      "window": "2026-11", "action": "pause"}


def test_calls_vs_forecast_below_0_3_fires_on_a_small_usage_file(capsys, tmp_path):
    """Defect: calls vs forecast was shown with its ratio but no criterion could fire on it.
    90 calls in November against a forecast of 459,000 is far below 0.3: it fires."""
    record_id = decide(capsys, spec_with(tmp_path, ("calls_vs_forecast", "<", "0.3", "stop")))
    assert main(["usage", "import", str(LITELLM), "--decision", record_id]) == 0
    capsys.readouterr()
    code, rv = review_json(capsys, record_id, "--fail-on-flag")
    assert code == 3
    (firing,) = rv["firings"]
    assert firing["criterion"] == "calls_vs_forecast" and firing["window"] == "2026-11"
    assert firing["value"] == pytest.approx(90 / 459_000)
    assert firing["action"] == "stop"
    code, out = review_text(capsys, record_id)
    assert code == 0
    assert "! kill_criterion: calls_vs_forecast 0.000196078 < 0.3: stop" in out


def test_typed_actual_wins_over_usage_for_the_new_metrics(capsys, tmp_path):
    """Typed actuals of the new metrics are accepted and win over what usage gives."""
    record_id = decide(capsys, spec_with(tmp_path, ("calls_vs_forecast", "<", "0.3", "stop"),
                                         ("cost_per_call", ">", "0.001", "pause")))
    assert main(["usage", "import", str(LITELLM), "--decision", record_id]) == 0
    capsys.readouterr()
    code, rv = review_json(capsys, record_id, "--fail-on-flag", "--actual",
                           "calls_vs_forecast=0.9", "--actual", "cost_per_call=0.02")
    assert code == 3
    assert rv["firings"] == [{"decision": record_id, "criterion": "cost_per_call",
                              "comparator": ">", "value": 0.02, "threshold": 0.001,
                              "window": "typed", "action": "pause"}]


def test_new_metric_round_trips_decide_record_review(capsys, tmp_path):
    """A spec naming the new metrics is decided, stored, shown and reviewed with them (and the
    record's kill criteria are the spec's, not derived ones)."""
    record_id = decide(capsys, spec_with(tmp_path, ("calls_vs_forecast", ">", "1.5", "pause"),
                                         ("cost_per_call", ">", "0.5", "switch model")))
    assert main(["show", record_id, "--json"]) == 0
    kills = json.loads(capsys.readouterr().out)["kill_criteria"]
    assert [(k["metric"], k["comparator"], k["threshold"]) for k in kills] == [
        ("calls_vs_forecast", ">", 1.5), ("cost_per_call", ">", 0.5)]
    code, rv = review_json(capsys, record_id, "--actual", "calls_vs_forecast=1.2")
    assert code == 0 and rv["firings"] == []
    assert main(["export", record_id]) == 0
    assert "calls_vs_forecast" in capsys.readouterr().out


def test_threshold_out_of_range_is_refused_with_the_reason(capsys, tmp_path):
    """A negative ratio or cost is refused, exit 2, naming the field, its metric and the
    metric's range (in Chinese with --lang zh: the error was English whatever the language)."""
    spec = spec_with(tmp_path, ("calls_vs_forecast", "<", "-0.3", "stop"))
    assert main(["estimate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "kill_criteria[0].threshold" in err
    assert "Kill: threshold (calls_vs_forecast) must be between 0 and 1,000; got -0.3" in err
    assert main(["estimate", str(spec), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "止损：阈值（calls_vs_forecast）必须介于 0 和 1,000 之间；实际为 -0.3" in err
    record_id = decide(capsys, spec_with(tmp_path, ("cost_per_call", ">", "0.001", "pause")))
    assert main(["review", record_id, *AS_OF, "--dry-run", "--actual", "cost_per_call=-1"]) == 2
    assert "cost_per_call is money per call" in capsys.readouterr().err


def test_schema_lists_the_new_metrics(capsys):
    """`scopecard schema` is generated from the model: the new metrics and their ranges."""
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert '"cost_per_call"' in out and '"calls_vs_forecast"' in out
    assert "calls_vs_forecast is actual calls / forecast calls" in out


# --- the Costs API's money ---------------------------------------------------------------------

def costs_linked(capsys: pytest.CaptureFixture[str], tmp_path: Path, *link: str,
                 days: tuple[str, ...] = ("01", "15")) -> str:
    """A decision with usage of proj_support on `days` of November 2026 (by default the days
    the costs fixture has buckets for: 84.00 USD priced from the tokens), linked with `link`
    (e.g. --project proj_support); the costs file imported too."""
    record_id = decide(capsys, spec_with(tmp_path, ("monthly_spend", ">", "100", "pause")))
    path = usage_csv(tmp_path, *(f"2026-11-{day},openai/gpt-4o-mini,200000,200000000,0,"
                                 "20000000,,,proj_support" for day in days), project=True)
    assert main(["usage", "import", str(path), str(COSTS), "--decision", record_id,
                 *link]) == 0
    capsys.readouterr()
    return record_id


def assert_priced_not_invoiced(capsys: pytest.CaptureFixture[str], record_id: str,
                               said: str) -> None:
    """The month's cost is the token-priced 84.00 USD, and the review says `said` about the
    cost rows it did not use."""
    _, rv = review_json(capsys, record_id)
    assert rv["usage"]["months"][0]["actual"]["cost"] == pytest.approx(84.0)
    _, out = review_text(capsys, record_id)
    assert said in out


def test_costs_api_month_is_used_and_named(capsys, tmp_path):
    """Defect: OpenAI Costs API pages were imported and kept, but review priced the month from
    the usage tokens only. Now the invoiced amount of the linked project and model is the
    month's actual cost (it feeds monthly_spend), named, with the token-priced figure and the
    difference (> 5%) beside it."""
    record_id = costs_linked(capsys, tmp_path, "--project", "proj_support")
    code, rv = review_json(capsys, record_id, "--fail-on-flag")
    (month,) = rv["usage"]["months"]
    assert month["actual"]["cost"] == pytest.approx(107.0)  # 40 + 10 + 45 + 12
    assert rv["usage"]["metrics"]["monthly_spend"] == pytest.approx(107.0)
    assert code == 3 and rv["firings"][0]["value"] == pytest.approx(107.0)
    _, out = review_text(capsys, record_id)
    assert ("invoiced 107.00 USD (OpenAI Costs API, project proj_support; models "
            "openai/gpt-4o-mini); priced from the usage: 84.00 USD; the invoice is "
            "+27.4% off") in out


def test_costs_without_a_project_in_the_link_are_said_not_used(capsys, tmp_path):
    """Cost rows that cannot be attributed (the link names no project) are not used silently:
    the review says why and prices the month from the tokens."""
    record_id = costs_linked(capsys, tmp_path)
    assert_priced_not_invoiced(capsys, record_id, (
        "OpenAI Costs API rows of 2026-11 not used: the link names no project, so the invoiced "
        "amount cannot be attributed to this decision"))


def test_costs_not_split_by_model_are_said_not_used(capsys, tmp_path):
    """Cost rows of the project without a model (no line item) while the project also ran an
    unlinked model: not attributed, and said."""
    record_id = decide(capsys, spec_with(tmp_path, ("monthly_spend", ">", "100", "pause")))
    usage = usage_csv(tmp_path,
                      "2026-11-01,openai/gpt-4o-mini,200000,200000000,0,20000000,,,proj_support",
                      "2026-11-01,openai/gpt-4o,1000,1000000,0,100000,,,proj_support",
                      project=True)
    doc = json.loads(COSTS.read_text())
    doc["data"] = doc["data"][:1]
    results = doc["data"][0]["results"]
    results[:] = [results[0], results[3]]  # one row per project, as when grouped by project only
    for r in results:
        del r["line_item"]
    costs = tmp_path / "costs.json"
    costs.write_text(json.dumps(doc))
    assert main(["usage", "import", str(usage), str(costs), "--decision", record_id,
                 "--project", "proj_support"]) == 0
    capsys.readouterr()
    _, out = review_text(capsys, record_id)
    assert ("OpenAI Costs API rows of 2026-11 not used: the costs of project proj_support are "
            "not split by model and the project also ran models this decision does not link") in out
    assert "invoiced" not in out


def test_zh_costs_review_has_no_english_sentence(capsys, tmp_path):
    """--lang zh: the invoiced-cost sentence is Chinese."""
    record_id = costs_linked(capsys, tmp_path, "--project", "proj_support")
    _, out = review_text(capsys, record_id, "--lang", "zh")
    usage = out[out.index("实际用量"):]
    assert "OpenAI" in usage and "proj_support" in usage and "107.00" in usage
    assert english_runs(usage, allowed=("openai/gpt-4o-mini",)) == []


def test_zh_costs_not_attributed_has_no_english_sentence(capsys, tmp_path):
    """--lang zh: the not-attributed sentence is Chinese."""
    record_id = costs_linked(capsys, tmp_path)
    _, out = review_text(capsys, record_id, "--lang", "zh")
    usage = out[out.index("实际用量"):]
    assert "2026-11" in usage
    assert english_runs(usage, allowed=("openai/gpt-4o-mini",)) == []


def test_markdown_export_names_the_invoiced_cost(capsys, tmp_path):
    """The Markdown "Forecast vs actual" section says where a month's actual cost came from
    when it is an invoiced amount (its table shows the invoiced figure)."""
    record_id = costs_linked(capsys, tmp_path, "--project", "proj_support")
    assert main(["review", record_id, *AS_OF]) == 0
    capsys.readouterr()
    assert main(["export", record_id]) == 0
    md = capsys.readouterr().out
    section = md[md.index("## Forecast vs actual"):]
    assert "- 2026-11: invoiced 107.00 USD (OpenAI Costs API, project proj" in section


def test_costs_missing_days_of_usage_are_said_not_used(capsys, tmp_path):
    """Cost rows that do not cover every day with linked usage would undercount the month:
    not used, and said (how many of the days they cover)."""
    record_id = costs_linked(capsys, tmp_path, "--project", "proj_support", days=("01", "02"))
    assert_priced_not_invoiced(capsys, record_id, (
        "OpenAI Costs API rows of 2026-11 not used: they cover 1 of the 2 days with linked usage"))


def test_costs_of_a_project_are_not_given_to_a_link_narrowed_to_a_tag(capsys, tmp_path):
    """Cost rows are per project: a link that takes one tag of the project cannot claim them
    (another feature may share the project); said, not used."""
    record_id = decide(capsys, spec_with(tmp_path, ("monthly_spend", ">", "100", "pause")))
    usage = tmp_path / "tagged.csv"
    usage.write_text(HEADER + ",project,tag\n" + "".join(
        f"2026-11-{day},openai/gpt-4o-mini,200000,200000000,0,20000000,,,proj_support,faq\n"
        for day in ("01", "15")))
    assert main(["usage", "import", str(usage), str(COSTS), "--decision", record_id,
                 "--project", "proj_support", "--tag", "faq"]) == 0
    capsys.readouterr()
    assert_priced_not_invoiced(capsys, record_id, (
        "OpenAI Costs API rows of 2026-11 not used: they are per project and the link takes only "
        "a key or tag of project proj_support"))
