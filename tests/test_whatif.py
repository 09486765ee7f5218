"""What-if analysis (rubrics/whatif.py): changes recomputed over the decided spec's own draws."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimators.errors import InputError
from estimators.paths import Workspace
from estimators.prices import Catalogue
from rubrics.evals.results import Tally
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC, EXAMPLE_SUITE, EXAMPLES
from rubrics.pipeline import catalogue_for, estimate_spec, evals_for, seed_for
from rubrics.spec import Range
from rubrics.verdict import Decision, Verdict, decide
from rubrics.whatif import Change, WhatIf, WhatIfResult

AS_OF = dt.date(2026, 12, 1)
MINI, DEEPSEEK, QWEN = "openai/gpt-4o-mini", "deepseek/deepseek-chat", "qwen/qwen-plus"
Base = tuple[Decision, dict[tuple[str, str, str], Tally], Catalogue, WhatIf]


def decided(spec_path: Path, ws: Workspace, seed: int) -> tuple[Decision, Any, Catalogue]:
    """The example's way through the pipeline: estimate, tallies from the eval store, decide."""
    catalogue = catalogue_for(ws)
    est = estimate_spec(spec_path, ws, AS_OF, catalogue=catalogue)
    tallies, _ = evals_for(ws, est.spec, [EXAMPLE_EVALS], EXAMPLE_SUITE)
    return decide(est, tallies, catalogue, seed, AS_OF), tallies, catalogue


@pytest.fixture
def base(isolated: Path) -> Base:
    """The bundled example decided, and a what-if over it."""
    decision, tallies, catalogue = decided(EXAMPLE_SPEC, Workspace(isolated),
                                           seed_for(EXAMPLE_SPEC))
    return decision, tallies, catalogue, WhatIf.from_decision(decision, tallies, catalogue, AS_OF)


def figures_of(r: WhatIfResult) -> dict[str, Any]:
    return {e.model: (e.nmb, e.roi, e.p_positive) for e in r.economics}


def figures_of_decision(d: Decision) -> dict[str, Any]:
    return {c.estimate.model: (c.distribution.nmb, c.distribution.roi, c.distribution.p_positive)
            if c.distribution else (None, None, None) for c in d.candidates}


def test_no_change_gives_exactly_the_decided_figures(base: Base) -> None:
    """With no change (or a change to the value already there) the what-if reproduces decide:
    the same draws, to the last bit, the same verdict and chosen model."""
    decision, _, _, whatif = base
    same = {"value.escape_rate": 0.2,
            "load.daily_active_users": Range(low=30000, likely=50000, high=70000),
            f"candidates[{MINI}].pass_rate": 116 / 120, f"candidates[{MINI}].price.input": 0.15}
    for changes in ({}, same):
        r = whatif.apply(changes)
        assert figures_of(r) == figures_of_decision(decision)
        assert (r.verdict, r.chosen, r.changes) == (decision.verdict, decision.chosen, [])
        assert [str(m) for m in r.decision.conditions] == [str(m) for m in decision.conditions]
    # an unchanged price does not turn the catalogue row into an override in the variant
    assert "price" not in whatif.to_spec_text(same)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(low=st.floats(1_000, 1_000_000), factor=st.floats(1.0, 5.0))
def test_more_users_never_lower_the_median_nmb(base: Base, low: float, factor: float) -> None:
    """Every task is worth more than it costs in the example, so raising DAU (a number, or the
    whole range scaled) cannot lower any candidate's P50 NMB: common random numbers keep every
    other draw fixed, so no Monte Carlo noise can break the order."""
    whatif = base[3]
    for lo, hi in (({"load.daily_active_users": low},
                    {"load.daily_active_users": low * factor}),
                   ({"load.daily_active_users": Range(low=low, likely=2 * low, high=3 * low)},
                    {"load.daily_active_users": Range(low=low * factor, likely=2 * low * factor,
                                                      high=3 * low * factor)})):
        before, after = whatif.apply(lo), whatif.apply(hi)
        for b, a in zip(before.economics, after.economics, strict=True):
            assert b.nmb is not None and a.nmb is not None
            assert a.nmb["p50"] >= b.nmb["p50"]


def test_worthless_answers_flip_the_verdict_to_stop(base: Base) -> None:
    """A value per success of 0.01 makes every candidate lose money: decide's rule 5 (P90 ROI
    below the target) stops it, and the what-if says so through the same rules."""
    decision, _, _, whatif = base
    assert decision.verdict is Verdict.GO_WITH_CONDITIONS
    r = whatif.apply({"value.value_per_success": 0.01})
    assert r.verdict is Verdict.STOP and r.chosen == MINI
    assert all(e.nmb is not None and e.nmb["p90"] < 0 for e in r.economics)


def test_changed_inputs_are_listed_with_base_and_new_values(base: Base) -> None:
    """The result names each changed input with its decided and its what-if value."""
    whatif = base[3]
    r = whatif.apply({"load.tasks_per_user_per_day": 0.5,
                      f"candidates[{MINI}].price.input": 3.0,
                      f"candidates[{MINI}].pass_rate": 0.5})
    assert r.changes == [Change("load.tasks_per_user_per_day", 0.3, 0.5),
                         Change(f"candidates[{MINI}].price.input", 0.15, 3.0),
                         Change(f"candidates[{MINI}].pass_rate", 116 / 120, 0.5)]


def test_a_price_change_moves_only_that_candidate(base: Base) -> None:
    """A dearer input price for the chosen model lowers its NMB, leaves the others' figures
    exactly as decided (common random numbers) and hands the choice to the next cheapest that
    meets the bar."""
    decision, _, _, whatif = base
    r = whatif.apply({f"candidates[{MINI}].price.input": 30.0})
    was, now = figures_of_decision(decision), figures_of(r)
    assert now[MINI][0]["p50"] < was[MINI][0]["p50"]
    assert now[DEEPSEEK] == was[DEEPSEEK] and now[QWEN] == was[QWEN]
    assert r.chosen == DEEPSEEK


def test_a_failing_pass_rate_drops_the_candidate(base: Base) -> None:
    """A pass rate of 50% on the same n cases fails the 90% bar: the verdict rules pick the
    other candidate that meets it."""
    r = base[3].apply({f"candidates[{MINI}].pass_rate": 0.5})
    assert r.chosen == DEEPSEEK
    mini = next(c for c in r.decision.candidates if c.estimate.model == MINI)
    assert (mini.capability.overall.k, mini.capability.overall.n) == (60, 120)


@pytest.mark.parametrize(("changes", "where", "says"), [
    ({"load.daily_users": 5}, "load.daily_users", "did you mean load.daily_active_users"),
    ({"load.days_per_month": 20}, "load.days_per_month", "allowed: load.daily_active_users"),
    ({"load.daily_active_users": -5}, "load.daily_active_users", ">= 0 and <= 1e+10"),
    ({"value.escape_rate": 1.5}, "value.escape_rate", ">= 0 and <= 1"),
    ({"value.escape_rate": True}, "value.escape_rate", "got true/false"),
    ({"load.daily_active_users": {"low": 9, "likely": 5, "high": 10}},
     "load.daily_active_users", "low <= likely <= high"),
    ({f"candidates[{MINI}].pass_rate": 1.5}, f"candidates[{MINI}].pass_rate", "<= 1"),
    ({f"candidates[{MINI}].price.input": -1}, f"candidates[{MINI}].price.input", ">= 0"),
    ({f"candidates[{MINI}].price.colour": 1}, f"candidates[{MINI}].price.colour", "allowed:"),
    ({"candidates[acme/none].price.input": 1}, "candidates[acme/none].price.input",
     "not a candidate"),
])
def test_bad_paths_and_values_are_refused_naming_the_field(base: Base, changes: dict[str, Any],
                                                           where: str, says: str) -> None:
    """An unknown input or a value outside the field's bounds is an InputError naming the path
    and what is allowed (the spec's own bounds), never a traceback or a silent clamp."""
    with pytest.raises(InputError) as e:
        base[3].apply(changes)
    assert e.value.where == where and says in e.value.message


def test_the_saved_variant_decides_as_the_what_if_did(base: Base, isolated: Path) -> None:
    """The variant TOML parses, and deciding it (with the same seed, tallies and date) gives
    the what-if's verdict, chosen model and, for point changes, exactly its figures."""
    _, tallies, catalogue, whatif = base
    folder = isolated / "variant"
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLES / "support-faq-system.md", folder)  # prompt files are spec-relative
    for changes, exact in (({"value.escape_rate": 0.6, "load.tasks_per_user_per_day": 0.2},
                            True),
                           ({"load.daily_active_users": 900.0, "value.value_per_success": 0.1},
                            False)):
        r = whatif.apply(changes)
        path = folder / "variant.toml"
        path.write_text(whatif.to_spec_text(changes))
        est = estimate_spec(path, Workspace(isolated), AS_OF, catalogue=catalogue)
        d = decide(est, tallies, catalogue, whatif.decision.seed, AS_OF)
        assert (d.verdict, d.chosen) == (r.verdict, r.chosen)
        if exact:
            assert figures_of_decision(d) == figures_of(r)
    assert r.verdict is Verdict.STOP  # the second variant does not pay
