"""Helpers the commands share for their arguments (cheap to import: --help stays fast)."""

from __future__ import annotations

import argparse


def workspace_of(args: argparse.Namespace):  # -> estimators.paths.Workspace
    """The workspace named by --workspace, $SCOPECARD_HOME or the platform default."""
    from estimators.paths import resolve_workspace

    return resolve_workspace(args.workspace)


def parse_date(text: str | None):  # -> datetime.date | None
    """An --as-of date (YYYY-MM-DD), or None when not given."""
    import datetime as dt

    from estimators.errors import InputError

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text!r} is not a date; use YYYY-MM-DD") from None
