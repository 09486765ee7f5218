"""Best quality first, then cost; and paired comparisons from the store."""

from __future__ import annotations

from pathlib import Path

from rubrics.capability import Status, wilson
from rubrics.evals.compare import compare
from rubrics.evals.ranking import rank
from rubrics.evals.results import Tally
from rubrics.evals.store import EvalStore

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "rubrics" / "data" / "examples" / "support-faq-results.csv"
PRICES = {"openai/gpt-4o-mini": 0.0003, "deepseek/deepseek-chat": 0.0002, "qwen/qwen-plus": 0.0001}


def t(k: int, n: int) -> Tally:
    return Tally(k, n, 0, ("r",))


def test_strongest_and_cheapest_meeting() -> None:
    tallies = {("big", "s", "all"): t(198, 200), ("mid", "s", "all"): t(190, 200),
               ("small", "s", "all"): t(150, 200), ("unpriced", "s", "all"): t(199, 200)}
    cost = {"big": 0.01, "mid": 0.002, "small": 0.0005}.get
    r = rank(tallies, cost, bar=0.9)
    assert r.strongest and r.strongest.model == "unpriced"
    assert r.cheapest_meeting and r.cheapest_meeting.model == "mid"  # MEETS; small FAILS
    assert [c.model for c in r.candidates] == ["unpriced", "big", "mid", "small"]
    by = {c.model: c for c in r.candidates}
    assert by["small"].status is Status.FAILS and by["unpriced"].cost is None
    assert by["mid"].low == wilson(190, 200, 0.95)[0]


def test_missing_suite_or_tier_blocks_meets() -> None:
    tallies = {("a", "s1", "all"): t(200, 200), ("a", "s2", "all"): t(200, 200),
               ("b", "s1", "all"): t(200, 200)}
    r = rank(tallies, lambda m: 1.0, bar=0.9)
    by = {c.model: c for c in r.candidates}
    assert by["a"].status is Status.MEETS
    assert by["b"].status is Status.INCONCLUSIVE and by["b"].low == 0.0  # no data on s2
    assert r.cheapest_meeting.model == "a"
    assert rank({}, lambda m: 1.0, bar=0.9).strongest is None


def test_tier_bars_and_unknown_cost_raising() -> None:
    tallies = {("a", "s", "all"): t(95, 100), ("a", "s", "hard"): t(16, 20)}

    def cost(model: str) -> float:
        raise KeyError(model)

    r = rank(tallies, cost, bar=0.8, tiers=("all", "hard"), bars={"hard": 0.5})
    (c,) = r.candidates
    assert c.status is Status.MEETS and c.cost is None and r.cheapest_meeting is None


def test_rank_from_store(tmp_path: Path) -> None:
    with EvalStore(tmp_path / "e.sqlite") as store:
        store.import_file(EXAMPLE)
        r = rank(store.tallies(suite="support-faq"), PRICES.get, bar=0.85)
        # gpt-4o-mini 116/120 and deepseek 116/118 meet 0.85; qwen 100/119 does not.
        assert {c.model for c in r.candidates if c.status is Status.MEETS} == {
            "openai/gpt-4o-mini", "deepseek/deepseek-chat"}
        assert r.cheapest_meeting.model == "deepseek/deepseek-chat"
        assert r.strongest.model == "deepseek/deepseek-chat"  # 116/118 beats 116/120


def test_compare_pairs_the_same_cases(tmp_path: Path) -> None:
    with EvalStore(tmp_path / "e.sqlite") as store:
        store.import_file(EXAMPLE)
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
