"""`scopecard evals ...` and `decide` reading the eval store."""

from __future__ import annotations

import json
from pathlib import Path

from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC, EXAMPLE_SUITE
from tui.cli import main


def test_import_twice_changes_nothing(isolated: Path, capsys):
    assert main(["evals", "import", str(EXAMPLE_EVALS), "--suite", str(EXAMPLE_SUITE)]) == 0
    assert "360 case results" in capsys.readouterr().out
    assert main(["evals", "import", str(EXAMPLE_EVALS)]) == 0
    assert "already imported" in capsys.readouterr().out
    assert main(["evals", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_show_and_compare(isolated: Path, capsys):
    main(["evals", "import", str(EXAMPLE_EVALS)])
    capsys.readouterr()
    assert main(["evals", "show", "--suite", "support-faq", "--json"]) == 0
    rows = {(r["model"], r["tier"]): r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert (rows[("openai/gpt-4o-mini", "all")]["k"], rows[("openai/gpt-4o-mini", "all")]["n"]) == (116, 120)
    assert rows[("qwen/qwen-plus", "all")]["status"] == "FAILS"
    assert main(["evals", "compare", "openai/gpt-4o-mini", "qwen/qwen-plus"]) == 0
    assert "openai/gpt-4o-mini is better" in capsys.readouterr().out


def test_bad_files_are_refused_and_the_store_is_unchanged(isolated: Path, tmp_path: Path, capsys):
    main(["evals", "import", str(EXAMPLE_EVALS)])
    truncated = tmp_path / "t.json"
    truncated.write_text('{"results": {"version": 3, "results": [')
    missing = tmp_path / "m.csv"
    missing.write_text("case_id,suite,model\nx,s,m\n")
    capsys.readouterr()
    assert main(["evals", "import", str(truncated), str(missing)]) == 2
    out = capsys.readouterr().out
    assert out.count("refused  ") == 2 and "t.json: line 1" in out and "m.csv" in out
    main(["evals", "list", "--json"])
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_decide_uses_the_store(isolated: Path, capsys):
    assert main(["evals", "import", str(EXAMPLE_EVALS)]) == 0
    capsys.readouterr()
    assert main(["decide", str(EXAMPLE_SPEC), "--json", "--dry-run"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["evals"]["source"] == "eval store"
    assert {t["model"] for t in rec["evals"]["tallies"]} == {
        "openai/gpt-4o-mini", "deepseek/deepseek-chat", "qwen/qwen-plus"}
    assert rec["outputs"]["chosen"] == "openai/gpt-4o-mini"


def test_decide_without_results_is_a_research_spike(isolated: Path, capsys):
    assert main(["decide", str(EXAMPLE_SPEC), "--dry-run", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["outputs"]["verdict"] == "RESEARCH SPIKE"
    assert "NO DATA" in " ".join(rec["outputs"]["reasons"])


def test_suite_check(tmp_path: Path, capsys):
    assert main(["evals", "suite", "check", str(EXAMPLE_SUITE)]) == 0
    assert capsys.readouterr().out.strip().endswith(": ok")


def test_show_gives_continuous_scores_a_t_interval(isolated: Path, tmp_path: Path, capsys):
    csv_file = tmp_path / "scores.csv"
    csv_file.write_text(
        "case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp\n"
        "a,s,x/m,x,easy,single,1,0.6,r1,2026-01-01T00:00:00Z\n"
        "b,s,x/m,x,easy,single,1,0.7,r1,2026-01-01T00:00:00Z\n"
        "c,s,x/m,x,easy,single,1,0.8,r1,2026-01-01T00:00:00Z\n"
        "d,s,x/m,x,easy,single,error,,r1,2026-01-01T00:00:00Z\n")
    assert main(["evals", "import", str(csv_file)]) == 0
    capsys.readouterr()
    assert main(["evals", "show", "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out)["rows"] if r["tier"] == "all")
    s = row["score_interval"]
    # mean 0.7, sd 0.1, t(0.975, 2) = 4.3027: half-width 4.3027 x 0.1 / sqrt(3) = 0.24842
    assert (s["n"], round(s["mean"], 6)) == (3, 0.7)
    assert round(s["low"], 4) == 0.4516 and round(s["high"], 4) == 0.9484
