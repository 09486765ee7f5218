"""The spec loader: valid files load, bad ones name the file, the place and what is allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estimators.errors import InputError
from rubrics.examples import EXAMPLE_SPEC
from rubrics.spec import Range, json_schema, likely, load_spec, parse_spec

GOOD = EXAMPLE_SPEC.read_text()


def test_example_spec_loads():
    spec = load_spec(EXAMPLE_SPEC)
    assert spec.title == "Support FAQ answers"
    assert isinstance(spec.load.daily_active_users, Range)
    assert likely(spec.load.daily_active_users) == 50_000
    assert [c.model for c in spec.candidates][0] == "openai/gpt-4o-mini"


def _error(text: str) -> InputError:
    with pytest.raises(InputError) as e:
        parse_spec(text, "spec.toml")
    return e.value


def test_toml_syntax_error_names_line_and_column():
    err = _error(GOOD.replace('title = "Support FAQ answers"', 'title = "Support FAQ answers'))
    assert err.file == "spec.toml"
    assert err.where and err.where.startswith("line 5, column")


def test_value_error_names_field_line_and_bound():
    err = _error(GOOD.replace("peak_factor = 3.0", "peak_factor = 0.5"))
    assert err.where == "load.peak_factor (line 20)"
    assert err.message == "Peak factor must be between 1 and 10,000; got 0.5"


def test_range_with_low_above_high():
    err = _error(GOOD.replace("{ low = 40, likely = 60, high = 150 }",
                              "{ low = 400, likely = 60, high = 150 }"))
    assert err.where.startswith("prompt.user_tokens")
    assert "low <= likely <= high" in err.message


def test_absurd_number_refused():
    err = _error(GOOD.replace("{ low = 30000, likely = 50000, high = 70000 }", "1e15"))
    assert "daily_active_users" in err.where
    assert err.message == ("Daily active users must be between 0 and 10,000,000,000; got "
                           "1,000,000,000,000,000 (more than everyone on Earth is a typo)")


def test_unknown_key_suggests_the_right_one():
    err = _error(GOOD.replace("peak_factor = 3.0", "peak_factr = 3.0"))
    assert "unknown key 'peak_factr'" in err.message and "peak_factor" in err.message


def test_missing_required_section():
    err = _error(GOOD.replace("[value]", "[valu]"))
    assert "valu" in str(err) or "value" in str(err)


def test_wrong_type():
    err = _error(GOOD.replace("turns = 1", 'turns = "one"'))
    assert err.where.startswith("prompt.turns")


def test_wrong_schema_and_empty():
    assert "schema must be" in _error(GOOD.replace("scopecard.spec/1", "scopecard.spec/9")).message
    assert "empty spec" in _error("").message


def test_two_sources_for_one_prompt_part():
    err = _error(GOOD.replace("turns = 1", 'turns = 1\nuser_text = "hi"'))
    assert "user_tokens / user_text" in err.message


def test_non_utf8_file(tmp_path: Path):
    p = tmp_path / "bad.toml"
    p.write_bytes(b"title = \"\xff\xfe\"")
    with pytest.raises(InputError, match="not UTF-8"):
        load_spec(p)


def test_json_schema_is_json_and_describes_ranges():
    schema = json_schema()
    text = json.dumps(schema)
    assert "scopecard feature spec" in text and "likely" in text


DAU = "{ low = 30000, likely = 50000, high = 70000 }"


def test_message_names_label_value_and_range_in_units():
    """Issue #18: messages read like a developer's (`<= 1e+10`, `got str`); they now say the
    field's label, the value given and the allowed range with thousands separators."""
    err = _error(GOOD.replace(DAU, "-5000"))
    assert err.where == "load.daily_active_users (line 15)"
    assert err.message == "Daily active users must be between 0 and 10,000,000,000; got -5,000"
    err = _error(GOOD.replace("tasks_per_user_per_day = 0.3", 'tasks_per_user_per_day = "lots"'))
    assert err.message == ('Tasks per user per day must be a number between 0 and 100,000; '
                           'got "lots"')
    err = _error(GOOD.replace("turns = 1", "turns = 0"))
    assert err.message == "Turns must be between 1 and 1,000; got 0"


def test_range_end_is_named_in_words():
    """Issue #18: `low: is required`-style messages; a range's bad end is named in words."""
    err = _error(GOOD.replace(DAU, "{ low = -5, likely = 50000, high = 70000 }"))
    assert err.message == ("Daily active users (low) must be between 0 and 10,000,000,000; "
                           "got -5")


def test_units_are_said():
    """Issue #18: the allowed range is given in the field's units."""
    err = _error(GOOD.replace("turns = 1", "turns = 1\nreasoning_tokens = -1"))
    assert err.message == "Reasoning tokens must be between 0 and 1,000,000,000 tokens; got -1"


def test_every_bad_field_is_reported_at_once():
    """Issue #18: a spec with several bad fields reported only the first; now all of them,
    one `FILE: field (line N): message` line each."""
    err = _error(GOOD.replace(DAU, "-5000").replace("peak_factor = 3.0", "peak_factor = 0.5")
                 .replace("turns = 1", "turns = 0"))
    lines = str(err).splitlines()
    assert lines == [
        "spec.toml: load.daily_active_users (line 15): Daily active users must be between 0 "
        "and 10,000,000,000; got -5,000",
        "spec.toml: load.peak_factor (line 20): Peak factor must be between 1 and 10,000; got 0.5",
        "spec.toml: prompt.turns (line 28): Turns must be between 1 and 1,000; got 0"]


def test_messages_in_chinese_use_chinese_labels():
    """Issue #18: the messages in Chinese too, with the fields' Chinese labels."""
    with pytest.raises(InputError) as e:
        parse_spec(GOOD.replace(DAU, "-5000"), "spec.toml", lang="zh")
    assert e.value.message == "日活用户必须介于 0 和 10,000,000,000 之间；实际为 -5,000"
