"""OpenCompass outputs: the summary CSV, and the files of a subjective (judge) run.

Summary CSV (`summary/summary_<ts>.csv`): `dataset,version,metric,mode,<model>…`, values on a
0–100 scale with two decimals, "-" where a model has no result and whole rows of "-" as
section dividers. It carries no sample counts, so rows are stored as means only (k/n = 0/0,
approximate): the capability check shows NO DATA for them rather than inventing an n.

Subjective runs (CoreV2 and similar):
- `results/<a>_<b>/<dataset>.json`, the judge's verdict per item, imports per case when the
  judge prompt grades each answer on its own (options "C. 回答 1、2 都好" / "D. 回答 1、2 都不好"):
  A → a passes, b fails; B → the reverse; C → both pass; D → both fail. A prompt that only
  asks which answer is better is a preference, not a pass/fail, and is refused.
- `summary/.../report.csv` (win/draw rates of a vs b) is refused: a preference between two
  models is not a pass rate.
- `predictions/<model>/<dataset>.json` is refused: model outputs with no grading.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import PurePath
from typing import Any

from estimators.errors import InputError
from rubrics.evals.common import rename_with_versions
from rubrics.evals.lm_eval import LOWER_IS_BETTER, SIMILARITY_METRICS
from rubrics.evals.naming import vendor_of
from rubrics.evals.results import EvalResult, Parsed
from rubrics.evals.safeio import dict_at, number, text

FORMAT = "opencompass"
SUMMARY_HEADER = ["dataset", "version", "metric", "mode"]
_TS = re.compile(r"(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})")
_CHOICE = re.compile(r"(?:选择|Choice)\s*[:：]\s*\**\s*([ABCD])\b", re.IGNORECASE)
_ABSOLUTE_OPTIONS = ("C.回答1、2都好", "D.回答1、2都不好")


# ---- detection ------------------------------------------------------------------------------

def csv_kind(header: list[str], second: list[str] | None) -> str | None:
    """"summary", "subjective-report" or None for a CSV's first rows."""
    h = [c.strip().lower() for c in header]
    if h[:4] == SUMMARY_HEADER and len(h) >= 5:
        return "summary"
    if header and "_vs_" in header[0] and second and second[0].startswith(("win_", "half_draw_")):
        return "subjective-report"
    return None


def _items(doc: Any) -> list[tuple[str, dict[str, Any]]] | None:
    if not isinstance(doc, dict) or not doc:
        return None
    if not all(isinstance(k, str) and k.isdigit() and isinstance(v, dict) for k, v in doc.items()):
        return None
    if not all("prediction" in v and "origin_prompt" in v for v in doc.values()):
        return None
    return sorted(doc.items(), key=lambda kv: int(kv[0]))


def json_kind(doc: Any) -> str | None:
    """"judge" (subjective verdicts), "predictions" (ungraded outputs) or None."""
    items = _items(doc)
    if items is None:
        return None
    golds = [v.get("gold") for _, v in items]
    if all(isinstance(g, dict) and "answer1" in g and "answer2" in g for g in golds):
        return "judge"
    return "predictions"


# ---- summary CSV ----------------------------------------------------------------------------

def parse_summary_csv(text_: str, source: str, sha: str, suite: str | None = None) -> Parsed:
    rows = list(csv.reader(io.StringIO(text_, newline="")))
    if not rows:
        raise InputError("empty CSV", file=source)
    header = [c.strip() for c in rows[0]]
    if [c.lower() for c in header[:4]] != SUMMARY_HEADER or len(header) < 5:
        raise InputError("an OpenCompass summary CSV starts with dataset,version,metric,mode "
                         "and one column per model", file=source, where="line 1")
    models = header[4:]
    m = _TS.search(PurePath(source).name)
    date = f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:{m[6]}" if m else ""
    out: list[EvalResult] = []
    warnings: list[str] = []
    missing = 0
    skipped: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{len(row)} columns where the header has {len(header)}",
                             file=source, where=f"line {line}")
        dataset, version, metric, mode = (c.strip() for c in row[:4])
        cells = [c.strip() for c in row[4:]]
        if all(c == "-" for c in (version, metric, mode, *cells)):
            continue  # a section divider, or a dataset with no results at all
        if metric.lower() in LOWER_IS_BETTER or metric.lower() in SIMILARITY_METRICS:
            skipped.append(f"{dataset} ({metric}: not a pass rate)")
            continue
        for model, cell in zip(models, cells, strict=True):  # row length checked above
            if cell in ("-", ""):
                missing += 1
                continue
            value = number(cell)
            if value is None:
                raise InputError(f"{cell!r} is not a number or '-'", file=source,
                                 where=f"line {line}, column {model}")
            if not 0.0 <= value <= 100.0:
                skipped.append(f"{dataset}/{model} ({value:g} is not on a 0–100 scale)")
                continue
            out.append(EvalResult(
                case_id="", suite=dataset, model=model, vendor=vendor_of(model), difficulty="",
                kind="", passed=None, score=value / 100.0,
                run_id=f"opencompass:{sha[:12]}:{model}:{dataset}", timestamp=date,
                metric=metric, approximate=True, n=0, k=0,
                tags=(f"mode:{mode}",) if mode and mode != "-" else ()))
    if not out:
        raise InputError("no results in the summary (every value is '-' or not a pass rate)",
                         file=source)
    warnings.append("OpenCompass summaries give a 0–100 score and no sample count: stored as "
                    "means (divided by 100) with k/n = 0/0, so the capability check shows NO "
                    "DATA until per-case results are imported")
    if missing:
        warnings.append(f"{missing} cell(s) were '-' (no result) and were skipped")
    warnings.extend(f"skipped {s}" for s in skipped)
    versions = {}
    for row in rows[1:]:
        if len(row) >= 2 and row[1].strip() not in ("", "-"):
            versions[row[0].strip()] = row[1].strip()
    out, versions = rename_with_versions(out, versions, suite, source)
    return Parsed(FORMAT, out, warnings, suite_versions=versions)


def refuse_subjective_report(header: list[str], source: str) -> None:
    pair = header[0].strip() if header else "two models"
    raise InputError(f"OpenCompass subjective report ({pair}): win/draw rates of one model "
                     "against another are preferences, not pass rates; import the judge's "
                     "per-item results (results/<pair>/<dataset>.json) instead", file=source)


# ---- subjective judge results ---------------------------------------------------------------

def refuse_predictions(source: str) -> None:
    raise InputError("OpenCompass predictions file: model outputs with no grading (no pass or "
                     "fail per item); import the evaluated results or the summary CSV",
                     file=source)


def parse_judge(doc: Any, source: str, sha: str, suite: str | None = None) -> Parsed:
    """Per-item judge verdicts of a pairwise subjective run → per-case results for both models."""
    items = _items(doc)
    if items is None:
        raise InputError("not an OpenCompass results file", file=source)
    prompt = text(items[0][1].get("origin_prompt"))
    squeezed = re.sub(r"\s+", "", prompt)
    if not all(opt in squeezed for opt in _ABSOLUTE_OPTIONS):
        raise InputError("OpenCompass judge results that only say which of two answers is "
                         "better are preferences, not pass/fail per answer; not imported",
                         file=source)
    first_gold = items[0][1]["gold"]
    a, b = text(first_gold.get("answer1")), text(first_gold.get("answer2"))
    stem = PurePath(source).stem
    dataset = stem.split(f"{b}_", 1)[1] if b and f"{b}_" in stem else stem
    base = suite or dataset
    results: list[EvalResult] = []
    unparsed = 0
    for key, item in items:
        gold = dict_at(item, "gold")
        m1, m2 = text(gold.get("answer1")), text(gold.get("answer2"))
        if not m1 or not m2:
            raise InputError("item has no answer1/answer2 model names", file=source,
                             where=f"item {key}")
        capability = text(gold.get("capability"))
        found = _CHOICE.search(text(item.get("prediction")))
        verdict = found.group(1).upper() if found else None
        outcome = {"A": (True, False), "B": (False, True), "C": (True, True),
                   "D": (False, False)}.get(verdict or "", (None, None))
        unparsed += verdict is None
        for model, passed in ((m1, outcome[0]), (m2, outcome[1])):
            results.append(EvalResult(
                case_id=key, suite=base, model=model, vendor=vendor_of(model), difficulty="",
                kind="", passed=passed, score=None if passed is None else float(passed),
                run_id=f"opencompass:{sha[:12]}:{model}:{base}", timestamp="",
                metric="judge verdict (A/B/C/D)",
                error="" if passed is not None else "judge verdict not found",
                tags=(capability,) if capability else ()))
    warnings = [f"graded by an LLM judge comparing {a} and {b}: each answer judged good or bad "
                "against the reference (options A–D); the judge's reliability is not checked"]
    if unparsed:
        warnings.append(f"{unparsed} item(s) had no readable verdict; counted as errors")
    return Parsed(FORMAT, results, warnings)
