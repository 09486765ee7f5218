"""Shared set-up for the app tests (a fixed workspace, clock and catalogue), and tests of the
app's plain helpers: strings in both languages, the wizard's data paths, number parsing."""

from __future__ import annotations

import datetime as dt
import functools
import re
import tempfile
from pathlib import Path

import pytest

from estimators.paths import Workspace
from tui import i18n
from tui.steps import get_path, set_path, step_of
from tui.widgets.fields import fmt_number, parse_int, parse_number

TODAY = dt.date(2026, 12, 1)
SEED = 7
TUI = Path(__file__).resolve().parent.parent / "tui"

# Fixed prices for the example's three models, so results do not move when the bundled
# catalogue is refreshed; the FX rate is a workspace pin, which wins over the bundled ECB rates.
PINNED_FX = """
schema = "scopecard.prices/1"

[[fx]]
base = "USD"
quote = "CNY"
rate = 7.0
date = 2026-01-01
source = "test rate"
"""
CATALOGUE = """
schema = "scopecard.prices/1"
version = "app-test"

[[models]]
id = "openai/gpt-4o-mini"
currency = "USD"
input = 0.15
output = 0.60
cache_read = 0.075
regions = ["US", "EU"]
context_window = 128000
tokenizer = "o200k"
source = "test"
verified_on = 2026-01-01
rate_limit = { tier = "tier 1", rpm = 500, tpm = 200000 }

[[models]]
id = "deepseek/deepseek-chat"
currency = "USD"
input = 0.27
output = 1.10
cache_read = 0.07
regions = ["CN"]
context_window = 64000
tokenizer = "deepseek"
source = "test"
verified_on = 2026-01-01

[[models]]
id = "qwen/qwen-plus"
currency = "CNY"
input = 1.8
output = 5.4
context_window = 1000000
tokenizer = "qwen"
source = "test"
verified_on = 2026-01-01
"""


def seed_workspace(root: Path) -> Workspace:
    """A workspace whose catalogue is CATALOGUE, with the FX rate PINNED_FX."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "prices.catalogue.toml").write_text(CATALOGUE, encoding="utf-8")
    (root / "prices.local.toml").write_text(PINNED_FX, encoding="utf-8")
    return Workspace(root)


@functools.cache
def _example_record() -> tuple[str, bytes]:
    """The bundled example decided once per test run (fixed seed, date and prices)."""
    from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
    from rubrics.pipeline import decide_spec, save_record

    with tempfile.TemporaryDirectory() as tmp:
        ws = seed_workspace(Path(tmp))
        _, record = decide_spec(EXAMPLE_SPEC, ws, EXAMPLE_EVALS, seed=SEED, today=TODAY)
        # a fixed moment: the id ends in a hash of the decision, and snapshots show the id
        record["created"] = dt.datetime.combine(TODAY, dt.time(9, 30), tzinfo=dt.UTC)
        path = save_record(ws, record, TODAY)
        return path.parent.name, path.read_bytes()


def write_example_record(ws: Workspace) -> Path:
    """Put the example's record into a workspace's decisions/; returns its decision file."""
    record_id, data = _example_record()
    path = ws.decisions / record_id / "decision.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_corrupt_record(ws: Workspace) -> Path:
    path = ws.decisions / "2026-01-01-broken-000000" / "decision.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('schema = "scopecard.decision/2"\ntitle = "unterminated\n', encoding="utf-8")
    return path


def make_app(ws: Workspace, lang: str = "en"):
    from tui.app import ScopecardApp

    i18n.set_language(lang)
    return ScopecardApp(ws, today=TODAY, blink=False)


@pytest.fixture(autouse=True)
def english_afterwards():
    """The language is process-wide: every test leaves it English."""
    yield
    i18n.set_language("en")


# --- tests of the helpers ---------------------------------------------------------------------

def _used_keys() -> set[str]:
    keys = set()
    for path in TUI.rglob("*.py"):
        keys |= set(re.findall(r"\bt\(\s*[\"']([a-z_]+\.[a-z_.]+)[\"']", path.read_text("utf-8")))
    return keys


def test_every_string_exists_in_both_languages():
    assert set(i18n.EN) == set(i18n.ZH)
    missing = {k for k in _used_keys() if k not in i18n.EN}
    assert not missing
    # field labels and help, in both languages: tests/test_spec_fields.py


def test_language_from_flag_then_locale():
    assert i18n.detect_language("zh", {}) == "zh"
    assert i18n.detect_language(None, {"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.detect_language(None, {"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.detect_language(None, {}) == "en"


def test_numbers_as_typed():
    assert parse_number("1,200") == 1200.0
    assert parse_number("20%") == pytest.approx(0.2)
    assert parse_number("  ") is None
    assert parse_number("lots") == "lots"  # passed on: the spec model says what is allowed
    assert parse_int("30") == 30
    assert fmt_number(50000.0) == "50000" and fmt_number(0.3) == "0.3"


def test_paths_set_and_clear():
    data: dict = {}
    set_path(data, "quality.difficulty_bars.easy", 0.9)
    assert get_path(data, "quality.difficulty_bars.easy") == 0.9
    set_path(data, "quality.difficulty_bars.easy", None)
    assert data == {}
    assert step_of(("load", "peak_factor")) == "load"
    assert step_of(("title",)) == "need"
    assert step_of(()) == "candidates"
