"""The core's record-lifecycle features (status, review, export) for the screens.

They belong to rubrics.record_store, rubrics.review, rubrics.export and rubrics.briefs; these
wrappers only adapt a screen's (workspace, decision file) to the core's signatures (a decision's
id is the name of its folder). The core is
imported inside each call: the footer asks for bindings on first paint, and importing the core
then would cost the whole startup budget.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from estimators.paths import Workspace


def set_status(ws: Workspace, record: Path, status: str, today: dt.date) -> dict[str, Any]:
    """Move a record to `status` (the core checks the transition); returns its new data."""
    from rubrics.record_store import RecordStore

    return RecordStore(ws).set_status(record.parent.name, status)[1].as_dict()


def read(ws: Workspace, record: Path) -> dict[str, Any]:
    """A decision with its status, history and reviews, as one document."""
    from rubrics.record_store import RecordStore

    return RecordStore(ws).get(record.parent.name).as_dict()


def review(ws: Workspace, record: Path, today: dt.date, save: bool,
           actuals: list[str] | None = None) -> Any:
    """The core's review of one record, with actuals given as KEY=VALUE texts (`save` appends
    the review to the record's reviews)."""
    from rubrics.review import parse_actuals, review_records

    return review_records(ws, [record.parent.name], today, parse_actuals(actuals or []),
                          save=save)[0]


def export(ws: Workspace, record: Path, fmt: str) -> Path:
    """Write the record (md, json) or one of its briefs (business, vendor) into exports/."""
    from estimators.atomic import write_atomic

    data = read(ws, record)
    record_id = record.parent.name
    if fmt in ("business", "vendor"):
        from rubrics.briefs import brief, brief_markdown

        out = ws.exports / f"{record_id}-{fmt}-brief.md"
        text = brief_markdown(brief(data, fmt))
    else:
        from rubrics.export import to_json, to_markdown

        out = ws.exports / f"{record_id}.{fmt}"
        text = to_markdown(data) if fmt == "md" else to_json(data)
    write_atomic(out, text.encode())
    return out


def redecide(ws: Workspace, record: Path, today: dt.date) -> Path:
    """Decide the record's own spec again with today's prices and evals and file the result
    as a new decision; returns its decision file."""
    from rubrics.pipeline import redecide as decide_again
    from rubrics.pipeline import save_record

    _, new = decide_again(ws, read(ws, record), today)
    return save_record(ws, new, today)


def clone(ws: Workspace, record: Path, now: dt.datetime) -> Path:
    """The record's spec (prompts inlined) as a new wizard draft; returns the draft file."""
    import tomli_w

    from estimators.atomic import create_exclusive
    from rubrics.review import record_spec
    from tui.screens.start import new_draft_path

    text = tomli_w.dumps(record_spec(read(ws, record)).to_toml_dict()).encode()
    ws.drafts.mkdir(parents=True, exist_ok=True)
    while not create_exclusive(path := new_draft_path(ws.drafts, now), text):
        pass  # another draft took the name between the check and the write: take the next
    return path


def supersede(ws: Workspace, record: Path, newer: str) -> dict[str, Any]:
    """Mark the record superseded by accepted decision `newer`; returns its new data."""
    from rubrics.record_store import RecordStore

    return RecordStore(ws).supersede(record.parent.name, newer)[0].as_dict()


def accepted_others(ws: Workspace, record: Path) -> list[tuple[str, str]]:
    """(id, title) of the accepted decisions other than `record`, newest first: the ones that
    may supersede it."""
    from rubrics.record_store import RecordStore

    return [(s.id, s.title) for s in RecordStore(ws).summaries() or []  # newest first
            if s.status == "accepted" and s.id != record.parent.name and not s.error]


def import_evals(ws: Workspace, path: Path) -> Any:
    """Import one eval file into the workspace's store (the core's ImportReport)."""
    from rubrics.evals.files import import_file

    ws.root.mkdir(parents=True, exist_ok=True)
    return import_file(ws, path)


def drafts(ws: Workspace) -> list[tuple[str, str]]:
    """(file name, title) of the workspace's drafts, newest first (unreadable ones too)."""
    from tui.screens.start import read_drafts

    return [(d.path.name, d.error or str(d.data.get("title", ""))) for d in
            read_drafts(ws.drafts)]


def delete_draft(ws: Workspace, name: str) -> Path:
    """Delete the draft file `name` of the workspace's drafts/: a regular file directly in that
    folder, never a link, a folder or anything elsewhere. Returns the path deleted."""
    import stat

    from estimators.errors import InputError

    path = ws.drafts / name
    if Path(name).name != name or not name.endswith(".toml"):
        raise InputError("not a draft's file name", file=name)
    if not stat.S_ISREG(path.lstat().st_mode):
        raise InputError("not a regular file: only a draft file is deleted", file=str(path))
    path.unlink()
    return path
