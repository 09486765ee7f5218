"""Recognise an eval file by its content and hand it to the right importer.

`parse_bytes` is the single entry point: any bytes in, either a `Parsed` out or an InputError
naming the file and the reason. It never lets another exception escape, because a hostile or
broken file must not crash the CLI (the fuzz test holds it to that).
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

from estimators.errors import InputError
from estimators.safefile import decode_text
from rubrics.evals import inspect_ai, lm_eval, opencompass, promptfoo
from rubrics.evals.common import rename_suite
from rubrics.evals.native_csv import COLUMNS, parse_native_csv
from rubrics.evals.results import Parsed
from rubrics.evals.safeio import DEFAULT_LIMITS, Limits, load_json

FORMATS = ("promptfoo", "inspect", "lm_eval", "opencompass", "native")
_ALIASES = {"inspect_ai": "inspect", "inspect-ai": "inspect", "eval": "inspect",
            "lm-eval": "lm_eval", "lm-evaluation-harness": "lm_eval", "lmeval": "lm_eval",
            "csv": "native", "scopecard": "native", "open-compass": "opencompass"}
_UNEXPECTED = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError,
               OverflowError, ZeroDivisionError, UnicodeError, csv.Error, MemoryError)
_KNOWN = ("promptfoo results JSON, Inspect AI log (.json/.eval), lm-evaluation-harness results "
          "JSON, OpenCompass summary CSV or judge results, or a native results CSV "
          f"({','.join(COLUMNS)})")


def normalize_format(name: str | None) -> str | None:
    """The canonical format name for a user's --format value (None stays None)."""
    if name is None or not name.strip():
        return None
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise InputError(f"unknown format {name!r}; allowed: {', '.join(FORMATS)}",
                         where="--format")
    return key


def parse_bytes(data: bytes, source: str, *, sha: str, format: str | None = None,
                suite: str | None = None, allow_partial: bool = False,
                metric: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Detect (or force) the format and parse. Raises only InputError."""
    fmt = normalize_format(format)
    try:
        parsed = _dispatch(data, source, sha, fmt, suite, allow_partial, metric, limits)
    except InputError:
        raise
    except csv.Error as e:
        raise InputError(f"not a readable CSV ({e})", file=source) from None
    except _UNEXPECTED as e:  # a structure the importer did not foresee: still a clean refusal
        kind = fmt or "eval"
        raise InputError(f"malformed {kind} file ({type(e).__name__}: {str(e)[:200]})",
                         file=source) from None
    if not parsed.results:
        raise InputError("no results to import", file=source)
    return parsed


def _dispatch(data: bytes, source: str, sha: str, fmt: str | None, suite: str | None,
              allow_partial: bool, metric: str | None, limits: Limits) -> Parsed:
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        if fmt not in (None, "inspect"):
            raise InputError(f"this is a zip archive; only Inspect .eval logs are zips, not "
                             f"{fmt} files", file=source)
        return inspect_ai.parse_eval_zip(data, source, sha, suite, allow_partial, limits)
    if b"\x00" in data[:4096]:
        raise InputError(f"binary file of an unknown kind; expected {_KNOWN}", file=source)
    text = decode_text(data, source)
    head = text.lstrip()
    if not head:
        raise InputError("empty file", file=source)
    if head[0] in "{[":
        return _json(text, source, sha, fmt, suite, allow_partial, metric)
    return _csv(text, source, sha, fmt, suite)


def _json_kind(doc: Any) -> str | None:
    if promptfoo.looks_like(doc):
        return "promptfoo"
    if inspect_ai.looks_like(doc):
        return "inspect"
    if lm_eval.looks_like(doc):
        return "lm_eval"
    if opencompass.json_kind(doc):
        return "opencompass"
    return None


def _json(text: str, source: str, sha: str, fmt: str | None, suite: str | None,
          allow_partial: bool, metric: str | None) -> Parsed:
    try:
        doc = load_json(text, source)
    except InputError as e:
        lines = text.strip().splitlines()
        if "Extra data" in e.message and len(lines) > 1 and _is_json(lines[0], source):
            raise InputError("JSON Lines (one object per line) is not a supported results "
                             f"format; expected {_KNOWN}", file=source) from None
        raise
    kind = _json_kind(doc)
    if fmt == "native":
        raise InputError("this is JSON; a native results file is CSV", file=source)
    if fmt and kind != fmt:
        seen = f"it looks like a {kind} file" if kind else "its structure is not recognised"
        raise InputError(f"not a {fmt} file: {seen}", file=source)
    if kind == "promptfoo":
        return promptfoo.parse(doc, source, sha, suite)
    if kind == "inspect":
        return inspect_ai.parse(doc, source, sha, suite, allow_partial)
    if kind == "lm_eval":
        return lm_eval.parse(doc, source, sha, suite, metric)
    if kind == "opencompass":
        if opencompass.json_kind(doc) == "predictions":
            opencompass.refuse_predictions(source)
        return opencompass.parse_judge(doc, source, sha, suite)
    raise InputError(f"JSON of an unrecognized tool; expected {_KNOWN}", file=source)


def _csv(text: str, source: str, sha: str, fmt: str | None, suite: str | None) -> Parsed:
    # Only the first rows decide the format; no need to wrap a 100 MB text to read two lines.
    reader = csv.reader(io.StringIO(text[:65536], newline=""))
    header = next(reader, [])
    second = next(reader, None)
    names = {c.strip().lower() for c in header}
    oc = opencompass.csv_kind(header, second)
    native_like = bool(names & {"case_id", "passed"}) or len(names & set(COLUMNS)) >= 3
    if fmt == "opencompass" or (fmt is None and oc):
        if oc == "subjective-report":
            opencompass.refuse_subjective_report(header, source)
        return opencompass.parse_summary_csv(text, source, sha, suite)
    if fmt == "native" or (fmt is None and native_like):
        return _native(text, source, sha, suite)
    if fmt:
        raise InputError(f"not a {fmt} file: it is text/CSV", file=source)
    raise InputError(f"unrecognized file (CSV header {','.join(header[:6])[:120]!r}); "
                     f"expected {_KNOWN}", file=source)


def _native(text: str, source: str, sha: str, suite: str | None) -> Parsed:

    results = parse_native_csv(text, source)
    warnings: list[str] = []
    if any(not r.run_id for r in results):
        fill = f"native:{sha[:12]}"
        results = [r if r.run_id else replace(r, run_id=f"{fill}:{r.model}") for r in results]
        warnings.append(f"rows without a run_id were given run ids '{fill}:<model>'")
    return Parsed("native", rename_suite(results, suite, source), warnings)


def _is_json(line: str, source: str) -> bool:
    try:
        load_json(line, source)
    except InputError:
        return False
    return True
