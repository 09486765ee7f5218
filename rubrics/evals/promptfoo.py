"""promptfoo results JSON (`promptfoo eval -o results.json`, `results.version` 2 or 3).

Quirks handled:
- `failureReason` 2 (and, in older writers without it, a row with an `error` but no
  `gradingResult`) is a provider/worker error: kept as an error, never counted as a failure.
- Older writers omit `stats.errors`, `metadata` and `failureReason`; `success` decides then.
- Provider ids are `vendor:model` or `vendor:chat:model`; script providers (`file://…`)
  are named by their label. The same id under two labels stays two models.
- Several prompts in one file are separate suites (`<suite> [prompt <id8>]`): a prompt is part
  of the system under test, so mixing prompts would blur what passed.
- `--repeat` rows of one test fold into one case (all repeats must pass).
- Case ids are the test descriptions (made unique with `#testIdx`), else `test-<testIdx>`.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any

from estimators.errors import InputError
from rubrics.evals.common import fold_repeats
from rubrics.evals.naming import iso_utc
from rubrics.evals.results import EvalResult, Parsed
from rubrics.evals.safeio import as_dict, as_list, number, text

FORMAT = "promptfoo"
_API_KINDS = {"chat", "completion", "completions", "messages", "responses", "embedding",
              "embeddings", "assistant", "realtime"}
_SCRIPT_PREFIXES = ("file://", "python:", "exec:", "http://", "https://", "webhook:", "js:",
                    "golang:", "ruby:")
_ERROR = 2  # promptfoo ResultFailureReason: 0 none, 1 assertion failed, 2 error


def looks_like(doc: Any) -> bool:
    """A promptfoo output: {"results": {"results": [...], ...}} (or the older flat shape)."""
    if not isinstance(doc, dict):
        return False
    res = doc.get("results")
    if isinstance(res, dict) and isinstance(res.get("results"), list):
        return "evalId" in doc or "version" in res or "stats" in res or "prompts" in res
    return (isinstance(res, list) and isinstance(doc.get("stats"), dict)
            and "successes" in doc["stats"])


def provider_model(pid: str, label: str) -> tuple[str, str]:
    """(model, vendor) from a promptfoo provider id and label."""
    if not pid or pid.startswith(_SCRIPT_PREFIXES):
        return (label or pid or "unknown"), "custom"
    vendor, _, rest = pid.partition(":")
    if not rest:
        return pid, ""
    head, _, tail = rest.partition(":")
    if head in _API_KINDS and tail:
        rest = tail
    return f"{vendor}/{rest}", vendor


def _provider(row: dict[str, Any], prompts: list[Any]) -> tuple[str, str]:
    p = row.get("provider")
    if isinstance(p, dict):
        return text(p.get("id")), text(p.get("label"))
    if isinstance(p, str):
        return p, ""
    idx = row.get("promptIdx")
    if isinstance(idx, int) and not isinstance(idx, bool) and 0 <= idx < len(prompts):
        pp = prompts[idx]
        if isinstance(pp, dict):
            return text(pp.get("provider")), ""
    return "", ""


def _prompt_key(row: dict[str, Any]) -> str:
    pid = text(row.get("promptId"))
    if pid:
        return pid
    prompt = row.get("prompt")
    raw = text(prompt.get("label")) or text(prompt.get("raw")) if isinstance(prompt, dict) else ""
    return hashlib.sha256(raw.encode()).hexdigest() if raw else ""


def parse(doc: Any, source: str, sha: str, suite: str | None = None) -> Parsed:
    """promptfoo results → one EvalResult per (provider, prompt, test)."""
    doc = as_dict(doc, source, "top level")
    res = doc["results"] if isinstance(doc.get("results"), dict) else doc
    rows = as_list(res.get("results"), source, "results.results")
    prompts = res.get("prompts") if isinstance(res.get("prompts"), list) else []
    config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    warnings: list[str] = []
    version = res.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > 3:
        warnings.append(f"promptfoo results version {version} is newer than this reader (3); "
                        "read with the version-3 layout")

    base = suite or text(config.get("description")) or f"promptfoo:{PurePath(source).stem}"
    eval_id = text(doc.get("evalId")) or sha[:12]
    date = iso_utc(res.get("timestamp") or meta.get("evaluationCreatedAt"))

    parsed_rows: list[dict[str, Any]] = []
    for i, raw in enumerate(rows):
        row = as_dict(raw, source, f"results.results[{i}]")
        pid, label = _provider(row, prompts)
        tc = row.get("testCase") if isinstance(row.get("testCase"), dict) else {}
        tidx = row.get("testIdx")
        test_idx = tidx if isinstance(tidx, int) and not isinstance(tidx, bool) else i
        parsed_rows.append({"row": row, "pid": pid, "label": label, "test": test_idx,
                            "desc": text(tc.get("description")).strip(),
                            "prompt": _prompt_key(row)})
    if not parsed_rows:
        raise InputError("promptfoo file has no results", file=source, where="results.results")

    # One description used by two different tests cannot be a case id on its own.
    tests_by_desc: dict[str, set[int]] = {}
    for p in parsed_rows:
        if p["desc"]:
            tests_by_desc.setdefault(p["desc"], set()).add(p["test"])
    labels_by_pid: dict[str, set[str]] = {}
    for p in parsed_rows:
        labels_by_pid.setdefault(p["pid"], set()).add(p["label"])
    prompt_keys = {p["prompt"] for p in parsed_rows}
    multi_prompt = len(prompt_keys) > 1
    if multi_prompt:
        warnings.append(f"{len(prompt_keys)} prompts in one file: each prompt is its own suite "
                        f"('{base} [prompt <id>]')")

    results: list[EvalResult] = []
    out_of_range = 0
    for p in parsed_rows:
        row = p["row"]
        model, vendor = provider_model(p["pid"], p["label"])
        if p["label"] and len(labels_by_pid[p["pid"]]) > 1 and not p["pid"].startswith(_SCRIPT_PREFIXES):
            model = f"{model} ({p['label']})"  # one id, two configurations: keep them apart
        desc, test_idx = p["desc"], p["test"]
        if desc:
            case_id = desc if len(tests_by_desc[desc]) == 1 else f"{desc} #{test_idx}"
        else:
            case_id = f"test-{test_idx}"
        suite_name = f"{base} [prompt {p['prompt'][:8]}]" if multi_prompt else base
        run_id = f"promptfoo:{eval_id}:{model}" + (f":{p['prompt'][:8]}" if multi_prompt else "")

        grading = row.get("gradingResult")
        reason = row.get("failureReason")
        err = text(row.get("error"))
        success = row.get("success")
        passed: bool | None
        error = ""
        if reason == _ERROR or (grading is None and err and success is not True):
            passed, error = None, (err or "error").strip().splitlines()[0][:300]
        elif isinstance(success, bool):
            passed = success
        elif isinstance(grading, dict) and isinstance(grading.get("pass"), bool):
            passed = grading["pass"]
        else:
            passed, error = None, "no grading result"
        score = number(grading.get("score")) if isinstance(grading, dict) else number(row.get("score"))
        if score is not None and not 0.0 <= score <= 1.0:
            out_of_range += 1  # weighted assertion sums can exceed 1: not a 0..1 score
            score = None
        if passed is None:
            score = None
        results.append(EvalResult(
            case_id=case_id, suite=suite_name, model=model, vendor=vendor, difficulty="",
            kind="", passed=passed, score=score, run_id=run_id, timestamp=date,
            metric="assertions", error=error))

    results, folded = fold_repeats(results)
    if folded:
        warnings.append(f"{folded} test(s) ran more than once (--repeat): each counts once and "
                        "passes only if every repeat passed")
    if out_of_range:
        warnings.append(f"{out_of_range} score(s) outside 0..1 (weighted assertions) were not kept")
    errors = sum(r.passed is None for r in results)
    if errors and errors == len(results):
        warnings.append(f"all {errors} results are errors (no case was graded): errors are not "
                        "failures, so this file gives no pass rate")
    elif errors:
        warnings.append(f"{errors} result(s) errored; they are counted apart from failures")
    return Parsed(FORMAT, results, warnings)
