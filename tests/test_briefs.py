"""Briefs: the vendor brief carries every capacity figure and none of the business's secrets."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from tui.cli import main

SECRETS = ("SECRET-NEED-7731", "SECRET-PROMPT-5521", "0.4187", "SECRET-TITLE-9034",
           "SECRET-USERS-1212")


def _secret_spec(tmp_path: Path) -> Path:
    text = EXAMPLE_SPEC.read_text()
    text = text.replace('title = "Support FAQ answers"', 'title = "SECRET-TITLE-9034"')
    text = text.replace('problem = "Agents answer the same 200 questions all day"',
                        'problem = "SECRET-NEED-7731"\nconfidential = true')
    text = text.replace('users = "Logged-in customers in the help widget"',
                        'users = "SECRET-USERS-1212"')
    text = text.replace('system_file = "support-faq-system.md"',
                        'system_text = "You are a bot. SECRET-PROMPT-5521"')
    text = text.replace("{ low = 0.25, likely = 0.40, high = 0.60 }", "0.4187")
    text = text.replace("[constraints]", '[constraints]\ndata_residency = ["EU", "US"]\n'
                                         'data_retention = "no retention"')
    spec = tmp_path / "secret.toml"
    spec.write_text(text)
    return spec


def _decide(spec: Path, isolated: Path, capsys) -> str:
    assert main(["decide", str(spec), "--evals", str(EXAMPLE_EVALS)]) == 0
    capsys.readouterr()
    return next((isolated / "decisions").glob("*/decision.toml")).parent.name


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_vendor_brief_has_capacity_and_no_secrets(tmp_path, isolated, capsys, fmt):
    record_id = _decide(_secret_spec(tmp_path), isolated, capsys)
    assert main(["brief", record_id, "--for", "vendor", "--format", fmt]) == 0
    out = capsys.readouterr().out
    for secret in SECRETS:
        assert secret not in out, secret
    rec = tomllib.loads((isolated / "decisions" / record_id / "decision.toml").read_text())
    load = rec["outputs"]["load"]
    if fmt == "json":
        b = json.loads(out)
        cap = b["capacity"]
        assert cap["average_qps"] == pytest.approx(load["avg_qps"])
        assert cap["peak_qps"] == pytest.approx(load["peak_qps"])
        assert cap["calls_per_day"] == pytest.approx(load["calls_per_day"])
        assert cap["calls_per_month"] == pytest.approx(load["calls_per_month"])
        assert cap["peak_tpm"] > 0
        assert b["tokens_per_call"]["input"] > 0 and b["tokens_per_call"]["input_by_turn"]
        assert b["context_length_needed"] > 0 and b["latency_p95_ms"] == 3000
        assert b["data_residency"] == ["EU", "US"] and b["data_retention"] == "no retention"
        assert b["custom_work"]["route"] == "Retrieval (RAG)"
        assert b["quality_bar"]["by_difficulty"] == {"easy": 0.9, "hard": 0.75}
    else:
        for figure in ("average QPS", "peak QPS", "calls per day", "calls per month",
                       "peak tokens per minute", "Context length needed", "p95 latency",
                       "data residency: EU, US", "data retention: no retention", "Quality bar"):
            assert figure in out
        assert f"{load['calls_per_month']:,.0f}" in out


def test_business_brief_has_money_and_kill_criteria(tmp_path, isolated, capsys):
    record_id = _decide(EXAMPLE_SPEC, isolated, capsys)
    assert main(["brief", record_id, "--for", "business", "--format", "json"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert b["verdict"] and b["why"]
    q = b["monthly_ai_cost"]
    assert q["p10"] <= q["p50"] <= q["p90"]
    assert b["one_time_cost"] == pytest.approx(30_000 + 20_000)  # spec + RAG route preset
    assert b["kill_criteria"] and b["review_due"]
    assert b["cheapest_passing"]["model"] == "openai/gpt-4o-mini"
    assert b["best_quality"]["model"] == "deepseek/deepseek-chat"
    out_file = tmp_path / "brief.md"
    assert main(["brief", record_id, "--for", "business", "--out", str(out_file)]) == 0
    assert out_file.read_text().startswith("# Support FAQ answers — business brief")


def test_brief_refuses_path_tricks(capsys):
    assert main(["brief", "../../etc/passwd", "--for", "vendor"]) == 2
    assert "invalid record id" in capsys.readouterr().err
