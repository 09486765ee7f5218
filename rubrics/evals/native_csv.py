"""The native results CSV: case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp.

Columns may come in any order; extra columns are ignored. Large files are common here (one
row per case per model), so rows without a quote character are split with str.split — the
same result as the csv module for such lines, several times faster — and only files with
quoting go through csv.reader.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from estimators.errors import InputError
from rubrics.evals.results import DIFFICULTIES, KINDS, EvalResult, fast_result

COLUMNS = ("case_id", "suite", "model", "vendor", "difficulty", "kind", "passed", "score",
           "run_id", "timestamp")
_PASSED = {"1": True, "true": True, "pass": True, "passed": True, "yes": True,
           "0": False, "false": False, "fail": False, "failed": False, "no": False,
           "error": None, "errored": None}
_DIFF = {d: d for d in DIFFICULTIES} | {"": ""}
_KIND = {k: k for k in KINDS} | {"": ""}


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for every line, header included."""
    if '"' not in text and "\r" in text:
        text = text.replace("\r\n", "\n")  # CRLF files stay on the fast path
    if '"' not in text and "\r" not in text:
        for i, line in enumerate(text.split("\n"), start=1):
            if line:
                yield i, line.split(",")
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    for fields in reader:
        if fields:
            yield reader.line_num, fields


def parse_native_csv(text: str, source: str) -> list[EvalResult]:
    """Parse the native CSV; errors name the file, line and column and what is allowed."""
    rows = _rows(text)
    first = next(rows, None)
    header = [h.strip() for h in first[1]] if first else []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; a native results CSV has "
                         f"{','.join(COLUMNS)}", file=source, where="line 1")
    idx = [header.index(c) for c in COLUMNS]
    width = max(idx) + 1
    i_case, i_suite, i_model, i_vendor, i_diff, i_kind, i_pass, i_score, i_run, i_ts = idx
    passed_map, diff_map, kind_map = _PASSED, _DIFF, _KIND
    out: list[EvalResult] = []
    append = out.append
    # Repeated values (models, suites, run ids, timestamps) share one string object.
    intern: dict[str, str] = {}
    for line_num, f in rows:
        if len(f) < width:
            if len(f) == 1 and not f[0].strip():
                continue  # a blank line
            raise InputError(f"{len(f)} field(s) where the header has {len(header)}",
                             file=source, where=f"line {line_num}")
        p = f[i_pass]
        if p not in passed_map:
            p = p.strip().lower()
            if p not in passed_map:
                raise InputError(f"passed={f[i_pass]!r}; allowed: 1/0, true/false, pass/fail, "
                                 "error", file=source, where=f"line {line_num}")
        d = f[i_diff]
        difficulty = diff_map.get(d)
        if difficulty is None:
            difficulty = d.strip().lower()
            if difficulty not in diff_map:
                raise InputError(f"difficulty={difficulty!r}; allowed: {', '.join(DIFFICULTIES)}",
                                 file=source, where=f"line {line_num}")
        k = f[i_kind]
        kind = kind_map.get(k)
        if kind is None:
            kind = k.strip().lower()
            if kind not in kind_map:
                raise InputError(f"kind={kind!r}; allowed: {', '.join(KINDS)}", file=source,
                                 where=f"line {line_num}")
        s = f[i_score]
        score = None
        if s:
            try:
                score = float(s)
            except ValueError:
                raise InputError(f"score={s.strip()!r} is not a number", file=source,
                                 where=f"line {line_num}") from None
        case_id, suite, model = f[i_case].strip(), f[i_suite].strip(), f[i_model].strip()
        if not case_id or not model or not suite:
            raise InputError("case_id, suite and model must not be empty", file=source,
                             where=f"line {line_num}")
        vendor = f[i_vendor].strip() or model.split("/", 1)[0]
        run_id, ts = f[i_run].strip(), f[i_ts].strip()
        append(fast_result(
            case_id, intern.setdefault(suite, suite), intern.setdefault(model, model),
            intern.setdefault(vendor, vendor), difficulty, kind, passed_map[p], score,
            intern.setdefault(run_id, run_id), intern.setdefault(ts, ts)))
    return out


def read_native_csv(path: Path) -> list[EvalResult]:
    """Read a native results CSV file."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", file=str(path)) from None
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start})", file=str(path)) from None
    return parse_native_csv(text, str(path))


def native_csv_bytes(results: Iterable[EvalResult]) -> bytes:
    """Results as a native results CSV (errored cases say `error`; scores exact)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in results:
        passed = "error" if r.passed is None else str(int(r.passed))
        score = "" if r.score is None else repr(r.score)
        w.writerow([r.case_id, r.suite, r.model, r.vendor, r.difficulty, r.kind, passed, score,
                    r.run_id, r.timestamp])
    return buf.getvalue().encode()
