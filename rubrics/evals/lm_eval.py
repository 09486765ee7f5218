"""EleutherAI lm-evaluation-harness results JSON (v0.3 and v0.4 schemas).

The harness publishes only aggregates (a rate and its stderr per task), so each task becomes
one aggregate row per model: k = round(rate × n) of n, marked approximate.

Quirks handled:
- v0.4 keys are "metric,filter" ("exact_match,strict-match"); v0.3 keys are bare ("acc",
  "acc_stderr"). One metric per task is kept: the first pass-rate metric in a fixed order
  (acc, exact_match, …), filter "none" before "strict-match" before others.
- n: `n-samples.<task>.effective` when present; groups sum their subtasks; otherwise n is
  backed out of the stderr. The harness uses the sample standard deviation (ddof=1), so
  stderr² = p(1−p)/(n−1) and n = p(1−p)/stderr² + 1 — this gives gsm8k's 1319 exactly,
  where p(1−p)/stderr² alone gives 1318.
- stderr may be the string "N/A" (treated as unknown); p of 0 or 1 leaves n unknowable.
- Scores on a 0–100 scale (e.g. an llm_judge mean of 36.3) are divided by 100.
- Lower-is-better metrics (perplexity, bits_per_byte, per `higher_is_better`) and similarity
  scores (bleu, rouge, bert_score) are not pass rates: such tasks are skipped with a reason,
  and a file with nothing else is refused.
- A metric that is not a known pass rate is kept (as a mean score) only when the file declares
  it higher-is-better. v0.3 files declare nothing, so their other metrics (crows_pairs'
  `likelihood_difference`, a log-likelihood gap, and `pct_stereotype`) are skipped as well,
  exactly as v0.4 files skip them on their own `higher_is_better: false`.
- The model is `model_name`, else `config.model_args` (a "k=v,k=v" string or a dict:
  pretrained / model / …); a filesystem path becomes `local/<folder>`. `date` is epoch seconds.
"""

from __future__ import annotations

from typing import Any

from estimators.errors import InputError
from rubrics.evals.common import rename_with_versions
from rubrics.evals.naming import iso_utc, local_model, vendor_of
from rubrics.evals.results import EvalResult, Parsed
from rubrics.evals.safeio import as_dict, dict_at, number, text

FORMAT = "lm_eval"
PASS_RATE_METRICS = ("acc", "exact_match", "em", "pass@1", "pass_at_1", "acc_norm", "exact",
                     "accuracy", "mc1", "prompt_level_strict_acc", "inst_level_strict_acc",
                     "prompt_level_loose_acc", "inst_level_loose_acc", "contains", "correct",
                     "acc_mutual_info", "multiple_choice_grade", "exact_str_match")
SIMILARITY_METRICS = {"bleu", "sacrebleu", "rouge", "rouge1", "rouge2", "rougel", "rougelsum",
                      "bert_score", "bertscore", "bleurt", "chrf", "meteor", "f1", "mc2", "mcc",
                      "bleu_max", "bleu_acc", "bleu_diff", "rouge1_max", "rougel_max",
                      "rouge2_max", "comet", "ter"}
LOWER_IS_BETTER = {"perplexity", "word_perplexity", "byte_perplexity", "bits_per_byte", "ppl",
                   "loss", "brier_score", "ter", "wer", "cer", "likelihood"}
_FILTERS = ("none", "", "strict-match")
_META_KEYS = {"alias", "name", "samples", "sample_len", "sample_count", " "}
_MARKERS = ("versions", "configs", "config", "n-shot", "group_subtasks", "higher_is_better",
            "lm_eval_version", "n-samples")


def looks_like(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        return False
    if not any(k in doc for k in _MARKERS):
        return False
    return all(isinstance(v, dict) for v in doc["results"].values())


def _split(key: str) -> tuple[str, str]:
    metric, _, filt = key.partition(",")
    return metric.strip(), filt.strip()


def _metrics(entry: dict[str, Any]) -> tuple[dict[tuple[str, str], Any], dict[tuple[str, str], Any]]:
    """(values, stderrs) keyed by (metric, filter)."""
    values: dict[tuple[str, str], Any] = {}
    errs: dict[tuple[str, str], Any] = {}
    for key, value in entry.items():
        if not isinstance(key, str) or key in _META_KEYS or isinstance(value, (dict, list)):
            continue
        metric, filt = _split(key)
        if metric.endswith("_stderr"):
            errs[(metric[: -len("_stderr")], filt)] = value
        else:
            values[(metric, filt)] = value
    return values, errs


def _rank(metric: str, filt: str, hib: bool | None) -> tuple[int, int, int] | None:
    """Sort key for choosing a task's metric; None when it is not a pass rate at all.

    `hib` is the file's own higher_is_better for the metric (None when it does not say).
    """
    m = metric.lower()
    if hib is False or m in LOWER_IS_BETTER or m in SIMILARITY_METRICS:
        return None
    f = _FILTERS.index(filt) if filt in _FILTERS else len(_FILTERS)
    if m in PASS_RATE_METRICS:
        return (0, PASS_RATE_METRICS.index(m), f)
    if hib is None:
        return None  # neither a known rate nor declared higher-is-better: direction unknown
    return (1, 0, f)  # declared higher-is-better: a mean score, kept but flagged


def _why_not(values: dict[tuple[str, str], Any], hib: dict[str, Any]) -> str:
    """Why none of a task's metrics is a pass rate, naming them."""
    metrics = {m for m, _ in values}
    names = ", ".join(sorted(metrics)) or "none"
    lower = {m for m in metrics if hib.get(m) is False or m.lower() in LOWER_IS_BETTER}
    known = lower | {m for m in metrics if m.lower() in SIMILARITY_METRICS}
    if lower and lower == metrics:
        return f"{names} are lower-is-better (perplexity-like), not pass rates"
    if known == metrics:
        return f"{names} are similarity or lower-is-better scores, not pass rates"
    return (f"{names} are not pass rates as far as the file says: none is a known rate or "
            "declared higher-is-better")


def _model(doc: dict[str, Any], warnings: list[str]) -> str:
    name = text(doc.get("model_name")).strip()
    cfg = dict_at(doc, "config")
    args = cfg.get("model_args")
    if isinstance(args, str):
        parsed: dict[str, Any] = {}
        for part in args.split(","):
            k, sep, v = part.partition("=")
            if sep:
                parsed[k.strip()] = v.strip()
        args = parsed
    if not name and isinstance(args, dict):
        for key in ("pretrained", "model", "model_name", "engine", "path"):
            if text(args.get(key)).strip():
                name = text(args[key]).strip()
                break
    kind = text(cfg.get("model"))
    if not name:
        name = kind or "unknown"
    local = local_model(name)
    if local:
        warnings.append(f"the model is a local path ({name}); stored as {local}")
        return local
    if "/" not in name:
        for prefix, vendor in (("openai", "openai"), ("anthropic", "anthropic")):
            if kind.startswith(prefix):
                return f"{vendor}/{name}"
    return name


def _sample_count(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("effective", value.get("original"))
    n = number(value)
    return int(n) if n is not None and n >= 1 and n == int(n) else None


def parse(doc: Any, source: str, sha: str, suite: str | None = None,
          metric: str | None = None) -> Parsed:
    """lm-eval results → one aggregate EvalResult per task."""
    doc = as_dict(doc, source, "top level")
    results = as_dict(doc.get("results"), source, "results")
    groups_block = dict_at(doc, "groups")
    entries: dict[str, dict[str, Any]] = {}
    for name, entry in list(results.items()) + list(groups_block.items()):
        if isinstance(entry, dict) and str(name) not in entries:
            entries[str(name)] = entry
    if not entries:
        raise InputError("lm-eval results are empty", file=source, where="results")
    hib_all = dict_at(doc, "higher_is_better")
    n_samples = dict_at(doc, "n-samples")
    versions = dict_at(doc, "versions")
    subtasks_all = dict_at(doc, "group_subtasks")
    group_names = set(groups_block) | {g for g, subs in subtasks_all.items()
                                       if isinstance(subs, list) and subs}

    warnings: list[str] = []
    model = _model(doc, warnings)
    vendor = vendor_of(model)
    date = iso_utc(doc.get("date"))

    chosen: dict[str, tuple[str, str, float, float | None]] = {}  # task -> metric, filter, p, se
    skipped: list[str] = []
    for task, entry in entries.items():
        values, errs = _metrics(entry)
        hib = dict_at(hib_all, task)
        candidates = []
        for (m, f), v in values.items():
            if metric and metric not in (m, f"{m},{f}"):
                continue
            h = hib.get(m)
            r = (0, 0, 0) if metric and h is not False and m.lower() not in LOWER_IS_BETTER \
                else _rank(m, f, h if isinstance(h, bool) else None)
            if r is not None:
                candidates.append((r, m, f, v))
        if not candidates:
            skipped.append(f"{task}: no pass-rate metric ({_why_not(values, hib)})")
            continue
        _, m, f, v = min(candidates, key=lambda c: c[0])
        p = number(v)
        if p is None:
            skipped.append(f"{task}: {m} has no value ({v!r})")
            continue
        se = number(errs.get((m, f)))
        if 1.0 < p <= 100.0:
            warnings.append(f"{task}: {m} = {p:g} is on a 0–100 scale; normalized to {p / 100:g}")
            p /= 100.0
            se = se / 100.0 if se is not None else None
        elif not 0.0 <= p <= 1.0:
            skipped.append(f"{task}: {m} = {p:g} is not a rate in 0..1 or 0..100")
            continue
        if m.lower() not in PASS_RATE_METRICS:
            warnings.append(f"{task}: {m} is a mean score, not a 0/1 pass rate; k/n is an "
                            "approximation")
        chosen[task] = (m, f, p, se)

    # n per task: the harness's own count, else the sum over a group's subtasks, else stderr.
    ns: dict[str, tuple[int, str]] = {}
    for task in chosen:
        n = _sample_count(n_samples.get(task))
        if n is not None:
            ns[task] = (n, "n-samples")

    def leaf_total(task: str, depth: int = 0) -> int | None:
        if depth > 20:
            return None
        subs = subtasks_all.get(task)
        if not isinstance(subs, list) or not subs:
            if task in ns:
                return ns[task][0]
            got = _backed_out(task)
            return got[0] if got else None
        total = 0
        for sub in subs:
            t = leaf_total(str(sub), depth + 1)
            if t is None:
                return None
            total += t
        return total

    def _backed_out(task: str) -> tuple[int, float] | None:
        entry = entries.get(task)
        if entry is None:
            return None
        pick = chosen.get(task)
        if pick is None:
            values, errs = _metrics(entry)
            ranked = [(rank, m, f) for (m, f) in values if (rank := _rank(m, f, None)) is not None]
            if not ranked:
                return None
            _, m, f = min(ranked, key=lambda rmf: rmf[0])  # the first of equal ranks, as listed
            p, se = number(values[(m, f)]), number(errs.get((m, f)))
            if p is not None and 1 < p <= 100:
                p, se = p / 100, (se / 100 if se is not None else None)
        else:
            _, _, p, se = pick
        if p is None or se is None or se <= 0 or not 0 < p < 1:
            return None
        raw = p * (1 - p) / (se * se) + 1.0  # sample stddev (ddof=1) in the harness
        return round(raw), raw

    for task in chosen:
        if task in ns:
            continue
        if task in group_names:
            # A group's stderr is pooled over its subtasks, so it cannot give n; only the
            # subtasks' own counts can.
            total = leaf_total(task)
            if total:
                ns[task] = (total, "sum of subtasks")
            continue
        got = _backed_out(task)
        if got:
            n, raw = got
            ns[task] = (n, "backed out of stderr")
            if abs(raw - n) > 0.05:
                warnings.append(f"{task}: n backed out of stderr is {raw:.2f}, not a whole "
                                "number (the stderr is not binomial); n is rough")

    out: list[EvalResult] = []
    backed = 0
    for task, (m, f, p, se) in chosen.items():
        if task not in ns:
            why = ("a group whose subtask sizes are unknown" if task in group_names
                   else f"n cannot be backed out of stderr {se!r} at rate {p:g}")
            skipped.append(f"{task}: no sample count, and {why}")
            continue
        n, how = ns[task]
        backed += how == "backed out of stderr"
        k = round(p * n)
        if abs(p * n - k) > 0.01 and m.lower() in PASS_RATE_METRICS:
            warnings.append(f"{task}: {m} × n = {p * n:.3f} is not a whole number: the metric "
                            f"is not a 0/1 mean per item; k = {k} is approximate")
        out.append(EvalResult(
            case_id="", suite=task, model=model, vendor=vendor, difficulty="", kind="",
            passed=None, score=p, run_id=f"lm_eval:{sha[:12]}:{task}", timestamp=date,
            metric=f"{m},{f}" if f else m, stderr=se, approximate=True, n=n, k=k,
            tags=("group",) if task in group_names else ()))
    warnings.extend(f"skipped {s}" for s in skipped)
    if not out:
        raise InputError("nothing to import: " + "; ".join(skipped), file=source)
    warnings.insert(0, "lm-eval publishes aggregates only: each task is stored as k/n with "
                       "k = round(rate × n), marked approximate"
                    + (f"; n backed out of stderr for {backed} task(s) as p(1−p)/stderr² + 1"
                       if backed else ""))
    out, suite_versions = rename_with_versions(
        out, {task: text(v) for task, v in versions.items()}, suite, source)
    return Parsed(FORMAT, out, warnings, suite_versions=suite_versions)
