"""Helpers shared by the importers: suite renaming (with versions) and folding repeated attempts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

from estimators.errors import InputError
from rubrics.evals.results import EvalResult


def rename_suite(results: list[EvalResult], suite: str | None, source: str) -> list[EvalResult]:
    """Put every result under `suite` when the file holds exactly one suite.

    A file with several suites (an lm-eval run over many tasks) cannot be renamed to one
    name without mixing unrelated cases, so that is refused rather than guessed.
    """
    if not suite:
        return results
    names = sorted({r.suite for r in results})
    if len(names) > 1:
        shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        raise InputError(f"the file holds {len(names)} suites ({shown}); --suite can only name "
                         "a file with a single suite", file=source)
    return [replace(r, suite=suite) for r in results]


def rename_with_versions(results: list[EvalResult], versions: Mapping[str, str],
                         suite: str | None, source: str) -> tuple[list[EvalResult], dict[str, str]]:
    """rename_suite, and each stored suite's version: that of the suite its results came from.

    Only suites that have results carry a version, so a skipped task's version can never
    stand for the one that was imported.
    """
    renamed = rename_suite(results, suite, source)
    return renamed, {new.suite: versions[old.suite]
                     for old, new in zip(results, renamed, strict=True) if old.suite in versions}


def fold_repeats(results: list[EvalResult]) -> tuple[list[EvalResult], int]:
    """One result per (run, case): repeats (epochs, --repeat) fold into one.

    Repeats of one case are not independent trials, so counting each would overstate n. The
    folded case passes only if every graded attempt passed; its score is the mean score; it
    is an error only if every attempt errored. Returns the results and how many cases folded.
    """
    groups: dict[tuple[str, str], list[EvalResult]] = defaultdict(list)
    order: list[tuple[str, str]] = []
    for r in results:
        key = (r.run_id, r.case_id)
        if key not in groups:
            order.append(key)
        groups[key].append(r)
    out: list[EvalResult] = []
    folded = 0
    for key in order:
        rows = groups[key]
        if len(rows) == 1:
            out.append(rows[0])
            continue
        folded += 1
        graded = [r for r in rows if r.passed is not None]
        if not graded:
            out.append(rows[0])
            continue
        scores = [r.score for r in graded if r.score is not None]
        out.append(replace(graded[0], passed=all(r.passed for r in graded),
                           score=sum(scores) / len(scores) if scores else None, error=""))
    return out, folded
