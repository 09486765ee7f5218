"""Issue #19 "Close the loop": usage files kept in the workspace, linked to a decision, and
reviewed month by month against the forecast (with kill criteria and --fail-on-flag)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.faults.test_hostile_zhoutput import english_runs
from tui.cli import main

USAGE = FIXTURES / "usage"
OPENAI = [USAGE / "openai_month_page1.json", USAGE / "openai_month_page2.json"]
LITELLM = USAGE / "litellm_month.csv"
AS_OF = ["--as-of", "2026-12-02"]


def decide(capsys: pytest.CaptureFixture[str]) -> str:
    """The bundled example decision; its id."""
    assert main(["decide", "--example", "--json"]) == 0
    capsys.readouterr()
    assert main(["list", "--json"]) == 0
    return json.loads(capsys.readouterr().out)[0]["id"]


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def review(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["review", *extra, *AS_OF, "--dry-run"])
    return code, capsys.readouterr().out


@pytest.fixture
def linked(capsys: pytest.CaptureFixture[str]) -> str:
    record_id = decide(capsys)
    assert main(["usage", "import", *map(str, OPENAI), str(LITELLM),
                 "--decision", record_id]) == 0
    capsys.readouterr()
    return record_id


def test_review_shows_forecast_vs_actual_per_month(linked: str, capsys):
    """Issue #19: an OpenAI usage export (two pages) and a LiteLLM spend log linked to the
    example decision give per-month actuals next to the forecast with ratios and a chart."""
    code, out = review(capsys, linked)
    assert code == 0
    assert "2026-10 (full month): calls 446,052 vs forecast 459,000 (x0.97)" in out
    assert "input tokens/call 1,050 vs forecast 1,001 (x1.05)" in out
    assert "2026-11 (full month): calls 90 vs forecast 459,000" in out
    assert "tokens priced with openai/gpt-4o-mini" in out  # OpenAI usage carries no cost
    assert "as the usage files state it" in out  # LiteLLM's spend
    assert "checked on the usage of 2026-11 (the latest full month)" in out
    assert "posterior mean of openai/gpt-4o-mini" in out
    assert "2026-10 forecast █" in out


def test_review_json_and_markdown_carry_usage(linked: str, capsys):
    """The stored review keeps the months (forecast, actual, ratio); the Markdown export has a
    "Forecast vs actual" section with a text chart."""
    assert main(["review", linked, *AS_OF, "--json"]) == 0
    (rv,) = json.loads(capsys.readouterr().out)
    months = {m["month"]: m for m in rv["usage"]["months"]}
    assert set(months) == {"2026-10", "2026-11"}
    assert rv["firings"] == []
    assert main(["export", linked]) == 0
    md = capsys.readouterr().out
    assert "## Forecast vs actual" in md
    assert "| 2026-10 | 459,000 / 446,052 / 0.97 |" in md


def spend_csv(tmp_path: Path, cost: str) -> Path:
    path = tmp_path / "spend.csv"
    path.write_text("date,model,requests,input_tokens,cached_input_tokens,output_tokens,cost,"
                    f"currency\n2026-11-01,openai/gpt-4o-mini,450000,450000000,0,36000000,"
                    f"{cost},USD\n")
    return path


def test_spend_criterion_fires_and_fail_on_flag_exits_3(capsys, tmp_path):
    """Issue #19: monthly spend above the committed cap fires the criterion; --fail-on-flag
    exits 3 and --json lists the firing with decision, criterion, value, threshold, window."""
    record_id = decide(capsys)
    assert main(["usage", "import", str(spend_csv(tmp_path, "6000")), "--decision",
                 record_id]) == 0
    capsys.readouterr()
    code, _ = review(capsys, "--all", "--fail-on-flag")
    assert code == 3
    assert main(["review", record_id, *AS_OF, "--dry-run", "--json", "--fail-on-flag"]) == 3
    (rv,) = json.loads(capsys.readouterr().out)
    spend = [f for f in rv["firings"] if f["criterion"] == "monthly_spend"]
    assert spend == [{"decision": record_id, "criterion": "monthly_spend", "comparator": ">",
                      "value": 6000.0, "threshold": 5000.0, "window": "2026-11",
                      "action": "pause"}]
    code, _ = review(capsys, record_id)  # without the flag: exit 0
    assert code == 0


def test_typed_actual_wins_over_usage(capsys, tmp_path):
    """Typed actuals win where usage gives the same metric."""
    record_id = decide(capsys)
    assert main(["usage", "import", str(spend_csv(tmp_path, "6000")), "--decision",
                 record_id]) == 0
    capsys.readouterr()
    code, out = review(capsys, record_id, "--actual", "monthly_spend=100", "--fail-on-flag")
    assert "monthly_spend 100 (> 5000: not met)" in out
    assert code == 0 or "monthly_spend" not in out.split("! kill_criterion")[-1]


def test_same_file_twice_changes_nothing(linked: str, isolated: Path, capsys):
    """An import is idempotent: the same files again keep the same bytes in usage/."""
    before = files_of(isolated / "usage")
    assert main(["usage", "import", *map(str, OPENAI)]) == 0
    assert "already imported" in capsys.readouterr().out
    assert files_of(isolated / "usage") == before


def test_bad_file_exit_2_nothing_kept(capsys, isolated: Path, tmp_path):
    """Bad input: a negative count names the file and row, exits 2 and keeps none of the
    files of that call."""
    bad = tmp_path / "bad.csv"
    bad.write_text("date,model,requests,input_tokens,cached_input_tokens,output_tokens,cost,"
                   "currency\n2026-11-01,openai/gpt-4o-mini,-5,1,0,1,0.1,USD\n")
    assert main(["usage", "import", str(LITELLM), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "row 2" in err
    assert not any((isolated / "usage").glob("*.toml"))


def test_overlap_with_a_kept_page_is_refused(linked: str, capsys, isolated: Path, tmp_path):
    """A bucket imported before, in another file, is refused (nothing new kept)."""
    before = files_of(isolated / "usage")
    copy = tmp_path / "again.json"
    copy.write_text(OPENAI[0].read_text() + "\n\n")  # the same buckets, other bytes
    assert main(["usage", "import", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "again.json" in err and "give each page once" in err
    assert files_of(isolated / "usage") == before


def test_unmapped_model_is_reported(capsys, tmp_path, isolated: Path):
    """A model that maps to nothing is an error naming file and row, never guessed."""
    path = tmp_path / "odd.csv"
    path.write_text("date,model,requests,input_tokens,cached_input_tokens,output_tokens,cost,"
                    "currency\n2026-11-01,my-gateway-alias,1,1,0,1,0.1,USD\n")
    assert main(["usage", "import", str(path)]) == 2
    assert "my-gateway-alias" in capsys.readouterr().err
    mapping = tmp_path / "map.toml"
    mapping.write_text('[models]\n"my-gateway-alias" = "openai/gpt-4o-mini"\n')
    assert main(["usage", "import", str(path), "--model-map", str(mapping)]) == 0
    assert list((isolated / "usage" / "maps").glob("*.toml"))


def test_cache_deleted_is_rebuilt_with_the_same_answer(linked: str, capsys, isolated: Path):
    """The cache is rebuilt from usage/ when missing, and by `scopecard reindex`."""
    _, first = review(capsys, linked)
    (isolated / ".cache" / "usage.sqlite").unlink()
    _, again = review(capsys, linked)
    assert again == first
    assert main(["reindex"]) == 0
    assert "usage: rebuilt" in capsys.readouterr().out
    assert review(capsys, linked)[1] == first


def test_key_in_usage_file_is_never_stored_or_echoed(capsys, tmp_path, isolated: Path):
    """An API key in a usage file: refused, not shown, nothing kept."""
    key = "sk-proj-" + "A1b2C3d4" * 6
    path = tmp_path / "k.csv"
    path.write_text("date,model,requests,input_tokens,cached_input_tokens,output_tokens,cost,"
                    f"currency,tag\n2026-11-01,openai/gpt-4o-mini,1,1,0,1,0.1,USD,{key}\n")
    assert main(["usage", "import", str(path)]) == 2
    captured = capsys.readouterr()
    assert key not in captured.out + captured.err
    assert not (isolated / "usage").exists() or not any((isolated / "usage").iterdir())


def test_zh_review_has_no_english_sentence(linked: str, capsys):
    """--lang zh: the usage section has no English sentence."""
    _, out = review(capsys, linked, "--lang", "zh")
    usage = out[out.index("实际用量"):]
    assert english_runs(usage, allowed=("openai/gpt-4o-mini",)) == []


def test_two_clones_importing_the_same_file_write_the_same_files(tmp_path, capsys):
    """The kept files carry no time and no local file name: the same bytes imported from two
    places into two workspaces make identical usage/ folders (git merges them cleanly)."""
    trees = []
    for name in ("a", "b"):
        src = tmp_path / f"copy-{name}" / "export.csv"
        src.parent.mkdir()
        src.write_bytes(LITELLM.read_bytes())
        ws = tmp_path / f"ws-{name}"
        assert main(["usage", "import", str(src), "--workspace", str(ws)]) == 0
        trees.append(files_of(ws / "usage"))
    assert trees[0] == trees[1]
    assert not any(b"export.csv" in data or b"copy-" in data for data in trees[0].values())
