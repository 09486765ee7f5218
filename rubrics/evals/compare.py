"""`evals compare A B`: two models on the same cases, with McNemar's paired test.

Only suites where both models have per-case results on the same case set (suite hash) are
compared; aggregate-only results (lm-eval, OpenCompass summaries) cannot be paired.
"""

from __future__ import annotations

from dataclasses import dataclass

from rubrics.evals.stats import McNemar, paired
from rubrics.evals.store import EvalStore


@dataclass(frozen=True)
class Comparison:
    suite: str
    suite_hash: str
    model_a: str
    model_b: str
    test: McNemar
    a_passed: int  # of test.n cases graded for both
    b_passed: int
    a_only_cases: tuple[str, ...]  # cases A passed and B failed
    b_only_cases: tuple[str, ...]
    skipped: int  # cases errored or missing for either model


def common_suites(store: EvalStore, model_a: str, model_b: str,
                  suite: str | None = None) -> list[tuple[str, str]]:
    """(suite name, hash) pairs where both models have per-case results."""
    def keys(model: str) -> set[tuple[str, str]]:
        return {(r.suite, r.suite_hash) for r in store.runs(model=model, suite=suite)
                if not r.aggregate}
    return sorted(keys(model_a) & keys(model_b))


def compare(store: EvalStore, model_a: str, model_b: str,
            suite: str | None = None) -> list[Comparison]:
    """One paired comparison per common suite (empty when they share no case set)."""
    out: list[Comparison] = []
    for name, h in common_suites(store, model_a, model_b, suite):
        ra = {r.case_id: r.passed for r in store.results_for(model_a, f"{name}@{h}")}
        rb = {r.case_id: r.passed for r in store.results_for(model_b, f"{name}@{h}")}
        test = paired(ra, rb)
        both = [c for c in ra if c in rb and ra[c] is not None and rb[c] is not None]
        out.append(Comparison(
            suite=name, suite_hash=h, model_a=model_a, model_b=model_b, test=test,
            a_passed=sum(bool(ra[c]) for c in both), b_passed=sum(bool(rb[c]) for c in both),
            a_only_cases=tuple(sorted(c for c in both if ra[c] and not rb[c])),
            b_only_cases=tuple(sorted(c for c in both if rb[c] and not ra[c])),
            skipped=len(set(ra) | set(rb)) - len(both)))
    return out
