"""Status transitions: every allowed one, every refused one, and that a transition never
changes the decision file (it files an event beside it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from estimators.errors import InputError
from estimators.paths import Workspace
from rubrics.record import STATUSES, TRANSITIONS, StatusEvent
from rubrics.record_store import RecordStore
from tests.test_records_support import make_record
from tui.cli import main
from tui.cmd_records import STATUSES as CLI_STATUSES

COMMAND = {"accepted": "accept", "rejected": "reject", "deprecated": "deprecate"}


def store_of(home: Path) -> RecordStore:
    return RecordStore(Workspace(home))


def decision_bytes(home: Path, record_id: str) -> bytes:
    return (home / "decisions" / record_id / "decision.toml").read_bytes()


def reach(home: Path, record_id: str, status: str) -> None:
    """Move a fresh (proposed) record to `status` by allowed transitions."""
    store = store_of(home)
    if status == "proposed":
        return
    if status == "rejected":
        store.set_status(record_id, "rejected")
        return
    store.set_status(record_id, "accepted")
    if status == "deprecated":
        store.set_status(record_id, "deprecated")
    elif status == "superseded":
        new_id, _ = make_record(home, title=f"replacement of {record_id[:20]}")
        store.set_status(new_id, "accepted")
        store.supersede(record_id, new_id)


@pytest.fixture
def record(test_workspace: Path) -> str:
    record_id, _ = make_record(test_workspace)
    return record_id


def test_statuses_agree_between_cli_and_records() -> None:
    assert CLI_STATUSES == STATUSES == tuple(TRANSITIONS)


@pytest.mark.parametrize("to", ["accepted", "rejected"])
def test_proposed_can_be_accepted_or_rejected(test_workspace: Path, record: str, to: str,
                                              capsys) -> None:
    before = decision_bytes(test_workspace, record)
    assert main(["--workspace", str(test_workspace), COMMAND[to], record, "--note", "why"]) == 0
    assert f"proposed -> {to}" in capsys.readouterr().out
    state = store_of(test_workspace).get(record)
    assert state.status == to
    entry = state.history[-1]
    assert (entry["from"], entry["to"], entry["note"]) == ("proposed", to, "why")
    assert entry["date"] == dt.datetime.now(dt.UTC).date()
    assert decision_bytes(test_workspace, record) == before
    assert ("digest" in entry) == (to == "accepted")


def test_accepted_can_be_deprecated(test_workspace: Path, record: str) -> None:
    before = decision_bytes(test_workspace, record)
    reach(test_workspace, record, "deprecated")
    state = store_of(test_workspace).get(record)
    assert state.status == "deprecated"
    assert [(h["from"], h["to"]) for h in state.history] == [("proposed", "accepted"),
                                                             ("accepted", "deprecated")]
    assert decision_bytes(test_workspace, record) == before


def test_supersede_links_both_records(test_workspace: Path, record: str) -> None:
    store = store_of(test_workspace)
    new_id, _ = make_record(test_workspace, title="Ticket triage v2")
    store.set_status(record, "accepted")
    store.set_status(new_id, "accepted")
    old_before, new_before = (decision_bytes(test_workspace, i) for i in (record, new_id))
    assert main(["--workspace", str(test_workspace), "supersede", record, new_id]) == 0
    old, new = store.get(record), store.get(new_id)
    assert old.status == "superseded" and old.superseded_by == new_id
    assert new.status == "accepted" and new.supersedes == [record]
    assert old.history[-1]["to"] == "superseded" and new_id in old.history[-1]["note"]
    assert decision_bytes(test_workspace, record) == old_before
    assert decision_bytes(test_workspace, new_id) == new_before


def test_an_interrupted_supersede_completes_when_run_again(test_workspace: Path,
                                                           record: str) -> None:
    store = store_of(test_workspace)
    new_id, _ = make_record(test_workspace, title="Ticket triage v2")
    store.set_status(record, "accepted")
    store.set_status(new_id, "accepted")
    # the first of the two files was written, then the process died
    store._add_event(new_id, StatusEvent(kind="supersedes", at=dt.datetime.now(dt.UTC),
                                         id=record))
    store.supersede(record, new_id)
    assert store.get(new_id).supersedes == [record]
    assert len(list((test_workspace / "decisions" / new_id / "events").iterdir())) == 2
    assert store.get(record).superseded_by == new_id


def test_only_an_accepted_record_can_supersede(test_workspace: Path, record: str) -> None:
    store = store_of(test_workspace)
    new_id, _ = make_record(test_workspace, title="Ticket triage v2")
    store.set_status(record, "accepted")
    with pytest.raises(InputError, match="accept it first"):
        store.supersede(record, new_id)
    with pytest.raises(InputError, match="itself"):
        store.supersede(record, record)
    assert store.get(record).status == "accepted"


REFUSED = [(s, to) for s in STATUSES for to in ("accepted", "rejected", "deprecated",
                                                  "superseded") if to not in TRANSITIONS[s]]


@pytest.mark.parametrize(("status", "to"), REFUSED)
def test_refused_transitions_exit_2_naming_the_allowed_ones(test_workspace: Path, record: str,
                                                            status: str, to: str,
                                                            capsys) -> None:
    reach(test_workspace, record, status)
    if to == "superseded":
        other, _ = make_record(test_workspace, title="other")
        store_of(test_workspace).set_status(other, "accepted")
        argv = ["supersede", record, other]
    else:
        argv = [COMMAND[to], record]
    before = sorted((test_workspace / "decisions").rglob("*"))
    capsys.readouterr()
    assert main(["--workspace", str(test_workspace), *argv]) == 2
    err = capsys.readouterr().err
    assert f"is {status}" in err
    allowed = TRANSITIONS[status]
    if allowed:
        assert all(a in err for a in allowed), err
    else:
        assert "final" in err
    assert sorted((test_workspace / "decisions").rglob("*")) == before


def test_proposed_cannot_be_superseded_directly(test_workspace: Path, record: str) -> None:
    with pytest.raises(InputError, match="supersede OLD NEW"):
        store_of(test_workspace).set_status(record, "superseded")


def test_an_edit_after_acceptance_is_detected(test_workspace: Path, record: str) -> None:
    store = store_of(test_workspace)
    _, state = store.set_status(record, "accepted")
    assert state.integrity() is None
    path = test_workspace / "decisions" / record / "decision.toml"
    path.write_text(path.read_text().replace('verdict = "GO"', 'verdict = "STOP"'))
    assert "edited" in (store.get(record).integrity() or "")
