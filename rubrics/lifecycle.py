"""A decision record's status (DESIGN §6).

    proposed -> accepted | rejected
    accepted -> superseded (by another accepted record) | deprecated

rejected, superseded and deprecated are final. A transition changes only `status`, appends a
`[[history]]` entry (date, from, to, note) and, for a supersession, links the two records
(`superseded_by` on the old one, `supersedes` on the new one). Acceptance stores the digest of
the record's inputs and outputs in its history entry, so a later edit can be detected.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from estimators.errors import InputError
from rubrics.records import (
    STATUSES,
    frozen_digest,
    parse_record,
    read_bytes,
    record_lock,
    record_path,
    rewrite_record,
)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("accepted", "rejected"),
    "accepted": ("superseded", "deprecated"),
    "rejected": (),
    "superseded": (),
    "deprecated": (),
}
COMMANDS = {"accepted": "scopecard accept ID", "rejected": "scopecard reject ID",
            "superseded": "scopecard supersede ID NEW", "deprecated": "scopecard deprecate ID"}


def check_transition(record_id: str, current: str, to: str) -> None:
    """InputError naming the allowed transitions when `current -> to` is not one of them."""
    allowed = TRANSITIONS.get(current)
    if allowed is None:
        raise InputError(f"{record_id} has an unknown status {current!r}; known: "
                         f"{', '.join(STATUSES)}")
    if to in allowed:
        return
    if not allowed:
        raise InputError(f"{record_id} is {current}, which is final: it cannot become {to}")
    options = "; ".join(f"{s} ({COMMANDS[s]})" for s in allowed)
    raise InputError(f"{record_id} is {current}; it cannot become {to}. Allowed from "
                     f"{current}: {options}")


def _history(data: dict[str, Any], to: str, note: str, day: dt.date) -> None:
    """Set the status and append the history entry of a transition."""
    entry: dict[str, Any] = {"date": day, "from": data.get("status", ""), "to": to}
    if note:
        entry["note"] = note
    if to == "accepted":
        entry["digest"] = frozen_digest(data)
    data.setdefault("history", []).append(entry)
    data["status"] = to


def set_status(decisions_dir: Path, record_id: str, to: str, note: str = "",
               day: dt.date | None = None) -> dict[str, Any]:
    """Move a record to `to` (accepted, rejected or deprecated); returns its new data."""
    if to == "superseded":
        raise InputError("a record is superseded by another one: use "
                         "`scopecard supersede OLD NEW`")
    day = day or dt.date.today()
    with record_lock(decisions_dir):
        path = record_path(decisions_dir, record_id)

        def change(data: dict[str, Any]) -> None:
            check_transition(record_id, str(data.get("status", "")), to)
            _history(data, to, note, day)

        return rewrite_record(path, change)


def supersede(decisions_dir: Path, old_id: str, new_id: str, note: str = "",
              day: dt.date | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mark accepted record `old_id` superseded by accepted record `new_id`; link both.

    Two files cannot change in one atomic step, so the new record is linked first: if the
    process dies in between, running the same command again completes the change.
    """
    if old_id == new_id:
        raise InputError(f"{old_id} cannot supersede itself")
    day = day or dt.date.today()
    with record_lock(decisions_dir):
        old_path = record_path(decisions_dir, old_id)
        new_path = record_path(decisions_dir, new_id)
        old = parse_record(read_bytes(old_path), old_path)
        check_transition(old_id, str(old.get("status", "")), "superseded")
        new_status = str(parse_record(read_bytes(new_path), new_path).get("status", ""))
        if new_status != "accepted":
            raise InputError(f"{new_id} is {new_status}; only an accepted record can supersede "
                             f"another: accept it first (scopecard accept {new_id})")

        def link_new(data: dict[str, Any]) -> None:
            if old_id not in data.setdefault("supersedes", []):
                data["supersedes"].append(old_id)

        def retire_old(data: dict[str, Any]) -> None:
            check_transition(old_id, str(data.get("status", "")), "superseded")
            data["superseded_by"] = new_id
            _history(data, "superseded", note or f"superseded by {new_id}", day)

        new_data = rewrite_record(new_path, link_new)
        old_data = rewrite_record(old_path, retire_old)
    return old_data, new_data

