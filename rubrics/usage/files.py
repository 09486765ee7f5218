"""Usage files that travel: usage/ holds the truth, `.cache/usage.sqlite` a daily summary of it.

The design is the one of rubrics.evals.files (DESIGN §5):

- An import keeps each file as imported, content-addressed: `usage/<sha256>.<json|csv>` (gzip-ed
  as `.gz` when over 1 MiB) with a sidecar `usage/<sha256>.toml` (format, and the model map it
  was imported with, kept as `usage/maps/<sha256>.toml`). No time and no local file name: two
  clones importing the same file write the same files.
- An import is all or nothing per call: every new file is read together with the kept ones (so
  a page or bucket imported before, or a LiteLLM request logged twice, is refused), every model
  must map to a catalogue id, and only then is anything written. A file kept already is skipped.
- The cache holds daily aggregates per (day, model id, project, key, tag, currency) and the set
  of sidecars it was built from; reading it rebuilds it when that set changed (a git pull), or
  when it is missing or unusable. `scopecard reindex` rebuilds it too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import os
import re
import secrets
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from itertools import chain, groupby
from pathlib import Path
from typing import Any, NamedTuple

import tomli_w

from estimators.atomic import create_exclusive
from estimators.errors import InputError
from estimators.paths import Workspace, ensure_cache_dir
from estimators.prices import Catalogue
from estimators.safefile import read_capped
from rubrics.keptfiles import keep_bytes, keep_data, listing, read_kept_sha, read_sidecar_doc
from rubrics.usage.formats import MAX_USAGE_BYTES, gc_paused, read_usage_data
from rubrics.usage.model_map import (
    MAX_MODEL_MAP_BYTES,
    ModelMapping,
    check_mapped,
    load_model_map,
    map_models,
)
from rubrics.usage.rows import UsageRow

SIDECAR_SCHEMA = "scopecard.usagefile/1"
_SIDECAR_BYTES = 64 * 1024
_SHA = r"[0-9a-f]{64}"
_SIDECAR = re.compile(rf"{_SHA}\.toml")
_DATA = re.compile(rf"({_SHA})\.(json|csv)(\.gz)?")
_MAP_REF = re.compile(rf"maps/{_SHA}\.toml")
CACHE_VERSION = 2  # 2: currency stored after tag (a cache row is the summing key + sums)


@dataclass(frozen=True)
class UsageSidecar:
    """One kept usage file: where its bytes are and the model map it was imported with."""

    path: Path  # usage/<sha>.toml
    sha: str
    data: Path  # usage/<sha>.<ext>[.gz]
    format: str
    model_map: Path | None  # usage/maps/<sha>.toml


class Daily(NamedTuple):
    """One day of one model's usage in one project/key/tag, summed over the kept files.

    `cost` is in `currency`, or None where the files carried no money (priced at review).
    A NamedTuple: a year of daily rows is ~365k of them, built at each import and each read.
    """

    day: dt.date
    model: str  # a catalogue id
    project: str
    key: str
    tag: str
    requests: int
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    cost: float | None
    currency: str


# A Daily as the cache stores it: (day YYYY-MM-DD, model, project, key, tag, currency, requests,
# input, cached, cache_write, output, cost).
DailyRow = tuple[str, str, str, str, str, str, int, int, int, int, int, float | None]


@dataclass
class ImportedUsage:
    """One file of an import: its sha, format, rows and models (file name -> catalogue id)."""

    file: str
    sha: str
    format: str
    rows: int
    models: dict[str, str] = field(default_factory=dict)
    already_imported: bool = False


@dataclass
class UsageImport:
    """What `usage import` did."""

    files: list[ImportedUsage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class UsageCacheReport:
    """The usage cache rebuilt: from how many files, how many daily rows, what was skipped."""

    cache: Path
    files: int = 0
    rows: int = 0
    skipped: list[str] = field(default_factory=list)


def cache_path(ws: Workspace) -> Path:
    return ws.cache_dir / "usage.sqlite"


# ---- sidecars --------------------------------------------------------------------------------


def present(ws: Workspace) -> list[str]:
    """Names of every sidecar in usage/, sorted: what the cache must be built from."""
    return sorted(p.name for p in listing(ws.usage_dir) if _SIDECAR.fullmatch(p.name))


def read_sidecar(ws: Workspace, path: Path) -> UsageSidecar:
    """A sidecar, checked: it may only point at files of its own sha inside usage/."""
    doc, data = read_sidecar_doc(path, SIDECAR_SCHEMA, _DATA, "<json|csv>[.gz]",
                                 _SIDECAR_BYTES)
    source, sha = str(path), path.stem
    ref = doc.get("model_map", "")
    if ref and not (isinstance(ref, str) and _MAP_REF.fullmatch(ref)):
        raise InputError(f"model_map = {ref!r}; expected maps/<sha256>.toml", file=source,
                         where="model_map")
    fmt = doc.get("format", "")
    if not isinstance(fmt, str):
        raise InputError("must be a string", file=source, where="format")
    return UsageSidecar(path, sha, ws.usage_dir / data, fmt,
                        ws.usage_dir / ref if ref else None)


def _sidecar_bytes(data_name: str, fmt: str, map_ref: str) -> bytes:
    # nothing here may differ between two people importing the same bytes alike (no time, no
    # local file name): their sidecars are the same file and git merges them without a conflict
    doc = {"schema": SIDECAR_SCHEMA, "file": data_name, "format": fmt, "model_map": map_ref}
    return tomli_w.dumps(doc).encode()


def _ext(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if head[:1] in (b"{", b"[") else "csv"


def _read_one(ws: Workspace, name: str) -> tuple[UsageSidecar, bytes]:
    """A kept file's sidecar and bytes, checked against its sha256 name."""
    sc = read_sidecar(ws, ws.usage_dir / name)
    return sc, read_kept_sha(sc.data, sc.sha, MAX_USAGE_BYTES)


def _user_map(path: Path | None, catalogue: Catalogue) -> dict[str, str]:
    return load_model_map(path, catalogue.model_ids()) if path is not None else {}


# ---- import ------------------------------------------------------------------------------------


def import_usage(ws: Workspace, paths: Iterable[Path | str], catalogue: Catalogue,
                 model_map: Path | None = None) -> UsageImport:
    """Keep usage files in usage/ and refresh the cache: all the files, or none of them.

    Bad input (an unknown shape, a negative count, a currency with no FX rate, a bucket or
    request imported before, a model that maps to nothing, a key in a file) raises InputError
    naming the file and row before anything is written. A file kept already changes nothing.
    """
    user_map = _user_map(model_map, catalogue)
    kept = [_read_one(ws, name) for name in present(ws)]
    kept_shas = {sc.sha for sc, _ in kept}
    report = UsageImport()
    new: dict[str, tuple[str, bytes]] = {}  # sha -> (file name, bytes)
    for path in paths:
        data = read_capped(path, MAX_USAGE_BYTES)
        sha = hashlib.sha256(data).hexdigest()
        if sha in kept_shas or sha in new:
            report.files.append(ImportedUsage(str(path), sha, "", 0, already_imported=True))
            continue
        new[sha] = (str(path), data)
    with gc_paused():  # the rows die inside: the collector would walk them and free nothing
        read = _read_new(kept, list(new.values()), catalogue, user_map)
    names = {name for name, _ in new.values()}
    report.warnings = [w for w in read.warnings if w.split(":", 1)[0] in names]
    map_ref = _keep_map(ws, model_map) if new and model_map is not None else ""
    for (sha, (name, data)), (rows, models) in zip(new.items(), read.fresh, strict=True):
        kept_file = keep_data(ws.usage_dir, f"{sha}.{_ext(data)}", data)
        create_exclusive(ws.usage_dir / f"{sha}.toml",
                         _sidecar_bytes(kept_file.name, read.formats[name], map_ref))
        report.files.append(ImportedUsage(name, sha, read.formats[name], rows, models))
    for item in report.files:
        if item.already_imported:
            report.warnings.append(f"{item.file}: this file was already imported; nothing "
                                   "changed")
    _write_cache(ws, read.daily)  # the rows read above: the files are not read again
    return report


class _NewRead(NamedTuple):
    """What an import needs of the files read: no rows, only their sums."""

    formats: dict[str, str]  # file -> format
    warnings: list[str]
    fresh: list[tuple[int, dict[str, str]]]  # each new file: rows, its models -> catalogue ids
    daily: list[DailyRow]  # the kept and the new files summed


def _read_new(kept: list[tuple[UsageSidecar, bytes]], new: list[tuple[str, bytes]],
              catalogue: Catalogue, user_map: dict[str, str]) -> _NewRead:
    """The kept and the new files read together (so that a bucket given again is refused),
    the new files' models mapped through `user_map`, and everything summed per day."""
    series = read_usage_data([(str(sc.data), data) for sc, data in kept] + new)
    by_file = _rows_by_file(series.rows)
    fresh = [by_file.get(name, []) for name, _ in new]
    mapping = _mapped(chain.from_iterable(fresh), catalogue, user_map)
    parts = _kept_parts(by_file, [sc for sc, _ in kept], catalogue)
    parts.extend((rows, mapping.mapped) for rows in fresh)
    return _NewRead(series.formats, series.warnings, [
        (len(rows), {m: mapping.mapped[m] for m in dict.fromkeys(map(_model, rows))})
        for rows in fresh], _aggregate(parts))


def _keep_map(ws: Workspace, path: Path) -> str:
    """Keep the model map as usage/maps/<sha>.toml; its reference from a sidecar."""
    data = read_capped(path, MAX_MODEL_MAP_BYTES)
    ref = f"maps/{hashlib.sha256(data).hexdigest()}.toml"
    (ws.usage_dir / "maps").mkdir(parents=True, exist_ok=True)
    keep_bytes(ws.usage_dir / ref, data)
    return ref


# ---- the cache ---------------------------------------------------------------------------------


_model = operator.attrgetter("model")
_start = operator.attrgetter("start")


def _rows_by_file(rows: list[UsageRow]) -> dict[str, list[UsageRow]]:
    """The rows of each file (read_usage_data gives each file's rows in one run)."""
    by_file: dict[str, list[UsageRow]] = defaultdict(list)
    for file, mine in groupby(rows, operator.attrgetter("file")):
        by_file[file].extend(mine)
    return by_file


def _mapped(rows: Iterable[UsageRow], catalogue: Catalogue, user_map: dict[str, str]
            ) -> ModelMapping:
    """The rows' model names mapped to catalogue ids; an InputError at the first row whose
    name maps to nothing."""
    rows = list(rows)
    mapping = map_models(map(_model, rows), catalogue, user_map)
    if mapping.unmapped:  # only then look for the row to name
        check_mapped(rows, mapping)
    return mapping


def _aggregate(parts: Iterable[tuple[list[UsageRow], dict[str, str]]]) -> list[DailyRow]:
    """Rows (each part's model names through its map to catalogue ids) summed per (day of the
    bucket's start, model id, project, key, tag, currency), as cache rows (unsorted: the cache
    is read in order)."""
    sums: dict[tuple[str, str, str, str, str, str], list[Any]] = {}
    days: dict[dt.datetime, str] = {}
    for rows, mapped in parts:
        for start in set(map(_start, rows)) - days.keys():
            days[start] = start.date().isoformat()
        # one plain loop unpacking each row (UsageRow's field order): the fastest way through
        # ~365k rows in Python
        for (start, _, model, requests, total, cached, writes, output, cost, currency, project,
             key, tag, _, _, _, _) in rows:
            k = (days[start], mapped[model], project or "", key or "", tag or "", currency or "")
            s = sums.get(k)
            if s is None:
                sums[k] = [requests or 0, total, cached, writes, output, cost]
                continue
            s[0] += requests or 0
            s[1] += total
            s[2] += cached
            s[3] += writes
            s[4] += output
            if cost is not None:  # None: no row of this day carried money (priced at review)
                s[5] = cost if s[5] is None else s[5] + cost
    return [(*k, *s) for k, s in sums.items()]


def _load_all(ws: Workspace, catalogue: Catalogue, report: UsageCacheReport
              ) -> list[DailyRow]:
    """Every kept file read together (sorted by sha); a file that fails is skipped and said."""
    entries: list[tuple[UsageSidecar, bytes]] = []
    for name in present(ws):
        try:
            entries.append(_read_one(ws, name))
        except InputError as e:
            report.skipped.append(str(e))
    while True:
        try:
            with gc_paused():  # the rows die inside: the collector would walk them for nothing
                return _summarize(entries, catalogue, report)
        except InputError as e:  # drop the file named and read the rest again
            bad = [x for x in entries if str(x[0].data) == e.file or str(x[0].model_map) == e.file]
            if not bad:
                bad = entries[-1:]
            report.skipped.append(str(e))
            entries = [x for x in entries if x not in bad]


def _summarize(entries: list[tuple[UsageSidecar, bytes]], catalogue: Catalogue,
               report: UsageCacheReport) -> list[DailyRow]:
    series = read_usage_data([(str(sc.data), data) for sc, data in entries])
    report.files = len(entries)
    return _aggregate(_kept_parts(_rows_by_file(series.rows), [sc for sc, _ in entries],
                                  catalogue))


def _kept_parts(by_file: dict[str, list[UsageRow]], kept: list[UsageSidecar],
                catalogue: Catalogue) -> list[tuple[list[UsageRow], dict[str, str]]]:
    """(rows, model map) of each kept file: its names through the map it was imported with."""
    parts = []
    for sc in kept:
        mine = by_file.get(str(sc.data), [])
        parts.append((mine, _mapped(mine, catalogue, _user_map(sc.model_map, catalogue)).mapped))
    return parts


def rebuild_cache(ws: Workspace, catalogue: Catalogue) -> UsageCacheReport:
    """Build the daily summary from every kept file and rename it over the cache."""
    report = UsageCacheReport(cache_path(ws))
    daily = _load_all(ws, catalogue, report)
    _write_cache(ws, daily)
    report.rows = len(daily)
    return report


def _write_cache(ws: Workspace, daily: list[DailyRow]) -> None:
    """The daily summary of the files now in usage/, renamed over the cache."""
    ensure_cache_dir(ws)
    cache = cache_path(ws)
    fresh = cache.with_name(f".{cache.name}.rebuild-{secrets.token_hex(6)}")
    try:
        with closing(sqlite3.connect(fresh)) as db:
            # a new file renamed over the cache only when whole, and rebuilt from usage/ at
            # will: no rollback journal and no fsync per page
            db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            db.executescript("CREATE TABLE meta(version INTEGER, kept TEXT);"
                             "CREATE TABLE daily(day TEXT, model TEXT, project TEXT, key TEXT, "
                             "tag TEXT, currency TEXT, requests INTEGER, input INTEGER, "
                             "cached INTEGER, cache_write INTEGER, output INTEGER, cost REAL);")
            db.execute("INSERT INTO meta VALUES (?, ?)", (CACHE_VERSION, "\n".join(present(ws))))
            db.executemany("INSERT INTO daily VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", daily)
            db.commit()
        os.replace(fresh, cache)
    finally:
        fresh.unlink(missing_ok=True)


def _read_cache(ws: Workspace, models: Collection[str] | None = None) -> list[Daily] | None:
    """The cached daily rows (of `models` only, when given), or None when the cache is
    missing, stale or unusable."""
    cache = cache_path(ws)
    if not cache.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"file:{cache}?mode=ro", uri=True)) as db:
            version, kept = db.execute("SELECT version, kept FROM meta").fetchone()
            if version != CACHE_VERSION or kept != "\n".join(present(ws)):
                return None
            where = "" if models is None else \
                f"WHERE model IN ({','.join('?' * len(models))})"
            return [Daily(dt.date.fromisoformat(r[0]), *r[1:]) for r in db.execute(
                f"SELECT day, model, project, key, tag, requests, input, cached, cache_write, "
                f"output, cost, currency FROM daily {where} "
                "ORDER BY day, model, project, key, tag, currency",
                list(models or ()))]
    except (sqlite3.Error, TypeError, ValueError):
        return None


def daily_usage(ws: Workspace, catalogue: Catalogue, models: Collection[str] | None = None
                ) -> list[Daily]:
    """The workspace's daily usage (of `models` only, when given: a portfolio needs only the
    linked ones), from the cache (rebuilt first when missing or stale)."""
    if not ws.usage_dir.is_dir():
        return []
    cached = _read_cache(ws, models)
    if cached is not None:
        return cached
    rebuild_cache(ws, catalogue)
    return _read_cache(ws, models) or []
