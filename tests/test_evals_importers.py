"""Every real fixture file imports with hand-checked k/n, model and metric, or is refused.

Expected numbers were read off the files by hand (see the comment on each test); the
lm-eval n values are the benchmark sizes (gsm8k test = 1319, MMLU humanities = 4705, …).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from estimators.errors import InputError
from rubrics.evals.detect import parse_bytes
from rubrics.evals.results import tally
from rubrics.evals.store import EvalStore

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "fixtures" / "evals"
LOCAL = Path(__file__).parent / "fixtures" / "evals"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared eval fixtures absent")


def fx(rel: str) -> Path:
    return SHARED / rel


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

@needs_shared
def test_promptfoo_two_of_three_with_a_regex_failure() -> None:
    # Capital of France pass, "Multiplication 7×8" fail (failureReason 1: the regex wants 56
    # but the question asks 8×8), Home planet pass.
    p = parse(fx("promptfoo/krystianbergmann_prompt-eval-workbench_promptfoo-results.json"))
    assert p.format == "promptfoo"
    by_case = {r.case_id: r.passed for r in p.results}
    assert by_case == {"Capital of France": True, "Multiplication 7×8": False, "Home planet": True}
    r = p.results[0]
    assert (r.model, r.vendor, r.suite, r.metric) == (
        "openai/gpt-4o-mini", "openai", "Prompt eval smoke tests", "assertions")
    assert r.timestamp == "2026-04-22T15:48:05Z"
    assert totals(fx("promptfoo/krystianbergmann_prompt-eval-workbench_promptfoo-results.json")) == {
        ("openai/gpt-4o-mini", "Prompt eval smoke tests"): (2, 3, 0)}


@needs_shared
def test_promptfoo_older_writer_without_errors_key() -> None:
    # Jan 2025: no stats.errors, no metadata, no failureReason, no descriptions; 6/6 pass.
    path = fx("promptfoo/kacper-hernacki_aidevs3_promptfoo_results.json")
    p = parse(path)
    assert sorted(r.case_id for r in p.results) == [f"test-{i}" for i in range(6)]
    assert totals(path) == {("openai/gpt-4o", "promptfoo:kacper-hernacki_aidevs3_promptfoo_results"):
                            (6, 6, 0)}
    assert p.results[0].timestamp == "2025-01-21T17:54:23Z"


@needs_shared
def test_promptfoo_two_prompts_are_two_suites() -> None:
    # ollama:completion:llama3, one test under two prompts, both fail.
    path = fx("promptfoo/wadys_ai-qa-demo_results.json")
    t = totals(path)
    assert sorted(t.values()) == [(0, 1, 0), (0, 1, 0)]
    assert {m for m, _ in t} == {"ollama/llama3"}
    assert {s for _, s in t} == {"promptfoo:wadys_ai-qa-demo_results [prompt d2967cbf]",
                                 "promptfoo:wadys_ai-qa-demo_results [prompt 710848a9]"}
    # --suite renames the base; the prompt stays in the name.
    t2 = totals(path, suite="translate")
    assert {s for _, s in t2} == {"translate [prompt d2967cbf]", "translate [prompt 710848a9]"}


@needs_shared
def test_promptfoo_all_errors_reports_errors_not_failures() -> None:
    # 3 rows, gradingResult null, failureReason 2 ("Worker failed to become ready").
    path = fx("promptfoo/codenjosh_naksu-chatbot_promptfoo-results_all-errors.json")
    p = parse(path)
    assert all(r.passed is None and r.errored for r in p.results)
    assert p.results[0].error.startswith("Error: Worker failed to become ready")
    assert totals(path) == {("Naksu Gemini", "Naksu AI Gemini regression suite"): (0, 0, 3)}
    assert any("errors are not failures" in w for w in p.warnings)


# ---- Inspect AI -------------------------------------------------------------------------

@needs_shared
def test_inspect_vitals_small_sample() -> None:
    # model_graded_qa: both samples "C"; the log says accuracy 1.0, stderr 0.0.
    path = fx("inspect/vitals_2025-03-24T10-39-36-05-00_simple-arithmetic_fQ9mYnqZFhtEuUenPpJgKL.json")
    p = parse(path)
    assert totals(path) == {("anthropic/claude-3-5-sonnet-latest", "simple_arithmetic"): (2, 2, 0)}
    r = p.results[0]
    assert (r.metric, r.vendor, r.timestamp) == ("model_graded_qa", "anthropic",
                                                 "2025-03-24T15:39:36Z")
    assert any("small sample" in w for w in p.warnings)


@needs_shared
def test_inspect_json_and_eval_zip_agree() -> None:
    # The same run (ollama/llama3.1, popularity, limit 1): sample 1 scored "I".
    pj = parse(fx("inspect/inspect_ai_tests_log_formats.json"))
    pz = parse(fx("inspect/inspect_ai_tests_log_formats.eval"))
    assert pj.results == pz.results
    (r,) = pj.results
    assert (r.case_id, r.model, r.suite, r.passed, r.score, r.metric) == (
        "1", "ollama/llama3.1", "popularity", False, 0.0, "match")
    assert r.timestamp == "2024-10-15T16:53:13Z"
    assert any("limited to 1 of the dataset's 100" in w for w in pj.warnings)


@needs_shared
def test_inspect_cancelled_run_refused_unless_allowed() -> None:
    path = fx("inspect/inspect_ai_tests_2025-05-12T20-28-13-04-00_popularity_cancelled.json")
    with pytest.raises(InputError, match="status is 'cancelled'.*3 of 3 samples.*dataset has 100"):
        parse(path)
    # Samples 1 and 2 scored "C", sample 3 "I".
    assert totals(path, allow_partial=True) == {("openai/gpt-4o-mini", "popularity"): (2, 3, 0)}


# ---- lm-evaluation-harness --------------------------------------------------------------

@needs_shared
def test_lm_eval_gsm8k_backs_out_n() -> None:
    # exact_match,strict-match 0.7558756633813495, stderr 0.011832404674077592:
    # p(1-p)/se² + 1 = 1319.0 (gsm8k test size), k = 0.75587566 × 1319 = 997.
    path = fx("lm_eval/saucam_model_evals_Meta-Llama-3-8B-Instruct_gsm8k.json")
    p = parse(path)
    (r,) = p.results
    assert (r.model, r.vendor, r.suite, r.metric) == (
        "meta-llama/Meta-Llama-3-8B-Instruct", "meta-llama", "gsm8k", "exact_match,strict-match")
    assert (r.k, r.n, r.approximate) == (997, 1319, True)
    assert r.stderr == pytest.approx(0.011832404674077592)
    assert r.timestamp == "2024-04-19T11:16:59Z"
    assert any("backed out of stderr" in w for w in p.warnings)


@needs_shared
def test_lm_eval_mmlu_groups_sum_subtasks() -> None:
    path = fx("lm_eval/saucam_model_evals_Meta-Llama-3-8B-Instruct_mmlu_groups.json")
    t = totals(path)
    m = "meta-llama/Meta-Llama-3-8B-Instruct"
    assert len(t) == 57 + 4 + 1  # subjects, categories, mmlu
    assert t[(m, "mmlu_formal_logic")] == (64, 126, 0)  # 0.50793650 × 126
    assert t[(m, "mmlu_abstract_algebra")] == (31, 100, 0)
    # Groups: n is the sum of their subjects (humanities 4705, all of MMLU 14042).
    assert t[(m, "mmlu_humanities")] == (2853, 4705, 0)  # 0.60637620 × 4705
    assert t[(m, "mmlu")] == (9242, 14042, 0)  # 0.65816835 × 14042
    groups = {r.suite for r in parse(path).results if "group" in r.tags}
    assert groups == {"mmlu", "mmlu_humanities", "mmlu_other", "mmlu_social_sciences", "mmlu_stem"}


@needs_shared
def test_lm_eval_v03_schema() -> None:
    # Bare "acc"/"acc_stderr" keys; acc preferred over acc_norm; model from model_args.
    path = fx("lm_eval/saucam_model_evals_Nereus-7B_agieval_v03-format.json")
    t = totals(path)
    m = "saucam/Nereus-7B"
    assert t == {(m, "agieval_aqua_rat"): (51, 254, 0), (m, "agieval_logiqa_en"): (235, 651, 0),
                 (m, "agieval_lsat_ar"): (54, 230, 0), (m, "agieval_lsat_lr"): (239, 510, 0),
                 (m, "agieval_lsat_rc"): (152, 269, 0), (m, "agieval_sat_en"): (152, 206, 0),
                 (m, "agieval_sat_en_without_passage"): (94, 206, 0),
                 (m, "agieval_sat_math"): (82, 220, 0)}
    assert {r.metric for r in parse(path).results} == {"acc"}
    assert {r.timestamp for r in parse(path).results} == {""}


@needs_shared
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


@needs_shared
def test_lm_eval_perplexity_refused() -> None:
    path = fx("lm_eval/lmeval-pr3471_results_2025-12-17T20-28-43.535870_perplexity-NA-stderr.json")
    with pytest.raises(InputError, match="lower-is-better") as e:
        parse(path)
    assert e.value.file == str(path)


@needs_shared
def test_lm_eval_forced_metric() -> None:
    path = fx("lm_eval/saucam_model_evals_Meta-Llama-3-8B-Instruct_gsm8k.json")
    (r,) = parse(path, metric="exact_match,flexible-extract").results
    assert (r.k, r.n) == (993, 1319)  # 0.75284306 × 1319


# ---- OpenCompass ------------------------------------------------------------------------

@needs_shared
def test_opencompass_judge_results_per_case() -> None:
    # 8 items, every verdict "选择：A" / "Choice: A": answer 1 (baichuan2) good, answer 2 bad.
    path = fx("opencompass/oc-pr680_results_baichuan2-7b-chat-hf_qwen-7b-chat-hf_COREV2_6A_.json")
    assert totals(path) == {("baichuan2-7b-chat-hf", "COREV2_6A_"): (8, 8, 0),
                            ("qwen-7b-chat-hf", "COREV2_6A_"): (0, 8, 0)}
    tags = {r.tags for r in parse(path).results}
    assert ("知识-社会常识",) in tags


@needs_shared
def test_opencompass_report_and_predictions_refused() -> None:
    with pytest.raises(InputError, match="preferences, not pass rates"):
        parse(fx("opencompass/oc-pr680_corev2_20231208_194351_report.csv"))
    with pytest.raises(InputError, match="no grading"):
        parse(fx("opencompass/oc-pr680_predictions_qwen-7b-chat-hf_COREV2_6A_.json"))


def test_opencompass_summary_csv_means_only() -> None:
    path = LOCAL / "opencompass_summary_20240301_120000.csv"
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
    path = REPO / "rubrics" / "data" / "examples" / "support-faq-results.csv"
    t = totals(path)
    assert t[("openai/gpt-4o-mini", "support-faq")] == (116, 120, 0)
    assert t[("deepseek/deepseek-chat", "support-faq")] == (116, 118, 2)
    assert t[("qwen/qwen-plus", "support-faq")] == (100, 119, 1)


# ---- every shared file, through the store -------------------------------------------------

REFUSED = {
    "inspect/inspect_ai_tests_2025-05-12T20-28-13-04-00_popularity_cancelled.json": "cancelled",
    "lm_eval/lmeval-pr3471_results_2025-12-17T20-28-43.535870_perplexity-NA-stderr.json":
        "lower-is-better",
    "opencompass/oc-pr680_corev2_20231208_194351_report.csv": "preferences",
    "opencompass/oc-pr680_predictions_qwen-7b-chat-hf_COREV2_6A_.json": "no grading",
}


@needs_shared
def test_every_shared_fixture_imports_or_is_refused(store: EvalStore) -> None:
    files = sorted(p for p in SHARED.rglob("*") if p.is_file() and p.suffix != ".md")
    assert len(files) == 16
    for path in files:
        rel = path.relative_to(SHARED).as_posix()
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
