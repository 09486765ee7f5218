"""Checks on stored tallies through the verdict's own capability code, and paired comparisons.

(rubrics/evals/ranking.py re-implemented "cheapest that MEETS" for nothing but its test; the
verdict chooses with rubrics.verdict.capability_of, so what was worth keeping is checked there.)
"""

from __future__ import annotations

from pathlib import Path

from rubrics.capability import Status
from rubrics.evals.compare import compare
from rubrics.evals.results import Tally
from rubrics.evals.store import EvalStore
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from rubrics.spec import load_spec
from rubrics.verdict import capability_of

SPEC = load_spec(EXAMPLE_SPEC)  # suite "support-faq"; tier bars easy 0.90, hard 0.75


def test_stored_tallies_meet_the_bar_through_the_verdicts_check(tmp_path: Path) -> None:
    with EvalStore(tmp_path / "e.sqlite") as store:
        store.import_file(EXAMPLE_EVALS)
        tallies = store.tallies(suite="support-faq")
    status = {m: capability_of(m, SPEC, tallies, 0.85, 0.95).status
              for m in ("openai/gpt-4o-mini", "deepseek/deepseek-chat", "qwen/qwen-plus")}
    # gpt-4o-mini 116/120 and deepseek 116/118 meet 0.85 (and the tier bars); qwen 100/119
    # (hard 20/29 against 0.75) does not.
    assert status == {"openai/gpt-4o-mini": Status.MEETS, "deepseek/deepseek-chat": Status.MEETS,
                      "qwen/qwen-plus": Status.INCONCLUSIVE}


def test_a_tier_with_a_bar_and_no_results_blocks_meets() -> None:
    perfect = {("a", "support-faq", "all"): Tally(200, 200, 0, ("r",)),
               ("a", "support-faq", "easy"): Tally(100, 100, 0, ("r",))}
    cap = capability_of("a", SPEC, perfect, 0.9, 0.95)
    assert cap.overall.status is Status.MEETS
    assert cap.tiers["hard"].status is Status.NO_DATA  # the spec sets a hard bar
    assert cap.status is not Status.MEETS
    assert capability_of("nobody", SPEC, perfect, 0.9, 0.95).status is Status.NO_DATA


def test_compare_pairs_the_same_cases(tmp_path: Path) -> None:
    with EvalStore(tmp_path / "e.sqlite") as store:
        store.import_file(EXAMPLE_EVALS)
        (c,) = compare(store, "openai/gpt-4o-mini", "qwen/qwen-plus")
        assert c.suite == "support-faq" and c.test.method == "exact"
        # qwen errored on one case: 119 pairs. gpt-4o-mini 115 of those passed, qwen 100.
        assert c.test.n == 119 and c.skipped == 1
        assert (c.a_passed, c.b_passed) == (115, 100)
        assert (c.test.both_pass, c.test.a_only, c.test.b_only, c.test.both_fail) == (97, 18, 3, 1)
        # 2 × P(X ≤ 3 | Bin(21, ½)) = 2 × (1 + 21 + 210 + 1330) / 2²¹
        assert c.test.p_value == 2 * 1562 / 2 ** 21
        assert c.test.better() == "A" and c.b_only_cases == ("hard-021", "hard-026", "medium-011")
        assert compare(store, "openai/gpt-4o-mini", "nobody") == []
