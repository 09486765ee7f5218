"""Fault catalogue, importer side: real-world eval files the importers once read wrongly.

Each test names the defect (issue #15) and uses a file in tests/fixtures/evals/ written in the
shape of the tool that produced the original (see SOURCES.md there).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from estimators.errors import InputError
from rubrics.evals import lm_eval
from rubrics.evals.detect import parse_bytes
from rubrics.evals.results import Parsed, tally
from rubrics.evals.store import EvalStore
from tests.conftest import EVAL_FIXTURES

PROMPTFOO_V2 = EVAL_FIXTURES / "promptfoo" / "rail-support_v2_two-templates-two-tests.json"
PROMPTFOO_DEMO = EVAL_FIXTURES / "promptfoo" / "reply-tone_demo_no-provider_stats-disagree.json"
LM_EVAL_CROWS = EVAL_FIXTURES / "lm_eval" / "pythia-1.4b_v03_crows-pairs.json"
LM_EVAL_GSM8K = EVAL_FIXTURES / "lm_eval" / "mistral-7b-instruct_gsm8k_v04_two-filters.json"
INSPECT_CAPITALS = (EVAL_FIXTURES / "inspect"
                    / "2026-02-03T09-15-00+00-00_capital-cities_Hc2vQ8mTn4Lr7Wx1Pz6Ke3.json")
INSPECT_UNITS = (EVAL_FIXTURES / "inspect"
                 / "2026-02-03T09-16-12+00-00_unit-conversion_Mp4Xc7Vb2Nq9Lk5Jh3Gf8D.json")


def parse_data(data: bytes, source: str, **kw: object) -> Parsed:
    return parse_bytes(data, source, sha=hashlib.sha256(data).hexdigest(), **kw)


def parse(path: Path, **kw: object) -> Parsed:
    return parse_data(path.read_bytes(), str(path), **kw)


def totals(p: Parsed) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {(m, s): (t.k, t.n, t.errors) for (m, s, d), t in tally(p.results).items() if d == "all"}


@pytest.fixture
def store(tmp_path: Path) -> EvalStore:
    with EvalStore(tmp_path / "evals.sqlite") as s:
        yield s


def test_promptfoo_v2_suites_are_keyed_on_the_template_not_the_filled_in_prompt() -> None:
    """Defect: a `version: 2` file (2 templates x 2 tests) became 4 one-case suites, keyed on
    the rendered prompt text, with the warning "4 prompts in one file"."""
    p = parse(PROMPTFOO_V2)
    base = "promptfoo:rail-support_v2_two-templates-two-tests"
    # Template 1 (sha256 25884101…) passed both tests; template 2 (78dc2cc6…) failed the
    # delay-refund test ("compensation", not "refund").
    assert totals(p) == {("openai/gpt-3.5-turbo", f"{base} [prompt 25884101]"): (2, 2, 0),
                         ("openai/gpt-3.5-turbo", f"{base} [prompt 78dc2cc6]"): (1, 2, 0)}
    cases = {(r.suite[-9:-1], r.case_id): r.passed for r in p.results}
    assert cases == {("25884101", "test-0"): True, ("25884101", "test-1"): True,
                     ("78dc2cc6", "test-0"): True, ("78dc2cc6", "test-1"): False}
    assert any(w.startswith("2 prompts in one file") for w in p.warnings)


def test_promptfoo_file_naming_no_model_is_refused(store: EvalStore) -> None:
    """Defect: a promptfoo-like file with no provider anywhere was imported (exit 0) as model
    'unknown'. Results that name no model cannot be checked against any candidate."""
    with pytest.raises(InputError, match="no model.*2 of 2 results") as e:
        parse(PROMPTFOO_DEMO)
    assert e.value.file == str(PROMPTFOO_DEMO)
    before = store.counts()
    with pytest.raises(InputError, match="no model"):
        store.import_file(PROMPTFOO_DEMO)
    assert store.counts() == before


def test_promptfoo_stats_that_disagree_with_the_results_warn_and_the_results_win() -> None:
    """Defect: the same demo's own stats (9 passed of 12) disagree with its 2 listed results,
    silently; and its passing case (`pass: true`, no `success`) was called an error."""
    doc = json.loads(PROMPTFOO_DEMO.read_text(encoding="utf-8"))
    for row in doc["results"]["results"]:  # name a model, as a user's real file would
        row["provider"] = {"id": "openai:gpt-4o-mini", "label": ""}
    p = parse_data(json.dumps(doc).encode(), "demo.json")
    assert {r.case_id: r.passed for r in p.results} == {
        "Greets the customer": True, "Mentions the refund policy": False}
    assert totals(p) == {("openai/gpt-4o-mini", "Customer reply tone (demo)"): (1, 2, 0)}
    (w,) = [w for w in p.warnings if "stats" in w]
    assert "9 passed of 12" in w and "2 results" in w and "listed results are used" in w


def test_lm_eval_v03_crows_pairs_likelihood_difference_is_not_a_pass_rate() -> None:
    """Defect: an 0.3-era file's 22 crows_pairs_* tasks were imported from
    `likelihood_difference` (a mean log-likelihood gap) read as a 0-100 percentage, with n
    backed out of its stderr (e.g. 1345/39055 where the task has about 1,677 pairs)."""
    p = parse(LM_EVAL_CROWS)
    got = {r.suite: (r.metric, r.k, r.n) for r in p.results}
    # lambada_openai acc 3178/5153 (its ppl is lower-is-better); sciq acc 865/1000.
    assert got == {"lambada_openai": ("acc", 3178, 5153), "sciq": ("acc", 865, 1000)}
    skipped = [w for w in p.warnings if w.startswith("skipped crows_pairs_")]
    assert len(skipped) == 22
    assert any("crows_pairs_english: " in w and "likelihood_difference" in w
               and "not pass rates" in w for w in skipped)
    assert not any("0–100 scale" in w for w in p.warnings)
    # A file with nothing but such tasks gives nothing to import: refused, not guessed.
    doc = json.loads(LM_EVAL_CROWS.read_text(encoding="utf-8"))
    for task in ("lambada_openai", "sciq"):
        del doc["results"][task], doc["versions"][task]
    with pytest.raises(InputError, match="nothing to import"):
        parse_data(json.dumps(doc).encode(), "crows-only.json")


def test_inspect_suite_hash_includes_the_task_and_dataset(store: EvalStore, tmp_path: Path) -> None:
    """Defect: two different Inspect tasks that both number their samples 1-3 got the same
    suite_hash, so results of different suites could be compared as if on the same cases."""
    a = store.import_file(INSPECT_CAPITALS).runs[0]
    b = store.import_file(INSPECT_UNITS).runs[0]
    assert (a.suite, b.suite) == ("capital_cities", "unit_conversion")
    assert a.suite_hash != b.suite_hash
    # Filed under one name with --suite, they still stay two case sets.
    with EvalStore(tmp_path / "renamed.sqlite") as s2:
        ra = s2.import_file(INSPECT_CAPITALS, suite="geo-and-units").runs[0]
        rb = s2.import_file(INSPECT_UNITS, suite="geo-and-units").runs[0]
        assert ra.suite == rb.suite == "geo-and-units"
        assert ra.suite_hash != rb.suite_hash
        assert len(s2.suites()) == 2


def test_lm_eval_suite_rename_keeps_the_task_version() -> None:
    """Defect B035 (rubrics/evals/lm_eval.py): the renamed suite's version came from a dict
    comprehension with a constant key, which keeps only the last of several versions."""
    doc = json.loads(LM_EVAL_GSM8K.read_text(encoding="utf-8"))
    p = lm_eval.parse(doc, "gsm8k.json", "ab" * 32, suite="grade-school-math")
    assert p.suite_versions == {"grade-school-math": "3.0"}
    # Two tasks, two versions: one name cannot hold both, so --suite is refused.
    doc["results"]["gsm8k_cot"] = dict(doc["results"]["gsm8k"])
    doc["versions"]["gsm8k_cot"] = 2.0
    with pytest.raises(InputError, match="2 suites"):
        lm_eval.parse(doc, "gsm8k.json", "ab" * 32, suite="grade-school-math")


def test_opencompass_suite_rename_keeps_the_version_of_the_imported_dataset() -> None:
    """Defect B035 (same pattern in rubrics/evals/opencompass.py): with --suite, the stored
    version was the last row's of the whole CSV, here triviaqa's (no results) instead of
    gsm8k's, and the version is part of an aggregate suite's hash."""
    path = EVAL_FIXTURES / "opencompass" / "summary_one-dataset-and-skipped_20240412_093000.csv"
    p = parse(path, suite="grade-school-math")
    assert [(r.suite, r.score) for r in p.results] == [("grade-school-math", pytest.approx(0.7961))]
    assert p.suite_versions == {"grade-school-math": "1d7fe4"}
    assert parse(path).suite_versions == {"gsm8k": "1d7fe4"}  # only suites with results
