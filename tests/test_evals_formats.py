"""Format quirks not covered by the real fixtures, on small hand-built files."""

from __future__ import annotations

import dataclasses
import json

import pytest

from estimators.errors import InputError
from rubrics.evals.detect import parse_bytes
from rubrics.evals.results import EvalResult, fast_result, tally


def parse(doc: object, **kw):
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return parse_bytes(data, "f.json", sha="ab" * 32, **kw)


def totals(doc: object, **kw) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {(m, s): (t.k, t.n, t.errors)
            for (m, s, d), t in tally(parse(doc, **kw).results).items() if d == "all"}


def test_fast_result_matches_the_dataclass() -> None:
    fields = [f.name for f in dataclasses.fields(EvalResult)]
    fast = fast_result("c", "s", "m", "v", "easy", "single", True, 0.5, "r", "t")
    slow = EvalResult("c", "s", "m", "v", "easy", "single", True, 0.5, "r", "t")
    assert list(fast.__dict__) == fields or set(fast.__dict__) == set(fields)
    assert fast == slow and hash(fast) == hash(slow)


def lm_doc(results: dict, **extra) -> dict:
    return {"results": results, "versions": {k: 1 for k in results}, "config": {
        "model": "hf", "model_args": "pretrained=org/model"}, **extra}


def test_lm_eval_group_without_subtask_sizes_is_skipped() -> None:
    # Subtask b has rate 1.0 and stderr 0: its n is unknowable, so the group's is too. The
    # group's pooled stderr must not be used to back out n.
    doc = lm_doc({"g": {"acc,none": 0.75, "acc_stderr,none": 0.01},
                  "a": {"acc,none": 0.5, "acc_stderr,none": 0.05025189},  # n = 100
                  "b": {"acc,none": 1.0, "acc_stderr,none": 0.0}},
                 group_subtasks={"g": ["a", "b"], "a": [], "b": []})
    p = parse(doc)
    assert {r.suite: (r.k, r.n) for r in p.results} == {"a": (50, 100)}
    assert any("g: no sample count, and a group" in w for w in p.warnings)
    assert any("b: no sample count" in w for w in p.warnings)


def test_lm_eval_n_samples_and_model_name() -> None:
    doc = lm_doc({"t": {"acc,none": 0.25, "acc_stderr,none": "N/A", "alias": "t"}},
                 **{"n-samples": {"t": {"original": 40, "effective": 20}},
                    "model_name": "org/named", "date": 0})
    (r,) = parse(doc).results
    assert (r.model, r.k, r.n, r.stderr, r.timestamp) == ("org/named", 5, 20, None,
                                                          "1970-01-01T00:00:00Z")


def test_lm_eval_local_path_and_lower_is_better_flag() -> None:
    doc = lm_doc({"t": {"acc,none": 0.5, "acc_stderr,none": 0.05025189,
                        "ppl,none": 3.2}}, higher_is_better={"t": {"acc": False, "ppl": False}})
    doc["config"]["model_args"] = {"pretrained": "/data/ckpt/run-7/"}
    with pytest.raises(InputError, match="lower-is-better"):
        parse(doc)
    doc["higher_is_better"] = {"t": {"acc": True}}
    (r,) = parse(doc).results
    assert r.model == "local/run-7" and r.vendor == "local"


def test_lm_eval_rate_above_100_refused() -> None:
    with pytest.raises(InputError, match="not a rate"):
        parse(lm_doc({"t": {"acc,none": 250.0}}, **{"n-samples": {"t": {"effective": 10}}}))


def inspect_doc(samples: list, scorers: list[str], **extra) -> dict:
    return {"version": 2, "status": "success",
            "eval": {"task": "arith", "model": "openai/gpt-4o", "eval_id": "E1",
                     "created": "2026-01-02T03:04:05+01:00", "task_version": 3},
            "results": {"total_samples": 2, "completed_samples": 2,
                        "scores": [{"name": s, "metrics": {}} for s in scorers]},
            "samples": samples, **extra}


def test_inspect_multi_scorer_and_epochs() -> None:
    samples = [
        {"id": 1, "epoch": 1, "scores": {"exact": {"value": "C"}, "judge": {"value": 1}}},
        {"id": 1, "epoch": 2, "scores": {"exact": {"value": "I"}, "judge": {"value": True}}},
        {"id": "b", "epoch": 1, "scores": {"exact": {"value": "C"}, "judge": {"value": "yes"}}},
        {"id": "b", "epoch": 2, "scores": {"exact": {"value": "C"}, "judge": {"value": 0}}},
    ]
    p = parse(inspect_doc(samples, ["exact", "judge"]))
    t = totals(inspect_doc(samples, ["exact", "judge"]))
    # Each scorer its own suite; a sample passes only if both epochs passed.
    assert t == {("openai/gpt-4o", "arith [exact]"): (1, 2, 0),
                 ("openai/gpt-4o", "arith [judge]"): (1, 2, 0)}
    assert p.results[0].timestamp == "2026-01-02T02:04:05Z"
    assert p.suite_versions == {"arith [exact]": "3", "arith [judge]": "3"}
    # With the log's own reductions (e.g. an at_least_1 reducer) those decide instead.
    red = [{"scorer": "exact", "samples": [{"sample_id": 1, "value": 1.0},
                                           {"sample_id": "b", "value": 1.0}]}]
    t2 = totals(inspect_doc(samples, ["exact", "judge"], reductions=red))
    assert t2[("openai/gpt-4o", "arith [exact]")] == (2, 2, 0)


def test_inspect_case_ids_are_scoped_to_the_task_unless_exported_from_a_suite() -> None:
    # Sample ids are per dataset; a scopecard export's samples carry their case id as metadata
    # (so a run of the exported suite still matches its declared cases).
    samples = [{"id": "easy-001", "epoch": 1, "scores": {"m": {"value": "C"}},
                "metadata": {"case_id": "easy-001", "difficulty": "easy"}},
               {"id": 7, "epoch": 1, "scores": {"m": {"value": "I"}}, "metadata": {}}]
    doc = inspect_doc(samples, ["m"])
    assert [r.case_id for r in parse(doc).results] == ["easy-001", "arith:7"]
    doc["eval"]["dataset"] = {"name": "arith_v2", "samples": 2}
    assert [r.case_id for r in parse(doc).results] == ["easy-001", "arith/arith_v2:7"]


def test_inspect_header_only_log_is_aggregate() -> None:
    doc = inspect_doc([], ["match"])
    del doc["samples"]
    doc["results"]["scores"][0]["metrics"] = {"accuracy": {"value": 0.5}, "stderr": {"value": 0.1}}
    (r,) = parse(doc).results
    assert (r.k, r.n, r.approximate, r.aggregate) == (1, 2, True, True)


def test_inspect_error_status_refused() -> None:
    doc = inspect_doc([], ["match"], error={"message": "RateLimitError: slow down\ntraceback"})
    doc["status"] = "error"
    with pytest.raises(InputError, match="status is 'error'.*RateLimitError: slow down"):
        parse(doc)


def pf_row(test_idx: int, desc: str, ok: bool | None, provider: str = "openai:gpt-4o",
           label: str = "") -> dict:
    row = {"testIdx": test_idx, "promptIdx": 0, "promptId": "p" * 64,
           "provider": {"id": provider, "label": label},
           "testCase": {"description": desc}, "success": bool(ok),
           "gradingResult": None if ok is None else {"pass": ok, "score": float(ok)},
           "failureReason": 2 if ok is None else (0 if ok else 1)}
    if ok is None:
        row["error"] = "timeout"
    return row


def test_promptfoo_repeats_duplicate_descriptions_and_labels() -> None:
    rows = [pf_row(0, "same", True), pf_row(0, "same", False),  # --repeat: one case, fails
            pf_row(1, "same", True),  # another test with the same description
            pf_row(2, "", True),
            pf_row(0, "same", True, label="cold"), pf_row(0, "same", True, label="warm")]
    doc = {"evalId": "e1", "results": {"version": 3, "timestamp": "2026-01-01T00:00:00Z",
                                       "results": rows}, "config": {"description": "S"}}
    p = parse(doc)
    cases = {(r.model, r.case_id): r.passed for r in p.results}
    assert cases[("openai/gpt-4o", "same #0")] is False
    assert cases[("openai/gpt-4o", "same #1")] is True
    assert cases[("openai/gpt-4o", "test-2")] is True
    # One provider id under two labels: two configurations, kept apart.
    assert cases[("openai/gpt-4o (cold)", "same #0")] is True
    assert any("more than once" in w for w in p.warnings)


def test_promptfoo_v2_display_prefixed_with_the_provider_is_one_template() -> None:
    # Writers of results version 2 put "[provider] " before the display when several
    # providers ran; raw is the filled-in prompt. One template, two tests, two providers.
    rows = [{"provider": {"id": pid}, "vars": {"q": q}, "success": ok, "score": float(ok),
             "prompt": {"raw": f"Answer: {q}", "display": f"[{pid}] Answer: {{{{q}}}}"}}
            for pid, q, ok in [("openai:gpt-4", "a", True), ("openai:gpt-3.5-turbo", "a", False),
                               ("openai:gpt-4", "b", True), ("openai:gpt-3.5-turbo", "b", True)]]
    p = parse({"results": {"version": 2, "results": rows, "stats": {"successes": 3, "failures": 1}}})
    assert {(r.model, r.suite, r.case_id): r.passed for r in p.results} == {
        ("openai/gpt-4", "promptfoo:f", "test-0"): True,
        ("openai/gpt-4", "promptfoo:f", "test-1"): True,
        ("openai/gpt-3.5-turbo", "promptfoo:f", "test-0"): False,
        ("openai/gpt-3.5-turbo", "promptfoo:f", "test-1"): True}
    assert not any("prompts in one file" in w or "stats" in w for w in p.warnings)


def test_promptfoo_score_outside_0_1_not_kept() -> None:
    row = pf_row(0, "a", True)
    row["gradingResult"]["score"] = 3.0
    doc = {"results": {"version": 3, "results": [row]}}
    p = parse(doc)
    assert p.results[0].score is None and p.results[0].passed is True
    assert p.results[0].run_id == "promptfoo:" + "ab" * 6 + ":openai/gpt-4o"


def test_native_csv_quoting_crlf_and_reordered_columns() -> None:
    text = ("run_id,case_id,suite,model,vendor,difficulty,kind,passed,score,timestamp,extra\r\n"
            'r1,"a,1",s,m/x,,Easy,SINGLE,Pass,0.5,t,z\r\n'
            "r1,b,s,m/x,,,,error,,t,z\r\n")
    p = parse(text.encode())
    a, b = p.results
    assert (a.case_id, a.difficulty, a.kind, a.passed, a.score, a.vendor) == (
        "a,1", "easy", "single", True, 0.5, "m")
    assert b.passed is None and b.errored
    plain = text.replace('"a,1"', "a1")  # no quotes: the fast path, same answer
    assert parse(plain.encode()).results[1] == b


@pytest.mark.parametrize("line,match", [
    ("c,s,m,v,extreme,single,1,,r,t", "difficulty='extreme'"),
    ("c,s,m,v,easy,double,1,,r,t", "kind='double'"),
    ("c,s,m,v,easy,single,1,high,r,t", "score='high'"),
    (",s,m,v,easy,single,1,,r,t", "must not be empty"),
    ("c,s,m", "3 field"),
])
def test_native_csv_bad_rows(line: str, match: str) -> None:
    text = "case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp\n" + line + "\n"
    with pytest.raises(InputError, match=match) as e:
        parse(text.encode())
    assert e.value.where == "line 2"
