"""The command line end to end on the bundled example (in-process, fast)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from tui.cli import main


def test_estimate_json_has_the_stable_keys(capsys):
    assert main(["estimate", str(EXAMPLE_SPEC), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["load"]["tasks_per_month"] == pytest.approx(50_000 * 0.3 * 30)
    assert out["load"]["peak_qps"] > 0
    for c in out["candidates"]:
        assert {"model", "cost_per_call", "monthly_cost", "currency", "tokens_exact"} <= set(c)
        assert c["price"]["source"] and c["price"]["verified_on"]
    by_model = {c["model"]: c for c in out["candidates"]}
    # the system prompt is a file: exact with the model's own tokenizer (OpenAI, DeepSeek, Qwen)
    for model in ("openai/gpt-4o-mini", "deepseek/deepseek-chat", "qwen/qwen-plus"):
        assert by_model[model]["tokens"]["system"]["basis"] == "exact"


def test_decide_writes_a_record(isolated: Path, capsys):
    assert main(["decide", str(EXAMPLE_SPEC), "--evals", str(EXAMPLE_EVALS)]) == 0
    out = capsys.readouterr().out
    assert "VERDICT:" in out
    records = list((isolated / "decisions").glob("*/decision.toml"))
    assert len(records) == 1
    rec = tomllib.loads(records[0].read_text())
    assert rec["schema"] == "scopecard.decision/2"
    assert rec["id"] == records[0].parent.name
    assert rec["spec"]["title"] == "Support FAQ answers"
    assert "support-faq-system" not in json.dumps(rec["spec"])  # the prompt file was inlined
    assert rec["spec"]["prompt"]["system_text"].startswith("You are the help-widget")
    assert {p["id"] for p in rec["prices"]} >= {"openai/gpt-4o-mini"}
    assert all("verified_on" in p and "source" in p for p in rec["prices"])
    assert rec["evals"]["suite_hash"] and rec["evals"]["tallies"]
    assert rec["engine_version"] and isinstance(rec["seed"], int)
    assert rec["outputs"]["verdict"] in {"STOP", "RESEARCH SPIKE", "GO WITH CONDITIONS", "GO"}


def test_two_decisions_never_overwrite(isolated: Path, capsys):
    for _ in range(3):
        assert main(["decide", str(EXAMPLE_SPEC), "--evals", str(EXAMPLE_EVALS)]) == 0
    names = sorted(p.parent.name for p in (isolated / "decisions").glob("*/decision.toml"))
    assert len(names) == 3 and len(set(names)) == 3


def test_same_seed_same_outputs(isolated: Path, capsys):
    outs = []
    for _ in range(2):
        main(["decide", str(EXAMPLE_SPEC), "--evals", str(EXAMPLE_EVALS), "--json", "--dry-run"])
        rec = json.loads(capsys.readouterr().out)
        outs.append(rec["outputs"])
    assert outs[0] == outs[1]


def test_bad_spec_exits_2_without_traceback(tmp_path: Path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE_SPEC.read_text().replace("peak_factor = 3.0", "peak_factor = 0"))
    assert main(["estimate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml: load.peak_factor (line 20): Peak factor must be between 1 and 10,000" in err
    assert "Traceback" not in err


def test_unknown_model_lists_close_names(tmp_path: Path, capsys):
    bad = tmp_path / "bad.toml"
    text = EXAMPLE_SPEC.read_text().replace('system_file = "support-faq-system.md"', "system_tokens = 200")
    bad.write_text(text.replace('"openai/gpt-4o-mini"', '"openai/gpt-4o-minii"'))
    assert main(["estimate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'openai/gpt-4o-minii'" in err and "openai/gpt-4o-mini" in err
    assert "candidates[0].model" in err


def test_workspace_flag_after_the_command(tmp_path: Path, capsys):
    ws = tmp_path / "ws"
    assert main(["decide", "--example", "--workspace", str(ws)]) == 0
    assert len(list((ws / "decisions").glob("*/decision.toml"))) == 1


def test_missing_file(capsys):
    assert main(["estimate", "no-such-spec.toml"]) == 2
    assert "no-such-spec.toml: no such file" in capsys.readouterr().err


def test_schema_prints_json(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"].startswith("scopecard feature spec")


def test_help_in_a_fresh_process():
    r = subprocess.run([sys.executable, "-m", "tui.cli", "--help"], capture_output=True, text=True,
                       cwd=Path(__file__).parent.parent)
    assert r.returncode == 0 and "decide" in r.stdout


def test_a_reader_that_goes_away_is_not_an_error(tmp_path):
    env = {**os.environ, "SCOPECARD_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "estimate", "--example",
                             "--all-models", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=Path(__file__).parent.parent, env=env)
    proc.stdout.close()  # as `| head -c 0` does: gone before the first write
    err = proc.stderr.read()
    assert proc.wait() == 141 and err == b""


def test_all_models_agrees_with_the_candidates(capsys):
    assert main(["estimate", "--example", "--all-models", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    every = {c["model"]: c for c in out["all_models"]}
    assert len(every) >= 60
    costs = [c["cost_per_call"] for c in out["all_models"]]
    assert costs == sorted(costs)
    for cand in out["candidates"]:
        assert every[cand["model"]]["cost_per_call"] == pytest.approx(cand["cost_per_call"])
