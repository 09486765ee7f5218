"""The native results CSV: case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from estimators.errors import InputError
from rubrics.evals.results import DIFFICULTIES, KINDS, EvalResult

COLUMNS = ("case_id", "suite", "model", "vendor", "difficulty", "kind", "passed", "score",
           "run_id", "timestamp")
_PASSED = {"1": True, "true": True, "pass": True, "passed": True, "yes": True,
           "0": False, "false": False, "fail": False, "failed": False, "no": False,
           "error": None, "errored": None}


def parse_native_csv(text: str, source: str) -> list[EvalResult]:
    """Parse the native CSV; errors name the file, line and column and what is allowed."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; a native results CSV has "
                         f"{','.join(COLUMNS)}", file=source, where="line 1")
    rows: list[EvalResult] = []
    for row in reader:
        where = f"line {reader.line_num}"
        passed_raw = (row["passed"] or "").strip().lower()
        if passed_raw not in _PASSED:
            raise InputError(f"passed={row['passed']!r}; allowed: 1/0, true/false, pass/fail, error",
                             file=source, where=where)
        difficulty = (row["difficulty"] or "").strip().lower()
        if difficulty and difficulty not in DIFFICULTIES:
            raise InputError(f"difficulty={difficulty!r}; allowed: {', '.join(DIFFICULTIES)}",
                             file=source, where=where)
        kind = (row["kind"] or "").strip().lower()
        if kind and kind not in KINDS:
            raise InputError(f"kind={kind!r}; allowed: {', '.join(KINDS)}", file=source, where=where)
        score_raw = (row["score"] or "").strip()
        try:
            score = float(score_raw) if score_raw else None
        except ValueError:
            raise InputError(f"score={score_raw!r} is not a number", file=source, where=where) from None
        if not row["case_id"] or not row["model"] or not row["suite"]:
            raise InputError("case_id, suite and model must not be empty", file=source, where=where)
        rows.append(EvalResult(
            case_id=row["case_id"].strip(), suite=row["suite"].strip(), model=row["model"].strip(),
            vendor=(row["vendor"] or row["model"].split("/", 1)[0]).strip(),
            difficulty=difficulty, kind=kind, passed=_PASSED[passed_raw], score=score,
            run_id=(row["run_id"] or "").strip(), timestamp=(row["timestamp"] or "").strip(),
        ))
    return rows


def read_native_csv(path: Path) -> list[EvalResult]:
    """Read a native results CSV file."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", file=str(path)) from None
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start})", file=str(path)) from None
    return parse_native_csv(text, str(path))
