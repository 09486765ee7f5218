"""The one shape every importer produces: one graded case result of one model.

A row normally stands for one case (`n == 1`). Tools that publish only aggregates
(lm-evaluation-harness, OpenCompass summaries) produce one *aggregate* row per model and
task instead: `k` of `n` passed, derived from the published rate and sample count, and
marked `approximate`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

DIFFICULTIES = ("easy", "medium", "hard")
KINDS = ("single", "composite")


@dataclass(frozen=True)
class EvalResult:
    case_id: str
    suite: str
    model: str  # vendor/model, as in the price catalogue where possible
    vendor: str
    difficulty: str  # easy | medium | hard | "" when the tool does not grade by difficulty
    kind: str  # single | composite | ""
    passed: bool | None  # None when the case errored: errors are not failures
    score: float | None  # 0..1 where the tool gives a score
    run_id: str
    timestamp: str
    # Optional extras (defaults keep older callers working).
    metric: str = ""  # the tool's metric name, e.g. "acc,none" or an Inspect scorer
    error: str = ""  # why the case errored (only when passed is None)
    stderr: float | None = None  # the tool's own standard error, for aggregate rows
    approximate: bool = False  # k/n derived rather than counted
    n: int = 1  # graded cases this row stands for (> 1 only for aggregate rows)
    k: int | None = None  # passed cases, set only on aggregate rows
    tags: tuple[str, ...] = ()

    @property
    def aggregate(self) -> bool:
        """True for a row that summarises many cases (k of n) rather than one case."""
        return self.k is not None

    @property
    def errored(self) -> bool:
        return self.passed is None and self.k is None


_EXTRA_DEFAULTS = {"metric": "", "error": "", "stderr": None, "approximate": False, "n": 1,
                   "k": None, "tags": ()}
_new = object.__new__


def fast_result(case_id: str, suite: str, model: str, vendor: str, difficulty: str, kind: str,
                passed: bool | None, score: float | None, run_id: str,
                timestamp: str) -> EvalResult:
    """EvalResult(...) with default extras, about 4x faster than the generated __init__.

    A frozen dataclass sets each field through object.__setattr__; filling the instance dict
    directly gives the same object. Only for importers' hot loops over trusted values.
    """
    r = _new(EvalResult)
    d = r.__dict__
    d.update(_EXTRA_DEFAULTS)
    d["case_id"] = case_id
    d["suite"] = suite
    d["model"] = model
    d["vendor"] = vendor
    d["difficulty"] = difficulty
    d["kind"] = kind
    d["passed"] = passed
    d["score"] = score
    d["run_id"] = run_id
    d["timestamp"] = timestamp
    return r


@dataclass(frozen=True)
class Tally:
    """k passed of n graded (errors kept apart: they say nothing about capability)."""

    k: int
    n: int
    errors: int
    run_ids: tuple[str, ...]
    # Set by the store; defaults keep in-memory tallies unchanged.
    suite_hash: str = ""
    approximate: bool = False  # some of k/n was derived from an aggregate, not counted
    metric: str = ""
    mean_score: float | None = None  # mean of per-case scores (or the aggregate mean)


def tally(results: Iterable[EvalResult]) -> dict[tuple[str, str, str], Tally]:
    """Tallies keyed by (model, suite, difficulty); difficulty "all" holds the suite total."""
    acc: dict[tuple[str, str, str], list] = defaultdict(lambda: [0, 0, 0, set(), False])
    for r in results:
        for tier in ("all", r.difficulty) if r.difficulty else ("all",):
            a = acc[(r.model, r.suite, tier)]
            if r.k is not None:  # aggregate row: k of n at once
                a[0] += r.k
                a[1] += r.n
                a[4] = True
            elif r.passed is None:
                a[2] += 1
            else:
                a[0] += r.passed
                a[1] += 1
            a[4] = a[4] or r.approximate
            a[3].add(r.run_id)
    return {key: Tally(a[0], a[1], a[2], tuple(sorted(a[3])), approximate=a[4])
            for key, a in acc.items()}


@dataclass
class Parsed:
    """What an importer read from one file, before it reaches the store."""

    format: str  # promptfoo | inspect | lm_eval | opencompass | native
    results: list[EvalResult]
    warnings: list[str]
    suite_versions: dict[str, str] | None = None  # suite name -> the tool's version of it
