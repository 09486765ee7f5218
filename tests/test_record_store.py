"""RecordStore (issue #17): a decision is written once; each later fact is its own file; status is
derived from events; the first layout migrates with nothing lost; the list index is a cache."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from estimators.errors import InputError
from estimators.paths import Workspace
from rubrics.record import DecisionRecord, ReviewEntry, ReviewFlag, split_v1
from rubrics.record_store import RecordStore
from tests.conftest import FIXTURES
from tests.test_records_support import make_record

V1 = FIXTURES / "records_v1"
AT = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture
def store(test_workspace: Path) -> RecordStore:
    return RecordStore(Workspace(test_workspace))


def test_a_decision_is_one_file_in_its_own_folder_named_with_a_hash(store: RecordStore) -> None:
    record_id, _ = make_record(store.ws.root)
    assert record_id.startswith("2026-03-01-ticket-triage-") and len(record_id) == 31
    assert [p.name for p in (store.root / record_id).iterdir()] == ["decision.toml"]
    assert store.resolve("2026-03-01-ticket") == record_id
    state = store.get(record_id)
    assert state.status == "proposed" and state.integrity() is None


def test_later_facts_never_touch_the_decision_file(store: RecordStore) -> None:
    record_id, _ = make_record(store.ws.root)
    before = (store.root / record_id / "decision.toml").read_bytes()
    store.add_review(record_id, ReviewEntry(date=dt.date(2026, 4, 1)), at=AT)
    store.set_status(record_id, "accepted", "ok", at=AT)
    store.set_status(record_id, "deprecated", at=AT + dt.timedelta(days=1))
    assert (store.root / record_id / "decision.toml").read_bytes() == before
    state = store.get(record_id)
    assert state.status == "deprecated"
    assert [h["to"] for h in state.history] == ["accepted", "deprecated"]
    assert len(list((store.root / record_id / "events").iterdir())) == 2


def test_refused_transitions_write_nothing(store: RecordStore) -> None:
    record_id, _ = make_record(store.ws.root)
    before = files(store.root)
    with pytest.raises(InputError, match="cannot become deprecated"):
        store.set_status(record_id, "deprecated")
    with pytest.raises(InputError, match="supersede"):
        store.set_status(record_id, "superseded")
    assert files(store.root) == before


def test_events_merged_from_two_clones_apply_in_time_order_and_conflicts_show(
        store: RecordStore) -> None:
    """One person accepted while another rejected (git merged both files): the earlier one wins
    and the other is kept as a conflict, flagged in the list."""
    record_id, _ = make_record(store.ws.root)
    store.set_status(record_id, "accepted", at=AT)
    events = store.root / record_id / "events"
    accepted = next(events.iterdir())
    store.set_status(record_id, "deprecated", at=AT + dt.timedelta(minutes=1))  # to rewrite
    other = next(p for p in events.iterdir() if p != accepted)
    other.write_text(other.read_text().replace('"deprecated"', '"rejected"'))
    state = store.get(record_id)
    assert state.status == "accepted" and [e.to for e in state.conflicts] == ["rejected"]
    store.reindex()
    assert "conflict" in store.summaries()[0].flags


def test_supersede_links_both_and_a_rerun_completes_it(store: RecordStore) -> None:
    old, _ = make_record(store.ws.root, title="Old one")
    new, _ = make_record(store.ws.root, title="New one")
    for i in (old, new):
        store.set_status(i, "accepted", at=AT)
    with pytest.raises(InputError, match="cannot supersede itself"):
        store.supersede(old, old)
    o, n = store.supersede(old, new, at=AT + dt.timedelta(hours=1))
    assert o.status == "superseded" and o.superseded_by == new and n.supersedes == [old]
    assert n.status == "accepted"


def test_the_list_index_is_a_cache_rebuilt_when_stale_missing_or_damaged(
        store: RecordStore) -> None:
    record_id, _ = make_record(store.ws.root)
    assert store.summaries()[0].last_reviewed is None
    # a review filed by another clone (arrives with git pull): the folder's mtime moves
    other = RecordStore(store.ws)
    other.add_review(record_id, ReviewEntry(date=dt.date(2026, 4, 2), flags=[
        ReviewFlag(kind="price_moved", message="x")]), at=AT)
    summary = store.summaries()[0]
    assert summary.last_reviewed == dt.date(2026, 4, 2) and summary.flags == ("price_moved",)
    for damage in (b"", b"{not json", b'{"version": 2, "root": 1, "entries": []}'):
        store.index_file.write_bytes(damage)
        assert store.summaries()[0].flags == ("price_moved",)
    store.index_file.unlink()
    assert store.summaries()[0].id == record_id


def test_a_corrupt_or_foreign_file_is_listed_with_its_error_and_the_rest_load(
        store: RecordStore) -> None:
    good, _ = make_record(store.ws.root)
    bad = store.root / "2026-01-01-broken-000000"
    bad.mkdir()
    (bad / "decision.toml").write_text("title = [")
    (store.root / "notes.txt").write_text("hello")
    (store.root / ".decision.toml.tmp").write_text("half")  # a killed write's temp file
    listed = {s.id: s for s in store.summaries()}
    assert listed[good].error is None
    assert "TOML syntax error" in (listed["2026-01-01-broken-000000"].error or "")
    assert "not a decision" in (listed["notes"].error or "")
    assert ".decision.toml" not in listed


def test_a_hand_edit_of_a_made_decision_is_flagged(store: RecordStore) -> None:
    record_id, _ = make_record(store.ws.root)
    path = store.root / record_id / "decision.toml"
    path.write_text(path.read_text().replace('verdict = "GO"', 'verdict = "STOP"'))
    assert "edited after it was made" in (store.get(record_id).integrity() or "")
    assert "edited" in store.summaries()[0].flags


def test_first_layout_records_migrate_with_nothing_lost(store: RecordStore) -> None:
    """Records made by the previous version (one file, reviews/history inside, one accepted
    then superseded, one edited by hand after acceptance) split into the folder layout and read
    back as the same document."""
    store.root.mkdir(parents=True)
    originals = {}
    for f in V1.glob("*.toml"):
        shutil.copy(f, store.root / f.name)
        originals[f.stem] = tomllib.loads(f.read_text())
    assert sorted(store.migrate()) == sorted(originals)
    assert not list(store.root.glob("*.toml"))
    for record_id, old in originals.items():
        state = store.get(record_id)
        now = state.as_dict()
        assert now.pop("schema") == "scopecard.decision/2"
        assert now.pop("migrated_from") == "scopecard.decision/1" and now.pop("sealed")
        assert now.pop("next_review_due") == state.next_review_due()
        now.pop("integrity", None)  # checked below
        old.pop("schema")
        old.setdefault("reviews", [])
        for h in now.get("history", []) + old.get("history", []):
            h.pop("digest", None)  # re-stamped for the split decision where it held (below)
        assert now == old, record_id
    a, b, c = (store.get(f"2026-12-02-support-faq-answers{s}") for s in ("", "-2", "-3"))
    assert a.status == "superseded" and a.superseded_by == b.id and b.supersedes == [a.id]
    assert a.integrity() is None and b.integrity() is None
    assert "edited after acceptance" in (c.integrity() or "")
    assert len(b.reviews) == 2
    assert store.migrate() == []  # once


def test_split_v1_keeps_unknown_keys() -> None:
    data = tomllib.loads((V1 / "2026-12-02-support-faq-answers-2.toml").read_text())
    data["outputs"]["from_the_future"] = {"x": 1}
    data["team"] = "growth"
    record, _, _ = split_v1(data)
    assert record.data()["team"] == "growth"
    assert record.data()["outputs"]["from_the_future"] == {"x": 1}


def test_record_schema_comes_from_the_model() -> None:
    schema = DecisionRecord.model_json_schema(by_alias=True)
    assert "schema" in schema["properties"] and "outputs" in schema["required"]


WRITER = """
import datetime as dt, sys
from pathlib import Path
from estimators.paths import Workspace
from rubrics.record import ReviewEntry
from rubrics.record_store import RecordStore
store = RecordStore(Workspace(Path(sys.argv[1])))
for i in range(25):
    store.add_review(sys.argv[2], ReviewEntry(date=dt.date(2026, 5, 1), actuals={"n": float(i)},
                                              engine_version=sys.argv[3]))
"""


def test_four_concurrent_writers_lose_nothing(store: RecordStore) -> None:
    record_id, _ = make_record(store.ws.root)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(store.ws.root), record_id,
                               f"w{i}"], env=env) for i in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    reviews = store.get(record_id).reviews
    assert len(reviews) == 100
    assert {(r.engine_version, r.actuals["n"]) for r in reviews} == {
        (f"w{i}", float(n)) for i in range(4) for n in range(25)}
