"""Status transitions: every allowed one, every refused one, and what a transition may change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from estimators.errors import InputError
from rubrics.lifecycle import TRANSITIONS, set_status, supersede
from rubrics.records import (
    MUTABLE_KEYS,
    STATUSES,
    integrity,
    read_record,
    record_lock,
    record_path,
    rewrite_record,
)
from tests.test_records_support import make_record
from tui.cli import main
from tui.cmd_records import STATUSES as CLI_STATUSES

COMMAND = {"accepted": "accept", "rejected": "reject", "deprecated": "deprecate"}


def frozen(home: Path, record_id: str) -> dict:
    data = read_record(record_path(home / "decisions", record_id))
    return {k: v for k, v in data.items() if k not in MUTABLE_KEYS}


def reach(home: Path, record_id: str, status: str) -> None:
    """Move a fresh (proposed) record to `status` by allowed transitions."""
    decisions = home / "decisions"
    if status == "proposed":
        return
    if status == "rejected":
        set_status(decisions, record_id, "rejected")
        return
    set_status(decisions, record_id, "accepted")
    if status == "deprecated":
        set_status(decisions, record_id, "deprecated")
    elif status == "superseded":
        new_id, _ = make_record(home, title=f"replacement of {record_id}")
        set_status(decisions, new_id, "accepted")
        supersede(decisions, record_id, new_id)


@pytest.fixture
def record(test_workspace: Path) -> str:
    record_id, _ = make_record(test_workspace)
    return record_id


def test_statuses_agree_between_cli_and_records() -> None:
    assert CLI_STATUSES == STATUSES == tuple(TRANSITIONS)


@pytest.mark.parametrize("to", ["accepted", "rejected"])
def test_proposed_can_be_accepted_or_rejected(test_workspace: Path, record: str, to: str,
                                              capsys) -> None:
    before = frozen(test_workspace, record)
    assert main(["--workspace", str(test_workspace), COMMAND[to], record, "--note", "why"]) == 0
    assert f"proposed -> {to}" in capsys.readouterr().out
    data = read_record(record_path(test_workspace / "decisions", record))
    assert data["status"] == to
    entry = data["history"][-1]
    assert (entry["from"], entry["to"], entry["note"]) == ("proposed", to, "why")
    assert entry["date"] == dt.date.today()
    assert frozen(test_workspace, record) == before
    assert ("digest" in entry) == (to == "accepted")


def test_accepted_can_be_deprecated(test_workspace: Path, record: str) -> None:
    before = frozen(test_workspace, record)
    reach(test_workspace, record, "deprecated")
    data = read_record(record_path(test_workspace / "decisions", record))
    assert data["status"] == "deprecated"
    assert [(h["from"], h["to"]) for h in data["history"]] == [("proposed", "accepted"),
                                                               ("accepted", "deprecated")]
    assert frozen(test_workspace, record) == before


def test_supersede_links_both_records(test_workspace: Path, record: str, capsys) -> None:
    decisions = test_workspace / "decisions"
    new_id, _ = make_record(test_workspace, title="Ticket triage v2")
    set_status(decisions, record, "accepted")
    set_status(decisions, new_id, "accepted")
    old_before, new_before = frozen(test_workspace, record), frozen(test_workspace, new_id)
    assert main(["--workspace", str(test_workspace), "supersede", record, new_id]) == 0
    old = read_record(record_path(decisions, record))
    new = read_record(record_path(decisions, new_id))
    assert old["status"] == "superseded" and old["superseded_by"] == new_id
    assert new["status"] == "accepted" and new["supersedes"] == [record]
    assert old["history"][-1]["to"] == "superseded"
    assert new_id in old["history"][-1]["note"]
    assert frozen(test_workspace, record) == old_before
    assert frozen(test_workspace, new_id) == new_before


def test_an_interrupted_supersede_completes_when_run_again(test_workspace: Path,
                                                           record: str) -> None:
    decisions = test_workspace / "decisions"
    new_id, _ = make_record(test_workspace, title="Ticket triage v2")
    set_status(decisions, record, "accepted")
    set_status(decisions, new_id, "accepted")
    with record_lock(decisions):  # the first of the two writes happened, then the process died
        rewrite_record(record_path(decisions, new_id), lambda d: d.update(supersedes=[record]))
    supersede(decisions, record, new_id)
    assert read_record(record_path(decisions, new_id))["supersedes"] == [record]
    assert read_record(record_path(decisions, record))["superseded_by"] == new_id


def test_only_an_accepted_record_can_supersede(test_workspace: Path, record: str) -> None:
    decisions = test_workspace / "decisions"
    new_id, _ = make_record(test_workspace, title="Ticket triage v2")
    set_status(decisions, record, "accepted")
    with pytest.raises(InputError, match="accept it first"):
        supersede(decisions, record, new_id)
    with pytest.raises(InputError, match="itself"):
        supersede(decisions, record, record)
    assert read_record(record_path(decisions, record))["status"] == "accepted"


REFUSED = [(s, to) for s in STATUSES for to in ("accepted", "rejected", "deprecated",
                                                  "superseded") if to not in TRANSITIONS[s]]


@pytest.mark.parametrize(("status", "to"), REFUSED)
def test_refused_transitions_exit_2_naming_the_allowed_ones(test_workspace: Path, record: str,
                                                            status: str, to: str,
                                                            capsys) -> None:
    reach(test_workspace, record, status)
    before = record_path(test_workspace / "decisions", record).read_bytes()
    if to == "superseded":
        other, _ = make_record(test_workspace, title="other")
        set_status(test_workspace / "decisions", other, "accepted")
        argv = ["supersede", record, other]
    else:
        argv = [COMMAND[to], record]
    capsys.readouterr()
    assert main(["--workspace", str(test_workspace), *argv]) == 2
    err = capsys.readouterr().err
    assert f"is {status}" in err
    allowed = TRANSITIONS[status]
    if allowed:
        assert all(a in err for a in allowed), err
    else:
        assert "final" in err
    assert record_path(test_workspace / "decisions", record).read_bytes() == before


def test_proposed_cannot_be_superseded_directly(test_workspace: Path, record: str) -> None:
    with pytest.raises(InputError, match="supersede OLD NEW"):
        set_status(test_workspace / "decisions", record, "superseded")


def test_an_edit_after_acceptance_is_detected(test_workspace: Path, record: str) -> None:
    decisions = test_workspace / "decisions"
    data = set_status(decisions, record, "accepted")
    assert integrity(data) is None
    path = record_path(decisions, record)
    path.write_text(path.read_text().replace('verdict = "GO"', 'verdict = "STOP"'))
    assert "edited after acceptance" in integrity(read_record(path))


def test_a_change_to_inputs_or_outputs_is_refused(test_workspace: Path, record: str) -> None:
    path = record_path(test_workspace / "decisions", record)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="inputs or outputs"):
        rewrite_record(path, lambda d: d["outputs"].update(verdict="STOP"))
    assert path.read_bytes() == before
