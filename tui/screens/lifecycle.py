"""The core's record-lifecycle features (status, review, export), where they are installed.

They belong to rubrics.lifecycle, rubrics.review and rubrics.export. The app never implements
them: each action is offered only when its core function can be imported, and hidden otherwise.
These wrappers only adapt a screen's (workspace, record file) to the core's signatures.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from estimators.paths import Workspace

EXPORTERS = {"md": "to_markdown", "json": "to_json"}


@cache
def core_function(module: str, name: str) -> Callable[..., Any] | None:
    """`module.name` if the core provides it (looked up once per process)."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


@cache
def installed(module: str) -> bool:
    """Whether the core module exists, found without importing it: the footer asks on first
    paint, and importing the core then would cost the whole startup budget."""
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def can_set_status() -> bool:
    return installed("rubrics.lifecycle")


def can_review() -> bool:
    return installed("rubrics.review")


def can_export() -> bool:
    return installed("rubrics.export")


def _require(module: str, name: str) -> Callable[..., Any]:
    fn = core_function(module, name)
    if fn is None:
        from estimators.errors import InputError

        raise InputError(f"this version of scopecard's core has no {module}.{name}")
    return fn


def set_status(ws: Workspace, record: Path, status: str, today: dt.date) -> dict[str, Any]:
    """Move a record to `status` (the core checks the transition); returns its new data."""
    fn = _require("rubrics.lifecycle", "set_status")
    return fn(ws.decisions, record.stem, status, day=today)


def review(ws: Workspace, record: Path, today: dt.date, save: bool,
           actuals: list[str] | None = None) -> Any:
    """The core's review of one record, with actuals given as KEY=VALUE texts (`save` appends
    the review to the record's reviews)."""
    fn = _require("rubrics.review", "review_records")
    parse = _require("rubrics.review", "parse_actuals")
    return fn(ws, [record.stem], today, parse(actuals or []), save=save)[0]


def export(ws: Workspace, record: Path, fmt: str) -> Path:
    """Write the record (md, json) or one of its briefs (business, vendor) into exports/."""
    from estimators.atomic import write_atomic
    from rubrics.records import read_record

    data = read_record(record)
    if fmt in ("business", "vendor"):
        from rubrics.briefs import brief, brief_markdown

        out = ws.root / "exports" / f"{record.stem}-{fmt}-brief.md"
        text = brief_markdown(brief(data, fmt))
    else:
        out = ws.root / "exports" / f"{record.stem}.{fmt}"
        text = _require("rubrics.export", EXPORTERS[fmt])(data)
    write_atomic(out, text.encode())
    return out
