"""Issue #17: a review's fast paths (kept token counts, shared Monte Carlo draws, no tornado,
forked workers, list entries read without the full validation) give exactly what the slow
paths give."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pytest

import rubrics.review as review
from estimators.paths import Workspace
from rubrics import economics, estimate
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from rubrics.pipeline import decide_spec, save_record
from rubrics.record_store import RecordStore
from rubrics.review import Review, review_records
from tests.test_records_review import LATER, set_catalogue_price
from tests.test_records_support import make_record


def slow_reviews(monkeypatch: pytest.MonkeyPatch, ws: Workspace, ids: list[str],
                 today: dt.date) -> list[Review]:
    """The reviews computed with every cache of the recompute turned off."""
    with monkeypatch.context() as m:
        m.setattr(review, "shared_simulation", lambda tornado=True: nullcontext())
        m.setattr(review, "counts_kept", lambda kept=None: nullcontext())
        return review_records(ws, ids, today, save=False, processes=1)


def example_record(home: Path, seed: int = 1) -> str:
    ws = Workspace(home)
    _, record = decide_spec(EXAMPLE_SPEC, ws, EXAMPLE_EVALS, seed=seed)
    return save_record(ws, {**record, "title": f"Example {seed}"}).parent.name


def test_fast_review_equals_slow_review_for_the_example(isolated: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept counts, shared draws and no tornado must not change one figure of a review."""
    record_id = example_record(isolated)
    ws, today = Workspace(isolated), dt.date.today()
    (fast,) = review_records(ws, [record_id], today, save=False, processes=1)
    assert fast.reproduction is not None and fast.reproduction.status == "reproduced"
    assert [fast] == slow_reviews(monkeypatch, ws, [record_id], today)


def test_fast_review_equals_slow_review_when_a_price_moved(
        test_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a moved price the decision is recomputed under today's prices from the shared
    draws: its verdict and every move are those of the slow path."""
    record_id, _ = make_record(test_workspace)
    set_catalogue_price(test_workspace, "test/beta", "input", "3.00", "6.00")
    ws = Workspace(test_workspace)
    (fast,) = review_records(ws, [record_id], LATER, save=False, processes=1)
    assert fast.today is not None and fast.today.verdict == "GO"
    assert [fast] == slow_reviews(monkeypatch, ws, [record_id], LATER)


def test_shared_draws_give_every_candidate_its_own_numbers(isolated: Path) -> None:
    """Defect: each candidate redrew the same seeded inputs (5 x 10,000 draws) and a review
    drew them again for today's prices. Shared draws and the generator's saved state must give
    the same distributions, tornado included, as drawing afresh."""
    ws = Workspace(isolated)
    d, _ = decide_spec(EXAMPLE_SPEC, ws, EXAMPLE_EVALS, seed=3)
    with economics.shared_simulation() as sim:
        again, _ = decide_spec(EXAMPLE_SPEC, ws, EXAMPLE_EVALS, seed=3)
    assert len(sim.inputs) == 1  # one set of input draws for all candidates
    assert [c.distribution for c in again.candidates] == [c.distribution for c in d.candidates]
    assert again.verdict == d.verdict and again.chosen == d.chosen


def test_shared_draws_are_read_only() -> None:
    """Draws kept for the next candidate must not be changed in place by the one before."""
    from rubrics.spec import Spec

    spec = Spec.model_validate(__import__("tomllib").loads(EXAMPLE_SPEC.read_text()))
    with economics.shared_simulation():
        values, _ = economics.draw_inputs(spec, 5, 10, 0.0, 1, 100)
        arrays = [v for v in values.values() if isinstance(v, np.ndarray)]
        assert arrays
        with pytest.raises(ValueError):
            arrays[0][0] = 0.0


def test_a_review_leaves_the_tornado_out(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: a review drew every candidate's tornado (2 figures per ranged input) that it
    never compares; inside a review no tornado is computed."""
    record_id = example_record(isolated)
    calls: list[int] = []
    real = economics.tornado
    monkeypatch.setattr(economics, "tornado", lambda *a, **k: calls.append(1) or real(*a, **k))
    review_records(Workspace(isolated), [record_id], dt.date.today(), save=False, processes=1)
    assert calls == []


def test_a_review_counts_each_prompt_text_once(isolated: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: the original-inputs and today's-prices estimates counted the same inlined
    prompts with the same tokenizers twice."""
    record_id = example_record(isolated)
    seen: list[tuple[str, str]] = []
    real = estimate.count_tokens

    def counting(text, tok, *a, **k):  # type: ignore[no-untyped-def]
        seen.append((text, repr(tok)))
        return real(text, tok, *a, **k)

    monkeypatch.setattr(estimate, "count_tokens", counting)
    review_records(Workspace(isolated), [record_id], dt.date.today(), save=False, processes=1)
    assert seen and len(seen) == len(set(seen))


def test_forked_workers_give_the_serial_reviews_in_order(isolated: Path) -> None:
    """Reviews computed by two forked workers are the serial ones, in the same order, and
    the parent files one review per decision."""
    ids = [example_record(isolated, seed) for seed in (1, 2, 3)]
    ws, today = Workspace(isolated), dt.date.today() + dt.timedelta(days=100)
    serial = review_records(ws, None, today, save=False, processes=1)
    forked = review_records(ws, None, today, processes=2)
    assert [r.id for r in forked] == sorted(ids, reverse=True)
    for r in forked:
        assert r.saved
        r.saved = False
    assert forked == serial
    store = RecordStore(ws)
    assert all(len(store.get(i).reviews) == 1 for i in ids)


def test_forked_workers_raise_for_a_named_decision_they_cannot_read(isolated: Path) -> None:
    """A named decision that cannot be read raises the same InputError (file and all) when a
    worker read it."""
    ids = [example_record(isolated, seed) for seed in (1, 2)]
    path = Workspace(isolated).decisions / ids[1] / "decision.toml"
    path.write_text("not = [toml")
    with pytest.raises(review.InputError) as forked:
        review_records(Workspace(isolated), ids, dt.date.today(), processes=2)
    with pytest.raises(review.InputError) as serial:
        review_records(Workspace(isolated), ids, dt.date.today(), processes=1)
    assert str(forked.value) == str(serial.value) and forked.value.file == str(path)


def test_no_fork_in_a_process_with_other_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app runs threads: forking it could copy a held lock into the child."""
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert review._processes(10_000) == 1
    assert review._processes(review.PARALLEL_MIN - 1) == 1


def full_summaries(monkeypatch: pytest.MonkeyPatch, store: RecordStore) -> list:
    """The list entries read the slow way: every decision validated whole by `get`."""
    with monkeypatch.context() as m:
        m.setattr(RecordStore, "_summary_quick", lambda self, record_id: None)
        store.index_file.unlink(missing_ok=True)
        return store.summaries() or []


def test_a_cold_list_validates_no_whole_decision(isolated: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: a cold list validated every decision whole with pydantic (about a fifth more
    than parsing it); a sealed decision is now listed from the fields the list shows, with
    the same entry, status, review and flags as the full read."""
    from rubrics.record import DecisionRecord

    ids = [example_record(isolated, seed) for seed in (1, 2, 3)]
    ws = Workspace(isolated)
    store = RecordStore(ws)
    store.set_status(ids[0], "accepted")
    review_records(ws, [ids[1]], dt.date.today() + dt.timedelta(days=400), processes=1)
    slow = full_summaries(monkeypatch, store)
    calls: list[int] = []
    real = DecisionRecord.model_validate
    monkeypatch.setattr(DecisionRecord, "model_validate",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    store.index_file.unlink()
    quick = store.summaries()
    assert calls == [] and quick == slow
    assert {s.status for s in quick or []} == {"accepted", "proposed"}
    assert any(s.last_reviewed and "review_due" in s.flags for s in quick or [])


def test_an_edited_or_corrupt_decision_is_still_listed_with_what_is_wrong(
        isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file no longer as sealed is read whole: an edit shows as `edited`, an edit that
    breaks a field the list does not show is listed with its error, as is bad TOML."""
    ids = [example_record(isolated, seed) for seed in (1, 2, 3)]
    store = RecordStore(Workspace(isolated))
    files = [store.decision_file(i) for i in ids]
    files[0].write_text(files[0].read_text().replace('title = "Example 1"',
                                                     'title = "Example one"'))
    text = files[1].read_text()
    at = text.index("cost_per_call = ")
    files[1].write_text(text[:at] + 'cost_per_call = "cheap"\n' + text[text.index("\n", at) + 1:])
    files[2].write_text("not = [toml")
    by_id = {s.id: s for s in store.summaries() or []}
    assert "edited" in by_id[ids[0]].flags and by_id[ids[0]].title == "Example one"
    assert by_id[ids[1]].error and "cost_per_call" in by_id[ids[1]].error
    assert by_id[ids[2]].error and "TOML syntax error" in by_id[ids[2]].error
    assert list(by_id.values()) == full_summaries(monkeypatch, store)
