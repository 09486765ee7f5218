"""Exporting the bundled suite for vendors, and the round trip back through the importer."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rubrics.evals.store import EvalStore
from rubrics.evals.suites import load_suite, parse_suite
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SUITE
from rubrics.suite_export import export_suite
from tui.cli import main

MODEL = "openai/gpt-4o-mini"


def _outcomes() -> dict[str, str]:
    with open(EXAMPLE_EVALS, newline="") as f:
        return {r["case_id"]: r["passed"] for r in csv.DictReader(f) if r["model"] == MODEL}


def _promptfoo_results(config: dict, outcomes: dict[str, str]) -> dict:
    """What `promptfoo eval -o results.json` writes for the exported config (version 3 layout)."""
    rows = []
    for i, test in enumerate(config["tests"]):
        outcome = outcomes[test["description"]]
        row = {"testIdx": i, "promptIdx": 0, "testCase": test, "vars": test["vars"],
               "provider": {"id": "openai:gpt-4o-mini", "label": ""},
               "prompt": {"raw": test["vars"]["prompt"], "label": "{{prompt}}"},
               "response": {"output": "..."}, "latencyMs": 10}
        if outcome == "error":
            row.update(success=False, score=0, failureReason=2, error="timeout")
        else:
            ok = outcome == "1"
            row.update(success=ok, score=1 if ok else 0, failureReason=0 if ok else 1,
                       gradingResult={"pass": ok, "score": 1 if ok else 0, "reason": ""})
        rows.append(row)
    return {"evalId": "eval-roundtrip", "results": {
        "version": 3, "timestamp": "2026-11-24T10:00:00.000Z", "results": rows,
        "prompts": [{"raw": "{{prompt}}", "label": "{{prompt}}", "provider": "openai:gpt-4o-mini"}],
        "stats": {"successes": 0, "failures": 0, "errors": 0}},
        "config": {"description": config["description"]}}


def test_round_trip_through_promptfoo(tmp_path: Path):
    suite, _ = load_suite(EXAMPLE_SUITE)
    report = export_suite(suite, "promptfoo", tmp_path / "out")
    config = json.loads((tmp_path / "out" / "promptfooconfig.yaml").read_text())
    assert [t["description"] for t in config["tests"]] == [c.id for c in suite.cases]
    results = tmp_path / "results.json"
    results.write_text(json.dumps(_promptfoo_results(config, _outcomes())))
    with EvalStore(tmp_path / "a.sqlite") as native, EvalStore(tmp_path / "b.sqlite") as back:
        native.import_file(EXAMPLE_EVALS, suite=str(EXAMPLE_SUITE))
        back.import_file(results, suite=str(EXAMPLE_SUITE))
        want, want_hash = native.suite_tallies("support-faq")
        got, got_hash = back.suite_tallies("support-faq")
        got_cases = {r.case_id for r in back.results_for(MODEL, "support-faq")}
    assert got_cases == set(report.exported)
    assert got_hash == want_hash
    for tier in ("all", "easy", "medium", "hard"):
        w, g = want[(MODEL, "support-faq", tier)], got[(MODEL, "support-faq", tier)]
        assert (g.k, g.n, g.errors) == (w.k, w.n, w.errors), tier


def test_undesensitized_cases_are_left_out_and_listed(tmp_path: Path, capsys):
    doc = {"schema": "scopecard.suite/1", "name": "mixed", "cases": [
        {"id": "a", "difficulty": "easy", "desensitized": True, "prompt": "p", "expected": "x"},
        {"id": "secret", "difficulty": "easy", "desensitized": False, "prompt": "ACME-INTERNAL",
         "expected": "y"}]}
    import tomli_w

    path = tmp_path / "mixed.toml"
    path.write_text(tomli_w.dumps(doc))
    for fmt in ("promptfoo", "inspect", "jsonl"):
        assert main(["evals", "suite", "export", str(path), "--to", fmt, str(tmp_path / fmt)]) == 0
        out = capsys.readouterr().out
        assert "left out 1 case(s) not marked desensitized: secret" in out
        text = "".join(p.read_text() for p in (tmp_path / fmt).iterdir())
        assert "ACME-INTERNAL" not in text and '"a"' in text or "a" in text


def test_nothing_desensitized_is_refused(tmp_path: Path):
    suite, _ = parse_suite({"schema": "scopecard.suite/1", "name": "s", "cases": [
        {"id": "x", "desensitized": False, "prompt": "p", "expected": "e"}]}, "s.toml")
    with pytest.raises(Exception, match="no case marked desensitized"):
        export_suite(suite, "jsonl", tmp_path)
    assert not any(tmp_path.iterdir())


def test_inspect_and_jsonl_exports_carry_every_case(tmp_path: Path):
    suite, _ = load_suite(EXAMPLE_SUITE)
    export_suite(suite, "inspect", tmp_path / "i")
    export_suite(suite, "jsonl", tmp_path / "j")
    samples = [json.loads(line) for line in (tmp_path / "i" / "dataset.jsonl").read_text().splitlines()]
    assert [s["id"] for s in samples] == [c.id for c in suite.cases]
    assert all(s["target"] for s in samples)
    compile((tmp_path / "i" / "task.py").read_text(), "task.py", "exec")
    rows = (tmp_path / "j" / "cases.jsonl").read_text().splitlines()
    assert len(rows) == len(suite.cases)
