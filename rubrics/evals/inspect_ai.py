"""Inspect AI eval logs: the JSON form and the `.eval` zip (default since inspect_ai 0.3.46).

The inspect_ai package is not needed: the JSON is read directly and the `.eval` zip through
SafeZip (header.json, then summaries.json / _journal/summaries/*.json / samples/*.json).

Quirks handled:
- Only `status: "success"` logs import by default. A cancelled, errored or unfinished run is
  refused with the counts, because the samples that did finish are not a fair sample of the
  task (`allow_partial=True` imports it anyway, with a warning).
- Score values: "C"/"I"/"P"/"N" (correct, incorrect, partial 0.5, no answer), booleans,
  yes/no strings and numbers. A case passes on full credit (1.0); partial credit is kept as
  the score. Dict-valued scorers split into `<scorer>/<key>`.
- Several scorers in one log: each is its own suite (`<task> [<scorer>]`) so one scorer's
  results never replace another's.
- Metric objects carry `params` (newer) or `options` (0.3.4x); neither is needed here.
- A sample error is an error, not a failure. Epochs fold to one case per sample (using the
  log's own reductions where present).
- Logs without samples (log_samples off) give one aggregate row, k/n derived, approximate.
- `accuracy 1.0, stderr 0.0` from two samples is reported as a tiny sample, not as certainty.
- Sample ids (1, 2, 3, …) are only unique within a task's dataset, and the suite hash is made
  of case ids, so a case id is `<task>:<sample id>` (`<task>/<dataset>:<id>` when the dataset
  has another name): two tasks never share a case set. A sample exported from a scopecard
  suite (its metadata `case_id` equals its id) keeps that case id, so it still matches the
  declared suite.
"""

from __future__ import annotations

import re
from typing import Any

from estimators.errors import InputError
from rubrics.evals.common import fold_repeats
from rubrics.evals.naming import iso_utc, vendor_of
from rubrics.evals.results import EvalResult, Parsed
from rubrics.evals.safeio import DEFAULT_LIMITS, Limits, SafeZip, as_dict, dict_at, load_json, number, text

FORMAT = "inspect"
_LETTERS = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
_WORDS = {"yes": 1.0, "true": 1.0, "correct": 1.0, "no": 0.0, "false": 0.0, "incorrect": 0.0}


def looks_like(doc: Any) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("eval"), dict)
            and ("status" in doc or "version" in doc)
            and ("task" in doc["eval"] or "model" in doc["eval"]))


def value_to_float(value: Any) -> float | None:
    """Inspect's value_to_float: letters, booleans, yes/no and numbers; None if unreadable."""
    if isinstance(value, str):
        v = value.strip()
        if v.upper() in _LETTERS and len(v) == 1:
            return _LETTERS[v.upper()]
        if v.lower() in _WORDS:
            return _WORDS[v.lower()]
    if isinstance(value, (bool, int, float, str)):
        return number(value)
    return None


def _error_text(err: Any) -> str:
    if isinstance(err, dict):
        err = err.get("message")
    msg = text(err).strip()
    return msg.splitlines()[0][:300] if msg else ""


def _sample_scores(sample: dict[str, Any]) -> dict[str, Any]:
    """scorer -> raw value, splitting dict-valued scores into scorer/key."""
    out: dict[str, Any] = {}
    scores = sample.get("scores")
    if not isinstance(scores, dict):
        return out
    for name, score in scores.items():
        value = score.get("value") if isinstance(score, dict) else score
        if isinstance(value, dict):
            for key, sub in value.items():
                out[f"{name}/{key}"] = sub
        else:
            out[str(name)] = value
    return out


def _reduced(reductions: Any) -> dict[str, dict[str, Any]]:
    """scorer -> sample id -> reduced value, from `reductions` / `sample_reductions`."""
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(reductions, list):
        return out
    for red in reductions:
        if not isinstance(red, dict) or not isinstance(red.get("samples"), list):
            continue
        scorer = text(red.get("scorer"))
        for s in red["samples"]:
            if isinstance(s, dict) and "sample_id" in s:
                out.setdefault(scorer, {})[text(s["sample_id"])] = s.get("value")
    return out


def _status_check(header: dict[str, Any], n_samples: int | None, source: str,
                  allow_partial: bool, warnings: list[str]) -> None:
    status = text(header.get("status"), "unknown")
    if status == "success":
        return
    ev = dict_at(header, "eval")
    ds = dict_at(ev, "dataset")
    res = dict_at(header, "results")
    done = res.get("completed_samples", n_samples)
    asked = res.get("total_samples")
    size = ds.get("samples")
    counts = []
    if isinstance(done, int):
        counts.append(f"{done}" + (f" of {asked}" if isinstance(asked, int) else "") + " samples scored")
    if isinstance(size, int):
        counts.append(f"dataset has {size}")
    detail = f" ({'; '.join(counts)})" if counts else ""
    err = _error_text(header.get("error"))
    why = f"; error: {err}" if err else ""
    if allow_partial:
        warnings.append(f"run status is '{status}'{detail}: imported anyway (allow_partial)")
        return
    raise InputError(f"Inspect run status is '{status}'{detail}{why}: a run that did not finish "
                     "is not a fair sample of the task, so it is not imported "
                     "(import it anyway with allow_partial)", file=source)


def _build(header: dict[str, Any], samples: list[Any] | None, reductions: Any, source: str,
           suite: str | None, allow_partial: bool) -> Parsed:
    warnings: list[str] = []
    _status_check(header, len(samples) if samples is not None else None, source,
                  allow_partial, warnings)
    ev = as_dict(header.get("eval"), source, "eval")
    model = text(ev.get("model")) or "unknown"
    vendor = vendor_of(model)
    task = text(ev.get("task")) or "inspect-task"
    base = suite or task
    native = text(ev.get("eval_id")) or "/".join(p for p in (text(ev.get("run_id")),
                                                             text(ev.get("task_id"))) if p)
    date = iso_utc(ev.get("created"))
    config = dict_at(ev, "config")
    ds = dict_at(ev, "dataset")
    limit = config.get("limit")
    if isinstance(limit, int) and isinstance(ds.get("samples"), int) and limit < ds["samples"]:
        warnings.append(f"run was limited to {limit} of the dataset's {ds['samples']} samples")
    results_block = dict_at(header, "results")

    if samples is None:
        return _aggregate(results_block, model, vendor, base, native, date, source, warnings)

    per_sample: list[tuple[str, int, dict[str, Any], str]] = []
    case_ids: dict[str, str] = {}  # sample id -> case id
    scope = _case_scope(task, ds)
    scorers: list[str] = []
    for i, s in enumerate(samples):
        s = as_dict(s, source, f"samples[{i}]")
        sid = text(s.get("id"), f"#{i}")
        case_ids.setdefault(sid, _case_id(s, sid, scope))
        epoch = s.get("epoch")
        if not isinstance(epoch, int):
            epoch = 1
        scores = _sample_scores(s)
        for name in scores:
            if name not in scorers:
                scorers.append(name)
        per_sample.append((sid, epoch, scores, _error_text(s.get("error"))))
    if not scorers:  # nothing was scored; fall back to the declared scorers for error rows
        for sc in results_block.get("scores") or []:
            if isinstance(sc, dict) and text(sc.get("name")):
                scorers.append(text(sc["name"]))
        scorers = scorers or ["score"]
    multi_epoch = len({(sid, ep) for sid, ep, _, _ in per_sample}) != len({sid for sid, *_ in per_sample})
    reduced = _reduced(reductions) if multi_epoch else {}

    results: list[EvalResult] = []
    fractional = 0
    for scorer in scorers:
        suite_name = f"{base} [{scorer}]" if len(scorers) > 1 else base
        run_id = f"inspect:{native or model}:{scorer}"
        by_red = reduced.get(scorer)  # the log's own per-sample reduction over epochs
        seen: set[str] = set()
        for sid, _epoch, scores, err in per_sample:
            if by_red is not None:
                if sid in seen:
                    continue
                seen.add(sid)
                raw = by_red.get(sid, scores.get(scorer))
            else:
                raw = scores.get(scorer)
            passed: bool | None
            value = value_to_float(raw) if raw is not None else None
            error = ""
            if err:
                passed, value, error = None, None, err
            elif raw is None:
                passed, error = None, "not scored"
            elif value is None or not 0.0 <= value <= 1.0:
                passed, error, value = None, f"score value {raw!r} is not a 0..1 score", None
            else:
                passed = value >= 1.0
                fractional += 0.0 < value < 1.0
            results.append(EvalResult(
                case_id=case_ids[sid], suite=suite_name, model=model, vendor=vendor, difficulty="",
                kind="", passed=passed, score=value, run_id=run_id, timestamp=date,
                metric=scorer, error=error))
    results, folded = fold_repeats(results)
    if folded:
        warnings.append(f"{folded} sample(s) ran over several epochs: one case each, passing "
                        "only if every epoch passed" + (" (the log's own reductions where "
                                                        "present)" if reduced else ""))
    if fractional:
        warnings.append(f"{fractional} partial-credit score(s): a case passes only on full "
                        "credit; the partial score is kept")
    _tiny_sample_note(results_block, len({sid for sid, *_ in per_sample}), warnings)
    version = text(ev.get("task_version"))
    return Parsed(FORMAT, results, warnings,
                  suite_versions={r.suite: version for r in results} if version else None)


def _case_scope(task: str, dataset: dict[str, Any]) -> str:
    """What a sample id is unique within: the task, and its dataset when named otherwise."""
    name = text(dataset.get("name")).strip()
    return f"{task}/{name}" if name and name != task else task


def _case_id(sample: dict[str, Any], sid: str, scope: str) -> str:
    """`<scope>:<sample id>`, or the scopecard case id a sample exported from a suite carries."""
    meta = dict_at(sample, "metadata")
    if sid and text(meta.get("case_id")) == sid:
        return sid
    return f"{scope}:{sid}"


def _tiny_sample_note(results_block: dict[str, Any], n: int, warnings: list[str]) -> None:
    for sc in results_block.get("scores") or []:
        metrics = sc.get("metrics") if isinstance(sc, dict) else None
        se = metrics.get("stderr") if isinstance(metrics, dict) else None
        se_v = number(se.get("value")) if isinstance(se, dict) else None
        if se_v == 0.0 and n < 30:
            warnings.append(f"the log reports stderr 0.0 from only {n} sample(s): that is a "
                            "small sample, not certainty (see the interval)")
            return


def _aggregate(results_block: dict[str, Any], model: str, vendor: str, base: str, native: str,
               date: str, source: str, warnings: list[str]) -> Parsed:
    """A log without samples: accuracy × completed samples, marked approximate."""
    n = results_block.get("completed_samples")
    scores = [s for s in results_block.get("scores") or [] if isinstance(s, dict)]
    if not isinstance(n, int) or n <= 0 or not scores:
        raise InputError("Inspect log has no samples and no scored results to import",
                         file=source)
    out: list[EvalResult] = []
    for sc in scores:
        scorer = text(sc.get("name")) or text(sc.get("scorer")) or "score"
        metrics = dict_at(sc, "metrics")
        acc = metrics.get("accuracy")
        p = number(acc.get("value")) if isinstance(acc, dict) else None
        if p is None or not 0.0 <= p <= 1.0:
            warnings.append(f"scorer {scorer}: no accuracy metric in 0..1; skipped")
            continue
        se = metrics.get("stderr")
        k = round(p * n)
        out.append(EvalResult(
            case_id="", suite=f"{base} [{scorer}]" if len(scores) > 1 else base, model=model,
            vendor=vendor, difficulty="", kind="", passed=None, score=p,
            run_id=f"inspect:{native or model}:{scorer}", timestamp=date, metric=scorer,
            stderr=number(se.get("value")) if isinstance(se, dict) else None,
            approximate=True, n=n, k=k))
    if not out:
        raise InputError("Inspect log has no samples and no accuracy metric to import", file=source)
    warnings.append("log has no samples (log_samples off): k/n derived from accuracy × "
                    "completed samples and marked approximate")
    return Parsed(FORMAT, out, warnings)


def parse(doc: Any, source: str, sha: str, suite: str | None = None,
          allow_partial: bool = False) -> Parsed:
    """An Inspect log in JSON form."""
    doc = as_dict(doc, source, "top level")
    samples = doc.get("samples")
    reductions = doc.get("reductions")
    if reductions is None and isinstance(doc.get("results"), dict):
        reductions = doc["results"].get("sample_reductions")  # 0.3.4x kept them here
    return _build(doc, samples if isinstance(samples, list) else None, reductions, source,
                  suite, allow_partial)


_SUMMARY = re.compile(r"^_journal/summaries/(\d+)\.json$")
_SAMPLE = re.compile(r"^samples/[^/]+\.json$")


def parse_eval_zip(data: bytes, source: str, sha: str, suite: str | None = None,
                   allow_partial: bool = False, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """An Inspect `.eval` log (zip), read member by member under SafeZip's caps."""
    z = SafeZip(data, source, limits)
    if not z.has("header.json"):
        if z.has("_journal/start.json"):
            raise InputError("Inspect .eval log has no header.json: the run has not finished "
                             "(status 'started'), so it is not imported", file=source)
        raise InputError("zip is not an Inspect .eval log (no header.json)", file=source)
    header = as_dict(load_json(z.read("header.json"), f"{source}:header.json"), source,
                     "header.json")
    samples: list[Any] | None
    if z.has("summaries.json"):
        samples = _json_list(z, "summaries.json", source)
    else:
        journal = sorted((int(m.group(1)), name) for name in z.names()
                         if (m := _SUMMARY.match(name)))
        if journal:
            samples = []
            for _, name in journal:
                samples.extend(_json_list(z, name, source))
        else:
            names = sorted(n for n in z.names() if _SAMPLE.match(n))
            samples = [load_json(z.read(n), f"{source}:{n}") for n in names] if names else None
    reductions = (load_json(z.read("reductions.json"), f"{source}:reductions.json")
                  if z.has("reductions.json") else None)
    return _build(header, samples, reductions, source, suite, allow_partial)


def _json_list(z: SafeZip, name: str, source: str) -> list[Any]:
    value = load_json(z.read(name), f"{source}:{name}")
    if not isinstance(value, list):
        raise InputError("expected a list of sample summaries", file=source, where=f"member {name}")
    return value
