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
