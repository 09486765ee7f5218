"""Model names and dates in one form across tools: vendor/model and ISO 8601 UTC."""

from __future__ import annotations

import datetime as dt
import re

_LOCAL_PATH = re.compile(r"^(?:/|\./|\.\./|~|[A-Za-z]:[\\/])")


def vendor_of(model: str) -> str:
    """The part before the first slash ("" when there is none)."""
    return model.split("/", 1)[0] if "/" in model else ""


def local_model(path: str) -> str | None:
    """"local/<last folder>" for a filesystem path used as a model name, else None."""
    if not _LOCAL_PATH.match(path):
        return None
    tail = [p for p in re.split(r"[\\/]+", path) if p]
    return f"local/{tail[-1]}" if tail else "local/model"


def iso_utc(value: object) -> str:
    """ISO 8601 in UTC ("...Z") from epoch seconds or an ISO string; other text as given."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        try:
            when = dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return ""
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if not isinstance(value, str) or not value.strip():
        return ""
    s = value.strip()
    try:
        when = dt.datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    except ValueError:
        return s[:64]
    if when.tzinfo is None:  # no zone: we cannot honestly call it UTC
        return when.strftime("%Y-%m-%dT%H:%M:%S")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
