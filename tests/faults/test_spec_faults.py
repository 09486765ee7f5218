"""Fault catalogue, spec side: every bad spec gets a clear message, exit 2, and nothing written.

Each case: an edit of the bundled example (or raw bytes), the exit code, and text the error must
contain. After each, the workspace must hold no record and no temp file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimators.errors import InputError
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from rubrics.spec import parse_spec
from tui.cli import main

BASE = EXAMPLE_SPEC.read_text()


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


CASES: list[tuple[str, str | bytes, str]] = [
    ("toml syntax: unclosed string", edit('title = "Support FAQ answers"', 'title = "Support'),
     "line 5, column"),
    ("toml syntax: duplicate key", edit("days_per_month = 30", "days_per_month = 30\ndays_per_month = 31"),
     "TOML syntax error"),
    ("toml syntax: bad table header", edit("[load]", "[load"), "TOML syntax error"),
    ("wrong type: string for number", edit("tasks_per_user_per_day = 0.3", 'tasks_per_user_per_day = "lots"'),
     "load.tasks_per_user_per_day"),
    ("wrong type: boolean for number", edit("retry_rate = 0.02", "retry_rate = true"),
     "Retry rate must be a number between 0 and 1 (a share: 0.25 = 25%); got true"),
    ("wrong type: integer field given a float", edit("turns = 1", "turns = 1.5"), "prompt.turns"),
    ("negative DAU", edit("{ low = 30000, likely = 50000, high = 70000 }", "-5"),
     "Daily active users must be between 0 and 10,000,000,000; got -5"),
    ("absurd DAU 1e15", edit("{ low = 30000, likely = 50000, high = 70000 }", "1e15"),
     "more than everyone on Earth"),
    ("peak factor 0", edit("peak_factor = 3.0", "peak_factor = 0"),
     "load.peak_factor (line 20): Peak factor must be between 1 and 10,000; got 0"),
    ("share above 1", edit("cache_hit_rate = 0.5", "cache_hit_rate = 1.5"),
     "Cache hit rate must be between 0 and 1 (a share: 0.25 = 25%); got 1.5"),
    ("NaN", edit("retry_rate = 0.02", "retry_rate = nan"), "load.retry_rate"),
    ("infinity", edit("loss_per_escape = 2.0", "loss_per_escape = inf"), "value.loss_per_escape"),
    ("unknown key with suggestion", edit("peak_factor = 3.0", "peak_factr = 3.0"),
     "did you mean peak_factor"),
    ("unknown section", edit("[commit]", "[comit]"), "unknown key 'comit'; did you mean commit"),
    ("unknown key in range",
     edit("{ low = 40, likely = 60, high = 150 }", "{ low = 40, mode = 60, high = 150 }"),
     "prompt.user_tokens"),
    ("range low above high",
     edit("{ low = 40, likely = 60, high = 150 }", "{ low = 400, likely = 60, high = 150 }"),
     "low <= likely <= high"),
    ("range missing likely", edit("{ low = 40, likely = 60, high = 150 }", "{ low = 40, high = 150 }"),
     "prompt.user_tokens"),
    ("range outside bounds",
     edit("escape_rate = 0.2", "escape_rate = { low = 0.1, likely = 0.2, high = 1.4 }"),
     "Escape rate (high) must be between 0 and 1 (a share: 0.25 = 25%); got 1.4"),
    ("missing required section", BASE.replace("[value]\n", "[unused]\n"),
     "value: the [value] table is required"),
    ("missing required field", edit("tasks_per_user_per_day = 0.3\n", ""),
     "load.tasks_per_user_per_day"),
    ("wrong schema", edit('schema = "scopecard.spec/1"', 'schema = "scopecard.spec/2"'), "schema must be"),
    ("empty file", "", "empty spec"),
    ("only comments", "# nothing here\n", "empty spec"),
    ("non-UTF-8 bytes", b'schema = "scopecard.spec/1"\ntitle = "\xff\xfe"\n', "not UTF-8"),
    ("unknown model with close names", edit('"openai/gpt-4o-mini"', '"openai/gpt-4o-minii"'),
     "did you mean openai/gpt-4o-mini"),
    ("model without vendor", edit('"openai/gpt-4o-mini"', '"gpt-4o-mini"'), "candidates[0].model"),
    ("duplicate candidate", edit('model = "qwen/qwen-plus"', 'model = "openai/gpt-4o-mini"'),
     "candidate listed twice"),
    ("no candidates", BASE.split("[[candidates]]")[0] + "[commit]\ntarget_roi = 0.5\n", "candidates"),
    ("unknown currency", edit('currency = "USD"', 'currency = "XYZ"'), "no FX rate from USD to XYZ"),
    ("lowercase currency", edit('currency = "USD"', 'currency = "usd"'), "currency"),
    ("unknown scenario", edit('scenario = "customer-service"', 'scenario = "customer-servise"'),
     "did you mean customer-service"),
    ("unknown route", edit('route = "rag"', 'route = "magic"'), "constraints.route"),
    ("unknown language", edit('language = "en"', 'language = "fr"'), "prompt.language"),
    ("two sources for one prompt part", edit("turns = 1", 'turns = 1\nuser_text = "hi"'),
     "give one of user_tokens / user_text"),
    ("prompt file missing", edit("support-faq-system.md", "missing-prompt.md"),
     "missing-prompt.md: no such file"),
    ("bad negotiated price", edit('model = "qwen/qwen-plus"',
                                  'model = "qwen/qwen-plus"\nprice = { input = -1, output = 1 }'),
     "candidates[2].price.input"),
    ("zero turns", edit("turns = 1", "turns = 0"), "prompt.turns"),
    ("amortize over 0 months", edit("amortize_months = 12", "amortize_months = 0"), "costs.amortize_months"),
    ("difficulty bar above 1", edit("hard = 0.75", "hard = 1.75"), "difficulty_bars"),
    ("unknown difficulty tier", edit("hard = 0.75", "extreme = 0.75"), "quality.difficulty_bars"),
]


@pytest.mark.parametrize(("name", "content", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_spec(name, content, expected, tmp_path: Path, isolated: Path, capsys):
    shutil.copy(EXAMPLE_SPEC.parent / "support-faq-system.md", tmp_path)
    spec = tmp_path / "spec.toml"
    spec.write_bytes(content if isinstance(content, bytes) else content.encode())
    code = main(["decide", str(spec), "--evals", str(EXAMPLE_EVALS)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err, err
    assert "Traceback" not in err and err.startswith("scopecard: error: ")
    assert not (isolated / "decisions").exists() or not any((isolated / "decisions").iterdir())


def test_huge_spec_is_refused_before_parsing(tmp_path: Path, capsys):
    spec = tmp_path / "huge.toml"
    spec.write_bytes(BASE.encode() + b"#" * 2_000_000)
    assert main(["estimate", str(spec)]) == 2
    assert "the limit is 1,000,000" in capsys.readouterr().err


def test_folder_given_as_spec(tmp_path: Path, capsys):
    assert main(["estimate", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_missing_spec_file(capsys):
    assert main(["estimate", "does-not-exist.toml"]) == 2
    assert "does-not-exist.toml: no such file" in capsys.readouterr().err


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_any_bytes_give_a_spec_or_a_clean_error(data: bytes):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return  # the file reader turns these into InputError (tested above)
    try:
        parse_spec(text, "fuzz.toml")
    except InputError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["load", "prompt", "value", "costs", "quality", "commit"]),
                       st.dictionaries(st.text(max_size=12),
                                       st.one_of(st.integers(), st.floats(), st.text(max_size=5),
                                                 st.booleans()), max_size=4), max_size=4))
def test_mutated_sections_give_a_spec_or_a_clean_error(sections):
    import tomli_w

    doc = {"schema": "scopecard.spec/1", "title": "fuzz", **sections,
           "candidates": [{"model": "openai/gpt-4o-mini"}]}
    try:
        parse_spec(tomli_w.dumps(doc), "fuzz.toml")
    except InputError:
        pass


def test_every_bad_field_on_its_own_line(tmp_path: Path, capsys):
    """Issue #18: the CLI reported only the first bad field of a spec; now one line per problem
    in the `FILE: field (line N): message` shape, exit 2."""
    spec = tmp_path / "spec.toml"
    spec.write_text(edit("peak_factor = 3.0", "peak_factor = 0").replace("turns = 1",
                                                                          "turns = 0"))
    assert main(["estimate", str(spec)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"scopecard: error: {spec}: load.peak_factor (line 20): Peak factor must be "
                   "between 1 and 10,000; got 0",
                   f"{spec}: prompt.turns (line 28): Turns must be between 1 and 1,000; got 0"]
