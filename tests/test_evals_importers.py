"""Every shipped fixture file imports with hand-checked k/n, model and metric, or is refused.

The files are in tests/fixtures/evals/ (SOURCES.md there says which are real files from public
repositories and which were written here in the same shape). Expected numbers were read off
the files by hand (see the comment on each test); the lm-eval n values are the benchmark sizes
(gsm8k test = 1319, MMLU formal_logic = 126, …).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from estimators.errors import InputError
from rubrics.evals.detect import parse_bytes
from rubrics.evals.results import tally
from rubrics.evals.store import EvalStore
from tests.conftest import EVAL_FIXTURES, ROOT


def fx(rel: str) -> Path:
    return EVAL_FIXTURES / rel


def parse(path: Path, **kw):
    data = path.read_bytes()
    return parse_bytes(data, str(path), sha=hashlib.sha256(data).hexdigest(), **kw)


def totals(path: Path, **kw) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(model, suite) -> (k, n, errors) over the suite total."""
    return {(m, s): (t.k, t.n, t.errors)
            for (m, s, d), t in tally(parse(path, **kw).results).items() if d == "all"}


@pytest.fixture
def store(tmp_path: Path) -> EvalStore:
    with EvalStore(tmp_path / "evals.sqlite") as s:
        yield s


# ---- promptfoo --------------------------------------------------------------------------

def test_promptfoo_two_of_three_with_a_regex_failure() -> None:
    # Refund window pass, "Order number format" fail (failureReason 1: the regex wants BK-
    # and six digits, the answer was ORD-20481), Gift wrapping pass.
    path = fx("promptfoo/bookshop_v3_one-assertion-failure.json")
    p = parse(path)
    assert p.format == "promptfoo"
    by_case = {r.case_id: r.passed for r in p.results}
    assert by_case == {"Refund window": True, "Order number format": False, "Gift wrapping": True}
    r = p.results[0]
    assert (r.model, r.vendor, r.suite, r.metric) == (
        "openai/gpt-4o-mini", "openai", "Bookshop support smoke tests", "assertions")
    assert r.timestamp == "2026-03-09T10:12:44Z"
    assert totals(path) == {("openai/gpt-4o-mini", "Bookshop support smoke tests"): (2, 3, 0)}
    assert not any("stats" in w for w in p.warnings)  # its stats agree with its rows


def test_promptfoo_older_writer_without_errors_key() -> None:
    # Jan 2025 writer: no stats.errors, no metadata, no failureReason, no descriptions; 6/6.
    path = fx("promptfoo/summaries_v3_older-writer-no-errors-key.json")
    p = parse(path)
    assert sorted(r.case_id for r in p.results) == [f"test-{i}" for i in range(6)]
    assert totals(path) == {
        ("openai/gpt-4o", "promptfoo:summaries_v3_older-writer-no-errors-key"): (6, 6, 0)}
    assert p.results[0].timestamp == "2025-01-14T09:31:02Z"
    assert not any("stats" in w for w in p.warnings)


def test_promptfoo_two_prompts_are_two_suites() -> None:
    # ollama:completion:mistral, one test under two prompts, both fail.
    path = fx("promptfoo/local-demo_v3_two-prompts-one-test.json")
    t = totals(path)
    assert sorted(t.values()) == [(0, 1, 0), (0, 1, 0)]
    assert {m for m, _ in t} == {"ollama/mistral"}
    # The suffix is promptfoo's promptId (sha256 of each prompt).
    assert {s for _, s in t} == {"promptfoo:local-demo_v3_two-prompts-one-test [prompt 250865dd]",
                                 "promptfoo:local-demo_v3_two-prompts-one-test [prompt a2868927]"}
    # --suite renames the base; the prompt stays in the name.
    t2 = totals(path, suite="french")
    assert {s for _, s in t2} == {"french [prompt 250865dd]", "french [prompt a2868927]"}


def test_promptfoo_all_errors_reports_errors_not_failures() -> None:
    # 3 rows, gradingResult null, failureReason 2 (the Python worker never started).
    path = fx("promptfoo/helpdesk_v3_all-errors.json")
    p = parse(path)
    assert all(r.passed is None and r.errored for r in p.results)
    assert p.results[0].error.startswith("Error: Python worker exited before it was ready")
    assert totals(path) == {("Helpdesk Llama", "Helpdesk assistant regression suite"): (0, 0, 3)}
    assert any("errors are not failures" in w for w in p.warnings)


# ---- Inspect AI -------------------------------------------------------------------------

def test_inspect_vitals_small_sample() -> None:
    # model_graded_qa: both samples "C"; the log says accuracy 1.0, stderr 0.0.
    path = fx("inspect/vitals_2025-03-24T10-39-36-05-00_simple-arithmetic_fQ9mYnqZFhtEuUenPpJgKL.json")
    p = parse(path)
    assert totals(path) == {("anthropic/claude-3-5-sonnet-latest", "simple_arithmetic"): (2, 2, 0)}
    r = p.results[0]
    assert (r.metric, r.vendor, r.timestamp) == ("model_graded_qa", "anthropic",
                                                 "2025-03-24T15:39:36Z")
    assert any("small sample" in w for w in p.warnings)


def test_inspect_json_and_eval_zip_agree() -> None:
    # The same run (ollama/llama3.1, popularity, limit 1): sample 1 scored "I".
    pj = parse(fx("inspect/inspect_ai_tests_log_formats.json"))
    pz = parse(fx("inspect/inspect_ai_tests_log_formats.eval"))
    assert pj.results == pz.results
    (r,) = pj.results
    assert (r.case_id, r.model, r.suite, r.passed, r.score, r.metric) == (
        "popularity:1", "ollama/llama3.1", "popularity", False, 0.0, "match")
    assert r.timestamp == "2024-10-15T16:53:13Z"
    assert any("limited to 1 of the dataset's 100" in w for w in pj.warnings)


def test_inspect_cancelled_run_refused_unless_allowed() -> None:
    path = fx("inspect/inspect_ai_tests_2025-05-12T20-28-13-04-00_popularity_cancelled.json")
    with pytest.raises(InputError, match="status is 'cancelled'.*3 of 3 samples.*dataset has 100"):
        parse(path)
    # Samples 1 and 2 scored "C", sample 3 "I".
    assert totals(path, allow_partial=True) == {("openai/gpt-4o-mini", "popularity"): (2, 3, 0)}


# ---- lm-evaluation-harness --------------------------------------------------------------

def test_lm_eval_gsm8k_backs_out_n() -> None:
    # exact_match,strict-match 0.39954511 (527/1319), stderr 0.01349166:
    # p(1-p)/se² + 1 = 1319.0 (gsm8k test size), k = 0.39954511 × 1319 = 527.
    path = fx("lm_eval/mistral-7b-instruct_gsm8k_v04_two-filters.json")
    p = parse(path)
    (r,) = p.results
    assert (r.model, r.vendor, r.suite, r.metric) == (
        "mistralai/Mistral-7B-Instruct-v0.2", "mistralai", "gsm8k", "exact_match,strict-match")
    assert (r.k, r.n, r.approximate) == (527, 1319, True)
    assert r.stderr == pytest.approx(0.013491660298816035)
    assert r.timestamp == "2024-05-28T10:00:12Z"  # date 1716890412.34 (epoch seconds)
    assert any("backed out of stderr" in w for w in p.warnings)


def test_lm_eval_mmlu_groups_sum_subtasks() -> None:
    path = fx("lm_eval/qwen2-7b-instruct_mmlu-subset_v04_groups.json")
    t = totals(path)
    m = "Qwen/Qwen2-7B-Instruct"
    assert len(t) == 8 + 4 + 1  # subjects, categories, mmlu
    assert t[(m, "mmlu_formal_logic")] == (61, 126, 0)
    assert t[(m, "mmlu_abstract_algebra")] == (38, 100, 0)
    # Groups: n is the sum of their subjects (humanities 126 + 171, all 8 subjects 1214).
    assert t[(m, "mmlu_humanities")] == (200, 297, 0)  # 0.67340067 × 297
    assert t[(m, "mmlu")] == (813, 1214, 0)  # 0.66968699 × 1214
    groups = {r.suite for r in parse(path).results if "group" in r.tags}
    assert groups == {"mmlu", "mmlu_humanities", "mmlu_other", "mmlu_social_sciences", "mmlu_stem"}


def test_lm_eval_v03_schema() -> None:
    # Bare "acc"/"acc_stderr" keys; acc preferred over acc_norm; model from model_args.
    path = fx("lm_eval/phi-2_v03_acc-and-acc-norm.json")
    t = totals(path)
    m = "microsoft/phi-2"
    assert t == {(m, "arc_challenge"): (513, 1172, 0), (m, "arc_easy"): (1898, 2376, 0),
                 (m, "hellaswag"): (5573, 10042, 0), (m, "piqa"): (1452, 1838, 0),
                 (m, "winogrande"): (961, 1267, 0)}
    assert {r.metric for r in parse(path).results} == {"acc"}
    assert {r.timestamp for r in parse(path).results} == {""}


def test_lm_eval_0_to_100_judge_and_similarity_skipped() -> None:
    # llm_judge 36.292 on 0–100 with n-samples 100 → 0.36292, k = 36; the gen task has only
    # bleu/rouge/bert_score (similarities) and is skipped with its reason.
    path = fx("lm_eval/lmeval-pr3471_results_2025-12-17T21-42-56.466948.json")
    p = parse(path)
    (r,) = p.results
    assert (r.model, r.suite, r.metric) == ("Qwen/Qwen3-8B", "nl2foam_llm_judge_formatted",
                                            "llm_judge,none")
    assert (r.k, r.n, r.score) == (36, 100, pytest.approx(0.36292))
    assert r.stderr == pytest.approx(0.005650664316204675)
    assert any("0–100 scale" in w for w in p.warnings)
    assert any("nl2foam_gen_formatted" in w and "not pass rates" in w for w in p.warnings)


def test_lm_eval_perplexity_refused() -> None:
    path = fx("lm_eval/lmeval-pr3471_results_2025-12-17T20-28-43.535870_perplexity-NA-stderr.json")
    with pytest.raises(InputError, match="lower-is-better") as e:
        parse(path)
    assert e.value.file == str(path)


def test_lm_eval_forced_metric() -> None:
    path = fx("lm_eval/mistral-7b-instruct_gsm8k_v04_two-filters.json")
    (r,) = parse(path, metric="exact_match,flexible-extract").results
    assert (r.k, r.n) == (559, 1319)  # 0.42380591 × 1319


# ---- OpenCompass ------------------------------------------------------------------------

def test_opencompass_judge_results_per_case() -> None:
    # 8 items, every verdict "选择：A" / "Choice: A": answer 1 (baichuan2) good, answer 2 bad.
    path = fx("opencompass/oc-pr680_results_baichuan2-7b-chat-hf_qwen-7b-chat-hf_COREV2_6A_.json")
    assert totals(path) == {("baichuan2-7b-chat-hf", "COREV2_6A_"): (8, 8, 0),
                            ("qwen-7b-chat-hf", "COREV2_6A_"): (0, 8, 0)}
    tags = {r.tags for r in parse(path).results}
    assert ("知识-社会常识",) in tags


def test_opencompass_report_and_predictions_refused() -> None:
    with pytest.raises(InputError, match="preferences, not pass rates"):
        parse(fx("opencompass/oc-pr680_corev2_20231208_194351_report.csv"))
    with pytest.raises(InputError, match="no grading"):
        parse(fx("opencompass/oc-pr680_predictions_qwen-7b-chat-hf_COREV2_6A_.json"))


def test_opencompass_summary_csv_means_only() -> None:
    path = fx("opencompass/opencompass_summary_20240301_120000.csv")
    p = parse(path)
    got = {(r.model, r.suite): (r.score, r.k, r.n, r.metric) for r in p.results}
    assert got[("qwen-7b-chat-hf", "gsm8k")] == (pytest.approx(0.5239), 0, 0, "accuracy")
    assert got[("internlm2-chat-7b-hf", "humaneval")][0] == pytest.approx(0.5915)
    assert ("internlm2-chat-7b-hf", "ceval") not in got  # "-"
    assert not any(s in ("lambada", "triviaqa") for _, s in got)  # bits_per_byte; all "-"
    assert len(got) == 7
    assert {r.timestamp for r in p.results} == {"2024-03-01T12:00:00"}
    assert any("no sample count" in w for w in p.warnings)


# ---- native CSV -------------------------------------------------------------------------

def test_native_example_csv() -> None:
    path = ROOT / "rubrics" / "data" / "examples" / "support-faq-results.csv"
    t = totals(path)
    assert t[("openai/gpt-4o-mini", "support-faq")] == (116, 120, 0)
    assert t[("deepseek/deepseek-chat", "support-faq")] == (116, 118, 2)
    assert t[("qwen/qwen-plus", "support-faq")] == (100, 119, 1)


# ---- every shipped file, through the store -----------------------------------------------

REFUSED = {
    "inspect/inspect_ai_tests_2025-05-12T20-28-13-04-00_popularity_cancelled.json": "cancelled",
    "lm_eval/lmeval-pr3471_results_2025-12-17T20-28-43.535870_perplexity-NA-stderr.json":
        "lower-is-better",
    "opencompass/oc-pr680_corev2_20231208_194351_report.csv": "preferences",
    "opencompass/oc-pr680_predictions_qwen-7b-chat-hf_COREV2_6A_.json": "no grading",
    "promptfoo/reply-tone_demo_no-provider_stats-disagree.json": "no model",
}


def test_every_fixture_imports_or_is_refused(store: EvalStore) -> None:
    files = sorted(p for p in EVAL_FIXTURES.rglob("*") if p.is_file() and p.suffix != ".md")
    assert len(files) == 23
    for path in files:
        rel = path.relative_to(EVAL_FIXTURES).as_posix()
        if rel in REFUSED:
            before = store.counts()
            with pytest.raises(InputError, match=REFUSED[rel]):
                store.import_file(path)
            assert store.counts() == before
        else:
            report = store.import_file(path)
            assert report.runs, rel
    # log_formats.json and .eval hold the same run: stored once.
    runs = [r for r in store.runs() if r.model == "ollama/llama3.1"]
    assert len(runs) == 1
