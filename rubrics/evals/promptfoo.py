"""promptfoo results JSON (`promptfoo eval -o results.json`, `results.version` 2 or 3).

Quirks handled:
- `failureReason` 2 (and, in older writers without it, a row with an `error` but no
  `gradingResult`) is a provider/worker error: kept as an error, never counted as a failure.
- Older writers omit `stats.errors`, `metadata` and `failureReason`; `success` decides then.
- Provider ids are `vendor:model` or `vendor:chat:model`; script providers (`file://…`)
  are named by their label. The same id under two labels stays two models.
- Several prompt templates in one file are separate suites (`<suite> [prompt <id8>]`): a prompt
  is part of the system under test, so mixing prompts would blur what passed. A row's template
  is its `promptId` (version 3), else its `label` / `display` (version 2, where `prompt.raw` is
  the prompt *with the test's variables filled in*, so it differs for every test and never
  names the template), matched to the file's list of templates.
- `--repeat` rows of one test fold into one case (all repeats must pass).
- Case ids are the test descriptions (made unique with `#testIdx`), else `test-<testIdx>`;
  rows of writers without `testIdx` (version 2) number their tests by their variables.
- A row's outcome is `success`, else `gradingResult.pass`, else the table-style `pass`.
- Results that name no model (no provider id or label) are refused: they cannot stand for any
  candidate. The file's own `stats` are checked against its rows; when they disagree, the rows
  are used and a warning says so.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePath
from typing import Any

from estimators.errors import InputError
from rubrics.evals.common import fold_repeats
from rubrics.evals.naming import iso_utc
from rubrics.evals.results import EvalResult, Parsed
from rubrics.evals.safeio import as_dict, as_list, dict_at, list_at, number, text

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


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _templates(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The file's prompt templates: `prompts` (version 3) or `table.head.prompts` (version 2)."""
    prompts = res.get("prompts")
    if not isinstance(prompts, list):
        table = dict_at(res, "table")
        head = dict_at(table, "head")
        prompts = head.get("prompts")
    return [p for p in prompts if isinstance(p, dict)] if isinstance(prompts, list) else []


def _template_key(template: dict[str, Any]) -> str:
    """promptfoo's id of a template, else the sha256 of its text."""
    body = text(template.get("raw")) or text(template.get("label"))
    return text(template.get("id")) or _sha(body)


def _template_keys(templates: list[dict[str, Any]]) -> dict[str, str]:
    """Label or display name of each template -> its key."""
    keys: dict[str, str] = {}
    for t in templates:
        for name in (text(t.get("label")), text(t.get("display"))):
            if name:
                keys.setdefault(name, _template_key(t))
    return keys


def _prompt_key(row: dict[str, Any], pid: str, templates: list[dict[str, Any]],
                by_name: dict[str, str]) -> str:
    """The template a row ran, never its filled-in text (`prompt.raw` holds the test's values)."""
    key = text(row.get("promptId"))
    if key:
        return key
    prompt = dict_at(row, "prompt")
    for name in (text(prompt.get("label")), text(prompt.get("display"))):
        # Writers of version 2 prefix the display with "[provider] " when there are several.
        name = name.removeprefix(f"[{pid}] ") if pid else name
        if name:
            return by_name.get(name) or _sha(name)
    idx = row.get("promptIdx")
    if isinstance(idx, int) and not isinstance(idx, bool) and 0 <= idx < len(templates):
        return _template_key(templates[idx])
    return ""


def _test_key(row: dict[str, Any], tc: dict[str, Any]) -> str:
    """A test's identity for writers without `testIdx`: its description and variables."""
    values = tc.get("vars") if isinstance(tc.get("vars"), dict) else row.get("vars")
    return json.dumps([text(tc.get("description")), values], sort_keys=True, default=str)


def _outcome(row: dict[str, Any], grading: Any) -> bool | None:
    """Passed or failed from `success`, `gradingResult.pass` or a table-style `pass`."""
    for value in (row.get("success"),
                  grading.get("pass") if isinstance(grading, dict) else None,
                  row.get("pass")):
        if isinstance(value, bool):
            return value
    return None


def _grade(row: dict[str, Any]) -> dict[str, Any]:
    """outcome (True/False, None for an error), error text and 0..1 score of one row."""
    grading = row.get("gradingResult")
    reason = row.get("failureReason")
    err = text(row.get("error"))
    outcome = _outcome(row, grading)
    # failureReason 2 is an error. Writers without failureReason put an exception's text in
    # `error` and leave gradingResult out; with failureReason 1 `error` is the failed assertion.
    if reason == _ERROR or (reason is None and grading is None and err
                            and row.get("success") is not True):
        return {"outcome": None, "error": (err or "error").strip().splitlines()[0][:300],
                "score": None}
    if outcome is None:
        return {"outcome": None, "error": "no grading result", "score": None}
    score = number(grading.get("score")) if isinstance(grading, dict) else number(row.get("score"))
    return {"outcome": outcome, "error": "", "score": score}


def _stats_note(stats: Any, rows: list[dict[str, Any]]) -> str | None:
    """A warning when the file's own stats disagree with the rows it lists, else None."""
    if not isinstance(stats, dict):
        return None
    passed, failed, errors = (stats.get(k) for k in ("successes", "failures", "errors"))
    if not isinstance(passed, int) or not isinstance(failed, int) \
            or isinstance(passed, bool) or isinstance(failed, bool):
        return None
    # Older writers have no `errors`: they counted errors as failures.
    total = passed + failed + (errors if isinstance(errors, int) else 0)
    listed = sum(r["outcome"] is True for r in rows)
    if (passed, total) == (listed, len(rows)):
        return None
    return (f"the file's stats say {passed} passed of {total}, but it lists {len(rows)} results "
            f"({listed} passed); the listed results are used")


def parse(doc: Any, source: str, sha: str, suite: str | None = None) -> Parsed:
    """promptfoo results → one EvalResult per (provider, prompt, test)."""
    doc = as_dict(doc, source, "top level")
    res = doc["results"] if isinstance(doc.get("results"), dict) else doc
    rows = as_list(res.get("results"), source, "results.results")
    prompts = list_at(res, "prompts")
    config = dict_at(doc, "config")
    meta = dict_at(doc, "metadata")
    warnings: list[str] = []
    version = res.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > 3:
        warnings.append(f"promptfoo results version {version} is newer than this reader (3); "
                        "read with the version-3 layout")

    base = suite or text(config.get("description")) or f"promptfoo:{PurePath(source).stem}"
    eval_id = text(doc.get("evalId")) or sha[:12]
    date = iso_utc(res.get("timestamp") or meta.get("evaluationCreatedAt"))

    templates = _templates(res)
    by_name = _template_keys(templates)
    test_numbers: dict[str, int] = {}  # for writers without testIdx
    parsed_rows: list[dict[str, Any]] = []
    for i, raw in enumerate(rows):
        row = as_dict(raw, source, f"results.results[{i}]")
        pid, label = _provider(row, prompts)
        tc = dict_at(row, "testCase")
        tidx = row.get("testIdx")
        if isinstance(tidx, int) and not isinstance(tidx, bool):
            test_idx = tidx
        else:
            test_idx = test_numbers.setdefault(_test_key(row, tc), len(test_numbers))
        parsed_rows.append({"row": row, "pid": pid, "label": label, "test": test_idx,
                            "desc": text(tc.get("description")).strip(),
                            "prompt": _prompt_key(row, pid, templates, by_name),
                            **_grade(row)})
    if not parsed_rows:
        raise InputError("promptfoo file has no results", file=source, where="results.results")
    nameless = sum(not p["pid"] and not p["label"] for p in parsed_rows)
    if nameless:
        raise InputError(f"the file names no model (no provider id or label) for {nameless} of "
                         f"{len(parsed_rows)} results: a result must say which model it stands "
                         "for (promptfoo writes it as provider.id)", file=source,
                         where="results.results[].provider")
    note = _stats_note(res.get("stats"), parsed_rows)
    if note:
        warnings.append(note)

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
        score = p["score"]
        if score is not None and not 0.0 <= score <= 1.0:
            out_of_range += 1  # weighted assertion sums can exceed 1: not a 0..1 score
            score = None
        results.append(EvalResult(
            case_id=case_id, suite=suite_name, model=model, vendor=vendor, difficulty="",
            kind="", passed=p["outcome"], score=score if p["outcome"] is not None else None,
            run_id=run_id, timestamp=date, metric="assertions", error=p["error"]))

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
